//! The plain format's records (`TS FROM_HOST TO_HOST`, §1 of
//! `docs/behaviour.md`), and the one malformed reason it adds: a Zeek
//! header in the middle of a plain log.

use crate::parse::format::{Parsed, zeek};
use crate::parse::record::{FormatProblem, Malformed, parse_record};

/// A plain line; a Zeek header line in it is named as such (the input was
/// told plain by its first line, so the header is in the middle of it).
#[inline(always)]
pub(crate) fn parse_plain(line: &[u8]) -> Parsed<'_> {
    match parse_record(line) {
        Ok(rec) => Parsed::Record(rec),
        Err(why) => Parsed::Malformed(plain_error(line, why)),
    }
}

/// Why a plain line is malformed: `why`, or that it is a Zeek header.
#[cold]
pub(crate) fn plain_error(line: &[u8], why: Malformed) -> Malformed {
    if zeek::starts_header_block(line) {
        Malformed::Format(FormatProblem {
            format: "plain",
            what: "a Zeek header line in the middle of a plain log (concatenate logs of one format, or give --input-format)",
        })
    } else {
        why
    }
}
