//! Lesson 05's starting point: the original tutorial's thread-per-client
//! server, translated line by line, with its flaws kept so the chapter can
//! break it.
//!
//! `cargo run -p lesson05-threaded --example naive [port]` (default 8081)

// ANCHOR: naive
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;

fn connect(mut clientsock: TcpStream, clientaddr: SocketAddr) {
    println!("Welcome from {clientaddr}");
    #[allow(clippy::unused_io_amount)] // FLAW: `write`, not `write_all`
    clientsock.write(b"Hello client \n").unwrap();
    let mut buf = [0u8; 1024];
    loop {
        let n = clientsock.read(&mut buf).unwrap();
        // FLAW: this `break` leaves only the inner loop. Once the client has
        // gone, `read` returns 0 at once, every time: the thread spins.
        #[allow(clippy::never_loop, clippy::while_immutable_condition)]
        while n == 0 {
            break;
        }
        print!("Received From No.{} client : ", clientaddr.port());
        std::io::stdout().write_all(&buf[..n]).unwrap(); // raw bytes, as Python 2 printed them
    }
}

fn main() -> std::io::Result<()> {
    let port = std::env::args().nth(1).unwrap_or("8081".to_string());
    let s = TcpListener::bind(format!("127.0.0.1:{port}"))?;
    println!("listening on {}", s.local_addr()?);
    loop {
        let (clientsock, clientaddr) = s.accept()?;
        // FLAW: the handle is dropped: the thread is never joined.
        thread::spawn(move || connect(clientsock, clientaddr));
    }
}
// ANCHOR_END: naive
