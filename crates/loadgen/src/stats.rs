//! Latency samples and their percentiles.
//!
//! Every sample is kept (a `u32` of microseconds, 4 bytes each) and sorted
//! once at the end: exact percentiles, no histogram error to explain. A cap
//! keeps memory bounded on a very long run; past it, samples are thinned by
//! keeping every other one (the distribution stays the same, the count is
//! reported separately).

use std::time::Duration;

/// At most this many samples are stored (16 MiB).
const MAX_SAMPLES: usize = 4 << 20;

/// Latency samples in microseconds.
#[derive(Debug, Default, Clone)]
pub struct Latencies {
    samples: Vec<u32>,
    /// Keep one sample out of `stride` (1 until the cap is reached).
    stride: u64,
    /// Samples offered, kept or not.
    seen: u64,
}

/// The summary printed and stored for a set of samples.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Summary {
    /// Samples offered.
    pub count: u64,
    /// Median, microseconds.
    pub p50_us: f64,
    /// 99th percentile, microseconds.
    pub p99_us: f64,
    /// Largest sample, microseconds.
    pub max_us: f64,
}

impl Latencies {
    /// No samples yet.
    pub fn new() -> Self {
        Latencies {
            samples: Vec::new(),
            stride: 1,
            seen: 0,
        }
    }

    /// Records one sample.
    pub fn record(&mut self, d: Duration) {
        let us = u32::try_from(d.as_micros()).unwrap_or(u32::MAX);
        self.record_us(us);
    }

    /// Records one sample given in microseconds.
    pub fn record_us(&mut self, us: u32) {
        self.seen += 1;
        if self.stride > 1 && !self.seen.is_multiple_of(self.stride) {
            return;
        }
        if self.samples.len() >= MAX_SAMPLES {
            // Thin what we have to half and keep half as many from now on.
            let mut i = 0;
            self.samples.retain(|_| {
                i += 1;
                i % 2 == 0
            });
            self.stride *= 2;
        }
        self.samples.push(us);
    }

    /// Forgets everything (the end of a warm-up).
    pub fn clear(&mut self) {
        *self = Latencies::new();
    }

    /// Adds another set of samples (from another thread).
    pub fn merge(&mut self, other: Latencies) {
        self.seen += other.seen.saturating_sub(other.samples.len() as u64);
        for s in other.samples {
            self.record_us(s);
        }
    }

    /// Samples offered so far.
    pub fn count(&self) -> u64 {
        self.seen
    }

    /// Sorts and summarises.
    pub fn summary(&mut self) -> Summary {
        self.samples.sort_unstable();
        Summary {
            count: self.seen,
            p50_us: percentile(&self.samples, 50.0),
            p99_us: percentile(&self.samples, 99.0),
            max_us: self.samples.last().map_or(0.0, |&m| f64::from(m)),
        }
    }
}

/// The nearest-rank percentile `p` (0 < p <= 100) of `sorted` samples: the
/// smallest sample with at least `p`% of all samples at or below it. Returns
/// 0 for no samples.
///
/// Nearest rank (rather than interpolating) means the answer is always a
/// latency that really happened.
pub fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted.len()) - 1;
    f64::from(sorted[index])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_of_one_to_hundred() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(percentile(&v, 1.0), 1.0);
        assert_eq!(percentile(&v, 0.1), 1.0);
    }

    #[test]
    fn percentile_of_small_and_empty_sets() {
        assert_eq!(percentile(&[], 50.0), 0.0);
        assert_eq!(percentile(&[7], 99.0), 7.0);
        // Two samples: the median is the lower one, p99 the upper one.
        assert_eq!(percentile(&[3, 9], 50.0), 3.0);
        assert_eq!(percentile(&[3, 9], 99.0), 9.0);
    }

    #[test]
    fn p99_sees_a_slow_tail() {
        // 990 fast round trips and 10 slow ones: p99 is fast, max is slow;
        // with 11 slow ones p99 is slow.
        let mut l = Latencies::new();
        for _ in 0..990 {
            l.record_us(100);
        }
        for _ in 0..10 {
            l.record_us(50_000);
        }
        let s = l.summary();
        assert_eq!(
            (s.count, s.p50_us, s.p99_us, s.max_us),
            (1000, 100.0, 100.0, 50_000.0)
        );
        l.record_us(50_000);
        assert_eq!(l.summary().p99_us, 50_000.0);
    }

    #[test]
    fn unsorted_input_and_merge() {
        let mut a = Latencies::new();
        for us in [30, 10, 20] {
            a.record(Duration::from_micros(us));
        }
        let mut b = Latencies::new();
        b.record_us(40);
        a.merge(b);
        let s = a.summary();
        assert_eq!((s.count, s.p50_us, s.max_us), (4, 20.0, 40.0));
        a.clear();
        assert_eq!(a.summary(), Summary::default());
    }

    #[test]
    fn the_cap_thins_samples_but_counts_all() {
        let mut l = Latencies::new();
        let n = MAX_SAMPLES as u64 + 10;
        for i in 0..n {
            l.record_us((i % 1000) as u32);
        }
        assert_eq!(l.count(), n);
        assert!(l.samples.len() <= MAX_SAMPLES);
        let s = l.summary();
        assert!((450.0..=550.0).contains(&s.p50_us), "{s:?}");
    }
}
