//! Lesson 03's client and server binaries, the client's stdin a pipe of
//! several lines (as in `printf 'a\nb\n' | lesson03-echo client`).

use std::time::Duration;

use testkit::{PATIENCE, Server};

use crate::util::bin;

/// Every piped line comes back, in order, on stdout and nothing else does;
/// the server counts the bytes; both exit 0.
#[test]
fn piped_lines_are_echoed_in_order() {
    let mut server = Server::spawn(&bin("lesson03-echo"), &["server", "--port", "0"]);
    let port = server.addr().port().to_string();
    let input: String = (1..=50)
        .map(|i| format!("line {i}: 套接字 socket\n"))
        .collect();
    let run = testkit::run(
        &bin("lesson03-echo"),
        &["client", "--port", &port, "--timeout", "5"],
        input.as_bytes(),
        PATIENCE,
    );
    assert_eq!(run.code(), Some(0), "stderr: {}", run.stderr);
    assert_eq!(run.stdout, input);
    server.expect_line(|l| l.ends_with(&format!("disconnected after {} bytes", input.len())));
    server.signal("INT");
    let (status, rest) = server.wait(Duration::from_secs(2));
    assert_eq!(status.code(), Some(0));
    assert_eq!(
        rest.last().cloned(),
        Some(format!(
            "shut down: served 1 client, echoed {} bytes",
            input.len()
        ))
    );
}

/// The server serves one client at a time: a second client piping lines
/// while the first one holds the connection gets no echo within its
/// timeout, and says so; once the first leaves, a third is served.
#[test]
fn a_second_client_times_out_while_the_first_holds_the_server() {
    let server = Server::spawn(&bin("lesson03-echo"), &["server", "--port", "0"]);
    let port = server.addr().port().to_string();
    let holder = testkit::connect(server.addr());
    server.expect_line(|l| l.ends_with(" connected"));
    let run = testkit::run(
        &bin("lesson03-echo"),
        &["client", "--port", &port, "--timeout", "0.5"],
        b"anyone there?\n",
        PATIENCE,
    );
    assert_eq!(run.code(), Some(1));
    assert!(run.stderr.contains("no echo within 0.5s"), "{}", run.stderr);
    drop(holder);
    let run = testkit::run(
        &bin("lesson03-echo"),
        &["client", "--port", &port],
        b"my turn\n",
        PATIENCE,
    );
    assert_eq!(run.code(), Some(0), "stderr: {}", run.stderr);
    assert_eq!(run.stdout, "my turn\n");
}
