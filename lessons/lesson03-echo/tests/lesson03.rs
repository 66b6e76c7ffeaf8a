//! Lesson 03: the echo server and the interactive client, as a library on
//! `127.0.0.1:0` and as the real binary: byte-exact echo of any size,
//! timeouts, hostile peers, signals, bad arguments, running out of file
//! descriptors.

use std::io::{Read, Write};
use std::net::{Shutdown as Half, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use common::Shutdown;
use lesson03_echo::{MAX_LINE, ServerConfig, Summary, converse, read_echo, serve};
use testkit::{PATIENCE, Server};

const BIN: &str = env!("CARGO_BIN_EXE_lesson03-echo");

/// The SPEC's promise: a signal stops the server within 2 s.
const SHUTDOWN_LIMIT: Duration = Duration::from_secs(2);

/// Runs `serve` in a thread on a free loopback port.
fn start(idle: f64) -> (SocketAddr, Shutdown, JoinHandle<Summary>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = Shutdown::new();
    let s = shutdown.clone();
    let config = ServerConfig {
        idle_timeout: Duration::from_secs_f64(idle),
    };
    let handle = thread::spawn(move || serve(listener, &s, &config).unwrap());
    (addr, shutdown, handle)
}

/// Every byte value, repeated to `len` bytes, in an order that is not a
/// simple cycle (so a lost or repeated chunk changes the result).
fn binary_data(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..len)
        .map(|i| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            if i % 2 == 0 {
                (i / 2 % 256) as u8
            } else {
                (x >> 24) as u8
            }
        })
        .collect()
}

/// Sends `data` from a writer thread while this thread reads the echo (the
/// server echoes as it reads, so writing everything first could fill every
/// buffer and block both sides); returns what came back before EOF.
fn echo_through(addr: SocketAddr, data: Vec<u8>) -> Vec<u8> {
    let mut stream = testkit::connect(addr);
    let mut writer = stream.try_clone().unwrap();
    let sender = thread::spawn(move || {
        writer.write_all(&data).unwrap();
        writer.shutdown(Half::Write).unwrap();
    });
    let echoed = testkit::read_to_end(&mut stream);
    sender.join().unwrap();
    echoed
}

/// A listener whose first connection is handed to `serve` in a thread.
fn one_shot<T: Send + 'static>(
    serve: impl FnOnce(TcpStream) -> T + Send + 'static,
) -> (SocketAddr, JoinHandle<T>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        serve(stream)
    });
    (addr, handle)
}

// ---- The library ----

/// The echo is byte-exact and the summary counts every byte.
#[test]
fn serve_echoes_binary_data_exactly_and_counts_it() {
    let (addr, shutdown, handle) = start(30.0);
    let data = binary_data(1024 * 1024);
    assert!(echo_through(addr, data.clone()) == data, "echo differs");
    assert!(echo_through(addr, Vec::new()).is_empty());
    shutdown.trigger();
    assert_eq!(
        handle.join().unwrap(),
        Summary {
            clients: 2,
            bytes: 1024 * 1024
        }
    );
}

/// `converse`: each line goes out with its newline and its echo is printed;
/// invalid UTF-8 is shown lossily; a last line without a newline is sent
/// with one; at the end the server has closed and counted every byte.
#[test]
fn converse_prints_each_echoed_line() {
    let (addr, shutdown, handle) = start(30.0);
    let stream = testkit::connect(addr);
    let mut out = Vec::new();
    let input = &b"one\ntwo words\n\xff\xfe\n\nlast"[..];
    let n = converse(&stream, Duration::from_secs(5), input, &mut out).unwrap();
    assert_eq!(n, 5);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "one\ntwo words\n\u{fffd}\u{fffd}\n\nlast\n"
    );
    shutdown.trigger();
    // 4 + 10 + 3 + 1 + 5 bytes, each line with its newline.
    assert_eq!(handle.join().unwrap().bytes, 23);
}

/// An echo that arrives in pieces is reassembled: TCP has no boundaries.
#[test]
fn read_echo_collects_an_echo_split_in_pieces() {
    let (addr, _server) = one_shot(|mut s| {
        for piece in [&b"hel"[..], b"lo", b"\n"] {
            s.write_all(piece).unwrap();
            thread::sleep(Duration::from_millis(100));
        }
    });
    let stream = testkit::connect(addr);
    assert_eq!(
        read_echo(&stream, 6, Duration::from_secs(5)).unwrap(),
        b"hello\n"
    );
}

/// A server that never echoes: the error names the timeout.
#[test]
fn converse_times_out_naming_the_timeout() {
    let (done, wait) = mpsc::channel::<()>();
    let (addr, _server) = one_shot(move |s| {
        let _ = wait.recv_timeout(PATIENCE);
        drop(s);
    });
    let stream = testkit::connect(addr);
    let err = converse(
        &stream,
        Duration::from_millis(300),
        &b"hi\n"[..],
        &mut Vec::new(),
    )
    .unwrap_err();
    drop(done);
    assert_eq!(
        format!("{err:#}"),
        format!("read echo from {addr}: no echo within 0.3s (0 of 3 bytes received)")
    );
}

/// A server that closes before echoing: a clear error, not a hang.
#[test]
fn converse_reports_a_server_that_closed_early() {
    let (addr, _server) = one_shot(|mut s| {
        let mut buf = [0u8; 3];
        s.read_exact(&mut buf).unwrap();
        s.write_all(b"h").unwrap();
    });
    let stream = testkit::connect(addr);
    let err = converse(
        &stream,
        Duration::from_secs(5),
        &b"hi\n"[..],
        &mut Vec::new(),
    )
    .unwrap_err();
    assert_eq!(
        format!("{err:#}"),
        format!(
            "read echo from {addr}: server closed the connection (1 of 3 bytes of the echo received)"
        )
    );
}

/// A stdin line over the limit is refused before anything is sent.
#[test]
fn converse_refuses_an_over_long_input_line() {
    let (addr, server) = one_shot(|mut s| testkit::read_to_end(&mut s));
    let stream = testkit::connect(addr);
    let mut input = vec![b'x'; MAX_LINE + 1];
    input.push(b'\n');
    let err = converse(&stream, Duration::from_secs(5), &input[..], &mut Vec::new()).unwrap_err();
    assert_eq!(
        format!("{err:#}"),
        format!("read stdin: line longer than {MAX_LINE} bytes")
    );
    drop(stream);
    assert!(server.join().unwrap().is_empty());
}

/// A silent client is dropped after the idle timeout; the client queued
/// behind it is served next.
#[test]
fn serve_times_out_a_silent_client_and_serves_the_next() {
    let (addr, shutdown, handle) = start(1.0);
    let mut silent = testkit::connect(addr);
    let next = thread::spawn(move || echo_through(addr, b"next\n".to_vec()));
    assert!(testkit::is_closed(&mut silent, PATIENCE));
    assert_eq!(next.join().unwrap(), b"next\n");
    shutdown.trigger();
    assert_eq!(handle.join().unwrap().clients, 2);
}

// ---- The real binaries ----

fn spawn_server(args: &[&str]) -> Server {
    let mut all = vec!["server", "--port", "0"];
    all.extend_from_slice(args);
    Server::spawn(BIN, &all)
}

/// Stops a server with `signal`: exit 0 within 2 s, summary line last.
fn stop(mut server: Server, signal: &str) -> String {
    server.signal(signal);
    let (status, rest) = server.wait(SHUTDOWN_LIMIT);
    assert_eq!(status.code(), Some(0), "stderr: {}", server.stderr());
    let summary = rest.last().cloned().unwrap_or_default();
    assert!(summary.starts_with("shut down: "), "{rest:?}");
    summary
}

fn run_client(port: u16, extra: &[&str], input: &[u8]) -> testkit::Run {
    let port = port.to_string();
    let mut args = vec!["client", "--port", &port];
    args.extend_from_slice(extra);
    testkit::run(BIN, &args, input, PATIENCE)
}

/// The client binary against the server binary: stdout is exactly the
/// echoed lines, exit 0; the server logs the visit and the byte count.
#[test]
fn binary_client_and_server_echo_lines() {
    let server = spawn_server(&[]);
    let run = run_client(server.addr().port(), &[], b"hello\nworld\n");
    assert_eq!(run.code(), Some(0), "stderr: {}", run.stderr);
    assert_eq!(run.stdout, "hello\nworld\n");
    assert_eq!(run.stderr, format!("connected to {}\n", server.addr()));
    server.expect_line(|l| l.ends_with(" connected"));
    server.expect_line(|l| l.ends_with(" disconnected after 12 bytes"));
    assert_eq!(
        stop(server, "TERM"),
        "shut down: served 1 client, echoed 12 bytes"
    );
}

/// Invalid UTF-8 and control bytes on stdin: sent as they are, the echo is
/// printed lossily with escapes, no panic, exit 0. A line of exactly
/// MAX_LINE bytes also makes the round trip.
#[test]
fn binary_client_handles_invalid_utf8_and_a_maximal_line() {
    let server = spawn_server(&[]);
    let mut input = b"\xff\xfeok\x1b[2J\n".to_vec();
    input.extend(vec![b'm'; MAX_LINE]);
    input.push(b'\n');
    let run = run_client(server.addr().port(), &[], &input);
    assert_eq!(run.code(), Some(0), "stderr: {}", run.stderr);
    let mut lines = run.stdout.lines();
    assert_eq!(lines.next(), Some("\u{fffd}\u{fffd}ok\\u{1b}[2J"));
    assert_eq!(lines.next().map(str::len), Some(MAX_LINE));
    server.expect_line(|l| l.ends_with(&format!(" after {} bytes", input.len())));
}

/// A server that accepts but never echoes: exit 1 and an error that names
/// the timeout.
#[test]
fn binary_client_timeout_names_the_timeout() {
    let (done, wait) = mpsc::channel::<()>();
    let (addr, _server) = one_shot(move |s| {
        let _ = wait.recv_timeout(PATIENCE);
        drop(s);
    });
    let run = run_client(addr.port(), &["--timeout", "0.5"], b"ping\n");
    drop(done);
    assert_eq!(run.code(), Some(1));
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.ends_with(&format!(
            "error: read echo from {addr}: no echo within 0.5s (0 of 5 bytes received)\n"
        )),
        "{}",
        run.stderr
    );
}

/// A server that closes early: exit 1 with a clear error line.
#[test]
fn binary_client_reports_a_server_that_closed_early() {
    let (addr, _server) = one_shot(|mut s| {
        let mut buf = [0u8; 5];
        s.read_exact(&mut buf).unwrap();
    });
    let run = run_client(addr.port(), &[], b"ping\nmore\n");
    assert_eq!(run.code(), Some(1));
    assert!(
        run.stderr.contains(&format!(
            "error: read echo from {addr}: server closed the connection (0 of 5 bytes"
        )),
        "{}",
        run.stderr
    );
}

/// Nobody listening: exit 1, the error names the address.
#[test]
fn binary_client_refused_names_the_address() {
    let refused = testkit::refused_port();
    let port = refused.port;
    let run = run_client(port, &[], b"x\n");
    assert_eq!(run.code(), Some(1));
    assert!(
        run.stderr.starts_with(&format!(
            "error: connect to 127.0.0.1:{port}: Connection refused"
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("refused"), "{}", run.stderr);
}

/// Empty stdin: connect, half-close, the server closes, exit 0.
#[test]
fn binary_client_with_empty_stdin_half_closes_and_exits_0() {
    let server = spawn_server(&[]);
    let run = run_client(server.addr().port(), &[], b"");
    assert_eq!(run.code(), Some(0), "stderr: {}", run.stderr);
    assert_eq!(run.stdout, "");
    server.expect_line(|l| l.ends_with(" disconnected after 0 bytes"));
}

/// 10 MiB with every byte value comes back byte-exact from the binary,
/// and the server's memory does not grow with it.
#[test]
fn binary_server_echoes_10_mib_of_binary_data() {
    let server = spawn_server(&[]);
    let rss_before = testkit::rss_kib(server.pid());
    let data = binary_data(10 * 1024 * 1024);
    let echoed = echo_through(server.addr(), data.clone());
    assert_eq!(echoed.len(), data.len());
    assert!(echoed == data, "echo differs");
    server.expect_line(|l| l.ends_with(&format!(" after {} bytes", data.len())));
    // The echo goes through one fixed buffer: memory does not grow with the
    // amount echoed (10 MiB kept anywhere would show here).
    let grown = testkit::rss_kib(server.pid()).saturating_sub(rss_before);
    assert!(grown < 4 * 1024, "server RSS grew by {grown} KiB");
}

/// Used like `nc`: a plain socket writes a line and reads it back.
#[test]
fn binary_server_works_with_a_plain_socket() {
    let server = spawn_server(&[]);
    let mut s = testkit::connect(server.addr());
    testkit::send_line(&mut s, "hello");
    assert_eq!(testkit::read_line(&mut s), "hello");
    testkit::send_line(&mut s, "again");
    assert_eq!(testkit::read_line(&mut s), "again");
}

/// Hostile peers: invalid UTF-8 (echoed byte-exact), connect and vanish, a
/// reset in the middle of a message, and a client silent past
/// `--idle-timeout 1`; after each one the next client is served.
#[test]
fn binary_server_survives_hostile_peers() {
    let server = spawn_server(&["--idle-timeout", "1"]);
    let addr = server.addr();
    let normal = || assert_eq!(echo_through(addr, b"normal\n".to_vec()), b"normal\n");

    assert_eq!(
        echo_through(addr, b"\xff\xfe\x00\x1b[2J\n".to_vec()),
        b"\xff\xfe\x00\x1b[2J\n"
    );
    normal();

    drop(testkit::connect(addr));
    normal();

    let mut c = testkit::connect(addr);
    c.write_all(b"half a mess").unwrap();
    testkit::reset(c);
    normal();

    // The silent client holds the server; the next one queues behind it.
    let mut silent = testkit::connect(addr);
    server.expect_line(|l| l.ends_with(" connected"));
    let queued = thread::spawn(move || echo_through(addr, b"queued\n".to_vec()));
    server.expect_line(|l| l.ends_with(" idle for 1s, disconnecting"));
    assert!(testkit::is_closed(&mut silent, PATIENCE));
    assert_eq!(queued.join().unwrap(), b"queued\n");

    assert!(
        !server.stderr().contains("internal error"),
        "{}",
        server.stderr()
    );
    let summary = stop(server, "INT");
    assert!(
        summary.starts_with("shut down: served 8 clients, echoed "),
        "{summary}"
    );
}

/// SIGTERM and SIGINT with an idle client connected: summary, exit 0
/// within 2 s, though the idle timeout is the default 30 s.
#[test]
fn binary_server_signals_stop_it_with_an_idle_client() {
    for signal in ["TERM", "INT"] {
        let server = spawn_server(&[]);
        let mut idle = testkit::connect(server.addr());
        // Half a line and its echo, so the server has certainly counted it.
        idle.write_all(b"partial line, no newline").unwrap();
        let mut echo = [0u8; 24];
        idle.read_exact(&mut echo).unwrap();
        assert_eq!(&echo, b"partial line, no newline");
        assert_eq!(
            stop(server, signal),
            "shut down: served 1 client, echoed 24 bytes",
            "SIG{signal}"
        );
    }
}

/// Bad arguments exit 2 with clap's usage, for both subcommands.
#[test]
fn binary_bad_arguments_exit_2() {
    for bad in [
        &[][..],
        &["serve"],
        &["server", "--port", "-1"],
        &["server", "--idle-timeout", "0"],
        &["client", "--timeout", "never"],
        &["client", "--port", "65536"],
    ] {
        let run = testkit::run(BIN, bad, b"", PATIENCE);
        assert_eq!(run.code(), Some(2), "{bad:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("error:") || run.stderr.contains("Usage:"),
            "{bad:?}: {}",
            run.stderr
        );
        assert_eq!(run.stdout, "", "{bad:?}");
    }
}

/// Out of file descriptors: reported, no exit, no spinning, and a clean
/// shutdown afterwards. The limit is the smallest at which the server starts.
#[test]
fn binary_server_out_of_descriptors_waits_instead_of_dying_or_spinning() {
    let (mut server, _) =
        Server::start_with_fewest_descriptors(BIN, &["server", "--port", "0"], 4..=16);
    let mut client = TcpStream::connect_timeout(&server.addr(), PATIENCE).unwrap();
    client.write_all(b"hello\n").unwrap();
    testkit::eventually("an EMFILE report", || {
        server.stderr().contains("Too many open files")
            || server
                .next_line(Duration::from_millis(10))
                .is_some_and(|l| l.contains("Too many open files"))
    });
    server.assert_not_spinning(Duration::from_secs(1), Duration::from_millis(500));
    stop(server, "TERM");
}
