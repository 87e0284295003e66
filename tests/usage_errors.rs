//! Every usage error of both tools, as the user sees it: exit status 2,
//! nothing on stdout, and one sentence on stderr in the tool's own words
//! (never a parser library's wording or tips). One case per message.

use std::process::Command;

const CONNSPY: &str = env!("CARGO_BIN_EXE_connspy");
const STREAM: &str = env!("CARGO_BIN_EXE_connspy-stream");
const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/sample_data/input-file-10000.txt"
);
const FORMS: &str = "give unix seconds (1565647200), milliseconds (1565647200000), \
                     RFC 3339 (2019-08-12T22:00:00Z or 2019-08-12 22:00:00Z), a date \
                     (2019-08-12, midnight UTC), or now with an optional offset (now-1h, now-7d)";
const DURATIONS: &str = "give seconds (300, 0.25) or a number with a unit ms, s, m, h or d \
                         (90s, 5m, 1h, 1.5h, 7d)";

/// Runs `bin` with `args` and checks the error is exactly `tool: message`.
fn assert_usage(bin: &str, tool: &str, args: &[&str], message: &str) {
    let o = Command::new(bin).args(args).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(o.stdout.is_empty(), "{args:?}");
    assert_eq!(err, format!("{tool}: {message}\n"), "{args:?}");
}

/// `connspy` with a valid query around `args`, unless they replace a part.
fn connspy(args: &[&str], message: &str) {
    assert_usage(CONNSPY, "connspy", args, message);
}

fn stream(args: &[&str], message: &str) {
    let mut all = vec!["--to", "a", "--from", "b"];
    all.extend_from_slice(args);
    assert_usage(STREAM, "connspy-stream", &all, message);
}

fn query<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["--to", "a", "--time-init", "1", "--time-end", "5"];
    args.extend_from_slice(extra);
    args.push(SAMPLE);
    args
}

#[test]
fn unknown_options_name_a_near_miss_only() {
    // Was: "unexpected argument '--too' found tip: a similar argument exists: '--to'".
    connspy(
        &query(&["--too", "x"]),
        "unknown option '--too'; did you mean '--to'? (see --help)",
    );
    connspy(
        &query(&["--bogus"]),
        "unknown option '--bogus' (see --help)",
    );
    // connspy's option, which clap would not tell apart from a typo.
    stream(
        &["--no-fast-seek"],
        "unknown option '--no-fast-seek' (see --help)",
    );
    // A range that ends before it starts, as connspy's.
    stream(
        &["--time-init", "5", "--time-end", "1", SAMPLE],
        "--time-end (1) is before --time-init (5)",
    );
}

#[test]
fn missing_arguments_are_named_as_the_docs_write_them() {
    connspy(
        &["--to", "a", "--time-end", "5", SAMPLE],
        "missing --time-init TS (see --help)",
    );
    connspy(
        &["--time-init", "1", "--time-end", "5", SAMPLE],
        "missing --to HOST or --from HOST (see --help)",
    );
    connspy(
        &["--to", "a", "--time-init", "1", "--time-end", "5"],
        "missing FILE... (see --help)",
    );
    assert_usage(
        STREAM,
        "connspy-stream",
        &["--to", "a"],
        "missing --from HOST (see --help)",
    );
    stream(
        &["--top"],
        "--top needs a value, as in --top K (see --help)",
    );
    stream(
        &["--format"],
        "--format needs a value: one of tsv, csv or jsonl (see --help)",
    );
}

#[test]
fn filters_say_which_values_they_take() {
    connspy(
        &query(&["--dport", "10-5"]),
        "--dport: the range '10-5' ends before it starts (write 5-10) (see --help)",
    );
    stream(
        &["--sport", "70000"],
        "--sport: '70000' is not a port (a whole number from 0 to 65535) (see --help)",
    );
    connspy(
        &query(&["--proto", "sctp"]),
        "--proto: 'sctp' is not a protocol (tcp, udp, icmp, or a number from 0 to 255) (see --help)",
    );
    stream(
        &["--action", "drop"],
        "--action: 'drop' is not an action (accept or reject) (see --help)",
    );
}

#[test]
fn conflicts_and_repeats() {
    stream(
        &["-q", "-v"],
        "--quiet and --verbose cannot be used together (see --help)",
    );
    stream(
        &["--top-capacity", "5", "--emit-counts"],
        "--top-capacity and --emit-counts cannot be used together (see --help)",
    );
    stream(
        &["--exact", "--bloom-capacity", "5"],
        "--exact and --bloom-capacity cannot be used together (see --help)",
    );
    stream(
        &["--stats", "--stats"],
        "--stats is given twice; give it once (see --help)",
    );
}

#[test]
fn times_say_which_forms_they_take() {
    let time = |value: &str, message: &str| {
        connspy(
            &["--to", "a", "--time-init", value, "--time-end", "9", SAMPLE],
            message,
        );
    };
    time(
        "x",
        &format!("--time-init: 'x' is not a time: {FORMS} (see --help)"),
    );
    time(
        "-5",
        &format!("--time-init: '-5' is not a time: {FORMS} (see --help)"),
    );
    time(
        "",
        &format!("--time-init: the time is empty: {FORMS} (see --help)"),
    );
    // Was jiff's own wording.
    time(
        "2019-08-12T22:00:00",
        "--time-init: '2019-08-12T22:00:00' has no UTC offset: add Z for UTC, \
         or an offset such as +02:00 (a date alone, 2019-08-12, is midnight UTC) (see --help)",
    );
    // Was "not a time" after "2019-08-12" had been told to add Z.
    time(
        "2019-08-12Z",
        &format!("--time-init: '2019-08-12Z' is not a time: {FORMS} (see --help)"),
    );
    time(
        "now-1y",
        &format!("--time-init: 'now-1y' is not a time: {FORMS} (see --help)"),
    );
    time(
        "2019-08-12 22:00:00 Z",
        "--time-init: '2019-08-12 22:00:00 Z' holds spaces: remove them (see --help)",
    );
    time(
        "2019-02-30T22:00:00Z",
        &format!("--time-init: '2019-02-30T22:00:00Z' is not a time: {FORMS} (see --help)"),
    );
    time(
        "1969-12-31T23:00:00Z",
        "--time-init: '1969-12-31T23:00:00Z' is before 1970-01-01T00:00:00Z, \
         the earliest time a log holds (see --help)",
    );
    let forty = "9".repeat(40);
    time(
        &forty,
        &format!("--time-init: '{forty}' is too large to be a time (see --help)"),
    );
    // Was trimmed and accepted.
    time(
        " 5",
        "--time-init: ' 5' holds spaces: remove them (see --help)",
    );
    time(
        "5 ",
        "--time-init: '5 ' holds spaces: remove them (see --help)",
    );
    connspy(
        &["--to", "a", "--time-init", "6", "--time-end", "5", SAMPLE],
        "--time-end (5) is before --time-init (6)",
    );
}

#[test]
fn rfc3339_takes_any_number_of_fraction_digits() {
    // Was rejected: "failed to parse ... fractional" (jiff takes nine).
    for time in [
        "2019-08-12T22:18:08.6400000000Z",
        "2019-08-12T22:18:08.640000000123456789Z",
    ] {
        let o = Command::new(CONNSPY)
            .args([
                "--to",
                "a",
                "--time-init",
                time,
                "--time-end",
                "1565650000",
                SAMPLE,
            ])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{time}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

#[test]
fn hosts_and_lateness() {
    connspy(
        &["--to", "", "--time-init", "1", "--time-end", "5", SAMPLE],
        "--to: a host name must not be empty (see --help)",
    );
    connspy(
        &["--to", "a b", "--time-init", "1", "--time-end", "5", SAMPLE],
        "--to: 'a b' contains whitespace, so no log field can equal it (see --help)",
    );
    let late = |value: &str, message: &str| {
        stream(&["--max-log-late-seconds", value], message);
    };
    late(
        "-1",
        "--max-log-late-seconds: '-1' is negative: the lateness bound is 0 or more seconds (see --help)",
    );
    late(
        "x",
        &format!("--max-log-late-seconds: 'x' is not a duration: {DURATIONS} (see --help)"),
    );
    late(
        "1y",
        &format!("--max-log-late-seconds: '1y' is not a duration: {DURATIONS} (see --help)"),
    );
    late(
        " 1",
        "--max-log-late-seconds: ' 1' holds spaces: remove them (see --help)",
    );
    late(
        &"9".repeat(40),
        &format!(
            "--max-log-late-seconds: '{}' is too large a duration (see --help)",
            "9".repeat(40)
        ),
    );
}

#[test]
fn counts_windows_and_rates() {
    // Was: "invalid value '0' for '--top <K>': 0 is not in 1..18446744073709551615".
    stream(
        &["--top", "0"],
        "--top: '0' is not a whole number of at least 1 (see --help)",
    );
    stream(
        &["--top", "-1"],
        "--top: '-1' is not a whole number of at least 1 (see --help)",
    );
    stream(
        &["--top-capacity", "x"],
        "--top-capacity: 'x' is not a whole number of at least 1 (see --help)",
    );
    stream(
        &["--bloom-capacity", "0"],
        "--bloom-capacity: '0' is not a whole number of at least 1 (see --help)",
    );
    stream(
        &["--top", "99999999999999999999"],
        "--top: '99999999999999999999' is too large (see --help)",
    );
    // Was: "unexpected argument '-5' found tip: to pass '-5' as a value, use '-- -5'".
    stream(
        &["--window", "-5m"],
        "--window: '-5m' is not a window: a whole number with a unit s, m, h or d \
         (e.g. 300s, 5m, 15m, 1h, 1d) (see --help)",
    );
    stream(
        &["--window", "7m"],
        "--window: a window of '7m' (420 s) does not divide a day (86400 s) into whole \
         windows (e.g. 5m, 15m, 1h, 1d) (see --help)",
    );
    // Was: "invalid float literal".
    stream(
        &["--bloom-fp-rate", "x"],
        "--bloom-fp-rate: 'x' is not a false-positive rate: give a number between 0 and 1, \
         such as 1e-9 (see --help)",
    );
    stream(
        &["--top", "10", "--top-capacity", "5"],
        "--top-capacity (5) must be at least --top (10)",
    );
}

#[test]
fn formats_and_generate() {
    stream(
        &["--format", "xml"],
        "--format must be one of tsv, csv or jsonl, not 'xml' (see --help)",
    );
    for (bin, tool) in [(CONNSPY, "connspy"), (STREAM, "connspy-stream")] {
        // Was: "unexpected argument '--generate' found tip: ... use '-- --generate'".
        assert_usage(
            bin,
            tool,
            &["--to", "a", "--generate", "bash"],
            "--generate takes no other argument (see --help)",
        );
        assert_usage(
            bin,
            tool,
            &["--generate=tcsh"],
            "--generate must be one of bash, zsh, fish, elvish, powershell or man, not 'tcsh' (see --help)",
        );
        assert_usage(
            bin,
            tool,
            &["--generate"],
            "--generate needs a value: one of bash, zsh, fish, elvish, powershell or man (see --help)",
        );
    }
}

#[test]
fn waits_are_seconds_and_polling_has_a_floor() {
    // Was: "unknown option '-1'".
    stream(
        &["--tail", "--rotate-wait", "-1"],
        "--rotate-wait: '-1' is negative: give 0 or more seconds, such as 5 or 0.5 (see --help)",
    );
    // Was: "`1e300` is not a number of seconds (0 or more)", in backticks.
    stream(
        &["--tail", "--rotate-wait", "1e300"],
        "--rotate-wait: '1e300' is not a number of seconds: give digits with an optional \
         fraction, such as 5 or 0.5 (see --help)",
    );
    stream(
        &["--tail", "--rotate-wait", "99999999999"],
        "--rotate-wait: '99999999999' is more than 1000000000 seconds, the longest wait \
         (see --help)",
    );
    // Was accepted, and polled in a busy loop.
    stream(
        &["--tail", "--poll", "--poll-interval", "0"],
        "--poll-interval: '0' is less than 0.01 seconds, the shortest poll interval \
         (see --help)",
    );
    stream(
        &["--tail", "--poll", "--poll-interval", "abc"],
        "--poll-interval: 'abc' is not a number of seconds: give digits with an optional \
         fraction, such as 5 or 0.5 (see --help)",
    );
}

#[test]
fn an_option_that_applies_only_with_another_is_refused_without_it() {
    let tail = "only a followed file is";
    let lists = "without it the lists are exact";
    for (args, message) in [
        // Were: "missing --tail".
        (
            &["--poll"][..],
            format!("--poll applies only with --tail: {tail} polled"),
        ),
        (
            &["--poll-interval", "1"],
            format!("--poll-interval applies only with --tail: {tail} polled"),
        ),
        (
            &["--rotate-wait", "1"],
            format!("--rotate-wait applies only with --tail: {tail} rotated"),
        ),
        // Were accepted and ignored.
        (
            &["--exact"],
            format!(
                "--exact applies only with --top-capacity: {lists} already, with no Bloom filter"
            ),
        ),
        (
            &["--bloom-capacity", "5"],
            format!(
                "--bloom-capacity applies only with --top-capacity: {lists}, with no Bloom filter"
            ),
        ),
        (
            &["--bloom-fp-rate", "0.1"],
            format!(
                "--bloom-fp-rate applies only with --top-capacity: {lists}, with no Bloom filter"
            ),
        ),
    ] {
        let mut all = args.to_vec();
        all.push(SAMPLE);
        stream(&all, &format!("{message} (see --help)"));
    }
    // With the option each needs, they are taken.
    let o = Command::new(STREAM)
        .args([
            "--to",
            "a",
            "--from",
            "b",
            "--top-capacity",
            "10",
            "--exact",
            SAMPLE,
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
