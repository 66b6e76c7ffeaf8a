//! Tests for exercise 06-2 (`BoundedPool::try_execute`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use crate::ex2_code::*;

/// Drops `pool` on another thread and waits at most 5 s for the drop to
/// return, so a Drop that never returns fails this test instead of hanging it.
#[track_caller]
fn drop_within_5s<T: Send + 'static>(pool: T) {
    let (done, dropped) = mpsc::channel();
    thread::spawn(move || {
        drop(pool);
        let _ = done.send(());
    });
    dropped.recv_timeout(Duration::from_secs(5)).expect(
        "dropping the pool did not return within 5 s: are the workers joined \
         before the channel is closed? (a worker stops only when recv() fails)",
    );
}

/// A job that reports it started, then waits for `release` (at most 5 s).
fn blocking_job(
    started: mpsc::Sender<()>,
    release: mpsc::Receiver<()>,
    done: Arc<AtomicUsize>,
) -> Job {
    Box::new(move || {
        started.send(()).unwrap();
        let _ = release.recv_timeout(Duration::from_secs(5));
        done.fetch_add(1, Ordering::SeqCst);
    })
}

fn counting_job(done: Arc<AtomicUsize>) -> Job {
    Box::new(move || {
        done.fetch_add(1, Ordering::SeqCst);
    })
}

#[test]
fn a_full_queue_hands_the_job_back_at_once() {
    let done = Arc::new(AtomicUsize::new(0));
    let pool = BoundedPool::new(1, 1);
    let (started_tx, started) = mpsc::channel();
    let (release, release_rx) = mpsc::channel();
    assert!(
        pool.try_execute(blocking_job(started_tx, release_rx, done.clone()))
            .is_ok()
    );
    // The only worker is busy from here on.
    started
        .recv_timeout(Duration::from_secs(5))
        .expect("the first job never started");
    assert!(
        pool.try_execute(counting_job(done.clone())).is_ok(),
        "the queue has room for one"
    );
    let refused = pool.try_execute(counting_job(done.clone()));
    let job = refused.expect_err("a job accepted past workers + queue");
    // The caller still owns the refused job and may run or drop it.
    job();
    assert_eq!(
        done.load(Ordering::SeqCst),
        1,
        "done.load(Ordering::SeqCst)"
    );
    release.send(()).unwrap();
    drop_within_5s(pool);
    assert_eq!(
        done.load(Ordering::SeqCst),
        3,
        "drop did not wait for the queued job"
    );
}

#[test]
fn drop_runs_every_queued_job_first() {
    let done = Arc::new(AtomicUsize::new(0));
    let pool = BoundedPool::new(2, 16);
    for _ in 0..10 {
        let mut job = counting_job(done.clone());
        // A full queue is not an error here: try again until there is room.
        for _ in 0..1000 {
            match pool.try_execute(job) {
                Ok(()) => break,
                Err(back) => {
                    job = back;
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
    }
    drop_within_5s(pool);
    assert_eq!(
        done.load(Ordering::SeqCst),
        10,
        "done.load(Ordering::SeqCst)"
    );
}
