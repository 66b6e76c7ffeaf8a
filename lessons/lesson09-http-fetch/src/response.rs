//! The response parser: status line, headers, and the three ways a body can
//! be framed.
//!
//! Everything here reads from any [`BufRead`], so it works the same whether
//! the bytes come from a socket in 64 KiB pieces, from a test reader that
//! hands out one byte at a time, or from a slice. Nothing assumes that one
//! `read` returns one line, one header block or one chunk.
//!
//! Every limit is explicit ([`MAX_HEAD`], [`MAX_HEADERS`],
//! [`MAX_CHUNK_LINE`], [`MAX_INTERIM`]): a hostile or broken server can make
//! us give up with an error, never make us buffer without bound. Bodies are
//! never buffered at all; they are copied to the output as they arrive.
//!
//! Errors are a typed [`HttpError`] so callers (and tests) can tell a
//! truncated body from a malformed chunk from a timeout.

use std::fmt;
use std::io::{self, BufRead, Write};

/// Largest response head (status line plus headers) we accept: 64 KiB,
/// the same order as the limits of common servers and clients.
pub const MAX_HEAD: usize = 64 * 1024;
/// Most header lines in one head (or one trailer block).
pub const MAX_HEADERS: usize = 100;
/// Longest chunk-size line (`1a2b;name=value\r\n`), extensions included.
pub const MAX_CHUNK_LINE: usize = 4096;
/// Most `1xx` interim responses skipped before the final one.
pub const MAX_INTERIM: usize = 10;

/// One header line, split into name and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The name as sent (names are compared case-insensitively).
    pub name: String,
    /// The value with surrounding spaces and tabs removed. Bytes, not a
    /// `String`: HTTP allows non-UTF-8 bytes in values.
    pub value: Vec<u8>,
}

/// A parsed response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The minor version: 0 for `HTTP/1.0`, 1 for `HTTP/1.1`.
    pub minor_version: u8,
    /// The status code, 100 to 999.
    pub status: u16,
    /// The reason phrase (`OK`, `Not Found`), decoded lossily: it is only
    /// ever shown to a person.
    pub reason: String,
    /// The header lines, in order.
    pub headers: Vec<Header>,
    /// The head exactly as received, line endings included, so `-i` can
    /// print it byte for byte.
    pub raw: Vec<u8>,
}

/// How the end of the body is found (RFC 9112, section 6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body at all: `1xx`, `204 No Content`, `304 Not Modified`.
    Empty,
    /// Exactly this many bytes follow (`Content-Length`).
    Length(u64),
    /// `Transfer-Encoding: chunked`: size-prefixed pieces, a zero-size end.
    Chunked,
    /// Everything until the server closes the connection. Truncation is
    /// indistinguishable from the end here: that is the weakness of this framing.
    UntilClose,
}

/// Everything that can go wrong reading a response.
#[derive(Debug)]
pub enum HttpError {
    /// Reading from the server failed (a timeout shows up here too).
    Read(io::Error),
    /// Writing the body to the output failed.
    Write(io::Error),
    /// The server closed the connection without sending a byte.
    NoResponse,
    /// The server closed the connection in the middle of the head.
    IncompleteHead,
    /// The head is longer than the limit.
    HeadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// More header (or trailer) lines than the limit.
    TooManyHeaders {
        /// The limit in lines.
        limit: usize,
    },
    /// The first line is not `HTTP/1.x NNN reason`.
    BadStatusLine(String),
    /// A header line that is not `name: value`.
    BadHeader {
        /// The line, shown safely and shortened.
        line: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A `Content-Length` that is not a number, or several that disagree.
    BadContentLength(String),
    /// A chunk-size line that is not hexadecimal digits (plus extensions).
    BadChunkSize(String),
    /// A chunk's data not followed by `\r\n`.
    BadChunkEnd,
    /// The connection closed before `Content-Length` bytes arrived.
    Truncated {
        /// What `Content-Length` promised.
        expected: u64,
        /// What arrived.
        received: u64,
    },
    /// The connection closed before the final zero-size chunk.
    TruncatedChunked {
        /// Body bytes that arrived before the close.
        received: u64,
    },
    /// More than [`MAX_INTERIM`] `1xx` responses.
    TooManyInterim,
    /// `101 Switching Protocols`, which we never asked for.
    UnexpectedUpgrade,
}

impl HttpError {
    /// True when this is a read that ran out of time.
    pub fn is_timeout(&self) -> bool {
        matches!(self, HttpError::Read(e) if common::line_reader::is_timeout(e))
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::Read(e) => write!(f, "read response: {e}"),
            HttpError::Write(e) => write!(f, "write output: {e}"),
            HttpError::NoResponse => {
                write!(
                    f,
                    "the server closed the connection without sending a response"
                )
            }
            HttpError::IncompleteHead => write!(
                f,
                "the server closed the connection in the middle of the response head"
            ),
            HttpError::HeadTooLarge { limit } => {
                write!(f, "response head longer than {limit} bytes")
            }
            HttpError::TooManyHeaders { limit } => write!(f, "more than {limit} header lines"),
            HttpError::BadStatusLine(l) => {
                write!(f, "bad status line {l:?} (expected \"HTTP/1.1 200 OK\")")
            }
            HttpError::BadHeader { line, why } => write!(f, "bad header line {line:?}: {why}"),
            HttpError::BadContentLength(v) => write!(f, "bad Content-Length {v:?}"),
            HttpError::BadChunkSize(l) => write!(f, "bad chunk size line {l:?}"),
            HttpError::BadChunkEnd => write!(f, "chunk data not followed by CRLF"),
            HttpError::Truncated { expected, received } => write!(
                f,
                "body truncated: Content-Length promised {expected} bytes, \
                 the connection closed after {received}"
            ),
            HttpError::TruncatedChunked { received } => write!(
                f,
                "chunked body truncated: the connection closed after {received} bytes, \
                 before the last (zero-size) chunk"
            ),
            HttpError::TooManyInterim => {
                write!(f, "more than {MAX_INTERIM} interim (1xx) responses")
            }
            HttpError::UnexpectedUpgrade => {
                write!(
                    f,
                    "unexpected 101 Switching Protocols (no upgrade was requested)"
                )
            }
        }
    }
}

/// The I/O error inside `Read` and `Write` is part of the message above and
/// not also returned as a `source()`, or anyhow's `{:#}` would print it twice.
impl std::error::Error for HttpError {}

/// How a bounded line read ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    /// A whole line, `\n` included, was appended.
    Complete,
    /// EOF before any byte of the line.
    Eof,
    /// EOF in the middle of the line.
    Partial,
    /// `limit` bytes and still no `\n`.
    TooLong,
}

// ANCHOR: read_line
/// Appends one line (up to and including `\n`) from `r` to `buf`, reading
/// at most `limit` bytes. Copies only what belongs to the line; the rest
/// stays in the reader's buffer for the next call.
fn read_line<R: BufRead>(r: &mut R, buf: &mut Vec<u8>, limit: usize) -> Result<Line, HttpError> {
    let start = buf.len();
    loop {
        let taken = buf.len() - start;
        if taken >= limit {
            return Ok(Line::TooLong);
        }
        let available = fill(r)?;
        if available.is_empty() {
            return Ok(if taken == 0 { Line::Eof } else { Line::Partial });
        }
        let window = &available[..available.len().min(limit - taken)];
        match window.iter().position(|&b| b == b'\n') {
            Some(i) => {
                buf.extend_from_slice(&window[..=i]);
                r.consume(i + 1);
                return Ok(Line::Complete);
            }
            None => {
                let n = window.len();
                buf.extend_from_slice(window);
                r.consume(n);
            }
        }
    }
}
// ANCHOR_END: read_line

/// `fill_buf`, retrying on EINTR, with read errors typed.
///
/// The first call does the reading; the second only hands out what is
/// already buffered (returning a borrow from inside the retry loop is
/// something today's borrow checker refuses). At EOF the second call asks
/// the source once more, which again says EOF.
fn fill<R: BufRead>(r: &mut R) -> Result<&[u8], HttpError> {
    loop {
        match r.fill_buf() {
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(HttpError::Read(e)),
        }
    }
    r.fill_buf().map_err(HttpError::Read)
}

/// A line without its `\r\n` (or bare `\n`) ending.
fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Peer bytes made safe to show in an error message: lossy UTF-8, control
/// characters escaped, at most 80 characters.
fn excerpt(bytes: &[u8]) -> String {
    let shown = common::text::printable(&bytes[..bytes.len().min(80)]);
    if bytes.len() > 80 {
        format!("{shown}...")
    } else {
        shown
    }
}

// ANCHOR: read_head
/// Reads one response head: the status line, then header lines up to the
/// empty line. Stops right after the empty line, so the reader is left at
/// the first byte of the body.
pub fn read_head<R: BufRead>(r: &mut R) -> Result<Head, HttpError> {
    let mut raw = Vec::new();
    match read_line(r, &mut raw, MAX_HEAD)? {
        Line::Complete => {}
        Line::Eof => return Err(HttpError::NoResponse),
        Line::Partial if raw.starts_with(b"HTTP/") => return Err(HttpError::IncompleteHead),
        // Bytes that do not even start like a status line: say what they were.
        Line::Partial => return Err(HttpError::BadStatusLine(excerpt(trim_eol(&raw)))),
        Line::TooLong => return Err(HttpError::HeadTooLarge { limit: MAX_HEAD }),
    }
    let (minor_version, status, reason) = parse_status_line(trim_eol(&raw))?;
    let mut headers = Vec::new();
    loop {
        let start = raw.len();
        match read_line(r, &mut raw, MAX_HEAD - start)? {
            Line::Complete => {}
            Line::Eof | Line::Partial => return Err(HttpError::IncompleteHead),
            Line::TooLong => return Err(HttpError::HeadTooLarge { limit: MAX_HEAD }),
        }
        let line = trim_eol(&raw[start..]);
        if line.is_empty() {
            break; // the empty line: the head is complete
        }
        if headers.len() == MAX_HEADERS {
            return Err(HttpError::TooManyHeaders { limit: MAX_HEADERS });
        }
        headers.push(parse_header(line)?);
    }
    Ok(Head {
        minor_version,
        status,
        reason,
        headers,
        raw,
    })
}
// ANCHOR_END: read_head

/// Reads heads until a final (non-`1xx`) one and returns it. A server may
/// send `100 Continue` or `103 Early Hints` first; they carry no body and
/// are skipped, at most [`MAX_INTERIM`] of them.
pub fn read_final_head<R: BufRead>(r: &mut R) -> Result<Head, HttpError> {
    for _ in 0..=MAX_INTERIM {
        let head = read_head(r)?;
        match head.status {
            101 => return Err(HttpError::UnexpectedUpgrade),
            100..=199 => continue,
            _ => return Ok(head),
        }
    }
    Err(HttpError::TooManyInterim)
}

// ANCHOR: status_line
/// Parses `HTTP/1.1 200 OK` into (minor version, status, reason).
/// The reason may be empty (`HTTP/1.1 200 ` or even `HTTP/1.1 200`).
pub fn parse_status_line(line: &[u8]) -> Result<(u8, u16, String), HttpError> {
    let bad = || HttpError::BadStatusLine(excerpt(line));
    let rest = line.strip_prefix(b"HTTP/1.").ok_or_else(bad)?;
    let (&minor, rest) = rest.split_first().ok_or_else(bad)?;
    let rest = rest.strip_prefix(b" ").ok_or_else(bad)?;
    if !minor.is_ascii_digit() || rest.len() < 3 || !rest[..3].iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    let status = rest[..3]
        .iter()
        .fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'));
    if status < 100 {
        return Err(bad());
    }
    let reason = match &rest[3..] {
        [] => &[][..],
        [b' ', reason @ ..] => reason,
        _ => return Err(bad()),
    };
    Ok((minor - b'0', status, common::text::printable(reason)))
}
// ANCHOR_END: status_line

/// Characters allowed in a header name (RFC 9110 `token`).
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Parses `Name: value`.
pub fn parse_header(line: &[u8]) -> Result<Header, HttpError> {
    let bad = |why| HttpError::BadHeader {
        line: excerpt(line),
        why,
    };
    if line.starts_with(b" ") || line.starts_with(b"\t") {
        return Err(bad(
            "starts with whitespace (obsolete line folding is refused)",
        ));
    }
    let colon = line
        .iter()
        .position(|&b| b == b':')
        .ok_or_else(|| bad("no colon"))?;
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    if name.is_empty() {
        return Err(bad("empty name"));
    }
    if !name.iter().copied().all(is_token) {
        return Err(bad("invalid character in the name"));
    }
    if value.iter().any(|&b| b == b'\r' || b == 0) {
        return Err(bad("CR or NUL in the value"));
    }
    let value = value.trim_ascii();
    Ok(Header {
        // Token characters are ASCII, so this is exact.
        name: String::from_utf8_lossy(name).into_owned(),
        value: value.to_vec(),
    })
}

impl Head {
    /// The value of the first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_slice())
    }

    /// The values of every header called `name` (any case), in order.
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_slice())
    }

    // ANCHOR: framing
    /// Decides how the body of this response (to a GET) ends.
    ///
    /// `Transfer-Encoding` wins over `Content-Length` (a message with both is
    /// suspicious, but the standard says so). `Content-Length` must be one
    /// number; repeated identical values are tolerated, different ones are an
    /// error (request smuggling lives in that gap).
    pub fn framing(&self) -> Result<Framing, HttpError> {
        if matches!(self.status, 100..=199 | 204 | 304) {
            return Ok(Framing::Empty);
        }
        let codings: Vec<&[u8]> = self
            .values("transfer-encoding")
            .flat_map(|v| v.split(|&b| b == b','))
            .map(<[u8]>::trim_ascii)
            .filter(|c| !c.is_empty())
            .collect();
        if let Some(last) = codings.last() {
            return Ok(if last.eq_ignore_ascii_case(b"chunked") {
                Framing::Chunked
            } else {
                // Some other final coding (gzip alone): the body runs to the close.
                Framing::UntilClose
            });
        }
        let mut length = None;
        for value in self.values("content-length") {
            for part in value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
                let n = parse_decimal(part)
                    .ok_or_else(|| HttpError::BadContentLength(excerpt(value)))?;
                if length.is_some_and(|l| l != n) {
                    return Err(HttpError::BadContentLength(format!(
                        "{} and {n} disagree",
                        length.unwrap_or_default()
                    )));
                }
                length = Some(n);
            }
        }
        Ok(length.map_or(Framing::UntilClose, Framing::Length))
    }
    // ANCHOR_END: framing
}

/// A non-empty run of ASCII digits as a `u64` (no sign, no spaces, no overflow).
fn parse_decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

// ANCHOR: chunk_size
/// Parses a chunk-size line (without its line ending): hexadecimal digits,
/// then optionally spaces and `;name=value` extensions, which are ignored.
pub fn parse_chunk_size(line: &[u8]) -> Result<u64, HttpError> {
    let bad = || HttpError::BadChunkSize(excerpt(line));
    let end = line
        .iter()
        .position(|b| !b.is_ascii_hexdigit())
        .unwrap_or(line.len());
    let (digits, rest) = line.split_at(end);
    let rest = rest.trim_ascii_start();
    if digits.is_empty() || !(rest.is_empty() || rest.starts_with(b";")) {
        return Err(bad());
    }
    digits
        .iter()
        .try_fold(0u64, |n, &d| {
            let v = (d as char).to_digit(16)?;
            n.checked_mul(16)?.checked_add(u64::from(v))
        })
        .ok_or_else(bad) // more than 64 bits
}
// ANCHOR_END: chunk_size

// ANCHOR: copy_body
/// Copies the body to `out` according to `framing`; returns the number of
/// body bytes (chunk framing not counted).
///
/// The bytes go from the reader's buffer straight to `out`: one copy out
/// of the kernel into that buffer, one write out of it. Memory use is the
/// reader's buffer, whatever the body's size.
pub fn copy_body<R: BufRead, W: Write + ?Sized>(
    r: &mut R,
    framing: Framing,
    out: &mut W,
) -> Result<u64, HttpError> {
    match framing {
        Framing::Empty => Ok(0),
        Framing::Length(n) => match copy_exact(r, n, out)? {
            got if got == n => Ok(n),
            got => Err(HttpError::Truncated {
                expected: n,
                received: got,
            }),
        },
        Framing::UntilClose => {
            let mut total = 0u64;
            loop {
                let buf = fill(r)?;
                if buf.is_empty() {
                    return Ok(total); // the close *is* the end: nothing to check
                }
                let n = buf.len();
                out.write_all(buf).map_err(HttpError::Write)?;
                r.consume(n);
                total += n as u64;
            }
        }
        Framing::Chunked => copy_chunked(r, out),
    }
}
// ANCHOR_END: copy_body

/// Copies up to `n` bytes; returns how many there were before EOF.
fn copy_exact<R: BufRead, W: Write + ?Sized>(
    r: &mut R,
    n: u64,
    out: &mut W,
) -> Result<u64, HttpError> {
    let mut left = n;
    while left > 0 {
        let buf = fill(r)?;
        if buf.is_empty() {
            break;
        }
        let take = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        out.write_all(&buf[..take]).map_err(HttpError::Write)?;
        r.consume(take);
        left -= take as u64;
    }
    Ok(n - left)
}

// ANCHOR: chunked
/// The chunked framing: `size-in-hex\r\n`, that many bytes, `\r\n`, again,
/// until a size of 0; then optional trailer lines and an empty line.
fn copy_chunked<R: BufRead, W: Write + ?Sized>(r: &mut R, out: &mut W) -> Result<u64, HttpError> {
    let mut total = 0u64;
    let mut line = Vec::with_capacity(64);
    loop {
        line.clear();
        match read_line(r, &mut line, MAX_CHUNK_LINE)? {
            Line::Complete => {}
            Line::Eof | Line::Partial => {
                return Err(HttpError::TruncatedChunked { received: total });
            }
            Line::TooLong => return Err(HttpError::BadChunkSize(excerpt(&line))),
        }
        let size = parse_chunk_size(trim_eol(&line))?;
        if size == 0 {
            break;
        }
        let got = copy_exact(r, size, out)?;
        total += got;
        if got < size {
            return Err(HttpError::TruncatedChunked { received: total });
        }
        // The data is followed by CRLF (a bare LF is tolerated).
        line.clear();
        match read_line(r, &mut line, 2)? {
            Line::Complete => {}
            Line::Eof | Line::Partial => {
                return Err(HttpError::TruncatedChunked { received: total });
            }
            Line::TooLong => return Err(HttpError::BadChunkEnd),
        }
        if trim_eol(&line) != b"" {
            return Err(HttpError::BadChunkEnd);
        }
    }
    // Trailer fields (rare: checksums) until an empty line: checked, then dropped.
    let mut trailers = 0;
    let mut budget = MAX_HEAD;
    loop {
        line.clear();
        match read_line(r, &mut line, budget)? {
            Line::Complete => {}
            Line::Eof | Line::Partial => {
                return Err(HttpError::TruncatedChunked { received: total });
            }
            Line::TooLong => return Err(HttpError::HeadTooLarge { limit: MAX_HEAD }),
        }
        budget -= line.len();
        let field = trim_eol(&line);
        if field.is_empty() {
            return Ok(total);
        }
        trailers += 1;
        if trailers > MAX_HEADERS {
            return Err(HttpError::TooManyHeaders { limit: MAX_HEADERS });
        }
        parse_header(field)?;
    }
}
// ANCHOR_END: chunked

/// Reads a whole response from `r`: skips interim heads, reads the final
/// head, copies the body to `out`. Returns the head and the body length.
pub fn read_response<R: BufRead, W: Write + ?Sized>(
    r: &mut R,
    out: &mut W,
) -> Result<(Head, u64), HttpError> {
    let head = read_final_head(r)?;
    let framing = head.framing()?;
    let n = copy_body(r, framing, out)?;
    Ok((head, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Result<(Head, Vec<u8>), HttpError> {
        let mut body = Vec::new();
        let (head, n) = read_response(&mut &bytes[..], &mut body)?;
        assert_eq!(n as usize, body.len());
        Ok((head, body))
    }

    #[test]
    fn content_length_body() {
        let (head, body) =
            parse(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A:  b c \r\n\r\nhelloEXTRA").unwrap();
        assert_eq!((head.status, head.reason.as_str()), (200, "OK"));
        assert_eq!(head.header("x-a"), Some(&b"b c"[..]));
        assert_eq!(body, b"hello");
        assert!(head.raw.ends_with(b"\r\n\r\n"));
    }

    #[test]
    fn chunked_body_with_extensions_and_trailers() {
        let (_, body) = parse(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\nContent-Length: 99\r\n\r\n\
              5;name=v\r\nhello\r\n1 \r\n \r\n0\r\nChecksum: x\r\n\r\n",
        )
        .unwrap();
        assert_eq!(body, b"hello ");
    }

    #[test]
    fn close_delimited_and_empty_bodies() {
        assert_eq!(
            parse(b"HTTP/1.0 200 OK\n\nall of it").unwrap().1,
            b"all of it"
        );
        assert_eq!(
            parse(b"HTTP/1.1 204 No Content\r\n\r\nignored").unwrap().1,
            b""
        );
        assert_eq!(
            parse(b"HTTP/1.1 304 \r\nContent-Length: 9\r\n\r\n")
                .unwrap()
                .1,
            b""
        );
    }

    #[test]
    fn interim_responses_are_skipped_but_bounded() {
        let (head, body) =
            parse(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Hints\r\nLink: x\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz")
                .unwrap();
        assert_eq!((head.status, body.as_slice()), (200, &b"z"[..]));
        let endless = b"HTTP/1.1 100 Continue\r\n\r\n".repeat(MAX_INTERIM + 1);
        assert!(matches!(parse(&endless), Err(HttpError::TooManyInterim)));
        assert!(matches!(
            parse(b"HTTP/1.1 101 Switching\r\n\r\n"),
            Err(HttpError::UnexpectedUpgrade)
        ));
    }

    #[test]
    fn malformed_heads_are_named() {
        let err = |b: &[u8]| parse(b).unwrap_err().to_string();
        assert!(err(b"").contains("without sending a response"));
        assert!(err(b"HTTP/1.1 200 OK\r\nA: b\r\n").contains("middle of the response head"));
        assert!(err(b"<html>hello</html>").contains("bad status line \"<html>hello</html>\""));
        assert!(err(b"HTTP/1.1 2000 OK\r\n\r\n").contains("bad status line"));
        assert!(err(b"HTTP/2 200\r\n\r\n").contains("bad status line"));
        assert!(err(b"HTTP/1.1 099 x\r\n\r\n").contains("bad status line"));
        assert!(err(b"HTTP/1.1 200 OK\r\nNoColonHere\r\n\r\n").contains("no colon"));
        assert!(err(b"HTTP/1.1 200 OK\r\nA b: c\r\n\r\n").contains("invalid character"));
        assert!(err(b"HTTP/1.1 200 OK\r\n: c\r\n\r\n").contains("empty name"));
        assert!(err(b"HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n").contains("folding"));
        assert!(err(b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n").contains("Content-Length"));
        assert!(
            err(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")
                .contains("disagree")
        );
        assert!(
            err(b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n")
                .contains("Content-Length")
        );
    }

    #[test]
    fn limits_hold() {
        let mut many = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..=MAX_HEADERS {
            many.extend_from_slice(format!("H{i}: v\r\n").as_bytes());
        }
        many.extend_from_slice(b"\r\n");
        assert!(matches!(
            parse(&many),
            Err(HttpError::TooManyHeaders { .. })
        ));
        let mut huge = b"HTTP/1.1 200 OK\r\nBig: ".to_vec();
        huge.resize(MAX_HEAD + 10, b'a');
        assert!(matches!(parse(&huge), Err(HttpError::HeadTooLarge { .. })));
    }

    #[test]
    fn bad_and_truncated_bodies_are_named() {
        let err = |b: &[u8]| parse(b).unwrap_err().to_string();
        assert_eq!(
            err(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"),
            "body truncated: Content-Length promised 10 bytes, the connection closed after 3"
        );
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        let with = |rest: &[u8]| [&chunked[..], rest].concat();
        assert!(err(&with(b"zz\r\n")).contains("bad chunk size line \"zz\""));
        assert!(err(&with(b"\r\n")).contains("bad chunk size"));
        assert!(err(&with(b"3x\r\nabc\r\n0\r\n\r\n")).contains("bad chunk size"));
        assert!(err(&with(b"11111111111111111\r\n")).contains("bad chunk size"));
        assert!(err(&with(b"3\r\nabcX\r\n")).contains("not followed by CRLF"));
        assert!(err(&with(b"3\r\nab")).contains("closed after 2 bytes"));
        assert!(err(&with(b"3\r\nabc\r\n")).contains("chunked body truncated"));
        assert!(err(&with(b"3\r\nabc\r\n0\r\n")).contains("chunked body truncated"));
        assert!(err(&with(b"0\r\nbad trailer\r\n\r\n")).contains("no colon"));
        let long = [&b"1"[..], &[b' '; MAX_CHUNK_LINE]].concat();
        assert!(err(&with(&long)).contains("bad chunk size"));
    }

    #[test]
    fn chunk_sizes() {
        assert_eq!(parse_chunk_size(b"1a").unwrap(), 26);
        assert_eq!(parse_chunk_size(b"FF ;x=y").unwrap(), 255);
        assert_eq!(parse_chunk_size(b"000000000000000000001").unwrap(), 1);
        assert_eq!(parse_chunk_size(b"ffffffffffffffff").unwrap(), u64::MAX);
        assert!(parse_chunk_size(b"10000000000000000").is_err());
        assert!(parse_chunk_size(b"-1").is_err());
        assert!(parse_chunk_size(b" 1").is_err());
    }
}
