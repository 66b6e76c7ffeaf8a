//! `main` glue: how every lesson binary ends.
//!
//! - success: exit 0;
//! - a failure: one line `error: <what failed>: <cause>` on stderr (anyhow's
//!   alternate `{:#}` format joins the context chain with `: `), exit 1;
//! - bad arguments: clap prints usage and exits 2 before we get here.
//!
//! A panic is a bug, but even then the user gets one `error:` line rather
//! than a backtrace.

use std::process::ExitCode;

/// Runs `main`, printing its error the lesson way.
pub fn run(main: impl FnOnce() -> anyhow::Result<()>) -> ExitCode {
    run_code(|| main().map(|()| ExitCode::SUCCESS))
}

/// Like [`run`], for programs with exit codes of their own (lesson 09's `-f`
/// exits 22, as curl does).
pub fn run_code(main: impl FnOnce() -> anyhow::Result<ExitCode>) -> ExitCode {
    quiet_panics();
    match main() {
        Ok(code) => code,
        Err(e) => {
            crate::errln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Replaces the default panic message (and backtrace hint) with one line.
fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        crate::errln!("error: internal error (a bug in this lesson){place}: {what}");
    }));
}
