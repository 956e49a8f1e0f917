//! `read`'s document built from a tally: capture facts, categories, decode
//! problems, service rows named from the port database, ports and tunnels.

use crate::capture::LinkType;
use crate::classify::{Naming, PortDb, PortEntry};
use crate::decode::DecodeProblem;
use crate::render::units::{format_count, format_timestamp};
use crate::schema::{
    AttemptedView, FragmentsView, IdentifiedView, InputView, LinkTypeView, NamesView, PortView,
    ProblemView, READ_SCHEMA, ReadView, ScansView, ServersView, ServiceView, TransportView,
    TunnelView,
};
use crate::tally::attempted::Attempted;
use crate::tally::{InputFacts, ServiceCounts, ServiceKey, Tally};

impl ReadView {
    /// Builds the view of `tally`, naming services from `db` (numbers only
    /// when `numeric`).
    pub fn new(tally: &Tally, db: &PortDb, numeric: bool) -> ReadView {
        let total = tally.total();
        let span = tally.time_span();
        let duration_seconds = span.map_or(0.0, |(first, last)| {
            // i128: timestamps up to 292 years apart each way still subtract.
            (i128::from(last) - i128::from(first)) as f64 / 1e9
        });
        let (average_bits_per_second, average_packets_per_second) = if duration_seconds >= 1e-6 {
            (
                Some(total.bytes as f64 * 8.0 / duration_seconds),
                Some(total.packets as f64 / duration_seconds),
            )
        } else {
            (None, None)
        };
        // Merged from threads in any order: sorted for reproducible output.
        let mut link_types = tally.link_types().to_vec();
        link_types.sort_unstable();
        ReadView {
            schema: READ_SCHEMA.to_string(),
            portclass_version: env!("CARGO_PKG_VERSION").to_string(),
            inputs: tally.inputs().iter().map(input_view).collect(),
            packets: total.packets,
            bytes: total.bytes,
            first_timestamp: span.map(|s| format_timestamp(s.0)),
            last_timestamp: span.map(|s| format_timestamp(s.1)),
            first_timestamp_ns: span.map(|s| s.0),
            last_timestamp_ns: span.map(|s| s.1),
            duration_seconds,
            average_bits_per_second,
            average_packets_per_second,
            link_types: link_type_views(&link_types),
            transport: transport_view(tally),
            decode_problems: DecodeProblem::ALL
                .iter()
                .map(|&problem| ProblemView {
                    problem,
                    description: problem.description().to_string(),
                    packets: tally.problem(problem),
                })
                .collect(),
            fragments: FragmentsView {
                attributed: tally.fragments().attributed.into(),
                unattributed: tally.fragments().unattributed.into(),
            },
            decap: tally.decap(),
            tunnels: tally
                .tunnels()
                .map(|(tunnel, c)| TunnelView {
                    tunnel,
                    packets: c.packets,
                    bytes: c.bytes,
                })
                .collect(),
            services: service_views(tally, db, numeric),
            ports: tally
                .ports()
                .map(|(tunnel, transport, port, c)| PortView {
                    tunnel,
                    transport,
                    port,
                    src_packets: c.src.packets,
                    src_bytes: c.src.bytes,
                    dst_packets: c.dst.packets,
                    dst_bytes: c.dst.bytes,
                })
                .collect(),
            scans: tally.scans().map(ScansView::new),
            servers: {
                let mut servers = ServersView::new(tally.servers(), db, numeric);
                servers.name_servers(tally.names());
                servers
            },
            names: NamesView::new(tally.names()),
        }
    }
}

fn input_view(input: &InputFacts) -> InputView {
    let span = input.time_span;
    InputView {
        name: input.name.clone(),
        format: input.format.clone(),
        status: (&input.status).into(),
        error: input.status.error().map(ToString::to_string),
        packets: input.total.packets,
        bytes: input.total.bytes,
        link_types: link_type_views(&input.link_types),
        first_timestamp: span.map(|s| format_timestamp(s.0)),
        last_timestamp: span.map(|s| format_timestamp(s.1)),
        first_timestamp_ns: span.map(|s| s.0),
        last_timestamp_ns: span.map(|s| s.1),
        filter: input
            .filter
            .as_ref()
            .map(|(expression, _)| expression.clone()),
        filtered_out: input.filter.as_ref().and_then(|&(_, rejected)| rejected),
    }
}

fn link_type_views(link_types: &[(u16, u64)]) -> Vec<LinkTypeView> {
    link_types
        .iter()
        .map(|&(id, packets)| {
            let lt = LinkType(id);
            LinkTypeView {
                linktype: id,
                name: lt.name(),
                description: lt.description(),
                packets,
            }
        })
        .collect()
}

fn transport_view(tally: &Tally) -> TransportView {
    let mut view = TransportView::default();
    for category in crate::decode::Category::ALL {
        *view.get_mut(category) = tally.category(category).into();
    }
    view
}

/// The service rows, largest first; ties in a fixed order (by the names of
/// tunnel and transport, then port) so that output is reproducible.
fn service_views(tally: &Tally, db: &PortDb, numeric: bool) -> Vec<ServiceView> {
    let total_bytes = tally.total().bytes;
    let mut services: Vec<ServiceView> = tally
        .services()
        .map(|(key, counts)| {
            let attempted = (key.naming == Naming::Failed)
                .then(|| tally.attempted(key.tunnel, key.transport))
                .flatten();
            service_view(key, counts, attempted, total_bytes, db, numeric)
        })
        .collect();
    services.sort_by(|a, b| {
        (b.bytes, b.packets)
            .cmp(&(a.bytes, a.packets))
            .then_with(|| {
                a.key
                    .tunnel
                    .map(|t| t.name())
                    .cmp(&b.key.tunnel.map(|t| t.name()))
            })
            .then_with(|| a.key.transport.name().cmp(b.key.transport.name()))
            .then_with(|| {
                let port = |s: &ServiceView| s.key.port.unwrap_or(u16::MAX);
                port(a).cmp(&port(b))
            })
    });
    services
}

fn service_view(
    key: ServiceKey,
    counts: ServiceCounts,
    attempted: Option<&Attempted>,
    total_bytes: u64,
    db: &PortDb,
    numeric: bool,
) -> ServiceView {
    let counter = counts.total;
    let share = if total_bytes == 0 {
        0.0
    } else {
        counter.bytes as f64 / total_bytes as f64
    };
    let port = key.port_number();
    let entry: Option<&PortEntry> = port.and_then(|p| db.primary(key.transport, p));
    let (service, source, description) = match (entry, port) {
        (Some(e), _) => (
            e.service.clone(),
            Some(e.source),
            Some(e.description.clone()),
        ),
        (None, Some(_)) => (crate::classify::UNASSIGNED.to_string(), None, None),
        (None, None) if key.naming == Naming::Failed => (
            crate::classify::FAILED.to_string(),
            None,
            Some(failed_description(attempted)),
        ),
        (None, None) => (
            crate::classify::DYNAMIC.to_string(),
            None,
            Some("traffic between two dynamic ports (49152-65535)".to_string()),
        ),
    };
    ServiceView {
        key: key.into(),
        service: (!numeric).then_some(service),
        source: if numeric { None } else { source },
        description: if numeric { None } else { description },
        packets: counter.packets,
        bytes: counter.bytes,
        share,
        identified_by: counts.main_method(),
        identified: IdentifiedView {
            handshake: counts.by_handshake,
            port_database: counts.by_port_database,
            heuristic: counts.by_heuristic,
            related: counts.by_related,
        },
        attempted: attempted.map(attempted_view),
    }
}

fn attempted_view(attempted: &Attempted) -> AttemptedView {
    AttemptedView {
        ports: attempted.ports(),
        hosts: attempted.hosts(),
        hosts_approximate: attempted.hosts_approximate(),
        port_ranges: attempted.port_ranges(),
        host_sketch: attempted.host_sketch(),
    }
}

/// The failed row's description: what was tried.
fn failed_description(attempted: Option<&Attempted>) -> String {
    let plural = |n: u64, one: &str, many: &str| {
        format!("{} {}", format_count(n), if n == 1 { one } else { many })
    };
    match attempted {
        Some(a) => format!(
            "attempts refused or never answered: {} on {}{}",
            plural(u64::from(a.ports()), "port", "ports"),
            if a.hosts_approximate() { "about " } else { "" },
            plural(a.hosts(), "host", "hosts"),
        ),
        None => "attempts refused or never answered".to_string(),
    }
}
