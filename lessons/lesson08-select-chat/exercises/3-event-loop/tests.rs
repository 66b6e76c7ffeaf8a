//! Tests for capstone 08-3 (the event loop of a chat, on mio).
//!
//! The loop runs on its own thread, one `turn` at a time, and publishes its
//! client count after each turn, so the tests can see a client dropped.

use crate::ex3_code::*;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

/// A bound for every wait that is not the subject of a test.
const PATIENCE: Duration = Duration::from_secs(5);

/// Roomy queues: only the slow-reader test makes them small, so a reader
/// that a loaded machine pauses for a moment is not dropped by accident.
fn config() -> Config {
    Config {
        max_line: 4096,
        max_queue: 1024 * 1024,
    }
}

/// The loop on its own thread; stopped when dropped.
struct Running {
    addr: SocketAddr,
    clients: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    ended: mpsc::Receiver<String>,
}

impl Running {
    fn start(config: Config) -> Running {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let clients = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, halt) = (clients.clone(), stop.clone());
        let (done, ended) = mpsc::channel();
        thread::spawn(move || {
            let result = (|| {
                let mut chat = ChatLoop::new(listener, config)?;
                while !halt.load(Ordering::Relaxed) {
                    chat.turn(Some(Duration::from_millis(20)))?;
                    count.store(chat.clients(), Ordering::Relaxed);
                }
                Ok::<(), std::io::Error>(())
            })();
            let _ = done.send(format!("{result:?}"));
        });
        Running {
            addr,
            clients,
            stop,
            ended,
        }
    }

    /// Waits (bounded) until the loop counts `n` clients.
    fn wait_for_clients(&self, n: usize, why: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            self.assert_alive();
            let now = self.clients.load(Ordering::Relaxed);
            if now == n {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{why}: the loop counts {now} clients, expected {n}"
            );
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Fails if the loop has stopped (returned an error or panicked).
    fn assert_alive(&self) {
        match self.ended.try_recv() {
            Ok(end) => panic!("the loop stopped: {end}"),
            Err(mpsc::TryRecvError::Disconnected) => panic!("the loop thread panicked"),
            Err(mpsc::TryRecvError::Empty) => {}
        }
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect_timeout(&self.addr, PATIENCE).unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        stream.set_write_timeout(Some(PATIENCE)).unwrap();
        stream
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.ended.recv_timeout(PATIENCE);
    }
}

/// Reads one line (without its `\n`) byte by byte; panics with what it got
/// on EOF or timeout.
fn read_line(stream: &mut TcpStream) -> Vec<u8> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match stream.read(&mut byte) {
            Ok(1) if byte[0] == b'\n' => return line,
            Ok(1) => line.push(byte[0]),
            other => panic!(
                "reading a line: {other:?} after {} bytes starting {:?}",
                line.len(),
                text(&line[..line.len().min(40)])
            ),
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Nothing arrives within `wait`.
fn assert_quiet(stream: &mut TcpStream, wait: Duration, who: &str) {
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 256];
    match stream.read(&mut buf) {
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) => {}
        other => panic!("{who} should get nothing, got {other:?} ({:?})", text(&buf)),
    }
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
}

/// EOF or a reset within `PATIENCE`, after any bytes still queued;
/// returns how many bytes came first.
fn read_until_closed(stream: &mut TcpStream, who: &str) -> usize {
    let deadline = Instant::now() + PATIENCE * 2;
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0;
    loop {
        assert!(
            Instant::now() < deadline,
            "{who} was not closed ({total} bytes read)"
        );
        match stream.read(&mut buf) {
            Ok(0) => return total,
            Ok(n) => total += n,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return total,
            Err(e) => panic!("{who} was not closed ({total} bytes read): {e}"),
        }
    }
}

/// A line reaches every other client exactly once, and not its sender;
/// bytes that are not UTF-8 pass unchanged.
#[test]
fn a_line_reaches_every_other_client() {
    let chat = Running::start(config());
    let mut clients: Vec<TcpStream> = (0..20).map(|_| chat.connect()).collect();
    chat.wait_for_clients(20, "twenty clients connected");
    clients[0].write_all(b"hello\n").unwrap();
    for (i, c) in clients.iter_mut().enumerate().skip(1) {
        assert_eq!(text(&read_line(c)), "hello", "line received by client {i}");
    }
    clients[7].write_all(b"\xff\xfe raw\n").unwrap();
    for (i, c) in clients.iter_mut().enumerate().filter(|(i, _)| *i != 7) {
        assert_eq!(
            read_line(c),
            b"\xff\xfe raw",
            "raw bytes received by client {i} ({:?})",
            "\u{fffd}\u{fffd} raw"
        );
    }
    assert_quiet(
        &mut clients[0],
        Duration::from_millis(200),
        "the first sender",
    );
    assert_quiet(
        &mut clients[7],
        Duration::from_millis(50),
        "the second sender",
    );
}

/// A line that arrives in pieces is one line; 200 lines in one write are
/// 200 lines, all delivered (edge-triggered: read until `WouldBlock`).
#[test]
fn lines_in_pieces_and_in_bursts() {
    let chat = Running::start(config());
    let mut a = chat.connect();
    let mut b = chat.connect();
    chat.wait_for_clients(2, "two clients connected");
    a.set_nodelay(true).unwrap();
    for piece in [&b"hel"[..], b"lo\nwor", b"ld\n"] {
        a.write_all(piece).unwrap();
        thread::sleep(Duration::from_millis(30));
    }
    assert_eq!(
        text(&read_line(&mut b)),
        "hello",
        "first line, sent in pieces"
    );
    assert_eq!(
        text(&read_line(&mut b)),
        "world",
        "second line, sent in pieces"
    );
    let mut burst = Vec::new();
    for i in 0..200 {
        burst.extend_from_slice(format!("{i:04}:{}\n", "x".repeat(995)).as_bytes());
    }
    a.write_all(&burst).unwrap();
    for i in 0..200 {
        let line = read_line(&mut b);
        assert_eq!(
            text(&line[..5]),
            format!("{i:04}:"),
            "start of burst line {i}"
        );
        assert_eq!(line.len(), 1000, "length of burst line {i}");
    }
}

/// A client that never reads is dropped once its queue passes the cap;
/// the others get every line, and the room goes on.
#[test]
fn a_client_that_never_reads_is_dropped() {
    let chat = Running::start(Config {
        max_queue: 64 * 1024,
        ..config()
    });
    // The sleeper's small receive buffer keeps the kernel from hiding the
    // backlog for long.
    let sleeper = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    sleeper.set_recv_buffer_size(4096).unwrap();
    sleeper
        .connect_timeout(&chat.addr.into(), PATIENCE)
        .unwrap();
    let mut sleeper: TcpStream = sleeper.into();
    sleeper.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut sender = chat.connect();
    let reader = chat.connect();
    chat.wait_for_clients(3, "sleeper, sender and reader connected");

    const LINES: usize = 4000;
    const BATCH: usize = 32;
    let read = Arc::new(AtomicUsize::new(0));
    let progress = read.clone();
    let writer = thread::spawn(move || {
        for batch in 0..LINES / BATCH {
            // Paced: the next batch goes out once the reader has read the
            // last one, so only the client that never reads falls behind.
            let deadline = Instant::now() + PATIENCE;
            while progress.load(Ordering::Relaxed) < batch * BATCH {
                if Instant::now() > deadline {
                    return sender; // the reader is stuck: its own assertion says why
                }
                thread::sleep(Duration::from_millis(1));
            }
            let mut chunk = String::new();
            for i in batch * BATCH..(batch + 1) * BATCH {
                chunk.push_str(&format!("{i:05}:{}\n", "y".repeat(1017)));
            }
            sender
                .write_all(chunk.as_bytes())
                .expect("the sender is never dropped");
        }
        sender
    });
    let mut lines = std::io::BufReader::with_capacity(256 * 1024, reader.try_clone().unwrap());
    for i in 0..LINES {
        let mut line = Vec::new();
        let n = std::io::BufRead::read_until(&mut lines, b'\n', &mut line)
            .unwrap_or_else(|e| panic!("reader, line {i}: {e}"));
        assert!(
            n == 1024,
            "reader, line {i}: {n} bytes starting {:?}",
            text(&line[..n.min(40)])
        );
        assert_eq!(
            text(&line[..6]),
            format!("{i:05}:"),
            "start of line {i} at the reader"
        );
        read.store(i + 1, Ordering::Relaxed);
    }
    let mut sender = writer.join().unwrap();
    chat.wait_for_clients(2, "the sleeper dropped");
    let got = read_until_closed(&mut sleeper, "the client that never reads");
    assert!(
        got < LINES * 1024,
        "the sleeper got all {got} bytes: it was never dropped"
    );
    let mut late = chat.connect();
    chat.wait_for_clients(3, "a new client joined");
    sender.write_all(b"still on\n").unwrap();
    assert_eq!(
        text(&read_line(&mut late)),
        "still on",
        "line received by a new client"
    );
    chat.assert_alive();
}

/// A 1 MiB line with no newline closes its sender, and none of it reaches
/// the others.
#[test]
fn a_huge_line_closes_its_sender() {
    let chat = Running::start(config());
    let mut flooder = chat.connect();
    let mut a = chat.connect();
    let mut b = chat.connect();
    chat.wait_for_clients(3, "three clients connected");
    let mut w = flooder.try_clone().unwrap();
    let flood = thread::spawn(move || {
        // May fail half way: the server closes the flooder.
        let _ = w.write_all(&vec![b'x'; 1 << 20]);
    });
    read_until_closed(&mut flooder, "the client sending a 1 MiB line");
    flood.join().unwrap();
    chat.wait_for_clients(2, "the flooder dropped");
    a.write_all(b"after\n").unwrap();
    assert_eq!(
        text(&read_line(&mut b)),
        "after",
        "next line at another client (no x's before it)"
    );
    chat.assert_alive();
}

/// A client that resets, and one that closes, are removed; the loop goes on.
#[test]
fn resets_and_closes_remove_only_that_client() {
    let chat = Running::start(config());
    let mut a = chat.connect();
    let mut b = chat.connect();
    let mut r = chat.connect();
    let c = chat.connect();
    chat.wait_for_clients(4, "four clients connected");
    a.write_all(b"one\n").unwrap();
    assert_eq!(
        text(&read_line(&mut r)),
        "one",
        "line at the client about to reset"
    );
    assert_eq!(text(&read_line(&mut b)), "one", "line at b");
    r.write_all(b"half a li").unwrap();
    testkit::reset(r);
    c.shutdown(std::net::Shutdown::Both).unwrap();
    drop(c);
    a.write_all(b"two\n").unwrap();
    assert_eq!(
        text(&read_line(&mut b)),
        "two",
        "line after a reset and a close"
    );
    chat.wait_for_clients(2, "the reset and the closed client removed");
    chat.assert_alive();
}
