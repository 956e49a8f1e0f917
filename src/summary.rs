//! JSON summaries read back: the output of `read`, `live` and `report`
//! (`--format json`) deserialised as the [`schema`](crate::schema)'s
//! [`Document`] and turned into tallies again, so that `merge` and `report`
//! can combine summaries made on many machines exactly as if the captures
//! had been read together.
//!
//! May import: `schema` (the documents), `tally` and `pipeline::scans` (what
//! they become), serde_json. The JSON's shape is the schema's alone.

use crate::pipeline::names::{HostName, NameTable};
use crate::pipeline::scans::{ScanEvidence, ScanFinding, ScanKind, ScanReport};
use crate::schema::{
    ConversationView, Document, HostView, InputView, LinkTypeView, NamesView, ReadView,
    ReportSections, ScanView, ScansView, ServerView, ServersView, ServiceView, TopView,
};
use crate::tally::attempted::Attempted;
use crate::tally::report::{
    CONVERSATION_CAPACITY, ConversationKey, ConversationWeights, Direction, HOST_CAPACITY,
    HostWeights, ReportTally,
};
use crate::tally::servers::{ClientSeen, ServerKey, ServerWeights, Servers, TOP_CLIENTS};
use crate::tally::timeseries::{BucketParts, TimeSeries};
use crate::tally::topk::{Entry, SpaceSaving, Weights};
use crate::tally::{
    Counter, FragmentCounts, InputFacts, PortCounters, ServiceCounts, Tally, TallyParts,
};
use std::hash::Hash;
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

/// A summary read back.
pub struct Summary {
    /// Its counts, with the report's details when it was a report.
    pub tally: ReportTally,
    /// Whether it carried the report's details (hosts, conversations, time
    /// series, directions).
    pub has_details: bool,
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
    let document: Document =
        serde_json::from_slice(last_document(text)).map_err(|e| invalid(e.to_string()))?;
    let schema = &document.read.schema;
    if !schema.starts_with("portclass.read/") && !schema.starts_with("portclass.report/") {
        return Err(invalid(format!("schema {schema:?}")));
    }
    let base = Tally::from_parts(tally_parts(&document.read).map_err(invalid)?);
    Ok(match &document.report {
        Some(report) => Summary {
            tally: report_tally(base, report).map_err(invalid)?,
            has_details: true,
        },
        None => Summary {
            tally: ReportTally::from_parts(
                base,
                Default::default(),
                SpaceSaving::new(HOST_CAPACITY),
                SpaceSaving::new(CONVERSATION_CAPACITY),
                TimeSeries::new(None),
            ),
            has_details: false,
        },
    })
}

/// The document of `text`: all of it, or the last line of NDJSON from
/// `live` (its summary).
pub fn last_document(text: &[u8]) -> &[u8] {
    match std::str::from_utf8(text) {
        Ok(t)
            if t.trim_start().starts_with('{')
                && t.trim().lines().count() > 1
                && t.trim().lines().all(|l| l.trim_start().starts_with('{')) =>
        {
            t.trim().lines().last().unwrap_or("").as_bytes()
        }
        _ => text,
    }
}

/// The name table of a summary's `names`; every name is checked as the
/// traffic's are (it is printed in terminals and pages).
fn names(view: &NamesView) -> Result<NameTable, String> {
    let checked = |name: &str| {
        HostName::new(name.as_bytes())
            .filter(|n| n.as_str() == name)
            .ok_or_else(|| format!("{name:?} in `names` is not a lowercase host name"))
    };
    let mut names = NameTable::new();
    for e in &view.entries {
        checked(&e.name)?;
        if let Some(canonical) = &e.canonical {
            checked(canonical)?;
        }
        names.offer(
            e.address,
            &e.name,
            e.source,
            e.first_ns,
            e.canonical.as_deref(),
        );
    }
    names.add_dropped(view.dropped);
    Ok(names)
}

/// The tally of `read`'s fields; an error names what could not be rebuilt.
fn tally_parts(read: &ReadView) -> Result<TallyParts, String> {
    let mut parts = TallyParts {
        total: Counter {
            packets: read.packets,
            bytes: read.bytes,
        },
        time_span: read.time_span(),
        link_types: link_types(&read.link_types),
        ports: read
            .ports
            .iter()
            .map(|p| {
                let src = counter(p.src_packets, p.src_bytes);
                let dst = counter(p.dst_packets, p.dst_bytes);
                (p.tunnel, p.transport, p.port, PortCounters { src, dst })
            })
            .collect(),
        fragments: FragmentCounts {
            attributed: read.fragments.attributed.into(),
            unattributed: read.fragments.unattributed.into(),
        },
        decap: read.decap,
        tunnels: read
            .tunnels
            .iter()
            .map(|t| (t.tunnel, counter(t.packets, t.bytes)))
            .collect(),
        servers: servers(&read.servers)?,
        names: names(&read.names)?,
        scans: read.scans.as_ref().map(scan_report).transpose()?,
        inputs: read.inputs.iter().enumerate().map(input_facts).collect(),
        ..TallyParts::default()
    };
    for (category, c) in read.transport.rows() {
        parts.categories[category.index()] = c.into();
    }
    for p in &read.decode_problems {
        parts.problems[p.problem.index()] = p.packets;
    }
    for s in &read.services {
        let key = s.key.into();
        if let Some(a) = &s.attempted {
            let attempted = Attempted::from_saved(&a.port_ranges, &a.host_sketch)
                .ok_or("a failed row's attempted ports or host sketch")?;
            parts
                .attempted
                .push((s.key.tunnel, s.key.transport, attempted));
        }
        parts.services.push((key, service_counts(s)));
    }
    Ok(parts)
}

fn counter(packets: u64, bytes: u64) -> Counter {
    Counter { packets, bytes }
}

fn link_types(views: &[LinkTypeView]) -> Vec<(u16, u64)> {
    views.iter().map(|l| (l.linktype, l.packets)).collect()
}

/// A service row's counts. Packets named by no recorded method (all of
/// them in summaries older than handshake naming) count as named by the
/// port database.
fn service_counts(s: &ServiceView) -> ServiceCounts {
    let i = &s.identified;
    ServiceCounts {
        total: counter(s.packets, s.bytes),
        by_handshake: i.handshake,
        by_heuristic: i.heuristic,
        by_related: i.related,
        by_port_database: s
            .packets
            .saturating_sub(i.handshake)
            .saturating_sub(i.heuristic)
            .saturating_sub(i.related),
    }
}

fn input_facts((position, input): (usize, &InputView)) -> InputFacts {
    InputFacts {
        position,
        name: input.name.clone(),
        format: input.format.clone(),
        link_types: link_types(&input.link_types),
        total: counter(input.packets, input.bytes),
        time_span: input.first_timestamp_ns.zip(input.last_timestamp_ns),
        status: input
            .status
            .with_error(input.error.clone().unwrap_or_default()),
        filter: input
            .filter
            .clone()
            .map(|expression| (expression, input.filtered_out)),
    }
}

/// A top-K summary from its table, each row turned into an entry by
/// `entry`, with the table's totals as `total`.
fn top_k<T, U, K: Copy + Eq + Hash + Ord, W: Weights>(
    table: &TopView<T, U>,
    entry: impl Fn(&T) -> Result<Entry<K, W>, String>,
    total: W,
) -> Result<SpaceSaving<K, W>, String> {
    Ok(SpaceSaving::from_parts(
        table.capacity,
        table.entries.iter().map(entry).collect::<Result<_, _>>()?,
        total,
        table.error_bound_bytes,
        table.exact,
    ))
}

/// The server inventory of a summary.
fn servers(view: &ServersView) -> Result<Servers, String> {
    let t = &view.totals;
    let total = ServerWeights {
        to_server: counter(t.to_server_packets, t.to_server_bytes),
        from_server: counter(t.from_server_packets, t.from_server_bytes),
        ..ServerWeights::default()
    };
    Ok(Servers::from_summary(top_k(view, server_entry, total)?))
}

fn server_entry(s: &ServerView) -> Result<Entry<ServerKey, ServerWeights>, String> {
    let mut weights = ServerWeights {
        to_server: counter(s.to_server_packets, s.to_server_bytes),
        from_server: counter(s.from_server_packets, s.from_server_bytes),
        span: s.first_ns.zip(s.last_ns),
        conversations: s.conversations,
        clients_overflowed: s.clients_approximate || s.top_clients.len() > TOP_CLIENTS,
        ..ServerWeights::default()
    };
    for (slot, client) in weights.top_clients.iter_mut().zip(&s.top_clients) {
        *slot = ClientSeen {
            address: Some(client.address),
            seen: client.conversations,
        };
    }
    if !weights.set_client_sketch(&s.client_sketch) {
        return Err(format!("server {}: bad client_sketch", s.address));
    }
    Ok(Entry {
        key: ServerKey {
            transport: s.transport,
            address: s.address,
            port: s.port,
        },
        weights,
        overestimate: s.overestimate_bytes,
    })
}

/// The scan report a `scans` section shows.
fn scan_report(view: &ScansView) -> Result<ScanReport, String> {
    let mut report = ScanReport::new(view.settings.settings);
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

/// The report tally of a report's sections on top of `base`.
fn report_tally(base: Tally, report: &ReportSections) -> Result<ReportTally, String> {
    let directions = report
        .service_directions
        .iter()
        .map(|d| {
            let direction = Direction {
                to_server: counter(d.to_server_packets, d.to_server_bytes),
                to_client: counter(d.to_client_packets, d.to_client_bytes),
            };
            (d.key.into(), direction)
        })
        .collect();
    let t = &report.hosts.totals;
    let host_total = HostWeights {
        sent: counter(t.sent_packets, t.sent_bytes),
        received: counter(t.received_packets, t.received_bytes),
    };
    let hosts = top_k(&report.hosts, |h| Ok(host_entry(h)), host_total)?;
    let t = &report.conversations.totals;
    let conversation_total = ConversationWeights {
        to_server: counter(t.to_server_packets, t.to_server_bytes),
        to_client: counter(t.to_client_packets, t.to_client_bytes),
        span: None,
    };
    let conversation = |c: &ConversationView| Ok(conversation_entry(c));
    let conversations = top_k(&report.conversations, conversation, conversation_total)?;
    let ts = &report.timeseries;
    let buckets: Vec<BucketParts> = ts
        .buckets
        .iter()
        .map(|b| {
            let services = b.services.iter().map(|s| (s.key.into(), s.bytes)).collect();
            (b.start_ns, b.packets, b.bytes, services, b.other_bytes)
        })
        .collect();
    let series = TimeSeries::from_parts(ts.bucket_ns, buckets, ts.approximate)
        .with_requested(ts.requested_ns);
    Ok(ReportTally::from_parts(
        base,
        directions,
        hosts,
        conversations,
        series,
    ))
}

fn host_entry(h: &HostView) -> Entry<IpAddr, HostWeights> {
    Entry {
        key: h.address,
        weights: HostWeights {
            sent: counter(h.sent_packets, h.sent_bytes),
            received: counter(h.received_packets, h.received_bytes),
        },
        overestimate: h.overestimate_bytes,
    }
}

fn conversation_entry(c: &ConversationView) -> Entry<ConversationKey, ConversationWeights> {
    Entry {
        key: ConversationKey {
            transport: c.transport,
            client: c.client,
            client_port: c.client_port,
            server: c.server,
            server_port: c.server_port,
        },
        weights: ConversationWeights {
            to_server: counter(c.to_server_packets, c.to_server_bytes),
            to_client: counter(c.to_client_packets, c.to_client_bytes),
            span: c.first_ns.zip(c.last_ns),
        },
        overestimate: c.overestimate_bytes,
    }
}
