//! What an I/O error means for the program that got it.
//!
//! The lessons ask the same few questions of an error in many places: did a
//! timeout run out, is the process out of descriptors or memory for now, was
//! a datagram too big? The answers live here, in one place, named by
//! `libc::E*` constants rather than bare numbers, so a reader sees `EMFILE`
//! where a number would have to be looked up.

use std::io;

/// True for the two kinds a read or write timeout shows up as: `WouldBlock`
/// (EAGAIN, what Linux returns) and `TimedOut` (what other systems return).
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// True when the process or the system is out of a resource *for now*:
/// descriptors (EMFILE for this process, ENFILE for the whole system) or
/// kernel memory (ENOBUFS, ENOMEM). Such an error is not about the socket
/// that got it: once a client leaves and frees its descriptor, the same call
/// succeeds, so a server waits and retries instead of exiting.
pub fn is_out_of_resources(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

/// True for EPROTO, which Linux's `accept()` can return when a connection
/// failed a protocol check before it was accepted: that connection is gone,
/// the listener is fine.
pub fn is_protocol_error(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::EPROTO)
}

/// True for EMSGSIZE ("Message too long"): a datagram bigger than one UDP
/// datagram (or the socket's send buffer) can carry was refused whole.
pub fn is_message_too_long(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::EMSGSIZE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_both_kinds() {
        assert!(is_timeout(&io::Error::from(io::ErrorKind::WouldBlock)));
        assert!(is_timeout(&io::Error::from(io::ErrorKind::TimedOut)));
        assert!(is_timeout(&io::Error::from_raw_os_error(libc::EAGAIN)));
        assert!(!is_timeout(&io::Error::from(
            io::ErrorKind::ConnectionReset
        )));
    }

    #[test]
    fn the_emfile_family_is_out_of_resources() {
        for errno in [libc::EMFILE, libc::ENFILE, libc::ENOBUFS, libc::ENOMEM] {
            assert!(is_out_of_resources(&io::Error::from_raw_os_error(errno)));
        }
        assert!(!is_out_of_resources(&io::Error::from_raw_os_error(
            libc::EINVAL
        )));
        assert!(!is_out_of_resources(&io::Error::other("no errno")));
    }

    #[test]
    fn single_errnos_are_recognised() {
        assert!(is_protocol_error(&io::Error::from_raw_os_error(
            libc::EPROTO
        )));
        assert!(is_message_too_long(&io::Error::from_raw_os_error(
            libc::EMSGSIZE
        )));
        assert!(!is_message_too_long(&io::Error::from_raw_os_error(
            libc::EPROTO
        )));
    }
}
