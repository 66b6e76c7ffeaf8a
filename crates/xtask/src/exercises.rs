//! Exercises: find them, run one for a learner, prove them all.
//!
//! An exercise is `lessons/lessonNN-slug/exercises/K-slug/` with `starter.rs`,
//! `solution.rs`, `tests.rs` and `hint.md`, wired into the lesson's
//! `tests/exercises.rs` test target. Without features that target compiles
//! the solutions; with `--features starters` it compiles the starters.

use std::fs;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// What marks the learner's work in a starter. Spelled in two pieces so a
/// text search for unfinished code (the `todo` macro outside exercises) does not
/// take this checker for a stub.
const TODO_MARKER: &str = concat!("todo", "!(");

/// One exercise directory.
#[derive(Debug)]
struct Exercise {
    /// `03-1`: what `make exercise EX=...` takes.
    id: String,
    /// `lesson03-echo`: the package whose `exercises` test target runs it.
    package: String,
    /// `1`: the `exK` module prefix of its tests.
    number: u32,
    dir: PathBuf,
}

impl Exercise {
    /// Test names of this exercise start with this (`ex1::`).
    fn prefix(&self) -> String {
        format!("ex{}::", self.number)
    }

    /// The first line of the starter's header comment: the exercise's title.
    fn title(&self) -> String {
        let text = fs::read_to_string(self.dir.join("starter.rs")).unwrap_or_default();
        let starter = text
            .lines()
            .map(|l| l.trim_start_matches("//!").trim_start_matches("//").trim())
            .find(|l| !l.is_empty())
            .unwrap_or("(no title)")
            .trim_start_matches(|c: char| c == '#' || c.is_whitespace());
        // "Exercise 03-1: give messages a length" -> "give messages a length"
        let title = starter
            .strip_prefix(&format!("Exercise {}:", self.id))
            .unwrap_or(starter)
            .trim();
        let mut chars = title.chars();
        chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    }
}

/// Every exercise of every lesson, in lesson then exercise order.
fn discover(root: &Path) -> Result<Vec<Exercise>, String> {
    let mut found = Vec::new();
    for lesson in sorted_dirs(&root.join("lessons"))? {
        let package = file_name(&lesson);
        let Some(nn) = package.strip_prefix("lesson").and_then(|s| s.get(..2)) else {
            continue;
        };
        let dir = lesson.join("exercises");
        if !dir.is_dir() {
            continue;
        }
        for ex in sorted_dirs(&dir)? {
            let name = file_name(&ex);
            let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
            let number: u32 = digits
                .parse()
                .map_err(|_| format!("{}: exercise directories are named K-slug", ex.display()))?;
            found.push(Exercise {
                id: format!("{nn}-{number}"),
                package: package.clone(),
                number,
                dir: ex,
            });
        }
    }
    found.sort_by(|a, b| (&a.package, a.number).cmp(&(&b.package, b.number)));
    Ok(found)
}

/// `make exercise EX=03-1`: runs one exercise's tests on the learner's starter.
pub fn run_one(root: &Path, id: &str) -> Result<(), String> {
    let all = discover(root)?;
    let Some(ex) = all.iter().find(|e| e.id == id) else {
        let ids: Vec<&str> = all.iter().map(|e| e.id.as_str()).collect();
        return Err(format!("no exercise {id:?}; there are: {}", ids.join(" ")));
    };
    println!("exercise {}: {}", ex.id, ex.title());
    println!("your file: {}", rel(root, &ex.dir.join("starter.rs")));
    let run = cargo_test(&ex.package, true, Some(&ex.prefix()))?;
    if !run.compiled {
        println!(
            "\nFAIL: your starter does not compile:\n{}",
            run.stderr_tail()
        );
    } else {
        let results = run.results_for(ex);
        let failed: Vec<&str> = results
            .iter()
            .filter(|(_, ok)| !ok)
            .map(|(n, _)| n.as_str())
            .collect();
        if !results.is_empty() && failed.is_empty() {
            println!(
                "\nPASS: all {} tests of exercise {} pass. Well done!",
                results.len(),
                ex.id
            );
            return Ok(());
        }
        println!("\nFAIL: {} of {} tests fail:", failed.len(), results.len());
        for name in &failed {
            println!("  - {name}");
            if let Some(why) = run.failure_message(name) {
                println!("      {why}");
            }
        }
    }
    let hint = fs::read_to_string(ex.dir.join("hint.md")).unwrap_or_default();
    println!("\nhint:\n{}", hint.trim_end());
    Err(format!("exercise {} not solved yet", ex.id))
}

/// Proves every exercise: its solution passes every test, its untouched
/// starter fails at least one (so no exercise can pass by doing nothing).
pub fn check_all(root: &Path) -> Result<(), String> {
    let all = discover(root)?;
    if all.is_empty() {
        return Err("no exercises found under lessons/*/exercises".into());
    }
    let mut problems = Vec::new();
    for ex in &all {
        for file in ["starter.rs", "solution.rs", "tests.rs", "hint.md"] {
            if !ex.dir.join(file).is_file() {
                problems.push(format!("{}: missing {file}", ex.id));
            }
        }
        let starter = fs::read_to_string(ex.dir.join("starter.rs")).unwrap_or_default();
        if !starter.contains(TODO_MARKER) {
            problems.push(format!(
                "{}: starter.rs has no {TODO_MARKER}) for the learner",
                ex.id
            ));
        }
    }
    let mut packages: Vec<&str> = all.iter().map(|e| e.package.as_str()).collect();
    packages.dedup();
    for package in packages {
        let harness = root
            .join("lessons")
            .join(package)
            .join("tests/exercises.rs");
        let harness = fs::read_to_string(&harness).unwrap_or_default();
        let solutions = cargo_test(package, false, None)?;
        let starters = cargo_test(package, true, None)?;
        for (what, run) in [("solutions", &solutions), ("starters", &starters)] {
            if !run.compiled {
                problems.push(format!(
                    "{package}: {what} do not compile:\n{}",
                    run.stderr_tail()
                ));
            }
        }
        for ex in all.iter().filter(|e| e.package == package) {
            let dir = file_name(&ex.dir);
            for file in ["starter.rs", "solution.rs", "tests.rs"] {
                if !harness.contains(&format!("exercises/{dir}/{file}")) {
                    problems.push(format!(
                        "{}: tests/exercises.rs does not wire exercises/{dir}/{file}",
                        ex.id
                    ));
                }
            }
            let on_solution = solutions.results_for(ex);
            let on_starter = starters.results_for(ex);
            let solution_failures = on_solution.iter().filter(|(_, ok)| !ok).count();
            let starter_failures = on_starter.iter().filter(|(_, ok)| !ok).count();
            if solutions.compiled && on_solution.is_empty() {
                problems.push(format!(
                    "{}: no tests ran (test names must start with {})",
                    ex.id,
                    ex.prefix()
                ));
            } else if solution_failures > 0 {
                problems.push(format!(
                    "{}: {solution_failures} test(s) fail on the solution",
                    ex.id
                ));
            }
            if starters.compiled && !on_starter.is_empty() && starter_failures == 0 {
                problems.push(format!(
                    "{}: the untouched starter passes every test: the tests prove nothing",
                    ex.id
                ));
            }
            println!(
                "exercise {:6} solution {}/{} pass, starter {}/{} fail  {}",
                ex.id,
                on_solution.len() - solution_failures,
                on_solution.len(),
                starter_failures,
                on_starter.len(),
                ex.title()
            );
        }
    }
    if problems.is_empty() {
        println!(
            "check-exercises: {} exercises: every solution passes, every starter fails",
            all.len()
        );
        Ok(())
    } else {
        Err(format!(
            "{} problem(s):\n  {}",
            problems.len(),
            problems.join("\n  ")
        ))
    }
}

/// The markdown table of all exercises, as the teacher's guide includes it.
fn table(root: &Path) -> Result<String, String> {
    let mut out = String::from(
        "<!-- Generated by `cargo run -p xtask -- exercise-table`; `make test-all` checks it is current. -->\n\n\
         | Exercise | Lesson | Title | Starter |\n|---|---|---|---|\n",
    );
    for ex in discover(root)? {
        out.push_str(&format!(
            "| `{}` | {} | {} | `{}` |\n",
            ex.id,
            ex.package,
            ex.title().replace('|', "\\|"),
            rel(root, &ex.dir.join("starter.rs"))
        ));
    }
    Ok(out)
}

const TABLE_FILE: &str = "book/src/generated/exercises.md";

/// Prints the table and writes it to the book.
pub fn print_table(root: &Path) -> Result<(), String> {
    let text = table(root)?;
    let path = root.join(TABLE_FILE);
    fs::create_dir_all(path.parent().unwrap_or(root)).map_err(|e| e.to_string())?;
    fs::write(&path, &text).map_err(|e| format!("write {}: {e}", path.display()))?;
    print!("{text}");
    Ok(())
}

/// Fails when the committed table differs from the exercises on disk.
pub fn check_table(root: &Path) -> Result<(), String> {
    let committed = fs::read_to_string(root.join(TABLE_FILE)).unwrap_or_default();
    if committed == table(root)? {
        println!("check-exercise-table: {TABLE_FILE} is current");
        Ok(())
    } else {
        Err(format!(
            "{TABLE_FILE} is out of date: run `cargo run -p xtask -- exercise-table`"
        ))
    }
}

/// The outcome of one `cargo test --test exercises` run.
struct TestRun {
    compiled: bool,
    stdout: String,
    stderr: String,
}

impl TestRun {
    /// `(test name, passed)` for every test of `ex` that ran.
    fn results_for(&self, ex: &Exercise) -> Vec<(String, bool)> {
        let prefix = ex.prefix();
        self.stdout
            .lines()
            .filter_map(|l| l.strip_prefix("test ")?.split_once(" ... "))
            .filter(|(name, _)| name.starts_with(&prefix))
            .map(|(name, outcome)| (name.to_string(), outcome.trim() == "ok"))
            .collect()
    }

    /// The panic message libtest printed for a failed test, if any.
    fn failure_message(&self, name: &str) -> Option<String> {
        let header = format!("---- {name} stdout ----");
        let section = self.stdout.split_once(&header)?.1;
        let message: Vec<&str> = section
            .lines()
            .skip_while(|l| !l.contains("panicked at"))
            .skip(1)
            .take_while(|l| {
                !l.starts_with("----")
                    && !l.starts_with("note:")
                    && !l.starts_with("stack backtrace:")
                    && !l.is_empty()
            })
            .collect();
        (!message.is_empty()).then(|| message.join(" "))
    }

    fn stderr_tail(&self) -> String {
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.trim_start().starts_with("Compiling"))
            .collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

/// Runs `cargo test -p <package> --test exercises`, on the starters or the
/// solutions, optionally filtered to one exercise's tests.
fn cargo_test(package: &str, starters: bool, filter: Option<&str>) -> Result<TestRun, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args([
        "test",
        "--color",
        "never",
        "-p",
        package,
        "--test",
        "exercises",
    ]);
    // A learner needs the panic message, not a backtrace through libtest.
    cmd.env("RUST_BACKTRACE", "0");
    if starters {
        cmd.args(["--features", "starters"]);
    }
    cmd.args(["--", "--color", "never"]);
    if let Some(f) = filter {
        cmd.arg(f);
    }
    let (stdout, stderr) =
        output_within(cmd, RUN_LIMIT).map_err(|e| format!("cargo test -p {package}: {e}"))?;
    // A run that compiled prints a libtest summary even when tests fail.
    let compiled = stdout.contains("test result:");
    Ok(TestRun {
        compiled,
        stdout,
        stderr,
    })
}

/// The longest one `cargo test` of exercises may take, compiling included.
/// Exercise tests bound their own waits; this is the backstop.
const RUN_LIMIT: Duration = Duration::from_secs(15 * 60);

/// Runs `cmd` in its own process group, collecting stdout and stderr; kills
/// the whole group (cargo *and* the test binary it started) past `limit`.
fn output_within(mut cmd: Command, limit: Duration) -> Result<(String, String), String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| e.to_string())?;
    let collect = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = collect(Box::new(child.stdout.take().expect("piped stdout")));
    let err = collect(Box::new(child.stderr.take().expect("piped stderr")));
    let deadline = Instant::now() + limit;
    loop {
        if child.try_wait().map_err(|e| e.to_string())?.is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(format!("-{}", child.id()))
                .status();
            let _ = child.wait();
            return Err(format!(
                "still running after {}s: killed (a test that never returns?)",
                limit.as_secs()
            ));
        }
        thread::sleep(Duration::from_millis(50));
    }
    Ok((
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default(),
    ))
}

fn sorted_dirs(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| format!("read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    Ok(dirs)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}
