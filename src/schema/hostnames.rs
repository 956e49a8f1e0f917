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
    /// The reverse lookups of `--resolve`, when it was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<ResolveView>,
}

/// What `--resolve` asked the system's resolver and what it answered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolveView {
    /// Addresses asked about (each once).
    pub asked: u64,
    /// Of those, the ones the resolver named.
    pub named: u64,
    /// The ones it knows no name for (or could not look up).
    pub no_name: u64,
    /// The ones not answered in time (`read`, `report`, `merge`: 5 s after
    /// counting; `live`: by this refresh).
    pub unanswered: u64,
    /// Addresses shown but not asked about: past the [`MAX_LOOKUPS`] a
    /// run makes at most.
    pub not_asked: u64,
}

/// The most addresses `--resolve` asks about in one run.
pub const MAX_LOOKUPS: usize = 4_096;

impl Default for NamesView {
    /// No names (what a summary older than names holds).
    fn default() -> NamesView {
        NamesView {
            capacity: NAME_CAPACITY,
            approximate: false,
            dropped: 0,
            entries: Vec::new(),
            resolved: None,
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
    /// How it was learnt: `dns`, `tls_sni`, `quic_sni`, `http_host`,
    /// `dns_ptr`, or `rdns` (portclass's own lookup, `--resolve`).
    pub source: NameSource,
    /// For a DNS answer through a CNAME chain: the canonical name at its
    /// end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical: Option<String>,
    /// When it was first learnt so, ns since the epoch (no RFC 3339 copy:
    /// the list may hold thousands of entries).
    pub first_ns: i64,
}

/// Where an address is, from the `--geoip` databases.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeoView {
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Autonomous system number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asn: Option<u32>,
    /// The autonomous system's organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_org: Option<String>,
}

impl GeoView {
    /// `NL, AS64500 Example Net`: what is known, for a table cell.
    pub fn label(&self) -> String {
        let mut parts = Vec::new();
        if let Some(country) = &self.country {
            parts.push(country.clone());
        }
        match (&self.asn, &self.as_org) {
            (Some(asn), Some(org)) => parts.push(format!("AS{asn} {org}")),
            (Some(asn), None) => parts.push(format!("AS{asn}")),
            (None, Some(org)) => parts.push(org.clone()),
            (None, None) => {}
        }
        parts.join(", ")
    }
}

/// An address's name and place joined for a table cell: `web.example`,
/// `web.example; NL, AS64500 Example Net`, `NL`; `None` when neither is
/// known.
pub fn address_label(name: Option<&str>, geo: Option<&GeoView>) -> Option<String> {
    let place = geo.map(GeoView::label).filter(|label| !label.is_empty());
    match (name, place) {
        (Some(name), Some(place)) => Some(format!("{name}; {place}")),
        (Some(name), None) => Some(name.to_owned()),
        (None, Some(place)) => Some(place),
        (None, None) => None,
    }
}
