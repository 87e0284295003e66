//! Window geometry for `connspy-stream`: the width of the windows
//! (`--window`, an hour by default, docs/behaviour.md#hours), and each
//! window's bounds and closing deadline. What a window holds while it is
//! open is `open_window.rs`.
//!
//! A record belongs to the window starting at `floor(TS / W) * W`. The
//! width divides a day, so windows of every width start at UTC midnight
//! and nest in whole days. A window closes once `latest - start > W + L`.

use crate::parse::timestamp::{Duration, Timestamp};

/// Seconds in a day: every width must divide it.
const DAY_SECS: u64 = 86_400;

/// A window width: a whole number of seconds that divides a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowWidth(u64);

impl WindowWidth {
    /// The original's hour (docs/behaviour.md#hours), the default.
    pub const HOUR: WindowWidth = WindowWidth(3600);

    /// Parses `--window`: a whole number with a unit `s`, `m`, `h` or `d`
    /// (`300s`, `5m`, `15m`, `1h`, `1d`); a bare number is seconds. It must
    /// be positive and divide a day (86400 s).
    pub fn parse(text: &str) -> Result<WindowWidth, String> {
        let t = text.trim();
        let (digits, unit) = match t.as_bytes().last() {
            Some(b's') => (&t[..t.len() - 1], 1),
            Some(b'm') => (&t[..t.len() - 1], 60),
            Some(b'h') => (&t[..t.len() - 1], 3600),
            Some(b'd') => (&t[..t.len() - 1], DAY_SECS),
            _ => (t, 1),
        };
        let bad = || {
            format!(
                "'{text}' is not a window: a whole number with a unit s, m, h or d \
                 (e.g. 300s, 5m, 15m, 1h, 1d)"
            )
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let secs = digits
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(unit))
            .ok_or_else(bad)?;
        if secs == 0 || !DAY_SECS.is_multiple_of(secs) {
            return Err(format!(
                "a window of '{text}' ({secs} s) does not divide a day ({DAY_SECS} s) \
                 into whole windows (e.g. 5m, 15m, 1h, 1d)"
            ));
        }
        Ok(WindowWidth(secs))
    }

    /// The width as a duration.
    pub fn duration(self) -> Duration {
        Duration::from_secs(self.0)
    }

    /// The starts of the windows that meet `[from, until)`: from the start
    /// of the window holding `from` to the end of the window holding the
    /// last instant before `until`, exclusive (`--time-init`/`--time-end`,
    /// `docs/behaviour.md#archive-pruning`). Empty when the range is.
    pub fn starts_meeting(self, from: Timestamp, until: Timestamp) -> std::ops::Range<Timestamp> {
        let first = from.floor_to(self.duration());
        if until <= from {
            return first..first;
        }
        let last = until.floor_to(self.duration());
        let end = if last == until {
            until
        } else {
            last.saturating_add(self.duration())
        };
        first..end
    }
}

impl Default for WindowWidth {
    fn default() -> WindowWidth {
        WindowWidth::HOUR
    }
}

/// A window's bounds and its closing deadline `start + W + L`: the window
/// closes once `latest > deadline`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WindowSpan {
    /// The window's first instant.
    pub start: Timestamp,
    /// The first instant after the window.
    pub end: Timestamp,
    /// The window is complete once the newest time seen passes this (start + width + L).
    pub deadline: Timestamp,
}

impl WindowSpan {
    /// A span that contains no time.
    pub(crate) const EMPTY: WindowSpan = WindowSpan {
        start: Timestamp::ZERO,
        end: Timestamp::ZERO,
        deadline: Timestamp::ZERO,
    };

    /// The window of `width` that holds `ts`.
    pub(crate) fn of(ts: Timestamp, width: WindowWidth, lateness: Duration) -> WindowSpan {
        let width = width.duration();
        let start = ts.floor_to(width);
        WindowSpan {
            start,
            end: start.saturating_add(width),
            // Saturating: with a bound so large the sum overflows, no
            // window ever closes, which is what such a bound means.
            deadline: start.saturating_add(width.saturating_add(lateness)),
        }
    }

    /// Whether `ts` falls in the window.
    #[inline]
    pub(crate) fn contains(&self, ts: Timestamp) -> bool {
        self.start <= ts && ts < self.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_parse_with_units_and_bare_seconds() {
        for (text, secs) in [
            ("300s", 300),
            ("300", 300),
            ("5m", 300),
            ("15m", 900),
            ("1h", 3600),
            ("24h", 86_400),
            ("1d", 86_400),
            ("1s", 1),
            ("90m", 5400),
        ] {
            assert_eq!(
                WindowWidth::parse(text).map(WindowWidth::duration),
                Ok(Duration::from_secs(secs)),
                "{text}"
            );
        }
    }

    #[test]
    fn widths_must_be_whole_positive_and_divide_a_day() {
        for text in [
            "", "h", "0", "0h", "7m", "2d", "1.5h", "-1h", "1w", "5 m", "+5m",
        ] {
            let err = WindowWidth::parse(text).unwrap_err();
            assert!(err.contains(text), "{err}");
        }
        assert!(
            WindowWidth::parse("7m")
                .unwrap_err()
                .contains("does not divide a day")
        );
        assert!(WindowWidth::parse("99999999999999999999d").is_err());
    }

    #[test]
    fn a_span_is_the_aligned_window_and_its_deadline() {
        let five = WindowWidth::parse("5m").unwrap();
        let ts = Timestamp::from_secs(1_565_647_504); // 22:05:04
        let span = WindowSpan::of(ts, five, Duration::from_secs(30));
        assert_eq!(span.start, Timestamp::from_secs(1_565_647_500));
        assert_eq!(span.end, Timestamp::from_secs(1_565_647_800));
        assert_eq!(span.deadline, Timestamp::from_secs(1_565_647_830));
        assert!(span.contains(ts) && !span.contains(span.end));
        assert!(!WindowSpan::EMPTY.contains(Timestamp::ZERO));
    }

    #[test]
    fn the_windows_meeting_a_range_are_whole() {
        let hour = WindowWidth::HOUR;
        let t = Timestamp::from_secs;
        assert_eq!(hour.starts_meeting(t(7200), t(10800)), t(7200)..t(10800));
        assert_eq!(hour.starts_meeting(t(7300), t(10801)), t(7200)..t(14400));
        assert_eq!(hour.starts_meeting(t(7300), t(7300)), t(7200)..t(7200));
        let day = WindowWidth::parse("1d").unwrap();
        assert_eq!(
            day.starts_meeting(t(90_000), t(90_001)),
            t(86_400)..t(172_800)
        );
        let never = Timestamp::from_nanos(u128::MAX);
        assert_eq!(hour.starts_meeting(t(1), never).end, never);
    }
}
