//! Exercise 08-1: a `/nick <new>` command.
//!
//! Let a client change its name. `nick(id, new)` returns the lines the
//! server must send:
//!
//! - success: everyone else gets `<old> is now known as <new>`, and the
//!   client itself gets `you are now <new>`; the old name is free again;
//! - the same name as now: `error: you are already <new>` to the client;
//! - an invalid name: `error: <why>` with the reason from
//!   `protocol::check_name`;
//! - a taken name: `error: the name <new> is taken`.
//!
//! Errors go to the client only, and change nothing.
//!
//! Run `make exercise EX=08-1` to check your work.

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
        // TODO: find the old name (a client that has not joined gets an error).
        // TODO: refuse the same name, an invalid name, a taken name.
        // TODO: store the new name and return the two announcements.
        todo!("rename client {id} to {new}")
    }
}
