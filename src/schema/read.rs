//! `read`'s document (`portclass.read/2`): inputs, totals, traffic by
//! category, decode problems, service rows, ports, tunnels, scans and the
//! server inventory.

use super::{NamesView, ScansView, ServersView, is_false};
use crate::classify::{Naming, Source};
use crate::decode::{Category, DecodeProblem, Transport, Tunnel};
use crate::pipeline::Identified;
use crate::tally::{Counter, InputError, InputStatus, ServiceKey};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Packets and bytes.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
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

impl From<CounterView> for Counter {
    fn from(c: CounterView) -> Counter {
        Counter {
            packets: c.packets,
            bytes: c.bytes,
        }
    }
}

/// One link type of the run.
#[derive(Clone, Debug, Serialize, Deserialize)]
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

/// How far an input was read, as JSON names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputStatusKind {
    /// Read to the end.
    Complete,
    /// Read up to an error; what came before it is counted.
    Partial,
    /// Could not be read at all.
    Failed,
}

impl InputStatusKind {
    /// All kinds, in order.
    pub const ALL: [InputStatusKind; 3] = [
        InputStatusKind::Complete,
        InputStatusKind::Partial,
        InputStatusKind::Failed,
    ];

    /// `complete`, `partial` or `failed`.
    pub fn name(self) -> &'static str {
        match self {
            InputStatusKind::Complete => "complete",
            InputStatusKind::Partial => "partial",
            InputStatusKind::Failed => "failed",
        }
    }

    /// The status with its error message (`error` is ignored for a
    /// complete input).
    pub fn with_error(self, error: String) -> InputStatus {
        match self {
            InputStatusKind::Complete => InputStatus::Complete,
            InputStatusKind::Partial => InputStatus::Partial(InputError::Recorded(error)),
            InputStatusKind::Failed => InputStatus::Failed(InputError::Recorded(error)),
        }
    }
}

impl fmt::Display for InputStatusKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<&InputStatus> for InputStatusKind {
    fn from(status: &InputStatus) -> InputStatusKind {
        match status {
            InputStatus::Complete => InputStatusKind::Complete,
            InputStatus::Partial(_) => InputStatusKind::Partial,
            InputStatus::Failed(_) => InputStatusKind::Failed,
        }
    }
}

/// One input of the run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InputView {
    /// As named on the command line.
    pub name: String,
    /// File format (`pcapng`, `pcap (nanoseconds, big-endian)`, ...).
    #[serde(default)]
    pub format: String,
    /// `complete`, `partial` or `failed`.
    pub status: InputStatusKind,
    /// What went wrong, for partial and failed inputs.
    pub error: Option<String>,
    /// Frames read.
    pub packets: u64,
    /// Their wire bytes.
    pub bytes: u64,
    /// Link types of this input.
    #[serde(default)]
    pub link_types: Vec<LinkTypeView>,
    /// First frame time (RFC 3339, UTC).
    pub first_timestamp: Option<String>,
    /// Last frame time (RFC 3339, UTC).
    pub last_timestamp: Option<String>,
    /// First frame time, nanoseconds since the Unix epoch.
    pub first_timestamp_ns: Option<i64>,
    /// Last frame time, nanoseconds since the Unix epoch.
    pub last_timestamp_ns: Option<i64>,
    /// The capture filter (`--filter`, `--service`, `--host`, `--port`) the
    /// frames were chosen by; absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Frames of the input the filter turned away (not in `packets`);
    /// absent for a live capture, whose filter runs in the kernel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filtered_out: Option<u64>,
}

/// The nine categories of the counting rules, in their order (a category
/// missing from a summary read back counts nothing).
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
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

impl TransportView {
    /// The counter of `category`.
    pub fn get(&self, category: Category) -> CounterView {
        match category {
            Category::Tcp => self.tcp,
            Category::Udp => self.udp,
            Category::Sctp => self.sctp,
            Category::Icmp => self.icmp,
            Category::Icmpv6 => self.icmpv6,
            Category::OtherIp => self.other_ip,
            Category::Fragment => self.fragment,
            Category::Truncated => self.truncated,
            Category::NonIp => self.non_ip,
        }
    }

    /// The counter of `category`, to set.
    pub fn get_mut(&mut self, category: Category) -> &mut CounterView {
        match category {
            Category::Tcp => &mut self.tcp,
            Category::Udp => &mut self.udp,
            Category::Sctp => &mut self.sctp,
            Category::Icmp => &mut self.icmp,
            Category::Icmpv6 => &mut self.icmpv6,
            Category::OtherIp => &mut self.other_ip,
            Category::Fragment => &mut self.fragment,
            Category::Truncated => &mut self.truncated,
            Category::NonIp => &mut self.non_ip,
        }
    }

    /// The nine categories with their counters, in order.
    pub fn rows(&self) -> [(Category, CounterView); 9] {
        Category::ALL.map(|category| (category, self.get(category)))
    }
}

/// How a service row's frames were named: packets per method.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
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

/// Which service row a record is about: the fields every per-service
/// record starts with (service rows, directions, time buckets).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RowKey {
    /// The tunnel the frames came through (`vxlan`, `gre`, ...; only with
    /// `--decap`); `null` outside tunnels.
    pub tunnel: Option<Tunnel>,
    /// `tcp`, `udp` or `sctp`.
    pub transport: Transport,
    /// The naming port; `null` for the dynamic and failed rows.
    pub port: Option<u16>,
    /// Present (`true`) on a transport's failed-attempts row only.
    #[serde(default, skip_serializing_if = "is_false")]
    pub failed: bool,
}

impl RowKey {
    /// The row of a port, outside tunnels.
    pub const fn port(transport: Transport, port: u16) -> RowKey {
        RowKey {
            tunnel: None,
            transport,
            port: Some(port),
            failed: false,
        }
    }
}

impl From<ServiceKey> for RowKey {
    fn from(key: ServiceKey) -> RowKey {
        RowKey {
            tunnel: key.tunnel,
            transport: key.transport,
            port: key.port_number(),
            failed: key.naming == Naming::Failed,
        }
    }
}

impl From<RowKey> for ServiceKey {
    fn from(key: RowKey) -> ServiceKey {
        ServiceKey {
            tunnel: key.tunnel,
            transport: key.transport,
            naming: match key.port {
                Some(port) => Naming::Port(port),
                None if key.failed => Naming::Failed,
                None => Naming::Dynamic,
            },
        }
    }
}

/// One service row: the frames attributed to one port (or to the dynamic
/// range) of one transport, inside one tunnel kind or outside any.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ServiceView {
    /// Which row.
    #[serde(flatten)]
    pub key: RowKey,
    /// The service name; `unassigned`, `dynamic` or `failed` when the port
    /// database has none; `null` with `--numeric`.
    pub service: Option<String>,
    /// Which port-database layer named it (`builtin`, `system`, `user`);
    /// `null` when none did.
    pub source: Option<Source>,
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
    pub identified_by: Identified,
    /// Packets per identification method (absent from summaries older than
    /// handshake naming: all then count as named by the port database).
    #[serde(default)]
    pub identified: IdentifiedView,
    /// On the failed row: what its attempts tried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempted: Option<AttemptedView>,
}

/// What the failed attempts of a transport tried.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
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

/// Non-first fragments and their attribution to services.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct FragmentsView {
    /// Counted under the service of their first fragment too.
    pub attributed: CounterView,
    /// Not attributed (first fragment not seen, or without ports).
    pub unattributed: CounterView,
}

/// Frames that came through one kind of tunnel (`--decap`).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct TunnelView {
    /// `gre`, `ipip`, `6in4`, `vxlan`, `geneve`, `gtp-u` or `teredo`.
    pub tunnel: Tunnel,
    /// Frames.
    pub packets: u64,
    /// Their wire bytes (outer frame).
    pub bytes: u64,
}

/// One port's traffic by direction.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct PortView {
    /// The tunnel (only with `--decap`); `null` outside tunnels.
    pub tunnel: Option<Tunnel>,
    /// `tcp`, `udp` or `sctp`.
    pub transport: Transport,
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

/// A decode problem and how many frames had it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProblemView {
    /// Stable key (`ports_truncated`, ...).
    pub problem: DecodeProblem,
    /// Human description.
    pub description: String,
    /// Frames.
    pub packets: u64,
}

/// Everything `read` shows, sorted for display.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReadView {
    /// [`READ_SCHEMA`](super::READ_SCHEMA), or the report's schema for a
    /// report.
    pub schema: String,
    /// The portclass version that wrote it.
    pub portclass_version: String,
    /// The inputs, in command-line order.
    #[serde(default)]
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
    #[serde(default)]
    pub link_types: Vec<LinkTypeView>,
    /// Traffic by category.
    pub transport: TransportView,
    /// Frames whose decoding stopped early, by reason (all reasons listed).
    #[serde(default)]
    pub decode_problems: Vec<ProblemView>,
    /// Non-first fragments: how many were attributed to a service.
    #[serde(default)]
    pub fragments: FragmentsView,
    /// Whether tunnels were looked into (`--decap`).
    #[serde(default)]
    pub decap: bool,
    /// Frames per tunnel kind (empty without `--decap`).
    #[serde(default)]
    pub tunnels: Vec<TunnelView>,
    /// Service rows by bytes, largest first.
    pub services: Vec<ServiceView>,
    /// Ports by tunnel, transport and number.
    pub ports: Vec<PortView>,
    /// Port scans found; `null` when scan detection was off.
    pub scans: Option<ScansView>,
    /// The server inventory (empty in summaries older than it).
    #[serde(default = "ServersView::empty")]
    pub servers: ServersView,
    /// Names learnt for addresses (empty in summaries older than names).
    #[serde(default)]
    pub names: NamesView,
}

impl ReadView {
    /// The first and last frame times, when there were frames.
    pub fn time_span(&self) -> Option<(i64, i64)> {
        self.first_timestamp_ns.zip(self.last_timestamp_ns)
    }

    /// Frames that had `problem`.
    pub fn problem(&self, problem: DecodeProblem) -> u64 {
        self.decode_problems
            .iter()
            .filter(|p| p.problem == problem)
            .map(|p| p.packets)
            .sum()
    }

    /// The share of all bytes that `bytes` are, 0..1.
    pub fn share(&self, bytes: u64) -> f64 {
        if self.bytes == 0 {
            0.0
        } else {
            bytes as f64 / self.bytes as f64
        }
    }
}
