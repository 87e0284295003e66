//! The inputs an aggregator is fed, one after another as one stream
//! (each begun with its name and reading state, restarted when a followed
//! file starts over), and the time range it prints
//! (`docs/behaviour.md#archive-pruning`).

use std::io::Write;
use std::ops::Range;

use super::Aggregator;
use crate::io::source::Restart;
use crate::parse::format::FormatState;
use crate::parse::timestamp::Timestamp;

impl<W: Write> Aggregator<W> {
    /// Prints only the windows whose start is in `starts` (those that meet
    /// a time range, `docs/behaviour.md#archive-pruning`): the others are
    /// counted and closed as always, so that every printed window is
    /// printed exactly as without the range, and never written.
    pub fn printing_only(self, starts: Range<Timestamp>) -> Aggregator<W> {
        Aggregator {
            printed_range: Some(starts),
            ..self
        }
    }

    /// Whether every window of the range is closed: the data is past the
    /// last one's deadline, so nothing read from now on can be printed and
    /// reading may stop. Never without a range.
    pub fn range_complete(&self) -> bool {
        self.printed_range
            .as_ref()
            .is_some_and(|starts| self.latest > starts.end.saturating_add(self.config.lateness))
    }

    /// Starts a new input (a file, stdin, or a followed file after it was
    /// rotated): diagnostics name it and count its lines from 1. The
    /// aggregation itself carries on: all inputs are one stream.
    pub fn begin_input(&mut self, name: &str) {
        let state = self.new_format_state();
        self.begin_input_at(name, state, 0);
    }

    /// Starts a new input read from the middle (a seek into a plain
    /// file): in the reading `state` its first header block gives (see
    /// [`FormatState::at_start`]), after `lines_before` lines, so that
    /// diagnostics number lines as in the whole file.
    pub fn begin_input_at(&mut self, name: &str, state: FormatState, lines_before: u64) {
        self.input.clear();
        self.input.push_str(name);
        self.line = lines_before;
        self.format = state;
    }

    /// The reading state of the input being fed, as it starts: where a
    /// reading thread starts.
    pub(crate) fn input_state(&self) -> FormatState {
        self.format.clone()
    }

    /// The reading state an input starts in (each input's format is told
    /// by its own first line unless `--input-format` names it).
    pub(crate) fn new_format_state(&self) -> FormatState {
        FormatState::new(self.config.input_format)
    }

    /// The input being fed starts over at its first line (a followed file
    /// was replaced or truncated): said as a note, and line numbers restart.
    pub(crate) fn restart_input(&mut self, why: Restart) {
        self.diagnostics.note(format_args!("{}: {why}", self.input));
        self.line = 0;
        self.format = self.new_format_state();
    }

    /// Something the input's source says (a followed file that is not a
    /// regular file, cannot be opened...): passed on to the diagnostics,
    /// naming the input.
    pub(crate) fn notice(&mut self, text: &str) {
        self.diagnostics
            .note(format_args!("{}: {text}", self.input));
    }
}
