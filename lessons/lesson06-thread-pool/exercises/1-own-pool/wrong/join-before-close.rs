//! Drop joins the workers before closing the channel: each worker waits in recv() forever, so drop never returns.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

/// One unit of work.
pub type Job = Box<dyn FnOnce() + Send + 'static>;

/// A fixed number of worker threads running jobs in the order they arrive.
pub struct ThreadPool {
    // Former TODO: the handles, to join the workers; the sender in an
    // `Option`, because `Drop` gets `&mut self` and must *move* it out to
    // drop it before joining.
    workers: Vec<JoinHandle<()>>,
    sender: Option<Sender<Job>>,
}

impl ThreadPool {
    /// Starts `size` workers (at least one).
    pub fn new(size: usize) -> ThreadPool {
        // Former TODO 1: one channel; its single receiver is shared by all
        // workers behind a mutex, so each job goes to exactly one worker.
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        // Former TODO 2: the workers.
        let workers = (0..size.max(1))
            .map(|_| {
                let receiver = Arc::clone(&receiver);
                thread::spawn(move || worker(&receiver))
            })
            .collect();
        ThreadPool {
            workers,
            sender: Some(sender),
        }
    }

    /// Queues `job`; a free worker runs it.
    pub fn execute<F>(&self, job: F)
    where
        F: FnOnce() + Send + 'static,
    {
        // Former TODO: sending fails only when every worker has exited,
        // which cannot happen while `self` (and its sender) is alive.
        if let Some(sender) = &self.sender {
            let _ = sender.send(Box::new(job));
        }
    }
}

/// A worker's life: take the next job, run it, repeat until the channel is
/// closed and empty.
fn worker(receiver: &Mutex<Receiver<Job>>) {
    loop {
        // The lock is held only while waiting for a job, not while running
        // it: the guard is a temporary dropped at the end of this statement.
        let next = receiver
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .recv();
        match next {
            // A panicking job must not take the worker down with it (the
            // `threadpool` crate starts a new worker instead; the Rust
            // book's pool loses one).
            Ok(job) => {
                let _ = catch_unwind(AssertUnwindSafe(job));
            }
            Err(_) => return, // every sender dropped: shut down
        }
    }
}

impl Drop for ThreadPool {
    fn drop(&mut self) {
        // The mistake: join first. Each worker waits in recv() for a job or
        // for the channel to close, and the channel closes only below.
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
        drop(self.sender.take());
    }
}
