//! Tests for capstone 07-3 (UDP requests that survive loss).
//!
//! A scripted "lossy server" on loopback decides, datagram by datagram, to
//! drop, delay, or answer (also with stale or forged replies). Timing
//! assertions leave wide margins: the CI machine is a loaded 2-core box.

use crate::ex3_code::*;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// A bound for every wait that is not the subject of a test.
const PATIENCE: Duration = Duration::from_secs(5);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// One datagram as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    id: u32,
    payload: Vec<u8>,
    peer: SocketAddr,
    at: Instant,
}

/// What the script tells the server to do with a datagram: send these
/// bytes (id included) after this delay, or nothing.
type Action = Option<(Duration, Vec<u8>)>;

/// A loopback UDP server run by a script, until the test drops it.
struct Lossy {
    addr: SocketAddr,
    socket: UdpSocket,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Lossy {
    fn start(mut script: impl FnMut(&Seen, usize) -> Action + Send + 'static) -> Lossy {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = socket.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (sock, log, halt) = (socket.try_clone().unwrap(), seen.clone(), stop.clone());
        let thread = thread::spawn(move || {
            let mut due: Vec<(Instant, Vec<u8>, SocketAddr)> = Vec::new();
            let mut buf = vec![0u8; 65_536];
            let started = Instant::now();
            while !halt.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(15) {
                let now = Instant::now();
                due.retain(|(at, bytes, peer)| {
                    if *at <= now {
                        let _ = sock.send_to(bytes, peer);
                        false
                    } else {
                        true
                    }
                });
                sock.set_read_timeout(Some(ms(5))).unwrap();
                let Ok((n, peer)) = sock.recv_from(&mut buf) else {
                    continue;
                };
                if n < 4 {
                    continue;
                }
                let s = Seen {
                    id: u32::from_be_bytes(buf[..4].try_into().unwrap()),
                    payload: buf[4..n].to_vec(),
                    peer,
                    at: Instant::now(),
                };
                let count = {
                    let mut log = log.lock().unwrap();
                    log.push(s.clone());
                    log.len()
                };
                if let Some((delay, bytes)) = script(&s, count) {
                    due.push((s.at + delay, bytes, peer));
                }
            }
        });
        Lossy {
            addr,
            socket,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Lossy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A reply datagram: the id, then the body.
fn reply(id: u32, body: &[u8]) -> Vec<u8> {
    let mut d = id.to_be_bytes().to_vec();
    d.extend_from_slice(body);
    d
}

/// Echoes the payload back at once.
fn echo(s: &Seen, _: usize) -> Action {
    Some((Duration::ZERO, reply(s.id, &s.payload)))
}

fn client(server: SocketAddr, base: u64, cap: u64, attempts: u32) -> Client {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let backoff = Backoff {
        base: ms(base),
        cap: ms(cap),
        attempts,
    };
    Client::new(socket, server, backoff)
}

/// Doubling from `base`, never above `cap`, and no overflow on absurd attempt numbers.
#[test]
fn the_wait_doubles_up_to_the_cap() {
    let b = Backoff {
        base: ms(100),
        cap: ms(400),
        attempts: 5,
    };
    let waits: Vec<u128> = (1..=5).map(|n| b.wait_for(n).as_millis()).collect();
    assert_eq!(waits, [100, 200, 400, 400, 400], "wait_for(1..=5) in ms");
    assert_eq!(b.wait_for(64), ms(400), "wait_for(64)");
    assert_eq!(b.wait_for(u32::MAX), ms(400), "wait_for(u32::MAX)");
}

/// Two requests lost, the third answered: three datagrams, one id.
#[test]
fn resends_until_a_reply_comes() {
    let server = Lossy::start(|s, n| if n <= 2 { None } else { echo(s, n) });
    let mut c = client(server.addr, 100, 1000, 5);
    let start = Instant::now();
    let got = c
        .request(b"are you there?")
        .expect("the third attempt is answered");
    let took = start.elapsed();
    assert_eq!(
        (
            String::from_utf8_lossy(&got.body).into_owned(),
            got.attempts
        ),
        ("are you there?".to_string(), 3),
        "(body, attempts)"
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 3, "datagrams the server received");
    assert!(
        seen.iter().all(|s| s.id == seen[0].id),
        "every copy of one request carries the same id: {:?}",
        seen.iter().map(|s| s.id).collect::<Vec<_>>()
    );
    // The first two attempts waited 100 ms and 200 ms.
    assert!(took >= ms(270) && took < PATIENCE, "took {took:?}");
}

/// Nobody answers: `attempts` datagrams, spaced by the growing waits, then
/// `TimedOut` after about the sum of the waits.
#[test]
fn backs_off_then_gives_up() {
    let server = Lossy::start(|_, _| None);
    let mut c = client(server.addr, 100, 300, 4);
    let start = Instant::now();
    let err = c.request(b"hello?").expect_err("nobody answers");
    let took = start.elapsed();
    assert!(
        matches!(err, RequestError::TimedOut { attempts: 4 }),
        "expected TimedOut {{ attempts: 4 }}, got {err:?}"
    );
    // 100 + 200 + 300 + 300 ms of waiting.
    assert!(
        took >= ms(850) && took < ms(900) + PATIENCE,
        "gave up after {took:?}"
    );
    thread::sleep(ms(100));
    let seen = server.seen();
    assert_eq!(seen.len(), 4, "datagrams the server received");
    let gaps: Vec<u128> = seen
        .windows(2)
        .map(|w| (w[1].at - w[0].at).as_millis())
        .collect();
    let at_least = [90, 180, 270];
    assert!(
        gaps.iter().zip(at_least).all(|(&gap, min)| gap >= min),
        "gaps between attempts {gaps:?} ms, expected at least {at_least:?} (doubling, capped)"
    );
}

/// Replies come late, one per copy. The late duplicate of the first
/// request's reply must not be taken as the answer to the second request.
#[test]
fn a_late_duplicate_is_not_the_next_answer() {
    let server = Lossy::start(|s, _| Some((ms(250), reply(s.id, &s.payload))));
    let mut c = client(server.addr, 100, 1000, 6);
    let first = c.request(b"first").expect("a reply to the first request");
    assert_eq!(
        String::from_utf8_lossy(&first.body),
        "first",
        "body of the first reply"
    );
    assert!(first.attempts >= 2, "the first reply came after a resend");
    let second = c.request(b"second").expect("a reply to the second request");
    assert_eq!(
        String::from_utf8_lossy(&second.body),
        "second",
        "body of the second reply (a stale duplicate of the first was on its way)"
    );
    let seen = server.seen();
    let first_id = seen[0].id;
    let last = seen.last().unwrap();
    assert_eq!(last.payload, b"second", "last payload the server saw");
    assert_ne!(last.id, first_id, "a new request gets a new id");
}

/// A reply with the right id but from another socket is ignored; the
/// real one, a little later, is taken.
#[test]
fn a_reply_from_another_socket_is_ignored() {
    let impostor = UdpSocket::bind("127.0.0.1:0").unwrap();
    let server = Lossy::start(move |s, _| {
        let _ = impostor.send_to(&reply(s.id, b"forged"), s.peer);
        Some((ms(100), reply(s.id, b"genuine")))
    });
    let mut c = client(server.addr, 2000, 2000, 1);
    let got = c.request(b"who are you?").expect("the genuine reply");
    assert_eq!(
        (
            String::from_utf8_lossy(&got.body).into_owned(),
            got.attempts
        ),
        ("genuine".to_string(), 1),
        "(body, attempts)"
    );
}

/// Stray datagrams every 20 ms (stale ids, too short to hold an id) do not
/// restart the wait: the client still gives up on time.
#[test]
fn stray_datagrams_do_not_extend_the_wait() {
    let server = Lossy::start(|_, _| None);
    let flood = server.socket.try_clone().unwrap();
    let seen = server.seen.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let halt = stop.clone();
    let flooder = thread::spawn(move || {
        let start = Instant::now();
        while !halt.load(Ordering::Relaxed) && start.elapsed() < Duration::from_secs(8) {
            let first = seen.lock().unwrap().first().cloned();
            if let Some(s) = first {
                let _ = flood.send_to(&reply(s.id.wrapping_sub(1), b"stale"), s.peer);
                let _ = flood.send_to(b"xy", s.peer);
            }
            thread::sleep(ms(20));
        }
    });
    let mut c = client(server.addr, 200, 200, 3);
    let start = Instant::now();
    let err = c.request(b"ping").expect_err("nobody answers for real");
    let took = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    flooder.join().unwrap();
    assert!(
        matches!(err, RequestError::TimedOut { attempts: 3 }),
        "expected TimedOut {{ attempts: 3 }}, got {err:?}"
    );
    assert!(
        took < ms(3500),
        "gave up after {took:?}; three waits of 200 ms should take about 600 ms"
    );
}

/// Bytes that are not UTF-8 come back unchanged, and the largest payload
/// that fits in a datagram works.
#[test]
fn any_bytes_and_the_largest_payload_come_back_intact() {
    let server = Lossy::start(echo);
    let mut c = client(server.addr, 1000, 1000, 3);
    let got = c.request(b"\xff\x00\xfe\n").expect("an echo");
    assert_eq!(
        String::from_utf8_lossy(&got.body),
        "\u{fffd}\0\u{fffd}\n",
        "echoed body"
    );
    let big = vec![b'z'; MAX_PAYLOAD];
    let got = c.request(&big).expect("an echo of the largest payload");
    assert_eq!(
        got.body.len(),
        MAX_PAYLOAD,
        "length of the echoed largest payload"
    );
}

/// A payload that cannot fit in one datagram is refused before sending.
#[test]
fn a_payload_too_large_for_a_datagram_is_refused() {
    let server = Lossy::start(echo);
    let mut c = client(server.addr, 100, 100, 2);
    let err = c
        .request(&vec![0u8; MAX_PAYLOAD + 1])
        .expect_err("too large");
    assert!(
        matches!(err, RequestError::TooLarge { len } if len == MAX_PAYLOAD + 1),
        "expected TooLarge {{ len: {} }}, got {err:?}",
        MAX_PAYLOAD + 1
    );
    thread::sleep(ms(100));
    assert_eq!(
        server.seen().len(),
        0,
        "datagrams sent for a refused payload"
    );
}
