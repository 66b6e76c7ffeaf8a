//! Tests for exercise 13-2 (`next_line`: a bounded line or the timeout).

use std::io::Write;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use tokio::io::BufReader;
use tokio::net::TcpStream;

use crate::ex2_code::*;

/// Runs `check` on a runtime with the server side of a loopback connection
/// whose client side is `peer` (a blocking std socket the test writes to).
fn with_connection(check: impl AsyncFnOnce(&mut BufReader<TcpStream>, std::net::TcpStream)) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let peer = std::net::TcpStream::connect(listener.local_addr().unwrap()).expect("connect");
    let (server, _) = listener.accept().expect("accept");
    server.set_nonblocking(true).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let mut reader = BufReader::new(TcpStream::from_std(server).unwrap());
        tokio::time::timeout(Duration::from_secs(8), check(&mut reader, peer))
            .await
            .expect("the test took over 8 s");
    });
}

fn text(n: &Next) -> String {
    match n {
        Next::Line(l) => format!("Line({:?})", String::from_utf8_lossy(l)),
        other => format!("{other:?}"),
    }
}

#[test]
fn lines_arrive_in_order_and_a_close_is_closed() {
    with_connection(async |r, mut peer| {
        peer.write_all(b"hello\nroom\npartial").unwrap();
        peer.shutdown(std::net::Shutdown::Write).unwrap();
        let idle = Duration::from_secs(2);
        for want in [
            Next::Line(b"hello".to_vec()),
            Next::Line(b"room".to_vec()),
            Next::Closed,
        ] {
            let got = next_line(r, 64, idle).await.expect("read");
            assert_eq!(
                text(&got),
                text(&want),
                "next_line after b\"hello\\nroom\\npartial\" + FIN"
            );
        }
    });
}

#[test]
fn silence_is_idle_after_the_timeout_not_before() {
    with_connection(async |r, _peer| {
        let start = Instant::now();
        let got = next_line(r, 64, Duration::from_millis(300))
            .await
            .expect("read");
        let waited = start.elapsed();
        assert_eq!(text(&got), "Idle", "a silent peer");
        assert!(
            waited >= Duration::from_millis(300),
            "gave up after {waited:?}, before 300 ms"
        );
        assert!(
            waited < Duration::from_secs(3),
            "waited {waited:?} for a 300 ms timeout"
        );
    });
}

#[test]
fn a_line_without_end_is_too_long_and_memory_stays_bounded() {
    with_connection(async |r, mut peer| {
        peer.write_all(&[b'x'; 100]).unwrap(); // no newline, ever
        let got = next_line(r, 16, Duration::from_secs(2))
            .await
            .expect("read");
        assert_eq!(text(&got), "TooLong", "100 bytes without a newline, max 16");
        peer.write_all(b"\n").unwrap();
    });
    with_connection(async |r, mut peer| {
        peer.write_all(b"0123456789abcdef\n").unwrap(); // exactly 16: allowed
        let got = next_line(r, 16, Duration::from_secs(2))
            .await
            .expect("read");
        assert_eq!(
            text(&got),
            text(&Next::Line(b"0123456789abcdef".to_vec())),
            "a 16-byte line, max 16"
        );
    });
}
