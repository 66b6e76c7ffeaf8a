use crate::ex1_code::*;

/// Plain sizes in either case, with leading zeros.
#[test]
fn plain_sizes() {
    assert_eq!(chunk_size(b"0"), Some(0), r#"chunk_size(b"0")"#);
    assert_eq!(chunk_size(b"1a"), Some(26), r#"chunk_size(b"1a")"#);
    assert_eq!(chunk_size(b"1A"), Some(26), r#"chunk_size(b"1A")"#);
    assert_eq!(chunk_size(b"0010"), Some(16), r#"chunk_size(b"0010")"#);
    assert_eq!(
        chunk_size(b"ffffffffffffffff"),
        Some(u64::MAX),
        r#"chunk_size(b"ffffffffffffffff")"#
    );
}

/// Whitespace and `;extensions` after the digits are ignored.
#[test]
fn extensions_are_ignored() {
    assert_eq!(
        chunk_size(b"1a;name=value"),
        Some(26),
        r#"chunk_size(b"1a;name=value")"#
    );
    assert_eq!(chunk_size(b"1a ;x"), Some(26), r#"chunk_size(b"1a ;x")"#);
    assert_eq!(chunk_size(b"5\t"), Some(5), r#"chunk_size(b"5\t")"#);
}

/// Lines that are not a chunk size are refused.
#[test]
fn malformed_lines_are_refused() {
    for bad in [
        &b""[..],
        b";x",
        b" 5",
        b"zz",
        b"-1",
        b"0x10",
        b"12 34",
        b"10000000000000000",
    ] {
        assert_eq!(
            chunk_size(bad),
            None,
            "chunk_size({}) must refuse the line",
            testkit::exercise::show_bytes(bad)
        );
    }
}

/// Agrees with the lesson's parser on a spread of inputs.
#[test]
fn agrees_with_the_lesson() {
    for line in [
        &b"0"[..],
        b"7f",
        b"7F;a=b",
        b"abc  ",
        b"g",
        b"1;",
        b"1 x",
        b"",
    ] {
        assert_eq!(
            chunk_size(line),
            lesson09_http_fetch::response::parse_chunk_size(line).ok(),
            "chunk_size({}) against the lesson's parse_chunk_size",
            testkit::exercise::show_bytes(line)
        );
    }
}
