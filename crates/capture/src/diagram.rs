//! Packets to a text sequence diagram, and the diagram's rows back again
//! (so a test can check the committed files without the raw packets).
//!
//! A diagram names the two ends by role, never by port: ephemeral ports,
//! initial sequence numbers and timings differ on every run, and a file
//! that changes on every run hides the changes that matter.

use std::fmt::Write as _;

use crate::packet::{Flags, Kind, Packet};

/// Which way a packet travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// From the client (the ephemeral port) to the server's port.
    ToServer,
    /// From the server's port (or the server's kernel, for ICMP) back.
    ToClient,
}

impl Dir {
    /// The arrow between the two role names.
    fn arrow(self) -> &'static str {
        match self {
            Dir::ToServer => "client ───▶ server",
            Dir::ToClient => "client ◀─── server",
        }
    }
}

/// What one row of a diagram shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// A TCP segment with these flags.
    Tcp(Flags),
    /// A UDP datagram.
    Udp,
    /// An ICMP port unreachable.
    Unreachable,
}

/// One row of a diagram: the part a shape check looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Which way.
    pub dir: Dir,
    /// TCP flags, UDP or ICMP.
    pub what: What,
    /// Payload bytes.
    pub len: usize,
}

/// The direction of `p` in a conversation with the server on `server_port`.
pub fn direction(p: &Packet, server_port: u16) -> Dir {
    match p.kind {
        // The error travels back towards whoever sent the datagram.
        Kind::PortUnreachable { .. } => Dir::ToClient,
        _ if p.dst.port() == server_port => Dir::ToServer,
        _ => Dir::ToClient,
    }
}

/// Renders `packets` (already filtered to one conversation with the server
/// on `server_port`) as a numbered diagram: a caption, one row per packet
/// with flags, sequence and acknowledgement numbers relative to each side's
/// first sequence number (as Wireshark shows them), payload length and a
/// preview of the payload; then the `notes`.
pub fn render(caption: &str, packets: &[Packet], server_port: u16, notes: &[String]) -> String {
    let mut out = format!("{caption}\n\n");
    // The first sequence number seen in each direction: [to server, to client].
    let mut base: [Option<u32>; 2] = [None, None];
    for (i, p) in packets.iter().enumerate() {
        let dir = direction(p, server_port);
        let (mine, theirs) = match dir {
            Dir::ToServer => (0, 1),
            Dir::ToClient => (1, 0),
        };
        let _ = write!(out, "{:>3}  {}  ", i + 1, dir.arrow());
        match p.kind {
            Kind::Tcp { flags, seq, ack } => {
                let seq0 = *base[mine].get_or_insert(seq);
                let ack_text = match (flags.ack, base[theirs]) {
                    (false, _) => "-".to_string(),
                    (true, Some(ack0)) => ack.wrapping_sub(ack0).to_string(),
                    (true, None) => "?".to_string(),
                };
                let seq_text = seq.wrapping_sub(seq0).to_string();
                let _ = write!(
                    out,
                    "{:<11} seq={seq_text:<6} ack={ack_text:<6} len={:<5}",
                    flags.names(),
                    p.len
                );
            }
            Kind::Udp => {
                let _ = write!(out, "{:<11} {:<22} len={:<5}", "UDP", "", p.len);
            }
            Kind::PortUnreachable { .. } => {
                out.push_str("ICMP        port unreachable: nobody listens on the server port");
            }
        }
        if p.len > 0 {
            let _ = write!(out, " {}", preview(&p.preview, p.len));
        }
        let end = out.trim_end().len();
        out.truncate(end);
        out.push('\n');
    }
    let time_wait = time_wait_note(packets, server_port);
    if !notes.is_empty() || time_wait.is_some() {
        out.push('\n');
        for note in time_wait.iter().chain(notes) {
            let _ = writeln!(out, "{note}");
        }
    }
    out
}

/// Which side the close leaves in TIME-WAIT: the one that sent the first
/// FIN, if the other side's FIN acknowledges it; both, if the two FINs
/// crossed (a simultaneous close). `None` without two FINs, or after a
/// reset (which leaves no TIME-WAIT). Which FIN comes first can be a race
/// (lesson 01's half-close against lesson 02's reply), so the diagram says
/// what this run did rather than leaving it to the chapter's prose.
pub fn time_wait_note(packets: &[Packet], server_port: u16) -> Option<String> {
    let mut fins = packets.iter().filter_map(|p| match p.kind {
        Kind::Tcp { flags, seq, ack } if flags.fin => Some((p, flags, seq, ack)),
        _ => None,
    });
    let resets = packets
        .iter()
        .any(|p| matches!(p.kind, Kind::Tcp { flags, .. } if flags.rst));
    let (first, _, first_seq, _) = fins.next()?;
    let first_dir = direction(first, server_port);
    let (_, flags, _, ack) = fins.find(|(p, ..)| direction(p, server_port) != first_dir)?;
    if resets {
        return None;
    }
    let side = match first_dir {
        Dir::ToServer => "the client's side",
        Dir::ToClient => "the server's side",
    };
    // A FIN takes the sequence number after the segment's payload.
    let fin_seen = flags.ack && ack == first_seq.wrapping_add(first.len as u32).wrapping_add(1);
    Some(if fin_seen {
        format!("TIME-WAIT: {side}, which sent the first FIN")
    } else {
        "TIME-WAIT: both sides (their FINs crossed: a simultaneous close)".to_string()
    })
}

/// The payload as a quoted, escaped string with `…` when there is more:
/// up to 16 bytes of text, or the first 8 bytes of binary data (lesson 07's
/// datagrams start with their 8-byte sequence number).
fn preview(bytes: &[u8], len: usize) -> String {
    let text = bytes
        .iter()
        .all(|b| b.is_ascii_graphic() || b" \r\n\t".contains(b));
    let shown = &bytes[..bytes.len().min(if text { 16 } else { 8 })];
    let more = if len > shown.len() { "…" } else { "" };
    format!("\"{}\"{more}", shown.escape_ascii())
}

/// Reads the rows of a rendered diagram back; lines that are not rows (the
/// caption, notes, blank lines) are skipped. Errors name the bad line.
pub fn parse(text: &str) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let t = line.trim_start();
        let Some((number, rest)) = t.split_once("  ") else {
            continue;
        };
        if number.parse::<usize>().is_err() || !rest.starts_with("client ") {
            continue;
        }
        let bad = |why: &str| format!("line {}: {why}: {line:?}", n + 1);
        let dir = if let Some(r) = rest.strip_prefix(Dir::ToServer.arrow()) {
            (Dir::ToServer, r)
        } else if let Some(r) = rest.strip_prefix(Dir::ToClient.arrow()) {
            (Dir::ToClient, r)
        } else {
            return Err(bad("no arrow"));
        };
        let mut words = dir.1.split_whitespace();
        let what = match words.next() {
            Some("UDP") => What::Udp,
            Some("ICMP") => What::Unreachable,
            Some(flags) => What::Tcp(Flags::parse(flags).ok_or_else(|| bad("unknown flags"))?),
            None => return Err(bad("nothing after the arrow")),
        };
        let len = match words.find_map(|w| w.strip_prefix("len=")) {
            Some(l) => l.parse().map_err(|_| bad("bad len"))?,
            None if what == What::Unreachable => 0,
            None => return Err(bad("no len")),
        };
        rows.push(Row {
            dir: dir.0,
            what,
            len,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{decode, synth};

    fn handshake_and_hello() -> Vec<Packet> {
        let (c, s) = (40000, 8081);
        [
            synth::tcp(c, s, "SYN", 1000, 0, b""),
            synth::tcp(s, c, "SYN,ACK", 5000, 1001, b""),
            synth::tcp(c, s, "ACK", 1001, 5001, b""),
            synth::tcp(c, s, "PSH,ACK", 1001, 5001, b"hello\n"),
            synth::tcp(s, c, "RST", 5001, 0, b""),
        ]
        .iter()
        .map(|f| decode(f).unwrap())
        .collect()
    }

    #[test]
    fn numbers_are_relative_to_each_sides_first_sequence_number() {
        let text = render("caption", &handshake_and_hello(), 8081, &["note: x".into()]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "caption");
        assert_eq!(
            lines[2],
            "  1  client ───▶ server  SYN         seq=0      ack=-      len=0"
        );
        assert_eq!(
            lines[3],
            "  2  client ◀─── server  SYN,ACK     seq=0      ack=1      len=0"
        );
        assert_eq!(
            lines[4],
            "  3  client ───▶ server  ACK         seq=1      ack=1      len=0"
        );
        assert_eq!(
            lines[5],
            "  4  client ───▶ server  PSH,ACK     seq=1      ack=1      len=6     \"hello\\n\""
        );
        assert_eq!(
            lines[6],
            "  5  client ◀─── server  RST         seq=1      ack=-      len=0"
        );
        assert_eq!(lines.last(), Some(&"note: x"));
    }

    #[test]
    fn udp_and_icmp_rows_and_a_long_payload_preview() {
        let datagram = synth::udp(5555, 9998, &[b'a'; 40]);
        let binary = synth::udp(5555, 9998, &[0, 0, 0, 0, 0, 0, 0, 1, 9, 10]);
        let packets = [
            decode(&datagram).unwrap(),
            decode(&synth::unreachable(&datagram)).unwrap(),
        ];
        let text = render("c", &packets, 9998, &[]);
        assert!(text.contains("client ───▶ server  UDP"), "{text}");
        assert!(text.contains("len=40    \"aaaaaaaaaaaaaaaa\"…"), "{text}");
        assert!(
            text.contains("client ◀─── server  ICMP        port unreachable"),
            "{text}"
        );
        let text = render("c", &[decode(&binary).unwrap()], 9998, &[]);
        assert!(
            text.ends_with("len=10    \"\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01\"…\n"),
            "{text}"
        );
    }

    fn decoded(frames: &[Vec<u8>]) -> Vec<Packet> {
        frames.iter().map(|f| decode(f).unwrap()).collect()
    }

    #[test]
    fn the_side_that_sent_the_first_fin_is_named_for_time_wait() {
        let (c, s) = (40000, 8081);
        let client_first = decoded(&[
            synth::tcp(c, s, "FIN,ACK", 100, 500, b""),
            synth::tcp(s, c, "ACK", 500, 101, b""),
            synth::tcp(s, c, "FIN,PSH,ACK", 500, 101, b"bye"),
            synth::tcp(c, s, "ACK", 101, 504, b""),
        ]);
        assert_eq!(
            time_wait_note(&client_first, s).as_deref(),
            Some("TIME-WAIT: the client's side, which sent the first FIN")
        );
        let text = render("c", &client_first, s, &["later".into()]);
        assert!(
            text.ends_with("\nTIME-WAIT: the client's side, which sent the first FIN\nlater\n"),
            "{text}"
        );
        // The server's FIN first, carrying data: its sequence number counts the data.
        let server_first = decoded(&[
            synth::tcp(s, c, "FIN,PSH,ACK", 500, 100, b"bye"),
            synth::tcp(c, s, "FIN,ACK", 100, 504, b""),
        ]);
        assert_eq!(
            time_wait_note(&server_first, s).as_deref(),
            Some("TIME-WAIT: the server's side, which sent the first FIN")
        );
        let crossed = decoded(&[
            synth::tcp(s, c, "FIN,ACK", 500, 100, b""),
            synth::tcp(c, s, "FIN,ACK", 100, 500, b""),
        ]);
        assert!(time_wait_note(&crossed, s).unwrap().contains("both sides"));
    }

    #[test]
    fn no_time_wait_note_without_two_fins_or_after_a_reset() {
        let (c, s) = (40000, 8081);
        assert_eq!(time_wait_note(&handshake_and_hello(), s), None);
        let one_fin = decoded(&[synth::tcp(s, c, "FIN,ACK", 500, 100, b"")]);
        assert_eq!(time_wait_note(&one_fin, s), None);
        let reset = decoded(&[
            synth::tcp(s, c, "FIN,ACK", 500, 100, b""),
            synth::tcp(c, s, "FIN,ACK", 100, 501, b""),
            synth::tcp(s, c, "RST", 501, 0, b""),
        ]);
        assert_eq!(time_wait_note(&reset, s), None);
    }

    #[test]
    fn parse_reads_back_what_render_wrote() {
        let packets = handshake_and_hello();
        let rows = parse(&render(
            "1  not a row",
            &packets,
            8081,
            &["2  nor this".into()],
        ))
        .unwrap();
        let flags: Vec<String> = rows
            .iter()
            .map(|r| match &r.what {
                What::Tcp(f) => f.names(),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(flags, ["SYN", "SYN,ACK", "ACK", "PSH,ACK", "RST"]);
        assert_eq!(rows[1].dir, Dir::ToClient);
        assert_eq!(rows[3].len, 6);
    }

    #[test]
    fn parse_rejects_a_damaged_row() {
        let err = parse("  7  client ───▶ server  SYN,BOGUS seq=0 ack=- len=0").unwrap_err();
        assert!(err.contains("line 1: unknown flags"), "{err}");
        assert!(parse("  7  client ??? server  SYN").is_err());
    }
}
