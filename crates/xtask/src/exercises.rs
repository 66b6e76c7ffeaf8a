//! Exercises for the learner and for CI: run one, list them with their
//! state, register a new one, prove them all.

use std::fs;
use std::path::Path;

use crate::model::{self, Exercise, TODO_MARKER, file_name, rel};
use crate::runner::{self, Build, Outcome, TestResult, Variant};
use crate::sandbox::Sandbox;

/// The result of checking one version of an exercise.
#[derive(Debug)]
pub enum Verdict {
    CompileError(String),
    Tests(Vec<TestResult>),
}

impl Verdict {
    pub fn passed(&self) -> bool {
        matches!(self, Verdict::Tests(r) if !r.is_empty() && r.iter().all(|t| t.outcome == Outcome::Pass))
    }

    pub fn counts(&self) -> (usize, usize) {
        match self {
            Verdict::CompileError(_) => (0, 0),
            Verdict::Tests(r) => (
                r.iter().filter(|t| t.outcome == Outcome::Pass).count(),
                r.len(),
            ),
        }
    }

    pub fn timed_out(&self) -> bool {
        matches!(self, Verdict::Tests(r) if r.iter().any(|t| t.outcome == Outcome::Timeout))
    }
}

/// Builds `ex` (in `workspace`, optionally into `target_dir`) and runs its
/// tests, each under the exercise's limit.
pub fn check(
    workspace: &Path,
    target_dir: Option<&Path>,
    ex: &Exercise,
    variant: Variant,
    parallel: usize,
    progress: &(dyn Fn(&TestResult) + Sync),
) -> Result<Verdict, String> {
    let build = runner::build(workspace, target_dir, ex, variant)?;
    verdict_of(build, ex, &ex.lesson_dir(), parallel, progress)
}

pub fn verdict_of(
    build: Build,
    ex: &Exercise,
    cwd: &Path,
    parallel: usize,
    progress: &(dyn Fn(&TestResult) + Sync),
) -> Result<Verdict, String> {
    match &build.exe {
        None => Ok(Verdict::CompileError(build.first_errors(60))),
        Some(exe) => Ok(Verdict::Tests(runner::run_tests(
            exe, ex, cwd, parallel, progress,
        )?)),
    }
}

/// `make exercise EX=03-1`: runs one exercise's tests on the learner's starter.
pub fn run_one(root: &Path, id: &str) -> Result<(), String> {
    let ex = model::find(root, id)?;
    println!("exercise {}: {}", ex.id, ex.meta.title);
    println!("your file: {}", rel(root, &ex.dir.join("starter.rs")));
    println!("each test has {}s; building...", ex.meta.time_limit_secs);
    let verdict = check(root, None, &ex, Variant::Starter, 1, &|r| {
        let mark = match r.outcome {
            Outcome::Pass => "ok",
            Outcome::Fail(_) => "FAILED",
            Outcome::Timeout => "TIMED OUT",
        };
        println!("  {mark:9} {} ({:.1}s)", r.name, r.seconds);
    })?;
    report(root, &ex, &verdict)
}

/// Prints what a learner needs after a run; Ok only on a pass.
pub fn report(root: &Path, ex: &Exercise, verdict: &Verdict) -> Result<(), String> {
    match verdict {
        Verdict::CompileError(errors) => {
            let head = zh_or(
                "FAIL: your starter does not compile. The first error:",
                "未通过：你的代码无法编译。第一个错误：",
            );
            println!("\n{head}\n\n{errors}");
        }
        Verdict::Tests(results) if verdict.passed() => {
            if model::chinese() {
                println!(
                    "\n通过：练习 {} 的全部 {} 个测试都通过了。做得好！",
                    ex.id,
                    results.len()
                );
            } else {
                println!(
                    "\nPASS: all {} tests of exercise {} pass. Well done!",
                    results.len(),
                    ex.id
                );
            }
            return Ok(());
        }
        Verdict::Tests(results) => {
            let (passed, total) = verdict.counts();
            if model::chinese() {
                println!("\n未通过：{total} 个测试中有 {} 个失败：", total - passed);
            } else {
                println!("\nFAIL: {} of {total} tests fail:", total - passed);
            }
            for r in results {
                match &r.outcome {
                    Outcome::Pass => {}
                    Outcome::Fail(why) => {
                        println!("\n  - {}", r.name);
                        let why = why
                            .clone()
                            .unwrap_or_else(|| "(the test failed without a message)".into());
                        for line in why.lines() {
                            println!("      {line}");
                        }
                    }
                    Outcome::Timeout => {
                        let limit = ex.meta.time_limit_secs;
                        if model::chinese() {
                            println!(
                                "\n  - {}\n      卡住了：{limit} 秒后仍在运行，已被终止。",
                                r.name
                            );
                        } else {
                            println!(
                                "\n  - {}\n      stalled: still running after {limit}s, so it was stopped.",
                                r.name
                            );
                        }
                        if !ex.meta.stall_hint.is_empty() {
                            let cause = zh_or("A usual cause:", "常见原因：");
                            println!("      {cause} {}", ex.meta.stall_hint);
                        }
                    }
                }
            }
        }
    }
    let hint = zh_or("hint:", "提示：");
    println!("\n{hint}\n{}", model::hint_text(root, ex));
    Err(format!("exercise {} not solved yet", ex.id))
}

/// Proves every exercise: its solution passes every test, its untouched
/// starter fails at least one, and so does each of its wrong answers (so no
/// exercise can pass by doing nothing, and the classic mistakes are caught).
pub fn check_all(root: &Path, only: &[&str]) -> Result<(), String> {
    let mut all = model::discover(root)?;
    if !only.is_empty() {
        all.retain(|e| only.contains(&e.id.as_str()));
    }
    if all.is_empty() {
        return Err("no exercises found under lessons/*/exercises".into());
    }
    let mut problems = Vec::new();
    for ex in &all {
        problems.extend(shape_problems(ex));
    }
    let quiet = |_: &TestResult| {};
    let parallel = runner::cores();
    let mut sandbox: Option<Sandbox> = None;
    for ex in &all {
        let on_solution = check(root, None, ex, Variant::Solution, parallel, &quiet)?;
        let on_starter = check(root, None, ex, Variant::Starter, parallel, &quiet)?;
        match &on_solution {
            Verdict::CompileError(e) => {
                problems.push(format!("{}: the solution does not compile:\n{e}", ex.id));
            }
            Verdict::Tests(r) if r.is_empty() => problems.push(format!(
                "{}: no tests ran (test names must start with {})",
                ex.id,
                ex.prefix()
            )),
            v if !v.passed() => problems.push(format!(
                "{}: {} test(s) fail on the solution: {}",
                ex.id,
                v.counts().1 - v.counts().0,
                failures(v)
            )),
            _ => {}
        }
        match &on_starter {
            Verdict::CompileError(e) => {
                problems.push(format!("{}: the starter does not compile:\n{e}", ex.id));
            }
            v if v.passed() => problems.push(format!(
                "{}: the untouched starter passes every test: the tests prove nothing",
                ex.id
            )),
            _ => {}
        }
        let (sp, st) = on_solution.counts();
        let (rp, rt) = on_starter.counts();
        println!(
            "exercise {:6} solution {sp}/{st} pass, starter {}/{rt} fail  {}",
            ex.id,
            rt - rp,
            ex.meta.title
        );
        for wrong in ex.wrong_answers()? {
            let sandbox = match &mut sandbox {
                Some(s) => s,
                None => sandbox.insert(Sandbox::create(root, "sandbox")?),
            };
            let verdict = sandbox.check(ex, &wrong.code, parallel, &quiet)?;
            let (shown, mistake) = (
                format!("{}/wrong/{}", ex.id, file_name(&wrong.path)),
                wrong.mistake(),
            );
            match &verdict {
                Verdict::CompileError(e) => {
                    problems.push(format!("{shown}: a wrong answer must compile:\n{e}"));
                }
                v if v.passed() => problems.push(format!(
                    "{shown} ({mistake}) passes every test: the tests miss that mistake"
                )),
                v => println!(
                    "  wrong answer {shown}: rejected ({} of {} tests fail{})",
                    v.counts().1 - v.counts().0,
                    v.counts().1,
                    if v.timed_out() { ", stalled" } else { "" }
                ),
            }
        }
    }
    if problems.is_empty() {
        println!(
            "check-exercises: {} exercises: every solution passes, every starter and wrong answer fails",
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

fn failures(v: &Verdict) -> String {
    match v {
        Verdict::CompileError(_) => String::new(),
        Verdict::Tests(r) => r
            .iter()
            .filter(|t| t.outcome != Outcome::Pass)
            .map(|t| match &t.outcome {
                Outcome::Fail(Some(m)) => format!("{}: {}", t.name, m.replace('\n', " ")),
                Outcome::Timeout => format!("{}: timed out", t.name),
                _ => t.name.clone(),
            })
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// Files, metadata and harness an exercise must have.
fn shape_problems(ex: &Exercise) -> Vec<String> {
    let mut problems = Vec::new();
    for file in [
        "starter.rs",
        "solution.rs",
        "tests.rs",
        "hint.md",
        "exercise.toml",
    ] {
        if !ex.dir.join(file).is_file() {
            problems.push(format!("{}: missing {file}", ex.id));
        }
    }
    let m = &ex.meta;
    for (field, empty) in [
        ("title", m.title.is_empty()),
        ("objective", m.objective.is_empty()),
        ("stall_hint", m.stall_hint.is_empty()),
        ("minutes", m.minutes == 0),
    ] {
        if empty {
            problems.push(format!("{}: exercise.toml has no {field}", ex.id));
        }
    }
    let starter = fs::read_to_string(ex.dir.join("starter.rs")).unwrap_or_default();
    if !starter.contains(TODO_MARKER) {
        problems.push(format!(
            "{}: starter.rs has no {TODO_MARKER}) for the learner",
            ex.id
        ));
    }
    let harness = fs::read_to_string(ex.harness()).unwrap_or_default();
    let dir = ex.slug_dir();
    for file in ["starter.rs", "solution.rs", "tests.rs"] {
        if !harness.contains(&format!("exercises/{dir}/{file}")) {
            problems.push(format!(
                "{}: {} does not include exercises/{dir}/{file}: run `make register-exercises`",
                ex.id,
                ex.harness().display()
            ));
        }
    }
    problems
}

/// The test target that makes an exercise a crate of its own, so one
/// exercise that does not compile never hides another's result.
pub fn harness_text(ex: &Exercise) -> String {
    let dir = ex.slug_dir();
    let n = ex.number;
    format!(
        "//! Exercise {id}: its own test target, so it builds on its own.\n\
         //! `make exercise EX={id}` checks your starter. Written by\n\
         //! `make register-exercises`.\n\
         \n\
         #[path = \"../exercises/{dir}/tests.rs\"]\n\
         mod ex{n};\n\
         #[cfg_attr(feature = \"starters\", path = \"../exercises/{dir}/starter.rs\")]\n\
         #[cfg_attr(not(feature = \"starters\"), path = \"../exercises/{dir}/solution.rs\")]\n\
         #[allow(unused, clippy::todo)]\n\
         mod ex{n}_code;\n",
        id = ex.id
    )
}

/// `make register-exercises`: writes the missing `tests/exK.rs` harnesses.
/// Existing ones are kept (a harness may add a shared test module).
pub fn register(root: &Path) -> Result<(), String> {
    let mut written = 0;
    for ex in model::discover(root)? {
        let path = ex.harness();
        if path.exists() {
            continue;
        }
        fs::write(&path, harness_text(&ex))
            .map_err(|e| format!("write {}: {e}", path.display()))?;
        println!("registered {}: wrote {}", ex.id, rel(root, &path));
        written += 1;
    }
    println!("register-exercises: {written} harness file(s) written");
    Ok(())
}

/// Whether the learner has touched a starter: compared with the hash the
/// student kit recorded (`.exercise-starters`), else with git's HEAD.
pub fn started(root: &Path, ex: &Exercise) -> bool {
    let path = ex.dir.join("starter.rs");
    let text = fs::read(&path).unwrap_or_default();
    let recorded = fs::read_to_string(root.join(crate::kit::HASHES)).unwrap_or_default();
    let key = rel(root, &path);
    if let Some(line) = recorded.lines().find(|l| l.ends_with(&format!(" {key}"))) {
        return !line.starts_with(&crate::kit::fnv64(&text));
    }
    let unchanged = std::process::Command::new("git")
        .current_dir(root)
        .args(["diff", "--quiet", "HEAD", "--"])
        .arg(&key)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    !unchanged
}

/// `make exercises`: every exercise and where the learner stands on it.
pub fn list(root: &Path) -> Result<(), String> {
    let all = model::discover(root)?;
    println!("{:6} {:20} {:>5}  title", "id", "state", "min");
    let (mut passing, mut failing) = (0, 0);
    for ex in &all {
        let state = if !started(root, ex) {
            zh_or("not started", "未开始").to_string()
        } else {
            match check(root, None, ex, Variant::Starter, runner::cores(), &|_| {})? {
                Verdict::CompileError(_) => {
                    failing += 1;
                    zh_or("failing (does not compile)", "未通过（无法编译）").to_string()
                }
                v if v.passed() => {
                    passing += 1;
                    zh_or("passing", "已通过").to_string()
                }
                v => {
                    failing += 1;
                    let (p, t) = v.counts();
                    if model::chinese() {
                        format!("未通过（{p}/{t} 通过）")
                    } else {
                        format!("failing ({p}/{t} pass)")
                    }
                }
            }
        };
        let capstone = if ex.meta.capstone { " (capstone)" } else { "" };
        println!(
            "{:6} {:20} {:>5}  {}{capstone}",
            ex.id, state, ex.meta.minutes, ex.meta.title
        );
    }
    println!(
        "\n{passing} passing, {failing} failing, {} not started (not started: starter.rs as handed out). \
         Next: make exercise EX=<id>",
        all.len() - passing - failing
    );
    Ok(())
}

/// `en`, or `zh` when the learner's locale is Chinese (`LANG=zh_CN.UTF-8`).
fn zh_or<'a>(en: &'a str, zh: &'a str) -> &'a str {
    if model::chinese() { zh } else { en }
}
