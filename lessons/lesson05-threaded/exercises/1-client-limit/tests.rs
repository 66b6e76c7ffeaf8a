//! Tests for exercise 05-1 (`Limiter` and its `Permit` guard).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use crate::ex1_code::*;

#[test]
fn at_most_max_permits_and_drop_gives_one_back() {
    let limiter = Limiter::new(2);
    let a = limiter.try_acquire().expect("first permit");
    let _b = limiter.try_acquire().expect("second permit");
    assert!(limiter.try_acquire().is_none(), "a third permit with max 2");
    assert_eq!(limiter.in_use(), 2);
    drop(a);
    assert_eq!(limiter.in_use(), 1);
    assert!(limiter.try_acquire().is_some());
}

#[test]
fn a_panicking_holder_gives_its_permit_back() {
    let limiter = Limiter::new(1);
    let permit = limiter.try_acquire().unwrap();
    let crashed = thread::spawn(move || {
        let _permit = permit;
        panic!("a bug in a client handler");
    })
    .join();
    assert!(crashed.is_err());
    assert_eq!(limiter.in_use(), 0);
    assert!(limiter.try_acquire().is_some());
}

#[test]
fn many_threads_never_exceed_the_maximum() {
    let limiter = Limiter::new(3);
    let holding = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (limiter, holding, most, start) = (
                limiter.clone(),
                holding.clone(),
                most.clone(),
                start.clone(),
            );
            thread::spawn(move || {
                start.wait();
                for _ in 0..2000 {
                    if let Some(permit) = limiter.try_acquire() {
                        let now = holding.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        thread::yield_now();
                        holding.fetch_sub(1, Ordering::SeqCst);
                        drop(permit);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert!(
        most.load(Ordering::SeqCst) <= 3,
        "{} held at once",
        most.load(Ordering::SeqCst)
    );
    assert_eq!(limiter.in_use(), 0);
}
