//! Tests for exercise 05-1 (`PeerLimiter` and its `Permit` guard).

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use crate::ex1_code::*;

fn ip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
}

#[test]
fn both_caps_hold_and_drop_gives_a_place_back() {
    let limiter = PeerLimiter::new(3, 2);
    let a1 = limiter
        .try_acquire(ip(1))
        .expect("first permit for 10.0.0.1");
    let _a2 = limiter
        .try_acquire(ip(1))
        .expect("second permit for 10.0.0.1");
    assert!(
        limiter.try_acquire(ip(1)).is_none(),
        "a third permit for 10.0.0.1 although per_peer is 2"
    );
    let _b1 = limiter
        .try_acquire(ip(2))
        .expect("10.0.0.2's first permit (2 of 3 out in all)");
    assert!(
        limiter.try_acquire(ip(3)).is_none(),
        "a fourth permit in all although total is 3"
    );
    assert_eq!(limiter.in_use(), 3, "in_use() with 3 permits out");
    assert_eq!(
        limiter.peers(),
        2,
        "peers() with 10.0.0.1 and 10.0.0.2 holding"
    );
    drop(a1);
    assert_eq!(limiter.in_use(), 2, "in_use() after dropping one permit");
    assert!(
        limiter.try_acquire(ip(3)).is_some(),
        "no permit for 10.0.0.3 after a place was given back"
    );
}

#[test]
fn a_panicking_holder_gives_its_permit_back() {
    let limiter = PeerLimiter::new(1, 1);
    let permit = limiter.try_acquire(ip(1)).expect("the only permit");
    let crashed = thread::spawn(move || {
        let _permit = permit;
        // A handler that crashes, unwinding through the permit. (Unwinding
        // without the panic message: this panic is the test's, not yours.)
        std::panic::resume_unwind(Box::new("a bug in a client handler"));
    })
    .join();
    assert!(crashed.is_err(), "the handler thread was meant to panic");
    assert_eq!(limiter.in_use(), 0, "in_use() after the holder panicked");
    assert!(
        limiter.try_acquire(ip(1)).is_some(),
        "no permit after the only holder panicked: its place was not given back"
    );
}

#[test]
fn an_address_without_permits_is_forgotten() {
    let limiter = PeerLimiter::new(10, 1);
    for last in 0..=255 {
        let permit = limiter.try_acquire(ip(last));
        assert!(
            permit.is_some(),
            "no permit for the new address 10.0.0.{last}"
        );
    }
    assert_eq!(
        limiter.peers(),
        0,
        "peers() after 256 addresses came and went: the table keeps addresses with no permit"
    );
    assert_eq!(
        limiter.in_use(),
        0,
        "in_use() after every permit was dropped"
    );
}

/// Eight threads, four per address, hammer the limiter for two seconds
/// (all released at once by a barrier). Any gap between checking the caps
/// and taking the place lets two of them in together, and over thousands of
/// attempts on two or more cores some attempt falls into that gap.
#[test]
fn many_threads_at_once_never_exceed_either_cap() {
    let limiter = PeerLimiter::new(3, 2);
    let per_ip = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let total = Arc::new(AtomicUsize::new(0));
    let most = Arc::new([
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    ]);
    let start = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let (limiter, per_ip, total, most, start) = (
                limiter.clone(),
                per_ip.clone(),
                total.clone(),
                most.clone(),
                start.clone(),
            );
            thread::spawn(move || {
                let who = t % 2;
                start.wait();
                let deadline = Instant::now() + Duration::from_secs(2);
                while Instant::now() < deadline {
                    if let Some(permit) = limiter.try_acquire(ip(who as u8)) {
                        let mine = per_ip[who].fetch_add(1, Ordering::SeqCst) + 1;
                        let all = total.fetch_add(1, Ordering::SeqCst) + 1;
                        most[who].fetch_max(mine, Ordering::SeqCst);
                        most[2].fetch_max(all, Ordering::SeqCst);
                        if mine > 2 || all > 3 {
                            // Seen: no need to keep going.
                            per_ip[who].fetch_sub(1, Ordering::SeqCst);
                            total.fetch_sub(1, Ordering::SeqCst);
                            break;
                        }
                        thread::yield_now();
                        per_ip[who].fetch_sub(1, Ordering::SeqCst);
                        total.fetch_sub(1, Ordering::SeqCst);
                        drop(permit);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join()
            .expect("a thread using the limiter panicked (did a count go below 0?)");
    }
    let (a, b, all) = (
        most[0].load(Ordering::SeqCst),
        most[1].load(Ordering::SeqCst),
        most[2].load(Ordering::SeqCst),
    );
    assert!(
        a <= 2 && b <= 2,
        "permits held at once by one address: {a} and {b}, but per_peer is 2 \
         (two threads both passed the check for the last place)"
    );
    assert!(
        all <= 3,
        "permits held at once in all: {all}, but total is 3"
    );
    assert_eq!(limiter.in_use(), 0, "in_use() after every thread finished");
}
