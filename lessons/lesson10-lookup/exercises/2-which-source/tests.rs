use crate::ex2_code::*;

use std::net::IpAddr;

const HOSTS: &str = "\
# The following lines are desirable for IPv4 capable hosts
127.0.0.1       localhost
127.0.1.1\tclassroom.example classroom  # this machine
::1             localhost ip6-localhost ip6-loopback
not-an-address  localhost
192.0.2.7 teacher
";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Every line with the name counts, in file order.
#[test]
fn files_answers_with_every_matching_line() {
    assert_eq!(
        which_source(HOSTS, "localhost"),
        Source::Files {
            lines: vec![2, 4],
            addrs: vec![ip("127.0.0.1"), ip("::1")],
        },
        "which_source(HOSTS, \"localhost\")"
    );
}

/// Aliases count, case does not, comments do not.
#[test]
fn aliases_case_and_comments() {
    assert_eq!(
        which_source(HOSTS, "CLASSROOM"),
        Source::Files {
            lines: vec![3],
            addrs: vec![ip("127.0.1.1")],
        },
        "which_source(HOSTS, \"CLASSROOM\")"
    );
    assert_eq!(
        which_source(HOSTS, "machine"),
        Source::Dns,
        "which_source(HOSTS, \"machine\")"
    );
    assert_eq!(
        which_source(HOSTS, "following"),
        Source::Dns,
        "which_source(HOSTS, \"following\")"
    );
}

/// Names the file does not have go to DNS.
#[test]
fn unknown_names_go_to_dns() {
    assert_eq!(
        which_source(HOSTS, "no-such-host.invalid"),
        Source::Dns,
        "which_source(HOSTS, \"no-such-host.invalid\")"
    );
    assert_eq!(
        which_source("", "localhost"),
        Source::Dns,
        "which_source(\"\", \"localhost\")"
    );
}

/// On this machine, localhost comes from /etc/hosts.
#[test]
fn localhost_comes_from_this_machines_hosts_file() {
    let hosts = std::fs::read_to_string("/etc/hosts").expect("read /etc/hosts");
    match which_source(&hosts, "localhost") {
        Source::Files { addrs, .. } => assert!(addrs.iter().all(|a| a.is_loopback())),
        Source::Dns => panic!("/etc/hosts has no localhost line"),
    }
}
