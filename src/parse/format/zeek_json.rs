//! Zeek JSON lines: one flat JSON object per line, as Zeek writes with
//! `LogAscii::use_json=T`. `ts` is epoch seconds (a number) or an ISO 8601
//! string (`JSON::TS_ISO8601`); `id.orig_h` is FROM and `id.resp_h` TO.
//! Keys come in any order; other keys (and their values, nested or not)
//! are skipped.
//!
//! A small scanner rather than a JSON library: it borrows the host strings
//! from the line, as the plain parser does, and looks at each byte once.

use crate::parse::detail::{
    Detail, DetailField, Wanted, parse_count, parse_port, rfc3339_digits, time_digits, zeek_proto,
};
use crate::parse::format::json_string::string_stop;
use crate::parse::record::{FormatProblem, Malformed, Record, has_separator};
use crate::parse::time_forms::parse_rfc3339;
use crate::parse::timestamp::Timestamp;

const FORMAT: &str = "zeek-json";

fn problem(what: &'static str) -> Malformed {
    Malformed::Format(FormatProblem {
        format: FORMAT,
        what,
    })
}

const NOT_JSON: &str = "not a JSON object";

/// Nesting deeper than this in a skipped value is refused: the scanner
/// skips a nested value by recursion, one call per level, so this bounds
/// its call stack, and it rejects pathological lines early.
const MAX_DEPTH: usize = 64;

struct Cursor<'a> {
    line: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    #[inline]
    fn ws(&mut self) {
        while self
            .line
            .get(self.i)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        {
            self.i += 1;
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.line.get(self.i).copied()
    }

    fn eat(&mut self, b: u8) -> Result<(), Malformed> {
        if self.peek() == Some(b) {
            self.i += 1;
            Ok(())
        } else {
            Err(problem(NOT_JSON))
        }
    }

    /// A string's raw contents (escapes left as written) and whether it
    /// has any; the cursor is on its opening quote. A raw control byte
    /// (below 0x20: a tab, say) is not JSON, and would make a host no
    /// `--to` could name: the line is malformed.
    fn string(&mut self) -> Result<(&'a [u8], bool), Malformed> {
        self.eat(b'"')?;
        let start = self.i;
        let mut escaped = false;
        loop {
            let j = string_stop(&self.line[self.i..]).ok_or(problem(NOT_JSON))?;
            self.i += j;
            match self.line[self.i] {
                b'"' => {
                    let s = &self.line[start..self.i];
                    self.i += 1;
                    return Ok((s, escaped));
                }
                b'\\' => {
                    escaped = true;
                    self.i += 2;
                    if self.i > self.line.len() {
                        return Err(problem(NOT_JSON));
                    }
                }
                _ => return Err(problem("a raw control character in a string (not JSON)")),
            }
        }
    }

    /// A number or `true`/`false`/`null`: the bytes up to the next
    /// delimiter.
    fn scalar(&mut self) -> Result<&'a [u8], Malformed> {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|b| !matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n'))
        {
            self.i += 1;
        }
        let s = &self.line[start..self.i];
        let ok = matches!(s, b"true" | b"false" | b"null")
            || (!s.is_empty()
                && s.iter()
                    .all(|b| matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')));
        if ok { Ok(s) } else { Err(problem(NOT_JSON)) }
    }

    /// Skips one value of any kind.
    fn skip_value(&mut self, depth: usize) -> Result<(), Malformed> {
        match self.peek() {
            Some(b'"') => self.string().map(drop),
            Some(open @ (b'[' | b'{')) => {
                if depth >= MAX_DEPTH {
                    return Err(problem("JSON nested too deeply"));
                }
                let close = if open == b'[' { b']' } else { b'}' };
                self.i += 1;
                self.ws();
                if self.peek() == Some(close) {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    if open == b'{' {
                        self.string()?;
                        self.ws();
                        self.eat(b':')?;
                        self.ws();
                    }
                    self.skip_value(depth + 1)?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => {
                            self.i += 1;
                            self.ws();
                        }
                        Some(b) if b == close => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return Err(problem(NOT_JSON)),
                    }
                }
            }
            _ => self.scalar().map(drop),
        }
    }
}

/// Walks the members of the JSON object `line` holds: `visit` is given
/// each key with the cursor on its value, and reads the value (returning
/// true) or leaves it to be skipped (false). Checks the whole line: one
/// object, nothing after it.
#[inline(always)]
fn members<'a>(
    line: &'a [u8],
    mut visit: impl FnMut(&'a [u8], &mut Cursor<'a>) -> Result<bool, Malformed>,
) -> Result<(), Malformed> {
    let mut c = Cursor { line, i: 0 };
    c.ws();
    if c.peek().is_none() {
        return Err(Malformed::Blank);
    }
    c.eat(b'{')?;
    c.ws();
    if c.peek() == Some(b'}') {
        c.i += 1;
    } else {
        loop {
            let (key, _) = c.string()?;
            c.ws();
            c.eat(b':')?;
            c.ws();
            if !visit(key, &mut c)? {
                c.skip_value(0)?;
            }
            c.ws();
            match c.peek() {
                Some(b',') => {
                    c.i += 1;
                    c.ws();
                }
                Some(b'}') => {
                    c.i += 1;
                    break;
                }
                _ => return Err(problem(NOT_JSON)),
            }
        }
    }
    c.ws();
    if c.peek().is_some() {
        return Err(problem("more after the JSON object"));
    }
    Ok(())
}

/// Parses one line.
pub(crate) fn parse(line: &[u8]) -> Result<Record<'_>, Malformed> {
    let (mut ts, mut from, mut to) = (None, None, None);
    members(line, |key, c| {
        match key {
            b"ts" => once(&mut ts, "ts appears twice", time(c)?)?,
            b"id.orig_h" => once(&mut from, "id.orig_h appears twice", host(c, FROM)?)?,
            b"id.resp_h" => once(&mut to, "id.resp_h appears twice", host(c, TO)?)?,
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(Record {
        ts: ts.ok_or(problem("no ts"))?,
        from: nonempty(from.ok_or(problem("no id.orig_h"))?, "id.orig_h is empty")?,
        to: nonempty(to.ok_or(problem("no id.resp_h"))?, "id.resp_h is empty")?,
    })
}

/// The [`Detail`] of a record line: Zeek leaves an unset field's key out
/// of the object (or writes `null`), so a key not there is unset.
pub(crate) fn detail(line: &[u8], wanted: Wanted) -> Result<Detail, Malformed> {
    let mut detail = Detail::default();
    let (mut orig_h, mut proto) = (&b""[..], None);
    let (mut bytes, mut packets) = ([None; 2], [None; 2]);
    let want = |field| wanted.contains(field);
    members(line, |key, c| {
        let (field, slot) = match key {
            b"ts" => {
                detail.time_digits = match c.peek() {
                    Some(b'"') => rfc3339_digits(c.string()?.0),
                    _ => time_digits(c.scalar()?),
                };
                return Ok(true);
            }
            b"id.orig_h" if want(DetailField::Proto) => {
                orig_h = c.string()?.0;
                return Ok(true);
            }
            b"proto" if want(DetailField::Proto) => {
                proto = nullable(c, |c| Ok(c.string()?.0), "proto is not a string")?;
                return Ok(true);
            }
            b"id.orig_p" => (
                DetailField::SrcPort,
                Slot::Port(&mut detail.sport, "id.orig_p is not a port"),
            ),
            b"id.resp_p" => (
                DetailField::DstPort,
                Slot::Port(&mut detail.dport, "id.resp_p is not a port"),
            ),
            b"orig_ip_bytes" => (
                DetailField::Bytes,
                Slot::Count(&mut bytes[0], "orig_ip_bytes is not a count"),
            ),
            b"resp_ip_bytes" => (
                DetailField::Bytes,
                Slot::Count(&mut bytes[1], "resp_ip_bytes is not a count"),
            ),
            b"orig_pkts" => (
                DetailField::Packets,
                Slot::Count(&mut packets[0], "orig_pkts is not a count"),
            ),
            b"resp_pkts" => (
                DetailField::Packets,
                Slot::Count(&mut packets[1], "resp_pkts is not a count"),
            ),
            _ => return Ok(false),
        };
        if !want(field) {
            return Ok(false);
        }
        match slot {
            Slot::Port(to, what) => {
                *to = nullable(c, |c| parse_port(c.scalar()?).ok_or(problem(what)), what)?
            }
            Slot::Count(to, what) => {
                *to = nullable(c, |c| parse_count(c.scalar()?).ok_or(problem(what)), what)?
            }
        }
        Ok(true)
    })?;
    detail.proto = proto.and_then(|name| zeek_proto(name, orig_h));
    let sum = |[a, b]: [Option<u64>; 2]| {
        a.or(b)
            .map(|_| a.unwrap_or(0).saturating_add(b.unwrap_or(0)))
    };
    detail.bytes = sum(bytes);
    detail.packets = sum(packets);
    Ok(detail)
}

/// Where [`detail`] puts a number it reads, and what a bad one is.
enum Slot<'d> {
    Port(&'d mut Option<u16>, &'static str),
    Count(&'d mut Option<u64>, &'static str),
}

/// A value read by `read`, or `None` for `null`; a value of another kind
/// is malformed with `what`.
fn nullable<'a, T>(
    c: &mut Cursor<'a>,
    read: impl FnOnce(&mut Cursor<'a>) -> Result<T, Malformed>,
    what: &'static str,
) -> Result<Option<T>, Malformed> {
    if c.line[c.i..].starts_with(b"null") {
        c.i += 4;
        return Ok(None);
    }
    read(c).map(Some).map_err(|_| problem(what))
}

/// Sets a key's value met for the first time; a second value of the same
/// key is malformed (JSON leaves its meaning open, and readers differ on
/// which one wins), where the other keys' duplicates are not looked for.
fn once<T>(slot: &mut Option<T>, twice: &'static str, value: T) -> Result<(), Malformed> {
    if slot.is_some() {
        return Err(problem(twice));
    }
    *slot = Some(value);
    Ok(())
}

/// What can be wrong with a host: not a string, or holding whitespace.
struct HostProblems {
    not_string: &'static str,
    whitespace: &'static str,
}

const FROM: HostProblems = HostProblems {
    not_string: "id.orig_h is not a string",
    whitespace: "id.orig_h holds whitespace",
};
const TO: HostProblems = HostProblems {
    not_string: "id.resp_h is not a string",
    whitespace: "id.resp_h holds whitespace",
};

fn nonempty<'a>(host: &'a [u8], why: &'static str) -> Result<&'a [u8], Malformed> {
    if host.is_empty() {
        Err(problem(why))
    } else {
        Ok(host)
    }
}

fn host<'a>(c: &mut Cursor<'a>, problems: HostProblems) -> Result<&'a [u8], Malformed> {
    if c.peek() != Some(b'"') {
        return Err(problem(problems.not_string));
    }
    match c.string()? {
        (s, false) if has_separator(s) => Err(problem(problems.whitespace)),
        (s, false) => Ok(s),
        // An address never needs an escape; decoding one would need a copy.
        (_, true) => Err(problem("a host with a JSON escape in it")),
    }
}

/// `ts`: epoch seconds as a JSON number (the `TS` rules, an exponent
/// allowed: `1e9`), or an RFC 3339 string read as the command line reads
/// one (any number of fraction digits).
fn time(c: &mut Cursor<'_>) -> Result<Timestamp, Malformed> {
    let bad = problem("ts is not a time");
    if c.peek() == Some(b'"') {
        let (s, _) = c.string()?;
        let text = std::str::from_utf8(s).map_err(|_| bad)?;
        return parse_rfc3339(text).map_err(|_| bad);
    }
    let s = c.scalar()?;
    Timestamp::parse_json_number(s).map_err(|_| bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(line: &str) -> String {
        parse(line.as_bytes()).unwrap_err().to_string()
    }

    #[test]
    fn keys_in_any_order_and_others_skipped() {
        let r = parse(br#"{"uid":"C1","id.resp_h":"2001:db8::1","tunnel_parents":["a",{"x":[1,2]}],"ts":1565647204.5,"id.orig_h":"10.0.0.1","ok":true,"n":null}"#).unwrap();
        assert_eq!(r.ts, Timestamp::from_nanos(1_565_647_204_500_000_000));
        assert_eq!((r.from, r.to), (&b"10.0.0.1"[..], &b"2001:db8::1"[..]));
        let r = parse(br#" { "ts" : "2019-08-12T22:00:04.351234Z" , "id.orig_h" : "a" , "id.resp_h" : "b" } "#).unwrap();
        assert_eq!(r.ts, Timestamp::from_nanos(1_565_647_204_351_234_000));
    }

    #[test]
    fn bad_lines_name_the_format_and_field() {
        assert_eq!(why("not json"), "zeek-json: not a JSON object");
        assert_eq!(
            why(r#"{"ts":1,"id.orig_h":"a""#),
            "zeek-json: not a JSON object"
        );
        assert_eq!(
            why(r#"{"ts":"yesterday","id.orig_h":"a","id.resp_h":"b"}"#),
            "zeek-json: ts is not a time"
        );
        assert_eq!(
            why(r#"{"ts":-1,"id.orig_h":"a","id.resp_h":"b"}"#),
            "zeek-json: ts is not a time"
        );
        assert_eq!(
            why(r#"{"ts":1,"id.orig_h":"a"}"#),
            "zeek-json: no id.resp_h"
        );
        assert_eq!(
            why(r#"{"ts":1,"id.orig_h":5,"id.resp_h":"b"}"#),
            "zeek-json: id.orig_h is not a string"
        );
        assert_eq!(
            why(r#"{"ts":1,"id.orig_h":"a","id.resp_h":"b"} x"#),
            "zeek-json: more after the JSON object"
        );
        assert_eq!(why(&"[".repeat(100)), "zeek-json: not a JSON object");
        let deep = format!(r#"{{"x":{}}}"#, "[".repeat(100));
        assert_eq!(why(&deep), "zeek-json: JSON nested too deeply");
        assert_eq!(parse(b"  "), Err(Malformed::Blank));
    }

    #[test]
    fn a_host_holding_whitespace_or_a_raw_control_byte_is_malformed() {
        assert_eq!(
            why("{\"ts\":1,\"id.orig_h\":\"a\tb\",\"id.resp_h\":\"c\"}"),
            "zeek-json: a raw control character in a string (not JSON)"
        );
        assert_eq!(
            why("{\"ts\":1,\"uid\":\"C\u{1}\",\"id.orig_h\":\"a\",\"id.resp_h\":\"c\"}"),
            "zeek-json: a raw control character in a string (not JSON)"
        );
        assert_eq!(
            why(r#"{"ts":1,"id.orig_h":"a","id.resp_h":"c d"}"#),
            "zeek-json: id.resp_h holds whitespace"
        );
        assert_eq!(
            why(r#"{"ts":1,"id.orig_h":"a\tb","id.resp_h":"c"}"#),
            "zeek-json: a host with a JSON escape in it"
        );
        // A tab between tokens is JSON whitespace.
        assert!(parse(b"{\"ts\":1,\t\"id.orig_h\":\"a\",\"id.resp_h\":\"c\"}").is_ok());
    }

    #[test]
    fn a_key_the_record_needs_given_twice_is_malformed() {
        assert_eq!(
            why(r#"{"ts":1,"id.orig_h":"a","id.resp_h":"b","id.orig_h":"c"}"#),
            "zeek-json: id.orig_h appears twice"
        );
        assert_eq!(
            why(r#"{"ts":1,"ts":2,"id.orig_h":"a","id.resp_h":"b"}"#),
            "zeek-json: ts appears twice"
        );
        assert_eq!(
            why(r#"{"id.resp_h":"b","ts":1,"id.orig_h":"a","id.resp_h":"b"}"#),
            "zeek-json: id.resp_h appears twice"
        );
        // Other keys' duplicates are skipped like the keys themselves.
        assert!(parse(br#"{"x":1,"x":2,"ts":1,"id.orig_h":"a","id.resp_h":"b"}"#).is_ok());
    }

    #[test]
    fn ts_follows_the_one_rule_for_times() {
        let at = |ts: &str| {
            let line = format!(r#"{{"ts":{ts},"id.orig_h":"a","id.resp_h":"b"}}"#);
            parse(line.as_bytes()).map(|r| r.ts.as_nanos())
        };
        let nanos = 1_565_647_204_351_234_567;
        assert_eq!(at("1565647204.351234567"), Ok(nanos));
        assert_eq!(at(r#""2019-08-12T22:00:04.351234567Z""#), Ok(nanos));
        // Fraction digits past the ninth are dropped, as on the command line.
        assert_eq!(at(r#""2019-08-12T22:00:04.3512345678912Z""#), Ok(nanos));
        assert_eq!(at("1565647204.3512345678912"), Ok(nanos));
        assert_eq!(at("1.5656472043512345679e9"), Ok(nanos));
        assert_eq!(at("1e9"), Ok(1_000_000_000_000_000_000));
        assert_eq!(at("1565647204351E-3"), Ok(1_565_647_204_351_000_000));
        // The millisecond rule applies to the value, however written.
        assert_eq!(at("1.565647204351e12"), Ok(1_565_647_204_351_000_000));
        assert_eq!(
            at(r#""2019-08-12 22:00:04Z""#),
            Ok(1_565_647_204_000_000_000)
        );
        for bad in [
            "-1",
            "1e",
            "e9",
            "1.e9",
            "1e9.5",
            r#""2019-08-12T22:00:04""#,
        ] {
            assert_eq!(at(bad), Err(problem("ts is not a time")), "{bad}");
        }
    }

    proptest::proptest! {
        /// The 16-byte string scan stops where the obvious one does.
        #[test]
        fn string_stops_are_the_obvious_ones(
            bytes in proptest::collection::vec(
                proptest::sample::select(&b"\"\\\x00\x1f\x20\t\x7f\x80\xffa0"[..]), 0..70)
        ) {
            let obvious = bytes.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            proptest::prop_assert_eq!(string_stop(&bytes), obvious);
        }

        /// Never panics, whatever the bytes.
        #[test]
        fn any_bytes_parse_or_fail_cleanly(line in proptest::collection::vec(
            proptest::sample::select(&b"{}[]\":,\\ tsid.orig_hresp01-enul"[..]), 0..60)) {
            let _ = parse(&line);
            let _ = detail(&line, Wanted::ALL);
        }
    }

    #[test]
    fn details_come_from_their_keys_and_a_key_left_out_is_unset() {
        let line = br#"{"ts":1565647204.351234,"id.orig_h":"2001:db8::1","id.orig_p":128,"id.resp_h":"b","id.resp_p":0,"proto":"icmp","orig_pkts":1,"orig_ip_bytes":48,"resp_pkts":null}"#;
        let d = detail(line, Wanted::ALL).unwrap();
        assert_eq!(
            d,
            Detail {
                sport: Some(128),
                dport: Some(0),
                proto: Some(58),
                bytes: Some(48),
                packets: Some(1),
                action: None,
                time_digits: 6,
            }
        );
        let iso = br#"{"ts":"2019-08-12T22:00:04.351Z","id.orig_h":"a","id.resp_h":"b"}"#;
        assert_eq!(
            detail(iso, Wanted::ALL).unwrap(),
            Detail {
                time_digits: 3,
                ..Detail::default()
            }
        );
        let bad = br#"{"ts":1,"id.orig_h":"a","id.resp_h":"b","id.resp_p":"http"}"#;
        assert_eq!(
            detail(bad, Wanted::ALL).unwrap_err().to_string(),
            "zeek-json: id.resp_p is not a port"
        );
        // Not wanted, not read.
        assert_eq!(
            detail(bad, Wanted::NONE.with(DetailField::Bytes))
                .unwrap()
                .dport,
            None
        );
    }
}
