//! `results.md` (tables and the targets) and the SVG charts, both computed
//! from the records alone, so `loadgen plot` can redraw them from a saved
//! `results.json`.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

use crate::plot::{self, YScale};
use crate::record::{Record, Val};
use crate::results::Results;

/// One goal of issue 7, checked against a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// What is compared.
    pub what: String,
    /// The goal, in words (`>= 0.8x`).
    pub goal: String,
    /// The measured figures behind the verdict.
    pub measured: String,
    /// `Some(true)` met, `Some(false)` missed, `None` not measured.
    pub met: Option<bool>,
}

/// The first record of `workload` whose target starts with `target` and
/// whose field `key` equals `value`.
pub fn find<'a>(
    records: &'a [Record],
    workload: &str,
    target: &str,
    key: &str,
    value: f64,
) -> Option<&'a Record> {
    records.iter().find(|r| {
        r.workload == workload && r.target.starts_with(target) && r.num(key) == Some(value)
    })
}

fn ratio_target(
    what: String,
    min: f64,
    a: Option<&Record>,
    b: Option<&Record>,
    key: &str,
) -> Target {
    let (measured, met) = match (a.and_then(|r| r.num(key)), b.and_then(|r| r.num(key))) {
        (Some(x), Some(y)) if y > 0.0 => (
            format!("{} / {} = {:.2}x", fmt(x), fmt(y), x / y),
            Some(x / y >= min),
        ),
        _ => ("not measured".to_string(), None),
    };
    Target {
        what,
        goal: format!(">= {min}x"),
        measured,
        met,
    }
}

/// Checks every target of the issue against `records`.
pub fn targets(records: &[Record]) -> Vec<Target> {
    let mut t = Vec::new();
    for (n, min) in [(10.0, 0.8), (100.0, 0.8), (1000.0, 0.5)] {
        t.push(ratio_target(
            format!("echo rt/s at {n} conns: lesson05 / reference"),
            min,
            find(records, "echo", "lesson05", "conns", n),
            find(records, "echo", "reference", "conns", n),
            "rt_per_s",
        ));
    }
    t.push(ratio_target(
        "echo rt/s at 10 conns: lesson06 (workers = conns) / reference".into(),
        0.8,
        find(records, "echo", "lesson06 workers=conns", "conns", 10.0),
        find(records, "echo", "reference", "conns", 10.0),
        "rt_per_s",
    ));
    t.push(ratio_target(
        "connect conns/s at 10 clients: lesson06 (workers = clients) / lesson05".into(),
        1.2,
        find(
            records,
            "connect",
            "lesson06 workers=conns",
            "clients",
            10.0,
        ),
        find(records, "connect", "lesson05", "clients", 10.0),
        "conns_per_s",
    ));
    t.push(ratio_target(
        "bulk MB/s: lesson03 / reference".into(),
        0.8,
        records
            .iter()
            .find(|r| r.workload == "bulk" && r.target == "lesson03"),
        records
            .iter()
            .find(|r| r.workload == "bulk" && r.target == "reference"),
        "mb_per_s",
    ));
    let l09 = records
        .iter()
        .find(|r| r.workload == "fetch" && r.target == "lesson09");
    let curl = records
        .iter()
        .find(|r| r.workload == "fetch" && r.target == "curl");
    let size = l09
        .and_then(|r| r.num("bytes"))
        .map_or(String::new(), |b| format!(" ({})", bytes(b)));
    t.push(
        match (
            l09.and_then(|r| r.num("wall_s")),
            curl.and_then(|r| r.num("wall_s")),
        ) {
            (Some(a), Some(b)) if b > 0.0 => Target {
                what: format!("fetch wall time{size}: lesson09 / curl"),
                goal: "<= 1.05x".into(),
                measured: format!("{a:.2} s / {b:.2} s = {:.2}x", a / b),
                met: Some(a / b <= 1.05),
            },
            _ => not_measured(
                format!("fetch wall time{size}: lesson09 / curl"),
                "<= 1.05x",
            ),
        },
    );
    t.push(match l09.and_then(|r| r.num("peak_rss_kib")) {
        Some(kib) => Target {
            what: format!("fetch peak RSS{size}: lesson09"),
            goal: "<= 8 MiB".into(),
            measured: format!(
                "{:.1} MiB (curl: {})",
                kib / 1024.0,
                curl.and_then(|r| r.num("peak_rss_kib"))
                    .map_or("-".into(), |c| format!("{:.1} MiB", c / 1024.0))
            ),
            met: Some(kib <= 8192.0),
        },
        None => not_measured(format!("fetch peak RSS{size}: lesson09"), "<= 8 MiB"),
    });
    let chat1000 = records.iter().find(|r| {
        r.workload == "chat"
            && r.target == "lesson08"
            && r.num("clients") == Some(1000.0)
            && r.get("mode") == Some(&Val::Text("one".into()))
    });
    t.push(match chat1000 {
        Some(r) => {
            let missing = r.num("missing").unwrap_or(f64::NAN);
            let p99 = r.num("p99_us").unwrap_or(f64::NAN);
            Target {
                what: "chat, 1,000 clients, one line in flight: all delivered, p99".into(),
                goal: "0 missing, p99 <= 20 ms".into(),
                measured: format!(
                    "{} of {} delivered, p99 {:.2} ms",
                    fmt(r.num("deliveries").unwrap_or(0.0)),
                    fmt(r.num("expected").unwrap_or(0.0)),
                    p99 / 1000.0
                ),
                met: Some(missing == 0.0 && p99 <= 20_000.0 && r.num("deliveries") > Some(0.0)),
            }
        }
        None => not_measured(
            "chat, 1,000 clients, one line in flight: all delivered, p99".into(),
            "0 missing, p99 <= 20 ms",
        ),
    });
    for engine in ["lesson08", "lesson13"] {
        t.push(big_room(records, engine));
    }
    t.extend(engine_targets(records));
    t
}

/// The 10,000-client room on `engine`: everyone joined and got the lines.
fn big_room(records: &[Record], engine: &str) -> Target {
    let big = records
        .iter()
        .filter(|r| r.workload == "chat" && r.target == engine)
        .find(|r| r.num("clients") >= Some(10_000.0));
    match big {
        Some(r) => Target {
            what: format!(
                "chat {engine}, {} clients joined: a broadcast reaches all",
                fmt(r.num("clients").unwrap_or(0.0))
            ),
            goal: "0 missing".into(),
            measured: format!(
                "{} of {} delivered (joining took {:.1} s)",
                fmt(r.num("deliveries").unwrap_or(0.0)),
                fmt(r.num("expected").unwrap_or(0.0)),
                r.num("join_secs").unwrap_or(0.0)
            ),
            met: Some(r.num("missing") == Some(0.0) && r.num("deliveries") > Some(0.0)),
        },
        None => not_measured(
            format!("chat {engine}, 10,000 clients joined: a broadcast reaches all"),
            "0 missing",
        ),
    }
}

// ANCHOR: engine_targets
/// Lesson 13 against lesson 08 on the sustained run (500 clients, 10
/// senders, 16 lines in flight each): throughput, nothing missing, p99.
fn engine_targets(records: &[Record]) -> Vec<Target> {
    let window = |engine: &str| {
        records.iter().find(|r| {
            r.workload == "chat"
                && r.target == engine
                && r.get("mode") == Some(&Val::Text("window".into()))
        })
    };
    let (l13, l08) = (window("lesson13"), window("lesson08"));
    let shape = l08.map_or("500 clients, 10 senders, 16 in flight".into(), |r| {
        format!(
            "{} clients, {} senders, {} in flight",
            fmt(r.num("clients").unwrap_or(0.0)),
            fmt(r.num("senders").unwrap_or(0.0)),
            fmt(r.num("window").unwrap_or(0.0))
        )
    });
    let mut throughput = ratio_target(
        format!("chat lines/s ({shape}): lesson13 / lesson08, none missing"),
        0.9,
        l13,
        l08,
        "deliveries_per_s",
    );
    let missing: f64 = [l13, l08]
        .iter()
        .flatten()
        .map(|r| r.num("missing").unwrap_or(f64::NAN))
        .sum();
    if throughput.met.is_some() {
        throughput.measured += &format!(", {} missing", fmt(missing));
        throughput.met = throughput.met.map(|m| m && missing == 0.0);
    }
    throughput.goal += ", 0 missing";
    let p99 = match (
        l13.and_then(|r| r.num("p99_us")),
        l08.and_then(|r| r.num("p99_us")),
    ) {
        (Some(a), Some(b)) if b > 0.0 => Target {
            what: format!("chat p99 latency ({shape}): lesson13 / lesson08"),
            goal: "<= 1.5x".into(),
            measured: format!("{:.2} ms / {:.2} ms = {:.2}x", a / 1e3, b / 1e3, a / b),
            met: Some(a / b <= 1.5),
        },
        _ => not_measured(
            format!("chat p99 latency ({shape}): lesson13 / lesson08"),
            "<= 1.5x",
        ),
    };
    vec![throughput, p99]
}
// ANCHOR_END: engine_targets

/// Lesson 08's chat figures in this run against the previous run's
/// (`previous`: rows read from the book's results.md before it was
/// overwritten). Within noise means at least 0.8x the lines per second.
pub fn previous_targets(records: &[Record], previous: &[Value]) -> Vec<Target> {
    let mut t = Vec::new();
    for p in previous {
        let (Some(clients), Some(mode)) = (p["clients"].as_f64(), p["mode"].as_str()) else {
            continue;
        };
        if clients < 1000.0 {
            continue; // small rooms: too fast to tell from noise on 2 CPUs
        }
        let now = records.iter().find(|r| {
            r.workload == "chat"
                && r.target == "lesson08"
                && r.num("clients") == Some(clients)
                && r.get("mode") == Some(&Val::Text(mode.into()))
        });
        let what = format!(
            "chat lesson08 lines/s, {} clients, {mode}: this run / previous run",
            fmt(clients)
        );
        t.push(
            match (
                now.and_then(|r| r.num("deliveries_per_s")),
                p["deliveries_per_s"].as_f64(),
            ) {
                (Some(a), Some(b)) if b > 0.0 => Target {
                    what,
                    goal: ">= 0.8x (noise)".into(),
                    measured: format!("{} / {} = {:.2}x", fmt(a), fmt(b), a / b),
                    met: Some(a / b >= 0.8),
                },
                _ => not_measured(what, ">= 0.8x (noise)"),
            },
        );
    }
    t
}

/// Reads the rows of `engine` from the chat table of a `results.md` (this
/// version's, with an `engine` column, or the older one that measured
/// lesson 08 alone).
pub fn parse_chat_rows(md: &str, engine: &str) -> Vec<Value> {
    let mut lines = md
        .lines()
        .skip_while(|l| !l.starts_with("### Chat fan-out"));
    let Some(header) = lines.find(|l| l.starts_with('|')) else {
        return Vec::new();
    };
    let cols: Vec<&str> = header.split('|').map(str::trim).collect();
    let col = |name: &str| cols.iter().position(|c| *c == name);
    let number = |s: &str| s.replace(',', "").parse::<f64>().ok();
    let mut rows = Vec::new();
    for line in lines.skip(1).take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let cell = |name: &str| col(name).and_then(|i| cells.get(i).copied());
        if col("engine").is_some() && cell("engine") != Some(engine) {
            continue;
        }
        rows.push(serde_json::json!({
            "clients": cell("clients").and_then(number),
            "mode": cell("mode"),
            "deliveries_per_s": cell("deliveries/s").and_then(number),
            "p99_us": cell("p99 µs").and_then(number),
        }));
    }
    rows
}

/// The targets as the suite prints them at the end of a run.
pub fn targets_text(res: &Results) -> String {
    let mut o = String::from("bench: targets\n");
    for t in all_targets(res) {
        let verdict = match t.met {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "not measured",
        };
        let _ = writeln!(
            o,
            "  [{verdict}] {}: goal {}; measured {}",
            t.what, t.goal, t.measured
        );
    }
    o
}

/// The targets plus the comparison with the previous run.
fn all_targets(res: &Results) -> Vec<Target> {
    let mut t = targets(&res.records);
    if let Some(Value::Array(previous)) = res.machine.get("previous_chat") {
        t.extend(previous_targets(&res.records, previous));
    }
    t
}

fn not_measured(what: String, goal: &str) -> Target {
    Target {
        what,
        goal: goal.into(),
        measured: "not measured".into(),
        met: None,
    }
}

/// A number for a table: thousands separated, at most one decimal.
pub fn fmt(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let decimals = if v.abs() >= 100.0 || v.fract() == 0.0 {
        0
    } else if v.abs() >= 10.0 {
        1
    } else {
        2
    };
    let s = format!("{v:.decimals$}");
    let (int, frac) = s.split_once('.').map_or((s.as_str(), ""), |(a, b)| (a, b));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

fn bytes(b: f64) -> String {
    if b >= (1u64 << 30) as f64 {
        format!("{:.0} GiB", b / (1u64 << 30) as f64)
    } else {
        format!("{:.0} MiB", b / (1u64 << 20) as f64)
    }
}

/// A markdown table of `records` of one workload with the given columns
/// (header, field); a missing field shows as `-`.
fn table(out: &mut String, records: &[&Record], cols: &[(&str, &str)]) {
    let _ = writeln!(
        out,
        "| {} |",
        cols.iter().map(|c| c.0).collect::<Vec<_>>().join(" | ")
    );
    let _ = writeln!(
        out,
        "|{}",
        cols.iter()
            .enumerate()
            .map(|(i, _)| if i == 0 { "---|" } else { "---:|" })
            .collect::<String>()
    );
    for r in records {
        let cells: Vec<String> = cols
            .iter()
            .map(|&(_, key)| match key {
                "target" => r.target.clone(),
                _ => match r.get(key) {
                    Some(Val::Int(i)) => fmt(*i as f64),
                    Some(Val::Float(f)) => fmt(*f),
                    Some(Val::Text(s)) if s.is_empty() => "-".into(),
                    Some(Val::Text(s)) => s.replace('|', "\\|"),
                    None => "-".into(),
                },
            })
            .collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    let _ = writeln!(out);
}

/// A table of `results.md`: workload, title, columns (header, field).
type Section = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// The whole `results.md`: a `# ` title and `## ` sections when `book` is
/// false; for the book's copy (included in the benchmarks chapter) no title
/// and `### ` sections.
pub fn markdown(res: &Results, book: bool) -> String {
    let mut o = String::new();
    let h = if book { "###" } else { "##" };
    let m = &res.machine;
    let get = |k: &str| {
        m.get(k)
            .map(|v| v.to_string().trim_matches('"').to_string())
    };
    if !book {
        let _ = writeln!(o, "# Benchmark results\n");
    }
    let _ = writeln!(
        o,
        "Run {} on {} CPUs ({}), Linux {}, {} build; load average {} before, {} after; \
         {} s warm-up and {} s measured per run.\n",
        get("date").unwrap_or_default(),
        get("cpus").unwrap_or_default(),
        get("cpu").unwrap_or_default(),
        get("kernel").unwrap_or_default(),
        get("build").unwrap_or_default(),
        get("loadavg_start").unwrap_or_default(),
        get("loadavg_end").unwrap_or_default(),
        get("warmup_s").unwrap_or_default(),
        get("duration_s").unwrap_or_default(),
    );
    let by = |w: &str| -> Vec<&Record> { res.records.iter().filter(|r| r.workload == w).collect() };

    let _ = writeln!(o, "{h} Targets\n");
    let _ = writeln!(
        o,
        "| target | goal | measured | verdict |\n|---|---|---|---|"
    );
    for t in all_targets(res) {
        let verdict = match t.met {
            Some(true) => "met",
            Some(false) => "**missed**",
            None => "not measured",
        };
        let _ = writeln!(
            o,
            "| {} | {} | {} | {verdict} |",
            t.what, t.goal, t.measured
        );
    }
    let _ = writeln!(o);

    let sections: [Section; 6] = [
        (
            "echo",
            "Echo: persistent connections, one 64-byte line in flight each",
            &[
                ("design", "target"),
                ("conns", "conns"),
                ("round trips/s", "rt_per_s"),
                ("p50 µs", "p50_us"),
                ("p99 µs", "p99_us"),
                ("max µs", "max_us"),
                ("served", "served"),
                ("rejected", "rejected"),
                ("starved", "starved"),
                ("failed", "failed"),
            ],
        ),
        (
            "connect",
            "Connect: connect, greeting, one line, close",
            &[
                ("design", "target"),
                ("clients", "clients"),
                ("connections/s", "conns_per_s"),
                ("p50 µs", "p50_us"),
                ("p99 µs", "p99_us"),
                ("rejected", "rejected"),
                ("failed", "failed"),
            ],
        ),
        (
            "bulk",
            "Bulk: one connection, 64 KiB writes, at most 1 MiB in flight",
            &[
                ("server", "target"),
                ("MB/s echoed", "mb_per_s"),
                ("bytes", "bytes"),
            ],
        ),
        (
            "chat",
            "Chat fan-out: lesson 08 (mio), lesson 13 (tokio), poll_chat (poll)",
            &[
                ("engine", "target"),
                ("clients", "clients"),
                ("mode", "mode"),
                ("senders", "senders"),
                ("in flight", "window"),
                ("lines", "messages"),
                ("deliveries", "deliveries"),
                ("missing", "missing"),
                ("deliveries/s", "deliveries_per_s"),
                ("p50 µs", "p50_us"),
                ("p99 µs", "p99_us"),
                ("max µs", "max_us"),
                ("join s", "join_secs"),
            ],
        ),
        (
            "udp",
            "UDP ping against lesson 07",
            &[
                ("server", "target"),
                ("round trips/s", "rt_per_s"),
                ("sent", "sent"),
                ("lost", "lost"),
                ("loss %", "loss_pct"),
                ("p50 µs", "p50_us"),
                ("p99 µs", "p99_us"),
            ],
        ),
        (
            "fetch",
            "Fetch: lesson 09 against curl",
            &[
                ("client", "target"),
                ("median wall s", "wall_s"),
                ("best wall s", "wall_min_s"),
                ("MB/s", "mb_per_s"),
                ("peak RSS KiB", "peak_rss_kib"),
                ("runs", "runs"),
            ],
        ),
    ];
    for (w, title, cols) in sections {
        let rs = by(w);
        if rs.is_empty() {
            continue;
        }
        let _ = writeln!(o, "{h} {title}\n");
        table(&mut o, &rs, cols);
        if let (true, Some(r)) = (w == "fetch", rs.first()) {
            let _ = writeln!(
                o,
                "Served by {}; peak RSS from {}.\n",
                text(r, "http_server"),
                text(r, "rss_method")
            );
        }
    }
    let _ = writeln!(o, "{h} Server command lines\n");
    let mut seen = Vec::new();
    for r in &res.records {
        let cmd = text(r, "server");
        let line = format!("- {} {}: `{cmd}`", r.workload, r.target);
        if !cmd.is_empty() && !seen.contains(&line) {
            let _ = writeln!(o, "{line}");
            seen.push(line);
        }
    }
    if !res.problems.is_empty() {
        let _ = writeln!(o, "\n{h} Problems\n");
        for p in &res.problems {
            let _ = writeln!(o, "- {p}");
        }
    }
    o
}

fn text(r: &Record, key: &str) -> String {
    match r.get(key) {
        Some(Val::Text(s)) => s.clone(),
        _ => String::new(),
    }
}

/// The charts this suite draws: file name and what it shows.
pub const CHARTS: [&str; 4] = [
    "echo.svg",
    "connect.svg",
    "chat-latency.svg",
    "chat-engines.svg",
];

/// Writes `results.md` and the charts into `out`, and, when `plots` is
/// given (the book's `book/src/benchmarks`), the charts and the book's copy
/// of the tables there too. A chart with no data is skipped.
pub fn write_all(res: &Results, out: &Path, plots: Option<&Path>) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("create {}", out.display()))?;
    let md = out.join("results.md");
    std::fs::write(&md, markdown(res, false)).with_context(|| format!("write {}", md.display()))?;
    let mut dirs = vec![out];
    if let Some(p) = plots {
        std::fs::create_dir_all(p).with_context(|| format!("create {}", p.display()))?;
        let md = p.join("results.md");
        std::fs::write(&md, markdown(res, true))
            .with_context(|| format!("write {}", md.display()))?;
        dirs.push(p);
    }
    let echo = plot::series(&res.records, "echo", "conns", "rt_per_s");
    let connect = plot::series(&res.records, "connect", "clients", "conns_per_s");
    let chat = chat_latency_series(&res.records);
    let engines = chat_mode_series(&res.records, "burst", "deliveries_per_s");
    for dir in dirs {
        if !echo.is_empty() {
            plot::line_chart(
                &dir.join(CHARTS[0]),
                "Echo: round trips per second (64-byte lines, one in flight per connection)",
                "connections",
                "round trips/s",
                &echo,
                YScale::Linear,
            )?;
        }
        if !connect.is_empty() {
            plot::line_chart(
                &dir.join(CHARTS[1]),
                "Short connections per second (connect, greeting, one line, close)",
                "clients connecting at once",
                "connections/s",
                &connect,
                YScale::Linear,
            )?;
        }
        if !chat.is_empty() {
            plot::line_chart(
                &dir.join(CHARTS[2]),
                "Chat: delivery latency, one line in flight (p50, p99)",
                "clients in the room",
                "latency (µs)",
                &chat,
                YScale::Log,
            )?;
        }
        if !engines.is_empty() {
            plot::line_chart(
                &dir.join(CHARTS[3]),
                "Chat: lines delivered per second, every sender's lines at once",
                "clients in the room",
                "deliveries/s",
                &engines,
                YScale::Log,
            )?;
        }
    }
    Ok(())
}

/// p50 and p99 of every engine in `one` mode, one line per engine and
/// percentile.
fn chat_latency_series(records: &[Record]) -> Vec<plot::Series> {
    let mut out = Vec::new();
    for (key, what) in [("p50_us", "p50"), ("p99_us", "p99")] {
        for mut s in chat_mode_series(records, "one", key) {
            s.name = format!("{} {what}", s.name);
            out.push(s);
        }
    }
    out
}

/// `key` against the number of clients, one series per engine, for the chat
/// runs in `mode`.
fn chat_mode_series(records: &[Record], mode: &str, key: &str) -> Vec<plot::Series> {
    let rs: Vec<Record> = records
        .iter()
        .filter(|r| r.workload == "chat" && r.get("mode") == Some(&Val::Text(mode.into())))
        .cloned()
        .collect();
    plot::series(&rs, "chat", "clients", key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(fmt(1234567.0), "1,234,567");
        assert_eq!(fmt(999.0), "999");
        assert_eq!(fmt(12.34), "12.3");
        assert_eq!(fmt(0.534), "0.53");
        assert_eq!(fmt(-1234.0), "-1,234");
        assert_eq!(fmt(f64::NAN), "-");
    }

    fn echo(target: &str, conns: u64, rt: f64) -> Record {
        Record::new("echo", target)
            .int("conns", conns)
            .float("rt_per_s", rt)
    }

    #[test]
    fn targets_compare_the_right_records() {
        let rs = vec![
            echo("lesson05", 10, 80.0),
            echo("reference", 10, 100.0),
            echo("lesson05", 100, 70.0),
            echo("reference", 100, 100.0),
        ];
        let t = targets(&rs);
        assert_eq!(t[0].met, Some(true), "{:?}", t[0]);
        assert_eq!(t[0].measured, "80 / 100 = 0.80x");
        assert_eq!(t[1].met, Some(false));
        assert_eq!(t[2].met, None);
        assert!(t.iter().skip(3).all(|t| t.met.is_none()));
    }

    #[test]
    fn markdown_has_targets_tables_and_problems() {
        let res = Results {
            machine: Default::default(),
            records: vec![echo("lesson05", 10, 80.0).text("server", "lesson05-threaded --quiet")],
            problems: vec!["udp lesson07: no datagram came back".into()],
        };
        let md = markdown(&res, false);
        assert!(md.starts_with("# Benchmark results"));
        assert!(md.contains("\n## Targets"));
        assert!(markdown(&res, true).contains("\n### Targets"));
        assert!(!markdown(&res, true).contains("# Benchmark results"));
        assert!(md.contains("| lesson05 | 10 | 80 |"), "{md}");
        assert!(md.contains("- echo lesson05: `lesson05-threaded --quiet`"));
        assert!(md.contains("no datagram came back"));
        assert!(!md.contains("## Chat"));
    }
}
