//! JSON summaries read back: the output of `read`, `live` and `report`
//! (`--format json`) turned into tallies again, so that `merge` and `report`
//! can combine summaries made on many machines exactly as if the captures
//! had been read together.

use crate::classify::Naming;
use crate::decode::{Category, DecodeProblem, Transport, Tunnel};
use crate::pipeline::scans::{ScanEvidence, ScanFinding, ScanKind, ScanReport};
use crate::schema::{ScanView, ScansView};
use crate::tally::attempted::Attempted;
use crate::tally::report::{
    ConversationKey, ConversationWeights, Direction, HostWeights, ReportTally,
};
use crate::tally::servers::{ClientSeen, ServerKey, ServerWeights, Servers, TOP_CLIENTS};
use crate::tally::timeseries::TimeSeries;
use crate::tally::topk::{Entry, SpaceSaving};
use crate::tally::{
    Counter, FragmentCounts, InputFacts, InputStatus, PortCounters, ServiceCounts, ServiceKey,
    Tally, TallyParts,
};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::Path;
use thiserror::Error;

/// A summary that cannot be read back.
#[derive(Debug, Error)]
pub enum SummaryError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not a portclass JSON summary, or a damaged one.
    #[error(
        "{path}: not a portclass JSON summary ({detail}): give the output of portclass read, live or report with --format json"
    )]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        detail: String,
    },
}

#[derive(Deserialize, Default)]
struct CounterJson {
    packets: u64,
    bytes: u64,
}

impl From<&CounterJson> for Counter {
    fn from(c: &CounterJson) -> Counter {
        Counter {
            packets: c.packets,
            bytes: c.bytes,
        }
    }
}

#[derive(Deserialize)]
struct ProblemJson {
    problem: String,
    packets: u64,
}

#[derive(Deserialize)]
struct LinkTypeJson {
    linktype: u16,
    packets: u64,
}

#[derive(Deserialize)]
struct InputJson {
    name: String,
    #[serde(default)]
    format: String,
    status: String,
    error: Option<String>,
    packets: u64,
    bytes: u64,
    #[serde(default)]
    link_types: Vec<LinkTypeJson>,
    first_timestamp_ns: Option<i64>,
    last_timestamp_ns: Option<i64>,
}

#[derive(Deserialize)]
struct PortJson {
    #[serde(default)]
    tunnel: Option<String>,
    transport: String,
    port: u16,
    src_packets: u64,
    src_bytes: u64,
    dst_packets: u64,
    dst_bytes: u64,
}

#[derive(Deserialize)]
struct IdentifiedJson {
    handshake: u64,
    heuristic: u64,
    /// Absent before related data channels.
    #[serde(default)]
    related: u64,
}

#[derive(Deserialize)]
struct ServiceJson {
    #[serde(default)]
    tunnel: Option<String>,
    transport: String,
    port: Option<u16>,
    /// The failed-attempts row (absent before it existed).
    #[serde(default)]
    failed: bool,
    packets: u64,
    bytes: u64,
    /// Absent from summaries older than handshake naming: all counted as
    /// named by the port database.
    #[serde(default)]
    identified: Option<IdentifiedJson>,
    /// On the failed row: what its attempts tried.
    #[serde(default)]
    attempted: Option<AttemptedJson>,
}

#[derive(Deserialize)]
struct AttemptedJson {
    port_ranges: String,
    host_sketch: String,
}

#[derive(Deserialize, Default)]
struct FragmentsJson {
    attributed: CounterJson,
    unattributed: CounterJson,
}

#[derive(Deserialize)]
struct TunnelJson {
    tunnel: String,
    packets: u64,
    bytes: u64,
}

#[derive(Deserialize)]
struct DirectionJson {
    #[serde(default)]
    tunnel: Option<String>,
    transport: String,
    port: Option<u16>,
    #[serde(default)]
    failed: bool,
    to_server_packets: u64,
    to_server_bytes: u64,
    to_client_packets: u64,
    to_client_bytes: u64,
}

#[derive(Deserialize)]
struct TopJson<T, U> {
    capacity: usize,
    exact: bool,
    error_bound_bytes: u64,
    entries: Vec<T>,
    totals: U,
}

#[derive(Deserialize)]
struct HostTotalsJson {
    sent_packets: u64,
    sent_bytes: u64,
    received_packets: u64,
    received_bytes: u64,
}

#[derive(Deserialize)]
struct ConversationTotalsJson {
    to_server_packets: u64,
    to_server_bytes: u64,
    to_client_packets: u64,
    to_client_bytes: u64,
}

#[derive(Deserialize)]
struct HostJson {
    address: IpAddr,
    sent_packets: u64,
    sent_bytes: u64,
    received_packets: u64,
    received_bytes: u64,
    overestimate_bytes: u64,
}

#[derive(Deserialize)]
struct ConversationJson {
    transport: String,
    client: IpAddr,
    client_port: u16,
    server: IpAddr,
    server_port: u16,
    to_server_packets: u64,
    to_server_bytes: u64,
    to_client_packets: u64,
    to_client_bytes: u64,
    overestimate_bytes: u64,
    /// Absent from summaries written before conversations had spans.
    #[serde(default)]
    first_ns: Option<i64>,
    #[serde(default)]
    last_ns: Option<i64>,
}

#[derive(Deserialize)]
struct BucketServiceJson {
    #[serde(default)]
    tunnel: Option<String>,
    transport: String,
    port: Option<u16>,
    #[serde(default)]
    failed: bool,
    bytes: u64,
}

#[derive(Deserialize)]
struct BucketJson {
    start_ns: i64,
    packets: u64,
    bytes: u64,
    services: Vec<BucketServiceJson>,
    other_bytes: u64,
}

#[derive(Deserialize)]
struct TimeSeriesJson {
    bucket_ns: u64,
    #[serde(default)]
    requested_ns: Option<u64>,
    approximate: bool,
    buckets: Vec<BucketJson>,
}

#[derive(Deserialize)]
struct ReportJson {
    service_directions: Vec<DirectionJson>,
    hosts: TopJson<HostJson, HostTotalsJson>,
    conversations: TopJson<ConversationJson, ConversationTotalsJson>,
    timeseries: TimeSeriesJson,
}

#[derive(Deserialize)]
struct SummaryJson {
    schema: String,
    packets: u64,
    bytes: u64,
    transport: BTreeMap<String, CounterJson>,
    #[serde(default)]
    decode_problems: Vec<ProblemJson>,
    #[serde(default)]
    link_types: Vec<LinkTypeJson>,
    first_timestamp_ns: Option<i64>,
    last_timestamp_ns: Option<i64>,
    #[serde(default)]
    inputs: Vec<InputJson>,
    ports: Vec<PortJson>,
    services: Vec<ServiceJson>,
    #[serde(default)]
    fragments: FragmentsJson,
    #[serde(default)]
    decap: bool,
    #[serde(default)]
    tunnels: Vec<TunnelJson>,
    #[serde(default)]
    scans: Option<ScansView>,
    /// Absent from summaries older than the server inventory.
    #[serde(default)]
    servers: Option<ServersJson>,
    report: Option<ReportJson>,
}

#[derive(Deserialize)]
struct ServersJson {
    capacity: usize,
    exact: bool,
    error_bound_bytes: u64,
    entries: Vec<ServerJson>,
    totals: ServerTotalsJson,
}

#[derive(Deserialize)]
struct ServerTotalsJson {
    to_server_packets: u64,
    to_server_bytes: u64,
    from_server_packets: u64,
    from_server_bytes: u64,
}

#[derive(Deserialize)]
struct ServerJson {
    address: IpAddr,
    transport: String,
    port: u16,
    first_ns: Option<i64>,
    last_ns: Option<i64>,
    to_server_packets: u64,
    to_server_bytes: u64,
    from_server_packets: u64,
    from_server_bytes: u64,
    conversations: u64,
    clients_approximate: bool,
    top_clients: Vec<ClientJson>,
    client_sketch: String,
    overestimate_bytes: u64,
}

#[derive(Deserialize)]
struct ClientJson {
    address: IpAddr,
    conversations: u64,
}

/// The server inventory of a summary.
fn servers(json: &ServersJson, path: &str) -> Result<Servers, SummaryError> {
    let mut entries = Vec::with_capacity(json.entries.len());
    for e in &json.entries {
        let mut weights = ServerWeights {
            to_server: Counter {
                packets: e.to_server_packets,
                bytes: e.to_server_bytes,
            },
            from_server: Counter {
                packets: e.from_server_packets,
                bytes: e.from_server_bytes,
            },
            span: e.first_ns.zip(e.last_ns),
            conversations: e.conversations,
            clients_overflowed: e.clients_approximate || e.top_clients.len() > TOP_CLIENTS,
            ..ServerWeights::default()
        };
        for (slot, client) in weights.top_clients.iter_mut().zip(&e.top_clients) {
            *slot = ClientSeen {
                address: Some(client.address),
                seen: client.conversations,
            };
        }
        if !weights.set_client_sketch(&e.client_sketch) {
            return Err(SummaryError::Invalid {
                path: path.to_string(),
                detail: format!("server {}: bad client_sketch", e.address),
            });
        }
        entries.push(Entry {
            key: ServerKey {
                transport: transport(&e.transport, path)?,
                address: e.address,
                port: e.port,
            },
            weights,
            overestimate: e.overestimate_bytes,
        });
    }
    let total = ServerWeights {
        to_server: Counter {
            packets: json.totals.to_server_packets,
            bytes: json.totals.to_server_bytes,
        },
        from_server: Counter {
            packets: json.totals.from_server_packets,
            bytes: json.totals.from_server_bytes,
        },
        ..ServerWeights::default()
    };
    Ok(Servers::from_summary(SpaceSaving::from_parts(
        json.capacity,
        entries,
        total,
        json.error_bound_bytes,
        json.exact,
    )))
}

/// The scan report a `scans` section shows.
fn scan_report(view: &ScansView) -> Result<ScanReport, String> {
    let mut report = ScanReport::new(view.settings.into());
    report.mixed_settings = view.mixed_settings;
    report.probes = view.probes;
    report.untracked_probes = view.untracked_probes.into();
    report.evicted_keys = view.evicted_keys.into();
    report.dropped_findings = view.dropped_findings;
    report.findings = view
        .findings
        .iter()
        .map(scan_finding)
        .collect::<Result<_, _>>()?;
    report.normalize();
    Ok(report)
}

fn scan_finding(view: &ScanView) -> Result<ScanFinding, String> {
    let e = &view.evidence;
    let evidence = match view.kind {
        ScanKind::Vertical => ScanEvidence::Ports {
            ranges: e
                .port_ranges
                .iter()
                .flatten()
                .map(|&[lo, hi]| (lo, hi))
                .collect(),
            more_ranges: e.more_ranges.unwrap_or(0),
            open: e.open_ports.clone().unwrap_or_default(),
            more_open: e.more_open,
        },
        ScanKind::Horizontal => {
            let (Some(first), Some(last)) = (e.first_host, e.last_host) else {
                return Err("a horizontal scan without its first and last host".into());
            };
            ScanEvidence::Hosts {
                first,
                last,
                open: e.open_hosts.clone().unwrap_or_default(),
                more_open: e.more_open,
            }
        }
    };
    Ok(ScanFinding {
        kind: view.kind,
        transport: view.transport,
        source: view.source,
        target_host: view.target_host,
        target_port: view.target_port,
        first_ns: view.first_ns,
        last_ns: view.last_ns,
        probes: view.probes,
        distinct: view.distinct,
        distinct_exact: view.distinct_exact,
        open: view.open,
        closed: view.closed,
        unanswered: view.unanswered,
        evidence,
    })
}

/// A summary read back.
pub struct Summary {
    /// Its counts, with the report's details when it was a report.
    pub tally: ReportTally,
    /// Whether it carried the report's details (hosts, conversations, time
    /// series, directions).
    pub has_details: bool,
}

fn transport(name: &str, path: &str) -> Result<Transport, SummaryError> {
    Transport::parse(name).ok_or_else(|| SummaryError::Invalid {
        path: path.to_string(),
        detail: format!("unknown transport {name:?}"),
    })
}

fn tunnel(name: Option<&str>, path: &str) -> Result<Option<Tunnel>, SummaryError> {
    name.map(|name| {
        Tunnel::parse(name).ok_or_else(|| SummaryError::Invalid {
            path: path.to_string(),
            detail: format!("unknown tunnel {name:?}"),
        })
    })
    .transpose()
}

fn service_key(
    tunnel_name: Option<&str>,
    name: &str,
    port: Option<u16>,
    failed: bool,
    path: &str,
) -> Result<ServiceKey, SummaryError> {
    Ok(ServiceKey {
        tunnel: tunnel(tunnel_name, path)?,
        transport: transport(name, path)?,
        naming: match port {
            Some(p) => Naming::Port(p),
            None if failed => Naming::Failed,
            None => Naming::Dynamic,
        },
    })
}

fn span(first: Option<i64>, last: Option<i64>) -> Option<(i64, i64)> {
    first.zip(last)
}

/// Whether `bytes` look like a JSON summary rather than a capture.
pub fn looks_like_json(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{')
}

/// Reads a JSON summary file back into a tally.
pub fn load(path: &Path) -> Result<Summary, SummaryError> {
    let name = path.display().to_string();
    let text = std::fs::read(path).map_err(|source| SummaryError::Read {
        path: name.clone(),
        source,
    })?;
    parse(&text, &name)
}

/// Parses a JSON summary (`name` is used in messages). A live stream
/// (NDJSON) is accepted: its last line, the summary, is used.
pub fn parse(text: &[u8], name: &str) -> Result<Summary, SummaryError> {
    let invalid = |detail: String| SummaryError::Invalid {
        path: name.to_string(),
        detail,
    };
    // NDJSON from `live`: the summary is the last non-empty line.
    let document = match std::str::from_utf8(text) {
        Ok(t)
            if t.trim_start().starts_with('{')
                && t.trim().lines().count() > 1
                && t.trim().lines().all(|l| l.trim_start().starts_with('{')) =>
        {
            t.trim().lines().last().unwrap_or("").as_bytes()
        }
        _ => text,
    };
    let json: SummaryJson = serde_json::from_slice(document).map_err(|e| invalid(e.to_string()))?;
    if !json.schema.starts_with("portclass.read/") && !json.schema.starts_with("portclass.report/")
    {
        return Err(invalid(format!("schema {:?}", json.schema)));
    }
    let mut parts = TallyParts {
        total: Counter {
            packets: json.packets,
            bytes: json.bytes,
        },
        time_span: span(json.first_timestamp_ns, json.last_timestamp_ns),
        link_types: json
            .link_types
            .iter()
            .map(|l| (l.linktype, l.packets))
            .collect(),
        ..TallyParts::default()
    };
    for (i, category) in Category::ALL.iter().enumerate() {
        if let Some(c) = json.transport.get(category.name()) {
            parts.categories[i] = c.into();
        }
    }
    for p in &json.decode_problems {
        if let Some(i) = DecodeProblem::ALL
            .iter()
            .position(|d| d.name() == p.problem)
        {
            parts.problems[i] = p.packets;
        }
    }
    for p in &json.ports {
        let counters = PortCounters {
            src: Counter {
                packets: p.src_packets,
                bytes: p.src_bytes,
            },
            dst: Counter {
                packets: p.dst_packets,
                bytes: p.dst_bytes,
            },
        };
        parts.ports.push((
            tunnel(p.tunnel.as_deref(), name)?,
            transport(&p.transport, name)?,
            p.port,
            counters,
        ));
    }
    for s in &json.services {
        let key = service_key(s.tunnel.as_deref(), &s.transport, s.port, s.failed, name)?;
        if let Some(a) = &s.attempted {
            let attempted = Attempted::from_saved(&a.port_ranges, &a.host_sketch)
                .ok_or_else(|| invalid("a failed row's attempted ports or host sketch".into()))?;
            parts.attempted.push((key.tunnel, key.transport, attempted));
        }
        let (by_handshake, by_heuristic, by_related) = s
            .identified
            .as_ref()
            .map_or((0, 0, 0), |i| (i.handshake, i.heuristic, i.related));
        parts.services.push((
            key,
            ServiceCounts {
                total: Counter {
                    packets: s.packets,
                    bytes: s.bytes,
                },
                by_handshake,
                by_heuristic,
                by_related,
                by_port_database: s
                    .packets
                    .saturating_sub(by_handshake)
                    .saturating_sub(by_heuristic)
                    .saturating_sub(by_related),
            },
        ));
    }
    parts.fragments = FragmentCounts {
        attributed: (&json.fragments.attributed).into(),
        unattributed: (&json.fragments.unattributed).into(),
    };
    parts.decap = json.decap;
    if let Some(json_servers) = &json.servers {
        parts.servers = servers(json_servers, name)?;
    }
    for t in &json.tunnels {
        parts.tunnels.push((
            tunnel(Some(&t.tunnel), name)?.unwrap_or(Tunnel::Gre),
            Counter {
                packets: t.packets,
                bytes: t.bytes,
            },
        ));
    }
    if let Some(scans) = &json.scans {
        parts.scans = Some(scan_report(scans).map_err(invalid)?);
    }
    parts.inputs = json
        .inputs
        .iter()
        .enumerate()
        .map(|(position, i)| InputFacts {
            position,
            name: i.name.clone(),
            format: i.format.clone(),
            link_types: i
                .link_types
                .iter()
                .map(|l| (l.linktype, l.packets))
                .collect(),
            total: Counter {
                packets: i.packets,
                bytes: i.bytes,
            },
            time_span: span(i.first_timestamp_ns, i.last_timestamp_ns),
            status: match i.status.as_str() {
                "partial" => InputStatus::Partial(i.error.clone().unwrap_or_default()),
                "failed" => InputStatus::Failed(i.error.clone().unwrap_or_default()),
                _ => InputStatus::Complete,
            },
        })
        .collect();
    let base = Tally::from_parts(parts);
    let Some(report) = json.report else {
        return Ok(Summary {
            tally: ReportTally::from_parts(
                base,
                HashMap::new(),
                SpaceSaving::new(crate::tally::report::HOST_CAPACITY),
                SpaceSaving::new(crate::tally::report::CONVERSATION_CAPACITY),
                TimeSeries::new(None),
            ),
            has_details: false,
        });
    };
    let mut directions = HashMap::new();
    for d in &report.service_directions {
        directions.insert(
            service_key(d.tunnel.as_deref(), &d.transport, d.port, d.failed, name)?,
            Direction {
                to_server: Counter {
                    packets: d.to_server_packets,
                    bytes: d.to_server_bytes,
                },
                to_client: Counter {
                    packets: d.to_client_packets,
                    bytes: d.to_client_bytes,
                },
            },
        );
    }
    let host_entries: Vec<Entry<IpAddr, HostWeights>> = report
        .hosts
        .entries
        .iter()
        .map(|h| Entry {
            key: h.address,
            weights: HostWeights {
                sent: Counter {
                    packets: h.sent_packets,
                    bytes: h.sent_bytes,
                },
                received: Counter {
                    packets: h.received_packets,
                    bytes: h.received_bytes,
                },
            },
            overestimate: h.overestimate_bytes,
        })
        .collect();
    let t = &report.hosts.totals;
    let host_total = HostWeights {
        sent: Counter {
            packets: t.sent_packets,
            bytes: t.sent_bytes,
        },
        received: Counter {
            packets: t.received_packets,
            bytes: t.received_bytes,
        },
    };
    let hosts = SpaceSaving::from_parts(
        report.hosts.capacity,
        host_entries,
        host_total,
        report.hosts.error_bound_bytes,
        report.hosts.exact,
    );
    let mut conversation_entries = Vec::new();
    for c in &report.conversations.entries {
        conversation_entries.push(Entry {
            key: ConversationKey {
                transport: transport(&c.transport, name)?,
                client: c.client,
                client_port: c.client_port,
                server: c.server,
                server_port: c.server_port,
            },
            weights: ConversationWeights {
                to_server: Counter {
                    packets: c.to_server_packets,
                    bytes: c.to_server_bytes,
                },
                to_client: Counter {
                    packets: c.to_client_packets,
                    bytes: c.to_client_bytes,
                },
                span: c.first_ns.zip(c.last_ns),
            },
            overestimate: c.overestimate_bytes,
        });
    }
    let t = &report.conversations.totals;
    let conversation_total = ConversationWeights {
        to_server: Counter {
            packets: t.to_server_packets,
            bytes: t.to_server_bytes,
        },
        to_client: Counter {
            packets: t.to_client_packets,
            bytes: t.to_client_bytes,
        },
        span: None,
    };
    let conversations = SpaceSaving::from_parts(
        report.conversations.capacity,
        conversation_entries,
        conversation_total,
        report.conversations.error_bound_bytes,
        report.conversations.exact,
    );
    let mut buckets = Vec::new();
    for b in &report.timeseries.buckets {
        let mut services = Vec::new();
        for s in &b.services {
            services.push((
                service_key(s.tunnel.as_deref(), &s.transport, s.port, s.failed, name)?,
                s.bytes,
            ));
        }
        buckets.push((b.start_ns, b.packets, b.bytes, services, b.other_bytes));
    }
    let series = TimeSeries::from_parts(
        report.timeseries.bucket_ns,
        buckets,
        report.timeseries.approximate,
    )
    .with_requested(report.timeseries.requested_ns);
    Ok(Summary {
        tally: ReportTally::from_parts(base, directions, hosts, conversations, series),
        has_details: true,
    })
}
