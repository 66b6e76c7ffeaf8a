//! Lesson 11: the socket error catalogue, every entry provoked for real.
//!
//! The original tutorial ends with a bare table of seven error numbers
//! (9, 22, 24, 32, 104, 107, 111) and their messages, with no word on what
//! causes them. This lesson makes the kernel return each one on loopback,
//! and shows what a Rust program sees: the errno number, its symbolic name,
//! the [`std::io::ErrorKind`] std maps it to, the OS message, what provoked
//! it and what a program should do about it. It adds EADDRINUSE and a read
//! timeout, the two errors a learner meets first, and EOPNOTSUPP, which
//! another original's TCP/UDP wrapper class runs into.
//!
//! # Layout
//!
//! - [`Args`], [`run`]: `list`, `all` (the default), or one error's name.
//! - [`CATALOGUE`]: one [`ErrorCase`] per error: numbers, names, advice.
//! - [`provoke`]: one function per error, each making a real call fail.
//! - [`reproduce`], [`report`]: run a case, print it, check the errno.
//! - [`markdown_table`]: the book's error catalogue appendix is this table,
//!   and a test keeps the two identical.
//!
//! The numbers are Linux's. They come from the `libc` crate, so the program
//! is right wherever it builds, but the book and the tests speak Linux.

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Parser;
use clap::builder::{PossibleValue, PossibleValuesParser};

pub mod provoke;

/// Provoke the classic socket errors on loopback and explain each one.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Args {
    /// `list` prints the catalogue, `all` reproduces every error, or give
    /// one error's lowercase name (`econnrefused`, `epipe`, ...).
    #[arg(default_value = "all", value_parser = what_parser())]
    pub what: String,
    /// With `list`: print the catalogue as the Markdown table of the book's
    /// appendix (how `book/src/error-catalogue.md` is kept up to date).
    #[arg(long)]
    pub markdown: bool,
}

/// The values `what` accepts, so clap lists them in `--help` and in the
/// error for an unknown name (exit 2, like every bad argument).
fn what_parser() -> PossibleValuesParser {
    let mut values = vec![
        PossibleValue::new("list").help("print the catalogue, one error per line"),
        PossibleValue::new("all").help("reproduce every error"),
    ];
    values.extend(
        CATALOGUE
            .iter()
            .map(|case| PossibleValue::new(case.name).help(case.symbol)),
    );
    // Internal: how `emfile` runs this binary in a child with a low limit.
    values.push(PossibleValue::new(provoke::EMFILE_CHILD).hide(true));
    PossibleValuesParser::new(values)
}

/// What the reproductions need from outside.
#[derive(Debug, Clone)]
pub struct Env {
    /// This lesson's own binary, which `emfile` re-runs as a child with a
    /// lowered descriptor limit. The binary uses `current_exe()`; tests pass
    /// `env!("CARGO_BIN_EXE_lesson11-errors")`, because *their* executable
    /// is the test harness.
    pub exe: PathBuf,
}

impl Env {
    /// The environment of the running binary.
    pub fn current() -> Result<Env> {
        Ok(Env {
            exe: std::env::current_exe().context("find this program's own path")?,
        })
    }
}

// ANCHOR: error_case
/// One entry of the catalogue.
#[derive(Debug)]
pub struct ErrorCase {
    /// Lowercase errno name: what `list` prints first and what the command
    /// line accepts.
    pub name: &'static str,
    /// The number the kernel returns (Linux's, via the `libc` constants).
    pub errno: i32,
    /// The name from `errno.h` and the man pages.
    pub symbol: &'static str,
    /// The message in Chinese, exactly as glibc's `strerror()` prints it in
    /// the zh_CN locale (checked against glibc 2.36's translations), for
    /// readers of the original, whose table shows these.
    pub zh: &'static str,
    /// The call that fails in this lesson's reproduction.
    pub call: &'static str,
    /// One sentence: how the reproduction provokes it.
    pub provoked_by: &'static str,
    /// One sentence: what a program should do when it sees it.
    pub advice: &'static str,
    /// Makes the real call fail and returns the error it gave.
    pub provoke: fn(&Env) -> Result<Observed>,
}
// ANCHOR_END: error_case

// ANCHOR: catalogue
/// Every error this lesson reproduces, in errno order. The original's seven
/// plus EAGAIN (a read timeout), EADDRINUSE, and EOPNOTSUPP (another
/// original's `listen()` on a UDP socket).
pub static CATALOGUE: [ErrorCase; 10] = [
    ErrorCase {
        name: "ebadf",
        errno: libc::EBADF,
        symbol: "EBADF",
        zh: "错误的文件描述符",
        call: "fcntl()",
        provoked_by: "a raw call on a descriptor number after its socket was closed; \
                      safe Rust cannot express this",
        advice: "A bug, never a network condition: find who closed the descriptor; \
                 in Rust keep one owner per socket and no raw numbers.",
        provoke: provoke::ebadf,
    },
    ErrorCase {
        name: "eagain",
        errno: libc::EAGAIN,
        symbol: "EAGAIN",
        zh: "资源暂时不可用",
        call: "read()",
        provoked_by: "reading with a read timeout (SO_RCVTIMEO) from a peer that sends nothing",
        advice: "The peer is slow or gone: by policy wait again, or give up and close; \
                 on a non-blocking socket wait for readiness (poll/epoll) and retry.",
        provoke: provoke::eagain,
    },
    ErrorCase {
        name: "einval",
        errno: libc::EINVAL,
        symbol: "EINVAL",
        zh: "无效的参数",
        call: "bind()",
        provoked_by: "a second bind() on a socket that is already bound",
        advice: "The program asked for something invalid in this state: do not retry, \
                 fix the order of calls or the argument.",
        provoke: provoke::einval,
    },
    ErrorCase {
        name: "emfile",
        errno: libc::EMFILE,
        symbol: "EMFILE",
        zh: "打开的文件过多",
        call: "socket()",
        provoked_by: "opening sockets in a child process whose descriptor limit is 16",
        advice: "Close what is no longer needed and raise `ulimit -n` if the load is real; \
                 a server backs off and retries accept(), never exits or spins.",
        provoke: provoke::emfile,
    },
    ErrorCase {
        name: "epipe",
        errno: libc::EPIPE,
        symbol: "EPIPE",
        zh: "断开的管道",
        call: "write()",
        provoked_by: "writing after the peer closed the connection and answered with a reset",
        advice: "Nobody will read this: stop writing and close; in C also ignore SIGPIPE \
                 or pass MSG_NOSIGNAL, or the signal kills the process.",
        provoke: provoke::epipe,
    },
    ErrorCase {
        name: "eopnotsupp",
        errno: libc::EOPNOTSUPP,
        symbol: "EOPNOTSUPP",
        zh: "不支持的操作",
        call: "listen()",
        provoked_by: "calling listen() on a UDP socket, as a TCP/UDP wrapper class does",
        advice: "A bug: UDP has no connections to listen for or accept; bind the socket \
                 and call recv_from()/send_to() (lesson 07).",
        provoke: provoke::eopnotsupp,
    },
    ErrorCase {
        name: "eaddrinuse",
        errno: libc::EADDRINUSE,
        symbol: "EADDRINUSE",
        zh: "地址已在使用",
        call: "bind()",
        provoked_by: "binding a port another socket is listening on",
        advice: "Another program (or an old copy of this one) has the port: choose another \
                 or stop it; for restarts over TIME_WAIT set SO_REUSEADDR (lesson 04).",
        provoke: provoke::eaddrinuse,
    },
    ErrorCase {
        name: "econnreset",
        errno: libc::ECONNRESET,
        symbol: "ECONNRESET",
        zh: "连接被对方重设",
        call: "read()",
        provoked_by: "reading after the peer closed with SO_LINGER 0, which sends a reset (RST)",
        advice: "The peer aborted and data in flight may be lost: close, log it, and \
                 reconnect only if the request is safe to repeat.",
        provoke: provoke::econnreset,
    },
    ErrorCase {
        name: "enotconn",
        errno: libc::ENOTCONN,
        symbol: "ENOTCONN",
        zh: "传输端点尚未连接",
        call: "getpeername()",
        provoked_by: "asking a socket that never connected for its peer's address",
        advice: "Connect (or accept) first; when a peer has already left, treat it as a \
                 disconnect.",
        provoke: provoke::enotconn,
    },
    ErrorCase {
        name: "econnrefused",
        errno: libc::ECONNREFUSED,
        symbol: "ECONNREFUSED",
        zh: "拒绝连接",
        call: "connect()",
        provoked_by: "connecting to a loopback port where no socket is listening",
        advice: "The server is not running or the port is wrong: name the address; \
                 retry only with a growing pause, it may be starting up.",
        provoke: provoke::econnrefused,
    },
];
// ANCHOR_END: catalogue

/// The catalogue entry called `name` (`"epipe"`), if there is one.
pub fn find(name: &str) -> Option<&'static ErrorCase> {
    CATALOGUE.iter().find(|case| case.name == name)
}

/// What a reproduction made the kernel say.
#[derive(Debug)]
pub struct Observed {
    /// The error the failing call returned.
    pub error: io::Error,
    /// Exactly what was done in this run (addresses, descriptor numbers).
    pub detail: String,
}

/// The result of running one case.
#[derive(Debug)]
pub struct Outcome {
    /// Which case ran.
    pub case: &'static ErrorCase,
    /// The error it provoked, or why it could not provoke one.
    pub observed: Result<Observed>,
}

impl Outcome {
    /// The errno the reproduction got, if it got one.
    pub fn errno(&self) -> Option<i32> {
        self.observed
            .as_ref()
            .ok()
            .and_then(|o| o.error.raw_os_error())
    }

    /// True when the kernel returned exactly the errno the case expects.
    pub fn is_expected(&self) -> bool {
        self.errno() == Some(self.case.errno)
    }
}

/// Runs one case.
pub fn reproduce(case: &'static ErrorCase, env: &Env) -> Outcome {
    Outcome {
        case,
        observed: (case.provoke)(env),
    }
}

/// The symbolic name of an errno number, for the errors a socket program
/// meets (and so can show when a reproduction gets an unexpected one).
pub fn errno_name(errno: i32) -> Option<&'static str> {
    const NAMES: [(i32, &str); 32] = [
        (libc::EPERM, "EPERM"),
        (libc::ENOENT, "ENOENT"),
        (libc::EINTR, "EINTR"),
        (libc::EBADF, "EBADF"),
        (libc::EAGAIN, "EAGAIN"),
        (libc::ENOMEM, "ENOMEM"),
        (libc::EACCES, "EACCES"),
        (libc::EFAULT, "EFAULT"),
        (libc::EINVAL, "EINVAL"),
        (libc::ENFILE, "ENFILE"),
        (libc::EMFILE, "EMFILE"),
        (libc::EPIPE, "EPIPE"),
        (libc::ENOTSOCK, "ENOTSOCK"),
        (libc::EDESTADDRREQ, "EDESTADDRREQ"),
        (libc::EMSGSIZE, "EMSGSIZE"),
        (libc::EPROTOTYPE, "EPROTOTYPE"),
        (libc::EOPNOTSUPP, "EOPNOTSUPP"),
        (libc::EAFNOSUPPORT, "EAFNOSUPPORT"),
        (libc::EADDRINUSE, "EADDRINUSE"),
        (libc::EADDRNOTAVAIL, "EADDRNOTAVAIL"),
        (libc::ENETDOWN, "ENETDOWN"),
        (libc::ENETUNREACH, "ENETUNREACH"),
        (libc::ECONNABORTED, "ECONNABORTED"),
        (libc::ECONNRESET, "ECONNRESET"),
        (libc::ENOBUFS, "ENOBUFS"),
        (libc::EISCONN, "EISCONN"),
        (libc::ENOTCONN, "ENOTCONN"),
        (libc::ETIMEDOUT, "ETIMEDOUT"),
        (libc::ECONNREFUSED, "ECONNREFUSED"),
        (libc::EHOSTUNREACH, "EHOSTUNREACH"),
        (libc::EALREADY, "EALREADY"),
        (libc::EINPROGRESS, "EINPROGRESS"),
    ];
    NAMES
        .iter()
        .find(|(n, _)| *n == errno)
        .map(|(_, name)| *name)
}

/// The OS message without std's ` (os error N)` suffix (the number is
/// printed on its own line).
fn os_message(error: &io::Error) -> String {
    let text = error.to_string();
    match error.raw_os_error() {
        Some(n) => text
            .strip_suffix(&format!(" (os error {n})"))
            .unwrap_or(&text)
            .to_string(),
        None => text,
    }
}

/// `111 ECONNREFUSED`, or just the number for one without a known name.
fn numbered(errno: i32) -> String {
    match errno_name(errno) {
        Some(name) => format!("{errno} {name}"),
        None => format!("{errno}"),
    }
}

// ANCHOR: report
/// Prints one outcome as a block of `label: value` lines.
pub fn report(outcome: &Outcome, out: &mut impl Write) -> io::Result<()> {
    let case = outcome.case;
    writeln!(out, "== {} ==", case.name)?;
    match &outcome.observed {
        Ok(seen) => {
            let errno = seen.error.raw_os_error();
            writeln!(out, "provoked: {}", seen.detail)?;
            match errno {
                Some(n) => writeln!(out, "errno:    {}", numbered(n))?,
                None => writeln!(out, "errno:    none (not an OS error)")?,
            }
            writeln!(out, "kind:     io::ErrorKind::{:?}", seen.error.kind())?;
            writeln!(out, "message:  {}", os_message(&seen.error))?;
            writeln!(out, "advice:   {}", case.advice)?;
            let expected = numbered(case.errno);
            match errno {
                Some(n) if n == case.errno => writeln!(out, "result:   ok, expected {expected}")?,
                Some(n) => writeln!(
                    out,
                    "result:   MISMATCH: expected {expected}, got {}",
                    numbered(n)
                )?,
                None => writeln!(out, "result:   MISMATCH: expected {expected}, got no errno")?,
            }
        }
        Err(e) => writeln!(out, "result:   FAILED: could not reproduce: {e:#}")?,
    }
    writeln!(out)
}
// ANCHOR_END: report

/// Prints the catalogue, one error per line, each starting with its
/// lowercase name: `econnrefused  111  ECONNREFUSED  connect(): ...`.
pub fn list(out: &mut impl Write) -> io::Result<()> {
    for case in &CATALOGUE {
        writeln!(
            out,
            "{:<13}{:>4}  {:<13} {}: {}",
            case.name, case.errno, case.symbol, case.call, case.provoked_by
        )?;
    }
    Ok(())
}

/// Where the generated table starts in the book's appendix.
pub const TABLE_BEGIN: &str =
    "<!-- BEGIN table generated by `cargo run -p lesson11-errors -- list --markdown` -->";
/// Where it ends.
pub const TABLE_END: &str = "<!-- END generated table -->";

/// The catalogue as the Markdown table of `book/src/error-catalogue.md`,
/// between [`TABLE_BEGIN`] and [`TABLE_END`]. A test fails when the book's
/// copy differs, so the appendix and `list` cannot disagree.
pub fn markdown_table() -> String {
    let mut table = String::new();
    table.push_str(TABLE_BEGIN);
    table.push('\n');
    table.push_str(
        "| errno | name | `io::ErrorKind` | 中文 | failing call | provoked by | what a program should do |\n",
    );
    table.push_str("|---:|---|---|---|---|---|---|\n");
    for case in &CATALOGUE {
        let kind = io::Error::from_raw_os_error(case.errno).kind();
        table.push_str(&format!(
            "| {} | `{}` ({}) | `{kind:?}` | {} | `{}` | {} | {} |\n",
            case.errno, case.symbol, case.name, case.zh, case.call, case.provoked_by, case.advice
        ));
    }
    table.push_str(TABLE_END);
    table.push('\n');
    table
}

// ANCHOR: run
/// Runs `list`, `all` or one case. Fails (exit 1) unless every case that
/// ran gave its expected errno.
pub fn run(args: Args) -> Result<()> {
    let mut out = io::stdout().lock();
    let cases: Vec<&'static ErrorCase> = match args.what.as_str() {
        "list" if args.markdown => {
            out.write_all(markdown_table().as_bytes())?;
            return Ok(());
        }
        "list" => return Ok(list(&mut out)?),
        _ if args.markdown => bail!("--markdown only goes with `list`"),
        provoke::EMFILE_CHILD => return provoke::emfile_child(&mut out),
        "all" => CATALOGUE.iter().collect(),
        name => vec![find(name).with_context(|| format!("no error named {name:?}"))?],
    };
    reproduce_all(&cases, &Env::current()?, &mut out)
}

/// Reproduces `cases` in order, printing each report, then a summary line.
/// Returns an error naming every case whose errno was not the expected one.
pub fn reproduce_all(cases: &[&'static ErrorCase], env: &Env, out: &mut impl Write) -> Result<()> {
    let mut failed = Vec::new();
    for case in cases {
        let outcome = reproduce(case, env);
        report(&outcome, out)?;
        if !outcome.is_expected() {
            failed.push(case.name);
        }
    }
    if !failed.is_empty() {
        bail!(
            "{} of {} reproductions did not give the expected errno: {}",
            failed.len(),
            cases.len(),
            failed.join(", ")
        );
    }
    writeln!(
        out,
        "{} of {} reproduced with the expected errno",
        cases.len(),
        cases.len()
    )?;
    Ok(())
}
// ANCHOR_END: run
