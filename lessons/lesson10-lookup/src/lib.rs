//! Lesson 10: names and numbers.
//!
//! Sockets only know addresses and port numbers; people use names. This
//! lesson asks the machine to translate, in both directions: host names to
//! addresses (`getaddrinfo`, which reads `/etc/hosts` and asks DNS, in the
//! order `/etc/nsswitch.conf` gives), addresses back to names
//! (`getnameinfo`), service names to ports (`/etc/services`) and protocol
//! names to numbers (`/etc/protocols`).
//!
//! With no arguments it runs the original tutorial's tour on this machine;
//! the subcommands do one look-up each.
//!
//! # Layout
//!
//! - [`Args`], [`Command`]: the tour and the subcommands.
//! - [`netdb`]: the services and protocols files, parsed as glibc does.
//! - [`resolve`], [`reverse`], [`addrinfo`]: host look-ups through the C
//!   library's resolver (via the `dns-lookup` crate, so no `unsafe` here).
//! - [`tour`]: the original's sequence of look-ups.

pub mod netdb;

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use clap::{Parser, Subcommand};
use dns_lookup::{AddrInfoHints, LookupError, LookupErrorKind};

use netdb::{Protocols, Services};

/// Look up host names, addresses, services and protocols on this machine.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Args {
    /// What to look up; without a subcommand, the tour of the original tutorial.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The services database (tests point this at a scratch file).
    #[arg(long, global = true, hide = true, default_value = netdb::SERVICES_FILE)]
    pub services_file: PathBuf,
    /// The protocols database (tests point this at a scratch file).
    #[arg(long, global = true, hide = true, default_value = netdb::PROTOCOLS_FILE)]
    pub protocols_file: PathBuf,
}

/// One look-up.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// This machine's host name (gethostname).
    Hostname,
    /// The addresses of a host name (getaddrinfo).
    Resolve {
        /// Host name, e.g. localhost.
        host: String,
    },
    /// The name of an address (getnameinfo, the modern gethostbyaddr).
    Reverse {
        /// IPv4 or IPv6 address, e.g. 127.0.0.1.
        ip: IpAddr,
    },
    /// The port of a service name (getservbyname).
    Service {
        /// Service name or alias, e.g. http.
        name: String,
        /// Only entries for this transport protocol.
        #[arg(long)]
        proto: Option<Proto>,
    },
    /// The service name of a port (getservbyport).
    Port {
        /// Port number, e.g. 25.
        port: u16,
        /// Only entries for this transport protocol.
        #[arg(long)]
        proto: Option<Proto>,
    },
    /// A protocol by name or number (getprotobyname, getprotobynumber).
    Proto {
        /// Protocol name or number, e.g. udp or 17.
        name_or_number: String,
    },
    /// Everything getaddrinfo returns for a host (and service): one row per
    /// address and socket type.
    Addrinfo {
        /// Host name or address.
        host: String,
        /// Service name or port number, e.g. http or 8080.
        service: Option<String>,
    },
}

/// The transport protocols the services file lists ports for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Proto {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

impl Proto {
    /// The protocol's name as the services file spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
}

/// Runs the command, printing to stdout.
pub fn run(args: &Args) -> Result<()> {
    let mut out = std::io::stdout().lock();
    run_to(args, &mut out)?;
    out.flush().context("write output")
}

/// Runs the command, printing to `out` (tests read it).
pub fn run_to(args: &Args, out: &mut impl Write) -> Result<()> {
    let services = || Services::load(&args.services_file);
    let protocols = || Protocols::load(&args.protocols_file);
    match &args.command {
        None => tour(args, out)?,
        Some(Command::Hostname) => writeln!(out, "{}", hostname()?)?,
        Some(Command::Resolve { host }) => {
            for ip in resolve(host)? {
                let family = if ip.is_ipv4() {
                    "address"
                } else {
                    "IPv6 address"
                };
                writeln!(out, "{host} has {family} {ip}")?;
            }
        }
        Some(Command::Reverse { ip }) => writeln!(out, "{ip} has name {}", reverse(*ip)?)?,
        Some(Command::Service { name, proto }) => {
            let proto = proto.map(Proto::as_str);
            let db = services()?;
            let entry = db.by_name(name, proto).ok_or_else(|| {
                anyhow!(
                    "service {name}{} not found in {}",
                    proto.map(|p| format!("/{p}")).unwrap_or_default(),
                    args.services_file.display()
                )
            })?;
            writeln!(out, "{entry}")?;
        }
        Some(Command::Port { port, proto }) => {
            let proto = proto.map(Proto::as_str);
            let db = services()?;
            let entry = db.by_port(*port, proto).ok_or_else(|| {
                anyhow!(
                    "no service on port {port}{} in {}",
                    proto.map(|p| format!("/{p}")).unwrap_or_default(),
                    args.services_file.display()
                )
            })?;
            writeln!(out, "{entry}")?;
        }
        Some(Command::Proto { name_or_number }) => {
            let db = protocols()?;
            let entry = match name_or_number.parse::<u32>() {
                Ok(n) => db.by_number(n),
                Err(_) => db.by_name(name_or_number),
            };
            let entry = entry.ok_or_else(|| {
                anyhow!(
                    "protocol {name_or_number} not found in {}",
                    args.protocols_file.display()
                )
            })?;
            writeln!(out, "{entry}")?;
        }
        Some(Command::Addrinfo { host, service }) => {
            let rows = addrinfo(host, service.as_deref())?;
            print_table(out, &rows, protocols().ok().as_ref())?;
        }
    }
    Ok(())
}

/// `gethostname()`: the name this machine calls itself (the kernel's
/// UTS name; not necessarily a name anyone else can resolve).
pub fn hostname() -> Result<String> {
    dns_lookup::get_hostname().context("gethostname")
}

/// Flags for every host look-up: only return address families this machine
/// has configured (no IPv6 answers on an IPv4-only host), as `getent ahosts`
/// does, so the two agree.
const FLAGS: i32 = libc::AI_ADDRCONFIG;

// ANCHOR: resolve
/// The addresses of `host`, IPv4 and IPv6, in the resolver's order,
/// each once. An unknown name is an error naming it.
pub fn resolve(host: &str) -> Result<Vec<IpAddr>> {
    let hints = AddrInfoHints {
        flags: FLAGS,
        // One socket type, or every address comes back three times
        // (stream, datagram, raw).
        socktype: libc::SOCK_STREAM,
        ..AddrInfoHints::default()
    };
    let mut ips = Vec::new();
    for info in dns_lookup::getaddrinfo(Some(host), None, Some(hints))
        .map_err(|e| lookup_error("resolve", host, e))?
    {
        let ip = info
            .with_context(|| format!("resolve {host}"))?
            .sockaddr
            .ip();
        if !ips.contains(&ip) {
            ips.push(ip);
        }
    }
    Ok(ips)
}
// ANCHOR_END: resolve

/// Words for a failed look-up, naming what was looked up. "Not found" is
/// told apart from "could not ask" (no DNS server answering, say), because
/// the fixes differ: a typo versus a network problem.
fn lookup_error(verb: &str, what: &str, e: LookupError) -> anyhow::Error {
    let found_nothing = matches!(e.kind(), LookupErrorKind::NoName | LookupErrorKind::NoData);
    // The C library's own words (gai_strerror), without dns-lookup's prefix.
    let text = std::io::Error::from(e).to_string();
    let text = text
        .strip_prefix("failed to lookup address information: ")
        .unwrap_or(&text)
        .to_string();
    if found_nothing {
        anyhow!("{verb} {what}: not found ({text})")
    } else {
        anyhow!("{verb} {what}: {text}")
    }
}

/// `getnameinfo()` with `NI_NAMEREQD`: the name of an address, or an error
/// if it has none (rather than the address echoed back as text).
pub fn reverse(ip: IpAddr) -> Result<String> {
    dns_lookup::lookup_addr(&ip).map_err(|e| lookup_error("reverse", &ip.to_string(), e))
}

/// One row of `getaddrinfo`'s answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrRow {
    /// `AF_INET` or `AF_INET6`.
    pub family: &'static str,
    /// `SOCK_STREAM`, `SOCK_DGRAM` or `SOCK_RAW`.
    pub socktype: &'static str,
    /// The protocol number (6 for TCP, 17 for UDP, 0 for "any").
    pub protocol: i32,
    /// The address (and port, if a service was given) to use with it.
    pub addr: SocketAddr,
}

// ANCHOR: addrinfo
/// Everything `getaddrinfo(host, service)` returns: one row for each
/// address *and* each kind of socket it suits.
pub fn addrinfo(host: &str, service: Option<&str>) -> Result<Vec<AddrRow>> {
    let hints = AddrInfoHints {
        flags: FLAGS,
        ..AddrInfoHints::default()
    };
    let what = match service {
        Some(s) => format!("{host} {s}"),
        None => host.to_string(),
    };
    let mut rows = Vec::new();
    for info in dns_lookup::getaddrinfo(Some(host), service, Some(hints))
        .map_err(|e| lookup_error("resolve", &what, e))?
    {
        let info = info.with_context(|| format!("resolve {what}"))?;
        rows.push(AddrRow {
            family: match info.address {
                libc::AF_INET => "AF_INET",
                libc::AF_INET6 => "AF_INET6",
                _ => "other",
            },
            socktype: match info.socktype {
                libc::SOCK_STREAM => "SOCK_STREAM",
                libc::SOCK_DGRAM => "SOCK_DGRAM",
                libc::SOCK_RAW => "SOCK_RAW",
                _ => "other",
            },
            protocol: info.protocol,
            addr: info.sockaddr,
        });
    }
    Ok(rows)
}
// ANCHOR_END: addrinfo

/// Prints `rows` as a table; protocol numbers get their names when the
/// protocols database is at hand.
pub fn print_table(
    out: &mut impl Write,
    rows: &[AddrRow],
    protocols: Option<&Protocols>,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<9} {:<12} {:<9} address",
        "family", "type", "protocol"
    )?;
    for row in rows {
        let name = u32::try_from(row.protocol)
            .ok()
            .and_then(|n| protocols?.by_number(n))
            .map(|p| format!(" ({})", p.name))
            .unwrap_or_default();
        let protocol = format!("{}{name}", row.protocol);
        writeln!(
            out,
            "{:<9} {:<12} {:<9} {}",
            row.family, row.socktype, protocol, row.addr
        )?;
    }
    Ok(())
}

// ANCHOR: tour
/// The original tutorial's tour, on this machine. The original asked for
/// `www.baidu.com`; there is no network here, so the last look-up uses
/// `localhost`, which `/etc/hosts` answers.
pub fn tour(args: &Args, out: &mut impl Write) -> Result<()> {
    let name = hostname()?;
    writeln!(out, "host name: {name}")?;
    let ips = resolve(&name)?;
    let ip = *ips
        .iter()
        .find(|ip| ip.is_ipv4())
        .or(ips.first())
        .ok_or_else(|| anyhow!("resolve {name}: no addresses"))?;
    writeln!(out, "address of {name}: {ip}")?;
    writeln!(out, "name of {ip}: {}", reverse(ip)?)?;

    let services = Services::load(&args.services_file)?;
    let protocols = Protocols::load(&args.protocols_file)?;
    let port = |name: &str, proto: Option<&str>| {
        services
            .by_name(name, proto)
            .map(|s| format!("{}/{}", s.port, s.proto))
            .ok_or_else(|| {
                anyhow!(
                    "service {name} not found in {}",
                    args.services_file.display()
                )
            })
    };
    writeln!(out, "port of http: {}", port("http", None)?)?;
    writeln!(out, "port of ftp/tcp: {}", port("ftp", Some("tcp"))?)?;
    for proto in ["udp", "tcp"] {
        let number = protocols.by_name(proto).ok_or_else(|| {
            anyhow!(
                "protocol {proto} not found in {}",
                args.protocols_file.display()
            )
        })?;
        writeln!(out, "protocol number of {proto}: {}", number.number)?;
    }
    for port in [25, 43] {
        let name = services.by_port(port, None).map_or("(none)", |s| &s.name);
        writeln!(out, "service on port {port}: {name}")?;
    }
    writeln!(out, "getaddrinfo(\"localhost\"):")?;
    print_table(out, &addrinfo("localhost", None)?, Some(&protocols))?;
    Ok(())
}
// ANCHOR_END: tour
