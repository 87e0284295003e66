//! Zeek TSV logs (`conn.log`): `#` header blocks, then one record per line
//! with fields split by the `#separator` byte (a tab unless the header
//! says otherwise). `ts` is the time, `id.orig_h` FROM and `id.resp_h` TO,
//! found by name in `#fields`, so any field order works.
//!
//! A new header block (`#separator` again, as where rotated files were
//! concatenated) starts over: its `#fields` may name another order.
//! `#close`, `#open`, `#path`, `#types` and `#set_separator` are read past.

use crate::parse::detail::{
    ColumnNames, Detail, DetailField, Lacking, Wanted, find_column, lacking_column, parse_count,
    parse_port, read_value, time_digits, zeek_proto,
};
use crate::parse::fields::ByteSplit;
use crate::parse::format::Parsed;
use crate::parse::format::zeek_fields::fields_at;
use crate::parse::record::{FormatProblem, Malformed, Record, has_separator};
use crate::parse::timestamp::Timestamp;

const FORMAT: &str = "zeek";

/// Why an `id.orig_h` or `id.resp_h` field is not a host ([`ZeekLayout::bad_host`]).
const FROM_PROBLEMS: [&str; 3] = [
    "id.orig_h is unset",
    "id.orig_h is empty",
    "id.orig_h holds whitespace",
];
const TO_PROBLEMS: [&str; 3] = [
    "id.resp_h is unset",
    "id.resp_h is empty",
    "id.resp_h holds whitespace",
];

/// Where the fields a record needs are, by position in a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fields {
    ts: usize,
    from: usize,
    to: usize,
    /// The largest of the three: fields past it are never looked at.
    last: usize,
    /// Where the columns of a [`Detail`] are, when `#fields` names them
    /// (see [`COLUMNS`]).
    columns: [Option<u16>; 7],
}

/// The `#fields` names of the [`Detail`] columns, in the order of
/// `Fields::columns`, with the field each gives.
const COLUMNS: &ColumnNames = &[
    ("id.orig_p", DetailField::SrcPort),
    ("id.resp_p", DetailField::DstPort),
    ("proto", DetailField::Proto),
    ("orig_ip_bytes", DetailField::Bytes),
    ("resp_ip_bytes", DetailField::Bytes),
    ("orig_pkts", DetailField::Packets),
    ("resp_pkts", DetailField::Packets),
];

/// The layout a header block declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZeekLayout {
    sep: u8,
    /// The positions of the fields, or why lines cannot be read (no
    /// `#fields` yet, or one that lacks a needed field).
    fields: Result<Fields, &'static str>,
    /// `#unset_field` (`-`) and `#empty_field` (`(empty)`).
    unset: Vec<u8>,
    empty: Vec<u8>,
}

impl Default for ZeekLayout {
    fn default() -> ZeekLayout {
        ZeekLayout {
            sep: b'\t',
            fields: Err("no #fields header line before this record"),
            unset: b"-".to_vec(),
            empty: b"(empty)".to_vec(),
        }
    }
}

/// Whether `line` opens (or belongs to the start of) a Zeek header block.
pub(crate) fn starts_header_block(line: &[u8]) -> bool {
    let rest = |prefix: &[u8]| {
        line.strip_prefix(prefix)
            .is_some_and(|r| matches!(r.first(), Some(b' ' | b'\t')))
    };
    rest(b"#separator") || rest(b"#fields")
}

fn problem(what: &'static str) -> Malformed {
    Malformed::Format(FormatProblem {
        format: FORMAT,
        what,
    })
}

/// `line` without the `\r` of a CRLF line end: Zeek logs that passed
/// through a Windows tool keep every field, the last one included, as
/// written (`docs/formats.md#zeek-connlog-tsv`).
#[inline(always)]
pub(crate) fn without_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Decodes a `#separator` value: bytes, with `\xHH` escapes.
fn unescape(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < value.len() {
        if value[i] == b'\\'
            && value.get(i + 1) == Some(&b'x')
            && let Some(byte) = value
                .get(i + 2..i + 4)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 4;
        } else {
            out.push(value[i]);
            i += 1;
        }
    }
    out
}

impl ZeekLayout {
    /// Reads a `#` line: a header line changes the layout; a bad one is
    /// malformed (and so are the records that would need it).
    pub(crate) fn header_line<'a>(&mut self, line: &'a [u8]) -> Parsed<'a> {
        if let Some(value) = line.strip_prefix(b"#separator") {
            *self = ZeekLayout::default();
            let value = unescape(value.get(1..).unwrap_or_default());
            return match value[..] {
                [sep] if sep != b'\n' => {
                    self.sep = sep;
                    Parsed::Header
                }
                _ => {
                    let why = "#separator is not one byte (only one-byte separators are read)";
                    self.fields = Err(why);
                    Parsed::Malformed(problem(why))
                }
            };
        }
        let mut parts = line.split(|&b| b == self.sep);
        let name = parts.next().unwrap_or_default();
        match name {
            b"#fields" => {
                self.fields = fields_of(parts);
                match self.fields {
                    Ok(_) => Parsed::Header,
                    Err(why) => Parsed::Malformed(problem(why)),
                }
            }
            b"#unset_field" => {
                self.unset = parts.next().unwrap_or_default().to_vec();
                Parsed::Header
            }
            b"#empty_field" => {
                self.empty = parts.next().unwrap_or_default().to_vec();
                Parsed::Header
            }
            _ => Parsed::Header,
        }
    }

    /// Parses a record line (not a `#` line).
    #[inline]
    pub(crate) fn parse<'a>(&self, line: &'a [u8]) -> Parsed<'a> {
        if line.is_empty() {
            return Parsed::Malformed(Malformed::Blank);
        }
        let f = match &self.fields {
            Ok(f) => f,
            Err(why) => return Parsed::Malformed(problem(why)),
        };
        let mut spans = [(0, 0); 3];
        let mut start = 0;
        let mut ends = ByteSplit::new(line, self.sep);
        for i in 0..=f.last {
            let Some(end) = ends.next_end() else {
                return Parsed::Malformed(problem("fewer fields than #fields names"));
            };
            if i == f.ts {
                spans[0] = (start, end);
            }
            if i == f.from {
                spans[1] = (start, end);
            }
            if i == f.to {
                spans[2] = (start, end);
            }
            start = end + 1;
        }
        let [ts, from, to] = spans.map(|(s, e)| &line[s..e]);
        let ts = match Timestamp::parse(ts) {
            Ok(ts) => ts,
            Err(_) if ts == self.unset => return Parsed::Malformed(problem("ts is unset")),
            Err(_) => return Parsed::Malformed(problem("ts is not a time")),
        };
        if let Some(why) = self.bad_host(from) {
            return Parsed::Malformed(problem(FROM_PROBLEMS[why]));
        }
        if let Some(why) = self.bad_host(to) {
            return Parsed::Malformed(problem(TO_PROBLEMS[why]));
        }
        Parsed::Record(Record { ts, from, to })
    }

    /// Why `host` cannot be a host, as an index into [`FROM_PROBLEMS`]
    /// or [`TO_PROBLEMS`]: unset, empty, or holding whitespace (possible
    /// with a separator other than a tab), which no `--to` or `--from`
    /// could name and a TSV row could not print as one field.
    #[inline]
    fn bad_host(&self, host: &[u8]) -> Option<usize> {
        if host == self.unset {
            Some(0)
        } else if host.is_empty() || host == self.empty {
            Some(1)
        } else if has_separator(host) {
            Some(2)
        } else {
            None
        }
    }

    /// Whether records of this layout cannot give `field`: the format has
    /// no action, and a `#fields` may leave out any other column.
    pub(crate) fn lacking(&self, field: DetailField) -> Option<Lacking> {
        if field == DetailField::Action {
            return Some(Lacking::in_format(field, FORMAT));
        }
        let f = self.fields.ok()?;
        lacking_column(COLUMNS, &f.columns, field, FORMAT)
    }

    /// The [`Detail`] of a record line (one [`parse`](Self::parse) took
    /// for a record): the `wanted` fields this layout has, and the time's
    /// digits. Reads the line up to the last column wanted.
    pub(crate) fn detail(&self, line: &[u8], wanted: Wanted) -> Result<Detail, Malformed> {
        let Ok(f) = self.fields else {
            return Ok(Detail::default());
        };
        // The slots to read: the time, the originator (whose address
        // family tells ICMP from ICMPv6), then the columns in `COLUMNS`'s order.
        let mut slots = [None; 9];
        slots[0] = Some(f.ts);
        slots[1] = Some(f.from).filter(|_| wanted.contains(DetailField::Proto));
        for (c, (_, field)) in COLUMNS.iter().enumerate() {
            slots[2 + c] = f.columns[c]
                .filter(|_| wanted.contains(*field))
                .map(usize::from);
        }
        let got = fields_at(line, self.sep, &slots);
        // A set value, or `None` when the slot is not read or unset.
        let value = |slot: usize| got[slot].filter(|v| *v != self.unset && *v != self.empty);
        let number = |slot: usize, what| read_value(value(slot), parse_count, || problem(what));
        let port = |slot: usize, what| read_value(value(slot), parse_port, || problem(what));
        let sum = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
        };
        Ok(Detail {
            time_digits: got[0].map_or(0, time_digits),
            sport: port(2, "id.orig_p is not a port")?,
            dport: port(3, "id.resp_p is not a port")?,
            proto: value(4).and_then(|name| zeek_proto(name, got[1].unwrap_or_default())),
            bytes: sum(
                number(5, "orig_ip_bytes is not a count")?,
                number(6, "resp_ip_bytes is not a count")?,
            ),
            packets: sum(
                number(7, "orig_pkts is not a count")?,
                number(8, "resp_pkts is not a count")?,
            ),
            action: None,
        })
    }

    /// The log a `#path` header line names (`conn`, `dns`, ...): what
    /// tells a connection log from Zeek's other logs in one folder.
    /// `None` for any other line.
    pub(crate) fn log_path<'a>(&self, line: &'a [u8]) -> Option<&'a [u8]> {
        let value = line.strip_prefix(b"#path")?.strip_prefix(&[self.sep])?;
        Some(value.strip_suffix(b"\r").unwrap_or(value))
    }

    /// The FROM (`to == false`) or TO field of a record line, without
    /// parsing the rest; `None` for a `#` line or a line too short.
    #[inline]
    pub(crate) fn key_field<'a>(&self, line: &'a [u8], to: bool) -> Option<&'a [u8]> {
        let f = self.fields.as_ref().ok()?;
        let line = without_cr(line);
        if line.first() == Some(&b'#') {
            return None;
        }
        let want = if to { f.to } else { f.from };
        let mut ends = ByteSplit::new(line, self.sep);
        let mut start = 0;
        for _ in 0..want {
            start = ends.next_end()? + 1;
        }
        let end = ends.next_end()?;
        (start <= end).then(|| &line[start..end])
    }
}

/// The positions of `ts`, `id.orig_h` and `id.resp_h` among `names`,
/// and of the [`Detail`] columns.
fn fields_of<'a>(names: impl Iterator<Item = &'a [u8]>) -> Result<Fields, &'static str> {
    let (mut ts, mut from, mut to) = (None, None, None);
    let mut columns = [None; 7];
    for (i, name) in names.enumerate() {
        match name {
            b"ts" => ts = ts.or(Some(i)),
            b"id.orig_h" => from = from.or(Some(i)),
            b"id.resp_h" => to = to.or(Some(i)),
            _ => {
                if let Some(c) = find_column(COLUMNS, name) {
                    columns[c] = columns[c].or(u16::try_from(i).ok());
                }
            }
        }
    }
    let ts = ts.ok_or("#fields lacks ts")?;
    let from = from.ok_or("#fields lacks id.orig_h")?;
    let to = to.ok_or("#fields lacks id.resp_h")?;
    Ok(Fields {
        ts,
        from,
        to,
        last: ts.max(from).max(to),
        columns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_header_names_the_log() {
        let layout = ZeekLayout::default();
        assert_eq!(layout.log_path(b"#path\tconn"), Some(&b"conn"[..]));
        assert_eq!(layout.log_path(b"#path\tdns\r"), Some(&b"dns"[..]));
        assert_eq!(layout.log_path(b"#pathx\tconn"), None);
        assert_eq!(layout.log_path(b"1565647200\tC1\ta\tb"), None);
    }

    const HEADER: &[&str] = &[
        "#separator \\x09",
        "#set_separator\t,",
        "#empty_field\t(empty)",
        "#unset_field\t-",
        "#path\tconn",
        "#open\t2019-08-12-22-00-00",
        "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto",
        "#types\ttime\tstring\taddr\tport\taddr\tport\tenum",
    ];

    fn layout(header: &[&str]) -> ZeekLayout {
        let mut l = ZeekLayout::default();
        for line in header {
            assert_eq!(l.header_line(line.as_bytes()), Parsed::Header, "{line}");
        }
        l
    }

    fn why(p: Parsed<'_>) -> String {
        match p {
            Parsed::Malformed(m) => m.to_string(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn fields_are_found_by_name() {
        let l = layout(HEADER);
        let line = b"1565647204.351234\tCx1\t10.0.0.1\t5353\t2001:db8::1\t53\tudp";
        let Parsed::Record(r) = l.parse(line) else {
            panic!()
        };
        assert_eq!(r.ts, Timestamp::from_nanos(1_565_647_204_351_234_000));
        assert_eq!((r.from, r.to), (&b"10.0.0.1"[..], &b"2001:db8::1"[..]));
        assert_eq!(l.key_field(line, true), Some(&b"2001:db8::1"[..]));
        assert_eq!(l.key_field(line, false), Some(&b"10.0.0.1"[..]));
        // Another order, another separator.
        let l = layout(&["#separator ,", "#fields,id.resp_h,id.orig_h,x,ts"]);
        let Parsed::Record(r) = l.parse(b"b,a,-,7") else {
            panic!()
        };
        assert_eq!(
            (r.ts, r.from, r.to),
            (Timestamp::from_secs(7), &b"a"[..], &b"b"[..])
        );
    }

    #[test]
    fn bad_fields_name_the_format_and_field() {
        let l = layout(HEADER);
        assert_eq!(why(l.parse(b"x\tC\ta\t1\tb")), "zeek: ts is not a time");
        assert_eq!(why(l.parse(b"-\tC\ta\t1\tb")), "zeek: ts is unset");
        assert_eq!(why(l.parse(b"1\tC\t-\t1\tb")), "zeek: id.orig_h is unset");
        assert_eq!(
            why(l.parse(b"1\tC\ta\t1\t(empty)")),
            "zeek: id.resp_h is empty"
        );
        assert_eq!(
            why(l.parse(b"1\tC\ta")),
            "zeek: fewer fields than #fields names"
        );
        assert_eq!(l.parse(b""), Parsed::Malformed(Malformed::Blank));
        let mut l = ZeekLayout::default();
        assert_eq!(
            why(l.header_line(b"#fields\tts\tid.orig_h\tid.resp_p")),
            "zeek: #fields lacks id.resp_h"
        );
        assert_eq!(why(l.parse(b"1\ta\t2")), "zeek: #fields lacks id.resp_h");
        assert_eq!(
            why(ZeekLayout::default().parse(b"1\ta\tb")),
            "zeek: no #fields header line before this record"
        );
    }

    #[test]
    fn a_host_holding_whitespace_is_malformed() {
        let l = layout(&["#separator \\x2c", "#fields,ts,id.orig_h,id.resp_h"]);
        assert_eq!(
            why(l.parse(b"1,a\tb,c")),
            "zeek: id.orig_h holds whitespace"
        );
        assert_eq!(why(l.parse(b"1,a,c d")), "zeek: id.resp_h holds whitespace");
        assert!(matches!(l.parse(b"1,a\x01b,c"), Parsed::Record(_)));
    }

    #[test]
    fn a_new_header_block_starts_over() {
        let mut l = layout(HEADER);
        assert_eq!(
            l.header_line(b"#close\t2019-08-12-23-00-00"),
            Parsed::Header
        );
        assert_eq!(l.header_line(b"#separator \\x09"), Parsed::Header);
        assert!(matches!(l.parse(b"1\ta\tb"), Parsed::Malformed(_)));
        l.header_line(b"#fields\tid.orig_h\tid.resp_h\tts");
        assert!(matches!(l.parse(b"a\tb\t1"), Parsed::Record(_)));
    }

    #[test]
    fn details_are_read_by_column_name_and_unset_is_none() {
        let l = layout(&[
            "#separator \\x09",
            "#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes",
        ]);
        let d = l
            .detail(
                b"1.500\t10.0.0.1\t5000\tb\t22\ttcp\t3\t180\t2\t120",
                Wanted::ALL,
            )
            .unwrap();
        assert_eq!(
            d,
            Detail {
                sport: Some(5000),
                dport: Some(22),
                proto: Some(6),
                bytes: Some(300),
                packets: Some(5),
                action: None,
                time_digits: 3,
            }
        );
        let d = l
            .detail(b"1\t2001:db8::1\t-\tb\t-\ticmp\t1\t-\t-\t-", Wanted::ALL)
            .unwrap();
        assert_eq!((d.sport, d.dport, d.proto), (None, None, Some(58)));
        assert_eq!((d.bytes, d.packets, d.time_digits), (None, Some(1), 0));
        // Only what is wanted is read: a bad port is not looked at.
        let only_bytes = Wanted::NONE.with(DetailField::Bytes);
        let d = l
            .detail(b"1\ta\tx\tb\t22\ttcp\t1\t60\t1\t40", only_bytes)
            .unwrap();
        assert_eq!((d.sport, d.bytes), (None, Some(100)));
        assert_eq!(
            l.detail(b"1\ta\tx\tb\t22\ttcp\t1\t60\t1\t40", Wanted::ALL)
                .unwrap_err()
                .to_string(),
            "zeek: id.orig_p is not a port"
        );
        // A short line leaves the missing columns unset.
        assert_eq!(l.detail(b"1\ta\t5", Wanted::ALL).unwrap().dport, None);
    }

    #[test]
    fn a_layout_lacks_the_columns_its_fields_do_not_name() {
        let l = layout(HEADER);
        assert_eq!(l.lacking(DetailField::DstPort), None);
        let bytes = l.lacking(DetailField::Bytes).unwrap();
        assert_eq!(bytes.column, Some("orig_ip_bytes"));
        assert_eq!(
            l.lacking(DetailField::Action).unwrap().to_string(),
            "zeek logs have no action (vpc logs have one)"
        );
    }

    proptest::proptest! {
        /// The word-at-a-time splitter finds the fields `split` finds,
        /// whatever bytes surround the separators.
        #[test]
        fn fields_at_equals_splitting(
            line in proptest::collection::vec(
                proptest::sample::select(&b"\t\x08\x01\x00a,9\xff"[..]), 0..40),
            sep in proptest::sample::select(&b"\t,\x00"[..]),
            positions in proptest::collection::vec(proptest::option::of(0usize..12), 4),
        ) {
            let slots: [Option<usize>; 4] = positions.try_into().unwrap();
            let fields: Vec<&[u8]> = line.split(|&b| b == sep).collect();
            let expected = slots.map(|at| at.and_then(|i| fields.get(i).copied()));
            proptest::prop_assert_eq!(fields_at(&line, sep, &slots), expected);
        }
    }
}
