//! Exercise 10-2: which source answers a look-up? (solution)

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
    let mut lines = Vec::new();
    let mut addrs = Vec::new();
    for (number, line) in hosts.lines().enumerate() {
        let data = line.split('#').next().unwrap_or_default();
        let mut fields = data.split_whitespace();
        // A line must start with an address; anything else is not an entry.
        let Some(Ok(addr)) = fields.next().map(str::parse::<IpAddr>) else {
            continue;
        };
        // Host names are case-insensitive, as in DNS.
        if fields.any(|f| f.eq_ignore_ascii_case(name)) {
            lines.push(number + 1);
            addrs.push(addr);
        }
    }
    if lines.is_empty() {
        Source::Dns
    } else {
        Source::Files { lines, addrs }
    }
}
