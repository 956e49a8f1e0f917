//! The public counters a tally reports: packets and bytes, a port's two
//! directions, a service row's key and counts, and the fate of fragments.

use super::transport::ServiceSlot;
use crate::classify::Naming;
use crate::decode::{Transport, Tunnel};
use crate::pipeline::{Identified, ServiceHit};
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
    pub(super) fn add(&mut self, wire_len: u64) {
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

/// One service row: the frames attributed to one port (or to the dynamic
/// row) of one transport, inside one tunnel kind or outside any.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceKey {
    /// The tunnel the frames came through (only with `--decap`).
    pub tunnel: Option<Tunnel>,
    /// The transport.
    pub transport: Transport,
    /// The naming port, or the dynamic row.
    pub naming: Naming,
}

impl ServiceKey {
    /// The row of a port, outside tunnels.
    pub const fn port(transport: Transport, port: u16) -> ServiceKey {
        ServiceKey {
            tunnel: None,
            transport,
            naming: Naming::Port(port),
        }
    }

    /// The dynamic row of a transport, outside tunnels.
    pub const fn dynamic(transport: Transport) -> ServiceKey {
        ServiceKey {
            tunnel: None,
            transport,
            naming: Naming::Dynamic,
        }
    }

    /// The row a classified frame counts in.
    pub const fn of(hit: &ServiceHit) -> ServiceKey {
        ServiceKey {
            tunnel: hit.tunnel,
            transport: hit.transport,
            naming: hit.naming,
        }
    }

    /// The failed row of a transport, outside tunnels.
    pub const fn failed(transport: Transport) -> ServiceKey {
        ServiceKey {
            tunnel: None,
            transport,
            naming: Naming::Failed,
        }
    }

    /// The naming port (`None` for the dynamic and failed rows).
    pub const fn port_number(&self) -> Option<u16> {
        match self.naming {
            Naming::Port(p) => Some(p),
            Naming::Dynamic | Naming::Failed => None,
        }
    }
}

/// A service row's frames and how their naming port was identified.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServiceCounts {
    /// Frames and bytes.
    pub total: Counter,
    /// Frames named through a TCP handshake.
    pub by_handshake: u64,
    /// Frames named by the static rule with a port the database knows.
    pub by_port_database: u64,
    /// Frames named by the static rule without the database's help.
    pub by_heuristic: u64,
    /// Frames of related data channels (a TFTP transfer).
    pub by_related: u64,
}

impl ServiceCounts {
    pub(super) fn from_slot(slot: &ServiceSlot) -> ServiceCounts {
        ServiceCounts {
            total: Counter {
                packets: slot[0],
                bytes: slot[1],
            },
            by_handshake: slot[2],
            by_heuristic: slot[3],
            by_related: slot[4],
            by_port_database: slot[0]
                .saturating_sub(slot[2])
                .saturating_sub(slot[3])
                .saturating_sub(slot[4]),
        }
    }

    /// The packets of one identification method.
    pub fn by(&self, identified: Identified) -> u64 {
        match identified {
            Identified::Handshake => self.by_handshake,
            Identified::PortDatabase => self.by_port_database,
            Identified::Heuristic => self.by_heuristic,
            Identified::Related => self.by_related,
        }
    }

    /// The method that identified most of the row's frames (ties: the
    /// strongest evidence, handshake first).
    pub fn main_method(&self) -> Identified {
        let mut best = Identified::Handshake;
        for method in Identified::ALL {
            if self.by(method) > self.by(best) {
                best = method;
            }
        }
        best
    }
}

/// Non-first fragments and what became of them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FragmentCounts {
    /// Attributed to the service of their first fragment.
    pub attributed: Counter,
    /// Not attributed: first fragment never seen, or without ports.
    pub unattributed: Counter,
}

impl AddAssign for FragmentCounts {
    fn add_assign(&mut self, other: FragmentCounts) {
        self.attributed += other.attributed;
        self.unattributed += other.unattributed;
    }
}
