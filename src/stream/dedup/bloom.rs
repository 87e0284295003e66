//! A Bloom filter that grows with what it holds, for the lists of windows
//! without an exact host table.

use bloomfilter::Bloom;

use super::{BLOOM_SEED, BloomSize};

/// A Bloom filter sized to what it holds: stages of doubling size, each
/// made when the one before is full (a scalable Bloom filter). A key is
/// present if any stage has it; a new key is set in the last stage. Every
/// stage has the fixed seed, so its decisions are the same on every run.
pub(crate) struct GrowingBloom {
    pub(super) size: BloomSize,
    pub(super) stages: Vec<Bloom<[u8]>>,
    /// Hosts the last stage was made for, and how many it holds.
    last_capacity: usize,
    last_len: usize,
    /// Keys set in all.
    pub(super) len: u64,
}

impl GrowingBloom {
    pub(crate) fn new(size: BloomSize) -> GrowingBloom {
        let mut filter = GrowingBloom {
            size,
            stages: Vec::new(),
            last_capacity: 0,
            last_len: 0,
            len: 0,
        };
        filter.add_stage();
        filter
    }

    /// Makes the next stage of the plan; false when the plan is done.
    fn add_stage(&mut self) -> bool {
        let Some((hosts, rate)) = self.size.stages().nth(self.stages.len()) else {
            return false;
        };
        // `BloomSize` is validated, which is all the constructor checks.
        let stage = Bloom::new_for_fp_rate_with_seed(hosts, rate, BLOOM_SEED)
            .expect("validated Bloom parameters");
        self.stages.push(stage);
        self.last_capacity = hosts;
        self.last_len = 0;
        true
    }

    /// Whether `key` was (probably) set before; sets it if not.
    pub(crate) fn check_and_set(&mut self, key: &[u8]) -> bool {
        if self.stages.iter().any(|stage| stage.check(key)) {
            return true;
        }
        // Once, when the last stage fills up: past the plan, the last
        // stage takes the rest.
        if self.last_len == self.last_capacity {
            self.add_stage();
        }
        if let Some(last) = self.stages.last_mut() {
            last.set(key);
        }
        self.last_len += 1;
        self.len += 1;
        false
    }

    /// Bitmap bytes held.
    #[cfg(test)]
    pub(crate) fn bitmap_bytes(&self) -> usize {
        let stages = self.size.stages().take(self.stages.len());
        stages
            .map(|(hosts, rate)| Bloom::<[u8]>::compute_bitmap_size(hosts, rate))
            .sum()
    }
}
