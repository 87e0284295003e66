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
use crate::parse::fields::for_each_field;
use crate::parse::format::Parsed;
use crate::parse::record::{FormatProblem, Malformed, Record};
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
    /// `log-status` (`OK`, `NODATA`, `SKIPDATA`), when the format has it.
    status: Option<usize>,
    /// How many fields a record has: exactly as many as the format names.
    count: usize,
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

/// Where `action` is among `Fields::columns`: what [`VpcLayout::parse`]
/// checks as well as what a [`Detail`] reads.
const ACTION: usize = 5;

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
                count: 14,
                columns: [5, 6, 7, 9, 8, 12].map(Some),
            }),
        }
    }
}

/// Every field of `line` (header lines and first lines only: records
/// are split by [`for_each_field`] without a copy).
fn all_fields(line: &[u8]) -> Vec<&[u8]> {
    let mut fields = Vec::new();
    for_each_field(line, usize::MAX - 1, |_, field| fields.push(field));
    fields
}

/// Whether `line` is a header line: it starts with a letter and names
/// `srcaddr` among its fields.
pub(crate) fn is_header(line: &[u8]) -> bool {
    if !line.first().is_some_and(u8::is_ascii_lowercase) {
        return false;
    }
    let mut names = false;
    for_each_field(line, usize::MAX - 1, |_, field| {
        names |= field == b"srcaddr"
    });
    names
}

/// The layout a first line tells, if it is a VPC header or a record of
/// the default format.
pub(crate) fn detect(line: &[u8]) -> Option<VpcLayout> {
    if is_header(line) {
        return Some(VpcLayout::from_header(line));
    }
    let t = all_fields(line);
    let default = t.len() == 14
        && t[0].iter().all(u8::is_ascii_digit)
        && matches!(t[12], b"ACCEPT" | b"REJECT" | b"-")
        && matches!(t[13], b"OK" | b"NODATA" | b"SKIPDATA");
    default.then(VpcLayout::default)
}

impl VpcLayout {
    fn from_header(line: &[u8]) -> VpcLayout {
        let (mut ts, mut from, mut to) = (None, None, None);
        let (mut status, mut count) = (None, 0);
        let mut columns = [None; 6];
        for (i, name) in all_fields(line).into_iter().enumerate() {
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
            count = i + 1;
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
                count,
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

    /// Parses a record line: exactly the fields the format names, the
    /// addresses no plain numbers (nor `-`), `start` a time, and `action` and
    /// `log-status` values the service writes. A line of another format
    /// read as VPC (a wrong `--input-format`, a custom layout without its
    /// header line) fails one of these instead of giving junk records.
    pub(crate) fn parse<'a>(&self, line: &'a [u8]) -> Parsed<'a> {
        let f = match self.fields {
            Ok(f) => f,
            Err(why) => return Parsed::Malformed(problem(why)),
        };
        let mut got: [&[u8]; 5] = [b"-"; 5];
        let n = for_each_field(line, f.count, |i, field| {
            let slot = if i == f.ts {
                0
            } else if i == f.from {
                1
            } else if i == f.to {
                2
            } else if f.columns[ACTION].map(usize::from) == Some(i) {
                3
            } else if Some(i) == f.status {
                4
            } else {
                return;
            };
            got[slot] = field;
        });
        if n == 0 {
            return Parsed::Malformed(Malformed::Blank);
        }
        if n != f.count {
            return Parsed::Malformed(problem(if n < f.count {
                "fewer fields than the format has"
            } else {
                "more fields than the format has"
            }));
        }
        let [ts, from, to, action, status] = got;
        if !matches!(action, b"ACCEPT" | b"REJECT" | b"-") {
            return Parsed::Malformed(problem("action is not ACCEPT, REJECT or -"));
        }
        match (f.status, status) {
            (None, _) | (Some(_), b"OK") => {}
            (Some(_), b"NODATA" | b"SKIPDATA") => return Parsed::NoData,
            _ => return Parsed::Malformed(problem("log-status is not OK, NODATA or SKIPDATA")),
        }
        let Ok(ts) = Timestamp::parse(ts) else {
            return Parsed::Malformed(problem(if ts == b"-" {
                "start is unset"
            } else {
                "start is not a time"
            }));
        };
        for (host, unset, not_address) in [
            (
                from,
                "srcaddr is unset",
                "srcaddr is a number, not an address",
            ),
            (
                to,
                "dstaddr is unset",
                "dstaddr is a number, not an address",
            ),
        ] {
            if host == b"-" {
                return Parsed::Malformed(problem(unset));
            }
            if is_number(host) {
                return Parsed::Malformed(problem(not_address));
            }
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
        for_each_field(line, last + 1, |i, token| {
            for (c, position) in at.iter().enumerate() {
                if *position == Some(i) {
                    got[c] = Some(token).filter(|t| *t != b"-");
                }
            }
        });
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
        let want = if to { f.to } else { f.from };
        let mut key = None;
        for_each_field(line, want + 1, |i, field| {
            if i == want {
                key = Some(field);
            }
        });
        key
    }
}

/// Whether `field` is a plain number, which no address is: a port, a
/// count or a time, as where a line is read in the wrong layout (a Zeek
/// log with `--input-format vpc`, a custom layout without its header
/// line). A cheap test that leaves host names through, as in the logs of
/// `examples/genlog.rs`.
#[inline]
fn is_number(field: &[u8]) -> bool {
    field.iter().all(u8::is_ascii_digit)
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

    fn why(p: Parsed<'_>) -> String {
        match p {
            Parsed::Malformed(m) => m.to_string(),
            other => panic!("{other:?}"),
        }
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
    fn a_record_has_exactly_the_fields_of_its_format() {
        let l = VpcLayout::default();
        let fields = all_fields(V2);
        // Cut after `start` (11 of 14 fields): still holds what a record
        // needs, yet is not one.
        let cut = fields[..11].join(&b' ');
        assert_eq!(why(l.parse(&cut)), "vpc: fewer fields than the format has");
        let more = [V2, b" extra"].concat();
        assert_eq!(why(l.parse(&more)), "vpc: more fields than the format has");
    }

    #[test]
    fn fields_hold_what_the_service_writes() {
        let l = VpcLayout::default();
        let with = |i: usize, value: &str| {
            let mut fields = all_fields(V2);
            fields[i] = value.as_bytes();
            fields.join(&b' ')
        };
        assert_eq!(
            why(l.parse(&with(12, "MAYBE"))),
            "vpc: action is not ACCEPT, REJECT or -"
        );
        assert_eq!(
            why(l.parse(&with(13, "FINE"))),
            "vpc: log-status is not OK, NODATA or SKIPDATA"
        );
        assert_eq!(
            why(l.parse(&with(3, "10426"))),
            "vpc: srcaddr is a number, not an address"
        );
        assert_eq!(
            why(l.parse(&with(4, "1565647200"))),
            "vpc: dstaddr is a number, not an address"
        );
        assert!(matches!(
            l.parse(&with(4, "2001:DB8::1")),
            Parsed::Record(_)
        ));
        assert!(matches!(l.parse(&with(4, "web-1")), Parsed::Record(_)));
        assert_eq!(l.parse(&with(13, "NODATA")), Parsed::NoData);
    }

    #[test]
    fn lines_of_other_layouts_are_malformed_not_junk() {
        let l = VpcLayout::default();
        // A Zeek TSV record (21 fields), read with --input-format vpc.
        let zeek = b"1565647200.000000\tC1\t10.223.25.154\t26100\t10.57.126.23\t123\tudp\t-\t37.262\t15938\t191164\tSF\tT\tF\t0\tShADadfF\t29\t0\t11\t0\t-";
        assert_eq!(why(l.parse(zeek)), "vpc: more fields than the format has");
        // A custom layout of 14 fields without its header line: `start`
        // where the default has srcaddr.
        let custom = b"2 10.223.25.154 10.1.0.7 1565647200 1565647237 123456789010 eni-0a1b2c3d4e5f60718 26100 53 17 29 15938 ACCEPT OK";
        assert_eq!(
            why(l.parse(custom)),
            "vpc: srcaddr is a number, not an address"
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
