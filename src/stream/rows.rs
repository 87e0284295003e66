//! The rows `connspy-stream` prints for each closed window, in each format
//! (see [`crate::output`]).
//!
//! **TSV** (the default) is the original's lines (docs/behaviour.md#output-bytes), `WINDOW.0<TAB>KIND<TAB>HOST`,
//! byte for byte: `TO`, `FROM` and one `MOST` line. The opt-in rows add a
//! count column: `TOP` (with `--top K`, K > 1, instead of `MOST`) and
//! `COUNT` (`--emit-counts`); with `--emit-counts` and `--by bytes` or
//! `packets` also `BYTES` or `PACKETS` (every host's sum), and with
//! `--by peers`, `in` or `out` the `PAIR` rows (`FROM_HOST<TAB>TO_HOST`,
//! every distinct pair once) instead.
//!
//! **CSV and JSON Lines** have one schema for every option:
//!
//! | column | value |
//! |---|---|
//! | `window_start` | the window's start, unix seconds |
//! | `window_start_rfc3339` | the same as RFC 3339 UTC (`2019-08-13T01:00:00Z`) |
//! | `kind` | `to`, `from`, `top`, `count`, `bytes`, `packets` or `pair` |
//! | `seq` | 1-based position among the window's rows of that kind: first-seen order but for `top`, whose `seq` is its rank |
//! | `host` | the host, lower case (for `pair`, the FROM host) |
//! | `count` | `top`: the measure `--by` ranks by (records by default); `count`: its records; `bytes`, `packets`: their sum; empty / left out otherwise |
//! | `peer` | only with `pair` rows (`--emit-counts --by peers\|in\|out`): the TO host of the pair |
//!
//! `seq` lets a database give back the printed order, which a table does
//! not keep. The default (`--top 1`) prints one `top` row per window with
//! its count: the `MOST` line of TSV.

use std::io::{self, Write};

use crate::output::{Field, Format, RowWriter, rfc3339};
use crate::parse::timestamp::Timestamp;

/// The CSV header and JSON keys of the stream's rows.
pub const COLUMNS: &[&str] = COLUMNS_WITH_PEER.split_at(6).0;

/// [`COLUMNS`] and the `peer` of `pair` rows, when a run prints them.
pub const COLUMNS_WITH_PEER: &[&str] = &[
    "window_start",
    "window_start_rfc3339",
    "kind",
    "seq",
    "host",
    "count",
    "peer",
];

/// What a row says about its host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RowKind {
    /// The host connected to `--to`.
    To,
    /// `--from` connected to the host.
    From,
    /// One of the most active hosts, in rank order.
    Top,
    /// A host's activity count (`--emit-counts`).
    Count,
    /// A host's bytes (`--emit-counts --by bytes`).
    Bytes,
    /// A host's packets (`--emit-counts --by packets`).
    Packets,
    /// A distinct pair of hosts (`--emit-counts --by peers|in|out`).
    Pair,
}

impl RowKind {
    fn name(self) -> &'static str {
        match self {
            RowKind::To => "to",
            RowKind::From => "from",
            RowKind::Top => "top",
            RowKind::Count => "count",
            RowKind::Bytes => "bytes",
            RowKind::Packets => "packets",
            RowKind::Pair => "pair",
        }
    }

    fn tsv(self) -> &'static str {
        match self {
            RowKind::To => "TO",
            RowKind::From => "FROM",
            RowKind::Top => "TOP",
            RowKind::Count => "COUNT",
            RowKind::Bytes => "BYTES",
            RowKind::Packets => "PACKETS",
            RowKind::Pair => "PAIR",
        }
    }
}

/// The stream's output: rows of closed windows in one format.
pub(crate) struct StreamWriter<W: Write> {
    rows: RowWriter<W>,
    /// TSV prints the single top host as the `MOST` line (docs/behaviour.md#most), without count.
    single_most: bool,
}

impl<W: Write> StreamWriter<W> {
    /// `top` is `--top K`; `pairs`: whether `pair` rows are printed (and
    /// so the `peer` column).
    pub(crate) fn new(out: W, format: Format, top: usize, pairs: bool) -> StreamWriter<W> {
        let columns = if pairs { COLUMNS_WITH_PEER } else { COLUMNS };
        StreamWriter {
            rows: RowWriter::new(out, format, columns),
            single_most: format == Format::Tsv && top == 1,
        }
    }

    /// The rows of the window starting at `start` (whole seconds).
    pub(crate) fn window(&mut self, start: Timestamp) -> WindowRows<'_, W> {
        let start_text = start.to_string();
        let rfc3339 = rfc3339(start.as_nanos());
        WindowRows {
            label: format!("{start_text}.0"),
            start: start_text,
            rfc3339,
            single_most: self.single_most,
            out: &mut self.rows,
            kind: None,
            seq: 0,
        }
    }

    /// Flushes (in CSV, after the header if no row was written).
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.rows.flush()
    }
}

/// The rows of one window: written in groups of one kind each.
pub(crate) struct WindowRows<'a, W: Write> {
    out: &'a mut RowWriter<W>,
    /// The start in unix seconds, and as TSV prints it (`1565658000.0`).
    start: String,
    label: String,
    /// `None` past the year 9999, which RFC 3339 cannot write.
    rfc3339: Option<String>,
    single_most: bool,
    kind: Option<RowKind>,
    seq: u64,
}

impl<W: Write> WindowRows<'_, W> {
    /// One row; `count` where the kind has one.
    pub(crate) fn row(&mut self, kind: RowKind, host: &[u8], count: Option<u64>) -> io::Result<()> {
        let count = count.map_or(Field::Absent, Field::Int);
        self.write(kind, host, count, Field::Absent)
    }

    /// A `pair` row: `from` sent a record to `to`.
    pub(crate) fn pair(&mut self, from: &[u8], to: &[u8]) -> io::Result<()> {
        self.write(RowKind::Pair, from, Field::Absent, Field::Host(to))
    }

    fn write(
        &mut self,
        kind: RowKind,
        host: &[u8],
        count: Field<'_>,
        peer: Field<'_>,
    ) -> io::Result<()> {
        if self.kind != Some(kind) {
            self.kind = Some(kind);
            self.seq = 0;
        }
        self.seq += 1;
        if self.out.format() == Format::Tsv {
            let (name, count) = match kind {
                RowKind::Top if self.single_most => ("MOST", Field::Absent),
                RowKind::To | RowKind::From => (kind.tsv(), Field::Absent),
                _ => (kind.tsv(), count),
            };
            return self.out.row(&[
                Field::Str(&self.label),
                Field::Str(name),
                Field::Host(host),
                count,
                peer,
            ]);
        }
        let fields = [
            Field::Number(&self.start),
            Field::text_or_absent(self.rfc3339.as_deref()),
            Field::Str(kind.name()),
            Field::Int(self.seq),
            Field::Host(host),
            count,
            peer,
        ];
        self.out.row(&fields[..self.out.columns()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two windows: one with every kind of row, one with only its top.
    fn render(format: Format, top: usize) -> String {
        let mut w = StreamWriter::new(Vec::new(), format, top, false);
        let mut rows = w.window(Timestamp::from_secs(1_565_658_000));
        rows.row(RowKind::To, b"devonta", None).unwrap();
        rows.row(RowKind::To, b"a,b", None).unwrap();
        rows.row(RowKind::From, b"kexin", None).unwrap();
        rows.row(RowKind::Top, b"zeplin", Some(42)).unwrap();
        rows.row(RowKind::Count, b"zeplin", Some(42)).unwrap();
        rows.row(RowKind::Count, b"kexin", Some(7)).unwrap();
        let mut rows = w.window(Timestamp::from_secs(1_565_661_600));
        rows.row(RowKind::Top, b"x", Some(1)).unwrap();
        w.flush().unwrap();
        String::from_utf8(w.rows.get_ref().clone()).unwrap()
    }

    #[test]
    fn tsv_is_spec_lines_with_most_for_a_single_top_host() {
        assert_eq!(
            render(Format::Tsv, 1),
            "1565658000.0\tTO\tdevonta\n\
             1565658000.0\tTO\ta,b\n\
             1565658000.0\tFROM\tkexin\n\
             1565658000.0\tMOST\tzeplin\n\
             1565658000.0\tCOUNT\tzeplin\t42\n\
             1565658000.0\tCOUNT\tkexin\t7\n\
             1565661600.0\tMOST\tx\n"
        );
        let top2 = render(Format::Tsv, 2);
        assert!(top2.contains("1565658000.0\tTOP\tzeplin\t42\n"), "{top2}");
        assert!(top2.ends_with("1565661600.0\tTOP\tx\t1\n"), "{top2}");
    }

    #[test]
    fn csv_has_one_header_and_a_seq_per_kind() {
        assert_eq!(
            render(Format::Csv, 1),
            "window_start,window_start_rfc3339,kind,seq,host,count\n\
             1565658000,2019-08-13T01:00:00Z,to,1,devonta,\n\
             1565658000,2019-08-13T01:00:00Z,to,2,\"a,b\",\n\
             1565658000,2019-08-13T01:00:00Z,from,1,kexin,\n\
             1565658000,2019-08-13T01:00:00Z,top,1,zeplin,42\n\
             1565658000,2019-08-13T01:00:00Z,count,1,zeplin,42\n\
             1565658000,2019-08-13T01:00:00Z,count,2,kexin,7\n\
             1565661600,2019-08-13T02:00:00Z,top,1,x,1\n"
        );
        let mut empty = StreamWriter::new(Vec::new(), Format::Csv, 1, false);
        empty.flush().unwrap();
        assert_eq!(
            empty.rows.get_ref().as_slice(),
            b"window_start,window_start_rfc3339,kind,seq,host,count\n"
        );
    }

    #[test]
    fn jsonl_has_both_starts_and_counts_where_known() {
        let out = render(Format::Jsonl, 3);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 7);
        assert_eq!(
            lines[0],
            r#"{"window_start":1565658000,"window_start_rfc3339":"2019-08-13T01:00:00Z","kind":"to","seq":1,"host":"devonta"}"#
        );
        assert_eq!(
            lines[3],
            r#"{"window_start":1565658000,"window_start_rfc3339":"2019-08-13T01:00:00Z","kind":"top","seq":1,"host":"zeplin","count":42}"#
        );
    }

    #[test]
    fn a_start_past_rfc3339_years_leaves_that_column_empty() {
        let mut w = StreamWriter::new(Vec::new(), Format::Jsonl, 1, false);
        let far = Timestamp::from_secs(400_000_000_000);
        w.window(far).row(RowKind::Top, b"a", Some(1)).unwrap();
        assert_eq!(
            w.rows.get_ref().as_slice(),
            br#"{"window_start":400000000000,"kind":"top","seq":1,"host":"a","count":1}
"#
        );
    }
}
