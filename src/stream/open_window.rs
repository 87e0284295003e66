//! The state of one open window: its activity counts (exact, or a
//! bounded summary) and its `TO` and `FROM` lists, how a record is added
//! to them, how tallies counted apart add up, and how the window is
//! written once it closes. Where windows begin and end is
//! [`window`](crate::stream::window).

use std::io::{self, Write};

use crate::parse::record::Record;
use crate::parse::target::Target;
use crate::stream::config::{Counting, Report};
use crate::stream::dedup::{HostList, Inserted, ListMaker, NamedList, SPILL_BYTES};
use crate::stream::host_counts::{HostCounts, ListMark, Matches, top_of};
use crate::stream::measure::{Measure, MeasureTally};
use crate::stream::rows::{RowKind, WindowRows};
use crate::stream::space_saving::SpaceSaving;
use crate::stream::window::WindowSpan;

/// A window that may still receive records: its counts and its `TO` and
/// `FROM` lists (made when first needed, so a window without matches
/// allocates nothing for them).
pub(crate) struct OpenWindow {
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
pub(crate) struct ExactTally {
    counts: HostCounts,
    /// The `--by` measure beyond records, by the same host ids; `None`
    /// without `--by` (see [`crate::stream::measure`]).
    measure: Option<Box<MeasureTally>>,
    to: Option<HostList>,
    from: Option<HostList>,
}

struct BoundedTally {
    summary: SpaceSaving,
    to: Option<NamedList>,
    from: Option<NamedList>,
}

impl ExactTally {
    /// An empty tally of `measure` with room for `hosts_hint` hosts (what
    /// the window before it held: windows of one log are alike, and a
    /// table that need not grow is cheaper).
    pub(crate) fn new(hosts_hint: usize, measure: Measure) -> ExactTally {
        ExactTally {
            counts: HostCounts::with_capacity(hosts_hint),
            measure: MeasureTally::new(measure),
            to: None,
            from: None,
        }
    }

    /// Counts `record` of `weight` (bytes or packets with `--by` those;
    /// unused otherwise) and adds it to the lists it matches.
    // Always inlined: it is the whole per-record work of a window.
    #[inline(always)]
    pub(crate) fn add(
        &mut self,
        record: &Record<'_>,
        weight: u64,
        to_host: &Target,
        from_host: &Target,
        lists: &mut ListMaker,
    ) -> io::Result<()> {
        // Whether a host is a target is asked once per host of the tally.
        let matches = |name: &[u8]| Matches::new(to_host.matches(name), from_host.matches(name));
        let (from_id, from_is) = self.counts.add(record.from, matches);
        let (to_id, to_is) = self.counts.add(record.to, matches);
        if let Some(measure) = &mut self.measure {
            measure.add(from_id, to_id, weight);
        }
        if to_is.to() {
            let list = self.to.get_or_insert_with(|| lists.list(ListMark::To));
            list.insert(from_id, &mut self.counts)?;
        }
        if from_is.from() {
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
    pub(crate) fn absorb(&mut self, later: ExactTally, lists: &mut ListMaker) -> io::Result<()> {
        let ids = self.counts.absorb(&later.counts);
        if let (Some(mine), Some(theirs)) = (&mut self.measure, &later.measure) {
            mine.absorb(theirs, &ids);
        }
        let ExactTally {
            counts, to, from, ..
        } = self;
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
    pub(crate) fn hosts(&self) -> usize {
        self.counts.len()
    }

    /// Distinct (FROM, TO) pairs kept by a `--by peers|in|out` tally; none
    /// for the others.
    pub(crate) fn pairs(&self) -> usize {
        self.measure
            .as_ref()
            .map_or(0, |measure| measure.pairs().len())
    }

    /// Whether [`absorb`](Self::absorb)ing `later` writes no spill file:
    /// then it cannot fail, and adding `later` whole equals adding its
    /// records one by one, errors included.
    pub(crate) fn absorbs_in_memory(&self, later: &ExactTally) -> bool {
        [(&self.to, &later.to), (&self.from, &later.from)]
            .into_iter()
            .all(|(mine, theirs)| {
                let more = theirs.as_ref().map_or(0, HostList::len);
                mine.as_ref()
                    .map_or(more * 4 <= SPILL_BYTES as u64, |list| {
                        list.takes_without_spilling(more)
                    })
            })
    }
}

impl OpenWindow {
    /// An empty window; with exact counting its table has room for
    /// `hosts_hint` hosts (see [`ExactTally::new`]).
    pub(crate) fn new(
        span: WindowSpan,
        counting: Counting,
        measure: Measure,
        hosts_hint: usize,
    ) -> OpenWindow {
        let tally = match counting {
            Counting::Exact => Tally::Exact(ExactTally::new(hosts_hint, measure)),
            Counting::Bounded(capacity) => Tally::Bounded(Box::new(BoundedTally {
                summary: SpaceSaving::new(capacity),
                to: None,
                from: None,
            })),
        };
        OpenWindow { span, tally }
    }

    /// A window of exact counts made elsewhere (see [`crate::stream::chunk`]).
    pub(crate) fn from_exact(span: WindowSpan, tally: ExactTally) -> OpenWindow {
        OpenWindow {
            span,
            tally: Tally::Exact(tally),
        }
    }

    /// The exact tally; `None` for a bounded summary.
    pub(crate) fn exact(&self) -> Option<&ExactTally> {
        match &self.tally {
            Tally::Exact(tally) => Some(tally),
            Tally::Bounded(_) => None,
        }
    }

    /// The exact tally, to which counts made elsewhere can be added; `None`
    /// for a bounded summary, which cannot add up another exactly.
    pub(crate) fn exact_mut(&mut self) -> Option<&mut ExactTally> {
        match &mut self.tally {
            Tally::Exact(tally) => Some(tally),
            Tally::Bounded(_) => None,
        }
    }

    /// Counts `record` of `weight` (see [`ExactTally::add`]; a bounded
    /// summary counts the weight, 1 a record without `--by`) and adds it
    /// to the lists it matches (`to_host`'s `TO` list, `from_host`'s
    /// `FROM` list). Returns the list that has just passed its Bloom
    /// filter's capacity, if one did.
    // Always inlined: it is on every record's path.
    #[inline(always)]
    pub(crate) fn add(
        &mut self,
        record: &Record<'_>,
        weight: u64,
        to_host: &Target,
        from_host: &Target,
        lists: &mut ListMaker,
    ) -> io::Result<Option<ListMark>> {
        let tally = match &mut self.tally {
            Tally::Exact(tally) => {
                // Exact lists have no capacity to pass.
                tally.add(record, weight, to_host, from_host, lists)?;
                return Ok(None);
            }
            Tally::Bounded(tally) => &mut **tally,
        };
        let BoundedTally { summary, to, from } = tally;
        summary.add(record.from, weight);
        summary.add(record.to, weight);
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
    pub(crate) fn hosts(&self) -> usize {
        match &self.tally {
            Tally::Exact(tally) => tally.hosts(),
            Tally::Bounded(_) => 0,
        }
    }

    /// Writes the window's rows and frees it: its `TO` rows, its `FROM`
    /// rows (each in first-seen order), its top hosts, and with
    /// `emit_counts` every host's count (in first-seen order), then with
    /// `--by` bytes or packets every host's sum, or with a distinct
    /// measure every distinct pair.
    pub(crate) fn write(
        self,
        rows: &mut WindowRows<'_, impl Write>,
        lists: &mut ListMaker,
        report: Report,
    ) -> io::Result<()> {
        match self.tally {
            Tally::Exact(ExactTally {
                counts,
                measure,
                to,
                from,
            }) => {
                for (list, kind) in [(to, RowKind::To), (from, RowKind::From)] {
                    if let Some(list) = list {
                        lists.drain(list, |id| rows.row(kind, counts.name(id), None))?;
                    }
                }
                let value = |id| match &measure {
                    Some(measure) => measure.value(id),
                    None => counts.count(id),
                };
                let top = match &measure {
                    Some(measure) => top_of(measure.values(counts.len()), report.top),
                    None => counts.top(report.top),
                };
                for id in top {
                    rows.row(RowKind::Top, counts.name(id), Some(value(id)))?;
                }
                if report.emit_counts {
                    for id in counts.iter() {
                        rows.row(RowKind::Count, counts.name(id), Some(counts.count(id)))?;
                    }
                    if let Some(measure) = &measure {
                        write_measure(rows, &counts, measure, report.by)?;
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

/// The `--emit-counts` rows of a measure beyond records: every host's sum
/// (`bytes` or `packets` rows, first-seen order), or every distinct pair
/// (`pair` rows, first-seen order), which merge exactly across machines.
fn write_measure(
    rows: &mut WindowRows<'_, impl Write>,
    counts: &HostCounts,
    measure: &MeasureTally,
    by: Measure,
) -> io::Result<()> {
    let kind = match by {
        Measure::Bytes => RowKind::Bytes,
        Measure::Packets => RowKind::Packets,
        _ => {
            for &(from, to) in measure.pairs() {
                rows.pair(counts.name(from), counts.name(to))?;
            }
            return Ok(());
        }
    };
    for id in counts.iter() {
        rows.row(kind, counts.name(id), Some(measure.value(id)))?;
    }
    Ok(())
}
