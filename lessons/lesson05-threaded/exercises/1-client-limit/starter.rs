//! Exercise 05-1: cap concurrent clients with a Drop guard.
//!
//! GOAL: a thread per client needs a cap, or a flood of connections spawns
//! threads until the process falls over. Write `Limiter`: `try_acquire`
//! hands out at most `max` permits at once, and a `Permit` gives its place
//! back when it is dropped, including when the thread holding it panics
//! (a panic unwinds the stack and drops what is on it).
//!
//! Check your work with `make exercise EX=05-1`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Hands out at most `max` permits at once. Cloning shares the same count.
#[derive(Debug, Clone)]
pub struct Limiter {
    // TODO: a shared counter (`Arc<AtomicUsize>`) and the maximum.
}

/// One place taken; dropping it gives the place back.
#[derive(Debug)]
pub struct Permit {
    // TODO: what a permit needs to give its place back.
}

impl Limiter {
    /// Room for `max` holders at once.
    pub fn new(max: usize) -> Self {
        // TODO
        let _ = max;
        todo!("create the counter")
    }

    /// A permit, or `None` when `max` are out. Must be safe to call from
    /// many threads at once: two callers may never both get the last place.
    pub fn try_acquire(&self) -> Option<Permit> {
        // TODO: increment only if below the maximum, in ONE atomic step
        // (`fetch_update`, or a `compare_exchange` loop).
        todo!("take a place")
    }

    /// How many permits are out now.
    pub fn in_use(&self) -> usize {
        // TODO
        todo!("read the counter")
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        // TODO: give the place back.
    }
}
