//! One result: printed as a `result ...` line of `key=value` pairs, or as one
//! JSON object (`--json`), and stored in `target/bench/results.json`.
//!
//! The line is for people and `grep`/`awk`; the JSON is for the plots and the
//! table. Both carry the same fields in the same order.

use std::fmt;

use serde_json::{Map, Value};

/// A field value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// A count.
    Int(u64),
    /// A rate, a latency, a ratio.
    Float(f64),
    /// A label (never contains whitespace in the line form; see [`Record::line`]).
    Text(String),
}

/// The result of one run of one workload against one server.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// `echo`, `connect`, `bulk`, `chat`, `udp` or `fetch`.
    pub workload: String,
    /// What was measured: a design label such as `lesson05` or `reference`.
    pub target: String,
    /// Parameters first (connections, sizes), then measurements, in order.
    pub fields: Vec<(String, Val)>,
}

impl Record {
    /// A record with no fields yet.
    pub fn new(workload: &str, target: &str) -> Self {
        Record {
            workload: workload.to_string(),
            target: target.to_string(),
            fields: Vec::new(),
        }
    }

    /// Appends a count.
    pub fn int(mut self, key: &str, v: u64) -> Self {
        self.fields.push((key.to_string(), Val::Int(v)));
        self
    }

    /// Appends a measurement.
    pub fn float(mut self, key: &str, v: f64) -> Self {
        self.fields.push((key.to_string(), Val::Float(v)));
        self
    }

    /// Appends a label.
    pub fn text(mut self, key: &str, v: &str) -> Self {
        self.fields
            .push((key.to_string(), Val::Text(v.to_string())));
        self
    }

    /// Replaces the target label (the suite names designs after the run).
    pub fn with_target(mut self, target: &str) -> Self {
        self.target = target.to_string();
        self
    }

    /// A field by name.
    pub fn get(&self, key: &str) -> Option<&Val> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// A numeric field by name (counts as floats too).
    pub fn num(&self, key: &str) -> Option<f64> {
        match self.get(key)? {
            Val::Int(i) => Some(*i as f64),
            Val::Float(f) => Some(*f),
            Val::Text(_) => None,
        }
    }

    /// The machine-readable line:
    /// `result workload=echo target=reference conns=10 ... rt_per_s=51234.5`.
    ///
    /// Floats get two decimals (four below 1); whitespace in labels becomes `_` so every
    /// field stays one `key=value` word.
    pub fn line(&self) -> String {
        self.to_string()
    }

    /// The same fields as one JSON object.
    pub fn json(&self) -> Value {
        let mut m = Map::new();
        m.insert("workload".into(), Value::from(self.workload.clone()));
        m.insert("target".into(), Value::from(self.target.clone()));
        for (k, v) in &self.fields {
            let v = match v {
                Val::Int(i) => Value::from(*i),
                Val::Float(f) => Value::from(round2(*f)),
                Val::Text(s) => Value::from(s.clone()),
            };
            m.insert(k.clone(), v);
        }
        Value::Object(m)
    }

    /// Reads a record back from its JSON form (the plots re-read
    /// `results.json`). Field order is not kept by JSON objects here, so the
    /// fields come back sorted by name.
    pub fn from_json(v: &Value) -> Option<Record> {
        let m = v.as_object()?;
        let mut r = Record::new(m.get("workload")?.as_str()?, m.get("target")?.as_str()?);
        for (k, v) in m {
            if k == "workload" || k == "target" {
                continue;
            }
            let val = if let Some(i) = v.as_u64() {
                Val::Int(i)
            } else if let Some(f) = v.as_f64() {
                Val::Float(f)
            } else {
                Val::Text(v.as_str()?.to_string())
            };
            r.fields.push((k.clone(), val));
        }
        Some(r)
    }
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "result workload={} target={}",
            word(&self.workload),
            word(&self.target)
        )?;
        for (k, v) in &self.fields {
            match v {
                Val::Int(i) => write!(f, " {k}={i}")?,
                Val::Float(x) if x.abs() < 1.0 => write!(f, " {k}={x:.4}")?,
                Val::Float(x) => write!(f, " {k}={x:.2}")?,
                Val::Text(s) => write!(f, " {k}={}", word(s))?,
            }
        }
        Ok(())
    }
}

/// A label as one word: whitespace becomes `_`, an empty label `-`.
fn word(s: &str) -> String {
    if s.is_empty() {
        return "-".into();
    }
    s.chars()
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .collect()
}

/// Two decimals are plenty for rates and microseconds and keep the JSON
/// readable; values under 1 (seconds of a short phase) keep four.
fn round2(f: f64) -> f64 {
    if !f.is_finite() {
        0.0
    } else if f.abs() < 1.0 {
        (f * 10_000.0).round() / 10_000.0
    } else {
        (f * 100.0).round() / 100.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Record {
        Record::new("echo", "lesson06 w=10")
            .int("conns", 10)
            .float("rt_per_s", 51234.567)
            .text("note", "")
    }

    #[test]
    fn result_line_is_one_word_per_field_in_order() {
        assert_eq!(
            sample().line(),
            "result workload=echo target=lesson06_w=10 conns=10 rt_per_s=51234.57 note=-"
        );
    }

    #[test]
    fn json_round_trip_keeps_every_field() {
        let j = sample().json();
        assert_eq!(
            j,
            serde_json::json!({"workload": "echo", "target": "lesson06 w=10",
                "conns": 10, "rt_per_s": 51234.57, "note": ""})
        );
        let back = Record::from_json(&j).unwrap();
        assert_eq!(back.target, "lesson06 w=10");
        assert_eq!(back.num("conns"), Some(10.0));
        assert_eq!(back.num("rt_per_s"), Some(51234.57));
        assert_eq!(back.get("note"), Some(&Val::Text(String::new())));
        assert_eq!(back.num("note"), None);
        assert!(Record::from_json(&serde_json::json!({"target": "x"})).is_none());
    }

    #[test]
    fn small_floats_keep_four_decimals() {
        let r = Record::new("chat", "t")
            .float("secs", 0.00346)
            .float("big", 12.345);
        assert_eq!(
            r.line(),
            "result workload=chat target=t secs=0.0035 big=12.35"
        );
        assert_eq!(r.json()["secs"], 0.0035);
    }

    #[test]
    fn non_finite_numbers_do_not_break_json() {
        let r = Record::new("udp", "t").float("x", f64::NAN);
        assert_eq!(r.json()["x"], 0.0);
    }
}
