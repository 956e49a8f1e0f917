//! What the failed attempts of one transport tried: the distinct target
//! ports (exact: one bit per port) and the distinct target hosts (exact up
//! to [`EXACT_HOSTS`] as a set of 64-bit address hashes, then a
//! HyperLogLog sketch: fixed 4 KiB, about 1.6 % error). Both merge with
//! `+=`, so the `failed` row's figures are the same whether captures are
//! read together or their summaries merged.

use super::sketch;
use std::net::IpAddr;
use std::ops::AddAssign;

const PORT_WORDS: usize = 65_536 / 64;
/// 2^12 registers.
const PRECISION: u32 = 12;
const REGISTERS: usize = 1 << PRECISION;
/// Distinct hosts counted exactly; beyond, the sketch estimates.
pub const EXACT_HOSTS: usize = 256;

/// Distinct ports and hosts tried by failed attempts.
#[derive(Clone, PartialEq, Eq)]
pub struct Attempted {
    ports: Box<[u64; PORT_WORDS]>,
    registers: Box<[u8; REGISTERS]>,
    /// The hosts' hashes, sorted, while there are at most [`EXACT_HOSTS`].
    exact: Option<Vec<u64>>,
}

impl std::fmt::Debug for Attempted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attempted")
            .field("ports", &self.ports())
            .field("hosts", &self.hosts())
            .finish()
    }
}

impl Default for Attempted {
    fn default() -> Attempted {
        Attempted {
            ports: Box::new([0; PORT_WORDS]),
            registers: Box::new([0; REGISTERS]),
            exact: Some(Vec::new()),
        }
    }
}

impl Attempted {
    /// Records one target (address, port).
    #[inline]
    pub fn add(&mut self, host: IpAddr, port: u16) {
        self.ports[usize::from(port / 64)] |= 1 << (port % 64);
        self.add_hash(sketch::address_hash(host));
    }

    fn add_hash(&mut self, hash: u64) {
        self.note_exact(hash);
        sketch::observe(&mut self.registers[..], PRECISION, hash);
    }

    fn note_exact(&mut self, hash: u64) {
        if let Some(set) = &mut self.exact
            && let Err(at) = set.binary_search(&hash)
        {
            if set.len() >= EXACT_HOSTS {
                self.exact = None;
            } else {
                set.insert(at, hash);
            }
        }
    }

    /// Distinct ports tried (exact).
    pub fn ports(&self) -> u32 {
        self.ports.iter().map(|w| w.count_ones()).sum()
    }

    /// Distinct hosts tried: exact up to [`EXACT_HOSTS`], estimated above.
    pub fn hosts(&self) -> u64 {
        if let Some(set) = &self.exact {
            return set.len() as u64;
        }
        sketch::estimate(&self.registers[..])
    }

    /// Whether [`Attempted::hosts`] is an estimate rather than a count.
    pub fn hosts_approximate(&self) -> bool {
        self.exact.is_none()
    }

    /// The ports tried, as ranges (`1-1024,3306`): the form saved in JSON.
    pub fn port_ranges(&self) -> String {
        let mut out = String::new();
        let mut port = 0usize;
        while port < 65_536 {
            if self.ports[port / 64] >> (port % 64) & 1 == 0 {
                port += 1;
                continue;
            }
            let start = port;
            while port < 65_536 && self.ports[port / 64] >> (port % 64) & 1 == 1 {
                port += 1;
            }
            if !out.is_empty() {
                out.push(',');
            }
            if port - 1 == start {
                out.push_str(&start.to_string());
            } else {
                out.push_str(&format!("{start}-{}", port - 1));
            }
        }
        out
    }

    /// The host sketch as hex: while exact, `=` and the hosts' hashes (16
    /// hex digits each); then the non-zero registers (`iiirr`: 3 hex
    /// digits of index, 2 of value). The form saved in JSON.
    pub fn host_sketch(&self) -> String {
        let mut out = String::new();
        if let Some(set) = &self.exact {
            out.push('=');
            for hash in set {
                out.push_str(&format!("{hash:016x}"));
            }
            return out;
        }
        for (i, &r) in self.registers.iter().enumerate() {
            if r != 0 {
                out.push_str(&format!("{i:03x}{r:02x}"));
            }
        }
        out
    }

    /// Rebuilds from the saved forms ([`Attempted::port_ranges`],
    /// [`Attempted::host_sketch`]); `None` when either is malformed.
    pub fn from_saved(ports: &str, sketch: &str) -> Option<Attempted> {
        let mut attempted = Attempted::default();
        for part in ports.split(',').filter(|p| !p.is_empty()) {
            let (low, high) = match part.split_once('-') {
                Some((low, high)) => (low.parse::<u16>().ok()?, high.parse::<u16>().ok()?),
                None => {
                    let port = part.parse::<u16>().ok()?;
                    (port, port)
                }
            };
            if low > high {
                return None;
            }
            for port in low..=high {
                attempted.ports[usize::from(port / 64)] |= 1 << (port % 64);
            }
        }
        if !sketch.is_ascii() {
            return None;
        }
        if let Some(hashes) = sketch.strip_prefix('=') {
            if !hashes.len().is_multiple_of(16) {
                return None;
            }
            for chunk in hashes.as_bytes().chunks(16) {
                let hash = u64::from_str_radix(std::str::from_utf8(chunk).ok()?, 16).ok()?;
                attempted.add_hash(hash);
            }
            return Some(attempted);
        }
        attempted.exact = None;
        if !sketch.len().is_multiple_of(5) {
            return None;
        }
        for chunk in sketch.as_bytes().chunks(5) {
            let chunk = std::str::from_utf8(chunk).ok()?;
            let index = usize::from_str_radix(&chunk[..3], 16).ok()?;
            let value = u8::from_str_radix(&chunk[3..], 16).ok()?;
            let slot = attempted.registers.get_mut(index)?;
            *slot = (*slot).max(value);
        }
        Some(attempted)
    }
}

impl AddAssign<&Attempted> for Attempted {
    // Merging sets is a union: bitwise or of the port bits.
    #[allow(clippy::suspicious_op_assign_impl)]
    fn add_assign(&mut self, other: &Attempted) {
        for (mine, theirs) in self.ports.iter_mut().zip(other.ports.iter()) {
            *mine |= theirs;
        }
        for (mine, theirs) in self.registers.iter_mut().zip(other.registers.iter()) {
            *mine = (*mine).max(*theirs);
        }
        match &other.exact {
            Some(theirs) => {
                for &hash in theirs {
                    self.note_exact(hash);
                }
            }
            None => self.exact = None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn v4(i: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i))
    }

    #[test]
    fn ports_are_exact_and_hosts_exact_when_few() {
        let mut a = Attempted::default();
        for port in 1..=3000 {
            a.add(v4(1), port);
        }
        a.add(IpAddr::V6(Ipv6Addr::LOCALHOST), 22);
        assert_eq!(a.ports(), 3000);
        assert_eq!(a.hosts(), 2);
        assert!(!a.hosts_approximate());
        assert_eq!(a.port_ranges(), "1-3000");
    }

    #[test]
    fn many_hosts_are_estimated_within_a_few_percent() {
        let mut a = Attempted::default();
        for i in 0..100_000 {
            a.add(v4(i), 22);
        }
        let hosts = a.hosts() as f64;
        assert!((hosts - 100_000.0).abs() / 100_000.0 < 0.05, "{hosts}");
        assert!(a.hosts_approximate());
        for i in 0..EXACT_HOSTS as u32 {
            let mut b = Attempted::default();
            for j in 0..=i {
                b.add(v4(j * 7919), 80);
            }
            assert_eq!(b.hosts(), u64::from(i) + 1);
        }
    }

    #[test]
    fn saved_forms_round_trip_and_merging_is_a_union() {
        let mut a = Attempted::default();
        let mut b = Attempted::default();
        let mut both = Attempted::default();
        for i in 0..500u16 {
            let (host, port) = (v4(u32::from(i % 37)), i * 131);
            if i % 3 == 0 { &mut a } else { &mut b }.add(host, port);
            both.add(host, port);
        }
        let mut merged = a.clone();
        merged += &b;
        assert_eq!(merged, both);
        let back = Attempted::from_saved(&both.port_ranges(), &both.host_sketch())
            .expect("saved forms parse");
        assert_eq!(back, both);
        assert!(Attempted::from_saved("5-1", "").is_none());
        assert!(Attempted::from_saved("1", "fff").is_none());
        assert!(Attempted::from_saved("70000", "").is_none());
    }
}
