//! Wall time and peak memory (RSS) of a child process.
//!
//! Peak RSS comes from GNU time (`/usr/bin/time -f %M`, which reads the
//! `ru_maxrss` the kernel reports when the child is reaped) when it is
//! installed; otherwise from polling `VmHWM` in `/proc/<pid>/status` every
//! few milliseconds, which can miss a peak in the last moments of a short
//! process (the report says which method was used). Wall time is measured
//! here around spawn and wait in both cases, with `Instant`, which is finer
//! than GNU time's 10 ms `%e`.

use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// What a measured run took.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    /// Seconds from spawn to exit.
    pub wall_secs: f64,
    /// Peak resident set size, KiB.
    pub peak_rss_kib: u64,
    /// How it exited.
    pub status: ExitStatus,
}

/// Where peak RSS comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RssMethod {
    /// `/usr/bin/time -f %M`.
    GnuTime,
    /// Polling `/proc/<pid>/status`.
    ProcPoll,
}

impl RssMethod {
    /// GNU time when it is installed and works, else /proc polling.
    pub fn detect() -> RssMethod {
        let ok = Path::new(GNU_TIME).exists()
            && Command::new(GNU_TIME)
                .args(["-f", "%M", "true"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .output()
                .is_ok_and(|o| {
                    o.status.success()
                        && String::from_utf8_lossy(&o.stderr)
                            .trim()
                            .parse::<u64>()
                            .is_ok()
                });
        if ok {
            RssMethod::GnuTime
        } else {
            RssMethod::ProcPoll
        }
    }

    /// The name stored with the results.
    pub fn name(self) -> &'static str {
        match self {
            RssMethod::GnuTime => "/usr/bin/time -f %M",
            RssMethod::ProcPoll => "polling /proc/<pid>/status VmHWM",
        }
    }
}

const GNU_TIME: &str = "/usr/bin/time";

/// Runs `program args...` (stdout and stderr discarded into a capture of
/// stderr for error messages), killing it after `limit`.
pub fn run(method: RssMethod, program: &str, args: &[String], limit: Duration) -> Result<Measured> {
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let report = std::env::temp_dir().join(format!(
        "loadgen-time-{}-{}.txt",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    ));
    let mut cmd = match method {
        RssMethod::GnuTime => {
            let mut c = Command::new(GNU_TIME);
            c.arg("-f").arg("%M").arg("-o").arg(&report).arg(program);
            c
        }
        RssMethod::ProcPoll => Command::new(program),
    };
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().with_context(|| format!("start {program}"))?;
    let stderr = child.stderr.take();
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(mut e) = stderr {
            let _ = std::io::Read::read_to_string(&mut e, &mut s);
        }
        s
    });
    let mut hwm = 0u64;
    let deadline = started + limit;
    // Bounded by `deadline`.
    let status = loop {
        if let Some(st) = child.try_wait()? {
            break st;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("{program} did not finish within {limit:?}");
        }
        if method == RssMethod::ProcPoll {
            hwm = hwm.max(vm_hwm_kib(child.id()).unwrap_or(0));
            std::thread::sleep(Duration::from_millis(2));
        } else {
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    let wall_secs = started.elapsed().as_secs_f64();
    let stderr = err_reader.join().unwrap_or_default();
    if !status.success() {
        bail!("{program} failed ({status}): {}", stderr.trim());
    }
    let peak_rss_kib = match method {
        RssMethod::ProcPoll => hwm,
        RssMethod::GnuTime => {
            let text = std::fs::read_to_string(&report)
                .with_context(|| format!("read {}", report.display()))?;
            let _ = std::fs::remove_file(&report);
            text.lines()
                .last()
                .and_then(|l| l.trim().parse().ok())
                .with_context(|| format!("no peak RSS in GNU time's report {text:?}"))?
        }
    };
    Ok(Measured {
        wall_secs,
        peak_rss_kib,
        status,
    })
}

/// `VmHWM` (peak RSS so far) of a running process, KiB.
pub fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_peak_rss_is_readable() {
        let kib = vm_hwm_kib(std::process::id()).unwrap();
        assert!(kib > 100, "{kib}");
    }

    #[test]
    fn both_methods_see_a_process_that_allocates() {
        // `sort` must hold its whole input (one 20 MB line) in memory.
        for method in [RssMethod::detect(), RssMethod::ProcPoll] {
            let m = run(
                method,
                "sh",
                &[
                    "-c".into(),
                    "head -c 20000000 /dev/zero | tr '\\0' 'a' | sort > /dev/null".into(),
                ],
                Duration::from_secs(30),
            )
            .unwrap();
            assert!(m.wall_secs > 0.0);
            // `sh` itself is small; GNU time reports the largest of the
            // process and its waited-for children, /proc polling only `sh`.
            if method == RssMethod::GnuTime {
                assert!(m.peak_rss_kib > 15_000, "{:?}: {m:?}", method.name());
            } else {
                assert!(m.peak_rss_kib > 0, "{m:?}");
            }
        }
    }

    #[test]
    fn a_failing_command_is_an_error() {
        let e = run(RssMethod::ProcPoll, "false", &[], Duration::from_secs(10)).unwrap_err();
        assert!(e.to_string().contains("false failed"), "{e}");
    }
}
