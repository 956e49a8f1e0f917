//! tally: counters keyed by transport, port and service, plus the capture
//! facts of each input. Tallies of separate inputs or threads merge with `+=`.
//!
//! Counting never allocates per packet: the port and service counters are
//! flat 65,536-entry tables per transport, allocated on the first frame of
//! that transport (4.5 MiB each).
//!
//! May import `decode`, `classify`, `capture`'s error type and the records `pipeline` hands over
//! (`Counted`, `Classified`, `Resolved`, scan reports); never `render` or
//! `app`.

pub mod attempted;
pub mod buckets;
mod counters;
mod inputs;
mod parts;
pub mod report;
pub mod servers;
mod sketch;
pub mod timeseries;
pub mod topk;
mod transport;

pub use counters::{Counter, FragmentCounts, PortCounters, ServiceCounts, ServiceKey};
pub use inputs::{InputError, InputFacts, InputStatus};
pub use parts::TallyParts;

use crate::classify::Naming;
use crate::decode::{Category, DecodeProblem, PacketInfo, Transport, Tunnel};
use crate::pipeline::names::{Learnt, NameTable};
use crate::pipeline::scans::ScanReport;
use crate::pipeline::{Counted, FragmentOutcome, Identified, Resolved, ServiceHit};
use attempted::Attempted;
use buckets::ServiceBuckets;
use servers::{ServerKey, Servers};
use std::net::IpAddr;
use std::ops::AddAssign;
use transport::{ServiceSlot, TRANSPORT_SLOTS, TransportTally, add_service, slot_index, slot_key};

/// The server endpoint a row's frames show at `address`: a port named by a
/// handshake, the port database or a related channel (see [`servers`]);
/// never the heuristic's, the dynamic or the failed row.
fn server_of(hit: &ServiceHit, address: IpAddr) -> Option<ServerKey> {
    match hit.naming {
        Naming::Port(port) if hit.identified != Identified::Heuristic => Some(ServerKey {
            transport: hit.transport,
            address,
            port,
        }),
        _ => None,
    }
}

/// Counts for any number of frames from any number of inputs.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    total: Counter,
    categories: [Counter; Category::ALL.len()],
    problems: [u64; DecodeProblem::ALL.len()],
    transports: [Option<Box<TransportTally>>; TRANSPORT_SLOTS],
    fragments: FragmentCounts,
    tunnels: [Counter; Tunnel::ALL.len()],
    decap: bool,
    scans: Option<ScanReport>,
    servers: Servers,
    /// Names learnt for addresses.
    names: NameTable,
    time_span: Option<(i64, i64)>,
    link_types: Vec<(u16, u64)>,
    inputs: Vec<InputFacts>,
    /// Servers' conversations held back for the caller instead of counted
    /// (see [`Tally::defer_conversations`]).
    deferred: Option<Vec<(ServerKey, IpAddr)>>,
    /// Service rows per time bucket, when counted (see
    /// [`Tally::count_buckets`]).
    buckets: Option<Box<ServiceBuckets>>,
}

impl Tally {
    /// An empty tally.
    pub fn new() -> Tally {
        Tally::default()
    }

    /// Counts one frame: its category, ports, service row (from the
    /// classifier), fragment fate, tunnel, decode problem, link type and
    /// timestamp. The hot path: no allocation except on the first frame of
    /// a new transport or link type.
    #[inline]
    pub fn count(&mut self, frame: &Counted<'_>) {
        let Counted {
            info,
            classified,
            wire_len,
            link_type,
            ts_nanos,
        } = *frame;
        let wire_len = u64::from(wire_len);
        self.total.add(wire_len);
        self.categories[info.category.index()].add(wire_len);
        if let Some(problem) = info.problem {
            self.problems[problem.index()] += 1;
        }
        if let Some(tunnel) = info.tunnel {
            self.tunnels[tunnel.index()].add(wire_len);
        }
        if let Some(transport) = info.category.transport() {
            let t = self.transports[slot_index(info.tunnel, transport)]
                .get_or_insert_with(TransportTally::new);
            let src = &mut t.ports[usize::from(info.src_port)];
            src[0] += 1;
            src[1] += wire_len;
            let dst = &mut t.ports[usize::from(info.dst_port)];
            dst[2] += 1;
            dst[3] += wire_len;
            // The usual case: the frame's own row, in the same counters.
            if let Some(hit) = &classified.service
                && hit.transport == transport
                && hit.tunnel == info.tunnel
                && hit.naming != Naming::Failed
            {
                let slot = match hit.naming {
                    Naming::Port(p) => &mut t.services[usize::from(p)],
                    _ => &mut t.dynamic,
                };
                add_service(slot, hit.identified, 1, wire_len);
            } else if let Some(hit) = &classified.service {
                let target = info.addresses.map(|(src, dst)| {
                    if hit.to_server {
                        (dst, info.dst_port)
                    } else {
                        (src, info.src_port)
                    }
                });
                self.add_service(hit, 1, wire_len, target);
            }
        } else {
            match classified.fragment {
                FragmentOutcome::NotFragment | FragmentOutcome::Pending => {}
                FragmentOutcome::Attributed => self.fragments.attributed.add(wire_len),
                FragmentOutcome::Unattributed => self.fragments.unattributed.add(wire_len),
            }
            if let Some(hit) = &classified.service {
                self.add_service(hit, 1, wire_len, None);
            }
        }
        if let Some(hit) = &classified.service {
            self.count_server(info, hit, wire_len, ts_nanos);
            let frame = Counter {
                packets: 1,
                bytes: wire_len,
            };
            self.bucket(ts_nanos, hit, hit.to_server, frame);
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

    /// Counts a frame in the server inventory when its row names a server
    /// (see [`servers`]).
    #[inline]
    fn count_server(&mut self, info: &PacketInfo, hit: &ServiceHit, wire_len: u64, ts: i64) {
        if let Some((src, dst)) = info.addresses
            && let Some(key) = server_of(hit, if hit.to_server { dst } else { src })
        {
            let frame = Counter {
                packets: 1,
                bytes: wire_len,
            };
            self.servers.add_frames(key, hit.to_server, frame, ts);
        }
    }

    /// Counts every service row's frames per epoch-aligned time bucket of
    /// `width_ns` too (the Parquet `services` table's rows).
    pub fn count_buckets(&mut self, width_ns: u64) {
        self.buckets = Some(Box::new(ServiceBuckets::new(width_ns)));
    }

    /// The service rows per time bucket, when counted.
    pub fn buckets(&self) -> Option<&ServiceBuckets> {
        self.buckets.as_deref()
    }

    /// Takes the service rows per time bucket out (a part whose buckets
    /// were used, before it is added to a total that does not need them).
    pub fn take_buckets(&mut self) -> Option<Box<ServiceBuckets>> {
        self.buckets.take()
    }

    /// An empty tally counting what this one counts beyond the default
    /// (buckets): a shard worker's or an input's.
    pub fn empty_like(&self) -> Tally {
        Tally {
            buckets: self.buckets.as_ref().map(|b| Box::new(b.empty())),
            ..Tally::default()
        }
    }

    /// Counts `frames` of `hit`'s row at `ts` in the buckets, when counted.
    #[inline]
    fn bucket(&mut self, ts: i64, hit: &ServiceHit, to_server: bool, frames: Counter) {
        if let Some(buckets) = &mut self.buckets {
            buckets.add(ts, ServiceKey::of(hit), to_server, hit.identified, frames);
        }
    }

    /// The server inventory.
    pub fn servers(&self) -> &Servers {
        &self.servers
    }

    /// Takes in a name a frame taught (rare frames: DNS answers, TLS and
    /// QUIC client hellos, HTTP requests).
    pub fn learn_name(&mut self, learnt: &Learnt, ts_nanos: i64) {
        self.names.learn(learnt, ts_nanos);
    }

    /// The names learnt for addresses.
    pub fn names(&self) -> &NameTable {
        &self.names
    }

    /// Counts frames in a row outside the hot path; a failed attempt's
    /// `target` (address, port) is recorded with its row.
    #[cold]
    fn add_service(
        &mut self,
        hit: &ServiceHit,
        packets: u64,
        bytes: u64,
        target: Option<(IpAddr, u16)>,
    ) {
        let t = self.transports[slot_index(hit.tunnel, hit.transport)]
            .get_or_insert_with(TransportTally::new);
        add_service(t.slot(hit.naming), hit.identified, packets, bytes);
        if hit.naming == Naming::Failed
            && let Some((host, port)) = target
        {
            t.attempted().add(host, port);
        }
    }

    /// What the failed attempts of one transport (in one tunnel kind, or
    /// outside any) tried, when there were any.
    pub fn attempted(&self, tunnel: Option<Tunnel>, transport: Transport) -> Option<&Attempted> {
        self.transports[slot_index(tunnel, transport)]
            .as_deref()
            .and_then(|t| t.attempted.as_deref())
    }

    /// Counts the late fate of fragments held by the classifier: their
    /// service row (attributed) and the fragment counters.
    pub fn resolve(&mut self, resolved: &Resolved) {
        match *resolved {
            Resolved::Attributed {
                hit,
                packets,
                bytes,
            } => {
                self.add_service(&hit, packets, bytes, None);
                self.fragments.attributed += Counter { packets, bytes };
                // In the bucket of the latest frame: the one that settled
                // the fragments, or the last of the input when it ended.
                let now = self.time_span.map_or(0, |(_, last)| last);
                self.bucket(now, &hit, hit.to_server, Counter { packets, bytes });
            }
            Resolved::Unattributed { packets, bytes } => {
                self.fragments.unattributed += Counter { packets, bytes };
            }
            Resolved::Attempt {
                hit,
                packets,
                bytes,
                first_ns,
                client,
                server,
            } => {
                self.add_service(&hit, packets, bytes, Some(server));
                self.bucket(first_ns, &hit, true, Counter { packets, bytes });
                if let Some(key) = server_of(&hit, server.0) {
                    let frames = Counter { packets, bytes };
                    self.servers.add_frames(key, true, frames, first_ns);
                    if hit.identified == Identified::Handshake {
                        match &mut self.deferred {
                            Some(deferred) => deferred.push((key, client.0)),
                            None => self.servers.add_conversation(key, client.0),
                        }
                    }
                }
            }
        }
    }

    /// Holds back the servers' conversations (who their clients are)
    /// instead of counting them, for [`Tally::take_conversations`]: a shard
    /// worker's tally, whose conversations are counted in capture order
    /// across shards, because a server's top-clients list keeps the first
    /// clients it met.
    pub fn defer_conversations(&mut self) {
        self.deferred = Some(Vec::new());
    }

    /// The conversations held back since the last call, as (server,
    /// client), in the order met.
    pub fn take_conversations(&mut self) -> impl Iterator<Item = (ServerKey, IpAddr)> + '_ {
        self.deferred
            .iter_mut()
            .flat_map(|deferred| deferred.drain(..))
    }

    /// Adds the servers' conversations counted elsewhere (see
    /// [`Tally::defer_conversations`]).
    pub fn add_servers(&mut self, servers: &Servers) {
        self.servers += servers;
    }

    /// Marks the tally as counted with tunnels looked into (`--decap`).
    pub fn set_decap(&mut self, decap: bool) {
        self.decap = decap;
    }

    /// Whether tunnels were looked into.
    pub fn decap(&self) -> bool {
        self.decap
    }

    /// Records the port scans found in the frames counted (merged with any
    /// already recorded).
    pub fn add_scans(&mut self, scans: &ScanReport) {
        match &mut self.scans {
            Some(mine) => *mine += scans,
            None => self.scans = Some(scans.clone()),
        }
    }

    /// Replaces the scans recorded (a live capture's running findings).
    pub fn set_scans(&mut self, scans: Option<ScanReport>) {
        self.scans = scans;
    }

    /// The port scans found, when scan detection ran.
    pub fn scans(&self) -> Option<&ScanReport> {
        self.scans.as_ref()
    }

    /// Non-first fragments and their attribution.
    pub fn fragments(&self) -> FragmentCounts {
        self.fragments
    }

    /// Frames per tunnel kind (only with `--decap`), in [`Tunnel::ALL`] order.
    pub fn tunnels(&self) -> impl Iterator<Item = (Tunnel, Counter)> + '_ {
        Tunnel::ALL
            .into_iter()
            .map(|t| (t, self.tunnels[t.index()]))
            .filter(|(_, c)| c.packets != 0)
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
        filter: Option<(String, Option<u64>)>,
    ) {
        let facts = InputFacts {
            position,
            name,
            format,
            link_types: self.link_types.clone(),
            total: self.total,
            time_span: self.time_span,
            status,
            filter,
        };
        self.inputs.push(facts);
    }

    /// Records an input that could not be read at all.
    pub fn failed_input(&mut self, position: usize, name: String, error: InputError) {
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

    /// Puts the link types in the order `first_seen` lists them (the order
    /// of their first frames in a capture whose frames were counted in
    /// several tallies and merged); any it does not list stay last.
    pub fn order_link_types(&mut self, first_seen: &[u16]) {
        self.link_types.sort_by_key(|(lt, _)| {
            first_seen
                .iter()
                .position(|seen| seen == lt)
                .unwrap_or(first_seen.len())
        });
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

    /// Every port seen, with its counters, ordered by tunnel (none first),
    /// transport, then port.
    pub fn ports(
        &self,
    ) -> impl Iterator<Item = (Option<Tunnel>, Transport, u16, PortCounters)> + '_ {
        self.each_slot().flat_map(|(tunnel, transport, t)| {
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
                    (tunnel, transport, port as u16, counters)
                })
        })
    }

    /// Every service row with traffic, ordered by tunnel (none first),
    /// transport, then port, with each transport's dynamic row, then its
    /// failed row, last.
    pub fn services(&self) -> impl Iterator<Item = (ServiceKey, ServiceCounts)> + '_ {
        self.each_slot().flat_map(|(tunnel, transport, t)| {
            let named = t
                .services
                .iter()
                .enumerate()
                .filter(|(_, c)| c[0] != 0)
                .map(move |(port, c)| {
                    let key = ServiceKey {
                        tunnel,
                        transport,
                        naming: Naming::Port(port as u16),
                    };
                    (key, ServiceCounts::from_slot(c))
                });
            let row = move |naming: Naming, slot: &ServiceSlot| {
                (slot[0] != 0).then(|| {
                    let key = ServiceKey {
                        tunnel,
                        transport,
                        naming,
                    };
                    (key, ServiceCounts::from_slot(slot))
                })
            };
            named
                .chain(row(Naming::Dynamic, &t.dynamic))
                .chain(row(Naming::Failed, &t.failed))
        })
    }

    fn each_slot(&self) -> impl Iterator<Item = (Option<Tunnel>, Transport, &TransportTally)> {
        self.transports.iter().enumerate().filter_map(|(i, t)| {
            let (tunnel, transport) = slot_key(i);
            t.as_deref().map(|t| (tunnel, transport, t))
        })
    }
}

impl AddAssign<&Tally> for Tally {
    fn add_assign(&mut self, other: &Tally) {
        self.total += other.total;
        for (mine, theirs) in self.categories.iter_mut().zip(other.categories) {
            *mine += theirs;
        }
        for (mine, theirs) in self.problems.iter_mut().zip(other.problems) {
            *mine = mine.saturating_add(theirs);
        }
        for (mine, theirs) in self.transports.iter_mut().zip(other.transports.iter()) {
            match (mine.as_deref_mut(), theirs.as_deref()) {
                (_, None) => {}
                (Some(m), Some(t)) => *m += t,
                (None, Some(t)) => *mine = Some(Box::new(t.clone())),
            }
        }
        self.fragments += other.fragments;
        for (mine, theirs) in self.tunnels.iter_mut().zip(other.tunnels) {
            *mine += theirs;
        }
        self.decap |= other.decap;
        if let Some(scans) = &other.scans {
            self.add_scans(scans);
        }
        self.servers += &other.servers;
        self.names += &other.names;
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
        match (&mut self.buckets, &other.buckets) {
            (_, None) => {}
            (Some(mine), Some(theirs)) => **mine += theirs,
            (None, Some(theirs)) => self.buckets = Some(theirs.clone()),
        }
    }
}

impl AddAssign for Tally {
    fn add_assign(&mut self, mut other: Tally) {
        // The names, moved when this tally has none.
        self.names += std::mem::take(&mut other.names);
        if self.buckets.is_none() {
            self.buckets = other.buckets.take();
        }
        // A transport this tally has not seen yet takes the other's tables
        // as they are, rather than a copy (4.5 MiB each).
        for (mine, theirs) in self.transports.iter_mut().zip(other.transports.iter_mut()) {
            if mine.is_none() {
                *mine = theirs.take();
            }
        }
        *self += &other;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{Classified, ConversationEvent};
    use proptest::prelude::*;

    /// A frame as the tally sees it: decode summary, classification,
    /// length, link type, time.
    type Frame = (PacketInfo, Classified, u32, u16, i64);

    fn classified(transport: Transport, naming: Option<Naming>, dst: u16) -> Classified {
        Classified {
            service: naming.map(|naming| ServiceHit {
                tunnel: None,
                transport,
                naming,
                identified: Identified::PortDatabase,
                to_server: naming == Naming::Port(dst),
            }),
            event: ConversationEvent::None,
            fragment: FragmentOutcome::NotFragment,
            held: false,
        }
    }

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
        let transport = info.category.transport().unwrap_or(Transport::Tcp);
        (
            info,
            classified(transport, naming, dst),
            len,
            u16::from(category_pick % 2),
            ts,
        )
    }

    fn count_all(frames: &[Frame]) -> Tally {
        let mut tally = Tally::new();
        for (info, classified, len, link, ts) in frames {
            tally.count(&Counted {
                info,
                classified,
                wire_len: *len,
                link_type: *link,
                ts_nanos: *ts,
            });
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
        let services: Vec<_> = t.services().map(|(k, c)| (k, c.total)).collect();
        assert_eq!(
            services,
            vec![
                (
                    ServiceKey::port(Transport::Tcp, 443),
                    Counter {
                        packets: 2,
                        bytes: 1600
                    }
                ),
                (
                    ServiceKey::dynamic(Transport::Udp),
                    Counter {
                        packets: 1,
                        bytes: 80
                    }
                ),
            ]
        );
        let port_443: Vec<_> = t.ports().filter(|p| p.2 == 443).collect();
        assert_eq!(
            port_443[0].3.src,
            Counter {
                packets: 1,
                bytes: 1500
            }
        );
        assert_eq!(
            port_443[0].3.dst,
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
            t.count(&Counted {
                info: &info,
                classified: &classified(Transport::Tcp, Some(Naming::Port(1)), 2),
                wire_len: u32::MAX,
                link_type: 1,
                ts_nanos: 0,
            });
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
