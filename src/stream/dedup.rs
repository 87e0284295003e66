//! The `TO` and `FROM` lists of one hour: distinct hosts in first-seen
//! order, in bounded memory.
//!
//! docs/behaviour.md#lists has the lists deduplicate through a Bloom filter with a fixed
//! seed, so that the memory of a list does not grow with its number of
//! distinct hosts and the output is the same on every run. `--exact` swaps
//! the filter for exact membership.
//!
//! Every host of a list is also a host of the hour's [`HostCounts`], which
//! stores each name once and carries one mark per list: "this list has met
//! the host this hour". With `--exact` the mark is the membership. With a
//! Bloom filter, the filter is asked once per distinct host, when the list
//! first meets it, and decides (a false positive leaves the host out): the
//! same output as asking it on every record, for a fraction of the cost.
//! A list keeps only the order, as 4-byte host ids in a spool that stays in
//! memory up to [`SPILL_BYTES`] and then moves to an unnamed temporary file.
//! A window counted by a bounded summary (`--top-capacity`) has no table
//! of every host: its lists are [`NamedList`]s, which spool the names.
//!
//! **Bound** per list: its Bloom bitmap (by default 10^6 hosts at 10^-9:
//! ≈ 5.4 MB) plus at most `SPILL_BYTES` of spool and a read buffer while it
//! is printed; besides, up to [`SPARE_FILTERS`] cleared bitmaps wait for
//! reuse. With `--exact` there is no bitmap.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, Write};

use bloomfilter::Bloom;

use crate::parse::host_set::{HostSet, fold_case};
use crate::stream::host_counts::{HostCounts, HostId, ListMark};

/// The fixed seed of every Bloom filter: the same input gives the same
/// output on every run and every machine.
const BLOOM_SEED: &[u8; 32] = b"connspy-stream TO/FROM sets v1.0";

/// Default Bloom sizing (docs/behaviour.md#lists).
pub const DEFAULT_BLOOM_CAPACITY: usize = 1_000_000;
/// The Bloom filters' default false-positive rate at capacity.
pub const DEFAULT_BLOOM_FP_RATE: f64 = 1e-9;

/// Largest Bloom bitmap accepted: `--bloom-capacity` and `--bloom-fp-rate`
/// are refused when one filter would need more (up to four filters are in
/// use when two hours are open).
pub const MAX_BLOOM_BYTES: usize = 1 << 30;

/// A list's spool moves to a temporary file once it holds this many bytes
/// of ids (512 Ki hosts).
pub const SPILL_BYTES: usize = 2 << 20;

/// How the lists of every hour deduplicate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Dedup {
    /// A Bloom filter per list (a false positive drops a host from the list;
    /// it is never printed twice).
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
    /// A Bloom filter per list sized for `capacity` distinct hosts at
    /// `fp_rate` false positives, validated: `capacity >= 1`,
    /// `0 < fp_rate < 1` and a bitmap of at most [`MAX_BLOOM_BYTES`].
    pub fn bloom(capacity: usize, fp_rate: f64) -> Result<Dedup, String> {
        if capacity == 0 {
            return Err("the Bloom capacity must be at least 1".into());
        }
        if !(fp_rate > 0.0 && fp_rate < 1.0) {
            return Err(format!(
                "the Bloom false-positive rate must be between 0 and 1 (exclusive), not {fp_rate}"
            ));
        }
        let bytes = Bloom::<[u8]>::compute_bitmap_size(capacity, fp_rate);
        if bytes > MAX_BLOOM_BYTES {
            return Err(format!(
                "a Bloom filter for {capacity} hosts at rate {fp_rate} needs {bytes} bytes, \
                 more than the limit of {MAX_BLOOM_BYTES}; lower --bloom-capacity, raise \
                 --bloom-fp-rate or use --exact"
            ));
        }
        Ok(Dedup::Bloom(BloomSize { capacity, fp_rate }))
    }
}

enum Seen {
    Bloom {
        filter: Bloom<[u8]>,
        capacity: usize,
    },
    Exact,
}

/// One `TO` or `FROM` list of one hour.
pub struct HostList {
    mark: ListMark,
    seen: Seen,
    spool: Spool,
}

/// What [`HostList::insert`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inserted {
    /// The host was already on the list (or, rarely, a Bloom false positive).
    Seen,
    /// Not in the list before: it has just been added.
    New,
    /// New, and the list just passed its Bloom filter's capacity: from now
    /// on false positives grow past the configured rate.
    NewPastCapacity,
}

/// Makes the lists of every hour, and takes their Bloom filters back when
/// an hour is printed, to reuse for a later hour.
///
/// Reuse is what keeps the Bloom path fast on logs with few records per
/// hour: a fresh 5.4 MB bitmap costs 1,300 page faults and an unmap when it
/// is dropped (measured: 1.5 ms per list and hour, 90% of the run time on
/// a 30-day log of 3M lines), clearing a used one a quarter of that. Those
/// pages would be resident anyway while the hour is open, so at most
/// [`SPARE_FILTERS`] cleared filters are kept, never more than were in use
/// at once.
pub struct ListMaker {
    dedup: Dedup,
    spare: Vec<Bloom<[u8]>>,
}

/// Most cleared filters kept for reuse: the four lists of two open hours.
pub const SPARE_FILTERS: usize = 4;

impl ListMaker {
    /// Lists deduplicated as `dedup` says.
    pub fn new(dedup: Dedup) -> ListMaker {
        ListMaker {
            dedup,
            spare: Vec::new(),
        }
    }

    /// An empty list; with a Bloom mode it gets a cleared filter, reused or
    /// new (allocated zeroed).
    pub fn list(&mut self, mark: ListMark) -> HostList {
        HostList {
            mark,
            seen: self.seen(),
            spool: Spool::default(),
        }
    }

    /// An empty list that keeps its hosts' names itself, for a window
    /// whose counts do not hold every host (see [`NamedList`]).
    pub fn named_list(&mut self) -> NamedList {
        NamedList {
            seen: self.seen(),
            spool: Spool::default(),
            known: HostSet::new(),
            scratch: Vec::new(),
        }
    }

    fn seen(&mut self) -> Seen {
        match self.dedup {
            Dedup::Bloom(BloomSize { capacity, fp_rate }) => Seen::Bloom {
                filter: self.spare.pop().unwrap_or_else(|| {
                    // `BloomSize` is validated, which is all the
                    // constructor checks (it has no other failure).
                    Bloom::new_for_fp_rate_with_seed(capacity, fp_rate, BLOOM_SEED)
                        .expect("validated Bloom parameters")
                }),
                capacity,
            },
            Dedup::Exact => Seen::Exact,
        }
    }

    /// Keeps a printed list's filter, cleared, for a later list.
    fn recycle(&mut self, seen: Seen) {
        if let Seen::Bloom { mut filter, .. } = seen
            && self.spare.len() < SPARE_FILTERS
        {
            filter.clear();
            self.spare.push(filter);
        }
    }

    /// Calls `f` on every host of `list` in first-seen order, consuming
    /// the list (its temporary file, if any, is deleted; its filter is
    /// kept for reuse).
    pub fn drain(
        &mut self,
        list: HostList,
        f: impl FnMut(HostId) -> io::Result<()>,
    ) -> io::Result<()> {
        self.recycle(list.seen);
        list.spool.for_each_id(f)
    }

    /// [`drain`](Self::drain) for a [`NamedList`]: `f` gets each name.
    pub fn drain_named(
        &mut self,
        list: NamedList,
        f: impl FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        let exact = matches!(list.seen, Seen::Exact);
        self.recycle(list.seen);
        if exact {
            list.known.iter().try_for_each(f)
        } else {
            list.spool.for_each_name(f)
        }
    }
}

/// What a new host does to a list of `len` hosts (counting it).
fn new_host(seen: &Seen, len: u64) -> Inserted {
    match *seen {
        Seen::Bloom { capacity, .. } if len == capacity as u64 + 1 => Inserted::NewPastCapacity,
        _ => Inserted::New,
    }
}

impl HostList {
    /// Adds `id` (a host of `counts`) unless it is already on the list.
    ///
    /// The host's mark in `counts` says whether this list has met it
    /// before this hour; only a host met for the first time is put to the
    /// Bloom filter. That gives exactly the output of asking the filter on
    /// every record (a second `check_and_set` of a host always answers
    /// "present" and sets no bit), at one filter query per distinct host
    /// instead of one per record.
    pub fn insert(&mut self, id: HostId, counts: &mut HostCounts) -> io::Result<Inserted> {
        if !counts.mark(id, self.mark) {
            return Ok(Inserted::Seen);
        }
        if let Seen::Bloom { filter, .. } = &mut self.seen
            && filter.check_and_set(counts.name(id))
        {
            // A false positive: dropped, as the filter decides.
            return Ok(Inserted::Seen);
        }
        self.spool.push_id(id)?;
        Ok(new_host(&self.seen, self.spool.len))
    }
}

/// A `TO` or `FROM` list of a window counted by a bounded summary
/// (`--top-capacity`), whose counts hold neither every host nor marks.
/// The list keeps the names itself: with a Bloom filter, in its spool
/// (so its memory stays bounded as [`HostList`]'s does); with `--exact`,
/// in a [`HostSet`] (which costs memory per listed host, as `--exact`
/// always does). It lists exactly the hosts a [`HostList`] would: the
/// filter is asked the same keys in the same order, and asking again about
/// a host it has seen answers "present" and sets no bit.
///
/// With a filter, the hosts asked about are also kept in a small exact
/// set, up to [`KNOWN_BYTES`]: a host met again is answered from it
/// instead of the filter, whose ~30 probes of a multi-megabyte bitmap
/// per matching record were a fifth of the run time (the filter would
/// answer "present" too, so the output is the same).
pub struct NamedList {
    seen: Seen,
    /// The names in order, with a Bloom filter.
    spool: Spool,
    /// With exact membership, the names in order; with a Bloom filter,
    /// the hosts asked about while they fit in [`KNOWN_BYTES`].
    known: HostSet,
    scratch: Vec<u8>,
}

/// Memory a [`NamedList`] with a Bloom filter spends on its set of hosts
/// already asked about: it stops growing once it holds this much (at most
/// twice this after its last growth).
pub const KNOWN_BYTES: usize = 1 << 20;

impl NamedList {
    /// Adds `host` (any case) unless it is already on the list.
    pub fn insert(&mut self, host: &[u8]) -> io::Result<Inserted> {
        let Seen::Bloom { filter, .. } = &mut self.seen else {
            let new = self.known.insert(host).1;
            return Ok(if new { Inserted::New } else { Inserted::Seen });
        };
        let known = if self.known.heap_bytes() < KNOWN_BYTES {
            !self.known.insert(host).1
        } else {
            self.known.contains(host)
        };
        if known {
            return Ok(Inserted::Seen);
        }
        let key = fold_case(host, &mut self.scratch);
        if filter.check_and_set(key) {
            return Ok(Inserted::Seen);
        }
        self.spool.push_name(key)?;
        Ok(new_host(&self.seen, self.spool.len))
    }
}

/// Entries (host ids or names) in insertion order: in memory up to
/// `SPILL_BYTES`, then appended to an unnamed temporary file in batches of
/// that size.
#[derive(Default)]
struct Spool {
    /// The newest entries' bytes.
    pending: Vec<u8>,
    /// The older entries, if there were more than fit in `pending`.
    file: Option<File>,
    /// Number of entries.
    len: u64,
}

impl Spool {
    /// Appends one entry made of `parts`, back to back.
    fn push(&mut self, parts: &[&[u8]]) -> io::Result<()> {
        if self.pending.len() >= SPILL_BYTES {
            self.spill().map_err(|e| spill_error("write", e))?;
        }
        for part in parts {
            self.pending.extend_from_slice(part);
        }
        self.len += 1;
        Ok(())
    }

    /// Moves the pending entries to the end of the temporary file.
    fn spill(&mut self) -> io::Result<()> {
        let file = match &mut self.file {
            Some(f) => f,
            None => self.file.insert(tempfile::tempfile()?),
        };
        file.write_all(&self.pending)?;
        self.pending.clear();
        Ok(())
    }

    /// Calls `read_entry` once per entry, oldest first, with a reader at
    /// the entry's start; it must read exactly the entry.
    fn for_each(
        self,
        mut read_entry: impl FnMut(&mut dyn Read) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut pending = &self.pending[..];
        match self.file {
            Some(mut file) => {
                file.rewind().map_err(|e| spill_error("read", e))?;
                let mut reader = BufReader::with_capacity(64 * 1024, file).chain(pending);
                for _ in 0..self.len {
                    read_entry(&mut reader)?;
                }
            }
            None => {
                for _ in 0..self.len {
                    read_entry(&mut pending)?;
                }
            }
        }
        Ok(())
    }

    fn push_id(&mut self, id: HostId) -> io::Result<()> {
        self.push(&[&id.to_raw().to_le_bytes()])
    }

    fn for_each_id(self, mut f: impl FnMut(HostId) -> io::Result<()>) -> io::Result<()> {
        let mut raw = [0u8; 4];
        self.for_each(|r| {
            r.read_exact(&mut raw)?;
            f(HostId::from_raw(u32::from_le_bytes(raw)))
        })
    }

    /// A name, after its length (`u32`: a host is at most a line long).
    fn push_name(&mut self, name: &[u8]) -> io::Result<()> {
        let len = u32::try_from(name.len()).map_err(io::Error::other)?;
        self.push(&[&len.to_le_bytes(), name])
    }

    fn for_each_name(self, mut f: impl FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        let mut name = Vec::new();
        let mut len = [0u8; 4];
        self.for_each(|r| {
            r.read_exact(&mut len)?;
            name.resize(u32::from_le_bytes(len) as usize, 0);
            r.read_exact(&mut name)?;
            f(&name)
        })
    }
}

/// A spill file that cannot be written or read back: the run must stop
/// (a list would lose hosts), with a message saying where and what to do.
fn spill_error(doing: &str, e: io::Error) -> io::Error {
    io::Error::new(
        e.kind(),
        format!(
            "cannot {doing} the spill file of a long host list in {} ({e}); \
             point TMPDIR at a writable directory with room",
            std::env::temp_dir().display()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut counts = HostCounts::new();
        let mut list = maker.list(ListMark::To);
        for h in hosts {
            let id = counts.add(h.as_bytes());
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
        let mut counts = HostCounts::new();
        let mut to = maker.list(ListMark::To);
        let mut from = maker.list(ListMark::From);
        let id = counts.add(b"x");
        assert_eq!(to.insert(id, &mut counts).unwrap(), Inserted::New);
        assert_eq!(from.insert(id, &mut counts).unwrap(), Inserted::New);
        assert_eq!(to.insert(id, &mut counts).unwrap(), Inserted::Seen);
        assert_eq!(listed(&mut maker, from, &counts), ["x"]);
    }

    #[test]
    fn a_reused_filter_starts_empty_and_spares_are_bounded() {
        let mut maker = ListMaker::new(Dedup::default());
        let mut counts = HostCounts::new();
        let lists: Vec<HostList> = (0..SPARE_FILTERS + 2)
            .map(|_| {
                let mut list = maker.list(ListMark::To);
                let id = counts.add(b"a");
                list.insert(id, &mut counts).unwrap();
                list
            })
            .collect();
        for list in lists {
            maker.drain(list, |_| Ok(())).unwrap();
        }
        assert_eq!(maker.spare.len(), SPARE_FILTERS);
        // A new hour's counts (no marks) and a reused filter: `a` is new.
        let mut counts = HostCounts::new();
        let mut list = maker.list(ListMark::To);
        assert_eq!(maker.spare.len(), SPARE_FILTERS - 1);
        let id = counts.add(b"a");
        assert_eq!(list.insert(id, &mut counts).unwrap(), Inserted::New);
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

    proptest::proptest! {
        /// A named list lists exactly what a counted list lists, false
        /// positives included (a tiny, overfull filter makes many).
        #[test]
        fn named_lists_list_what_counted_lists_list(
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
            let mut from_named = Vec::new();
            maker
                .drain_named(named, |name| {
                    from_named.push(String::from_utf8_lossy(name).into_owned());
                    Ok(())
                })
                .unwrap();
            let refs: Vec<&str> = hosts.iter().map(String::as_str).collect();
            proptest::prop_assert_eq!(from_named, fill(dedup, &refs));
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
        let mut listed_named = Vec::new();
        maker
            .drain_named(named, |name| {
                listed_named.push(String::from_utf8_lossy(name).into_owned());
                Ok(())
            })
            .unwrap();
        let refs: Vec<&str> = hosts.iter().map(String::as_str).collect();
        let counted = fill(dedup, &refs);
        assert!(counted.len() < 40_000, "the filter dropped some");
        assert_eq!(listed_named, counted);
    }

    #[test]
    fn passing_the_bloom_capacity_is_reported_once() {
        let dedup = Dedup::bloom(3, 0.01).unwrap();
        let mut counts = HostCounts::new();
        let mut list = ListMaker::new(dedup).list(ListMark::From);
        let mut past = Vec::new();
        for h in ["a", "b", "c", "d", "e"] {
            let id = counts.add(h.as_bytes());
            past.push(list.insert(id, &mut counts).unwrap() == Inserted::NewPastCapacity);
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
        assert!(err.contains("more than the limit"), "{err}");
        assert_eq!(
            Dedup::bloom(DEFAULT_BLOOM_CAPACITY, DEFAULT_BLOOM_FP_RATE),
            Ok(Dedup::default())
        );
    }
}
