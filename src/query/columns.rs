//! The columns of `connspy`'s rows: the CSV header and JSON Lines keys
//! of each kind of answer (hosts, pairs, and their `--summary` rows),
//! each name written once (`docs/behaviour.md#summary`).

use crate::output::Field;

/// The CSV header and JSON keys of `connspy`'s rows (`--format csv` and
/// `jsonl`; TSV prints the host alone). Every row repeats its query, so
/// that the rows of many queries loaded into one table stay apart: each
/// end of the range in integer nanoseconds (exact, and one type in every
/// run, where seconds with a fraction would load as a float cut to about
/// 7 of 9 digits; see [`nanos_text`](crate::output::nanos_text)) and in
/// RFC 3339, the kind (`to`: the host connected to `target`; `from`:
/// `target` connected to the host), the queried host (lower case), and
/// the host's 1-based position in first-seen order.
pub const COLUMNS: &[&str] = &HOST_COLUMNS;

/// The query's range, first in every row.
const RANGE: [&str; 4] = [
    "time_init_ns",
    "time_init_rfc3339",
    "time_end_ns",
    "time_end_rfc3339",
];

/// [`COLUMNS`], as an array (for `--summary`'s, which add to it).
const HOST_COLUMNS: [&str; 8] = concat::<4, 4, 8>(RANGE, ["kind", "target", "seq", "host"]);

/// [`COLUMNS`] for `--to` with `--from` (kind `pair`): both targets, and
/// each pair's `from` and `to` hosts (TSV prints the two hosts).
pub const PAIR_COLUMNS: &[&str] = &PAIR_HOST_COLUMNS;

/// [`PAIR_COLUMNS`], as an array.
const PAIR_HOST_COLUMNS: [&str; 10] = concat::<4, 6, 10>(
    RANGE,
    ["kind", "from_target", "to_target", "seq", "from", "to"],
);

/// What a summary row adds to the host query's row, in order.
const MEASURES: [&str; 7] = [
    "first_seen",
    "last_seen",
    "records",
    "bytes",
    "packets",
    "dports",
    "more_dports",
];

/// The columns of `--summary` rows in CSV and JSON Lines: those of the
/// host query's rows ([`COLUMNS`]), then the measures; TSV
/// prints those after `seq`, under a header line of their names.
/// `first_seen` and `last_seen` are unix seconds with the digits the log
/// wrote them with; `bytes`, `packets` and `dports` are left out (JSON),
/// empty (CSV) or `-` (TSV) when no record of the peer gives them.
pub const SUMMARY_COLUMNS: &[&str] = &concat::<8, 7, 15>(HOST_COLUMNS, MEASURES);

/// [`SUMMARY_COLUMNS`] for `--to` with `--from`: those of the pair rows
/// ([`PAIR_COLUMNS`]), then the measures.
pub const SUMMARY_PAIR_COLUMNS: &[&str] = &concat::<10, 7, 17>(PAIR_HOST_COLUMNS, MEASURES);

/// `a` then `b`, as one array of `N = A + B` names (a const fn: the
/// column lists are constants, each name written once).
const fn concat<const A: usize, const B: usize, const N: usize>(
    a: [&'static str; A],
    b: [&'static str; B],
) -> [&'static str; N] {
    assert!(A + B == N);
    let mut out = [""; N];
    let mut i = 0;
    while i < A {
        out[i] = a[i];
        i += 1;
    }
    while i < N {
        out[i] = b[i - A];
        i += 1;
    }
    out
}

/// The TSV header of summary rows with `columns`: the names after `seq`.
pub(crate) fn tsv_header(columns: &'static [&'static str]) -> Vec<Field<'static>> {
    let after_seq = columns
        .iter()
        .position(|c| *c == "seq")
        .map_or(0, |i| i + 1);
    columns[after_seq..].iter().map(|c| Field::Str(c)).collect()
}
