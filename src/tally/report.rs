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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
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

/// Everything `report` counts.
#[derive(Clone, Debug)]
pub struct ReportTally {
    /// What `read` counts.
    pub base: Tally,
    directions: Directions,
    hosts: SpaceSaving<IpAddr, HostWeights>,
    conversations: SpaceSaving<ConversationKey, ConversationWeights>,
    series: TimeSeries,
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
        if let Some((src, dst)) = info.addresses {
            self.hosts.add(
                src,
                HostWeights {
                    sent: frame,
                    ..HostWeights::default()
                },
            );
            self.hosts.add(
                dst,
                HostWeights {
                    received: frame,
                    ..HostWeights::default()
                },
            );
        }
        if classified.held {
            // Counted in its service row, conversation and time bucket when
            // its conversation's fate is known (see `resolve`).
            return;
        }
        let key = classified.service.map(|hit| {
            let key = ServiceKey::of(&hit);
            self.add_direction(key, hit.to_server, frame);
            if let (Some((transport, src_port, dst_port)), Some((src, dst))) =
                (info.transport_ports(), info.addresses)
                && hit.naming != Naming::Failed
            {
                let (conversation, weights) = if hit.to_server {
                    (
                        ConversationKey {
                            transport,
                            client: src,
                            client_port: src_port,
                            server: dst,
                            server_port: dst_port,
                        },
                        ConversationWeights {
                            to_server: frame,
                            span: Some((ts_nanos, ts_nanos)),
                            ..ConversationWeights::default()
                        },
                    )
                } else {
                    (
                        ConversationKey {
                            transport,
                            client: dst,
                            client_port: dst_port,
                            server: src,
                            server_port: src_port,
                        },
                        ConversationWeights {
                            to_client: frame,
                            span: Some((ts_nanos, ts_nanos)),
                            ..ConversationWeights::default()
                        },
                    )
                };
                self.conversations.add(conversation, weights);
            }
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
    fn add_assign(&mut self, other: ReportTally) {
        *self += &other;
    }
}
