//! The report's tally: everything `read` counts, plus traffic direction per
//! service, the top hosts and conversations (bounded top-K summaries), and
//! a time series of services. Merges with `+=` like [`Tally`].

use super::timeseries::TimeSeries;
use super::topk::{SpaceSaving, Weights};
use super::{Counter, ServiceKey, Tally};
use crate::classify::Naming;
use crate::decode::Transport;
use crate::pipeline::{Counted, Resolved};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::ops::AddAssign;

/// Hosts kept by the top-K summary.
pub const HOST_CAPACITY: usize = 4096;
/// Conversations kept by the top-K summary.
pub const CONVERSATION_CAPACITY: usize = 4096;

/// Traffic of one service by direction: towards its port (client to server)
/// and from it (server to client).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Direction {
    /// Frames whose destination is the service's side.
    pub to_server: Counter,
    /// Frames whose source is the service's side.
    pub to_client: Counter,
}

impl AddAssign for Direction {
    fn add_assign(&mut self, other: Direction) {
        self.to_server += other.to_server;
        self.to_client += other.to_client;
    }
}

/// What a host sent and received.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostWeights {
    /// Frames it sent.
    pub sent: Counter,
    /// Frames it received.
    pub received: Counter,
}

impl AddAssign for HostWeights {
    fn add_assign(&mut self, other: HostWeights) {
        self.sent += other.sent;
        self.received += other.received;
    }
}

impl Weights for HostWeights {
    fn rank_weight(&self) -> u64 {
        self.sent.bytes + self.received.bytes
    }
}

/// One conversation: a client address and port talking to a server address
/// and port over a transport. The server is the side whose port named the
/// frames (for the dynamic row: the lower port).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ConversationKey {
    /// Transport.
    pub transport: Transport,
    /// Client address.
    pub client: IpAddr,
    /// Client port.
    pub client_port: u16,
    /// Server address.
    pub server: IpAddr,
    /// Server (service) port.
    pub server_port: u16,
}

/// Three words where the derived hash wrote nine (the enums' discriminants
/// each on their own): the top-K summary hashes a conversation per frame.
/// An IPv4 address hashes as its IPv4-mapped IPv6 address (equal keys
/// still hash equally; the two merely share a hash).
impl Hash for ConversationKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let bits = |address: IpAddr| match address {
            IpAddr::V4(v4) => v4.to_ipv6_mapped().to_bits(),
            IpAddr::V6(v6) => v6.to_bits(),
        };
        state.write_u128(bits(self.client));
        state.write_u128(bits(self.server));
        state.write_u64(
            (self.transport as u64) << 32
                | u64::from(self.client_port) << 16
                | u64::from(self.server_port),
        );
    }
}

/// Traffic of one conversation by direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConversationWeights {
    /// Client to server.
    pub to_server: Counter,
    /// Server to client.
    pub to_client: Counter,
    /// First and last frame counted (ns since the epoch).
    pub span: Option<(i64, i64)>,
}

impl AddAssign for ConversationWeights {
    fn add_assign(&mut self, other: ConversationWeights) {
        self.to_server += other.to_server;
        self.to_client += other.to_client;
        self.span = match (self.span, other.span) {
            (Some((a0, a1)), Some((b0, b1))) => Some((a0.min(b0), a1.max(b1))),
            (a, b) => a.or(b),
        };
    }
}

impl Weights for ConversationWeights {
    fn rank_weight(&self) -> u64 {
        self.to_server.bytes + self.to_client.bytes
    }
}

/// Traffic by direction of each service row. Keyed by service rows (at
/// most a few hundred thousand, not chosen freely by senders), hashed with
/// foldhash: the std hasher cost 4% of `report` looking one up per frame.
pub type Directions = HashMap<ServiceKey, Direction, foldhash::fast::RandomState>;

/// Places of the recent-conversations cache: a power of two, above the
/// conversations a busy link has open at once (a shard of the benchmark
/// capture: about a thousand).
const RECENT_CONVERSATIONS: usize = 2048;

/// Where a conversation and its two hosts were last held in the top-K
/// summaries: hints for [`SpaceSaving::add_at`], which checks them.
#[derive(Clone, Copy, Debug)]
struct Recent {
    key: ConversationKey,
    conversation: u32,
    client: u32,
    server: u32,
}

/// Everything `report` counts.
#[derive(Clone, Debug)]
pub struct ReportTally {
    /// What `read` counts.
    pub base: Tally,
    directions: Directions,
    hosts: SpaceSaving<IpAddr, HostWeights>,
    conversations: SpaceSaving<ConversationKey, ConversationWeights>,
    series: TimeSeries,
    /// A conversation's frames come again and again: the slots of its
    /// summaries' entries, direct-mapped by conversation (empty until the
    /// first one). Only hints, so the figures are those of plain adds.
    recent: Vec<Option<Recent>>,
}

/// The place of a conversation in the recent-conversations cache. Not
/// seeded: a capture crafted to collide there only makes the hints miss.
fn recent_place(key: &ConversationKey) -> usize {
    let bits = |address: IpAddr| match address {
        IpAddr::V4(v4) => u64::from(v4.to_bits()),
        IpAddr::V6(v6) => {
            let v6 = v6.to_bits();
            (v6 >> 64) as u64 ^ v6 as u64
        }
    };
    let ports = u64::from(key.client_port) << 16 | u64::from(key.server_port);
    let mixed = (bits(key.client) ^ bits(key.server).rotate_left(32) ^ ports << 3)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (mixed >> 53) as usize % RECENT_CONVERSATIONS
}

fn one(wire_len: u64) -> Counter {
    Counter {
        packets: 1,
        bytes: wire_len,
    }
}

impl ReportTally {
    /// An empty report tally; `bucket_ns` fixes the time-series bucket
    /// width (automatic when `None`).
    pub fn new(bucket_ns: Option<u64>) -> ReportTally {
        ReportTally {
            base: Tally::new(),
            directions: Directions::default(),
            hosts: SpaceSaving::new(HOST_CAPACITY),
            conversations: SpaceSaving::new(CONVERSATION_CAPACITY),
            series: TimeSeries::new(bucket_ns),
            recent: Vec::new(),
        }
    }

    /// Rebuilds a report tally from its parts (the JSON merge path).
    pub fn from_parts(
        base: Tally,
        directions: Directions,
        hosts: SpaceSaving<IpAddr, HostWeights>,
        conversations: SpaceSaving<ConversationKey, ConversationWeights>,
        series: TimeSeries,
    ) -> ReportTally {
        ReportTally {
            base,
            directions,
            hosts,
            conversations,
            series,
            recent: Vec::new(),
        }
    }

    /// Counts one frame (see [`Tally::count`]), and its direction, hosts,
    /// conversation and time bucket.
    pub fn count(&mut self, frame: &Counted<'_>) {
        self.base.count(frame);
        let Counted {
            info,
            classified,
            wire_len,
            ts_nanos,
            ..
        } = *frame;
        let bytes = u64::from(wire_len);
        let frame = one(bytes);
        // Held frames are counted in their service row, conversation and
        // time bucket when their conversation's fate is known (see
        // `resolve`); their hosts now.
        let hit = classified.service.filter(|_| !classified.held);
        let conversation = match (hit, info.transport_ports(), info.addresses) {
            (Some(hit), Some((transport, src_port, dst_port)), Some((src, dst)))
                if hit.naming != Naming::Failed =>
            {
                Some(if hit.to_server {
                    ConversationKey {
                        transport,
                        client: src,
                        client_port: src_port,
                        server: dst,
                        server_port: dst_port,
                    }
                } else {
                    ConversationKey {
                        transport,
                        client: dst,
                        client_port: dst_port,
                        server: src,
                        server_port: src_port,
                    }
                })
            }
            _ => None,
        };
        let sent = HostWeights {
            sent: frame,
            ..HostWeights::default()
        };
        let received = HostWeights {
            received: frame,
            ..HostWeights::default()
        };
        if let Some(key) = conversation {
            // Hosts (source first, as below) and the conversation, each
            // tried first at the slot its last frame found.
            if self.recent.is_empty() {
                self.recent = vec![None; RECENT_CONVERSATIONS];
            }
            let place = recent_place(&key);
            let hints = match self.recent[place] {
                Some(recent) if recent.key == key => recent,
                _ => Recent {
                    key,
                    conversation: u32::MAX,
                    client: u32::MAX,
                    server: u32::MAX,
                },
            };
            let hint = |slot: u32| slot as usize;
            let to_server = hit.is_some_and(|hit| hit.to_server);
            let (client, server) = if to_server {
                let client = self.hosts.add_at(hint(hints.client), key.client, sent);
                let server = self.hosts.add_at(hint(hints.server), key.server, received);
                (client, server)
            } else {
                let server = self.hosts.add_at(hint(hints.server), key.server, sent);
                let client = self.hosts.add_at(hint(hints.client), key.client, received);
                (client, server)
            };
            let weights = if to_server {
                ConversationWeights {
                    to_server: frame,
                    span: Some((ts_nanos, ts_nanos)),
                    ..ConversationWeights::default()
                }
            } else {
                ConversationWeights {
                    to_client: frame,
                    span: Some((ts_nanos, ts_nanos)),
                    ..ConversationWeights::default()
                }
            };
            let conversation = self
                .conversations
                .add_at(hint(hints.conversation), key, weights);
            // Slots are below the capacity (at most 2^20).
            self.recent[place] = Some(Recent {
                key,
                conversation: conversation as u32,
                client: client as u32,
                server: server as u32,
            });
        } else if let Some((src, dst)) = info.addresses {
            self.hosts.add(src, sent);
            self.hosts.add(dst, received);
        }
        if classified.held {
            return;
        }
        let key = classified.service.map(|hit| {
            let key = ServiceKey::of(&hit);
            self.add_direction(key, hit.to_server, frame);
            key
        });
        self.series.add(ts_nanos, key, bytes);
    }

    fn add_direction(&mut self, key: ServiceKey, to_server: bool, frames: Counter) {
        let direction = self.directions.entry(key).or_default();
        if to_server {
            direction.to_server += frames;
        } else {
            direction.to_client += frames;
        }
    }

    /// Counts the late fate of held frames (see [`Tally::resolve`]): the
    /// direction of attributed fragments (the time series already counted
    /// them, in their own buckets, without a service); the direction,
    /// conversation and time bucket of a resolved attempt's frames.
    pub fn resolve(&mut self, resolved: &Resolved) {
        self.base.resolve(resolved);
        match *resolved {
            Resolved::Attributed {
                hit,
                packets,
                bytes,
            } => {
                self.add_direction(
                    ServiceKey::of(&hit),
                    hit.to_server,
                    Counter { packets, bytes },
                );
            }
            Resolved::Unattributed { .. } => {}
            Resolved::Attempt {
                hit,
                packets,
                bytes,
                first_ns,
                client,
                server,
            } => {
                let frames = Counter { packets, bytes };
                let key = ServiceKey::of(&hit);
                self.add_direction(key, true, frames);
                self.series.add_frames(first_ns, Some(key), packets, bytes);
                // A failed attempt is no conversation; an answered one is.
                if hit.naming != Naming::Failed {
                    self.conversations.add(
                        ConversationKey {
                            transport: hit.transport,
                            client: client.0,
                            client_port: client.1,
                            server: server.0,
                            server_port: server.1,
                        },
                        ConversationWeights {
                            to_server: frames,
                            span: Some((first_ns, first_ns)),
                            ..ConversationWeights::default()
                        },
                    );
                }
            }
        }
    }

    /// Traffic by direction of each service row.
    pub fn directions(&self) -> &Directions {
        &self.directions
    }

    /// The top hosts summary.
    pub fn hosts(&self) -> &SpaceSaving<IpAddr, HostWeights> {
        &self.hosts
    }

    /// The top conversations summary.
    pub fn conversations(&self) -> &SpaceSaving<ConversationKey, ConversationWeights> {
        &self.conversations
    }

    /// The time series of services.
    pub fn series(&self) -> &TimeSeries {
        &self.series
    }
}

impl AddAssign<&ReportTally> for ReportTally {
    fn add_assign(&mut self, other: &ReportTally) {
        self.base += &other.base;
        for (key, direction) in &other.directions {
            *self.directions.entry(*key).or_default() += *direction;
        }
        self.hosts += &other.hosts;
        self.conversations += &other.conversations;
        self.series += &other.series;
    }
}

impl AddAssign for ReportTally {
    fn add_assign(&mut self, mut other: ReportTally) {
        // The base by value: its tables move where this one has none.
        self.base += std::mem::take(&mut other.base);
        *self += &other;
    }
}
