//! Drop joins the workers before closing the channel: each worker waits in recv() forever, so drop never returns.

use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

/// One unit of work.
pub type Job = Box<dyn FnOnce() + Send + 'static>;

/// `workers` threads and a queue of at most `queue` waiting jobs.
pub struct BoundedPool {
    // Former TODO: as in 06-1, with the bounded kind of sender.
    workers: Vec<JoinHandle<()>>,
    sender: Option<SyncSender<Job>>,
}

impl BoundedPool {
    /// Starts `workers` threads (at least one) with room for `queue` waiting jobs.
    pub fn new(workers: usize, queue: usize) -> BoundedPool {
        // Former TODO: the bound is the channel's buffer. With 0 it is a
        // rendezvous: a job is accepted only by a worker waiting for one.
        let (sender, receiver) = mpsc::sync_channel::<Job>(queue);
        let receiver = Arc::new(Mutex::new(receiver));
        let workers = (0..workers.max(1))
            .map(|_| {
                let receiver = Arc::clone(&receiver);
                thread::spawn(move || worker(&receiver))
            })
            .collect();
        BoundedPool {
            workers,
            sender: Some(sender),
        }
    }

    /// Queues `job`, or gives it back in `Err` at once when the queue is full.
    pub fn try_execute(&self, job: Job) -> Result<(), Job> {
        // Former TODO: `try_send` never blocks; both errors return the job,
        // so the caller still owns it (and, in a server, the client socket
        // inside it, to tell that client the server is busy).
        match &self.sender {
            Some(sender) => sender.try_send(job).map_err(|e| match e {
                TrySendError::Full(job) | TrySendError::Disconnected(job) => job,
            }),
            None => Err(job),
        }
    }
}

/// Take a job, run it, repeat until the channel is closed and empty.
fn worker(receiver: &Mutex<Receiver<Job>>) {
    loop {
        let next = receiver
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .recv();
        match next {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

impl Drop for BoundedPool {
    fn drop(&mut self) {
        // The mistake: join first. Each worker waits in recv() for a job or
        // for the channel to close, and the channel closes only below.
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
        drop(self.sender.take());
    }
}
