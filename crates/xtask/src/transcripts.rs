//! The book's transcripts, generated from real runs.
//!
//! Each `book/scenarios/<name>.scenario` is a small script (the format is in
//! `book/scenarios/README.md`): the commands, the peers, the typed input and
//! the Ctrl-C, in order. `transcripts` runs every scenario against the debug
//! binaries and writes what a learner would see in their terminals to
//! `book/src/transcripts/<name>.txt`; `check-transcripts` runs them into a
//! scratch directory and fails, with a diff, when a committed file differs.
//!
//! Output that changes from run to run (ephemeral ports, pids, temporary
//! paths, timings) is normalised so that two runs give the same bytes; what
//! is left is the programs' real output.

use regex::Regex;
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long one step (a command, a wait, an exit) may take unless the
/// scenario says `timeout N`.
const DEFAULT_STEP_TIMEOUT: Duration = Duration::from_secs(10);
/// Ephemeral ports (Linux's default `ip_local_port_range`) are renumbered
/// from here, in order of first appearance.
const FIRST_SHOWN_EPHEMERAL: u32 = 40001;
/// Pids are renumbered from here, in order of first appearance.
const FIRST_SHOWN_PID: u32 = 4001;

/// `transcripts [NAME...]` regenerates (all, or the named scenarios);
/// `transcripts --check` compares fresh runs with the committed files.
pub fn main(root: &Path, args: &[&str]) -> Result<(), String> {
    match args {
        ["--check"] => check(root),
        only if !only.iter().any(|a| a.starts_with('-')) => generate(root, only),
        _ => Err("usage: cargo run -p xtask -- transcripts [--check | NAME...]".into()),
    }
}

/// Regenerates into `book/src/transcripts/`.
fn generate(root: &Path, only: &[&str]) -> Result<(), String> {
    let out = root.join("book/src/transcripts");
    fs::create_dir_all(&out).map_err(|e| format!("create {}: {e}", out.display()))?;
    let scenarios = select(root, only)?;
    build_binaries(root, &scenarios)?;
    for s in &scenarios {
        let started = Instant::now();
        let files = run_scenario(root, s)?;
        for (file, text) in &files {
            let path = out.join(file);
            fs::write(&path, text).map_err(|e| format!("write {}: {e}", path.display()))?;
        }
        println!(
            "transcripts: {} -> {} ({:.1} s)",
            s.name,
            files.keys().cloned().collect::<Vec<_>>().join(", "),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// Regenerates into a scratch directory and compares.
fn check(root: &Path) -> Result<(), String> {
    let started = Instant::now();
    let committed_dir = root.join("book/src/transcripts");
    let scenarios = select(root, &[])?;
    build_binaries(root, &scenarios)?;
    let scratch = ScratchDir::new("check-transcripts")?;
    let mut expected = Vec::new();
    let mut stale = Vec::new();
    let mut not_compared = Vec::new();
    let root_user = is_root();
    for s in &scenarios {
        if s.needs_root && !root_user {
            for file in committed_files_of(&committed_dir, &s.name) {
                not_compared.push(format!("{file} (skipped: needs root)"));
                expected.push(file);
            }
            continue;
        }
        for (file, text) in run_scenario(root, s)? {
            if let Some(why) = &s.machine_dependent {
                not_compared.push(format!("{file} ({why})"));
                expected.push(file);
                continue;
            }
            let fresh = scratch.path.join(&file);
            fs::write(&fresh, &text).map_err(|e| format!("write {}: {e}", fresh.display()))?;
            let committed = committed_dir.join(&file);
            if fs::read_to_string(&committed).ok().as_deref() != Some(text.as_str()) {
                stale.push(format!(
                    "book/src/transcripts/{file} (scenario {}) differs from a fresh run:\n{}",
                    s.name,
                    diff(&committed, &fresh)
                ));
            }
            expected.push(file);
        }
    }
    // A transcript no scenario produces is pasted, not generated.
    if let Ok(entries) = fs::read_dir(&committed_dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".txt") && !expected.contains(&name) {
                stale.push(format!(
                    "book/src/transcripts/{name}: no scenario generates it (delete it, or add book/scenarios/{}.scenario)",
                    name.trim_end_matches(".txt")
                ));
            }
        }
    }
    if stale.is_empty() {
        println!(
            "check-transcripts: {} transcripts from {} scenarios, {} current, {} machine-dependent ones ran but were not compared ({:.1} s)",
            expected.len(),
            scenarios.len(),
            expected.len() - not_compared.len(),
            not_compared.len(),
            started.elapsed().as_secs_f64()
        );
        for n in &not_compared {
            println!("  not compared: {n}");
        }
        Ok(())
    } else {
        Err(format!(
            "{} stale transcript(s); run `make transcripts` and review the diff:\n{}",
            stale.len(),
            stale.join("\n")
        ))
    }
}

/// True when running as root (`id -u` is 0), which `needs-root` scenarios
/// need (to switch users with `setpriv`).
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// The committed files a scenario wrote: `<name>.txt` and `<name>-PART.txt`.
fn committed_files_of(dir: &Path, name: &str) -> Vec<String> {
    let mut files: Vec<String> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|f| f == &format!("{name}.txt") || f.starts_with(&format!("{name}-")))
        .collect();
    files.sort();
    files
}

fn diff(old: &Path, new: &Path) -> String {
    let name = new.file_name().unwrap_or_default().to_string_lossy();
    match Command::new("diff")
        .arg("-u")
        .args(["--label", &format!("committed/{name}")])
        .args(["--label", &format!("fresh/{name}")])
        .arg(old)
        .arg(new)
        .output()
    {
        Ok(o) => String::from_utf8_lossy(&o.stdout).into_owned(),
        Err(_) => format!("(install diffutils to see the diff of {})", old.display()),
    }
}

/// One parsed `.scenario` file.
struct Scenario {
    name: String,
    path: PathBuf,
    steps: Vec<(usize, Step)>,
    /// Why its output differs between machines (`machine-dependent REASON`):
    /// `check` still runs it, but does not compare its files.
    machine_dependent: Option<String>,
    /// `needs-root`: `check` skips it (and keeps its files) when not root.
    needs_root: bool,
}

enum Step {
    Name {
        var: String,
        shown: String,
    },
    Terminal(String),
    Port {
        var: String,
        shown: String,
    },
    Dir {
        var: String,
        shown: String,
    },
    Timeout(Duration),
    Replace(Regex, String),
    Setup(String),
    Run(String),
    Start {
        name: String,
        cmd: String,
        hidden: bool,
    },
    Wait {
        name: String,
        text: String,
    },
    Type {
        name: String,
        text: String,
    },
    Eof(String),
    CtrlC(String),
    Signal {
        name: String,
        signal: String,
    },
    Exit(String),
    Sleep(Duration),
    Split(String),
}

fn select(root: &Path, only: &[&str]) -> Result<Vec<Scenario>, String> {
    let dir = root.join("book/scenarios");
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .map_err(|e| format!("read {}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "scenario"))
        .collect();
    paths.sort();
    let mut scenarios = Vec::new();
    for path in paths {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if only.is_empty() || only.contains(&name.as_str()) {
            scenarios.push(parse(&name, &path)?);
        }
    }
    for want in only {
        if !scenarios.iter().any(|s| s.name == *want) {
            return Err(format!("no scenario book/scenarios/{want}.scenario"));
        }
    }
    Ok(scenarios)
}

fn parse(name: &str, path: &Path) -> Result<Scenario, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("read {}: {e}", path.display()))?;
    let mut steps = Vec::new();
    let mut machine_dependent = None;
    let mut needs_root = false;
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = line.trim_end();
        if line.trim_start().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let bad = |why: &str| format!("{}:{line_no}: {why}: {line}", path.display());
        let (verb, rest) = line.split_once(' ').unwrap_or((line, ""));
        let rest = rest.trim();
        let two = || {
            rest.split_once(' ')
                .map(|(a, b)| (a.to_string(), b.trim().to_string()))
                .ok_or_else(|| bad("expected two arguments"))
        };
        let one = || {
            if rest.is_empty() || rest.contains(' ') {
                Err(bad("expected one argument"))
            } else {
                Ok(rest.to_string())
            }
        };
        let secs = |s: &str| {
            s.parse::<f64>()
                .ok()
                .filter(|v| *v > 0.0 && *v <= 60.0)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| bad("expected seconds between 0 and 60"))
        };
        if verb == "needs-root" {
            needs_root = true;
            continue;
        }
        if verb == "machine-dependent" {
            if rest.is_empty() {
                return Err(bad("say why the output depends on the machine"));
            }
            machine_dependent = Some(rest.to_string());
            continue;
        }
        let step = match verb {
            "terminal" => Step::Terminal(one()?),
            "port" => {
                let (var, shown) = two()?;
                Step::Port { var, shown }
            }
            "dir" => {
                let (var, shown) = two()?;
                Step::Dir { var, shown }
            }
            "name" => {
                let (var, shown) = two()?;
                Step::Name { var, shown }
            }
            "timeout" => Step::Timeout(secs(rest)?),
            "sleep" => Step::Sleep(secs(rest)?),
            "replace" => {
                let (pattern, with) = rest
                    .split_once(" => ")
                    .ok_or_else(|| bad("expected `replace REGEX => TEXT`"))?;
                let re = Regex::new(pattern).map_err(|e| bad(&format!("bad regex: {e}")))?;
                Step::Replace(re, with.to_string())
            }
            "setup" if !rest.is_empty() => Step::Setup(rest.to_string()),
            "run" if !rest.is_empty() => Step::Run(rest.to_string()),
            "start" | "start-hidden" => {
                let (name, cmd) = two()?;
                Step::Start {
                    name,
                    cmd,
                    hidden: verb == "start-hidden",
                }
            }
            "wait" => {
                let (name, text) = two()?;
                Step::Wait { name, text }
            }
            "type" => {
                let (name, text) = two()?;
                Step::Type { name, text }
            }
            "eof" => Step::Eof(one()?),
            "ctrl-c" => Step::CtrlC(one()?),
            "signal" => {
                let (name, signal) = two()?;
                Step::Signal { name, signal }
            }
            "exit" => Step::Exit(one()?),
            "split" => Step::Split(one()?),
            _ => return Err(bad("unknown step (see book/scenarios/README.md)")),
        };
        steps.push((line_no, step));
    }
    Ok(Scenario {
        name: name.to_string(),
        path: path.to_path_buf(),
        steps,
        machine_dependent,
        needs_root,
    })
}

/// `cargo run [-q] -p PKG [--]` in a scenario runs `target/debug/PKG`.
fn cargo_run() -> Regex {
    Regex::new(r"cargo run (?:-q )?-p ([A-Za-z0-9_-]+)(?: --)?").expect("valid regex")
}

/// `cargo run [-q] -p PKG --example NAME [--]` in a scenario runs that
/// package's example. Several lessons have an example called `naive`, and
/// cargo's plain `target/debug/examples/naive` is whichever was built last,
/// so each is built on its own and copied to [`example_path`].
fn cargo_run_example() -> Regex {
    Regex::new(r"cargo run (?:-q )?-p ([A-Za-z0-9_-]+) --example ([A-Za-z0-9_-]+)(?: --)?")
        .expect("valid regex")
}

/// Where [`build_binaries`] keeps package `pkg`'s example `name`.
fn example_path(bin_dir: &Path, pkg: &str, name: &str) -> PathBuf {
    bin_dir.join("transcript-examples").join(pkg).join(name)
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// Builds the binaries the scenarios run, once, before any of them starts.
fn build_binaries(root: &Path, scenarios: &[Scenario]) -> Result<(), String> {
    let re = cargo_run();
    let example_re = cargo_run_example();
    let mut pkgs: Vec<String> = Vec::new();
    let mut examples: Vec<(String, String)> = Vec::new();
    for s in scenarios {
        for (_, step) in &s.steps {
            if let Step::Run(c) | Step::Setup(c) | Step::Start { cmd: c, .. } = step {
                for cap in example_re.captures_iter(c) {
                    let wanted = (cap[1].to_string(), cap[2].to_string());
                    if !examples.contains(&wanted) {
                        examples.push(wanted);
                    }
                }
                for cap in re.captures_iter(&example_re.replace_all(c, "")) {
                    if !pkgs.contains(&cap[1].to_string()) {
                        pkgs.push(cap[1].to_string());
                    }
                }
            }
        }
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let bin_dir = target_dir(root).join("debug");
    for (pkg, name) in &examples {
        let status = Command::new(&cargo)
            .current_dir(root)
            .args(["build", "-q", "--locked", "-p", pkg, "--example", name])
            .status()
            .map_err(|e| format!("run cargo build: {e}"))?;
        if !status.success() {
            return Err(format!("cargo build of {pkg}'s example {name} failed"));
        }
        let built = bin_dir.join("examples").join(name);
        let kept = example_path(&bin_dir, pkg, name);
        if let Some(dir) = kept.parent() {
            fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
        }
        fs::copy(&built, &kept)
            .map_err(|e| format!("copy {} to {}: {e}", built.display(), kept.display()))?;
    }
    if pkgs.is_empty() {
        return Ok(());
    }
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args(["build", "-q", "--locked", "--bins"]);
    for p in &pkgs {
        cmd.args(["-p", p]);
    }
    let status = cmd.status().map_err(|e| format!("run cargo build: {e}"))?;
    if !status.success() {
        return Err(format!("cargo build of {} failed", pkgs.join(", ")));
    }
    Ok(())
}

/// A directory removed when dropped.
struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    fn new(what: &str) -> Result<Self, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path =
            std::env::temp_dir().join(format!("xtask-{what}-{}-{nanos}", std::process::id()));
        fs::create_dir_all(&path).map_err(|e| format!("create {}: {e}", path.display()))?;
        Ok(ScratchDir { path })
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// What a process has printed so far, filled by a reader thread.
#[derive(Default)]
struct Output {
    lines: Vec<String>,
    partial: Vec<u8>,
    closed: bool,
}

type Shared = Arc<(Mutex<Output>, Condvar)>;

fn spawn_reader(mut from: impl Read + Send + 'static) -> Shared {
    let shared: Shared = Arc::default();
    let out = Arc::clone(&shared);
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            let n = from.read(&mut buf).unwrap_or(0);
            let (lock, cvar) = &*out;
            let mut o = lock.lock().unwrap_or_else(|e| e.into_inner());
            if n == 0 {
                if !o.partial.is_empty() {
                    let last = String::from_utf8_lossy(&o.partial).into_owned();
                    o.lines.push(last);
                    o.partial.clear();
                }
                o.closed = true;
                cvar.notify_all();
                return;
            }
            o.partial.extend_from_slice(&buf[..n]);
            while let Some(pos) = o.partial.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = o.partial.drain(..=pos).collect();
                let line = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
                o.lines.push(line);
            }
            cvar.notify_all();
        }
    });
    shared
}

/// A background process: a server, or a client in another terminal.
struct Proc {
    terminal: String,
    hidden: bool,
    child: Child,
    stdin: Option<ChildStdin>,
    out: Shared,
    shown: usize,
    status: Option<ExitStatus>,
}

/// `pid 123` / `pid=123` in output, renumbered in order of appearance.
static PID: std::sync::LazyLock<Regex> =
    std::sync::LazyLock::new(|| Regex::new(r"(pid[= ])(\d+)").expect("valid regex"));
/// `:12345`, a five-digit port after a colon (renumbered when ephemeral).
static EPHEMERAL: std::sync::LazyLock<Regex> =
    std::sync::LazyLock::new(|| Regex::new(r"(:)(\d{5})\b").expect("valid regex"));

/// One scenario in progress.
struct Run<'a> {
    scenario: &'a Scenario,
    work: ScratchDir,
    bin_dir: PathBuf,
    step_timeout: Duration,
    terminal: String,
    terminals_used: Vec<String>,
    /// `{var}` -> (value used when running, value shown in the transcript).
    vars: HashMap<String, (String, String)>,
    procs: HashMap<String, Proc>,
    last_status: HashMap<String, i32>,
    replaces: Vec<(Regex, String)>,
    /// A declared port's pattern in output (compiled once), and what is shown.
    ports: Vec<(Regex, String)>,
    paths: Vec<(String, String)>,
    ephemeral: HashMap<u32, u32>,
    pids: HashMap<u32, u32>,
    /// Output files: name -> lines tagged with their terminal.
    files: Vec<(String, Vec<(String, String)>)>,
}

fn run_scenario(root: &Path, s: &Scenario) -> Result<BTreeMap<String, String>, String> {
    let bin_dir = target_dir(root).join("debug");
    let mut run = Run {
        scenario: s,
        work: ScratchDir::new(&format!("scenario-{}", s.name))?,
        bin_dir,
        step_timeout: DEFAULT_STEP_TIMEOUT,
        terminal: "1".into(),
        terminals_used: Vec::new(),
        vars: HashMap::new(),
        procs: HashMap::new(),
        last_status: HashMap::new(),
        replaces: Vec::new(),
        ports: Vec::new(),
        paths: Vec::new(),
        ephemeral: HashMap::new(),
        pids: HashMap::new(),
        files: vec![(format!("{}.txt", s.name), Vec::new())],
    };
    let work = run.work.path.display().to_string();
    run.paths.push((work, "/tmp/work".into()));
    // `{scenarios}`: this directory, for peers kept next to the scenarios.
    let scenarios = root.join("book/scenarios").display().to_string();
    run.vars
        .insert("scenarios".into(), (scenarios, "book/scenarios".into()));
    let result = run.all_steps();
    run.kill_all();
    result?;
    Ok(run.render())
}

impl Run<'_> {
    fn all_steps(&mut self) -> Result<(), String> {
        for (line_no, step) in &self.scenario.steps {
            self.step(step).map_err(|e| {
                format!(
                    "scenario {} ({}:{line_no}): {e}",
                    self.scenario.name,
                    self.scenario.path.display()
                )
            })?;
        }
        let left: Vec<&String> = self
            .procs
            .iter()
            .filter(|(_, p)| !p.hidden && p.status.is_none())
            .map(|(n, _)| n)
            .collect();
        if let Some(name) = left.first() {
            return Err(format!(
                "scenario {}: `{name}` still runs at the end; end it with ctrl-c, eof or signal, then exit",
                self.scenario.name
            ));
        }
        Ok(())
    }

    fn step(&mut self, step: &Step) -> Result<(), String> {
        match step {
            Step::Terminal(t) => self.terminal = t.clone(),
            Step::Port { var, shown } => {
                let port = std::net::TcpListener::bind("127.0.0.1:0")
                    .and_then(|l| l.local_addr())
                    .map_err(|e| format!("find a free port: {e}"))?
                    .port()
                    .to_string();
                let pattern = Regex::new(&format!(r"(^|[:\s=]){port}\b")).expect("valid regex");
                self.ports.push((pattern, shown.clone()));
                self.vars.insert(var.clone(), (port, shown.clone()));
            }
            Step::Dir { var, shown } => {
                let path = self.work.path.join(format!("dir-{var}"));
                fs::create_dir_all(&path).map_err(|e| format!("create {}: {e}", path.display()))?;
                let path = path.display().to_string();
                self.paths.insert(0, (path.clone(), shown.clone()));
                self.vars.insert(var.clone(), (path, shown.clone()));
            }
            Step::Name { var, shown } => {
                // Unique per run (abstract socket names are machine-wide).
                let unique = format!("{shown}-{}-{}", std::process::id(), self.paths.len());
                self.paths.insert(0, (unique.clone(), shown.clone()));
                self.vars.insert(var.clone(), (unique, shown.clone()));
            }
            Step::Timeout(d) => self.step_timeout = *d,
            Step::Sleep(d) => thread::sleep(*d),
            Step::Replace(re, with) => self.replaces.push((re.clone(), with.clone())),
            Step::Split(suffix) => self
                .files
                .push((format!("{}-{suffix}.txt", self.scenario.name), Vec::new())),
            Step::Setup(cmd) => {
                let (exec, _) = self.expand(cmd)?;
                let (status, lines) = self.foreground(&exec)?;
                if status != 0 {
                    return Err(format!(
                        "setup `{cmd}` exited {status}:\n{}",
                        lines.join("\n")
                    ));
                }
            }
            Step::Run(cmd) if cmd.trim() == "echo $?" => {
                let t = self.terminal.clone();
                let status = *self
                    .last_status
                    .get(&t)
                    .ok_or("`echo $?` before any command in this terminal")?;
                self.emit(&t, format!("$ {cmd}"));
                self.emit(&t, status.to_string());
            }
            Step::Run(cmd) => {
                let (exec, shown) = self.expand(cmd)?;
                let t = self.terminal.clone();
                self.emit(&t, format!("$ {shown}"));
                let (status, lines) = self.foreground(&exec)?;
                for l in lines {
                    let l = self.normalise(&l);
                    self.emit(&t, l);
                }
                self.last_status.insert(t, status);
            }
            Step::Start { name, cmd, hidden } => {
                if self.procs.contains_key(name) {
                    return Err(format!("a process named {name} was already started"));
                }
                let (exec, shown) = self.expand(cmd)?;
                let t = self.terminal.clone();
                if !hidden {
                    self.emit(&t, format!("$ {shown}"));
                }
                let proc = self.background(&exec, &t, *hidden)?;
                self.procs.insert(name.clone(), proc);
            }
            Step::Wait { name, text } => {
                let (text, _) = self.expand(text)?;
                let idx = self.wait_for(
                    name,
                    |lines, from| {
                        lines[from..]
                            .iter()
                            .position(|l| l.contains(&text))
                            .map(|i| from + i)
                    },
                    false,
                )?;
                self.show(name, idx + 1)?;
            }
            Step::Type { name, text } => {
                let (exec, shown) = self.expand(text)?;
                let p = self.proc(name)?;
                let t = p.terminal.clone();
                let hidden = p.hidden;
                let stdin = p
                    .stdin
                    .as_mut()
                    .ok_or(format!("stdin of {name} is closed"))?;
                stdin
                    .write_all(format!("{exec}\n").as_bytes())
                    .and_then(|()| stdin.flush())
                    .map_err(|e| format!("type into {name}: {e}"))?;
                if !hidden {
                    self.emit(&t, shown);
                }
            }
            Step::Eof(name) => {
                self.proc(name)?.stdin = None;
            }
            Step::CtrlC(name) => {
                let p = self.proc(name)?;
                let (t, hidden, pid) = (p.terminal.clone(), p.hidden, p.child.id());
                if !hidden {
                    self.emit(&t, "^C".into());
                }
                signal_group(pid, "INT")?;
            }
            Step::Signal { name, signal } => {
                let pid = self.proc(name)?.child.id();
                signal_group(pid, signal)?;
            }
            Step::Exit(name) => {
                let timeout = self.step_timeout;
                let p = self.proc(name)?;
                let deadline = Instant::now() + timeout;
                let status = loop {
                    if let Some(st) = p.child.try_wait().map_err(|e| e.to_string())? {
                        break st;
                    }
                    if Instant::now() > deadline {
                        return Err(format!("{name} did not exit within {timeout:?}"));
                    }
                    thread::sleep(Duration::from_millis(10));
                };
                p.status = Some(status);
                let t = p.terminal.clone();
                // Everything it printed, to the end of its output.
                let total = self.wait_for(name, |_, _| None, true)?;
                self.show(name, total)?;
                self.last_status.insert(t, exit_code(status));
            }
        }
        Ok(())
    }

    fn proc(&mut self, name: &str) -> Result<&mut Proc, String> {
        self.procs
            .get_mut(name)
            .ok_or_else(|| format!("no process named {name} (start it first)"))
    }

    /// Waits until `find` returns a line index, or with `until_closed` until
    /// the output is closed. Bounded by the step timeout.
    fn wait_for(
        &mut self,
        name: &str,
        find: impl Fn(&[String], usize) -> Option<usize>,
        until_closed: bool,
    ) -> Result<usize, String> {
        let timeout = self.step_timeout;
        let p = self.proc(name)?;
        let from = p.shown;
        let out = Arc::clone(&p.out);
        let (lock, cvar) = &*out;
        let deadline = Instant::now() + timeout;
        let mut o = lock.lock().map_err(|_| "poisoned")?;
        loop {
            if let Some(i) = find(&o.lines, from) {
                return Ok(i);
            }
            if o.closed {
                return if until_closed {
                    Ok(o.lines.len())
                } else {
                    Err(format!(
                        "{name} closed its output before the expected line; it printed:\n{}",
                        o.lines.get(from..).unwrap_or_default().join("\n")
                    ))
                };
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!(
                    "{name}: nothing expected within {timeout:?}; it printed:\n{}",
                    o.lines.get(from..).unwrap_or_default().join("\n")
                ));
            }
            o = cvar.wait_timeout(o, left).map_err(|_| "poisoned")?.0;
        }
    }

    /// Emits a background process's lines up to (not including) `upto`.
    fn show(&mut self, name: &str, upto: usize) -> Result<(), String> {
        let p = self.proc(name)?;
        let lines: Vec<String> =
            p.out.0.lock().map_err(|_| "poisoned")?.lines[p.shown.min(upto)..upto].to_vec();
        p.shown = upto.max(p.shown);
        let (t, hidden) = (p.terminal.clone(), p.hidden);
        if !hidden {
            for l in lines {
                let l = self.normalise(&l);
                self.emit(&t, l);
            }
        }
        Ok(())
    }

    /// `{var}` and `{pid:NAME}` expanded, and `cargo run -p PKG --` replaced
    /// by the binary: (what runs, what the transcript shows).
    fn expand(&mut self, text: &str) -> Result<(String, String), String> {
        let var = Regex::new(r"\{(pid:)?([A-Za-z0-9_-]+)\}").expect("valid regex");
        let mut exec = String::new();
        let mut shown = String::new();
        let mut last = 0;
        for cap in var.captures_iter(text) {
            let m = cap.get(0).expect("group 0");
            exec.push_str(&text[last..m.start()]);
            shown.push_str(&text[last..m.start()]);
            let (e, s) = if cap.get(1).is_some() {
                let pid = self.proc(&cap[2])?.child.id();
                (pid.to_string(), self.shown_pid(pid).to_string())
            } else {
                self.vars
                    .get(&cap[2])
                    .cloned()
                    .ok_or_else(|| format!("unknown variable {{{}}}", &cap[2]))?
            };
            exec.push_str(&e);
            shown.push_str(&s);
            last = m.end();
        }
        exec.push_str(&text[last..]);
        shown.push_str(&text[last..]);
        let bin = self.bin_dir.display().to_string();
        let exec = cargo_run_example()
            .replace_all(&exec, |c: &regex::Captures| {
                example_path(&self.bin_dir, &c[1], &c[2])
                    .display()
                    .to_string()
            })
            .into_owned();
        let exec = cargo_run()
            .replace_all(&exec, |c: &regex::Captures| format!("{bin}/{}", &c[1]))
            .into_owned();
        Ok((exec, shown))
    }

    fn shown_pid(&mut self, pid: u32) -> u32 {
        let next = FIRST_SHOWN_PID + self.pids.len() as u32;
        *self.pids.entry(pid).or_insert(next)
    }

    fn command(&self, exec: &str) -> Command {
        let mut cmd = Command::new("bash");
        // Errors go where a terminal shows them: between the output lines.
        cmd.arg("-c")
            .arg(format!("umask 022\nexec 2>&1\n{exec}"))
            .current_dir(&self.work.path)
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    self.bin_dir.display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .env("LC_ALL", "C.UTF-8")
            .env("RUST_BACKTRACE", "0")
            .env("PYTHONUNBUFFERED", "1")
            .env("NO_COLOR", "1")
            .env_remove("CARGO_TARGET_DIR");
        // Its own process group, as a terminal job: Ctrl-C reaches the whole
        // pipeline, and a timeout kills all of it.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        cmd
    }

    fn foreground(&mut self, exec: &str) -> Result<(i32, Vec<String>), String> {
        let mut child = self
            .command(exec)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("spawn bash: {e}"))?;
        let mut stdout = child.stdout.take().expect("piped");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut all = Vec::new();
            let _ = stdout.read_to_end(&mut all);
            let _ = tx.send(all);
        });
        let deadline = Instant::now() + self.step_timeout;
        let status = loop {
            if let Some(st) = child.try_wait().map_err(|e| e.to_string())? {
                break st;
            }
            if Instant::now() > deadline {
                let _ = signal_group(child.id(), "KILL");
                let _ = child.wait();
                return Err(format!(
                    "`{exec}` still ran after {:?}; killed",
                    self.step_timeout
                ));
            }
            thread::sleep(Duration::from_millis(5));
        };
        let all = rx.recv_timeout(self.step_timeout).map_err(|_| {
            format!("`{exec}` exited but its output stayed open (a process left behind?)")
        })?;
        let text = String::from_utf8_lossy(&all);
        let lines = text.lines().map(str::to_string).collect();
        Ok((exit_code(status), lines))
    }

    fn background(&mut self, exec: &str, terminal: &str, hidden: bool) -> Result<Proc, String> {
        // A plain command replaces the shell, so {pid:NAME} is the program's.
        let plain = !exec.contains(['|', '&', ';', '<', '>', '(', '$', '`']);
        let exec = if plain {
            format!("exec {exec}")
        } else {
            exec.to_string()
        };
        let mut child = self
            .command(&exec)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("spawn bash: {e}"))?;
        let stdout = child.stdout.take().expect("piped");
        let stdin = child.stdin.take();
        if !hidden && !self.terminals_used.contains(&terminal.to_string()) {
            self.terminals_used.push(terminal.to_string());
        }
        Ok(Proc {
            terminal: terminal.to_string(),
            hidden,
            child,
            stdin,
            out: spawn_reader(stdout),
            shown: 0,
            status: None,
        })
    }

    fn kill_all(&mut self) {
        for p in self.procs.values_mut() {
            if p.status.is_none() {
                let _ = signal_group(p.child.id(), "KILL");
                let _ = p.child.wait();
            }
        }
    }

    fn emit(&mut self, terminal: &str, line: String) {
        if !self.terminals_used.contains(&terminal.to_string()) {
            self.terminals_used.push(terminal.to_string());
        }
        let file = self.files.last_mut().expect("one file at least");
        file.1.push((terminal.to_string(), line));
    }

    /// Ports, paths and pids that differ between runs, made stable; then the
    /// scenario's own `replace` rules.
    fn normalise(&mut self, line: &str) -> String {
        let mut s = line.to_string();
        for (from, to) in &self.paths {
            s = s.replace(from.as_str(), to);
        }
        for (re, shown) in &self.ports {
            s = re.replace_all(&s, format!("${{1}}{shown}")).into_owned();
        }
        let pid = &*PID;
        let found: Vec<u32> = pid
            .captures_iter(&s)
            .filter_map(|c| c[2].parse().ok())
            .collect();
        for p in found {
            self.shown_pid(p);
        }
        let pids = self.pids.clone();
        s = pid
            .replace_all(&s, |c: &regex::Captures| {
                let n: u32 = c[2].parse().unwrap_or(0);
                format!("{}{}", &c[1], pids.get(&n).copied().unwrap_or(n))
            })
            .into_owned();
        let eph = &*EPHEMERAL;
        let found: Vec<u32> = eph
            .captures_iter(&s)
            .filter_map(|c| c[2].parse().ok())
            .filter(|n| (32768..=60999).contains(n))
            .collect();
        for p in found {
            let next = FIRST_SHOWN_EPHEMERAL + self.ephemeral.len() as u32;
            self.ephemeral.entry(p).or_insert(next);
        }
        let map = self.ephemeral.clone();
        s = eph
            .replace_all(&s, |c: &regex::Captures| {
                let n: u32 = c[2].parse().unwrap_or(0);
                format!(":{}", map.get(&n).copied().unwrap_or(n))
            })
            .into_owned();
        for (re, with) in &self.replaces {
            s = re.replace_all(&s, with.as_str()).into_owned();
        }
        s.trim_end().to_string()
    }

    /// The files' text: with more than one terminal, a header line each time
    /// the output moves to another terminal.
    fn render(&self) -> BTreeMap<String, String> {
        let many = self.terminals_used.len() > 1;
        let mut out = BTreeMap::new();
        for (file, lines) in &self.files {
            let mut text = String::new();
            let mut current: Option<&str> = None;
            for (t, line) in lines {
                if many && current != Some(t.as_str()) {
                    if current.is_some() {
                        text.push('\n');
                    }
                    text.push_str(&format!("── terminal {t} ──\n"));
                    current = Some(t);
                }
                text.push_str(line);
                text.push('\n');
            }
            out.insert(file.clone(), text);
        }
        out
    }
}

fn exit_code(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(-1)
}

/// Sends a signal to a process group, as a terminal does for Ctrl-C.
fn signal_group(pgid: u32, signal: &str) -> Result<(), String> {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg("--")
        .arg(format!("-{pgid}"))
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("run kill: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("kill -{signal} -{pgid} failed (already gone?)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `text` as scenario `name` under a scratch root and parses it.
    fn scenario(root: &Path, name: &str, text: &str) -> Scenario {
        let dir = root.join("book/scenarios");
        fs::create_dir_all(&dir).expect("scenario dir");
        let path = dir.join(format!("{name}.scenario"));
        fs::write(&path, text).expect("write scenario");
        parse(name, &path).expect("parses")
    }

    #[test]
    fn an_example_runs_its_own_packages_build_not_the_plain_cargo_copy() {
        let re = cargo_run_example();
        let cap = re
            .captures("cargo run -q -p lesson02-basic-server --example naive -- 0")
            .expect("an example command matches");
        assert_eq!((&cap[1], &cap[2]), ("lesson02-basic-server", "naive"));
        assert_eq!(
            example_path(Path::new("/t/debug"), &cap[1], &cap[2]),
            Path::new("/t/debug/transcript-examples/lesson02-basic-server/naive")
        );
        // The plain form must not swallow `--example`'s first two dashes.
        let rest = re.replace_all("cargo run -p lesson03-echo --example naive -- server", "");
        assert_eq!(rest, " server");
        assert!(cargo_run().captures(&rest).is_none());
    }

    #[test]
    fn unknown_steps_and_bad_arguments_are_refused_with_the_line() {
        let root = ScratchDir::new("test-parse").expect("scratch");
        let dir = root.path.join("book/scenarios");
        fs::create_dir_all(&dir).expect("dir");
        for (text, why) in [
            ("run echo a\nfly away\n", ":2: unknown step"),
            ("timeout 600\n", "seconds between 0 and 60"),
            ("replace ( => x\n", "bad regex"),
            ("machine-dependent\n", "say why"),
        ] {
            let path = dir.join("bad.scenario");
            fs::write(&path, text).expect("write");
            let err = parse("bad", &path).err().expect("refused");
            assert!(err.contains(why), "{err}");
        }
    }

    #[test]
    fn a_run_shows_the_command_its_merged_output_and_the_exit_code() {
        let root = ScratchDir::new("test-run").expect("scratch");
        let s = scenario(
            &root.path,
            "demo",
            "run echo out; echo err >&2; exit 3\nrun echo $?\nsplit two\nrun printf 'a  \\nb'\n",
        );
        let files = run_scenario(&root.path, &s).expect("runs");
        assert_eq!(
            files["demo.txt"],
            "$ echo out; echo err >&2; exit 3\nout\nerr\n$ echo $?\n3\n"
        );
        // Trailing spaces go, a last line without newline is kept.
        assert_eq!(files["demo-two.txt"], "$ printf 'a  \\nb'\na\nb\n");
    }

    #[test]
    fn ports_pids_and_paths_are_normalised_the_same_way_every_time() {
        let root = ScratchDir::new("test-norm").expect("scratch");
        let s = scenario(
            &root.path,
            "norm",
            "port P 8081\ndir D /tmp/demo\nreplace \\d+ ms => N ms\n\
             run echo {P} 127.0.0.1:{P} :50123 :50999 :50123 [::1]:8080 pid=77 {D}/x 12 ms\n",
        );
        let first = run_scenario(&root.path, &s).expect("runs");
        let second = run_scenario(&root.path, &s).expect("runs again");
        assert_eq!(first, second);
        let text = &first["norm.txt"];
        assert_eq!(
            text.lines().nth(1),
            Some("8081 127.0.0.1:8081 :40001 :40002 :40001 [::1]:8080 pid=4001 /tmp/demo/x N ms"),
            "{text}"
        );
        assert!(text.starts_with("$ echo 8081 127.0.0.1:8081"), "{text}");
    }

    #[test]
    fn background_output_appears_at_waits_and_ctrl_c_reaches_the_process() {
        let root = ScratchDir::new("test-bg").expect("scratch");
        let s = scenario(
            &root.path,
            "bg",
            "terminal a\n\
             start srv bash -c 'trap \"echo got INT; exit 0\" INT; echo ready; read line; echo \"heard $line\"; sleep 5 & wait'\n\
             wait srv ready\n\
             terminal b\nrun echo from b\n\
             type srv hello\nwait srv heard\nctrl-c srv\nexit srv\n",
        );
        let files = run_scenario(&root.path, &s).expect("runs");
        assert_eq!(
            files["bg.txt"],
            "── terminal a ──\n$ bash -c 'trap \"echo got INT; exit 0\" INT; echo ready; read line; echo \"heard $line\"; sleep 5 & wait'\nready\n\n\
             ── terminal b ──\n$ echo from b\nfrom b\n\n\
             ── terminal a ──\nhello\nheard hello\n^C\ngot INT\n"
        );
    }

    #[test]
    fn a_process_left_running_or_a_step_that_hangs_fails_the_scenario() {
        let root = ScratchDir::new("test-fail").expect("scratch");
        let s = scenario(&root.path, "left", "start s sleep 30\n");
        let err = run_scenario(&root.path, &s).expect_err("fails");
        assert!(err.contains("still runs at the end"), "{err}");
        let s = scenario(&root.path, "hang", "timeout 0.3\nrun sleep 30\n");
        let started = Instant::now();
        let err = run_scenario(&root.path, &s).expect_err("fails");
        assert!(err.contains("killed"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
