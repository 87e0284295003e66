//! What `connspy-stream --by` ranks hosts by, beyond the records a host
//! is in: the bytes or packets of its records (weighted counts, in
//! `sums.rs`) or the distinct hosts it exchanged records with (distinct
//! counts, in `peers.rs`) (`docs/behaviour.md#measures`).
//!
//! Records stay counted by the window's host table
//! (`HostCounts`, `stream/host_counts.rs`), which also numbers the
//! hosts; a `MeasureTally` keeps the other measure beside it, by the
//! same host ids, only when `--by` asks for one. So a run without `--by`
//! allocates nothing here and its per-record path only tests that there
//! is no tally. Like the host table, a tally of consecutive runs of
//! records adds up exactly (`MeasureTally::absorb`), which keeps the
//! chunks counted on other threads exact.

use std::fmt;
use std::str::FromStr;

use crate::parse::detail::DetailField;
use crate::stream::host_counts::HostId;

pub(crate) mod peers;
pub(crate) mod sums;

use peers::Peers;
use sums::Sums;

/// `--by`: what ranks a window's hosts (`MOST`, `TOP`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Measure {
    /// The records a host is in, on either side (the original's `MOST`).
    #[default]
    Records,
    /// The bytes of those records, both directions.
    Bytes,
    /// Their packets, both directions.
    Packets,
    /// The distinct hosts it exchanged records with, either way: fan-in
    /// and fan-out together, each peer once.
    Peers,
    /// The distinct hosts that connected to it (fan-in).
    In,
    /// The distinct hosts it connected to (fan-out).
    Out,
}

/// The names `--by` accepts, in the order `--help` lists them.
pub const MEASURE_NAMES: &[&str] = &["records", "bytes", "packets", "peers", "in", "out"];

impl FromStr for Measure {
    type Err = String;

    fn from_str(text: &str) -> Result<Measure, String> {
        Ok(match text {
            "records" => Measure::Records,
            "bytes" => Measure::Bytes,
            "packets" => Measure::Packets,
            "peers" => Measure::Peers,
            "in" => Measure::In,
            "out" => Measure::Out,
            _ => {
                return Err(format!(
                    "'{text}' is not a measure (one of: {})",
                    MEASURE_NAMES.join(", ")
                ));
            }
        })
    }
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = *self as usize;
        f.write_str(MEASURE_NAMES[i])
    }
}

impl Measure {
    /// The field a weighted measure sums, and the option that asks for it
    /// (for messages); `None` for a count.
    pub fn weight(self) -> Option<(DetailField, &'static str)> {
        match self {
            Measure::Bytes => Some((DetailField::Bytes, "--by bytes")),
            Measure::Packets => Some((DetailField::Packets, "--by packets")),
            _ => None,
        }
    }

    /// Whether the measure counts distinct peers, which `--emit-counts`
    /// carries as the pairs themselves (sums of distinct counts would not
    /// merge).
    pub fn is_distinct(self) -> bool {
        matches!(self, Measure::Peers | Measure::In | Measure::Out)
    }
}

/// A window's measure beyond records, by host id (see the module docs).
pub(crate) enum MeasureTally {
    /// Bytes or packets per host.
    Sums(Sums),
    /// Distinct peers per host.
    Peers(Peers),
}

impl MeasureTally {
    /// An empty tally of `measure`; `None` for records, which the host
    /// table counts itself.
    pub(crate) fn new(measure: Measure) -> Option<Box<MeasureTally>> {
        match measure {
            Measure::Records => None,
            Measure::Bytes | Measure::Packets => {
                Some(Box::new(MeasureTally::Sums(Sums::default())))
            }
            Measure::Peers | Measure::In | Measure::Out => {
                Some(Box::new(MeasureTally::Peers(Peers::new(measure))))
            }
        }
    }

    /// Adds a record from `from` to `to` of `weight` (bytes or packets;
    /// unused by distinct counts).
    #[inline]
    pub(crate) fn add(&mut self, from: HostId, to: HostId, weight: u64) {
        match self {
            MeasureTally::Sums(sums) => sums.add(from, to, weight),
            MeasureTally::Peers(peers) => peers.add(from, to),
        }
    }

    /// Adds the tally of the records that came right after this one's,
    /// whose host ids are `ids` here (see
    /// [`HostCounts::absorb`](crate::stream::host_counts::HostCounts::absorb)):
    /// the same as adding those records here one by one.
    pub(crate) fn absorb(&mut self, later: &MeasureTally, ids: &[HostId]) {
        match (self, later) {
            (MeasureTally::Sums(mine), MeasureTally::Sums(theirs)) => mine.absorb(theirs, ids),
            (MeasureTally::Peers(mine), MeasureTally::Peers(theirs)) => mine.absorb(theirs, ids),
            // Every tally of one run is of the run's one measure.
            _ => unreachable!("tallies of one run measure alike"),
        }
    }

    /// Host `id`'s value of the measure.
    pub(crate) fn value(&self, id: HostId) -> u64 {
        match self {
            MeasureTally::Sums(sums) => sums.value(id),
            MeasureTally::Peers(peers) => peers.value(id),
        }
    }

    /// Every host's value, in host order.
    pub(crate) fn values(&self, hosts: usize) -> impl ExactSizeIterator<Item = u64> + '_ {
        (0..hosts as u32).map(|i| self.value(HostId::from_raw(i)))
    }

    /// The distinct (FROM, TO) pairs, in first-seen order; none for a sum.
    pub(crate) fn pairs(&self) -> &[(HostId, HostId)] {
        match self {
            MeasureTally::Sums(_) => &[],
            MeasureTally::Peers(peers) => peers.pairs(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_parse_and_print_by_name() {
        for name in MEASURE_NAMES {
            let measure: Measure = name.parse().unwrap();
            assert_eq!(measure.to_string(), *name);
        }
        assert_eq!(
            "flows".parse::<Measure>().unwrap_err(),
            "'flows' is not a measure (one of: records, bytes, packets, peers, in, out)"
        );
        assert!(MeasureTally::new(Measure::Records).is_none());
        assert!(Measure::In.is_distinct() && !Measure::Bytes.is_distinct());
        assert_eq!(Measure::Packets.weight().unwrap().0, DetailField::Packets);
    }
}
