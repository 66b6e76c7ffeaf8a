//! Test helpers shared by every lesson's tests.
//!
//! Each helper bounds its wait: a test that goes wrong fails with a message
//! (and the child's stderr) instead of hanging the suite. One module per job;
//! everything is also reachable from the crate root (`testkit::connect`).
//!
//! - [`server`]: spawn a lesson binary ([`Server`]), read its `listening on
//!   <addr>` line, read later stdout lines, send SIGINT/SIGTERM, wait for
//!   its exit.
//! - [`run`](mod@run): run a client binary to completion with input and a
//!   deadline; run a child with a low `RLIMIT_NOFILE`.
//! - [`tcp`]: talk over TCP ([`connect`], [`send_line`], [`read_line`],
//!   [`reset`]), and a port that refuses every connection.
//! - [`procfs`]: what a process uses (memory, threads, CPU time).
//! - [`service`]: the checks of the greet-and-echo service that lessons 05
//!   and 06 both pass.
//! - [`example()`]: the path of a lesson's example binary (`--example naive`).
//! - [`exercise`]: `assert_bytes_eq!` and a per-test watchdog for exercise tests.

pub mod exercise;

use std::thread;
use std::time::{Duration, Instant};

mod example;
pub mod procfs;
pub mod run;
pub mod server;
pub mod service;
pub mod tcp;

pub use example::example;
pub use procfs::{cpu_time, peak_rss_kib, rss_kib, thread_count};
pub use run::{Run, run, run_command, with_nofile_limit};
pub use server::{Server, signal};
pub use tcp::{
    RefusedPort, connect, is_closed, read_line, read_line_bytes, read_to_end, refused_port, reset,
    send_line,
};

/// How long any single wait in these helpers may take before the test fails.
/// Generous: a loaded 2-core CI machine can be slow to start a process.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Polls `cond` every 10 ms until it holds; panics with `what` after [`PATIENCE`].
pub fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        thread::sleep(Duration::from_millis(10));
    }
}
