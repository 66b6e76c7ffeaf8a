//! Tests for capstone 05-3 (a remote command runner).
//!
//! Real programs run: each test checks what reaches the client, and, where a
//! command is cut short, that no child process (not even a zombie) is left.

use crate::ex3_code::*;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// A bound for every wait that is not the subject of a test.
const PATIENCE: Duration = Duration::from_secs(5);

fn config() -> Config {
    Config {
        max_line: 256,
        max_args: 8,
        time_limit: Duration::from_secs(5),
        max_output: 64 * 1024,
        idle_timeout: Duration::from_secs(5),
    }
}

/// Runs `serve` on a fresh loopback port (never joined: it ends with the
/// test process).
fn start(config: Config) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || serve(listener, config));
    addr
}

/// Serves one connection with `serve_client` and reports when it returns.
fn serve_one(config: Config) -> (SocketAddr, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (done, finished) = mpsc::channel();
    thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let result = serve_client(stream, &config);
        let _ = done.send(format!("{result:?}"));
    });
    (addr, finished)
}

/// Runs `command` with the crate's client: (output as text, ending).
fn remote(addr: SocketAddr, command: &str) -> (String, Ending) {
    let mut out = Vec::new();
    let ending = run_remote(addr, command, &mut out, PATIENCE)
        .unwrap_or_else(|e| panic!("run_remote({command:?}) failed: {e}"));
    (String::from_utf8_lossy(&out).into_owned(), ending)
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, PATIENCE).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.set_write_timeout(Some(PATIENCE)).unwrap();
    stream
}

/// Reads frames with the tests' own decoder until EOF: (tag, payload) each.
fn raw_frames(stream: &mut TcpStream) -> Vec<(char, String)> {
    let mut frames = Vec::new();
    loop {
        let mut header = [0u8; 5];
        match stream.read_exact(&mut header) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return frames,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return frames,
            Err(e) => panic!("reading frames after {frames:?}: {e}"),
        }
        let len = u32::from_be_bytes(header[1..].try_into().unwrap()) as usize;
        assert!(len <= 64 * 1024, "frame length {len} after {frames:?}");
        let mut payload = vec![0u8; len];
        stream.read_exact(&mut payload).expect("a frame's payload");
        frames.push((
            header[0] as char,
            String::from_utf8_lossy(&payload).into_owned(),
        ));
    }
}

/// Children of this test process named `name` that are zombies or still run
/// with argument `arg`, as "pid state" strings.
fn leftovers(name: &str, arg: &str) -> Vec<String> {
    let me = std::process::id().to_string();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue; // gone meanwhile, or not a process
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = &stat[open + 1..close];
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        if fields.len() < 2 || fields[1] != me || comm != name {
            continue;
        }
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let zombie = fields[0] == "Z";
        let ours = cmdline.split(|&b| b == 0).any(|a| a == arg.as_bytes());
        if zombie || ours {
            found.push(format!("{pid} {}", fields[0]));
        }
    }
    found
}

/// Waits (bounded) until no such child is left.
fn assert_no_leftover(name: &str, arg: &str) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = leftovers(name, arg);
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "`{name} {arg}` still has child processes (pid state, Z = zombie never reaped): {left:?}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// An allowed command runs with its arguments; its output and exit status arrive.
#[test]
fn runs_an_allowed_command_and_reports_its_exit_status() {
    let addr = start(config());
    assert_eq!(
        remote(addr, "echo hello   world"),
        ("hello world\n".to_string(), Ending::Exit(0)),
        "(output, ending) of `echo hello   world`"
    );
    assert_eq!(
        remote(addr, "false"),
        (String::new(), Ending::Exit(1)),
        "`false`"
    );
    assert_eq!(
        remote(addr, "uname -s"),
        ("Linux\n".to_string(), Ending::Exit(0)),
        "`uname -s`"
    );
}

/// Shell syntax reaches the program as plain argument bytes: nothing else
/// runs, and `echo` prints it literally.
#[test]
fn shell_syntax_is_only_argument_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let made = dir.path().join("made");
    let m = made.display();
    let addr = start(config());
    for attack in [
        format!("echo hi; touch {m}"),
        format!("echo $(touch {m})"),
        format!("echo `touch {m}`"),
        format!("echo a && touch {m} || touch {m}"),
        format!("echo a | tee {m} > {m}"),
    ] {
        let (output, ending) = remote(addr, &attack);
        let literal = attack.strip_prefix("echo ").unwrap();
        assert_eq!(
            (output.as_str(), &ending),
            (format!("{literal}\n").as_str(), &Ending::Exit(0)),
            "(output, ending) of {attack:?}: echo must print its arguments as they are"
        );
        assert!(!made.exists(), "{attack:?} created {m}: a shell ran it");
    }
}

/// A request that tries to delete files is refused, and the files stay.
#[test]
fn rm_rf_is_refused_and_nothing_is_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let precious = dir.path().join("precious");
    std::fs::write(&precious, b"keep me").unwrap();
    let d = dir.path().display();
    let addr = start(config());
    for attack in [
        format!("; rm -rf {d}"),
        format!("rm -rf {d}"),
        format!("sh -c rm -rf {d}"),
        format!("/usr/bin/rm -rf {d}"),
        format!("echo;rm -rf {d}"),
    ] {
        let (output, ending) = remote(addr, &attack);
        assert!(
            matches!(ending, Ending::Refused(_)) && output.is_empty(),
            "{attack:?} should be refused with no output, got output {output:?} and {ending:?}"
        );
        assert!(
            precious.exists(),
            "{attack:?} deleted {}",
            precious.display()
        );
    }
}

/// Everything outside the allow-list and its argument rules is refused.
#[test]
fn refuses_what_is_not_allowed() {
    let addr = start(config());
    let too_many = format!("echo{}", " x".repeat(9));
    for request in [
        "ls /",
        "cat /etc/passwd",
        "sleep 99",
        "sleep 1e9",
        "date --set=2000-01-01",
        "seq -f %n 5",
        "",
        "   ",
        too_many.as_str(),
    ] {
        let (output, ending) = remote(addr, request);
        match ending {
            Ending::Refused(why) if output.is_empty() && !why.is_empty() => {}
            other => panic!(
                "{request:?}: expected a refusal with a reason and no output, got output {output:?} and {other:?}"
            ),
        }
    }
}

/// A line over `max_line` is refused as soon as it is too long, not when
/// (if ever) its newline arrives.
#[test]
fn an_over_long_line_is_refused() {
    let addr = start(config());
    let mut stream = connect(addr);
    // Written by a helper thread: the server may close before it is all sent.
    let mut writer = stream.try_clone().unwrap();
    let flood = thread::spawn(move || {
        let _ = writer.write_all(&[b'a'; 4096]);
    });
    let frames = raw_frames(&mut stream);
    flood.join().unwrap();
    assert!(
        frames.len() == 1 && frames[0].0 == 'R',
        "frames for a 4096-byte line with no newline: {frames:?}, expected one R frame"
    );
}

/// Bytes that are not UTF-8 are refused.
#[test]
fn invalid_utf8_is_refused() {
    let addr = start(config());
    let mut stream = connect(addr);
    stream.write_all(b"echo \xff\xfe\n").unwrap();
    let frames = raw_frames(&mut stream);
    assert!(
        frames.len() == 1 && frames[0].0 == 'R',
        "frames for a request that is not UTF-8: {frames:?}, expected one R frame"
    );
}

/// A client that connects and says nothing is dropped after the idle
/// timeout, and nothing is run.
#[test]
fn a_silent_client_is_dropped() {
    let mut cfg = config();
    cfg.idle_timeout = Duration::from_millis(300);
    let (addr, finished) = serve_one(cfg);
    let mut stream = connect(addr);
    let start = Instant::now();
    let frames = raw_frames(&mut stream);
    finished
        .recv_timeout(PATIENCE)
        .expect("serve_client gives up on a silent client");
    let took = start.elapsed();
    assert!(
        frames.iter().all(|(tag, _)| *tag == 'R'),
        "a silent client may get a refusal, nothing else: {frames:?}"
    );
    assert!(
        took >= Duration::from_millis(200),
        "dropped after {took:?}, before the idle timeout"
    );
}

/// A command that floods output is killed at `max_output`; no more than
/// that reaches the client, and the child is reaped.
#[test]
fn a_flood_of_output_is_cut_at_the_limit() {
    let addr = start(config());
    let mut out = Vec::new();
    let ending = run_remote(addr, "seq 9000001", &mut out, PATIENCE).expect("a run that ends");
    let limit = config().max_output;
    assert!(
        matches!(&ending, Ending::Killed(why) if why.contains("output")),
        "ending of a flood: {ending:?}, expected Killed(\"..output..\")"
    );
    assert!(
        out.len() <= limit && out.len() >= limit / 2,
        "{} bytes of output reached the client, limit {limit}",
        out.len()
    );
    assert!(
        out.starts_with(b"1\n2\n3\n"),
        "output starts {:?}",
        String::from_utf8_lossy(&out[..out.len().min(12)])
    );
    assert_no_leftover("seq", "9000001");
}

/// A command that outlives its time limit is killed and reaped.
#[test]
fn a_command_past_its_time_limit_is_killed() {
    let mut cfg = config();
    cfg.time_limit = Duration::from_millis(300);
    let addr = start(cfg);
    let start = Instant::now();
    let (output, ending) = remote(addr, "sleep 7");
    let took = start.elapsed();
    assert!(
        matches!(&ending, Ending::Killed(why) if why.contains("time")) && output.is_empty(),
        "ending of `sleep 7` with a 300 ms limit: {ending:?} (output {output:?})"
    );
    assert!(
        took >= Duration::from_millis(250) && took < PATIENCE,
        "killed after {took:?}, limit 300 ms"
    );
    assert_no_leftover("sleep", "7");
}

/// A client that resets in the middle of a stream: the server stops the
/// command, reaps it, and `serve_client` returns.
#[test]
fn a_client_that_vanishes_mid_stream_stops_the_command() {
    let mut cfg = config();
    cfg.max_output = 1 << 30;
    cfg.time_limit = Duration::from_secs(30);
    let (addr, finished) = serve_one(cfg);
    let mut stream = connect(addr);
    stream.write_all(b"seq 9000002\n").unwrap();
    let mut first = [0u8; 5];
    stream
        .read_exact(&mut first)
        .expect("the first output frame");
    assert_eq!(first[0], b'O', "tag of the first frame");
    testkit::reset(stream);
    finished
        .recv_timeout(PATIENCE)
        .expect("serve_client returns once its client has gone");
    assert_no_leftover("seq", "9000002");
}

/// A long command does not hold up another client.
#[test]
fn clients_are_served_concurrently() {
    let addr = start(config());
    let slow = thread::spawn(move || remote(addr, "sleep 4"));
    thread::sleep(Duration::from_millis(100));
    let start = Instant::now();
    assert_eq!(
        remote(addr, "echo quick"),
        ("quick\n".to_string(), Ending::Exit(0))
    );
    assert!(
        start.elapsed() < Duration::from_millis(3000),
        "answered after {:?}",
        start.elapsed()
    );
    assert_eq!(
        slow.join().unwrap(),
        (String::new(), Ending::Exit(0)),
        "`sleep 4`"
    );
}

/// The client bounds its waits and refuses frames it cannot trust.
#[test]
fn the_client_bounds_waits_and_refuses_bad_frames() {
    let fake = |answer: Vec<u8>| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let _ = s.write_all(&answer);
            thread::sleep(Duration::from_secs(2));
        });
        addr
    };
    let kind = |addr, timeout| {
        run_remote(addr, "echo x", &mut Vec::new(), timeout)
            .expect_err("a broken server is an error")
            .kind()
    };
    let start = Instant::now();
    assert_eq!(
        kind(fake(Vec::new()), Duration::from_millis(300)),
        std::io::ErrorKind::TimedOut,
        "silent server"
    );
    assert!(
        start.elapsed() < PATIENCE,
        "gave up after {:?}",
        start.elapsed()
    );
    let mut huge = vec![b'O'];
    huge.extend_from_slice(&u32::MAX.to_be_bytes());
    assert_eq!(
        kind(fake(huge), PATIENCE),
        std::io::ErrorKind::InvalidData,
        "a 4 GiB frame"
    );
    assert_eq!(
        kind(fake(b"Z\0\0\0\0".to_vec()), PATIENCE),
        std::io::ErrorKind::InvalidData,
        "unknown tag Z"
    );
}
