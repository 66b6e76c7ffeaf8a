//! One function per error: each makes a real system call fail, on loopback.
//!
//! Every function returns the `io::Error` the failing call gave, plus a
//! sentence saying exactly what was done in this run (addresses, descriptor
//! numbers). None of them decides whether the errno is the expected one:
//! [`crate::reproduce`] does that, so a kernel that behaves differently shows
//! up as a mismatch in the report instead of being papered over here.
//!
//! Every wait is bounded by [`PATIENCE`]: if a reproduction goes wrong it
//! reports a wrong errno (a timeout) instead of hanging.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use socket2::{Domain, SockRef, Socket, Type};

use crate::Observed;

/// The longest any single step may block. Loopback answers in microseconds;
/// this only matters when something is broken.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// The read timeout of the `eagain` reproduction: short, because waiting for
/// nothing is all it does.
pub const READ_TIMEOUT: Duration = Duration::from_millis(200);

/// The descriptor limit of the `emfile` child: room for stdin, stdout,
/// stderr and a dozen sockets.
pub const EMFILE_LIMIT: u32 = 16;

/// The hidden command-line value that makes the binary act as the `emfile`
/// child (see [`emfile_child`]).
pub const EMFILE_CHILD: &str = "emfile-child";

/// `127.0.0.1:0`: loopback, any free port. Nothing here leaves the machine.
fn loopback() -> SocketAddr {
    (Ipv4Addr::LOCALHOST, 0).into()
}

/// A fresh IPv4 TCP socket in the state `socket()` returns it: not bound,
/// not connected, not listening. std never hands out such a socket, which is
/// why this lesson uses `socket2`.
fn bare_socket() -> Result<Socket> {
    Socket::new(Domain::IPV4, Type::STREAM, None).context("socket()")
}

/// Turns "the call failed" into an [`Observed`], and "the call succeeded"
/// into an error: a reproduction that provokes nothing must not pass.
fn expect_err<T>(result: io::Result<T>, detail: String) -> Result<Observed> {
    match result {
        Err(error) => Ok(Observed { error, detail }),
        Ok(_) => bail!("{detail}: the call succeeded, there is no error to show"),
    }
}

/// Repeats `call` while it fails with EINTR (4, `Interrupted`): a signal
/// arrived while the call was blocked. With a timeout set (SO_RCVTIMEO),
/// Linux never restarts a socket read by itself, even with SA_RESTART, so
/// the caller must; the test harness, with many threads and child
/// processes, really does see it here. Bounded, like every loop.
fn retry_interrupted<T>(mut call: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    for _ in 0..100 {
        match call() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            result => return result,
        }
    }
    call()
}

/// A listener on loopback and a client connected to it, with the server's
/// side of the connection accepted: the starting point of several cases.
fn connected_pair() -> Result<(TcpStream, TcpStream, SocketAddr)> {
    let listener = TcpListener::bind(loopback()).context("bind 127.0.0.1:0")?;
    let addr = listener.local_addr().context("local address")?;
    let client = TcpStream::connect_timeout(&addr, PATIENCE)
        .with_context(|| format!("connect to {addr}"))?;
    client.set_read_timeout(Some(PATIENCE))?;
    client.set_write_timeout(Some(PATIENCE))?;
    let (server_side, _) = listener.accept().context("accept")?;
    Ok((client, server_side, addr))
}

// ANCHOR: ebadf
/// EBADF (9): a descriptor number that is not open.
///
/// Safe Rust cannot get here. A socket is owned by one value; dropping it
/// closes the descriptor exactly once, and the compiler refuses any use
/// after the drop:
///
/// ```compile_fail,E0382
/// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
/// drop(listener); // close(fd)
/// let _ = listener.accept(); // error[E0382]: borrow of moved value
/// ```
///
/// In C (or Python, whose socket objects keep their number after `close()`)
/// nothing stops a program from using a closed number. To show what the
/// kernel says then, we keep the bare number, drop the socket, and make one
/// raw call with it.
pub fn ebadf(_: &crate::Env) -> Result<Observed> {
    // Another thread of this process may open a descriptor between our
    // close and our call and get the same number (the kernel hands out the
    // lowest free one). Then the call succeeds on *its* descriptor, which is
    // exactly the danger of closed numbers; we try again with a new one.
    for _attempt in 1..=5 {
        let socket = bare_socket()?;
        let fd = socket.as_raw_fd();
        drop(socket); // close(fd): from here on `fd` is just a number
        if let Err(error) = descriptor_flags(fd) {
            let detail = format!(
                "fcntl(F_GETFD) on descriptor {fd}, which was closed when its socket was dropped"
            );
            return Ok(Observed { error, detail });
        }
    }
    bail!("5 closed descriptor numbers were each reused by another thread before the check")
}

/// `fcntl(fd, F_GETFD)`: reads a descriptor's close-on-exec flag. The only
/// `unsafe` in the workspace; see the crate's `Cargo.toml` for how it is
/// allowed here and nowhere else.
#[allow(unsafe_code)]
fn descriptor_flags(fd: RawFd) -> io::Result<i32> {
    // SAFETY: fcntl with F_GETFD takes no pointer and changes nothing: it
    // only reads the close-on-exec flag of `fd`. If `fd` is closed the kernel
    // refuses with EBADF, which is what we want to show. If another thread
    // has meanwhile reused the number, the call reads that descriptor's flag
    // and leaves it untouched, so its owner is not affected.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    if flags == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(flags)
    }
}
// ANCHOR_END: ebadf

// ANCHOR: eagain
/// EAGAIN (11), Rust's `WouldBlock`: a read timeout ran out.
///
/// `set_read_timeout` sets SO_RCVTIMEO; when it expires Linux fails the
/// `read()` with EAGAIN, the same errno a non-blocking socket gives when no
/// data is there. (Other systems say ETIMEDOUT; check both kinds.)
pub fn eagain(_: &crate::Env) -> Result<Observed> {
    let (mut client, _silent_server_side, addr) = connected_pair()?;
    client.set_read_timeout(Some(READ_TIMEOUT))?;
    let mut buf = [0u8; 64];
    expect_err(
        retry_interrupted(|| client.read(&mut buf)),
        format!(
            "read() from {addr}, a peer that sends nothing, with a {} read timeout (SO_RCVTIMEO)",
            common::text::secs(READ_TIMEOUT)
        ),
    )
}
// ANCHOR_END: eagain

// ANCHOR: einval
/// EINVAL (22): an argument the kernel refuses for this socket's state.
///
/// A socket gets one local address for life: `bind()` on a socket that is
/// already bound is refused with EINVAL (not EADDRINUSE: nothing else holds
/// the address, the request itself is invalid). `listen()` on a connected
/// socket is another classic EINVAL.
pub fn einval(_: &crate::Env) -> Result<Observed> {
    let socket = bare_socket()?;
    socket
        .bind(&loopback().into())
        .context("first bind 127.0.0.1:0")?;
    let first = socket
        .local_addr()?
        .as_socket()
        .context("local address is not IP")?;
    expect_err(
        socket.bind(&loopback().into()),
        format!("a second bind() to 127.0.0.1:0 on a socket already bound to {first}"),
    )
}
// ANCHOR_END: einval

// ANCHOR: emfile
/// EMFILE (24): this process has as many descriptors open as its limit
/// (`RLIMIT_NOFILE`, `ulimit -n`) allows.
///
/// Lowering the limit of *this* process would break whatever else it is
/// doing (the test harness runs other tests in threads next to us), so a
/// child does it: `sh -c 'ulimit -n 16 && exec lesson11-errors emfile-child'`
/// runs this same binary with a small limit, and [`emfile_child`] opens
/// sockets until the kernel refuses and reports the errno it got.
pub fn emfile(env: &crate::Env) -> Result<Observed> {
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n {EMFILE_LIMIT} && exec \"$0\" {EMFILE_CHILD}"
        ))
        .arg(&env.exe)
        .stdin(Stdio::null())
        .output()
        .with_context(|| child_context(&env.exe))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "{}: {}; {}",
            child_context(&env.exe),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let (errno, opened) = parse_child_report(&stdout)
        .with_context(|| format!("unexpected report from the child: {stdout:?}"))?;
    Ok(Observed {
        error: io::Error::from_raw_os_error(errno),
        detail: format!(
            "socket() in a child process limited to {EMFILE_LIMIT} descriptors \
             (ulimit -n {EMFILE_LIMIT}), after it had opened {opened} sockets"
        ),
    })
}
// ANCHOR_END: emfile

/// What [`emfile`] runs, for error messages.
fn child_context(exe: &Path) -> String {
    format!(
        "run `{} {EMFILE_CHILD}` with ulimit -n {EMFILE_LIMIT}",
        exe.display()
    )
}

/// Parses the child's one line, `errno <n> after <k> sockets`.
fn parse_child_report(line: &str) -> Option<(i32, u32)> {
    let mut words = line.split_whitespace();
    match (words.next()?, words.next()?, words.next()?, words.next()?) {
        ("errno", n, "after", k) => Some((n.parse().ok()?, k.parse().ok()?)),
        _ => None,
    }
}

// ANCHOR: emfile_child
/// The child's side of [`emfile`]: opens sockets (and keeps them) until
/// `socket()` fails, then prints `errno <n> after <k> sockets`.
///
/// Bounded: if 10,000 sockets open without an error, the limit was not
/// lowered and the child says so instead of eating every descriptor.
pub fn emfile_child(out: &mut impl Write) -> Result<()> {
    let mut held = Vec::new();
    for _ in 0..10_000 {
        match Socket::new(Domain::IPV4, Type::STREAM, None) {
            Ok(socket) => held.push(socket),
            Err(e) => {
                let errno = e
                    .raw_os_error()
                    .with_context(|| format!("socket(): {e}: no errno"))?;
                writeln!(out, "errno {errno} after {} sockets", held.len())?;
                return Ok(());
            }
        }
    }
    bail!(
        "{} sockets opened without an error: the descriptor limit was not lowered",
        held.len()
    )
}
// ANCHOR_END: emfile_child

// ANCHOR: epipe
/// EPIPE (32): writing to a connection the peer has closed.
///
/// The peer closes (FIN). Our first write still succeeds: the kernel only
/// queues the bytes and sends them. The peer's kernel has no socket left to
/// deliver them to and answers with a reset (RST); from then on every
/// write fails with EPIPE.
///
/// In C, that write would also raise SIGPIPE, whose default action kills
/// the process silently, unless the program ignores the signal or passes
/// `MSG_NOSIGNAL` to `send()`. Rust does both: the runtime sets SIGPIPE to
/// "ignore" before `main`, and std's `write` on a socket uses
/// `MSG_NOSIGNAL`. So in Rust EPIPE is an ordinary `Err(BrokenPipe)`.
pub fn epipe(_: &crate::Env) -> Result<Observed> {
    let (mut client, server_side, addr) = connected_pair()?;
    drop(server_side); // the server closes: FIN
    // Poll for the reset, a bounded number of times.
    for attempt in 1..=50 {
        match client.write_all(b"are you there?\n") {
            Ok(_) => thread::sleep(Duration::from_millis(20)),
            Err(error) => {
                let detail = format!(
                    "write() number {attempt} to {addr} after the server had closed its socket \
                     (the earlier writes were accepted and answered with a reset)"
                );
                return Ok(Observed { error, detail });
            }
        }
    }
    bail!("50 writes to {addr} after the server closed all succeeded")
}
// ANCHOR_END: epipe

// ANCHOR: eopnotsupp
/// EOPNOTSUPP (95): `listen()` on a UDP socket.
///
/// `listen()` means "queue incoming connections for `accept()`", and UDP
/// has no connections to queue: every datagram simply arrives at the bound
/// socket. The kernel's UDP code has no listen operation, so the call fails
/// with "operation not supported" while the `bind()` before it succeeds.
/// This is the UDP path of one original's TCP/UDP wrapper class, which
/// runs the same socket, bind, listen, accept sequence for both types.
pub fn eopnotsupp(_: &crate::Env) -> Result<Observed> {
    let udp = Socket::new(Domain::IPV4, Type::DGRAM, None).context("socket(SOCK_DGRAM)")?;
    udp.bind(&loopback().into()).context("bind 127.0.0.1:0")?;
    let addr = udp
        .local_addr()?
        .as_socket()
        .context("local address is not IP")?;
    expect_err(
        udp.listen(5),
        format!("listen() on a UDP socket bound to {addr} (the bind itself worked)"),
    )
}
// ANCHOR_END: eopnotsupp

// ANCHOR: eaddrinuse
/// EADDRINUSE (98): binding an address another socket holds.
///
/// std's `TcpListener::bind` sets SO_REUSEADDR, but that only lets a new
/// listener share a port with old connections in TIME_WAIT (lesson 04),
/// never with a socket that is still listening.
pub fn eaddrinuse(_: &crate::Env) -> Result<Observed> {
    let first = TcpListener::bind(loopback()).context("bind 127.0.0.1:0")?;
    let addr = first.local_addr().context("local address")?;
    expect_err(
        TcpListener::bind(addr),
        format!("bind() to {addr} while another socket of ours is listening there"),
    )
}
// ANCHOR_END: eaddrinuse

// ANCHOR: econnreset
/// ECONNRESET (104): the peer aborted the connection with a reset (RST).
///
/// SO_LINGER with a zero timeout turns `close()` into an abort: the kernel
/// throws away anything unsent and sends RST instead of the orderly FIN. A
/// peer that crashes, or closes with unread data in its buffer, does the
/// same.
pub fn econnreset(_: &crate::Env) -> Result<Observed> {
    let (mut client, server_side, addr) = connected_pair()?;
    SockRef::from(&server_side)
        .set_linger(Some(Duration::ZERO))
        .context("SO_LINGER 0")?;
    drop(server_side); // close() with SO_LINGER 0: RST
    let mut buf = [0u8; 64];
    expect_err(
        retry_interrupted(|| client.read(&mut buf)),
        format!("read() from {addr} after the server closed with SO_LINGER 0 (RST)"),
    )
}
// ANCHOR_END: econnreset

// ANCHOR: enotconn
/// ENOTCONN (107): asking a socket about a connection it does not have.
///
/// `getpeername()` (std's `peer_addr()`) on a socket that never connected.
/// `shutdown()`, `send()` and `recv()` on an unconnected TCP socket fail the
/// same way.
pub fn enotconn(_: &crate::Env) -> Result<Observed> {
    let socket = bare_socket()?;
    expect_err(
        socket.peer_addr(),
        "getpeername() on a TCP socket that was never connected".to_string(),
    )
}
// ANCHOR_END: enotconn

// ANCHOR: econnrefused
/// ECONNREFUSED (111): nobody listens on that port.
///
/// A socket that is bound but never called `listen()` holds the port (no
/// other program can take it while we look), yet refuses connections: the
/// kernel hands an incoming SYN only to a *listening* socket and answers
/// anything else with a reset, which `connect()` reports as ECONNREFUSED.
pub fn econnrefused(_: &crate::Env) -> Result<Observed> {
    let holder = bare_socket()?;
    holder
        .bind(&loopback().into())
        .context("bind 127.0.0.1:0")?;
    let addr = holder
        .local_addr()?
        .as_socket()
        .context("local address is not IP")?;
    expect_err(
        TcpStream::connect_timeout(&addr, PATIENCE),
        format!("connect() to {addr}, a port held by a socket that never called listen()"),
    )
}
// ANCHOR_END: econnrefused

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_report_is_parsed() {
        assert_eq!(
            parse_child_report("errno 24 after 13 sockets\n"),
            Some((24, 13))
        );
        assert_eq!(parse_child_report("errno x after 13 sockets"), None);
        assert_eq!(parse_child_report(""), None);
    }

    #[test]
    fn a_call_that_succeeds_is_not_a_reproduction() {
        assert!(expect_err(Ok(()), "nothing".into()).is_err());
    }
}
