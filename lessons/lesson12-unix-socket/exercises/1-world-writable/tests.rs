use crate::ex1_code::*;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn dir_with_mode(mode: u32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(mode)).unwrap();
    dir
}

/// rwxrwxrwx without the sticky bit: refused, and the message names it.
#[test]
fn world_writable_directory_is_refused() {
    let dir = dir_with_mode(0o777);
    let err = check_directory(&dir.path().join("echo.sock")).unwrap_err();
    assert!(err.contains(dir.path().to_str().unwrap()), "{err}");
}

/// The same with the sticky bit (like /tmp): accepted.
#[test]
fn sticky_world_writable_directory_is_accepted() {
    let dir = dir_with_mode(0o1777);
    assert_eq!(
        check_directory(&dir.path().join("echo.sock")),
        Ok(()),
        "check_directory(&dir.path().join(\"echo.sock\"))"
    );
}

/// A private directory and a group-writable one: accepted.
#[test]
fn private_and_group_writable_directories_are_accepted() {
    for mode in [0o700, 0o755, 0o775] {
        let dir = dir_with_mode(mode);
        assert_eq!(
            check_directory(&dir.path().join("echo.sock")),
            Ok(()),
            "{mode:o}"
        );
    }
}

/// A directory that does not exist cannot be checked: refused.
#[test]
fn missing_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = check_directory(&dir.path().join("gone/echo.sock")).unwrap_err();
    assert!(err.contains("gone"), "{err}");
}

/// A bare file name means the current directory, which is checked too.
#[test]
fn bare_name_checks_the_current_directory() {
    let cwd_mode = fs::metadata(".").unwrap().permissions().mode();
    let expected_ok = !(cwd_mode & 0o002 != 0 && cwd_mode & 0o1000 == 0);
    assert_eq!(
        check_directory(Path::new("echo.sock")).is_ok(),
        expected_ok,
        "check_directory(Path::new(\"echo.sock\")).is_ok()"
    );
}
