//! Randomness for request ids and backoff jitter.
//!
//! Seeded once from the operating system through `getrandom` (its JS backend on wasm32), or from
//! a caller's seed for deterministic tests. SplitMix64 is plenty for ids and jitter; nothing here
//! is a cryptographic secret.

/// A small, seedable pseudo-random source.
#[derive(Clone, Debug)]
pub struct Entropy {
    state: u64,
}

impl Entropy {
    /// Seeded from the operating system. Falls back to a fixed seed only if the OS source is
    /// unavailable, which affects jitter and id spread, never correctness.
    pub fn from_os() -> Self {
        let seed = getrandom::u64().unwrap_or(0x9E37_79B9_7F4A_7C15);
        Entropy { state: seed }
    }

    /// A deterministic source for tests and conformance vectors.
    pub fn from_seed(seed: u64) -> Self {
        Entropy { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..=max` (inclusive).
    pub fn below_or_equal(&mut self, max: u64) -> u64 {
        if max == u64::MAX {
            return self.next_u64();
        }
        self.next_u64() % (max + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_sources_repeat_and_differ_by_seed() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut e = Entropy::from_seed(7);
                move |_| e.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut e = Entropy::from_seed(7);
                move |_| e.next_u64()
            })
            .collect();
        let c: Vec<u64> = (0..4)
            .map({
                let mut e = Entropy::from_seed(8);
                move |_| e.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn bounded_values_stay_in_range() {
        let mut e = Entropy::from_seed(1);
        for _ in 0..1000 {
            assert!(e.below_or_equal(10) <= 10);
        }
        assert_eq!(e.below_or_equal(0), 0);
    }
}
