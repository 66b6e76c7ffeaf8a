//! Tests for capstone 03-3 (a framed request/response protocol).
//!
//! The server is driven with raw bytes, so every row of the malformed-frame
//! policy is tried for real; the client is driven by small fake servers
//! that misbehave on purpose. Every socket has its own timeout.

use crate::ex3_code::*;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// A bound for every single wait in these tests.
const PATIENCE: Duration = Duration::from_secs(5);

fn config(idle: Duration) -> Config {
    Config {
        max_frame: 1024,
        idle_timeout: idle,
    }
}

/// The application under the protocol: the request, reversed.
fn reverse(request: &[u8]) -> Reply {
    Reply::Ok(request.iter().rev().copied().collect())
}

/// Runs `serve` on a fresh loopback port. The thread is never joined: it
/// ends with the test process.
fn start(idle: Duration) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || serve(listener, config(idle), reverse));
    addr
}

/// Serves exactly one connection with `serve_connection` on its own thread
/// and reports, through the returned channel, when it has finished.
fn serve_one(idle: Duration) -> (SocketAddr, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (done, finished) = mpsc::channel();
    thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let result = serve_connection(stream, &config(idle), reverse);
        let _ = done.send(format!("{result:?}"));
    });
    (addr, finished)
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, PATIENCE).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.set_write_timeout(Some(PATIENCE)).unwrap();
    stream
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut f = (body.len() as u32).to_be_bytes().to_vec();
    f.extend_from_slice(body);
    f
}

/// Reads one raw reply frame: (status byte, body).
fn read_reply(stream: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut header = [0u8; 4];
    stream
        .read_exact(&mut header)
        .expect("a reply frame header from the server");
    let len = u32::from_be_bytes(header) as usize;
    assert!((1..=4096).contains(&len), "reply frame length {len}");
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).expect("the reply frame body");
    (body[0], body[1..].to_vec())
}

/// True when the server closed: EOF or a reset, with no more bytes first.
fn closed_without_bytes(stream: &mut TcpStream) -> Result<(), String> {
    let mut buf = [0u8; 64];
    match stream.read(&mut buf) {
        Ok(0) => Ok(()),
        Ok(n) => Err(format!("unexpected bytes {:?}", show(&buf[..n]))),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => Ok(()),
        Err(e) => Err(format!("no close within {PATIENCE:?}: {e}")),
    }
}

fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The peak virtual memory of this test process, in KiB. A 4 GiB
/// `Vec::with_capacity` shows here even though no page of it is touched.
fn vm_peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmPeak:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmPeak in /proc/self/status")
}

/// More than any number of test threads and malloc arenas can add, far less
/// than the 4 GiB a hostile header asks for.
const NO_HUGE_ALLOCATION_KIB: u64 = 3 * 1024 * 1024;

/// Several calls on one connection, with bytes that are not UTF-8.
#[test]
fn answers_many_calls_on_one_connection() {
    let addr = start(PATIENCE);
    let mut client = Client::connect(addr, config(PATIENCE)).unwrap();
    for request in [
        &b"hello"[..],
        b"\xff\xfe\x00\n",
        b"a longer request, with spaces",
    ] {
        let expected: Vec<u8> = request.iter().rev().copied().collect();
        let reply = client.call(request).expect("a reply");
        assert_eq!(
            reply,
            Reply::Ok(expected),
            "reply to {:?} should be the bytes reversed",
            show(request)
        );
    }
}

/// A frame that arrives one byte at a time is still one request.
#[test]
fn a_frame_written_byte_by_byte_is_one_request() {
    let addr = start(PATIENCE);
    let mut stream = connect(addr);
    stream.set_nodelay(true).unwrap();
    for byte in frame(b"drip") {
        stream.write_all(&[byte]).unwrap();
        thread::sleep(Duration::from_millis(5));
    }
    let (status, body) = read_reply(&mut stream);
    assert_eq!(
        (status, show(&body)),
        (0, "pird".to_string()),
        "(status, body)"
    );
}

/// A hundred frames in one write get a hundred replies, in order.
#[test]
fn many_frames_in_one_write_get_one_reply_each() {
    let addr = start(PATIENCE);
    let mut stream = connect(addr);
    let mut burst = Vec::new();
    for i in 0..100 {
        burst.extend(frame(format!("req{i:03}").as_bytes()));
    }
    stream.write_all(&burst).unwrap();
    for i in 0..100 {
        let expected: String = format!("req{i:03}").chars().rev().collect();
        let (status, body) = read_reply(&mut stream);
        assert_eq!(
            (status, show(&body)),
            (0, expected),
            "(status, body) of reply {i}"
        );
    }
}

/// A header that declares 4 GiB gets an error frame and a close, and
/// nothing that size is ever allocated.
#[test]
fn an_oversized_length_gets_an_error_frame_then_a_close() {
    let before = vm_peak_kib();
    let addr = start(PATIENCE);
    let mut stream = connect(addr);
    stream.write_all(&u32::MAX.to_be_bytes()).unwrap();
    stream.write_all(b"only a few bytes follow").unwrap();
    let (status, body) = read_reply(&mut stream);
    assert_eq!(status, 1, "status byte of the reply to a 4 GiB header");
    assert!(
        show(&body).contains("too large"),
        "error message {:?} should say the frame is too large",
        show(&body)
    );
    closed_without_bytes(&mut stream).expect("server closes after an oversized length");
    let grew = vm_peak_kib().saturating_sub(before);
    assert!(
        grew < NO_HUGE_ALLOCATION_KIB,
        "peak memory grew by {grew} KiB"
    );
}

/// Text from a confused client (here an HTTP request) reads as a huge
/// length: it gets the same error frame and close.
#[test]
fn garbage_gets_an_error_frame_then_a_close() {
    let addr = start(PATIENCE);
    let mut stream = connect(addr);
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (status, body) = read_reply(&mut stream);
    assert_eq!(
        status,
        1,
        "status byte of the reply to garbage ({:?})",
        show(&body)
    );
    closed_without_bytes(&mut stream).expect("server closes after garbage");
}

/// A zero-length frame is well formed but means nothing: an error frame,
/// and the connection stays usable.
#[test]
fn an_empty_request_is_refused_and_the_connection_survives() {
    let addr = start(PATIENCE);
    let mut stream = connect(addr);
    stream.write_all(&frame(b"")).unwrap();
    let (status, body) = read_reply(&mut stream);
    assert_eq!(status, 1, "status byte of the reply to an empty frame");
    assert!(!body.is_empty(), "the error frame says what was wrong");
    stream.write_all(&frame(b"ok?")).unwrap();
    let (status, body) = read_reply(&mut stream);
    assert_eq!(
        (status, show(&body)),
        (0, "?ko".to_string()),
        "(status, body) after it"
    );
}

/// EOF in the middle of a frame: no reply (there is no request), a close,
/// and the connection's handler returns.
#[test]
fn eof_in_the_middle_of_a_frame_closes_without_a_reply() {
    let (addr, finished) = serve_one(PATIENCE);
    let mut stream = connect(addr);
    stream.write_all(&10u32.to_be_bytes()).unwrap();
    stream.write_all(b"abc").unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    closed_without_bytes(&mut stream).expect("server closes after a truncated frame");
    finished
        .recv_timeout(PATIENCE)
        .expect("serve_connection returns after a truncated frame");
}

/// A peer that stops half way through a header is dropped after the idle
/// timeout: not at once, and not never.
#[test]
fn a_silent_peer_is_dropped_after_the_idle_timeout() {
    let idle = Duration::from_millis(300);
    let (addr, finished) = serve_one(idle);
    let mut stream = connect(addr);
    stream.write_all(&[0, 0]).unwrap();
    let start = Instant::now();
    let _ = closed_without_bytes(&mut stream);
    finished
        .recv_timeout(PATIENCE)
        .expect("serve_connection gives up on a silent peer");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(200),
        "dropped after {took:?}, before the {idle:?} idle timeout"
    );
}

/// A reset in the middle of a frame ends that connection's handler, and
/// the server goes on serving others.
#[test]
fn a_reset_ends_only_that_connection() {
    let (addr, finished) = serve_one(PATIENCE);
    let stream = connect(addr);
    (&stream).write_all(&8u32.to_be_bytes()).unwrap();
    testkit::reset(stream); // SO_LINGER 0, then close: an RST
    finished
        .recv_timeout(PATIENCE)
        .expect("serve_connection returns after a reset");

    let addr = start(PATIENCE);
    let victim = connect(addr);
    (&victim).write_all(&8u32.to_be_bytes()).unwrap();
    testkit::reset(victim); // SO_LINGER 0, then close: an RST
    let mut client = Client::connect(addr, config(PATIENCE)).unwrap();
    assert_eq!(
        client.call(b"still here").unwrap(),
        Reply::Ok(b"ereh llits".to_vec())
    );
}

/// One connection that says nothing does not hold up another.
#[test]
fn a_silent_client_does_not_block_the_others() {
    let addr = start(PATIENCE);
    let _silent = connect(addr);
    let start = Instant::now();
    let mut client = Client::connect(addr, config(PATIENCE)).unwrap();
    assert_eq!(client.call(b"ab").unwrap(), Reply::Ok(b"ba".to_vec()));
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "answered after {:?}, while another client was silent",
        start.elapsed()
    );
}

/// A fake server: accepts one connection, reads one request frame, then
/// sends `answer` raw and keeps the connection open a while.
fn fake_server(answer: Vec<u8>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut header = [0u8; 4];
        if stream.read_exact(&mut header).is_err() {
            return;
        }
        let mut body = vec![0u8; u32::from_be_bytes(header).min(4096) as usize];
        let _ = stream.read_exact(&mut body);
        let _ = stream.write_all(&answer);
        thread::sleep(Duration::from_secs(2));
    });
    addr
}

/// A server that never answers: the call fails with `TimedOut` after about
/// the idle timeout.
#[test]
fn the_client_times_out_on_a_silent_server() {
    let addr = fake_server(Vec::new());
    let idle = Duration::from_millis(300);
    let mut client = Client::connect(addr, config(idle)).unwrap();
    let start = Instant::now();
    let err = client.call(b"anyone?").expect_err("no reply ever comes");
    let took = start.elapsed();
    assert_eq!(
        err.kind(),
        std::io::ErrorKind::TimedOut,
        "error kind ({err})"
    );
    assert!(
        took >= Duration::from_millis(200) && took < PATIENCE,
        "gave up after {took:?} with an idle timeout of {idle:?}"
    );
}

/// A reply header that declares 4 GiB is refused as `InvalidData`, without
/// allocating it.
#[test]
fn the_client_refuses_a_huge_reply_without_allocating_it() {
    let before = vm_peak_kib();
    let addr = fake_server(u32::MAX.to_be_bytes().to_vec());
    let mut client = Client::connect(addr, config(PATIENCE)).unwrap();
    let err = client.call(b"x").expect_err("a 4 GiB reply is refused");
    assert_eq!(
        err.kind(),
        std::io::ErrorKind::InvalidData,
        "error kind ({err})"
    );
    let grew = vm_peak_kib().saturating_sub(before);
    assert!(
        grew < NO_HUGE_ALLOCATION_KIB,
        "peak memory grew by {grew} KiB"
    );
}

/// Error frames become `Reply::Error`; an unknown status byte is `InvalidData`;
/// a close in the middle of a reply is `UnexpectedEof`.
#[test]
fn the_client_reads_error_frames_and_rejects_bad_ones() {
    let addr = fake_server(frame(b"\x01no such thing"));
    let mut client = Client::connect(addr, config(PATIENCE)).unwrap();
    assert_eq!(
        client.call(b"thing").expect("an error frame is a reply"),
        Reply::Error("no such thing".into())
    );

    let addr = fake_server(frame(b"\x07what"));
    let mut client = Client::connect(addr, config(PATIENCE)).unwrap();
    let err = client
        .call(b"x")
        .expect_err("status byte 7 is not in the protocol");
    assert_eq!(
        err.kind(),
        std::io::ErrorKind::InvalidData,
        "error kind ({err})"
    );

    // Announces 10 bytes, sends 3, then (after its pause) closes.
    let mut cut = 10u32.to_be_bytes().to_vec();
    cut.extend_from_slice(b"\x00ab");
    let addr = fake_server(cut);
    let mut client = Client::connect(addr, config(PATIENCE)).unwrap();
    let err = client
        .call(b"x")
        .expect_err("a reply cut short is an error");
    assert_eq!(
        err.kind(),
        std::io::ErrorKind::UnexpectedEof,
        "error kind ({err})"
    );
}
