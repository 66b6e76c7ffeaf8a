//! Tests for exercise 06-1 (`ThreadPool` of your own, with a graceful Drop).

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::Shutdown;
use lesson05_threaded::connection::{ClientConfig, Summary};

use crate::ex1_code::*;
use testkit::service::*;

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

#[test]
fn jobs_run_on_size_threads_at_once() {
    let pool = ThreadPool::new(3);
    let running = Arc::new(AtomicUsize::new(0));
    let (saw, seen) = mpsc::channel();
    for _ in 0..3 {
        let (running, saw) = (Arc::clone(&running), saw.clone());
        pool.execute(move || {
            running.fetch_add(1, Ordering::SeqCst);
            let deadline = Instant::now() + Duration::from_secs(3);
            while running.load(Ordering::SeqCst) < 3 && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(5));
            }
            saw.send(running.load(Ordering::SeqCst)).unwrap();
        });
    }
    for _ in 0..3 {
        assert_eq!(
            seen.recv_timeout(Duration::from_secs(5))
                .expect("a job did not report within 5 s"),
            3,
            "jobs running at once on a pool of 3"
        );
    }
    drop_within_5s(pool);
}

#[test]
fn drop_waits_for_every_job_handed_to_the_pool() {
    let done = Arc::new(AtomicUsize::new(0));
    let pool = ThreadPool::new(2);
    for _ in 0..10 {
        let done = Arc::clone(&done);
        pool.execute(move || {
            thread::sleep(Duration::from_millis(20));
            done.fetch_add(1, Ordering::SeqCst);
        });
    }
    drop_within_5s(pool);
    assert_eq!(
        done.load(Ordering::SeqCst),
        10,
        "drop returned before the jobs ran"
    );
}

/// Lesson 06's accept loop dispatching to your pool; dropping the pool at
/// the end is what waits for the clients.
fn start(workers: usize, queue: usize) -> (SocketAddr, Shutdown, mpsc::Receiver<Summary>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = Shutdown::new();
    let s = shutdown.clone();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let pool = ThreadPool::new(workers);
        let config = ClientConfig {
            quiet: true,
            ..ClientConfig::default()
        };
        let service =
            lesson06_thread_pool::accept_loop(listener, &s, config, workers + queue, |job| {
                pool.execute(job)
            })
            .unwrap();
        drop(pool);
        tx.send(service.summary()).unwrap();
    });
    (addr, shutdown, rx)
}

#[test]
fn the_server_on_your_pool_passes_the_service_checks() {
    let (addr, shutdown, summary) = start(2, 32);
    invalid_utf8_echoes_exactly(addr);
    over_long_line_closes_only_that_client(addr);
    slow_client_does_not_delay_others(addr);
    vanishing_and_resetting_clients_are_harmless(addr);
    many_clients_at_once_are_served(addr, 20);
    let mut held = greeted(addr);
    shutdown.trigger();
    let summary = summary
        .recv_timeout(Duration::from_secs(5))
        .expect("dropping the pool at shutdown did not finish");
    assert_eq!(summary.served, 1 + 2 + 2 + 5 + 20 + 1, "summary.served");
    assert!(testkit::is_closed(&mut held, Duration::from_secs(5)));
}

#[test]
fn a_queued_client_is_greeted_when_a_worker_frees_up() {
    let (addr, shutdown, _summary) = start(1, 1);
    let first = greeted(addr);
    let mut waiting = testkit::connect(addr);
    expect_busy(addr);
    assert!(nothing_within(&mut waiting, Duration::from_millis(300)));
    drop(first);
    assert_eq!(
        testkit::read_line(&mut waiting),
        HELLO,
        "testkit::read_line(&mut waiting)"
    );
    roundtrip(&mut waiting, "served by your pool");
    shutdown.trigger();
}
