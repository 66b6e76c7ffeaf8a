//! Lesson 10 checked against `getent`, the C library's own command-line
//! front end to the same databases, on the same machine. No network is
//! needed: every name used resolves through /etc/hosts, and the one that
//! must fail is under the reserved `.invalid` top-level domain.

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

use clap::Parser;
use lesson10_lookup::{Args, netdb};

const BIN: &str = env!("CARGO_BIN_EXE_lesson10-lookup");

/// `getent <db> <keys>`: its stdout lines, or `None` when it found nothing
/// (exit 2).
fn getent(args: &[&str]) -> Option<Vec<String>> {
    let out = Command::new("getent")
        .args(args)
        .output()
        .expect("run getent");
    match out.status.code() {
        Some(0) => Some(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(str::to_string)
                .collect(),
        ),
        Some(2) => None,
        other => panic!("getent {args:?} exited {other:?}"),
    }
}

/// Whitespace-separated fields of getent's first line.
fn getent_fields(args: &[&str]) -> Option<Vec<String>> {
    getent(args).map(|lines| lines[0].split_whitespace().map(str::to_string).collect())
}

/// Runs the lesson in-process on `argv`, returning stdout or the error text.
fn lesson(argv: &[&str]) -> Result<String, String> {
    let args = Args::try_parse_from(std::iter::once("lesson10-lookup").chain(argv.iter().copied()))
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    lesson10_lookup::run_to(&args, &mut out).map_err(|e| format!("{e:#}"))?;
    Ok(String::from_utf8(out).unwrap())
}

/// Our `name port/proto, aliases: a b` as getent's fields `name port/proto a b`.
fn our_fields(line: &str) -> Vec<String> {
    line.replace(", aliases:", "")
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

fn run_bin(args: &[&str]) -> testkit::Run {
    testkit::run(BIN, args, b"", testkit::PATIENCE)
}

/// Every entry of the services and protocols files, in order, is what
/// `getent services` / `getent protocols` enumerate.
#[test]
fn databases_parse_like_glibc() {
    let ours = netdb::Services::load(netdb::SERVICES_FILE.as_ref()).unwrap();
    let theirs = getent(&["services"]).unwrap();
    assert_eq!(ours.0.len(), theirs.len());
    for (s, line) in ours.0.iter().zip(&theirs) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let mine: Vec<String> = std::iter::once(s.name.clone())
            .chain(std::iter::once(format!("{}/{}", s.port, s.proto)))
            .chain(s.aliases.iter().cloned())
            .collect();
        assert_eq!(mine, fields, "{line}");
    }
    let ours = netdb::Protocols::load(netdb::PROTOCOLS_FILE.as_ref()).unwrap();
    let theirs = getent(&["protocols"]).unwrap();
    assert_eq!(ours.0.len(), theirs.len());
    for (p, line) in ours.0.iter().zip(&theirs) {
        assert_eq!(
            our_fields(&p.to_string()),
            line.split_whitespace().collect::<Vec<_>>()
        );
    }
}

/// `service`, `port` and `proto` answer what getent answers, including
/// aliases, first-match order, protocol filters, and "not found".
#[test]
fn lookups_agree_with_getent() {
    let service_cases: &[(&[&str], &str)] = &[
        (&["service", "http"], "http"),
        (&["service", "www"], "www"),
        (&["service", "ftp", "--proto", "tcp"], "ftp/tcp"),
        (&["service", "domain", "--proto", "udp"], "domain/udp"),
        (&["service", "domain"], "domain"),
        (&["service", "ssh"], "ssh"),
        (&["service", "ftp", "--proto", "udp"], "ftp/udp"),
        (&["service", "no-such-service"], "no-such-service"),
        (&["port", "25"], "25"),
        (&["port", "43"], "43"),
        (&["port", "53", "--proto", "udp"], "53/udp"),
        (&["port", "43", "--proto", "udp"], "43/udp"),
        (&["port", "1"], "1"),
        (&["port", "65000"], "65000"),
    ];
    for (argv, key) in service_cases {
        let expected = getent_fields(&["services", key]);
        match (lesson(argv), expected) {
            (Ok(out), Some(fields)) => assert_eq!(our_fields(&out), fields, "{argv:?}"),
            (Err(e), None) => assert!(e.contains("/etc/services"), "{argv:?}: {e}"),
            (ours, theirs) => panic!("{argv:?}: ours {ours:?}, getent {theirs:?}"),
        }
    }
    for key in [
        "udp", "tcp", "6", "17", "0", "ip", "TCP", "icmp", "250", "nope",
    ] {
        let expected = getent_fields(&["protocols", key]);
        match (lesson(&["proto", key]), expected) {
            (Ok(out), Some(fields)) => assert_eq!(our_fields(&out), fields, "{key}"),
            (Err(e), None) => assert!(e.contains(&format!("protocol {key} not found")), "{e}"),
            (ours, theirs) => panic!("proto {key}: ours {ours:?}, getent {theirs:?}"),
        }
    }
}

/// Host names: the host name is the kernel's, `resolve` gives the
/// addresses `getent ahosts` gives, `reverse` the name `getent hosts` gives.
#[test]
fn host_lookups_agree_with_getent() {
    let kernel = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(lesson(&["hostname"]).unwrap().trim(), kernel.trim());

    for host in ["localhost", kernel.trim()] {
        let out = lesson(&["resolve", host]).unwrap();
        let ours: BTreeSet<String> = out
            .lines()
            .map(|l| l.rsplit(' ').next().unwrap().to_string())
            .collect();
        let theirs: BTreeSet<String> = getent(&["ahosts", host])
            .unwrap()
            .iter()
            .map(|l| l.split_whitespace().next().unwrap().to_string())
            .collect();
        assert_eq!(ours, theirs, "{host}");
        assert!(out.starts_with(&format!("{host} has ")), "{out}");
    }

    let name = getent_fields(&["hosts", "127.0.0.1"]).unwrap()[1].clone();
    assert_eq!(
        lesson(&["reverse", "127.0.0.1"]).unwrap(),
        format!("127.0.0.1 has name {name}\n")
    );
}

/// `addrinfo` shows the same (address, socket type) pairs as `getent
/// ahosts`, and a service fills in the port.
#[test]
fn addrinfo_table_agrees_with_getent() {
    let out = lesson(&["addrinfo", "localhost"]).unwrap();
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap().split_whitespace().collect::<Vec<_>>(),
        ["family", "type", "protocol", "address"]
    );
    let ours: BTreeSet<(String, String)> = lines
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let addr: std::net::SocketAddr = f.last().unwrap().parse().unwrap();
            (
                addr.ip().to_string(),
                f[1].trim_start_matches("SOCK_").to_string(),
            )
        })
        .collect();
    let theirs: BTreeSet<(String, String)> = getent(&["ahosts", "localhost"])
        .unwrap()
        .iter()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].to_string(), f[1].to_string())
        })
        .collect();
    assert_eq!(ours, theirs);

    let http = getent_fields(&["services", "http"]).unwrap()[1].clone();
    let port = http.split('/').next().unwrap();
    let out = lesson(&["addrinfo", "localhost", "http"]).unwrap();
    assert!(
        out.lines().any(|l| l.contains("SOCK_STREAM")
            && l.contains("6 (tcp)")
            && l.ends_with(&format!(":{port}"))),
        "{out}"
    );
}

/// The tour prints the original's look-ups, with this machine's answers.
#[test]
fn the_tour_matches_getent() {
    let run = run_bin(&[]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr);
    let out = run.stdout;
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let host = host.trim();
    let ip = getent(&["ahosts", host]).unwrap()[0]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let name = getent_fields(&["hosts", &ip]).unwrap()[1].clone();
    let field = |db: &str, key: &str, i: usize| getent_fields(&[db, key]).unwrap()[i].clone();
    let expected = [
        format!("host name: {host}"),
        format!("address of {host}: {ip}"),
        format!("name of {ip}: {name}"),
        format!("port of http: {}", field("services", "http", 1)),
        format!("port of ftp/tcp: {}", field("services", "ftp/tcp", 1)),
        format!("protocol number of udp: {}", field("protocols", "udp", 1)),
        format!("protocol number of tcp: {}", field("protocols", "tcp", 1)),
        format!("service on port 25: {}", field("services", "25", 0)),
        format!("service on port 43: {}", field("services", "43", 0)),
        "getaddrinfo(\"localhost\"):".to_string(),
    ];
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(&lines[..expected.len()], &expected[..], "{out}");
    assert!(lines[expected.len()].starts_with("family"), "{out}");
    let rows = getent(&["ahosts", "localhost"]).unwrap().len();
    assert_eq!(lines.len(), expected.len() + 1 + rows, "{out}");
}

/// A name that does not exist is an error naming it, and (with no network)
/// it fails at once instead of waiting for DNS.
#[test]
fn unknown_names_are_errors_naming_them() {
    let start = std::time::Instant::now();
    let run = run_bin(&["resolve", "no-such-host.invalid"]);
    assert_eq!(run.code(), Some(1));
    assert_eq!(
        run.stderr.trim(),
        "error: resolve no-such-host.invalid: not found (Name or service not known)"
    );
    assert!(run.stdout.is_empty());
    let run = run_bin(&["addrinfo", "no-such-host.invalid", "http"]);
    assert_eq!(run.code(), Some(1));
    assert!(
        run.stderr.contains("no-such-host.invalid"),
        "{}",
        run.stderr
    );
    // Generous: the point is "not a DNS timeout of many seconds per try".
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "{:?}",
        start.elapsed()
    );
}

/// A missing services or protocols file is an error naming the file and
/// the package that provides it, for the subcommands and the tour.
#[test]
fn missing_databases_name_the_file_and_package() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("services");
    let missing = missing.to_str().unwrap();
    for argv in [
        vec!["--services-file", missing, "service", "http"],
        vec!["--services-file", missing, "port", "80"],
        vec!["--services-file", missing],
        vec!["--protocols-file", missing, "proto", "tcp"],
    ] {
        let run = run_bin(&argv);
        assert_eq!(run.code(), Some(1), "{argv:?}: {}", run.stderr);
        assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
        assert!(run.stderr.contains(missing), "{}", run.stderr);
        assert!(run.stderr.contains("netbase"), "{}", run.stderr);
    }
}

/// A services file of our own is read with the same rules: comments,
/// aliases, first match, protocol filter.
#[test]
fn a_custom_services_file_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("services");
    std::fs::write(
        &path,
        "# lesson\nlessons 9000/udp classroom # first\nlessons 9000/tcp\nbad line\n",
    )
    .unwrap();
    let file = path.to_str().unwrap();
    let run = run_bin(&["--services-file", file, "service", "classroom"]);
    assert_eq!(run.stdout, "lessons 9000/udp, aliases: classroom\n");
    let run = run_bin(&["--services-file", file, "port", "9000", "--proto", "tcp"]);
    assert_eq!(run.stdout, "lessons 9000/tcp\n");
    let run = run_bin(&["--services-file", file, "service", "http"]);
    assert_eq!(run.code(), Some(1));
    assert!(
        run.stderr
            .contains(&format!("service http not found in {file}")),
        "{}",
        run.stderr
    );
}

/// Bad arguments are usage errors (exit 2), not look-ups.
#[test]
fn bad_arguments_exit_2() {
    for argv in [
        &["port", "70000"][..],
        &["reverse", "not-an-ip"],
        &["service", "http", "--proto", "sctp"],
        &["frobnicate"],
    ] {
        assert_eq!(run_bin(argv).code(), Some(2), "{argv:?}");
    }
}
