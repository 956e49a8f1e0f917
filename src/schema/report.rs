//! The report's sections (`report` of `portclass.report/2`): direction per
//! service, port classes, top hosts and conversations, the time series, its
//! peak, and the server ports the database does not know.

use super::RowKey;
use crate::classify::PortClass;
use crate::decode::Transport;
use crate::pipeline::names::NameSource;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Direction of one service row.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DirectionView {
    /// Which row.
    #[serde(flatten)]
    pub key: RowKey,
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
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PortClassView {
    /// `well-known` (0-1023), `registered` (1024-49151), `dynamic` (49152-65535).
    pub class: PortClass,
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
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
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
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
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

/// A top-K table (hosts, conversations or servers) with its accuracy.
#[derive(Clone, Debug, Serialize, Deserialize)]
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

impl HostView {
    /// Its name and place for a table cell (see [`super::address_label`]).
    pub fn label(&self) -> Option<String> {
        super::address_label(self.name.as_deref(), self.geo.as_ref())
    }
}

impl ConversationView {
    /// The client's name and place for a table cell.
    pub fn client_label(&self) -> Option<String> {
        super::address_label(self.client_name.as_deref(), self.client_geo.as_ref())
    }

    /// The server's name and place for a table cell.
    pub fn server_label(&self) -> Option<String> {
        super::address_label(self.server_name.as_deref(), self.server_geo.as_ref())
    }
}

/// One host.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HostView {
    /// IPv4 or IPv6 address.
    pub address: IpAddr,
    /// Its name, when one was learnt from the traffic (see `names`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// How the name was learnt (`dns`, `tls_sni`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_source: Option<NameSource>,
    /// Country and network owner, from `--geoip` databases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo: Option<super::GeoView>,
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
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConversationView {
    /// `tcp`, `udp` or `sctp`.
    pub transport: Transport,
    /// Client address.
    pub client: IpAddr,
    /// Client port.
    pub client_port: u16,
    /// Server address.
    pub server: IpAddr,
    /// Server port.
    pub server_port: u16,
    /// The client's name, when one was learnt (see `names`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    /// How the client's name was learnt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name_source: Option<NameSource>,
    /// The server's name, when one was learnt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// How the server's name was learnt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name_source: Option<NameSource>,
    /// The client's country and network owner, from `--geoip` databases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_geo: Option<super::GeoView>,
    /// The server's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_geo: Option<super::GeoView>,
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
    /// First frame, ns since the epoch (absent from summaries written
    /// before conversations had spans).
    pub first_ns: Option<i64>,
    /// Last frame, ns since the epoch.
    pub last_ns: Option<i64>,
    /// From the first frame to the last, in seconds.
    pub duration_seconds: Option<f64>,
}

/// Bytes of one service in one bucket.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct BucketServiceView {
    /// Which row.
    #[serde(flatten)]
    pub key: RowKey,
    /// Bytes.
    pub bytes: u64,
}

/// One time bucket.
#[derive(Clone, Debug, Serialize, Deserialize)]
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

impl BucketView {
    /// The bytes of the row `key` in this bucket (0 when it had none).
    pub fn bytes_of(&self, key: RowKey) -> u64 {
        self.services
            .iter()
            .find(|s| s.key == key)
            .map_or(0, |s| s.bytes)
    }
}

/// The time series.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
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
#[derive(Clone, Debug, Serialize, Deserialize)]
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
}

/// A server port the port database does not know (from the server
/// inventory: ports that answered, never a client's).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UnknownPortView {
    /// `tcp`, `udp` or `sctp`.
    pub transport: Transport,
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
#[derive(Clone, Debug, Serialize, Deserialize)]
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
