//! `diff`'s document built from two `read` documents: the services, servers
//! and ports of BEFORE and AFTER matched by key, and each one that
//! appeared, disappeared, grew or shrank by the factor listed.
//!
//! Both sides are views built by [`ReadView::new`] with the same port
//! database, so a capture and its JSON summary name every row alike.

use crate::classify::{PortDb, UNASSIGNED};
use crate::decode::{Transport, Tunnel};
use crate::schema::{
    ChangeFigures, ChangeKind, CounterView, DIFF_SCHEMA, DiffSection, DiffSettingsView,
    DiffSideView, DiffView, InputStatusKind, PortChange, ReadView, ServerChange, ServiceChange,
    ServiceView, SideKind,
};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// One side of the comparison: its document and where it came from.
pub struct DiffSide<'a> {
    /// Its counts, named from the port database.
    pub view: &'a ReadView,
    /// As named on the command line.
    pub name: String,
    /// A capture or a summary.
    pub kind: SideKind,
    /// A summary's schema.
    pub schema: Option<String>,
}

impl DiffSide<'_> {
    fn side_view(&self) -> DiffSideView {
        let view = self.view;
        let status = view
            .inputs
            .iter()
            .map(|i| i.status)
            .max_by_key(|s| match s {
                InputStatusKind::Complete => 0,
                InputStatusKind::Partial => 1,
                InputStatusKind::Failed => 2,
            })
            .unwrap_or(InputStatusKind::Complete);
        DiffSideView {
            name: self.name.clone(),
            kind: self.kind,
            schema: self.schema.clone(),
            status,
            packets: view.packets,
            bytes: view.bytes,
            first_timestamp: view.first_timestamp.clone(),
            last_timestamp: view.last_timestamp.clone(),
            duration_seconds: view.duration_seconds,
            decap: view.decap,
            servers_exact: view.servers.exact,
        }
    }
}

/// Which service a row belongs to: the rows of one name, or a row of its
/// own when the database does not name it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum ServiceName {
    /// Named by a layer of the port database.
    Named(String),
    /// Not named (`unassigned`, or anything with `--numeric`): its port.
    Port(u16),
    /// The dynamic row.
    Dynamic,
    /// The failed-attempts row.
    Failed,
}

pub(crate) type ServiceKey = (Option<Tunnel>, Transport, ServiceName);

/// A service's rows on one side: their traffic, ports and label.
#[derive(Clone, Debug, Default)]
struct ServiceRows {
    counter: CounterView,
    ports: BTreeSet<u16>,
    label: Option<String>,
}

/// The service a row belongs to, as `diff` compares services (and `live
/// --baseline` tells new ones).
pub(crate) fn service_key(row: &ServiceView) -> ServiceKey {
    let name = match (&row.service, row.source, row.key.port) {
        (Some(name), Some(_), Some(_)) => ServiceName::Named(name.clone()),
        (_, _, Some(port)) => ServiceName::Port(port),
        (_, _, None) if row.key.failed => ServiceName::Failed,
        (_, _, None) => ServiceName::Dynamic,
    };
    (row.key.tunnel, row.key.transport, name)
}

fn services(view: &ReadView) -> BTreeMap<ServiceKey, ServiceRows> {
    let mut services: BTreeMap<ServiceKey, ServiceRows> = BTreeMap::new();
    for row in &view.services {
        let rows = services.entry(service_key(row)).or_default();
        // Saturating: a summary's figures are whatever its file says.
        rows.counter.packets = rows.counter.packets.saturating_add(row.packets);
        rows.counter.bytes = rows.counter.bytes.saturating_add(row.bytes);
        rows.ports.extend(row.key.port);
        rows.label = row.service.clone();
    }
    services
}

type ServerKey = (Transport, IpAddr, u16);

fn servers(view: &ReadView) -> BTreeMap<ServerKey, (CounterView, Option<String>)> {
    view.servers
        .entries
        .iter()
        .map(|s| {
            let counter = CounterView {
                packets: s.to_server_packets.saturating_add(s.from_server_packets),
                bytes: s.to_server_bytes.saturating_add(s.from_server_bytes),
            };
            (
                (s.transport, s.address, s.port),
                (counter, s.service.clone()),
            )
        })
        .collect()
}

type PortKey = (Option<Tunnel>, Transport, u16);

/// The ports of `view` worth comparing: every one with `all`, else those
/// in `service_ports`.
fn ports(
    view: &ReadView,
    all: bool,
    service_ports: &BTreeSet<PortKey>,
    server_ports: &BTreeSet<(Transport, u16)>,
) -> BTreeMap<PortKey, CounterView> {
    view.ports
        .iter()
        .filter(|p| {
            all || service_ports.contains(&(p.tunnel, p.transport, p.port))
                || server_ports.contains(&(p.transport, p.port))
        })
        .map(|p| {
            let counter = CounterView {
                packets: p.src_packets.saturating_add(p.dst_packets),
                bytes: p.src_bytes.saturating_add(p.dst_bytes),
            };
            ((p.tunnel, p.transport, p.port), counter)
        })
        .collect()
}

/// How a row present on `before` and/or `after` changed; `None` when it
/// did not (by the factor, or under the floor).
fn change(
    before: Option<CounterView>,
    after: Option<CounterView>,
    settings: &DiffSettingsView,
) -> Option<ChangeFigures> {
    let measure = settings.measure;
    let (kind, before, after) = match (before, after) {
        (None, None) => return None,
        (None, Some(after)) => (ChangeKind::Appeared, CounterView::default(), after),
        (Some(before), None) => (ChangeKind::Disappeared, before, CounterView::default()),
        (Some(before), Some(after)) => {
            let (b, a) = (measure.of(before), measure.of(after));
            let beyond =
                |big: u64, small: u64| big > small && big as f64 >= settings.factor * small as f64;
            let kind = if b.max(a) < settings.min {
                return None;
            } else if beyond(a, b) {
                ChangeKind::Grew
            } else if beyond(b, a) {
                ChangeKind::Shrank
            } else {
                return None;
            };
            (kind, before, after)
        }
    };
    let (b, a) = (measure.of(before), measure.of(after));
    Some(ChangeFigures {
        change: kind,
        before,
        after,
        ratio: (b > 0 && a > 0).then(|| a as f64 / b as f64),
    })
}

/// Every key of `before` and `after` compared: the changes, in key order,
/// each with what `row` makes of its key and the two sides' values, and
/// the count of keys in both that did not change.
fn compare<K: Ord + Clone, V: Clone, T>(
    before: &BTreeMap<K, V>,
    after: &BTreeMap<K, V>,
    counter: impl Fn(&V) -> CounterView,
    settings: &DiffSettingsView,
    mut row: impl FnMut(&K, Option<&V>, Option<&V>, ChangeFigures) -> T,
    figures_of: impl Fn(&T) -> ChangeFigures,
) -> DiffSection<T> {
    let keys: BTreeSet<&K> = before.keys().chain(after.keys()).collect();
    let mut section = DiffSection::empty();
    for key in keys {
        let (b, a) = (before.get(key), after.get(key));
        match change(b.map(&counter), a.map(&counter), settings) {
            Some(figures) => section.changes.push(row(key, b, a, figures)),
            None if b.is_some() && a.is_some() => section.unchanged += 1,
            None => {}
        }
    }
    // By kind, then the larger side's traffic, largest first; the key
    // order (kept by the stable sort) breaks ties.
    let measure = settings.measure;
    section.changes.sort_by_key(|t| {
        let f = figures_of(t);
        let larger = measure.of(f.before).max(measure.of(f.after));
        (f.change, std::cmp::Reverse(larger))
    });
    section
}

impl DiffView {
    /// Compares `before` with `after`; ports are named from `db` (numbers
    /// only when `numeric`), as the sides' rows were.
    pub fn new(
        before: &DiffSide<'_>,
        after: &DiffSide<'_>,
        settings: DiffSettingsView,
        db: &PortDb,
        numeric: bool,
    ) -> DiffView {
        let services = compare(
            &services(before.view),
            &services(after.view),
            |rows| rows.counter,
            &settings,
            |(tunnel, transport, name), b, a, figures| {
                let mut ports: BTreeSet<u16> = BTreeSet::new();
                for rows in [b, a].into_iter().flatten() {
                    ports.extend(&rows.ports);
                }
                ServiceChange {
                    tunnel: *tunnel,
                    transport: *transport,
                    service: a.or(b).and_then(|rows| rows.label.clone()),
                    ports: ports.into_iter().collect(),
                    failed: *name == ServiceName::Failed,
                    figures,
                }
            },
            |c| c.figures,
        );
        let servers = compare(
            &servers(before.view),
            &servers(after.view),
            |(counter, _)| *counter,
            &settings,
            |&(transport, address, port), b, a, figures| ServerChange {
                transport,
                address,
                port,
                service: a.or(b).and_then(|(_, service)| service.clone()),
                figures,
            },
            |c| c.figures,
        );
        let mut service_ports = BTreeSet::new();
        let mut server_ports = BTreeSet::new();
        for view in [before.view, after.view] {
            for row in &view.services {
                if let Some(port) = row.key.port {
                    service_ports.insert((row.key.tunnel, row.key.transport, port));
                }
            }
            for server in &view.servers.entries {
                server_ports.insert((server.transport, server.port));
            }
        }
        let port_rows = |view| ports(view, settings.all_ports, &service_ports, &server_ports);
        let ports = compare(
            &port_rows(before.view),
            &port_rows(after.view),
            |counter| *counter,
            &settings,
            |&(tunnel, transport, port), _, _, figures| PortChange {
                tunnel,
                transport,
                port,
                service: (!numeric).then(|| {
                    db.primary(transport, port)
                        .map_or(UNASSIGNED.to_string(), |e| e.service.clone())
                }),
                figures,
            },
            |c| c.figures,
        );
        let changes = services.changes.len() + servers.changes.len() + ports.changes.len();
        DiffView {
            schema: DIFF_SCHEMA.to_string(),
            portclass_version: env!("CARGO_PKG_VERSION").to_string(),
            before: before.side_view(),
            after: after.side_view(),
            settings,
            changes: changes as u64,
            services,
            servers,
            ports,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::view::sample;
    use crate::schema::{Measure, ServiceView};

    fn settings(factor: f64, min: u64) -> DiffSettingsView {
        DiffSettingsView {
            factor,
            measure: Measure::Bytes,
            min,
            all_ports: false,
        }
    }

    fn bytes(bytes: u64) -> Option<CounterView> {
        Some(CounterView { packets: 1, bytes })
    }

    fn kind(
        before: Option<CounterView>,
        after: Option<CounterView>,
        s: DiffSettingsView,
    ) -> Option<ChangeKind> {
        change(before, after, &s).map(|f| f.change)
    }

    #[test]
    fn a_row_changes_at_the_factor_and_never_under_the_floor() {
        let s = settings(2.0, 100);
        assert_eq!(kind(bytes(100), bytes(200), s), Some(ChangeKind::Grew));
        assert_eq!(kind(bytes(100), bytes(199), s), None);
        assert_eq!(kind(bytes(200), bytes(100), s), Some(ChangeKind::Shrank));
        assert_eq!(kind(bytes(200), bytes(101), s), None);
        // Under the floor on both sides: small counts do not flap.
        assert_eq!(kind(bytes(10), bytes(99), s), None);
        assert_eq!(kind(bytes(10), bytes(100), s), Some(ChangeKind::Grew));
        // Appeared and disappeared whatever their size.
        assert_eq!(kind(None, bytes(1), s), Some(ChangeKind::Appeared));
        assert_eq!(kind(bytes(1), None, s), Some(ChangeKind::Disappeared));
        // Equal is never a change, even zero against zero with no floor.
        let strict = settings(1.000_001, 0);
        assert_eq!(kind(bytes(0), bytes(0), strict), None);
        assert_eq!(kind(bytes(5), bytes(5), strict), None);
        assert_eq!(kind(bytes(0), bytes(5), strict), Some(ChangeKind::Grew));
        // The ratio: AFTER over BEFORE, none when a side is zero.
        let grew = change(bytes(100), bytes(250), &s).expect("a change");
        assert_eq!(grew.ratio, Some(2.5));
        let appeared = change(None, bytes(250), &s).expect("a change");
        assert_eq!(
            (appeared.ratio, appeared.before),
            (None, CounterView::default())
        );
    }

    fn side<'a>(view: &'a ReadView, name: &str) -> DiffSide<'a> {
        DiffSide {
            view,
            name: name.to_string(),
            kind: SideKind::Capture,
            schema: None,
        }
    }

    fn row<'a>(view: &'a mut ReadView, service: &str) -> &'a mut ServiceView {
        view.services
            .iter_mut()
            .find(|s| s.service.as_deref() == Some(service))
            .expect("the sample has the service")
    }

    #[test]
    fn services_are_matched_by_name_whatever_their_port() {
        let db = PortDb::builtin();
        let before = sample::report().read;
        let same = DiffView::new(
            &side(&before, "a"),
            &side(&before, "a"),
            settings(2.0, 0),
            &db,
            false,
        );
        assert_eq!(same.changes, 0);
        assert_eq!(same.services.unchanged, before.services.len() as u64);

        let mut after = before.clone();
        // ssh gone, https doubled, dns moved to another port.
        after
            .services
            .retain(|s| s.service.as_deref() != Some("ssh"));
        let https = row(&mut after, "https");
        https.bytes *= 2;
        let dns = row(&mut after, "dns");
        dns.key.port = Some(5353);
        let diff = DiffView::new(
            &side(&before, "a"),
            &side(&after, "b"),
            settings(2.0, 0),
            &db,
            false,
        );
        let listed: Vec<(ChangeKind, Option<&str>, &[u16])> = diff
            .services
            .changes
            .iter()
            .map(|c| (c.figures.change, c.service.as_deref(), c.ports.as_slice()))
            .collect();
        assert_eq!(
            listed,
            [
                (ChangeKind::Disappeared, Some("ssh"), &[22][..]),
                (ChangeKind::Grew, Some("https"), &[443][..]),
            ]
        );
        assert_eq!(diff.services.unchanged, 1, "dns, on either port");

        // The document reads back as it was written.
        let json = serde_json::to_string(&diff).expect("serialised");
        let back: DiffView = serde_json::from_str(&json).expect("read back");
        assert_eq!(serde_json::to_string(&back).expect("serialised"), json);
    }
}
