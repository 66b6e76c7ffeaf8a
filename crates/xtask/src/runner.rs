//! Building one exercise's test target and running its tests, each in a
//! process of its own under the exercise's time limit.
//!
//! Why one process per test: a deadlocked test cannot be stopped from inside
//! its process, and libtest has no time limit. A process group per test lets
//! the runner kill the test *and* anything it started (a server binary, a
//! helper thread's child) when the limit passes or the user presses Ctrl-C.

use std::collections::BTreeSet;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use crate::model::Exercise;

/// Process groups of tests running now, killed on Ctrl-C or SIGTERM.
static RUNNING: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());

/// Kills every running test's process group when the runner is interrupted,
/// then exits 130 (the shell's code for "stopped by SIGINT").
pub fn kill_groups_on_signal() {
    let _ = ctrlc::set_handler(|| {
        let groups: Vec<u32> = RUNNING
            .lock()
            .map(|g| g.iter().copied().collect())
            .unwrap_or_default();
        for g in groups {
            kill_group(g);
        }
        eprintln!("\ninterrupted: stopped every test process");
        std::process::exit(130);
    });
}

fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .arg("-KILL")
        .arg("--")
        .arg(format!("-{pgid}"))
        .stderr(Stdio::null())
        .status();
}

/// How much of one test's output is kept: a test that floods stdout is read
/// to the end (so it never blocks on a full pipe) but not stored.
const OUTPUT_CAP: usize = 256 * 1024;

/// What one build produced.
#[derive(Debug)]
pub struct Build {
    pub exe: Option<PathBuf>,
    /// The compiler's messages, rendered as a human reads them.
    pub stderr: String,
}

impl Build {
    /// The compile errors from the first one on (warnings before it are
    /// skipped), at most `lines` lines.
    pub fn first_errors(&self, lines: usize) -> String {
        let all: Vec<&str> = self.stderr.lines().collect();
        let start = all.iter().position(|l| l.starts_with("error")).unwrap_or(0);
        let shown: Vec<&str> = all[start..]
            .iter()
            .copied()
            .filter(|l| !l.trim_start().starts_with("Compiling"))
            .take(lines)
            .collect();
        let mut text = shown.join("\n");
        if all.len() - start > lines {
            text.push_str("\n... (more errors: fix the first one, then run again)");
        }
        text
    }
}

/// Which code the test target compiles.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Variant {
    Solution,
    Starter,
}

/// `cargo test --no-run` of the exercise's own test target; returns the test
/// binary. `manifest_dir` is the workspace to build in (the real one, or a
/// sandbox copy), `target_dir` where to put the artifacts (None: default).
pub fn build(
    workspace: &Path,
    target_dir: Option<&Path>,
    ex: &Exercise,
    variant: Variant,
) -> Result<Build, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace).args([
        "test",
        "--no-run",
        "--color",
        "never",
        "--message-format",
        "json-render-diagnostics",
        "-p",
        &ex.package,
        "--test",
        &ex.target(),
    ]);
    if variant == Variant::Starter {
        cmd.args(["--features", "starters"]);
    }
    if let Some(dir) = target_dir {
        cmd.env("CARGO_TARGET_DIR", dir);
    }
    let out = run_capped(cmd, Duration::from_secs(20 * 60), None)
        .map_err(|e| format!("cargo test --no-run -p {}: {e}", ex.package))?;
    let target = ex.target();
    let exe = out
        .stdout
        .lines()
        .filter(|l| l.contains("\"compiler-artifact\""))
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["target"]["name"] == target.as_str() && v["profile"]["test"] == true)
        .find_map(|v| v["executable"].as_str().map(PathBuf::from));
    Ok(Build {
        exe,
        stderr: out.stderr,
    })
}

/// How one test ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Pass,
    /// The assertion (or panic) of the test's own thread, if one was found.
    Fail(Option<String>),
    Timeout,
}

#[derive(Debug, Clone)]
pub struct TestResult {
    pub name: String,
    pub outcome: Outcome,
    pub seconds: f64,
}

/// The tests of `ex` in the binary, by name.
pub fn list(exe: &Path, ex: &Exercise) -> Result<Vec<String>, String> {
    let mut cmd = Command::new(exe);
    cmd.args(["--list", "--format", "terse"]);
    let out = run_capped(cmd, Duration::from_secs(30), None)?;
    let prefix = ex.prefix();
    Ok(out
        .stdout
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .filter(|n| n.starts_with(&prefix))
        .map(str::to_string)
        .collect())
}

/// Runs every test of `ex` in `exe`, each in its own process under the
/// exercise's limit, at most `parallel` at once, in `cwd`. `progress` is
/// called as each test ends.
pub fn run_tests(
    exe: &Path,
    ex: &Exercise,
    cwd: &Path,
    parallel: usize,
    progress: &(dyn Fn(&TestResult) + Sync),
) -> Result<Vec<TestResult>, String> {
    let names = list(exe, ex)?;
    let limit = ex.limit();
    let next = Mutex::new(names.iter().enumerate());
    let results = Mutex::new(Vec::new());
    thread::scope(|s| {
        for _ in 0..parallel.max(1) {
            s.spawn(|| {
                while let Some((i, name)) = next_item(&next) {
                    let r = run_test(exe, name, cwd, limit);
                    progress(&r);
                    if let Ok(mut all) = results.lock() {
                        all.push((i, r));
                    }
                }
            });
        }
    });
    let mut all = results.into_inner().unwrap_or_default();
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, r)| r).collect())
}

fn run_test(exe: &Path, name: &str, cwd: &Path, limit: Duration) -> TestResult {
    // A test before this one may have deleted its working directory.
    let _ = std::fs::create_dir_all(cwd);
    let mut cmd = Command::new(exe);
    cmd.current_dir(cwd)
        .args(["--exact", name, "--test-threads", "1", "--color", "never"])
        // A learner needs the panic message, not a backtrace through libtest.
        .env("RUST_BACKTRACE", "0");
    let started = Instant::now();
    let outcome = match run_capped(cmd, limit, Some(())) {
        Err(e) if e.starts_with(TIMED_OUT) => Outcome::Timeout,
        Err(e) => Outcome::Fail(Some(format!("could not run the test: {e}"))),
        Ok(out) if out.success && out.stdout.contains("1 passed") => Outcome::Pass,
        Ok(out) => Outcome::Fail(own_panic(&format!("{}\n{}", out.stdout, out.stderr), name)),
    };
    TestResult {
        name: name.to_string(),
        outcome,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// The panic message of the test's own thread (libtest names the thread
/// after the test), not of a helper thread the test started.
pub fn own_panic(output: &str, name: &str) -> Option<String> {
    // `thread 'ex1::name' panicked at` (Rust 1.95 adds ` (tid)` after the name).
    let header = format!("thread '{name}'");
    let mut rest = output;
    let after = loop {
        let (_, after) = rest.split_once(&header)?;
        let line = after.lines().next().unwrap_or("");
        if let Some((_, place)) = line.split_once("panicked at ") {
            break &after[after.find(place).unwrap_or(0)..];
        }
        rest = after;
    };
    let mut lines = after.lines();
    let place = lines
        .next()
        .unwrap_or("")
        .trim()
        .trim_end_matches(':')
        .replace("/tests/../", "/");
    let message: Vec<&str> = lines
        .take_while(|l| {
            !l.starts_with("note:")
                && !l.starts_with("stack backtrace:")
                && !l.starts_with("thread '")
                && !l.starts_with("---- ")
                && !l.starts_with("failures:")
        })
        .collect();
    let message = message.join("\n").trim_end().to_string();
    let mut report = format!("{message}\n(at {place})");
    // `handle.join().unwrap()` on a thread that panicked says only
    // "Any { .. }": the reason is that thread's own panic, so show it too.
    if message.contains("Any {")
        && let Some(inner) = other_panic(output, name)
    {
        report.push_str(&format!("\ninside a thread the test started: {inner}"));
    }
    Some(report)
}

/// The first panic message of a thread other than the test's own.
fn other_panic(output: &str, name: &str) -> Option<String> {
    let own = format!("thread '{name}'");
    output
        .split("thread '")
        .skip(1)
        .map(|chunk| format!("thread '{chunk}"))
        .find(|chunk| {
            !chunk.starts_with(&own)
                && chunk
                    .lines()
                    .next()
                    .is_some_and(|l| l.contains("panicked at "))
        })
        .map(|chunk| {
            let mut lines = chunk.lines();
            let place = lines
                .next()
                .and_then(|l| l.split_once("panicked at "))
                .map(|(_, p)| p.trim_end_matches(':').replace("/tests/../", "/"))
                .unwrap_or_default();
            let message: Vec<&str> = lines
                .take_while(|l| !l.starts_with("note:") && !l.is_empty())
                .collect();
            format!("{} (at {place})", message.join(" "))
        })
}

const TIMED_OUT: &str = "timed out";

/// Output of a finished command.
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub success: bool,
}

/// Runs `cmd` in a process group of its own, reading its output (at most
/// [`OUTPUT_CAP`] kept of each stream); past `limit` the whole group is
/// killed and the error starts with "timed out". With `group_always`, the
/// group is also killed when the command ends, so nothing it started
/// outlives it.
pub fn run_capped(
    mut cmd: Command,
    limit: Duration,
    group_always: Option<()>,
) -> Result<Output, String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| e.to_string())?;
    let pgid = child.id();
    if let Ok(mut g) = RUNNING.lock() {
        g.insert(pgid);
    }
    let collect = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut kept = Vec::new();
            let mut chunk = [0u8; 8192];
            while let Ok(n) = pipe.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                if kept.len() < OUTPUT_CAP {
                    kept.extend_from_slice(&chunk[..n.min(OUTPUT_CAP - kept.len())]);
                }
            }
            String::from_utf8_lossy(&kept).into_owned()
        })
    };
    let out = collect(Box::new(child.stdout.take().expect("piped stdout")));
    let err = collect(Box::new(child.stderr.take().expect("piped stderr")));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        thread::sleep(Duration::from_millis(20));
    };
    if status.is_none() || group_always.is_some() {
        kill_group(pgid);
    }
    let _ = child.wait();
    if let Ok(mut g) = RUNNING.lock() {
        g.remove(&pgid);
    }
    // The pipes close once every process of the group is gone.
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    match status {
        None => Err(format!("{TIMED_OUT} after {}s", limit.as_secs())),
        Some(s) => Ok(Output {
            stdout,
            stderr,
            success: s.success(),
        }),
    }
}

/// The next item of a shared iterator; the lock is let go before the item
/// is worked on (a `while let` on the lock itself would hold it throughout).
pub fn next_item<I: Iterator>(shared: &Mutex<I>) -> Option<I::Item> {
    shared.lock().ok()?.next()
}

/// How many tests or builds to run at once: the machine's cores.
pub fn cores() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tests_own_panic_is_reported_not_a_helper_threads() {
        let out = "thread '<unnamed>' (12) panicked at src/x.rs:1:1:\n\
                   a bug in a client handler\n\
                   thread 'ex1::t' (11) panicked at lessons/l/tests/../exercises/1-a/tests.rs:9:5:\n\
                   assertion `left == right` failed: permits out after the panic\n  left: 1\n right: 0\n\
                   note: run with `RUST_BACKTRACE=1`\n";
        let got = own_panic(out, "ex1::t").expect("found");
        assert!(
            got.starts_with("assertion `left == right` failed: permits out"),
            "{got}"
        );
        assert!(got.contains("right: 0"), "{got}");
        assert!(
            got.ends_with("(at lessons/l/exercises/1-a/tests.rs:9:5)"),
            "{got}"
        );
        assert!(!got.contains("client handler"), "{got}");
        assert_eq!(own_panic(out, "ex1::other"), None);
        let joined = "thread '<unnamed>' (12) panicked at lessons/l/tests/../exercises/1-a/starter.rs:3:5:\n\
                      not yet implemented: echo\n\
                      thread 'ex1::t' (11) panicked at lessons/l/exercises/1-a/tests.rs:9:5:\n\
                      called `Result::unwrap()` on an `Err` value: Any { .. }\n";
        let got = own_panic(joined, "ex1::t").expect("found");
        assert!(
            got.ends_with("inside a thread the test started: not yet implemented: echo (at lessons/l/exercises/1-a/starter.rs:3:5)"),
            "{got}"
        );
    }

    /// Whether a process is gone (or dead and waiting to be reaped).
    fn gone(pid: &str) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
            stat.split(") ").nth(1).is_some_and(|s| s.starts_with('Z'))
        })
    }

    #[test]
    fn a_command_over_its_limit_is_killed_with_what_it_started() {
        let dir = std::env::temp_dir().join(format!("xtask-limit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pidfile = dir.join("pid");
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!("sleep 60 & echo $! > {}; wait", pidfile.display()));
        let started = Instant::now();
        let err = run_capped(cmd, Duration::from_secs(1), None)
            .err()
            .expect("a command sleeping 60 s must time out after 1 s");
        assert!(err.starts_with(TIMED_OUT), "{err}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "took {:?}",
            started.elapsed()
        );
        let pid = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .to_string();
        let deadline = Instant::now() + Duration::from_secs(5);
        while !gone(&pid) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(50));
        }
        assert!(gone(&pid), "the grandchild {pid} outlived the limit");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
