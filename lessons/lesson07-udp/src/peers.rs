//! The peers a UDP server has heard from, and forgetting them.
//!
//! UDP has no connections, so a UDP server has no "client" the kernel knows
//! about: no `accept` when one arrives, no EOF when it leaves. If a server
//! wants to know who its clients are (to count them, to keep a session per
//! client, as DNS or game servers do), it must infer them from the source
//! address of each datagram, and decide for itself when one has gone: after
//! a stretch of silence, `--idle-timeout`. This is all that "idle timeout"
//! can mean without connections.
//!
//! The table is bounded. A source address costs an attacker nothing to
//! forge, so without a cap anyone could make the server remember millions
//! of "peers". Past [`MAX_PEERS`] the peer heard from least recently is
//! forgotten to make room.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Most peers remembered at once.
pub const MAX_PEERS: usize = 4096;

/// What the server knows about one peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    /// When its first datagram (of this session) arrived.
    pub first_seen: Instant,
    /// When its latest datagram arrived.
    pub last_seen: Instant,
    /// Datagrams received from it in this session.
    pub datagrams: u64,
}

/// Peers by source address, at most `cap` of them.
#[derive(Debug)]
pub struct Peers {
    table: HashMap<SocketAddr, Peer>,
    cap: usize,
    /// Distinct sessions started, forgotten ones included.
    sessions: u64,
}

impl Peers {
    /// An empty table that holds at most `cap` peers (at least one).
    pub fn new(cap: usize) -> Self {
        Peers {
            table: HashMap::new(),
            cap: cap.max(1),
            sessions: 0,
        }
    }

    // ANCHOR: seen
    /// Records a datagram from `addr` at `now`. Returns true when `addr` is
    /// a new peer, and the peer evicted to make room for it, if any.
    pub fn seen(&mut self, addr: SocketAddr, now: Instant) -> (bool, Option<(SocketAddr, Peer)>) {
        if let Some(peer) = self.table.get_mut(&addr) {
            peer.last_seen = now;
            peer.datagrams += 1;
            return (false, None);
        }
        let evicted = if self.table.len() >= self.cap {
            // O(n), but only when the table is full, which is rare and bounded.
            let oldest = self
                .table
                .iter()
                .min_by_key(|(_, p)| p.last_seen)
                .map(|(a, _)| *a);
            oldest.and_then(|a| self.table.remove(&a).map(|p| (a, p)))
        } else {
            None
        };
        self.table.insert(
            addr,
            Peer {
                first_seen: now,
                last_seen: now,
                datagrams: 1,
            },
        );
        self.sessions += 1;
        (true, evicted)
    }
    // ANCHOR_END: seen

    /// Removes and returns every peer silent for longer than `idle` at
    /// `now`, oldest first.
    pub fn expire(&mut self, now: Instant, idle: Duration) -> Vec<(SocketAddr, Peer)> {
        let mut gone: Vec<(SocketAddr, Peer)> = self
            .table
            .iter()
            .filter(|(_, p)| now.saturating_duration_since(p.last_seen) > idle)
            .map(|(a, p)| (*a, *p))
            .collect();
        for (addr, _) in &gone {
            self.table.remove(addr);
        }
        gone.sort_by_key(|(_, p)| p.last_seen);
        gone
    }

    /// Datagrams received from `addr` in its current session (0 if it is
    /// not in the table): the server's fault injection counts per client.
    pub fn datagrams_from(&self, addr: SocketAddr) -> u64 {
        self.table.get(&addr).map_or(0, |p| p.datagrams)
    }

    /// Peers remembered now.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether no peer is remembered.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Sessions started so far (a peer that comes back after being
    /// forgotten starts a new one).
    pub fn sessions(&self) -> u64 {
        self.sessions
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn counts_datagrams_per_peer_and_new_sessions() {
        let t0 = Instant::now();
        let mut peers = Peers::new(10);
        assert_eq!(peers.seen(addr(1), t0), (true, None));
        assert_eq!(
            peers.seen(addr(1), t0 + Duration::from_millis(5)),
            (false, None)
        );
        assert_eq!(peers.seen(addr(2), t0), (true, None));
        assert_eq!((peers.len(), peers.sessions()), (2, 2));
        let gone = peers.expire(t0 + Duration::from_secs(10), Duration::from_secs(1));
        assert_eq!(gone.len(), 2);
        let (_, first) = gone.iter().find(|(a, _)| *a == addr(1)).unwrap();
        assert_eq!(first.datagrams, 2);
        assert!(peers.is_empty());
    }

    #[test]
    fn only_peers_silent_past_the_timeout_are_forgotten() {
        let t0 = Instant::now();
        let idle = Duration::from_secs(30);
        let mut peers = Peers::new(10);
        peers.seen(addr(1), t0);
        peers.seen(addr(2), t0 + Duration::from_secs(20));
        assert!(
            peers.expire(t0 + idle, idle).is_empty(),
            "exactly the timeout is not past it"
        );
        let gone = peers.expire(t0 + Duration::from_secs(31), idle);
        assert_eq!(gone.iter().map(|(a, _)| *a).collect::<Vec<_>>(), [addr(1)]);
        assert_eq!(peers.len(), 1);
        // A forgotten peer that comes back starts a new session.
        assert_eq!(
            peers.seen(addr(1), t0 + Duration::from_secs(40)),
            (true, None)
        );
        assert_eq!(peers.sessions(), 3);
    }

    #[test]
    fn a_full_table_forgets_the_least_recently_heard_peer() {
        let t0 = Instant::now();
        let mut peers = Peers::new(3);
        for port in 1..=3 {
            peers.seen(addr(port), t0 + Duration::from_secs(u64::from(port)));
        }
        peers.seen(addr(1), t0 + Duration::from_secs(10)); // 1 is fresh again; 2 is oldest
        let (new, evicted) = peers.seen(addr(4), t0 + Duration::from_secs(11));
        assert!(new);
        assert_eq!(evicted.map(|(a, _)| a), Some(addr(2)));
        assert_eq!(peers.len(), 3);
    }

    #[test]
    fn memory_stays_bounded_under_forged_sources() {
        let t0 = Instant::now();
        let mut peers = Peers::new(MAX_PEERS);
        for port in 0..(MAX_PEERS as u16 * 2) {
            peers.seen(addr(port), t0);
        }
        assert_eq!(peers.len(), MAX_PEERS);
    }
}
