//! Helpers for exercise tests: failures a learner can read, and a time
//! limit each test carries itself (for runners that have none, like
//! rustlings).

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread;
use std::time::Duration;

/// Bytes as a Rust byte-string literal, `b"Hi\n\xff"`: readable where a
/// `[72, 105, 10, 255]` is not.
pub fn show_bytes(bytes: &[u8]) -> String {
    let mut out = String::from("b\"");
    for b in bytes {
        out.extend(std::ascii::escape_default(*b).map(char::from));
    }
    out.push('"');
    out
}

/// `assert_eq!` for bytes: on failure it names the expression and shows
/// both sides as `b"..."` text.
#[macro_export]
macro_rules! assert_bytes_eq {
    ($left:expr, $right:expr $(,)?) => {
        $crate::assert_bytes_eq!($left, $right, "{}", stringify!($left))
    };
    ($left:expr, $right:expr, $($what:tt)+) => {
        // `match` keeps temporaries alive, as `assert_eq!` does.
        match (&$left, &$right) {
            (left, right) => {
                let left: &[u8] = ::core::convert::AsRef::<[u8]>::as_ref(left);
                let right: &[u8] = ::core::convert::AsRef::<[u8]>::as_ref(right);
                assert!(
                    left == right,
                    "{}:\n   got: {}\nwanted: {}",
                    format_args!($($what)+),
                    $crate::exercise::show_bytes(left),
                    $crate::exercise::show_bytes(right)
                );
            }
        }
    };
}

/// Ends the test process when dropped too late: see [`watchdog`].
#[derive(Debug)]
pub struct Watchdog {
    _done: Sender<()>,
}

/// Starts a time limit for one test. If the returned guard is still alive
/// after `limit` (the test is stuck: a deadlock, an endless loop, a wait
/// for bytes that never come), prints the test's name and the usual cause,
/// then exits the whole process with status 1, since a stuck thread cannot
/// be stopped from outside. Dropping the guard (the test ended, by passing
/// or by panicking) disarms it.
pub fn watchdog(test: &str, limit: Duration, stall_hint: &str) -> Watchdog {
    let (done, wait) = mpsc::channel::<()>();
    let (test, stall_hint) = (test.to_string(), stall_hint.to_string());
    thread::spawn(move || {
        if wait.recv_timeout(limit) == Err(RecvTimeoutError::Timeout) {
            eprintln!(
                "\ntest {test} stalled: still running after {}s, so the tests were stopped.\n\
                 A usual cause: {stall_hint}",
                limit.as_secs()
            );
            std::process::exit(1);
        }
    });
    Watchdog { _done: done }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_show_as_byte_strings() {
        assert_eq!(show_bytes(b"1a;\r\n\xff\"q\""), r#"b"1a;\r\n\xff\"q\"""#);
    }

    #[test]
    fn assert_bytes_eq_names_what_it_compared() {
        let failed = std::panic::catch_unwind(|| {
            let got = b"abc".to_vec();
            assert_bytes_eq!(got, b"abd");
        })
        .expect_err("unequal bytes must fail");
        let message = failed.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(message.starts_with("got:\n"), "{message}");
        assert!(message.contains(r#"b"abc""#) && message.contains(r#"b"abd""#));
        assert_bytes_eq!(vec![1u8, 2], [1u8, 2], "equal bytes pass");
    }

    #[test]
    fn a_dropped_watchdog_never_fires() {
        let guard = watchdog("t", Duration::from_millis(50), "none");
        drop(guard);
        thread::sleep(Duration::from_millis(150));
    }
}
