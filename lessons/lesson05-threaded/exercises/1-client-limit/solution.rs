//! Exercise 05-1: cap concurrent clients with a Drop guard (solution).
//!
//! GOAL: at most `max` permits at once; a permit gives its place back when
//! dropped, even when its thread panics.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Hands out at most `max` permits at once. Cloning shares the same count.
#[derive(Debug, Clone)]
pub struct Limiter {
    // Former TODO: the count is shared by the limiter and every permit, so
    // it lives behind an `Arc`; an atomic because threads change it at once.
    in_use: Arc<AtomicUsize>,
    max: usize,
}

/// One place taken; dropping it gives the place back.
#[derive(Debug)]
pub struct Permit {
    // Former TODO: a handle on the count is all a permit needs.
    in_use: Arc<AtomicUsize>,
}

impl Limiter {
    /// Room for `max` holders at once.
    pub fn new(max: usize) -> Self {
        Limiter {
            in_use: Arc::new(AtomicUsize::new(0)),
            max,
        }
    }

    /// A permit, or `None` when `max` are out.
    pub fn try_acquire(&self) -> Option<Permit> {
        // Former TODO: a separate load and store would let two threads both
        // read `max - 1` and both take the last place; `fetch_update` retries
        // until the check and the increment happen as one step.
        self.in_use
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max).then_some(n + 1)
            })
            .ok()
            .map(|_| Permit {
                in_use: Arc::clone(&self.in_use),
            })
    }

    /// How many permits are out now.
    pub fn in_use(&self) -> usize {
        self.in_use.load(Ordering::Acquire)
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        // Former TODO: runs on every way out of the holder's scope: return,
        // `?`, and unwinding from a panic.
        self.in_use.fetch_sub(1, Ordering::AcqRel);
    }
}
