//! The flaws chapter 02 claims for the naive server (`examples/naive.rs`),
//! each shown happening on a real socket. If one of them were fixed in the
//! example, its test would fail.

use std::io::{Read, Write};
use std::thread;
use std::time::Duration;

use testkit::{Server, connect, read_to_end};

fn naive() -> Server {
    let bin = testkit::example(env!("CARGO_MANIFEST_DIR"), "naive");
    Server::spawn(bin.to_str().expect("UTF-8 path"), &["0"])
}

/// A request sent in two pieces a moment apart: the one `read` returns the
/// first piece, and the server takes it for the whole request.
#[test]
fn naive_server_takes_the_first_piece_for_the_whole_request() {
    let server = naive();
    let mut client = connect(server.addr());
    client.write_all(b"hello ").unwrap();
    thread::sleep(Duration::from_millis(300));
    let _ = client.write_all(b"server"); // may meet a closed socket: that is the point
    server.expect_line(|l| l.starts_with("Welcome from"));
    let received = server.expect_line(|l| l.starts_with("Received From client : "));
    assert_eq!(received, "Received From client : hello ");
}

/// A request longer than the buffer is cut at 1024 bytes, and the client,
/// whose other 1976 bytes were never read, is reset after its reply.
#[test]
fn naive_server_cuts_a_long_request_at_1024_bytes() {
    let server = naive();
    let mut client = connect(server.addr());
    client.write_all(&[b'x'; 3000]).unwrap();
    let received = server.expect_line(|l| l.starts_with("Received From client : "));
    let request = received.trim_start_matches("Received From client : ");
    assert_eq!(
        request.len(),
        1024,
        "the server read {} bytes",
        request.len()
    );
    let mut reply = Vec::new();
    let end = client.read_to_end(&mut reply);
    assert_eq!(
        end.map_err(|e| e.kind()),
        Err(std::io::ErrorKind::ConnectionReset),
        "closing with unread bytes sends RST, not FIN (got {reply:?} first)"
    );
}

/// One client that connects and says nothing holds the server: a second
/// client's request is not answered until the first one leaves.
#[test]
fn one_silent_client_blocks_everyone_behind_it() {
    let server = naive();
    let silent = connect(server.addr());
    server.expect_line(|l| l.starts_with("Welcome from"));
    let mut waiting = connect(server.addr()); // the kernel completes the handshake
    waiting.write_all(b"hello server").unwrap();
    waiting
        .set_read_timeout(Some(Duration::from_millis(1500)))
        .unwrap();
    let mut buf = [0u8; 64];
    let early = waiting.read(&mut buf).map_err(|e| e.kind());
    assert_eq!(
        early,
        Err(std::io::ErrorKind::WouldBlock),
        "no reply while the silent client holds the server"
    );
    drop(silent);
    waiting.set_read_timeout(Some(testkit::PATIENCE)).unwrap();
    assert_eq!(read_to_end(&mut waiting), b"Hello client");
}

/// Bytes a client sends go to the operator's terminal as they are: a
/// terminal escape (here "switch to red") passes through `from_utf8_lossy`.
#[test]
fn naive_server_prints_terminal_escapes_raw() {
    let server = naive();
    let mut client = connect(server.addr());
    client.write_all(b"\x1b[31mred").unwrap();
    let received = server.expect_line(|l| l.starts_with("Received From client : "));
    assert_eq!(received, "Received From client : \x1b[31mred");
}

/// Any error ends the whole server: a client that resets before the
/// server reads makes `read` fail, and `?` ends `main` with exit code 1.
#[test]
fn naive_server_dies_of_one_reset() {
    let mut server = naive();
    let addr = server.addr();
    testkit::reset(connect(addr));
    let (status, _) = server.wait(testkit::PATIENCE);
    assert_eq!(status.code(), Some(1), "stderr: {}", server.stderr());
    let stderr = server.stderr();
    assert!(
        stderr.contains("ConnectionReset") || stderr.contains("ConnectionAborted"),
        "stderr: {stderr}"
    );
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "still accepting"
    );
}

/// Seed 001's one-client server closes its listener after its first
/// client. The connection it accepted is a socket of its own and lives on;
/// a client still waiting in the accept queue is reset, and later ones are
/// refused.
#[test]
fn closing_the_listener_keeps_the_accepted_connection_and_resets_the_queue() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut first = connect(addr);
    let (mut served, _) = listener.accept().unwrap();
    let mut queued = connect(addr); // handshake done by the kernel, never accepted
    drop(listener);
    served.write_all(b"i = 1").unwrap();
    let mut buf = [0u8; 16];
    let n = first.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"i = 1", "the accepted connection still works");
    assert_eq!(
        queued.read(&mut buf).map_err(|e| e.kind()),
        Err(std::io::ErrorKind::ConnectionReset)
    );
    assert_eq!(
        std::net::TcpStream::connect(addr)
            .map_err(|e| e.kind())
            .err(),
        Some(std::io::ErrorKind::ConnectionRefused)
    );
}

/// Out of file descriptors, `accept` fails with EMFILE, and `?` ends the
/// whole server, where waiting for a descriptor to come free would do.
/// With a limit of 4 (stdin, stdout, stderr, the listener) there is no
/// descriptor for the next client, and Linux reserves it before `accept`
/// even waits: the first `accept` fails at once.
#[test]
fn naive_server_dies_when_accept_runs_out_of_descriptors() {
    let bin = testkit::example(env!("CARGO_MANIFEST_DIR"), "naive");
    let cmd = testkit::with_nofile_limit(bin.to_str().expect("UTF-8 path"), &["0"], 4);
    let mut server = Server::start(cmd);
    let (status, _) = server.wait(testkit::PATIENCE);
    assert_eq!(status.code(), Some(1), "stderr: {}", server.stderr());
    assert!(
        server.stderr().contains("Too many open files"),
        "stderr: {}",
        server.stderr()
    );
}
