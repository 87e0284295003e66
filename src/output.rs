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
//! - **JSON** strings are Unicode, so a host is written as the string whose
//!   code points are its bytes (U+0000..U+00FF): ASCII as itself, every
//!   byte `>= 0x80` as a `\u00XX` escape, `"`, `\` and control bytes
//!   escaped. Loss-free and never ambiguous: encoding the decoded string as
//!   Latin-1 gives back the bytes. Hosts are ASCII in practice (DNS names,
//!   addresses), and there the string is just the name.
//!
//! The writers are a few lines each, hand-written rather than `csv` and
//! `serde_json`: neither crate writes bytes as code points, and rows are
//! written field by field with no allocation.

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
                    write_json_string(out, name.as_bytes())?;
                    out.write_all(b":")?;
                    match *field {
                        Field::Int(n) => write_int(out, n)?,
                        Field::Number(s) => out.write_all(s.as_bytes())?,
                        Field::Str(s) => write_json_string(out, s.as_bytes())?,
                        Field::Host(h) => write_json_string(out, h)?,
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

/// A JSON string whose code points are `bytes` (see the module docs).
fn write_json_string(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.write_all(b"\"")?;
    let mut plain = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if matches!(b, 0x20..=0x7e) && b != b'"' && b != b'\\' {
            continue;
        }
        out.write_all(&bytes[plain..i])?;
        plain = i + 1;
        if b == b'"' || b == b'\\' {
            out.write_all(&[b'\\', b])?;
        } else {
            let hex = [HEX[(b >> 4) as usize], HEX[(b & 15) as usize]];
            out.write_all(b"\\u00")?;
            out.write_all(&hex)?;
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

    #[test]
    fn json_escapes_bytes_as_code_points() {
        let mut out = Vec::new();
        write_json_string(&mut out, b"a\x01\"\\\x7f\xc3\xa9\xff").unwrap();
        assert_eq!(out, b"\"a\\u0001\\\"\\\\\\u007f\\u00c3\\u00a9\\u00ff\"");
    }

    /// The bytes a JSON string stands for under the module's mapping, or
    /// `None` if a code point is above U+00FF.
    fn latin1(s: &str) -> Option<Vec<u8>> {
        s.chars().map(|c| u8::try_from(c).ok()).collect()
    }

    proptest! {
        /// Any host (any bytes but the separators) survives a strict JSON
        /// parser and a CSV reading, byte for byte.
        #[test]
        fn any_host_round_trips(host in prop::collection::vec(any::<u8>(), 1..40)) {
            let mut json = Vec::new();
            write_json_string(&mut json, &host).unwrap();
            let text = std::str::from_utf8(&json).expect("JSON text is ASCII");
            let parsed: String = serde_json::from_str(text).unwrap();
            prop_assert_eq!(latin1(&parsed), Some(host.clone()));

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
