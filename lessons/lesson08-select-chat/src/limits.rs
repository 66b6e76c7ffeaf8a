//! Descriptors: how many a process may open, and keeping 0, 1 and 2 sane.

use std::fs::OpenOptions;
use std::os::fd::{AsRawFd, IntoRawFd};

// ANCHOR: raise_limit
/// Raises this process's soft `RLIMIT_NOFILE` (the number of descriptors it
/// may have open) to its hard limit, and returns the new soft limit.
///
/// Each client costs one descriptor, and the soft limit is often 1024: a
/// server meant for 10,000 clients must raise it. Only the hard limit caps
/// an unprivileged process. The `rlimit` crate makes the `setrlimit` call
/// for us, so this lesson needs no `unsafe`.
pub fn raise_fd_limit() -> std::io::Result<u64> {
    rlimit::increase_nofile_limit(u64::MAX)
}
// ANCHOR_END: raise_limit

/// What a chat server does before it opens any socket: [`guard_stdio`],
/// then [`raise_fd_limit`]. Returns the new limit as text for the ready
/// line, or `unknown` after a one-line warning (the server still runs, with
/// fewer clients).
pub fn prepare_process() -> String {
    guard_stdio();
    match raise_fd_limit() {
        Ok(n) => n.to_string(),
        Err(e) => {
            common::errln!("warning: could not raise the descriptor limit: {e}");
            "unknown".to_string()
        }
    }
}

/// Makes sure descriptors 0, 1 and 2 are open, by opening `/dev/null` into
/// any that are not.
///
/// A program started with stdin closed (`server <&-`) would otherwise get
/// descriptor 0 for its first socket, and the console thread would read a
/// *client's* bytes as console commands; with stdout closed, log lines would
/// go to a client. The kernel always hands out the lowest free number, so
/// opening `/dev/null` fills the holes. Call it before opening any socket.
pub fn guard_stdio() {
    while let Ok(null) = OpenOptions::new().read(true).write(true).open("/dev/null") {
        if null.as_raw_fd() > 2 {
            break; // 0, 1 and 2 are all open; this one is closed on drop
        }
        // Keep it open for the life of the process: it *is* stdin/out/err now.
        let _ = null.into_raw_fd();
    }
}
