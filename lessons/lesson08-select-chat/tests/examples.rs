//! Lesson 08's examples over real sockets: the chat core on poll(2), and the
//! naive translation of the original whose name handshake freezes the room.
//!
//! `cargo test` builds the examples before it runs the tests; a filtered
//! run (`--test examples`) needs `cargo build --examples` first.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::thread;
use std::time::Duration;

use lesson08_select_chat::chat::PROMPT;
use testkit::{PATIENCE, Server, is_closed, read_line, send_line};

/// The path of example `name`, built next to this test's profile directory.
fn example(name: &str) -> String {
    let exe = std::env::current_exe().unwrap(); // target/<profile>/deps/examples-<hash>
    let path: PathBuf = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join(name);
    assert!(
        path.exists(),
        "{} missing: run `cargo build --examples`",
        path.display()
    );
    path.to_string_lossy().into_owned()
}

/// Connects to the poll example and joins as `name`.
fn join(addr: SocketAddr, name: &str) -> TcpStream {
    let mut s = testkit::connect(addr);
    assert_eq!(read_line(&mut s), PROMPT);
    send_line(&mut s, &format!("NAME:{name}"));
    assert_eq!(read_line(&mut s), format!("Welcome {name}"));
    s
}

/// The poll(2) example runs the same chat core: joins, text to everyone
/// else, `/msg` and `SECRECT` to one, `/who`, `/quit`, a disconnect.
#[test]
fn poll_chat_runs_the_chat_over_real_sockets() {
    let mut server = Server::spawn(&example("poll_chat"), &["--port", "0"]);
    let addr = server.addr();
    let mut ann = join(addr, "ann");
    let mut bob = join(addr, "bob");
    let mut cy = join(addr, "cy");
    assert_eq!(read_line(&mut ann), "bob joined");
    assert_eq!(read_line(&mut ann), "cy joined");
    assert_eq!(read_line(&mut bob), "cy joined");
    send_line(&mut ann, "hello, room");
    assert_eq!(read_line(&mut bob), "ann: hello, room");
    assert_eq!(read_line(&mut cy), "ann: hello, room");
    send_line(&mut bob, "/msg cy psst");
    send_line(&mut bob, "SECRECT ann hush");
    assert_eq!(read_line(&mut cy), "[private] bob: psst");
    assert_eq!(read_line(&mut ann), "[private] bob: hush");
    send_line(&mut cy, "/who");
    assert_eq!(
        read_line(&mut cy),
        "online: ann, bob, cy",
        "cy got nothing else"
    );
    send_line(&mut bob, "/quit");
    assert!(is_closed(&mut bob, PATIENCE));
    assert_eq!(read_line(&mut ann), "bob left");
    drop(cy);
    assert_eq!(read_line(&mut ann), "cy left");
    server.expect_line(|l| l == "ann: hello, room");
    writeln!(server.stdin(), "QUIT").unwrap();
    assert_eq!(read_line(&mut ann), "server shutting down");
    let (status, _) = server.wait(PATIENCE);
    assert!(status.success(), "QUIT on the console stops it");
    assert!(is_closed(&mut ann, PATIENCE));
}

/// The original read a newcomer's name with a blocking `recv` inside its
/// `select` loop: one client that connects and says nothing freezes the
/// room. Here ann's line does not reach bob while the silent client waits,
/// and does as soon as it names itself (so the server was alive, only
/// stuck). A fixed handshake would deliver at once and fail this test.
#[test]
fn naive_one_silent_client_freezes_the_room() {
    let server = Server::spawn(&example("naive"), &["0"]);
    let addr = server.addr();
    // The original client sends its name without a newline.
    let mut ann = testkit::connect(addr);
    ann.write_all(b"NAME:ann").unwrap();
    assert_eq!(read_line(&mut ann), "Welcome ann");
    let mut bob = testkit::connect(addr);
    bob.write_all(b"NAME:bob").unwrap();
    assert_eq!(read_line(&mut bob), "Welcome bob");
    assert_eq!(read_line(&mut ann), "Welcome bob Come In ");

    let mut silent = testkit::connect(addr); // connects, says nothing
    thread::sleep(Duration::from_millis(200)); // the server accepts it and waits
    send_line(&mut ann, "hi bob");
    bob.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut byte = [0u8; 1];
    let err = bob
        .read(&mut byte)
        .expect_err("bob heard ann: the room was not frozen");
    assert!(
        matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{err}"
    );

    silent.write_all(b"NAME:late").unwrap();
    bob.set_read_timeout(Some(PATIENCE)).unwrap();
    assert_eq!(read_line(&mut bob), "Welcome late Come In ");
    assert_eq!(
        read_line(&mut bob),
        "ann : hi bob",
        "delivered once the name came"
    );
}
