//! The output formats of both tools: `tsv` (the original's lines, the
//! default), `csv` (RFC 4180, with a header line) and `jsonl` (one JSON
//! object per line), written row by row.
//!
//! CSV and JSON Lines exist to load results into a database, so both must
//! carry any host exactly. Hosts are arbitrary non-whitespace bytes and may
//! be invalid UTF-8:
//!
//! - **CSV** writes a host's bytes as they are, quoted (with `"` doubled)
//!   when it contains `,` or `"`: byte for byte, as TSV does.
//! - **JSON** strings are Unicode text. A host that is valid UTF-8 (every
//!   real host name: DNS names, addresses, IDN in UTF-8) is written as that
//!   string, `"`, `\` and control characters escaped, so any JSON reader
//!   shows it as it is (`"café"`). A host that is not valid UTF-8 cannot be
//!   a JSON string; it is written readably, each invalid sequence as
//!   U+FFFD, and exactly, in one more key, `host_bytes` (for a column
//!   `host`; `target_bytes` for `target`): its bytes in lower-case hex.
//!   The key is there only then, so its absence means `host` is exact.
//!   In SQL: `coalesce(CAST(unhex(host_bytes) AS TEXT), host)` gives back
//!   the bytes (SQLite 3.41 or later; see docs/guide.md).
//!
//! The writers are a few lines each, hand-written rather than `csv` and
//! `serde_json`: rows are written field by field with no allocation, and
//! neither crate has the `_bytes` rule.

use std::io::{self, Write};

/// How results are printed (`--format`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Tab-separated lines, exactly the original tool's output.
    #[default]
    Tsv,
    /// Comma-separated values (RFC 4180) with a header line.
    Csv,
    /// JSON Lines: one object per row.
    Jsonl,
}

/// One value of a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field<'a> {
    /// A whole number.
    Int(u64),
    /// A number as text, unquoted in JSON (e.g. a fractional time
    /// `1565647204.351`); must be valid JSON number syntax.
    Number(&'a str),
    /// Text made by the tool (kinds, labels, RFC 3339 times).
    Str(&'a str),
    /// A host name as read from the log: any bytes (see the module docs).
    Host(&'a [u8]),
    /// No value: left out in TSV, an empty CSV field, a key left out of
    /// the JSON object.
    Absent,
}

impl<'a> Field<'a> {
    /// Text made by the tool, or no value.
    pub fn text_or_absent(text: Option<&'a str>) -> Field<'a> {
        text.map_or(Field::Absent, Field::Str)
    }

    /// A number as text ([`Field::Number`]), or no value.
    pub fn number_or_absent(number: Option<&'a str>) -> Field<'a> {
        number.map_or(Field::Absent, Field::Number)
    }
}

/// Writes rows of one table (fixed columns) in one format.
pub struct RowWriter<W: Write> {
    out: W,
    format: Format,
    columns: &'static [&'static str],
    /// CSV: the header line is still to be written.
    header_due: bool,
}

impl<W: Write> RowWriter<W> {
    /// A writer of rows with `columns` (the CSV header and the JSON keys;
    /// TSV rows have no names). Nothing is written yet: the CSV header
    /// goes before the first row, or at the first flush when there is no
    /// row (so that an empty result still loads as an empty table).
    pub fn new(out: W, format: Format, columns: &'static [&'static str]) -> RowWriter<W> {
        RowWriter {
            out,
            format,
            columns,
            header_due: format == Format::Csv,
        }
    }

    /// How many columns a CSV or JSON Lines row has.
    pub fn columns(&self) -> usize {
        self.columns.len()
    }

    /// The format rows are written in.
    pub fn format(&self) -> Format {
        self.format
    }

    fn header(&mut self) -> io::Result<()> {
        if !self.header_due {
            return Ok(());
        }
        self.header_due = false;
        for (i, name) in self.columns.iter().enumerate() {
            if i > 0 {
                self.out.write_all(b",")?;
            }
            write_csv_field(&mut self.out, name.as_bytes())?;
        }
        self.out.write_all(b"\n")
    }

    /// One row. CSV and JSON Lines take one field per column, in column
    /// order; TSV writes the fields given, tab-separated, without the
    /// absent ones (its rows follow the original's layout, not `columns`).
    pub fn row(&mut self, fields: &[Field<'_>]) -> io::Result<()> {
        debug_assert!(self.format == Format::Tsv || fields.len() == self.columns.len());
        self.header()?;
        let out = &mut self.out;
        match self.format {
            Format::Tsv => {
                let present = fields.iter().filter(|f| **f != Field::Absent);
                for (i, field) in present.enumerate() {
                    if i > 0 {
                        out.write_all(b"\t")?;
                    }
                    match *field {
                        Field::Int(n) => write_int(out, n)?,
                        Field::Number(s) | Field::Str(s) => out.write_all(s.as_bytes())?,
                        Field::Host(h) => out.write_all(h)?,
                        Field::Absent => {}
                    }
                }
            }
            Format::Csv => {
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        out.write_all(b",")?;
                    }
                    match *field {
                        Field::Int(n) => write_int(out, n)?,
                        Field::Number(s) | Field::Str(s) => write_csv_field(out, s.as_bytes())?,
                        Field::Host(h) => write_csv_field(out, h)?,
                        Field::Absent => {}
                    }
                }
            }
            Format::Jsonl => {
                out.write_all(b"{")?;
                let mut first = true;
                for (name, field) in self.columns.iter().zip(fields) {
                    if *field == Field::Absent {
                        continue;
                    }
                    if !first {
                        out.write_all(b",")?;
                    }
                    first = false;
                    write_json_string(out, name)?;
                    out.write_all(b":")?;
                    match *field {
                        Field::Int(n) => write_int(out, n)?,
                        Field::Number(s) => out.write_all(s.as_bytes())?,
                        Field::Str(s) => write_json_string(out, s)?,
                        Field::Host(h) => write_json_host(out, name, h)?,
                        Field::Absent => {}
                    }
                }
                out.write_all(b"}")?;
            }
        }
        out.write_all(b"\n")
    }

    /// Writes the CSV header if it is still due, and flushes.
    pub fn flush(&mut self) -> io::Result<()> {
        self.header()?;
        self.out.flush()
    }
}

/// The latest time, in nanoseconds since the epoch, a time column in
/// nanoseconds holds (`i64::MAX`, 2262-04-11T23:47:16.854775807Z): a
/// 64-bit integer in every database. Past it the column is left empty,
/// rather than written as a number that one run in a thousand would load
/// as another type.
pub const LATEST_NANOS: u128 = i64::MAX as u128;

/// A time's `_ns` column, as the text of a number (written once, then
/// repeated by every row): its nanoseconds since the epoch, exact, or
/// `None` past [`LATEST_NANOS`].
pub fn nanos_text(nanos: u128) -> Option<String> {
    (nanos <= LATEST_NANOS).then(|| nanos.to_string())
}

/// A time's `_rfc3339` column: RFC 3339 UTC (`2019-08-12T22:00:00Z`), with
/// its fraction to the nanosecond when it has one
/// (`2019-08-12T22:00:00.123456789Z`); `None` past the year 9999, which
/// RFC 3339 cannot write.
pub fn rfc3339(nanos: u128) -> Option<String> {
    let nanos = i128::try_from(nanos).ok()?;
    jiff::Timestamp::from_nanosecond(nanos)
        .ok()
        .map(|t| t.to_string())
}

fn write_int(out: &mut impl Write, n: u64) -> io::Result<()> {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.write_all(&digits[i..])
}

/// A CSV field (RFC 4180): as it is, or quoted with `"` doubled when it
/// holds a comma, a quote or a line break.
fn write_csv_field(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    if !bytes
        .iter()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        return out.write_all(bytes);
    }
    out.write_all(b"\"")?;
    for part in bytes.split_inclusive(|&b| b == b'"') {
        out.write_all(part)?;
        if part.last() == Some(&b'"') {
            out.write_all(b"\"")?;
        }
    }
    out.write_all(b"\"")
}

/// A host as JSON (see the module docs): its text, or, when it is not
/// valid UTF-8, its text with U+FFFD for each invalid sequence and then a
/// `NAME_bytes` key with its bytes in hex.
fn write_json_host(out: &mut impl Write, name: &str, host: &[u8]) -> io::Result<()> {
    match std::str::from_utf8(host) {
        Ok(text) => write_json_string(out, text),
        Err(_) => {
            write_json_string(out, &String::from_utf8_lossy(host))?;
            out.write_all(b",")?;
            write_json_string(out, &format!("{name}_bytes"))?;
            out.write_all(b":\"")?;
            for &b in host {
                out.write_all(&[HEX[(b >> 4) as usize], HEX[(b & 15) as usize]])?;
            }
            out.write_all(b"\"")
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// A JSON string: `"`, `\\` and the control characters (U+0000..U+001F
/// and U+007F) escaped, everything else as its UTF-8.
fn write_json_string(out: &mut impl Write, text: &str) -> io::Result<()> {
    let bytes = text.as_bytes();
    out.write_all(b"\"")?;
    let mut plain = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b >= 0x20 && b != 0x7f && b != b'"' && b != b'\\' {
            continue;
        }
        out.write_all(&bytes[plain..i])?;
        plain = i + 1;
        if b == b'"' || b == b'\\' {
            out.write_all(&[b'\\', b])?;
        } else {
            out.write_all(b"\\u00")?;
            out.write_all(&[HEX[(b >> 4) as usize], HEX[(b & 15) as usize]])?;
        }
    }
    out.write_all(&bytes[plain..])?;
    out.write_all(b"\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    impl<W: Write> RowWriter<W> {
        pub(crate) fn get_ref(&self) -> &W {
            &self.out
        }
    }

    const COLUMNS: &[&str] = &["n", "kind", "host", "count"];

    fn rows(format: Format, rows: &[&[Field<'_>]]) -> String {
        let mut w = RowWriter::new(Vec::new(), format, COLUMNS);
        for r in rows {
            w.row(r).unwrap();
        }
        w.flush().unwrap();
        String::from_utf8(w.out).unwrap()
    }

    const SAMPLE: [&[Field<'static>]; 2] = [
        &[
            Field::Int(17),
            Field::Str("top"),
            Field::Host(b"kexin"),
            Field::Int(0),
        ],
        &[
            Field::Int(18446744073709551615),
            Field::Str("to"),
            Field::Host(b"a,\"b\""),
            Field::Absent,
        ],
    ];

    #[test]
    fn times_are_exact_nanoseconds_and_rfc3339() {
        assert_eq!(
            nanos_text(1_565_647_200_123_456_789).unwrap(),
            "1565647200123456789"
        );
        assert_eq!(nanos_text(LATEST_NANOS).unwrap(), i64::MAX.to_string());
        assert_eq!(nanos_text(LATEST_NANOS + 1), None);
        assert_eq!(nanos_text(u128::MAX), None);
        let at = |nanos| rfc3339(nanos).unwrap();
        assert_eq!(at(1_565_647_200_000_000_000), "2019-08-12T22:00:00Z");
        assert_eq!(
            at(1_565_647_200_123_456_789),
            "2019-08-12T22:00:00.123456789Z"
        );
        assert_eq!(at(1_565_647_200_500_000_000), "2019-08-12T22:00:00.5Z");
        assert_eq!(at(LATEST_NANOS), "2262-04-11T23:47:16.854775807Z");
        assert_eq!(at(9_999_999_999_000_000_000), "2286-11-20T17:46:39Z");
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(253_402_300_800 * 1_000_000_000), None);
        assert_eq!(rfc3339(u128::MAX), None);
    }

    #[test]
    fn tsv_joins_the_present_fields_with_tabs() {
        assert_eq!(
            rows(Format::Tsv, &SAMPLE),
            "17\ttop\tkexin\t0\n18446744073709551615\tto\ta,\"b\"\n"
        );
    }

    #[test]
    fn csv_has_a_header_and_quotes_only_what_needs_it() {
        assert_eq!(
            rows(Format::Csv, &SAMPLE),
            "n,kind,host,count\n17,top,kexin,0\n18446744073709551615,to,\"a,\"\"b\"\"\",\n"
        );
    }

    #[test]
    fn an_empty_csv_table_still_has_its_header() {
        assert_eq!(rows(Format::Csv, &[]), "n,kind,host,count\n");
        assert_eq!(rows(Format::Jsonl, &[]), "");
        assert_eq!(rows(Format::Tsv, &[]), "");
    }

    #[test]
    fn jsonl_leaves_absent_keys_out_and_numbers_unquoted() {
        assert_eq!(
            rows(Format::Jsonl, &SAMPLE),
            "{\"n\":17,\"kind\":\"top\",\"host\":\"kexin\",\"count\":0}\n\
             {\"n\":18446744073709551615,\"kind\":\"to\",\"host\":\"a,\\\"b\\\"\"}\n"
        );
        let mut w = RowWriter::new(Vec::new(), Format::Jsonl, &["t"]);
        w.row(&[Field::Number("1565647204.351")]).unwrap();
        assert_eq!(w.out, b"{\"t\":1565647204.351}\n");
    }

    fn json_host(host: &[u8]) -> String {
        let mut out = Vec::new();
        write_json_host(&mut out, "host", host).unwrap();
        String::from_utf8(out).expect("JSON text is UTF-8")
    }

    #[test]
    fn a_utf8_host_is_written_as_its_text() {
        assert_eq!(json_host("café".as_bytes()), "\"café\"");
        assert_eq!(json_host(b"a\x01\"\\\x7fz"), "\"a\\u0001\\\"\\\\\\u007fz\"");
    }

    #[test]
    fn other_bytes_get_a_hex_key_beside_the_readable_text() {
        assert_eq!(
            json_host(b"caf\xe9"),
            "\"caf\u{fffd}\",\"host_bytes\":\"636166e9\""
        );
        let mut w = RowWriter::new(Vec::new(), Format::Jsonl, &["host", "n"]);
        w.row(&[Field::Host(b"\xff"), Field::Int(1)]).unwrap();
        assert_eq!(
            String::from_utf8(w.out).unwrap(),
            "{\"host\":\"\u{fffd}\",\"host_bytes\":\"ff\",\"n\":1}\n"
        );
    }

    /// The bytes of a host from the JSON object written for it.
    fn host_of(object: &serde_json::Value) -> Vec<u8> {
        match object.get("host_bytes") {
            Some(hex) => {
                let hex = hex.as_str().unwrap().as_bytes();
                hex.chunks(2)
                    .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
                    .collect()
            }
            None => object["host"].as_str().unwrap().as_bytes().to_vec(),
        }
    }

    proptest! {
        /// Any host (any bytes but the separators) survives a strict JSON
        /// parser and a CSV reading, byte for byte.
        #[test]
        fn any_host_round_trips(host in prop_oneof![
            prop::collection::vec(any::<u8>(), 1..40),
            "[^ \t]{1,20}".prop_map(String::into_bytes),
        ]) {
            let object = format!("{{\"host\":{}}}", json_host(&host));
            let parsed: serde_json::Value = serde_json::from_str(&object).unwrap();
            prop_assert_eq!(host_of(&parsed), host.clone());
            let text = parsed["host"].as_str().unwrap();
            prop_assert_eq!(text, String::from_utf8_lossy(&host));

            let mut csv = Vec::new();
            write_csv_field(&mut csv, &host).unwrap();
            prop_assert_eq!(unquote_csv(&csv), host);
        }
    }

    /// One RFC 4180 field back to its bytes.
    fn unquote_csv(field: &[u8]) -> Vec<u8> {
        match field {
            [b'"', inner @ .., b'"'] => {
                let mut out = Vec::new();
                let mut i = 0;
                while i < inner.len() {
                    out.push(inner[i]);
                    // A quote inside is always doubled.
                    assert!(inner[i] != b'"' || inner[i + 1] == b'"');
                    i += if inner[i] == b'"' { 2 } else { 1 };
                }
                out
            }
            _ => {
                assert!(
                    !field
                        .iter()
                        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
                );
                field.to_vec()
            }
        }
    }
}
