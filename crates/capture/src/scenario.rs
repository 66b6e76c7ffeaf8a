//! The scenarios `make captures` records, each against the lessons' real
//! binaries, and what turns a recording into a committed diagram.

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::diagram::{self, render};
use crate::live::Recorder;
use crate::packet::{Kind, Packet};
use crate::shape::{self, Shape};
use testkit::Server;

/// Every wait on a lesson binary ends after this long.
const LIMIT: Duration = Duration::from_secs(20);
/// After a scenario ends, how long to keep recording so its last ACKs,
/// already sent on loopback, are read too.
const SETTLE: Duration = Duration::from_millis(300);

/// One recorded scenario.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// File name under `book/src/captures/`, without `.txt`.
    pub name: &'static str,
    /// The diagram's first line.
    pub caption: &'static str,
    /// What the packets must look like.
    pub shape: Shape,
    /// Runs the binaries; returns the server's port and notes for the diagram.
    run: fn(&Path) -> Result<Outcome>,
}

/// What a scenario's run reports.
#[derive(Debug)]
struct Outcome {
    /// The conversation to keep is the one with this port.
    server_port: u16,
    /// Lines the binaries printed that the diagram quotes, ports normalised.
    notes: Vec<String>,
}

/// The scenarios, in book order.
pub const ALL: [Scenario; 6] = [
    Scenario {
        name: "lesson02-exchange",
        caption: "lesson01-basic-client sends a message and half-closes; lesson02-basic-server replies and closes",
        shape: shape::EXCHANGE,
        run: exchange,
    },
    Scenario {
        name: "lesson04-time-wait",
        caption: "lesson04-reuse-addr demo: the server's side closes first and is left in TIME_WAIT",
        shape: shape::TIME_WAIT,
        run: time_wait,
    },
    Scenario {
        name: "lesson07-datagrams",
        caption: "lesson07-udp client --count 3 against lesson07-udp server",
        shape: shape::DATAGRAMS,
        run: datagrams,
    },
    Scenario {
        name: "lesson07-unreachable",
        caption: "lesson07-udp client --count 2 against a port where nobody listens",
        shape: shape::UNREACHABLE,
        run: unreachable,
    },
    Scenario {
        name: "lesson11-econnreset",
        caption: "lesson11-errors econnreset: the server closes with SO_LINGER 0",
        shape: shape::RESET,
        run: |bins| lesson11(bins, "econnreset"),
    },
    Scenario {
        name: "lesson11-epipe",
        caption: "lesson11-errors epipe: the client writes after the server closed",
        shape: shape::BROKEN_PIPE,
        run: |bins| lesson11(bins, "epipe"),
    },
];

impl Scenario {
    /// Records this scenario with the binaries in `bin_dir` and returns the
    /// rendered diagram, checked against [`Scenario::shape`].
    pub fn record(&self, bin_dir: &Path) -> Result<String> {
        let recorder = Recorder::start().context("open an AF_PACKET socket")?;
        let outcome = (self.run)(bin_dir);
        thread::sleep(SETTLE);
        let packets = recorder.stop().context("record")?;
        let outcome = outcome?;
        let packets = conversation(packets, outcome.server_port);
        let text = render(self.caption, &packets, outcome.server_port, &outcome.notes);
        let rows = diagram::parse(&text).map_err(anyhow::Error::msg)?;
        shape::check(&rows, &self.shape)
            .map_err(|e| anyhow::anyhow!("{}: unexpected packets: {e}\n{text}", self.name))?;
        Ok(text)
    }
}

/// Keeps the packets of the first conversation with `server_port`: for TCP,
/// the connection opened by the first SYN to it (a later self-connect to
/// wake a server, or another program's traffic, is dropped); without a SYN,
/// the UDP datagrams from or to the port and the ICMP errors about them.
pub fn conversation(packets: Vec<Packet>, server_port: u16) -> Vec<Packet> {
    let first_syn = packets.iter().find_map(|p| match p.kind {
        Kind::Tcp { flags, .. } if flags.syn && !flags.ack && p.dst.port() == server_port => {
            Some(p.src.port())
        }
        _ => None,
    });
    packets
        .into_iter()
        .filter(|p| p.involves_port(server_port))
        .filter(|p| match (first_syn, &p.kind) {
            (Some(client), Kind::Tcp { .. }) => p.src.port() == client || p.dst.port() == client,
            // A TCP conversation keeps only TCP, a UDP one only UDP and ICMP.
            (Some(_), _) | (None, Kind::Tcp { .. }) => false,
            (None, _) => true,
        })
        .collect()
}

/// Lessons 01 and 02: one request and one reply.
fn exchange(bins: &Path) -> Result<Outcome> {
    let (server, server_port) = spawn_ready(bin(bins, "lesson02-basic-server"), &["--port", "0"])?;
    let port = server_port.to_string();
    let client = run_to_end(
        bin(bins, "lesson01-basic-client"),
        &["--port", &port, "--message", "hello server"],
    );
    drop(server);
    let (code, out) = client?;
    if code != Some(0) {
        bail!("lesson01-basic-client exited with {code:?}: {out}");
    }
    Ok(Outcome {
        server_port,
        notes: quote("the client printed", &out, |_| true),
    })
}

/// Lesson 04's demo makes a connection whose server side closes first.
fn time_wait(bins: &Path) -> Result<Outcome> {
    let (_, out) = run_to_end(bin(bins, "lesson04-reuse-addr"), &["demo"])?;
    let server_port = port_on_line(&out, "server ")?;
    Ok(Outcome {
        server_port,
        notes: quote("the demo printed", &out, |l| l.starts_with("connection ")),
    })
}

/// Lesson 07: three datagrams and their echoes.
fn datagrams(bins: &Path) -> Result<Outcome> {
    let (server, server_port) = spawn_ready(
        bin(bins, "lesson07-udp"),
        &["server", "--port", "0", "--quiet"],
    )?;
    let port = server_port.to_string();
    let client = run_to_end(
        bin(bins, "lesson07-udp"),
        &["client", "--port", &port, "--count", "3"],
    );
    drop(server);
    let (_, out) = client?;
    Ok(Outcome {
        server_port,
        notes: quote("the client printed", &out, |l| l.starts_with("PING")),
    })
}

/// Lesson 07 with nobody listening on the port.
fn unreachable(bins: &Path) -> Result<Outcome> {
    // A port nobody listens on: bind one, note it, close it.
    let server_port = UdpSocket::bind("127.0.0.1:0")?.local_addr()?.port();
    let port = server_port.to_string();
    let args = [
        "client",
        "--port",
        &port,
        "--count",
        "2",
        "--timeout",
        "0.5",
    ];
    let (_, out) = run_to_end(bin(bins, "lesson07-udp"), &args)?;
    Ok(Outcome {
        server_port,
        notes: quote("the client printed", &out, |l| l.contains("nobody")),
    })
}

/// Lesson 11: one error of the catalogue; the server's port is on the
/// `provoked:` line.
fn lesson11(bins: &Path, what: &str) -> Result<Outcome> {
    let (_, out) = run_to_end(bin(bins, "lesson11-errors"), &[what])?;
    let server_port = port_on_line(&out, "provoked:")?;
    let keep = |l: &str| l.starts_with("provoked:") || l.starts_with("errno:");
    Ok(Outcome {
        server_port,
        notes: quote("lesson11-errors printed", &out, keep),
    })
}

fn bin(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

/// The notes quoting `out`'s lines that `keep` selects, with every port
/// replaced by `<port>` so the file is the same on every run.
fn quote(who: &str, out: &str, keep: impl Fn(&str) -> bool) -> Vec<String> {
    let lines: Vec<String> = out
        .lines()
        .filter(|l| keep(l))
        .map(normalise_ports)
        .collect();
    if lines.is_empty() {
        return lines;
    }
    let mut notes = vec![format!("{who}:")];
    notes.extend(lines.into_iter().map(|l| format!("  {l}")));
    notes
}

/// `127.0.0.1:40153` becomes `127.0.0.1:<port>`.
pub fn normalise_ports(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find("127.0.0.1:") {
        let (before, after) = rest.split_at(at + "127.0.0.1:".len());
        out.push_str(before);
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            out.push_str("<port>");
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// The port of the first `127.0.0.1:N` on the first line starting with `prefix`.
fn port_on_line(out: &str, prefix: &str) -> Result<u16> {
    let line = out
        .lines()
        .find(|l| l.starts_with(prefix))
        .with_context(|| format!("no line {prefix:?} in {out:?}"))?;
    let at = line
        .find("127.0.0.1:")
        .with_context(|| format!("no address in {line:?}"))?;
    let digits: String = line[at + 10..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .with_context(|| format!("no port in {line:?}"))
}

/// Starts a server and waits (bounded, by testkit) for its ready line;
/// returns it with its port. Dropping the server kills it.
fn spawn_ready(path: PathBuf, args: &[&str]) -> Result<(Server, u16)> {
    let mut cmd = Command::new(path);
    cmd.args(args);
    let server = Server::try_start(cmd).map_err(anyhow::Error::msg)?;
    let port = server.addr().port();
    Ok((server, port))
}

/// Runs a client to its end and returns its exit code and stdout (testkit
/// kills it and panics with its output if it takes longer than [`LIMIT`]).
fn run_to_end(path: PathBuf, args: &[&str]) -> Result<(Option<i32>, String)> {
    let path = path.to_str().context("a binary path that is not UTF-8")?;
    let run = testkit::run(path, args, b"", LIMIT);
    Ok((run.code(), run.stdout))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{decode, synth};

    #[test]
    fn ports_are_normalised() {
        assert_eq!(
            normalise_ports("read() from 127.0.0.1:34323 to 127.0.0.1:1 at 127.0.0.1:"),
            "read() from 127.0.0.1:<port> to 127.0.0.1:<port> at 127.0.0.1:"
        );
    }

    #[test]
    fn the_port_is_read_from_the_named_line() {
        let out = "PING x\nserver 127.0.0.1:40153 (SO_REUSEADDR on) accepted 127.0.0.1:51352\n";
        assert_eq!(port_on_line(out, "server ").unwrap(), 40153);
        assert!(port_on_line(out, "listening on").is_err());
    }

    #[test]
    fn conversation_keeps_the_first_connection_to_the_port_and_nothing_else() {
        let frames = [
            synth::tcp(50000, 9000, "SYN", 1, 0, b""), // someone else's traffic
            synth::tcp(40000, 8081, "SYN", 1, 0, b""),
            synth::tcp(8081, 40000, "SYN,ACK", 1, 2, b""),
            synth::tcp(40001, 8081, "SYN", 1, 0, b""), // a later self-connect
            synth::udp(8081, 53, b"x"),                // same port number, UDP
        ];
        let packets = frames.iter().map(|f| decode(f).unwrap()).collect();
        let kept = conversation(packets, 8081);
        let ports: Vec<(u16, u16)> = kept.iter().map(|p| (p.src.port(), p.dst.port())).collect();
        assert_eq!(ports, [(40000, 8081), (8081, 40000)]);
        let udp = [
            synth::udp(5555, 9998, b"x"),
            synth::tcp(9998, 1, "ACK", 1, 1, b""),
        ];
        let kept = conversation(udp.iter().map(|f| decode(f).unwrap()).collect(), 9998);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].kind, Kind::Udp);
    }
}
