//! Lesson 02's starting point: the original tutorial's server, translated
//! line by line, with its flaws kept so the chapter can break it.
//!
//! `cargo run -p lesson02-basic-server --example naive [port]` (default 8081)

// ANCHOR: naive
use std::io::{Read, Write};
use std::net::TcpListener;

fn main() -> std::io::Result<()> {
    let port = std::env::args().nth(1).unwrap_or("8081".to_string());
    let s = TcpListener::bind(format!("127.0.0.1:{port}"))?;
    println!("listening on {}", s.local_addr()?);

    loop {
        // Any error (a reset, no descriptors left) ends the whole server.
        let (mut clientsock, clientaddr) = s.accept()?;
        println!("Welcome from {clientaddr}");
        let mut buf = [0u8; 1024];
        // FLAW: one read is taken as the whole request, and it waits forever.
        let n = clientsock.read(&mut buf)?;
        println!(
            "Received From client : {}",
            String::from_utf8_lossy(&buf[..n])
        );
        // FLAW: `write` may send only part of the reply; clippy refuses to
        // let its count go unread, so we silence it to keep the flaw.
        #[allow(clippy::unused_io_amount)]
        clientsock.write(b"Hello client")?;
        // `clientsock` is dropped here: the connection is closed.
    }
}
// ANCHOR_END: naive
