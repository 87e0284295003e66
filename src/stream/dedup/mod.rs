//! The `TO` and `FROM` lists of one window: distinct hosts in first-seen
//! order, in bounded memory (`docs/behaviour.md#lists`).
//!
//! Where the window counts every host exactly (the default), its
//! `HostCounts` stores each name once and carries one mark per list:
//! "this list has met the host in this window". The mark is the dedup:
//! exact, one bit per host, and no lookup besides the count's own. Such a
//! list (`HostList`) keeps only the order, as 4-byte host ids in a spool
//! that stays in memory up to `SPILL_BYTES` and then moves to an unnamed
//! temporary file. `--exact` changes nothing there: the lists are exact
//! already, and the Bloom options have nothing to size.
//!
//! A window counted by a bounded summary (`--top-capacity`) has no table
//! of every host: its lists are `NamedList`s, which spool the names and
//! deduplicate through a Bloom filter with a fixed seed (`bloomfilter`), or
//! exactly with `--exact`. The filter grows with the list
//! (`GrowingBloom`): it starts at `FIRST_STAGE_HOSTS` hosts and adds a
//! stage twice as large whenever the last one is full, up to
//! `--bloom-capacity` hosts in all at a total false-positive rate under
//! `--bloom-fp-rate`; past that the last stage takes the rest (and its
//! false positives grow: said once on stderr). A window's filter is freed
//! with the window: nothing is cleared or kept for later.
//!
//! **Bound** per list: with an exact table, at most `SPILL_BYTES` of spool
//! (plus a read buffer while it is printed); the marks are inside the
//! table's own bound. A named list with a filter: its spool, its set of
//! known hosts (at most twice `KNOWN_BYTES`) and its filter's stages,
//! proportional to the hosts it met and at most
//! [`Dedup::bloom_max_bytes`] (≈ 7 MB by default). With `--exact`, a
//! named list holds every listed name.

mod bloom;
mod lists;
mod spool;

use bloomfilter::Bloom;

pub(crate) use bloom::GrowingBloom;
pub(crate) use lists::{HostList, Inserted, ListMaker, NamedList};

/// The fixed seed of every Bloom filter: the same input gives the same
/// output on every run and every machine.
const BLOOM_SEED: &[u8; 32] = b"connspy-stream TO/FROM sets v1.0";

/// Default Bloom sizing (docs/behaviour.md#lists).
pub(crate) const DEFAULT_BLOOM_CAPACITY: usize = 1_000_000;
/// The Bloom filters' default false-positive rate at capacity.
pub(crate) const DEFAULT_BLOOM_FP_RATE: f64 = 1e-9;

/// Largest total of Bloom bitmaps one list may grow to:
/// `--bloom-capacity` and `--bloom-fp-rate` are refused when a full list
/// would need more.
pub(crate) const MAX_BLOOM_BYTES: usize = 1 << 30;

/// Hosts the first stage of a [`GrowingBloom`] holds (≈ 6 KB at the
/// default rate): a window with few matches costs little.
pub(crate) const FIRST_STAGE_HOSTS: usize = 1024;

/// A list's spool moves to a temporary file once it holds this many bytes
/// of ids (512 Ki hosts).
pub(crate) const SPILL_BYTES: usize = 2 << 20;

/// How the lists of a window without an exact host table deduplicate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Dedup {
    /// A growing Bloom filter per list (a false positive drops a host from
    /// the list; it is never printed twice).
    Bloom(BloomSize),
    /// Exact membership (`--exact`).
    Exact,
}

/// Validated Bloom sizing: built only by [`Dedup::bloom`] or the default,
/// so a filter can always be made from it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BloomSize {
    capacity: usize,
    fp_rate: f64,
}

impl BloomSize {
    /// Distinct hosts a list can hold at the configured rate.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The stages of a full filter, in order: (hosts, false-positive
    /// rate). Stage `i` holds twice as many hosts as stage `i - 1` (the
    /// last one what remains of the capacity) at half its rate, so that
    /// the rates add up to less than the configured one.
    fn stages(self) -> impl Iterator<Item = (usize, f64)> {
        let mut planned = 0usize;
        let mut next = FIRST_STAGE_HOSTS.min(self.capacity);
        let mut rate = self.fp_rate / 2.0;
        std::iter::from_fn(move || {
            if planned >= self.capacity {
                return None;
            }
            let hosts = next.min(self.capacity - planned);
            let stage = (hosts, rate);
            planned += hosts;
            next = next.saturating_mul(2);
            rate /= 2.0;
            Some(stage)
        })
    }
}

impl Default for Dedup {
    fn default() -> Dedup {
        Dedup::Bloom(BloomSize {
            capacity: DEFAULT_BLOOM_CAPACITY,
            fp_rate: DEFAULT_BLOOM_FP_RATE,
        })
    }
}

impl Dedup {
    /// A growing Bloom filter per list for up to `capacity` distinct hosts
    /// at `fp_rate` false positives, validated: `capacity >= 1`,
    /// `0 < fp_rate < 1` and bitmaps of at most `MAX_BLOOM_BYTES` in all.
    pub fn bloom(capacity: usize, fp_rate: f64) -> Result<Dedup, String> {
        if capacity == 0 {
            return Err("the Bloom capacity must be at least 1".into());
        }
        if !(fp_rate > 0.0 && fp_rate < 1.0) {
            return Err(format!(
                "the Bloom false-positive rate must be between 0 and 1 (exclusive), not {fp_rate}"
            ));
        }
        let size = BloomSize { capacity, fp_rate };
        // Past the limit the sum stops early, so this stays quick even for
        // an absurd capacity.
        let mut bytes = 0usize;
        for (hosts, rate) in size.stages() {
            bytes = bytes.saturating_add(Bloom::<[u8]>::compute_bitmap_size(hosts, rate));
            if bytes > MAX_BLOOM_BYTES {
                return Err(format!(
                    "a Bloom filter for {capacity} hosts at rate {fp_rate} needs more than \
                     {MAX_BLOOM_BYTES} bytes, the limit: lower the capacity, raise the \
                     rate, or deduplicate exactly"
                ));
            }
        }
        Ok(Dedup::Bloom(size))
    }

    /// The bitmap bytes of one full list's filter (0 with `--exact`).
    pub fn bloom_max_bytes(&self) -> usize {
        match self {
            Dedup::Bloom(size) => size
                .stages()
                .map(|(hosts, rate)| Bloom::<[u8]>::compute_bitmap_size(hosts, rate))
                .sum(),
            Dedup::Exact => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::lists::KNOWN_BYTES;
    use super::spool::Spool;
    use super::*;
    use crate::stream::host_counts::{HostCounts, HostId, ListMark};

    fn listed(maker: &mut ListMaker, list: HostList, counts: &HostCounts) -> Vec<String> {
        let mut out = Vec::new();
        maker
            .drain(list, |id| {
                out.push(String::from_utf8_lossy(counts.name(id)).into_owned());
                Ok(())
            })
            .unwrap();
        out
    }

    fn fill(dedup: Dedup, hosts: &[&str]) -> Vec<String> {
        let mut maker = ListMaker::new(dedup);
        let mut counts = HostCounts::default();
        let mut list = maker.list(ListMark::To);
        for h in hosts {
            let id = counts.add_host(h.as_bytes());
            list.insert(id, &mut counts).unwrap();
        }
        listed(&mut maker, list, &counts)
    }

    #[test]
    fn lists_keep_first_seen_order_without_duplicates() {
        let hosts = ["b", "A", "b", "a", "c", "B"];
        for dedup in [Dedup::default(), Dedup::Exact] {
            assert_eq!(fill(dedup, &hosts), ["b", "a", "c"], "{dedup:?}");
        }
    }

    #[test]
    fn exact_marks_are_separate_per_list() {
        let mut maker = ListMaker::new(Dedup::Exact);
        let mut counts = HostCounts::default();
        let mut to = maker.list(ListMark::To);
        let mut from = maker.list(ListMark::From);
        let id = counts.add_host(b"x");
        assert_eq!(to.insert(id, &mut counts).unwrap(), Inserted::New);
        assert_eq!(from.insert(id, &mut counts).unwrap(), Inserted::New);
        assert_eq!(to.insert(id, &mut counts).unwrap(), Inserted::Seen);
        assert_eq!(listed(&mut maker, from, &counts), ["x"]);
    }

    #[test]
    fn a_growing_filter_holds_what_it_met_and_grows_by_stages() {
        let Dedup::Bloom(size) = Dedup::default() else {
            unreachable!()
        };
        let mut filter = GrowingBloom::new(size);
        assert_eq!(filter.stages.len(), 1);
        let small = filter.bitmap_bytes();
        assert!(small < 8 * 1024, "{small} bytes for the first stage");
        let hosts: Vec<String> = (0..10_000).map(|i| format!("h{i}")).collect();
        for h in &hosts {
            assert!(!filter.check_and_set(h.as_bytes()), "{h}");
        }
        for h in &hosts {
            assert!(filter.check_and_set(h.as_bytes()), "{h}");
        }
        // 1024 + 2048 + 4096 + 8192 hosts of room: four stages.
        assert_eq!(filter.stages.len(), 4);
        assert_eq!(filter.len, 10_000);
        // About 6 bytes per host at 1e-9, doubled at most by the last stage.
        assert!(
            filter.bitmap_bytes() < 12 * 15 * 1024,
            "{}",
            filter.bitmap_bytes()
        );
    }

    #[test]
    fn a_full_growing_filter_stays_within_its_plan() {
        let dedup = Dedup::bloom(5000, 0.01).unwrap();
        let Dedup::Bloom(size) = dedup else {
            unreachable!()
        };
        let plan: Vec<usize> = size.stages().map(|(hosts, _)| hosts).collect();
        assert_eq!(plan, [1024, 2048, 1928]);
        assert!(size.stages().map(|(_, rate)| rate).sum::<f64>() < 0.01);
        let mut filter = GrowingBloom::new(size);
        for i in 0..20_000 {
            filter.check_and_set(format!("h{i}").as_bytes());
        }
        assert_eq!(filter.stages.len(), 3);
        assert_eq!(filter.bitmap_bytes(), dedup.bloom_max_bytes());
    }

    #[test]
    fn a_spilled_spool_replays_in_order() {
        let n = SPILL_BYTES / 4 * 2 + 10;
        let mut spool = Spool::default();
        for i in 0..n {
            spool.push_id(HostId::from_raw(i as u32)).unwrap();
        }
        assert!(spool.file.is_some());
        assert!(spool.pending.len() <= SPILL_BYTES);
        let mut next = 0;
        spool
            .for_each_id(|id| {
                assert_eq!(id.to_raw(), next);
                next += 1;
                Ok(())
            })
            .unwrap();
        assert_eq!(next as usize, n);
    }

    #[test]
    fn a_spilled_name_spool_replays_in_order() {
        // About 3 MB of entries: some straddle the file and memory parts.
        let names: Vec<Vec<u8>> = (0..200_000)
            .map(|i| format!("host-{i}-{}", "x".repeat(i % 7)).into_bytes())
            .collect();
        let mut spool = Spool::default();
        for name in &names {
            spool.push_name(name).unwrap();
        }
        assert!(spool.file.is_some());
        let mut back = Vec::new();
        spool
            .for_each_name(|name| {
                back.push(name.to_vec());
                Ok(())
            })
            .unwrap();
        assert_eq!(back, names);
    }

    /// What a named list with a filter lists: the hosts the filter, asked
    /// about every host in order, calls new.
    fn bloom_decisions(dedup: Dedup, hosts: &[&str]) -> Vec<String> {
        let Dedup::Bloom(size) = dedup else {
            return fill(dedup, hosts);
        };
        let mut filter = GrowingBloom::new(size);
        hosts
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .filter(|h| !filter.check_and_set(h.as_bytes()))
            .collect()
    }

    fn drain_named(maker: &mut ListMaker, named: NamedList) -> Vec<String> {
        let mut out = Vec::new();
        maker
            .drain_named(named, |name| {
                out.push(String::from_utf8_lossy(name).into_owned());
                Ok(())
            })
            .unwrap();
        out
    }

    proptest::proptest! {
        /// A named list lists what its filter decides (false positives
        /// included: a tiny, overfull filter makes many), which is what a
        /// counted list lists but for the false positives.
        #[test]
        fn named_lists_list_what_their_filter_decides(
            hosts in proptest::collection::vec("[a-hA-H]{1,2}", 0..120),
            dedup in proptest::sample::select(vec![
                Dedup::bloom(4, 0.3).unwrap(),
                Dedup::default(),
                Dedup::Exact,
            ]),
        ) {
            let mut maker = ListMaker::new(dedup);
            let mut named = maker.named_list();
            for h in &hosts {
                named.insert(h.as_bytes()).unwrap();
            }
            let from_named = drain_named(&mut maker, named);
            let refs: Vec<&str> = hosts.iter().map(String::as_str).collect();
            proptest::prop_assert_eq!(&from_named, &bloom_decisions(dedup, &refs));
            let exact = fill(Dedup::Exact, &refs);
            if dedup != Dedup::bloom(4, 0.3).unwrap() {
                // Far below capacity: no false positive in practice.
                proptest::prop_assert_eq!(&from_named, &exact);
            }
            // Always a subsequence of the exact list.
            let mut rest = exact.iter();
            proptest::prop_assert!(from_named.iter().all(|h| rest.any(|e| e == h)));
        }
    }

    #[test]
    fn a_named_list_stops_growing_its_known_set_and_still_lists_the_same() {
        // Enough hosts to fill the known set, each met twice, into a
        // small filter that gives many false positives.
        let dedup = Dedup::bloom(20_000, 0.01).unwrap();
        let hosts: Vec<String> = (0..60_000)
            .map(|i| format!("host{:07}", i % 40_000))
            .collect();
        let mut maker = ListMaker::new(dedup);
        let mut named = maker.named_list();
        for h in &hosts {
            named.insert(h.as_bytes()).unwrap();
        }
        assert!(named.known.heap_bytes() <= 2 * KNOWN_BYTES + 64);
        assert!(named.known.len() < 40_000);
        let listed_named = drain_named(&mut maker, named);
        let refs: Vec<&str> = hosts.iter().map(String::as_str).collect();
        let decided = bloom_decisions(dedup, &refs);
        assert!(decided.len() < 40_000, "the filter dropped some");
        assert_eq!(listed_named, decided);
    }

    #[test]
    fn passing_the_bloom_capacity_is_reported_once() {
        let dedup = Dedup::bloom(3, 0.01).unwrap();
        let mut list = ListMaker::new(dedup).named_list();
        let mut past = Vec::new();
        for h in ["a", "b", "c", "d", "e"] {
            past.push(list.insert(h.as_bytes()).unwrap() == Inserted::NewPastCapacity);
        }
        assert_eq!(past, [false, false, false, true, false]);
    }

    #[test]
    fn bloom_parameters_are_validated() {
        assert!(Dedup::bloom(0, 0.1).is_err());
        for p in [0.0, 1.0, -0.5, 2.0, f64::NAN, f64::INFINITY] {
            assert!(Dedup::bloom(10, p).is_err(), "{p}");
        }
        let err = Dedup::bloom(usize::MAX / 4, 1e-9).unwrap_err();
        assert!(err.contains("the limit"), "{err}");
        assert_eq!(
            Dedup::bloom(DEFAULT_BLOOM_CAPACITY, DEFAULT_BLOOM_FP_RATE),
            Ok(Dedup::default())
        );
    }
}
