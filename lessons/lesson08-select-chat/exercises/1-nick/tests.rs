//! Tests for exercise 08-1 (/nick).

use crate::ex1_code::*;

fn room() -> Names {
    let mut names = Names::default();
    names.join(1, "ann");
    names.join(2, "bob");
    names
}

#[test]
fn a_rename_is_announced_and_frees_the_old_name() {
    let mut names = room();
    let lines = names.nick(1, "anna");
    assert_eq!(
        lines,
        vec![
            (To::AllBut(1), "ann is now known as anna".to_string()),
            (To::One(1), "you are now anna".to_string()),
        ],
        "lines"
    );
    assert_eq!(names.name(1), Some("anna"), "names.name(1)");
    assert!(!names.is_taken("ann"), "the old name is free again");
    assert_eq!(
        names.nick(2, "ann")[1].1,
        "you are now ann",
        "names.nick(2, \"ann\")[1].1"
    );
}

#[test]
fn a_taken_name_is_refused() {
    let mut names = room();
    assert_eq!(
        names.nick(1, "bob"),
        vec![(To::One(1), "error: the name bob is taken".to_string())],
        "names.nick(1, \"bob\")"
    );
    assert_eq!(names.name(1), Some("ann"), "names.name(1)");
}

#[test]
fn invalid_and_unchanged_names_are_refused() {
    let mut names = room();
    assert_eq!(
        names.nick(1, "a b"),
        vec![(
            To::One(1),
            "error: a name cannot contain spaces or control characters".to_string()
        )],
        "names.nick(1, \"a b\")"
    );
    assert_eq!(
        names.nick(1, &"x".repeat(33))[0].1,
        "error: a name has 1 to 32 characters",
        "names.nick(1, &\"x\".repeat(33))[0].1"
    );
    assert_eq!(
        names.nick(1, "ann"),
        vec![(To::One(1), "error: you are already ann".to_string())],
        "names.nick(1, \"ann\")"
    );
    assert_eq!(names.name(1), Some("ann"), "names.name(1)");
}
