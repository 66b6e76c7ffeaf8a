//! The load generator against its own reference server (library and real
//! binary), and each workload against small in-test servers whose
//! behaviour is known, so every count the results report is checked.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::Shutdown;
use loadgen::record::{Record, Val};
use loadgen::{bulk, chat, connect, echo, http_server, reference, udp};
use testkit::Server;

const BIN: &str = env!("CARGO_BIN_EXE_loadgen");
const SHORT: Duration = Duration::from_millis(300);

/// Runs the reference server in a thread; returns its address and the
/// shutdown flag (triggering it ends the thread).
fn reference_in_thread(greeting: bool) -> (SocketAddr, Shutdown, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = Shutdown::new();
    let s = shutdown.clone();
    let h = thread::spawn(move || {
        reference::serve(listener, &s, greeting).unwrap();
    });
    (addr, shutdown, h)
}

fn int(r: &Record, k: &str) -> u64 {
    match r.get(k) {
        Some(Val::Int(i)) => *i,
        other => panic!("{k}: {other:?} in {r:?}"),
    }
}

/// Echo through the reference server: every connection is served and many
/// round trips complete, with latencies in order.
#[test]
fn echo_against_the_reference_server() {
    let (addr, shutdown, h) = reference_in_thread(true);
    let r = echo::run(&echo::EchoOpts {
        addr,
        conns: 20,
        size: 100,
        warmup: Duration::from_millis(100),
        duration: SHORT,
        greeting: Some("Hello client".into()),
        threads: 2,
        target: "reference".into(),
    })
    .unwrap();
    assert_eq!(int(&r, "served"), 20, "{r:?}");
    assert_eq!(
        int(&r, "failed") + int(&r, "rejected") + int(&r, "starved"),
        0
    );
    assert!(int(&r, "round_trips") > 100, "{r:?}");
    let (p50, p99, max) = (
        r.num("p50_us").unwrap(),
        r.num("p99_us").unwrap(),
        r.num("max_us").unwrap(),
    );
    assert!(0.0 < p50 && p50 <= p99 && p99 <= max, "{r:?}");
    shutdown.trigger();
    h.join().unwrap();
}

/// A server that greets the first client, turns the second away and
/// never answers the third: echo counts served, rejected and starved.
#[test]
fn echo_counts_rejected_and_starved_connections() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let mut held = Vec::new();
        for (i, s) in listener.incoming().take(3).enumerate() {
            let mut s = s.unwrap();
            match i {
                0 => {
                    thread::spawn(move || {
                        s.write_all(b"Hello client\n").unwrap();
                        let mut buf = [0u8; 4096];
                        while let Ok(n) = s.read(&mut buf) {
                            if n == 0 || s.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                    });
                }
                1 => {
                    s.write_all(b"server busy, try again later\n").unwrap();
                    held.push(s); // open but done with
                }
                _ => held.push(s), // never greeted
            }
        }
        thread::sleep(Duration::from_secs(5));
    });
    let r = echo::run(&echo::EchoOpts {
        addr,
        conns: 3,
        size: 16,
        warmup: Duration::ZERO,
        duration: SHORT,
        greeting: Some("Hello client".into()),
        threads: 1,
        target: "fake".into(),
    })
    .unwrap();
    assert_eq!(
        (
            int(&r, "served"),
            int(&r, "rejected"),
            int(&r, "starved"),
            int(&r, "failed")
        ),
        (1, 1, 1, 0),
        "{r:?}"
    );
    assert!(int(&r, "round_trips") > 10);
    assert_eq!(
        r.get("note"),
        Some(&Val::Text(
            "first line: server busy, try again later".into()
        ))
    );
}

/// An echo server that corrupts replies is caught, not counted.
#[test]
fn echo_detects_wrong_bytes() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 64];
        let n = s.read(&mut buf).unwrap();
        buf[0] ^= 0x20;
        let _ = s.write_all(&buf[..n]);
        thread::sleep(Duration::from_secs(2));
    });
    let r = echo::run(&echo::EchoOpts {
        addr,
        conns: 1,
        size: 8,
        warmup: Duration::ZERO,
        duration: SHORT,
        greeting: None,
        threads: 1,
        target: "bad".into(),
    })
    .unwrap();
    assert_eq!((int(&r, "failed"), int(&r, "round_trips")), (1, 0), "{r:?}");
}

/// Short connections through the reference server, counted whole.
#[test]
fn connect_against_the_reference_server() {
    let (addr, shutdown, h) = reference_in_thread(true);
    let r = connect::run(&connect::ConnectOpts {
        addr,
        clients: 4,
        size: 32,
        warmup: Duration::from_millis(100),
        duration: SHORT,
        greeting: Some("Hello client".into()),
        target: "reference".into(),
    })
    .unwrap();
    assert!(int(&r, "connections") > 20, "{r:?}");
    assert_eq!(int(&r, "failed") + int(&r, "rejected"), 0, "{r:?}");
    shutdown.trigger();
    h.join().unwrap();
}

/// Bulk through the reference server: bytes come back checked.
#[test]
fn bulk_against_the_reference_server() {
    let (addr, shutdown, h) = reference_in_thread(false);
    let r = bulk::run(&bulk::BulkOpts {
        addr,
        chunk: 64 * 1024,
        window: 1024 * 1024,
        warmup: Duration::from_millis(100),
        duration: SHORT,
        greeting: None,
        target: "reference".into(),
    })
    .unwrap();
    assert!(int(&r, "bytes") > 1_000_000, "{r:?}");
    shutdown.trigger();
    h.join().unwrap();
}

/// A byte-flipping "echo" makes bulk fail with a clear error.
#[test]
fn bulk_detects_corruption() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = vec![0u8; 65536];
        let mut total = 0usize;
        while let Ok(n) = s.read(&mut buf) {
            if n == 0 {
                break;
            }
            if total < 100_000 && total + n >= 100_000 {
                buf[100_000 - total] ^= 1;
            }
            total += n;
            if s.write_all(&buf[..n]).is_err() {
                break;
            }
        }
    });
    let e = bulk::run(&bulk::BulkOpts {
        addr,
        chunk: 64 * 1024,
        window: 1024 * 1024,
        warmup: Duration::ZERO,
        duration: Duration::from_secs(2),
        greeting: None,
        target: "bad".into(),
    })
    .unwrap_err();
    assert!(e.to_string().contains("differ"), "{e}");
}

/// A minimal chat room speaking lesson 08's protocol (thread per client).
/// Lines from `c<drop_from>` are not delivered to `c<drop_to>`, so the
/// workload's `missing` count can be checked.
fn fake_chat(drop: Option<(usize, usize)>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let room: Arc<Mutex<Vec<(String, TcpStream)>>> = Arc::new(Mutex::new(Vec::new()));
    thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(s) = s else { break };
            let room = Arc::clone(&room);
            thread::spawn(move || {
                let mut lines = BufReader::new(s.try_clone().unwrap()).lines();
                let Some(Ok(first)) = lines.next() else {
                    return;
                };
                let name = first.strip_prefix("NAME:").unwrap().to_string();
                {
                    let mut r = room.lock().unwrap();
                    let mut w = s.try_clone().unwrap();
                    w.write_all(format!("Welcome {name}\n").as_bytes()).unwrap();
                    for (_, o) in r.iter_mut() {
                        let _ = o.write_all(format!("{name} joined\n").as_bytes());
                    }
                    r.push((name.clone(), w));
                }
                for line in lines.map_while(Result::ok) {
                    let mut r = room.lock().unwrap();
                    for (other, o) in r.iter_mut() {
                        let dropped = drop.is_some_and(|(f, t)| {
                            name == format!("c{f}") && *other == format!("c{t}")
                        });
                        if *other != name && !dropped {
                            let _ = o.write_all(format!("{name}: {line}\n").as_bytes());
                        }
                    }
                }
            });
        }
    });
    addr
}

fn chat_opts(addr: SocketAddr, mode: chat::ChatMode) -> chat::ChatOpts {
    chat::ChatOpts {
        addr,
        clients: 12,
        senders: 3,
        messages: 5,
        mode,
        window: 4,
        warmup: Duration::from_millis(50),
        duration: Duration::from_secs(10),
        join_timeout: Duration::from_secs(10),
        delivery_timeout: Duration::from_millis(500),
        target: "fake".into(),
    }
}

/// Both chat modes: every line reaches the 11 other clients, counted.
#[test]
fn chat_counts_every_delivery() {
    for mode in [chat::ChatMode::One, chat::ChatMode::Burst] {
        // A fresh room per run: names must not be taken.
        let r = chat::run(&chat_opts(fake_chat(None), mode)).unwrap();
        assert_eq!(int(&r, "messages"), 15, "{r:?}");
        assert_eq!(int(&r, "expected"), 15 * 11);
        assert_eq!(int(&r, "deliveries"), 15 * 11);
        assert_eq!(
            int(&r, "missing") + int(&r, "errors") + int(&r, "disorder"),
            0
        );
        assert!(r.num("p50_us").unwrap() > 0.0);
    }
}

/// Window mode keeps lines flowing for the measured time and still counts
/// every delivery: a sender never has more than its window in flight, so the
/// run sends many more lines than one window's worth.
#[test]
fn chat_window_counts_every_delivery() {
    let mut opts = chat_opts(fake_chat(None), chat::ChatMode::Window);
    opts.duration = Duration::from_millis(300);
    let r = chat::run(&opts).unwrap();
    let messages = int(&r, "messages");
    assert!(messages > 3 * 4, "more than one window per sender: {r:?}");
    assert_eq!(int(&r, "window"), 4);
    assert_eq!(int(&r, "deliveries"), messages * 11, "{r:?}");
    assert_eq!(
        int(&r, "missing") + int(&r, "errors") + int(&r, "disorder"),
        0
    );
}

/// The chat table of a results.md is read back: the new one by engine, the
/// old one (lesson 08 only, no engine column) whole.
#[test]
fn previous_chat_rows_are_read_from_results_md() {
    let old = "### Chat fan-out through lesson 08\n\n\
| clients | mode | senders | deliveries/s | p99 µs |\n|---|---:|---:|---:|---:|\n\
| 1,000 | one | 10 | 159,859 | 8,164 |\n\n### UDP\n";
    let rows = loadgen::report::parse_chat_rows(old, "lesson08");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["clients"].as_f64(), Some(1000.0));
    assert_eq!(rows[0]["mode"].as_str(), Some("one"));
    assert_eq!(rows[0]["deliveries_per_s"].as_f64(), Some(159_859.0));
    let new = "### Chat fan-out: engines\n\n| engine | clients | mode | deliveries/s |\n|---|---:|---:|---:|\n\
| lesson13 | 10 | one | 5 |\n| lesson08 | 10 | burst | 7 |\n";
    let rows = loadgen::report::parse_chat_rows(new, "lesson08");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["mode"].as_str(), Some("burst"));
}

/// Lines that do not arrive are reported as missing.
#[test]
fn chat_reports_missing_lines() {
    let addr = fake_chat(Some((1, 7)));
    let r = chat::run(&chat_opts(addr, chat::ChatMode::Burst)).unwrap();
    // Sender c1 sent 5 lines, none reached c7.
    assert_eq!(int(&r, "missing"), 5, "{r:?}");
    assert!(r.get("note").is_some());
}

/// UDP ping against an echo that drops every other datagram: ~50% loss.
#[test]
fn udp_counts_loss() {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = sock.local_addr().unwrap();
    thread::spawn(move || {
        let mut buf = [0u8; 2048];
        let mut n_seen = 0u64;
        while let Ok((n, peer)) = sock.recv_from(&mut buf) {
            n_seen += 1;
            if n_seen.is_multiple_of(2) {
                let _ = sock.send_to(&buf[..n], peer);
            }
        }
    });
    let r = udp::run(&udp::UdpOpts {
        addr,
        size: 64,
        // Generous: a reply delayed past this by a loaded machine would
        // count as lost too.
        timeout: Duration::from_millis(200),
        warmup: Duration::ZERO,
        duration: Duration::from_millis(1500),
        target: "lossy".into(),
    })
    .unwrap();
    let (sent, received, lost) = (int(&r, "sent"), int(&r, "received"), int(&r, "lost"));
    assert_eq!(sent, received + lost, "{r:?}");
    assert!(received >= 1 && lost >= 1, "{r:?}");
    // Every other datagram is dropped: about half are lost.
    let loss = r.num("loss_pct").unwrap();
    assert!((30.0..=80.0).contains(&loss), "{r:?}");
}

/// The generated-content HTTP server sends exactly n pattern bytes.
#[test]
fn http_server_serves_the_pattern() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = Shutdown::new();
    let s2 = shutdown.clone();
    let h = thread::spawn(move || http_server::serve(listener, &s2).unwrap());
    let get = |path: &str| {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut all = Vec::new();
        s.read_to_end(&mut all).unwrap();
        let split = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        (
            String::from_utf8_lossy(&all[..split]).into_owned(),
            all[split..].to_vec(),
        )
    };
    let (head, body) = get("/bytes/3000000");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("Content-Length: 3000000\r\n"));
    assert_eq!(body.len(), 3_000_000);
    assert!(bulk::matches_pattern(
        &bulk::pattern_buffer(body.len()),
        0,
        &body
    ));
    let (head, body) = get("/nothing");
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    assert!(body.is_empty());
    shutdown.trigger();
    assert_eq!(h.join().unwrap(), 2);
}

/// The real binaries: `ref-server` prints its ready line, `echo --json`
/// prints one JSON object and `connect` one `result` line; SIGTERM stops
/// the server with its summary.
#[test]
fn binaries_print_result_lines() {
    let mut server = Server::spawn(BIN, &["ref-server", "--port", "0"]);
    let addr = server.ready.clone();
    let run = testkit::run(
        BIN,
        &[
            "echo",
            "--addr",
            &addr,
            "--conns",
            "3",
            "--greeting",
            "Hello client",
            "--warmup",
            "0.1",
            "--duration",
            "0.3",
            "--json",
            "--target",
            "ref",
        ],
        b"",
        Duration::from_secs(20),
    );
    assert_eq!(run.code(), Some(0), "{run:?}");
    let v: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(v["workload"], "echo");
    assert_eq!(v["target"], "ref");
    assert_eq!(v["served"], 3);
    assert!(v["rt_per_s"].as_f64().unwrap() > 0.0);

    let run = testkit::run(
        BIN,
        &[
            "connect",
            "--addr",
            &addr,
            "--clients",
            "2",
            "--greeting",
            "Hello client",
            "--warmup",
            "0",
            "--duration",
            "0.3",
        ],
        b"",
        Duration::from_secs(20),
    );
    assert_eq!(run.code(), Some(0), "{run:?}");
    let line = run.stdout.trim();
    assert!(
        line.starts_with("result workload=connect target=server clients=2 size=64 connections="),
        "{line}"
    );
    assert_eq!(line.lines().count(), 1);

    server.signal("TERM");
    let (status, rest) = server.wait(Duration::from_secs(5));
    assert!(status.success());
    assert!(
        rest.iter().any(|l| l.starts_with("shut down: served ")),
        "{rest:?}"
    );
}

/// Nothing listening: a clear error and exit 1, no panic.
#[test]
fn refused_connection_is_an_error() {
    // Bound but never listening: every connect is refused (see testkit).
    let refused = testkit::refused_port();
    let addr = format!("127.0.0.1:{}", refused.port);
    let run = testkit::run(
        BIN,
        &["echo", "--addr", &addr, "--duration", "0.2"],
        b"",
        Duration::from_secs(20),
    );
    assert_eq!(run.code(), Some(1), "{run:?}");
    assert!(
        run.stderr.starts_with("error: no connection to"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("refused"), "{}", run.stderr);
}
