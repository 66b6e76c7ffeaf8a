//! Printing that cannot panic.
//!
//! `println!` panics when stdout is gone (a server piped into `head -1`, a
//! closed terminal). A server must keep serving then, so lessons print their
//! logs with [`outln!`](crate::outln) and [`errln!`](crate::errln), which
//! drop a line that cannot be written. Each line is written with one call on
//! a locked handle, so lines from different threads never interleave.

/// Like `println!`, but a failed write is ignored instead of panicking.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let mut out = ::std::io::stdout().lock();
        let _ = writeln!(out, $($arg)*);
        let _ = out.flush();
    }};
}

/// Like `eprintln!`, but a failed write is ignored instead of panicking.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = writeln!(::std::io::stderr().lock(), $($arg)*);
    }};
}
