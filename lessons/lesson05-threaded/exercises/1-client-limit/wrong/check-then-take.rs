//! Checks both caps under the lock, lets go, then takes the place under a second lock: two threads both pass the check for the last place.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    by_peer: HashMap<IpAddr, usize>,
}

#[derive(Debug, Clone)]
pub struct PeerLimiter {
    counts: Arc<Mutex<Counts>>,
    total: usize,
    per_peer: usize,
}

#[derive(Debug)]
pub struct Permit {
    counts: Arc<Mutex<Counts>>,
    ip: IpAddr,
}

impl PeerLimiter {
    pub fn new(total: usize, per_peer: usize) -> Self {
        PeerLimiter {
            counts: Arc::default(),
            total,
            per_peer,
        }
    }

    pub fn try_acquire(&self, ip: IpAddr) -> Option<Permit> {
        let room = {
            let counts = self.counts.lock().unwrap();
            let mine = counts.by_peer.get(&ip).copied().unwrap_or(0);
            counts.total < self.total && mine < self.per_peer
        };
        // The mistake: the lock is let go here, so another thread can pass
        // the same check before this one takes its place.
        if !room {
            return None;
        }
        let mut counts = self.counts.lock().unwrap();
        counts.total += 1;
        *counts.by_peer.entry(ip).or_insert(0) += 1;
        Some(Permit {
            counts: Arc::clone(&self.counts),
            ip,
        })
    }

    pub fn in_use(&self) -> usize {
        self.counts.lock().unwrap().total
    }

    pub fn peers(&self) -> usize {
        self.counts.lock().unwrap().by_peer.len()
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts.total -= 1;
        if let Some(n) = counts.by_peer.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                counts.by_peer.remove(&self.ip);
            }
        }
    }
}
