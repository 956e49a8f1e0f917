//! A tally taken apart and put back together: everything it holds, for
//! rebuilding one from a saved summary.

use super::attempted::Attempted;
use super::servers::Servers;
use super::transport::{TransportTally, slot_index};
use super::{Counter, FragmentCounts, InputFacts, PortCounters, ServiceCounts, ServiceKey, Tally};
use crate::decode::{Category, DecodeProblem, Transport, Tunnel};
use crate::pipeline::names::NameTable;
use crate::pipeline::scans::ScanReport;

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
    pub ports: Vec<(Option<Tunnel>, Transport, u16, PortCounters)>,
    /// Service rows.
    pub services: Vec<(ServiceKey, ServiceCounts)>,
    /// What the failed rows' attempts tried.
    pub attempted: Vec<(Option<Tunnel>, Transport, Attempted)>,
    /// Fragment attribution.
    pub fragments: FragmentCounts,
    /// Frames per tunnel kind.
    pub tunnels: Vec<(Tunnel, Counter)>,
    /// Counted with `--decap`.
    pub decap: bool,
    /// Port scans found.
    pub scans: Option<ScanReport>,
    /// The server inventory.
    pub servers: Servers,
    /// Names learnt for addresses.
    pub names: NameTable,
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
            fragments: parts.fragments,
            tunnels: Default::default(),
            decap: parts.decap,
            scans: parts.scans,
            servers: parts.servers,
            names: parts.names,
            time_span: parts.time_span,
            link_types: parts.link_types,
            inputs: parts.inputs,
            deferred: None,
            buckets: None,
        };
        for (tunnel, counter) in parts.tunnels {
            tally.tunnels[tunnel.index()] += counter;
        }
        for (tunnel, transport, port, c) in parts.ports {
            let t = tally.transports[slot_index(tunnel, transport)]
                .get_or_insert_with(TransportTally::new);
            let slot = &mut t.ports[usize::from(port)];
            for (s, v) in
                slot.iter_mut()
                    .zip([c.src.packets, c.src.bytes, c.dst.packets, c.dst.bytes])
            {
                *s = s.saturating_add(v);
            }
        }
        for (key, c) in parts.services {
            let t = tally.transports[slot_index(key.tunnel, key.transport)]
                .get_or_insert_with(TransportTally::new);
            let slot = t.slot(key.naming);
            let values = [
                c.total.packets,
                c.total.bytes,
                c.by_handshake,
                c.by_heuristic,
                c.by_related,
            ];
            for (s, v) in slot.iter_mut().zip(values) {
                *s = s.saturating_add(v);
            }
        }
        for (tunnel, transport, attempted) in &parts.attempted {
            let t = tally.transports[slot_index(*tunnel, *transport)]
                .get_or_insert_with(TransportTally::new);
            *t.attempted() += attempted;
        }
        tally
    }
}
