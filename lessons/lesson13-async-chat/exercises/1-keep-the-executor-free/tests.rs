//! Tests for exercise 13-1 (`checksum` without blocking the runtime).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::ex1_code::*;

/// A current-thread runtime, as lesson 13 uses.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("build a runtime")
}

#[test]
fn the_answer_is_the_blocking_functions() {
    let data = b"hello, room".to_vec();
    let want = slow_checksum(&data, Duration::ZERO);
    let got = runtime().block_on(async {
        tokio::time::timeout(
            Duration::from_secs(5),
            checksum(data, Duration::from_millis(10)),
        )
        .await
        .expect("checksum took over 5 s")
    });
    assert_eq!(got, want, "checksum() against slow_checksum()");
}

/// While a 400 ms checksum runs, a task that ticks every 10 ms keeps
/// ticking. Called directly inside the task, the blocking call would hold
/// the only thread, and the ticker would not tick once.
#[test]
fn other_tasks_run_while_it_works() {
    let ticks = Arc::new(AtomicU32::new(0));
    let (ticks_during, elapsed) = runtime().block_on({
        let ticks = Arc::clone(&ticks);
        async move {
            let ticker = tokio::spawn({
                let ticks = Arc::clone(&ticks);
                async move {
                    let mut every = tokio::time::interval(Duration::from_millis(10));
                    for _ in 0..1000 {
                        every.tick().await;
                        ticks.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
            tokio::task::yield_now().await; // let the ticker start
            let before = ticks.load(Ordering::SeqCst);
            let start = Instant::now();
            let work = checksum(vec![1, 2, 3], Duration::from_millis(400));
            tokio::time::timeout(Duration::from_secs(5), work)
                .await
                .expect("checksum took over 5 s");
            let during = ticks.load(Ordering::SeqCst) - before;
            ticker.abort();
            (during, start.elapsed())
        }
    });
    assert!(
        elapsed >= Duration::from_millis(400),
        "the checksum took its 400 ms"
    );
    assert!(
        ticks_during >= 10,
        "the ticker ticked {ticks_during} times during a 400 ms checksum (want >= 10): \
         the blocking call held the runtime's thread"
    );
}
