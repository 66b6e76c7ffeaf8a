//! `make watch EX=05-1`: check the exercise, then again on every save, until
//! it passes.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher};

use crate::exercises;
use crate::model;

pub fn watch(root: &Path, id: &str) -> Result<(), String> {
    let ex = model::find(root, id)?;
    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(e) = event
            && matches!(e.kind, EventKind::Modify(_) | EventKind::Create(_))
            && e.paths
                .iter()
                .any(|p| p.extension().is_some_and(|x| x == "rs"))
        {
            let _ = tx.send(());
        }
    })
    .map_err(|e| format!("watch: {e}"))?;
    // The directory, not the file: editors save by writing a new file and
    // renaming it over the old one, which a watch on the file would miss.
    watcher
        .watch(&ex.dir, RecursiveMode::NonRecursive)
        .map_err(|e| format!("watch {}: {e}", ex.dir.display()))?;
    loop {
        if exercises::run_one(root, id).is_ok() {
            return Ok(());
        }
        println!(
            "\nwatching {}: save it to check again (Ctrl-C stops)",
            model::rel(root, &ex.dir.join("starter.rs"))
        );
        rx.recv()
            .map_err(|_| "the file watcher stopped".to_string())?;
        // An editor's save is several events: wait until they stop.
        while rx.recv_timeout(Duration::from_millis(300)).is_ok() {}
        println!("\n---- changed: checking again ----\n");
    }
}
