//! Exercise 12-2: a Unix socket with no name at all.
//!
//! Goal: `echo_over_pair(message)` creates a connected pair of Unix sockets
//! with `UnixStream::pair()` (socketpair(2): no path, no file, nothing to
//! clean up), runs lesson 03's echo (`lesson03_echo::echo`) on one end in a
//! thread, sends `message` through the other end, and returns what comes
//! back together with the byte count `echo` reported.
//!
//! Careful: the message may be megabytes. Socket buffers are small, so a
//! program that writes everything before it starts reading stops forever
//! (your write waits for the echo thread, which waits for you to read).
//! Check with `make exercise EX=12-2`.

use std::io;

/// Echoes `message` over a socket pair; returns the bytes received back and
/// the count `lesson03_echo::echo` returned.
pub fn echo_over_pair(message: &[u8]) -> io::Result<(Vec<u8>, u64)> {
    // TODO: create the pair with std::os::unix::net::UnixStream::pair().
    // TODO: run lesson03_echo::echo on one end in a thread.
    // TODO: write the message (and then shut down writing) from another
    //       thread while this one reads the echo to the end.
    // TODO: join the threads; return the bytes and echo's count.
    let _ = message;
    todo!("echo over a socket pair")
}
