//! Exercise 09-1: parse a chunk-size line (solution).
//!
//! The lesson's own version is `response::parse_chunk_size`; this one
//! returns `Option` to keep the exercise small.

/// The size announced by a chunk-size line, or `None` if it is malformed.
pub fn chunk_size(line: &[u8]) -> Option<u64> {
    // The digits run up to the first byte that is not a hex digit.
    let end = line
        .iter()
        .position(|b| !b.is_ascii_hexdigit())
        .unwrap_or(line.len());
    let (digits, rest) = line.split_at(end);
    if digits.is_empty() {
        return None;
    }
    // After the digits: optional whitespace, then the end or `;extensions`.
    let rest = rest.trim_ascii_start();
    if !(rest.is_empty() || rest.starts_with(b";")) {
        return None;
    }
    // checked_* turn an overflow into None instead of a wrong, wrapped size.
    digits.iter().try_fold(0u64, |n, &d| {
        let v = (d as char).to_digit(16)?;
        n.checked_mul(16)?.checked_add(u64::from(v))
    })
}
