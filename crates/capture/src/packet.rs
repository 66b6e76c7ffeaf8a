//! One captured IPv4 packet, reduced to what a sequence diagram shows.

use std::net::{Ipv4Addr, SocketAddrV4};

use etherparse::{
    Icmpv4Type, Ipv4HeaderSlice, NetSlice, SlicedPacket, TransportSlice, UdpHeaderSlice,
    icmpv4::DestUnreachableHeader,
};

/// How many payload bytes a [`Packet`] keeps: enough for the diagram's
/// preview column, and it bounds memory when a benchmark floods loopback
/// while we record.
pub const PREVIEW_BYTES: usize = 24;

/// The TCP flags a diagram shows (URG, ECE and CWR never appear in the
/// lessons' scenarios).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags {
    /// Synchronise: the first segment of each direction.
    pub syn: bool,
    /// The end of this direction's data.
    pub fin: bool,
    /// Reset: abort the connection.
    pub rst: bool,
    /// Push: hand the data to the application now.
    pub psh: bool,
    /// The acknowledgement number is valid.
    pub ack: bool,
}

impl Flags {
    /// The names Wireshark and tcpdump readers know, in the usual order,
    /// joined by commas: `SYN,ACK`, `PSH,ACK`, `RST`.
    pub fn names(&self) -> String {
        let all = [
            (self.syn, "SYN"),
            (self.fin, "FIN"),
            (self.rst, "RST"),
            (self.psh, "PSH"),
            (self.ack, "ACK"),
        ];
        let set: Vec<&str> = all.iter().filter(|(on, _)| *on).map(|(_, n)| *n).collect();
        if set.is_empty() {
            "-".to_string()
        } else {
            set.join(",")
        }
    }

    /// The inverse of [`Flags::names`]; `None` for an unknown name.
    pub fn parse(names: &str) -> Option<Flags> {
        let mut f = Flags::default();
        if names == "-" {
            return Some(f);
        }
        for name in names.split(',') {
            match name {
                "SYN" => f.syn = true,
                "FIN" => f.fin = true,
                "RST" => f.rst = true,
                "PSH" => f.psh = true,
                "ACK" => f.ack = true,
                _ => return None,
            }
        }
        Some(f)
    }
}

/// What the packet carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A TCP segment.
    Tcp {
        /// Its flags.
        flags: Flags,
        /// Absolute sequence number (the diagram makes it relative).
        seq: u32,
        /// Absolute acknowledgement number (meaningful only with ACK).
        ack: u32,
    },
    /// A UDP datagram.
    Udp,
    /// ICMP "port unreachable" about a UDP datagram we sent: `about` is
    /// that datagram's (source, destination), read from the copy of its
    /// headers the ICMP message quotes.
    PortUnreachable {
        /// The quoted datagram's source and destination.
        about: (SocketAddrV4, SocketAddrV4),
    },
}

/// One IPv4 packet seen on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Sender address and port (port 0 for ICMP, which has none).
    pub src: SocketAddrV4,
    /// Receiver address and port (port 0 for ICMP).
    pub dst: SocketAddrV4,
    /// TCP, UDP or ICMP, with the fields of each.
    pub kind: Kind,
    /// Bytes of TCP or UDP payload (0 for ICMP).
    pub len: usize,
    /// The first [`PREVIEW_BYTES`] of the payload.
    pub preview: Vec<u8>,
}

impl Packet {
    /// Whether this packet belongs to a conversation on `port`: a TCP or UDP
    /// packet from or to it, or an ICMP error about a datagram from or to it.
    pub fn involves_port(&self, port: u16) -> bool {
        match self.kind {
            Kind::PortUnreachable { about } => about.0.port() == port || about.1.port() == port,
            _ => self.src.port() == port || self.dst.port() == port,
        }
    }
}

/// Decodes one Ethernet frame as `AF_PACKET` delivers it on `lo` (a
/// 14-byte header of zero MAC addresses, then IPv4). Returns `None` for
/// anything a diagram does not show: ARP, IPv6, ICMP other than port
/// unreachable, truncated or malformed frames.
pub fn decode(frame: &[u8]) -> Option<Packet> {
    let sliced = SlicedPacket::from_ethernet(frame).ok()?;
    let Some(NetSlice::Ipv4(ip)) = sliced.net else {
        return None;
    };
    let (src_ip, dst_ip) = (ip.header().source_addr(), ip.header().destination_addr());
    let (kind, (sport, dport), payload) = match sliced.transport? {
        TransportSlice::Tcp(tcp) => {
            let flags = Flags {
                syn: tcp.syn(),
                fin: tcp.fin(),
                rst: tcp.rst(),
                psh: tcp.psh(),
                ack: tcp.ack(),
            };
            let kind = Kind::Tcp {
                flags,
                seq: tcp.sequence_number(),
                ack: tcp.acknowledgment_number(),
            };
            (
                kind,
                (tcp.source_port(), tcp.destination_port()),
                tcp.payload(),
            )
        }
        TransportSlice::Udp(udp) => (
            Kind::Udp,
            (udp.source_port(), udp.destination_port()),
            udp.payload(),
        ),
        TransportSlice::Icmpv4(icmp) => match icmp.icmp_type() {
            Icmpv4Type::DestinationUnreachable(DestUnreachableHeader::Port) => {
                let about = quoted_udp(icmp.payload())?;
                (Kind::PortUnreachable { about }, (0, 0), &[][..])
            }
            _ => return None,
        },
        _ => return None,
    };
    Some(Packet {
        src: SocketAddrV4::new(src_ip, sport),
        dst: SocketAddrV4::new(dst_ip, dport),
        kind,
        len: payload.len(),
        preview: payload[..payload.len().min(PREVIEW_BYTES)].to_vec(),
    })
}

/// The (source, destination) of the UDP datagram an ICMP error quotes: its
/// IPv4 header and (at least) the first 8 bytes after it, the UDP header.
fn quoted_udp(quote: &[u8]) -> Option<(SocketAddrV4, SocketAddrV4)> {
    let ip = Ipv4HeaderSlice::from_slice(quote).ok()?;
    if ip.protocol() != etherparse::IpNumber::UDP {
        return None;
    }
    let udp = UdpHeaderSlice::from_slice(quote.get(ip.slice().len()..)?).ok()?;
    let addr = |a: Ipv4Addr, p: u16| SocketAddrV4::new(a, p);
    Some((
        addr(ip.source_addr(), udp.source_port()),
        addr(ip.destination_addr(), udp.destination_port()),
    ))
}

#[cfg(test)]
pub(crate) mod synth {
    //! Synthetic frames, built the way the kernel lays them out on `lo`.
    use etherparse::{Icmpv4Type, PacketBuilder, icmpv4::DestUnreachableHeader};

    const LO: [u8; 4] = [127, 0, 0, 1];

    /// A TCP frame from `sport` to `dport`; `flags` like "SYN,ACK".
    pub fn tcp(sport: u16, dport: u16, flags: &str, seq: u32, ack: u32, data: &[u8]) -> Vec<u8> {
        let f = super::Flags::parse(flags).expect("known flags");
        let mut b = PacketBuilder::ethernet2([0; 6], [0; 6])
            .ipv4(LO, LO, 64)
            .tcp(sport, dport, seq, 65495);
        if f.syn {
            b = b.syn();
        }
        if f.fin {
            b = b.fin();
        }
        if f.rst {
            b = b.rst();
        }
        if f.psh {
            b = b.psh();
        }
        if f.ack {
            b = b.ack(ack);
        }
        let mut out = Vec::new();
        b.write(&mut out, data).expect("write to a Vec");
        out
    }

    /// A UDP frame.
    pub fn udp(sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        PacketBuilder::ethernet2([0; 6], [0; 6])
            .ipv4(LO, LO, 64)
            .udp(sport, dport)
            .write(&mut out, data)
            .expect("write to a Vec");
        out
    }

    /// The ICMP port unreachable a kernel sends back for `udp_frame`.
    pub fn unreachable(udp_frame: &[u8]) -> Vec<u8> {
        let quote = &udp_frame[14..]; // the IPv4 packet, without Ethernet
        let mut out = Vec::new();
        PacketBuilder::ethernet2([0; 6], [0; 6])
            .ipv4(LO, LO, 64)
            .icmpv4(Icmpv4Type::DestinationUnreachable(
                DestUnreachableHeader::Port,
            ))
            .write(&mut out, quote)
            .expect("write to a Vec");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::synth;
    use super::*;

    #[test]
    fn decodes_a_tcp_segment_with_its_flags_numbers_and_payload() {
        let p = decode(&synth::tcp(40000, 8081, "PSH,ACK", 1001, 2002, b"hello")).unwrap();
        assert_eq!(p.src.port(), 40000);
        assert_eq!(p.dst.port(), 8081);
        assert_eq!(p.len, 5);
        assert_eq!(p.preview, b"hello");
        let Kind::Tcp { flags, seq, ack } = p.kind else {
            panic!("not TCP: {p:?}")
        };
        assert_eq!((flags.names().as_str(), seq, ack), ("PSH,ACK", 1001, 2002));
    }

    #[test]
    fn keeps_only_a_bounded_preview_of_a_large_payload() {
        let p = decode(&synth::udp(1, 2, &[b'x'; 1000])).unwrap();
        assert_eq!(p.kind, Kind::Udp);
        assert_eq!(p.len, 1000);
        assert_eq!(p.preview.len(), PREVIEW_BYTES);
    }

    #[test]
    fn reads_which_datagram_an_icmp_port_unreachable_is_about() {
        let datagram = synth::udp(5555, 9998, b"ping");
        let p = decode(&synth::unreachable(&datagram)).unwrap();
        let Kind::PortUnreachable { about } = p.kind else {
            panic!("not ICMP: {p:?}")
        };
        assert_eq!((about.0.port(), about.1.port()), (5555, 9998));
        assert!(p.involves_port(9998) && p.involves_port(5555) && !p.involves_port(80));
    }

    #[test]
    fn ignores_what_a_diagram_does_not_show() {
        assert_eq!(decode(&[]), None);
        assert_eq!(
            decode(&[0u8; 14]),
            None,
            "an Ethernet header with nothing after it"
        );
        let mut truncated = synth::tcp(1, 2, "SYN", 0, 0, b"");
        truncated.truncate(30);
        assert_eq!(decode(&truncated), None);
    }

    #[test]
    fn flag_names_round_trip() {
        for names in [
            "SYN",
            "SYN,ACK",
            "ACK",
            "PSH,ACK",
            "FIN,ACK",
            "RST",
            "RST,ACK",
            "FIN,PSH,ACK",
            "-",
        ] {
            assert_eq!(Flags::parse(names).unwrap().names(), names);
        }
        assert_eq!(Flags::parse("URG"), None);
    }
}
