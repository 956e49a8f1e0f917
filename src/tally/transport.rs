//! The flat per-port and per-service counter tables of one transport (in
//! one tunnel kind, or outside any), and where each lives in a tally.

use super::attempted::Attempted;
use crate::classify::Naming;
use crate::decode::{Transport, Tunnel};
use crate::pipeline::Identified;
use std::ops::AddAssign;

const PORTS: usize = 1 << 16;

/// Per-port counters as plain arrays: `[src_packets, src_bytes, dst_packets,
/// dst_bytes]`; one port's four counters share a cache line. The tables are
/// written when allocated ([`crate::written_table`]): the frames scatter
/// over them, and a zero page's first write in a threaded read costs a TLB
/// flush on every CPU.
type PortSlot = [u64; 4];
/// `[packets, bytes, by_handshake, by_heuristic, by_related]` of one
/// service row (the packets the port database identified are the rest).
pub(super) type ServiceSlot = [u64; 5];

/// Adds one frame's attribution to a service slot.
#[inline]
pub(super) fn add_service(
    slot: &mut ServiceSlot,
    identified: Identified,
    packets: u64,
    bytes: u64,
) {
    slot[0] += packets;
    slot[1] += bytes;
    match identified {
        Identified::Handshake => slot[2] += packets,
        Identified::Heuristic => slot[3] += packets,
        Identified::Related => slot[4] += packets,
        Identified::PortDatabase => {}
    }
}

/// The per-port and per-service counters of one transport (inside one
/// tunnel kind, or outside any).
#[derive(Clone, Debug)]
pub(super) struct TransportTally {
    pub(super) ports: Box<[PortSlot]>,
    pub(super) services: Box<[ServiceSlot]>,
    pub(super) dynamic: ServiceSlot,
    /// The `failed` row, and what its attempts tried (allocated with the
    /// first failed attempt).
    pub(super) failed: ServiceSlot,
    pub(super) attempted: Option<Box<Attempted>>,
}

impl TransportTally {
    pub(super) fn new() -> Box<TransportTally> {
        Box::new(TransportTally {
            ports: crate::written_table(PORTS, [0; 4]),
            services: crate::written_table(PORTS, [0; 5]),
            dynamic: [0; 5],
            failed: [0; 5],
            attempted: None,
        })
    }

    pub(super) fn slot(&mut self, naming: Naming) -> &mut ServiceSlot {
        match naming {
            Naming::Port(p) => &mut self.services[usize::from(p)],
            Naming::Dynamic => &mut self.dynamic,
            Naming::Failed => &mut self.failed,
        }
    }

    pub(super) fn attempted(&mut self) -> &mut Attempted {
        self.attempted.get_or_insert_with(Box::default)
    }
}

impl AddAssign<&TransportTally> for TransportTally {
    fn add_assign(&mut self, other: &TransportTally) {
        for (mine, theirs) in self.ports.iter_mut().zip(other.ports.iter()) {
            for (m, t) in mine.iter_mut().zip(theirs) {
                *m = m.saturating_add(*t);
            }
        }
        for (mine, theirs) in self.services.iter_mut().zip(other.services.iter()) {
            for (m, t) in mine.iter_mut().zip(theirs) {
                *m = m.saturating_add(*t);
            }
        }
        for (m, t) in self.dynamic.iter_mut().zip(other.dynamic) {
            *m = m.saturating_add(t);
        }
        for (m, t) in self.failed.iter_mut().zip(other.failed) {
            *m = m.saturating_add(t);
        }
        if let Some(theirs) = &other.attempted {
            *self.attempted() += theirs;
        }
    }
}

/// Slots of [`Tally::transports`](super::Tally::transports): one per
/// transport outside tunnels, then one per transport inside each tunnel
/// kind.
pub(super) const TRANSPORT_SLOTS: usize = Transport::ALL.len() * (Tunnel::ALL.len() + 1);

pub(super) fn slot_index(tunnel: Option<Tunnel>, transport: Transport) -> usize {
    let tunnel = tunnel.map_or(0, |t| t.index() + 1);
    tunnel * Transport::ALL.len() + transport.index()
}

pub(super) fn slot_key(index: usize) -> (Option<Tunnel>, Transport) {
    let tunnel = match index / Transport::ALL.len() {
        0 => None,
        n => Some(Tunnel::ALL[n - 1]),
    };
    (tunnel, Transport::ALL[index % Transport::ALL.len()])
}
