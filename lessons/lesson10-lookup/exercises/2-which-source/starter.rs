//! Exercise 10-2: which source answers a look-up?
//!
//! `/etc/nsswitch.conf` says `hosts: files dns`: the C library first looks
//! for the name in `/etc/hosts` ("files"), and only asks a DNS server when
//! the file does not have it. Write `which_source`, which decides which of
//! the two would answer, from the text of a hosts file.
//!
//! The hosts format: an address, then one or more names, separated by
//! spaces or tabs; `#` starts a comment. Names match without regard to
//! case (`LOCALHOST` is `localhost`). Every line that has the name counts
//! (glibc's `multi on`), in file order. A line whose first field is not an
//! IP address is ignored.
//!
//! Check your work: `make exercise EX=10-2`.

use std::net::IpAddr;

/// Which source answers a host look-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The hosts file has the name.
    Files {
        /// 1-based numbers of the lines that have it, in file order.
        lines: Vec<usize>,
        /// Their addresses, in the same order.
        addrs: Vec<IpAddr>,
    },
    /// The hosts file does not have it: DNS would be asked next.
    Dns,
}

/// Which source would answer a look-up of `name`, given the hosts file `hosts`.
pub fn which_source(hosts: &str, name: &str) -> Source {
    // TODO: for each line (enumerate from 1), drop the comment, split into fields.
    // TODO: the first field must parse as an IpAddr, or skip the line.
    // TODO: if any later field equals `name` ignoring ASCII case, record the
    //       line number and the address.
    // TODO: nothing recorded means DNS would be asked.
    todo!("look for {name:?} in {} bytes of hosts file", hosts.len())
}
