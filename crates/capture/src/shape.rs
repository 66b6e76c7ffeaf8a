//! What each scenario's packets must look like: flags, directions and order,
//! never sequence numbers or timings. `make captures` refuses to write a
//! capture that does not match, and a test checks the committed files.

use crate::diagram::{Dir, Row, What};
use crate::packet::Flags;

/// One kind of packet a shape asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// A TCP segment with exactly these flags (`"SYN,ACK"`) and no payload.
    Exactly(&'static str),
    /// A TCP segment that carries data.
    Data,
    /// A TCP segment with FIN set.
    Fin,
    /// A TCP segment with RST set.
    Rst,
    /// A UDP datagram.
    Udp,
    /// An ICMP port unreachable.
    Unreachable,
}

impl Want {
    fn matches(self, row: &Row) -> bool {
        match (self, &row.what) {
            (Want::Exactly(names), What::Tcp(f)) => Flags::parse(names) == Some(*f) && row.len == 0,
            (Want::Data, What::Tcp(_)) => row.len > 0,
            (Want::Fin, What::Tcp(f)) => f.fin,
            (Want::Rst, What::Tcp(f)) => f.rst,
            (Want::Udp, What::Udp) => true,
            (Want::Unreachable, What::Unreachable) => true,
            _ => false,
        }
    }
}

/// A packet a shape asks for: which way, and what.
pub type Step = (Dir, Want);

/// The expected shape of one capture.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// The steps that must appear in this order (other packets, such as
    /// pure ACKs whose timing varies, may come between them).
    pub steps: &'static [Step],
    /// How many of the first `steps` must be the first rows exactly, with
    /// nothing between them (3 for a TCP handshake).
    pub exact_prefix: usize,
    /// Packets that must appear somewhere after the exact prefix, in any
    /// order relative to `steps` (lesson 01's half-close races the reply
    /// on a loaded machine).
    pub anywhere: &'static [Step],
    /// Packets that must not appear anywhere.
    pub never: &'static [Step],
}

use Dir::{ToClient as In, ToServer as Out};

const HANDSHAKE: [Step; 3] = [
    (Out, Want::Exactly("SYN")),
    (In, Want::Exactly("SYN,ACK")),
    (Out, Want::Exactly("ACK")),
];

/// Lessons 01 and 02: handshake, the request, the reply, the server's FIN,
/// and the client's half-close (its FIN, usually right after the request,
/// later when the client is descheduled in between). Every FIN is
/// acknowledged ([`check`] requires that of every shape); no reset.
pub const EXCHANGE: Shape = Shape {
    steps: &[
        HANDSHAKE[0],
        HANDSHAKE[1],
        HANDSHAKE[2],
        (Out, Want::Data),
        (In, Want::Data),
        (In, Want::Fin),
    ],
    exact_prefix: 3,
    anywhere: &[(Out, Want::Fin)],
    never: &[(Out, Want::Rst), (In, Want::Rst)],
};

/// Lesson 04's demo: the server's side closes first, so the server's side
/// is the one left in TIME_WAIT after the client's FIN and the last ACK.
pub const TIME_WAIT: Shape = Shape {
    steps: &[
        HANDSHAKE[0],
        HANDSHAKE[1],
        HANDSHAKE[2],
        (In, Want::Fin),
        (Out, Want::Fin),
        (In, Want::Exactly("ACK")),
    ],
    exact_prefix: 3,
    anywhere: &[],
    never: &[
        (Out, Want::Rst),
        (In, Want::Rst),
        (Out, Want::Data),
        (In, Want::Data),
    ],
};

/// Lesson 11, ECONNRESET: the server closes with SO_LINGER 0, which sends
/// a reset instead of a FIN.
pub const RESET: Shape = Shape {
    steps: &[HANDSHAKE[0], HANDSHAKE[1], HANDSHAKE[2], (In, Want::Rst)],
    exact_prefix: 3,
    anywhere: &[],
    never: &[(In, Want::Fin), (Out, Want::Fin), (Out, Want::Rst)],
};

/// Lesson 11, EPIPE: the server closes normally (FIN); the client's first
/// write still goes out, the closed socket answers it with a reset, and
/// the next write fails locally (no packet).
pub const BROKEN_PIPE: Shape = Shape {
    steps: &[
        HANDSHAKE[0],
        HANDSHAKE[1],
        HANDSHAKE[2],
        (In, Want::Fin),
        (Out, Want::Data),
        (In, Want::Rst),
    ],
    exact_prefix: 3,
    anywhere: &[],
    never: &[(Out, Want::Fin), (Out, Want::Rst)],
};

/// Lesson 07: three datagrams, each answered by one echo, and no
/// handshake or teardown: UDP has none.
pub const DATAGRAMS: Shape = Shape {
    steps: &[
        (Out, Want::Udp),
        (In, Want::Udp),
        (Out, Want::Udp),
        (In, Want::Udp),
        (Out, Want::Udp),
        (In, Want::Udp),
    ],
    exact_prefix: 6,
    anywhere: &[],
    never: &[],
};

/// Lesson 07 with nobody listening: each datagram is answered by an ICMP
/// port unreachable from the kernel, never by a datagram.
pub const UNREACHABLE: Shape = Shape {
    steps: &[
        (Out, Want::Udp),
        (In, Want::Unreachable),
        (Out, Want::Udp),
        (In, Want::Unreachable),
    ],
    exact_prefix: 4,
    anywhere: &[],
    never: &[(In, Want::Udp)],
};

/// Checks `rows` against `shape`, and that every FIN is acknowledged by a
/// later packet the other way; the error says which step is missing or
/// which forbidden packet appeared.
pub fn check(rows: &[Row], shape: &Shape) -> Result<(), String> {
    for (i, &(dir, want)) in shape.steps.iter().take(shape.exact_prefix).enumerate() {
        match rows.get(i) {
            Some(row) if row.dir == dir && want.matches(row) => {}
            other => {
                return Err(format!(
                    "row {} should be {dir:?} {want:?}, is {other:?}",
                    i + 1
                ));
            }
        }
    }
    let mut next = shape.exact_prefix;
    for &(dir, want) in &shape.steps[shape.exact_prefix..] {
        let found = rows[next..]
            .iter()
            .position(|r| r.dir == dir && want.matches(r));
        match found {
            Some(at) => next += at + 1,
            None => {
                return Err(format!("no {dir:?} {want:?} after row {next}"));
            }
        }
    }
    for &(dir, want) in shape.anywhere {
        if !rows[shape.exact_prefix..]
            .iter()
            .any(|r| r.dir == dir && want.matches(r))
        {
            return Err(format!(
                "no {dir:?} {want:?} after row {}",
                shape.exact_prefix
            ));
        }
    }
    for (at, fin) in rows
        .iter()
        .enumerate()
        .filter(|(_, r)| Want::Fin.matches(r))
    {
        let acked = rows[at + 1..]
            .iter()
            .any(|r| r.dir != fin.dir && matches!(r.what, What::Tcp(f) if f.ack));
        if !acked {
            return Err(format!("the FIN in row {} is never acknowledged", at + 1));
        }
    }
    for &(dir, want) in shape.never {
        if let Some(at) = rows.iter().position(|r| r.dir == dir && want.matches(r)) {
            return Err(format!(
                "row {} is {dir:?} {want:?}, which must not appear",
                at + 1
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(dir: Dir, flags: &str, len: usize) -> Row {
        let what = match flags {
            "UDP" => What::Udp,
            "ICMP" => What::Unreachable,
            f => What::Tcp(Flags::parse(f).unwrap()),
        };
        Row { dir, what, len }
    }

    fn orderly() -> Vec<Row> {
        vec![
            row(Out, "SYN", 0),
            row(In, "SYN,ACK", 0),
            row(Out, "ACK", 0),
            row(Out, "PSH,ACK", 13),
            row(In, "ACK", 0),
            row(Out, "FIN,ACK", 0),
            row(In, "PSH,ACK", 13),
            row(Out, "ACK", 0),
            row(In, "FIN,ACK", 0),
            row(Out, "ACK", 0),
        ]
    }

    #[test]
    fn an_orderly_exchange_matches_with_acks_in_between() {
        assert_eq!(check(&orderly(), &EXCHANGE), Ok(()));
    }

    #[test]
    fn a_missing_fin_is_caught() {
        let mut rows = orderly();
        rows.remove(5); // the client's FIN
        let err = check(&rows, &EXCHANGE).unwrap_err();
        assert!(err.contains("ToServer Fin"), "{err}");
    }

    #[test]
    fn the_half_close_may_come_after_the_servers_fin_but_must_come() {
        let mut rows = orderly();
        let fin = rows.remove(5);
        rows.insert(8, fin); // after the server's FIN: still fine...
        rows.push(row(In, "ACK", 0)); // ...once the server acknowledges it
        assert_eq!(check(&rows, &EXCHANGE), Ok(()));
        rows.remove(8);
        assert!(
            check(&rows, &EXCHANGE)
                .unwrap_err()
                .contains("ToServer Fin")
        );
    }

    #[test]
    fn an_unacknowledged_fin_is_caught() {
        let mut rows = orderly();
        rows.pop(); // the client's ACK of the server's FIN
        assert_eq!(
            check(&rows, &EXCHANGE),
            Err("the FIN in row 9 is never acknowledged".into())
        );
    }

    #[test]
    fn the_handshake_must_come_first_and_whole() {
        let mut rows = orderly();
        rows.swap(1, 2);
        assert!(
            check(&rows, &EXCHANGE)
                .unwrap_err()
                .starts_with("row 2 should be")
        );
        let mut rows = orderly();
        rows.insert(1, row(Out, "SYN", 0)); // a retransmitted SYN
        assert!(check(&rows, &EXCHANGE).is_err());
    }

    #[test]
    fn a_reset_where_none_belongs_is_caught() {
        let mut rows = orderly();
        rows.push(row(In, "RST", 0));
        assert!(
            check(&rows, &EXCHANGE)
                .unwrap_err()
                .contains("must not appear")
        );
        // ...and one where it belongs is required.
        let reset = [
            row(Out, "SYN", 0),
            row(In, "SYN,ACK", 0),
            row(Out, "ACK", 0),
            row(In, "RST,ACK", 0),
        ];
        assert_eq!(check(&reset, &RESET), Ok(()));
        assert!(check(&reset[..3], &RESET).is_err());
    }

    #[test]
    fn datagrams_need_an_answer_each_and_unreachable_needs_icmp() {
        let pairs: Vec<Row> = (0..3)
            .flat_map(|_| [row(Out, "UDP", 32), row(In, "UDP", 32)])
            .collect();
        assert_eq!(check(&pairs, &DATAGRAMS), Ok(()));
        assert!(check(&pairs[..5], &DATAGRAMS).is_err());
        let icmp = [
            row(Out, "UDP", 32),
            row(In, "ICMP", 0),
            row(Out, "UDP", 32),
            row(In, "ICMP", 0),
        ];
        assert_eq!(check(&icmp, &UNREACHABLE), Ok(()));
        assert!(check(&pairs, &UNREACHABLE).is_err());
    }
}
