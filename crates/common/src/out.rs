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

/// Like [`outln!`](crate::outln), for the summary a server prints when it
/// stops: the line starts on a line of its own even after Ctrl-C. See
/// [`fresh_line_after_ctrl_c`].
#[macro_export]
macro_rules! summaryln {
    ($($arg:tt)*) => {
        $crate::outln!(
            "{}{}",
            $crate::out::fresh_line_after_ctrl_c(),
            format_args!($($arg)*)
        )
    };
}

/// What to print before a shutdown summary: `"\n"` when stdout is a
/// terminal, else nothing.
///
/// Ctrl-C makes the terminal echo `^C` and leaves the cursor just after it,
/// mid-line, so a summary printed next would read `^Cshut down: ...`. When
/// stdout is a pipe or a file, nothing was echoed into it, and an empty line
/// would only be noise in a log (and in the tests, which read stdout
/// through a pipe).
pub fn fresh_line_after_ctrl_c() -> &'static str {
    fresh_line(std::io::IsTerminal::is_terminal(&std::io::stdout()))
}

fn fresh_line(stdout_is_terminal: bool) -> &'static str {
    if stdout_is_terminal { "\n" } else { "" }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_a_terminal_gets_the_extra_newline() {
        assert_eq!(super::fresh_line(true), "\n");
        assert_eq!(super::fresh_line(false), "");
    }
}
