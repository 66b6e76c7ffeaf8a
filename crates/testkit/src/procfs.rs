//! Measuring a running process through `/proc`: memory, threads, CPU time.

use std::time::Duration;

/// Resident memory of a process in KiB, from `/proc/<pid>/status`.
pub fn rss_kib(pid: u32) -> u64 {
    proc_status_field(pid, "VmRSS:")
}

/// Peak resident memory (VmHWM) of a process in KiB, or `None` once it
/// has exited (and `/proc/<pid>` is gone or no longer has the field).
/// Polled while a process runs, the last value read is its peak.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// Number of threads of a process, from `/proc/<pid>/status`.
pub fn thread_count(pid: u32) -> u64 {
    proc_status_field(pid, "Threads:")
}

/// CPU time (user + system) a process has used so far, from `/proc/<pid>/stat`.
///
/// Tests compare two readings a second apart to prove a server that is out of
/// file descriptors waits instead of spinning. The kernel counts in clock
/// ticks of 1/100 s (`USER_HZ`, 100 on every Linux build in practice).
pub fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc stat");
    // The command name (field 2) may contain spaces; it ends at the last ')'.
    let after_name = &stat[stat.rfind(')').expect("stat has a command name") + 1..];
    // After the name: state is field 3, utime field 14, stime field 15.
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| -> u64 { fields[i - 3].parse().expect("numeric stat field") };
    Duration::from_millis((ticks(14) + ticks(15)) * 10)
}

fn proc_status_field(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// `cpu_time` reads this very process and grows when it burns CPU.
    #[test]
    fn cpu_time_grows_with_work() {
        let before = cpu_time(std::process::id());
        let start = Instant::now();
        let mut x = 0u64;
        while start.elapsed() < Duration::from_millis(300) {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        let after = cpu_time(std::process::id());
        assert!(after > before, "{before:?} -> {after:?}");
    }
}
