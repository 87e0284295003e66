//! Tests of the aggregator, one case each (its property tests are in
//! `props.rs`).

use super::*;
use crate::io::block_reader::BlockReader;
use crate::parse::batch::LINES_PER_PARSE;
use crate::stream::config::{Counting, Report};
use crate::stream::pump::pump;
use crate::stream::window::WindowWidth;

/// Diagnostics the tests do not look at.
pub(super) fn quiet() -> Diagnostics {
    Diagnostics::to_writer("t", true, std::io::sink())
}

pub(super) fn config(to: &str, from: &str, lateness: u64) -> WindowConfig {
    WindowConfig::for_test(to, from, lateness)
}

/// Runs `inputs` (each fed as one input) and returns stdout and counts.
pub(super) fn run_with(
    config: WindowConfig,
    inputs: &[&str],
    print_open: bool,
) -> (String, Summary) {
    let mut out = Vec::new();
    let mut agg = Aggregator::new(config, &mut out, quiet());
    for (i, text) in inputs.iter().enumerate() {
        let mut reader = BlockReader::new(text.as_bytes());
        pump(&mut agg, &format!("in{i}"), &mut reader, &|| false).unwrap();
    }
    let summary = agg.finish(print_open).unwrap();
    (String::from_utf8(out).unwrap(), summary)
}

fn run(text: &str, to: &str, from: &str, lateness: u64) -> String {
    run_with(config(to, from, lateness), &[text], true).0
}

/// Hour starts used below: 1565647200 = H0, then H1, H2, ...
pub(super) const H0: u64 = 1_565_647_200;

fn rec(secs_after_h0: u64, from: &str, to: &str) -> String {
    format!("{} {from} {to}\n", H0 + secs_after_h0)
}

#[test]
fn one_hour_prints_to_then_from_then_most() {
    let log = [
        rec(1, "Kexin", "X"),
        rec(2, "y", "zeplin"),
        rec(3, "devonta", "x"),
        rec(4, "kexin", "x"),
        rec(5, "Y", "Zeplin"),
        rec(6, "y", "abe"),
    ]
    .concat();
    // x and y both count 3; x was counted first.
    assert_eq!(
        run(&log, "x", "y", 300),
        "1565647200.0\tTO\tkexin\n\
         1565647200.0\tTO\tdevonta\n\
         1565647200.0\tFROM\tzeplin\n\
         1565647200.0\tFROM\tabe\n\
         1565647200.0\tMOST\tx\n"
    );
}

#[test]
fn an_hour_without_matches_prints_only_most() {
    let log = rec(10, "a", "b") + &rec(20, "c", "b");
    assert_eq!(run(&log, "x", "y", 300), "1565647200.0\tMOST\tb\n");
}

#[test]
fn most_ties_go_to_the_host_counted_first_from_before_to() {
    // b and a both 1: FROM (b) entered first.
    assert_eq!(
        run(&rec(1, "b", "a"), "x", "y", 0),
        "1565647200.0\tMOST\tb\n"
    );
    // c: 2, a: 2 (`a a` counts twice), c entered first.
    let log = rec(1, "c", "d") + &rec(2, "a", "a") + &rec(3, "c", "e");
    assert_eq!(run(&log, "x", "y", 0), "1565647200.0\tMOST\tc\n");
    // `a a` alone beats a single appearance that came earlier.
    let log = rec(1, "b", "c") + &rec(2, "A", "a");
    assert_eq!(run(&log, "x", "y", 0), "1565647200.0\tMOST\ta\n");
}

#[test]
fn a_record_to_and_from_itself_matches_both_lists() {
    assert_eq!(
        run(&rec(1, "q", "Q"), "q", "q", 0),
        "1565647200.0\tTO\tq\n1565647200.0\tFROM\tq\n1565647200.0\tMOST\tq\n"
    );
}

/// Output lines with the hour label, in order, and the lines printed
/// before `finish` (that is, by the closing rule).
fn closed_before_end(log: &str, lateness: u64) -> String {
    run_with(config("x", "y", lateness), &[log], false).0
}

#[test]
fn an_hour_closes_only_strictly_past_hour_plus_lateness() {
    // H0 closes when latest - H0 > 3600 + 300 = 3900 s.
    let at_boundary = rec(0, "a", "b") + &rec(3900, "c", "d");
    assert_eq!(closed_before_end(&at_boundary, 300), "");
    let past = rec(0, "a", "b") + &rec(3900, "c", "d") + "1565651100.000000001 e f\n";
    assert_eq!(closed_before_end(&past, 300), "1565647200.0\tMOST\ta\n");
    // Fractional lateness is exact too.
    let cfg = |l| WindowConfig {
        lateness: crate::parse::timestamp::parse_lateness(l).unwrap(),
        ..config("x", "y", 0)
    };
    let log = rec(0, "a", "b") + "1565650800.25 c d\n";
    assert_eq!(run_with(cfg("0.25"), &[&log], false).0, "");
    assert_eq!(
        run_with(cfg("0.249"), &[&log], false).0,
        "1565647200.0\tMOST\ta\n"
    );
}

#[test]
fn a_record_of_a_closed_hour_is_dropped_and_counted() {
    let log = [
        rec(10, "a", "x"),
        rec(3600 + 301, "b", "c"), // closes H0
        rec(20, "z", "x"),         // too late: H0 is closed
        rec(3600 + 302, "d", "e"),
    ]
    .concat();
    let (out, summary) = run_with(config("x", "y", 300), &[&log], true);
    assert_eq!(
        out,
        "1565647200.0\tTO\ta\n1565647200.0\tMOST\ta\n1565650800.0\tMOST\tb\n"
    );
    assert_eq!(summary.too_late, 1);
    assert_eq!(summary.records, 4);
    assert_eq!(summary.windows_printed, 2);
}

#[test]
fn a_late_record_within_the_bound_still_counts() {
    let log = [
        rec(3600 + 250, "b", "c"),
        rec(3599, "a", "x"), // H0 still open: latest - H0 = 3850 <= 3900
        rec(3600 + 260, "b", "d"),
    ]
    .concat();
    let (out, summary) = run_with(config("x", "y", 300), &[&log], true);
    assert_eq!(
        out,
        "1565647200.0\tTO\ta\n1565647200.0\tMOST\ta\n1565650800.0\tMOST\tb\n"
    );
    assert_eq!(summary.too_late, 0);
}

#[test]
fn a_record_past_the_bound_for_a_window_never_printed_opens_and_prints_it() {
    // H0 never had a record: the late record is not dropped; H0 is
    // complete already, so it is printed at once, before H2, with or
    // without the open windows printed at the end.
    let log = rec(3600 * 2, "a", "b") + &rec(0, "c", "d");
    for print_open in [true, false] {
        let (out, summary) = run_with(config("b", "c", 300), &[&log], print_open);
        let h0 = "1565647200.0\tFROM\td\n1565647200.0\tMOST\tc\n";
        let h2 = if print_open {
            "1565654400.0\tTO\ta\n1565654400.0\tMOST\ta\n"
        } else {
            ""
        };
        assert_eq!(out, format!("{h0}{h2}"));
        assert_eq!(
            (summary.too_late, summary.windows_printed),
            (0, 1 + print_open as u64)
        );
    }
    // A second record for H0 after it was printed is too late.
    let log = log + &rec(1, "e", "f");
    let (out, summary) = run_with(config("b", "c", 300), &[&log], false);
    assert_eq!(out, "1565647200.0\tFROM\td\n1565647200.0\tMOST\tc\n");
    assert_eq!(summary.too_late, 1);
}

#[test]
fn a_dropped_record_leaves_no_trace_in_counts_or_lists() {
    // `1 x x` is too late for the printed H0; had it counted, x would
    // be listed in both lists of H0 and H0 printed again.
    let log = rec(0, "a", "b") + &rec(7200, "a", "b") + &rec(1, "x", "x") + &rec(7201, "b", "c");
    let (out, summary) = run_with(config("x", "x", 300), &[&log], true);
    assert_eq!(out, "1565647200.0\tMOST\ta\n1565654400.0\tMOST\tb\n");
    assert_eq!(summary.too_late, 1);
}

#[test]
fn gaps_of_empty_hours_print_nothing_for_them() {
    let log = rec(5, "a", "b") + &rec(3600 * 5 + 1, "c", "d") + &rec(3600 * 9, "e", "f");
    let (out, summary) = run_with(config("x", "y", 300), &[&log], true);
    assert_eq!(
        out,
        "1565647200.0\tMOST\ta\n1565665200.0\tMOST\tc\n1565679600.0\tMOST\te\n"
    );
    assert_eq!(summary.windows_printed, 3);
}

#[test]
fn several_hours_close_at_once_oldest_first() {
    // Lateness lets H0..H2 stay open until one record jumps far ahead.
    let log = rec(1, "a", "b") + &rec(3601, "c", "d") + &rec(7201, "e", "f");
    let jump = rec(3600 * 20, "g", "h");
    let (out, _) = run_with(config("x", "y", 36_000), &[&(log + &jump)], false);
    assert_eq!(
        out,
        "1565647200.0\tMOST\ta\n1565650800.0\tMOST\tc\n1565654400.0\tMOST\te\n"
    );
}

#[test]
fn out_of_order_records_within_the_bound_land_in_their_hours() {
    let log = [
        rec(3600 + 5, "b", "x"),
        rec(3590, "a", "x"),
        rec(3600 + 6, "c", "x"),
        rec(3595, "a", "z"),
    ]
    .concat();
    assert_eq!(
        run(&log, "x", "y", 300),
        "1565647200.0\tTO\ta\n1565647200.0\tMOST\ta\n\
         1565650800.0\tTO\tb\n1565650800.0\tTO\tc\n1565650800.0\tMOST\tx\n"
    );
}

#[test]
fn only_complete_windows_prints_just_the_closed_ones() {
    let log = rec(1, "a", "b") + &rec(3600 + 301, "c", "d") + &rec(3600 * 2, "e", "f");
    let (all, _) = run_with(config("x", "y", 300), &[&log], true);
    let (complete, summary) = run_with(config("x", "y", 300), &[&log], false);
    assert_eq!(
        all,
        "1565647200.0\tMOST\ta\n1565650800.0\tMOST\tc\n1565654400.0\tMOST\te\n"
    );
    assert_eq!(complete, "1565647200.0\tMOST\ta\n");
    assert_eq!(summary.windows_printed, 1);
}

#[test]
fn state_carries_across_inputs_and_malformed_lines_are_counted() {
    let a = rec(1, "a", "x") + "garbage\n" + &rec(2, "b", "x");
    let b = "\n".to_string() + &rec(3, "a", "x") + "1565647204 c"; // no final \n
    let (out, summary) = run_with(config("x", "y", 300), &[&a, &b], true);
    assert_eq!(
        out,
        "1565647200.0\tTO\ta\n1565647200.0\tTO\tb\n1565647200.0\tMOST\tx\n"
    );
    assert_eq!(summary.malformed, 3);
    assert_eq!(summary.records, 3);
}

#[test]
fn strict_stops_at_the_first_malformed_line() {
    let cfg = WindowConfig {
        strict: true,
        ..config("x", "y", 300)
    };
    let mut out = Vec::new();
    let mut agg = Aggregator::new(cfg, &mut out, quiet());
    let mut reader = BlockReader::new(&b"1 a b\n2 c\n"[..]);
    let err = pump(&mut agg, "log", &mut reader, &|| false).unwrap_err();
    assert_eq!(
        err.to_string(),
        "log:2: malformed line (2 field(s) (expected TS FROM_HOST TO_HOST)); \
         stopping at the first one (strict mode)"
    );
}

#[test]
fn pump_stops_between_blocks_when_asked() {
    let mut out = Vec::new();
    let mut agg = Aggregator::new(config("x", "y", 300), &mut out, quiet());
    let mut reader = BlockReader::new(&b"1 a b\n"[..]);
    pump(&mut agg, "log", &mut reader, &|| true).unwrap();
    assert_eq!(agg.summary().records, 0);
}

#[test]
fn millisecond_and_fractional_times_share_hours() {
    let log = "1565647200000 a x\n1565647201.5 b x\n1565650799999 c x\n";
    assert_eq!(
        run(log, "x", "y", 300),
        "1565647200.0\tTO\ta\n1565647200.0\tTO\tb\n\
         1565647200.0\tTO\tc\n1565647200.0\tMOST\tx\n"
    );
}

#[test]
fn line_numbers_run_on_across_parses_of_one_block() {
    let line = 2 * LINES_PER_PARSE + 7;
    let mut text = "1565647200 a b\n".repeat(line - 1);
    text.push_str("garbage\n1565647201 c d\n");
    let cfg = WindowConfig {
        strict: true,
        ..config("x", "y", 300)
    };
    for pumped in [false, true] {
        let mut out = Vec::new();
        let mut agg = Aggregator::new(cfg.clone(), &mut out, quiet());
        let err = if pumped {
            let mut reader = BlockReader::new(text.as_bytes());
            pump(&mut agg, "log", &mut reader, &|| false).unwrap_err()
        } else {
            agg.begin_input("log");
            agg.feed(Block::Lines(text.as_bytes())).unwrap_err()
        };
        assert!(
            err.to_string().starts_with(&format!("log:{line}: ")),
            "{err}"
        );
        assert_eq!(agg.summary().records, line as u64 - 1);
    }
}

#[test]
fn overlong_lines_are_malformed() {
    let mut out = Vec::new();
    let mut agg = Aggregator::new(config("x", "y", 300), &mut out, quiet());
    agg.begin_input("log");
    agg.feed(Block::Overlong).unwrap();
    agg.feed(Block::Lines(b"1 a b\n")).unwrap();
    let summary = agg.finish(true).unwrap();
    assert_eq!((summary.malformed, summary.records), (1, 1));
}

pub(super) fn with(
    window: &str,
    top: usize,
    emit_counts: bool,
    counting: Counting,
) -> WindowConfig {
    WindowConfig {
        window: WindowWidth::parse(window).unwrap(),
        counting,
        report: Report {
            top,
            emit_counts,
            ..Report::default()
        },
        ..config("x", "y", 0)
    }
}

#[test]
fn a_window_closes_strictly_past_its_width_plus_lateness() {
    // 5-minute windows, L = 0: window 0 closes once latest > 300 s.
    let cfg = || with("5m", 1, false, Counting::Exact);
    let log = rec(0, "a", "x") + &rec(299, "b", "c") + &rec(300, "d", "e");
    assert_eq!(run_with(cfg(), &[&log], false).0, "");
    let log = log + "1565647500.000000001 f g\n";
    assert_eq!(
        run_with(cfg(), &[&log], false).0,
        "1565647200.0\tTO\ta\n1565647200.0\tMOST\ta\n"
    );
    // A record for window 0 after that is too late; window 1 is open.
    let (out, summary) = run_with(cfg(), &[&(log + &rec(10, "z", "x"))], true);
    assert_eq!(
        out,
        "1565647200.0\tTO\ta\n1565647200.0\tMOST\ta\n1565647500.0\tMOST\td\n"
    );
    assert_eq!((summary.too_late, summary.windows_printed), (1, 2));
}

#[test]
fn a_day_window_starts_at_utc_midnight() {
    // 1565647200 is 2019-08-12T22:00:00Z; that day began 79200 s earlier.
    let out = run_with(
        with("1d", 1, false, Counting::Exact),
        &[&rec(5, "a", "b")],
        true,
    )
    .0;
    assert_eq!(out, "1565568000.0\tMOST\ta\n");
}

#[test]
fn top_and_counts_rows_follow_the_lists() {
    let log = [
        rec(1, "b", "x"),
        rec(2, "a", "x"),
        rec(3, "y", "a"),
        rec(4, "c", "c"),
    ]
    .concat();
    let out = run_with(with("1h", 3, true, Counting::Exact), &[&log], true).0;
    assert_eq!(
        out,
        "1565647200.0\tTO\tb\n1565647200.0\tTO\ta\n1565647200.0\tFROM\ta\n\
         1565647200.0\tTOP\tx\t2\n1565647200.0\tTOP\ta\t2\n1565647200.0\tTOP\tc\t2\n\
         1565647200.0\tCOUNT\tb\t1\n1565647200.0\tCOUNT\tx\t2\n\
         1565647200.0\tCOUNT\ta\t2\n1565647200.0\tCOUNT\ty\t1\n\
         1565647200.0\tCOUNT\tc\t2\n"
    );
    // --top 1 is the MOST line, with or without a bounded summary.
    for counting in [Counting::Exact, Counting::Bounded(5)] {
        let out = run_with(with("1h", 1, false, counting), &[&log], true).0;
        assert!(out.ends_with("1565647200.0\tMOST\tx\n"), "{out}");
    }
}
