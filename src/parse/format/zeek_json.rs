//! Zeek JSON lines: one flat JSON object per line, as Zeek writes with
//! `LogAscii::use_json=T`. `ts` is epoch seconds (a number) or an ISO 8601
//! string (`JSON::TS_ISO8601`); `id.orig_h` is FROM and `id.resp_h` TO.
//! Keys come in any order; other keys (and their values, nested or not)
//! are skipped.
//!
//! A small scanner rather than a JSON library: it borrows the host strings
//! from the line, as the plain parser does, and looks at each byte once.

use crate::parse::record::{FormatProblem, Malformed, Record};
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
    /// has any; the cursor is on its opening quote.
    fn string(&mut self) -> Result<(&'a [u8], bool), Malformed> {
        self.eat(b'"')?;
        let start = self.i;
        let mut escaped = false;
        loop {
            let j = memchr::memchr2(b'"', b'\\', &self.line[self.i..]).ok_or(problem(NOT_JSON))?;
            self.i += j;
            if self.line[self.i] == b'"' {
                let s = &self.line[start..self.i];
                self.i += 1;
                return Ok((s, escaped));
            }
            escaped = true;
            self.i += 2;
            if self.i > self.line.len() {
                return Err(problem(NOT_JSON));
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

/// Parses one line.
pub(crate) fn parse(line: &[u8]) -> Result<Record<'_>, Malformed> {
    let mut c = Cursor { line, i: 0 };
    c.ws();
    if c.peek().is_none() {
        return Err(Malformed::Blank);
    }
    c.eat(b'{')?;
    let (mut ts, mut from, mut to) = (None, None, None);
    c.ws();
    if c.peek() == Some(b'}') {
        c.i += 1;
    } else {
        loop {
            let (key, _) = c.string()?;
            c.ws();
            c.eat(b':')?;
            c.ws();
            match key {
                b"ts" if ts.is_none() => ts = Some(time(&mut c)?),
                b"id.orig_h" if from.is_none() => {
                    from = Some(host(&mut c, "id.orig_h is not a string")?)
                }
                b"id.resp_h" if to.is_none() => {
                    to = Some(host(&mut c, "id.resp_h is not a string")?)
                }
                _ => c.skip_value(0)?,
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
    Ok(Record {
        ts: ts.ok_or(problem("no ts"))?,
        from: nonempty(from.ok_or(problem("no id.orig_h"))?, "id.orig_h is empty")?,
        to: nonempty(to.ok_or(problem("no id.resp_h"))?, "id.resp_h is empty")?,
    })
}

fn nonempty<'a>(host: &'a [u8], why: &'static str) -> Result<&'a [u8], Malformed> {
    if host.is_empty() {
        Err(problem(why))
    } else {
        Ok(host)
    }
}

fn host<'a>(c: &mut Cursor<'a>, not_string: &'static str) -> Result<&'a [u8], Malformed> {
    if c.peek() != Some(b'"') {
        return Err(problem(not_string));
    }
    match c.string()? {
        (s, false) => Ok(s),
        // An address never needs an escape; decoding one would need a copy.
        (_, true) => Err(problem("a host with a JSON escape in it")),
    }
}

/// `ts`: epoch seconds as a number (the plain TS syntax) or an ISO 8601
/// string.
fn time(c: &mut Cursor<'_>) -> Result<Timestamp, Malformed> {
    let bad = problem("ts is not a time");
    if c.peek() == Some(b'"') {
        let (s, _) = c.string()?;
        let text = std::str::from_utf8(s).map_err(|_| bad)?;
        let parsed: jiff::Timestamp = text.parse().map_err(|_| bad)?;
        return u128::try_from(parsed.as_nanosecond())
            .map(Timestamp::from_nanos)
            .map_err(|_| bad);
    }
    let s = c.scalar()?;
    Timestamp::parse(s).map_err(|_| bad)
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

    proptest::proptest! {
        /// Never panics, whatever the bytes.
        #[test]
        fn any_bytes_parse_or_fail_cleanly(line in proptest::collection::vec(
            proptest::sample::select(&b"{}[]\":,\\ tsid.orig_hresp01-e"[..]), 0..60)) {
            let _ = parse(&line);
        }
    }
}
