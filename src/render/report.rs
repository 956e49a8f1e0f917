//! The report: `read`'s view plus direction per service, port classes, top
//! hosts and conversations, a time series of the top services, and the
//! ports the database does not know. Serialised as JSON (schema
//! [`REPORT_SCHEMA`]), Markdown, CSV per table, or HTML (see `html`).

use super::table::{Style, Table};
use super::text::identified_label;
use super::{
    ReadView, ScanView, ScansView, ServiceView, format_bytes, format_count, format_rate,
    format_timestamp,
};
use super::{bracket, format_share, port_label};
use crate::classify::{Naming, PortClass, PortDb};
use crate::decode::{Transport, Tunnel};
use crate::tally::ServiceKey;
use crate::tally::report::{ConversationKey, ReportTally};
use serde::Serialize;
use std::collections::HashMap;
use std::io::{self, Write};

/// The JSON schema identifier of `report --format json` (and of `merge`
/// output of reports); it holds every field of `portclass.read/2`.
pub const REPORT_SCHEMA: &str = "portclass.report/2";

/// Direction of one service row.
#[derive(Clone, Debug, Serialize)]
pub struct DirectionView {
    /// The tunnel (`--decap`); `null` outside tunnels.
    pub tunnel: Option<&'static str>,
    /// `tcp`, `udp` or `sctp`.
    pub transport: &'static str,
    /// The service port; `null` for the dynamic and failed rows.
    pub port: Option<u16>,
    /// Present (`true`) on the failed-attempts row only.
    #[serde(skip_serializing_if = "super::is_false")]
    pub failed: bool,
    /// Client-to-server frames (towards the service port).
    pub to_server_packets: u64,
    /// Their bytes.
    pub to_server_bytes: u64,
    /// Server-to-client frames.
    pub to_client_packets: u64,
    /// Their bytes.
    pub to_client_bytes: u64,
}

/// Traffic by the class of the port that named it.
#[derive(Clone, Debug, Serialize)]
pub struct PortClassView {
    /// `well-known` (0-1023), `registered` (1024-49151), `dynamic` (49152-65535).
    pub class: &'static str,
    /// Service rows in the class.
    pub services: u64,
    /// Frames.
    pub packets: u64,
    /// Bytes.
    pub bytes: u64,
    /// Share of all bytes, 0..1.
    pub share: f64,
}

/// What all hosts sent and received (each frame with addresses counts once
/// as sent, once as received).
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct HostTotals {
    /// Frames sent.
    pub sent_packets: u64,
    /// Their bytes.
    pub sent_bytes: u64,
    /// Frames received.
    pub received_packets: u64,
    /// Their bytes.
    pub received_bytes: u64,
}

/// What all conversations carried, by direction.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct ConversationTotals {
    /// Client-to-server frames.
    pub to_server_packets: u64,
    /// Their bytes.
    pub to_server_bytes: u64,
    /// Server-to-client frames.
    pub to_client_packets: u64,
    /// Their bytes.
    pub to_client_bytes: u64,
}

/// A top-K table (hosts or conversations) with its accuracy.
#[derive(Clone, Debug, Serialize)]
pub struct TopView<T, U> {
    /// How many keys the summary keeps.
    pub capacity: usize,
    /// True when every figure is exact (no more distinct keys than the
    /// capacity ever had to be tracked).
    pub exact: bool,
    /// When not exact: a key not kept has at most this many bytes (never
    /// more than the total divided by the capacity).
    pub error_bound_bytes: u64,
    /// The rows, largest first (all kept rows; renderers show the top N).
    pub entries: Vec<T>,
    /// Exact totals over every key, listed or not (for the "others" row).
    pub totals: U,
}

/// One host.
#[derive(Clone, Debug, Serialize)]
pub struct HostView {
    /// IPv4 or IPv6 address.
    pub address: String,
    /// Frames it sent.
    pub sent_packets: u64,
    /// Their bytes.
    pub sent_bytes: u64,
    /// Frames it received.
    pub received_packets: u64,
    /// Their bytes.
    pub received_bytes: u64,
    /// Its true bytes lie between the shown sent+received bytes and that
    /// plus this (0: exact); the shown fields are lower bounds.
    pub overestimate_bytes: u64,
}

/// One conversation.
#[derive(Clone, Debug, Serialize)]
pub struct ConversationView {
    /// `tcp`, `udp` or `sctp`.
    pub transport: &'static str,
    /// Client address.
    pub client: String,
    /// Client port.
    pub client_port: u16,
    /// Server address.
    pub server: String,
    /// Server port.
    pub server_port: u16,
    /// The service the server port names (null with --numeric).
    pub service: Option<String>,
    /// Client-to-server frames.
    pub to_server_packets: u64,
    /// Their bytes.
    pub to_server_bytes: u64,
    /// Server-to-client frames.
    pub to_client_packets: u64,
    /// Their bytes.
    pub to_client_bytes: u64,
    /// Its true bytes lie between the shown bytes and that plus this (0:
    /// exact); the shown fields are lower bounds.
    pub overestimate_bytes: u64,
    /// First frame counted (RFC 3339, UTC).
    pub first_timestamp: Option<String>,
    /// Last frame counted.
    pub last_timestamp: Option<String>,
    /// First frame, ns since the epoch.
    pub first_ns: Option<i64>,
    /// Last frame, ns since the epoch.
    pub last_ns: Option<i64>,
    /// From the first frame to the last, in seconds.
    pub duration_seconds: Option<f64>,
}

/// Bytes of one service in one bucket.
#[derive(Clone, Debug, Serialize)]
pub struct BucketServiceView {
    /// The tunnel (`--decap`); `null` outside tunnels.
    pub tunnel: Option<&'static str>,
    /// `tcp`, `udp` or `sctp`.
    pub transport: &'static str,
    /// The naming port; `null` for the dynamic and failed rows.
    pub port: Option<u16>,
    /// Present (`true`) on the failed-attempts row only.
    #[serde(skip_serializing_if = "super::is_false")]
    pub failed: bool,
    /// Bytes.
    pub bytes: u64,
}

/// One time bucket.
#[derive(Clone, Debug, Serialize)]
pub struct BucketView {
    /// Start (RFC 3339, UTC).
    pub start: String,
    /// Start, nanoseconds since the epoch (a multiple of the width).
    pub start_ns: i64,
    /// Frames in the bucket.
    pub packets: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Bytes per service (every service the bucket holds).
    pub services: Vec<BucketServiceView>,
    /// Service bytes beyond the per-bucket limit of distinct services.
    pub other_bytes: u64,
}

/// The time series.
#[derive(Clone, Debug, Serialize)]
pub struct TimeSeriesView {
    /// Bucket width in nanoseconds.
    pub bucket_ns: u64,
    /// Bucket width in seconds.
    pub bucket_seconds: f64,
    /// The width asked for with --bucket (`null`: chosen automatically).
    pub requested_ns: Option<u64>,
    /// The width asked for with --bucket, when it had to be widened to keep
    /// the number of buckets bounded.
    pub widened_from_ns: Option<u64>,
    /// True when some service bytes went to `other_bytes`.
    pub approximate: bool,
    /// The services charted (the top N by bytes), in stacking order.
    pub top_services: Vec<BucketServiceView>,
    /// The buckets with traffic, in time order.
    pub buckets: Vec<BucketView>,
}

/// The peak: the busiest second of total traffic (see
/// [`TimeSeries::peak`](crate::tally::timeseries::TimeSeries::peak)), the
/// one figure every format shows as the peak.
#[derive(Clone, Debug, Serialize)]
pub struct PeakView {
    /// Its start (RFC 3339, UTC).
    pub start: String,
    /// Its start, nanoseconds since the epoch: a multiple of its width, or
    /// the first frame's time when the capture is shorter than the window.
    pub start_ns: i64,
    /// Its bytes.
    pub bytes: u64,
    /// Bits per second over the window.
    pub bits_per_second: f64,
    /// The window's width in seconds: 1, or the time series' bucket width
    /// when that is wider (captures spanning more than 1,024 buckets of a
    /// second), or the capture's duration when that is shorter (the peak is
    /// then the average).
    pub bucket_seconds: f64,
    /// The window's width in nanoseconds.
    pub bucket_ns: u64,
}

impl PeakView {
    /// Whether the bucket of `width_ns` starting at `start_ns` holds the
    /// whole peak window (display buckets are the peak's width or a
    /// multiple of it, aligned the same way, so exactly one does).
    pub fn is_in(&self, start_ns: i64, width_ns: u64) -> bool {
        let end = i128::from(start_ns) + i128::from(width_ns);
        i128::from(start_ns) <= i128::from(self.start_ns)
            && i128::from(self.start_ns) + i128::from(self.bucket_ns) <= end
    }

    /// `busiest 1 s, from 2025-…Z`, or for a capture shorter than the
    /// window (whose peak is its average) `the whole capture (58.1 ms),
    /// from …`; `start` is the start as the format shows times, `width` the
    /// window's width.
    pub fn detail(&self, start: &str, duration_seconds: f64, width: &str) -> String {
        if duration_seconds <= self.bucket_seconds {
            format!(
                "the whole capture ({}), from {start}",
                format_duration(duration_seconds)
            )
        } else {
            format!("busiest {width}, from {start}")
        }
    }
}

/// A server port the port database does not know (from the server
/// inventory: ports that answered, never a client's).
#[derive(Clone, Debug, Serialize)]
pub struct UnknownPortView {
    /// `tcp`, `udp` or `sctp`.
    pub transport: &'static str,
    /// The port.
    pub port: u16,
    /// Server endpoints (addresses) answering on it.
    pub servers: u64,
    /// Frames to and from those servers.
    pub packets: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// The report's own sections.
#[derive(Clone, Debug, Serialize)]
pub struct ReportSections {
    /// False when some inputs were `read` or `live` summaries, which carry
    /// no hosts, conversations, directions or time series: renderers then
    /// show those sections as not available.
    pub details_available: bool,
    /// The busiest second.
    pub peak: Option<PeakView>,
    /// Direction per service row (same order as `services`).
    pub service_directions: Vec<DirectionView>,
    /// Traffic by port class.
    pub port_classes: Vec<PortClassView>,
    /// Top hosts by bytes.
    pub hosts: TopView<HostView, HostTotals>,
    /// Top conversations by bytes.
    pub conversations: TopView<ConversationView, ConversationTotals>,
    /// Services over time.
    pub timeseries: TimeSeriesView,
    /// Ports the database does not know, by bytes.
    pub unknown_ports: Vec<UnknownPortView>,
}

/// Everything `report` shows: `read`'s view plus the report sections.
#[derive(Clone, Debug, Serialize)]
pub struct ReportView {
    /// The read view (its `schema` is [`REPORT_SCHEMA`]).
    #[serde(flatten)]
    pub read: ReadView,
    /// The report's sections.
    pub report: ReportSections,
    /// The time series for a chart: buckets of the peak's width or wider
    /// (at most [`CHART_BUCKETS`]), so that no bar rises above the peak.
    #[serde(skip)]
    pub chart: TimeSeriesView,
    /// The time series for a text table, the same way (at most
    /// [`TABLE_BUCKETS`]).
    #[serde(skip)]
    pub table: TimeSeriesView,
    /// How many rows of each table the renderers show (`--top`).
    #[serde(skip)]
    pub top: usize,
}

/// Most buckets drawn in the HTML chart.
pub const CHART_BUCKETS: usize = 240;
/// Most buckets listed in a text table.
pub const TABLE_BUCKETS: usize = 24;

fn series_view(
    series: &crate::tally::timeseries::TimeSeries,
    widened_from: Option<u64>,
    top_services: &[BucketServiceView],
) -> TimeSeriesView {
    let width = series.width_ns();
    TimeSeriesView {
        bucket_ns: width,
        bucket_seconds: width as f64 / 1e9,
        requested_ns: series.requested_ns(),
        widened_from_ns: widened_from,
        approximate: series.is_approximate(),
        top_services: top_services.to_vec(),
        buckets: series
            .buckets()
            .map(|b| BucketView {
                start: format_timestamp(b.start_ns),
                start_ns: b.start_ns,
                packets: b.packets,
                bytes: b.bytes,
                services: b
                    .services
                    .iter()
                    .map(|&(key, bytes)| BucketServiceView {
                        tunnel: key.tunnel.map(Tunnel::name),
                        transport: key.transport.name(),
                        port: key.port_number(),
                        failed: key.naming == Naming::Failed,
                        bytes,
                    })
                    .collect(),
                other_bytes: b.other_bytes,
            })
            .collect(),
    }
}

/// A label with the tunnel it came through: `https (vxlan)`.
pub(super) fn with_tunnel(label: String, tunnel: Option<&str>) -> String {
    match tunnel {
        Some(t) => format!("{label} ({t})"),
        None => label,
    }
}

fn service_label(
    view: &ReadView,
    tunnel: Option<&str>,
    transport: &str,
    port: Option<u16>,
    failed: bool,
) -> String {
    let label = view
        .services
        .iter()
        .find(|s| {
            s.tunnel == tunnel && s.transport == transport && s.port == port && s.failed == failed
        })
        .and_then(|s| s.service.clone())
        .unwrap_or_else(|| port_label(transport, port, failed));
    with_tunnel(label, tunnel)
}

/// Service names by (transport, port), built once: conversations look up
/// their server port's name, and a scan makes both lists long.
fn label_map(view: &ReadView) -> HashMap<(&'static str, Option<u16>), String> {
    view.services
        .iter()
        .filter(|s| s.tunnel.is_none() && !s.failed)
        .filter_map(|s| s.service.clone().map(|name| ((s.transport, s.port), name)))
        .collect()
}

impl ReportView {
    /// Builds the view of `tally`; `top` rows per table are shown by the
    /// text renderers and charted.
    pub fn new(tally: &ReportTally, db: &PortDb, numeric: bool, top: usize) -> ReportView {
        let mut read = ReadView::new(&tally.base, db, numeric);
        read.schema = REPORT_SCHEMA;
        let total_bytes = read.bytes;
        let share = |bytes: u64| {
            if total_bytes == 0 {
                0.0
            } else {
                bytes as f64 / total_bytes as f64
            }
        };
        let service_directions = read
            .services
            .iter()
            .map(|s| {
                let key = ServiceKey {
                    tunnel: s.tunnel.and_then(Tunnel::parse),
                    transport: Transport::parse(s.transport).unwrap_or(Transport::Tcp),
                    naming: match s.port {
                        Some(p) => Naming::Port(p),
                        None if s.failed => Naming::Failed,
                        None => Naming::Dynamic,
                    },
                };
                let d = tally.directions().get(&key).copied().unwrap_or_default();
                DirectionView {
                    tunnel: s.tunnel,
                    transport: s.transport,
                    port: s.port,
                    failed: s.failed,
                    to_server_packets: d.to_server.packets,
                    to_server_bytes: d.to_server.bytes,
                    to_client_packets: d.to_client.packets,
                    to_client_bytes: d.to_client.bytes,
                }
            })
            .collect();
        let mut classes = [
            (PortClass::WellKnown, 0u64, 0u64, 0u64),
            (PortClass::Registered, 0, 0, 0),
            (PortClass::Dynamic, 0, 0, 0),
        ];
        for s in &read.services {
            let class = s.port.map_or(PortClass::Dynamic, PortClass::of);
            if let Some(c) = classes.iter_mut().find(|c| c.0 == class) {
                c.1 += 1;
                c.2 += s.packets;
                c.3 += s.bytes;
            }
        }
        let port_classes = classes
            .iter()
            .map(|&(class, services, packets, bytes)| PortClassView {
                class: class.name(),
                services,
                packets,
                bytes,
                share: share(bytes),
            })
            .collect();
        let hosts = TopView {
            capacity: tally.hosts().capacity(),
            exact: tally.hosts().is_exact(),
            error_bound_bytes: tally.hosts().error_bound(),
            entries: tally
                .hosts()
                .entries()
                .into_iter()
                .map(|e| HostView {
                    address: e.key.to_string(),
                    sent_packets: e.weights.sent.packets,
                    sent_bytes: e.weights.sent.bytes,
                    received_packets: e.weights.received.packets,
                    received_bytes: e.weights.received.bytes,
                    overestimate_bytes: e.overestimate,
                })
                .collect(),
            totals: {
                let t = tally.hosts().total();
                HostTotals {
                    sent_packets: t.sent.packets,
                    sent_bytes: t.sent.bytes,
                    received_packets: t.received.packets,
                    received_bytes: t.received.bytes,
                }
            },
        };
        let labels = label_map(&read);
        let conversations = TopView {
            capacity: tally.conversations().capacity(),
            exact: tally.conversations().is_exact(),
            error_bound_bytes: tally.conversations().error_bound(),
            entries: tally
                .conversations()
                .entries()
                .into_iter()
                .map(|e| conversation_view(&labels, e.key, e.weights, e.overestimate, numeric))
                .collect(),
            totals: {
                let t = tally.conversations().total();
                ConversationTotals {
                    to_server_packets: t.to_server.packets,
                    to_server_bytes: t.to_server.bytes,
                    to_client_packets: t.to_client.packets,
                    to_client_bytes: t.to_client.bytes,
                }
            },
        };
        let series = tally.series();
        let top_services: Vec<BucketServiceView> = read
            .services
            .iter()
            .take(if top == 0 { read.services.len() } else { top })
            .map(|s| BucketServiceView {
                tunnel: s.tunnel,
                transport: s.transport,
                port: s.port,
                failed: s.failed,
                bytes: s.bytes,
            })
            .collect();
        let timeseries = series_view(series, series.widened_from(), &top_services);
        // The one peak, and charts and tables in buckets no narrower.
        let span = tally.base.time_span();
        let chart = series_view(
            &series.for_display(CHART_BUCKETS, span),
            series.widened_from(),
            &top_services,
        );
        let table = series_view(
            &series.for_display(TABLE_BUCKETS, span),
            series.widened_from(),
            &top_services,
        );
        let peak = series.peak(span).map(|peak| PeakView {
            start: format_timestamp(peak.start_ns),
            start_ns: peak.start_ns,
            bytes: peak.bytes,
            bits_per_second: peak.bits_per_second(),
            bucket_seconds: peak.width_ns as f64 / 1e9,
            bucket_ns: peak.width_ns,
        });
        // Server ports the database does not name (from the server
        // inventory: clients' ephemeral ports never appear).
        let mut unknown: HashMap<(&'static str, u16), UnknownPortView> = HashMap::new();
        for server in &read.servers.entries {
            let known =
                Transport::parse(server.transport).is_none_or(|t| db.contains(t, server.port));
            if known {
                continue;
            }
            let row = unknown
                .entry((server.transport, server.port))
                .or_insert(UnknownPortView {
                    transport: server.transport,
                    port: server.port,
                    servers: 0,
                    packets: 0,
                    bytes: 0,
                });
            row.servers += 1;
            row.packets += server.to_server_packets + server.from_server_packets;
            row.bytes += server.to_server_bytes + server.from_server_bytes;
        }
        let mut unknown_ports: Vec<UnknownPortView> = unknown.into_values().collect();
        unknown_ports.sort_by(|a, b| {
            b.bytes
                .cmp(&a.bytes)
                .then_with(|| a.transport.cmp(b.transport))
                .then_with(|| a.port.cmp(&b.port))
        });
        ReportView {
            read,
            report: ReportSections {
                details_available: true,
                peak,
                service_directions,
                port_classes,
                hosts,
                conversations,
                timeseries,
                unknown_ports,
            },
            chart,
            table,
            top,
        }
    }

    /// The service rows shown (top N) and the rest.
    pub fn shown_services(&self) -> (&[ServiceView], &[ServiceView]) {
        let n = if self.top == 0 {
            self.read.services.len()
        } else {
            self.top.min(self.read.services.len())
        };
        self.read.services.split_at(n)
    }

    /// Display label of a service (`https`, `40123/tcp`, `49152-65535/udp`,
    /// `https (vxlan)`).
    pub fn service_label(
        &self,
        tunnel: Option<&str>,
        transport: &str,
        port: Option<u16>,
        failed: bool,
    ) -> String {
        service_label(&self.read, tunnel, transport, port, failed)
    }

    /// Rows to show of a table of `len` rows.
    pub fn rows(&self, len: usize) -> usize {
        if self.top == 0 {
            len
        } else {
            self.top.min(len)
        }
    }
}

fn conversation_view(
    labels: &HashMap<(&'static str, Option<u16>), String>,
    key: ConversationKey,
    w: crate::tally::report::ConversationWeights,
    overestimate: u64,
    numeric: bool,
) -> ConversationView {
    let transport = key.transport.name();
    let port = Some(key.server_port);
    let service = (!numeric).then(|| {
        labels
            .get(&(transport, port))
            .cloned()
            .unwrap_or_else(|| port_label(transport, port, false))
    });
    ConversationView {
        transport,
        client: key.client.to_string(),
        client_port: key.client_port,
        server: key.server.to_string(),
        server_port: key.server_port,
        service,
        to_server_packets: w.to_server.packets,
        to_server_bytes: w.to_server.bytes,
        to_client_packets: w.to_client.packets,
        to_client_bytes: w.to_client.bytes,
        overestimate_bytes: overestimate,
        first_timestamp: w.span.map(|(first, _)| format_timestamp(first)),
        last_timestamp: w.span.map(|(_, last)| format_timestamp(last)),
        first_ns: w.span.map(|(first, _)| first),
        last_ns: w.span.map(|(_, last)| last),
        duration_seconds: w.span.map(|(first, last)| (last - first) as f64 / 1e9),
    }
}

/// Which table `--format csv` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportTable {
    /// Service rows with direction.
    Services,
    /// Top hosts.
    Hosts,
    /// Top conversations.
    Conversations,
    /// One row per bucket and charted service.
    Timeseries,
}

/// A Markdown table (see [`Table`]) and a blank line; the columns at
/// `right` hold numbers.
fn md_table(
    out: &mut dyn Write,
    header: &[&str],
    right: &[usize],
    rows: &[Vec<String>],
) -> io::Result<()> {
    let mut table = Table::new(Style::Markdown, header, right);
    for row in rows {
        table.add_row(row.iter().map(String::as_str));
    }
    writeln!(out, "{table}\n")
}

/// A duration for people: `17.8 ms`, `4.25 s`, `12.5 min`, `3.0 h`, `2.5 days`.
pub(super) fn format_duration(seconds: f64) -> String {
    if seconds < 1.0 {
        format!("{:.1} ms", seconds * 1e3)
    } else if seconds < 120.0 {
        format!("{seconds:.2} s")
    } else if seconds < 7200.0 {
        format!("{:.1} min", seconds / 60.0)
    } else if seconds < 172_800.0 {
        format!("{:.1} h", seconds / 3600.0)
    } else {
        format!("{:.1} days", seconds / 86_400.0)
    }
}

/// The name of a service row without its tunnel (`https`, `443/tcp` with
/// `--numeric`, `49152-65535/udp`), for tables that show the tunnel in a column
/// of its own.
pub(super) fn row_name(s: &ServiceView) -> String {
    s.service
        .clone()
        .unwrap_or_else(|| port_label(s.transport, s.port, s.failed))
}

/// The sentence on non-first fragments and their attribution, when there
/// were any.
pub(super) fn fragments_sentence(r: &ReadView) -> Option<String> {
    let f = &r.fragments;
    let fragments = r.transport.fragment.packets;
    if fragments == 0 && f.attributed.packets == 0 && f.unattributed.packets == 0 {
        return None;
    }
    let mut text = format!(
        "{} non-first fragment{}: {} ({}) attributed to the service of their first fragment and counted in its row; {} ({}) unattributed",
        format_count(fragments),
        if fragments == 1 { "" } else { "s" },
        format_count(f.attributed.packets),
        format_bytes(f.attributed.bytes),
        format_count(f.unattributed.packets),
        format_bytes(f.unattributed.bytes),
    );
    if f.unattributed.packets > 0 {
        text.push_str(" (their first fragment was not seen or carried no ports)");
    }
    text.push('.');
    Some(text)
}

/// The share of all bytes a tunnel's frames have.
pub(super) fn tunnel_share(r: &ReadView, bytes: u64) -> f64 {
    if r.bytes == 0 {
        0.0
    } else {
        bytes as f64 / r.bytes as f64
    }
}

/// The overview's line on port scans: `not looked for`, `none found`,
/// `2 found`.
pub(super) fn scans_overview(scans: Option<&ScansView>) -> String {
    match scans {
        None => "not looked for (--no-scans)".to_string(),
        Some(s) if s.found() == 0 => {
            format!("none found ({} probes seen)", format_count(s.probes))
        }
        Some(s) => format!("{} found", format_count(s.found())),
    }
}

/// The sentence when no scan was found.
pub(super) fn no_scans_sentence(s: &ScansView) -> String {
    format!(
        "No port scans found ({} probes seen; looked for {}).",
        format_count(s.probes),
        s.criteria()
    )
}

/// The sentence when scan detection was off.
pub(super) const SCANS_OFF: &str = "Not looked for: scan detection was off (--no-scans).";

/// The sentence under a table of scans: what was looked for.
pub(super) fn scans_criteria_sentence(s: &ScansView) -> String {
    format!(
        "Looked for {}; {} probes seen.",
        s.criteria(),
        format_count(s.probes)
    )
}

/// A scan's answer count, `≥` when a lower bound.
pub(super) fn scan_count(f: &ScanView, n: u64) -> String {
    if f.distinct_exact {
        format_count(n)
    } else {
        format!("≥ {}", format_count(n))
    }
}

/// Writes the report as Markdown, for tickets and wikis.
pub fn write_markdown(view: &ReportView, out: &mut dyn Write) -> io::Result<()> {
    let r = &view.read;
    writeln!(out, "# Traffic report\n")?;
    writeln!(out, "## Overview\n")?;
    let mut overview = Vec::new();
    for input in &r.inputs {
        overview.push(vec![
            "input".to_string(),
            format!(
                "{} ({}; {} packets, {}{})",
                input.name,
                input.format,
                format_count(input.packets),
                format_bytes(input.bytes),
                if input.status == "complete" {
                    String::new()
                } else {
                    format!("; {}", input.status)
                }
            ),
        ]);
    }
    if let (Some(first), Some(last)) = (&r.first_timestamp, &r.last_timestamp) {
        overview.push(vec![
            "time span".to_string(),
            format!("{first} to {last} ({:.3} s)", r.duration_seconds),
        ]);
    }
    overview.push(vec!["packets".to_string(), format_count(r.packets)]);
    overview.push(vec![
        "bytes".to_string(),
        format!(
            "{} ({} bytes)",
            format_bytes(r.bytes),
            format_count(r.bytes)
        ),
    ]);
    if let Some(bps) = r.average_bits_per_second {
        overview.push(vec!["average rate".to_string(), format_rate(bps)]);
    }
    if let Some(peak) = &view.report.peak {
        overview.push(vec![
            "peak rate".to_string(),
            format!(
                "{} ({})",
                format_rate(peak.bits_per_second),
                peak.detail(
                    &peak.start,
                    r.duration_seconds,
                    &format!("{} s", peak.bucket_seconds)
                )
            ),
        ]);
    }
    let links: Vec<String> = r
        .link_types
        .iter()
        .map(|l| format!("{} ({})", l.name, format_count(l.packets)))
        .collect();
    overview.push(vec!["link types".to_string(), links.join(", ")]);
    let t = &r.transport;
    let undecodable: u64 = r
        .decode_problems
        .iter()
        .filter(|p| p.problem == "unsupported_link_type")
        .map(|p| p.packets)
        .sum();
    overview.push(vec![
        "decode quality".to_string(),
        format!(
            "truncated {}, fragments {}, non-IP {}, undecodable link type {}",
            format_count(t.truncated.packets),
            format_count(t.fragment.packets),
            format_count(t.non_ip.packets),
            format_count(undecodable)
        ),
    ]);
    overview.push(vec![
        "port scans".to_string(),
        scans_overview(r.scans.as_ref()),
    ]);
    md_table(out, &["", ""], &[], &overview)?;

    writeln!(out, "## Traffic by transport\n")?;
    let rows: Vec<Vec<String>> = r
        .transport_rows()
        .iter()
        .filter(|(_, c)| c.packets > 0)
        .map(|(name, c)| {
            vec![
                name.to_string(),
                format_count(c.packets),
                format_bytes(c.bytes),
                format_share(if r.bytes == 0 {
                    0.0
                } else {
                    c.bytes as f64 / r.bytes as f64
                }),
            ]
        })
        .collect();
    md_table(
        out,
        &["transport", "packets", "bytes", "share"],
        &[1, 2, 3],
        &rows,
    )?;

    let details = view.report.details_available;
    const NO_DETAILS: &str = "Not available: some inputs were `read` or `live` summaries, which carry no hosts, conversations, directions or time series.";
    writeln!(out, "## By service\n")?;
    let (shown, rest) = view.shown_services();
    // With --decap the tunnel has a column of its own, first.
    let mut rows: Vec<Vec<String>> = shown
        .iter()
        .zip(&view.report.service_directions)
        .map(|(s, d)| {
            let mut row = vec![
                if r.decap {
                    row_name(s)
                } else {
                    view.service_label(s.tunnel, s.transport, s.port, s.failed)
                },
                port_label(s.transport, s.port, s.failed),
                format_count(s.packets),
                format_bytes(s.bytes),
                format_share(s.share),
                if details {
                    format_bytes(d.to_server_bytes)
                } else {
                    "n/a".to_string()
                },
                if details {
                    format_bytes(d.to_client_bytes)
                } else {
                    "n/a".to_string()
                },
                identified_label(s),
            ];
            if r.decap {
                row.insert(0, s.tunnel.unwrap_or("-").to_string());
            }
            row
        })
        .collect();
    if !rest.is_empty() {
        let mut row = vec![
            format!("({} more)", rest.len()),
            String::new(),
            format_count(rest.iter().map(|s| s.packets).sum()),
            format_bytes(rest.iter().map(|s| s.bytes).sum()),
            format_share(rest.iter().map(|s| s.share).sum()),
            String::new(),
            String::new(),
            String::new(),
        ];
        if r.decap {
            row.insert(0, String::new());
        }
        rows.push(row);
    }
    let mut header = vec![
        "service",
        "port",
        "packets",
        "bytes",
        "share",
        "client → server",
        "server → client",
        "identified by",
    ];
    if r.decap {
        header.insert(0, "tunnel");
    }
    let numbers: Vec<usize> = (2..7).map(|i| i + usize::from(r.decap)).collect();
    md_table(out, &header, &numbers, &rows)?;
    if let Some(sentence) = fragments_sentence(r) {
        writeln!(out, "{sentence}\n")?;
    }
    if r.decap {
        write_tunnels(r, out)?;
    }

    writeln!(out, "## By port class\n")?;
    let rows: Vec<Vec<String>> = view
        .report
        .port_classes
        .iter()
        .map(|c| {
            vec![
                c.class.to_string(),
                format_count(c.services),
                format_count(c.packets),
                format_bytes(c.bytes),
                format_share(c.share),
            ]
        })
        .collect();
    md_table(
        out,
        &["class", "services", "packets", "bytes", "share"],
        &[1, 2, 3, 4],
        &rows,
    )?;
    write_scans(view, out)?;
    super::text::write_servers(
        &view.read.servers,
        view.top,
        super::text::Style::Markdown,
        out,
    )?;

    if !details {
        for title in ["Top hosts", "Top conversations", "Top services over time"] {
            writeln!(out, "## {title}\n\n{NO_DETAILS}\n")?;
        }
        return write_unknown_ports(view, out);
    }
    writeln!(out, "## Top hosts\n")?;
    let hosts = &view.report.hosts;
    let rows: Vec<Vec<String>> = hosts.entries[..view.rows(hosts.entries.len())]
        .iter()
        .map(|h| {
            vec![
                h.address.clone(),
                format_bytes(h.sent_bytes),
                format_bytes(h.received_bytes),
                format_count(h.sent_packets + h.received_packets),
                approx(h.overestimate_bytes),
            ]
        })
        .collect();
    md_table(
        out,
        &["host", "sent", "received", "packets", "accuracy"],
        &[1, 2, 3],
        &rows,
    )?;
    let next = hosts
        .entries
        .get(view.rows(hosts.entries.len()))
        .map_or(0, |h| {
            h.sent_bytes + h.received_bytes + h.overestimate_bytes
        });
    writeln!(
        out,
        "{}\n",
        accuracy_note(
            hosts.exact,
            hosts.capacity,
            hosts.error_bound_bytes,
            next,
            "hosts"
        )
    )?;

    writeln!(out, "## Top conversations\n")?;
    let conversations = &view.report.conversations;
    let rows: Vec<Vec<String>> = conversations.entries[..view.rows(conversations.entries.len())]
        .iter()
        .map(|c| {
            vec![
                format!("{}:{}", bracket(&c.client), c.client_port),
                format!("{}:{}", bracket(&c.server), c.server_port),
                c.service
                    .clone()
                    .unwrap_or_else(|| format!("{}/{}", c.server_port, c.transport)),
                format_bytes(c.to_server_bytes),
                format_bytes(c.to_client_bytes),
                approx(c.overestimate_bytes),
            ]
        })
        .collect();
    md_table(
        out,
        &[
            "client",
            "server",
            "service",
            "client → server",
            "server → client",
            "accuracy",
        ],
        &[3, 4],
        &rows,
    )?;
    let next = conversations
        .entries
        .get(view.rows(conversations.entries.len()))
        .map_or(0, |c| {
            c.to_server_bytes + c.to_client_bytes + c.overestimate_bytes
        });
    writeln!(
        out,
        "{}\n",
        accuracy_note(
            conversations.exact,
            conversations.capacity,
            conversations.error_bound_bytes,
            next,
            "conversations"
        )
    )?;

    writeln!(out, "## Top services over time\n")?;
    let ts = &view.table;
    let mut header = vec!["bucket start".to_string()];
    header.extend(
        ts.top_services
            .iter()
            .map(|s| view.service_label(s.tunnel, s.transport, s.port, s.failed)),
    );
    header.push("other".to_string());
    header.push("total".to_string());
    let seconds = ts.bucket_seconds.max(1e-9);
    let peak = view.report.peak.as_ref();
    let rows: Vec<Vec<String>> = ts
        .buckets
        .iter()
        .map(|b| {
            let mut row = vec![b.start.clone()];
            let mut charted = 0;
            for s in &ts.top_services {
                let bytes = b
                    .services
                    .iter()
                    .find(|x| {
                        x.tunnel == s.tunnel && x.transport == s.transport && x.port == s.port
                    })
                    .map_or(0, |x| x.bytes);
                charted += bytes;
                row.push(format_rate(bytes as f64 * 8.0 / seconds));
            }
            row.push(format_rate(
                b.bytes.saturating_sub(charted) as f64 * 8.0 / seconds,
            ));
            let mut total = format_rate(b.bytes as f64 * 8.0 / seconds);
            if peak.is_some_and(|p| p.is_in(b.start_ns, ts.bucket_ns)) {
                total.push_str(" (peak)");
            }
            row.push(total);
            row
        })
        .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    writeln!(
        out,
        "Bucket: {} s{}. Rates are bits per second over each bucket.{}\n",
        ts.bucket_seconds,
        ts.widened_from_ns.map_or(String::new(), |w| format!(
            " (widened from {} s to bound memory)",
            w as f64 / 1e9
        )),
        peak.map_or(String::new(), |p| peak_note(p, ts.bucket_ns, &p.start))
    )?;
    let numbers: Vec<usize> = (1..header.len()).collect();
    md_table(out, &header, &numbers, &rows)?;
    write_unknown_ports(view, out)
}

/// The sentence under a time table or chart of `bucket_ns` buckets on
/// where its peak is (the renderers mark the bucket holding it); `start` is
/// the peak's start as the format shows times.
pub(super) fn peak_note(peak: &PeakView, bucket_ns: u64, start: &str) -> String {
    let rate = format_rate(peak.bits_per_second);
    match bucket_ns.cmp(&peak.bucket_ns) {
        std::cmp::Ordering::Equal => format!(" The peak, {rate} from {start}, is marked."),
        std::cmp::Ordering::Greater => format!(
            " The peak, {rate} over the busiest {} s from {start}, lies in the marked bucket, whose average is lower.",
            peak.bucket_seconds
        ),
        std::cmp::Ordering::Less => format!(
            " The capture lasts {}, less than the peak's window (a second or more): its peak is its average, {rate}; shorter buckets show bursts above it.",
            format_duration(peak.bucket_seconds)
        ),
    }
}

/// Frames per tunnel kind (`--decap`).
fn write_tunnels(r: &ReadView, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## Tunnels\n")?;
    if r.tunnels.is_empty() {
        return writeln!(
            out,
            "None: no frame came through a tunnel portclass opens.\n"
        );
    }
    let rows: Vec<Vec<String>> = r
        .tunnels
        .iter()
        .map(|t| {
            vec![
                t.tunnel.to_string(),
                format_count(t.packets),
                format_bytes(t.bytes),
                format_share(tunnel_share(r, t.bytes)),
            ]
        })
        .collect();
    md_table(
        out,
        &["tunnel", "packets", "bytes", "share"],
        &[1, 2, 3],
        &rows,
    )?;
    writeln!(
        out,
        "Bytes are the outer frames'; the services above count the inner ports.\n"
    )
}

/// The port scans found, as `read` shows them, in the report's tables.
fn write_scans(view: &ReportView, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## Port scans\n")?;
    let Some(scans) = &view.read.scans else {
        return writeln!(out, "{SCANS_OFF}\n");
    };
    if scans.found() == 0 {
        writeln!(out, "{}\n", no_scans_sentence(scans))?;
    } else {
        let shown = view.rows(scans.findings.len());
        let rows: Vec<Vec<String>> = scans.findings[..shown]
            .iter()
            .map(|f| {
                vec![
                    f.kind.clone(),
                    f.transport.clone(),
                    f.source.to_string(),
                    f.target_label(),
                    f.distinct_label(),
                    scan_count(f, f.open),
                    scan_count(f, f.closed),
                    scan_count(f, f.unanswered),
                    f.first_timestamp.clone(),
                    format_duration(f.duration_seconds()),
                    f.evidence_text.clone(),
                ]
            })
            .collect();
        md_table(
            out,
            &[
                "kind",
                "transport",
                "source",
                "target",
                "probed",
                "open",
                "closed",
                "unanswered",
                "first seen",
                "duration",
                "evidence",
            ],
            &[4, 5, 6, 7],
            &rows,
        )?;
        if scans.findings.len() > shown {
            writeln!(
                out,
                "({} more; --top 0 lists all)\n",
                format_count((scans.findings.len() - shown) as u64)
            )?;
        }
        writeln!(out, "{}\n", scans_criteria_sentence(scans))?;
    }
    for caveat in scans.caveats() {
        writeln!(out, "Note: {caveat}.\n")?;
    }
    Ok(())
}

fn write_unknown_ports(view: &ReportView, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## Server ports the database does not know\n")?;
    let unknown = &view.report.unknown_ports;
    if unknown.is_empty() {
        writeln!(out, "None.")?;
    } else {
        let rows: Vec<Vec<String>> = unknown[..view.rows(unknown.len())]
            .iter()
            .map(|p| {
                vec![
                    format!("{}/{}", p.port, p.transport),
                    format_count(p.servers),
                    format_count(p.packets),
                    format_bytes(p.bytes),
                ]
            })
            .collect();
        md_table(
            out,
            &["port", "servers", "packets", "bytes"],
            &[1, 2, 3],
            &rows,
        )?;
        if unknown.len() > view.rows(unknown.len()) {
            writeln!(
                out,
                "({} more; --top 0 lists all)",
                unknown.len() - view.rows(unknown.len())
            )?;
        }
    }
    Ok(())
}

fn approx(overestimate: u64) -> String {
    if overestimate == 0 {
        "exact".to_string()
    } else {
        format!("at least; up to {} more", format_bytes(overestimate))
    }
}

/// The sentence saying how exact a top-K table is; `shown` rows of it are
/// displayed, and `next_estimate` is the estimated bytes of the first row
/// not displayed (0 if none).
pub fn accuracy_note(
    exact: bool,
    capacity: usize,
    bound: u64,
    next_estimate: u64,
    what: &str,
) -> String {
    if exact {
        format!("All {what} are counted exactly.")
    } else {
        format!(
            "Approximate: more than {capacity} distinct {what}, so a bounded summary (space-saving) was kept. \
             A listed figure is a lower bound; the truth is at most its accuracy column more. \
             Any {what} not listed has at most {} in all.",
            format_bytes(bound.max(next_estimate))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::PacketInfo;
    use crate::pipeline::scans::{ScanReport, ScanSettings, sample_vertical_scan};
    use crate::pipeline::{Classified, Counted};
    use crate::render::{CounterView, IdentifiedView, TunnelView};
    use std::net::{IpAddr, Ipv4Addr};

    const T0: i64 = 1_764_137_820_000_000_000;

    fn v4(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
    }

    /// https, ssh and dns between two hosts, named by the built-in rule.
    fn view() -> ReportView {
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

    fn markdown(view: &ReportView) -> String {
        let mut out = Vec::new();
        write_markdown(view, &mut out).expect("writing to a Vec");
        String::from_utf8(out).expect("UTF-8")
    }

    /// The lines of the section `title`, up to the next `## `.
    fn section<'a>(text: &'a str, title: &str) -> &'a str {
        let start = text
            .find(&format!("## {title}\n"))
            .unwrap_or_else(|| panic!("no section {title}:\n{text}"));
        let rest = &text[start + 3..];
        let end = rest.find("\n## ").map_or(rest.len(), |i| i + 1);
        &rest[..end]
    }

    fn no_scans() -> ScansView {
        let mut report = ScanReport::new(ScanSettings::default());
        report.probes = 42;
        ScansView::new(&report)
    }

    fn finding() -> ScanView {
        ScanView::new(&sample_vertical_scan(v4(9), v4(2), T0, T0 + 250_000_000))
    }

    #[test]
    fn services_say_how_their_port_was_identified() {
        let mut view = view();
        view.read.services[0].identified = IdentifiedView {
            handshake: 3,
            port_database: 1,
            heuristic: 0,
            related: 0,
        };
        let text = markdown(&view);
        let services = section(&text, "By service");
        assert!(services.contains(
            "| service | port | packets | bytes | share | client → server | server → client | identified by |\n"
        ), "{services}");
        assert!(
            services.contains("| https | 443/tcp | 2 | 3.0 kB |"),
            "{services}"
        );
        assert!(
            services.contains(" | handshake 75%, port db 25% |\n"),
            "{services}"
        );
        assert!(services.contains("| ssh | 22/tcp | 1 | 300 B | 8.9% | 300 B | 0 B | port db |\n"));
        // Neither tunnels nor fragments here.
        assert!(!text.contains("## Tunnels"));
        assert!(!text.contains("non-first fragment"));
    }

    #[test]
    fn decap_adds_a_tunnel_column_and_a_tunnels_table() {
        let mut view = view();
        view.read.decap = true;
        view.read.services[1].tunnel = Some("vxlan");
        view.read.tunnels = vec![TunnelView {
            tunnel: "vxlan",
            packets: 1,
            bytes: 300,
        }];
        view.top = 1;
        let text = markdown(&view);
        let services = section(&text, "By service");
        assert!(
            services.contains("| tunnel | service | port | packets |"),
            "{services}"
        );
        assert!(
            services.contains("\n| - | https | 443/tcp | 2 |"),
            "{services}"
        );
        assert!(services.contains("\n|  | (2 more) |  | 2 |"), "{services}");
        let tunnels = section(&text, "Tunnels");
        assert!(
            tunnels.contains("| vxlan | 1 | 300 B | 8.9% |"),
            "{tunnels}"
        );
        view.top = 0;
        let text = markdown(&view);
        // The name without the tunnel: it has a column of its own.
        assert!(text.contains("\n| vxlan | ssh | 22/tcp | 1 |"), "{text}");
        // In order: services, tunnels, port classes.
        let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("{s}"));
        assert!(at("## By service") < at("## Tunnels"));
        assert!(at("## Tunnels") < at("## By port class"));

        view.read.tunnels.clear();
        let text = markdown(&view);
        assert!(section(&text, "Tunnels").contains("None: no frame came through a tunnel"));
    }

    #[test]
    fn fragments_are_one_line_under_the_services() {
        let mut view = view();
        view.read.transport.fragment = CounterView {
            packets: 2,
            bytes: 2000,
        };
        view.read.fragments.attributed = CounterView {
            packets: 2,
            bytes: 2000,
        };
        let text = markdown(&view);
        let services = section(&text, "By service");
        assert!(services.ends_with(
            "|\n\n2 non-first fragments: 2 (2.0 kB) attributed to the service of their first fragment and counted in its row; 0 (0 B) unattributed.\n\n"
        ), "{services}");
    }

    #[test]
    fn a_scan_is_one_row_of_the_port_scans_table() {
        let mut view = view();
        let mut scans = no_scans();
        scans.findings.push(ScanView {
            // Summary files are untrusted: a cell cannot end the row or table.
            evidence_text: "ports 1-1000 | x\nopen 22".to_string(),
            ..finding()
        });
        view.read.scans = Some(scans);
        let text = markdown(&view);
        let scans = section(&text, "Port scans");
        assert!(scans.contains(
            "| kind | transport | source | target | probed | open | closed | unanswered | first seen | duration | evidence |\n"
        ), "{scans}");
        assert!(scans.contains(
            "\n| vertical | tcp | 10.0.0.9 | 10.0.0.2 | 1,000 ports | 3 | 997 | 0 | 2025-11-26T06:17:00.000000000Z | 250.0 ms | ports 1-1000 \\| x open 22 |\n"
        ), "{scans}");
        assert_eq!(scans.lines().filter(|l| l.starts_with("| ")).count(), 2);
        assert!(scans.contains("Looked for a source whose failed probes"));
        assert!(!scans.contains("Note:"));
        assert!(text.contains("| port scans | 1 found |"));
        // Before the hosts, even when the details are not available.
        view.report.details_available = false;
        let text = markdown(&view);
        let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("{s}"));
        assert!(at("## By port class") < at("## Port scans"));
        assert!(at("## Port scans") < at("## Top hosts"));
    }

    #[test]
    fn scans_cut_by_top_and_lower_bounds_are_said() {
        let mut view = view();
        view.top = 1;
        let mut scans = no_scans();
        scans.findings.push(ScanView {
            distinct_exact: false,
            ..finding()
        });
        scans.findings.push(finding());
        scans.untracked_probes.horizontal = 7;
        view.read.scans = Some(scans);
        let text = markdown(&view);
        let scans = section(&text, "Port scans");
        assert!(
            scans.contains("| ≥ 1,000 ports | ≥ 3 | ≥ 997 | ≥ 0 |"),
            "{scans}"
        );
        assert!(scans.contains("(1 more; --top 0 lists all)"), "{scans}");
        assert!(scans.contains("Note: 7 probes were not tracked: the scan tables were full."));
        assert!(text.contains("| port scans | 2 found |"));
    }

    #[test]
    fn no_scan_found_or_not_looked_for() {
        let mut view = view();
        view.read.scans = Some(no_scans());
        let text = markdown(&view);
        assert_eq!(
            section(&text, "Port scans"),
            "Port scans\n\nNo port scans found (42 probes seen; looked for a source whose failed probes (refused or unanswered) \
             reach 15 ports of one host (vertical) or 25 hosts on one port (horizontal) within 5 min).\n\n"
        );
        assert!(text.contains("| port scans | none found (42 probes seen) |"));
        view.read.scans = None;
        let text = markdown(&view);
        assert_eq!(
            section(&text, "Port scans"),
            "Port scans\n\nNot looked for: scan detection was off (--no-scans).\n\n"
        );
        assert!(text.contains("| port scans | not looked for (--no-scans) |"));
    }

    #[test]
    fn services_csv_has_tunnel_and_identification_columns() {
        let mut view = view();
        view.read.services[0].tunnel = Some("gre");
        let mut out = Vec::new();
        crate::render::csv::write_report(&view, ReportTable::Services, &mut out)
            .expect("writing to a Vec");
        let text = String::from_utf8(out).expect("UTF-8");
        let mut lines = text.lines();
        assert!(
            lines
                .next()
                .is_some_and(|h| h.ends_with(",description,tunnel,identified_by,handshake_packets,port_database_packets,heuristic_packets,related_packets")),
            "{text}"
        );
        assert!(
            lines
                .next()
                .is_some_and(|r| r.ends_with(",gre,port_database,0,2,0,0")),
            "{text}"
        );
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(format_duration(0.0178), "17.8 ms");
        assert_eq!(format_duration(4.0), "4.00 s");
        assert_eq!(format_duration(750.0), "12.5 min");
        assert_eq!(format_duration(10_800.0), "3.0 h");
        assert_eq!(format_duration(216_000.0), "2.5 days");
    }
}
