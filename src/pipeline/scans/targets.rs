//! The targets of one window and what each did: the ports of a vertical
//! key (a sorted list, then a 2-bit map) and the hosts of a horizontal one,
//! with the evidence a finding samples from them.

use super::report::ScanEvidence;
use foldhash::HashMap;
use std::fmt;
use std::net::IpAddr;

/// Ports a vertical key lists before it switches to the 2-bit map (the list
/// then takes 2 KiB, the map 16 KiB).
const PORT_LIST_MAX: usize = 512;
/// Words of the 2-bit port map: 65,536 ports × 2 bits.
const PORT_MAP_WORDS: usize = (1 << 16) * 2 / 64;
/// Port ranges a finding's evidence lists.
pub(super) const EVIDENCE_RANGES: usize = 8;
/// Open ports a finding's evidence lists.
pub(super) const EVIDENCE_OPEN_PORTS: usize = 16;
/// Open hosts a finding's evidence lists.
const EVIDENCE_OPEN_HOSTS: usize = 8;

/// What is known of one target in a window. The numbers are its 2-bit code
/// in the port map (0: not probed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(super) enum Reply {
    /// Probed, no reply yet.
    None = 1,
    /// Refused (TCP RST), never answered.
    Refused = 2,
    /// Answered.
    Answered = 3,
}

impl Reply {
    fn from_code(code: u64) -> Option<Reply> {
        match code {
            1 => Some(Reply::None),
            2 => Some(Reply::Refused),
            3 => Some(Reply::Answered),
            _ => None,
        }
    }
}

/// What recording a probe did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Recorded {
    /// A target new to the window.
    New,
    /// A target probed before in the window, with what is known of it.
    Known(Reply),
    /// A new target not remembered: the set is at its bound.
    Dropped,
}

/// The targets of one window with what each did.
pub(super) trait Targets: Default + Clone + fmt::Debug {
    /// A port or a host.
    type Target: Copy + PartialEq + fmt::Debug;

    /// Records a probe of `target`. `may_grow`: the set may allocate;
    /// `max_len`: the most targets it may hold.
    fn probe(&mut self, target: Self::Target, may_grow: bool, max_len: usize) -> Recorded;

    /// What is known of a probed target.
    fn get(&self, target: Self::Target) -> Option<Reply>;

    /// Sets what is known of a probed target.
    fn set(&mut self, target: Self::Target, reply: Reply);

    /// Whether no target is held.
    fn is_empty(&self) -> bool;

    /// Heap bytes held.
    fn heap_bytes(&self) -> usize;

    /// A sample for the finding; `open` is the number of answered targets.
    fn evidence(&self, first: Self::Target, last: Self::Target, open: u64) -> ScanEvidence;
}

/// The ports of a vertical key: a sorted list while short, then a map of 2
/// bits per port.
#[derive(Clone, Debug)]
pub(super) enum PortStates {
    List(Vec<(u16, Reply)>),
    Map(Box<[u64]>),
}

impl Default for PortStates {
    fn default() -> PortStates {
        PortStates::List(Vec::new())
    }
}

fn map_get(map: &[u64], port: u16) -> u64 {
    let p = usize::from(port);
    (map[p / 32] >> ((p % 32) * 2)) & 3
}

fn map_set(map: &mut [u64], port: u16, reply: Reply) {
    let p = usize::from(port);
    let shift = (p % 32) * 2;
    let word = &mut map[p / 32];
    *word = (*word & !(3 << shift)) | ((reply as u64) << shift);
}

impl PortStates {
    /// Calls `f` with every probed port, ascending.
    fn visit(&self, mut f: impl FnMut(u16, Reply)) {
        match self {
            PortStates::List(list) => {
                for &(port, reply) in list {
                    f(port, reply);
                }
            }
            PortStates::Map(map) => {
                for (i, &word) in map.iter().enumerate() {
                    let mut rest = word;
                    while rest != 0 {
                        let slot = rest.trailing_zeros() / 2;
                        rest &= !(3 << (slot * 2));
                        let port = (i * 32) as u32 + slot;
                        if let (Ok(port), Some(reply)) = (
                            u16::try_from(port),
                            Reply::from_code((word >> (slot * 2)) & 3),
                        ) {
                            f(port, reply);
                        }
                    }
                }
            }
        }
    }
}

impl Targets for PortStates {
    type Target = u16;

    fn probe(&mut self, port: u16, may_grow: bool, _max_len: usize) -> Recorded {
        match self {
            PortStates::List(list) => {
                let at = match list.binary_search_by_key(&port, |&(p, _)| p) {
                    Ok(i) => return Recorded::Known(list[i].1),
                    Err(at) => at,
                };
                if list.len() == list.capacity() {
                    if !may_grow {
                        return Recorded::Dropped;
                    }
                    if list.len() >= PORT_LIST_MAX {
                        let mut map = vec![0u64; PORT_MAP_WORDS].into_boxed_slice();
                        for &(p, reply) in list.iter() {
                            map_set(&mut map, p, reply);
                        }
                        map_set(&mut map, port, Reply::None);
                        *self = PortStates::Map(map);
                        return Recorded::New;
                    }
                    let capacity = (list.capacity() * 2).clamp(8, PORT_LIST_MAX);
                    list.reserve_exact(capacity - list.len());
                }
                list.insert(at, (port, Reply::None));
                Recorded::New
            }
            PortStates::Map(map) => {
                if let Some(reply) = Reply::from_code(map_get(map, port)) {
                    return Recorded::Known(reply);
                }
                map_set(map, port, Reply::None);
                Recorded::New
            }
        }
    }

    fn get(&self, port: u16) -> Option<Reply> {
        match self {
            PortStates::List(list) => list
                .binary_search_by_key(&port, |&(p, _)| p)
                .ok()
                .map(|i| list[i].1),
            PortStates::Map(map) => Reply::from_code(map_get(map, port)),
        }
    }

    fn set(&mut self, port: u16, reply: Reply) {
        match self {
            PortStates::List(list) => {
                if let Ok(i) = list.binary_search_by_key(&port, |&(p, _)| p) {
                    list[i].1 = reply;
                }
            }
            PortStates::Map(map) => {
                if map_get(map, port) != 0 {
                    map_set(map, port, reply);
                }
            }
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            PortStates::List(list) => list.is_empty(),
            PortStates::Map(_) => false,
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            PortStates::List(list) => list.capacity() * size_of::<(u16, Reply)>(),
            PortStates::Map(map) => map.len() * size_of::<u64>(),
        }
    }

    fn evidence(&self, _first: u16, _last: u16, open: u64) -> ScanEvidence {
        let mut ranges = Vec::new();
        let mut all_ranges = 0u64;
        let mut current: Option<(u16, u16)> = None;
        let mut open_ports = Vec::new();
        let mut close_range = |range: (u16, u16), ranges: &mut Vec<(u16, u16)>| {
            all_ranges += 1;
            if ranges.len() < EVIDENCE_RANGES {
                ranges.push(range);
            }
        };
        self.visit(|port, reply| {
            current = match current {
                Some((lo, hi)) if hi.checked_add(1) == Some(port) => Some((lo, port)),
                Some(range) => {
                    close_range(range, &mut ranges);
                    Some((port, port))
                }
                None => Some((port, port)),
            };
            if reply == Reply::Answered && open_ports.len() < EVIDENCE_OPEN_PORTS {
                open_ports.push(port);
            }
        });
        if let Some(range) = current {
            close_range(range, &mut ranges);
        }
        ScanEvidence::Ports {
            more_ranges: all_ranges - ranges.len() as u64,
            ranges,
            more_open: open.saturating_sub(open_ports.len() as u64),
            open: open_ports,
        }
    }
}

/// The hosts of a horizontal key.
#[derive(Clone, Debug, Default)]
pub(super) struct HostStates {
    hosts: HashMap<IpAddr, Reply>,
}

impl Targets for HostStates {
    type Target = IpAddr;

    fn probe(&mut self, host: IpAddr, may_grow: bool, max_len: usize) -> Recorded {
        // Not `entry`: it reserves room even when nothing is inserted.
        if let Some(&reply) = self.hosts.get(&host) {
            return Recorded::Known(reply);
        }
        let len = self.hosts.len();
        if len >= max_len || (len >= self.hosts.capacity() && !may_grow) {
            return Recorded::Dropped;
        }
        self.hosts.insert(host, Reply::None);
        Recorded::New
    }

    fn get(&self, host: IpAddr) -> Option<Reply> {
        self.hosts.get(&host).copied()
    }

    fn set(&mut self, host: IpAddr, reply: Reply) {
        if let Some(r) = self.hosts.get_mut(&host) {
            *r = reply;
        }
    }

    fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }

    fn heap_bytes(&self) -> usize {
        // A swiss table: buckets a power of two at most 7/8 full, one
        // control byte each.
        match self.hosts.capacity() {
            0 => 0,
            capacity => {
                let buckets = (capacity * 8 / 7).next_power_of_two();
                buckets * (size_of::<(IpAddr, Reply)>() + 1)
            }
        }
    }

    fn evidence(&self, first: IpAddr, last: IpAddr, open: u64) -> ScanEvidence {
        let mut open_hosts: Vec<IpAddr> = self
            .hosts
            .iter()
            .filter(|&(_, &reply)| reply == Reply::Answered)
            .map(|(&host, _)| host)
            .collect();
        open_hosts.sort_unstable();
        open_hosts.truncate(EVIDENCE_OPEN_HOSTS);
        ScanEvidence::Hosts {
            first,
            last,
            more_open: open.saturating_sub(open_hosts.len() as u64),
            open: open_hosts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;

    #[test]
    fn evidence_lists_the_first_ranges_and_open_ports() {
        let (scanner, victim) = (v4(192, 0, 2, 66), v4(10, 0, 0, 5));
        let mut run = Run::new(ScanSettings::default());
        // 20 odd ports, all open (20 ranges of one port), then 40 failed
        // ports in one range.
        for port in (1..=39).step_by(2) {
            run.probe(scanner, victim, port, 0);
            run.answer(victim, port, scanner);
        }
        for port in 100..140 {
            run.probe(scanner, victim, port, 0);
        }
        let report = run.report();
        let f = &report.findings[0];
        assert_eq!((f.distinct, f.open, f.unanswered), (60, 20, 40));
        assert_eq!(
            f.evidence.to_string(),
            "ports 1, 3, 5, 7, 9, 11, 13, 15 (+13 more ranges); \
             open 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31 (+4 more)"
        );
    }

    #[test]
    fn all_65536_ports_fit_in_the_port_map() {
        let (scanner, victim) = (v4(1, 2, 3, 4), v4(5, 6, 7, 8));
        let mut run = Run::new(ScanSettings::default());
        for port in 0..=u16::MAX {
            run.probe(scanner, victim, port, 0);
            if port % 1000 == 0 {
                run.answer(victim, port, scanner);
            } else {
                run.refuse(victim, port, scanner);
            }
        }
        let report = run.report();
        let f = report
            .findings
            .iter()
            .find(|f| f.kind == ScanKind::Vertical)
            .unwrap();
        assert_eq!((f.distinct, f.open, f.closed), (65_536, 66, 65_536 - 66));
        assert!(f.distinct_exact);
        assert_eq!(
            f.evidence.to_string(),
            "ports 0-65535; open 0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, \
             9000, 10000, 11000, 12000, 13000, 14000, 15000 (+50 more)"
        );
        // The one vertical key holds the 16 KiB map; the horizontal keys,
        // one host each, were swept out as the table filled.
        assert!(run.d.tracked(ScanKind::Horizontal) <= 16_384);
        assert!(report.evicted_keys[ScanKind::Horizontal.index()] > 0);
        assert_eq!(report.untracked_probes, [0, 0]);
        check_accounting(&run.d);
    }

    #[test]
    fn host_sets_are_capped_and_then_a_lower_bound() {
        let settings = ScanSettings {
            max_hosts_per_key: 30,
            ..ScanSettings::default()
        };
        let mut run = Run::new(settings);
        let scanner = v4(1, 2, 3, 4);
        for n in 0..100 {
            run.probe(scanner, host(n), 445, 0);
        }
        // A reply of a host not remembered counts no host as open; its
        // probe, answered, is not one of the scan.
        run.answer(host(99), 445, scanner);
        let f = &run.report().findings[0];
        assert_eq!((f.probes, f.distinct, f.distinct_exact), (99, 30, false));
        assert_eq!(f.open, 0);
        assert_eq!(
            f.evidence,
            ScanEvidence::Hosts {
                first: host(0),
                last: host(98),
                open: vec![],
                more_open: 0
            }
        );
        // The cap never goes below the threshold.
        let tiny = ScanSettings {
            max_hosts_per_key: 1,
            ..ScanSettings::default()
        };
        assert_eq!(ScanDetector::new(tiny).settings().max_hosts_per_key, 25);
    }
}
