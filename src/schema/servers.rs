//! The server inventory (`servers` of `read`'s document): every server
//! endpoint that answered, with its accuracy (see `tally::servers`).

use super::TopView;
use crate::decode::Transport;
use crate::pipeline::Identified;
use crate::pipeline::names::NameSource;
use crate::tally::servers::SERVER_CAPACITY;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// The server inventory: a top-K table of servers, busiest first, with
/// its accuracy and the totals over every server.
pub type ServersView = TopView<ServerView, ServerTotalsView>;

impl ServersView {
    /// An empty inventory (what a summary older than the inventory holds).
    pub fn empty() -> ServersView {
        TopView {
            capacity: SERVER_CAPACITY,
            exact: true,
            error_bound_bytes: 0,
            entries: Vec::new(),
            totals: ServerTotalsView::default(),
        }
    }
}

/// Traffic of all servers.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct ServerTotalsView {
    /// Frames towards servers.
    pub to_server_packets: u64,
    /// Their bytes.
    pub to_server_bytes: u64,
    /// Frames from servers.
    pub from_server_packets: u64,
    /// Their bytes.
    pub from_server_bytes: u64,
}

impl ServerView {
    /// Its name and place for a table cell (see [`super::address_label`]).
    pub fn label(&self) -> Option<String> {
        super::address_label(self.name.as_deref(), self.geo.as_ref())
    }
}

/// One server endpoint that answered.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ServerView {
    /// Its address.
    pub address: IpAddr,
    /// Its name, when one was learnt from the traffic (see `names`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// How the name was learnt (`dns`, `tls_sni`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_source: Option<NameSource>,
    /// Country and network owner, from `--geoip` databases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo: Option<super::GeoView>,
    /// `tcp`, `udp` or `sctp`.
    pub transport: Transport,
    /// Its port.
    pub port: u16,
    /// The port database's name for the port (`unassigned` when none;
    /// `null` with `--numeric`).
    pub service: Option<String>,
    /// `handshake` when conversations with it were seen opened and
    /// answered, else `port_database` (traffic on a port the database
    /// names, whose opening was not captured).
    pub identified_by: Identified,
    /// First frame (RFC 3339, UTC).
    pub first_timestamp: Option<String>,
    /// Last frame.
    pub last_timestamp: Option<String>,
    /// First frame, ns since the epoch.
    pub first_ns: Option<i64>,
    /// Last frame, ns since the epoch.
    pub last_ns: Option<i64>,
    /// Frames towards it.
    pub to_server_packets: u64,
    /// Their bytes.
    pub to_server_bytes: u64,
    /// Frames from it.
    pub from_server_packets: u64,
    /// Their bytes.
    pub from_server_bytes: u64,
    /// Conversations whose opening was seen and answered.
    pub conversations: u64,
    /// Distinct clients.
    pub clients: u64,
    /// Whether `clients` is an estimate (more clients than the top list
    /// holds; the top list's bytes are then lower bounds).
    pub clients_approximate: bool,
    /// Its top clients: `address`, `conversations` (opened and answered).
    pub top_clients: Vec<ClientView>,
    /// The distinct-client sketch (hex), so merges count clients exactly
    /// as if read together.
    pub client_sketch: String,
    /// Its true bytes lie between the shown ones and that plus this (0:
    /// exact).
    pub overestimate_bytes: u64,
    /// The local process serving it (`live` on the machine itself, where
    /// it was seen): `pid`, `name`, `user`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<ProcessView>,
}

/// A local process.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessView {
    /// Its process id.
    pub pid: i32,
    /// Its command name.
    pub name: String,
    /// The user it runs as.
    pub user: String,
}

/// One client of a server.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClientView {
    /// Its address.
    pub address: IpAddr,
    /// The conversations it opened that the server answered.
    pub conversations: u64,
}
