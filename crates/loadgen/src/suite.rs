//! `loadgen suite`: everything `make bench` measures, in one go.
//!
//! For each case it starts a fresh server process (a lesson's release
//! binary, or this crate's reference/HTTP server), reads its
//! `listening on <addr>` line, runs one workload against it in this
//! process, checks the server is still alive, and kills it. Servers are
//! killed on every path out: normal end, error (`Drop`), and SIGINT/SIGTERM
//! of the suite (a handler kills every registered child before exiting).
//!
//! Results go to `<out>/results.json` and `<out>/results.md`, charts to
//! `<out>/*.svg` and, with `--plots`, to the book's directory as well. Each
//! server's stdout and stderr are kept in `<out>/logs/`.
//! `--smoke` runs every workload briefly (debug builds are fine) and fails
//! loudly if any produced no results: it keeps the harness from rotting
//! without measuring anything.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use common::{errln, outln};
use serde_json::{Map, Value};

use crate::bulk::{self, BulkOpts};
use crate::chat::{self, ChatMode, ChatOpts};
use crate::connect::{self, ConnectOpts};
use crate::echo::{self, EchoOpts};
use crate::measure::{self, RssMethod};
use crate::record::Record;
use crate::results::Results;
use crate::udp::{self, UdpOpts};

/// Flags of `suite`.
#[derive(Debug, clap::Args)]
pub struct SuiteArgs {
    /// Directory with the lesson binaries (default: this binary's directory,
    /// e.g. target/release).
    #[arg(long)]
    pub bin_dir: Option<PathBuf>,
    /// Where results.json, results.md and the SVGs go.
    #[arg(long, default_value = "target/bench")]
    pub out: PathBuf,
    /// Also write the SVG charts here (the book: book/src/benchmarks).
    #[arg(long)]
    pub plots: Option<PathBuf>,
    /// A second or so per workload, smaller sizes: checks the harness, not
    /// the servers.
    #[arg(long)]
    pub smoke: bool,
    /// Only these workloads (comma separated: echo,connect,bulk,chat,udp,fetch).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Seconds of warm-up per run (default 1, smoke 0.2).
    #[arg(long, value_parser = crate::parse_warmup)]
    pub warmup: Option<Duration>,
    /// Seconds measured per run (default 3, smoke 0.5).
    #[arg(long, value_parser = common::args::parse_secs)]
    pub duration: Option<Duration>,
}

// ---------------------------------------------------------------- servers

/// Where server logs go (`<out>/logs`), and how many were started.
static LOGS: Mutex<Option<(PathBuf, usize)>> = Mutex::new(None);

/// The stdout and stderr files for the next server called `name`:
/// `<out>/logs/NN-<name>.out` and `.err`.
fn log_paths(name: &str) -> Result<(PathBuf, PathBuf)> {
    let mut logs = LOGS
        .lock()
        .map_err(|_| anyhow!("log directory lock poisoned"))?;
    let (dir, n) = logs.get_or_insert_with(|| (std::env::temp_dir().join("loadgen-logs"), 0));
    std::fs::create_dir_all(&*dir).with_context(|| format!("create {}", dir.display()))?;
    *n += 1;
    let slug: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let base = dir.join(format!("{n:02}-{slug}"));
    Ok((base.with_extension("out"), base.with_extension("err")))
}

/// Pids of running servers, killed by the signal handler.
static CHILDREN: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// Installs a SIGINT/SIGTERM handler that kills every server still running
/// and exits 130. (A Ctrl-C in a terminal reaches the servers too, since
/// they share the process group; a `kill` of the suite alone does not.)
fn kill_children_on_signals() -> Result<()> {
    ctrlc::set_handler(|| {
        let pids: Vec<u32> = CHILDREN.lock().map(|p| p.clone()).unwrap_or_default();
        for pid in pids {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        errln!("bench: interrupted; servers killed");
        std::process::exit(130);
    })
    .context("install signal handler")
}

/// A server process started for one case.
pub struct ServerProc {
    name: String,
    child: Child,
    /// Held open so a server with a console (lesson 08) never sees EOF.
    _stdin: Option<ChildStdin>,
    /// Its address, from the ready line.
    pub addr: SocketAddr,
    /// Where its stderr goes.
    err_path: PathBuf,
}

impl ServerProc {
    /// Starts `program args...` and waits (at most 20 s) for its
    /// `listening on <addr>` line.
    ///
    /// Its stdout and stderr go to files under `<out>/logs/` rather than
    /// pipes: a pipe would need a thread here reading every log line, and
    /// waking that thread for each line (lessons log each connection) would
    /// cost the load generator CPU and distort what is measured. The ready
    /// line is read back from the file.
    pub fn start(name: &str, program: &Path, args: &[String]) -> Result<ServerProc> {
        let (out_path, err_path) = log_paths(name)?;
        let out = std::fs::File::create(&out_path)
            .with_context(|| format!("create {}", out_path.display()))?;
        let err = std::fs::File::create(&err_path)
            .with_context(|| format!("create {}", err_path.display()))?;
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(out)
            .stderr(err)
            .spawn()
            .with_context(|| format!("start {}", program.display()))?;
        if let Ok(mut p) = CHILDREN.lock() {
            p.push(child.id());
        }
        let stdin = child.stdin.take();
        let mut proc = ServerProc {
            name: name.to_string(),
            child,
            _stdin: stdin,
            addr: "127.0.0.1:0".parse()?,
            err_path,
        };
        // Bounded: 20 s of 10 ms polls.
        let mut first = None;
        for _ in 0..2000 {
            let text = std::fs::read_to_string(&out_path).unwrap_or_default();
            if let Some((line, _)) = text.split_once('\n') {
                first = Some(line.to_string());
                break;
            }
            if let Some(status) = proc.child.try_wait()? {
                bail!(
                    "{name} exited at start ({status}); stderr: {}",
                    proc.stderr()
                );
            }
            thread::sleep(Duration::from_millis(10));
        }
        let first = first.ok_or_else(|| {
            anyhow!(
                "{name}: no ready line within 20 s; stderr: {}",
                proc.stderr()
            )
        })?;
        let addr = first
            .strip_prefix("listening on ")
            .and_then(|r| r.split(' ').next())
            .ok_or_else(|| anyhow!("{name}: first stdout line is not a ready line: {first:?}"))?;
        proc.addr = addr
            .parse()
            .with_context(|| format!("{name}: ready address {addr:?}"))?;
        Ok(proc)
    }

    /// The last lines the server wrote to stderr.
    pub fn stderr(&self) -> String {
        let text = std::fs::read_to_string(&self.err_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join(" | ")
    }

    /// An error if the server has exited (it crashed during the run).
    pub fn ensure_running(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!(
                "{} exited during the run ({status}); stderr: {}",
                self.name,
                self.stderr()
            );
        }
        Ok(())
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let id = self.child.id();
        if let Ok(mut p) = CHILDREN.lock() {
            p.retain(|&x| x != id);
        }
    }
}

// ---------------------------------------------------------------- designs

/// The greeting lessons 05 and 06 (and the reference) send.
const HELLO: &str = "Hello client";

/// A server to start: label, program, arguments, greeting.
#[derive(Debug, Clone)]
struct Design {
    label: String,
    program: PathBuf,
    args: Vec<String>,
    greeting: Option<String>,
}

impl Design {
    fn new(label: &str, program: PathBuf, args: &[&str], greeting: Option<&str>) -> Design {
        Design {
            label: label.to_string(),
            program,
            args: args.iter().map(|s| s.to_string()).collect(),
            greeting: greeting.map(String::from),
        }
    }

    /// The command line as shown in the results.
    fn command(&self) -> String {
        let name = self
            .program
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        std::iter::once(name)
            .chain(self.args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Where binaries are.
struct Bins {
    dir: PathBuf,
    me: PathBuf,
}

impl Bins {
    fn lesson(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
    fn lesson05(&self) -> Design {
        Design::new(
            "lesson05",
            self.lesson("lesson05-threaded"),
            &["--port", "0", "--quiet"],
            Some(HELLO),
        )
    }
    fn lesson06_default(&self) -> Design {
        Design::new(
            &format!("lesson06 default ({} workers)", cpus()),
            self.lesson("lesson06-thread-pool"),
            &["--port", "0", "--quiet"],
            Some(HELLO),
        )
    }
    fn lesson06_sized(&self, workers: usize) -> Design {
        let mut d = Design::new(
            "lesson06 workers=conns",
            self.lesson("lesson06-thread-pool"),
            &["--port", "0", "--quiet", "--workers"],
            Some(HELLO),
        );
        d.args.push(workers.to_string());
        d.args.extend(["--queue".to_string(), "64".to_string()]);
        d
    }
    fn lesson08(&self) -> Design {
        Design::new(
            "lesson08",
            self.lesson("lesson08-select-chat"),
            &["server", "--port", "0"],
            None,
        )
    }
    fn lesson13(&self) -> Design {
        Design::new(
            "lesson13",
            self.lesson("lesson13-async-chat"),
            &["server", "--port", "0"],
            None,
        )
    }
    fn poll_chat(&self) -> Design {
        Design::new(
            "poll_chat",
            self.dir.join("examples").join("poll_chat"),
            &["--port", "0"],
            None,
        )
    }
    fn reference(&self, greeting: bool) -> Design {
        let mut d = Design::new(
            "reference",
            self.me.clone(),
            &["ref-server", "--port", "0"],
            Some(HELLO),
        );
        if !greeting {
            d.args.push("--no-greeting".into());
            d.greeting = None;
        }
        d
    }
}

fn cpus() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

// ---------------------------------------------------------------- the suite

/// Sizes and times of one suite run.
struct Plan {
    warmup: Duration,
    duration: Duration,
    echo_conns: Vec<usize>,
    connect_clients: Vec<usize>,
    chat_clients: Vec<usize>,
    chat_messages: usize,
    chat_big: Option<usize>,
    /// The sustained-throughput run: clients, senders, lines in flight each.
    chat_window: (usize, usize, usize),
    /// `--smoke`: the engines other than lesson 08 run the window run only.
    smoke: bool,
    fetch_bytes: u64,
    fetch_runs: usize,
}

impl Plan {
    fn new(args: &SuiteArgs) -> Plan {
        if args.smoke {
            Plan {
                warmup: args.warmup.unwrap_or(Duration::from_millis(200)),
                duration: args.duration.unwrap_or(Duration::from_millis(500)),
                echo_conns: vec![1, 10],
                connect_clients: vec![4],
                chat_clients: vec![10],
                chat_messages: 20,
                chat_big: None,
                chat_window: (20, 4, 4),
                smoke: true,
                fetch_bytes: 8 << 20,
                fetch_runs: 1,
            }
        } else {
            Plan {
                warmup: args.warmup.unwrap_or(Duration::from_secs(1)),
                duration: args.duration.unwrap_or(Duration::from_secs(3)),
                echo_conns: vec![1, 10, 100, 1000],
                connect_clients: vec![1, 10, 50],
                chat_clients: vec![10, 100, 1000],
                chat_messages: 100,
                chat_big: Some(10_000),
                chat_window: (500, 10, 16),
                smoke: false,
                fetch_bytes: 1 << 30,
                fetch_runs: 5,
            }
        }
    }
}

impl Plan {
    /// Every chat run, the same for each engine.
    fn chat_runs(&self) -> Vec<ChatRun> {
        let mut runs = Vec::new();
        for &clients in &self.chat_clients {
            for mode in [ChatMode::One, ChatMode::Burst] {
                runs.push(ChatRun {
                    clients,
                    mode,
                    senders: 10,
                    messages: self.chat_messages,
                });
            }
        }
        let (clients, senders, _) = self.chat_window;
        runs.push(ChatRun {
            clients,
            mode: ChatMode::Window,
            senders,
            messages: 0,
        });
        if let Some(big) = self.chat_big {
            runs.push(ChatRun {
                clients: big,
                mode: ChatMode::One,
                senders: 1,
                messages: 3,
            });
        }
        runs
    }

    /// The workload's options for one run against design `d`.
    fn chat_opts(&self, addr: SocketAddr, run: ChatRun, d: &Design) -> ChatOpts {
        ChatOpts {
            addr,
            clients: run.clients,
            senders: run.senders,
            messages: run.messages,
            mode: run.mode,
            window: self.chat_window.2,
            // The 10,000-client run only checks that a broadcast reaches
            // everyone: no warm-up.
            warmup: if run.clients > 1000 {
                Duration::ZERO
            } else {
                self.warmup
            },
            duration: if run.mode == ChatMode::Window {
                self.duration
            } else {
                self.duration.max(Duration::from_secs(1))
            },
            join_timeout: Duration::from_secs(600),
            delivery_timeout: Duration::from_secs(10),
            target: d.label.clone(),
        }
    }
}

/// One case of the suite: runs a workload against a fresh server.
type Case<'a> = Box<dyn Fn() -> Result<Vec<Record>> + 'a>;
/// A case and its name in the progress lines.
type Named<'a> = (String, Case<'a>);

// ANCHOR: suite_run
/// Runs the suite and writes its files.
pub fn run(args: &SuiteArgs) -> Result<()> {
    kill_children_on_signals()?;
    let bins = Bins::find(args)?;
    let plan = Plan::new(args);
    prepare_out_dir(&args.out)?;
    let mut res = Results::default();
    machine_info(&mut res.machine, args, &plan);
    if let Some(previous) = args.plots.as_deref().and_then(previous_chat_rows) {
        res.machine.insert("previous_chat".into(), previous);
    }
    let started = Instant::now();
    let cases = cases(args, &bins, &plan);
    run_cases(&cases, args.smoke, &mut res);
    write_files(&mut res, args, started)?;
    check_problems(&res, cases.len(), &args.only)
}
// ANCHOR_END: suite_run

impl Bins {
    /// `--bin-dir`, or the directory this program was started from.
    fn find(args: &SuiteArgs) -> Result<Bins> {
        let me = std::env::current_exe().context("find own executable")?;
        let dir = match &args.bin_dir {
            Some(d) => d.clone(),
            None => me
                .parent()
                .map(Path::to_path_buf)
                .context("own executable has no directory")?,
        };
        Ok(Bins { dir, me })
    }
}

/// Creates `out` and empties its `logs/`, where servers' output goes.
fn prepare_out_dir(out: &Path) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("create {}", out.display()))?;
    let logs = out.join("logs");
    if logs.exists() {
        std::fs::remove_dir_all(&logs).with_context(|| format!("clear {}", logs.display()))?;
    }
    if let Ok(mut l) = LOGS.lock() {
        *l = Some((logs, 0));
    }
    Ok(())
}

/// Every case selected by `--only`, in the order they run.
fn cases<'a>(args: &'a SuiteArgs, bins: &'a Bins, plan: &'a Plan) -> Vec<Named<'a>> {
    let wanted = |w: &str| args.only.is_empty() || args.only.iter().any(|o| o == w);
    let mut cases = Vec::new();
    if wanted("echo") {
        cases.extend(echo_cases(bins, plan));
    }
    if wanted("connect") {
        cases.extend(connect_cases(bins, plan));
    }
    if wanted("bulk") {
        cases.extend(bulk_cases(bins, plan));
    }
    if wanted("chat") {
        cases.extend(chat_cases(bins, plan));
    }
    if wanted("udp") {
        cases.extend(udp_cases(bins, plan));
    }
    if wanted("fetch") {
        let out = &args.out;
        let smoke = args.smoke;
        cases.push((
            "fetch lesson09 vs curl".into(),
            Box::new(move || fetch_race(bins, plan, out, smoke)),
        ));
    }
    cases
}

/// Echo round trips against lessons 05, 06 and the reference.
fn echo_cases<'a>(bins: &'a Bins, plan: &'a Plan) -> Vec<Named<'a>> {
    let mut cases: Vec<Named<'a>> = Vec::new();
    for &n in &plan.echo_conns {
        for d in [
            bins.lesson05(),
            bins.lesson06_sized(n),
            bins.lesson06_default(),
            bins.reference(true),
        ] {
            cases.push((
                format!("echo {} conns={n}", d.label),
                Box::new(move || {
                    with_server(&d, |addr| {
                        echo::run(&EchoOpts {
                            addr,
                            conns: n,
                            size: 64,
                            warmup: plan.warmup,
                            duration: plan.duration,
                            greeting: d.greeting.clone(),
                            threads: 1,
                            target: d.label.clone(),
                        })
                    })
                }),
            ));
        }
    }
    cases
}

/// Short connections against lessons 05, 06 and the reference.
fn connect_cases<'a>(bins: &'a Bins, plan: &'a Plan) -> Vec<Named<'a>> {
    let mut cases: Vec<Named<'a>> = Vec::new();
    for &n in &plan.connect_clients {
        for d in [
            bins.lesson05(),
            bins.lesson06_sized(n),
            bins.lesson06_default(),
            bins.reference(true),
        ] {
            cases.push((
                format!("connect {} clients={n}", d.label),
                Box::new(move || {
                    with_server(&d, |addr| {
                        connect::run(&ConnectOpts {
                            addr,
                            clients: n,
                            size: 64,
                            warmup: plan.warmup,
                            duration: plan.duration,
                            greeting: d.greeting.clone(),
                            target: d.label.clone(),
                        })
                    })
                }),
            ));
        }
    }
    cases
}

/// One streaming connection through lesson 03 and the reference.
fn bulk_cases<'a>(bins: &'a Bins, plan: &'a Plan) -> Vec<Named<'a>> {
    let lesson03 = Design::new(
        "lesson03",
        bins.lesson("lesson03-echo"),
        &["server", "--port", "0"],
        None,
    );
    let mut cases: Vec<Named<'a>> = Vec::new();
    for d in [lesson03, bins.reference(false)] {
        cases.push((
            format!("bulk {}", d.label),
            Box::new(move || {
                with_server(&d, |addr| {
                    bulk::run(&BulkOpts {
                        addr,
                        chunk: 64 * 1024,
                        window: 1024 * 1024,
                        warmup: plan.warmup,
                        duration: plan.duration,
                        greeting: d.greeting.clone(),
                        target: d.label.clone(),
                    })
                })
            }),
        ));
    }
    cases
}

/// One chat run: clients, pacing, senders, lines per sender.
#[derive(Debug, Clone, Copy)]
struct ChatRun {
    clients: usize,
    mode: ChatMode,
    senders: usize,
    messages: usize,
}

// ANCHOR: chat_cases
/// The chat room on its three engines: lesson 08 (mio), lesson 13 (tokio)
/// and lesson 08's `poll_chat` example (poll(2)), on the same runs.
fn chat_cases<'a>(bins: &'a Bins, plan: &'a Plan) -> Vec<Named<'a>> {
    let mut cases: Vec<Named<'a>> = Vec::new();
    for (design, max_clients) in [
        (bins.lesson08(), usize::MAX),
        (bins.lesson13(), usize::MAX),
        // poll(2) passes every descriptor on every call, and the example
        // does not raise its descriptor limit: the smaller rooms only.
        (bins.poll_chat(), 1000),
    ] {
        for run in plan.chat_runs() {
            let short_smoke =
                plan.smoke && design.label != "lesson08" && run.mode != ChatMode::Window;
            if run.clients > max_clients || short_smoke {
                continue;
            }
            let d = design.clone();
            cases.push((
                format!(
                    "chat {} clients={} mode={}",
                    d.label,
                    run.clients,
                    run.mode.name()
                ),
                Box::new(move || with_server(&d, |addr| chat::run(&plan.chat_opts(addr, run, &d)))),
            ));
        }
    }
    cases
}
// ANCHOR_END: chat_cases

/// Datagram round trips against lesson 07.
fn udp_cases<'a>(bins: &'a Bins, plan: &'a Plan) -> Vec<Named<'a>> {
    let d = Design::new(
        "lesson07",
        bins.lesson("lesson07-udp"),
        &["server", "--port", "0"],
        None,
    );
    vec![(
        "udp lesson07".into(),
        Box::new(move || {
            with_server(&d, |addr| {
                udp::run(&UdpOpts {
                    addr,
                    size: 64,
                    timeout: Duration::from_millis(200),
                    warmup: plan.warmup,
                    duration: plan.duration,
                    target: d.label.clone(),
                })
            })
        }),
    )]
}

/// Runs every case in turn, printing each result line; a case that fails
/// or measures nothing is a problem, and the suite goes on.
fn run_cases(cases: &[Named<'_>], smoke: bool, res: &mut Results) {
    let total = cases.len();
    for (i, (name, case)) in cases.iter().enumerate() {
        outln!("bench [{}/{total}] {name}", i + 1);
        match case() {
            Ok(records) => {
                for r in records {
                    outln!("{}", r.line());
                    if let Some(why) = empty_result(&r, smoke) {
                        res.problems.push(format!("{name}: {why}"));
                        errln!("bench: {name}: {why}");
                    }
                    res.records.push(r);
                }
            }
            Err(e) => {
                errln!("bench: {name}: error: {e:#}");
                res.problems.push(format!("{name}: {e:#}"));
            }
        }
    }
}

/// Writes results.json, results.md and the charts, and prints the targets.
fn write_files(res: &mut Results, args: &SuiteArgs, started: Instant) -> Result<()> {
    res.machine
        .insert("loadavg_end".into(), Value::from(loadavg()));
    res.machine.insert(
        "suite_secs".into(),
        Value::from((started.elapsed().as_secs_f64() * 10.0).round() / 10.0),
    );
    let json_path = args.out.join("results.json");
    std::fs::write(
        &json_path,
        serde_json::to_string_pretty(&res.json())? + "\n",
    )
    .with_context(|| format!("write {}", json_path.display()))?;
    crate::report::write_all(res, &args.out, args.plots.as_deref())?;
    outln!("{}", crate::report::targets_text(res));
    outln!(
        "bench: wrote {}, {} and charts ({} runs in {:.0} s)",
        json_path.display(),
        args.out.join("results.md").display(),
        res.records.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Fails when nothing ran or some case failed.
fn check_problems(res: &Results, total: usize, only: &[String]) -> Result<()> {
    if total == 0 {
        bail!("no workload selected (--only {only:?})");
    }
    if !res.problems.is_empty() {
        bail!(
            "{} of {total} cases failed or produced no results:\n  {}",
            res.problems.len(),
            res.problems.join("\n  ")
        );
    }
    Ok(())
}

/// Lesson 08's chat rows of the previous run, read from the book's copy of
/// the tables (`<plots>/results.md`) before this run overwrites it: its
/// figures after a change are compared with its figures before.
fn previous_chat_rows(plots: &Path) -> Option<Value> {
    let md = std::fs::read_to_string(plots.join("results.md")).ok()?;
    let rows = crate::report::parse_chat_rows(&md, "lesson08");
    (!rows.is_empty()).then(|| Value::from(rows))
}

/// Starts a design's server, runs `work` against it, checks it survived.
fn with_server(d: &Design, work: impl FnOnce(SocketAddr) -> Result<Record>) -> Result<Vec<Record>> {
    let mut server = ServerProc::start(&d.label, &d.program, &d.args)?;
    let r = work(server.addr).with_context(|| format!("against {}", d.command()));
    let alive = server.ensure_running();
    let r = r?;
    alive?;
    Ok(vec![r.text("server", &d.command())])
}

/// Why a record counts as "no results" (the harness must fail loudly), if
/// it does. In smoke mode a chat line that went missing is a failure too.
pub fn empty_result(r: &Record, smoke: bool) -> Option<String> {
    let zero = |k: &str| r.num(k).is_none_or(|v| v <= 0.0);
    let why = match r.workload.as_str() {
        "echo" if zero("round_trips") => "no echo round trip completed",
        "connect" if zero("connections") => "no connection completed",
        "bulk" if zero("bytes") => "no bytes echoed",
        "chat" if zero("deliveries") => "no chat line delivered",
        "chat" if smoke && !zero("missing") => "chat lines went missing",
        "udp" if zero("received") => "no datagram came back",
        "fetch" if zero("wall_s") || zero("bytes") => "no download measured",
        _ => return None,
    };
    Some(why.to_string())
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn machine_info(m: &mut Map<String, Value>, args: &SuiteArgs, plan: &Plan) {
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap_or_default()
        .trim()
        .to_string();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_default();
    let date = Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    m.insert("date".into(), Value::from(date));
    m.insert("cpus".into(), Value::from(cpus()));
    m.insert("cpu".into(), Value::from(cpu));
    m.insert("kernel".into(), Value::from(kernel));
    m.insert("loadavg_start".into(), Value::from(loadavg()));
    m.insert("smoke".into(), Value::from(args.smoke));
    m.insert("warmup_s".into(), Value::from(plan.warmup.as_secs_f64()));
    m.insert(
        "duration_s".into(),
        Value::from(plan.duration.as_secs_f64()),
    );
    let profile = args
        .bin_dir
        .as_ref()
        .and_then(|d| d.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| {
            if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            }
            .into()
        });
    m.insert("build".into(), Value::from(profile));
}

// ---------------------------------------------------------------- fetch race

/// Which HTTP server serves the download.
enum HttpBackend {
    /// Debian's nginx, run with a generated config under `<out>/nginx`.
    Nginx(PathBuf),
    /// `loadgen http-server`.
    Own,
}

fn find_nginx() -> Option<PathBuf> {
    ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// A started HTTP server and the URL of a `bytes`-long body on it.
struct HttpServer {
    _proc: Option<ServerProc>,
    _nginx: Option<NginxProc>,
    base: String,
    name: String,
}

/// Runs lesson 09 and curl against the same server: content check first,
/// then `runs` timed downloads each, alternating.
fn fetch_race(bins: &Bins, plan: &Plan, out: &Path, smoke: bool) -> Result<Vec<Record>> {
    let lesson09 = bins.lesson("lesson09-http-fetch");
    let curl = ["/usr/bin/curl", "/usr/local/bin/curl"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    // The race needs curl; the smoke test only needs lesson 09 to work.
    let mut contenders: Vec<(&str, PathBuf, Vec<String>)> = vec![("lesson09", lesson09, vec![])];
    match curl {
        Some(c) => contenders.push(("curl", c, vec!["-sSf".into()])),
        None if smoke => outln!("bench: curl is not installed; fetching with lesson 09 only"),
        None => bail!("curl is not installed (apt-get install curl)"),
    }
    let backend = match find_nginx() {
        Some(n) => HttpBackend::Nginx(n),
        None => HttpBackend::Own,
    };
    let check_len: u64 = 8 << 20;
    let server = start_http(&backend, bins, out, &[check_len, plan.fetch_bytes])?;

    // 1. Each downloads a small body to a file; every byte is checked.
    let check_url = format!("{}{check_len}", server.base);
    for (who, prog, flags) in &contenders {
        let file = out.join(format!("fetch-check-{who}.bin"));
        let mut args = flags.clone();
        args.extend([
            check_url.clone(),
            "-o".into(),
            file.to_string_lossy().into_owned(),
        ]);
        measure::run(
            RssMethod::ProcPoll,
            &prog.to_string_lossy(),
            &args,
            Duration::from_secs(60),
        )
        .with_context(|| format!("{who}: download {check_url}"))?;
        let data = std::fs::read(&file).with_context(|| format!("read {}", file.display()))?;
        let _ = std::fs::remove_file(&file);
        let pattern = bulk::pattern_buffer(data.len().max(1));
        let ok = data.len() as u64 == check_len && bulk::matches_pattern(&pattern, 0, &data);
        if !ok {
            bail!(
                "{who} downloaded {} bytes of {check_len}, or wrong bytes, from {check_url}",
                data.len()
            );
        }
    }

    // 2. The timed race, alternating, to /dev/null so the disk is not
    // measured.
    let method = RssMethod::detect();
    let url = format!("{}{}", server.base, plan.fetch_bytes);
    for (_, _, flags) in contenders.iter_mut() {
        flags.extend([url.clone(), "-o".into(), "/dev/null".into()]);
    }
    let mut walls: Vec<Vec<f64>> = vec![Vec::new(); contenders.len()];
    let mut rss = vec![0u64; contenders.len()];
    for _ in 0..plan.fetch_runs {
        for (i, (who, prog, args)) in contenders.iter().enumerate() {
            let m = measure::run(
                method,
                &prog.to_string_lossy(),
                args,
                Duration::from_secs(300),
            )
            .with_context(|| format!("{who}: download {url}"))?;
            walls[i].push(m.wall_secs);
            rss[i] = rss[i].max(m.peak_rss_kib);
        }
    }
    Ok(contenders
        .iter()
        .enumerate()
        .map(|(i, (who, prog, args))| {
            let mut w = walls[i].clone();
            w.sort_by(f64::total_cmp);
            let median = w[w.len() / 2];
            let name = prog
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Record::new("fetch", who)
                .int("bytes", plan.fetch_bytes)
                .int("runs", w.len() as u64)
                .float("wall_s", median)
                .float("wall_min_s", w[0])
                .float("mb_per_s", plan.fetch_bytes as f64 / 1e6 / median)
                .int("peak_rss_kib", rss[i])
                .text("http_server", &server.name)
                .text("rss_method", method.name())
                .text("server", &format!("{name} {}", args.join(" ")))
        })
        .collect())
}

/// Starts the HTTP server; URLs are `<base><bytes>`.
fn start_http(backend: &HttpBackend, bins: &Bins, out: &Path, sizes: &[u64]) -> Result<HttpServer> {
    match backend {
        HttpBackend::Own => {
            let p = ServerProc::start(
                "http-server",
                &bins.me,
                &["http-server".into(), "--port".into(), "0".into()],
            )?;
            let base = format!("http://{}/bytes/", p.addr);
            Ok(HttpServer {
                _proc: Some(p),
                _nginx: None,
                base,
                name: "loadgen http-server".into(),
            })
        }
        HttpBackend::Nginx(bin) => {
            let n = NginxProc::start(bin, &out.join("nginx"), sizes)?;
            let base = format!("http://{}/bytes/", n.addr);
            Ok(HttpServer {
                _proc: None,
                _nginx: Some(n),
                base,
                name: format!("nginx ({})", bin.display()),
            })
        }
    }
}

/// nginx in the foreground with a config of our own, on loopback.
struct NginxProc {
    child: Child,
    addr: SocketAddr,
}

impl NginxProc {
    /// Writes `<dir>/www/bytes/<n>` for each size (the pattern for small
    /// ones, a sparse file of zeros for big ones: written in no time, read
    /// from the page cache), a config, and starts nginx on a free port.
    fn start(bin: &Path, dir: &Path, sizes: &[u64]) -> Result<NginxProc> {
        let www = dir.join("www").join("bytes");
        std::fs::create_dir_all(&www).with_context(|| format!("create {}", www.display()))?;
        for &n in sizes {
            let path = www.join(n.to_string());
            if std::fs::metadata(&path).is_ok_and(|m| m.len() == n) {
                continue;
            }
            if n <= 64 << 20 {
                let data = bulk::pattern_buffer(n as usize);
                std::fs::write(&path, &data[..n as usize])
            } else {
                std::fs::File::create(&path).and_then(|f| f.set_len(n))
            }
            .with_context(|| format!("write {}", path.display()))?;
        }
        // A free port: bind, note it, release it (a small race, fine here).
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
        let d = dir.canonicalize()?;
        let d = d.display();
        let conf = format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\n\
             error_log {d}/error.log;\nevents {{ worker_connections 64; }}\nhttp {{\n\
             access_log off;\nsendfile on;\nclient_body_temp_path {d}/tmp;\n\
             proxy_temp_path {d}/tmp;\nfastcgi_temp_path {d}/tmp;\nuwsgi_temp_path {d}/tmp;\n\
             scgi_temp_path {d}/tmp;\ndefault_type application/octet-stream;\n\
             server {{ listen {addr}; root {d}/www; }}\n}}\n"
        );
        std::fs::create_dir_all(dir.join("tmp"))?;
        let conf_path = dir.join("nginx.conf");
        std::fs::write(&conf_path, conf)?;
        let child = Command::new(bin)
            .arg("-c")
            .arg(conf_path.canonicalize()?)
            .arg("-p")
            .arg(dir.canonicalize()?)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("start {}", bin.display()))?;
        if let Ok(mut p) = CHILDREN.lock() {
            p.push(child.id());
        }
        let mut n = NginxProc { child, addr };
        // nginx prints no ready line: wait until it accepts (at most 10 s).
        for _ in 0..200 {
            if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(n);
            }
            if let Some(st) = n.child.try_wait()? {
                bail!("nginx exited ({st}); see {}/error.log", dir.display());
            }
            thread::sleep(Duration::from_millis(50));
        }
        bail!("nginx did not accept connections on {addr} within 10 s")
    }
}

impl Drop for NginxProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let id = self.child.id();
        if let Ok(mut p) = CHILDREN.lock() {
            p.retain(|&x| x != id);
        }
    }
}
