//! Weighted counts: the bytes or packets of each host's records
//! (`--by bytes`, `--by packets`).
//!
//! Each record adds its weight to both its hosts, as each record counts
//! once for each of its hosts in the record counts (`nfdump -s ip/bytes`
//! does the same: a host's traffic in and out).
//!
//! **Bound.** One `u64` per distinct host of the window, at most 16 bytes
//! each after growth, beside the host table's 64.

use crate::stream::host_counts::HostId;

/// The sum of the weights of each host's records, by host id.
#[derive(Default)]
pub(crate) struct Sums {
    values: Vec<u64>,
}

impl Sums {
    /// Adds `weight` to both hosts of a record.
    #[inline]
    pub(crate) fn add(&mut self, from: HostId, to: HostId, weight: u64) {
        *self.slot(from) += weight;
        *self.slot(to) += weight;
    }

    /// Host `id`'s sum, grown into place: ids are handed out in order, so
    /// a new one is at most one past the end (two for a record of two new
    /// hosts, counted in turn).
    #[inline]
    fn slot(&mut self, id: HostId) -> &mut u64 {
        let i = id.to_raw() as usize;
        if i >= self.values.len() {
            self.values.resize(i + 1, 0);
        }
        &mut self.values[i]
    }

    /// Adds a later tally, its host `i` being `ids[i]` here.
    pub(crate) fn absorb(&mut self, later: &Sums, ids: &[HostId]) {
        for (&value, &id) in later.values.iter().zip(ids) {
            *self.slot(id) += value;
        }
    }

    /// Host `id`'s sum (0 for a host no record weighed).
    pub(crate) fn value(&self, id: HostId) -> u64 {
        self.values.get(id.to_raw() as usize).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(i: u32) -> HostId {
        HostId::from_raw(i)
    }

    #[test]
    fn both_hosts_of_a_record_gain_its_weight_and_later_tallies_add_up() {
        let mut sums = Sums::default();
        sums.add(id(0), id(1), 100);
        sums.add(id(1), id(2), 7);
        assert_eq!([0, 1, 2, 3].map(|i| sums.value(id(i))), [100, 107, 7, 0]);
        let mut later = Sums::default();
        later.add(id(0), id(1), 5);
        // The later tally's hosts 0 and 1 are hosts 2 and 3 here.
        sums.absorb(&later, &[id(2), id(3)]);
        assert_eq!([0, 1, 2, 3].map(|i| sums.value(id(i))), [100, 107, 12, 5]);
    }
}
