//! Lesson 11: every error is really provoked with the expected errno, the
//! binary's `all`/`list`/`<name>` behave, and the book's appendix matches.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use lesson11_errors::{CATALOGUE, Env, ErrorCase, Observed, find, reproduce};

const BIN: &str = env!("CARGO_BIN_EXE_lesson11-errors");
const LIMIT: Duration = Duration::from_secs(60);

fn env() -> Env {
    Env { exe: BIN.into() }
}

/// Reproduces `name` through the library and checks the errno *number*
/// (written out here, not taken from the library) and the `ErrorKind`.
fn check(name: &str, errno: i32, kind: io::ErrorKind) {
    let case = find(name).unwrap_or_else(|| panic!("{name} is not in the catalogue"));
    assert_eq!(case.errno, errno, "{name}: catalogue number");
    let outcome = reproduce(case, &env());
    let seen = outcome
        .observed
        .as_ref()
        .unwrap_or_else(|e| panic!("{name}: not reproduced: {e:#}"));
    assert_eq!(
        seen.error.raw_os_error(),
        Some(errno),
        "{name}: {:?}",
        seen.error
    );
    assert_eq!(seen.error.kind(), kind, "{name}");
    assert!(outcome.is_expected());
    assert!(!seen.detail.is_empty());
}

/// A write to a peer that closed is EPIPE 32, an error (not a SIGPIPE death).
#[test]
fn epipe_is_32_broken_pipe() {
    check("epipe", 32, io::ErrorKind::BrokenPipe);
}

/// A read after the peer closed with SO_LINGER 0 (RST) is ECONNRESET 104.
#[test]
fn econnreset_is_104() {
    check("econnreset", 104, io::ErrorKind::ConnectionReset);
}

/// connect() to a port with no listener is ECONNREFUSED 111.
#[test]
fn econnrefused_is_111() {
    check("econnrefused", 111, io::ErrorKind::ConnectionRefused);
}

/// getpeername() on an unconnected socket is ENOTCONN 107.
#[test]
fn enotconn_is_107() {
    check("enotconn", 107, io::ErrorKind::NotConnected);
}

/// A second bind() is EINVAL 22 (a kernel EINVAL, not std's own InvalidInput).
#[test]
fn einval_is_22() {
    check("einval", 22, io::ErrorKind::InvalidInput);
}

/// Binding a port someone listens on is EADDRINUSE 98.
#[test]
fn eaddrinuse_is_98() {
    check("eaddrinuse", 98, io::ErrorKind::AddrInUse);
}

/// A read timeout on Linux is EAGAIN 11, `WouldBlock`.
#[test]
fn eagain_read_timeout_is_11() {
    check("eagain", 11, io::ErrorKind::WouldBlock);
}

/// listen() on a UDP socket (one original's wrapper class does it) is
/// EOPNOTSUPP 95, and the bind() before it worked.
#[test]
fn eopnotsupp_listen_on_udp_is_95() {
    check("eopnotsupp", 95, io::ErrorKind::Unsupported);
    let seen =
        (find("eopnotsupp").expect("in the catalogue").provoke)(&env()).expect("a reproduction");
    assert!(
        seen.detail.contains("UDP socket bound to 127.0.0.1:"),
        "{}",
        seen.detail
    );
}

/// The child with `ulimit -n 16` runs out of descriptors: EMFILE 24.
#[test]
fn emfile_is_24() {
    let kind = io::Error::from_raw_os_error(24).kind(); // std has no stable kind for it
    check("emfile", 24, kind);
}

/// The raw call on a closed descriptor is EBADF 9.
#[test]
fn ebadf_is_9() {
    let kind = io::Error::from_raw_os_error(9).kind();
    check("ebadf", 9, kind);
}

/// The catalogue covers the original's table plus EADDRINUSE and a timeout,
/// and its names and symbols agree with each other.
#[test]
fn catalogue_covers_the_original_table() {
    let numbers: Vec<i32> = CATALOGUE.iter().map(|c| c.errno).collect();
    for n in [9, 22, 24, 32, 104, 107, 111, 98, 11] {
        assert!(numbers.contains(&n), "errno {n} missing");
    }
    for case in &CATALOGUE {
        assert_eq!(case.name, case.symbol.to_lowercase());
        assert_eq!(lesson11_errors::errno_name(case.errno), Some(case.symbol));
    }
}

/// `all` on the real binary reproduces every error, prints each number and
/// name, and exits 0.
#[test]
fn binary_all_reproduces_everything_and_exits_0() {
    let run = testkit::run(BIN, &["all"], b"", LIMIT);
    assert_eq!(run.code(), Some(0), "{run:?}");
    for (n, symbol) in [
        (9, "EBADF"),
        (11, "EAGAIN"),
        (22, "EINVAL"),
        (24, "EMFILE"),
        (32, "EPIPE"),
        (95, "EOPNOTSUPP"),
        (98, "EADDRINUSE"),
        (104, "ECONNRESET"),
        (107, "ENOTCONN"),
        (111, "ECONNREFUSED"),
    ] {
        let line = format!("errno:    {n} {symbol}\n");
        assert!(run.stdout.contains(&line), "no {line:?} in {}", run.stdout);
    }
    assert_eq!(run.stdout.matches("result:   ok, expected").count(), 10);
    assert!(
        run.stdout
            .ends_with("10 of 10 reproduced with the expected errno\n")
    );
    assert!(run.stdout.contains("kind:     io::ErrorKind::BrokenPipe\n"));
    assert!(run.stdout.contains("message:  Connection refused\n"));
}

/// One name on the command line runs only that case.
#[test]
fn binary_runs_one_named_error() {
    let run = testkit::run(BIN, &["econnreset"], b"", LIMIT);
    assert_eq!(run.code(), Some(0), "{run:?}");
    assert!(
        run.stdout.starts_with("== econnreset ==\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("errno:    104 ECONNRESET\n"));
    assert_eq!(run.stdout.matches("== ").count(), 1);
}

/// `list` prints one line per error, each starting with its lowercase name.
#[test]
fn binary_list_starts_each_line_with_the_name() {
    let run = testkit::run(BIN, &["list"], b"", LIMIT);
    assert_eq!(run.code(), Some(0), "{run:?}");
    let names: Vec<&str> = run
        .stdout
        .lines()
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .collect();
    let expected: Vec<&str> = CATALOGUE.iter().map(|c| c.name).collect();
    assert_eq!(names, expected);
    assert!(run.stdout.contains("econnrefused  111  ECONNREFUSED"));
}

/// An unknown name is a usage error (exit 2) that lists the valid names.
#[test]
fn unknown_name_lists_the_valid_ones() {
    let run = testkit::run(BIN, &["enoent"], b"", LIMIT);
    assert_eq!(run.code(), Some(2), "{run:?}");
    assert!(run.stderr.contains("enoent"), "{}", run.stderr);
    for case in &CATALOGUE {
        assert!(run.stderr.contains(case.name), "{}", run.stderr);
    }
    assert!(!run.stderr.contains("emfile-child"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

/// `--markdown` belongs to `list`; elsewhere it is an error, exit 1.
#[test]
fn markdown_flag_outside_list_is_refused() {
    let run = testkit::run(BIN, &["epipe", "--markdown"], b"", LIMIT);
    assert_eq!(run.code(), Some(1), "{run:?}");
    assert!(
        run.stderr
            .starts_with("error: --markdown only goes with `list`"),
        "{}",
        run.stderr
    );
}

fn wrong_error(_: &Env) -> anyhow::Result<Observed> {
    Ok(Observed {
        error: io::Error::from_raw_os_error(104),
        detail: "pretend".into(),
    })
}

fn no_error(_: &Env) -> anyhow::Result<Observed> {
    anyhow::bail!("the call succeeded")
}

static MISMATCHED: ErrorCase = ErrorCase {
    name: "epipe",
    errno: 32,
    symbol: "EPIPE",
    zh: "",
    call: "write()",
    provoked_by: "",
    advice: "",
    provoke: wrong_error,
};

static UNREPRODUCED: ErrorCase = ErrorCase {
    provoke: no_error,
    name: "enotconn",
    errno: 107,
    symbol: "ENOTCONN",
    zh: "",
    call: "",
    provoked_by: "",
    advice: "",
};

/// A reproduction that gets another errno, or none, fails the run and says
/// which case and what it got.
#[test]
fn a_wrong_or_missing_errno_fails_the_run() {
    let mut out = Vec::new();
    let err = lesson11_errors::reproduce_all(&[&MISMATCHED, &UNREPRODUCED], &env(), &mut out)
        .unwrap_err();
    assert_eq!(
        format!("{err:#}"),
        "2 of 2 reproductions did not give the expected errno: epipe, enotconn"
    );
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("result:   MISMATCH: expected 32 EPIPE, got 104 ECONNRESET\n"),
        "{text}"
    );
    assert!(
        text.contains("result:   FAILED: could not reproduce: the call succeeded\n"),
        "{text}"
    );
}

/// The book's appendix holds exactly the table `list --markdown` prints, so
/// the book and the program cannot disagree on a number or a name.
#[test]
fn book_appendix_matches_the_catalogue() {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "../../book/src/error-catalogue.md",
    ]
    .iter()
    .collect();
    let book = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let table = lesson11_errors::markdown_table();
    assert!(
        book.contains(&table),
        "{} is out of date: replace its table with the output of \
         `cargo run -p lesson11-errors -- list --markdown`",
        path.display()
    );
    assert_eq!(book.matches(lesson11_errors::TABLE_BEGIN).count(), 1);
    // Every errno row of the appendix's catalogue table names a catalogue
    // entry with its number (and, by the `contains` above, each entry has a row).
    let begin = book.find(lesson11_errors::TABLE_BEGIN).unwrap();
    let end = book.find(lesson11_errors::TABLE_END).unwrap();
    let rows: Vec<&str> = book[begin..end]
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("`E"))
        .collect();
    assert_eq!(rows.len(), CATALOGUE.len());
    for row in rows {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        if let Ok(n) = cells[1].parse::<i32>() {
            let case = CATALOGUE.iter().find(|c| c.errno == n).unwrap_or_else(|| {
                panic!("appendix row for errno {n} not in the catalogue: {row}")
            });
            assert!(cells[2].contains(case.symbol), "{row}");
        }
    }
    // The binary prints the same table.
    let run = testkit::run(BIN, &["list", "--markdown"], b"", LIMIT);
    assert_eq!(run.code(), Some(0), "{run:?}");
    assert_eq!(run.stdout, table);
}
