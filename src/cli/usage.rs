//! Command-line errors in the tools' own words.
//!
//! clap renders its errors over several lines, in its own voice, with tips
//! that are sometimes wrong for these tools (`use '-- -5'` for a negative
//! value that no option takes). Each error is rebuilt here from its kind and
//! context as one sentence that says what to change; the value parsers of
//! `src/cli` already return such sentences, which are kept as they are.

use std::error::Error as _;

use clap::error::{ContextKind, ContextValue, Error, ErrorKind};

use crate::cli::command::GENERATE;

/// The one-sentence message for a command-line error.
pub(super) fn sentence(err: &Error) -> String {
    let arg = || string(err, ContextKind::InvalidArg).map(|a| plain(&a));
    let flag = || arg().map(|a| first_word(&a).to_string());
    let value = || string(err, ContextKind::InvalidValue).unwrap_or_default();
    let message = match err.kind() {
        ErrorKind::UnknownArgument => {
            let given = arg().unwrap_or_default();
            // clap suggests the most similar option however little alike
            // (`--time-init` for `--emit-counts`): only a near miss that
            // starts the same way is worth naming.
            let near = |s: &String| s.get(..4) == given.get(..4);
            match string(err, ContextKind::SuggestedArg).filter(near) {
                Some(suggested) => {
                    format!("unknown option '{given}'; did you mean '{suggested}'?")
                }
                None if given.starts_with('-') => format!("unknown option '{given}'"),
                None => format!("unexpected argument '{given}'"),
            }
        }
        ErrorKind::InvalidValue => {
            let flag = flag().unwrap_or_default();
            let valid = strings(err, ContextKind::ValidValue);
            let value = value();
            match (value.is_empty(), valid.is_empty()) {
                (true, true) => match arg() {
                    Some(arg) if arg != flag => format!("{flag} needs a value, as in {arg}"),
                    _ => format!("{flag} needs a value"),
                },
                (true, false) => format!("{flag} needs a value: {}", one_of(&valid)),
                (false, _) => format!("{flag} must be {}, not '{value}'", one_of(&valid)),
            }
        }
        ErrorKind::ValueValidation => {
            let flag = flag().unwrap_or_default();
            match err.source() {
                Some(reason) => format!("{flag}: {reason}"),
                None => format!("{flag}: '{}' is not a valid value", value()),
            }
        }
        ErrorKind::MissingRequiredArgument => {
            let missing: Vec<String> = strings(err, ContextKind::InvalidArg)
                .iter()
                .map(|a| plain(a))
                .collect();
            format!("missing {}", and_list(&missing))
        }
        ErrorKind::ArgumentConflict => {
            let first = flag().unwrap_or_default();
            let prior: Vec<String> = strings(err, ContextKind::PriorArg)
                .iter()
                .map(|a| first_word(&plain(a)).to_string())
                .collect();
            if prior == [first.clone()] {
                format!("{first} is given twice; give it once")
            } else if first == GENERATE || prior.iter().any(|p| p == GENERATE) {
                format!("{} takes no other argument", GENERATE)
            } else if prior.is_empty() {
                format!("{first} cannot be given with these options")
            } else {
                format!("{first} and {} cannot be used together", prior.join(", "))
            }
        }
        ErrorKind::TooManyValues => {
            format!("'{}' is one argument too many", value())
        }
        ErrorKind::InvalidUtf8 => "an argument is not valid UTF-8".to_string(),
        _ => fallback(err),
    };
    format!("{message} (see --help)")
}

/// clap's own first line, for the kinds these tools never produce.
fn fallback(err: &Error) -> String {
    let rendered = err.render().to_string();
    let first = rendered.lines().next().unwrap_or("bad command line");
    first.strip_prefix("error: ").unwrap_or(first).to_string()
}

fn string(err: &Error, kind: ContextKind) -> Option<String> {
    match err.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(v) => v.first().cloned(),
        ContextValue::StyledStr(s) => Some(s.to_string()),
        _ => None,
    }
}

fn strings(err: &Error, kind: ContextKind) -> Vec<String> {
    match err.get(kind) {
        Some(ContextValue::Strings(v)) => v.clone(),
        Some(ContextValue::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// An argument as clap names it, the way the tools' docs write it:
/// `--to <HOST>` as `--to HOST`, `<FILE>...` as `FILE...`, a group
/// `<--to <HOST>|--from <HOST>>` as `--to HOST or --from HOST`.
fn plain(arg: &str) -> String {
    let arg = arg
        .strip_prefix('<')
        .and_then(|a| a.strip_suffix('>'))
        .filter(|a| a.starts_with('-'))
        .unwrap_or(arg);
    arg.replace('|', " or ").replace(['<', '>'], "")
}

fn first_word(text: &str) -> &str {
    text.split(' ').next().unwrap_or(text)
}

/// `a`, `a or b`, `a, b or c`, for the values an option takes.
fn one_of(values: &[String]) -> String {
    match values {
        [] => "a value".to_string(),
        [one] => one.clone(),
        [rest @ .., last] => format!("one of {} or {last}", rest.join(", ")),
    }
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => "an argument".to_string(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
