//! The rule that keeps one implausible time from moving the clock
//! (docs/behaviour.md#implausible-times): a record more than a day plus
//! the lateness bound ahead of both the wall clock and the newest time
//! (for `connspy`, the end of its early stop) is malformed, not the new
//! newest time. A cut or garbled line (a
//! `copytruncate` that joins two halves, a lost leading digit) would
//! otherwise make every later record too late; this way it costs one
//! record. Logs of the past never meet the rule, so the original's
//! answers on them stay; a log that resumes after a gap is believed
//! because the wall clock has moved on too.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::parse::timestamp::{Duration, Timestamp};

/// How far past the later of the clock and the newest time a record may
/// be, besides the lateness bound: clocks of the machines that log and
/// the one that reads may disagree, and time zones are a day wide.
const LEAD: Duration = Duration::from_secs(86_400);

/// The latest time a record may have to be believed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Horizon {
    lead: Duration,
}

impl Horizon {
    /// The horizon of a log whose lateness bound is `lateness`.
    pub(crate) fn new(lateness: Duration) -> Horizon {
        Horizon {
            lead: LEAD.saturating_add(lateness),
        }
    }

    /// The latest believable time when the wall clock reads `clock` and
    /// the newest time so far is `newest`.
    pub(crate) fn limit(self, clock: Timestamp, newest: Timestamp) -> Timestamp {
        clock.max(newest).saturating_add(self.lead)
    }
}

/// The wall clock, as a time of the log (0 if it reads before 1970).
pub(crate) fn wall_clock() -> Timestamp {
    let since = SystemTime::now().duration_since(UNIX_EPOCH);
    Timestamp::from_nanos(since.map_or(0, |d| d.as_nanos()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_believed_up_to_a_day_and_the_bound_past_the_clock_or_the_newest_time() {
        let horizon = Horizon::new(Duration::from_secs(300));
        let (clock, newest) = (Timestamp::from_secs(1000), Timestamp::from_secs(500));
        assert_eq!(
            horizon.limit(clock, newest),
            Timestamp::from_secs(1000 + 86_700)
        );
        let later = Timestamp::from_secs(2_000_000);
        assert_eq!(horizon.limit(clock, later), Timestamp::from_secs(2_086_700));
    }
}
