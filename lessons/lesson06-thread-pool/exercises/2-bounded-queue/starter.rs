//! Exercise 06-2: a pool whose queue says "full" instead of growing.
//!
//! GOAL: `threadpool`'s queue has no limit, so lesson 06 counts clients in
//! its accept loop to bound it. A channel can bound itself: an
//! `mpsc::sync_channel(queue)` holds at most `queue` jobs, and its
//! `try_send` hands the job back instead of waiting when there is no room.
//! Write `BoundedPool::try_execute` on top of it, so a server could answer
//! `server busy` the moment the queue is full. `Drop` joins as in 06-1.
//!
//! Check your work with `make exercise EX=06-2`.

use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

/// One unit of work.
pub type Job = Box<dyn FnOnce() + Send + 'static>;

/// `workers` threads and a queue of at most `queue` waiting jobs.
pub struct BoundedPool {
    // TODO: worker handles and an `Option<SyncSender<Job>>`.
}

impl BoundedPool {
    /// Starts `workers` threads (at least one) with room for `queue` waiting jobs.
    pub fn new(workers: usize, queue: usize) -> BoundedPool {
        // TODO: `mpsc::sync_channel::<Job>(queue)`, the receiver shared by
        // the workers behind `Arc<Mutex<_>>`, as in exercise 06-1.
        let _ = (workers, queue);
        todo!("start the workers")
    }

    /// Queues `job`, or gives it back in `Err` at once when the queue is full.
    pub fn try_execute(&self, job: Job) -> Result<(), Job> {
        // TODO: `try_send`; `TrySendError::Full(job)` (and `Disconnected(job)`)
        // carry the job back to the caller.
        let _ = job;
        todo!("try to queue the job")
    }
}

impl Drop for BoundedPool {
    fn drop(&mut self) {
        // TODO: drop the sender, then join every worker.
        todo!("close the channel, join the workers")
    }
}
