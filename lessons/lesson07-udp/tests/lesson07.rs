//! Lesson 07: the UDP echo server and the ping client, through the library
//! and through the real binary.

use std::net::{SocketAddr, UdpSocket};
use std::thread;
use std::time::{Duration, Instant};

use common::Shutdown;
use lesson07_udp::{
    ClientArgs, Faults, Probe, ServerConfig, ServerSummary, Tally, datagram, ping, probe, serve,
};
use testkit::{PATIENCE, Server};

const BIN: &str = env!("CARGO_BIN_EXE_lesson07-udp");

/// A library server on 127.0.0.1:0 in a thread; returns its address, the
/// shutdown flag and the thread (which yields the summary).
fn start(faults: Faults) -> (SocketAddr, Shutdown, thread::JoinHandle<ServerSummary>) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    let shutdown = Shutdown::new();
    let s = shutdown.clone();
    let handle = thread::spawn(move || {
        serve(
            &socket,
            &s,
            &ServerConfig {
                faults,
                quiet: true,
                ..ServerConfig::default()
            },
        )
        .unwrap()
    });
    (addr, shutdown, handle)
}

fn client_args(addr: SocketAddr, count: u64, size: usize, timeout_ms: u64) -> ClientArgs {
    ClientArgs {
        host: addr.ip().to_string(),
        port: addr.port(),
        count,
        size,
        timeout: Duration::from_millis(timeout_ms),
    }
}

fn every(n: u64) -> Option<std::num::NonZeroU64> {
    std::num::NonZeroU64::new(n)
}

/// A UDP port nobody listens on (bound, then released).
fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Every datagram comes back whole and separate: three sends of different
/// sizes are three receives of the same sizes and bytes (contrast lesson 03,
/// where TCP may merge or split writes).
#[test]
fn datagram_boundaries_are_preserved() {
    let (addr, shutdown, server) = start(Faults::default());
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(PATIENCE)).unwrap();
    let sent: [&[u8]; 3] = [b"a", &[0xff, 0x00, 0xfe, b'\n'], &[7u8; 3000]];
    for d in sent {
        socket.send_to(d, addr).unwrap();
    }
    let mut buf = [0u8; 65536];
    for d in sent {
        let (n, from) = socket.recv_from(&mut buf).unwrap();
        assert_eq!(from, addr);
        assert_eq!(&buf[..n], d);
    }
    shutdown.trigger();
    let summary = server.join().unwrap();
    assert_eq!(
        (summary.received, summary.sent, summary.bytes),
        (3, 3, 3005)
    );
}

/// The largest IPv4 payload (65,507 bytes) makes the round trip intact.
#[test]
fn the_largest_datagram_round_trips() {
    let (addr, shutdown, server) = start(Faults::default());
    let mut out = Vec::new();
    let tally = ping(&client_args(addr, 1, 65_507, 5000), &mut out).unwrap();
    assert_eq!(tally.received(), 1, "{}", String::from_utf8_lossy(&out));
    shutdown.trigger();
    assert_eq!(server.join().unwrap().bytes, 65_507);
}

/// With nothing injected, every datagram is answered once, in order.
#[test]
fn ping_without_faults_receives_everything() {
    let (addr, shutdown, server) = start(Faults::default());
    let mut out = Vec::new();
    let tally = ping(&client_args(addr, 5, 32, 5000), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!((tally.sent, tally.received()), (5, 5), "{text}");
    for seq in 1..=5 {
        assert!(
            text.contains(&format!("32 bytes from {addr}: seq={seq} time=")),
            "{text}"
        );
    }
    assert!(
        text.contains("5 sent, 5 received, 0% loss, rtt min/avg/max = ")
            && text.contains(" ms, 0 duplicates, 0 reordered"),
        "{text}"
    );
    shutdown.trigger();
    server.join().unwrap();
}

/// `--drop-every 3`: datagrams 3 and 6 go unanswered, everything else comes.
#[test]
fn injected_loss_is_counted() {
    let (addr, shutdown, server) = start(Faults {
        drop_every: every(3),
        ..Faults::default()
    });
    let mut out = Vec::new();
    let tally = ping(&client_args(addr, 6, 32, 300), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(tally.received(), 4, "{text}");
    assert!(tally.rtts[2].is_none() && tally.rtts[5].is_none(), "{text}");
    assert!(text.contains("seq=3: no reply within 0.3s"), "{text}");
    assert!(
        text.contains("6 sent, 4 received, 33.3% loss, rtt min/avg/max = ")
            && text.contains(" ms, 0 duplicates"),
        "{text}"
    );
    shutdown.trigger();
    assert_eq!(server.join().unwrap().dropped, 2);
}

/// `--drop-every 2` counts each client's own datagrams: a new client's
/// first datagram is answered even when it is the server's second overall,
/// and each client loses exactly its own second one.
#[test]
fn injected_loss_is_counted_per_client() {
    let (addr, shutdown, server) = start(Faults {
        drop_every: every(2),
        ..Faults::default()
    });
    let clients: Vec<UdpSocket> = (0..2)
        .map(|_| {
            let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
            socket.connect(addr).unwrap();
            socket
        })
        .collect();
    let answered = |socket: &UdpSocket, payload: &[u8]| {
        socket.send(payload).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut buf = [0u8; 16];
        match socket.recv(&mut buf) {
            Ok(n) => Some(buf[..n].to_vec()),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock) => None,
            Err(e) => panic!("recv: {e}"),
        }
    };
    // Overall order: a1, b1, a2, b2. Counted globally, b1 and b2 would be
    // the 2nd and 4th datagrams and both be dropped.
    assert_eq!(answered(&clients[0], b"a1").as_deref(), Some(&b"a1"[..]));
    assert_eq!(answered(&clients[1], b"b1").as_deref(), Some(&b"b1"[..]));
    assert_eq!(answered(&clients[0], b"a2"), None);
    assert_eq!(answered(&clients[1], b"b2"), None);
    assert_eq!(answered(&clients[1], b"b3").as_deref(), Some(&b"b3"[..]));
    shutdown.trigger();
    let summary = server.join().unwrap();
    assert_eq!((summary.received, summary.dropped), (5, 2));
}

/// `--duplicate-every 2`: replies 2 and 4 come twice; received counts
/// distinct replies, the extra copies are duplicates (the last one is caught
/// by the client's short linger after the final reply).
#[test]
fn injected_duplicates_are_counted_not_received_twice() {
    let (addr, shutdown, server) = start(Faults {
        duplicate_every: every(2),
        ..Faults::default()
    });
    let mut out = Vec::new();
    let tally = ping(&client_args(addr, 4, 32, 1000), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!((tally.received(), tally.duplicates), (4, 2), "{text}");
    assert_eq!(text.matches("(DUP!)").count(), 2, "{text}");
    assert!(
        text.contains("4 sent, 4 received, 0% loss, rtt min/avg/max = ")
            && text.contains(" ms, 2 duplicates, 0 reordered"),
        "{text}"
    );
    shutdown.trigger();
    assert_eq!(server.join().unwrap().duplicated, 2);
}

/// `--reorder-every 2`: the answer to 2 is held back until 3 is answered, so
/// it arrives late and out of order; the answer to 4 is held with nothing
/// after it and never comes.
#[test]
fn injected_reordering_is_counted_and_late_replies_still_count() {
    let (addr, shutdown, server) = start(Faults {
        reorder_every: every(2),
        ..Faults::default()
    });
    let mut out = Vec::new();
    let tally = ping(&client_args(addr, 4, 32, 300), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!((tally.received(), tally.reordered), (3, 1), "{text}");
    assert!(
        text.contains("seq=2 time=") && text.contains("(late, out of order)"),
        "{text}"
    );
    assert!(
        text.contains("4 sent, 3 received, 25% loss, rtt min/avg/max = ")
            && text.contains(" ms, 0 duplicates, 1 reordered"),
        "{text}"
    );
    shutdown.trigger();
    assert_eq!(server.join().unwrap().reordered, 1);
}

/// A stranger's datagram on the client's port is not counted as a reply:
/// the client's socket is connected, so the kernel does not even deliver it.
#[test]
fn connected_client_ignores_datagrams_from_strangers() {
    // A fake "server" that answers each datagram with garbage first, then
    // with the real echo from a *different* socket, then the real echo.
    let fake = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = fake.local_addr().unwrap();
    let stranger = UdpSocket::bind("127.0.0.1:0").unwrap();
    let t = thread::spawn(move || {
        fake.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut buf = [0u8; 128];
        for _ in 0..2 {
            let (n, peer) = fake.recv_from(&mut buf).unwrap();
            stranger.send_to(&buf[..n], peer).unwrap();
            fake.send_to(b"garbage", peer).unwrap();
            fake.send_to(&buf[..n], peer).unwrap();
        }
    });
    let mut out = Vec::new();
    let tally = ping(&client_args(addr, 2, 16, 2000), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    t.join().unwrap();
    assert_eq!((tally.received(), tally.duplicates), (2, 0), "{text}");
    assert_eq!(tally.foreign, 2, "garbage is counted as foreign: {text}");
}

/// On a connected UDP socket an ICMP "port unreachable" becomes
/// ECONNREFUSED; against a live server the probe gets its answer.
#[test]
fn connected_udp_socket_hears_port_unreachable() {
    let nobody: SocketAddr = format!("127.0.0.1:{}", free_udp_port()).parse().unwrap();
    assert_eq!(
        probe(nobody, Duration::from_secs(5)).unwrap(),
        Probe::Refused
    );
    let (addr, shutdown, server) = start(Faults::default());
    assert_eq!(
        probe(addr, Duration::from_secs(5)).unwrap(),
        Probe::Answered
    );
    shutdown.trigger();
    server.join().unwrap();
}

/// The datagram pattern differs between sequence numbers (so a reply to
/// one cannot pass for another) and has exactly the requested size.
#[test]
fn datagrams_carry_their_sequence_number() {
    let a = datagram(1, 32);
    let b = datagram(2, 32);
    assert_eq!((a.len(), b.len()), (32, 32));
    assert_eq!(&a[..8], &1u64.to_be_bytes());
    assert_ne!(a[8..], b[8..]);
    let t = Tally::default();
    assert_eq!(t.received(), 0);
}

// ---- the real binary ----

/// The binary server with injected loss and duplication against the binary
/// client: the summary line is exact and the exit code is 0.
#[test]
fn binary_counts_loss_and_duplicates() {
    let server = Server::spawn(
        BIN,
        &[
            "server",
            "--port",
            "0",
            "--drop-every",
            "4",
            "--duplicate-every",
            "3",
        ],
    );
    let port = server.addr().port().to_string();
    let run = testkit::run(
        BIN,
        &[
            "client",
            "--port",
            &port,
            "--count",
            "8",
            "--size",
            "20",
            "--timeout",
            "0.3",
        ],
        b"",
        PATIENCE,
    );
    // Datagrams 4 and 8 are dropped; 3 and 6 are answered twice.
    assert_eq!(run.code(), Some(0), "{run:?}");
    assert!(
        run.stdout
            .contains("8 sent, 6 received, 25% loss, rtt min/avg/max = ")
            && run.stdout.contains(" ms, 2 duplicates, 0 reordered"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("20 bytes from 127.0.0.1:"),
        "{}",
        run.stdout
    );
}

/// No server: every datagram is refused (ICMP), the summary says 100% loss,
/// and the client exits 1 with an `error:` line.
#[test]
fn binary_exits_1_when_nothing_comes_back() {
    let port = free_udp_port().to_string();
    let run = testkit::run(
        BIN,
        &[
            "client",
            "--port",
            &port,
            "--count",
            "2",
            "--timeout",
            "0.3",
        ],
        b"",
        PATIENCE,
    );
    assert_eq!(run.code(), Some(1), "{run:?}");
    assert!(
        run.stdout.contains("2 sent, 0 received, 100% loss"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("ICMP port unreachable"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .starts_with(&format!("error: no replies from 127.0.0.1:{port}")),
        "{}",
        run.stderr
    );
}

/// A server that answers nothing (every datagram dropped): timeouts, exit 1.
#[test]
fn binary_exits_1_when_every_reply_is_lost() {
    let server = Server::spawn(BIN, &["server", "--port", "0", "--drop-every", "1"]);
    let port = server.addr().port().to_string();
    let run = testkit::run(
        BIN,
        &[
            "client",
            "--port",
            &port,
            "--count",
            "2",
            "--timeout",
            "0.2",
        ],
        b"",
        PATIENCE,
    );
    assert_eq!(run.code(), Some(1), "{run:?}");
    assert!(
        run.stdout.contains("seq=2: no reply within 0.2s"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("2 sent, 0 received, 100% loss"),
        "{}",
        run.stdout
    );
}

/// One byte over the IPv4 limit: the send is tried, the kernel refuses it
/// with EMSGSIZE, and the error names the limit. Exit 1.
#[test]
fn binary_reports_oversize_datagrams_with_the_limit() {
    let server = Server::spawn(BIN, &["server", "--port", "0"]);
    let port = server.addr().port().to_string();
    let run = testkit::run(
        BIN,
        &["client", "--port", &port, "--count", "1", "--size", "65508"],
        b"",
        PATIENCE,
    );
    assert_eq!(run.code(), Some(1), "{run:?}");
    let err = run.stderr.trim_end();
    assert!(err.starts_with("error: send to 127.0.0.1:"), "{err}");
    assert!(
        err.contains("65508 bytes") && err.contains("65507 bytes of payload over IPv4"),
        "{err}"
    );
    assert!(err.contains("os error 90"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// `--help` is for users: no rustdoc link syntax leaks into it.
#[test]
fn help_shows_no_doc_links() {
    for sub in ["server", "client"] {
        let run = testkit::run(BIN, &[sub, "--help"], b"", PATIENCE);
        assert_eq!(run.code(), Some(0), "{run:?}");
        assert!(run.stdout.contains("Usage:"), "{}", run.stdout);
        assert!(!run.stdout.contains("[`"), "{sub} --help:\n{}", run.stdout);
    }
}

/// Bad arguments are refused by clap with exit 2.
#[test]
fn bad_arguments_exit_2() {
    for args in [
        &["client", "--size", "7"][..],
        &["client", "--count", "0"],
        &["client", "--timeout", "0"],
        &["client", "--size", "2000000"],
        &["server", "--drop-every", "0"],
        &["server", "--port", "70000"],
        &["ping"],
    ] {
        let run = testkit::run(BIN, args, b"", PATIENCE);
        assert_eq!(run.code(), Some(2), "{args:?}: {run:?}");
    }
}

/// SIGINT and SIGTERM: the server prints its summary and exits 0 promptly,
/// although it is blocked waiting for a datagram that never comes.
#[test]
fn binary_server_shuts_down_on_signals_with_a_summary() {
    for sig in ["INT", "TERM"] {
        let mut server = Server::spawn(BIN, &["server", "--port", "0"]);
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.set_read_timeout(Some(PATIENCE)).unwrap();
        socket.send_to(b"hi", server.addr()).unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(socket.recv(&mut buf).unwrap(), 2);
        let log = server.expect_line(|l| l.contains("2 bytes, echoed"));
        assert!(
            log.starts_with(&socket.local_addr().unwrap().to_string()),
            "{log}"
        );
        let start = Instant::now();
        server.signal(sig);
        let (status, rest) = server.wait(Duration::from_secs(5));
        assert!(status.success(), "{sig}: {status:?}");
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{sig}: took {:?}",
            start.elapsed()
        );
        assert_eq!(
            rest,
            [
                "shut down: 1 datagram received, 1 answer sent (0 dropped, 0 duplicated, 0 reordered), 2 bytes echoed"
            ],
            "{sig}"
        );
    }
}

/// Each source address is a peer; the summary counts them.
#[test]
fn the_server_counts_its_peers() {
    let (addr, shutdown, server) = start(Faults::default());
    for _ in 0..2 {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.set_read_timeout(Some(PATIENCE)).unwrap();
        for _ in 0..3 {
            socket.send_to(b"hi", addr).unwrap();
            let mut buf = [0u8; 8];
            assert_eq!(socket.recv(&mut buf).unwrap(), 2);
        }
    }
    shutdown.trigger();
    let summary = server.join().unwrap();
    assert_eq!((summary.received, summary.peers), (6, 2));
}

/// `--idle-timeout`: UDP has no connection to close, so a peer is forgotten
/// after that long without a datagram, and the log says so; one that comes
/// back is a new peer.
#[test]
fn binary_forgets_a_silent_peer_after_the_idle_timeout() {
    let server = Server::spawn(BIN, &["server", "--port", "0", "--idle-timeout", "0.5"]);
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(PATIENCE)).unwrap();
    let me = socket.local_addr().unwrap();
    let mut buf = [0u8; 8];
    // Taken before the last send: the server hears it later, so it may not
    // forget us before `sent + 0.5 s`.
    let mut sent = Instant::now();
    for _ in 0..2 {
        sent = Instant::now();
        socket.send_to(b"ab", server.addr()).unwrap();
        assert_eq!(socket.recv(&mut buf).unwrap(), 2);
    }
    assert_eq!(
        server.expect_line(|l| l.contains("new peer")),
        format!("{me}: new peer")
    );
    let gone = server.expect_line(|l| l.contains("forgotten"));
    assert!(
        sent.elapsed() >= Duration::from_millis(500),
        "forgotten too early"
    );
    assert_eq!(
        gone,
        format!("{me}: silent for 0.5s, forgotten after 2 datagrams")
    );
    socket.send_to(b"ab", server.addr()).unwrap();
    assert_eq!(socket.recv(&mut buf).unwrap(), 2);
    assert_eq!(
        server.expect_line(|l| l.contains("new peer")),
        format!("{me}: new peer")
    );
}
