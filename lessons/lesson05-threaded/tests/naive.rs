//! The flaws chapter 05 claims for the naive thread-per-client server
//! (`examples/naive.rs`), each shown happening on a real socket. If one of
//! them were fixed in the example, its test would fail.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::Duration;

use testkit::{connect, cpu_time, eventually, read_line, send_line, thread_count};

/// The naive server, killed when dropped.
struct Naive {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Naive {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the example and reads its ready line. The rest of its output is
/// thrown away by a thread, so a flood of it cannot fill the pipe (which
/// would block the spinning thread in `write` and hide the spin) or our
/// memory.
fn naive() -> Naive {
    let bin = testkit::example(env!("CARGO_MANIFEST_DIR"), "naive");
    let mut child = Command::new(bin)
        .arg("0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the naive example");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut ready = String::new();
    out.read_line(&mut ready).expect("ready line");
    let addr = ready
        .trim()
        .strip_prefix("listening on ")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("not a ready line: {ready:?}"));
    thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    Naive { child, addr }
}

/// A client that says one line and leaves: its thread goes on calling
/// `read`, which returns 0 at once, forever. Over one second the process
/// burns most of a CPU second with no client connected.
#[test]
fn a_client_that_leaves_leaves_a_thread_spinning() {
    let server = naive();
    let pid = server.child.id();
    let mut client = connect(server.addr);
    assert_eq!(read_line(&mut client), "Hello client ");
    send_line(&mut client, "hi");
    thread::sleep(Duration::from_millis(200));
    let idle = cpu_time(pid);
    drop(client);
    let before = cpu_time(pid);
    thread::sleep(Duration::from_secs(1));
    let spent = cpu_time(pid) - before;
    assert!(
        spent >= Duration::from_millis(400),
        "only {spent:?} of CPU in 1 s after the client left (before: {idle:?})"
    );
}

/// Threads are never joined and sockets never closed: every client that
/// has come and gone still has its thread, and the server never closes its
/// side of the connection (the client sees no EOF).
#[test]
fn threads_of_departed_clients_are_never_joined() {
    let server = naive();
    let pid = server.child.id();
    for _ in 0..3 {
        let mut client = connect(server.addr);
        assert_eq!(read_line(&mut client), "Hello client ");
        client.shutdown(std::net::Shutdown::Write).unwrap();
        client
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(
            client.read(&mut buf).map_err(|e| e.kind()),
            Err(std::io::ErrorKind::WouldBlock),
            "the server closed the connection after our EOF"
        );
    }
    eventually("one thread per departed client, plus main", || {
        thread_count(pid) >= 4
    });
}
