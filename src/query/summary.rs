//! `connspy --summary`: one row per answer (a host, or with `--to` and
//! `--from` a pair) instead of the host alone, in the same first-seen
//! order: its first and last time, its records, and where the formats
//! have them its bytes, packets and destination ports
//! (`docs/behaviour.md#summary`).
//!
//! Each block scan adds up its own peers ([`Peer`]), and the answer adds
//! the blocks up in file order ([`Peer::merge`]): every measure is a
//! minimum, a maximum, a sum or an ordered union, so the result is that of
//! one pass over the records. Rows are printed at the end, once every
//! record is in.
//!
//! **Bound.** A peer is at most 160 bytes, its [`DPORTS_CAP`] ports
//! inline, beside its name in the answer's host set: memory grows with the
//! distinct answers, as the host query's own set does, never with records.

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::output::{Field, Format, RowWriter};
use crate::parse::detail::Detail;
use crate::parse::timestamp::Timestamp;

/// Distinct destination ports kept per peer, in first-seen order; past
/// them a peer's `more_dports` says that it had more.
pub const DPORTS_CAP: usize = 16;

/// A time, and the digits after the point its record wrote it with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Seen {
    ts: Timestamp,
    digits: u8,
}

impl Seen {
    /// Unix seconds with exactly `digits` digits after the point.
    fn text(self) -> String {
        const NANOS: u128 = 1_000_000_000;
        let nanos = self.ts.as_nanos();
        // Whole seconds fit 64 bits until the year 584,554,049,253.
        let mut text = self.ts.as_secs().to_string();
        if self.digits > 0 {
            text.push('.');
            let (mut fraction, mut unit) = (nanos % NANOS, NANOS / 10);
            for _ in 0..self.digits.min(9) {
                text.push(char::from(b'0' + (fraction / unit) as u8));
                fraction %= unit;
                unit /= 10;
            }
        }
        text
    }
}

/// What the records of one peer add up to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Peer {
    first: Seen,
    last: Seen,
    records: u64,
    bytes: u64,
    /// Records that gave a byte count (the others add nothing).
    with_bytes: u64,
    packets: u64,
    with_packets: u64,
    /// The first `dports_len` distinct destination ports, inline: a peer
    /// costs no allocation.
    dports: [u16; DPORTS_CAP],
    dports_len: u8,
    more_dports: bool,
}

impl Peer {
    /// A peer of one record.
    pub(crate) fn new(ts: Timestamp, detail: &Detail) -> Peer {
        let seen = Seen {
            ts,
            digits: detail.time_digits,
        };
        let mut peer = Peer {
            first: seen,
            last: seen,
            records: 0,
            bytes: 0,
            with_bytes: 0,
            packets: 0,
            with_packets: 0,
            dports: [0; DPORTS_CAP],
            dports_len: 0,
            more_dports: false,
        };
        peer.add(ts, detail);
        peer
    }

    /// Adds a record (the first is added by [`new`](Self::new)).
    pub(crate) fn add(&mut self, ts: Timestamp, detail: &Detail) {
        let seen = Seen {
            ts,
            digits: detail.time_digits,
        };
        self.see(seen, seen);
        self.records += 1;
        if let Some(bytes) = detail.bytes {
            self.bytes = self.bytes.saturating_add(bytes);
            self.with_bytes += 1;
        }
        if let Some(packets) = detail.packets {
            self.packets = self.packets.saturating_add(packets);
            self.with_packets += 1;
        }
        if let Some(port) = detail.dport {
            self.add_dport(port);
        }
    }

    /// Adds the records of `later`, the same peer's records after these
    /// in the input.
    pub(crate) fn merge(&mut self, later: &Peer) {
        self.see(later.first, later.last);
        self.records += later.records;
        self.bytes = self.bytes.saturating_add(later.bytes);
        self.with_bytes += later.with_bytes;
        self.packets = self.packets.saturating_add(later.packets);
        self.with_packets += later.with_packets;
        for &port in later.dports() {
            self.add_dport(port);
        }
        self.more_dports |= later.more_dports;
    }

    /// Widens the first and last times to take in `first` and `last`; a
    /// tie keeps the time met first.
    fn see(&mut self, first: Seen, last: Seen) {
        if first.ts < self.first.ts {
            self.first = first;
        }
        if last.ts > self.last.ts {
            self.last = last;
        }
    }

    fn dports(&self) -> &[u16] {
        &self.dports[..usize::from(self.dports_len)]
    }

    fn add_dport(&mut self, port: u16) {
        if self.dports().contains(&port) {
            return;
        }
        match self.dports.get_mut(usize::from(self.dports_len)) {
            Some(slot) => {
                *slot = port;
                self.dports_len += 1;
            }
            None => self.more_dports = true,
        }
    }

    /// Whether its bytes or packets leave out some of its records (those
    /// that gave none, while others did): the sums are then partial.
    pub(crate) fn partial_sums(&self) -> bool {
        let partial = |with: u64| with > 0 && with < self.records;
        partial(self.with_bytes) || partial(self.with_packets)
    }

    /// Writes the peer's row after `lead`, the fields up to its hosts.
    pub(crate) fn write_row<W: Write>(
        &self,
        out: &mut RowWriter<W>,
        lead: &[Field<'_>],
    ) -> io::Result<()> {
        let tsv = out.format() == Format::Tsv;
        // A value no record gave: `-` in TSV, which has no empty field.
        let unknown = if tsv { Field::Str("-") } else { Field::Absent };
        let (first, last) = (self.first.text(), self.last.text());
        let mut dports = String::with_capacity(6 * self.dports().len());
        for (i, port) in self.dports().iter().enumerate() {
            if i > 0 {
                dports.push(',');
            }
            // Writing to a String cannot fail.
            let _ = write!(dports, "{port}");
        }
        let has_dports = self.dports_len > 0;
        let mut fields = lead.to_vec();
        fields.extend([
            Field::Number(&first),
            Field::Number(&last),
            Field::Int(self.records),
            if self.with_bytes > 0 {
                Field::Int(self.bytes)
            } else {
                unknown
            },
            if self.with_packets > 0 {
                Field::Int(self.packets)
            } else {
                unknown
            },
            if has_dports {
                Field::Str(&dports)
            } else {
                unknown
            },
            match (has_dports, self.more_dports) {
                (false, _) => unknown,
                (true, more) => Field::Number(if more { "true" } else { "false" }),
            },
        ]);
        out.row(&fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail(digits: u8, bytes: Option<u64>, dport: Option<u16>) -> Detail {
        Detail {
            time_digits: digits,
            bytes,
            packets: bytes.map(|b| b / 100),
            dport,
            ..Detail::default()
        }
    }

    fn row(peer: &Peer, format: Format) -> String {
        // The columns from the host on: those a peer's row writes.
        let columns = crate::query::columns::SUMMARY_COLUMNS;
        let host = columns.iter().position(|c| *c == "host").unwrap();
        let mut out = RowWriter::new(Vec::new(), format, &columns[host..]);
        peer.write_row(&mut out, &[Field::Host(b"h")]).unwrap();
        out.flush().unwrap();
        String::from_utf8(out.get_ref().clone()).unwrap()
    }

    #[test]
    fn a_peer_stays_within_its_stated_size() {
        assert!(std::mem::size_of::<Peer>() <= 160);
    }

    #[test]
    fn times_print_with_the_digits_of_their_record() {
        let at = |nanos: u128, digits| Seen {
            ts: Timestamp::from_nanos(nanos),
            digits,
        };
        assert_eq!(at(1_565_647_204_351_000_000, 3).text(), "1565647204.351");
        assert_eq!(at(1_565_647_204_000_000_000, 6).text(), "1565647204.000000");
        assert_eq!(at(1_565_647_204_000_000_000, 0).text(), "1565647204");
        assert_eq!(at(7, 9).text(), "0.000000007");
    }

    #[test]
    fn a_peer_adds_up_its_records_in_any_grouping() {
        let t = |s| Timestamp::from_secs(s);
        let records = [
            (t(20), detail(6, Some(1000), Some(22))),
            (t(10), detail(3, None, Some(443))),
            (t(30), detail(0, Some(500), Some(22))),
            (t(15), detail(6, Some(1), Some(80))),
        ];
        let mut whole = Peer::new(records[0].0, &records[0].1);
        for (ts, d) in &records[1..] {
            whole.add(*ts, d);
        }
        for cut in 1..records.len() {
            let mut front = Peer::new(records[0].0, &records[0].1);
            for (ts, d) in &records[1..cut] {
                front.add(*ts, d);
            }
            let mut back = Peer::new(records[cut].0, &records[cut].1);
            for (ts, d) in &records[cut + 1..] {
                back.add(*ts, d);
            }
            front.merge(&back);
            assert_eq!(front, whole, "cut at {cut}");
        }
        assert_eq!(
            row(&whole, Format::Tsv),
            "h\t10.000\t30\t4\t1501\t15\t22,443,80\tfalse\n"
        );
        assert!(whole.partial_sums());
    }

    #[test]
    fn ports_past_the_cap_are_said_not_listed() {
        let mut peer = Peer::new(Timestamp::ZERO, &detail(0, None, Some(0)));
        for port in 1..40 {
            peer.add(Timestamp::ZERO, &detail(0, None, Some(port)));
        }
        assert_eq!(peer.dports().len(), DPORTS_CAP);
        assert!(peer.more_dports);
        let json = row(&peer, Format::Jsonl);
        assert!(json.contains(r#""more_dports":true"#), "{json}");
        assert!(!json.contains("bytes"), "{json}");
    }

    #[test]
    fn unknown_measures_are_a_dash_empty_or_left_out() {
        let peer = Peer::new(Timestamp::from_secs(5), &detail(0, None, None));
        assert_eq!(row(&peer, Format::Tsv), "h\t5\t5\t1\t-\t-\t-\t-\n");
        assert!(row(&peer, Format::Csv).ends_with("\nh,5,5,1,,,,\n"));
        assert_eq!(
            row(&peer, Format::Jsonl),
            "{\"host\":\"h\",\"first_seen\":5,\"last_seen\":5,\"records\":1}\n"
        );
        assert!(!peer.partial_sums());
    }
}
