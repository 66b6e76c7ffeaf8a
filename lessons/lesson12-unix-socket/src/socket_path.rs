//! The socket's name in the filesystem: what may be removed, and when.
//!
//! A Unix socket bound to a path leaves a file behind. `bind()` fails with
//! EADDRINUSE while that file exists, even when nobody listens on it any
//! more (the server crashed or was killed with SIGKILL). The classic fix is
//! `unlink(path)` before `bind()`, and it is dangerous: run with a wrong
//! `--path` it deletes whatever file is there, and run twice it steals the
//! name from a live server. The rules here:
//!
//! - nothing at the path: bind;
//! - a socket nobody listens on (connecting is refused): stale, remove it;
//! - a socket somebody listens on: refuse, name the path;
//! - anything else (a regular file, a directory, a symbolic link): refuse,
//!   name the path and what it is. We never follow or delete a link.
//!
//! On exit the server removes its own socket file, but only if the file at
//! the path is still the one it created (same device and inode), so a
//! socket that a newer server put there is left alone.

use std::fs::{self, FileType};
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use socket2::{Domain, SockAddr, Socket, Type};

/// What was at the path before the server bound it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Previous {
    /// Nothing: the usual case.
    Nothing,
    /// A socket file nobody listened on; it has been removed.
    StaleSocket,
}

/// Whether a socket at some path has a listener behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// A server accepted (or queued) our connection.
    Live,
    /// Connecting was refused (ECONNREFUSED): the file is all that is left.
    Stale,
}

// ANCHOR: probe
/// Finds out whether a server is listening on the socket at `path`, by
/// connecting to it.
///
/// The connect is non-blocking. A blocking connect to a server whose
/// backlog is full would wait until that server accepts someone, possibly
/// forever; here a full backlog (EAGAIN) simply counts as "live". A live
/// server sees a client that connects and leaves at once.
pub fn probe(path: &Path) -> io::Result<Probe> {
    let socket = Socket::new(Domain::UNIX, Type::STREAM, None)?;
    socket.set_nonblocking(true)?;
    match socket.connect(&SockAddr::unix(path)?) {
        Ok(()) => Ok(Probe::Live),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(Probe::Live),
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => Ok(Probe::Stale),
        Err(e) => Err(e),
    }
}
// ANCHOR_END: probe

// ANCHOR: clear_stale
/// Makes `path` free for `bind()`, removing only a stale socket.
///
/// Fails, naming the path, when something else is there: a live socket, a
/// regular file, a directory, a link. Between this check and `bind()`
/// another program could create the file; `bind()` then fails with
/// EADDRINUSE, which is the safe outcome.
pub fn clear_stale(path: &Path) -> Result<Previous> {
    let shown = path.display();
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Previous::Nothing),
        Err(e) => return Err(e).with_context(|| format!("inspect {shown}")),
    };
    if !meta.file_type().is_socket() {
        bail!(
            "{shown} exists and is {}, not a socket; refusing to remove it \
             (choose another --path or remove it yourself)",
            describe(meta.file_type())
        );
    }
    match probe(path).with_context(|| format!("check whether {shown} is in use"))? {
        Probe::Live => bail!(
            "{shown} is in use: another server is listening on it; \
             refusing to take its place"
        ),
        Probe::Stale => {
            fs::remove_file(path).with_context(|| format!("remove stale socket {shown}"))?;
            Ok(Previous::StaleSocket)
        }
    }
}
// ANCHOR_END: clear_stale

/// "a regular file", "a directory", ... for error messages.
fn describe(kind: FileType) -> &'static str {
    if kind.is_file() {
        "a regular file"
    } else if kind.is_dir() {
        "a directory"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else if kind.is_fifo() {
        "a named pipe (FIFO)"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else {
        "something other than a socket"
    }
}

// ANCHOR: socket_file
/// The socket file a server created. Dropping it removes the file, if the
/// file at the path is still this one.
///
/// Drop runs on every way out of `run` (return, error, SIGINT/SIGTERM), but
/// not after SIGKILL or a power cut, which is why [`clear_stale`] exists.
#[derive(Debug)]
pub struct SocketFile {
    /// Where the socket lives.
    path: PathBuf,
    /// Device and inode of the file `bind()` created (names get re-used).
    id: (u64, u64),
}

impl SocketFile {
    /// Records the identity of the socket file just created at `path`.
    pub fn created(path: &Path) -> io::Result<SocketFile> {
        let meta = fs::symlink_metadata(path)?;
        Ok(SocketFile {
            path: path.to_path_buf(),
            id: (meta.dev(), meta.ino()),
        })
    }

    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Removes the file now. Returns `Ok(false)` when the file at the path
    /// is no longer ours (gone, or replaced), which is left untouched.
    pub fn remove(mut self) -> io::Result<bool> {
        let result = self.remove_if_ours();
        // Forget the path so Drop does not try again.
        self.path = PathBuf::new();
        result
    }

    fn remove_if_ours(&self) -> io::Result<bool> {
        if self.path.as_os_str().is_empty() {
            return Ok(false);
        }
        match fs::symlink_metadata(&self.path) {
            Ok(meta) if (meta.dev(), meta.ino()) == self.id => {
                fs::remove_file(&self.path)?;
                Ok(true)
            }
            Ok(_) => Ok(false),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        if let Err(e) = self.remove_if_ours() {
            common::errln!("error: remove {}: {e}", self.path.display());
        }
    }
}
// ANCHOR_END: socket_file
