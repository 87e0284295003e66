//! What a worker's counts of one chunk may take: a budget proportional
//! to the chunk's bytes, whatever the log's shape (the bound of
//! [`crate::stream::chunk`], whose module docs say why).

use crate::stream::measure::Measure;

/// Bytes of window tables a chunk may count per byte of its lines; past
/// them the rest of the chunk is fed in line. Four: a chunk of a busy
/// window (a new host every line or two) stays well within it, so only
/// logs of many tiny windows meet it.
pub(crate) const COUNT_BYTES_PER_BYTE: usize = 4;

/// Bytes of window tables any chunk may count, however few its lines: a
/// followed log's chunks are small, and feeding them in line would leave
/// the workers idle. Fifty windows' worth.
pub(crate) const MIN_COUNT_BYTES: usize = 64 << 10;

/// What a new window's table is charged before its hosts: the floor of a
/// table with few hosts, its lists' heads and its place in the run.
pub(crate) const WINDOW_BYTES: usize = 1024 + 256;

/// What a distinct host of a window's table is charged besides its name
/// (see [`crate::stream::host_counts`]).
pub(crate) const HOST_BYTES: usize = 64;

/// What a distinct host costs a `--by` measure's tally besides its table
/// entry: a sum's `u64` (16 bytes after growth) or the three `u32`
/// distinct counts (24 after growth; [`crate::stream::measure`]).
pub(crate) const MEASURE_HOST_BYTES: usize = 24;

/// What a distinct (FROM, TO) pair costs a `--by peers|in|out` tally:
/// under 40 bytes ([`crate::stream::measure::peers`]).
pub(crate) const PAIR_BYTES: usize = 40;

/// What a distinct host of a window is charged when its tally measures
/// `measure`.
pub(crate) fn host_bytes(measure: Measure) -> usize {
    match measure {
        Measure::Records => HOST_BYTES,
        _ => HOST_BYTES + MEASURE_HOST_BYTES,
    }
}

/// What a chunk's counts may still take (see the module docs' bound).
pub(crate) struct Budget {
    /// Bytes of tables the chunk may still count.
    bytes_left: usize,
    /// Whether a charge has failed: the chunk counts no more.
    pub(crate) spent: bool,
    /// Hosts of room that new tables may still be given.
    room_left: usize,
    /// Room a new table asks for: the previous chunk's busiest window.
    pub(crate) hosts_hint: usize,
    /// New tables that may still be given room.
    roomy_left: usize,
    /// What each host is charged ([`host_bytes`]).
    host_bytes: usize,
}

/// Windows of a chunk whose tables start with room for the busiest window
/// of the chunk before; later ones grow as they fill.
const ROOMY_WINDOWS: usize = 4;

impl Budget {
    /// The budget of a chunk of `bytes` bytes and `items` lines, whose new
    /// tables ask for room for `hosts_hint` hosts and measure `measure`.
    pub(crate) fn new(bytes: usize, items: usize, hosts_hint: usize, measure: Measure) -> Budget {
        Budget {
            bytes_left: (bytes * COUNT_BYTES_PER_BYTE).max(MIN_COUNT_BYTES),
            spent: false,
            room_left: 2 * items,
            hosts_hint,
            roomy_left: ROOMY_WINDOWS,
            host_bytes: host_bytes(measure),
        }
    }
    /// Charges `bytes`; false, and spent from then on, when they are
    /// more than what is left.
    pub(crate) fn charge(&mut self, bytes: usize) -> bool {
        match self.bytes_left.checked_sub(bytes) {
            Some(left) => self.bytes_left = left,
            None => self.spent = true,
        }
        !self.spent
    }

    /// Charges a window's new table with room for `room` hosts.
    pub(crate) fn charge_window(&mut self, room: usize) -> bool {
        self.charge(WINDOW_BYTES + room * self.host_bytes)
    }

    /// Charges `hosts` new hosts and `pairs` new distinct pairs.
    pub(crate) fn charge_growth(&mut self, hosts: usize, pairs: usize) -> bool {
        self.charge(hosts * self.host_bytes + pairs * PAIR_BYTES)
    }

    /// Room for a new window's table, taken from what is left: for the
    /// first [`ROOMY_WINDOWS`] windows of the chunk only (a chunk of a log
    /// of busy windows spans a few), and at most half of the bytes left,
    /// so that the records can still be counted.
    pub(crate) fn room(&mut self) -> usize {
        if self.roomy_left == 0 {
            return 0;
        }
        self.roomy_left -= 1;
        let affordable = self.bytes_left / 2 / self.host_bytes;
        let room = self.hosts_hint.min(self.room_left).min(affordable);
        self.room_left -= room;
        room
    }
}
