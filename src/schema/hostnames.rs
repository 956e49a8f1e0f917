//! The names learnt for addresses (`names` of `read`'s document): each
//! address with its name and how it was learnt, and whether the bounded
//! table had to drop some (see `pipeline::names`).

use crate::pipeline::names::{NAME_CAPACITY, NameSource};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// The names learnt, by address.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NamesView {
    /// How many addresses the table names at most.
    pub capacity: usize,
    /// True when names were dropped because the table was full: addresses
    /// past the capacity have no name.
    pub approximate: bool,
    /// Names dropped for want of room (each time one was learnt).
    pub dropped: u64,
    /// Every address named, in address order.
    pub entries: Vec<NameView>,
}

impl Default for NamesView {
    /// No names (what a summary older than names holds).
    fn default() -> NamesView {
        NamesView {
            capacity: NAME_CAPACITY,
            approximate: false,
            dropped: 0,
            entries: Vec::new(),
        }
    }
}

/// One address and its name.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NameView {
    /// The address.
    pub address: IpAddr,
    /// Its name (lowercase).
    pub name: String,
    /// How it was learnt: `dns`, `tls_sni`, `quic_sni`, `http_host` or
    /// `dns_ptr`.
    pub source: NameSource,
    /// For a DNS answer through a CNAME chain: the canonical name at its
    /// end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical: Option<String>,
    /// When it was first learnt so, ns since the epoch (no RFC 3339 copy:
    /// the list may hold thousands of entries).
    pub first_ns: i64,
}
