//! render: a sorted view model of a tally, and its serialisation as a table,
//! JSON, CSV or Markdown to any `io::Write`.

pub mod csv;
pub mod html;
pub mod live;
pub mod prometheus;
pub mod report;
mod scans;
pub mod screen;
pub mod table;
mod text;
mod units;

use crate::capture::LinkType;
use crate::classify::{Naming, PortDb, PortEntry};
use crate::decode::{Category, DecodeProblem, Tunnel};
use crate::tally::{Counter, InputStatus, ServiceCounts, ServiceKey, Tally};
use serde::Serialize;
use std::io::{self, Write};

pub use scans::{ScanView, ScansView};
pub use units::{
    bracket, format_bytes, format_count, format_rate, format_share, format_timestamp, port_label,
};

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Aligned tables for a terminal.
    Table,
    /// One JSON document.
    Json,
    /// Comma-separated values.
    Csv,
    /// Markdown tables.
    Markdown,
}

/// The JSON schema identifier of `read --format json`; bumped on any
/// incompatible change.
pub const READ_SCHEMA: &str = "portclass.read/2";

/// Packets and bytes, as serialised.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct CounterView {
    /// Frames.
    pub packets: u64,
    /// Original wire bytes.
    pub bytes: u64,
}

impl From<Counter> for CounterView {
    fn from(c: Counter) -> CounterView {
        CounterView {
            packets: c.packets,
            bytes: c.bytes,
        }
    }
}

/// One link type of the run.
#[derive(Clone, Debug, Serialize)]
pub struct LinkTypeView {
    /// The LINKTYPE_ number.
    pub linktype: u16,
    /// libpcap's name (`EN10MB`).
    pub name: String,
    /// A human description.
    pub description: String,
    /// Frames of this link type.
    pub packets: u64,
}

/// One input of the run.
#[derive(Clone, Debug, Serialize)]
pub struct InputView {
    /// As named on the command line.
    pub name: String,
    /// File format (`pcapng`, `pcap (nanoseconds, big-endian)`, ...).
    pub format: String,
    /// `complete`, `partial` or `failed`.
    pub status: &'static str,
    /// What went wrong, for partial and failed inputs.
    pub error: Option<String>,
    /// Frames read.
    pub packets: u64,
    /// Their wire bytes.
    pub bytes: u64,
    /// Link types of this input.
    pub link_types: Vec<LinkTypeView>,
    /// First frame time (RFC 3339, UTC).
    pub first_timestamp: Option<String>,
    /// Last frame time (RFC 3339, UTC).
    pub last_timestamp: Option<String>,
    /// First frame time, nanoseconds since the Unix epoch.
    pub first_timestamp_ns: Option<i64>,
    /// Last frame time, nanoseconds since the Unix epoch.
    pub last_timestamp_ns: Option<i64>,
}

/// The nine categories of the counting rules, in their order.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct TransportView {
    /// TCP with ports.
    pub tcp: CounterView,
    /// UDP with ports.
    pub udp: CounterView,
    /// SCTP with ports.
    pub sctp: CounterView,
    /// ICMP.
    pub icmp: CounterView,
    /// ICMPv6.
    pub icmpv6: CounterView,
    /// Other IP protocols.
    pub other_ip: CounterView,
    /// Non-first fragments.
    pub fragment: CounterView,
    /// TCP/UDP/SCTP cut before the ports.
    pub truncated: CounterView,
    /// Frames without IP.
    pub non_ip: CounterView,
}

/// How a service row's frames were named: packets per method.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct IdentifiedView {
    /// Named by the server port a TCP handshake showed.
    pub handshake: u64,
    /// Named by the static rule with a port the database knows.
    pub port_database: u64,
    /// Named by the static rule without the database's help (lower unknown
    /// port, or the dynamic row).
    pub heuristic: u64,
    /// Frames of related data channels (a TFTP transfer under tftp).
    pub related: u64,
}

/// One service row: the frames attributed to one port (or to the dynamic
/// range) of one transport, inside one tunnel kind or outside any.
#[derive(Clone, Debug, Serialize)]
pub struct ServiceView {
    /// The tunnel the frames came through (`vxlan`, `gre`, ...; only with
    /// `--decap`); `null` outside tunnels.
    pub tunnel: Option<&'static str>,
    /// `tcp`, `udp` or `sctp`.
    pub transport: &'static str,
    /// The naming port; `null` for the dynamic and failed rows.
    pub port: Option<u16>,
    /// Present (`true`) on a transport's failed-attempts row only.
    #[serde(skip_serializing_if = "is_false")]
    pub failed: bool,
    /// The service name; `unassigned`, `dynamic` or `failed` when the port
    /// database has none; `null` with `--numeric`.
    pub service: Option<String>,
    /// Which port-database layer named it (`builtin`, `system`, `user`);
    /// `null` when none did.
    pub source: Option<&'static str>,
    /// The database's description.
    pub description: Option<String>,
    /// Frames attributed.
    pub packets: u64,
    /// Their wire bytes.
    pub bytes: u64,
    /// Share of all bytes of the run, 0..1.
    pub share: f64,
    /// How the row's port was identified, by the method behind most of its
    /// packets: `handshake`, `port_database` or `heuristic`.
    pub identified_by: &'static str,
    /// Packets per identification method.
    pub identified: IdentifiedView,
    /// On the failed row: what its attempts tried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempted: Option<AttemptedView>,
}

/// What the failed attempts of a transport tried.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct AttemptedView {
    /// Distinct target ports (exact).
    pub ports: u32,
    /// Distinct target hosts (exact below 256, estimated within about 2 %
    /// above: see `hosts_approximate`).
    pub hosts: u64,
    /// Whether `hosts` is an estimate.
    pub hosts_approximate: bool,
    /// The target ports as ranges (`1-1024,3306`).
    pub port_ranges: String,
    /// The distinct-host sketch (HyperLogLog registers, hex), so that
    /// merged summaries count distinct hosts as if read together.
    pub host_sketch: String,
}

impl AttemptedView {
    fn of(attempted: &crate::tally::attempted::Attempted) -> AttemptedView {
        AttemptedView {
            ports: attempted.ports(),
            hosts: attempted.hosts(),
            hosts_approximate: attempted.hosts_approximate(),
            port_ranges: attempted.port_ranges(),
            host_sketch: attempted.host_sketch(),
        }
    }
}

/// The failed row's description: what was tried.
fn failed_description(attempted: Option<&crate::tally::attempted::Attempted>) -> String {
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

/// For `skip_serializing_if`: a flag written only when set.
pub(crate) fn is_false(flag: &bool) -> bool {
    !*flag
}

/// Non-first fragments and their attribution to services.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct FragmentsView {
    /// Counted under the service of their first fragment too.
    pub attributed: CounterView,
    /// Not attributed (first fragment not seen, or without ports).
    pub unattributed: CounterView,
}

/// Frames that came through one kind of tunnel (`--decap`).
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub struct TunnelView {
    /// `gre`, `ipip`, `6in4`, `vxlan`, `geneve`, `gtp-u` or `teredo`.
    pub tunnel: &'static str,
    /// Frames.
    pub packets: u64,
    /// Their wire bytes (outer frame).
    pub bytes: u64,
}

/// One port's traffic by direction.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct PortView {
    /// The tunnel (only with `--decap`); `null` outside tunnels.
    pub tunnel: Option<&'static str>,
    /// `tcp`, `udp` or `sctp`.
    pub transport: &'static str,
    /// The port.
    pub port: u16,
    /// Frames from this port.
    pub src_packets: u64,
    /// Their bytes.
    pub src_bytes: u64,
    /// Frames to this port.
    pub dst_packets: u64,
    /// Their bytes.
    pub dst_bytes: u64,
}

/// Everything `read` shows, sorted for display.
#[derive(Clone, Debug, Serialize)]
pub struct ReadView {
    /// [`READ_SCHEMA`] (or the report's schema, for a report).
    pub schema: &'static str,
    /// The portclass version that wrote it.
    pub portclass_version: &'static str,
    /// The inputs, in command-line order.
    pub inputs: Vec<InputView>,
    /// All frames.
    pub packets: u64,
    /// Their wire bytes.
    pub bytes: u64,
    /// First frame time (RFC 3339, UTC).
    pub first_timestamp: Option<String>,
    /// Last frame time (RFC 3339, UTC).
    pub last_timestamp: Option<String>,
    /// First frame time, nanoseconds since the Unix epoch.
    pub first_timestamp_ns: Option<i64>,
    /// Last frame time, nanoseconds since the Unix epoch.
    pub last_timestamp_ns: Option<i64>,
    /// Seconds from the first to the last frame.
    pub duration_seconds: f64,
    /// Average bits per second over the duration (`null` under 1 µs).
    pub average_bits_per_second: Option<f64>,
    /// Average packets per second over the duration.
    pub average_packets_per_second: Option<f64>,
    /// Link types of all inputs.
    pub link_types: Vec<LinkTypeView>,
    /// Traffic by category.
    pub transport: TransportView,
    /// Frames whose decoding stopped early, by reason (all reasons listed).
    pub decode_problems: Vec<ProblemView>,
    /// Non-first fragments: how many were attributed to a service.
    pub fragments: FragmentsView,
    /// Whether tunnels were looked into (`--decap`).
    pub decap: bool,
    /// Frames per tunnel kind (empty without `--decap`).
    pub tunnels: Vec<TunnelView>,
    /// Service rows by bytes, largest first.
    pub services: Vec<ServiceView>,
    /// Ports by tunnel, transport and number.
    pub ports: Vec<PortView>,
    /// Port scans found; `null` when scan detection was off.
    pub scans: Option<ScansView>,
    /// The server inventory.
    pub servers: ServersView,
}

/// The server inventory with its accuracy (see `tally::servers`).
#[derive(Clone, Debug, Serialize)]
pub struct ServersView {
    /// How many servers the summary keeps.
    pub capacity: usize,
    /// True when every figure is exact (no more servers than the capacity).
    pub exact: bool,
    /// When not exact: a server not kept has at most this many bytes.
    pub error_bound_bytes: u64,
    /// The servers, busiest first (all kept; renderers show the top N).
    pub entries: Vec<ServerView>,
    /// Exact totals over every server, listed or not.
    pub totals: ServerTotalsView,
}

/// Traffic of all servers.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct ServerTotalsView {
    /// Frames towards servers.
    pub to_server_packets: u64,
    /// Their bytes.
    pub to_server_bytes: u64,
    /// Frames from servers.
    pub from_server_packets: u64,
    /// Their bytes.
    pub from_server_bytes: u64,
}

/// One server endpoint that answered.
#[derive(Clone, Debug, Serialize)]
pub struct ServerView {
    /// Its address.
    pub address: String,
    /// `tcp`, `udp` or `sctp`.
    pub transport: &'static str,
    /// Its port.
    pub port: u16,
    /// The port database's name for the port (`unassigned` when none;
    /// `null` with `--numeric`).
    pub service: Option<String>,
    /// `handshake` when conversations with it were seen opened and
    /// answered, else `port_database` (traffic on a port the database
    /// names, whose opening was not captured).
    pub identified_by: &'static str,
    /// First frame (RFC 3339, UTC).
    pub first_timestamp: Option<String>,
    /// Last frame.
    pub last_timestamp: Option<String>,
    /// First frame, ns since the epoch.
    pub first_ns: Option<i64>,
    /// Last frame, ns since the epoch.
    pub last_ns: Option<i64>,
    /// Frames towards it.
    pub to_server_packets: u64,
    /// Their bytes.
    pub to_server_bytes: u64,
    /// Frames from it.
    pub from_server_packets: u64,
    /// Their bytes.
    pub from_server_bytes: u64,
    /// Conversations whose opening was seen and answered.
    pub conversations: u64,
    /// Distinct clients.
    pub clients: u64,
    /// Whether `clients` is an estimate (more clients than the top list
    /// holds; the top list's bytes are then lower bounds).
    pub clients_approximate: bool,
    /// Its top clients: `address`, `conversations` (opened and answered).
    pub top_clients: Vec<ClientView>,
    /// The distinct-client sketch (hex), so merges count clients exactly
    /// as if read together.
    pub client_sketch: String,
    /// Its true bytes lie between the shown ones and that plus this (0:
    /// exact).
    pub overestimate_bytes: u64,
    /// The local process serving it (`live` on the machine itself, where
    /// it was seen): `pid`, `name`, `user`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<ProcessView>,
}

/// A local process.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProcessView {
    /// Its process id.
    pub pid: i32,
    /// Its command name.
    pub name: String,
    /// The user it runs as.
    pub user: String,
}

/// One client of a server.
#[derive(Clone, Debug, Serialize)]
pub struct ClientView {
    /// Its address.
    pub address: String,
    /// The conversations it opened that the server answered.
    pub conversations: u64,
}

impl ServersView {
    fn new(servers: &crate::tally::servers::Servers, db: &PortDb, numeric: bool) -> ServersView {
        let summary = servers.summary();
        let total = summary.total();
        let entries = summary
            .entries()
            .into_iter()
            .map(|e| {
                let w = &e.weights;
                let service = (!numeric).then(|| {
                    db.label(e.key.transport, Naming::Port(e.key.port))
                        .to_string()
                });
                ServerView {
                    address: e.key.address.to_string(),
                    transport: e.key.transport.name(),
                    port: e.key.port,
                    service,
                    identified_by: if w.conversations > 0 {
                        "handshake"
                    } else {
                        "port_database"
                    },
                    first_timestamp: w.span.map(|s| format_timestamp(s.0)),
                    last_timestamp: w.span.map(|s| format_timestamp(s.1)),
                    first_ns: w.span.map(|s| s.0),
                    last_ns: w.span.map(|s| s.1),
                    to_server_packets: w.to_server.packets,
                    to_server_bytes: w.to_server.bytes,
                    from_server_packets: w.from_server.packets,
                    from_server_bytes: w.from_server.bytes,
                    conversations: w.conversations,
                    clients: w.clients(),
                    clients_approximate: w.clients_overflowed,
                    top_clients: w
                        .top_clients()
                        .into_iter()
                        .map(|(address, conversations)| ClientView {
                            address: address.to_string(),
                            conversations,
                        })
                        .collect(),
                    client_sketch: w.client_sketch(),
                    overestimate_bytes: e.overestimate,
                    process: None,
                }
            })
            .collect();
        ServersView {
            capacity: summary.capacity(),
            exact: summary.is_exact(),
            error_bound_bytes: summary.error_bound(),
            entries,
            totals: ServerTotalsView {
                to_server_packets: total.to_server.packets,
                to_server_bytes: total.to_server.bytes,
                from_server_packets: total.from_server.packets,
                from_server_bytes: total.from_server.bytes,
            },
        }
    }
}

/// A decode problem and how many frames had it.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ProblemView {
    /// Stable key (`ports_truncated`, ...).
    pub problem: &'static str,
    /// Human description.
    pub description: &'static str,
    /// Frames.
    pub packets: u64,
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

fn span_strings(span: Option<(i64, i64)>) -> (Option<String>, Option<String>) {
    match span {
        Some((first, last)) => (Some(format_timestamp(first)), Some(format_timestamp(last))),
        None => (None, None),
    }
}

impl ReadView {
    /// Builds the view of `tally`, naming services from `db` (numbers only
    /// when `numeric`).
    pub fn new(tally: &Tally, db: &PortDb, numeric: bool) -> ReadView {
        let total = tally.total();
        let inputs = tally
            .inputs()
            .iter()
            .map(|input| {
                let (status, error) = match &input.status {
                    InputStatus::Complete => ("complete", None),
                    InputStatus::Partial(e) => ("partial", Some(e.clone())),
                    InputStatus::Failed(e) => ("failed", Some(e.clone())),
                };
                let (first_timestamp, last_timestamp) = span_strings(input.time_span);
                InputView {
                    name: input.name.clone(),
                    format: input.format.clone(),
                    status,
                    error,
                    packets: input.total.packets,
                    bytes: input.total.bytes,
                    link_types: link_type_views(&input.link_types),
                    first_timestamp,
                    last_timestamp,
                    first_timestamp_ns: input.time_span.map(|s| s.0),
                    last_timestamp_ns: input.time_span.map(|s| s.1),
                }
            })
            .collect();
        let (first_timestamp, last_timestamp) = span_strings(tally.time_span());
        let duration_seconds = tally.time_span().map_or(0.0, |(first, last)| {
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
        let c = |category| CounterView::from(tally.category(category));
        let transport = TransportView {
            tcp: c(Category::Tcp),
            udp: c(Category::Udp),
            sctp: c(Category::Sctp),
            icmp: c(Category::Icmp),
            icmpv6: c(Category::Icmpv6),
            other_ip: c(Category::OtherIp),
            fragment: c(Category::Fragment),
            truncated: c(Category::Truncated),
            non_ip: c(Category::NonIp),
        };
        let decode_problems = DecodeProblem::ALL
            .iter()
            .map(|&p| ProblemView {
                problem: p.name(),
                description: p.description(),
                packets: tally.problem(p),
            })
            .collect();
        let mut services: Vec<ServiceView> = tally
            .services()
            .map(|(key, counts)| {
                let attempted = (key.naming == Naming::Failed)
                    .then(|| tally.attempted(key.tunnel, key.transport))
                    .flatten();
                service_view(key, counts, attempted, total.bytes, db, numeric)
            })
            .collect();
        // Largest first; ties in a fixed order so output is reproducible.
        services.sort_by(|a, b| {
            (b.bytes, b.packets)
                .cmp(&(a.bytes, a.packets))
                .then_with(|| a.tunnel.cmp(&b.tunnel))
                .then_with(|| a.transport.cmp(b.transport))
                .then_with(|| a.port.unwrap_or(u16::MAX).cmp(&b.port.unwrap_or(u16::MAX)))
        });
        let ports = tally
            .ports()
            .map(|(tunnel, transport, port, c)| PortView {
                tunnel: tunnel.map(Tunnel::name),
                transport: transport.name(),
                port,
                src_packets: c.src.packets,
                src_bytes: c.src.bytes,
                dst_packets: c.dst.packets,
                dst_bytes: c.dst.bytes,
            })
            .collect();
        ReadView {
            schema: READ_SCHEMA,
            portclass_version: env!("CARGO_PKG_VERSION"),
            inputs,
            packets: total.packets,
            bytes: total.bytes,
            first_timestamp,
            last_timestamp,
            first_timestamp_ns: tally.time_span().map(|s| s.0),
            last_timestamp_ns: tally.time_span().map(|s| s.1),
            duration_seconds,
            average_bits_per_second,
            average_packets_per_second,
            link_types: {
                // Merged from threads in any order: sort for reproducible output.
                let mut link_types = tally.link_types().to_vec();
                link_types.sort_unstable();
                link_type_views(&link_types)
            },
            transport,
            decode_problems,
            fragments: FragmentsView {
                attributed: tally.fragments().attributed.into(),
                unattributed: tally.fragments().unattributed.into(),
            },
            decap: tally.decap(),
            tunnels: tally
                .tunnels()
                .map(|(tunnel, c)| TunnelView {
                    tunnel: tunnel.name(),
                    packets: c.packets,
                    bytes: c.bytes,
                })
                .collect(),
            services,
            ports,
            scans: tally.scans().map(ScansView::new),
            servers: ServersView::new(tally.servers(), db, numeric),
        }
    }

    /// The nine categories with their display names, in order.
    pub fn transport_rows(&self) -> [(&'static str, CounterView); 9] {
        let t = &self.transport;
        [
            ("tcp", t.tcp),
            ("udp", t.udp),
            ("sctp", t.sctp),
            ("icmp", t.icmp),
            ("icmpv6", t.icmpv6),
            ("other_ip", t.other_ip),
            ("fragment", t.fragment),
            ("truncated", t.truncated),
            ("non_ip", t.non_ip),
        ]
    }
}

fn service_view(
    key: ServiceKey,
    counts: ServiceCounts,
    attempted: Option<&crate::tally::attempted::Attempted>,
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
    let transport = key.transport;
    let port = key.port_number();
    let entry: Option<&PortEntry> = port.and_then(|p| db.primary(transport, p));
    let (service, source, description) = match (entry, port) {
        (Some(e), _) => (
            e.service.clone(),
            Some(e.source.name()),
            Some(e.description.clone()),
        ),
        (None, Some(_)) => ("unassigned".to_string(), None, None),
        (None, None) if key.naming == Naming::Failed => (
            crate::classify::FAILED.to_string(),
            None,
            Some(failed_description(attempted)),
        ),
        (None, None) => (
            "dynamic".to_string(),
            None,
            Some("traffic between two dynamic ports (49152-65535)".to_string()),
        ),
    };
    ServiceView {
        tunnel: key.tunnel.map(Tunnel::name),
        transport: transport.name(),
        port,
        failed: key.naming == Naming::Failed,
        service: (!numeric).then_some(service),
        source: if numeric { None } else { source },
        description: if numeric { None } else { description },
        packets: counter.packets,
        bytes: counter.bytes,
        share,
        identified_by: counts.main_method().name(),
        identified: IdentifiedView {
            handshake: counts.by_handshake,
            port_database: counts.by_port_database,
            heuristic: counts.by_heuristic,
            related: counts.by_related,
        },
        attempted: attempted.map(AttemptedView::of),
    }
}

/// Writes `view` in `format`; `top` limits the service rows of table and
/// markdown output (0: all).
pub fn write_read(
    view: &ReadView,
    format: Format,
    top: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, view)?;
            writeln!(out)
        }
        Format::Csv => csv::write_services(view, out),
        Format::Table => text::write_read(view, top, text::Style::Terminal, out),
        Format::Markdown => text::write_read(view, top, text::Style::Markdown, out),
    }
}

/// A port database entry, as `ports` shows it.
#[derive(Clone, Debug, Serialize)]
pub struct PortEntryView {
    /// The port.
    pub port: u16,
    /// `tcp`, `udp` or `sctp`.
    pub transport: &'static str,
    /// Service name.
    pub service: String,
    /// Description.
    pub description: String,
    /// Layer (`builtin`, `system`, `user`).
    pub source: &'static str,
    /// Port class (`well-known`, `registered`, `dynamic`).
    pub class: &'static str,
}

/// Writes port database entries (from `ports QUERY`) in `format`.
pub fn write_ports(
    entries: &[&PortEntry],
    format: Format,
    numeric: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let views: Vec<PortEntryView> = entries
        .iter()
        .map(|e| PortEntryView {
            port: e.port,
            transport: e.transport.name(),
            service: e.service.clone(),
            description: e.description.clone(),
            source: e.source.name(),
            class: crate::classify::PortClass::of(e.port).name(),
        })
        .collect();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &views)?;
            writeln!(out)
        }
        Format::Csv => csv::write_ports(&views, out),
        Format::Table => text::write_ports(&views, numeric, text::Style::Terminal, out),
        Format::Markdown => text::write_ports(&views, numeric, text::Style::Markdown, out),
    }
}
