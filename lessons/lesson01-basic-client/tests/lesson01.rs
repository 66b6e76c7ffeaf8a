//! Lesson 01: the client library against a server written in the test, and
//! the real binary's output, exit codes and error lines.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use lesson01_basic_client::{Args, exchange};
use testkit::PATIENCE;

const BIN: &str = env!("CARGO_BIN_EXE_lesson01-basic-client");

/// A listener on a free loopback port that runs `serve` on its first
/// connection, in a thread; the handle returns what `serve` returns.
fn one_shot<T: Send + 'static>(
    serve: impl FnOnce(TcpStream) -> T + Send + 'static,
) -> (SocketAddr, JoinHandle<T>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        stream.set_write_timeout(Some(PATIENCE)).unwrap();
        serve(stream)
    });
    (addr, handle)
}

/// Reads what the client sent until it half-closes, so the test fails (by
/// timing out) if the client forgets `shutdown(Write)`.
fn read_request(stream: &mut TcpStream) -> Vec<u8> {
    let mut request = Vec::new();
    stream
        .read_to_end(&mut request)
        .expect("request ends with the client's half-close");
    request
}

fn args(host: &str, port: u16, message: &str, timeout: f64) -> Args {
    Args {
        host: host.into(),
        port,
        message: message.into(),
        timeout: Duration::from_secs_f64(timeout),
    }
}

/// A port nobody listens on (see `testkit::RefusedPort`); keep the guard.
fn unused_port() -> testkit::RefusedPort {
    testkit::refused_port()
}

/// The whole conversation: the server sees exactly the message followed by
/// EOF (the half-close), and a reply that arrives in two pieces is read whole.
#[test]
fn exchange_sends_half_closes_and_reads_a_split_reply_to_eof() {
    let (addr, server) = one_shot(|mut s| {
        let request = read_request(&mut s);
        s.write_all(b"Hello ").unwrap();
        s.flush().unwrap();
        thread::sleep(Duration::from_millis(200));
        s.write_all(b"client").unwrap();
        request
    });
    let mut out = Vec::new();
    exchange(
        &args("127.0.0.1", addr.port(), "hello server", 5.0),
        &mut out,
    )
    .unwrap();
    assert_eq!(server.join().unwrap(), b"hello server");
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!("connected to {addr}\nreceived: Hello client\n")
    );
}

/// A reply with invalid UTF-8 and a terminal escape is printed lossily and
/// escaped, never trusted and never a panic.
#[test]
fn hostile_reply_bytes_are_printed_safely() {
    let (addr, _server) = one_shot(|mut s| {
        read_request(&mut s);
        s.write_all(b"ok \xff\x1b[2J").unwrap();
    });
    let mut out = Vec::new();
    exchange(&args("127.0.0.1", addr.port(), "hi", 5.0), &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.ends_with("received: ok \u{fffd}\\u{1b}[2J\n"),
        "{out:?}"
    );
}

/// A reply of several MiB is printed whole, and a character split between
/// two reads is printed whole too (not as two U+FFFD).
#[test]
fn a_long_reply_is_printed_whole() {
    const SIZE: usize = 3 << 20;
    let (addr, _server) = one_shot(|mut s| {
        read_request(&mut s);
        s.write_all(&vec![b'x'; SIZE]).unwrap();
        s.write_all("你".as_bytes()[..1].as_ref()).unwrap();
        s.flush().unwrap();
        thread::sleep(Duration::from_millis(50)); // so the character is split
        s.write_all("你好".as_bytes()[1..].as_ref()).unwrap();
    });
    let mut out = Vec::new();
    exchange(&args("127.0.0.1", addr.port(), "hi", 10.0), &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    let reply = out.lines().nth(1).unwrap();
    assert_eq!(reply.len(), "received: ".len() + SIZE + "你好".len());
    assert!(reply.ends_with("x你好"), "{}", &reply[reply.len() - 20..]);
}

/// A server that accepts and never answers makes `exchange` fail once the
/// timeout runs out, with an error that names the timeout.
#[test]
fn silent_server_is_a_timeout_error_naming_the_timeout() {
    let (done, wait) = mpsc::channel::<()>();
    let (addr, server) = one_shot(move |mut s| {
        read_request(&mut s);
        // Keep the connection open, silent, until the test is over.
        let _ = wait.recv_timeout(PATIENCE);
    });
    let start = Instant::now();
    let err = exchange(&args("127.0.0.1", addr.port(), "hi", 0.3), &mut Vec::new()).unwrap_err();
    assert!(start.elapsed() < PATIENCE);
    drop(done);
    let text = format!("{err:#}");
    assert_eq!(
        text,
        format!("read reply from {addr}: no reply within 0.3s (0 bytes received)")
    );
    server.join().unwrap();
}

/// The real binary prints the two lines of the SPEC and exits 0.
#[test]
fn binary_prints_connected_and_received_lines() {
    let (addr, server) = one_shot(|mut s| {
        let request = read_request(&mut s);
        s.write_all(b"Hello client").unwrap();
        request
    });
    let port = addr.port().to_string();
    let run = testkit::run(BIN, &["--port", &port], b"", PATIENCE);
    assert_eq!(run.code(), Some(0), "stderr: {}", run.stderr);
    assert_eq!(
        run.stdout,
        format!("connected to {addr}\nreceived: Hello client\n")
    );
    assert_eq!(run.stderr, "");
    assert_eq!(
        server.join().unwrap(),
        b"hello server",
        "the default message"
    );
}

/// `--message` is sent byte for byte (UTF-8 included).
#[test]
fn binary_sends_the_given_message() {
    let (addr, server) = one_shot(|mut s| {
        let request = read_request(&mut s);
        s.write_all(b"ok").unwrap();
        request
    });
    let port = addr.port().to_string();
    let run = testkit::run(
        BIN,
        &["--port", &port, "--message", "你好, 套接字"],
        b"",
        PATIENCE,
    );
    assert_eq!(run.code(), Some(0), "stderr: {}", run.stderr);
    assert_eq!(server.join().unwrap(), "你好, 套接字".as_bytes());
}

/// A refused connection: exit 1 and one `error:` line naming the address once.
#[test]
fn binary_refused_connection_is_one_error_line_naming_the_address() {
    let refused = unused_port();
    let port = refused.port;
    let run = testkit::run(BIN, &["--port", &port.to_string()], b"", PATIENCE);
    assert_eq!(run.code(), Some(1));
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(&format!(
            "error: connect to 127.0.0.1:{port}: Connection refused"
        )),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.stderr.matches(&format!("127.0.0.1:{port}")).count(),
        1,
        "the address is named once: {}",
        run.stderr
    );
}

/// A server that accepts but never replies: exit 1, the error names the
/// timeout and the address, and the client gives up long before PATIENCE.
#[test]
fn binary_read_timeout_names_the_timeout_and_the_address() {
    let (done, wait) = mpsc::channel::<()>();
    let (addr, _server) = one_shot(move |mut s| {
        read_request(&mut s);
        let _ = wait.recv_timeout(PATIENCE);
    });
    let port = addr.port().to_string();
    let run = testkit::run(BIN, &["--port", &port, "--timeout", "0.5"], b"", PATIENCE);
    drop(done);
    assert_eq!(run.code(), Some(1));
    assert_eq!(run.stdout, format!("connected to {addr}\n"));
    assert_eq!(
        run.stderr,
        format!("error: read reply from {addr}: no reply within 0.5s (0 bytes received)\n")
    );
}

/// A listener whose accept queue is full drops new SYNs, so `connect`
/// itself hangs: `--timeout` bounds it and the error says so.
#[test]
fn binary_connect_timeout_names_the_timeout() {
    // A backlog of 0 lets the kernel queue one connection; we fill it and
    // never accept, so the next handshake cannot complete.
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    socket.bind(&addr.into()).unwrap();
    socket.listen(0).unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    let mut fillers = Vec::new();
    // Fill the queue: connect until one attempt no longer completes.
    for _ in 0..8 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(s) => fillers.push(s),
            Err(_) => break,
        }
    }
    let port = addr.port().to_string();
    let run = testkit::run(BIN, &["--port", &port, "--timeout", "0.5"], b"", PATIENCE);
    assert_eq!(run.code(), Some(1), "stdout: {}", run.stdout);
    assert_eq!(
        run.stderr,
        format!("error: connect to {addr}: timed out after 0.5s\n")
    );
}

/// Memory does not grow with the reply: 64 MiB pass through the binary to
/// stdout with a peak resident size under 16 MiB (a client that kept the
/// reply would need over 64).
#[test]
fn binary_prints_a_huge_reply_in_bounded_memory() {
    const MIB: usize = 1 << 20;
    let (addr, _server) = one_shot(|mut s| {
        read_request(&mut s);
        let chunk = vec![b'x'; MIB];
        for _ in 0..64 {
            if s.write_all(&chunk).is_err() {
                return;
            }
        }
    });
    let mut child = Command::new(BIN)
        .args(["--port", &addr.port().to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let counter = thread::spawn(move || {
        let mut buf = vec![0u8; MIB];
        let mut total = 0usize;
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            total += n;
        }
        total
    });
    let deadline = Instant::now() + PATIENCE;
    let mut peak_kib = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if let Some(kib) = testkit::peak_rss_kib(child.id()) {
            peak_kib = kib;
        }
        assert!(Instant::now() < deadline, "still running");
        thread::sleep(Duration::from_millis(5));
    };
    assert!(status.success(), "{status:?}");
    let printed = counter.join().unwrap();
    assert_eq!(
        printed,
        "connected to ".len() + addr.to_string().len() + 1 + "received: ".len() + 64 * MIB + 1
    );
    assert!(peak_kib > 0, "peak memory never read");
    assert!(peak_kib < 16 * 1024, "peak {peak_kib} KiB");
}

/// A server that resets the connection after a partial reply: an error
/// that says how much arrived, not a panic.
#[test]
fn binary_reports_a_reset_with_the_bytes_received() {
    let (addr, _server) = one_shot(|mut s| {
        read_request(&mut s);
        s.write_all(b"half a rep").unwrap();
        thread::sleep(Duration::from_millis(100));
        testkit::reset(s);
    });
    let port = addr.port().to_string();
    let run = testkit::run(BIN, &["--port", &port], b"", PATIENCE);
    assert_eq!(run.code(), Some(1));
    assert!(
        run.stderr
            .starts_with(&format!("error: read reply from {addr}: after 10 bytes: ")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("reset"), "{}", run.stderr);
}

/// `--host localhost` works whatever `localhost` resolves to first (`::1`
/// or `127.0.0.1`): the client tries every address until one answers.
#[test]
fn binary_host_name_tries_each_resolved_address() {
    let (addr, server) = one_shot(|mut s| {
        read_request(&mut s);
        s.write_all(b"from v4").unwrap();
        s.peer_addr().unwrap()
    });
    let port = addr.port().to_string();
    let run = testkit::run(
        BIN,
        &["--host", "localhost", "--port", &port],
        b"",
        PATIENCE,
    );
    assert_eq!(run.code(), Some(0), "stderr: {}", run.stderr);
    assert_eq!(
        run.stdout,
        format!("connected to {addr}\nreceived: from v4\n")
    );
    assert!(server.join().unwrap().ip().is_loopback());
}

/// Bad arguments are clap's business: usage on stderr, exit 2.
#[test]
fn binary_bad_arguments_exit_2() {
    for bad in [
        &["--port", "http"][..],
        &["--timeout", "0"],
        &["--timeout", "soon"],
        &["--no-such-flag"],
    ] {
        let run = testkit::run(BIN, bad, b"", PATIENCE);
        assert_eq!(run.code(), Some(2), "{bad:?}: {}", run.stderr);
        assert!(run.stderr.contains("error:"), "{bad:?}: {}", run.stderr);
    }
}

/// The client closes its side properly: after the exchange the server reads
/// EOF, not a reset, even when it replies only after a pause.
#[test]
fn server_sees_a_clean_close_after_a_slow_reply() {
    let (addr, server) = one_shot(|mut s| {
        read_request(&mut s);
        thread::sleep(Duration::from_millis(300));
        s.write_all(b"slow").unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        // After our FIN the client closes; a further read sees EOF (0).
        let mut buf = [0u8; 8];
        s.read(&mut buf).map_err(|e| e.kind())
    });
    let mut out = Vec::new();
    exchange(&args("127.0.0.1", addr.port(), "hi", 5.0), &mut out).unwrap();
    assert_eq!(server.join().unwrap(), Ok(0));
    assert!(
        String::from_utf8(out)
            .unwrap()
            .ends_with("received: slow\n")
    );
}

/// A server that reads only part of a long message, replies and closes
/// (lesson 02 does this): the unread bytes make its close a reset, which
/// may arrive before our half-close. Either way the client reports the
/// reset as a failed read of the reply, not a confusing shutdown error.
#[test]
fn binary_reports_a_reset_from_a_server_that_read_only_part() {
    let (addr, _server) = one_shot(|mut s| {
        thread::sleep(Duration::from_millis(200)); // the whole message arrives
        let mut part = [0u8; 1024];
        let n = s.read(&mut part).unwrap();
        s.write_all(b"Hello client").unwrap();
        n
    });
    let port = addr.port().to_string();
    let message = "x".repeat(5000);
    let run = testkit::run(
        BIN,
        &["--port", &port, "--message", &message],
        b"",
        PATIENCE,
    );
    assert_eq!(run.code(), Some(1));
    assert!(
        run.stderr
            .starts_with(&format!("error: read reply from {addr}: after ")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("reset"), "{}", run.stderr);
}
