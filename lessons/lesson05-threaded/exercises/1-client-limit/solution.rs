//! Exercise 05-1: a cap per client address, with a Drop guard (solution).
//!
//! GOAL: at most `total` permits in all and `per_peer` per address; a permit
//! gives its place back when dropped, even when its thread panics.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

/// The counts, behind one lock so both caps are checked and taken together.
#[derive(Debug, Default)]
struct Counts {
    total: usize,
    by_peer: HashMap<IpAddr, usize>,
}

/// Hands out permits within a total cap and a per-address cap. Cloning
/// shares the same counts.
#[derive(Debug, Clone)]
pub struct PeerLimiter {
    // Former TODO: one `Mutex` around both counts: two atomics could not
    // check one and increment the other as a single step.
    counts: Arc<Mutex<Counts>>,
    total: usize,
    per_peer: usize,
}

/// One place taken by one address; dropping it gives the place back.
#[derive(Debug)]
pub struct Permit {
    // Former TODO: the shared counts and whose place this is.
    counts: Arc<Mutex<Counts>>,
    ip: IpAddr,
}

/// The counts, even if a thread panicked while holding the lock: every
/// change below is a whole step, so a poisoned lock still holds good counts.
fn lock(counts: &Mutex<Counts>) -> MutexGuard<'_, Counts> {
    counts
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl PeerLimiter {
    /// Room for `total` holders at once, at most `per_peer` per address.
    pub fn new(total: usize, per_peer: usize) -> Self {
        PeerLimiter {
            counts: Arc::default(),
            total,
            per_peer,
        }
    }

    /// A permit for `ip`, or `None` when either cap is reached.
    pub fn try_acquire(&self, ip: IpAddr) -> Option<Permit> {
        // Former TODO: check and take under the SAME lock. Checking, letting
        // go, then taking would let another thread in between, and both
        // would take the last place.
        let mut counts = lock(&self.counts);
        let mine = counts.by_peer.get(&ip).copied().unwrap_or(0);
        if counts.total >= self.total || mine >= self.per_peer {
            return None;
        }
        counts.total += 1;
        counts.by_peer.insert(ip, mine + 1);
        Some(Permit {
            counts: Arc::clone(&self.counts),
            ip,
        })
    }

    /// How many permits are out now, in all.
    pub fn in_use(&self) -> usize {
        lock(&self.counts).total
    }

    /// How many addresses hold at least one permit now.
    pub fn peers(&self) -> usize {
        lock(&self.counts).by_peer.len()
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        // Former TODO: runs on every way out of the holder's scope (return,
        // `?`, unwinding from a panic); an address at 0 is removed, so a
        // scan from a million addresses leaves no trace once it is over.
        let mut counts = lock(&self.counts);
        counts.total -= 1;
        if let Some(n) = counts.by_peer.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                counts.by_peer.remove(&self.ip);
            }
        }
    }
}
