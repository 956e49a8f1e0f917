//! The documents of [`schema`](crate::schema) built from tallies: names
//! from the port database, timestamps and descriptions for people, rows
//! sorted for display. Every renderer starts from these views.

mod diff;
mod read;
mod report;
mod scans;
mod servers;

pub(crate) use diff::{ServiceKey, ServiceName, service_key};

use crate::pipeline::geo::GeoDb;
use crate::pipeline::names::{NameSource, NameTable};
use crate::schema::{GeoView, NameView, NamesView, ReadView, ResolveView, ServersView, TopView};
use crate::tally::topk::{Entry, SpaceSaving, Weights};
use std::hash::Hash;
use std::net::IpAddr;

/// The table of a top-K summary: its accuracy, each entry as `row` makes
/// it, and `totals`.
fn top_view<K: Copy + Eq + Hash + Ord, W: Weights, T, U>(
    summary: &SpaceSaving<K, W>,
    row: impl FnMut(Entry<K, W>) -> T,
    totals: U,
) -> TopView<T, U> {
    TopView {
        capacity: summary.capacity(),
        exact: summary.is_exact(),
        error_bound_bytes: summary.error_bound(),
        entries: summary.entries().into_iter().map(row).collect(),
        totals,
    }
}

pub use diff::DiffSide;
/// The name learnt for `address`, if any.
fn name_of(names: &NameTable, address: IpAddr) -> Option<String> {
    names.get(address).map(|e| String::from(&*e.name))
}

/// How the name of `address` was learnt, if it has one.
fn source_of(names: &NameTable, address: IpAddr) -> Option<NameSource> {
    names.get(address).map(|e| e.source)
}

impl NamesView {
    /// The names of `names`, by address.
    pub fn new(names: &NameTable) -> NamesView {
        NamesView {
            approximate: names.dropped() > 0,
            dropped: names.dropped(),
            entries: names
                .entries()
                .into_iter()
                .map(|(address, e)| NameView {
                    address,
                    name: String::from(&*e.name),
                    source: e.source,
                    canonical: e.canonical.as_deref().map(String::from),
                    first_ns: e.first_ns,
                })
                .collect(),
            ..NamesView::default()
        }
    }
}

impl ServersView {
    /// Gives each server the name learnt for its address.
    pub fn name_servers(&mut self, names: &NameTable) {
        for server in &mut self.entries {
            server.name = name_of(names, server.address);
            server.name_source = source_of(names, server.address);
        }
    }
}

pub use report::{CHART_BUCKETS, ReportView, TABLE_BUCKETS};

/// A small report for renderers' tests.
/// Country and network owner of `address`, when the databases know it.
fn located(geo: &GeoDb, address: IpAddr) -> Option<GeoView> {
    let found = geo.lookup(address);
    let empty = found.is_empty();
    (!empty).then_some(GeoView {
        country: found.country,
        asn: found.asn,
        as_org: found.as_org,
    })
}

/// What is added to a view after it is built: the place of each address
/// shown (`--geoip`) and names for those the traffic did not name
/// (`--resolve`).
pub trait ShownAddresses {
    /// Gives each address shown its country and network owner.
    fn locate(&mut self, geo: &GeoDb);
    /// The addresses shown that have no name, each once.
    fn unnamed(&self) -> Vec<IpAddr>;
    /// Names each unnamed address shown that `names` names, lists those
    /// names in the `names` section, and records what `--resolve` did.
    fn add_names(&mut self, names: &NameTable, resolved: ResolveView);
}

/// Names one unnamed address from `names`, noting it in `added`.
fn add_name(
    (name, source): (&mut Option<String>, &mut Option<NameSource>),
    address: IpAddr,
    names: &NameTable,
    added: &mut Vec<IpAddr>,
) {
    if name.is_none()
        && let Some(entry) = names.get(address)
    {
        *name = Some(String::from(&*entry.name));
        *source = Some(entry.source);
        added.push(address);
    }
}

impl NamesView {
    /// Lists the names of `added` (addresses `names` names) beside those
    /// learnt from the traffic, in address order.
    fn add(&mut self, names: &NameTable, mut added: Vec<IpAddr>, resolved: ResolveView) {
        added.sort_unstable();
        added.dedup();
        for address in added {
            if let (Some(e), Err(at)) = (
                names.get(address),
                self.entries.binary_search_by_key(&address, |n| n.address),
            ) {
                self.entries.insert(
                    at,
                    NameView {
                        address,
                        name: String::from(&*e.name),
                        source: e.source,
                        canonical: None,
                        first_ns: e.first_ns,
                    },
                );
            }
        }
        self.resolved = Some(resolved);
    }
}

impl ShownAddresses for ReadView {
    fn locate(&mut self, geo: &GeoDb) {
        for server in &mut self.servers.entries {
            server.geo = located(geo, server.address);
        }
    }

    fn unnamed(&self) -> Vec<IpAddr> {
        let mut unnamed: Vec<IpAddr> = (self.servers.entries.iter())
            .filter(|s| s.name.is_none())
            .map(|s| s.address)
            .collect();
        unnamed.sort_unstable();
        unnamed.dedup();
        unnamed
    }

    fn add_names(&mut self, names: &NameTable, resolved: ResolveView) {
        let mut added = Vec::new();
        for s in &mut self.servers.entries {
            add_name(
                (&mut s.name, &mut s.name_source),
                s.address,
                names,
                &mut added,
            );
        }
        self.names.add(names, added, resolved);
    }
}

impl ShownAddresses for report::ReportView {
    fn locate(&mut self, geo: &GeoDb) {
        self.read.locate(geo);
        for host in &mut self.report.hosts.entries {
            host.geo = located(geo, host.address);
        }
        for c in &mut self.report.conversations.entries {
            c.client_geo = located(geo, c.client);
            c.server_geo = located(geo, c.server);
        }
    }

    fn unnamed(&self) -> Vec<IpAddr> {
        let report = &self.report;
        let mut unnamed = self.read.unnamed();
        unnamed.extend(
            (report.hosts.entries.iter())
                .filter(|h| h.name.is_none())
                .map(|h| h.address),
        );
        for c in &report.conversations.entries {
            unnamed.extend(c.client_name.is_none().then_some(c.client));
            unnamed.extend(c.server_name.is_none().then_some(c.server));
        }
        unnamed.sort_unstable();
        unnamed.dedup();
        unnamed
    }

    fn add_names(&mut self, names: &NameTable, resolved: ResolveView) {
        let mut added = Vec::new();
        for s in &mut self.read.servers.entries {
            add_name(
                (&mut s.name, &mut s.name_source),
                s.address,
                names,
                &mut added,
            );
        }
        for h in &mut self.report.hosts.entries {
            add_name(
                (&mut h.name, &mut h.name_source),
                h.address,
                names,
                &mut added,
            );
        }
        for c in &mut self.report.conversations.entries {
            let client = (&mut c.client_name, &mut c.client_name_source);
            add_name(client, c.client, names, &mut added);
            let server = (&mut c.server_name, &mut c.server_name_source);
            add_name(server, c.server, names, &mut added);
        }
        self.read.names.add(names, added, resolved);
    }
}

#[cfg(test)]
pub(crate) mod sample {
    use super::ReportView;
    use crate::classify::PortDb;
    use crate::decode::{PacketInfo, Transport};
    use crate::pipeline::{Classified, Counted};
    use crate::tally::report::ReportTally;
    use std::net::{IpAddr, Ipv4Addr};

    /// The time of the first frame.
    pub const T0: i64 = 1_764_137_820_000_000_000;

    /// 10.0.0.`last`.
    pub fn v4(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
    }

    /// https, ssh and dns between two hosts, named by the built-in rule.
    pub fn report() -> ReportView {
        let db = PortDb::builtin();
        let rule = db.naming_rule();
        let mut tally = ReportTally::new(None);
        let frames = [
            (Transport::Tcp, 51000, 443, 1500),
            (Transport::Tcp, 443, 51000, 1500),
            (Transport::Tcp, 51001, 22, 300),
            (Transport::Udp, 53000, 53, 80),
        ];
        for (i, (transport, src, dst, len)) in frames.into_iter().enumerate() {
            let mut info = PacketInfo::ports(transport, src, dst);
            info.addresses = Some((v4(1), v4(2)));
            let classified = Classified::by_static_rule(&rule, &info);
            tally.count(&Counted {
                info: &info,
                classified: &classified,
                wire_len: len,
                link_type: 1,
                ts_nanos: T0 + i as i64 * 1_000_000,
            });
        }
        ReportView::new(&tally, &db, false, 10)
    }
}
