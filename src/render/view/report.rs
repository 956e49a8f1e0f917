//! The report's view: `read`'s document and the report's sections built
//! from a report tally, plus the time series re-bucketed for a chart and a
//! text table, and how many rows each table shows.

use super::{name_of, source_of, top_view};
use crate::classify::{PortClass, PortDb};
use crate::decode::Transport;
use crate::render::units::{format_timestamp, port_label, with_tunnel};
use crate::schema::{
    BucketServiceView, BucketView, ConversationTotals, ConversationView, DirectionView, Document,
    HostTotals, HostView, PeakView, PortClassView, REPORT_SCHEMA, ReadView, ReportSections, RowKey,
    ServiceView, TimeSeriesView, TopView, UnknownPortView,
};
use crate::tally::report::{ConversationKey, ConversationWeights, ReportTally};
use crate::tally::timeseries::TimeSeries;
use crate::tally::topk::Entry;
use std::collections::HashMap;

/// Most buckets drawn in the HTML chart.
pub const CHART_BUCKETS: usize = 240;
/// Most buckets listed in a text table.
pub const TABLE_BUCKETS: usize = 24;

/// Everything `report` shows: the document (`read`'s view plus the report
/// sections) and what the renderers need beside it.
#[derive(Clone, Debug)]
pub struct ReportView {
    /// The read view (its `schema` is [`REPORT_SCHEMA`]).
    pub read: ReadView,
    /// The report's sections.
    pub report: ReportSections,
    /// The time series for a chart: buckets of the peak's width or wider
    /// (at most [`CHART_BUCKETS`]), so that no bar rises above the peak.
    pub chart: TimeSeriesView,
    /// The time series for a text table, the same way (at most
    /// [`TABLE_BUCKETS`]).
    pub table: TimeSeriesView,
    /// How many rows of each table the renderers show (`--top`; 0: all).
    pub top: usize,
}

impl ReportView {
    /// Builds the view of `tally`; `top` rows per table are shown by the
    /// text renderers and charted.
    pub fn new(tally: &ReportTally, db: &PortDb, numeric: bool, top: usize) -> ReportView {
        let mut read = ReadView::new(&tally.base, db, numeric);
        read.schema = REPORT_SCHEMA.to_string();
        let series = tally.series();
        let top_services = top_services(&read, top);
        // The one peak, and charts and tables in buckets no narrower.
        let span = tally.base.time_span();
        let display = |buckets| {
            series_view(
                &series.for_display(buckets, span),
                series.widened_from(),
                &top_services,
            )
        };
        let (chart, table) = (display(CHART_BUCKETS), display(TABLE_BUCKETS));
        let report = ReportSections {
            details_available: true,
            peak: peak_view(series, span),
            service_directions: service_directions(tally, &read),
            port_classes: port_classes(&read),
            hosts: hosts_view(tally),
            conversations: conversations_view(tally, &read, numeric),
            timeseries: series_view(series, series.widened_from(), &top_services),
            unknown_ports: unknown_ports(&read, db),
        };
        ReportView {
            read,
            report,
            chart,
            table,
            top,
        }
    }

    /// The JSON document (`portclass.report/2`).
    pub fn into_document(self) -> Document {
        Document {
            read: self.read,
            report: Some(self.report),
        }
    }

    /// The service rows shown (top N) and the rest.
    pub fn shown_services(&self) -> (&[ServiceView], &[ServiceView]) {
        self.read
            .services
            .split_at(self.rows(self.read.services.len()))
    }

    /// Display label of a service (`https`, `40123/tcp`, `49152-65535/udp`,
    /// `https (vxlan)`).
    pub fn service_label(&self, key: RowKey) -> String {
        let label = self
            .read
            .services
            .iter()
            .find(|s| s.key == key)
            .and_then(|s| s.service.clone())
            .unwrap_or_else(|| port_label(key));
        with_tunnel(label, key.tunnel)
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

/// Direction per service row, in the rows' order.
fn service_directions(tally: &ReportTally, read: &ReadView) -> Vec<DirectionView> {
    read.services
        .iter()
        .map(|s| {
            let d = tally
                .directions()
                .get(&s.key.into())
                .copied()
                .unwrap_or_default();
            DirectionView {
                key: s.key,
                to_server_packets: d.to_server.packets,
                to_server_bytes: d.to_server.bytes,
                to_client_packets: d.to_client.packets,
                to_client_bytes: d.to_client.bytes,
            }
        })
        .collect()
}

/// Service rows, frames and bytes per port class (the dynamic and failed
/// rows count as dynamic).
fn port_classes(read: &ReadView) -> Vec<PortClassView> {
    PortClass::ALL
        .iter()
        .map(|&class| {
            let rows = read
                .services
                .iter()
                .filter(|s| s.key.port.map_or(PortClass::Dynamic, PortClass::of) == class);
            let (mut services, mut packets, mut bytes) = (0, 0, 0);
            for s in rows {
                services += 1;
                packets += s.packets;
                bytes += s.bytes;
            }
            PortClassView {
                class,
                services,
                packets,
                bytes,
                share: read.share(bytes),
            }
        })
        .collect()
}

fn hosts_view(tally: &ReportTally) -> TopView<HostView, HostTotals> {
    let names = tally.base.names();
    let t = tally.hosts().total();
    let totals = HostTotals {
        sent_packets: t.sent.packets,
        sent_bytes: t.sent.bytes,
        received_packets: t.received.packets,
        received_bytes: t.received.bytes,
    };
    top_view(
        tally.hosts(),
        |e| HostView {
            geo: None,
            address: e.key,
            name: name_of(names, e.key),
            name_source: source_of(names, e.key),
            sent_packets: e.weights.sent.packets,
            sent_bytes: e.weights.sent.bytes,
            received_packets: e.weights.received.packets,
            received_bytes: e.weights.received.bytes,
            overestimate_bytes: e.overestimate,
        },
        totals,
    )
}

fn conversations_view(
    tally: &ReportTally,
    read: &ReadView,
    numeric: bool,
) -> TopView<ConversationView, ConversationTotals> {
    // Service names by (transport, port), built once: a scan makes both
    // the conversations and the services long.
    let labels: HashMap<(Transport, u16), &str> = read
        .services
        .iter()
        .filter(|s| s.key.tunnel.is_none() && !s.key.failed)
        .filter_map(|s| Some(((s.key.transport, s.key.port?), s.service.as_deref()?)))
        .collect();
    let t = tally.conversations().total();
    let totals = ConversationTotals {
        to_server_packets: t.to_server.packets,
        to_server_bytes: t.to_server.bytes,
        to_client_packets: t.to_client.packets,
        to_client_bytes: t.to_client.bytes,
    };
    let row = |e: Entry<ConversationKey, ConversationWeights>| {
        let service = (!numeric).then(|| {
            let key = (e.key.transport, e.key.server_port);
            labels.get(&key).map_or_else(
                || port_label(RowKey::port(key.0, key.1)),
                |name| name.to_string(),
            )
        });
        let mut view = conversation_view(e.key, e.weights, e.overestimate, service);
        let names = tally.base.names();
        view.client_name = name_of(names, e.key.client);
        view.client_name_source = source_of(names, e.key.client);
        view.server_name = name_of(names, e.key.server);
        view.server_name_source = source_of(names, e.key.server);
        view
    };
    top_view(tally.conversations(), row, totals)
}

fn conversation_view(
    key: ConversationKey,
    w: ConversationWeights,
    overestimate: u64,
    service: Option<String>,
) -> ConversationView {
    ConversationView {
        transport: key.transport,
        client: key.client,
        client_port: key.client_port,
        server: key.server,
        server_port: key.server_port,
        client_name: None,
        client_name_source: None,
        server_name: None,
        server_name_source: None,
        client_geo: None,
        server_geo: None,
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

/// The services charted: the top `top` rows (0: all), in stacking order.
fn top_services(read: &ReadView, top: usize) -> Vec<BucketServiceView> {
    let n = if top == 0 { read.services.len() } else { top };
    read.services
        .iter()
        .take(n)
        .map(|s| BucketServiceView {
            key: s.key,
            bytes: s.bytes,
        })
        .collect()
}

fn series_view(
    series: &TimeSeries,
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
                        key: key.into(),
                        bytes,
                    })
                    .collect(),
                other_bytes: b.other_bytes,
            })
            .collect(),
    }
}

fn peak_view(series: &TimeSeries, span: Option<(i64, i64)>) -> Option<PeakView> {
    series.peak(span).map(|peak| PeakView {
        start: format_timestamp(peak.start_ns),
        start_ns: peak.start_ns,
        bytes: peak.bytes,
        bits_per_second: peak.bits_per_second(),
        bucket_seconds: peak.width_ns as f64 / 1e9,
        bucket_ns: peak.width_ns,
    })
}

/// Server ports the database does not name, by bytes (from the server
/// inventory: clients' ephemeral ports never appear).
fn unknown_ports(read: &ReadView, db: &PortDb) -> Vec<UnknownPortView> {
    let mut unknown: HashMap<(Transport, u16), UnknownPortView> = HashMap::new();
    for server in &read.servers.entries {
        if db.contains(server.transport, server.port) {
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
            .then_with(|| a.transport.name().cmp(b.transport.name()))
            .then_with(|| a.port.cmp(&b.port))
    });
    unknown_ports
}
