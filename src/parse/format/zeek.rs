//! Zeek TSV logs (`conn.log`): `#` header blocks, then one record per line
//! with fields split by the `#separator` byte (a tab unless the header
//! says otherwise). `ts` is the time, `id.orig_h` FROM and `id.resp_h` TO,
//! found by name in `#fields`, so any field order works.
//!
//! A new header block (`#separator` again, as where rotated files were
//! concatenated) starts over: its `#fields` may name another order.
//! `#close`, `#open`, `#path`, `#types` and `#set_separator` are read past.

use crate::parse::format::Parsed;
use crate::parse::record::{FormatProblem, Malformed, Record};
use crate::parse::timestamp::Timestamp;

const FORMAT: &str = "zeek";

/// Where the fields a record needs are, by position in a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fields {
    ts: usize,
    from: usize,
    to: usize,
    /// The largest of the three: fields past it are never looked at.
    last: usize,
}

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
        let f = match self.fields {
            Ok(f) => f,
            Err(why) => return Parsed::Malformed(problem(why)),
        };
        let mut spans = [(0, 0); 3];
        let mut start = 0;
        for i in 0..=f.last {
            if start > line.len() {
                return Parsed::Malformed(problem("fewer fields than #fields names"));
            }
            let end = memchr::memchr(self.sep, &line[start..]).map_or(line.len(), |j| start + j);
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
        if let Some(why) = self.bad_host(from, "id.orig_h is unset", "id.orig_h is empty") {
            return Parsed::Malformed(problem(why));
        }
        if let Some(why) = self.bad_host(to, "id.resp_h is unset", "id.resp_h is empty") {
            return Parsed::Malformed(problem(why));
        }
        Parsed::Record(Record { ts, from, to })
    }

    #[inline]
    fn bad_host(
        &self,
        host: &[u8],
        unset: &'static str,
        empty: &'static str,
    ) -> Option<&'static str> {
        if host == self.unset {
            Some(unset)
        } else if host.is_empty() || host == self.empty {
            Some(empty)
        } else {
            None
        }
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
        let f = self.fields.ok()?;
        if line.first() == Some(&b'#') {
            return None;
        }
        let want = if to { f.to } else { f.from };
        let mut start = 0;
        for _ in 0..want {
            start += memchr::memchr(self.sep, &line[start..])? + 1;
        }
        let end = memchr::memchr(self.sep, &line[start..]).map_or(line.len(), |j| start + j);
        Some(&line[start..end])
    }
}

/// The positions of `ts`, `id.orig_h` and `id.resp_h` among `names`.
fn fields_of<'a>(names: impl Iterator<Item = &'a [u8]>) -> Result<Fields, &'static str> {
    let (mut ts, mut from, mut to) = (None, None, None);
    for (i, name) in names.enumerate() {
        match name {
            b"ts" => ts = ts.or(Some(i)),
            b"id.orig_h" => from = from.or(Some(i)),
            b"id.resp_h" => to = to.or(Some(i)),
            _ => {}
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
}
