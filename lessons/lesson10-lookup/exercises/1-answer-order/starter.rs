//! Exercise 10-1: put the answers in the order the C library does.
//!
//! GOAL: `getaddrinfo` sorts its answers (RFC 6724), which is why
//! `localhost` usually gives `::1` before `127.0.0.1`. The biggest part of
//! that sort is a *policy table*: every address gets the precedence of the
//! longest prefix it matches, and higher precedence comes first. Write
//! `precedence` (IPv4 addresses are looked up as `::ffff:a.b.c.d`) and
//! `sort_answers`, which orders by precedence, highest first, and keeps the
//! original order among equals.
//!
//! RFC 6724's default table (prefix, precedence):
//!
//! | prefix          | precedence | what                       |
//! |-----------------|-----------:|----------------------------|
//! | `::1/128`       | 50         | IPv6 loopback              |
//! | `::/0`          | 40         | any other IPv6             |
//! | `::ffff:0:0/96` | 35         | IPv4 (as mapped addresses) |
//! | `2002::/16`     | 30         | 6to4                       |
//! | `2001::/32`     | 5          | Teredo                     |
//! | `fc00::/7`      | 3          | unique local               |
//! | `::/96`         | 1          | IPv4-compatible (obsolete) |
//! | `fec0::/10`     | 1          | site-local (obsolete)      |
//! | `3ffe::/16`     | 1          | 6bone (obsolete)           |
//!
//! Check your work with `make exercise EX=10-1`.

use std::net::{IpAddr, Ipv6Addr};

/// RFC 6724's default policy table: (prefix, prefix length, precedence).
pub const POLICY: [(Ipv6Addr, u32, u32); 9] = [
    (Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 1), 128, 50),
    (Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 0), 0, 40),
    (Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0), 96, 35),
    (Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16, 30),
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 32, 5),
    (Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7, 3),
    (Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 0), 96, 1),
    (Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10, 1),
    (Ipv6Addr::new(0x3ffe, 0, 0, 0, 0, 0, 0, 0), 16, 1),
];

/// Whether the first `len` bits of `addr` and `prefix` are equal.
pub fn matches(addr: Ipv6Addr, prefix: Ipv6Addr, len: u32) -> bool {
    // TODO: compare the addresses as `u128`s (`u128::from(addr)`), keeping
    // only the top `len` bits. Careful: a shift by 128 overflows.
    let _ = (addr, prefix, len);
    todo!("compare the first len bits")
}

/// The precedence of `addr`: that of the LONGEST matching prefix.
pub fn precedence(addr: IpAddr) -> u32 {
    // TODO: IPv4 becomes `::ffff:a.b.c.d` (`to_ipv6_mapped`); then find the
    // matching row with the largest prefix length, not the first match.
    let _ = addr;
    todo!("look the address up in POLICY")
}

/// Orders `answers` by precedence, highest first; equals keep their order.
pub fn sort_answers(answers: &mut [IpAddr]) {
    // TODO: which of the slice's sorts is stable?
    let _ = answers;
    todo!("sort by precedence")
}
