//! Lesson 04: `SO_REUSEADDR`, `TIME_WAIT`, and "Address already in use".
//!
//! Stop a server that had clients, start it again at once, and `bind` may
//! fail with `Address already in use (os error 98)`: the connections the old
//! server closed are still remembered by the kernel in the `TIME_WAIT` state.
//! The socket option `SO_REUSEADDR` tells `bind` to ignore such leftovers.
//!
//! Rust's `TcpListener::bind` already sets `SO_REUSEADDR` on Unix, so to *see*
//! the option change we build the socket step by step with `socket2`:
//! `socket()`, `getsockopt`, `setsockopt`, `getsockopt`, `bind()`, `listen()`.
//!
//! # Layout
//!
//! - [`Args`]: `server [--no-reuse]` and `demo` subcommands.
//! - [`listen_with_reuse`]: the listener built by hand, reading the option
//!   before and after setting it.
//! - [`serve`]: lesson 03's one-client-at-a-time echo on that listener.
//! - [`demo`]: reproduces `TIME_WAIT` on a free port and tries three rebinds.
//! - [`tcp_state`]: reads a connection's state from `/proc/net/tcp`, so the
//!   demo can show the `TIME_WAIT` it talks about.

use std::io::{self, Read};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use common::{Shutdown, outln};
use socket2::{Domain, Protocol, Socket, Type};

/// How many finished handshakes the kernel may queue for us while we are busy
/// with one client. std uses 128; a one-at-a-time server wants more room, so
/// a burst of clients waits in the queue instead of being retried by TCP.
pub const BACKLOG: i32 = 1024;

/// SO_REUSEADDR: see it before and after, and watch TIME_WAIT block a restart.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

/// What to run.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print SO_REUSEADDR before and after setting it, then echo like lesson 03.
    Server(ServerArgs),
    /// Reproduce TIME_WAIT on a free port and show which rebinds succeed.
    Demo,
}

/// Flags of `server`.
#[derive(Debug, clap::Args)]
pub struct ServerArgs {
    #[command(flatten)]
    pub host: common::args::HostArg,
    /// Port to listen on (0 picks a free one). 8081 is the original's port.
    #[arg(long, default_value_t = 8081)]
    pub port: u16,
    /// Leave SO_REUSEADDR off, to see a restart fail while old connections
    /// are in TIME_WAIT.
    #[arg(long)]
    pub no_reuse: bool,
    /// Seconds a client may stay silent before it is disconnected. One client
    /// is served at a time, so this bounds how long a silent one blocks the rest.
    #[arg(long, default_value = "30", value_parser = common::args::parse_secs)]
    pub idle_timeout: Duration,
}

/// What `getsockopt(SO_REUSEADDR)` answered before and after we set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReuseStates {
    /// Read on the fresh socket: a new socket starts with the option off.
    pub before: bool,
    /// Read after `setsockopt` (or after skipping it with `--no-reuse`).
    pub after: bool,
}

/// Runs the chosen subcommand.
pub fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Server(a) => run_server(&a),
        Command::Demo => {
            let demo = demo()?;
            for line in demo.lines() {
                outln!("{line}");
            }
            demo.check()
        }
    }
}

/// `server`: bind by hand, announce, print the option states, echo.
fn run_server(a: &ServerArgs) -> Result<()> {
    let addr = common::addr::bind_addr(&a.host.address, a.port)?;
    let (listener, states) = listen_with_reuse(addr, !a.no_reuse)?;
    let local = listener.local_addr().context("local address")?;
    // The ready line comes first (tests and scripts wait for it); the option
    // states follow it.
    common::ready::announce(local).context("write ready line")?;
    outln!("SO_REUSEADDR before: {}", states.before);
    outln!("SO_REUSEADDR after: {}", states.after);
    let shutdown = Shutdown::new();
    shutdown.on_signals()?;
    let summary = serve(listener, &shutdown, a.idle_timeout)?;
    common::summaryln!(
        "shut down: served {}, echoed {}",
        common::text::count(summary.clients, "client"),
        common::text::count(summary.bytes, "byte")
    );
    Ok(())
}

// ANCHOR: listen_with_reuse
/// Creates a listening socket on `addr` step by step, reading `SO_REUSEADDR`
/// before and after setting it (when `reuse` is true).
///
/// The option must be set *before* `bind`: it changes how `bind` checks for
/// other sockets on the same port, and `bind` is where that check happens.
pub fn listen_with_reuse(addr: SocketAddr, reuse: bool) -> Result<(TcpListener, ReuseStates)> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
        .context("create socket")?;
    let before = socket.reuse_address().context("getsockopt SO_REUSEADDR")?;
    if reuse {
        socket
            .set_reuse_address(true)
            .context("setsockopt SO_REUSEADDR")?;
    }
    let after = socket.reuse_address().context("getsockopt SO_REUSEADDR")?;
    socket
        .bind(&addr.into())
        .with_context(|| format!("bind {addr}"))?;
    socket
        .listen(BACKLOG)
        .with_context(|| format!("listen on {addr}"))?;
    Ok((socket.into(), ReuseStates { before, after }))
}
// ANCHOR_END: listen_with_reuse

// ANCHOR: serve
/// Serves clients one at a time with lesson 03's echo until `shutdown`.
///
/// Nothing here is new: the listener came from [`listen_with_reuse`] instead
/// of `TcpListener::bind`, and from then on it is an ordinary `TcpListener`.
pub fn serve(
    listener: TcpListener,
    shutdown: &Shutdown,
    idle_timeout: Duration,
) -> Result<lesson03_echo::Summary> {
    lesson03_echo::serve(
        listener,
        shutdown,
        &lesson03_echo::ServerConfig { idle_timeout },
    )
}
// ANCHOR_END: serve

/// How long the demo waits for a step that happens at once on loopback.
const STEP_TIMEOUT: Duration = Duration::from_secs(5);

/// What [`demo`] saw: where the TIME_WAIT socket sat and how each rebind went.
#[derive(Debug)]
pub struct Demo {
    /// The port left in TIME_WAIT by a server that had SO_REUSEADDR on.
    pub addr: SocketAddr,
    /// The client of the closed connection (the other end of the TIME_WAIT).
    pub peer: SocketAddr,
    /// The state `/proc/net/tcp` showed for that connection (`None` where
    /// `/proc` is not available).
    pub state: Option<&'static str>,
    /// Rebinding `addr` with SO_REUSEADDR off.
    pub without_reuse: io::Result<SocketAddr>,
    /// Rebinding `addr` with SO_REUSEADDR on.
    pub with_reuse: io::Result<SocketAddr>,
    /// A second port, left in TIME_WAIT by a server with SO_REUSEADDR *off*.
    pub addr_old_off: SocketAddr,
    /// Rebinding that second port with SO_REUSEADDR on.
    pub old_off_new_on: io::Result<SocketAddr>,
}

// ANCHOR: demo
/// Leaves a connection in TIME_WAIT on a free port, then tries to bind that
/// port again without and with SO_REUSEADDR; then repeats with an old socket
/// that did not set the option.
pub fn demo() -> Result<Demo> {
    let (addr, peer) = leave_time_wait(true)?;
    let state = tcp_state(addr, peer);
    let without_reuse = try_bind(addr, false);
    let with_reuse = try_bind(addr, true);
    let (addr_old_off, _) = leave_time_wait(false)?;
    let old_off_new_on = try_bind(addr_old_off, true);
    Ok(Demo {
        addr,
        peer,
        state,
        without_reuse,
        with_reuse,
        addr_old_off,
        old_off_new_on,
    })
}

/// Opens a listener (with or without SO_REUSEADDR), lets one client connect,
/// and closes the *server's* end first, so that end goes through
/// FIN_WAIT_1, FIN_WAIT_2 and stays in TIME_WAIT. Returns the server address
/// and the client address of that connection.
pub fn leave_time_wait(server_reuse: bool) -> Result<(SocketAddr, SocketAddr)> {
    let (listener, _) =
        listen_with_reuse(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), server_reuse)?;
    let addr = listener.local_addr().context("local address")?;
    let mut client = TcpStream::connect_timeout(&addr, STEP_TIMEOUT)
        .with_context(|| format!("connect to {addr}"))?;
    let (served, peer) = listener.accept().context("accept")?;
    // The listening socket goes away for good; only the connection is left.
    drop(listener);
    // The server closes first (an "active close"): it sends FIN...
    drop(served);
    // ...the client reads EOF and closes too (its FIN ends the handshake).
    client.set_read_timeout(Some(STEP_TIMEOUT))?;
    let n = client.read(&mut [0u8; 1]).context("client waits for EOF")?;
    if n != 0 {
        bail!("expected EOF from the closed server, got {n} byte(s)");
    }
    drop(client);
    // On loopback the last ACK arrives at once; wait for the kernel to show it.
    let deadline = Instant::now() + STEP_TIMEOUT;
    while tcp_state(addr, peer).is_some_and(|s| s != "TIME_WAIT") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok((addr, peer))
}

/// Tries to bind (and listen on) `addr` with SO_REUSEADDR on or off; the
/// socket is closed again straight away.
fn try_bind(addr: SocketAddr, reuse: bool) -> io::Result<SocketAddr> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(reuse)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    Ok(addr)
}
// ANCHOR_END: demo

impl Demo {
    /// The demo's report, one line each, as the binary prints it.
    pub fn lines(&self) -> Vec<String> {
        let show = |r: &io::Result<SocketAddr>, addr: SocketAddr| match r {
            Ok(a) => format!("bound {a}"),
            Err(e) => format!("error binding {addr}: {e}"),
        };
        let state = self.state.unwrap_or("(state unknown: no /proc/net/tcp)");
        vec![
            format!(
                "server {} (SO_REUSEADDR on) accepted {} and closed first",
                self.addr, self.peer
            ),
            format!("connection {} -> {}: {state}", self.addr, self.peer),
            format!(
                "without SO_REUSEADDR: {}",
                show(&self.without_reuse, self.addr)
            ),
            format!("with SO_REUSEADDR: {}", show(&self.with_reuse, self.addr)),
            format!(
                "server {} (SO_REUSEADDR off) did the same: a second port, because the \
                 first one's TIME_WAIT connection belongs to a socket that had it on",
                self.addr_old_off
            ),
            format!(
                "old socket without SO_REUSEADDR, new socket with it: {}",
                show(&self.old_off_new_on, self.addr_old_off)
            ),
            "Linux lets a new socket share a port with a TIME_WAIT connection only \
             when both sockets set SO_REUSEADDR."
                .to_string(),
        ]
    }

    /// Ok when every rebind went the way Linux documents; an error naming the
    /// first surprise otherwise (another kernel, or something else on the port).
    pub fn check(&self) -> Result<()> {
        let in_use = |r: &io::Result<SocketAddr>| matches!(r, Err(e) if e.kind() == io::ErrorKind::AddrInUse);
        if !in_use(&self.without_reuse) {
            bail!("expected the rebind without SO_REUSEADDR to fail with EADDRINUSE");
        }
        if let Err(e) = &self.with_reuse {
            bail!("expected the rebind with SO_REUSEADDR to succeed: {e}");
        }
        if !in_use(&self.old_off_new_on) {
            bail!("expected the rebind after an old socket without SO_REUSEADDR to fail");
        }
        Ok(())
    }
}

// ANCHOR: tcp_state
/// The state of the IPv4 TCP connection `local` -> `remote`, as the kernel
/// lists it in `/proc/net/tcp` (what `ss -tan` shows), or `None` if it is not
/// there or `/proc` is not available.
pub fn tcp_state(local: SocketAddr, remote: SocketAddr) -> Option<&'static str> {
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    let (local, remote) = (proc_addr(local)?, proc_addr(remote)?);
    table.lines().skip(1).find_map(|line| {
        let mut fields = line.split_whitespace().skip(1);
        let (l, r, st) = (fields.next()?, fields.next()?, fields.next()?);
        (l == local && r == remote).then(|| state_name(st))
    })
}

/// An address the way `/proc/net/tcp` writes it: the IPv4 address as a
/// 32-bit number in the machine's byte order, then the port, both in hex
/// (`127.0.0.1:8081` is `0100007F:1F91` on x86).
fn proc_addr(addr: SocketAddr) -> Option<String> {
    match addr.ip() {
        IpAddr::V4(ip) => Some(format!(
            "{:08X}:{:04X}",
            u32::from_ne_bytes(ip.octets()),
            addr.port()
        )),
        IpAddr::V6(_) => None,
    }
}

/// The names of the TCP states, numbered as in the kernel's `tcp_states.h`.
fn state_name(hex: &str) -> &'static str {
    match hex {
        "01" => "ESTABLISHED",
        "02" => "SYN_SENT",
        "03" => "SYN_RECV",
        "04" => "FIN_WAIT1",
        "05" => "FIN_WAIT2",
        "06" => "TIME_WAIT",
        "07" => "CLOSE",
        "08" => "CLOSE_WAIT",
        "09" => "LAST_ACK",
        "0A" => "LISTEN",
        "0B" => "CLOSING",
        _ => "UNKNOWN",
    }
}
// ANCHOR_END: tcp_state
