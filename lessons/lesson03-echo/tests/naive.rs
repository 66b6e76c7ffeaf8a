//! The flaws chapter 03 claims for the naive server and client
//! (`examples/naive.rs`), each shown happening on a real socket. If one of
//! them were fixed in the example, its test would fail.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;
use std::time::Duration;

use testkit::{PATIENCE, Server, connect};

fn naive() -> String {
    let bin = testkit::example(env!("CARGO_MANIFEST_DIR"), "naive");
    bin.to_str().expect("UTF-8 path").to_string()
}

/// The server never checks for a read of 0. When its client leaves, it
/// prints an empty "message", replies to nobody, and the next read or write
/// fails (a reset, or a broken pipe) and ends the whole server: the next
/// client is refused.
#[test]
fn naive_server_dies_when_its_first_client_leaves() {
    let mut server = Server::spawn(&naive(), &["server", "0"]);
    let addr = server.addr();
    let mut client = connect(addr);
    client.write_all(b"hi").unwrap();
    let mut reply = [0u8; 64];
    let n = client.read(&mut reply).unwrap();
    assert_eq!(&reply[..n], b"server received you message.");
    drop(client);
    let (status, lines) = server.wait(PATIENCE);
    assert_eq!(status.code(), Some(1), "stderr: {}", server.stderr());
    assert!(
        lines.iter().any(String::is_empty),
        "the 0-byte read is printed as an empty message: {lines:?}"
    );
    let stderr = server.stderr();
    assert!(
        stderr.contains("ConnectionReset") || stderr.contains("BrokenPipe"),
        "stderr: {stderr}"
    );
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "still accepting"
    );
}

/// The client takes one read for the reply. A server that answers in two
/// pieces gets half its answer printed, and the other half printed as the
/// answer to the next line.
#[test]
fn naive_client_prints_half_a_reply_and_the_rest_as_the_next_one() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let peer = thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut buf = [0u8; 64];
        while let Ok(n @ 1..) = conn.read(&mut buf) {
            // The client may have gone by the second half: ignore that.
            let _ = conn.write_all(b"reply to ");
            thread::sleep(Duration::from_millis(200));
            let _ = conn.write_all(&buf[..n]);
        }
    });
    let run = testkit::run(&naive(), &["client", &port], b"one\ntwo\n", PATIENCE);
    peer.join().unwrap();
    assert_eq!(run.code(), Some(0), "stderr: {}", run.stderr);
    let printed: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        printed.first(),
        Some(&"reply to "),
        "stdout: {:?}",
        run.stdout
    );
    assert!(
        printed.get(1).is_some_and(|l| l.starts_with("one")),
        "the rest of the first reply, shown as the second: {:?}",
        run.stdout
    );
}

/// Why `write_all` and not `write`: with a peer that does not read, a
/// blocking `write` of a large buffer returns after sending only part of it
/// (here when the send timeout expires), and says how much in its count,
/// which code like the originals' ignores.
#[test]
fn write_may_send_only_part_of_the_buffer() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut stream = connect(listener.local_addr().unwrap());
    let _not_reading = listener.accept().unwrap();
    stream
        .set_write_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let big = vec![b'x'; 64 * 1024 * 1024];
    let sent = stream.write(&big).expect("some bytes fit in the buffers");
    assert!(
        sent > 0 && sent < big.len(),
        "one write sent {sent} of {} bytes",
        big.len()
    );
}

/// The client that reads "until idle" (`examples/until_idle.rs`) takes the
/// server's close for a pause: it sees EOF at once, and still waits four
/// seconds before it stops.
#[test]
fn until_idle_client_waits_four_seconds_after_the_server_closed() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let (closed_tx, closed_rx) = std::sync::mpsc::channel();
    let server = thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        for i in 1..10 {
            conn.write_all(format!("i = {i}").as_bytes()).unwrap();
        }
        drop(conn);
        closed_tx.send(std::time::Instant::now()).unwrap();
    });
    let bin = testkit::example(env!("CARGO_MANIFEST_DIR"), "until_idle");
    let run = testkit::run(bin.to_str().unwrap(), &[&port], b"", PATIENCE);
    let waited = closed_rx.recv().unwrap().elapsed();
    server.join().unwrap();
    assert_eq!(run.code(), Some(0), "stderr: {}", run.stderr);
    assert_eq!(
        run.stdout.replace('\n', ""),
        "i = 1i = 2i = 3i = 4i = 5i = 6i = 7i = 8i = 9"
    );
    assert!(
        waited >= Duration::from_millis(3900),
        "exited {waited:?} after the close"
    );
}
