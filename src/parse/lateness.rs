//! How late a log's latest-arriving records actually are
//! (docs/behaviour.md#measured-lateness): the lateness bound `L` is a
//! promise the tools rely on and never assume blindly. Each record read
//! is as late as its time is behind the newest time before it; the
//! largest such lateness, past `L`, becomes one warning at the end, with
//! the bound that would have covered it.
//!
//! Both tools count records apart (blocks, chunks) and add them up in
//! file order; [`Lateness::after`] joins a part measured on its own to
//! what came before it, so every way of counting measures the same.

use crate::parse::timestamp::{Duration, Timestamp};

/// The largest lateness met so far: how far a record's time was behind
/// the newest time before it (zero for a log read in time order).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Lateness(Duration);

impl Lateness {
    /// A record at `ts` arrived when `newest` was the newest time before
    /// it. On every record's path, so kept to a subtraction and a maximum.
    #[inline]
    pub(crate) fn arrived(&mut self, newest: Timestamp, ts: Timestamp) {
        let behind = newest.as_nanos().saturating_sub(ts.as_nanos());
        self.0 = self.0.max(Duration::from_nanos(behind));
    }

    /// Records measured apart, the earliest at `earliest` and up to
    /// `within` behind the newest time among themselves, came after a
    /// part whose newest time was `newest`.
    pub(crate) fn after(&mut self, newest: Timestamp, earliest: Timestamp, within: Lateness) {
        self.arrived(newest, earliest);
        self.0 = self.0.max(within.0);
    }

    /// The lateness met, when it is past `bound`.
    pub(crate) fn past(self, bound: Duration) -> Option<PastBound> {
        (self.0 > bound).then_some(PastBound {
            seen: self.0,
            bound,
        })
    }
}

/// The records of a run, or of a part of one measured on its own: their
/// newest and earliest times and how late the latest-arriving of them was
/// behind the newest time among them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Arrivals {
    newest: Timestamp,
    earliest: Timestamp,
    within: Lateness,
}

impl Default for Arrivals {
    /// No records: nothing is late after it, and it is late after nothing.
    fn default() -> Arrivals {
        Arrivals {
            newest: Timestamp::ZERO,
            earliest: Timestamp::from_nanos(u128::MAX),
            within: Lateness::default(),
        }
    }
}

impl Arrivals {
    /// The next record, at `ts`. On every record's path of `connspy`'s
    /// scan: a record of a log in time order (the usual case) costs one
    /// comparison, a store and a test of whether no time came before.
    #[inline]
    pub(crate) fn record(&mut self, ts: Timestamp) {
        if ts > self.newest {
            // A new newest time can be the earliest only while every time
            // before it was 0 (or none came): any other has an older one
            // before it.
            if self.newest == Timestamp::ZERO {
                self.earliest = self.earliest.min(ts);
            }
            self.newest = ts;
        } else {
            self.within.arrived(self.newest, ts);
            self.earliest = self.earliest.min(ts);
        }
    }

    /// The records of `part`, measured on its own, came next.
    pub(crate) fn then(&mut self, part: &Arrivals) {
        self.within.after(self.newest, part.earliest, part.within);
        self.newest = self.newest.max(part.newest);
        self.earliest = self.earliest.min(part.earliest);
    }

    /// How late the latest-arriving record was.
    pub(crate) fn lateness(&self) -> Lateness {
        self.within
    }
}

/// A measured lateness past the bound: the one warning both tools give,
/// each with what the broken bound may have cost it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PastBound {
    seen: Duration,
    bound: Duration,
}

impl PastBound {
    /// The warning's text: what was seen, then `cost` (what the broken
    /// bound may have cost), then the `--max-log-late-seconds` that would
    /// cover it and `advice`, if any (`; ` and more words).
    pub(crate) fn warning(self, cost: &str, advice: &str) -> String {
        format!(
            "warning: records arrived up to {} s behind the newest time before them, past the \
             lateness bound of {} s: {cost} (--max-log-late-seconds {} would cover it{advice})",
            self.seen,
            self.bound,
            self.cover_secs()
        )
    }

    /// The smallest whole number of seconds that covers the lateness seen.
    fn cover_secs(self) -> u128 {
        self.seen
            .as_nanos()
            .div_ceil(Duration::from_secs(1).as_nanos())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(nanos: u128) -> Timestamp {
        Timestamp::from_nanos(nanos)
    }

    #[test]
    fn a_record_is_as_late_as_it_is_behind_the_newest_time_before_it() {
        let mut late = Lateness::default();
        late.arrived(at(100), at(130));
        assert_eq!(late, Lateness::default(), "ahead of the newest is not late");
        late.arrived(at(100), at(40));
        late.arrived(at(100), at(70));
        assert_eq!(late, Lateness(Duration::from_nanos(60)));
    }

    /// A run cut into parts measured apart, then joined in order, measures
    /// what one pass over it measures.
    #[test]
    fn parts_measured_apart_and_joined_in_order_measure_what_one_pass_does() {
        let times = [50u128, 10, 60, 55, 20, 70, 70, 5, 80, 0, 3, 90];
        let mut one_pass = (Lateness::default(), at(0));
        for &t in &times {
            one_pass.0.arrived(one_pass.1, at(t));
            one_pass.1 = one_pass.1.max(at(t));
        }
        for cut in
            (0..=times.len()).flat_map(|a| (a..=times.len()).map(move |b| [0, a, b, times.len()]))
        {
            let (mut joined, mut newest) = (Lateness::default(), at(0));
            let mut arrivals = Arrivals::default();
            for part in cut.windows(2).map(|w| &times[w[0]..w[1]]) {
                let (mut within, mut part_newest) = (Lateness::default(), at(0));
                let mut apart = Arrivals::default();
                for &t in part {
                    within.arrived(part_newest, at(t));
                    part_newest = part_newest.max(at(t));
                    apart.record(at(t));
                }
                if let Some(earliest) = part.iter().map(|&t| at(t)).min() {
                    joined.after(newest, earliest, within);
                }
                newest = newest.max(part_newest);
                arrivals.then(&apart);
            }
            assert_eq!(joined, one_pass.0, "cut at {cut:?}");
            assert_eq!(arrivals.lateness(), one_pass.0, "cut at {cut:?}");
        }
    }

    #[test]
    fn the_warning_gives_the_lateness_and_the_whole_seconds_that_cover_it() {
        let late = Lateness(Duration::from_nanos(7_200_250_000_000));
        assert_eq!(late.past(Duration::from_secs(7201)), None);
        let past = late.past(Duration::from_secs(300)).unwrap();
        assert_eq!(
            past.warning("some cost", "; more"),
            "warning: records arrived up to 7200.25 s behind the newest time before them, past \
             the lateness bound of 300 s: some cost (--max-log-late-seconds 7201 would cover \
             it; more)"
        );
        let exact = Lateness(Duration::from_secs(400)).past(Duration::from_secs(300));
        assert_eq!(exact.unwrap().cover_secs(), 400);
    }
}
