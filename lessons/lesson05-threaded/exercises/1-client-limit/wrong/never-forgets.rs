//! Decrements an address's count but never removes it: the table grows with every address ever seen.

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
        let mut counts = self.counts.lock().unwrap();
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
        }
    }
}
