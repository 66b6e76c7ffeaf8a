use crate::ex2_code::*;

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// Runs `echo_over_pair` with a deadline, so a deadlock fails the test.
fn bounded(message: Vec<u8>) -> (Vec<u8>, u64) {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(echo_over_pair(&message));
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("no answer within 10 s (a deadlock?) or a panic")
        .expect("echo_over_pair failed")
}

/// A short message, invalid UTF-8 included, comes back exactly.
#[test]
fn short_message_comes_back() {
    let msg = b"hello \xff pair\n".to_vec();
    let (back, count) = bounded(msg.clone());
    assert_eq!(back, msg, "back");
    assert_eq!(count, msg.len() as u64, "count");
}

/// 4 MiB, far more than the socket buffers hold, comes back exactly.
#[test]
fn megabytes_do_not_deadlock() {
    let msg: Vec<u8> = (0..4 * 1024 * 1024).map(|i| (i % 253) as u8).collect();
    let (back, count) = bounded(msg.clone());
    assert!(back == msg, "{} bytes came back", back.len());
    assert_eq!(count, msg.len() as u64, "count");
}

/// An empty message: nothing comes back, and the echo still finishes.
#[test]
fn empty_message_finishes() {
    assert_eq!(bounded(Vec::new()), (Vec::new(), 0), "bounded(Vec::new())");
}
