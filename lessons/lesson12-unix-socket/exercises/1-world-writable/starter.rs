//! Exercise 12-1: refuse a directory anyone can write to.
//!
//! Goal: before binding `socket_path`, check the directory it will live in.
//! If every user may write there (the "others" write bit, mode `0o002`)
//! *and* the sticky bit (`0o1000`) is not set, anyone could delete our
//! socket and put their own in its place, and our clients would talk to
//! them. `/tmp` is world-writable too, but sticky: there only a file's owner
//! may delete or rename it.
//!
//! Return `Ok(())` for a safe directory and `Err(message)` otherwise; the
//! message names the directory. A path without a directory part
//! (`echo.sock`) lives in the current directory, `.`. A directory that
//! cannot be inspected (missing) is an `Err` too.
//! Check with `make exercise EX=12-1`.

use std::path::Path;

/// Refuses a socket path whose directory is world-writable without the
/// sticky bit.
pub fn check_directory(socket_path: &Path) -> Result<(), String> {
    // TODO: find the directory (`parent()`; an empty parent means ".").
    // TODO: read its metadata and its mode (`std::os::unix::fs::PermissionsExt`).
    // TODO: refuse when others may write and the sticky bit is off.
    let _ = socket_path;
    todo!("check the socket's directory")
}
