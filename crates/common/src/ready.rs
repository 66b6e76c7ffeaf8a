//! The ready line: `listening on <addr>`, the first line a server prints.
//!
//! Tests, scripts and the book's transcripts start a server with `--port 0`
//! and read this line to learn which port the kernel picked. It must come
//! first and be flushed at once, or the reader waits forever.

use std::fmt::Display;
use std::io::{self, Write};

/// Prints `listening on <addr>` to stdout and flushes it.
pub fn announce(addr: impl Display) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "listening on {addr}")?;
    out.flush()
}
