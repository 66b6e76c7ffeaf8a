//! Calls the blocking function inside the task: the runtime's one thread sleeps and no other task runs meanwhile.
//!
//! Exercise 13-1: keep the executor free.
//!
//! `slow_checksum` stands for any blocking call (a file read, a DNS lookup
//! through `getaddrinfo`, a heavy computation). Call it from async code
//! without stopping every other task on the runtime's one thread.

use std::thread;
use std::time::Duration;

/// A blocking checksum: it takes `delay` of wall time, like a slow disk.
pub fn slow_checksum(data: &[u8], delay: Duration) -> u64 {
    thread::sleep(delay);
    data.iter()
        .fold(0u64, |acc, &b| acc.wrapping_mul(31).wrapping_add(u64::from(b)))
}

/// Computes `slow_checksum(&data, delay)` without blocking the runtime:
/// other tasks keep running while it works.
pub async fn checksum(data: Vec<u8>, delay: Duration) -> u64 {
    slow_checksum(&data, delay)
}
