//! What a suite run produced: the records, the machine they ran on, and
//! the cases that failed. `suite` fills it, `report` reads it, and
//! `results.json` stores it; a module of its own so that neither of those
//! two needs the other.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{Map, Value, json};

use crate::record::Record;

/// What a suite run produced (also what `results.json` holds).
#[derive(Debug, Clone, Default)]
pub struct Results {
    /// Machine, settings and methods.
    pub machine: Map<String, Value>,
    /// One record per run.
    pub records: Vec<Record>,
    /// Cases that failed or produced no results.
    pub problems: Vec<String>,
}

impl Results {
    /// The JSON document.
    pub fn json(&self) -> Value {
        json!({
            "machine": Value::Object(self.machine.clone()),
            "results": self.records.iter().map(Record::json).collect::<Vec<_>>(),
            "problems": self.problems,
        })
    }
}

/// Reads a `results.json`.
pub fn load_results(path: &Path) -> Result<Results> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    let v: Value =
        serde_json::from_str(&text).with_context(|| format!("parse {}", path.display()))?;
    let machine = v["machine"].as_object().cloned().unwrap_or_default();
    let records = v["results"]
        .as_array()
        .map(|a| a.iter().filter_map(Record::from_json).collect())
        .unwrap_or_default();
    let problems = v["problems"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    Ok(Results {
        machine,
        records,
        problems,
    })
}
