//! Lesson 09 against real sockets: an HTTP origin runs inside the test (a
//! thread per connection on 127.0.0.1 or ::1), and both the library and the
//! real binary fetch from it. Bodies are compared byte for byte with what
//! was served, and with curl when curl is installed.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use lesson09_http_fetch::{Options, Outcome, fetch};

const BIN: &str = env!("CARGO_BIN_EXE_lesson09-http-fetch");

/// A body with every byte value, in an order that is not a simple cycle,
/// so a dropped or repeated piece shows up.
fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).rotate_right(13) as u8)
        .collect()
}

/// The test origin: answers each request by its path.
struct Origin {
    addr: SocketAddr,
    /// Every request head received, in order.
    requests: Arc<Mutex<Vec<String>>>,
}

impl Origin {
    fn start() -> Origin {
        Origin::start_on("127.0.0.1:0")
    }

    fn start_on(bind: &str) -> Origin {
        let listener = TcpListener::bind(bind).unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        // The accept loop lives as long as the test process; each test has its own origin.
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let log = Arc::clone(&log);
                thread::spawn(move || serve(stream, addr, &log));
            }
        });
        Origin { addr, requests }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// Reads a request head (bounded) and answers it.
fn serve(mut stream: TcpStream, me: SocketAddr, log: &Mutex<Vec<String>>) {
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 65536 {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    log.lock().unwrap().push(head.clone());
    let path = head.split(' ').nth(1).unwrap_or("/").to_string();
    let _ = respond(&mut stream, &path, &head, me);
}

/// Writes `body` with `Content-Length`.
fn with_length(s: &mut TcpStream, body: &[u8]) -> std::io::Result<()> {
    write!(
        s,
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\n\r\n",
        body.len()
    )?;
    s.write_all(body)
}

/// Writes `body` chunked, in chunks of varying size, with an extension and a trailer.
fn chunked(s: &mut TcpStream, body: &[u8]) -> std::io::Result<()> {
    s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")?;
    let mut rest = body;
    let mut size = 1;
    while !rest.is_empty() {
        let n = size.min(rest.len());
        write!(s, "{n:X};piece={size}\r\n")?;
        s.write_all(&rest[..n])?;
        s.write_all(b"\r\n")?;
        rest = &rest[n..];
        size = (size * 7 + 3) % 70_000 + 1;
    }
    s.write_all(b"0\r\nX-Checksum: none\r\n\r\n")
}

/// Streams `total` bytes of a repeating pattern, so a huge body costs the
/// origin no memory either.
fn generated(s: &mut TcpStream, total: u64, chunk: bool) -> std::io::Result<()> {
    let block = pattern(256 * 1024);
    if chunk {
        s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")?;
    } else {
        write!(s, "HTTP/1.1 200 OK\r\nContent-Length: {total}\r\n\r\n")?;
    }
    let mut left = total;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        if chunk {
            write!(s, "{n:x}\r\n")?;
        }
        s.write_all(&block[..n])?;
        if chunk {
            s.write_all(b"\r\n")?;
        }
        left -= n as u64;
    }
    if chunk {
        s.write_all(b"0\r\n\r\n")?;
    }
    Ok(())
}

fn respond(s: &mut TcpStream, path: &str, head: &str, me: SocketAddr) -> std::io::Result<()> {
    let path = path.split('?').next().unwrap_or_default();
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["bytes", n] => with_length(s, &pattern(n.parse().unwrap())),
        ["chunked", n] => chunked(s, &pattern(n.parse().unwrap())),
        ["close", n] => {
            s.write_all(b"HTTP/1.0 200 OK\r\nContent-Type: x/y\r\n\r\n")?;
            s.write_all(&pattern(n.parse().unwrap()))
        }
        ["big", n] => generated(s, n.parse().unwrap(), false),
        ["bigchunked", n] => generated(s, n.parse().unwrap(), true),
        ["echo"] => with_length(s, head.as_bytes()),
        // /to/HOST:PORT/PATH redirects to http://HOST:PORT/PATH.
        ["to", target @ ..] => {
            let location = format!("http://{}", target.join("/"));
            s.write_all(
                format!("HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n")
                    .as_bytes(),
            )
        }
        ["interim"] => {
            s.write_all(
                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n",
            )?;
            with_length(s, b"after interim")
        }
        ["missing"] => {
            s.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 13\r\n\r\nno such thing")
        }
        // /hop/N redirects N times before landing; odd hops use a relative
        // Location, even ones an absolute URL.
        ["hop", n] => {
            let n: u32 = n.parse().unwrap();
            if n == 0 {
                return with_length(s, b"landed");
            }
            let location = if n % 2 == 1 {
                format!("{}", n - 1)
            } else {
                format!("http://{me}/hop/{}", n - 1)
            };
            write!(
                s,
                "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 5\r\n\r\nmoved"
            )
        }
        ["to-https"] => s.write_all(
            b"HTTP/1.1 301 Moved\r\nLocation: https://127.0.0.1/\r\nContent-Length: 0\r\n\r\n",
        ),
        ["silent"] => {
            thread::sleep(Duration::from_secs(10));
            Ok(())
        }
        ["slow-body"] => {
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nfirst part")?;
            thread::sleep(Duration::from_secs(10));
            Ok(())
        }
        ["truncated"] => s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly this"),
        ["truncated-chunked"] => {
            s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nonly")
        }
        ["bad-status"] => s.write_all(b"HTTP/1.1 OK 200\r\n\r\n"),
        ["not-http"] => s.write_all(b"SSH-2.0-OpenSSH_9.6\r\n"),
        ["no-colon"] => s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length 5\r\n\r\nhello"),
        ["bad-chunk"] => s.write_all(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n",
        ),
        ["bad-length"] => s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\nhello"),
        ["endless-headers"] => {
            s.write_all(b"HTTP/1.1 200 OK\r\n")?;
            for i in 0..100_000 {
                write!(s, "X-Filler-{i}: more\r\n")?;
            }
            Ok(())
        }
        ["endless-line"] => {
            s.write_all(b"HTTP/1.1 200 OK\r\nX-Long: ")?;
            let block = [b'a'; 4096];
            for _ in 0..1000 {
                s.write_all(&block)?;
            }
            Ok(())
        }
        ["empty"] => Ok(()),
        _ => s.write_all(b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n"),
    }
}

/// Fetches with the library into memory.
fn get(url: &str, opts: &Options) -> anyhow::Result<(Outcome, Vec<u8>)> {
    let mut body = Vec::new();
    let outcome = fetch(url, opts, || Ok(&mut body))?;
    Ok((outcome, body))
}

fn opts() -> Options {
    Options::new(Duration::from_secs(10))
}

/// What a run of the binary produced, stdout as raw bytes.
struct BinRun {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
    elapsed: Duration,
}

/// Runs the binary with a deadline; stdout is kept as bytes.
fn run_bin(args: &[&str]) -> BinRun {
    let start = Instant::now();
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_reader = thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = start + testkit::PATIENCE;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{args:?} did not finish within {:?}", testkit::PATIENCE);
        }
        thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    let stdout = out_reader.join().unwrap();
    let stderr = err_reader.join().unwrap();
    assert!(
        !stderr.contains("internal error"),
        "the binary panicked: {stderr}"
    );
    BinRun {
        code: status.code(),
        stdout,
        stderr,
        elapsed,
    }
}

/// Content-Length, chunked and close-delimited bodies with every byte value
/// arrive byte for byte through the library.
#[test]
fn every_framing_delivers_exact_bytes() {
    let origin = Origin::start();
    for (path, len) in [
        ("bytes", 0),
        ("bytes", 1),
        ("bytes", 300_000),
        ("chunked", 0),
        ("chunked", 1),
        ("chunked", 300_000),
        ("close", 0),
        ("close", 300_000),
    ] {
        let url = origin.url(&format!("/{path}/{len}"));
        let (outcome, body) = get(&url, &opts()).unwrap();
        assert_eq!(body, pattern(len), "{url}");
        assert!(
            matches!(outcome, Outcome::Done { status: 200, bytes, .. } if bytes == len as u64),
            "{url}: {outcome:?}"
        );
    }
}

/// The request on the wire: request line, Host with port, User-Agent,
/// Connection: close, -H additions, replacements and removals.
#[test]
fn the_request_has_the_right_headers() {
    let origin = Origin::start();
    let mut o = opts();
    o.headers = vec![
        ("X-Lesson".into(), "nine".into()),
        ("User-Agent".into(), "tester/1".into()),
        ("Accept".into(), String::new()),
    ];
    let (_, body) = get(&origin.url("/echo"), &o).unwrap();
    let sent = String::from_utf8(body).unwrap();
    let lines: Vec<&str> = sent.split("\r\n").collect();
    assert_eq!(lines[0], "GET /echo HTTP/1.1");
    assert!(
        lines.contains(&format!("Host: {}", origin.addr).as_str()),
        "{sent}"
    );
    assert!(lines.contains(&"Connection: close"), "{sent}");
    assert!(lines.contains(&"X-Lesson: nine"), "{sent}");
    assert!(lines.contains(&"User-Agent: tester/1"), "{sent}");
    assert!(!sent.contains("lesson09-http-fetch/"), "{sent}");
    assert!(!sent.contains("Accept"), "{sent}");
    assert!(sent.ends_with("\r\n\r\n"));

    // Defaults, through the binary.
    let run = run_bin(&[&origin.url("/echo?q=1")]);
    let sent = String::from_utf8(run.stdout).unwrap();
    assert!(sent.starts_with("GET /echo?q=1 HTTP/1.1\r\n"), "{sent}");
    assert!(
        sent.contains("\r\nUser-Agent: lesson09-http-fetch/"),
        "{sent}"
    );
    assert!(sent.contains("\r\nAccept: */*\r\n"), "{sent}");
}

/// `-H` refuses what would break the request.
#[test]
fn bad_header_arguments_are_refused() {
    for bad in ["NoColon", "Bad Name: x", "Connection: keep-alive"] {
        let run = run_bin(&["-H", bad, "http://127.0.0.1:9/"]);
        assert_eq!(run.code, Some(2), "{bad}: {}", run.stderr);
    }
}

/// An IPv6 literal URL connects over ::1 and sends `Host: [::1]:port`.
#[test]
fn ipv6_literal_urls_work() {
    let origin = Origin::start_on("[::1]:0");
    let url = format!("http://[::1]:{}/echo", origin.addr.port());
    let run = run_bin(&[&url]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let sent = String::from_utf8(run.stdout).unwrap();
    assert!(
        sent.contains(&format!("\r\nHost: [::1]:{}\r\n", origin.addr.port())),
        "{sent}"
    );
}

/// The binary writes binary bodies byte-exact to stdout and to `-o FILE`,
/// for each framing; `-i` puts the head first.
#[test]
fn binary_writes_stdout_and_files_byte_exact() {
    let origin = Origin::start();
    let dir = tempfile::tempdir().unwrap();
    for path in ["/bytes/200000", "/chunked/200000", "/close/200000"] {
        let url = origin.url(path);
        let run = run_bin(&[&url]);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        assert!(run.stdout == pattern(200_000), "stdout differs for {path}");

        let file = dir.path().join("out.bin");
        let run = run_bin(&[&url, "-o", file.to_str().unwrap()]);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        assert!(run.stdout.is_empty());
        assert!(
            std::fs::read(&file).unwrap() == pattern(200_000),
            "file differs for {path}"
        );
    }
    let run = run_bin(&["-i", &origin.url("/bytes/1000")]);
    let head = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: application/octet-stream\r\n\r\n";
    assert!(run.stdout.starts_with(head));
    assert!(run.stdout[head.len()..] == pattern(1000));
}

/// The same bytes as curl, for a Content-Length body and a chunked one.
/// Skipped with a note only when curl is not installed.
#[test]
fn same_bytes_as_curl() {
    let have_curl = Command::new("which")
        .arg("curl")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !have_curl {
        println!("note: curl is not installed; skipping the comparison with curl");
        return;
    }
    let origin = Origin::start();
    let dir = tempfile::tempdir().unwrap();
    for path in ["/bytes/3000000", "/chunked/3000000"] {
        let url = origin.url(path);
        let ours = dir.path().join("ours");
        let theirs = dir.path().join("curl");
        let run = run_bin(&[&url, "-o", ours.to_str().unwrap()]);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        let curl = Command::new("curl")
            .args(["-s", "-S", "--max-time", "20", "-o"])
            .arg(&theirs)
            .arg(&url)
            .status()
            .unwrap();
        assert!(curl.success());
        let (ours, theirs) = (std::fs::read(ours).unwrap(), std::fs::read(theirs).unwrap());
        assert!(
            ours == theirs,
            "{path}: {} vs {} bytes",
            ours.len(),
            theirs.len()
        );
        assert!(ours == pattern(3_000_000));
    }
}

/// `1xx` interim responses are skipped.
#[test]
fn interim_responses_are_skipped() {
    let origin = Origin::start();
    let (outcome, body) = get(&origin.url("/interim"), &opts()).unwrap();
    assert_eq!(body, b"after interim");
    assert!(matches!(outcome, Outcome::Done { status: 200, .. }));
}

/// `-L` follows relative and absolute redirects, exactly up to 5; without
/// `-L` the redirect itself is the answer; a sixth is an error.
#[test]
fn redirect_chains_are_followed_up_to_five() {
    let origin = Origin::start();
    let mut o = opts();
    o.follow = true;
    let (outcome, body) = get(&origin.url("/hop/5"), &o).unwrap();
    assert_eq!(body, b"landed");
    match outcome {
        Outcome::Done { url, status, .. } => {
            assert_eq!(status, 200);
            assert_eq!(url.target, "/hop/0");
        }
        other => panic!("{other:?}"),
    }
    let paths: Vec<String> = origin
        .requests()
        .iter()
        .map(|r| r.split(' ').nth(1).unwrap().to_string())
        .collect();
    assert_eq!(
        paths,
        ["/hop/5", "/hop/4", "/hop/3", "/hop/2", "/hop/1", "/hop/0"]
    );

    let err = get(&origin.url("/hop/6"), &o).unwrap_err();
    assert!(format!("{err:#}").contains("too many redirects"), "{err:#}");

    let (outcome, body) = get(&origin.url("/hop/1"), &opts()).unwrap();
    assert_eq!(body, b"moved");
    assert!(matches!(outcome, Outcome::Done { status: 302, .. }));

    // Without -L the binary says on stderr that it did not follow, and where to.
    let run = run_bin(&[&origin.url("/hop/1")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, b"moved");
    assert_eq!(
        run.stderr,
        format!(
            "note: 302 redirect to {} not followed (-L follows redirects)\n",
            origin.url("/hop/0")
        )
    );

    // Through the binary, with -i showing every head on the way.
    let run = run_bin(&["-L", "-i", &origin.url("/hop/2")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let text = String::from_utf8_lossy(&run.stdout);
    assert_eq!(text.matches("HTTP/1.1 302 Found").count(), 2, "{text}");
    assert!(text.ends_with("\r\n\r\nlanded"), "{text}");
    let run = run_bin(&["-L", &origin.url("/hop/6")]);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("too many redirects"), "{}", run.stderr);
}

/// `-H` credentials (`Authorization`, `Cookie`) follow a redirect on the
/// same host and port, and are dropped when it leads elsewhere; other `-H`
/// headers always follow.
#[test]
fn credentials_are_not_sent_to_another_host() {
    let first = Origin::start();
    let other = Origin::start();
    let mut o = opts();
    o.follow = true;
    o.headers = vec![
        ("Authorization".into(), "Basic c2VjcmV0".into()),
        ("cookie".into(), "session=1".into()),
        ("X-Keep".into(), "yes".into()),
    ];
    let same = format!("/to/{}/echo", first.addr);
    let (_, body) = get(&first.url(&same), &o).unwrap();
    let sent = String::from_utf8(body).unwrap();
    assert!(
        sent.contains("\r\nAuthorization: Basic c2VjcmV0\r\n"),
        "{sent}"
    );
    assert!(sent.contains("\r\ncookie: session=1\r\n"), "{sent}");

    let elsewhere = format!("/to/{}/echo", other.addr);
    let (_, body) = get(&first.url(&elsewhere), &o).unwrap();
    let sent = String::from_utf8(body).unwrap();
    assert!(sent.starts_with("GET /echo HTTP/1.1\r\n"), "{sent}");
    assert!(sent.contains("\r\nX-Keep: yes\r\n"), "{sent}");
    assert!(!sent.contains("c2VjcmV0"), "credentials leaked: {sent}");
    assert!(!sent.contains("session=1"), "cookie leaked: {sent}");
    // The first host did get them.
    assert!(first.requests().iter().all(|r| r.contains("c2VjcmV0")));
}

/// `-f` exits 22 on a 404 and writes nothing (no file is created);
/// without `-f` the error page is the output and the exit is 0.
#[test]
fn fail_flag_exits_22() {
    let origin = Origin::start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("never");
    let url = origin.url("/missing");
    let run = run_bin(&["-f", &url, "-o", file.to_str().unwrap()]);
    assert_eq!(run.code, Some(22), "{}", run.stderr);
    assert!(run.stderr.contains("404 Not Found"), "{}", run.stderr);
    assert!(!file.exists());
    let run = run_bin(&[&url]);
    assert_eq!(run.code, Some(0));
    assert_eq!(run.stdout, b"no such thing");
}

/// `https://` is refused with an error that says TLS is not part of the
/// lesson, on the command line and when a redirect leads there.
#[test]
fn https_is_refused() {
    let run = run_bin(&["https://127.0.0.1/"]);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert!(run.stderr.contains("TLS"), "{}", run.stderr);
    assert!(
        run.stderr.contains("not part of this lesson"),
        "{}",
        run.stderr
    );

    let origin = Origin::start();
    let run = run_bin(&["-L", &origin.url("/to-https")]);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("TLS"), "{}", run.stderr);
}

/// A server that accepts and says nothing, or stops in the middle of the
/// body, is given up on after `--timeout`, with an error naming it.
#[test]
fn silent_servers_time_out() {
    let origin = Origin::start();
    for path in ["/silent", "/slow-body"] {
        let run = run_bin(&["--timeout", "0.5", &origin.url(path)]);
        assert_eq!(run.code, Some(1), "{path}");
        assert!(
            run.stderr
                .contains("no data from the server within 0.5s (--timeout)"),
            "{path}: {}",
            run.stderr
        );
        // Far below the origin's 10 s of silence: the timeout did it.
        assert!(
            run.elapsed < Duration::from_secs(8),
            "{path}: {:?}",
            run.elapsed
        );
    }
}

/// A refused connection is an error naming the address.
#[test]
fn refused_connection_names_the_address() {
    let refused = testkit::refused_port();
    let port = refused.port;
    let run = run_bin(&[&format!("http://127.0.0.1:{port}/")]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains(&format!("127.0.0.1:{port}")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("refused"), "{}", run.stderr);
}

/// Malformed and truncated responses are errors that say what was wrong:
/// exit 1, one `error:` line, no panic, no hang.
#[test]
fn malformed_responses_are_named_errors() {
    let origin = Origin::start();
    let cases = [
        (
            "/truncated",
            "Content-Length promised 1000 bytes, the connection closed after 9",
        ),
        ("/truncated-chunked", "chunked body truncated"),
        ("/bad-status", "bad status line \"HTTP/1.1 OK 200\""),
        ("/not-http", "bad status line \"SSH-2.0-OpenSSH_9.6\""),
        (
            "/no-colon",
            "bad header line \"Content-Length 5\": no colon",
        ),
        ("/bad-chunk", "bad chunk size line \"zz\""),
        ("/bad-length", "bad Content-Length \"12abc\""),
        ("/endless-headers", "more than 100 header lines"),
        ("/endless-line", "response head longer than 65536 bytes"),
        ("/empty", "closed the connection without sending a response"),
    ];
    for (path, expected) in cases {
        let run = run_bin(&["--timeout", "10", &origin.url(path)]);
        assert_eq!(run.code, Some(1), "{path}: {}", run.stderr);
        assert!(
            run.stderr.starts_with("error: GET http://"),
            "{path}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(expected), "{path}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{path}: {}", run.stderr);
    }
}

/// Runs the binary on `url` into /dev/null, polling its peak memory until it exits.
fn peak_memory_of_fetch(url: &str) -> (u64, std::process::ExitStatus) {
    let mut child = Command::new(BIN)
        .args([url, "-o", "/dev/null"])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut peak = 0;
    loop {
        if let Some(kib) = testkit::peak_rss_kib(child.id()) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (peak, status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("fetch of {url} did not finish");
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// Memory does not grow with the body: 200 MiB (Content-Length) and
/// 64 MiB (chunked) are fetched with a peak under 8 MiB.
#[test]
fn memory_stays_small_for_huge_bodies() {
    let origin = Origin::start();
    for path in ["/big/209715200", "/bigchunked/67108864"] {
        let (peak, status) = peak_memory_of_fetch(&origin.url(path));
        assert!(status.success(), "{path}: {status}");
        assert!(peak > 0, "no VmHWM read for {path}");
        assert!(peak < 8 * 1024, "{path}: peak {peak} KiB");
    }
}

/// A reader that goes away (`| head -c 10`) ends the fetch quietly: no
/// `error:` line, exit 141 (what a shell shows for a program ended by
/// SIGPIPE), not a panic or a hang.
#[test]
fn closed_stdout_ends_quietly() {
    let origin = Origin::start();
    let mut child = Command::new(BIN)
        .arg(origin.url("/big/100000000"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 10];
    out.read_exact(&mut first).unwrap();
    assert_eq!(first[..], pattern(10)[..]);
    drop(out);
    let deadline = Instant::now() + testkit::PATIENCE;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "still running after stdout closed"
        );
        thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(141), "{stderr}");
    assert_eq!(stderr, "");
}

/// A write error that is not a closed pipe is still an `error:` line, exit 1:
/// only a reader that went away is quiet.
#[test]
fn a_full_disk_is_still_an_error() {
    let origin = Origin::start();
    let run = run_bin(&["-o", "/dev/full", &origin.url("/bytes/100")]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.starts_with("error: ") && run.stderr.contains("No space left on device"),
        "{}",
        run.stderr
    );
}

/// `--timeout` bounds the connect too: a listener with a backlog of 0 that
/// never accepts takes one connection, and the kernel drops the SYNs of the
/// next ones, so their `connect()` hangs until our timeout.
#[test]
fn connect_times_out() {
    use socket2::{Domain, Socket, Type};
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    listener
        .bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    listener.listen(0).unwrap();
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    // Fill the accept queue until a connect no longer completes.
    let mut fillers = Vec::new();
    let full =
        (0..16).any(
            |_| match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
                Ok(s) => {
                    fillers.push(s);
                    false
                }
                Err(_) => true,
            },
        );
    assert!(
        full,
        "the backlog never filled; cannot provoke a connect timeout"
    );
    let run = run_bin(&["--timeout", "0.5", &format!("http://{addr}/")]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("{addr}: timed out after 0.5s")),
        "{}",
        run.stderr
    );
    assert!(run.elapsed < Duration::from_secs(8), "{:?}", run.elapsed);
}
