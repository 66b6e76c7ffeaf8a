//! Lesson 04: SO_REUSEADDR states, the TIME_WAIT demo, the restart story, and
//! the echo server under hostile clients (library on 127.0.0.1:0 and the binary).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use common::Shutdown;
use lesson04_reuse_addr::{listen_with_reuse, serve};
use testkit::{PATIENCE, Server, connect, is_closed, read_line, reset, send_line};

const BIN: &str = env!("CARGO_BIN_EXE_lesson04-reuse-addr");

/// A server running `serve` in a thread on a free port.
struct Running {
    addr: SocketAddr,
    shutdown: Shutdown,
    thread: thread::JoinHandle<lesson03_echo::Summary>,
}

fn start(idle: Duration) -> Running {
    let (listener, _) =
        listen_with_reuse(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), true).unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = Shutdown::new();
    let s = shutdown.clone();
    let thread = thread::spawn(move || serve(listener, &s, idle).unwrap());
    Running {
        addr,
        shutdown,
        thread,
    }
}

impl Running {
    fn stop(self) -> lesson03_echo::Summary {
        self.shutdown.trigger();
        self.thread.join().unwrap()
    }
}

/// Writes `data`, half-closes, and reads everything echoed back.
fn echo_all(addr: SocketAddr, data: &[u8]) -> Vec<u8> {
    let mut s = connect(addr);
    let writer = {
        let mut w = s.try_clone().unwrap();
        let data = data.to_vec();
        thread::spawn(move || {
            w.write_all(&data).unwrap();
            w.shutdown(std::net::Shutdown::Write).unwrap();
        })
    };
    let got = testkit::read_to_end(&mut s);
    writer.join().unwrap();
    got
}

/// `listen_with_reuse` reads the option before setting it (a new socket has
/// it off) and after; with `reuse = false` it stays off.
#[test]
fn option_states_before_and_after() {
    let any = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let (_l, on) = listen_with_reuse(any, true).unwrap();
    assert_eq!((on.before, on.after), (false, true));
    let (_l, off) = listen_with_reuse(any, false).unwrap();
    assert_eq!((off.before, off.after), (false, false));
}

/// The demo leaves a real TIME_WAIT connection; without SO_REUSEADDR the
/// rebind fails with EADDRINUSE, with it the rebind succeeds, and an old
/// socket without the option blocks even a new socket that has it.
#[test]
fn demo_reproduces_time_wait_and_both_outcomes() {
    let demo = lesson04_reuse_addr::demo().unwrap();
    assert_eq!(demo.state, Some("TIME_WAIT"));
    let err = demo.without_reuse.as_ref().unwrap_err();
    assert_eq!(err.raw_os_error(), Some(98), "{err}");
    assert_eq!(*demo.with_reuse.as_ref().unwrap(), demo.addr);
    let err = demo.old_off_new_on.as_ref().unwrap_err();
    assert_eq!(err.raw_os_error(), Some(98), "{err}");
    demo.check().unwrap();
}

/// Control for the demo: on a port nobody used, a bind without SO_REUSEADDR
/// succeeds, so the failure above really comes from TIME_WAIT.
#[test]
fn fresh_port_binds_without_reuse() {
    let any = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let (l, _) = listen_with_reuse(any, false).unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    // The listener never had a connection, so nothing lingers on its port.
    let (_again, states) = listen_with_reuse(addr, false).unwrap();
    assert!(!states.after);
}

/// `lesson04-reuse-addr demo` with no arguments prints both outcomes, exit 0.
#[test]
fn demo_binary_prints_both_outcomes() {
    let run = testkit::run(BIN, &["demo"], b"", PATIENCE);
    assert_eq!(run.code(), Some(0), "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    let find = |prefix: &str| {
        *lines
            .iter()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line starting {prefix:?} in {lines:?}"))
    };
    let without = find("without SO_REUSEADDR: error ");
    assert!(
        without.ends_with("Address already in use (os error 98)"),
        "{without}"
    );
    let with = find("with SO_REUSEADDR: bound 127.0.0.1:");
    with["with SO_REUSEADDR: bound ".len()..]
        .parse::<SocketAddr>()
        .unwrap();
    let old_off = find("old socket without SO_REUSEADDR, new socket with it: error ");
    assert!(old_off.ends_with("(os error 98)"), "{old_off}");
    // The third case says why it is on another port before it shows it.
    let second = lines
        .iter()
        .position(|l| l.contains("(SO_REUSEADDR off) did the same: a second port, because"))
        .unwrap_or_else(|| panic!("no reason for the second port in {lines:?}"));
    let third = lines.iter().position(|l| *l == old_off).unwrap();
    assert_eq!(second + 1, third, "{lines:?}");
    assert!(find("connection ").ends_with("TIME_WAIT"), "{lines:?}");
}

/// The binary prints the ready line, then the option states, echoes bytes,
/// and ends on SIGINT with a summary, exit 0.
#[test]
fn binary_prints_states_after_ready_line_and_echoes() {
    let mut server = Server::spawn(BIN, &["server", "--port", "0"]);
    assert_eq!(
        server.next_line(PATIENCE).as_deref(),
        Some("SO_REUSEADDR before: false")
    );
    assert_eq!(
        server.next_line(PATIENCE).as_deref(),
        Some("SO_REUSEADDR after: true")
    );
    assert_eq!(echo_all(server.addr(), b"hello\xff\n"), b"hello\xff\n");
    server.signal("INT");
    let (status, rest) = server.wait(Duration::from_secs(5));
    assert!(status.success(), "{status:?}");
    assert!(
        rest.iter()
            .any(|l| l.starts_with("shut down: served 1 client")),
        "{rest:?}"
    );
}

/// `--no-reuse` leaves the option off.
#[test]
fn no_reuse_flag_leaves_option_off() {
    let server = Server::spawn(BIN, &["server", "--port", "0", "--no-reuse"]);
    assert_eq!(
        server.next_line(PATIENCE).as_deref(),
        Some("SO_REUSEADDR before: false")
    );
    assert_eq!(
        server.next_line(PATIENCE).as_deref(),
        Some("SO_REUSEADDR after: false")
    );
}

/// The original's problem, end to end: a server stopped while a client is
/// connected closes that connection first, which stays in TIME_WAIT. A
/// restart with `--no-reuse` fails with "Address already in use"; a restart
/// with the option (the default) works.
#[test]
fn restart_fails_without_reuse_and_works_with_it() {
    let mut first = Server::spawn(BIN, &["server", "--port", "0"]);
    let addr = first.addr();
    let port = addr.port().to_string();
    let mut client = connect(addr);
    send_line(&mut client, "hi");
    assert_eq!(read_line(&mut client), "hi");
    // SIGTERM: the server shuts the connection down (it closes first).
    first.signal("TERM");
    let (status, _) = first.wait(Duration::from_secs(5));
    assert!(status.success());
    assert!(is_closed(&mut client, PATIENCE));
    drop(client);
    testkit::eventually("server side of the connection in TIME_WAIT", || {
        time_wait_on(addr)
    });

    let refused = testkit::run(
        BIN,
        &["server", "--port", &port, "--no-reuse"],
        b"",
        PATIENCE,
    );
    assert_eq!(refused.code(), Some(1), "{refused:?}");
    assert_eq!(
        refused.stderr.trim_end(),
        format!("error: bind 127.0.0.1:{port}: Address already in use (os error 98)")
    );

    let mut again = Server::spawn(BIN, &["server", "--port", &port]);
    assert_eq!(again.addr(), addr);
    let mut c = connect(addr);
    send_line(&mut c, "back");
    assert_eq!(read_line(&mut c), "back");
    drop(c);
    again.signal("INT");
    assert!(again.wait(Duration::from_secs(5)).0.success());
}

/// Whether any connection from `local` is in TIME_WAIT (read from /proc/net/tcp).
fn time_wait_on(local: SocketAddr) -> bool {
    let hex = format!("0100007F:{:04X}", local.port());
    std::fs::read_to_string("/proc/net/tcp")
        .unwrap()
        .lines()
        .any(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() > 3 && f[1] == hex && f[3] == "06"
        })
}

/// Invalid UTF-8 and a 1 MiB "line" without a newline come back byte-exact
/// (the echo knows nothing of lines, so there is no line limit to hit).
#[test]
fn invalid_utf8_and_huge_lines_echo_exactly() {
    let server = start(PATIENCE);
    let mut data: Vec<u8> = (0..=255u8).collect();
    data.extend(std::iter::repeat_n(b'x', 1024 * 1024));
    assert_eq!(echo_all(server.addr, &data), data);
    assert_eq!(server.stop().bytes, data.len() as u64);
}

/// A client that connects and vanishes, and one that resets mid-message, do
/// not stop the next client from being served.
#[test]
fn vanishing_and_resetting_clients_do_not_stop_the_server() {
    let server = start(PATIENCE);
    drop(TcpStream::connect(server.addr).unwrap());
    let mut rude = connect(server.addr);
    rude.write_all(b"half a mess").unwrap();
    // Wait until the server is reading from this client, then reset.
    let mut got = [0u8; 11];
    rude.read_exact(&mut got).unwrap();
    reset(rude);
    assert_eq!(echo_all(server.addr, b"still here\n"), b"still here\n");
    assert_eq!(server.stop().clients, 3);
}

/// 200 clients connecting at once are all served, one after another.
#[test]
fn two_hundred_clients_at_once_are_all_served() {
    let server = start(PATIENCE);
    let addr = server.addr;
    let clients: Vec<_> = (0..200)
        .map(|i| thread::spawn(move || echo_all(addr, format!("client {i}\n").as_bytes())))
        .collect();
    for (i, c) in clients.into_iter().enumerate() {
        assert_eq!(c.join().unwrap(), format!("client {i}\n").as_bytes());
    }
    assert_eq!(server.stop().clients, 200);
}

/// One client at a time: a silent client holds the server until the idle
/// timeout closes it; then the waiting client is served.
#[test]
fn silent_client_blocks_others_until_idle_timeout() {
    let server = start(Duration::from_secs(1));
    let mut silent = connect(server.addr);
    send_line(&mut silent, "first");
    assert_eq!(read_line(&mut silent), "first"); // it is being served now
    let mut waiting = connect(server.addr);
    send_line(&mut waiting, "second");
    // The server is busy with `silent`: no echo for `waiting` yet.
    waiting
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    assert!(waiting.read(&mut [0u8; 1]).is_err());
    // After the idle timeout `silent` is closed and `waiting` gets its echo.
    assert!(is_closed(&mut silent, PATIENCE));
    waiting.set_read_timeout(Some(PATIENCE)).unwrap();
    assert_eq!(read_line(&mut waiting), "second");
    drop(waiting);
    server.stop();
}

/// SIGTERM with an idle client connected: exit 0 within 2 s, with a summary.
#[test]
fn sigterm_with_idle_client_exits_cleanly() {
    let mut server = Server::spawn(BIN, &["server", "--port", "0"]);
    let mut idle = connect(server.addr());
    send_line(&mut idle, "x");
    assert_eq!(read_line(&mut idle), "x");
    let start = Instant::now();
    server.signal("TERM");
    let (status, rest) = server.wait(Duration::from_secs(5));
    assert!(status.success());
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert!(rest.iter().any(|l| l.starts_with("shut down:")), "{rest:?}");
    assert!(is_closed(&mut idle, PATIENCE));
}

/// Out of file descriptors: started with a soft limit that leaves no room to
/// accept, the server reports EMFILE once, neither exits nor spins, and
/// serves the waiting client as soon as the limit is raised.
///
/// A one-at-a-time server holds at most one client's descriptors, so the
/// only way to exhaust them is a limit below its working minimum; the limit
/// is raised afterwards with prlimit(1) instead of by closing clients.
#[test]
fn out_of_descriptors_waits_without_spinning_and_recovers() {
    // The limit caps descriptor *numbers*: find the lowest number the idle
    // server leaves free (stdio, the listener and any descriptors inherited
    // from the test runner are taken); that is the one `accept` would need.
    let probe = Server::spawn(BIN, &["server", "--port", "0"]);
    // One client served and gone proves the accept loop (and everything it
    // opens first, like the shutdown wake-up handle) is up.
    let mut first = connect(probe.addr());
    send_line(&mut first, "probe");
    assert_eq!(read_line(&mut first), "probe");
    drop(first);
    probe.expect_line(|l| l.contains("disconnected"));
    // The line is printed just before that client's descriptors are closed:
    // read the table until it stops changing.
    let fds = || -> Vec<u32> {
        let mut fds: Vec<u32> = std::fs::read_dir(format!("/proc/{}/fd", probe.pid()))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().parse().unwrap())
            .collect();
        fds.sort_unstable();
        fds
    };
    let mut taken = fds();
    for _ in 0..100 {
        thread::sleep(Duration::from_millis(100));
        let again = fds();
        if again == taken {
            break;
        }
        taken = again;
    }
    let idle_fds = (0..).find(|n| !taken.contains(n)).unwrap();
    drop(probe);

    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("ulimit -S -n {idle_fds} && exec \"$0\" \"$@\""))
        .arg(BIN)
        .args(["server", "--port", "0"]);
    let mut server = Server::start(cmd);
    let mut client = connect(server.addr());
    send_line(&mut client, "patience");
    testkit::eventually("EMFILE reported", || {
        server.stderr().contains("Too many open files")
    });
    server.assert_not_spinning(Duration::from_secs(1), Duration::from_millis(300));

    let raised = Command::new("prlimit")
        .args(["--pid", &server.pid().to_string(), "--nofile=256:"])
        .status()
        .unwrap();
    assert!(raised.success());
    assert_eq!(read_line(&mut client), "patience");
    drop(client);
    server.expect_line(|l| l.contains("disconnected"));
    server.signal("INT");
    assert!(server.wait(Duration::from_secs(5)).0.success());
}
