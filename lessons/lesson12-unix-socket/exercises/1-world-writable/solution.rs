//! Exercise 12-1, solved: refuse a directory anyone can write to.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Write permission for "others" (everyone who is not owner or group).
const OTHERS_WRITE: u32 = 0o002;
/// The sticky bit: in such a directory only a file's owner may remove it.
const STICKY: u32 = 0o1000;

/// Refuses a socket path whose directory is world-writable without the
/// sticky bit.
pub fn check_directory(socket_path: &Path) -> Result<(), String> {
    // `echo.sock` has the parent "", which means the current directory.
    let dir = match socket_path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // Follow links here: what matters is the directory the socket lands in.
    let meta =
        std::fs::metadata(dir).map_err(|e| format!("inspect directory {}: {e}", dir.display()))?;
    let mode = meta.permissions().mode();
    if mode & OTHERS_WRITE != 0 && mode & STICKY == 0 {
        return Err(format!(
            "directory {} is world-writable (mode {:o}) without the sticky bit: \
             anyone could replace the socket",
            dir.display(),
            mode & 0o7777
        ));
    }
    Ok(())
}
