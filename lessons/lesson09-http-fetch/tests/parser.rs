//! Generated-input tests for the response parser: it never panics, whatever
//! the bytes, and a valid response parses to the same head and body however
//! the bytes are split between reads.

use std::io::{self, BufRead, BufReader, Read};

use lesson09_http_fetch::response::{self, HttpError};
use proptest::prelude::*;

/// A reader that hands out `data` in pieces of the given sizes (cycling),
/// the way a socket may return any number of bytes from one `read`.
struct ShortReads {
    data: Vec<u8>,
    pos: usize,
    sizes: Vec<usize>,
    turn: usize,
}

impl Read for ShortReads {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let size = self.sizes[self.turn % self.sizes.len()];
        self.turn += 1;
        let n = size.min(buf.len()).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Parses `data` read through pieces of `sizes` and a buffer of `capacity`.
fn parse_split(
    data: &[u8],
    sizes: Vec<usize>,
    capacity: usize,
) -> Result<(response::Head, Vec<u8>), HttpError> {
    let source = ShortReads {
        data: data.to_vec(),
        pos: 0,
        sizes,
        turn: 0,
    };
    let mut reader = BufReader::with_capacity(capacity, source);
    let mut body = Vec::new();
    let (head, n) = response::read_response(&mut reader, &mut body)?;
    assert_eq!(n as usize, body.len(), "reported length");
    // Nothing was read beyond the end of a framed body except what the
    // buffer already held: the parser does not slurp.
    let _ = reader.fill_buf();
    Ok((head, body))
}

/// How a generated body is framed on the wire.
#[derive(Debug, Clone)]
enum Wire {
    Length,
    Chunked(Vec<usize>),
    Close,
}

/// A generated valid response and what parsing it must give.
#[derive(Debug, Clone)]
struct Generated {
    /// The bytes on the wire.
    wire: Vec<u8>,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Whether the body has an announced end (Content-Length or chunked).
    framed: bool,
}

/// A valid response: head lines, body, framing; also its expected parse.
fn response_strategy() -> impl Strategy<Value = Generated> {
    let headers = prop::collection::vec(("[A-Za-z][A-Za-z0-9-]{0,15}", "[ -~]{0,40}"), 0..8);
    let body = prop::collection::vec(any::<u8>(), 0..3000);
    let wire = prop_oneof![
        Just(Wire::Length),
        Just(Wire::Close),
        prop::collection::vec(1usize..700, 1..10).prop_map(Wire::Chunked),
    ];
    (200u16..600, headers, body, wire, any::<bool>()).prop_map(
        |(status, headers, body, wire, bare_lf)| {
            // Framing headers are ours to choose; drop generated look-alikes.
            let headers: Vec<(String, String)> = headers
                .into_iter()
                .filter(|(n, _)| {
                    !n.eq_ignore_ascii_case("content-length")
                        && !n.eq_ignore_ascii_case("transfer-encoding")
                })
                .map(|(n, v)| (n, v.trim().to_string()))
                .collect();
            let status = if status == 204 || status == 304 {
                200
            } else {
                status
            };
            let eol = if bare_lf { "\n" } else { "\r\n" };
            let mut wire_bytes = format!("HTTP/1.1 {status} Some Reason{eol}").into_bytes();
            for (n, v) in &headers {
                wire_bytes.extend_from_slice(format!("{n}: {v}{eol}").as_bytes());
            }
            match &wire {
                Wire::Length => wire_bytes
                    .extend_from_slice(format!("Content-Length: {}{eol}", body.len()).as_bytes()),
                Wire::Chunked(_) => wire_bytes
                    .extend_from_slice(format!("Transfer-Encoding: chunked{eol}").as_bytes()),
                Wire::Close => {}
            }
            wire_bytes.extend_from_slice(eol.as_bytes());
            match &wire {
                Wire::Chunked(sizes) => {
                    let mut rest = &body[..];
                    let mut i = 0;
                    while !rest.is_empty() {
                        let n = sizes[i % sizes.len()].min(rest.len());
                        let ext = if i % 3 == 1 { ";ext=1" } else { "" };
                        wire_bytes.extend_from_slice(format!("{n:x}{ext}\r\n").as_bytes());
                        wire_bytes.extend_from_slice(&rest[..n]);
                        wire_bytes.extend_from_slice(b"\r\n");
                        rest = &rest[n..];
                        i += 1;
                    }
                    wire_bytes.extend_from_slice(b"0\r\nTrailer-Field: x\r\n\r\n");
                }
                _ => wire_bytes.extend_from_slice(&body),
            }
            Generated {
                wire: wire_bytes,
                status,
                headers,
                body,
                framed: !matches!(wire, Wire::Close),
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// A valid response gives the same head and body for every way of
    /// splitting it into reads and every buffer size, and matches what was generated.
    #[test]
    fn valid_responses_parse_the_same_however_split(
        g in response_strategy(),
        sizes in prop::collection::vec(1usize..300, 1..8),
        capacity in 1usize..200,
    ) {
        let Generated { wire, status, headers, body, .. } = g;
        let (whole_head, whole_body) = parse_split(&wire, vec![wire.len().max(1)], 1 << 16).unwrap();
        let (head, got) = parse_split(&wire, sizes, capacity).unwrap();
        prop_assert_eq!(&head, &whole_head);
        prop_assert_eq!(&got, &whole_body);
        prop_assert_eq!(&got, &body);
        prop_assert_eq!(head.status, status);
        prop_assert_eq!(head.reason.as_str(), "Some Reason");
        for (n, v) in &headers {
            prop_assert!(head.values(n).any(|got| got == v.as_bytes()), "header {} missing", n);
        }
    }

    /// Arbitrary bytes never make the parser panic (an error is fine).
    #[test]
    fn random_bytes_never_panic(
        data in prop::collection::vec(any::<u8>(), 0..2000),
        sizes in prop::collection::vec(1usize..64, 1..4),
    ) {
        let _ = parse_split(&data, sizes, 32);
    }

    /// Mutated valid responses (bytes flipped, inserted, removed, the tail
    /// cut off) never make the parser panic, and a cut-off framed body is
    /// reported as an error rather than accepted as complete.
    #[test]
    fn mutated_responses_never_panic(
        g in response_strategy(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 0..6),
        cut in any::<prop::sample::Index>(),
        sizes in prop::collection::vec(1usize..64, 1..4),
    ) {
        let wire = g.wire;
        let mut data = wire.clone();
        for (at, byte, op) in edits {
            if data.is_empty() { break; }
            let i = at.index(data.len());
            match op {
                0 => data[i] ^= byte | 1,
                1 => data.insert(i, byte),
                _ => { data.remove(i); }
            }
        }
        let _ = parse_split(&data, sizes.clone(), 16);
        // Truncation alone: a response with Content-Length or chunked
        // framing that is cut short must not parse as complete.
        let at = cut.index(wire.len());
        if g.framed && at < wire.len() {
            prop_assert!(parse_split(&wire[..at], sizes, 16).is_err(), "cut at {} parsed", at);
        }
    }
}
