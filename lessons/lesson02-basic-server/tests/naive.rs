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
