//! Prometheus text exposition format 0.0.4: the counters of a live capture,
//! served by `portclass live --metrics` for a Prometheus server to scrape.
//!
//! Names follow the Prometheus conventions: a `portclass_` prefix,
//! snake_case, base units (bytes), and a `_total` suffix on every counter.
//! Every series carries an `interface` label so that one Prometheus can
//! scrape many sensors (and several interfaces per host) and aggregate them.
//! Families and series come in a fixed order, the order of the view, so the
//! output of the same view is byte-for-byte the same.

use crate::decode::Tunnel;
use crate::pipeline::scans::ScanKind;
use crate::schema::{CaptureStatsView, GeoView, ReadView, ServerView};
use std::io::{self, Write};

/// The HTTP `Content-Type` of this format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The `service` label of the dynamic row, and its `port` label.
const DYNAMIC: &str = "dynamic";

/// The default of [`SeriesBudget::new`]: service series, and server series.
pub const DEFAULT_MAX_SERIES: usize = 100;

/// Labels of one series.
type SeriesLabels = Vec<(&'static str, String)>;

/// Which service and server series a sequence of scrapes exports, so that
/// traffic cannot grow a scrape without bound: at most `max` service series
/// (besides the per-transport `dynamic` and `failed` rows) and `max` server
/// series, admitted first come (busiest first within a scrape), each then
/// exported for good; the rest are summed into an `other` series. Every
/// counter stays monotonic: admitted series only grow (a server's figures
/// never go back, even when the bounded inventory lets it go and it comes
/// back smaller), and `other` sums only rows that were never admitted.
#[derive(Clone, Debug)]
pub struct SeriesBudget {
    max: usize,
    services: std::collections::HashSet<SeriesLabels>,
    /// Whether a row was ever left out (the `other` series then exists).
    services_over: bool,
    /// Server series: packets and bytes to and from each server.
    servers: Budgeted<4>,
    /// Host series (live): bytes sent and received.
    hosts: Budgeted<2>,
    /// Process series (live): bytes sent and received.
    processes: Budgeted<2>,
    /// Conversation series (live, host pair and service): bytes each way.
    conversations: Budgeted<2>,
}

/// A family of series of `N` values each under the budget: admitted as
/// they appear, then kept (with their last values) for the life of the
/// process, even when the table behind them lets one go; the rest summed
/// in one `other` series, never decreasing.
#[derive(Clone, Debug)]
struct Budgeted<const N: usize> {
    admitted: std::collections::HashMap<SeriesLabels, [u64; N]>,
    over: bool,
    other: [u64; N],
}

impl<const N: usize> Default for Budgeted<N> {
    fn default() -> Budgeted<N> {
        Budgeted {
            admitted: Default::default(),
            over: false,
            other: [0; N],
        }
    }
}

impl<const N: usize> Budgeted<N> {
    /// The series to export for `rows` (in order of preference), at most
    /// `max` plus `other` (labelled `other_labels`).
    fn select(
        &mut self,
        max: usize,
        rows: Vec<(SeriesLabels, [u64; N])>,
        other_labels: SeriesLabels,
    ) -> Vec<(SeriesLabels, [u64; N])> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut other_now = [0u64; N];
        for (labels, values) in rows {
            if !self.admitted.contains_key(&labels) && self.admitted.len() >= max {
                self.over = true;
                for (o, v) in other_now.iter_mut().zip(values) {
                    *o = o.saturating_add(v);
                }
                continue;
            }
            let last = self.admitted.entry(labels.clone()).or_insert([0; N]);
            for (l, v) in last.iter_mut().zip(values) {
                *l = (*l).max(v);
            }
            seen.insert(labels.clone());
            out.push((labels, *last));
        }
        let mut kept: Vec<_> = self
            .admitted
            .iter()
            .filter(|(labels, _)| !seen.contains(*labels))
            .map(|(labels, values)| (labels.clone(), *values))
            .collect();
        kept.sort();
        out.extend(kept);
        if self.over {
            for (last, now) in self.other.iter_mut().zip(other_now) {
                *last = (*last).max(now);
            }
            out.push((other_labels, self.other));
        }
        out
    }
}

/// What only `live` knows, for its metrics: the hosts, conversations and
/// local processes with their bytes so far.
#[derive(Clone, Debug, Default)]
pub struct LiveMetrics {
    /// (address, sent bytes, received bytes), busiest first.
    pub hosts: Vec<(String, u64, u64)>,
    /// Whether the host figures are exact (no host was let go).
    pub hosts_exact: bool,
    /// Conversations summed over the client's ports, busiest first.
    pub conversations: Vec<ConversationSeries>,
    /// Whether the conversation figures are exact.
    pub conversations_exact: bool,
    /// (name, pid, user, sent bytes, received bytes), busiest first.
    pub processes: Vec<(String, i32, String, u64, u64)>,
    /// The name and place of addresses shown (servers, hosts, conversation
    /// ends), for `portclass_address_info`.
    pub addresses: std::collections::HashMap<String, AddressInfo>,
}

/// What is known of an address beyond its traffic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddressInfo {
    /// Its name (learnt from the traffic, or looked up with `--resolve`).
    pub name: Option<String>,
    /// How the name was learnt (`dns`, `tls_sni`, ..., `rdns`).
    pub name_source: Option<&'static str>,
    /// Its place (`--geoip`).
    pub geo: Option<GeoView>,
}

/// One conversation series: a client talking to a server's service, over
/// any number of connections.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConversationSeries {
    /// `tcp`, `udp` or `sctp`.
    pub transport: &'static str,
    /// Client address.
    pub client: String,
    /// Server address.
    pub server: String,
    /// Server port.
    pub port: u16,
    /// The service (the port's number with --numeric).
    pub service: String,
    /// Bytes client to server.
    pub to_server_bytes: u64,
    /// Bytes server to client.
    pub to_client_bytes: u64,
}

impl SeriesBudget {
    /// A budget of `max` service and `max` server series.
    pub fn new(max: usize) -> SeriesBudget {
        SeriesBudget {
            max,
            services: Default::default(),
            servers: Default::default(),
            services_over: false,
            hosts: Budgeted::default(),
            processes: Budgeted::default(),
            conversations: Budgeted::default(),
        }
    }
}

/// Writes the metrics of `view`, captured on `interface`, with the capture
/// statistics `stats` when given, in the Prometheus text format 0.0.4,
/// within `budget`'s series.
pub fn write_metrics(
    view: &ReadView,
    interface: &str,
    stats: Option<&CaptureStatsView>,
    live: Option<&LiveMetrics>,
    budget: &mut SeriesBudget,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut e = Exposition { out, interface };
    write_totals(&mut e, view)?;
    // A family without samples is legal but says nothing: the service
    // families appear with the first frame that has ports.
    if !view.services.is_empty() {
        write_services(&mut e, view, budget)?;
    }
    if !view.servers.entries.is_empty() || !budget.servers.admitted.is_empty() {
        write_servers(&mut e, view, budget)?;
    }
    if let Some(live) = live {
        write_live(&mut e, view, live, budget)?;
    }
    write_analysis(&mut e, view)?;

    write_decode_problems(&mut e, view)?;
    if let Some(stats) = stats {
        write_capture_stats(&mut e, stats)?;
    }
    Ok(())
}

/// The version, the frames and bytes counted, by category too.
fn write_totals(e: &mut Exposition<'_>, view: &ReadView) -> io::Result<()> {
    e.family(
        "portclass_info",
        Kind::Gauge,
        "Version of the portclass serving these metrics; the value is always 1.",
    )?;
    e.sample("portclass_info", &[("version", &view.portclass_version)], 1)?;

    e.family(
        "portclass_packets_total",
        Kind::Counter,
        "Frames counted since the capture started.",
    )?;
    e.sample("portclass_packets_total", &[], view.packets)?;
    e.family(
        "portclass_bytes_total",
        Kind::Counter,
        "Original wire bytes of the frames counted.",
    )?;
    e.sample("portclass_bytes_total", &[], view.bytes)?;

    let rows = view.transport.rows();
    e.family(
        "portclass_transport_packets_total",
        Kind::Counter,
        "Frames by category of the counting rules (all nine categories, always present).",
    )?;
    for (category, counter) in rows {
        e.sample(
            "portclass_transport_packets_total",
            &[("category", category.name())],
            counter.packets,
        )?;
    }
    e.family(
        "portclass_transport_bytes_total",
        Kind::Counter,
        "Original wire bytes by category of the counting rules.",
    )?;
    for (category, counter) in rows {
        e.sample(
            "portclass_transport_bytes_total",
            &[("category", category.name())],
            counter.bytes,
        )?;
    }

    Ok(())
}

/// Frames whose decoding stopped early, by reason.
fn write_decode_problems(e: &mut Exposition<'_>, view: &ReadView) -> io::Result<()> {
    e.family(
        "portclass_decode_problems_total",
        Kind::Counter,
        "Frames whose decoding stopped early, by reason (all reasons, always present).",
    )?;
    for p in &view.decode_problems {
        e.sample(
            "portclass_decode_problems_total",
            &[("problem", p.problem.name())],
            p.packets,
        )?;
    }

    Ok(())
}

/// libpcap's counters: received, and dropped by the kernel and by the
/// interface.
fn write_capture_stats(e: &mut Exposition<'_>, stats: &CaptureStatsView) -> io::Result<()> {
    e.family(
        "portclass_capture_received_packets_total",
        Kind::Counter,
        "Packets the capture received, as libpcap reports them.",
    )?;
    e.sample(
        "portclass_capture_received_packets_total",
        &[],
        stats.received,
    )?;
    e.family(
        "portclass_capture_dropped_packets_total",
        Kind::Counter,
        "Packets lost before portclass saw them: by the kernel for lack of \
         buffer space, or by the network interface or its driver.",
    )?;
    e.sample(
        "portclass_capture_dropped_packets_total",
        &[("by", "kernel")],
        stats.dropped,
    )?;
    e.sample(
        "portclass_capture_dropped_packets_total",
        &[("by", "interface")],
        stats.if_dropped,
    )?;
    Ok(())
}

/// The alerts of `live --baseline` and `--alert` so far:
/// `portclass_alerts_total`, one series per `kind` (`new_service`,
/// `new_server`) and one per threshold rule (`kind="threshold"`, `rule` the
/// rule as given: as many series as `--alert` flags). `counts` is
/// `(kind, rule, alerts)`.
pub fn write_alert_counters(
    interface: &str,
    counts: &[(&str, Option<&str>, u64)],
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut e = Exposition { out, interface };
    e.family(
        "portclass_alerts_total",
        Kind::Counter,
        "Alerts raised: services and servers not in the --baseline summary \
         (once each), and --alert rules going above their threshold.",
    )?;
    for (kind, rule, value) in counts {
        match rule {
            Some(rule) => e.sample(
                "portclass_alerts_total",
                &[("kind", kind), ("rule", rule)],
                *value,
            )?,
            None => e.sample("portclass_alerts_total", &[("kind", kind)], *value)?,
        }
    }
    Ok(())
}

/// Fragment attribution, tunnels (`--decap`) and port scans.
fn write_analysis(e: &mut Exposition<'_>, view: &ReadView) -> io::Result<()> {
    e.family(
        "portclass_fragments_packets_total",
        Kind::Counter,
        "Non-first IP fragments by whether they were attributed to the service of their \
         first fragment.",
    )?;
    let f = &view.fragments;
    for (fate, counter) in [
        ("attributed", f.attributed),
        ("unattributed", f.unattributed),
    ] {
        e.sample(
            "portclass_fragments_packets_total",
            &[("fate", fate)],
            counter.packets,
        )?;
    }
    if view.decap {
        e.family(
            "portclass_tunnel_packets_total",
            Kind::Counter,
            "Frames that came through a tunnel (--decap), by the outermost tunnel.",
        )?;
        for t in &view.tunnels {
            e.sample(
                "portclass_tunnel_packets_total",
                &[("tunnel", t.tunnel.name())],
                t.packets,
            )?;
        }
    }
    if let Some(scans) = &view.scans {
        e.family(
            "portclass_scan_probes_total",
            Kind::Counter,
            "Conversations opened (TCP SYN or flagless probes, first UDP datagrams towards a \
             service port), as the scan detector sees them.",
        )?;
        e.sample("portclass_scan_probes_total", &[], scans.probes)?;
        e.family(
            "portclass_scans",
            Kind::Gauge,
            "Port scans found so far, by kind (vertical: many ports of one host; horizontal: \
             one port of many hosts).",
        )?;
        for kind in ScanKind::ALL {
            let found = scans.findings.iter().filter(|f| f.kind == kind).count();
            e.sample("portclass_scans", &[("kind", kind.name())], found as u64)?;
        }
    }
    Ok(())
}

/// A service row's labels, packets and bytes.
type LabelledRow = (Vec<(&'static str, String)>, u64, u64);

/// The two service families: one series per service row of the view (with
/// a `tunnel` label under `--decap`, `none` outside tunnels).
fn write_services(
    e: &mut Exposition<'_>,
    view: &ReadView,
    budget: &mut SeriesBudget,
) -> io::Result<()> {
    // The labels of each row, worked out once for both families; rows past
    // the budget are summed into one `other` row.
    let mut other = (0u64, 0u64);
    let mut rows: Vec<LabelledRow> = view
        .services
        .iter()
        .filter_map(|s| {
            let port = match s.key.port {
                Some(p) => p.to_string(),
                None if s.key.failed => crate::classify::FAILED.to_string(),
                None => DYNAMIC.to_string(),
            };
            // With --numeric the view names no service: the port stands in.
            let service = s.service.clone().unwrap_or_else(|| port.clone());
            let mut labels = vec![
                ("transport", s.key.transport.to_string()),
                ("port", port),
                ("service", service),
            ];
            if view.decap {
                labels.push((
                    "tunnel",
                    s.key.tunnel.map_or("none", Tunnel::name).to_string(),
                ));
            }
            let always = s.key.port.is_none();
            if always || budget.services.contains(&labels) {
                return Some((labels, s.packets, s.bytes));
            }
            if budget.services.len() < budget.max {
                budget.services.insert(labels.clone());
                return Some((labels, s.packets, s.bytes));
            }
            budget.services_over = true;
            other.0 += s.packets;
            other.1 += s.bytes;
            None
        })
        .collect();
    if budget.services_over {
        let mut labels = vec![
            ("transport", "any".to_string()),
            ("port", "other".to_string()),
            ("service", "other".to_string()),
        ];
        if view.decap {
            labels.push(("tunnel", "any".to_string()));
        }
        rows.push((labels, other.0, other.1));
    }
    e.family(
        "portclass_service_packets_total",
        Kind::Counter,
        "Frames with ports by the service the naming rule attributed them to; \
         port and service are \"dynamic\" for frames between two unknown dynamic ports, \
         \"failed\" for attempts refused or never answered.",
    )?;
    for (row, packets, _) in &rows {
        let row: Vec<(&str, &str)> = row.iter().map(|(k, v)| (*k, v.as_str())).collect();
        e.sample("portclass_service_packets_total", &row, *packets)?;
    }
    e.family(
        "portclass_service_bytes_total",
        Kind::Counter,
        "Original wire bytes of frames with ports by attributed service.",
    )?;
    for (row, _, bytes) in &rows {
        let row: Vec<(&str, &str)> = row.iter().map(|(k, v)| (*k, v.as_str())).collect();
        e.sample("portclass_service_bytes_total", &row, *bytes)?;
    }
    Ok(())
}

/// The host, conversation and process families (live), each under the
/// budget, and whether the bounded tables behind them are exact.
fn write_live(
    e: &mut Exposition<'_>,
    view: &ReadView,
    live: &LiveMetrics,
    budget: &mut SeriesBudget,
) -> io::Result<()> {
    let max = budget.max;
    let hosts = budget.hosts.select(
        max,
        live.hosts
            .iter()
            .map(|(address, sent, received)| {
                (vec![("address", address.clone())], [*sent, *received])
            })
            .collect(),
        vec![("address", "other".to_string())],
    );
    let conversations = budget.conversations.select(
        max,
        live.conversations
            .iter()
            .map(|c| {
                (
                    vec![
                        ("transport", c.transport.to_string()),
                        ("client", c.client.clone()),
                        ("server", c.server.clone()),
                        ("port", c.port.to_string()),
                        ("service", c.service.clone()),
                    ],
                    [c.to_server_bytes, c.to_client_bytes],
                )
            })
            .collect(),
        ["transport", "client", "server", "port", "service"]
            .into_iter()
            .map(|k| (k, "other".to_string()))
            .collect(),
    );
    let processes = budget.processes.select(
        max,
        live.processes
            .iter()
            .map(|(name, pid, user, sent, received)| {
                (
                    vec![
                        ("process", name.clone()),
                        ("pid", pid.to_string()),
                        ("user", user.clone()),
                    ],
                    [*sent, *received],
                )
            })
            .collect(),
        ["process", "pid", "user"]
            .into_iter()
            .map(|k| (k, "other".to_string()))
            .collect(),
    );
    let families = [
        (
            "portclass_host_bytes_total",
            "Original wire bytes each host sent and received (the busiest as they appear, at most the series budget; the rest in address=\"other\").",
            hosts,
            ["sent", "received"],
        ),
        (
            "portclass_conversation_bytes_total",
            "Original wire bytes between a client and a server's service, over all the client's ports, each way (the busiest as they appear, at most the series budget; the rest in client=\"other\").",
            conversations,
            ["to_server", "to_client"],
        ),
        (
            "portclass_process_bytes_total",
            "Bytes the sockets of each local process sent and received (live on the machine itself; at most the series budget, the rest in process=\"other\").",
            processes,
            ["sent", "received"],
        ),
    ];
    for (family, help, series, directions) in families {
        write_two_way(e, family, help, &series, directions)?;
    }
    write_address_info(e, live, budget)?;
    write_table_exact(e, view, live)
}

/// `portclass_address_info`: the name and place of each address in an
/// exported server, host or conversation series that has either, as an
/// info series (so the counters' labels never change when a name is
/// learnt). As many series as those families admit at most.
fn write_address_info(
    e: &mut Exposition<'_>,
    live: &LiveMetrics,
    budget: &SeriesBudget,
) -> io::Result<()> {
    let wanted = ["address", "client", "server"];
    let admitted = (budget.servers.admitted.keys())
        .chain(budget.hosts.admitted.keys())
        .chain(budget.conversations.admitted.keys());
    let mut addresses: Vec<&str> = admitted
        .flat_map(|labels| labels.iter())
        .filter(|(key, _)| wanted.contains(key))
        .map(|(_, value)| value.as_str())
        .collect();
    addresses.sort_unstable();
    addresses.dedup();
    let rows: Vec<(&str, &AddressInfo)> = addresses
        .into_iter()
        .filter_map(|address| Some((address, live.addresses.get(address)?)))
        .filter(|(_, info)| info.name.is_some() || info.geo.is_some())
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    e.family(
        "portclass_address_info",
        Kind::Gauge,
        "The name (and how it was learnt) and the place (--geoip) of each address in the exported server, host and conversation series; the value is always 1.",
    )?;
    for (address, info) in rows {
        let geo = info.geo.clone().unwrap_or_default();
        let asn = geo.asn.map(|asn| asn.to_string()).unwrap_or_default();
        let labels: Vec<(&str, &str)> = [
            ("address", address),
            ("name", info.name.as_deref().unwrap_or("")),
            ("name_source", info.name_source.unwrap_or("")),
            ("country", geo.country.as_deref().unwrap_or("")),
            ("asn", &asn),
            ("as_org", geo.as_org.as_deref().unwrap_or("")),
        ]
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .collect();
        e.sample("portclass_address_info", &labels, 1)?;
    }
    Ok(())
}

/// A family of series with a `direction` label, each series written once
/// per direction (a family without series is left out).
fn write_two_way(
    e: &mut Exposition<'_>,
    family: &str,
    help: &str,
    series: &[(SeriesLabels, [u64; 2])],
    directions: [&str; 2],
) -> io::Result<()> {
    if series.is_empty() {
        return Ok(());
    }
    e.family(family, Kind::Counter, help)?;
    for (index, direction) in directions.into_iter().enumerate() {
        for (labels, values) in series {
            let mut all: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
            all.push(("direction", direction));
            e.sample(family, &all, values[index])?;
        }
    }
    Ok(())
}

/// Whether the bounded tables behind the live families hold every key.
fn write_table_exact(
    e: &mut Exposition<'_>,
    view: &ReadView,
    live: &LiveMetrics,
) -> io::Result<()> {
    e.family(
        "portclass_table_exact",
        Kind::Gauge,
        "1 while a bounded table holds every key it was given, 0 once it let one go: its series are then lower bounds (the busiest keys stay exact to within the table's error bound).",
    )?;
    for (table, exact) in [
        ("hosts", live.hosts_exact),
        ("conversations", live.conversations_exact),
        ("servers", view.servers.exact),
    ] {
        e.sample(
            "portclass_table_exact",
            &[("table", table)],
            u64::from(exact),
        )?;
    }
    Ok(())
}

/// The labels of a server's series.
fn server_labels(s: &ServerView) -> SeriesLabels {
    vec![
        ("transport", s.transport.to_string()),
        ("address", s.address.to_string()),
        ("port", s.port.to_string()),
        (
            "service",
            s.service.clone().unwrap_or_else(|| s.port.to_string()),
        ),
    ]
}

/// The server families: bytes and packets towards and from each admitted
/// server, and the rest in `address="other"`.
fn write_servers(
    e: &mut Exposition<'_>,
    view: &ReadView,
    budget: &mut SeriesBudget,
) -> io::Result<()> {
    let rows = view
        .servers
        .entries
        .iter()
        .map(|s| {
            let values = [
                s.to_server_packets,
                s.to_server_bytes,
                s.from_server_packets,
                s.from_server_bytes,
            ];
            (server_labels(s), values)
        })
        .collect();
    let other = [
        ("transport", "any"),
        ("address", "other"),
        ("port", "other"),
        ("service", "other"),
    ]
    .map(|(k, v)| (k, v.to_string()))
    .to_vec();
    let current = budget.servers.select(budget.max, rows, other);
    for (family, help, index, direction) in [
        (
            "portclass_server_packets_total",
            "Frames to and from each server endpoint that answered (at most the series budget; the rest in address=\"other\").",
            0,
            "to_server",
        ),
        ("portclass_server_packets_total", "", 2, "from_server"),
        (
            "portclass_server_bytes_total",
            "Original wire bytes to and from each server endpoint that answered.",
            1,
            "to_server",
        ),
        ("portclass_server_bytes_total", "", 3, "from_server"),
    ] {
        if !help.is_empty() {
            e.family(family, Kind::Counter, help)?;
        }
        for (labels, values) in &current {
            let mut all: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
            all.push(("direction", direction));
            e.sample(family, &all, values[index])?;
        }
    }
    // Which local process serves each admitted server (live on the
    // machine itself): an info series, so the counters' labels never change.
    let mut owned: Vec<SeriesLabels> = Vec::new();
    for s in &view.servers.entries {
        let Some(process) = &s.process else {
            continue;
        };
        let labels = server_labels(s);
        if budget.servers.admitted.contains_key(&labels) {
            let mut all = labels;
            all.extend([
                ("process", process.name.clone()),
                ("pid", process.pid.to_string()),
                ("user", process.user.clone()),
            ]);
            owned.push(all);
        }
    }
    if !owned.is_empty() {
        e.family(
            "portclass_server_process_info",
            Kind::Gauge,
            "The local process serving a server endpoint among the exported ones; the value is always 1.",
        )?;
        for labels in &owned {
            let all: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
            e.sample("portclass_server_process_info", &all, 1)?;
        }
    }
    Ok(())
}

/// The metric types this format uses.
#[derive(Clone, Copy)]
enum Kind {
    Counter,
    Gauge,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
        }
    }
}

/// Writes families and samples, with the `interface` label on every sample.
struct Exposition<'a> {
    out: &'a mut dyn Write,
    interface: &'a str,
}

impl Exposition<'_> {
    /// The `# HELP` and `# TYPE` lines that open a family.
    fn family(&mut self, name: &str, kind: Kind, help: &str) -> io::Result<()> {
        // HELP text escapes only backslash and line feed.
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        writeln!(self.out, "# HELP {name} {help}")?;
        writeln!(self.out, "# TYPE {name} {}", kind.name())
    }

    /// One sample line: `name{interface="..",labels..} value`.
    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: u64) -> io::Result<()> {
        let mut line = String::with_capacity(128);
        line.push_str(name);
        line.push_str("{interface=\"");
        escape_label_value(self.interface, &mut line);
        line.push('"');
        for (label, value) in labels {
            line.push(',');
            line.push_str(label);
            line.push_str("=\"");
            escape_label_value(value, &mut line);
            line.push('"');
        }
        line.push_str("} ");
        line.push_str(&value.to_string());
        line.push('\n');
        self.out.write_all(line.as_bytes())
    }
}

/// Appends `value` with backslash, double quote and line feed escaped, as
/// the format requires inside a quoted label value.
fn escape_label_value(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::{PortDb, PortEntry};
    use crate::decode::{Category, DecodeProblem, PacketInfo, Transport};
    use crate::pipeline::{Classified, Counted};
    use crate::tally::Tally;
    use std::collections::{BTreeMap, HashSet};

    /// One parsed family: its HELP, TYPE and samples.
    #[derive(Debug)]
    struct Family {
        name: String,
        kind: String,
        samples: Vec<Sample>,
    }

    #[derive(Debug)]
    struct Sample {
        labels: Labels,
        value: u64,
    }

    fn valid_metric_name(name: &str) -> bool {
        let mut chars = name.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    }

    fn valid_label_name(name: &str) -> bool {
        let mut chars = name.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with("__")
    }

    /// Label names and values, in order.
    type Labels = Vec<(String, String)>;

    /// Parses `{k="v",...}` (from after the name); returns the labels and
    /// the rest of the line.
    fn parse_labels(s: &str) -> Result<(Labels, &str), String> {
        let mut rest = s.strip_prefix('{').ok_or("labels must open with {")?;
        let mut labels = Vec::new();
        loop {
            if let Some(after) = rest.strip_prefix('}') {
                return Ok((labels, after));
            }
            if !labels.is_empty() {
                rest = rest
                    .strip_prefix(',')
                    .ok_or("labels must be comma-separated")?;
            }
            let eq = rest.find('=').ok_or("label without =")?;
            let name = &rest[..eq];
            if !valid_label_name(name) {
                return Err(format!("bad label name {name:?}"));
            }
            rest = rest[eq + 1..]
                .strip_prefix('"')
                .ok_or("label value must be quoted")?;
            let mut value = String::new();
            let mut chars = rest.char_indices();
            let end = loop {
                match chars.next() {
                    None => return Err("unterminated label value".into()),
                    Some((i, '"')) => break i,
                    Some((_, '\\')) => match chars.next() {
                        Some((_, '\\')) => value.push('\\'),
                        Some((_, '"')) => value.push('"'),
                        Some((_, 'n')) => value.push('\n'),
                        other => return Err(format!("bad escape {other:?}")),
                    },
                    Some((_, c)) => value.push(c),
                }
            };
            rest = &rest[end + 1..];
            if labels.iter().any(|(n, _)| n == name) {
                return Err(format!("label {name} twice"));
            }
            labels.push((name.to_string(), value));
        }
    }

    /// A strict parser of what this module writes: every family opens with
    /// HELP then TYPE, its samples follow at once, every sample line is
    /// `name{labels} value` with `interface` first, counters end in `_total`,
    /// no family or series appears twice.
    fn parse(text: &str) -> Result<Vec<Family>, String> {
        if !text.ends_with('\n') {
            return Err("output must end with a line feed".into());
        }
        let mut families: Vec<Family> = Vec::new();
        let mut series = HashSet::new();
        let mut lines = text.lines().peekable();
        while let Some(line) = lines.next() {
            if let Some(help) = line.strip_prefix("# HELP ") {
                let (name, text) = help.split_once(' ').ok_or("HELP without text")?;
                if text.is_empty() || !valid_metric_name(name) {
                    return Err(format!("bad HELP line {line:?}"));
                }
                let type_line = lines.next().ok_or("HELP without TYPE")?;
                let kind = type_line
                    .strip_prefix(&format!("# TYPE {name} "))
                    .ok_or_else(|| format!("HELP {name} not followed by its TYPE"))?;
                match kind {
                    "counter" if name.ends_with("_total") => {}
                    "gauge" if !name.ends_with("_total") => {}
                    _ => return Err(format!("{name}: bad type {kind:?} for its name")),
                }
                if families.iter().any(|f| f.name == name) {
                    return Err(format!("family {name} twice"));
                }
                families.push(Family {
                    name: name.to_string(),
                    kind: kind.to_string(),
                    samples: Vec::new(),
                });
                continue;
            }
            if line.starts_with('#') || line.is_empty() {
                return Err(format!("unexpected line {line:?}"));
            }
            let family = families
                .last_mut()
                .ok_or_else(|| format!("sample before any HELP/TYPE: {line:?}"))?;
            let rest = line
                .strip_prefix(family.name.as_str())
                .ok_or_else(|| format!("sample {line:?} outside its family"))?;
            let (labels, rest) = parse_labels(rest)?;
            let value = rest
                .strip_prefix(' ')
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| format!("bad value in {line:?}"))?;
            if labels.first().map(|(n, _)| n.as_str()) != Some("interface") {
                return Err(format!("{line:?}: interface must be the first label"));
            }
            if !series.insert((family.name.clone(), labels.clone())) {
                return Err(format!("series twice: {line:?}"));
            }
            family.samples.push(Sample { labels, value });
        }
        if let Some(empty) = families.iter().find(|f| f.samples.is_empty()) {
            return Err(format!("family {} has no samples", empty.name));
        }
        Ok(families)
    }

    /// Parsed output keyed by family, then by labels (without interface).
    type Values = BTreeMap<String, BTreeMap<Labels, u64>>;

    fn values(families: &[Family], interface: &str) -> Values {
        let mut map = Values::new();
        for f in families {
            let entry = map.entry(f.name.clone()).or_default();
            for s in &f.samples {
                assert_eq!(s.labels[0].1, interface);
                entry.insert(s.labels[1..].to_vec(), s.value);
            }
        }
        map
    }

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn render(view: &ReadView, interface: &str, stats: Option<&CaptureStatsView>) -> String {
        let mut out = Vec::new();
        let mut budget = SeriesBudget::new(DEFAULT_MAX_SERIES);
        write_metrics(view, interface, stats, None, &mut budget, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// A tally of `ports` TCP services (one answered conversation each, from
    /// one client to one server) plus refused probes, `scale` frames apiece.
    fn services_tally(db: &PortDb, ports: std::ops::Range<u16>, scale: u32) -> Tally {
        use std::net::{IpAddr, Ipv4Addr};
        let rule = db.naming_rule();
        let mut flow = crate::pipeline::FlowClassifier::new(&rule, Default::default());
        let mut tally = Tally::new();
        let client = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let server = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1));
        let mut ts = 0;
        for port in ports {
            for (from, to, flags) in [
                ((client, 40000), (server, port), 0x02),
                ((server, port), (client, 40000), 0x12),
                ((client, 40000), (server, port), 0x10),
            ] {
                let mut info = PacketInfo::ports(Transport::Tcp, from.1, to.1);
                info.addresses = Some((from.0, to.0));
                info.tcp_flags = Some(flags);
                ts += 1;
                let classified = flow.classify(&info, 60 * scale, ts);
                tally.count(&Counted {
                    info: &info,
                    classified: &classified,
                    wire_len: 60 * scale,
                    link_type: 1,
                    ts_nanos: ts,
                });
                for resolved in flow.drain_resolved() {
                    tally.resolve(&resolved);
                }
            }
        }
        flow.finish();
        for resolved in flow.drain_resolved() {
            tally.resolve(&resolved);
        }
        tally
    }

    #[test]
    fn series_are_capped_with_an_other_series_and_stay_monotonic() {
        let db = PortDb::builtin();
        let mut budget = SeriesBudget::new(10);
        let scrape = |tally: &Tally, budget: &mut SeriesBudget| {
            let view = ReadView::new(tally, &db, false);
            let mut out = Vec::new();
            write_metrics(&view, "eth0", None, None, budget, &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            values(&parse(&text).expect("valid exposition"), "eth0")
        };
        let mut tally = services_tally(&db, 1000..1030, 1);
        let first = scrape(&tally, &mut budget);
        let services = &first["portclass_service_bytes_total"];
        // 10 admitted + other; servers likewise (two series each: directions).
        assert_eq!(services.len(), 11, "{services:?}");
        let other = labels(&[
            ("transport", "any"),
            ("port", "other"),
            ("service", "other"),
        ]);
        assert_eq!(services[&other], 20 * 3 * 60);
        assert_eq!(first["portclass_server_bytes_total"].len(), 2 * 11);
        let total: u64 = services.values().sum();
        assert_eq!(total, 30 * 3 * 60);
        // More traffic, more services: every series at least what it was,
        // none new beyond the cap.
        tally += &services_tally(&db, 1000..1100, 2);
        let second = scrape(&tally, &mut budget);
        for family in [
            "portclass_service_bytes_total",
            "portclass_server_bytes_total",
        ] {
            assert_eq!(second[family].len(), first[family].len(), "{family}");
            for (labels, value) in &first[family] {
                assert!(second[family][labels] >= *value, "{family} {labels:?}");
            }
        }
        let total: u64 = second["portclass_service_bytes_total"].values().sum();
        assert_eq!(total, 30 * 3 * 60 + 100 * 3 * 120);
    }

    /// A UDP port the builtin database does not know.
    fn unassigned_udp_port(db: &PortDb) -> u16 {
        (1024..49152)
            .find(|&p| db.primary(Transport::Udp, p).is_none())
            .unwrap()
    }

    /// A tally of a few frames of every kind, named by the real rule.
    fn sample_tally(db: &PortDb) -> Tally {
        let rule = db.naming_rule();
        let unassigned = unassigned_udp_port(db);
        let frames = [
            (PacketInfo::ports(Transport::Tcp, 51234, 443), 1500),
            (PacketInfo::ports(Transport::Tcp, 443, 51234), 1500),
            (PacketInfo::ports(Transport::Tcp, 51234, 443), 100),
            (PacketInfo::ports(Transport::Tcp, 40000, 22), 200),
            (PacketInfo::ports(Transport::Udp, 60000, 50001), 80),
            (PacketInfo::ports(Transport::Udp, 50000, unassigned), 90),
            (PacketInfo::plain(Category::Icmp), 70),
            (
                PacketInfo::problem(Category::Truncated, DecodeProblem::PortsTruncated),
                60,
            ),
            (PacketInfo::plain(Category::NonIp), 42),
        ];
        let mut tally = Tally::new();
        for (i, (info, len)) in frames.iter().enumerate() {
            let classified = Classified::by_static_rule(&rule, info);
            tally.count(&Counted {
                info,
                classified: &classified,
                wire_len: *len,
                link_type: 1,
                ts_nanos: i as i64,
            });
        }
        tally
    }

    #[test]
    fn output_parses_strictly_and_matches_the_view() {
        let db = PortDb::builtin();
        let view = ReadView::new(&sample_tally(&db), &db, false);
        let stats = CaptureStatsView {
            received: 1000,
            dropped: 7,
            if_dropped: 3,
        };
        let text = render(&view, "eth0", Some(&stats));
        let families = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let v = values(&families, "eth0");

        let names: Vec<&str> = families.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "portclass_info",
                "portclass_packets_total",
                "portclass_bytes_total",
                "portclass_transport_packets_total",
                "portclass_transport_bytes_total",
                "portclass_service_packets_total",
                "portclass_service_bytes_total",
                "portclass_fragments_packets_total",
                "portclass_decode_problems_total",
                "portclass_capture_received_packets_total",
                "portclass_capture_dropped_packets_total",
            ]
        );
        assert_eq!(families[0].kind, "gauge");
        assert!(families[1..].iter().all(|f| f.kind == "counter"));

        let version = labels(&[("version", env!("CARGO_PKG_VERSION"))]);
        assert_eq!(v["portclass_info"][&version], 1);
        assert_eq!(v["portclass_packets_total"][&vec![]], 9);
        assert_eq!(v["portclass_bytes_total"][&vec![]], 3642);
        assert_eq!((view.packets, view.bytes), (9, 3642));

        // All nine categories, zeros included, as the view has them.
        assert_eq!(v["portclass_transport_packets_total"].len(), 9);
        assert_eq!(v["portclass_transport_bytes_total"].len(), 9);
        for (category, counter) in view.transport.rows() {
            let key = labels(&[("category", category.name())]);
            assert_eq!(
                v["portclass_transport_packets_total"][&key],
                counter.packets
            );
            assert_eq!(v["portclass_transport_bytes_total"][&key], counter.bytes);
        }
        let tcp = labels(&[("category", "tcp")]);
        assert_eq!(v["portclass_transport_bytes_total"][&tcp], 3300);
        let sctp = labels(&[("category", "sctp")]);
        assert_eq!(v["portclass_transport_packets_total"][&sctp], 0);

        // One series per service row, in the view's order.
        let service_samples = &families[5].samples;
        assert_eq!(service_samples.len(), view.services.len());
        for (row, sample) in view.services.iter().zip(service_samples) {
            assert_eq!(
                sample.labels[1],
                ("transport".into(), row.key.transport.name().into())
            );
            assert_eq!(sample.value, row.packets);
        }
        for row in &view.services {
            let port = row
                .key
                .port
                .map_or("dynamic".to_string(), |p| p.to_string());
            let service = row.service.clone().unwrap();
            let key = labels(&[
                ("transport", row.key.transport.name()),
                ("port", &port),
                ("service", &service),
            ]);
            assert_eq!(v["portclass_service_packets_total"][&key], row.packets);
            assert_eq!(v["portclass_service_bytes_total"][&key], row.bytes);
        }
        let https = labels(&[("transport", "tcp"), ("port", "443"), ("service", "https")]);
        assert_eq!(v["portclass_service_bytes_total"][&https], 3100);
        let dynamic = labels(&[
            ("transport", "udp"),
            ("port", "dynamic"),
            ("service", "dynamic"),
        ]);
        assert_eq!(v["portclass_service_packets_total"][&dynamic], 1);
        let unassigned = unassigned_udp_port(&db).to_string();
        let unassigned = labels(&[
            ("transport", "udp"),
            ("port", &unassigned),
            ("service", "unassigned"),
        ]);
        assert_eq!(v["portclass_service_bytes_total"][&unassigned], 90);

        // Every reason, zeros included.
        assert_eq!(
            v["portclass_decode_problems_total"].len(),
            DecodeProblem::ALL.len()
        );
        for p in &view.decode_problems {
            let key = labels(&[("problem", p.problem.name())]);
            assert_eq!(v["portclass_decode_problems_total"][&key], p.packets);
        }
        let ports = labels(&[("problem", "ports_truncated")]);
        assert_eq!(v["portclass_decode_problems_total"][&ports], 1);

        assert_eq!(v["portclass_capture_received_packets_total"][&vec![]], 1000);
        let dropped = &v["portclass_capture_dropped_packets_total"];
        assert_eq!(dropped[&labels(&[("by", "kernel")])], 7);
        assert_eq!(dropped[&labels(&[("by", "interface")])], 3);
    }

    #[test]
    fn without_capture_stats_there_are_no_capture_families() {
        let db = PortDb::builtin();
        let view = ReadView::new(&sample_tally(&db), &db, false);
        let text = render(&view, "eth0", None);
        let families = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert!(!families.iter().any(|f| f.name.contains("capture")));
    }

    #[test]
    fn an_empty_tally_still_has_every_fixed_series() {
        let view = ReadView::new(&Tally::new(), &PortDb::builtin(), false);
        let text = render(&view, "eth0", None);
        let families = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let names: Vec<&str> = families.iter().map(|f| f.name.as_str()).collect();
        // No service rows: the service families are left out, not empty.
        assert!(!names.iter().any(|n| n.starts_with("portclass_service_")));
        let v = values(&families, "eth0");
        assert_eq!(v["portclass_transport_bytes_total"].len(), 9);
        assert_eq!(v["portclass_decode_problems_total"].len(), 6);
        assert_eq!(v["portclass_packets_total"][&vec![]], 0);
    }

    #[test]
    fn numeric_views_use_the_port_as_the_service_label() {
        let db = PortDb::builtin();
        let view = ReadView::new(&sample_tally(&db), &db, true);
        let text = render(&view, "eth0", None);
        let families = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let v = values(&families, "eth0");
        let https = labels(&[("transport", "tcp"), ("port", "443"), ("service", "443")]);
        assert_eq!(v["portclass_service_packets_total"][&https], 3);
        let dynamic = labels(&[
            ("transport", "udp"),
            ("port", "dynamic"),
            ("service", "dynamic"),
        ]);
        assert_eq!(v["portclass_service_bytes_total"][&dynamic], 80);
    }

    #[test]
    fn label_values_escape_and_round_trip() {
        let db = PortDb::builtin();
        let mut view = ReadView::new(&sample_tally(&db), &db, false);
        // Service names can come from a user database; Windows interface
        // names hold backslashes.
        let service = "a \"quoted\" \\ back\nslash";
        let interface = format!("{}\"\n", r"\Device\NPF_{x}");
        view.services[0].service = Some(service.to_string());
        let text = render(&view, &interface, None);
        assert!(text.contains(r#"service="a \"quoted\" \\ back\nslash""#));
        assert!(text.contains(r#"{interface="\\Device\\NPF_{x}\"\n""#));
        let families = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let v = values(&families, &interface);
        let row = &view.services[0];
        let key = labels(&[
            ("transport", row.key.transport.name()),
            ("port", &row.key.port.unwrap().to_string()),
            ("service", service),
        ]);
        assert_eq!(v["portclass_service_bytes_total"][&key], row.bytes);
    }

    #[test]
    fn the_strict_parser_rejects_what_it_should() {
        let bad = [
            "x_total{interface=\"a\"} 1\n",
            "# HELP x_total h\n# TYPE x_total counter\nx_total{interface=\"a\"} 1",
            "# HELP x h\n# TYPE x counter\nx{interface=\"a\"} 1\n",
            "# HELP x_total h\n# TYPE x_total counter\nx_total{interface=\"a\\t\"} 1\n",
            "# HELP x_total h\n# TYPE x_total counter\nx_total{port=\"1\"} 1\n",
            "# HELP x_total h\n# TYPE x_total counter\nx_total{interface=\"a\"} 1\nx_total{interface=\"a\"} 2\n",
            "# HELP x_total h\n# TYPE x_total counter\ny_total{interface=\"a\"} 1\n",
            "# HELP x_total h\n# TYPE x_total counter\n",
        ];
        for text in bad {
            assert!(parse(text).is_err(), "accepted {text:?}");
        }
    }

    /// The whole output for one HTTPS frame, as a scrape sees it.
    #[test]
    fn snapshot_of_a_one_frame_view() {
        let db = PortDb::builtin();
        let rule = db.naming_rule();
        let mut tally = Tally::new();
        let info = PacketInfo::ports(Transport::Tcp, 51234, 443);
        tally.count(&Counted {
            info: &info,
            classified: &Classified::by_static_rule(&rule, &info),
            wire_len: 1500,
            link_type: 1,
            ts_nanos: 0,
        });
        let https: Option<&PortEntry> = db.primary(Transport::Tcp, 443);
        assert_eq!(https.map(|e| e.service.as_str()), Some("https"));
        let view = ReadView::new(&tally, &db, false);
        let stats = CaptureStatsView {
            received: 2,
            dropped: 1,
            if_dropped: 0,
        };
        let text =
            render(&view, "eth0", Some(&stats)).replace(env!("CARGO_PKG_VERSION"), "VERSION");
        let expected = r#"# HELP portclass_info Version of the portclass serving these metrics; the value is always 1.
# TYPE portclass_info gauge
portclass_info{interface="eth0",version="VERSION"} 1
# HELP portclass_packets_total Frames counted since the capture started.
# TYPE portclass_packets_total counter
portclass_packets_total{interface="eth0"} 1
# HELP portclass_bytes_total Original wire bytes of the frames counted.
# TYPE portclass_bytes_total counter
portclass_bytes_total{interface="eth0"} 1500
# HELP portclass_transport_packets_total Frames by category of the counting rules (all nine categories, always present).
# TYPE portclass_transport_packets_total counter
portclass_transport_packets_total{interface="eth0",category="tcp"} 1
portclass_transport_packets_total{interface="eth0",category="udp"} 0
portclass_transport_packets_total{interface="eth0",category="sctp"} 0
portclass_transport_packets_total{interface="eth0",category="icmp"} 0
portclass_transport_packets_total{interface="eth0",category="icmpv6"} 0
portclass_transport_packets_total{interface="eth0",category="other_ip"} 0
portclass_transport_packets_total{interface="eth0",category="fragment"} 0
portclass_transport_packets_total{interface="eth0",category="truncated"} 0
portclass_transport_packets_total{interface="eth0",category="non_ip"} 0
# HELP portclass_transport_bytes_total Original wire bytes by category of the counting rules.
# TYPE portclass_transport_bytes_total counter
portclass_transport_bytes_total{interface="eth0",category="tcp"} 1500
portclass_transport_bytes_total{interface="eth0",category="udp"} 0
portclass_transport_bytes_total{interface="eth0",category="sctp"} 0
portclass_transport_bytes_total{interface="eth0",category="icmp"} 0
portclass_transport_bytes_total{interface="eth0",category="icmpv6"} 0
portclass_transport_bytes_total{interface="eth0",category="other_ip"} 0
portclass_transport_bytes_total{interface="eth0",category="fragment"} 0
portclass_transport_bytes_total{interface="eth0",category="truncated"} 0
portclass_transport_bytes_total{interface="eth0",category="non_ip"} 0
# HELP portclass_service_packets_total Frames with ports by the service the naming rule attributed them to; port and service are "dynamic" for frames between two unknown dynamic ports, "failed" for attempts refused or never answered.
# TYPE portclass_service_packets_total counter
portclass_service_packets_total{interface="eth0",transport="tcp",port="443",service="https"} 1
# HELP portclass_service_bytes_total Original wire bytes of frames with ports by attributed service.
# TYPE portclass_service_bytes_total counter
portclass_service_bytes_total{interface="eth0",transport="tcp",port="443",service="https"} 1500
# HELP portclass_fragments_packets_total Non-first IP fragments by whether they were attributed to the service of their first fragment.
# TYPE portclass_fragments_packets_total counter
portclass_fragments_packets_total{interface="eth0",fate="attributed"} 0
portclass_fragments_packets_total{interface="eth0",fate="unattributed"} 0
# HELP portclass_decode_problems_total Frames whose decoding stopped early, by reason (all reasons, always present).
# TYPE portclass_decode_problems_total counter
portclass_decode_problems_total{interface="eth0",problem="unsupported_link_type"} 0
portclass_decode_problems_total{interface="eth0",problem="link_header_truncated"} 0
portclass_decode_problems_total{interface="eth0",problem="ip_header_truncated"} 0
portclass_decode_problems_total{interface="eth0",problem="ip_header_invalid"} 0
portclass_decode_problems_total{interface="eth0",problem="extension_header_truncated"} 0
portclass_decode_problems_total{interface="eth0",problem="ports_truncated"} 0
# HELP portclass_capture_received_packets_total Packets the capture received, as libpcap reports them.
# TYPE portclass_capture_received_packets_total counter
portclass_capture_received_packets_total{interface="eth0"} 2
# HELP portclass_capture_dropped_packets_total Packets lost before portclass saw them: by the kernel for lack of buffer space, or by the network interface or its driver.
# TYPE portclass_capture_dropped_packets_total counter
portclass_capture_dropped_packets_total{interface="eth0",by="kernel"} 1
portclass_capture_dropped_packets_total{interface="eth0",by="interface"} 0
"#;
        assert_eq!(text, expected);
    }

    #[test]
    fn budgeted_families_cap_and_never_decrease() {
        let mut family = Budgeted::default();
        let rows = |n: usize, base: u64| -> Vec<(SeriesLabels, [u64; 2])> {
            (0..n)
                .map(|i| {
                    (
                        vec![("address", format!("10.0.0.{i}"))],
                        [base + i as u64, base],
                    )
                })
                .collect()
        };
        let other = || vec![("address", "other".to_string())];
        let first = family.select(2, rows(5, 100), other());
        assert_eq!(first.len(), 3, "{first:?}");
        assert_eq!(first[2], (other(), [100 + 2 + 103 + 104, 300]));
        // Later: fewer rows (the summary let some go); the admitted keep
        // their values and `other` does not fall.
        let later = family.select(2, rows(1, 200), other());
        assert_eq!(later.len(), 3, "{later:?}");
        assert_eq!(later[0].1, [200, 200]);
        assert_eq!(later[1].1, [101, 100], "kept at its last value");
        assert_eq!(later[2].1, [309, 300], "other never decreases");
    }
}
