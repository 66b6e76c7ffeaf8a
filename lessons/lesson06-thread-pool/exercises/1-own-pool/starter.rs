//! Exercise 06-1: write your own thread pool, with a graceful Drop.
//!
//! GOAL: lesson 06 uses the `threadpool` crate. Write the pool yourself: a
//! channel of jobs, `size` worker threads that take jobs from it one at a
//! time, and a `Drop` that closes the channel and joins every worker, so
//! dropping the pool waits for every job already handed to it. The tests run
//! lesson 06's server on YOUR pool and check it with the same service checks
//! the crate-based server passes.
//!
//! Check your work with `make exercise EX=06-1`.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

/// One unit of work.
pub type Job = Box<dyn FnOnce() + Send + 'static>;

/// A fixed number of worker threads running jobs in the order they arrive.
pub struct ThreadPool {
    // TODO: the workers' `JoinHandle`s, and the sending half of the job
    // channel in an `Option` (so `Drop` can take it out and drop it).
}

impl ThreadPool {
    /// Starts `size` workers (at least one).
    pub fn new(size: usize) -> ThreadPool {
        // TODO: `mpsc::channel::<Job>()`; the receiver goes into an
        // `Arc<Mutex<_>>` so all workers can share it.
        // TODO: spawn `size` threads; each loops: lock, `recv()`, unlock,
        // run the job. `recv()` fails once every sender is gone: then exit.
        let _ = size;
        todo!("start the workers")
    }

    /// Queues `job`; a free worker runs it.
    pub fn execute<F>(&self, job: F)
    where
        F: FnOnce() + Send + 'static,
    {
        // TODO: send `Box::new(job)` down the channel.
        let _ = job;
        todo!("send the job")
    }
}

impl Drop for ThreadPool {
    fn drop(&mut self) {
        // TODO: drop the sender (take it out of its Option) so the workers'
        // `recv()` fails once the queue is empty; then join every worker.
        todo!("close the channel, join the workers")
    }
}
