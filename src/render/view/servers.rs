//! The server inventory's document built from the tally's top-K summary.

use super::top_view;
use crate::classify::{Naming, PortDb};
use crate::pipeline::Identified;
use crate::render::units::format_timestamp;
use crate::schema::{ClientView, ServerTotalsView, ServerView, ServersView};
use crate::tally::servers::{ServerKey, ServerWeights, Servers};

impl ServersView {
    /// The inventory of `servers`, naming ports from `db` (not when
    /// `numeric`).
    pub fn new(servers: &Servers, db: &PortDb, numeric: bool) -> ServersView {
        let summary = servers.summary();
        let total = summary.total();
        let totals = ServerTotalsView {
            to_server_packets: total.to_server.packets,
            to_server_bytes: total.to_server.bytes,
            from_server_packets: total.from_server.packets,
            from_server_bytes: total.from_server.bytes,
        };
        top_view(
            &summary,
            |e| server_view(e.key, e.weights, e.overestimate, db, numeric),
            totals,
        )
    }
}

fn server_view(
    key: ServerKey,
    w: ServerWeights,
    overestimate: u64,
    db: &PortDb,
    numeric: bool,
) -> ServerView {
    ServerView {
        geo: None,
        address: key.address,
        name: None,
        name_source: None,
        transport: key.transport,
        port: key.port,
        service: (!numeric).then(|| db.label(key.transport, Naming::Port(key.port)).to_string()),
        identified_by: if w.conversations > 0 {
            Identified::Handshake
        } else {
            Identified::PortDatabase
        },
        first_timestamp: w.span.map(|s| format_timestamp(s.0)),
        last_timestamp: w.span.map(|s| format_timestamp(s.1)),
        first_ns: w.span.map(|s| s.0),
        last_ns: w.span.map(|s| s.1),
        to_server_packets: w.to_server.packets,
        to_server_bytes: w.to_server.bytes,
        from_server_packets: w.from_server.packets,
        from_server_bytes: w.from_server.bytes,
        conversations: w.conversations,
        clients: w.clients(),
        clients_approximate: w.clients_overflowed,
        top_clients: w
            .top_clients()
            .into_iter()
            .map(|(address, conversations)| ClientView {
                address,
                conversations,
            })
            .collect(),
        client_sketch: w.client_sketch(),
        overestimate_bytes: overestimate,
        process: None,
    }
}
