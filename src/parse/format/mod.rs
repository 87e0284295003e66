//! The log formats both tools read, and the per-input state that reading
//! one needs (`docs/formats.md`).
//!
//! Every format yields the same [`Record`]s (a time and two hosts), so
//! lateness, seek, windows, dedup and output never know which format a
//! record came from. An input's format is told by its first non-blank line
//! unless `--input-format` names it:
//! - `#separator` or `#fields`: a Zeek TSV log ([`zeek`]);
//! - `{`: Zeek JSON lines ([`zeek_json`]);
//! - a header line naming `srcaddr` and `dstaddr`, or a line shaped like a
//!   default (version 2) record: an AWS VPC flow log ([`vpc`]);
//! - anything else: the plain `TS FROM_HOST TO_HOST` lines of
//!   [`crate::parse::record`].
//!
//! A [`FormatState`] is what a reader carries from line to line of one
//! input: the detected format and, for Zeek TSV and VPC, the field layout
//! of the header read last. Header lines change it; every other line is
//! parsed against it without changing it, which is what lets the seeker
//! probe any line and block scanners start mid-file.

mod json_string;
mod plain;
pub mod vpc;
pub mod zeek;
mod zeek_fields;
pub mod zeek_json;

pub(crate) use plain::{parse_plain, plain_error};

use std::str::FromStr;

use crate::parse::detail::{Detail, DetailField, Lacking, Wanted, time_digits};
use crate::parse::record::{MAX_LINE_BYTES, Malformed, Record, is_separator, parse_record};

/// `--input-format`: how to read every input, or `Auto` to tell each one
/// by its first line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InputFormat {
    /// Told by each input's first non-blank line.
    #[default]
    Auto,
    /// `TS FROM_HOST TO_HOST`.
    Plain,
    /// Zeek TSV logs with `#` header blocks.
    Zeek,
    /// Zeek JSON lines.
    ZeekJson,
    /// AWS VPC flow logs.
    Vpc,
}

/// The names `--input-format` accepts, in the order `--help` lists them.
pub const INPUT_FORMAT_NAMES: &[&str] = &["auto", "plain", "zeek", "zeek-json", "vpc"];

impl InputFormat {
    /// The name `--input-format` takes for it.
    pub fn name(self) -> &'static str {
        // The variants are in the order of the names.
        INPUT_FORMAT_NAMES[self as usize]
    }
}

impl FromStr for InputFormat {
    type Err = String;

    fn from_str(text: &str) -> Result<InputFormat, String> {
        Ok(match text {
            "auto" => InputFormat::Auto,
            "plain" => InputFormat::Plain,
            "zeek" => InputFormat::Zeek,
            "zeek-json" | "json" => InputFormat::ZeekJson,
            "vpc" => InputFormat::Vpc,
            _ => {
                return Err(format!(
                    "'{text}' is not an input format (one of: {})",
                    INPUT_FORMAT_NAMES.join(", ")
                ));
            }
        })
    }
}

/// What one line of an input is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parsed<'a> {
    /// A record.
    Record(Record<'a>),
    /// Not a record, and reported as malformed.
    Malformed(Malformed),
    /// Not a record and not an error: a header or comment line of the
    /// format (`#` lines of Zeek, the VPC header line).
    Header,
    /// A VPC `NODATA` or `SKIPDATA` record: no connection, counted as
    /// skipped (`docs/formats.md#aws-vpc-flow-logs`).
    NoData,
}

impl<'a> From<Result<Record<'a>, Malformed>> for Parsed<'a> {
    #[inline(always)]
    fn from(r: Result<Record<'a>, Malformed>) -> Parsed<'a> {
        match r {
            Ok(rec) => Parsed::Record(rec),
            Err(why) => Parsed::Malformed(why),
        }
    }
}

/// The reading state of one input (see the module doc).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum FormatState {
    /// `--input-format auto` before the first non-blank line.
    #[default]
    Undetected,
    /// Plain `TS FROM_HOST TO_HOST` lines.
    Plain,
    /// Zeek TSV, with the layout of the last header block.
    Zeek(zeek::ZeekLayout),
    /// Zeek JSON lines.
    ZeekJson,
    /// AWS VPC flow logs, with the layout of the last header line.
    Vpc(vpc::VpcLayout),
}

/// Lines read from the start of a mapped input to learn its format and
/// first header block ([`FormatState::at_start`]); Zeek writes 8.
const HEADER_LINES_READ: usize = 64;

impl FormatState {
    /// The state an input starts in.
    pub fn new(format: InputFormat) -> FormatState {
        match format {
            InputFormat::Auto => FormatState::Undetected,
            InputFormat::Plain => FormatState::Plain,
            InputFormat::Zeek => FormatState::Zeek(zeek::ZeekLayout::default()),
            InputFormat::ZeekJson => FormatState::ZeekJson,
            InputFormat::Vpc => FormatState::Vpc(vpc::VpcLayout::default()),
        }
    }

    /// The state after the first lines of a whole input `buf`: its format
    /// told, and for Zeek its first header block read; and where the
    /// lines after them start. This is the state block scanners and probes
    /// that start mid-file assume; a later header block is honoured from
    /// where a reader meets it, and fast seek checks that none in the part
    /// it skips changes the layout.
    pub fn at_start(format: InputFormat, buf: &[u8]) -> (FormatState, usize) {
        let mut state = FormatState::new(format);
        let mut start = 0;
        for _ in 0..HEADER_LINES_READ {
            if start >= buf.len() {
                break;
            }
            let end = line_end(buf, start);
            let line = &buf[start..end];
            let header = state.is_header(line);
            if !header && !is_blank(line) && !matches!(state, FormatState::Undetected) {
                break;
            }
            state.parse_line(line);
            start = end + 1;
        }
        (state, start.min(buf.len()))
    }

    /// The name of the format, as `--input-format` spells it (`plain`
    /// before one is told).
    pub fn name(&self) -> &'static str {
        match self {
            FormatState::Undetected | FormatState::Plain => InputFormat::Plain,
            FormatState::Zeek(_) => InputFormat::Zeek,
            FormatState::ZeekJson => InputFormat::ZeekJson,
            FormatState::Vpc(_) => InputFormat::Vpc,
        }
        .name()
    }

    /// Whether no line can change this state: plain lines and Zeek JSON
    /// have no header lines.
    pub fn reads_without_headers(&self) -> bool {
        matches!(self, FormatState::Plain | FormatState::ZeekJson)
    }

    /// Whether this is the plain format (or not yet told): the fast path.
    #[inline]
    pub fn is_plain(&self) -> bool {
        matches!(self, FormatState::Plain)
    }

    /// Whether `line` is a header line of the current format.
    fn is_header(&self, line: &[u8]) -> bool {
        match self {
            FormatState::Zeek(_) => line.first() == Some(&b'#'),
            FormatState::Vpc(_) => vpc::is_header(line),
            _ => false,
        }
    }

    /// Parses one line (without its `\n`), updating the state on a header
    /// line or on the first non-blank line of an undetected input.
    ///
    /// A line over [`MAX_LINE_BYTES`] is malformed in every format, before
    /// anything else is looked at: the rule a streamed input keeps by
    /// dropping such a line unread (`docs/behaviour.md#parsing`), so that a
    /// mapped input reads the same.
    #[inline]
    pub fn parse_line<'a>(&mut self, line: &'a [u8]) -> Parsed<'a> {
        match self {
            FormatState::Plain => parse_plain(line),
            _ if line.len() > MAX_LINE_BYTES => Parsed::Malformed(Malformed::TooLong),
            FormatState::Undetected => {
                if is_blank(line) {
                    return parse_record(line).into();
                }
                *self = detect(line);
                self.parse_line(line)
            }
            FormatState::Zeek(layout) => {
                let line = zeek::without_cr(line);
                if line.first() == Some(&b'#') {
                    layout.header_line(line)
                } else {
                    layout.parse(line)
                }
            }
            FormatState::ZeekJson => zeek_json::parse(line).into(),
            FormatState::Vpc(layout) => layout.parse_or_header(line),
        }
    }

    /// Updates the state as [`parse_line`](Self::parse_line) on every line
    /// of `lines` would, visiting only the lines that can change it (header
    /// lines, and the first lines of an undetected input): how a reader
    /// that leaves the parsing to other threads knows the state each block
    /// starts in. Nothing for the plain format or Zeek JSON, a `memmem`
    /// for `\n#` for Zeek TSV, one for `srcaddr` for VPC.
    pub fn skim(&mut self, lines: &[u8]) {
        self.read_headers(lines, |_| {});
    }

    /// [`skim`](Self::skim), calling `records` with the state where the
    /// records after a header block begin (not for a block at the very end
    /// of `lines`: where the lines after them begin).
    fn read_headers(&mut self, lines: &[u8], mut records: impl FnMut(&FormatState)) {
        let mut start = 0;
        while start < lines.len() {
            let Some(line) = self.next_header(lines, start) else {
                return;
            };
            let end = line_end(lines, line);
            self.parse_line(&lines[line..end]);
            start = end + 1;
            if start < lines.len() && !self.is_header(&lines[start..line_end(lines, start)]) {
                records(self);
            }
        }
    }

    /// Reads the header lines of `lines` from this state, as a reader of
    /// every line would: returns whether each record line among them is
    /// read in `reference` (no header block leaves another layout for the
    /// records after it; a header block like the first, as where rotated
    /// logs of one Zeek were concatenated, leaves the same one), and the
    /// state after them. What fast seek must know of the part of a file it
    /// skipped before trusting the records its probes read there
    /// (`docs/behaviour.md#fast-seek`). Costs what [`skim`](Self::skim)
    /// costs: nothing for the formats without headers, one `memmem` pass
    /// for the others.
    pub fn records_read_as(&self, reference: &FormatState, lines: &[u8]) -> (bool, FormatState) {
        let mut state = self.clone();
        let first = &lines[..line_end(lines, 0)];
        let mut alike = lines.is_empty() || state.is_header(first) || state == *reference;
        state.read_headers(lines, |records| alike &= records == reference);
        (alike, state)
    }

    /// Where the next line that may change this state starts, at or after
    /// `start` (a line start) of `lines`; `None` when none can. For VPC
    /// the search is for `srcaddr`, which every header line names and no
    /// record holds (a line it finds that is no header changes nothing).
    fn next_header(&self, lines: &[u8], start: usize) -> Option<usize> {
        match self {
            FormatState::Plain | FormatState::ZeekJson => None,
            FormatState::Undetected => Some(start),
            FormatState::Zeek(_) if lines[start] == b'#' => Some(start),
            FormatState::Zeek(_) => {
                memchr::memmem::find(&lines[start..], b"\n#").map(|i| start + i + 1)
            }
            FormatState::Vpc(_) => {
                let hit = start + memchr::memmem::find(&lines[start..], b"srcaddr")?;
                Some(memchr::memrchr(b'\n', &lines[start..hit]).map_or(start, |i| start + i + 1))
            }
        }
    }

    /// Parses one line without changing the state: a header line is
    /// [`Parsed::Header`]. What a probe of the seeker does.
    pub fn peek<'a>(&self, line: &'a [u8]) -> Parsed<'a> {
        match self {
            FormatState::Plain | FormatState::Undetected => parse_plain(line),
            _ if line.len() > MAX_LINE_BYTES => Parsed::Malformed(Malformed::TooLong),
            FormatState::Zeek(_) if line.first() == Some(&b'#') => Parsed::Header,
            FormatState::Zeek(layout) => layout.parse(zeek::without_cr(line)),
            FormatState::ZeekJson => zeek_json::parse(line).into(),
            FormatState::Vpc(_) if vpc::is_header(line) => Parsed::Header,
            FormatState::Vpc(layout) => layout.parse(line),
        }
    }

    /// The [`Detail`] of a record `line` (one this state parsed as a
    /// record): the `wanted` fields its format and layout have, and the
    /// digits of its time. A wanted field that is set but not a value of
    /// its kind makes the line malformed.
    pub fn detail(&self, line: &[u8], wanted: Wanted) -> Result<Detail, Malformed> {
        match self {
            FormatState::Plain | FormatState::Undetected => {
                let start = line.iter().position(|&b| !is_separator(b)).unwrap_or(0);
                let end = line[start..]
                    .iter()
                    .position(|&b| is_separator(b))
                    .map_or(line.len(), |i| start + i);
                Ok(Detail {
                    time_digits: time_digits(&line[start..end]),
                    ..Detail::default()
                })
            }
            FormatState::Zeek(layout) => layout.detail(line, wanted),
            FormatState::ZeekJson => zeek_json::detail(line, wanted),
            FormatState::Vpc(layout) => layout.detail(line, wanted),
        }
    }

    /// Whether records read in this state cannot give `field`: their
    /// format has no such field, or their header leaves its column out.
    /// `None` also while the format is not told yet.
    pub fn lacking(&self, field: DetailField) -> Option<Lacking> {
        match self {
            FormatState::Undetected => None,
            FormatState::Plain => Some(Lacking::in_format(field, "plain")),
            FormatState::Zeek(layout) => layout.lacking(field),
            FormatState::ZeekJson => {
                (field == DetailField::Action).then(|| Lacking::in_format(field, "zeek-json"))
            }
            FormatState::Vpc(layout) => layout.lacking(field),
        }
    }

    /// The log a Zeek `#path` header line names, for a Zeek TSV input;
    /// `None` for any other line or format.
    pub fn zeek_log_path<'a>(&self, line: &'a [u8]) -> Option<&'a [u8]> {
        match self {
            FormatState::Zeek(layout) => layout.log_path(line),
            _ => None,
        }
    }

    /// The field of `line` that holds FROM (`to == false`) or TO, found
    /// without parsing the rest, when this format can: the cheap test of a
    /// query's candidate scan. `None` means "parse the line to know" (a
    /// header, a malformed line, or a format without a cheap test).
    #[inline]
    pub fn key_field<'a>(&self, line: &'a [u8], to: bool) -> Option<&'a [u8]> {
        match self {
            FormatState::Zeek(layout) => layout.key_field(line, to),
            FormatState::Vpc(layout) => layout.key_field(line, to),
            _ => None,
        }
    }
}

/// Where the line starting at `start` of `lines` ends (its `\n`, or the
/// end of `lines`).
fn line_end(lines: &[u8], start: usize) -> usize {
    memchr::memchr(b'\n', &lines[start..]).map_or(lines.len(), |i| start + i)
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|&b| is_separator(b))
}

/// The format a first non-blank line tells.
fn detect(line: &[u8]) -> FormatState {
    let first = line.iter().position(|&b| !is_separator(b)).unwrap_or(0);
    if zeek::starts_header_block(line) {
        return FormatState::Zeek(zeek::ZeekLayout::default());
    }
    if line[first] == b'{' {
        return FormatState::ZeekJson;
    }
    if let Some(layout) = vpc::detect(line) {
        return FormatState::Vpc(layout);
    }
    FormatState::Plain
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_the_first_non_blank_line() {
        type Is = fn(&FormatState) -> bool;
        let cases: [(&str, Is); 6] = [
            ("#separator \\x09", |s| matches!(s, FormatState::Zeek(_))),
            ("{\"ts\":1}", |s| matches!(s, FormatState::ZeekJson)),
            (
                "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status",
                |s| matches!(s, FormatState::Vpc(_)),
            ),
            (
                "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
                |s| matches!(s, FormatState::Vpc(_)),
            ),
            ("1565647204 a b", |s| s.is_plain()),
            ("# comment line", |s| s.is_plain()),
        ];
        for (line, is) in cases {
            let mut state = FormatState::new(InputFormat::Auto);
            assert_eq!(state.parse_line(b"  "), Parsed::Malformed(Malformed::Blank));
            state.parse_line(line.as_bytes());
            assert!(is(&state), "{line}: {state:?}");
        }
    }

    #[test]
    fn a_zeek_header_in_a_plain_log_is_named() {
        let mut state = FormatState::new(InputFormat::Auto);
        state.parse_line(b"1 a b");
        match state.parse_line(b"#separator \\x09") {
            Parsed::Malformed(why) => assert!(why.to_string().starts_with("plain: a Zeek header")),
            other => panic!("{other:?}"),
        }
        // A comment stays what it always was.
        assert!(matches!(
            state.parse_line(b"# comment line"),
            Parsed::Malformed(Malformed::BadTimestamp(_))
        ));
    }

    #[test]
    fn a_line_over_the_limit_is_malformed_in_every_format() {
        let zeek = "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.resp_h";
        let long = "x".repeat(MAX_LINE_BYTES);
        let cases = [
            (InputFormat::Plain, "", format!("1 {long} b")),
            (InputFormat::Zeek, zeek, format!("1\t{long}\ta\tb")),
            (
                InputFormat::ZeekJson,
                "",
                format!(r#"{{"ts":1,"id.orig_h":"a","id.resp_h":"b","x":"{long}"}}"#),
            ),
            (
                InputFormat::Vpc,
                "version srcaddr dstaddr start x",
                format!("2 10.0.0.1 10.0.0.2 1 {long}"),
            ),
            (InputFormat::Auto, "", format!("1 {long} b")),
        ];
        for (format, header, line) in cases {
            let mut state = FormatState::new(format);
            header
                .lines()
                .for_each(|h| assert_eq!(state.parse_line(h.as_bytes()), Parsed::Header));
            let short = line.replace(&long, "x");
            assert!(
                matches!(state.parse_line(short.as_bytes()), Parsed::Record(_)),
                "{format:?}"
            );
            let too_long = Parsed::Malformed(Malformed::TooLong);
            assert_eq!(state.peek(line.as_bytes()), too_long, "{format:?}");
            assert_eq!(state.parse_line(line.as_bytes()), too_long, "{format:?}");
        }
    }

    #[test]
    fn a_crlf_zeek_log_reads_like_its_lf_copy() {
        let log = "#separator \\x09\r\n#fields\tts\tid.orig_h\tid.resp_h\r\n1\ta\tb\r\n\r\n";
        let mut state = FormatState::new(InputFormat::Auto);
        let parsed: Vec<Parsed<'_>> = log
            .split('\n')
            .map(|l| state.parse_line(l.as_bytes()))
            .collect();
        let record = Parsed::Record(Record {
            ts: crate::parse::timestamp::Timestamp::from_secs(1),
            from: b"a",
            to: b"b",
        });
        assert_eq!(parsed[..3], [Parsed::Header, Parsed::Header, record]);
        assert_eq!(parsed[3], Parsed::Malformed(Malformed::Blank));
        assert_eq!(state.peek(b"1\ta\tb\r"), record);
        assert_eq!(state.key_field(b"1\ta\tb\r", true), Some(&b"b"[..]));
    }

    #[test]
    fn header_blocks_that_keep_the_layout_read_records_alike() {
        let first = "#separator \\x09\n#fields\tts\tid.orig_h\tid.resp_h\n";
        let (state, records) = FormatState::at_start(InputFormat::Auto, first.as_bytes());
        assert_eq!(records, first.len());
        let same = format!("1\ta\tb\n#close\tx\n{first}2\ta\tb\n");
        assert_eq!(
            state.records_read_as(&state, same.as_bytes()),
            (true, state.clone())
        );
        let swapped = "1\ta\tb\n#separator \\x09\n#fields\tts\tid.resp_h\tid.orig_h\n2\tb\ta\n";
        let (alike, after) = state.records_read_as(&state, swapped.as_bytes());
        assert!(!alike && after != state);
        // Back to the first layout at the end: the records between were not.
        let back = format!("{swapped}{first}3\ta\tb\n");
        assert_eq!(
            state.records_read_as(&state, back.as_bytes()),
            (false, state.clone())
        );
        // A block cut before its #fields line leaves a state in between.
        let (alike, between) = state.records_read_as(&state, b"1\ta\tb\n#separator \\x09\n");
        assert!(alike && between != state);
        assert!(
            between
                .records_read_as(&state, b"#fields\tts\tid.orig_h\tid.resp_h\n5\ta\tb")
                .0
        );
        // VPC header lines are found by the name they all hold.
        let vpc = b"version start srcaddr dstaddr\n2 1 a b\n";
        let (state, _) = FormatState::at_start(InputFormat::Auto, vpc);
        let later = b"2 1 a b\nversion srcaddr dstaddr start\n2 c d 1\n";
        assert!(!state.records_read_as(&state, later).0);
        assert!(state.records_read_as(&state, &vpc[..]).0);
    }

    #[test]
    fn input_format_names_parse() {
        for name in INPUT_FORMAT_NAMES {
            assert_eq!(
                name.parse::<InputFormat>().map(InputFormat::name),
                Ok(*name)
            );
        }
        assert!("csv".parse::<InputFormat>().is_err());
    }

    proptest::proptest! {
        /// Skimming a block leaves the state that parsing each of its lines
        /// leaves, wherever the blocks are cut, for every format and for
        /// header lines in the middle of an input.
        #[test]
        fn skimming_leaves_the_state_parsing_leaves(
            lines in proptest::collection::vec(proptest::sample::select(vec![
                "", "  ", "1565647200 a b",
                "#separator \\x09", "#fields\tts\tuid\tid.orig_h\tid.resp_h",
                "#fields\tid.resp_h\tts\tid.orig_h", "#close\t2019", "1565647200.5\tC1\ta\tb",
                "{\"ts\":1565647200,\"id.orig_h\":\"a\",\"id.resp_h\":\"b\"}",
                "version srcaddr dstaddr start end", "start srcaddr dstaddr", "srcaddr x",
                "2 1 eni 10.0.0.1 10.0.0.2 1 2 6 1 1 1565647200 1565647260 ACCEPT OK",
            ]), 0..24),
            cut in proptest::sample::select(vec![0usize, 1, 2, 5, 9, 30]),
            format in proptest::sample::select(vec![
                InputFormat::Auto, InputFormat::Plain, InputFormat::Zeek, InputFormat::Vpc,
            ]),
        ) {
            let mut parsed = FormatState::new(format);
            for line in &lines {
                parsed.parse_line(line.as_bytes());
            }
            let cut = cut.min(lines.len());
            let block = |part: &[&str]| part.iter().map(|l| format!("{l}\n")).collect::<String>();
            let mut skimmed = FormatState::new(format);
            skimmed.skim(block(&lines[..cut]).as_bytes());
            skimmed.skim(block(&lines[cut..]).trim_end_matches('\n').as_bytes());
            proptest::prop_assert_eq!(skimmed, parsed);
        }
    }
}
