//! Lesson 06: the pool server, as a library on 127.0.0.1:0 and as the real
//! binary. It runs lesson 05's service checks (the handler is shared, so
//! are the checks) plus what is specific to a pool: the bounded queue, and
//! a worker held by an idle client.

use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use lesson05_threaded::connection::{ClientConfig, Summary};
use lesson06_thread_pool::PoolSize;
use testkit::service::*;
use testkit::{PATIENCE, Server, is_closed, read_line};

const BIN: &str = env!("CARGO_BIN_EXE_lesson06-thread-pool");

fn start_with(config: ClientConfig, workers: usize, queue: usize) -> Running<Summary> {
    let size = PoolSize { workers, queue };
    Running::spawn(move |listener, s| lesson06_thread_pool::serve(listener, s, config, size))
}

fn quiet() -> ClientConfig {
    ClientConfig {
        quiet: true,
        ..ClientConfig::default()
    }
}

/// Four workers and a queue of 64, the shape of a small default server.
fn start() -> Running<Summary> {
    start_with(quiet(), 4, 64)
}

/// Greeting, byte-exact echo of invalid UTF-8 and control characters.
#[test]
fn echoes_invalid_utf8_exactly() {
    let server = start();
    invalid_utf8_echoes_exactly(server.addr);
    assert_eq!(server.stop().served, 1);
}

/// A 64 KiB line is fine; a longer one gets an error line and a close.
#[test]
fn over_long_lines_close_only_that_client() {
    let server = start();
    line_at_the_limit_is_echoed(server.addr);
    over_long_line_closes_only_that_client(server.addr);
    server.stop();
}

/// Connect-and-vanish and resets mid-line leave the server serving.
#[test]
fn vanishing_and_resetting_clients() {
    let server = start();
    vanishing_and_resetting_clients_are_harmless(server.addr);
    assert_eq!(server.stop().served, 5);
}

/// 200 clients connect at once; 4 workers serve them all, the rest of each
/// burst waiting in a queue big enough to hold it.
#[test]
fn two_hundred_clients_at_once() {
    let server = start_with(quiet(), 4, 200);
    many_clients_at_once_are_served(server.addr, 200);
    let summary = server.stop();
    assert_eq!((summary.served, summary.turned_away), (200, 0));
}

/// Within the worker count, a slow client does not delay the others.
#[test]
fn slow_client_does_not_delay_the_others() {
    let server = start_with(quiet(), 2, 8);
    slow_client_does_not_delay_others(server.addr);
    server.stop();
}

/// `--idle-timeout` closes a silent client and only that one.
#[test]
fn idle_timeout_closes_silent_clients() {
    let server = start_with(
        ClientConfig {
            idle_timeout: Duration::from_secs(1),
            quiet: true,
            ..ClientConfig::default()
        },
        2,
        8,
    );
    idle_client_is_closed(server.addr);
    server.stop();
}

/// The cost of a pool: an idle client holds a worker. With one worker and a
/// queue of one, a second client waits ungreeted, a third is turned away at
/// once; when the first leaves, the waiting one is greeted and served.
#[test]
fn idle_client_holds_a_worker_queue_waits_then_busy() {
    let server = start_with(quiet(), 1, 1);
    let mut first = greeted(server.addr);
    let mut waiting = testkit::connect(server.addr);
    expect_busy(server.addr); // accepted after `waiting`, so the queue is full
    // Nothing for the queued client while the worker is held.
    assert!(nothing_within(&mut waiting, Duration::from_millis(300)));
    roundtrip(&mut first, "I hold the only worker");
    drop(first);
    assert_eq!(read_line(&mut waiting), HELLO);
    roundtrip(&mut waiting, "my turn");
    drop(waiting);
    let summary = server.stop();
    assert_eq!((summary.served, summary.turned_away), (2, 1));
}

/// Shutdown with clients being served *and* queued: every socket is closed,
/// every job finishes, and `serve` returns.
#[test]
fn library_shutdown_closes_served_and_queued_clients() {
    let server = start_with(quiet(), 2, 4);
    let mut open: Vec<TcpStream> = (0..2).map(|_| greeted(server.addr)).collect();
    let mut queued: Vec<TcpStream> = (0..3).map(|_| testkit::connect(server.addr)).collect();
    // Make sure the queued clients were accepted before stopping.
    expect_busy_after(server.addr, 1);
    let summary = server.stop();
    assert_eq!(summary.served, 2, "queued clients are closed, not served");
    for c in open.iter_mut().chain(queued.iter_mut()) {
        assert!(is_closed(c, PATIENCE));
    }
}

/// Fills the remaining `free` places, then expects the next client to be
/// turned away; proves every earlier client has been accepted.
fn expect_busy_after(addr: SocketAddr, free: usize) {
    let _fill: Vec<TcpStream> = (0..free).map(|_| testkit::connect(addr)).collect();
    expect_busy(addr);
}

/// The binary: default workers announced, clients greeted, lines logged;
/// SIGINT with clients connected ends it cleanly within 2 s.
#[test]
fn binary_serves_and_stops_on_sigint() {
    let mut server = Server::spawn(BIN, &["--port", "0", "--workers", "4"]);
    assert_eq!(
        server.next_line(PATIENCE).as_deref(),
        Some("4 workers, room for 64 waiting clients")
    );
    let mut a = greeted(server.addr());
    let peer = a.local_addr().unwrap();
    roundtrip(&mut a, "pooled");
    server.expect_line(|l| l == format!("received from {peer}: pooled"));
    drop(a);
    signal_with_clients_connected_exits_cleanly(&mut server, "INT", 3, 1);
}

/// `--workers` defaults to the number of CPUs.
#[test]
fn binary_default_workers_is_cpu_count() {
    let server = Server::spawn(BIN, &["--port", "0"]);
    let cpus = thread::available_parallelism().unwrap().get();
    assert_eq!(
        server.next_line(PATIENCE).as_deref(),
        Some(
            format!(
                "{}, room for 64 waiting clients",
                common::text::count(cpus as u64, "worker")
            )
            .as_str()
        )
    );
}

/// SIGTERM with clients served and queued: all are closed, the queued ones
/// unserved, and the server exits 0 within 2 s.
#[test]
fn binary_sigterm_with_served_and_queued_clients() {
    let mut server = Server::spawn(
        BIN,
        &["--port", "0", "--workers", "2", "--queue", "2", "--quiet"],
    );
    let mut held: Vec<TcpStream> = (0..2).map(|_| greeted(server.addr())).collect();
    let mut queued: Vec<TcpStream> = (0..2).map(|_| testkit::connect(server.addr())).collect();
    expect_busy(server.addr()); // so both queued clients have been accepted
    let start = Instant::now();
    server.signal("TERM");
    let (status, rest) = server.wait(Duration::from_secs(10));
    assert!(status.success());
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert!(
        rest.iter()
            .any(|l| l == "shut down: served 2 clients, turned away 1 (busy)"),
        "{rest:?}"
    );
    for c in held.iter_mut().chain(queued.iter_mut()) {
        assert!(is_closed(c, PATIENCE));
    }
}

/// `--queue 0`: with every worker busy, the next client is turned away.
#[test]
fn binary_queue_zero_turns_away_at_once() {
    let server = Server::spawn(BIN, &["--port", "0", "--workers", "1", "--queue", "0"]);
    let _held = greeted(server.addr());
    expect_busy(server.addr());
}

/// Out of file descriptors: waits without spinning, serves again after.
#[test]
fn binary_out_of_descriptors_recovers() {
    out_of_descriptors_recovers(BIN, &["--port", "0", "--quiet", "--workers", "4"]);
}

/// Bad flags exit 2 (clap).
#[test]
fn bad_flags_exit_2() {
    let run = testkit::run(BIN, &["--workers", "0"], b"", PATIENCE);
    assert_eq!(run.code(), Some(2), "{run:?}");
}
