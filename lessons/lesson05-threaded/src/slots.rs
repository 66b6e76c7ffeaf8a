//! A cap on how many clients are being served at once.
//!
//! A thread per client is cheap, not free: each has a stack and a descriptor,
//! and a flood of connections would otherwise spawn threads until the process
//! falls over. [`Slots`] counts the clients in service; [`SlotGuard`] gives a
//! slot back when it is dropped, which also happens when a handler panics
//! (the stack unwinds and drops it), so a bug cannot leak slots.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

// ANCHOR: slots
/// A counter of clients in service with a maximum.
#[derive(Debug, Clone)]
pub struct Slots {
    /// Clients holding a slot now; shared with every [`SlotGuard`].
    taken: Arc<AtomicUsize>,
    /// The most that may be taken at once.
    max: usize,
}

/// Proof that a slot is held; dropping it gives the slot back.
#[derive(Debug)]
#[must_use = "the slot is given back as soon as the guard is dropped"]
pub struct SlotGuard {
    taken: Arc<AtomicUsize>,
}

impl Slots {
    /// Room for `max` clients at once.
    pub fn new(max: usize) -> Self {
        Slots {
            taken: Arc::new(AtomicUsize::new(0)),
            max,
        }
    }

    /// Takes a slot, or returns `None` when all `max` are taken.
    pub fn try_acquire(&self) -> Option<SlotGuard> {
        // Increment only if below the maximum, as one atomic step, so two
        // threads cannot both take the last slot.
        self.taken
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max).then_some(n + 1)
            })
            .ok()
            .map(|_| SlotGuard {
                taken: Arc::clone(&self.taken),
            })
    }

    /// How many slots are taken now.
    pub fn taken(&self) -> usize {
        self.taken.load(Ordering::Acquire)
    }
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        self.taken.fetch_sub(1, Ordering::AcqRel);
    }
}
// ANCHOR_END: slots

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_maximum_and_frees_on_drop() {
        let slots = Slots::new(2);
        let a = slots.try_acquire().unwrap();
        let _b = slots.try_acquire().unwrap();
        assert!(slots.try_acquire().is_none());
        drop(a);
        assert_eq!(slots.taken(), 1);
        assert!(slots.try_acquire().is_some());
    }

    #[test]
    fn a_panicking_holder_gives_its_slot_back() {
        let slots = Slots::new(1);
        let guard = slots.try_acquire().unwrap();
        let result = std::thread::spawn(move || {
            let _guard = guard;
            panic!("handler bug");
        })
        .join();
        assert!(result.is_err());
        assert_eq!(slots.taken(), 0);
    }
}
