//! The bounded table of names learnt: one name per address.
//!
//! **Which name wins.** Of the names learnt for an address, the table keeps
//! the one learnt the most trusted way ([`NameSource`] order: a DNS answer
//! to what the client asked for, then TLS SNI, QUIC SNI, the HTTP `Host`
//! header, and last a PTR answer); between names learnt the same way, the
//! first seen (by capture time; at the same instant, the name first in
//! alphabetical order). The rule depends only on what was learnt, never
//! on the order tables are merged in, so tallies of several threads or
//! files merge (`+=`) to the table of one pass (below its capacity).
//!
//! **Bounded.** At most [`NAME_CAPACITY`] addresses; a name for a new
//! address once the table is full is dropped and counted, so that output
//! can say the table is approximate.

use super::{Learnt, NameSource};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::AddAssign;

/// The most addresses the table names (about 1.5 MiB at most).
pub const NAME_CAPACITY: usize = 16_384;

/// The name kept for one address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameEntry {
    /// The name.
    pub name: Box<str>,
    /// How it was learnt.
    pub source: NameSource,
    /// When it was first learnt so (ns since the epoch).
    pub first_ns: i64,
    /// The canonical name at the end of a CNAME chain, when the DNS answer
    /// went through one.
    pub canonical: Option<Box<str>>,
}

impl NameEntry {
    /// Whether this entry wins over `other` (see the module's rule).
    fn beats(&self, source: NameSource, first_ns: i64, name: &str) -> bool {
        (self.source, self.first_ns, &*self.name) < (source, first_ns, name)
    }
}

/// Names learnt for addresses, bounded (see the module documentation).
#[derive(Clone, Debug, Default)]
pub struct NameTable {
    entries: HashMap<IpAddr, NameEntry, foldhash::fast::RandomState>,
    dropped: u64,
}

impl NameTable {
    /// Offers another table's entry for `address`.
    fn offer_entry(&mut self, address: IpAddr, entry: &NameEntry) {
        self.offer(
            address,
            &entry.name,
            entry.source,
            entry.first_ns,
            entry.canonical.as_deref(),
        );
    }

    /// An empty table.
    pub fn new() -> NameTable {
        NameTable::default()
    }

    /// Takes in what one frame taught, at capture time `ts_nanos`.
    pub fn learn(&mut self, learnt: &Learnt, ts_nanos: i64) {
        let canonical = learnt.canonical.as_ref().map(|c| c.as_str());
        for &address in learnt.addresses() {
            self.offer(
                address,
                learnt.name.as_str(),
                learnt.source,
                ts_nanos,
                canonical,
            );
        }
    }

    /// Offers one name for `address`; it is kept when it wins over the
    /// name kept so far (nothing is allocated when it does not, nor when
    /// it is the same name seen again).
    pub fn offer(
        &mut self,
        address: IpAddr,
        name: &str,
        source: NameSource,
        first_ns: i64,
        canonical: Option<&str>,
    ) {
        let fresh = || NameEntry {
            name: name.into(),
            source,
            first_ns,
            canonical: canonical.map(Into::into),
        };
        let full = self.entries.len() >= NAME_CAPACITY;
        match self.entries.get_mut(&address) {
            Some(kept) if kept.source == source && *kept.name == *name => {
                // The same name again: the earliest sighting, and its
                // canonical name (the lesser one at the same instant).
                let canonical_earlier = first_ns < kept.first_ns
                    || (first_ns == kept.first_ns
                        && canonical.is_some()
                        && (kept.canonical.is_none() || canonical < kept.canonical.as_deref()));
                if canonical_earlier {
                    kept.canonical = canonical.map(Into::into);
                }
                kept.first_ns = kept.first_ns.min(first_ns);
            }
            Some(kept) => {
                if !kept.beats(source, first_ns, name) {
                    *kept = fresh();
                }
            }
            None if full => self.dropped += 1,
            None => {
                self.entries.insert(address, fresh());
            }
        }
    }

    /// The name of `address`, when one was learnt.
    #[inline]
    pub fn get(&self, address: IpAddr) -> Option<&NameEntry> {
        if self.entries.is_empty() {
            return None;
        }
        self.entries.get(&address)
    }

    /// Addresses named.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no address is named.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Names dropped because the table was full (each time one was
    /// learnt for an address it had no room for).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Counts names dropped elsewhere (a saved summary read back).
    pub fn add_dropped(&mut self, dropped: u64) {
        self.dropped = self.dropped.saturating_add(dropped);
    }

    /// Every address with its name, by address (IPv4 first).
    pub fn entries(&self) -> Vec<(IpAddr, &NameEntry)> {
        // IPv4 before IPv6, each sorted by its address as a plain integer
        // (the narrowest key: this runs over every name for every output).
        let mut v4: Vec<(u32, &NameEntry)> = Vec::new();
        let mut v6: Vec<(u128, &NameEntry)> = Vec::new();
        for (address, entry) in &self.entries {
            match address {
                IpAddr::V4(a) => v4.push((a.to_bits(), entry)),
                IpAddr::V6(a) => v6.push((a.to_bits(), entry)),
            }
        }
        v4.sort_unstable_by_key(|&(key, _)| key);
        v6.sort_unstable_by_key(|&(key, _)| key);
        let v4 = v4
            .into_iter()
            .map(|(bits, e)| (IpAddr::V4(Ipv4Addr::from_bits(bits)), e));
        let v6 = v6
            .into_iter()
            .map(|(bits, e)| (IpAddr::V6(Ipv6Addr::from_bits(bits)), e));
        v4.chain(v6).collect()
    }
}

impl AddAssign for NameTable {
    fn add_assign(&mut self, mut other: NameTable) {
        // An empty table takes the other's as it is (a shard's tally
        // merged into an empty one).
        if self.entries.is_empty() {
            std::mem::swap(self, &mut other);
        }
        *self += &other;
    }
}

impl AddAssign<&NameTable> for NameTable {
    fn add_assign(&mut self, other: &NameTable) {
        if self.entries.len() + other.entries.len() <= NAME_CAPACITY {
            // Nothing can be dropped: in any order.
            for (&address, entry) in &other.entries {
                self.offer_entry(address, entry);
            }
            self.add_dropped(other.dropped);
            return;
        }
        // In address order, so that which addresses a full table drops
        // does not depend on hashing.
        for (address, entry) in other.entries() {
            self.offer_entry(address, entry);
        }
        self.add_dropped(other.dropped);
    }
}

#[cfg(test)]
mod tests {
    use super::super::HostName;
    use super::*;
    use std::net::Ipv4Addr;

    fn v4(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(10, 0, 3, last))
    }

    fn learnt(source: NameSource, name: &str, address: IpAddr) -> Learnt {
        Learnt::one(
            source,
            HostName::new(name.as_bytes()).expect("name"),
            address,
        )
    }

    fn name_of(table: &NameTable, address: IpAddr) -> Option<(String, NameSource)> {
        table.get(address).map(|e| (e.name.to_string(), e.source))
    }

    /// Names offered (how, what, when), in order.
    type Offers<'a> = &'a [(NameSource, &'a str, i64)];

    #[test]
    fn the_most_trusted_source_wins_then_the_first_seen() {
        use NameSource::*;
        // (what is learnt at which time, in the order offered) → kept.
        let cases: [(Offers<'_>, (&str, NameSource)); 6] = [
            (
                &[(DnsPtr, "ptr.test", 1), (HttpHost, "host.test", 2)],
                ("host.test", HttpHost),
            ),
            (
                &[(HttpHost, "host.test", 1), (TlsSni, "sni.test", 2)],
                ("sni.test", TlsSni),
            ),
            (
                &[(TlsSni, "sni.test", 1), (QuicSni, "quic.test", 0)],
                ("sni.test", TlsSni),
            ),
            (
                &[(Dns, "asked.test", 9), (TlsSni, "sni.test", 1)],
                ("asked.test", Dns),
            ),
            (
                &[(Dns, "later.test", 5), (Dns, "first.test", 3)],
                ("first.test", Dns),
            ),
            (&[(Dns, "b.test", 3), (Dns, "a.test", 3)], ("a.test", Dns)),
        ];
        for (offers, expected) in cases {
            // Offered in either order, and as two tables merged either way.
            let mut forward = NameTable::new();
            let mut backward = NameTable::new();
            for &(source, name, ts) in offers {
                forward.learn(&learnt(source, name, v4(17)), ts);
            }
            for &(source, name, ts) in offers.iter().rev() {
                backward.learn(&learnt(source, name, v4(17)), ts);
            }
            let (mut merged, mut reversed) = (NameTable::new(), NameTable::new());
            let mut parts: Vec<NameTable> = Vec::new();
            for &(source, name, ts) in offers {
                let mut part = NameTable::new();
                part.learn(&learnt(source, name, v4(17)), ts);
                parts.push(part);
            }
            for part in &parts {
                merged += part;
            }
            for part in parts.iter().rev() {
                reversed += part;
            }
            let expected = Some((expected.0.to_string(), expected.1));
            for table in [&forward, &backward, &merged, &reversed] {
                assert_eq!(name_of(table, v4(17)), expected, "{offers:?}");
            }
        }
    }

    #[test]
    fn the_same_name_again_keeps_its_first_time_and_allocates_nothing_new() {
        let mut table = NameTable::new();
        table.learn(&learnt(NameSource::TlsSni, "a.test", v4(1)), 50);
        let before = table.get(v4(1)).map(|e| e.name.as_ptr());
        table.learn(&learnt(NameSource::TlsSni, "a.test", v4(1)), 20);
        table.learn(&learnt(NameSource::TlsSni, "a.test", v4(1)), 90);
        let entry = table.get(v4(1)).expect("named");
        assert_eq!(entry.first_ns, 20);
        assert_eq!(Some(entry.name.as_ptr()), before);
    }

    #[test]
    fn a_full_table_drops_new_addresses_and_counts_them() {
        let mut table = NameTable::new();
        let name = HostName::new(b"many.test").expect("name");
        for i in 0..NAME_CAPACITY as u32 + 5 {
            let address = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i));
            table.learn(&Learnt::one(NameSource::Dns, name, address), 1);
        }
        assert_eq!(table.len(), NAME_CAPACITY);
        assert_eq!(table.dropped(), 5);
        // A known address still changes its name.
        let first = IpAddr::V4(Ipv4Addr::from(0x0a00_0000));
        table.learn(&Learnt::one(NameSource::Dns, name, first), 0);
        assert_eq!(table.get(first).map(|e| e.first_ns), Some(0));
        assert_eq!(table.dropped(), 5);
        let mut merged = NameTable::new();
        merged += &table;
        merged += &table;
        assert_eq!(merged.len(), NAME_CAPACITY);
        assert_eq!(merged.dropped(), 10);
    }

    #[test]
    fn canonical_names_follow_the_kept_sighting() {
        let name = HostName::new(b"www.test").expect("name");
        let mut early = Learnt::one(NameSource::Dns, name, v4(1));
        early.canonical = HostName::new(b"edge.cdn.test");
        let late = Learnt::one(NameSource::Dns, name, v4(1));
        let mut table = NameTable::new();
        table.learn(&late, 9);
        table.learn(&early, 3);
        let entry = table.get(v4(1)).expect("named");
        assert_eq!(entry.canonical.as_deref(), Some("edge.cdn.test"));
        assert_eq!(entry.first_ns, 3);
    }
}
