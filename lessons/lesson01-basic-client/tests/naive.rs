//! The flaws chapter 01 claims for the naive client (`examples/naive.rs`),
//! each shown happening against a real server. If one of them were fixed in
//! the example, its test would fail.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

fn naive() -> String {
    let bin = testkit::example(env!("CARGO_MANIFEST_DIR"), "naive");
    bin.to_str().expect("UTF-8 path").to_string()
}

/// A reply sent in two pieces: the one `read` returns the first, and the
/// client prints half a reply as if it were all of it.
#[test]
fn naive_client_prints_the_first_piece_as_the_whole_reply() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let server = thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut buf = [0u8; 64];
        let _ = conn.read(&mut buf);
        conn.write_all(b"Hello ").unwrap();
        thread::sleep(Duration::from_millis(300));
        let _ = conn.write_all(b"client");
    });
    let run = testkit::run(&naive(), &["127.0.0.1", &port], b"", testkit::PATIENCE);
    server.join().unwrap();
    assert_eq!(run.code(), Some(0), "stderr: {}", run.stderr);
    assert_eq!(
        run.stdout,
        "Connect Successful\nReceived From Sercer : Hello \n"
    );
}

/// Nothing listens: the client says "Connect Failed", carries on, and dies
/// with a panic (the original dies with a traceback at its `send`).
#[test]
fn naive_client_carries_on_after_a_failed_connect_and_panics() {
    let refused = testkit::refused_port();
    let port = refused.port.to_string();
    let run = testkit::run(&naive(), &["127.0.0.1", &port], b"", testkit::PATIENCE);
    assert_eq!(run.stdout, "Connect Failed\n");
    assert_eq!(run.code(), Some(101), "a panic; stderr: {}", run.stderr);
    assert!(run.stderr.contains("panicked"), "stderr: {}", run.stderr);
}

/// A server that reads the request until the client says it is done (EOF)
/// never hears it: the client never half-closes, and having no timeout, it
/// waits for the reply forever.
#[test]
fn naive_client_never_ends_its_message_and_never_gives_up() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let mut client = Command::new(naive())
        .args(["127.0.0.1", &port])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (mut conn, _) = listener.accept().unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut request = Vec::new();
    let waited = conn.read_to_end(&mut request).map_err(|e| e.kind());
    let still_waiting = client.try_wait().unwrap().is_none();
    let _ = client.kill();
    let _ = client.wait();
    assert_eq!(request, b"hello server");
    assert_eq!(
        waited,
        Err(ErrorKind::WouldBlock),
        "no EOF after the message"
    );
    assert!(still_waiting, "the client gave up by itself");
}
