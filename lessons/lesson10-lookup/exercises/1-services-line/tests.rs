use crate::ex1_code::*;

/// A typical entry with an alias and a comment.
#[test]
fn entry_with_alias_and_comment() {
    assert_eq!(
        parse_service_line("http\t\t80/tcp\t\twww\t\t# WorldWideWeb HTTP"),
        Some(Service {
            name: "http".into(),
            port: 80,
            proto: "tcp".into(),
            aliases: vec!["www".into()],
        })
    );
}

/// Entries without aliases, with several, and with a comment glued on.
#[test]
fn aliases_and_spacing() {
    let s = parse_service_line("kerberos  88/udp kerberos5 krb5 kerberos-sec").unwrap();
    assert_eq!((s.port, s.proto.as_str()), (88, "udp"));
    assert_eq!(s.aliases, ["kerberos5", "krb5", "kerberos-sec"]);
    let s = parse_service_line("ftp 21/tcp#no space before the comment").unwrap();
    assert_eq!((s.name.as_str(), s.aliases.len()), ("ftp", 0));
}

/// Lines that are not entries.
#[test]
fn non_entries() {
    for line in [
        "",
        "   ",
        "# a comment",
        "justaname",
        "name 80",
        "name 80/",
        "name x/tcp",
        "name 70000/tcp",
        "name -1/tcp",
        "#http 80/tcp",
    ] {
        assert_eq!(parse_service_line(line), None, "{line:?}");
    }
}

/// Agrees with the lesson's parser on every line of this machine's
/// /etc/services (when there is one) and on the lines above.
#[test]
fn agrees_with_the_lesson_on_the_real_file() {
    let text = std::fs::read_to_string("/etc/services").unwrap_or_default();
    let extra = "http 80/tcp www\nname 70000/tcp\nname 80/\n";
    for line in text.lines().chain(extra.lines()) {
        let ours = parse_service_line(line).map(|s| (s.name, s.port, s.proto, s.aliases));
        let lesson = lesson10_lookup::netdb::parse_service_line(line)
            .map(|s| (s.name, s.port, s.proto, s.aliases));
        assert_eq!(ours, lesson, "{line:?}");
    }
}
