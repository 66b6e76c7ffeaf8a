//! The client's bookkeeping: what was sent, what came back, and how.
//!
//! No sockets here: [`Tally::record`] is told a sequence number and a
//! round-trip time and classifies the reply, so the counting rules are
//! tested without a network.

use std::time::Duration;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Datagrams sent.
    pub sent: u64,
    /// Round-trip time of the first reply to each sequence number; `None`
    /// while no reply has come. Index 0 is sequence number 1.
    pub rtts: Vec<Option<Duration>>,
    /// Extra copies of replies already received.
    pub duplicates: u64,
    /// Replies that arrived after a reply with a higher sequence number.
    pub reordered: u64,
    /// Datagrams that were not a reply to anything we sent (wrong length,
    /// unknown sequence number, bytes not as sent).
    pub foreign: u64,
    /// The highest sequence number a reply has come for, to spot reordering.
    highest: u64,
}

/// How a reply was classified by [`Tally::record`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// The first reply to this sequence number, in order.
    InOrder,
    /// The first reply, but a later sequence number was answered first.
    Reordered,
    /// Another copy of a reply already counted.
    Duplicate,
}

impl Tally {
    /// An empty tally for a run that will send `count` datagrams.
    pub fn new(count: u64) -> Self {
        Tally {
            rtts: vec![None; count as usize],
            ..Tally::default()
        }
    }
}

// ANCHOR: tally
impl Tally {
    /// Distinct sequence numbers that got a reply (duplicates not counted).
    pub fn received(&self) -> u64 {
        self.rtts.iter().filter(|r| r.is_some()).count() as u64
    }

    /// Records a reply to `seq` that took `rtt`, and says what it was.
    /// `seq` must be one we sent (1..=sent).
    pub fn record(&mut self, seq: u64, rtt: Duration) -> Arrival {
        let slot = &mut self.rtts[(seq - 1) as usize];
        if slot.is_some() {
            self.duplicates += 1;
            return Arrival::Duplicate;
        }
        *slot = Some(rtt);
        if seq < self.highest {
            self.reordered += 1;
            Arrival::Reordered
        } else {
            self.highest = seq;
            Arrival::InOrder
        }
    }

    /// Percentage of datagrams that got no reply at all.
    pub fn loss_percent(&self) -> f64 {
        if self.sent == 0 {
            return 0.0;
        }
        (self.sent - self.received()) as f64 * 100.0 / self.sent as f64
    }

    /// The summary line: `5 sent, 4 received, 20% loss, rtt min/avg/max =
    /// 0.041/0.052/0.070 ms, 1 duplicate, 0 reordered` (ping's order first,
    /// then what ping does not count).
    pub fn summary(&self) -> String {
        let got: Vec<Duration> = self.rtts.iter().flatten().copied().collect();
        let rtt = match (got.iter().min(), got.iter().max()) {
            (Some(min), Some(max)) => {
                let avg = got.iter().sum::<Duration>() / got.len() as u32;
                format!("{}/{}/{} ms", ms(*min), ms(avg), ms(*max))
            }
            _ => "-/-/- ms".to_string(),
        };
        let loss = self.loss_percent();
        let loss = if loss.fract() == 0.0 {
            format!("{loss:.0}")
        } else {
            format!("{loss:.1}")
        };
        format!(
            "{} sent, {} received, {loss}% loss, rtt min/avg/max = {rtt}, {}, {} reordered",
            self.sent,
            self.received(),
            common::text::count(self.duplicates, "duplicate"),
            self.reordered,
        )
    }
}
// ANCHOR_END: tally

/// A duration in milliseconds with three decimals, as ping prints it.
pub(crate) fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_counts_duplicates_and_reordering() {
        let mut t = Tally {
            sent: 4,
            rtts: vec![None; 4],
            ..Tally::default()
        };
        let ms = Duration::from_millis;
        assert_eq!(t.record(1, ms(1)), Arrival::InOrder);
        assert_eq!(t.record(3, ms(3)), Arrival::InOrder);
        assert_eq!(t.record(2, ms(2)), Arrival::Reordered);
        assert_eq!(t.record(2, ms(5)), Arrival::Duplicate);
        assert_eq!(t.received(), 3);
        assert_eq!(t.duplicates, 1);
        assert_eq!(t.reordered, 1);
        assert_eq!(
            t.summary(),
            "4 sent, 3 received, 25% loss, rtt min/avg/max = 1.000/2.000/3.000 ms, 1 duplicate, 1 reordered"
        );
    }

    #[test]
    fn summary_without_replies_has_no_rtt() {
        let t = Tally {
            sent: 3,
            rtts: vec![None; 3],
            ..Tally::default()
        };
        assert_eq!(
            t.summary(),
            "3 sent, 0 received, 100% loss, rtt min/avg/max = -/-/- ms, 0 duplicates, 0 reordered"
        );
    }

    #[test]
    fn fractional_loss_has_one_decimal() {
        let mut t = Tally {
            sent: 3,
            rtts: vec![None; 3],
            ..Tally::default()
        };
        t.record(1, Duration::from_millis(1));
        assert!(t.summary().contains(" 66.7% loss"), "{}", t.summary());
    }
}
