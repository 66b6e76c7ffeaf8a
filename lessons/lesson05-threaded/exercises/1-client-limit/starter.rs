//! Exercise 05-1: a cap per client address, with a Drop guard.
//!
//! GOAL: the lesson caps the number of clients in total (`Slots`), so one
//! address that opens a hundred connections can take every place and lock
//! everyone else out. Write `PeerLimiter`: `try_acquire(ip)` hands out a
//! permit only while fewer than `total` permits are out in all AND fewer
//! than `per_peer` are out for that address. A `Permit` gives its place back
//! when dropped, including when the thread holding it panics, and an address
//! with no permit left is forgotten (so the table cannot grow forever).
//!
//! Check your work with `make exercise EX=05-1`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Hands out permits within a total cap and a per-address cap. Cloning
/// shares the same counts.
#[derive(Debug, Clone)]
pub struct PeerLimiter {
    // TODO: the counts every clone and permit share (the total, and one
    // count per address), and the two caps.
}

/// One place taken by one address; dropping it gives the place back.
#[derive(Debug)]
pub struct Permit {
    // TODO: what a permit needs to give its place back.
}

impl PeerLimiter {
    /// Room for `total` holders at once, at most `per_peer` per address.
    pub fn new(total: usize, per_peer: usize) -> Self {
        // TODO
        let _ = (total, per_peer);
        todo!("create the shared counts")
    }

    /// A permit for `ip`, or `None` when either cap is reached. Many threads
    /// call this at once: two callers may never both get the last place.
    pub fn try_acquire(&self, ip: IpAddr) -> Option<Permit> {
        // TODO: check both caps and take the place in ONE step that no
        // other thread can come between.
        let _ = ip;
        todo!("take a place")
    }

    /// How many permits are out now, in all.
    pub fn in_use(&self) -> usize {
        // TODO
        todo!("read the total")
    }

    /// How many addresses hold at least one permit now.
    pub fn peers(&self) -> usize {
        // TODO
        todo!("count the addresses")
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        // TODO: give the place back; forget the address when its count
        // reaches 0. (A poisoned lock still holds good counts here.)
    }
}
