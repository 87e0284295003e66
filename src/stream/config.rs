//! What `connspy-stream` aggregates and how: the targets of the lists,
//! the width of the windows and the lateness bound, how windows count and
//! deduplicate, and what they print.
//!
//! A module of its own because the aggregator and the workers that count
//! chunks both read it ([`aggregator`](crate::stream::aggregator),
//! `chunk.rs`). It is built from plain values, not
//! from the command line's types: `CountingOptions` checks the options
//! that depend on one another.

use crate::error::Error;
use crate::output::Format;
use crate::parse::filter::RecordFilter;
use crate::parse::format::InputFormat;
use crate::parse::selection::Selection;
use crate::parse::target::Target;
use crate::parse::timestamp::Duration;
use crate::stream::dedup::{DEFAULT_BLOOM_CAPACITY, DEFAULT_BLOOM_FP_RATE, Dedup};
use crate::stream::measure::Measure;
use crate::stream::window::WindowWidth;

/// What to aggregate and how.
#[derive(Clone, Debug)]
pub struct WindowConfig {
    /// `--to`: the `TO` list holds the senders of records sent to this
    /// host (or to any host of this network or list).
    pub to_host: Target,
    /// `--from`: the `FROM` list holds the receivers of records it sent.
    pub from_host: Target,
    /// `--input-format`: how each input is read.
    pub input_format: InputFormat,
    /// The records kept (`--dport`, `--sport`, `--proto`, `--action`) and
    /// the field each is weighed by (`--by bytes|packets`): see
    /// [`WindowConfig::new_selection`].
    pub selection: Selection,
    /// The lateness bound `L`.
    pub lateness: Duration,
    /// `--window`: the width `W` of the windows (an hour by default).
    pub window: WindowWidth,
    /// How the TO and FROM lists are deduplicated.
    pub dedup: Dedup,
    /// How windows count activity: exactly, or bounded (`--top-capacity`).
    pub counting: Counting,
    /// What a window prints besides its lists (`--top`, `--emit-counts`).
    pub report: Report,
    /// `--format`.
    pub format: Format,
    /// Flush the output after every window (when following a log, so that
    /// a reader of a pipe sees each window as soon as it closes).
    pub flush_each_window: bool,
    /// `--strict`: the first malformed line is an error.
    pub strict: bool,
}

#[cfg(test)]
impl WindowConfig {
    /// What most tests run: `--to to --from from`, hourly windows, the
    /// given lateness in seconds, and every other option at its default.
    pub(crate) fn for_test(to: &str, from: &str, lateness: u64) -> WindowConfig {
        WindowConfig {
            to_host: Target::parse(to.as_bytes()).unwrap(),
            from_host: Target::parse(from.as_bytes()).unwrap(),
            input_format: InputFormat::Auto,
            selection: Selection::default(),
            lateness: Duration::from_secs(lateness),
            window: WindowWidth::HOUR,
            dedup: Dedup::default(),
            counting: Counting::Exact,
            report: Report::default(),
            format: Format::Tsv,
            flush_each_window: false,
            strict: false,
        }
    }
}

impl WindowConfig {
    /// The selection of a run with `filter` that ranks hosts `by`.
    pub fn new_selection(filter: RecordFilter, by: Measure) -> Selection {
        Selection {
            filter,
            weight: by.weight(),
        }
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
    /// `--by`: what ranks the hosts (records by default).
    pub by: Measure,
}

impl Default for Report {
    fn default() -> Report {
        Report {
            top: 1,
            emit_counts: false,
            by: Measure::Records,
        }
    }
}

/// The options that size a window's counts and lists, as given (`None`:
/// not given), before they are checked against one another.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct CountingOptions {
    /// `--top K`.
    pub top: u64,
    /// `--top-capacity N`: count in a bounded summary of `N` counters.
    pub top_capacity: Option<u64>,
    /// `--emit-counts`.
    pub emit_counts: bool,
    /// `--by`.
    pub by: Measure,
    /// `--exact`: deduplicate the lists exactly, never by Bloom filter.
    pub exact: bool,
    /// `--bloom-capacity`.
    pub bloom_capacity: Option<u64>,
    /// `--bloom-fp-rate`.
    pub bloom_fp_rate: Option<f64>,
}

impl CountingOptions {
    /// How the lists are deduplicated; a Bloom sizing that cannot be met
    /// is a usage error.
    pub(crate) fn dedup(&self) -> Result<Dedup, Error> {
        if self.exact {
            return Ok(Dedup::Exact);
        }
        let capacity = self.bloom_capacity.map_or(DEFAULT_BLOOM_CAPACITY, |n| {
            usize::try_from(n).unwrap_or(usize::MAX)
        });
        Dedup::bloom(
            capacity,
            self.bloom_fp_rate.unwrap_or(DEFAULT_BLOOM_FP_RATE),
        )
        .map_err(|e| Error::Usage(format!("{e} (--bloom-capacity, --bloom-fp-rate, --exact)")))
    }

    /// How windows count; a bounded summary smaller than `--top`, or of
    /// distinct peers, is a usage error.
    pub(crate) fn counting(&self) -> Result<Counting, Error> {
        match self.top_capacity {
            None => Ok(Counting::Exact),
            Some(_) if self.by.is_distinct() => Err(Error::Usage(format!(
                "--by {} counts distinct peers exactly and cannot be bounded: \
                 leave out --top-capacity (or rank by records, bytes or packets)",
                self.by
            ))),
            Some(n) if n < self.top => Err(Error::Usage(format!(
                "--top-capacity ({n}) must be at least --top ({})",
                self.top
            ))),
            Some(n) => Ok(Counting::Bounded(usize::try_from(n).unwrap_or(usize::MAX))),
        }
    }

    /// What each window prints besides its lists.
    pub(crate) fn report(&self) -> Report {
        Report {
            top: usize::try_from(self.top).unwrap_or(usize::MAX),
            emit_counts: self.emit_counts,
            by: self.by,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> CountingOptions {
        CountingOptions {
            top: 3,
            ..CountingOptions::default()
        }
    }

    #[test]
    fn without_a_capacity_windows_count_exactly_and_bloom_defaults_apply() {
        let options = options();
        assert_eq!(options.counting().unwrap(), Counting::Exact);
        assert_eq!(options.dedup().unwrap(), Dedup::default());
        assert_eq!(
            options.report(),
            Report {
                top: 3,
                emit_counts: false,
                by: Measure::Records,
            }
        );
    }

    #[test]
    fn a_capacity_below_top_is_a_usage_error() {
        let small = CountingOptions {
            top_capacity: Some(2),
            ..options()
        };
        let err = small.counting().unwrap_err();
        assert!(matches!(err, Error::Usage(_)), "{err}");
        assert_eq!(
            err.to_string(),
            "--top-capacity (2) must be at least --top (3)"
        );
        let enough = CountingOptions {
            top_capacity: Some(3),
            ..options()
        };
        assert_eq!(enough.counting().unwrap(), Counting::Bounded(3));
        let peers = CountingOptions {
            by: Measure::Peers,
            ..enough
        };
        let err = peers.counting().unwrap_err();
        assert!(
            err.to_string().starts_with("--by peers counts distinct"),
            "{err}"
        );
    }

    #[test]
    fn exact_wins_over_bloom_and_an_impossible_bloom_is_a_usage_error() {
        let exact = CountingOptions {
            exact: true,
            ..options()
        };
        assert_eq!(exact.dedup().unwrap(), Dedup::Exact);
        let empty = CountingOptions {
            bloom_capacity: Some(0),
            ..options()
        };
        let err = empty.dedup().unwrap_err();
        assert!(matches!(err, Error::Usage(_)), "{err}");
        assert!(
            err.to_string()
                .ends_with("(--bloom-capacity, --bloom-fp-rate, --exact)"),
            "{err}"
        );
    }
}
