//! tally: counters keyed by transport, port and service, plus the capture
//! facts of each input. Tallies of separate inputs or threads merge with `+=`.
//!
//! Counting never allocates per packet: the port and service counters are
//! flat 65,536-entry tables per transport, allocated on the first frame of
//! that transport (3 MiB each).

pub mod report;
pub mod scans;
pub mod timeseries;
pub mod topk;

use crate::classify::Naming;
use crate::decode::{Category, DecodeProblem, PacketInfo, Transport};
use std::ops::AddAssign;

/// Packets and bytes (original wire length).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counter {
    /// Number of frames.
    pub packets: u64,
    /// Sum of their original wire lengths.
    pub bytes: u64,
}

impl Counter {
    #[inline]
    fn add(&mut self, wire_len: u64) {
        self.packets += 1;
        self.bytes += wire_len;
    }
}

impl AddAssign for Counter {
    /// Saturates rather than wrapping: merged summaries from strangers can
    /// claim anything.
    fn add_assign(&mut self, other: Counter) {
        self.packets = self.packets.saturating_add(other.packets);
        self.bytes = self.bytes.saturating_add(other.bytes);
    }
}

/// Traffic seen from one port, split by direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortCounters {
    /// Frames whose source port this was.
    pub src: Counter,
    /// Frames whose destination port this was.
    pub dst: Counter,
}

impl AddAssign for PortCounters {
    fn add_assign(&mut self, other: PortCounters) {
        self.src += other.src;
        self.dst += other.dst;
    }
}

const PORTS: usize = 1 << 16;

/// Per-port counters as plain arrays: `[src_packets, src_bytes, dst_packets,
/// dst_bytes]`. Zeroed arrays of integers are allocated as zero pages (no
/// memset, no page touched until used), which keeps start-up cheap; one
/// port's four counters share a cache line.
type PortSlot = [u64; 4];
/// `[packets, bytes]` of one service row.
type ServiceSlot = [u64; 2];

/// The per-port and per-service counters of one transport.
#[derive(Clone, Debug)]
struct TransportTally {
    ports: Box<[PortSlot]>,
    services: Box<[ServiceSlot]>,
    dynamic: Counter,
}

impl TransportTally {
    fn new() -> Box<TransportTally> {
        Box::new(TransportTally {
            ports: vec![[0; 4]; PORTS].into_boxed_slice(),
            services: vec![[0; 2]; PORTS].into_boxed_slice(),
            dynamic: Counter::default(),
        })
    }
}

impl AddAssign<&TransportTally> for TransportTally {
    fn add_assign(&mut self, other: &TransportTally) {
        for (mine, theirs) in self.ports.iter_mut().zip(other.ports.iter()) {
            for (m, t) in mine.iter_mut().zip(theirs) {
                *m += t;
            }
        }
        for (mine, theirs) in self.services.iter_mut().zip(other.services.iter()) {
            mine[0] += theirs[0];
            mine[1] += theirs[1];
        }
        self.dynamic += other.dynamic;
    }
}

/// Where a service row's frames were attributed by the naming rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceKey {
    /// Frames named by this port.
    Port(Transport, u16),
    /// Frames between two dynamic ports, neither in the port database.
    Dynamic(Transport),
}

/// How far an input was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputStatus {
    /// Read to the end.
    Complete,
    /// Read up to an error; what came before it is counted.
    Partial(String),
    /// Could not be read at all.
    Failed(String),
}

/// The capture facts of one input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputFacts {
    /// Its position among the inputs of the run (0-based).
    pub position: usize,
    /// The input as named on the command line (`<stdin>` for `-`).
    pub name: String,
    /// The file format, as the capture reader describes it.
    pub format: String,
    /// Link types and their frame counts, in order of first appearance.
    pub link_types: Vec<(u16, u64)>,
    /// Frames and bytes read from this input.
    pub total: Counter,
    /// Earliest and latest frame timestamps (ns since the epoch).
    pub time_span: Option<(i64, i64)>,
    /// How far it was read.
    pub status: InputStatus,
}

impl InputFacts {
    /// Facts of an input not read yet.
    pub fn new(position: usize, name: String) -> InputFacts {
        InputFacts {
            position,
            name,
            format: String::new(),
            link_types: Vec::new(),
            total: Counter::default(),
            time_span: None,
            status: InputStatus::Complete,
        }
    }
}

/// Counts for any number of frames from any number of inputs.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    total: Counter,
    categories: [Counter; Category::ALL.len()],
    problems: [u64; DecodeProblem::ALL.len()],
    transports: [Option<Box<TransportTally>>; Transport::ALL.len()],
    time_span: Option<(i64, i64)>,
    link_types: Vec<(u16, u64)>,
    inputs: Vec<InputFacts>,
}

impl Tally {
    /// An empty tally.
    pub fn new() -> Tally {
        Tally::default()
    }

    /// Counts one frame: its category, ports and service attribution
    /// (`naming`, from the classify rule, for frames with ports), decode
    /// problem, link type and timestamp. The hot path: no allocation except
    /// on the first frame of a new transport or link type.
    #[inline]
    pub fn count(
        &mut self,
        info: &PacketInfo,
        naming: Option<Naming>,
        wire_len: u32,
        link_type: u16,
        ts_nanos: i64,
    ) {
        let wire_len = u64::from(wire_len);
        self.total.add(wire_len);
        self.categories[info.category.index()].add(wire_len);
        if let Some(problem) = info.problem {
            self.problems[problem.index()] += 1;
        }
        if let (Some(transport), Some(naming)) = (info.category.transport(), naming) {
            let t = self.transports[transport.index()].get_or_insert_with(TransportTally::new);
            let src = &mut t.ports[usize::from(info.src_port)];
            src[0] += 1;
            src[1] += wire_len;
            let dst = &mut t.ports[usize::from(info.dst_port)];
            dst[2] += 1;
            dst[3] += wire_len;
            match naming {
                Naming::Port(p) => {
                    let service = &mut t.services[usize::from(p)];
                    service[0] += 1;
                    service[1] += wire_len;
                }
                Naming::Dynamic => t.dynamic.add(wire_len),
            }
        }
        self.time_span = Some(match self.time_span {
            None => (ts_nanos, ts_nanos),
            Some((first, last)) => (first.min(ts_nanos), last.max(ts_nanos)),
        });
        match self.link_types.iter_mut().find(|(lt, _)| *lt == link_type) {
            Some((_, n)) => *n += 1,
            None => self.link_types.push((link_type, 1)),
        }
    }

    /// Records the facts of one input whose frames this tally counted
    /// (`format` and `status` describe the input; the counts come from the
    /// tally itself, so call this once, after the input's last frame, on a
    /// tally that holds only that input's frames).
    pub fn finish_input(
        &mut self,
        position: usize,
        name: String,
        format: String,
        status: InputStatus,
    ) {
        let facts = InputFacts {
            position,
            name,
            format,
            link_types: self.link_types.clone(),
            total: self.total,
            time_span: self.time_span,
            status,
        };
        self.inputs.push(facts);
    }

    /// Records an input that could not be read at all.
    pub fn failed_input(&mut self, position: usize, name: String, error: String) {
        let mut facts = InputFacts::new(position, name);
        facts.status = InputStatus::Failed(error);
        self.inputs.push(facts);
    }

    /// All frames.
    pub fn total(&self) -> Counter {
        self.total
    }

    /// Frames of one category.
    pub fn category(&self, category: Category) -> Counter {
        self.categories[category.index()]
    }

    /// How many frames stopped decoding for `problem`.
    pub fn problem(&self, problem: DecodeProblem) -> u64 {
        self.problems[problem.index()]
    }

    /// Earliest and latest timestamps (ns since the epoch) of all frames.
    pub fn time_span(&self) -> Option<(i64, i64)> {
        self.time_span
    }

    /// Link types and their frame counts.
    pub fn link_types(&self) -> &[(u16, u64)] {
        &self.link_types
    }

    /// The inputs counted, in the order they were finished or merged.
    pub fn inputs(&self) -> &[InputFacts] {
        &self.inputs
    }

    /// Shifts the inputs' positions by `offset` (a summary read back as the
    /// input at `offset`).
    pub fn renumber_inputs(&mut self, offset: usize) {
        for input in &mut self.inputs {
            input.position += offset;
        }
    }

    /// Puts the inputs back in command-line order (merging from several
    /// threads finishes them in any order).
    pub fn sort_inputs(&mut self) {
        self.inputs.sort_by_key(|i| i.position);
    }

    /// Every port seen, with its counters, ordered by transport then port.
    pub fn ports(&self) -> impl Iterator<Item = (Transport, u16, PortCounters)> + '_ {
        self.each_transport().flat_map(|(transport, t)| {
            t.ports
                .iter()
                .enumerate()
                .filter(|(_, c)| c[0] != 0 || c[2] != 0)
                .map(move |(port, c)| {
                    let counters = PortCounters {
                        src: Counter {
                            packets: c[0],
                            bytes: c[1],
                        },
                        dst: Counter {
                            packets: c[2],
                            bytes: c[3],
                        },
                    };
                    (transport, port as u16, counters)
                })
        })
    }

    /// Every service row with traffic, ordered by transport then port, with
    /// each transport's dynamic row last.
    pub fn services(&self) -> impl Iterator<Item = (ServiceKey, Counter)> + '_ {
        self.each_transport().flat_map(|(transport, t)| {
            let named = t
                .services
                .iter()
                .enumerate()
                .filter(|(_, c)| c[0] != 0)
                .map(move |(port, c)| {
                    let counter = Counter {
                        packets: c[0],
                        bytes: c[1],
                    };
                    (ServiceKey::Port(transport, port as u16), counter)
                });
            let dynamic =
                (t.dynamic.packets != 0).then_some((ServiceKey::Dynamic(transport), t.dynamic));
            named.chain(dynamic)
        })
    }

    fn each_transport(&self) -> impl Iterator<Item = (Transport, &TransportTally)> {
        Transport::ALL
            .into_iter()
            .filter_map(|t| self.transports[t.index()].as_deref().map(|tt| (t, tt)))
    }
}

/// Everything a [`Tally`] holds, for rebuilding one from a saved summary.
#[derive(Clone, Debug, Default)]
pub struct TallyParts {
    /// All frames.
    pub total: Counter,
    /// Frames per category, in [`Category::ALL`] order.
    pub categories: [Counter; Category::ALL.len()],
    /// Frames per decode problem, in [`DecodeProblem::ALL`] order.
    pub problems: [u64; DecodeProblem::ALL.len()],
    /// Per-port counters.
    pub ports: Vec<(Transport, u16, PortCounters)>,
    /// Service rows.
    pub services: Vec<(ServiceKey, Counter)>,
    /// First and last timestamps.
    pub time_span: Option<(i64, i64)>,
    /// Link types and their frames.
    pub link_types: Vec<(u16, u64)>,
    /// The inputs.
    pub inputs: Vec<InputFacts>,
}

impl Tally {
    /// Rebuilds a tally from its parts (a saved JSON summary read back).
    pub fn from_parts(parts: TallyParts) -> Tally {
        let mut tally = Tally {
            total: parts.total,
            categories: parts.categories,
            problems: parts.problems,
            transports: Default::default(),
            time_span: parts.time_span,
            link_types: parts.link_types,
            inputs: parts.inputs,
        };
        for (transport, port, c) in parts.ports {
            let t = tally.transports[transport.index()].get_or_insert_with(TransportTally::new);
            let slot = &mut t.ports[usize::from(port)];
            slot[0] += c.src.packets;
            slot[1] += c.src.bytes;
            slot[2] += c.dst.packets;
            slot[3] += c.dst.bytes;
        }
        for (key, c) in parts.services {
            let transport = match key {
                ServiceKey::Port(t, _) | ServiceKey::Dynamic(t) => t,
            };
            let t = tally.transports[transport.index()].get_or_insert_with(TransportTally::new);
            match key {
                ServiceKey::Port(_, p) => {
                    let slot = &mut t.services[usize::from(p)];
                    slot[0] += c.packets;
                    slot[1] += c.bytes;
                }
                ServiceKey::Dynamic(_) => t.dynamic += c,
            }
        }
        tally
    }
}

impl AddAssign<&Tally> for Tally {
    fn add_assign(&mut self, other: &Tally) {
        self.total += other.total;
        for (mine, theirs) in self.categories.iter_mut().zip(other.categories) {
            *mine += theirs;
        }
        for (mine, theirs) in self.problems.iter_mut().zip(other.problems) {
            *mine += theirs;
        }
        for (mine, theirs) in self.transports.iter_mut().zip(other.transports.iter()) {
            match (mine.as_deref_mut(), theirs.as_deref()) {
                (_, None) => {}
                (Some(m), Some(t)) => *m += t,
                (None, Some(t)) => *mine = Some(Box::new(t.clone())),
            }
        }
        self.time_span = match (self.time_span, other.time_span) {
            (Some((a0, a1)), Some((b0, b1))) => Some((a0.min(b0), a1.max(b1))),
            (a, b) => a.or(b),
        };
        for &(lt, n) in &other.link_types {
            match self.link_types.iter_mut().find(|(l, _)| *l == lt) {
                Some((_, m)) => *m += n,
                None => self.link_types.push((lt, n)),
            }
        }
        self.inputs.extend(other.inputs.iter().cloned());
    }
}

impl AddAssign for Tally {
    fn add_assign(&mut self, other: Tally) {
        *self += &other;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A frame as the tally sees it: decode summary, naming, length, time.
    type Frame = (PacketInfo, Option<Naming>, u32, u16, i64);

    fn frame(category_pick: u8, src: u16, dst: u16, len: u32, ts: i64) -> Frame {
        let info = match category_pick % 6 {
            0 => PacketInfo::ports(Transport::Tcp, src, dst),
            1 => PacketInfo::ports(Transport::Udp, src, dst),
            2 => PacketInfo::ports(Transport::Sctp, src, dst),
            3 => PacketInfo::problem(Category::Truncated, DecodeProblem::PortsTruncated),
            4 => PacketInfo::plain(Category::Icmp),
            _ => PacketInfo::plain(Category::NonIp),
        };
        // Any deterministic attribution will do for counting tests.
        let naming = info.transport_ports().map(|(_, s, d)| {
            if s.min(d) >= 49152 {
                Naming::Dynamic
            } else {
                Naming::Port(s.min(d))
            }
        });
        (info, naming, len, u16::from(category_pick % 2), ts)
    }

    fn count_all(frames: &[Frame]) -> Tally {
        let mut tally = Tally::new();
        for (info, naming, len, link, ts) in frames {
            tally.count(info, *naming, *len, *link, *ts);
        }
        tally
    }

    /// Everything a tally exposes, in a comparable form.
    fn summary(t: &Tally) -> String {
        let mut links = t.link_types().to_vec();
        links.sort();
        let categories: Vec<Counter> = Category::ALL.iter().map(|&c| t.category(c)).collect();
        let problems: Vec<u64> = DecodeProblem::ALL.iter().map(|&p| t.problem(p)).collect();
        let ports: Vec<_> = t.ports().collect();
        let services: Vec<_> = t.services().collect();
        format!(
            "{:?} {categories:?} {problems:?} {ports:?} {services:?} {:?} {links:?}",
            t.total(),
            t.time_span()
        )
    }

    #[test]
    fn counts_each_frame_once_in_every_view() {
        let frames = [
            frame(0, 51234, 443, 100, 5),
            frame(0, 443, 51234, 1500, 7),
            frame(1, 60000, 50001, 80, 3),
            frame(3, 0, 0, 60, 9),
            frame(5, 0, 0, 42, 1),
        ];
        let t = count_all(&frames);
        assert_eq!(
            t.total(),
            Counter {
                packets: 5,
                bytes: 1782
            }
        );
        assert_eq!(
            t.category(Category::Tcp),
            Counter {
                packets: 2,
                bytes: 1600
            }
        );
        assert_eq!(t.problem(DecodeProblem::PortsTruncated), 1);
        assert_eq!(t.time_span(), Some((1, 9)));
        let services: Vec<_> = t.services().collect();
        assert_eq!(
            services,
            vec![
                (
                    ServiceKey::Port(Transport::Tcp, 443),
                    Counter {
                        packets: 2,
                        bytes: 1600
                    }
                ),
                (
                    ServiceKey::Dynamic(Transport::Udp),
                    Counter {
                        packets: 1,
                        bytes: 80
                    }
                ),
            ]
        );
        let port_443: Vec<_> = t.ports().filter(|p| p.1 == 443).collect();
        assert_eq!(
            port_443[0].2.src,
            Counter {
                packets: 1,
                bytes: 1500
            }
        );
        assert_eq!(
            port_443[0].2.dst,
            Counter {
                packets: 1,
                bytes: 100
            }
        );
    }

    #[test]
    fn counters_do_not_overflow_past_4_gib() {
        let mut t = Tally::new();
        let info = PacketInfo::ports(Transport::Tcp, 1, 2);
        for _ in 0..3 {
            t.count(&info, Some(Naming::Port(1)), u32::MAX, 1, 0);
        }
        assert_eq!(t.total().bytes, 3 * u64::from(u32::MAX));
    }

    proptest! {
        // Each case allocates several 3 MiB tallies; fewer cases keep the
        // debug-build test quick.
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Merge law: counting A then B equals counting A and B apart and
        /// adding the tallies, whichever way round.
        #[test]
        fn merging_equals_counting_together(
            frames in proptest::collection::vec((any::<u8>(), any::<u16>(), any::<u16>(), 0u32..70_000, -5i64..5), 0..60),
            split in 0usize..60,
        ) {
            let frames: Vec<Frame> = frames.into_iter().map(|(c, s, d, l, ts)| frame(c, s, d, l, ts)).collect();
            let split = split.min(frames.len());
            let together = count_all(&frames);
            let mut merged = count_all(&frames[..split]);
            merged += count_all(&frames[split..]);
            let mut reversed = count_all(&frames[split..]);
            reversed += &count_all(&frames[..split]);
            prop_assert_eq!(summary(&merged), summary(&together));
            prop_assert_eq!(summary(&reversed), summary(&together));
        }
    }
}
