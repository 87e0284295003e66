//! AWS VPC flow logs: space-separated records, `start` the time (unix
//! seconds), `srcaddr` FROM and `dstaddr` TO.
//!
//! The default (version 2) field order is `version account-id
//! interface-id srcaddr dstaddr srcport dstport protocol packets bytes
//! start end action log-status`; a custom order is read from the header
//! line that S3-delivered files start with. `NODATA` and `SKIPDATA`
//! records (no traffic, or records the service skipped) carry `-` for the
//! addresses: they are counted as skipped, not reported as malformed.

use crate::parse::detail::{
    ColumnNames, Detail, DetailField, Lacking, Wanted, find_column, lacking_column, parse_action,
    parse_count, parse_port, read_value,
};
use crate::parse::format::Parsed;
use crate::parse::record::{FormatProblem, Malformed, Record, is_separator};
use crate::parse::timestamp::Timestamp;

const FORMAT: &str = "vpc";

fn problem(what: &'static str) -> Malformed {
    Malformed::Format(FormatProblem {
        format: FORMAT,
        what,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fields {
    ts: usize,
    from: usize,
    to: usize,
    status: Option<usize>,
    last: usize,
    /// Where the fields of a [`Detail`] are: `srcport`, `dstport`,
    /// `protocol`, `bytes`, `packets`, `action` (see [`COLUMNS`]).
    columns: [Option<u16>; 6],
}

/// The header names of the [`Detail`] fields, in the order of
/// `Fields::columns`, with the field each gives.
const COLUMNS: &ColumnNames = &[
    ("srcport", DetailField::SrcPort),
    ("dstport", DetailField::DstPort),
    ("protocol", DetailField::Proto),
    ("bytes", DetailField::Bytes),
    ("packets", DetailField::Packets),
    ("action", DetailField::Action),
];

/// The field order of a VPC flow log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VpcLayout {
    fields: Result<Fields, &'static str>,
}

impl Default for VpcLayout {
    /// The default format, version 2.
    fn default() -> VpcLayout {
        VpcLayout {
            fields: Ok(Fields {
                ts: 10,
                from: 3,
                to: 4,
                status: Some(13),
                last: 10,
                columns: [5, 6, 7, 9, 8, 12].map(Some),
            }),
        }
    }
}

fn tokens(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|&b| is_separator(b)).filter(|t| !t.is_empty())
}

/// Whether `line` is a header line: it starts with a letter and names
/// `srcaddr` among its fields.
pub(crate) fn is_header(line: &[u8]) -> bool {
    line.first().is_some_and(u8::is_ascii_lowercase) && tokens(line).any(|t| t == b"srcaddr")
}

/// The layout a first line tells, if it is a VPC header or a record of
/// the default format.
pub(crate) fn detect(line: &[u8]) -> Option<VpcLayout> {
    if is_header(line) {
        return Some(VpcLayout::from_header(line));
    }
    let t: Vec<&[u8]> = tokens(line).take(15).collect();
    let default = t.len() == 14
        && t[0].iter().all(u8::is_ascii_digit)
        && matches!(t[12], b"ACCEPT" | b"REJECT" | b"-")
        && matches!(t[13], b"OK" | b"NODATA" | b"SKIPDATA");
    default.then(VpcLayout::default)
}

impl VpcLayout {
    fn from_header(line: &[u8]) -> VpcLayout {
        let (mut ts, mut from, mut to, mut status) = (None, None, None, None);
        let mut columns = [None; 6];
        for (i, name) in tokens(line).enumerate() {
            match name {
                b"start" => ts = ts.or(Some(i)),
                b"srcaddr" => from = from.or(Some(i)),
                b"dstaddr" => to = to.or(Some(i)),
                b"log-status" | b"log_status" => status = status.or(Some(i)),
                _ => {
                    if let Some(c) = find_column(COLUMNS, name) {
                        columns[c] = columns[c].or(u16::try_from(i).ok());
                    }
                }
            }
        }
        let fields = (|| {
            let ts = ts.ok_or("the header line lacks start")?;
            let from = from.ok_or("the header line lacks srcaddr")?;
            let to = to.ok_or("the header line lacks dstaddr")?;
            Ok(Fields {
                ts,
                from,
                to,
                status,
                last: ts.max(from).max(to),
                columns,
            })
        })();
        VpcLayout { fields }
    }

    /// A header line (which sets the layout) or a record.
    pub(crate) fn parse_or_header<'a>(&mut self, line: &'a [u8]) -> Parsed<'a> {
        if is_header(line) {
            *self = VpcLayout::from_header(line);
            return match self.fields {
                Ok(_) => Parsed::Header,
                Err(why) => Parsed::Malformed(problem(why)),
            };
        }
        self.parse(line)
    }

    /// Parses a record line.
    pub(crate) fn parse<'a>(&self, line: &'a [u8]) -> Parsed<'a> {
        let f = match &self.fields {
            Ok(f) => f,
            Err(why) => return Parsed::Malformed(problem(why)),
        };
        let mut got: [&[u8]; 3] = [b""; 3];
        let mut n = 0;
        for (i, t) in tokens(line).take(f.last + 1).enumerate() {
            n = i + 1;
            if i == f.ts {
                got[0] = t;
            }
            if i == f.from {
                got[1] = t;
            }
            if i == f.to {
                got[2] = t;
            }
        }
        if n == 0 {
            return Parsed::Malformed(Malformed::Blank);
        }
        if n <= f.last {
            return Parsed::Malformed(problem("fewer fields than the format has"));
        }
        let [ts, from, to] = got;
        if ts == b"-" || from == b"-" || to == b"-" {
            let status = f.status.and_then(|s| tokens(line).nth(s));
            if matches!(status, Some(b"NODATA" | b"SKIPDATA")) {
                return Parsed::NoData;
            }
        }
        let Ok(ts) = Timestamp::parse(ts) else {
            return Parsed::Malformed(problem(if ts == b"-" {
                "start is unset"
            } else {
                "start is not a time"
            }));
        };
        if from == b"-" {
            return Parsed::Malformed(problem("srcaddr is unset"));
        }
        if to == b"-" {
            return Parsed::Malformed(problem("dstaddr is unset"));
        }
        Parsed::Record(Record { ts, from, to })
    }

    /// Whether records of this layout cannot give `field`: a header line
    /// may leave out any column.
    pub(crate) fn lacking(&self, field: DetailField) -> Option<Lacking> {
        let f = self.fields.ok()?;
        lacking_column(COLUMNS, &f.columns, field, FORMAT)
    }

    /// The [`Detail`] of a record line: the `wanted` fields this layout
    /// has (`start` is whole seconds: no digits after the point).
    pub(crate) fn detail(&self, line: &[u8], wanted: Wanted) -> Result<Detail, Malformed> {
        let Ok(f) = self.fields else {
            return Ok(Detail::default());
        };
        let at: [Option<usize>; 6] = std::array::from_fn(|c| {
            f.columns[c]
                .filter(|_| wanted.contains(COLUMNS[c].1))
                .map(usize::from)
        });
        let Some(last) = at.iter().flatten().max().copied() else {
            return Ok(Detail::default());
        };
        let mut got: [Option<&[u8]>; 6] = [None; 6];
        for (i, token) in tokens(line).take(last + 1).enumerate() {
            for (c, position) in at.iter().enumerate() {
                if *position == Some(i) {
                    got[c] = Some(token).filter(|t| *t != b"-");
                }
            }
        }
        let protocol = |v: &[u8]| parse_count(v).and_then(|n| u8::try_from(n).ok());
        Ok(Detail {
            sport: read_value(got[0], parse_port, || problem("srcport is not a port"))?,
            dport: read_value(got[1], parse_port, || problem("dstport is not a port"))?,
            proto: read_value(got[2], protocol, || {
                problem("protocol is not a protocol number")
            })?,
            bytes: read_value(got[3], parse_count, || problem("bytes is not a count"))?,
            packets: read_value(got[4], parse_count, || problem("packets is not a count"))?,
            action: read_value(got[5], parse_action, || {
                problem("action is not ACCEPT or REJECT")
            })?,
            time_digits: 0,
        })
    }

    /// The FROM (`to == false`) or TO field, without parsing the rest.
    #[inline]
    pub(crate) fn key_field<'a>(&self, line: &'a [u8], to: bool) -> Option<&'a [u8]> {
        let f = self.fields.as_ref().ok()?;
        if is_header(line) {
            return None;
        }
        tokens(line).nth(if to { f.to } else { f.from })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V2: &[u8] = b"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK";

    #[test]
    fn the_default_format_reads_start_srcaddr_dstaddr() {
        let l = detect(V2).unwrap();
        let Parsed::Record(r) = l.parse(V2) else {
            panic!()
        };
        assert_eq!(r.ts, Timestamp::from_secs(1_418_530_010));
        assert_eq!(
            (r.from, r.to),
            (&b"172.31.16.139"[..], &b"172.31.16.21"[..])
        );
        assert_eq!(l.key_field(V2, true), Some(&b"172.31.16.21"[..]));
    }

    #[test]
    fn a_header_line_gives_a_custom_order() {
        let mut l = VpcLayout::default();
        assert_eq!(
            l.parse_or_header(b"start dstaddr srcaddr log-status"),
            Parsed::Header
        );
        let Parsed::Record(r) = l.parse(b"5 b a OK") else {
            panic!()
        };
        assert_eq!(
            (r.ts, r.from, r.to),
            (Timestamp::from_secs(5), &b"a"[..], &b"b"[..])
        );
        assert_eq!(l.parse(b"- - - NODATA"), Parsed::NoData);
        assert_eq!(l.parse(b"- - - SKIPDATA"), Parsed::NoData);
        let why = |p: Parsed<'_>| match p {
            Parsed::Malformed(m) => m.to_string(),
            other => panic!("{other:?}"),
        };
        assert_eq!(why(l.parse(b"x b a OK")), "vpc: start is not a time");
        assert_eq!(why(l.parse(b"5 b - OK")), "vpc: srcaddr is unset");
        assert_eq!(
            why(l.parse(b"5 b")),
            "vpc: fewer fields than the format has"
        );
        assert_eq!(
            why(l.parse_or_header(b"start srcaddr")),
            "vpc: the header line lacks dstaddr"
        );
    }

    #[test]
    fn plain_lines_are_not_vpc() {
        assert!(detect(b"1565647204 a b").is_none());
        assert!(detect(b"version srcaddr dstaddr start").is_some());
    }

    #[test]
    fn details_by_position_or_header_name() {
        let d = VpcLayout::default().detail(V2, Wanted::ALL).unwrap();
        assert_eq!(
            d,
            Detail {
                sport: Some(20641),
                dport: Some(22),
                proto: Some(6),
                bytes: Some(4249),
                packets: Some(20),
                action: Some(crate::parse::detail::Action::Accept),
                time_digits: 0,
            }
        );
        let mut l = VpcLayout::default();
        l.parse_or_header(b"start srcaddr dstaddr dstport action log-status");
        let d = l.detail(b"5 a b - REJECT OK", Wanted::ALL).unwrap();
        assert_eq!(
            (d.dport, d.action, d.bytes),
            (None, Some(crate::parse::detail::Action::Reject), None)
        );
        assert_eq!(
            l.detail(b"5 a b 22 DROP OK", Wanted::ALL)
                .unwrap_err()
                .to_string(),
            "vpc: action is not ACCEPT or REJECT"
        );
        assert_eq!(l.lacking(DetailField::DstPort), None);
        assert_eq!(
            l.lacking(DetailField::Proto).unwrap().to_string(),
            "this vpc log's header names no protocol column (the protocol)"
        );
    }
}
