//! Tests for exercise 10-1 (RFC 6724's precedence and the order of answers).

use std::net::{IpAddr, Ipv6Addr};

use crate::ex1_code::*;

fn ip(text: &str) -> IpAddr {
    text.parse().expect("a valid address in the test")
}

#[test]
fn prefixes_match_on_their_first_bits_only() {
    let addr: Ipv6Addr = "2002:c000:0204::1".parse().unwrap();
    let cases = [
        ("2002::", 16, true),
        ("2001::", 16, false),
        ("2002:ffff::", 16, true),
        ("::", 0, true),
        ("2002:c000:0204::1", 128, true),
        ("2002:c000:0204::2", 128, false),
        ("fc00::", 7, false),
    ];
    for (prefix, len, want) in cases {
        assert_eq!(
            matches(addr, prefix.parse().unwrap(), len),
            want,
            "matches(2002:c000:204::1, {prefix}, {len})"
        );
    }
    assert!(
        matches("fd12::1".parse().unwrap(), "fc00::".parse().unwrap(), 7),
        "matches(fd12::1, fc00::, 7): fd is fc with the 8th bit set"
    );
}

#[test]
fn each_address_gets_its_longest_prefix() {
    let cases = [
        ("::1", 50),
        ("2001:db8::1", 40),
        ("127.0.0.1", 35),
        ("192.0.2.7", 35),
        ("2002:c000:204::1", 30),
        ("2001:0:4136:e378::1", 5),
        ("fd00::1", 3),
        ("fec0::1", 1),
        ("3ffe::1", 1),
        ("::192.0.2.7", 1),
    ];
    for (addr, want) in cases {
        assert_eq!(precedence(ip(addr)), want, "precedence({addr})");
    }
}

#[test]
fn answers_are_sorted_highest_first_and_stably() {
    let mut answers = [
        ip("127.0.0.1"),
        ip("fd00::1"),
        ip("192.0.2.1"),
        ip("::1"),
        ip("2001:db8::2"),
        ip("2001:0:4136:e378::1"),
        ip("2001:db8::1"),
    ];
    sort_answers(&mut answers);
    let got: Vec<String> = answers.iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        [
            "::1",
            "2001:db8::2",
            "2001:db8::1",
            "127.0.0.1",
            "192.0.2.1",
            "2001:0:4136:e378::1",
            "fd00::1"
        ],
        "sorted answers (equal precedence keeps the order given)"
    );
}

#[test]
fn localhost_gives_ipv6_first_as_the_chapter_says() {
    let mut answers = [ip("127.0.0.1"), ip("::1")];
    sort_answers(&mut answers);
    assert_eq!(answers[0], ip("::1"), "the first answer for localhost");
    let mut none: [IpAddr; 0] = [];
    sort_answers(&mut none);
}
