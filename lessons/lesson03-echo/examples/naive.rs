//! Lesson 03's starting point: the original tutorial's server and
//! interactive client, translated line by line, with their flaws kept so
//! the chapter can break them.
//!
//! `cargo run -p lesson03-echo --example naive -- server [port]` (default 8001)
//! `cargo run -p lesson03-echo --example naive -- client [port]`

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

// ANCHOR: server
// Clippy sees what the original missed: the inner loop never ends, so the
// outer one never goes back to `accept`.
#[allow(clippy::never_loop)]
fn server(port: &str) -> std::io::Result<()> {
    let s = TcpListener::bind(format!("127.0.0.1:{port}"))?;
    println!("listening on {}", s.local_addr()?);
    loop {
        let (mut conn, addr) = s.accept()?;
        println!("Connected by {addr}");
        loop {
            // FLAW: a read of 0 (the client left) is never checked for.
            let mut data = [0u8; 1024];
            let n = conn.read(&mut data)?;
            println!("{}", String::from_utf8_lossy(&data[..n]));
            #[allow(clippy::unused_io_amount)] // FLAW: `write`, not `write_all`
            conn.write(b"server received you message.")?;
        }
    }
}
// ANCHOR_END: server

// ANCHOR: client
fn client(port: &str) -> std::io::Result<()> {
    let mut s = TcpStream::connect(format!("127.0.0.1:{port}"))?;
    for cmd in std::io::stdin().lines() {
        #[allow(clippy::unused_io_amount)]
        s.write(cmd?.as_bytes())?; // FLAW: no delimiter, and `write`
        // FLAW: one read is taken as the whole reply, with no timeout.
        let mut data = [0u8; 1024];
        let n = s.read(&mut data)?;
        println!("{}", String::from_utf8_lossy(&data[..n]));
    }
    Ok(())
}
// ANCHOR_END: client

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let port = args.get(2).map_or("8001", String::as_str);
    match args.get(1).map(String::as_str) {
        Some("client") => client(port),
        _ => server(port),
    }
}
