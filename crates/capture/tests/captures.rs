//! The committed captures keep their shape, recording works on real sockets
//! (as root), and without CAP_NET_RAW the tool says so and succeeds.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::thread;
use std::time::Duration;

use capture::live::{self, Recorder};
use capture::scenario::{self, conversation};
use capture::{diagram, shape};

fn captures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../book/src/captures")
}

/// Each scenario's committed diagram parses and has the scenario's shape:
/// the flags, directions and order of its packets (never the numbers).
#[test]
fn every_committed_capture_has_its_scenarios_shape() {
    for s in &scenario::ALL {
        let path = captures_dir().join(format!("{}.txt", s.name));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let rows = diagram::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Err(e) = shape::check(&rows, &s.shape) {
            panic!("{}: {e}\n{text}", path.display());
        }
        assert!(
            text.starts_with(s.caption),
            "{}: caption changed",
            path.display()
        );
    }
}

/// A capture with a FIN each way and no reset says which side the close
/// left in TIME-WAIT, and names the side whose FIN came first (or both,
/// when the FINs crossed).
#[test]
fn every_orderly_close_names_the_side_left_in_time_wait() {
    let mut checked = 0;
    for s in &scenario::ALL {
        let text = std::fs::read_to_string(captures_dir().join(format!("{}.txt", s.name))).unwrap();
        let rows = diagram::parse(&text).unwrap();
        let fin = |r: &&diagram::Row| matches!(r.what, diagram::What::Tcp(f) if f.fin);
        let rst = rows
            .iter()
            .any(|r| matches!(r.what, diagram::What::Tcp(f) if f.rst));
        let fins: Vec<_> = rows.iter().filter(fin).collect();
        let note = text.lines().find(|l| l.starts_with("TIME-WAIT: "));
        if rst || !fins.iter().any(|r| r.dir != fins[0].dir) {
            assert_eq!(note, None, "{}", s.name);
            continue;
        }
        let side = match fins[0].dir {
            diagram::Dir::ToServer => "the client's side",
            diagram::Dir::ToClient => "the server's side",
        };
        let note = note.unwrap_or_else(|| panic!("{}: no TIME-WAIT line", s.name));
        assert!(
            note.contains(side) || note.contains("both sides"),
            "{}: {note}",
            s.name
        );
        checked += 1;
    }
    assert_eq!(checked, 2, "lesson 02's exchange and lesson 04's close");
}

/// No stray file: every capture in the directory belongs to a scenario
/// (so a renamed scenario cannot leave a stale diagram in the book), and no
/// file shows a run's ephemeral port.
#[test]
fn the_captures_directory_holds_exactly_the_scenarios_without_run_specific_ports() {
    let mut names: Vec<String> = std::fs::read_dir(captures_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected: Vec<String> = scenario::ALL
        .iter()
        .map(|s| format!("{}.txt", s.name))
        .collect();
    expected.sort();
    assert_eq!(names, expected);
    for name in names {
        let text = std::fs::read_to_string(captures_dir().join(&name)).unwrap();
        assert_eq!(
            text,
            scenario::normalise_ports(&text),
            "{name} shows a port number"
        );
    }
}

/// Recording a real exchange on loopback gives lesson 01/02's shape: the
/// handshake, the request, the client's half-close, the reply, the
/// server's FIN.
/// Needs CAP_NET_RAW; without it this test says so and passes.
#[test]
fn live_recording_of_a_real_exchange_as_root_or_skipped_without_cap_net_raw() {
    match live::open() {
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            eprintln!("skipped: recording needs CAP_NET_RAW (run as root): {e}");
            return;
        }
        other => drop(other.unwrap()),
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let recorder = Recorder::start().unwrap();
    let server = thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        // To EOF: the client's half-close comes before our reply.
        let mut ping = Vec::new();
        conn.read_to_end(&mut ping).unwrap();
        assert_eq!(ping, b"ping");
        conn.write_all(b"pong").unwrap();
        // Dropping `conn` closes first: the server's FIN.
    });
    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    client.write_all(b"ping").unwrap();
    client.shutdown(Shutdown::Write).unwrap(); // lesson 01's half-close
    let mut reply = Vec::new();
    client.read_to_end(&mut reply).unwrap(); // to the server's FIN
    assert_eq!(reply, b"pong");
    drop(client);
    server.join().unwrap();
    thread::sleep(Duration::from_millis(300));
    let packets = conversation(recorder.stop().unwrap(), port);
    let text = diagram::render("live", &packets, port, &[]);
    let rows = diagram::parse(&text).unwrap();
    assert_eq!(shape::check(&rows, &shape::EXCHANGE), Ok(()), "\n{text}");
    assert!(
        text.contains("\"ping\"") && text.contains("\"pong\""),
        "{text}"
    );
}

/// Without CAP_NET_RAW `capture` prints why, exits 0 and writes nothing.
/// As root the binary is run as user `nobody` (through `setpriv`), from a
/// copy in a directory `nobody` may enter (a checkout under /root is not).
#[test]
fn without_cap_net_raw_capture_says_so_exits_0_and_writes_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let open_to_all = std::fs::Permissions::from_mode(0o755);
    std::fs::set_permissions(dir.path(), open_to_all.clone()).unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    let mut cmd = if root {
        let bin = dir.path().join("capture");
        std::fs::copy(env!("CARGO_BIN_EXE_capture"), &bin).unwrap();
        std::fs::set_permissions(&bin, open_to_all).unwrap();
        let mut c = Command::new("setpriv");
        c.args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
            .arg(bin);
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_capture"))
    };
    let done = cmd
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run capture (setpriv needed as root)");
    let stdout = String::from_utf8_lossy(&done.stdout);
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("recording needs CAP_NET_RAW"),
        "{stdout}{stderr}"
    );
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
}
