use crate::ex2_code::*;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;
use std::time::{Duration, Instant};

use lesson09_http_fetch::Url;

/// A one-connection server: answers HEAD with a head that announces 5000
/// bytes and then stays silent for 5 s; answers anything else with 405.
fn origin() -> Url {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let Ok((mut s, _)) = listener.accept() else {
            return;
        };
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
            match s.read(&mut byte) {
                Ok(1) => head.push(byte[0]),
                _ => return,
            }
        }
        if head.starts_with(b"HEAD /page HTTP/1.1\r\n") {
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\nContent-Type: text/html\r\n\r\n",
            );
            thread::sleep(Duration::from_secs(5));
        } else {
            let _ = s.write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
        }
    });
    Url::parse(&format!("http://{addr}/page")).unwrap()
}

/// The request is a well-formed HEAD with Host and Connection: close.
#[test]
fn head_request_bytes() {
    let url = Url::parse("http://127.0.0.1:8080/a?b").unwrap();
    let req = String::from_utf8(head_request(&url)).unwrap();
    assert!(req.starts_with("HEAD /a?b HTTP/1.1\r\n"), "{req:?}");
    assert!(req.contains("\r\nHost: 127.0.0.1:8080\r\n"), "{req:?}");
    assert!(req.contains("\r\nConnection: close\r\n"), "{req:?}");
    assert!(req.ends_with("\r\n\r\n"), "{req:?}");
    assert_eq!(req.matches("\r\n\r\n").count(), 1, "{req:?}");
}

/// The head comes back at once, although Content-Length announces a body
/// that never arrives.
#[test]
fn fetch_head_does_not_wait_for_a_body() {
    let url = origin();
    let start = Instant::now();
    let head = fetch_head(&url, Duration::from_secs(2)).expect("HEAD should succeed");
    assert_eq!(
        head.status, 200,
        "the server answers 405 to anything but HEAD"
    );
    assert_eq!(
        head.header("content-length"),
        Some(&b"5000"[..]),
        "head.header(\"content-length\")"
    );
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "waited for a body"
    );
}
