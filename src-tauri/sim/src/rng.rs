//! The simulator's only source of randomness: a seeded SplitMix64 generator.
//!
//! Everything the simulator invents (ids, the fleet, fault decisions, jitter) is drawn from
//! generators seeded from `SimConfig::seed`, so that a run with the same seed and the same
//! sequence of calls gives the same answers. SplitMix64 is tiny, fast and good enough for
//! simulation; it is not meant for secrets (token signing keys are derived from the seed too,
//! which is fine for a loopback test server and says so in the docs).

use uuid::Uuid;

/// A seeded SplitMix64 pseudo-random generator.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SeededRng {
    state: u64,
}

impl SeededRng {
    /// A generator for `seed`; `stream` separates independent streams drawn from one seed
    /// (the fleet, the ids, the faults) so that drawing from one does not shift another.
    pub fn new(seed: u64, stream: u64) -> Self {
        let mut rng = SeededRng {
            state: seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F),
        };
        // Discard one value so that neighbouring seeds do not start with related outputs.
        rng.next_u64();
        rng
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..bound` (`bound` 0 gives 0). The tiny modulo bias does not matter here.
    pub fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            0
        } else {
            self.next_u64() % bound
        }
    }

    /// A float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Fills `bytes` with random bytes.
    pub fn fill(&mut self, bytes: &mut [u8]) {
        for chunk in bytes.chunks_mut(8) {
            let value = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&value[..chunk.len()]);
        }
    }

    /// A random (version 4) UUID drawn from this generator.
    pub fn uuid(&mut self) -> Uuid {
        let mut bytes = [0u8; 16];
        self.fill(&mut bytes);
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_gives_same_sequence_and_streams_differ() {
        let mut a = SeededRng::new(42, 1);
        let mut b = SeededRng::new(42, 1);
        let mut c = SeededRng::new(42, 2);
        let xa: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        let xb: Vec<u64> = (0..4).map(|_| b.next_u64()).collect();
        let xc: Vec<u64> = (0..4).map(|_| c.next_u64()).collect();
        assert_eq!(xa, xb);
        assert_ne!(xa, xc);
    }
}
