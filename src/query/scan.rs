//! The two block kernels of the query and what a block contributes.
//!
//! - **full** (`--no-fast-seek`, and inputs that cannot be mapped): every
//!   line is parsed, every malformed line is reported, and reading stops at
//!   the first record with `TS >= time_end + L` (the early stop,
//!   `docs/behaviour.md#query`).
//! - **candidates** (fast seek): the seeker has already bounded the region
//!   by proving records, so only lines whose host field can match are
//!   parsed; the others cannot change the answer. Malformed lines are
//!   reported among those parsed.

use std::ops::Range;

use crate::diagnostics::SHOWN_MALFORMED;
use crate::error::Error;
use crate::io::whole::Whole;
use crate::parse::filter::{Screen, Unfilterable};
use crate::parse::format::{FormatState, Parsed, plain_error};
use crate::parse::host_set::HostSet;
use crate::parse::lateness::Arrivals;
use crate::parse::lines::Lines;
use crate::parse::plain_lines::parse_line_in;
use crate::parse::record::{Malformed, Record};
use crate::query::pair::pair_key;
use crate::query::request::{Query, Side};
use crate::query::summary::Peer;

/// How a block is scanned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kernel {
    /// Every line parsed and reported; stops at the early-stop record.
    Full,
    /// Only lines that may match are parsed (inside a region fast seek
    /// has already bounded).
    Candidates,
}

/// What one block contributed.
#[derive(Default)]
pub(crate) struct BlockScan {
    /// Reported hosts, first occurrence within the block, in order.
    pub(crate) hosts: HostSet,
    /// The first few malformed lines: (offset of the line, why).
    pub(crate) malformed: Vec<(usize, Malformed)>,
    /// Every malformed line met, shown or not.
    pub(crate) malformed_total: u64,
    /// The full kernel met the early-stop record.
    pub(crate) stopped: bool,
    /// VPC `NODATA`/`SKIPDATA` records met (skipped, counted).
    pub(crate) no_data: u64,
    /// The reading state after the block, when a header line in it
    /// changed the one it started with.
    pub(crate) end_state: Option<FormatState>,
    /// With `--summary`, what each host of `hosts` adds up to (same index).
    pub(crate) peers: Vec<Peer>,
    /// A filter met records it cannot be applied to; the scan stopped there.
    pub(crate) unfilterable: Option<Unfilterable>,
    /// Where a pair's key is built.
    pair_key: Vec<u8>,
    /// The times of the records parsed (not the early-stop record, nor
    /// one too far ahead), for the measured lateness
    /// (docs/behaviour.md#measured-lateness).
    pub(crate) arrivals: Arrivals,
}

impl BlockScan {
    fn malformed(&mut self, offset: usize, why: Malformed) {
        self.malformed_total += 1;
        if self.malformed.len() < SHOWN_MALFORMED as usize {
            self.malformed.push((offset, why));
        }
    }

    /// Takes `rec`, a record of `line` (at `offset`, read in `state`) whose
    /// time and target answer `query` with `reported`, when the query asks
    /// more than the host ([`Query::answers_hosts_only`]): a pair, a
    /// filter, a summary, each of which reads more of the record.
    #[inline(never)]
    fn answer_refined(
        &mut self,
        query: &Query,
        rec: &Record<'_>,
        reported: &[u8],
        (line, offset): (&[u8], usize),
        state: &FormatState,
    ) {
        if query.source.as_ref().is_some_and(|s| !s.matches(rec.from)) {
            return;
        }
        let detail = match query.filter.judge(state, line, query.wanted()) {
            Ok(Some(detail)) => detail,
            Ok(None) => return,
            Err(why) => return self.malformed(offset, why),
        };
        let key = match query.source {
            Some(_) => pair_key(rec.from, rec.to, &mut self.pair_key),
            None => reported,
        };
        let (i, new) = self.hosts.insert(key);
        if query.summary {
            if new {
                self.peers.push(Peer::new(rec.ts, &detail));
            } else {
                self.peers[i].add(rec.ts, &detail);
            }
        }
    }
}

/// Scans `buf[range]` with `kernel`, reading lines in the format `state`
/// tells; header lines met update `state`.
pub(crate) fn scan_block(
    query: &Query,
    kernel: Kernel,
    state: &mut FormatState,
    buf: &[u8],
    range: Range<usize>,
) -> BlockScan {
    if let Some(unfilterable) = query.filter.lacking_in(state) {
        return BlockScan {
            unfilterable: Some(unfilterable),
            ..BlockScan::default()
        };
    }
    let refined = !query.answers_hosts_only();
    if state.is_plain() {
        return match (kernel, refined) {
            (Kernel::Full, false) => scan_plain_with::<true, false>(query, buf, range),
            (Kernel::Full, true) => scan_plain_with::<true, true>(query, buf, range),
            (Kernel::Candidates, false) => scan_plain_with::<false, false>(query, buf, range),
            (Kernel::Candidates, true) => scan_plain_with::<false, true>(query, buf, range),
        };
    }
    let before = state.clone();
    let mut scan = if refined {
        scan_lines::<true>(query, kernel, state, buf, range)
    } else {
        scan_lines::<false>(query, kernel, state, buf, range)
    };
    if *state != before {
        scan.end_state = Some(state.clone());
    }
    scan
}

/// The plain format's own loop, exactly as before there were formats:
/// the per-line cost of most logs. Compiled once per kernel (`FULL`) and
/// for answers that are more than their host (`REFINED`), so that the
/// per-line loop carries no test of either.
#[inline(always)]
fn scan_plain_with<const FULL: bool, const REFINED: bool>(
    query: &Query,
    buf: &[u8],
    range: Range<usize>,
) -> BlockScan {
    let block = &buf[range.clone()];
    let mut scan = BlockScan {
        // Room for a popular host's senders in one block (about one new
        // host per 300 bytes on a log of 200,000 hosts) without growing.
        hosts: HostSet::with_capacity(block.len() / 512),
        ..BlockScan::default()
    };
    let (stop_at, believable) = (query.stop_at(), query.believable_until());
    let tail = TailFilter::new(query);
    // Kept apart from `scan`, which the loop writes through, so that it
    // can stay in registers.
    let mut arrivals = Arrivals::default();
    for (start, line) in Lines::new(block) {
        let offset = range.start + start;
        // The full kernel parses every line (for the early stop and the
        // malformed-line report) but asks for an answer only where the
        // tail filter lets the line through; the candidates kernel also
        // parses only those.
        let may_answer = tail.may_pass(line);
        if !FULL && (!may_answer || !query.may_match(line)) {
            continue;
        }
        match parse_line_in(block, start, start + line.len()) {
            Ok(rec) if rec.ts > believable => scan.malformed(offset, Malformed::FarAhead),
            Ok(rec) if FULL && rec.ts >= stop_at => {
                scan.stopped = true;
                break;
            }
            Ok(rec) => {
                arrivals.record(rec.ts);
                if may_answer && let Some(host) = query.answer(&rec) {
                    if REFINED {
                        let at = (line, offset);
                        scan.answer_refined(query, &rec, host, at, &FormatState::Plain);
                    } else {
                        scan.hosts.insert(host);
                    }
                }
            }
            Err(why) => scan.malformed(offset, plain_error(line, why)),
        }
    }
    scan.arrivals = arrivals;
    scan
}

/// Scans the lines of a format other than plain, reading them in `state`
/// (which header lines update). The candidates kernel parses only the
/// lines whose key field may match. `REFINED` as for [`scan_plain_with`].
#[inline(always)]
fn scan_lines<const REFINED: bool>(
    query: &Query,
    kernel: Kernel,
    state: &mut FormatState,
    buf: &[u8],
    range: Range<usize>,
) -> BlockScan {
    let mut scan = BlockScan::default();
    let (stop_at, believable) = (query.stop_at(), query.believable_until());
    let block = &buf[range.clone()];
    let mut screen = Screen::new(&query.filter);
    let mut arrivals = Arrivals::default();
    for (start, line) in Lines::new(block) {
        let offset = range.start + start;
        if kernel == Kernel::Candidates && !query.may_match_in(state, line) {
            continue;
        }
        match state.parse_line(line) {
            Parsed::Header => screen.header_read(),
            Parsed::Record(rec) if rec.ts > believable => {
                scan.malformed(offset, Malformed::FarAhead);
            }
            Parsed::Record(rec) if kernel == Kernel::Full && rec.ts >= stop_at => {
                scan.stopped = true;
                break;
            }
            Parsed::Record(rec) => {
                arrivals.record(rec.ts);
                if REFINED && let Some(unfilterable) = screen.check(state) {
                    scan.unfilterable = Some(unfilterable);
                    break;
                }
                if let Some(host) = query.answer(&rec) {
                    if REFINED {
                        scan.answer_refined(query, &rec, host, (line, offset), state);
                    } else {
                        scan.hosts.insert(host);
                    }
                }
            }
            Parsed::Malformed(why) => scan.malformed(offset, why),
            Parsed::NoData => scan.no_data += 1,
        }
    }
    scan.arrivals = arrivals;
    scan
}

/// A necessary condition for "the line's last field is the `--to` host",
/// tested with one 8-byte load and no branch on the bytes: the last 8 bytes
/// of the line, with bit `0x20` set in each (which makes ASCII letters lower
/// case and leaves every byte that equals its host byte, in any case,
/// equal), must equal the host's last bytes so treated. A line that ends
/// in a separator, a short line and a `--from` query always pass, to the
/// exact test ([`Query::may_match`]).
struct TailFilter {
    mask: u64,
    word: u64,
}

const CASE_BITS: u64 = 0x2020_2020_2020_2020;

impl TailFilter {
    fn new(query: &Query) -> TailFilter {
        // Only for a single name: a target that is not compared byte for
        // byte with the last field (a network, a list) always passes.
        let host = match query.target.single_name() {
            Some(host) if query.side == Side::To => host,
            _ => return TailFilter { mask: 0, word: 0 },
        };
        let k = host.len().min(8);
        if k == 0 {
            return TailFilter { mask: 0, word: 0 };
        }
        let (mut word, mut mask) = ([0u8; 8], [0u8; 8]);
        word[8 - k..].copy_from_slice(&host[host.len() - k..]);
        mask[8 - k..].fill(0xff);
        let mask = u64::from_le_bytes(mask);
        TailFilter {
            mask,
            word: (u64::from_le_bytes(word) | CASE_BITS) & mask,
        }
    }

    #[inline]
    fn may_pass(&self, line: &[u8]) -> bool {
        let n = line.len();
        // Every separator is at most b' ' (space, tab, CR, VT, FF).
        if n < 8 || line[n - 1] <= b' ' {
            return true;
        }
        let last = line
            .last_chunk()
            .map_or(0, |&last| u64::from_le_bytes(last));
        (last | CASE_BITS) & self.mask == self.word
    }
}

/// Scans one block of a whole input, once the file is known to still
/// hold it, and with its pages asked for in one call.
pub(crate) fn scan_whole_block(
    query: &Query,
    kernel: Kernel,
    state: &FormatState,
    whole: &Whole,
    block: &Range<usize>,
) -> Result<BlockScan, Error> {
    whole.check_len(block.end)?;
    whole.prefault(block.clone());
    let mut state = state.clone();
    Ok(scan_block(
        query,
        kernel,
        &mut state,
        whole.bytes(),
        block.clone(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::format::InputFormat;
    use crate::parse::target::Target;
    use crate::parse::timestamp::{Duration, Timestamp};
    use crate::query::request::Side;

    fn query(side: Side, host: &str) -> Query {
        Query {
            target: Target::parse(host.as_bytes()).unwrap(),
            side,
            source: None,
            filter: Default::default(),
            summary: false,
            input_format: InputFormat::Auto,
            time_init: Timestamp::from_secs(10),
            time_end: Timestamp::from_secs(20),
            lateness: Duration::from_secs(5),
            fast_seek: false,
            block_bytes: 64,
        }
    }

    /// Scans all of the plain log `log` as one block.
    fn scan_log(side: Side, host: &str, kernel: Kernel, log: &[u8]) -> BlockScan {
        let mut state = FormatState::new(InputFormat::Plain);
        scan_block(&query(side, host), kernel, &mut state, log, 0..log.len())
    }

    fn hosts(scan: &BlockScan) -> Vec<&[u8]> {
        scan.hosts.iter().collect()
    }

    #[test]
    fn the_full_kernel_stops_inside_a_block_at_time_end_plus_lateness() {
        let log = b"10 a x\n24 b x\n25 c x\n11 d x\n";
        let scan = scan_log(Side::To, "X", Kernel::Full, log);
        // 24 is past the range but before the stop; 25 = 20 + 5 stops.
        assert!(scan.stopped);
        assert_eq!(hosts(&scan), [&b"a"[..]]);
    }

    #[test]
    fn the_candidates_kernel_parses_only_lines_ending_in_the_host() {
        let log = b"12 a x\nnot a record at all\n13 b y\n14 c X\n99 d x\n";
        let scan = scan_log(Side::To, "x", Kernel::Candidates, log);
        // Reads on past the stop (the seek bounded the region), and never
        // parses the garbage line, whose last field is not the host.
        assert!(!scan.stopped);
        assert_eq!(scan.malformed_total, 0);
        assert_eq!(hosts(&scan), [&b"a"[..], b"c"]);
        let full = scan_log(Side::To, "x", Kernel::Full, log);
        assert_eq!(full.malformed_total, 1);
        assert_eq!(full.malformed, [(7, Malformed::FieldCount(4))]);
    }

    #[test]
    fn from_reports_the_destinations_once_each_in_first_seen_order() {
        let log = b"10 h b\n11 H a\n12 h b\n13 x h\n14 h c";
        let scan = scan_log(Side::From, "h", Kernel::Full, log);
        assert_eq!(hosts(&scan), [&b"b"[..], b"a", b"c"]);
    }

    fn fast_query(host: &str, side: Side) -> Query {
        Query {
            target: Target::parse(host.as_bytes()).unwrap(),
            side,
            source: None,
            filter: Default::default(),
            summary: false,
            input_format: InputFormat::Auto,
            time_init: Timestamp::ZERO,
            time_end: Timestamp::from_secs(1 << 40),
            lateness: Duration::from_secs(300),
            fast_seek: true,
            block_bytes: crate::query::request::DEFAULT_BLOCK_BYTES,
        }
    }

    proptest::proptest! {
        /// The tail filter never turns away a line the exact test accepts,
        /// and turns away most lines that do not end in the host.
        #[test]
        fn the_tail_filter_passes_every_line_that_may_match(
            line in "[0-9]{0,4}[ \t]{0,2}[a-cA-C@`.0-9]{0,10}[ \t\r]{0,2}[a-cA-C@`.0-9]{0,12}[ \t\r]{0,2}",
            host in "[a-cA-C@`.0-9]{1,12}",
            side in proptest::sample::select(vec![Side::To, Side::From]),
        ) {
            let q = fast_query(&host, side);
            let tail = TailFilter::new(&q);
            if q.may_match(line.as_bytes()) {
                proptest::prop_assert!(tail.may_pass(line.as_bytes()), "{line:?} {host:?}");
            }
            let with_host = format!("1 x {}", host.to_ascii_uppercase());
            proptest::prop_assert!(tail.may_pass(with_host.as_bytes()));
        }
    }

    #[test]
    fn the_tail_filter_turns_away_other_hosts() {
        let tail = TailFilter::new(&fast_query("nodrouk", Side::To));
        assert!(tail.may_pass(b"1565647200000 a NoDrouk"));
        assert!(!tail.may_pass(b"1565647200000 a nodrouq"));
        assert!(!tail.may_pass(b"1565647200000 a 10.0.0.1"));
        assert!(tail.may_pass(b"1565647200000 a other\r"));
        let ip = TailFilter::new(&fast_query("10.239.64.128", Side::To));
        assert!(ip.may_pass(b"1 a 10.239.64.128"));
        assert!(!ip.may_pass(b"1 a 10.239.64.129"));
    }
}
