//! What several lessons share, kept small enough to read in one sitting.
//!
//! Every lesson is a `lib.rs` with the logic and a thin `main.rs` that parses
//! flags and calls into it. The pieces that more than one lesson needs live
//! here, so each lesson's own code shows only what that lesson is about.
//!
//! # Layout
//!
//! | module | what it shows |
//! |---|---|
//! | [`args`] | the `--host` flag, `--timeout`-style seconds |
//! | [`addr`] | binding with a warning for non-loopback addresses, connecting to every resolved address in turn |
//! | [`ready`] | the `listening on <addr>` line tests and scripts wait for |
//! | [`line_reader`] | bounded line framing: a length limit, clean EOF vs EOF mid-line |
//! | [`text`] | showing peer bytes safely: lossy UTF-8, control characters escaped; counts that agree in number |
//! | [`shutdown`] | SIGINT/SIGTERM as a flag, waking a blocked `accept()`, closing clients |
//! | [`errors`] | what an I/O error means: a timeout, out of descriptors, a datagram too big |
//! | [`accept`] | an accept loop that backs off on EMFILE instead of exiting or spinning |
//! | [`out`] | `outln!` / `errln!`: logging that never panics on a closed stdout; `summaryln!` for a server's last line |
//! | [`exit`] | `main` glue: `error: <what>: <cause>` on stderr and exit code 1 |
//!
//! None of this is clever. A production server would add structured logging
//! and metrics; here every line is meant to be read by a learner.

pub mod accept;
pub mod addr;
pub mod args;
pub mod errors;
pub mod exit;
pub mod line_reader;
pub mod out;
pub mod ready;
pub mod shutdown;
pub mod text;

pub use line_reader::{LineBuffer, LineError, LineReader};
pub use shutdown::Shutdown;
