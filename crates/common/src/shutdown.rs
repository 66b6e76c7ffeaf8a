//! Graceful shutdown with blocking sockets.
//!
//! A signal handler may only set a flag; the interesting part is making every
//! blocked thread *notice* it. The names say what each piece is for:
//!
//! - [`Shutdown::stop_accepting`]: at shutdown, the accept loop must stop.
//!   A thread blocked in `accept()` is not woken when the listener is closed
//!   (not on Linux), so this shuts the listening socket down (or, where that
//!   is refused, connects to it once): `accept()` returns, the loop sees the
//!   flag and stops. `common::accept::connections` calls it for you;
//! - [`Shutdown::stop_serving`]: at shutdown, each client must be let go.
//!   A thread blocked in `read()` on a client is woken by
//!   `shutdown(Shutdown::Both)` on that socket: the read returns 0 (EOF) and
//!   the handler finishes.
//!
//! Tests call [`Shutdown::trigger`] directly; binaries also call
//! [`Shutdown::on_signals`] so SIGINT (Ctrl-C) and SIGTERM trigger it.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;

/// Something to do when shutdown begins: wake an `accept()`, close a client.
type Hook = Box<dyn FnOnce() + Send>;

/// A cloneable "please stop" flag plus the actions that wake blocked threads.
#[derive(Clone, Default)]
pub struct Shutdown {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Set once, never cleared.
    triggered: AtomicBool,
    /// Registered wake-ups, in registration order, keyed by an id so a
    /// finished client can remove its own.
    hooks: Mutex<Hooks>,
}

#[derive(Default)]
struct Hooks {
    next_id: u64,
    pending: BTreeMap<u64, Hook>,
}

impl fmt::Debug for Shutdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shutdown")
            .field("triggered", &self.is_triggered())
            .finish()
    }
}

impl Shutdown {
    /// A flag that is not yet triggered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes SIGINT and SIGTERM trigger this flag. Call it once per process.
    pub fn on_signals(&self) -> anyhow::Result<()> {
        let this = self.clone();
        ctrlc::set_handler(move || this.trigger()).context("install SIGINT/SIGTERM handler")
    }

    /// True once shutdown has begun.
    pub fn is_triggered(&self) -> bool {
        self.inner.triggered.load(Ordering::SeqCst)
    }

    /// Begins shutdown: sets the flag, then runs every registered wake-up.
    /// Calling it again does nothing.
    pub fn trigger(&self) {
        if self.inner.triggered.swap(true, Ordering::SeqCst) {
            return;
        }
        let hooks = std::mem::take(&mut self.hooks().pending);
        for hook in hooks.into_values() {
            hook();
        }
    }

    /// Sleeps for `duration`, or less if shutdown begins meanwhile.
    /// Returns true when shutdown has begun.
    pub fn sleep(&self, duration: Duration) -> bool {
        let deadline = Instant::now() + duration;
        while !self.is_triggered() {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            thread::sleep((deadline - now).min(Duration::from_millis(20)));
        }
        true
    }

    /// Registers `hook` to run when shutdown begins (at once if it already
    /// has). Dropping the returned guard unregisters it.
    pub fn on_trigger(&self, hook: impl FnOnce() + Send + 'static) -> HookGuard {
        let mut hooks = self.hooks();
        if self.is_triggered() {
            drop(hooks);
            hook();
            return HookGuard {
                inner: Weak::new(),
                id: 0,
            };
        }
        let id = hooks.next_id;
        hooks.next_id += 1;
        hooks.pending.insert(id, Box::new(hook));
        HookGuard {
            inner: Arc::downgrade(&self.inner),
            id,
        }
    }

    // ANCHOR: stop_accepting
    /// At shutdown, stop accepting on `listener`: a thread blocked in its
    /// `accept()` wakes up and sees the flag. Keep the guard for as long as
    /// the accept loop runs ([`connections`](crate::accept::connections)
    /// keeps it for you).
    ///
    /// Closing the listener does not wake `accept()` on Linux. Two things do:
    ///
    /// 1. `shutdown(SHUT_RD)` on the listening socket: Linux wakes the
    ///    blocked `accept()`, which fails (EINVAL). It needs no new file
    ///    descriptor, which matters when the server is out of them: a
    ///    blocked `accept()` has already reserved the last free one.
    /// 2. Connecting to the listener once, the portable trick: `accept()`
    ///    returns the connection and the loop sees the flag. It is the
    ///    fallback where the first way is refused.
    ///
    /// The handle is a duplicate of the listener's descriptor, taken now,
    /// while descriptors are still to be had.
    pub fn stop_accepting(&self, listener: &TcpListener) -> io::Result<HookGuard> {
        let handle = listener.as_fd().try_clone_to_owned()?;
        let target = connectable(listener.local_addr()?);
        Ok(self.on_trigger(move || {
            if shut_down_reading(&handle) {
                return;
            }
            // The connect can fail with EMFILE while the process is out of
            // descriptors; clients being closed free some, so retry briefly.
            let deadline = Instant::now() + Duration::from_secs(2);
            while TcpStream::connect_timeout(&target, Duration::from_millis(500)).is_err()
                && Instant::now() < deadline
            {
                thread::sleep(Duration::from_millis(50));
            }
        }))
    }
    // ANCHOR_END: stop_accepting

    // ANCHOR: stop_accepting_any
    /// [`stop_accepting`](Self::stop_accepting) for any listening socket, a
    /// Unix one included, by the first way only: `shutdown(SHUT_RD)`, which needs
    /// neither a new descriptor nor a path or address to connect to (lesson
    /// 12's socket file may be gone by the time the server stops). This is
    /// Linux behaviour, not a POSIX promise; the tests check it.
    pub fn stop_accepting_any(&self, listener: &impl AsFd) -> io::Result<HookGuard> {
        let handle = listener.as_fd().try_clone_to_owned()?;
        Ok(self.on_trigger(move || {
            shut_down_reading(&handle);
        }))
    }
    // ANCHOR_END: stop_accepting_any

    // ANCHOR: stop_serving
    /// At shutdown, stop serving `stream` (a TCP or a Unix socket): it is
    /// shut down in both directions, which wakes a thread blocked reading it
    /// (the read returns 0, as at EOF). Keep the guard for as long as the
    /// connection is served. The hook holds a duplicate of the descriptor;
    /// see [`stop_serving_shared`](Self::stop_serving_shared) for a way
    /// without one.
    pub fn stop_serving(&self, stream: &impl AsFd) -> io::Result<HookGuard> {
        let handle = stream.as_fd().try_clone_to_owned()?;
        Ok(self.on_trigger(move || {
            let _ = socket2::SockRef::from(&handle).shutdown(std::net::Shutdown::Both);
        }))
    }
    // ANCHOR_END: stop_serving

    /// Like [`stop_serving`](Self::stop_serving) for a stream shared through
    /// an `Arc`: the hook keeps a second reference instead of a second
    /// descriptor, so a server with many clients spends one descriptor per
    /// client, not two.
    pub fn stop_serving_shared(&self, stream: &Arc<TcpStream>) -> HookGuard {
        let handle = Arc::clone(stream);
        self.on_trigger(move || {
            let _ = handle.shutdown(std::net::Shutdown::Both);
        })
    }

    fn hooks(&self) -> MutexGuard<'_, Hooks> {
        // A hook never panics while the lock is held, but if one ever did the
        // map is still consistent, so recover it instead of propagating.
        self.inner
            .hooks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Unregisters a shutdown hook when dropped.
#[must_use = "dropping the guard unregisters the hook at once"]
pub struct HookGuard {
    inner: Weak<Inner>,
    id: u64,
}

impl fmt::Debug for HookGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HookGuard").field("id", &self.id).finish()
    }
}

impl Drop for HookGuard {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.upgrade() {
            let mut hooks = inner.hooks.lock().unwrap_or_else(|p| p.into_inner());
            hooks.pending.remove(&self.id);
        }
    }
}

/// `shutdown(SHUT_RD)` on a listening socket; true if the kernel took it
/// (on Linux this wakes a blocked `accept()`).
fn shut_down_reading(listener: &OwnedFd) -> bool {
    socket2::SockRef::from(listener)
        .shutdown(std::net::Shutdown::Read)
        .is_ok()
}

/// The address to connect to in order to reach a listener: a listener bound
/// to "any address" (`0.0.0.0` or `::`) is reached through loopback.
fn connectable(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::sync::mpsc;

    #[test]
    fn trigger_wakes_a_blocked_accept() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let shutdown = Shutdown::new();
        let _wake = shutdown.stop_accepting(&listener).unwrap();
        let (tx, rx) = mpsc::channel();
        let s = shutdown.clone();
        thread::spawn(move || {
            let _ = listener.accept();
            tx.send(s.is_triggered()).unwrap();
        });
        thread::sleep(Duration::from_millis(50));
        shutdown.trigger();
        assert!(rx.recv_timeout(Duration::from_secs(5)).unwrap());
    }

    #[test]
    fn trigger_wakes_a_blocked_unix_accept_and_read() {
        use std::os::unix::net::{UnixListener, UnixStream};
        let path = std::env::temp_dir().join(format!("common-wake-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).unwrap();
        let _client = UnixStream::connect(&path).unwrap();
        let (mut served, _) = listener.accept().unwrap();
        std::fs::remove_file(&path).unwrap(); // no path left to connect to
        let shutdown = Shutdown::new();
        let _wake = shutdown.stop_accepting_any(&listener).unwrap();
        let _track = shutdown.stop_serving(&served).unwrap();
        let (tx, rx) = mpsc::channel();
        let tx2 = tx.clone();
        thread::spawn(move || tx.send(listener.accept().is_err()).unwrap());
        thread::spawn(move || {
            let mut buf = [0u8; 8];
            tx2.send(matches!(served.read(&mut buf), Ok(0))).unwrap();
        });
        thread::sleep(Duration::from_millis(50));
        shutdown.trigger();
        for _ in 0..2 {
            assert!(rx.recv_timeout(Duration::from_secs(5)).unwrap());
        }
    }

    #[test]
    fn trigger_wakes_a_blocked_read() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut served, _) = listener.accept().unwrap();
        let shutdown = Shutdown::new();
        let guard = shutdown.stop_serving(&served).unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut buf = [0u8; 16];
            tx.send(served.read(&mut buf).map_err(|e| e.kind()))
                .unwrap();
            drop(guard);
        });
        thread::sleep(Duration::from_millis(50));
        shutdown.trigger();
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), Ok(0));
    }

    #[test]
    fn trigger_wakes_a_read_on_a_shared_stream_without_a_second_descriptor() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let served = Arc::new(listener.accept().unwrap().0);
        let shutdown = Shutdown::new();
        let guard = shutdown.stop_serving_shared(&served);
        assert_eq!(Arc::strong_count(&served), 2, "the hook holds a reference");
        let (tx, rx) = mpsc::channel();
        let reader = Arc::clone(&served);
        thread::spawn(move || {
            let mut buf = [0u8; 16];
            tx.send((&*reader).read(&mut buf).map_err(|e| e.kind()))
                .unwrap();
        });
        thread::sleep(Duration::from_millis(50));
        shutdown.trigger();
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), Ok(0));
        drop(guard);
    }

    #[test]
    fn dropped_guard_unregisters_and_late_hooks_run_at_once() {
        let shutdown = Shutdown::new();
        let (tx, rx) = mpsc::channel();
        let tx2 = tx.clone();
        drop(shutdown.on_trigger(move || tx2.send("dropped").unwrap()));
        let _kept = shutdown.on_trigger({
            let tx = tx.clone();
            move || tx.send("kept").unwrap()
        });
        shutdown.trigger();
        shutdown.trigger();
        let _late = shutdown.on_trigger(move || tx.send("late").unwrap());
        let got: Vec<_> = rx.try_iter().collect();
        assert_eq!(got, ["kept", "late"]);
    }

    #[test]
    fn sleep_returns_early_on_trigger() {
        let shutdown = Shutdown::new();
        let s = shutdown.clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(50));
            s.trigger();
        });
        let start = Instant::now();
        assert!(shutdown.sleep(Duration::from_secs(30)));
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn unspecified_addresses_are_reached_through_loopback() {
        assert_eq!(
            connectable("0.0.0.0:80".parse().unwrap()).to_string(),
            "127.0.0.1:80"
        );
        assert_eq!(
            connectable("[::]:80".parse().unwrap()).to_string(),
            "[::1]:80"
        );
        assert_eq!(
            connectable("10.1.2.3:80".parse().unwrap()).to_string(),
            "10.1.2.3:80"
        );
    }
}
