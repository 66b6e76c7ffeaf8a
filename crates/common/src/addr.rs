//! Addresses: what a server binds to and what a client connects to.
//!
//! Servers bind `127.0.0.1` unless told otherwise. The original tutorials
//! bound `0.0.0.0` by default, which quietly puts a toy server on every
//! network the machine is attached to; here that takes an explicit
//! `--host 0.0.0.0` and prints a warning.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::time::Duration;

use anyhow::{Context, Result, bail};

/// Resolves `host:port` to the address a server should bind.
///
/// A name such as `localhost` may resolve to several addresses; a server binds
/// the first, as `TcpListener::bind` does.
pub fn bind_addr(host: &str, port: u16) -> Result<SocketAddr> {
    let addr = (host, port)
        .to_socket_addrs()
        .with_context(|| format!("resolve {host}:{port}"))?
        .next()
        .with_context(|| format!("resolve {host}:{port}: no addresses"))?;
    warn_if_exposed(addr);
    Ok(addr)
}

/// Prints a one-line warning on stderr when `addr` is not a loopback address.
pub fn warn_if_exposed(addr: SocketAddr) {
    if !addr.ip().is_loopback() {
        crate::errln!(
            "warning: binding {addr} accepts connections from other machines; \
             use --host 127.0.0.1 to keep this server local"
        );
    }
}

/// Binds a TCP listener on `host:port` (port 0 picks a free port).
///
/// The error names the address, so a user reads
/// `error: bind 127.0.0.1:8081: Address already in use (os error 98)`.
pub fn bind_tcp(host: &str, port: u16) -> Result<TcpListener> {
    let addr = bind_addr(host, port)?;
    TcpListener::bind(addr).with_context(|| format!("bind {addr}"))
}

/// Connects to `host:port`, trying every address the name resolves to in
/// turn (IPv6 and IPv4 for `localhost`, say) until one answers.
///
/// `timeout` bounds each connection attempt; `None` leaves it to the kernel,
/// which can take minutes for an address that never answers. When every
/// address fails, the error lists each address with its own cause.
pub fn connect_any(host: &str, port: u16, timeout: Option<Duration>) -> Result<TcpStream> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .with_context(|| format!("resolve {host}:{port}"))?
        .collect();
    if addrs.is_empty() {
        bail!("resolve {host}:{port}: no addresses");
    }
    // Each failure names its address, unless the user typed that one
    // address already: `connect to 127.0.0.1:1: Connection refused`.
    let name_each = addrs.len() > 1 || host.parse::<std::net::IpAddr>().is_err();
    let mut failures = Vec::new();
    for addr in &addrs {
        match connect_one(addr, timeout) {
            Ok(stream) => return Ok(stream),
            Err(e) if name_each => {
                failures.push(format!("{addr}: {}", describe_connect_error(&e, timeout)))
            }
            Err(e) => failures.push(describe_connect_error(&e, timeout)),
        }
    }
    bail!("connect to {host}:{port}: {}", failures.join("; "))
}

fn connect_one(addr: &SocketAddr, timeout: Option<Duration>) -> io::Result<TcpStream> {
    match timeout {
        Some(t) => TcpStream::connect_timeout(addr, t),
        None => TcpStream::connect(addr),
    }
}

/// Turns a connect error into words, naming the timeout when that is what ran out.
fn describe_connect_error(e: &io::Error, timeout: Option<Duration>) -> String {
    match (e.kind(), timeout) {
        (io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock, Some(t)) => {
            format!("timed out after {}", crate::text::secs(t))
        }
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_addr_keeps_ipv6_literals() {
        let addr = bind_addr("::1", 0).unwrap();
        assert_eq!(addr.to_string(), "[::1]:0");
    }

    #[test]
    fn bind_tcp_reports_the_address_in_use() {
        let first = bind_tcp("127.0.0.1", 0).unwrap();
        let port = first.local_addr().unwrap().port();
        let err = bind_tcp("127.0.0.1", port).unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.starts_with(&format!("bind 127.0.0.1:{port}: ")),
            "{text}"
        );
        assert!(text.contains("os error 98"), "{text}");
    }

    #[test]
    fn connect_any_names_every_refused_address() {
        // A socket that is bound but never listens: every connection to
        // its port is refused, and the port stays ours while it lives.
        let socket =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        socket
            .bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
            .unwrap();
        let port = socket.local_addr().unwrap().as_socket().unwrap().port();
        let err = connect_any("127.0.0.1", port, Some(Duration::from_secs(2))).unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
        assert!(text.contains("refused"), "{text}");
    }

    #[test]
    fn connect_any_reaches_a_listener() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stream = connect_any("127.0.0.1", port, Some(Duration::from_secs(2))).unwrap();
        assert_eq!(stream.peer_addr().unwrap(), listener.local_addr().unwrap());
    }

    /// An address the user typed is named once, not again per attempt.
    #[test]
    fn a_refused_literal_address_is_named_once() {
        use socket2::{Domain, Socket, Type};
        // Bound but not listening: every connection is refused.
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
        socket.bind(&any.into()).unwrap();
        let port = socket.local_addr().unwrap().as_socket().unwrap().port();
        let err = connect_any("127.0.0.1", port, Some(Duration::from_secs(5))).unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.starts_with(&format!("connect to 127.0.0.1:{port}: Connection refused")),
            "{text}"
        );
        assert_eq!(text.matches("127.0.0.1").count(), 1, "{text}");
    }
}
