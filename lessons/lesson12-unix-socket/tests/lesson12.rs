//! Lesson 12: the echo over AF_UNIX, peer credentials, every rule about the
//! socket path, shutdown and clean-up, and hostile peers.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::Duration;

use lesson12_unix_socket::socket_path::{self, Previous, Probe};
use lesson12_unix_socket::{Place, ServerConfig, Summary, bind, peer_credentials, serve};
use testkit::{PATIENCE, Server};

const BIN: &str = env!("CARGO_BIN_EXE_lesson12-unix-socket");

fn scratch() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("echo.sock");
    (dir, path)
}

fn spawn(path: &Path, extra: &[&str]) -> Server {
    let mut args = vec!["server", "--path", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    Server::spawn(BIN, &args)
}

/// Connects with bounded read and write waits.
fn connect(path: &Path) -> UnixStream {
    let stream = UnixStream::connect(path).unwrap_or_else(|e| panic!("connect {path:?}: {e}"));
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.set_write_timeout(Some(PATIENCE)).unwrap();
    stream
}

/// Sends `bytes` and reads back exactly as many.
fn round_trip(stream: &mut UnixStream, bytes: &[u8]) -> Vec<u8> {
    stream.write_all(bytes).unwrap();
    let mut back = vec![0; bytes.len()];
    stream.read_exact(&mut back).unwrap();
    back
}

/// The uid and gid of this test process, read without unsafe code.
fn my_ids() -> (u32, u32) {
    let meta = fs::metadata("/proc/self").unwrap();
    (meta.uid(), meta.gid())
}

fn wait_exit(server: &mut Server) -> Vec<String> {
    let (status, rest) = server.wait(Duration::from_secs(2));
    assert!(status.success(), "{status:?}; stderr: {}", server.stderr());
    rest
}

// --- the library ---------------------------------------------------------

/// Runs `serve` on a thread; returns its handle and the shutdown flag.
fn serve_in_thread(
    path: &Path,
    idle: Duration,
) -> (
    thread::JoinHandle<anyhow::Result<Summary>>,
    common::Shutdown,
    Option<socket_path::SocketFile>,
) {
    let place = Place::Path(path.to_path_buf());
    let bound = bind(&place).unwrap();
    let shutdown = common::Shutdown::new();
    let s = shutdown.clone();
    let handle = thread::spawn(move || {
        serve(
            bound.listener,
            &place,
            &s,
            &ServerConfig { idle_timeout: idle },
        )
    });
    (handle, shutdown, bound.file)
}

/// Any bytes, invalid UTF-8 and 1 MiB included, come back exactly, and the
/// summary counts them.
#[test]
fn library_echoes_bytes_exactly() {
    let (_dir, path) = scratch();
    let (handle, shutdown, file) = serve_in_thread(&path, PATIENCE);
    let mut payload = b"caf\xc3\xa9 \xff\xfe\x00 not utf-8\n".to_vec();
    payload.extend((0..1024 * 1024).map(|i| (i % 251) as u8));
    let stream = connect(&path);
    let mut writer = stream.try_clone().unwrap();
    let to_send = payload.clone();
    // Write and read at the same time: 1 MiB does not fit in socket buffers.
    let sender = thread::spawn(move || {
        writer.write_all(&to_send).unwrap();
        writer.shutdown(std::net::Shutdown::Write).unwrap();
    });
    let mut back = Vec::new();
    (&stream).read_to_end(&mut back).unwrap();
    sender.join().unwrap();
    assert!(back == payload, "echo differs ({} bytes back)", back.len());
    shutdown.trigger();
    let summary = handle.join().unwrap().unwrap();
    assert_eq!(summary.clients, 1);
    assert_eq!(summary.bytes, payload.len() as u64);
    assert!(file.unwrap().remove().unwrap(), "the socket file was ours");
    assert!(!path.exists());
}

/// SO_PEERCRED reports the process on the other end: here, ourselves.
#[test]
fn peer_credentials_name_the_peer_process() {
    let (a, _b) = UnixStream::pair().unwrap();
    let cred = peer_credentials(&a).unwrap();
    let (uid, gid) = my_ids();
    assert_eq!(cred.pid, std::process::id() as i32);
    assert_eq!((cred.uid, cred.gid), (uid, gid));
}

/// Shutdown wakes a server blocked reading an idle client, closes that
/// client, and then stops instead of accepting again.
#[test]
fn library_shutdown_closes_an_idle_client() {
    let (_dir, path) = scratch();
    let (handle, shutdown, _file) = serve_in_thread(&path, Duration::from_secs(60));
    let mut idle = connect(&path);
    // One echo proves the server is now blocked reading this client.
    assert_eq!(round_trip(&mut idle, b"x"), b"x");
    shutdown.trigger();
    let summary = handle.join().unwrap().unwrap();
    assert_eq!(summary.clients, 1);
    let mut buf = [0u8; 1];
    assert_eq!(
        idle.read(&mut buf).unwrap(),
        0,
        "the idle client was closed"
    );
}

// --- the binaries --------------------------------------------------------

/// `server --path` and `client --path` echo lines; the server prints the
/// client's credentials and removes its socket on SIGINT.
#[test]
fn server_and_client_binaries_echo() {
    let (_dir, path) = scratch();
    let mut server = spawn(&path, &[]);
    assert_eq!(server.ready, path.to_str().unwrap());
    assert!(fs::symlink_metadata(&path).unwrap().file_type().is_socket());
    let run = testkit::run(
        BIN,
        &["client", "--path", path.to_str().unwrap()],
        "hello server\nwörld \u{1b}[2J\n".as_bytes(),
        PATIENCE,
    );
    assert_eq!(run.code(), Some(0), "{run:?}");
    assert_eq!(run.stdout, "hello server\nwörld \\u{1b}[2J\n");
    let (uid, gid) = my_ids();
    let line = server.expect_line(|l| l.contains("connected"));
    assert!(line.starts_with("client pid "), "{line}");
    assert!(
        line.ends_with(&format!(" uid {uid} gid {gid} connected")),
        "{line}"
    );
    server.expect_line(|l| l.ends_with("disconnected after 25 bytes"));
    server.signal("INT");
    let rest = wait_exit(&mut server);
    assert_eq!(
        rest.last().map(String::as_str),
        Some(
            format!(
                "shut down: served 1 client, echoed 25 bytes, removed {}",
                path.display()
            )
            .as_str()
        ),
        "{rest:?}"
    );
    assert!(!path.exists(), "socket file left behind");
}

/// The credentials printed are those of the connecting process.
#[test]
fn server_prints_the_connecting_process_id() {
    let (_dir, path) = scratch();
    let server = spawn(&path, &[]);
    let mut client = connect(&path);
    assert_eq!(round_trip(&mut client, b"ping\n"), b"ping\n");
    let line = server.expect_line(|l| l.contains("connected"));
    assert!(
        line.starts_with(&format!("client pid {} ", std::process::id())),
        "{line}"
    );
}

/// SIGTERM with an idle client connected: exit 0 within 2 s, the client is
/// closed, the summary is printed, the socket file is gone.
#[test]
fn sigterm_with_idle_client_exits_and_removes_the_socket() {
    let (_dir, path) = scratch();
    let mut server = spawn(&path, &[]);
    let mut idle = connect(&path);
    server.expect_line(|l| l.ends_with(" connected"));
    server.signal("TERM");
    let rest = wait_exit(&mut server);
    let removed = format!("removed {}", path.display());
    assert!(
        rest.iter()
            .any(|l| l.starts_with("shut down: served 1 client") && l.ends_with(&removed)),
        "{rest:?}"
    );
    assert!(!path.exists());
    let mut buf = [0u8; 1];
    assert_eq!(idle.read(&mut buf).unwrap_or(0), 0);
}

/// A socket file left by a server that died (nobody listens) is removed,
/// said so, and replaced.
#[test]
fn stale_socket_is_removed() {
    let (_dir, path) = scratch();
    make_stale(&path);
    let server = spawn(&path, &[]);
    let note = server.next_line(PATIENCE).unwrap();
    assert_eq!(
        note,
        format!(
            "removed stale socket {} (nobody was listening on it)",
            path.display()
        )
    );
    let mut client = connect(&path);
    assert_eq!(round_trip(&mut client, b"fresh\n"), b"fresh\n");
}

/// Leaves a stale socket file at `path`: bound, then closed, nobody listening.
///
/// Closing is not instant for the kernel when this test process is also
/// spawning children (other tests run in parallel): a child forked at that
/// moment holds a copy of the listening descriptor until it `exec`s, and
/// for that short while the socket is still live. So wait until it reads
/// as stale.
fn make_stale(path: &Path) {
    drop(UnixListener::bind(path).unwrap()); // the file stays, nobody listens
    testkit::eventually("the socket to go stale", || {
        socket_path::probe(path).unwrap() == Probe::Stale
    });
}

/// The library says which case it met.
#[test]
fn clear_stale_reports_what_it_found() {
    let (_dir, path) = scratch();
    assert_eq!(socket_path::clear_stale(&path).unwrap(), Previous::Nothing);
    make_stale(&path);
    assert_eq!(
        socket_path::clear_stale(&path).unwrap(),
        Previous::StaleSocket
    );
    assert!(!path.exists());
}

/// Runs the server binary on `path`, expecting a refusal: exit 1, one
/// `error:` line naming the path and containing `why`.
fn expect_refusal(path: &Path, why: &str) {
    let run = testkit::run(
        BIN,
        &["server", "--path", path.to_str().unwrap()],
        b"",
        PATIENCE,
    );
    assert_eq!(run.code(), Some(1), "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
    let line = run.stderr.trim_end();
    assert!(!line.contains('\n'), "one line: {line}");
    assert!(line.starts_with("error: "), "{line}");
    assert!(line.contains(path.to_str().unwrap()), "{line}");
    assert!(line.contains(why), "{line}");
}

/// A regular file at the path is never deleted.
#[test]
fn regular_file_is_refused_and_kept() {
    let (_dir, path) = scratch();
    fs::write(&path, "precious data").unwrap();
    expect_refusal(&path, "is a regular file, not a socket");
    assert_eq!(fs::read_to_string(&path).unwrap(), "precious data");
}

/// A directory at the path is refused and kept.
#[test]
fn directory_is_refused_and_kept() {
    let (_dir, path) = scratch();
    fs::create_dir(&path).unwrap();
    fs::write(path.join("inside"), "x").unwrap();
    expect_refusal(&path, "is a directory, not a socket");
    assert!(path.join("inside").exists());
}

/// A symbolic link is not followed and not removed, even to a stale socket.
#[test]
fn symlink_is_refused_and_neither_end_removed() {
    let (dir, path) = scratch();
    let target = dir.path().join("real.sock");
    make_stale(&target);
    std::os::unix::fs::symlink(&target, &path).unwrap();
    expect_refusal(&path, "is a symbolic link, not a socket");
    assert!(
        fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(target.exists());
}

/// A live socket (someone listening) is refused; its owner keeps working.
#[test]
fn live_socket_is_refused_and_keeps_working() {
    let (_dir, path) = scratch();
    let listener = UnixListener::bind(&path).unwrap();
    expect_refusal(&path, "is in use: another server is listening on it");
    assert!(path.exists());
    let _client = connect(&path);
    // The probe's connection and ours are both queued on the listener.
    listener.set_nonblocking(true).unwrap();
    assert!(listener.accept().is_ok());
}

/// Two servers on one path: the second refuses, the first keeps serving.
#[test]
fn second_server_on_the_same_path_is_refused() {
    let (_dir, path) = scratch();
    let first = spawn(&path, &[]);
    expect_refusal(&path, "is in use");
    let mut client = connect(&path);
    assert_eq!(round_trip(&mut client, b"still here\n"), b"still here\n");
    drop(first);
}

/// On exit the server removes only its own socket: a file that replaced it
/// is left alone. (With its path gone, the server can only be woken from
/// accept() by shutting the listener down, so this also tests that.)
#[test]
fn a_replaced_socket_file_is_left_alone_on_exit() {
    let (_dir, path) = scratch();
    let mut server = spawn(&path, &[]);
    fs::remove_file(&path).unwrap();
    fs::write(&path, "someone else's").unwrap();
    server.signal("TERM");
    let rest = wait_exit(&mut server);
    let left = format!("left {} alone (no longer ours)", path.display());
    assert!(rest.iter().any(|l| l.ends_with(&left)), "{rest:?}");
    assert_eq!(fs::read_to_string(&path).unwrap(), "someone else's");
}

/// A path in a directory that does not exist: a clear error naming it.
#[test]
fn missing_directory_is_a_clear_error() {
    let (dir, _) = scratch();
    let path = dir.path().join("no/such/dir/echo.sock");
    expect_refusal(&path, "No such file or directory");
}

/// The client to a path with nothing there: exit 1, error names the path.
#[test]
fn client_without_server_names_the_path() {
    let (_dir, path) = scratch();
    let run = testkit::run(
        BIN,
        &["client", "--path", path.to_str().unwrap()],
        b"hi\n",
        PATIENCE,
    );
    assert_eq!(run.code(), Some(1), "{run:?}");
    assert!(
        run.stderr.starts_with(&format!(
            "error: connect to {}: No such file or directory",
            path.display()
        )),
        "{}",
        run.stderr
    );
}

/// A server that accepts nothing and echoes nothing: the client gives up
/// after its timeout with an error that names it.
#[test]
fn client_times_out_without_echo() {
    let (_dir, path) = scratch();
    let _mute = UnixListener::bind(&path).unwrap();
    let run = testkit::run(
        BIN,
        &[
            "client",
            "--path",
            path.to_str().unwrap(),
            "--timeout",
            "0.5",
        ],
        b"anyone?\n",
        PATIENCE,
    );
    assert_eq!(run.code(), Some(1), "{run:?}");
    assert!(run.stderr.contains("no echo within 0.5s"), "{}", run.stderr);
}

/// `--path` and `--abstract` together, or neither, are usage errors.
#[test]
fn exactly_one_place_is_required() {
    let both = testkit::run(
        BIN,
        &["server", "--path", "/tmp/x", "--abstract", "x"],
        b"",
        PATIENCE,
    );
    assert_eq!(both.code(), Some(2), "{both:?}");
    let neither = testkit::run(BIN, &["client"], b"", PATIENCE);
    assert_eq!(neither.code(), Some(2), "{neither:?}");
}

/// A unique abstract name per test run.
fn abstract_name() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "lesson12-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// Linux's abstract namespace: no file, `@name` in the ready line, the
/// name is taken while the server runs and free again after.
#[test]
fn abstract_namespace_echo() {
    let name = abstract_name();
    let mut server = Server::spawn(BIN, &["server", "--abstract", &name]);
    assert_eq!(server.ready, format!("@{name}"));
    let run = testkit::run(
        BIN,
        &["client", "--abstract", &name],
        b"no file\n",
        PATIENCE,
    );
    assert_eq!(run.code(), Some(0), "{run:?}");
    assert_eq!(run.stdout, "no file\n");
    let taken = testkit::run(BIN, &["server", "--abstract", &name], b"", PATIENCE);
    assert_eq!(taken.code(), Some(1));
    assert!(
        taken
            .stderr
            .starts_with(&format!("error: bind @{name}: Address already in use")),
        "{}",
        taken.stderr
    );
    server.signal("TERM");
    let rest = wait_exit(&mut server);
    assert_eq!(
        rest.last().unwrap(),
        "shut down: served 1 client, echoed 8 bytes"
    );
    let again = Server::spawn(BIN, &["server", "--abstract", &name]);
    assert_eq!(again.ready, format!("@{name}"));
}

// --- hostile peers -------------------------------------------------------

/// A silent client is dropped after --idle-timeout and the next one is
/// served; a client that connects and vanishes does no harm.
#[test]
fn silent_and_vanishing_clients_do_not_block_others() {
    let (_dir, path) = scratch();
    let server = spawn(&path, &["--idle-timeout", "1"]);
    drop(UnixStream::connect(&path).unwrap()); // connect and vanish
    let _silent = connect(&path);
    let mut patient = connect(&path);
    assert_eq!(round_trip(&mut patient, b"my turn\n"), b"my turn\n");
    server.expect_line(|l| l.ends_with("idle for 1s, disconnecting"));
}

/// A client that sends a lot and closes without reading its echo makes the
/// server's write fail (EPIPE or ECONNRESET): logged, and the next client
/// is served.
#[test]
fn client_closing_with_unread_echo_is_survived() {
    let (_dir, path) = scratch();
    let server = spawn(&path, &[]);
    {
        let mut rude = connect(&path);
        rude.write_all(&[b'x'; 64 * 1024]).unwrap();
        // Wait for the echo to start, then close with the rest of it unread:
        // AF_UNIX has no RST packet, but the kernel reports the abort to
        // the server (EPIPE on its write, ECONNRESET on its read), as TCP would.
        let mut first = [0u8; 1];
        rude.read_exact(&mut first).unwrap();
    }
    server.expect_line(|l| l.contains(": error: "));
    let mut next = connect(&path);
    assert_eq!(
        round_trip(&mut next, b"\xff\xfe bytes\n"),
        b"\xff\xfe bytes\n"
    );
}

/// The descriptor number the next `accept()` of a process would get: the
/// lowest one not open (descriptors inherited from the environment can sit
/// far above it, so counting them would not do).
fn lowest_free_fd(pid: u32) -> u32 {
    let open: Vec<u32> = fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    (0..).find(|n| !open.contains(n)).unwrap()
}

/// Out of descriptors (EMFILE) at accept(): the server reports it once,
/// waits and retries without spinning, and still shuts down cleanly.
#[test]
fn emfile_makes_the_server_wait_not_exit_or_spin() {
    // Learn which descriptor number an idle server would give its next
    // client, then start a second server whose limit is exactly that
    // number: it can start, but cannot accept anyone.
    let (_dir, path) = scratch();
    let probe_server = spawn(&path, &[]);
    let mut c = connect(&path);
    round_trip(&mut c, b"x\n");
    drop(c);
    probe_server.expect_line(|l| l.contains("disconnected"));
    // The client's descriptors are closed just after that line is printed;
    // descriptors only go away while the server idles, so the smallest
    // value seen over a second is the idle one.
    let mut limit = u32::MAX;
    for _ in 0..50 {
        limit = limit.min(lowest_free_fd(probe_server.pid()));
        thread::sleep(Duration::from_millis(20));
    }
    drop(probe_server);

    let (_dir2, path2) = scratch();
    let cmd =
        testkit::with_nofile_limit(BIN, &["server", "--path", path2.to_str().unwrap()], limit);
    let mut server = Server::start(cmd);
    let _waiting = UnixStream::connect(&path2).unwrap();
    testkit::eventually("the EMFILE report", || {
        server.stderr().contains("Too many open files")
    });
    server.assert_not_spinning(Duration::from_secs(1), Duration::from_millis(500));
    assert_eq!(server.stderr().matches("Too many open files").count(), 1);
    server.signal("TERM");
    let rest = wait_exit(&mut server); // within 2 s, exit 0
    assert!(
        rest.last()
            .unwrap()
            .starts_with("shut down: served 0 clients"),
        "{rest:?}"
    );
    assert!(!path2.exists());
}
