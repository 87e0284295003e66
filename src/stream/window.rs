//! The windows `connspy-stream` summarises: their width (`--window`, an
//! hour by default, docs/behaviour.md#hours), their bounds and closing deadline,
//! and the state of one open window (its counts and lists).
//!
//! A record belongs to the window starting at `floor(TS / W) * W`. The
//! width divides a day, so windows of every width start at UTC midnight
//! and nest in whole days. A window closes once `latest - start > W + L`.

use std::io::{self, Write};

use crate::parse::record::Record;
use crate::parse::target::Target;
use crate::parse::timestamp::{Duration, Timestamp};
use crate::stream::dedup::{HostList, Inserted, ListMaker, NamedList};
use crate::stream::host_counts::{HostCounts, ListMark};
use crate::stream::rows::{RowKind, WindowRows};
use crate::stream::space_saving::SpaceSaving;

/// Seconds in a day: every width must divide it.
const DAY_SECS: u64 = 86_400;

/// A window width: a whole number of seconds that divides a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowWidth(u64);

impl WindowWidth {
    /// The original's hour (docs/behaviour.md#hours), the default.
    pub const HOUR: WindowWidth = WindowWidth(3600);

    /// Parses `--window`: a whole number with a unit `s`, `m`, `h` or `d`
    /// (`300s`, `5m`, `15m`, `1h`, `1d`); a bare number is seconds. It must
    /// be positive and divide a day (86400 s).
    pub fn parse(text: &str) -> Result<WindowWidth, String> {
        let t = text.trim();
        let (digits, unit) = match t.as_bytes().last() {
            Some(b's') => (&t[..t.len() - 1], 1),
            Some(b'm') => (&t[..t.len() - 1], 60),
            Some(b'h') => (&t[..t.len() - 1], 3600),
            Some(b'd') => (&t[..t.len() - 1], DAY_SECS),
            _ => (t, 1),
        };
        let bad = || {
            format!(
                "'{text}' is not a window: a whole number with a unit s, m, h or d \
                 (e.g. 300s, 5m, 15m, 1h, 1d)"
            )
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let secs = digits
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(unit))
            .ok_or_else(bad)?;
        if secs == 0 || !DAY_SECS.is_multiple_of(secs) {
            return Err(format!(
                "a window of '{text}' ({secs} s) does not divide a day ({DAY_SECS} s) \
                 into whole windows (e.g. 5m, 15m, 1h, 1d)"
            ));
        }
        Ok(WindowWidth(secs))
    }

    /// The width as a duration.
    pub fn duration(self) -> Duration {
        Duration::from_secs(self.0)
    }
}

impl Default for WindowWidth {
    fn default() -> WindowWidth {
        WindowWidth::HOUR
    }
}

/// A window's bounds and its closing deadline `start + W + L`: the window
/// closes once `latest > deadline`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowSpan {
    /// The window's first instant.
    pub start: Timestamp,
    /// The first instant after the window.
    pub end: Timestamp,
    /// The window is complete once the newest time seen passes this (start + width + L).
    pub deadline: Timestamp,
}

impl WindowSpan {
    /// A span that contains no time.
    pub const EMPTY: WindowSpan = WindowSpan {
        start: Timestamp::ZERO,
        end: Timestamp::ZERO,
        deadline: Timestamp::ZERO,
    };

    /// The window of `width` that holds `ts`.
    pub fn of(ts: Timestamp, width: WindowWidth, lateness: Duration) -> WindowSpan {
        let width = width.duration();
        let start = ts.floor_to(width);
        WindowSpan {
            start,
            end: start.saturating_add(width),
            // Saturating: with a bound so large the sum overflows, no
            // window ever closes, which is what such a bound means.
            deadline: start.saturating_add(width.saturating_add(lateness)),
        }
    }

    /// Whether `ts` falls in the window.
    #[inline]
    pub fn contains(&self, ts: Timestamp) -> bool {
        self.start <= ts && ts < self.end
    }
}

/// How a window counts its hosts' activity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Counting {
    /// One exact count per distinct host (the default).
    #[default]
    Exact,
    /// A Space-Saving summary of at most this many counters
    /// (`--top-capacity`).
    Bounded(usize),
}

/// What a window prints besides its lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Report {
    /// `--top K`: the `K` most active hosts (1: the `MOST` line, docs/behaviour.md#most).
    pub top: usize,
    /// `--emit-counts`: every host's count (exact counting only).
    pub emit_counts: bool,
}

impl Default for Report {
    fn default() -> Report {
        Report {
            top: 1,
            emit_counts: false,
        }
    }
}

/// A window that may still receive records: its counts and its `TO` and
/// `FROM` lists (made when first needed, so a window without matches
/// allocates nothing for them).
pub struct OpenWindow {
    /// Which window this is.
    pub span: WindowSpan,
    tally: Tally,
}

// The exact variant is the default and is touched on every record: it
// stays inline (boxing it would add an indirection per record), and the
// rare bounded one is boxed instead.
#[allow(clippy::large_enum_variant)]
enum Tally {
    /// Every host counted exactly.
    Exact(ExactTally),
    /// A bounded summary; the lists keep their own names.
    Bounded(Box<BoundedTally>),
}

/// A window's counts when every host is counted exactly (the default):
/// the lists refer to the hosts of the counts and keep their marks there
/// (see [`crate::stream::dedup`]). Tallies of consecutive runs of records
/// add up exactly ([`absorb`](Self::absorb)), which is what lets blocks
/// be counted on several threads (see [`crate::stream::chunk`]).
pub struct ExactTally {
    counts: HostCounts,
    to: Option<HostList>,
    from: Option<HostList>,
}

struct BoundedTally {
    summary: SpaceSaving,
    to: Option<NamedList>,
    from: Option<NamedList>,
}

impl ExactTally {
    /// An empty tally with room for `hosts_hint` hosts (what the window
    /// before it held: windows of one log are alike, and a table that need
    /// not grow is cheaper).
    pub fn new(hosts_hint: usize) -> ExactTally {
        ExactTally {
            counts: HostCounts::with_capacity(hosts_hint),
            to: None,
            from: None,
        }
    }

    /// Counts `record` and adds it to the lists it matches.
    // Always inlined: it is the whole per-record work of a window.
    #[inline(always)]
    pub fn add(
        &mut self,
        record: &Record<'_>,
        to_host: &Target,
        from_host: &Target,
        lists: &mut ListMaker,
    ) -> io::Result<()> {
        let from_id = self.counts.add(record.from);
        let to_id = self.counts.add(record.to);
        if to_host.matches(record.to) {
            let list = self.to.get_or_insert_with(|| lists.list(ListMark::To));
            list.insert(from_id, &mut self.counts)?;
        }
        if from_host.matches(record.from) {
            let list = self.from.get_or_insert_with(|| lists.list(ListMark::From));
            list.insert(to_id, &mut self.counts)?;
        }
        Ok(())
    }

    /// Adds the tally of the records that came right after this one's
    /// (of the same window): the same as if they had been added here one
    /// by one. Hosts new to this tally follow its own in `later`'s
    /// first-seen order, counts add up, and each list gains `later`'s
    /// hosts it has not met, in `later`'s order. Costs one lookup per
    /// distinct host of `later`, whose hashes are reused.
    pub fn absorb(&mut self, later: ExactTally, lists: &mut ListMaker) -> io::Result<()> {
        let ids = self.counts.absorb(&later.counts);
        let ExactTally { counts, to, from } = self;
        for (mine, theirs, mark) in [
            (to, later.to, ListMark::To),
            (from, later.from, ListMark::From),
        ] {
            if let Some(theirs) = theirs {
                let list = mine.get_or_insert_with(|| lists.list(mark));
                lists.drain(theirs, |id| {
                    list.insert(ids[id.to_raw() as usize], counts).map(drop)
                })?;
            }
        }
        Ok(())
    }

    /// Distinct hosts counted.
    pub fn hosts(&self) -> usize {
        self.counts.len()
    }
}

impl OpenWindow {
    /// An empty window; with exact counting its table has room for
    /// `hosts_hint` hosts (see [`ExactTally::new`]).
    pub fn new(span: WindowSpan, counting: Counting, hosts_hint: usize) -> OpenWindow {
        let tally = match counting {
            Counting::Exact => Tally::Exact(ExactTally::new(hosts_hint)),
            Counting::Bounded(capacity) => Tally::Bounded(Box::new(BoundedTally {
                summary: SpaceSaving::new(capacity),
                to: None,
                from: None,
            })),
        };
        OpenWindow { span, tally }
    }

    /// A window of exact counts made elsewhere (see [`crate::stream::chunk`]).
    pub fn from_exact(span: WindowSpan, tally: ExactTally) -> OpenWindow {
        OpenWindow {
            span,
            tally: Tally::Exact(tally),
        }
    }

    /// The exact tally, to which counts made elsewhere can be added; `None`
    /// for a bounded summary, which cannot add up another exactly.
    pub fn exact_mut(&mut self) -> Option<&mut ExactTally> {
        match &mut self.tally {
            Tally::Exact(tally) => Some(tally),
            Tally::Bounded(_) => None,
        }
    }

    /// Counts `record` and adds it to the lists it matches (`to_host`'s
    /// `TO` list, `from_host`'s `FROM` list). Returns the list that has
    /// just passed its Bloom filter's capacity, if one did.
    // Always inlined: it is on every record's path.
    #[inline(always)]
    pub fn add(
        &mut self,
        record: &Record<'_>,
        to_host: &Target,
        from_host: &Target,
        lists: &mut ListMaker,
    ) -> io::Result<Option<ListMark>> {
        let tally = match &mut self.tally {
            Tally::Exact(tally) => {
                // Exact lists have no capacity to pass.
                tally.add(record, to_host, from_host, lists)?;
                return Ok(None);
            }
            Tally::Bounded(tally) => &mut **tally,
        };
        let BoundedTally { summary, to, from } = tally;
        summary.add(record.from);
        summary.add(record.to);
        let to_added = if to_host.matches(record.to) {
            let list = to.get_or_insert_with(|| lists.named_list());
            Some(list.insert(record.from)?)
        } else {
            None
        };
        let from_added = if from_host.matches(record.from) {
            let list = from.get_or_insert_with(|| lists.named_list());
            Some(list.insert(record.to)?)
        } else {
            None
        };
        let past = Some(Inserted::NewPastCapacity);
        Ok(if from_added == past {
            Some(ListMark::From)
        } else if to_added == past {
            Some(ListMark::To)
        } else {
            None
        })
    }

    /// Distinct hosts counted exactly (0 with a bounded summary).
    pub fn hosts(&self) -> usize {
        match &self.tally {
            Tally::Exact(tally) => tally.hosts(),
            Tally::Bounded(_) => 0,
        }
    }

    /// Writes the window's rows and frees it: its `TO` rows, its `FROM`
    /// rows (each in first-seen order), its top hosts, and with
    /// `emit_counts` every host's count (in first-seen order).
    pub fn write(
        self,
        rows: &mut WindowRows<'_, impl Write>,
        lists: &mut ListMaker,
        report: Report,
    ) -> io::Result<()> {
        match self.tally {
            Tally::Exact(ExactTally { counts, to, from }) => {
                for (list, kind) in [(to, RowKind::To), (from, RowKind::From)] {
                    if let Some(list) = list {
                        lists.drain(list, |id| rows.row(kind, counts.name(id), None))?;
                    }
                }
                for id in counts.top(report.top) {
                    rows.row(RowKind::Top, counts.name(id), Some(counts.count(id)))?;
                }
                if report.emit_counts {
                    for id in counts.iter() {
                        rows.row(RowKind::Count, counts.name(id), Some(counts.count(id)))?;
                    }
                }
            }
            Tally::Bounded(tally) => {
                let BoundedTally { summary, to, from } = *tally;
                for (list, kind) in [(to, RowKind::To), (from, RowKind::From)] {
                    if let Some(list) = list {
                        lists.drain_named(list, |name| rows.row(kind, name, None))?;
                    }
                }
                for (name, count) in summary.top(report.top) {
                    rows.row(RowKind::Top, name, Some(count))?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_parse_with_units_and_bare_seconds() {
        for (text, secs) in [
            ("300s", 300),
            ("300", 300),
            ("5m", 300),
            ("15m", 900),
            ("1h", 3600),
            ("24h", 86_400),
            ("1d", 86_400),
            ("1s", 1),
            ("90m", 5400),
        ] {
            assert_eq!(
                WindowWidth::parse(text).map(WindowWidth::duration),
                Ok(Duration::from_secs(secs)),
                "{text}"
            );
        }
    }

    #[test]
    fn widths_must_be_whole_positive_and_divide_a_day() {
        for text in [
            "", "h", "0", "0h", "7m", "2d", "1.5h", "-1h", "1w", "5 m", "+5m",
        ] {
            let err = WindowWidth::parse(text).unwrap_err();
            assert!(err.contains(text), "{err}");
        }
        assert!(
            WindowWidth::parse("7m")
                .unwrap_err()
                .contains("does not divide a day")
        );
        assert!(WindowWidth::parse("99999999999999999999d").is_err());
    }

    #[test]
    fn a_span_is_the_aligned_window_and_its_deadline() {
        let five = WindowWidth::parse("5m").unwrap();
        let ts = Timestamp::from_secs(1_565_647_504); // 22:05:04
        let span = WindowSpan::of(ts, five, Duration::from_secs(30));
        assert_eq!(span.start, Timestamp::from_secs(1_565_647_500));
        assert_eq!(span.end, Timestamp::from_secs(1_565_647_800));
        assert_eq!(span.deadline, Timestamp::from_secs(1_565_647_830));
        assert!(span.contains(ts) && !span.contains(span.end));
        assert!(!WindowSpan::EMPTY.contains(Timestamp::ZERO));
    }
}
