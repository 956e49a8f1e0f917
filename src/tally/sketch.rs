//! Distinct counting for the bounded tables: a fixed, well-mixed hash of an
//! address (the same on every machine, so sketches from different sensors
//! merge), and HyperLogLog registers (Flajolet et al., 2007) with linear
//! counting for small numbers.

use std::net::IpAddr;

/// A fixed hash of an address with every bit well mixed (SplitMix64's
/// finaliser over both halves of the address as 128 bits, IPv4 mapped).
pub fn address_hash(address: IpAddr) -> u64 {
    let bits = match address {
        IpAddr::V4(v4) => 0xffff_0000_0000 | u128::from(v4.to_bits()),
        IpAddr::V6(v6) => v6.to_bits(),
    };
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    mix(mix(bits as u64 ^ 0x9e37_79b9_7f4a_7c15) ^ (bits >> 64) as u64)
}

/// Raises the register `hash` falls in (of `2^precision`) to the hash's
/// rank.
#[inline]
pub fn observe(registers: &mut [u8], precision: u32, hash: u64) {
    let index = (hash >> (64 - precision)) as usize;
    // The rank of the remaining bits: leading zeros + 1, capped.
    let rank = ((hash << precision) | (1 << (precision - 1))).leading_zeros() as u8 + 1;
    if let Some(slot) = registers.get_mut(index) {
        *slot = (*slot).max(rank);
    }
}

/// The distinct count the registers estimate.
pub fn estimate(registers: &[u8]) -> u64 {
    let m = registers.len() as f64;
    let zeros = registers.iter().filter(|&&r| r == 0).count();
    let sum: f64 = registers.iter().map(|&r| 2f64.powi(-i32::from(r))).sum();
    let alpha = match registers.len() {
        16 => 0.673,
        32 => 0.697,
        64 => 0.709,
        _ => 0.7213 / (1.0 + 1.079 / m),
    };
    let raw = alpha * m * m / sum;
    let estimate = if raw <= 2.5 * m && zeros != 0 {
        m * (m / zeros as f64).ln()
    } else {
        raw
    };
    estimate.round() as u64
}
