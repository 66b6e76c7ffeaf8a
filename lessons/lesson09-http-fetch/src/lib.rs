//! Lesson 09: HTTP/1.1 by hand over a TCP socket.
//!
//! A web page is fetched the way a browser's lowest layer does it: connect
//! to port 80, write a few lines of text (the request), read back a head of
//! text lines and a body of raw bytes (the response). This lesson writes the
//! request itself, parses the response itself, and copies the body to stdout
//! or a file byte for byte, in constant memory, whether the server frames it
//! with `Content-Length`, `chunked`, or by closing the connection.
//!
//! # Layout
//!
//! - [`url`]: `http://host:port/path` parsing and redirect resolution.
//! - [`response`]: the response parser (status line, headers, framing,
//!   chunked decoding) with typed errors and explicit limits.
//! - [`request`]: the bytes of a GET request.
//! - [`fetch`]: connect, send, read the head, follow redirects, copy the body.
//! - [`run`]: the command line: `-o`, `-i`, `-L`, `-f`, `-H`, `--timeout`.

pub mod response;
pub mod url;

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Parser;
use common::text::secs;

pub use response::{Framing, Head, HttpError};
pub use url::{Url, UrlError};

/// Size of the read buffer the body is copied through. Large enough that a
/// 1 GiB download costs few system calls; small enough that memory stays
/// a few hundred KiB whatever the body's size.
pub const READ_BUF: usize = 128 * 1024;
/// Size of the output buffer (it only gathers small reads into larger writes).
pub const WRITE_BUF: usize = 128 * 1024;
/// Most redirects `-L` follows, as the issue asks (curl's default is 50).
pub const MAX_REDIRECTS: usize = 5;
/// What we call ourselves in `User-Agent`.
pub const USER_AGENT: &str = concat!("lesson09-http-fetch/", env!("CARGO_PKG_VERSION"));

/// Fetch an http:// URL with a hand-written HTTP/1.1 GET.
#[derive(Debug, Parser)]
#[command(
    version,
    about,
    after_help = "Exit status: 0 when the body was written; 22 with -f on a status of 400 \
                  or more; 1 on any other error; 141, silently, when whoever reads stdout \
                  stops early (`| head`), as for a program ended by SIGPIPE."
)]
pub struct Args {
    /// The URL to fetch (`http://` only).
    #[arg(
        value_name = "URL",
        help = "The URL: http://host[:port]/path (IPv6: http://[::1]:8080/). https is refused."
    )]
    pub url: String,
    /// Write the body to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print the response head (status line and headers) before the body.
    #[arg(short = 'i', long = "include")]
    pub include: bool,
    /// Follow redirects (301, 302, 303, 307, 308), at most 5.
    #[arg(short = 'L', long = "location")]
    pub location: bool,
    /// Fail on HTTP errors: a status of 400 or more prints an error and exits 22.
    #[arg(short = 'f', long = "fail")]
    pub fail: bool,
    /// Add a request header, e.g. -H 'Accept: text/plain'. An empty value
    /// ('Accept:') removes a default header.
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE", value_parser = parse_header_arg)]
    pub headers: Vec<(String, String)>,
    /// Seconds to wait for the connection and for every single read.
    #[arg(long, default_value = "30", value_parser = common::args::parse_secs)]
    pub timeout: Duration,
}

/// The settings of one fetch, for callers that do not come from the command line.
#[derive(Debug, Clone)]
pub struct Options {
    /// See [`Args::include`].
    pub include: bool,
    /// See [`Args::location`].
    pub follow: bool,
    /// See [`Args::fail`].
    pub fail: bool,
    /// See [`Args::headers`].
    pub headers: Vec<(String, String)>,
    /// See [`Args::timeout`].
    pub timeout: Duration,
}

impl Options {
    /// Defaults like the command line's: no flags, a 30 s timeout.
    pub fn new(timeout: Duration) -> Options {
        Options {
            include: false,
            follow: false,
            fail: false,
            headers: Vec::new(),
            timeout,
        }
    }
}

/// How a fetch ended when nothing broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The body was copied.
    Done {
        /// The final URL (after redirects).
        url: Url,
        /// Its status.
        status: u16,
        /// Body bytes written.
        bytes: u64,
        /// Where a redirect that was not followed (no `-L`) pointed.
        unfollowed: Option<String>,
    },
    /// `-f` and a status of 400 or more: nothing was written.
    HttpFailure {
        /// The URL that answered with an error.
        url: Url,
        /// Its status.
        status: u16,
        /// Its reason phrase.
        reason: String,
    },
}

/// Parses `-H 'Name: value'`. The name must be a header token and the value
/// may not contain line breaks (they would inject extra headers).
pub fn parse_header_arg(s: &str) -> Result<(String, String), String> {
    let (name, value) = s
        .split_once(':')
        .ok_or_else(|| format!("{s:?} is not a header: expected 'Name: value'"))?;
    let valid_name = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !valid_name {
        return Err(format!("{name:?} is not a valid header name"));
    }
    if value.contains(['\r', '\n', '\0']) {
        return Err(format!("the value of {name} contains a line break or NUL"));
    }
    if name.eq_ignore_ascii_case("connection") || name.eq_ignore_ascii_case("transfer-encoding") {
        return Err(format!(
            "{name} cannot be changed: this lesson always sends Connection: close and no body"
        ));
    }
    Ok((name.to_string(), value.trim().to_string()))
}

// ANCHOR: request
/// The bytes of a GET request for `url`: the request line, `Host`,
/// `User-Agent`, `Accept`, `Connection: close`, the extra headers, and the
/// empty line that ends the head. Each line ends in `\r\n`, as HTTP requires.
///
/// An extra header with the name of a default one replaces it; one with an
/// empty value removes it.
pub fn request(url: &Url, extra: &[(String, String)]) -> Vec<u8> {
    let defaults = [
        ("Host", url.host_header()),
        ("User-Agent", USER_AGENT.to_string()),
        ("Accept", "*/*".to_string()),
    ];
    let overridden = |name: &str| extra.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    let mut req = format!("GET {} HTTP/1.1\r\n", url.target);
    for (name, value) in defaults.iter().filter(|(n, _)| !overridden(n)) {
        req.push_str(&format!("{name}: {value}\r\n"));
    }
    // We read the response until the server closes; tell it to close.
    req.push_str("Connection: close\r\n");
    for (name, value) in extra.iter().filter(|(_, v)| !v.is_empty()) {
        req.push_str(&format!("{name}: {value}\r\n"));
    }
    req.push_str("\r\n");
    req.into_bytes()
}
// ANCHOR_END: request

/// Opens the connection for `url`, sends the request, and reads the final
/// response head. Returns the head and the reader, positioned at the body.
fn send(
    url: &Url,
    headers: &[(String, String)],
    opts: &Options,
) -> Result<(Head, BufReader<TcpStream>)> {
    // Every address the host resolves to is tried, each bounded by the timeout.
    let stream = common::addr::connect_any(&url.host, url.port, Some(opts.timeout))?;
    stream.set_read_timeout(Some(opts.timeout))?;
    stream.set_write_timeout(Some(opts.timeout))?;
    (&stream)
        .write_all(&request(url, headers))
        .with_context(|| format!("send request to {url}"))?;
    let mut reader = BufReader::with_capacity(READ_BUF, stream);
    let head = response::read_final_head(&mut reader).map_err(|e| explain(e, opts))?;
    Ok((head, reader))
}

/// Adds the timeout's value to a timeout error, so the user knows which flag to change.
fn explain(e: HttpError, opts: &Options) -> anyhow::Error {
    if e.is_timeout() {
        anyhow::anyhow!(
            "no data from the server within {} (--timeout)",
            secs(opts.timeout)
        )
    } else {
        e.into()
    }
}

// ANCHOR: fetch
/// Fetches `url`. The output is opened by `open` only when there is
/// something to write, so `-f` on a 404 creates no file.
pub fn fetch<W: Write>(
    url: &str,
    opts: &Options,
    open: impl FnOnce() -> Result<W>,
) -> Result<Outcome> {
    let mut url = Url::parse(url).with_context(|| format!("URL {url:?}"))?;
    // The -H headers; credentials are dropped on a redirect to another host.
    let mut headers = opts.headers.clone();
    let mut open = Some(open);
    let mut out: Option<W> = None;
    for hop in 0..=MAX_REDIRECTS {
        let (head, mut reader) =
            send(&url, &headers, opts).with_context(|| format!("GET {url}"))?;
        if opts.fail && head.status >= 400 {
            return Ok(Outcome::HttpFailure {
                url,
                status: head.status,
                reason: head.reason,
            });
        }
        let out = match (&mut out, open.take()) {
            (Some(out), _) => out,
            (None, Some(open)) => out.insert(open()?),
            (None, None) => unreachable!("the output is opened on the first response"),
        };
        if opts.include {
            out.write_all(&head.raw).context("write output")?;
        }
        let location = head.header("location").filter(|_| is_redirect(head.status));
        if let (true, Some(location)) = (opts.follow, location) {
            if hop == MAX_REDIRECTS {
                bail!("GET {url}: too many redirects: stopped after following {MAX_REDIRECTS}");
            }
            let location = String::from_utf8_lossy(location);
            let next = url
                .join(&location)
                .with_context(|| format!("GET {url}: redirect to {location:?}"))?;
            if (&next.host, next.port) != (&url.host, url.port) {
                headers.retain(|(name, _)| !is_credential(name));
            }
            url = next;
            continue; // the rest of this response is dropped with its connection
        }
        let framing = head.framing().with_context(|| format!("GET {url}"))?;
        let bytes = response::copy_body(&mut reader, framing, out)
            .map_err(|e| explain(e, opts))
            .with_context(|| format!("GET {url}"))?;
        out.flush().context("write output")?;
        let unfollowed = location.map(|l| resolve(&url, l));
        return Ok(Outcome::Done {
            url,
            status: head.status,
            bytes,
            unfollowed,
        });
    }
    unreachable!("the loop returns or bails on its last round")
}
// ANCHOR_END: fetch

/// Where a `Location` points, as an absolute URL when it can be resolved
/// against `base` (else as sent, shown safely).
fn resolve(base: &Url, location: &[u8]) -> String {
    let location = String::from_utf8_lossy(location);
    base.join(&location)
        .map_or_else(|_| format!("{location:?}"), |to| to.to_string())
}

/// Request headers that carry credentials. A password given for one host
/// must not be handed to whatever host a redirect names, so these `-H`
/// headers are sent only while the host and port stay those of the URL the
/// user typed, as curl does (curl's `--location-trusted` would keep them;
/// this lesson has no such flag).
const CREDENTIALS: [&str; 3] = ["authorization", "proxy-authorization", "cookie"];

/// Whether the header `name` carries credentials (see [`CREDENTIALS`]).
fn is_credential(name: &str) -> bool {
    CREDENTIALS.iter().any(|c| name.eq_ignore_ascii_case(c))
}

/// The statuses `-L` follows. 300 (Multiple Choices) is left alone: there
/// is no single place to go.
pub fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// stdout as a plain file, without Rust's line buffering (which looks for
/// `\n` in every write, wasted work on a binary body). It is a duplicate of
/// descriptor 1, so dropping it leaves the real stdout open.
fn stdout_file() -> Result<File> {
    use std::os::fd::AsFd;
    let fd = io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .context("duplicate stdout")?;
    Ok(File::from(fd))
}

/// The exit status when stdout was closed before the body was written: what
/// a shell reports for a program ended by SIGPIPE (128 + 13). Rust ignores
/// SIGPIPE, so a write to a closed pipe fails with EPIPE instead; a reader
/// that stopped early (`| head`) is the user's choice, not an error to print.
pub const STDOUT_CLOSED: u8 = 141;

/// Runs the command line: exit 0 when the body was written, 22 for `-f` on
/// an HTTP error (as curl does), [`STDOUT_CLOSED`] without a word when the
/// reader of stdout went away, 1 (through `common::exit`) for any other failure.
pub fn run(args: &Args) -> Result<ExitCode> {
    let opts = Options {
        include: args.include,
        follow: args.location,
        fail: args.fail,
        headers: args.headers.clone(),
        timeout: args.timeout,
    };
    let reader_gone = Rc::new(Cell::new(false));
    let outcome = match &args.output {
        Some(path) => fetch(&args.url, &opts, || {
            let file = File::create(path).with_context(|| format!("create {}", path.display()))?;
            Ok(BufWriter::with_capacity(WRITE_BUF, file))
        })?,
        None => {
            let stdout = || {
                let out = BufWriter::with_capacity(WRITE_BUF, stdout_file()?);
                Ok(NoticeClosed::new(out, Rc::clone(&reader_gone)))
            };
            match fetch(&args.url, &opts, stdout) {
                Err(_) if reader_gone.get() => return Ok(ExitCode::from(STDOUT_CLOSED)),
                other => other?,
            }
        }
    };
    match outcome {
        Outcome::Done {
            status,
            unfollowed: Some(to),
            ..
        } if !opts.follow => {
            common::errln!("note: {status} redirect to {to} not followed (-L follows redirects)");
            Ok(ExitCode::SUCCESS)
        }
        Outcome::Done { .. } => Ok(ExitCode::SUCCESS),
        Outcome::HttpFailure {
            url,
            status,
            reason,
        } => {
            common::errln!("error: GET {url}: the server answered {status} {reason}");
            Ok(ExitCode::from(22))
        }
    }
}

/// A writer that notes when its reader has gone away (EPIPE), so [`run`]
/// can tell "`| head` has all it wanted" from a real write error.
struct NoticeClosed<W> {
    inner: W,
    gone: Rc<Cell<bool>>,
}

impl<W> NoticeClosed<W> {
    fn new(inner: W, gone: Rc<Cell<bool>>) -> Self {
        NoticeClosed { inner, gone }
    }

    fn notice<T>(&self, result: io::Result<T>) -> io::Result<T> {
        if let Err(e) = &result {
            self.gone.set(e.kind() == io::ErrorKind::BrokenPipe);
        }
        result
    }
}

impl<W: Write> Write for NoticeClosed<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let result = self.inner.write(buf);
        self.notice(result)
    }

    fn flush(&mut self) -> io::Result<()> {
        let result = self.inner.flush();
        self.notice(result)
    }
}
