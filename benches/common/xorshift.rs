//! A small deterministic generator (xorshift64*), shared by the benchmarks
//! (included with `#[path]`), so their frames are the same on every run
//! without a `rand` dependency.

/// xorshift64* state; any non-zero seed.
pub struct XorShift(pub u64);

impl XorShift {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform-enough in `0..n` for picking bench frames.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
