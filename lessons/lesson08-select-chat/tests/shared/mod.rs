//! The chat room's behaviour, checked on the engine of lesson 08 (mio) and
//! of lesson 13 (tokio) alike: every row of the protocol table, hostile
//! clients, slow readers, 1,000 clients, the console on every kind of stdin,
//! shutdown, EMFILE; through the library and the real binaries.
//!
//! Both lessons' `tests/lesson*.rs` include this file by path. Each defines
//! `BIN` (its binary) and brings its own `serve`, `Config` and `Summary`
//! into scope (lesson 13 re-exports lesson 08's types); the tests here name
//! only those, so they run unchanged against either engine.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, PipeWriter, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use super::{BIN, Config, Summary, serve};
use common::Shutdown;
use lesson08_select_chat::chat::PROMPT;
use testkit::{PATIENCE, Server, is_closed, read_line, read_line_bytes, send_line};

/// A library server on 127.0.0.1:0 in a thread, with a pipe as its console.
struct Room {
    addr: SocketAddr,
    shutdown: Shutdown,
    console: Option<PipeWriter>,
    thread: Option<thread::JoinHandle<Summary>>,
}

impl Room {
    fn start(config: Config) -> Room {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (reader, writer) = std::io::pipe().unwrap();
        let shutdown = Shutdown::new();
        let s = shutdown.clone();
        let thread =
            thread::spawn(move || serve(listener, &s, &config, Some(Box::new(reader))).unwrap());
        Room {
            addr,
            shutdown,
            console: Some(writer),
            thread: Some(thread),
        }
    }

    fn quiet() -> Room {
        Room::start(Config {
            quiet: true,
            ..Config::default()
        })
    }

    fn console(&mut self, line: &str) {
        writeln!(self.console.as_mut().unwrap(), "{line}").unwrap();
    }

    /// Waits for the server thread (after QUIT or trigger), at most PATIENCE.
    fn join(&mut self) -> Summary {
        let t = self.thread.take().unwrap();
        let deadline = Instant::now() + PATIENCE;
        while !t.is_finished() {
            assert!(Instant::now() < deadline, "server did not stop");
            thread::sleep(Duration::from_millis(10));
        }
        t.join().unwrap()
    }

    fn stop(&mut self) -> Summary {
        self.shutdown.trigger();
        self.join()
    }
}

impl Drop for Room {
    fn drop(&mut self) {
        self.shutdown.trigger();
    }
}

/// Connects and checks that the first line is the prompt saying how to join.
fn connect(addr: SocketAddr) -> TcpStream {
    let mut s = testkit::connect(addr);
    assert_eq!(read_line(&mut s), PROMPT);
    s
}

/// Connects and joins as `name`, checking the welcome.
fn join(addr: SocketAddr, name: &str) -> TcpStream {
    let mut s = connect(addr);
    send_line(&mut s, &format!("NAME:{name}"));
    assert_eq!(read_line(&mut s), format!("Welcome {name}"));
    s
}

/// Asks `/who` and returns the answer: a marker that everything sent to
/// this client before it has been read (lines arrive in order).
fn who(s: &mut TcpStream) -> String {
    send_line(s, "/who");
    read_line(s)
}

// ---- the protocol table, row by row ----

/// A client that sends everything and half-closes at once (a client on a
/// pipe, `printf 'NAME:x\nhi\n' | nc -N`) still gets what it is owed: the
/// server may read its lines *and* its EOF in one pass, before it has
/// written the `Welcome`, and must not close without sending it.
#[test]
fn a_client_that_half_closes_at_once_still_gets_its_output() {
    let room = Room::quiet();
    let mut watcher = join(room.addr, "watcher");
    for i in 0..20 {
        let mut s = testkit::connect(room.addr);
        s.write_all(format!("NAME:pipe{i}\nhello {i}\n").as_bytes())
            .unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        let got = String::from_utf8(testkit::read_to_end(&mut s)).unwrap();
        assert_eq!(got, format!("{PROMPT}\nWelcome pipe{i}\n"), "round {i}");
        for want in [
            format!("pipe{i} joined"),
            format!("pipe{i}: hello {i}"),
            format!("pipe{i} left"),
        ] {
            assert_eq!(read_line(&mut watcher), want, "round {i}");
        }
    }
}

/// `NAME:<name>` -> `Welcome <name>` to the newcomer, `<name> joined` to the others.
#[test]
fn join_gets_welcome_and_others_hear_of_it() {
    let mut room = Room::quiet();
    let mut ann = join(room.addr, "ann");
    let mut bob = join(room.addr, "bob");
    assert_eq!(read_line(&mut ann), "bob joined");
    assert_eq!(
        who(&mut bob),
        "online: ann, bob",
        "bob hears nothing of his own join"
    );
    room.stop();
}

/// `NAME:` alone: the peer address is the name.
#[test]
fn empty_name_means_the_peer_address() {
    let mut room = Room::quiet();
    let mut s = connect(room.addr);
    let me = s.local_addr().unwrap();
    send_line(&mut s, "NAME:");
    assert_eq!(read_line(&mut s), format!("Welcome {me}"));
    room.stop();
}

/// A taken name, invalid names, a first line that is not `NAME:`: each gets
/// `error: ...`, the connection stays open, and another try works.
#[test]
fn bad_names_get_errors_and_the_client_may_retry() {
    let mut room = Room::quiet();
    let mut ann = join(room.addr, "ann");
    let mut s = connect(room.addr);
    let cases: [(&[u8], &str); 7] = [
        (b"NAME:ann", "error: the name ann is taken"),
        (b"hello", "error: say who you are first: NAME:<name>"),
        (
            b"NAME:a b",
            "error: a name cannot contain spaces or control characters",
        ),
        (
            b"NAME:a\x1bb",
            "error: a name cannot contain spaces or control characters",
        ),
        (
            b"NAME:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "error: a name has 1 to 32 characters",
        ),
        (b"NAME:\xffx", "error: a name must be valid UTF-8"),
        (b"NAME:Server", "error: the name Server is reserved"),
    ];
    for (line, error) in cases {
        s.write_all(&[line, b"\n"].concat()).unwrap();
        assert_eq!(
            read_line(&mut s),
            error,
            "{}",
            String::from_utf8_lossy(line)
        );
    }
    // 32 characters (not bytes) are fine.
    let name = "é".repeat(32);
    send_line(&mut s, &format!("NAME:{name}"));
    assert_eq!(read_line(&mut s), format!("Welcome {name}"));
    assert_eq!(
        read_line(&mut ann),
        format!("{name} joined"),
        "no noise from the failed tries"
    );
    room.stop();
}

/// `<text>` -> every *other* client gets `<name>: <text>`.
#[test]
fn text_is_relayed_to_everyone_else() {
    let mut room = Room::quiet();
    let mut a = join(room.addr, "a");
    let mut b = join(room.addr, "b");
    let mut c = join(room.addr, "c");
    assert_eq!(read_line(&mut a), "b joined");
    assert_eq!(read_line(&mut a), "c joined");
    assert_eq!(read_line(&mut b), "c joined");
    send_line(&mut a, "hello, room");
    assert_eq!(read_line(&mut b), "a: hello, room");
    assert_eq!(read_line(&mut c), "a: hello, room");
    assert_eq!(who(&mut a), "online: a, b, c", "the sender gets no copy");
    let summary = room.stop();
    assert_eq!(summary.messages, 1);
}

/// `/msg <to> <text>` -> only `<to>` gets `[private] <name>: <text>`;
/// an unknown `<to>` gets the sender `error: no user named <to>`.
#[test]
fn private_messages_reach_only_their_target() {
    let mut room = Room::quiet();
    let mut a = join(room.addr, "a");
    let mut b = join(room.addr, "b");
    let mut c = join(room.addr, "c");
    assert_eq!(read_line(&mut b), "c joined");
    send_line(&mut a, "/msg b meet  at noon");
    assert_eq!(read_line(&mut b), "[private] a: meet  at noon");
    assert_eq!(who(&mut c), "online: a, b, c", "c saw nothing");
    send_line(&mut a, "/msg zed hello?");
    assert_eq!(read_line(&mut a), "b joined");
    assert_eq!(read_line(&mut a), "c joined");
    assert_eq!(read_line(&mut a), "error: no user named zed");
    send_line(&mut a, "/msg b");
    assert_eq!(read_line(&mut a), "error: usage: /msg <name> <text>");
    send_line(&mut a, "/mgs b typo");
    assert!(read_line(&mut a).starts_with("error: unknown command /mgs"));
    assert_eq!(
        who(&mut b),
        "online: a, b, c",
        "b got one private line only"
    );
    room.stop();
}

/// `SECRECT <to> <text>` (the original's spelling) is a private message:
/// only `<to>` gets it, never the room.
#[test]
fn secrect_reaches_only_its_target() {
    let mut room = Room::quiet();
    let mut alice = join(room.addr, "alice");
    let mut bob = join(room.addr, "bob");
    let mut cy = join(room.addr, "cy");
    assert_eq!(read_line(&mut bob), "cy joined");
    send_line(&mut alice, "SECRECT bob hi");
    assert_eq!(read_line(&mut bob), "[private] alice: hi");
    assert_eq!(who(&mut cy), "online: alice, bob, cy", "cy saw nothing");
    room.stop();
}

/// `/who` -> `online: ` and the names, sorted, separated by `, `.
#[test]
fn who_lists_the_names_sorted_and_comma_separated() {
    let mut room = Room::quiet();
    let _zoe = join(room.addr, "zoe");
    let _ann = join(room.addr, "ann");
    let mut mia = join(room.addr, "mia");
    assert_eq!(who(&mut mia), "online: ann, mia, zoe");
    room.stop();
}

/// `/quit` leaves: the connection is closed and the others get `<name> left`;
/// so do a plain disconnect and a reset (RST).
#[test]
fn quit_disconnect_and_reset_all_announce_left() {
    let mut room = Room::quiet();
    let mut a = join(room.addr, "a");
    let mut b = join(room.addr, "b");
    let c = join(room.addr, "c");
    let d = join(room.addr, "d");
    for n in ["b", "c", "d"] {
        assert_eq!(read_line(&mut a), format!("{n} joined"));
    }
    send_line(&mut b, "/quit");
    assert!(is_closed(&mut b, PATIENCE), "server closes after /quit");
    assert_eq!(read_line(&mut a), "b left");
    drop(c);
    assert_eq!(read_line(&mut a), "c left");
    testkit::reset(d);
    assert_eq!(read_line(&mut a), "d left");
    assert_eq!(who(&mut a), "online: a");
    room.stop();
}

/// Console `<text>` -> everyone gets `Server: <text>`; console `QUIT` ->
/// everyone gets `server shutting down`, connections close, the server stops.
#[test]
fn console_text_and_quit() {
    let mut room = Room::quiet();
    let mut a = join(room.addr, "a");
    let mut b = join(room.addr, "b");
    let mut lurker = connect(room.addr); // never names itself
    assert_eq!(read_line(&mut a), "b joined");
    room.console("  maintenance at noon \u{1b}[31m");
    assert_eq!(read_line(&mut a), "Server: maintenance at noon [31m");
    assert_eq!(read_line(&mut b), "Server: maintenance at noon [31m");
    room.console("QUIT");
    for s in [&mut a, &mut b, &mut lurker] {
        assert_eq!(read_line(s), "server shutting down");
        assert!(is_closed(s, PATIENCE));
    }
    let summary = room.join();
    assert_eq!((summary.clients, summary.peak), (3, 3));
}

// ---- hostile input ----

/// Relayed text has control characters removed: no escape sequences reach
/// other people's terminals.
#[test]
fn control_characters_are_stripped_from_relayed_text() {
    let mut room = Room::quiet();
    let mut a = join(room.addr, "a");
    let mut b = join(room.addr, "b");
    a.write_all(b"hi \x1b[2J\x07there\r\n").unwrap();
    assert_eq!(read_line_bytes(&mut b), b"a: hi [2Jthere");
    room.stop();
}

/// Invalid UTF-8 is relayed lossily (U+FFFD), never a panic, and the room
/// carries on.
#[test]
fn invalid_utf8_is_relayed_lossily() {
    let mut room = Room::quiet();
    let mut a = join(room.addr, "a");
    let mut b = join(room.addr, "b");
    a.write_all(b"caf\xc3 \xff\xfe ok\n").unwrap();
    assert_eq!(read_line(&mut b), "a: caf\u{fffd} \u{fffd}\u{fffd} ok");
    send_line(&mut b, "still here");
    assert_eq!(read_line(&mut a), "b joined");
    assert_eq!(read_line(&mut a), "b: still here");
    room.stop();
}

/// A 4096-byte line is fine; a longer one gets `error: line too long`, the
/// connection is closed, the others see `<name> left` and carry on.
#[test]
fn over_long_lines_are_refused_and_the_sender_closed() {
    let mut room = Room::quiet();
    let mut a = join(room.addr, "a");
    let mut b = join(room.addr, "b");
    let ok = "x".repeat(4096); // exactly the limit
    send_line(&mut a, &ok);
    assert_eq!(read_line(&mut b), format!("a: {ok}"));
    // 10,000 bytes without a newline, then more: it must not be buffered.
    a.write_all(&[b'y'; 10_000]).unwrap();
    assert_eq!(read_line(&mut a), "b joined");
    assert_eq!(read_line(&mut a), "error: line too long");
    let _ = a.write_all(&[b'z'; 50_000]);
    assert!(is_closed(&mut a, PATIENCE));
    assert_eq!(read_line(&mut b), "a left");
    assert_eq!(who(&mut b), "online: b");
    room.stop();
}

/// A client that connects and says nothing does not hold up anyone (the
/// original read the name with a blocking recv inside its loop); after the
/// idle timeout it is told and disconnected.
#[test]
fn silent_clients_block_nobody_and_time_out() {
    let mut room = Room::start(Config {
        quiet: true,
        idle_timeout: Duration::from_secs(3),
        ..Config::default()
    });
    let mut silent = connect(room.addr);
    silent.write_all(b"NAME:half-a-na").unwrap(); // no newline, then nothing
    let mut a = join(room.addr, "a");
    // Had the join waited for the silent client, it would be gone by now.
    assert!(
        !is_closed(&mut silent, Duration::from_millis(100)),
        "joined while the silent one waits"
    );
    silent.set_read_timeout(Some(PATIENCE)).unwrap();
    assert_eq!(read_line(&mut silent), "error: idle for 3s, disconnecting");
    assert!(is_closed(&mut silent, PATIENCE));
    // `a` has been silent about as long: it is timed out too, with a goodbye.
    assert_eq!(read_line(&mut a), "error: idle for 3s, disconnecting");
    assert!(is_closed(&mut a, PATIENCE));
    room.stop();
}

/// A client that never reads is disconnected once 1 MiB of output is queued
/// for it; another client receives every line meanwhile, and the server's
/// memory stays bounded.
#[test]
fn a_client_that_stops_reading_is_dropped_and_nobody_stalls() {
    let mut room = Room::quiet();
    // Small receive window so the kernel holds little on the reader's behalf.
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    sock.connect(&room.addr.into()).unwrap();
    let mut stuck: TcpStream = sock.into();
    assert_eq!(read_line(&mut stuck), PROMPT);
    send_line(&mut stuck, "NAME:stuck");
    assert_eq!(read_line(&mut stuck), "Welcome stuck"); // and never reads again
    let mut good = join(room.addr, "good");
    let mut talker = join(room.addr, "talker");
    assert_eq!(read_line(&mut good), "talker joined");

    const LINES: usize = 1500;
    let line = "m".repeat(4000);
    let reader = thread::spawn(move || {
        let mut r = BufReader::new(good);
        let mut got = 0;
        let mut buf = String::new();
        let mut left_seen = false;
        while got < LINES {
            buf.clear();
            assert!(r.read_line(&mut buf).unwrap() > 0, "EOF after {got} lines");
            if buf.starts_with("talker: ") {
                got += 1;
            } else if buf == "stuck left\n" {
                left_seen = true;
            }
        }
        (got, left_seen, r) // the socket stays open: `good` does not leave
    });
    for _ in 0..LINES {
        send_line(&mut talker, &line); // 6 MB in all
    }
    let (got, left_seen, _good) = reader.join().unwrap();
    assert_eq!(got, LINES, "the reading client got everything");
    assert!(left_seen, "the others were told the stuck client left");
    assert!(
        is_closed(&mut stuck, PATIENCE),
        "the stuck client was disconnected"
    );
    assert_eq!(read_line(&mut talker), "stuck left");
    assert_eq!(who(&mut talker), "online: good, talker");
    let summary = room.stop();
    assert_eq!(summary.slow_dropped, 1);
}

/// Shutdown (the signal path) with idle clients connected: everyone is told,
/// connections close, `serve` returns promptly.
#[test]
fn shutdown_tells_idle_clients_and_returns_promptly() {
    let mut room = Room::quiet();
    let mut idle: Vec<TcpStream> = (0..5)
        .map(|i| join(room.addr, &format!("idle{i}")))
        .collect();
    let mut anonymous = connect(room.addr);
    send_line(&mut anonymous, "hello?"); // not a NAME: line, so never in the room
    assert!(read_line(&mut anonymous).starts_with("error: say who you are first"));
    let start = Instant::now();
    room.shutdown.trigger();
    let summary = room.join();
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(summary.clients, 6);
    for s in idle.iter_mut().chain([&mut anonymous]) {
        let mut last = String::new();
        for _ in 0..6 {
            last = read_line(s);
            if last == "server shutting down" {
                break;
            }
        }
        assert_eq!(last, "server shutting down");
        assert!(is_closed(s, PATIENCE));
    }
}

/// 1,000 clients at once, on blocking sockets spread over four threads: all
/// join, and all receive one console broadcast.
#[test]
fn a_thousand_clients_all_receive_a_broadcast() {
    const CLIENTS: usize = 1000;
    const THREADS: usize = 4;
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let mut server = Server::spawn(BIN, &["server", "--port", "0", "--quiet"]);
    let addr = server.addr();
    let joined = Arc::new(Barrier::new(THREADS + 1));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let joined = Arc::clone(&joined);
            thread::spawn(move || {
                let mut clients = Vec::new();
                for i in (t..CLIENTS).step_by(THREADS) {
                    let mut s = testkit::connect(addr);
                    send_line(&mut s, &format!("NAME:c{i}"));
                    clients.push((i, BufReader::new(s)));
                }
                let mut line = String::new();
                for (i, r) in &mut clients {
                    line.clear();
                    r.read_line(&mut line).unwrap();
                    assert_eq!(line, format!("{PROMPT}\n"));
                    line.clear();
                    r.read_line(&mut line).unwrap();
                    assert_eq!(line, format!("Welcome c{i}\n"));
                }
                joined.wait();
                let mut got = 0;
                for (i, r) in &mut clients {
                    // Skip the `joined` lines of those who came later.
                    loop {
                        line.clear();
                        assert!(r.read_line(&mut line).unwrap() > 0, "c{i}: EOF");
                        if line == "Server: all hands\n" {
                            got += 1;
                            break;
                        }
                        assert!(line.ends_with(" joined\n"), "c{i}: {line:?}");
                    }
                }
                got
            })
        })
        .collect();
    joined.wait();
    writeln!(server.stdin(), "all hands").unwrap();
    let got: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert_eq!(got, CLIENTS);
    server.signal("TERM");
    let (status, rest) = server.wait(PATIENCE);
    assert!(status.success());
    assert!(
        rest.iter().any(|l| l.starts_with(&format!(
            "shut down: served {CLIENTS} clients (at most {CLIENTS} at once)"
        ))),
        "{rest:?}"
    );
}

// ---- the real binaries ----

/// A running `client` process with its stdout lines on a channel.
struct ClientProc {
    child: Child,
    lines: Receiver<String>,
}

impl ClientProc {
    fn spawn(addr: SocketAddr, name: &str) -> ClientProc {
        let port = addr.port().to_string();
        let mut child = Command::new(BIN)
            .args(["client", "--port", &port, "--name", name])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        ClientProc { child, lines }
    }

    fn say(&mut self, line: &str) {
        writeln!(self.child.stdin.as_mut().unwrap(), "{line}").unwrap();
    }

    fn expect(&self, want: &str) {
        let got = self
            .lines
            .recv_timeout(PATIENCE)
            .unwrap_or_else(|_| panic!("no line, wanted {want:?}"));
        assert_eq!(got, want);
    }

    fn wait_exit(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "client did not exit");
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for ClientProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Three real clients chat through the real server exactly as the table
/// says; QUIT, /quit and a server shutdown each end a client with exit 0.
#[test]
fn three_binary_clients_chat() {
    let mut server = Server::spawn(BIN, &["server", "--port", "0"]);
    let addr = server.addr();
    let mut ann = ClientProc::spawn(addr, "ann");
    ann.expect("Welcome ann");
    let mut bob = ClientProc::spawn(addr, "bob");
    bob.expect("Welcome bob");
    ann.expect("bob joined");
    let mut cy = ClientProc::spawn(addr, "cy");
    cy.expect("Welcome cy");
    ann.expect("cy joined");
    bob.expect("cy joined");

    ann.say("hi all");
    bob.expect("ann: hi all");
    cy.expect("ann: hi all");
    bob.say("/msg cy psst");
    cy.expect("[private] bob: psst");
    cy.say("/who");
    cy.expect("online: ann, bob, cy");
    writeln!(server.stdin(), "hello from the console").unwrap();
    for c in [&ann, &bob, &cy] {
        c.expect("Server: hello from the console");
    }
    server.expect_line(|l| l == "ann: hi all");

    ann.say("QUIT");
    assert!(ann.wait_exit().success());
    bob.expect("ann left");
    cy.expect("ann left");
    bob.say("/quit");
    assert!(bob.wait_exit().success());
    cy.expect("bob left");

    writeln!(server.stdin(), "QUIT").unwrap();
    cy.expect("server shutting down");
    assert!(
        cy.wait_exit().success(),
        "the server closing ends the client with 0"
    );
    let (status, rest) = server.wait(PATIENCE);
    assert!(status.success());
    assert!(
        rest.last()
            .unwrap()
            .starts_with("shut down: served 3 clients (at most 3 at once), relayed 2 messages"),
        "{rest:?}"
    );
}

/// A plain TCP client (what `nc` does: raw lines, no client program) takes
/// part like any other.
#[test]
fn a_raw_tcp_client_like_nc_can_chat() {
    let server = Server::spawn(BIN, &["server", "--port", "0", "--quiet"]);
    let mut raw = TcpStream::connect(server.addr()).unwrap();
    raw.set_read_timeout(Some(PATIENCE)).unwrap();
    raw.write_all(b"NAME:nc\r\nhello from nc\r\n").unwrap();
    let mut ann = ClientProc::spawn(server.addr(), "ann");
    ann.expect("Welcome ann");
    assert_eq!(
        read_line(&mut raw),
        PROMPT,
        "an nc user is told what to type"
    );
    assert_eq!(read_line(&mut raw), "Welcome nc");
    assert_eq!(read_line(&mut raw), "ann joined");
    ann.say("hi nc");
    assert_eq!(read_line(&mut raw), "ann: hi nc");
    raw.write_all(b"hi ann\n").unwrap();
    ann.expect("nc: hi ann");
}

/// Starts the server binary through `sh` with stdin redirected as `redirect`
/// says (`< file`, `< /dev/null`, `<&-`).
fn server_with_stdin(redirect: &str) -> Server {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("exec \"$0\" server --port 0 {redirect}"))
        .arg(BIN);
    Server::start(cmd)
}

/// With stdin from /dev/null, or closed altogether, the server serves as
/// usual (a closed stdin must not let a client socket become descriptor 0
/// and be read as the console) and stops on SIGTERM with exit 0.
#[test]
fn server_runs_with_stdin_null_or_closed() {
    for redirect in ["< /dev/null", "<&-"] {
        let mut server = server_with_stdin(redirect);
        let mut a = join(server.addr(), "a");
        let mut b = join(server.addr(), "b");
        send_line(&mut b, "QUIT");
        assert_eq!(read_line(&mut a), "b joined", "{redirect}");
        assert_eq!(
            read_line(&mut a),
            "b: QUIT",
            "{redirect}: a client's QUIT is just text"
        );
        assert_eq!(who(&mut a), "online: a, b", "{redirect}");
        server.signal("TERM");
        let (status, rest) = server.wait(PATIENCE);
        assert!(status.success(), "{redirect}");
        assert!(
            rest.last()
                .unwrap()
                .starts_with("shut down: served 2 clients"),
            "{redirect}: {rest:?}"
        );
        assert_eq!(read_line(&mut a), "server shutting down");
    }
}

/// Stdin from a file: its lines are console lines; a file ending without
/// QUIT leaves the server running, a QUIT line in it stops the server.
#[test]
fn server_reads_a_file_as_its_console() {
    let dir = std::env::temp_dir().join(format!("lesson08-console-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let talk = dir.join("talk.txt");
    std::fs::write(&talk, "hello\n").unwrap();
    let mut server = server_with_stdin(&format!("< '{}'", talk.display()));
    let mut a = join(server.addr(), "a");
    send_line(&mut a, "/who");
    let mut line = read_line(&mut a);
    if line == "Server: hello" {
        line = read_line(&mut a); // the file was read after `a` joined
    }
    assert_eq!(line, "online: a", "the server outlives its console's EOF");
    server.signal("INT");
    assert!(server.wait(PATIENCE).0.success());

    let quit = dir.join("quit.txt");
    std::fs::write(&quit, "QUIT\n").unwrap();
    let mut server = server_with_stdin(&format!("< '{}'", quit.display()));
    let (status, rest) = server.wait(PATIENCE);
    assert!(status.success());
    assert!(
        rest.last()
            .unwrap()
            .starts_with("shut down: served 0 clients"),
        "{rest:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The log names a client once: `<address> joined` for one that sent
/// `NAME:` alone, `<name> joined from <address>` for a named one.
#[test]
fn an_unnamed_clients_log_line_gives_its_address_once() {
    let server = Server::spawn(BIN, &["server", "--port", "0"]);
    let mut s = connect(server.addr());
    let me = s.local_addr().unwrap();
    send_line(&mut s, "NAME:");
    assert_eq!(read_line(&mut s), format!("Welcome {me}"));
    server.expect_line(|l| l == format!("{me} joined"));
    drop(s);
    server.expect_line(|l| l == format!("{me} left (closed the connection)"));
    let _ann = join(server.addr(), "ann");
    server.expect_line(|l| l.starts_with("ann joined from 127.0.0.1:"));
}

/// SIGINT and SIGTERM with idle clients: summary line, exit 0 within 2 s.
#[test]
fn signals_stop_the_server_within_two_seconds() {
    for sig in ["INT", "TERM"] {
        let mut server = Server::spawn(BIN, &["server", "--port", "0"]);
        let mut idle = join(server.addr(), "idle");
        let _silent = connect(server.addr()); // accepted: it got the prompt
        server.expect_line(|l| l.starts_with("idle joined from 127.0.0.1:"));
        let start = Instant::now();
        server.signal(sig);
        let (status, rest) = server.wait(Duration::from_secs(5));
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{sig}: {:?}",
            start.elapsed()
        );
        assert!(status.success(), "{sig}");
        assert_eq!(
            rest,
            [
                "shut down: served 2 clients (at most 2 at once), relayed 0 messages, dropped 0 slow readers"
            ],
            "{sig}"
        );
        assert_eq!(read_line(&mut idle), "server shutting down");
    }
}

/// The client on a pipe: lines before EOF are sent; EOF on stdin leaves the
/// room (the server closes, the client exits 0).
#[test]
fn binary_client_sends_piped_lines_and_exits_on_eof() {
    let server = Server::spawn(BIN, &["server", "--port", "0", "--quiet"]);
    let mut watcher = join(server.addr(), "watcher");
    let port = server.addr().port().to_string();
    let run = testkit::run(
        BIN,
        &["client", "--port", &port, "--name", "piper"],
        b"one\ntwo\n",
        PATIENCE,
    );
    assert_eq!(run.code(), Some(0), "{run:?}");
    assert!(run.stdout.starts_with("Welcome piper\n"), "{}", run.stdout);
    for want in ["piper joined", "piper: one", "piper: two", "piper left"] {
        assert_eq!(read_line(&mut watcher), want);
    }
}

/// Bad arguments exit 2; a refused connection is an `error:` line, exit 1.
#[test]
fn bad_arguments_and_refused_connections() {
    for args in [
        &["server", "--port", "x"][..],
        &["client", "--bogus"],
        &["server", "--idle-timeout", "0"],
    ] {
        let run = testkit::run(BIN, args, b"", PATIENCE);
        assert_eq!(run.code(), Some(2), "{args:?}: {run:?}");
    }
    let refused = testkit::refused_port();
    let port = refused.port.to_string();
    let run = testkit::run(
        BIN,
        &["client", "--port", &port, "--name", "x"],
        b"",
        PATIENCE,
    );
    assert_eq!(run.code(), Some(1));
    assert!(
        run.stderr.starts_with("error: connect to 127.0.0.1:"),
        "{}",
        run.stderr
    );
}

/// Out of descriptors (EMFILE): the server pauses accepting instead of
/// exiting or spinning, and serves the waiting clients once others leave.
#[test]
fn emfile_pauses_accepting_and_recovers() {
    // The hard limit is lowered too, so the server cannot raise it back.
    let mut server = Server::start(testkit::with_nofile_limit(
        BIN,
        &["server", "--port", "0", "--quiet"],
        32,
    ));
    let addr = server.addr();
    let mut joined = Vec::new();
    let mut waiting = Vec::new();
    for i in 0..40 {
        let mut s = testkit::connect(addr);
        send_line(&mut s, &format!("NAME:c{i}"));
        waiting.push(s);
    }
    // Whoever the server could take gets a welcome; the rest wait in the backlog.
    // The backlog is first come, first served: stop at the first one waiting.
    while !waiting.is_empty() {
        let mut s = waiting.remove(0);
        s.set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let mut byte = [0u8; 1];
        if let Ok(1) = std::io::Read::read(&mut s, &mut byte) {
            joined.push(s);
        } else {
            waiting.insert(0, s);
            break;
        }
    }
    assert!(
        !waiting.is_empty() && joined.len() < 32,
        "{} joined",
        joined.len()
    );
    testkit::eventually("the EMFILE message", || {
        server.stderr().contains("Too many open files")
    });
    // 50 ticks of 10 ms: a third of the interval, far below a spinning loop.
    server.assert_not_spinning(Duration::from_millis(1500), Duration::from_millis(500));
    // Ten leave; ten of the waiting get in.
    joined.truncate(joined.len() - 10);
    for s in waiting.iter_mut().take(5) {
        s.set_read_timeout(Some(PATIENCE)).unwrap();
        assert_eq!(read_line(s), PROMPT);
        let line = read_line(s);
        assert!(line.starts_with("Welcome c"), "{line}");
    }
    testkit::eventually("the recovery message", || {
        server.stderr().contains("recovered")
    });
    server.signal("TERM");
    assert!(server.wait(PATIENCE).0.success());
}

/// The server raises its soft descriptor limit to the hard limit (started
/// here with a soft limit of 256), so 10,000 clients are not stopped at 1,024.
#[test]
fn server_raises_its_soft_descriptor_limit() {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -S -n 256 && exec \"$0\" server --port 0 --quiet")
        .arg(BIN);
    let server = Server::start(cmd);
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", server.pid())).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let nums: Vec<&str> = line.split_whitespace().skip(3).take(2).collect();
    assert_eq!(
        nums[0], nums[1],
        "soft limit raised to the hard limit: {line}"
    );
    assert_ne!(nums[0], "256", "{line}");
}
