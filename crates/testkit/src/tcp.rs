//! Talking to a server over TCP, with every wait bounded.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::PATIENCE;

/// Connects with read and write timeouts of [`PATIENCE`], so no test blocks forever.
pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, PATIENCE)
        .unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.set_write_timeout(Some(PATIENCE)).unwrap();
    stream
}

/// Writes `line` and a `\n`.
pub fn send_line(stream: &mut TcpStream, line: &str) {
    stream
        .write_all(format!("{line}\n").as_bytes())
        .expect("send line");
}

/// Reads one `\n`-terminated line byte by byte (no read-ahead, so the stream
/// can be read again afterwards) and returns it without the `\n`, lossily
/// decoded. Panics on EOF, error or timeout.
pub fn read_line(stream: &mut TcpStream) -> String {
    String::from_utf8_lossy(&read_line_bytes(stream)).into_owned()
}

/// [`read_line`] returning the raw bytes.
pub fn read_line_bytes(stream: &mut TcpStream) -> Vec<u8> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match stream.read(&mut byte) {
            Ok(0) => panic!("EOF after {:?}", String::from_utf8_lossy(&line)),
            Ok(_) if byte[0] == b'\n' => return line,
            Ok(_) => line.push(byte[0]),
            Err(e) => panic!(
                "read line failed after {:?}: {e}",
                String::from_utf8_lossy(&line)
            ),
        }
    }
}

/// Reads until EOF; panics on error or timeout.
pub fn read_to_end(stream: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    stream.read_to_end(&mut all).expect("read to EOF");
    all
}

/// True when the peer has closed: a read returns EOF or a reset within `timeout`.
pub fn is_closed(stream: &mut TcpStream, timeout: Duration) -> bool {
    stream.set_read_timeout(Some(timeout)).unwrap();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + timeout;
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) if Instant::now() < deadline => continue,
            Ok(_) => return false,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false;
            }
            Err(_) => return true,
        }
    }
}

/// Closes `stream` with a reset (RST) instead of an orderly FIN, by setting
/// `SO_LINGER` to zero first.
pub fn reset(stream: TcpStream) {
    let socket = socket2::Socket::from(stream);
    socket
        .set_linger(Some(Duration::ZERO))
        .expect("SO_LINGER 0");
    drop(socket);
}

/// A loopback TCP port on which every connection is refused, for as long as
/// this value lives.
///
/// "Bind a listener, note its port, drop it" is not enough in a test
/// process that also spawns children: a child forked at that moment holds a
/// copy of the listening socket until it `exec`s, so a connect can still be
/// accepted; and once dropped, the port may be handed to another test. A
/// socket that is bound but never listens keeps the port, and the kernel
/// answers every connection attempt with a reset (ECONNREFUSED).
#[derive(Debug)]
pub struct RefusedPort {
    _socket: socket2::Socket,
    /// The port nobody will ever accept on.
    pub port: u16,
}

/// See [`RefusedPort`].
pub fn refused_port() -> RefusedPort {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).expect("socket");
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    socket.bind(&any.into()).expect("bind 127.0.0.1:0");
    let port = socket.local_addr().unwrap().as_socket().unwrap().port();
    RefusedPort {
        _socket: socket,
        port,
    }
}
