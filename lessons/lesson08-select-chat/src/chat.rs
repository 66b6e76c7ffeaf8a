//! The chat itself, with no socket in sight: names, rules and the protocol
//! table, as a state machine.
//!
//! An engine (lesson 08's mio loop, the `poll_chat` example, lesson 13's
//! tokio tasks) owns the sockets. It tells the [`Chat`] what happened to a
//! client ([`Chat::connected`], [`Chat::line`], [`Chat::too_long`],
//! [`Chat::timed_out`], [`Chat::left`]) or on the console
//! ([`Chat::console`]); the chat answers with a list of [`Out`]s: what to
//! send to whom, whom to close, what to log. The engine applies them and
//! never needs to know what a line means; the chat never waits, never
//! fails and never calls back into the engine.
//!
//! ```
//! use lesson08_select_chat::chat::{Chat, Id, Out};
//!
//! let mut chat = Chat::new();
//! let ann = Id(1);
//! chat.connected(ann, "127.0.0.1:5000"); // the prompt for ann
//! let out = chat.line(ann, b"NAME:ann");
//! assert_eq!(out[0], Out::To(ann, "Welcome ann".into()));
//! assert_eq!(out[1], Out::AllBut(Some(ann), "ann joined".into()));
//! ```
//!
//! A client goes through three [`Phase`]s: `Joining` (connected, no name
//! yet: its lines are `NAME:` attempts), `Chatting` (in the room) and
//! `Leaving` (the chat has asked for it to be closed and ignores what it
//! still sends). The engine calls [`Chat::left`] once the connection is
//! really gone, whichever side ended it.

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::Arc;
use std::time::Duration;

use common::text::strip_controls;

use crate::protocol::{self, Hello, Request};

/// A client, as the engine numbers it (a slot, a token, a task number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(pub usize);

/// One line to send, without its `\n`. Shared, so that a broadcast to
/// 10,000 clients clones a pointer, not the text (an engine that copies
/// into a write buffer copies once per client anyway).
pub type Line = Arc<str>;

/// The first thing a new client hears: how to join (a user on `nc` would
/// otherwise not know what to type).
pub const PROMPT: &str = "send NAME:<name> to join (NAME: alone uses your address)";
/// What every client hears when the server stops.
pub const GOODBYE: &str = "server shutting down";
/// What a client hears before it is closed for a line over the limit.
pub const TOO_LONG: &str = "error: line too long";

/// What the engine must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    /// Send this line to this client.
    To(Id, Line),
    /// Send this line to every client in the room (the `Chatting` ones,
    /// see [`Chat::members`]) except the one named, if any.
    AllBut(Option<Id>, Line),
    /// Close this client once what is queued for it has been sent. The
    /// engine calls [`Chat::left`] when the connection is gone.
    Close(Id),
    /// A line for the server's own log (stdout), unless it runs quiet.
    Log(String),
    /// The console said `QUIT`: send [`GOODBYE`] to every connection and
    /// stop.
    Stop,
}

/// Where a client stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Connected; its lines are `NAME:` attempts.
    Joining,
    /// In the room under this name.
    Chatting(String),
    /// Out of the room, to be closed: what it sends is ignored.
    Leaving,
}

/// One client as the chat sees it.
#[derive(Debug)]
struct Member {
    /// The peer address as text, the name of a client that sends `NAME:`.
    peer: String,
    phase: Phase,
}

// ANCHOR: chat
/// The room: every client's phase and the names taken.
#[derive(Debug, Default)]
pub struct Chat {
    members: HashMap<Id, Member>,
    /// Name -> client, for `/msg` and taken names.
    names: HashMap<String, Id>,
    /// Chat lines relayed (public and private).
    messages: u64,
}

impl Chat {
    /// An empty room.
    pub fn new() -> Self {
        Chat::default()
    }

    /// Client `id` connected from `peer`: it is told how to join.
    pub fn connected(&mut self, id: Id, peer: impl Display) -> Vec<Out> {
        let member = Member {
            peer: peer.to_string(),
            phase: Phase::Joining,
        };
        self.members.insert(id, member);
        vec![Out::To(id, PROMPT.into())]
    }

    /// Client `id` sent one line (without its `\n`; a trailing `\r` is
    /// ignored).
    pub fn line(&mut self, id: Id, line: &[u8]) -> Vec<Out> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match self.members.get(&id).map(|m| &m.phase) {
            Some(Phase::Joining) => self.join(id, line),
            Some(Phase::Chatting(name)) => {
                let name = name.clone();
                self.request(id, &name, line)
            }
            Some(Phase::Leaving) | None => Vec::new(),
        }
    }
    // ANCHOR_END: chat

    // ANCHOR: join
    /// The name handshake: one line, checked; a refusal lets the client try
    /// again. (The original read the name with a blocking `recv` inside its
    /// `select` loop, so one client that said nothing froze the room; here
    /// a client without a name is only a client whose lines mean something
    /// else.)
    fn join(&mut self, id: Id, line: &[u8]) -> Vec<Out> {
        let peer = &self.members[&id].peer;
        let name = match protocol::parse_hello(line) {
            Hello::Anonymous => peer.clone(),
            Hello::Name(name) => match protocol::check_name(name) {
                Ok(()) => name.to_string(),
                Err(why) => return error(id, &why),
            },
            Hello::Refused(why) => return error(id, why),
        };
        if self.names.contains_key(&name) {
            return error(id, &format!("the name {name} is taken"));
        }
        let log = if name == *peer {
            format!("{name} joined") // the name *is* the address
        } else {
            format!("{name} joined from {peer}")
        };
        self.names.insert(name.clone(), id);
        self.set_phase(id, Phase::Chatting(name.clone()));
        vec![
            Out::To(id, format!("Welcome {name}").into()),
            Out::AllBut(Some(id), format!("{name} joined").into()),
            Out::Log(log),
        ]
    }
    // ANCHOR_END: join

    // ANCHOR: request
    /// One line from `name` (client `id`), who is in the room.
    fn request(&mut self, id: Id, name: &str, line: &[u8]) -> Vec<Out> {
        // Nobody gets to put escape sequences on other people's terminals.
        let text = strip_controls(line);
        match protocol::parse(&text) {
            Request::Say(text) => {
                self.messages += 1;
                let line = format!("{name}: {text}");
                vec![Out::AllBut(Some(id), line.as_str().into()), Out::Log(line)]
            }
            Request::Msg { to, text } => match self.names.get(to) {
                Some(&to_id) => {
                    self.messages += 1;
                    vec![
                        Out::To(to_id, format!("[private] {name}: {text}").into()),
                        Out::Log(format!("{name} -> {to}: (private message)")),
                    ]
                }
                None => error(id, &format!("no user named {to}")),
            },
            Request::Who => {
                let who = protocol::who_line(self.names.keys().map(String::as_str));
                vec![Out::To(id, who.into())]
            }
            Request::Quit => self.leave(id, "quit"),
            Request::Nothing => Vec::new(),
            Request::Invalid(error) => vec![Out::To(id, error.into())],
        }
    }
    // ANCHOR_END: request

    /// Client `id` sent a line longer than [`protocol::MAX_LINE`]: it is
    /// told, and closed.
    pub fn too_long(&mut self, id: Id) -> Vec<Out> {
        self.say_and_leave(id, TOO_LONG.into(), "sent a line over 4096 bytes")
    }

    /// Client `id` sent nothing for `idle`: it is told, and closed.
    pub fn timed_out(&mut self, id: Id, idle: Duration) -> Vec<Out> {
        let line = format!(
            "error: idle for {}, disconnecting",
            common::text::secs(idle)
        );
        self.say_and_leave(id, line.into(), "idle")
    }

    /// Client `id`'s connection is gone, for the reason `why` (EOF, a
    /// reset, a full write queue, or the close the chat asked for). The
    /// room hears `<name> left` unless it already did.
    pub fn left(&mut self, id: Id, why: impl Display) -> Vec<Out> {
        let Some(member) = self.members.remove(&id) else {
            return Vec::new();
        };
        match member.phase {
            Phase::Chatting(name) => {
                self.names.remove(&name);
                announce_left(&name, &member.peer, &why)
            }
            Phase::Joining | Phase::Leaving => Vec::new(),
        }
    }

    /// A line typed on the server's console: `QUIT` stops the server,
    /// anything else goes to the room as `Server: <text>`.
    pub fn console(&mut self, line: &[u8]) -> Vec<Out> {
        let text = strip_controls(line);
        match text.trim() {
            "QUIT" => vec![Out::Stop],
            "" => Vec::new(),
            text => vec![Out::AllBut(None, format!("Server: {text}").into())],
        }
    }

    /// The clients in the room (`Chatting`): who an [`Out::AllBut`] goes to.
    pub fn members(&self) -> impl Iterator<Item = Id> + '_ {
        self.names.values().copied()
    }

    /// Where client `id` stands; `None` for a client the chat does not know
    /// (never connected, or [`Chat::left`] already).
    pub fn phase(&self, id: Id) -> Option<&Phase> {
        self.members.get(&id).map(|m| &m.phase)
    }

    /// Chat lines relayed so far (public and private).
    pub fn messages(&self) -> u64 {
        self.messages
    }

    /// The client is out of the room at once (the others hear of it), and
    /// the engine is asked to close it after its last lines.
    fn leave(&mut self, id: Id, why: &str) -> Vec<Out> {
        let Some(member) = self.members.get_mut(&id) else {
            return Vec::new();
        };
        let phase = std::mem::replace(&mut member.phase, Phase::Leaving);
        let mut out = match phase {
            Phase::Chatting(name) => {
                self.names.remove(&name);
                announce_left(&name, &member.peer, &why)
            }
            Phase::Joining | Phase::Leaving => Vec::new(),
        };
        out.push(Out::Close(id));
        out
    }

    fn say_and_leave(&mut self, id: Id, line: Line, why: &str) -> Vec<Out> {
        if !matches!(self.phase(id), Some(Phase::Joining | Phase::Chatting(_))) {
            return Vec::new();
        }
        let mut out = vec![Out::To(id, line)];
        out.extend(self.leave(id, why));
        out
    }

    fn set_phase(&mut self, id: Id, phase: Phase) {
        if let Some(m) = self.members.get_mut(&id) {
            m.phase = phase;
        }
    }
}

/// `error: <why>` to client `id`.
fn error(id: Id, why: &str) -> Vec<Out> {
    vec![Out::To(id, format!("error: {why}").into())]
}

/// `<name> left` to the room, and the log line (without the address twice
/// for a client named after its address).
fn announce_left(name: &str, peer: &str, why: &dyn Display) -> Vec<Out> {
    let log = if name == peer {
        format!("{name} left ({why})")
    } else {
        format!("{name} left from {peer} ({why})")
    };
    vec![
        Out::AllBut(None, format!("{name} left").into()),
        Out::Log(log),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy engine: applies the chat's output to one inbox per client.
    #[derive(Default)]
    struct Room {
        chat: Chat,
        inbox: HashMap<Id, Vec<String>>,
        closed: Vec<Id>,
        log: Vec<String>,
        stopped: bool,
    }

    const ANN: Id = Id(1);
    const BOB: Id = Id(2);
    const CY: Id = Id(3);

    impl Room {
        fn apply(&mut self, out: Vec<Out>) {
            for o in out {
                match o {
                    Out::To(id, line) => self.inbox.entry(id).or_default().push(line.to_string()),
                    Out::AllBut(except, line) => {
                        for id in self.chat.members().collect::<Vec<_>>() {
                            if Some(id) != except {
                                self.inbox.entry(id).or_default().push(line.to_string());
                            }
                        }
                    }
                    Out::Close(id) => self.closed.push(id),
                    Out::Log(line) => self.log.push(line),
                    Out::Stop => self.stopped = true,
                }
            }
        }
        fn run(&mut self, event: impl FnOnce(&mut Chat) -> Vec<Out>) {
            let out = event(&mut self.chat);
            self.apply(out);
        }
        fn connect(&mut self, id: Id) {
            let out = self
                .chat
                .connected(id, format!("127.0.0.1:{}", 5000 + id.0));
            self.apply(out);
            assert_eq!(self.take(id), [PROMPT]);
        }
        fn send(&mut self, id: Id, line: &str) {
            let out = self.chat.line(id, line.as_bytes());
            self.apply(out);
        }
        fn join(&mut self, id: Id, name: &str) {
            self.connect(id);
            self.send(id, &format!("NAME:{name}"));
            assert_eq!(self.take(id), [format!("Welcome {name}")]);
        }
        /// Lines client `id` got since the last call.
        fn take(&mut self, id: Id) -> Vec<String> {
            self.inbox.remove(&id).unwrap_or_default()
        }
        /// A room with ann, bob and cy, inboxes empty.
        fn three() -> Room {
            let mut room = Room::default();
            room.join(ANN, "ann");
            room.join(BOB, "bob");
            room.join(CY, "cy");
            assert_eq!(room.take(ANN), ["bob joined", "cy joined"]);
            assert_eq!(room.take(BOB), ["cy joined"]);
            room
        }
    }

    #[test]
    fn a_newcomer_is_told_how_to_join() {
        let mut chat = Chat::new();
        assert_eq!(
            chat.connected(ANN, "127.0.0.1:1"),
            [Out::To(ANN, PROMPT.into())]
        );
        assert!(PROMPT.contains("NAME:<name>"));
        assert_eq!(chat.phase(ANN), Some(&Phase::Joining));
    }

    #[test]
    fn name_joins_with_a_welcome_and_the_others_hear_of_it() {
        let mut room = Room::default();
        room.join(ANN, "ann");
        room.join(BOB, "bob");
        assert_eq!(room.take(ANN), ["bob joined"]);
        assert_eq!(
            room.log,
            [
                "ann joined from 127.0.0.1:5001",
                "bob joined from 127.0.0.1:5002"
            ]
        );
        assert_eq!(room.chat.phase(BOB), Some(&Phase::Chatting("bob".into())));
    }

    #[test]
    fn an_empty_name_is_the_peer_address_logged_once() {
        let mut room = Room::default();
        room.connect(ANN);
        room.send(ANN, "NAME:");
        assert_eq!(room.take(ANN), ["Welcome 127.0.0.1:5001"]);
        room.run(|c| c.left(ANN, "closed the connection"));
        assert_eq!(
            room.log,
            [
                "127.0.0.1:5001 joined",
                "127.0.0.1:5001 left (closed the connection)"
            ]
        );
    }

    #[test]
    fn bad_names_get_errors_and_the_client_may_retry() {
        let mut room = Room::default();
        room.join(ANN, "ann");
        room.connect(BOB);
        // One case per way to refuse; every name rule is in `protocol`'s tests.
        let cases: [(&[u8], &str); 4] = [
            (b"NAME:ann", "error: the name ann is taken"),
            (b"hello", "error: say who you are first: NAME:<name>"),
            (b"NAME:\xffx", "error: a name must be valid UTF-8"),
            (b"NAME:Server", "error: the name Server is reserved"),
        ];
        for (line, want) in cases {
            let out = room.chat.line(BOB, line);
            room.apply(out);
            assert_eq!(room.take(BOB), [want]);
        }
        assert!(room.take(ANN).is_empty(), "no noise from failed tries");
        let name = "é".repeat(32);
        room.send(BOB, &format!("NAME:{name}"));
        assert_eq!(room.take(BOB), [format!("Welcome {name}")]);
        assert_eq!(room.take(ANN), [format!("{name} joined")]);
    }

    #[test]
    fn text_goes_to_everyone_else_without_control_characters() {
        let mut room = Room::three();
        room.send(ANN, "hello, room\r");
        assert_eq!(room.take(BOB), ["ann: hello, room"]);
        assert_eq!(room.take(CY), ["ann: hello, room"]);
        assert!(room.take(ANN).is_empty(), "the sender gets no copy");
        let out = room.chat.line(BOB, b"hi \x1b[2J\x07there \xff");
        room.apply(out);
        assert_eq!(room.take(ANN), ["bob: hi [2Jthere \u{fffd}"]);
        assert_eq!(room.chat.messages(), 2);
    }

    #[test]
    fn private_messages_reach_only_their_target() {
        let mut room = Room::three();
        room.send(ANN, "/msg bob meet  at noon");
        assert_eq!(room.take(BOB), ["[private] ann: meet  at noon"]);
        assert!(room.take(CY).is_empty());
        assert_eq!(room.log.last().unwrap(), "ann -> bob: (private message)");
        room.send(ANN, "/msg zed hello?");
        assert_eq!(room.take(ANN), ["error: no user named zed"]);
        room.send(ANN, "/msg bob");
        assert_eq!(room.take(ANN), ["error: usage: /msg <name> <text>"]);
        room.send(ANN, "/mgs bob typo");
        assert!(room.take(ANN)[0].starts_with("error: unknown command /mgs"));
        assert!(room.take(BOB).is_empty() && room.take(CY).is_empty());
    }

    /// The original's `SECRECT <name> <text>` is a private message. (Before
    /// the chat core it was relayed to the whole room as text: this test
    /// fails on that behaviour.)
    #[test]
    fn secrect_is_a_private_message_never_broadcast() {
        let mut room = Room::three();
        room.send(ANN, "SECRECT bob hi there");
        assert_eq!(room.take(BOB), ["[private] ann: hi there"]);
        assert!(room.take(CY).is_empty(), "SECRECT leaked to the room");
        room.send(ANN, "SECRECT zed hi");
        assert_eq!(room.take(ANN), ["error: no user named zed"]);
        room.send(ANN, "SECRECT bob");
        assert_eq!(room.take(ANN), ["error: usage: SECRECT <name> <text>"]);
        assert!(room.take(BOB).is_empty() && room.take(CY).is_empty());
        room.send(ANN, "SECRECTS are fun");
        assert_eq!(
            room.take(BOB),
            ["ann: SECRECTS are fun"],
            "only the word itself"
        );
    }

    #[test]
    fn who_lists_the_room_sorted() {
        let mut room = Room::three();
        room.connect(Id(9)); // joining: not in the room
        room.send(CY, "/who");
        assert_eq!(room.take(CY), ["online: ann, bob, cy"]);
    }

    #[test]
    fn quit_leaves_and_is_closed_after_the_goodbyes() {
        let mut room = Room::three();
        room.send(BOB, "/quit");
        assert_eq!(room.take(ANN), ["bob left"]);
        assert_eq!(room.take(CY), ["bob left"]);
        assert!(room.take(BOB).is_empty());
        assert_eq!(room.closed, [BOB]);
        assert_eq!(room.chat.phase(BOB), Some(&Phase::Leaving));
        room.send(BOB, "still talking");
        assert!(room.take(ANN).is_empty(), "a leaving client is not heard");
        // The engine reports the close: nobody hears `left` twice.
        room.run(|c| c.left(BOB, "closed the connection"));
        assert!(room.take(ANN).is_empty());
        assert_eq!(room.chat.phase(BOB), None);
        room.join(Id(4), "bob"); // the name is free again
    }

    #[test]
    fn a_disconnect_is_announced_once() {
        let mut room = Room::three();
        room.run(|c| c.left(CY, "connection lost: reset"));
        assert_eq!(room.take(ANN), ["cy left"]);
        assert_eq!(
            room.log.last().unwrap(),
            "cy left from 127.0.0.1:5003 (connection lost: reset)"
        );
        assert!(room.chat.left(CY, "again").is_empty());
        room.connect(Id(9));
        assert!(
            room.chat.left(Id(9), "closed").is_empty(),
            "never joined: silent"
        );
    }

    #[test]
    fn a_line_too_long_is_refused_and_closed() {
        let mut room = Room::three();
        room.run(|c| c.too_long(ANN));
        assert_eq!(room.take(ANN), [TOO_LONG]);
        assert_eq!(room.take(BOB), ["ann left"]);
        assert_eq!(room.closed, [ANN]);
        assert!(room.chat.too_long(ANN).is_empty(), "once only");
    }

    #[test]
    fn idle_clients_are_told_and_closed() {
        let mut room = Room::three();
        room.connect(Id(9));
        room.run(|c| c.timed_out(Id(9), Duration::from_secs(3)));
        assert_eq!(room.take(Id(9)), ["error: idle for 3s, disconnecting"]);
        assert!(room.take(ANN).is_empty(), "it never joined");
        room.run(|c| c.timed_out(ANN, Duration::from_secs(300)));
        assert_eq!(room.take(BOB), ["ann left"]);
        assert_eq!(room.closed, [Id(9), ANN]);
    }

    #[test]
    fn console_text_and_quit() {
        let mut room = Room::three();
        room.connect(Id(9));
        room.run(|c| c.console(b"  maintenance at noon \x1b[31m"));
        for id in [ANN, BOB, CY] {
            assert_eq!(room.take(id), ["Server: maintenance at noon [31m"]);
        }
        assert!(room.take(Id(9)).is_empty(), "not in the room yet");
        assert!(room.chat.console(b"   ").is_empty());
        assert_eq!(room.chat.console(b"QUIT\r"), [Out::Stop]);
    }
}
