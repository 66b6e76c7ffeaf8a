//! Packet captures for the book: `make captures` runs the lessons' key
//! scenarios against their real binaries, records the loopback packets with
//! an `AF_PACKET` socket, and writes each conversation as a text sequence
//! diagram under `book/src/captures/`.
//!
//! # Layout
//! - [`packet`]: one Ethernet frame from `lo` decoded (with `etherparse`)
//!   into what a diagram shows.
//! - [`diagram`]: packets to text, and the text's rows back.
//! - [`shape`]: what each scenario's packets must look like (flags,
//!   directions, order); checked when recording and on the committed files.
//! - [`live`]: the recorder (needs CAP_NET_RAW).
//! - [`scenario`]: the scenarios and the binaries they run.

pub mod diagram;
pub mod live;
pub mod packet;
pub mod scenario;
pub mod shape;

use std::io;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;

/// Record the lessons' key scenarios on loopback and write them as diagrams.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Args {
    /// Where the lesson binaries are (build them first).
    #[arg(long, default_value = "target/debug")]
    pub bin_dir: PathBuf,
    /// Where the diagrams go.
    #[arg(long, default_value = "book/src/captures")]
    pub out: PathBuf,
    /// Record only the scenario with this name (e.g. `lesson04-time-wait`).
    #[arg(long)]
    pub only: Option<String>,
}

/// Records every scenario (or the one `--only` names). Without CAP_NET_RAW
/// it says so and succeeds, leaving the committed captures as they are:
/// regenerating them is a root-only chore, reading them is not.
pub fn run(args: &Args) -> Result<()> {
    if let Err(e) = live::open() {
        if e.kind() == io::ErrorKind::PermissionDenied {
            println!(
                "captures: cannot open an AF_PACKET socket ({e}): recording needs CAP_NET_RAW \
                 (run as root); the committed captures in {} are left as they are",
                args.out.display()
            );
            return Ok(());
        }
        return Err(e).context("open an AF_PACKET socket");
    }
    let chosen: Vec<_> = scenario::ALL
        .iter()
        .filter(|s| args.only.as_deref().is_none_or(|n| n == s.name))
        .collect();
    if chosen.is_empty() {
        anyhow::bail!(
            "no scenario named {:?}",
            args.only.as_deref().unwrap_or_default()
        );
    }
    for s in chosen {
        let text = s
            .record(&args.bin_dir)
            .with_context(|| format!("scenario {}", s.name))?;
        let path = args.out.join(format!("{}.txt", s.name));
        std::fs::write(&path, text).with_context(|| format!("write {}", path.display()))?;
        println!("captures: wrote {}", path.display());
    }
    Ok(())
}
