//! Exercise 12-2, solved: echo over an unnamed socket pair.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::thread;

/// Echoes `message` over a socket pair; returns the bytes received back and
/// the count `lesson03_echo::echo` returned.
pub fn echo_over_pair(message: &[u8]) -> io::Result<(Vec<u8>, u64)> {
    // socketpair(2): two connected sockets, no address, no file.
    let (ours, theirs) = UnixStream::pair()?;
    // The echo of lesson 03, unchanged: it only needs Read + Write.
    let echo = thread::spawn(move || lesson03_echo::echo(&theirs));
    // Write from a second handle on its own thread, so reading (below)
    // runs at the same time and the buffers never fill up for good.
    let mut writer = ours.try_clone()?;
    let message = message.to_vec();
    let send = thread::spawn(move || -> io::Result<()> {
        writer.write_all(&message)?;
        // EOF for the echo loop, which then returns and closes its end.
        writer.shutdown(std::net::Shutdown::Write)
    });
    let mut back = Vec::new();
    (&ours).read_to_end(&mut back)?;
    send.join()
        .map_err(|_| io::Error::other("the writer thread panicked"))??;
    let count = echo
        .join()
        .map_err(|_| io::Error::other("the echo thread panicked"))??;
    Ok((back, count))
}
