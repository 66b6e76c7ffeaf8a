//! Lesson 12: the echo of lesson 03 over a Unix domain socket (AF_UNIX).
//!
//! Same server, same client, same bytes; only the address changes: a path
//! in the filesystem (`/tmp/echo.sock`) instead of `127.0.0.1:8001`. The
//! kernel copies bytes from one process to the other without any TCP/IP:
//! no ports, no checksums, no handshake packets. In exchange, both ends are
//! on the same machine, so the server can ask *who* connected (the peer's
//! pid, uid and gid, SO_PEERCRED), and file permissions decide who may
//! connect at all.
//!
//! # Layout
//!
//! - [`Args`]: `server` and `client`, each with `--path <p>` or
//!   `--abstract <name>` (Linux's abstract namespace, no file).
//! - [`socket_path`]: which files at the path may be removed, and removing
//!   our own socket on exit.
//! - [`bind`], [`serve`]: one client at a time, each echoed with
//!   [`lesson03_echo::echo`], each one's credentials printed.
//! - [`peer_credentials`]: SO_PEERCRED through `nix` (no unsafe code).
//! - [`converse`]: the client's stdin-to-echo loop.

use std::fmt;
use std::io::{self, BufRead, Read, Write};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use common::text::{printable, secs};
use common::{Shutdown, errln, outln};

pub mod socket_path;

use socket_path::{Previous, SocketFile};

/// The echo of lesson 03 over a Unix domain socket.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

/// What to run.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Echo back everything each client sends, one client at a time, and
    /// print who each client is (pid, uid, gid).
    Server(ServerArgs),
    /// Send the lines read from stdin and print what the server echoes.
    Client(ClientArgs),
}

/// Where the socket is: a path, or a name in the abstract namespace.
#[derive(Debug, Clone, clap::Args)]
#[group(required = true, multiple = false)]
pub struct PlaceArgs {
    /// Filesystem path of the socket, e.g. /tmp/echo.sock.
    #[arg(long)]
    pub path: Option<PathBuf>,
    /// A name in Linux's abstract namespace instead of a file: nothing to
    /// clean up, but no file permissions either (shown as `@name`).
    #[arg(long = "abstract", value_name = "NAME")]
    pub abstract_name: Option<String>,
}

/// Flags of `server`.
#[derive(Debug, clap::Args)]
pub struct ServerArgs {
    #[command(flatten)]
    pub place: PlaceArgs,
    /// Seconds a client may stay silent (or stop reading) before it is
    /// disconnected. While one client is served everyone else waits, so
    /// this also bounds how long a silent client blocks the queue.
    #[arg(long, default_value = "30", value_parser = common::args::parse_secs)]
    pub idle_timeout: Duration,
}

/// Flags of `client`.
#[derive(Debug, clap::Args)]
pub struct ClientArgs {
    #[command(flatten)]
    pub place: PlaceArgs,
    /// Seconds to wait for the connection and for each echoed line.
    #[arg(long, default_value = "5", value_parser = common::args::parse_secs)]
    pub timeout: Duration,
}

/// A socket address, as this lesson's flags describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A socket file at this path.
    Path(PathBuf),
    /// A name in the abstract namespace (Linux only): no file, gone when the
    /// last socket using it closes.
    Abstract(String),
}

impl PlaceArgs {
    /// The place the flags name (clap guarantees exactly one is given).
    pub fn place(&self) -> Result<Place> {
        match (&self.path, &self.abstract_name) {
            (Some(path), None) => Ok(Place::Path(path.clone())),
            (None, Some(name)) => Ok(Place::Abstract(name.clone())),
            _ => bail!("give exactly one of --path and --abstract"),
        }
    }
}

impl fmt::Display for Place {
    /// A path as itself; an abstract name as `@name`, the way `ss -x` shows it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Path(path) => write!(f, "{}", path.display()),
            Place::Abstract(name) => write!(f, "@{name}"),
        }
    }
}

impl Place {
    /// The address for `bind`/`connect`.
    pub fn addr(&self) -> io::Result<SocketAddr> {
        match self {
            Place::Path(path) => SocketAddr::from_pathname(path),
            Place::Abstract(name) => SocketAddr::from_abstract_name(name.as_bytes()),
        }
    }

    /// Connects a client to this place.
    pub fn connect(&self) -> Result<UnixStream> {
        let addr = self.addr().with_context(|| format!("address {self}"))?;
        UnixStream::connect_addr(&addr).with_context(|| format!("connect to {self}"))
    }
}

/// Server settings that tests set directly.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// See [`ServerArgs::idle_timeout`].
    pub idle_timeout: Duration,
}

/// What a server did before it stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Connections accepted and served to the end.
    pub clients: u64,
    /// Bytes echoed back over all of them.
    pub bytes: u64,
}

/// A bound listener and, for a path, the file to remove when done.
#[derive(Debug)]
pub struct Bound {
    /// The listening socket.
    pub listener: UnixListener,
    /// The socket file (`None` in the abstract namespace). Dropping it
    /// removes the file.
    pub file: Option<SocketFile>,
    /// What was at the path before.
    pub previous: Previous,
}

// ANCHOR: bind
/// Binds a listener at `place`, first clearing a stale socket file (and
/// only that: see [`socket_path::clear_stale`]).
pub fn bind(place: &Place) -> Result<Bound> {
    let previous = match place {
        Place::Path(path) => socket_path::clear_stale(path)?,
        Place::Abstract(_) => Previous::Nothing,
    };
    let addr = place.addr().with_context(|| format!("address {place}"))?;
    let listener = UnixListener::bind_addr(&addr).with_context(|| format!("bind {place}"))?;
    let file = match place {
        Place::Path(path) => {
            Some(SocketFile::created(path).with_context(|| format!("inspect {}", path.display()))?)
        }
        Place::Abstract(_) => None,
    };
    Ok(Bound {
        listener,
        file,
        previous,
    })
}
// ANCHOR_END: bind

/// Runs the chosen subcommand.
pub fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Server(a) => {
            let place = a.place.place()?;
            let bound = bind(&place)?;
            // Signals are handled before the ready line, so a SIGTERM sent
            // as soon as the line is read still removes the socket file.
            let shutdown = Shutdown::new();
            shutdown.on_signals()?;
            common::ready::announce(&place).context("write ready line")?;
            if bound.previous == Previous::StaleSocket {
                outln!("removed stale socket {place} (nobody was listening on it)");
            }
            let config = ServerConfig {
                idle_timeout: a.idle_timeout,
            };
            let summary = serve(bound.listener, &place, &shutdown, &config)?;
            let removed = match bound.file {
                Some(file) => match file.remove() {
                    Ok(true) => format!(", removed {place}"),
                    Ok(false) => format!(", left {place} alone (no longer ours)"),
                    Err(e) => format!(", could not remove {place}: {e}"),
                },
                None => String::new(),
            };
            common::summaryln!(
                "shut down: served {}, echoed {}{removed}",
                common::text::count(summary.clients, "client"),
                common::text::count(summary.bytes, "byte")
            );
            Ok(())
        }
        Command::Client(a) => {
            let place = a.place.place()?;
            let stream = place.connect()?;
            converse(
                &stream,
                io::stdin().lock(),
                &mut io::stdout().lock(),
                a.timeout,
            )
            .with_context(|| format!("echo over {place}"))?;
            Ok(())
        }
    }
}

// ANCHOR: credentials
/// Who is on the other end of a Unix socket, as the kernel recorded it when
/// the peer called `connect()` (it cannot be forged by the peer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credentials {
    /// Process id of the peer.
    pub pid: i32,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
}

/// Asks the kernel for the peer's credentials (`getsockopt(SO_PEERCRED)`).
///
/// std has `UnixStream::peer_cred`, but only on nightly Rust; the `nix`
/// crate wraps the same call safely.
pub fn peer_credentials(stream: &UnixStream) -> io::Result<Credentials> {
    use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
    let cred = getsockopt(stream, PeerCredentials).map_err(io::Error::from)?;
    Ok(Credentials {
        pid: cred.pid(),
        uid: cred.uid(),
        gid: cred.gid(),
    })
}
// ANCHOR_END: credentials

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pid {} uid {} gid {}", self.pid, self.uid, self.gid)
    }
}

// ANCHOR: serve
/// Serves clients one at a time until `shutdown` is triggered: lesson 03's
/// loop, with credentials instead of a peer address.
pub fn serve(
    listener: UnixListener,
    place: &Place,
    shutdown: &Shutdown,
    config: &ServerConfig,
) -> Result<Summary> {
    let mut summary = Summary::default();
    // Lesson 03's loop. At shutdown it shuts the listening socket down,
    // which wakes a blocked accept() and needs no path (ours may be gone
    // by then, deleted or replaced); TCP's fallback, connecting to the
    // listener, would need one.
    let accept_on = || format!("accept on {place}");
    for conn in common::accept::connections(&listener, shutdown).with_context(accept_on)? {
        let (stream, _addr) = conn.with_context(accept_on)?;
        // A client's address is almost always unnamed: clients rarely bind.
        // What identifies it is the process behind it.
        let who = match peer_credentials(&stream) {
            Ok(cred) => format!("client {cred}"),
            Err(e) => format!("client (credentials unknown: {e})"),
        };
        outln!("{who} connected");
        let setup = stream
            .set_read_timeout(Some(config.idle_timeout))
            .and_then(|()| stream.set_write_timeout(Some(config.idle_timeout)))
            .and_then(|()| shutdown.stop_serving(&stream));
        let _closed_at_shutdown = match setup {
            Ok(guard) => guard,
            Err(e) => {
                outln!("{who}: error: {e}");
                continue;
            }
        };
        // The very same function lesson 03 runs on a TcpStream.
        match lesson03_echo::echo(&stream) {
            Ok(n) => {
                outln!("{who} disconnected after {n} bytes");
                summary.bytes += n;
            }
            Err(e) if common::line_reader::is_timeout(&e) => outln!(
                "{who} idle for {}, disconnecting",
                secs(config.idle_timeout)
            ),
            Err(e) => outln!("{who}: error: {e}"),
        }
        summary.clients += 1;
    }
    Ok(summary)
}
// ANCHOR_END: serve

// ANCHOR: converse
/// The client: sends each line of `input`, reads back exactly as many bytes
/// and prints them, then closes its sending side and waits for the server
/// to close. Returns the number of lines echoed.
///
/// The echo of a line is the same bytes, so we know how many to wait for;
/// `read_exact` loops over however many pieces they arrive in.
pub fn converse(
    stream: &UnixStream,
    input: impl BufRead,
    out: &mut impl Write,
    timeout: Duration,
) -> Result<u64> {
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut lines = 0;
    for line in input.split(b'\n') {
        let mut line = line.context("read stdin")?;
        line.push(b'\n');
        (&*stream).write_all(&line).context("send")?;
        let mut echoed = vec![0; line.len()];
        if let Err(e) = (&*stream).read_exact(&mut echoed) {
            if common::line_reader::is_timeout(&e) {
                bail!("no echo within {}", secs(timeout));
            }
            return Err(e).context("read echo");
        }
        echoed.pop(); // the '\n' we sent
        writeln!(out, "{}", printable(&echoed))?;
        out.flush()?;
        lines += 1;
    }
    // "Nothing more from me": the server's read returns 0 and it closes too.
    stream
        .shutdown(std::net::Shutdown::Write)
        .context("shut down sending")?;
    let mut rest = [0u8; 1];
    match (&*stream).read(&mut rest) {
        Ok(0) => Ok(lines),
        Ok(_) => bail!("the server sent bytes we did not send"),
        Err(e) if common::line_reader::is_timeout(&e) => {
            errln!("warning: the server did not close within {}", secs(timeout));
            Ok(lines)
        }
        Err(e) => Err(e).context("wait for the server to close"),
    }
}
// ANCHOR_END: converse
