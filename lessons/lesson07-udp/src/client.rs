//! The ping-like client: numbered datagrams out, replies timed and counted.
//!
//! Every datagram starts with its sequence number and carries a pattern
//! derived from it, so a reply is checked byte for byte without keeping a
//! copy. The socket is *connected* (see [`connect_udp`]): the kernel filters
//! out datagrams from anyone but the server and reports ICMP errors.

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::Instant;

use anyhow::{Context, Result};
use common::errors::{is_message_too_long, is_timeout};

use crate::tally::{Arrival, Tally, ms};
use crate::{ClientArgs, MAX_PAYLOAD_V4, MAX_PAYLOAD_V6, RECV_BUF};

/// Bytes at the start of every client datagram: the sequence number.
pub const HEADER: usize = 8;

/// The datagram for sequence number `seq`: the number in 8 big-endian bytes,
/// then a repeating pattern that depends on it, so a reply can be checked
/// byte for byte against what was sent without keeping a copy.
pub fn datagram(seq: u64, size: usize) -> Vec<u8> {
    let mut d = Vec::with_capacity(size);
    d.extend_from_slice(&seq.to_be_bytes());
    d.extend((HEADER..size).map(|i| (seq as usize).wrapping_add(i) as u8));
    d
}

/// The sequence number of a reply, if it is exactly a datagram we could
/// have sent: the right length, a number in range, the right bytes.
fn parse_reply(reply: &[u8], size: usize, sent: u64) -> Option<u64> {
    let header: [u8; HEADER] = reply.get(..HEADER)?.try_into().ok()?;
    let seq = u64::from_be_bytes(header);
    let ok = reply.len() == size && (1..=sent).contains(&seq) && reply == datagram(seq, size);
    ok.then_some(seq)
}

/// The local address a client binds: the loopback of the server's family
/// when the server is local, else "any address" of that family. Port 0: the
/// kernel picks one, and it is where the replies come back to.
pub(crate) fn local_for(server: SocketAddr) -> SocketAddr {
    let ip = match (server.ip().is_loopback(), server) {
        (true, SocketAddr::V4(_)) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        (true, SocketAddr::V6(_)) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        (false, SocketAddr::V4(_)) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        (false, SocketAddr::V6(_)) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    SocketAddr::new(ip, 0)
}

/// Resolves the server address and makes a *connected* UDP socket for it.
///
/// `connect` on UDP sends nothing. It records the peer, so `send` needs no
/// address, datagrams from anyone else are filtered out by the kernel, and an
/// ICMP "port unreachable" for our datagrams is reported to us as
/// `ECONNREFUSED` on the next `recv` (an unconnected socket never hears it).
pub fn connect_udp(host: &str, port: u16) -> Result<(UdpSocket, SocketAddr)> {
    let server = (host, port)
        .to_socket_addrs()
        .with_context(|| format!("resolve {host}:{port}"))?
        .next()
        .with_context(|| format!("resolve {host}:{port}: no addresses"))?;
    let local = local_for(server);
    let socket = UdpSocket::bind(local).with_context(|| format!("bind {local}"))?;
    socket
        .connect(server)
        .with_context(|| format!("connect to {server}"))?;
    Ok((socket, server))
}

// ANCHOR: ping
/// Sends `args.count` numbered datagrams, one at a time, waiting up to
/// `args.timeout` for each reply, and reports every reply and the summary to
/// `out`. Replies that come late are still counted, wherever they arrive.
pub fn ping(args: &ClientArgs, out: &mut impl Write) -> Result<Tally> {
    let (socket, server) = connect_udp(&args.host, args.port)?;
    let count = common::text::count(args.count, "datagram");
    writeln!(out, "PING {server}: {count} of {} bytes", args.size)?;
    let mut tally = Tally::new(args.count);
    let mut sent_at = Vec::with_capacity(args.count as usize);
    let mut buf = vec![0u8; RECV_BUF];
    for seq in 1..=args.count {
        let payload = datagram(seq, args.size);
        sent_at.push(Instant::now());
        if let Err(e) = socket.send(&payload) {
            return Err(describe_send_error(e, args.size))
                .with_context(|| format!("send to {server}"));
        }
        tally.sent = seq;
        let deadline = sent_at[(seq - 1) as usize] + args.timeout;
        let answered = |t: &Tally| t.rtts[(seq - 1) as usize].is_some();
        while !answered(&tally) {
            match receive(&socket, &mut buf, deadline)? {
                Received::Datagram(n) => {
                    note_reply(&buf[..n], args, &sent_at, &mut tally, server, out)?;
                }
                Received::Refused => {
                    writeln!(
                        out,
                        "seq={seq}: nobody listens at {server} (ICMP port unreachable)"
                    )?;
                    break;
                }
                Received::TimedOut => {
                    writeln!(
                        out,
                        "seq={seq}: no reply within {}",
                        common::text::secs(args.timeout)
                    )?;
                    break;
                }
            }
        }
    }
    // A duplicate of the last reply, or a late reply, may still be on its
    // way: listen a little longer (a tenth of the timeout) before summing up.
    let linger = Instant::now() + args.timeout / 10;
    while let Received::Datagram(n) = receive(&socket, &mut buf, linger)? {
        note_reply(&buf[..n], args, &sent_at, &mut tally, server, out)?;
    }
    writeln!(out, "--- {server} ping statistics ---")?;
    writeln!(out, "{}", tally.summary())?;
    Ok(tally)
}
// ANCHOR_END: ping

/// What one bounded wait on the socket produced.
pub(crate) enum Received {
    /// A datagram of this many bytes is in the buffer.
    Datagram(usize),
    /// ICMP said nobody listens on the server's port.
    Refused,
    /// Nothing came before the deadline.
    TimedOut,
}

/// Waits for one datagram until `deadline`.
pub(crate) fn receive(socket: &UdpSocket, buf: &mut [u8], deadline: Instant) -> Result<Received> {
    loop {
        let Some(left) = deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
        else {
            return Ok(Received::TimedOut);
        };
        socket
            .set_read_timeout(Some(left))
            .context("set read timeout")?;
        match socket.recv(buf) {
            Ok(n) => return Ok(Received::Datagram(n)),
            Err(e) if is_timeout(&e) => return Ok(Received::TimedOut),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => return Ok(Received::Refused),
            Err(e) => return Err(e).context("recv"),
        }
    }
}

/// Classifies one reply and prints its line.
fn note_reply(
    reply: &[u8],
    args: &ClientArgs,
    sent_at: &[Instant],
    tally: &mut Tally,
    server: SocketAddr,
    out: &mut impl Write,
) -> Result<()> {
    let Some(seq) = parse_reply(reply, args.size, tally.sent) else {
        tally.foreign += 1;
        writeln!(
            out,
            "ignored {} bytes from {server}: not a reply to anything sent",
            reply.len()
        )?;
        return Ok(());
    };
    let rtt = sent_at[(seq - 1) as usize].elapsed();
    let note = match tally.record(seq, rtt) {
        Arrival::InOrder => "",
        Arrival::Reordered => " (late, out of order)",
        Arrival::Duplicate => " (DUP!)",
    };
    writeln!(
        out,
        "{} bytes from {server}: seq={seq} time={} ms{note}",
        reply.len(),
        ms(rtt)
    )?;
    Ok(())
}

/// Names the datagram size limit when the kernel refuses a datagram as too
/// big (EMSGSIZE), instead of a bare "Message too long".
fn describe_send_error(e: io::Error, size: usize) -> anyhow::Error {
    if is_message_too_long(&e) {
        anyhow::Error::new(e).context(format!(
            "a datagram of {size} bytes is over what one UDP datagram can carry \
             ({MAX_PAYLOAD_V4} bytes of payload over IPv4, {MAX_PAYLOAD_V6} over IPv6)"
        ))
    } else {
        e.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_checked_byte_for_byte() {
        let d = datagram(7, 40);
        assert_eq!(parse_reply(&d, 40, 10), Some(7));
        assert_eq!(parse_reply(&d, 41, 10), None, "wrong length");
        assert_eq!(parse_reply(&d, 40, 6), None, "never sent");
        let mut bad = d.clone();
        bad[20] ^= 1;
        assert_eq!(parse_reply(&bad, 40, 10), None, "corrupted");
        assert_eq!(parse_reply(b"short", 40, 10), None);
    }
}
