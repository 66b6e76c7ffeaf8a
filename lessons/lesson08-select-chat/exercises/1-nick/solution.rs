//! Exercise 08-1: a `/nick <new>` command (solution).
//!
//! Renaming is a check (valid? free?) and an update, then two lines: one
//! for the room, one for the client. In the real server the same code
//! would also update the name -> slot map used by `/msg`.

use std::collections::HashMap;

use lesson08_select_chat::protocol::check_name;

/// Who gets a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum To {
    /// Only this client.
    One(usize),
    /// Everyone in the room except this client.
    AllBut(usize),
}

/// The names in the room, by client id (the event loop's slot number).
#[derive(Debug, Default)]
pub struct Names {
    by_id: HashMap<usize, String>,
}

impl Names {
    /// Adds client `id` as `name` (already checked by the caller).
    pub fn join(&mut self, id: usize, name: &str) {
        self.by_id.insert(id, name.to_string());
    }

    /// The name of client `id`.
    pub fn name(&self, id: usize) -> Option<&str> {
        self.by_id.get(&id).map(String::as_str)
    }

    /// Whether some client is called `name`.
    pub fn is_taken(&self, name: &str) -> bool {
        self.by_id.values().any(|n| n == name)
    }

    /// Handles `/nick <new>` from client `id` (who has joined).
    pub fn nick(&mut self, id: usize, new: &str) -> Vec<(To, String)> {
        let error = |text: String| vec![(To::One(id), format!("error: {text}"))];
        // A client without a name has not joined: nothing to rename.
        let Some(old) = self.name(id).map(str::to_string) else {
            return error("join first with NAME:<name>".into());
        };
        if old == new {
            return error(format!("you are already {new}"));
        }
        // The same rules as at join time, from the lesson's protocol module.
        if let Err(why) = check_name(new) {
            return error(why);
        }
        if self.is_taken(new) {
            return error(format!("the name {new} is taken"));
        }
        // Replacing the entry frees the old name in the same step.
        self.by_id.insert(id, new.to_string());
        vec![
            (To::AllBut(id), format!("{old} is now known as {new}")),
            (To::One(id), format!("you are now {new}")),
        ]
    }
}
