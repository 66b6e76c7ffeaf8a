//! `make grade SUBMISSIONS=<dir>`: a class's submissions to a report.
//!
//! `<dir>/<student>/<NN-K>.rs` is a student's version of exercise NN-K's
//! starter. Each is compiled in a sandbox copy of the workspace (one at a
//! time: cargo locks its build directory anyway), then its test binary is
//! copied into a scratch directory of its own and run there, several
//! submissions at once (one per core), each test in its own process group
//! under the exercise's limit. A submission that hangs is killed at the
//! limit; one that floods stdout is read but not stored; one that deletes
//! files deletes them in its own scratch directory. The reports are written
//! from memory at the end.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::thread;
use std::time::Instant;

use crate::exercises::Verdict;
use crate::model::{self, Exercise, file_name};
use crate::runner::{self, Outcome, next_item};
use crate::sandbox::{Sandbox, target_dir};

/// One submission and what became of it.
#[derive(Debug)]
pub struct Row {
    pub student: String,
    pub exercise: String,
    pub result: &'static str,
    pub passed: usize,
    pub total: usize,
    pub seconds: f64,
}

struct Job {
    student: String,
    ex: Exercise,
    exe: Option<PathBuf>,
    build_seconds: f64,
}

pub fn grade(root: &Path, dir: &Path) -> Result<(), String> {
    let all = model::discover(root)?;
    let mut submissions = Vec::new();
    for student_dir in model::sorted_dirs(dir)? {
        let student = file_name(&student_dir);
        let mut files: Vec<PathBuf> = fs::read_dir(&student_dir)
            .map_err(|e| format!("read {}: {e}", student_dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "rs"))
            .collect();
        files.sort();
        for file in files {
            let id = file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            match all.iter().find(|e| e.id == id) {
                Some(ex) => submissions.push((student.clone(), ex.clone(), file)),
                None => eprintln!("warning: {}: no exercise {id:?}; skipped", file.display()),
            }
        }
    }
    if submissions.is_empty() {
        return Err(format!(
            "no submissions found: expected {}/<student>/<NN-K>.rs",
            dir.display()
        ));
    }
    println!(
        "grade: {} submission(s); compiling each in a sandbox copy...",
        submissions.len()
    );
    let sandbox = Sandbox::create(root, "sandbox")?;
    let scratch = target_dir(root).join("xtask/grade/runs");
    let _ = fs::remove_dir_all(&scratch);
    let mut jobs = Vec::new();
    for (i, (student, ex, file)) in submissions.into_iter().enumerate() {
        let started = Instant::now();
        let code =
            String::from_utf8_lossy(&fs::read(&file).map_err(|e| e.to_string())?).into_owned();
        let build = sandbox.build(&ex, &code)?;
        // Its own copy of the binary: the next submission's build replaces
        // the one in the sandbox.
        let exe = match build.exe {
            Some(exe) => {
                let own = scratch.join(format!("{i}")).join("bin");
                fs::create_dir_all(&own).map_err(|e| e.to_string())?;
                let copy = own.join(file_name(&exe));
                fs::copy(&exe, &copy).map_err(|e| format!("copy {}: {e}", exe.display()))?;
                Some(copy)
            }
            None => None,
        };
        println!(
            "  built {student}/{}: {}",
            ex.id,
            if exe.is_some() { "ok" } else { "compile error" }
        );
        jobs.push(Job {
            student,
            ex,
            exe,
            build_seconds: started.elapsed().as_secs_f64(),
        });
    }
    println!("grade: running the tests, {} at once...", runner::cores());
    let rows = run_jobs(&jobs, &scratch)?;
    let csv = dir.join("report.csv");
    let md = dir.join("report.md");
    fs::write(&csv, csv_text(&rows)).map_err(|e| format!("write {}: {e}", csv.display()))?;
    fs::write(&md, markdown(&rows)).map_err(|e| format!("write {}: {e}", md.display()))?;
    println!("grade: wrote {} and {}", csv.display(), md.display());
    Ok(())
}

fn run_jobs(jobs: &[Job], scratch: &Path) -> Result<Vec<Row>, String> {
    let next = Mutex::new(jobs.iter().enumerate());
    let rows = Mutex::new(Vec::new());
    thread::scope(|s| {
        for _ in 0..runner::cores() {
            s.spawn(|| {
                while let Some((i, job)) = next_item(&next) {
                    let row = run_job(job, &scratch.join(format!("{i}")).join("work"));
                    println!(
                        "  {}/{}: {} ({}/{} tests, {:.1}s)",
                        row.student, row.exercise, row.result, row.passed, row.total, row.seconds
                    );
                    if let Ok(mut all) = rows.lock() {
                        all.push((i, row));
                    }
                }
            });
        }
    });
    let mut rows = rows.into_inner().map_err(|e| e.to_string())?;
    rows.sort_by_key(|(i, _)| *i);
    Ok(rows.into_iter().map(|(_, r)| r).collect())
}

fn run_job(job: &Job, work: &Path) -> Row {
    let started = Instant::now();
    let mut row = Row {
        student: job.student.clone(),
        exercise: job.ex.id.clone(),
        result: "compile-error",
        passed: 0,
        total: 0,
        seconds: job.build_seconds,
    };
    let Some(exe) = &job.exe else {
        return row;
    };
    // One test at a time: every test of a submission shares `work`, and a
    // hostile test that deletes it must not pull it away from a sibling
    // starting in parallel (the runner recreates it before each test).
    // Submissions still run side by side.
    let verdict = fs::create_dir_all(work)
        .map_err(|e| e.to_string())
        .and_then(|()| runner::run_tests(exe, &job.ex, work, 1, &|_| {}))
        .map(Verdict::Tests);
    match verdict {
        Ok(v) => {
            (row.passed, row.total) = v.counts();
            row.result = if v.passed() {
                "pass"
            } else if v.timed_out() {
                "timeout"
            } else {
                "fail"
            };
            if let Verdict::Tests(r) = &v
                && r.iter().all(|t| t.outcome != Outcome::Timeout)
                && r.is_empty()
            {
                row.result = "fail";
            }
        }
        Err(_) => row.result = "fail",
    }
    row.seconds += started.elapsed().as_secs_f64();
    row
}

/// `student,exercise,result,tests_passed,tests_total,seconds`; a field with
/// a comma or quote is quoted.
pub fn csv_text(rows: &[Row]) -> String {
    let field = |s: &str| {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let mut out = String::from("student,exercise,result,tests_passed,tests_total,seconds\n");
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{:.1}\n",
            field(&r.student),
            field(&r.exercise),
            r.result,
            r.passed,
            r.total,
            r.seconds
        ));
    }
    out
}

fn markdown(rows: &[Row]) -> String {
    let mut out = String::from("# Grading report\n\n");
    let mut students: Vec<&str> = rows.iter().map(|r| r.student.as_str()).collect();
    students.dedup();
    for student in &students {
        out.push_str(&format!(
            "## {student}\n\n| Exercise | Result | Tests passed | Seconds |\n|---|---|---|---|\n"
        ));
        for r in rows.iter().filter(|r| r.student == *student) {
            out.push_str(&format!(
                "| {} | {} | {}/{} | {:.1} |\n",
                r.exercise, r.result, r.passed, r.total, r.seconds
            ));
        }
        out.push('\n');
    }
    out.push_str("## Per exercise\n\n| Exercise | pass | fail | compile-error | timeout |\n|---|---|---|---|---|\n");
    let mut exercises: Vec<&str> = rows.iter().map(|r| r.exercise.as_str()).collect();
    exercises.sort();
    exercises.dedup();
    for ex in exercises {
        let count = |what: &str| {
            rows.iter()
                .filter(|r| r.exercise == ex && r.result == what)
                .count()
        };
        out.push_str(&format!(
            "| {ex} | {} | {} | {} | {} |\n",
            count("pass"),
            count("fail"),
            count("compile-error"),
            count("timeout")
        ));
    }
    out
}

/// The automated check of the grader (`make check-exercises` runs it): a
/// class of four students, each handing in one kind of answer for three
/// exercises (correct, untouched, not compiling, hanging while flooding
/// stdout), a fifth whose correct answer floods stdout and deletes its
/// working directory, and the CSV row each must produce.
pub fn selftest(root: &Path) -> Result<(), String> {
    const EXERCISES: [&str; 3] = ["03-1", "09-1", "10-1"];
    let dir = target_dir(root).join("xtask/grade-selftest");
    let _ = fs::remove_dir_all(&dir);
    let all = model::discover(root)?;
    let mut expected = Vec::new();
    for id in EXERCISES {
        let ex = all
            .iter()
            .find(|e| e.id == id)
            .ok_or(format!("no exercise {id}"))?;
        let starter = fs::read_to_string(ex.dir.join("starter.rs")).map_err(|e| e.to_string())?;
        let solution = fs::read_to_string(ex.dir.join("solution.rs")).map_err(|e| e.to_string())?;
        // The first todo marker (`model::TODO_MARKER`) loops forever instead, printing as it goes (a
        // hang that also floods stdout); the macro goes after the file's
        // `//!` header, where inner doc comments must stay first.
        let body = starter.replacen(model::TODO_MARKER, "hang!(", 1);
        let header_end = body
            .lines()
            .take_while(|l| l.starts_with("//!"))
            .map(|l| l.len() + 1)
            .sum::<usize>();
        let hanging = format!(
            "{}\nmacro_rules! hang {{ ($($t:tt)*) => {{ loop {{ println!(\"still here\"); \
             std::thread::sleep(std::time::Duration::from_millis(1)); }} }} }}\n{}",
            &body[..header_end],
            &body[header_end..]
        );
        for (student, code, result) in [
            ("ada", solution.clone(), "pass"),
            ("bob", starter.clone(), "fail"),
            (
                "cyd",
                format!("{solution}\nfn broken( {{\n"),
                "compile-error",
            ),
            ("dee", hanging, "timeout"),
        ] {
            let path = dir.join(student).join(format!("{id}.rs"));
            fs::create_dir_all(path.parent().unwrap_or(&dir)).map_err(|e| e.to_string())?;
            fs::write(&path, code).map_err(|e| e.to_string())?;
            expected.push((student, id, result));
        }
    }
    // A correct answer that is also hostile: each call floods stdout and
    // deletes everything in its working directory. It must pass, and
    // harm neither the run nor the other rows.
    let ex = all
        .iter()
        .find(|e| e.id == "09-1")
        .ok_or("no exercise 09-1")?;
    let solution = fs::read_to_string(ex.dir.join("solution.rs")).map_err(|e| e.to_string())?;
    let hostile = solution.replacen(
        "pub fn chunk_size(line: &[u8]) -> Option<u64> {",
        "pub fn chunk_size(line: &[u8]) -> Option<u64> {\n\
         for _ in 0..20_000 { println!(\"flooding stdout with a long line of text\"); }\n\
         if let Ok(here) = std::env::current_dir() { let _ = std::fs::remove_dir_all(here); }",
        1,
    );
    if hostile == solution {
        return Err("grade selftest: 09-1's solution no longer has the expected signature".into());
    }
    let path = dir.join("eve").join("09-1.rs");
    fs::create_dir_all(dir.join("eve")).map_err(|e| e.to_string())?;
    fs::write(&path, hostile).map_err(|e| e.to_string())?;
    expected.push(("eve", "09-1", "pass"));
    let started = Instant::now();
    grade(root, &dir)?;
    let csv = fs::read_to_string(dir.join("report.csv")).map_err(|e| e.to_string())?;
    let mut lines = csv.lines();
    let mut problems = Vec::new();
    if lines.next() != Some("student,exercise,result,tests_passed,tests_total,seconds") {
        problems.push("the header is wrong".to_string());
    }
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    if rows.len() != expected.len() {
        problems.push(format!("{} rows, expected {}", rows.len(), expected.len()));
    }
    for (student, id, result) in &expected {
        match rows.iter().find(|r| r[0] == *student && r[1] == *id) {
            None => problems.push(format!("no row for {student},{id}")),
            Some(r) => {
                let (passed, total) = (r[3].parse::<usize>(), r[4].parse::<usize>());
                let counts_ok = match *result {
                    "pass" => {
                        passed.is_ok() && passed == total && total.as_ref().is_ok_and(|t| *t > 0)
                    }
                    "compile-error" => r[3] == "0" && r[4] == "0",
                    _ => passed.is_ok() && passed != total,
                };
                if r[2] != *result || !counts_ok {
                    problems.push(format!(
                        "{student},{id}: got {}, expected {result}",
                        r.join(",")
                    ));
                }
            }
        }
    }
    let md = fs::read_to_string(dir.join("report.md")).unwrap_or_default();
    for student in ["ada", "bob", "cyd", "dee", "eve"] {
        if !md.contains(&format!("## {student}")) {
            problems.push(format!("report.md has no table for {student}"));
        }
    }
    if problems.is_empty() {
        println!(
            "grade selftest: all {} rows right in {:.0}s",
            expected.len(),
            started.elapsed().as_secs_f64()
        );
        Ok(())
    } else {
        Err(format!("grade selftest:\n  {}", problems.join("\n  ")))
    }
}
