//! The line parser on arbitrary bytes: never a panic, and every verdict
//! agrees with the obvious definition of docs/behaviour.md#parsing (three runs of
//! non-separators; the first a `TS`).

#![no_main]

use connspy::parse::format::{FormatState, InputFormat};
use connspy::parse::record::{MAX_LINE_BYTES, Malformed, is_separator, parse_record};
use connspy::parse::target::Target;
use connspy::parse::time_forms::{parse_cli_time, parse_lateness};
use connspy::parse::timestamp::{LARGEST_SECONDS_VALUE, Timestamp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|line: &[u8]| {
    let fields: Vec<&[u8]> = line
        .split(|&b| is_separator(b))
        .filter(|f| !f.is_empty())
        .collect();
    match (parse_record(line), &fields[..]) {
        (Ok(rec), [ts, from, to]) => {
            assert_eq!((rec.from, rec.to), (*from, *to));
            assert_eq!(Ok(rec.ts), Timestamp::parse(ts));
        }
        (Err(Malformed::Blank), []) => {}
        (Err(Malformed::FieldCount(n)), _) if !fields.is_empty() && fields.len() != 3 => {
            assert_eq!(n, fields.len().min(4))
        }
        (Err(Malformed::BadTimestamp(e)), [ts, _, _]) => assert_eq!(Err(e), Timestamp::parse(ts)),
        (Err(Malformed::TooLong), _) if line.len() > MAX_LINE_BYTES => {}
        (verdict, _) => panic!("{verdict:?} for fields {fields:?}"),
    }
    // A time in the seconds range prints as the `TS` it parses from.
    if let Ok(ts) = Timestamp::parse(line)
        && ts.as_nanos() / 1_000_000_000 <= u128::from(LARGEST_SECONDS_VALUE)
    {
        assert_eq!(Timestamp::parse(ts.to_string().as_bytes()), Ok(ts));
    }
    // Every other format, and targets, on the same bytes: never a panic.
    for format in [InputFormat::Zeek, InputFormat::ZeekJson, InputFormat::Vpc, InputFormat::Auto] {
        let mut state = FormatState::new(format);
        for part in line.split(|&b| b == b'\n') {
            let _ = state.peek(part);
            let _ = state.key_field(part, true);
            let _ = state.parse_line(part);
        }
    }
    if let Ok(target) = Target::parse(line) {
        let _ = target.matches(line);
        let _ = target.may_match_last_field(line);
    }
    let _ = Target::parse_list(b"@fuzz", line);
    if let Ok(text) = std::str::from_utf8(line) {
        let _ = parse_cli_time(text, Timestamp::from_secs(1_565_647_200));
        let _ = parse_lateness(text);
    }
});
