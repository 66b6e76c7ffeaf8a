//! Lesson 01's starting point: the original tutorial's client, translated
//! line by line, with its flaws kept so the chapter can break it.
//!
//! `cargo run -p lesson01-basic-client --example naive [host] [port]`

// ANCHOR: naive
use std::io::{Read, Write};
use std::net::TcpStream;

fn main() {
    let mut args = std::env::args().skip(1);
    let host = args.next().unwrap_or("127.0.0.1".to_string());
    let port = args.next().unwrap_or("8081".to_string());

    let s = TcpStream::connect(format!("{host}:{port}"));
    match &s {
        Ok(_) => println!("Connect Successful"),
        // FLAW: the failure is printed, and the program carries on.
        Err(_) => println!("Connect Failed"),
    }
    let mut s = s.unwrap(); // Python fails at `send`; Rust panics here

    // FLAW: `write` may send only part; the count is ignored (clippy
    // refuses that, so we silence it to keep the flaw).
    #[allow(clippy::unused_io_amount)]
    s.write(b"hello server").unwrap();

    // FLAW: one read is taken as the whole reply, and it waits forever.
    let mut buf = [0u8; 1024];
    let n = s.read(&mut buf).unwrap();
    println!(
        "Received From Sercer : {}",
        String::from_utf8_lossy(&buf[..n])
    );
}
// ANCHOR_END: naive
