//! `live --format json`: one NDJSON line per interval, then a summary line
//! that is `read`'s document plus the live fields. The lines borrow the
//! views they were made from when written (`Cow::Borrowed`) and own them
//! when read.

use super::{ConversationTotals, ConversationView, HostTotals, HostView, TopView};
use super::{FragmentsView, ReadView, ScansView, ServersView, ServiceView, TransportView};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// libpcap's counters for the capture.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CaptureStatsView {
    /// Packets the capture received (before the filter, as libpcap counts).
    pub received: u64,
    /// Packets dropped by the kernel for lack of buffer space.
    pub dropped: u64,
    /// Packets dropped by the interface or its driver.
    pub if_dropped: u64,
}

/// A local process and its traffic (`live` on the machine itself).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProcessRow {
    /// Its process id.
    pub pid: i32,
    /// Its command name.
    pub name: String,
    /// The user it runs as.
    pub user: String,
    /// Bytes its sockets sent.
    pub sent_bytes: u64,
    /// Bytes its sockets received.
    pub received_bytes: u64,
    /// Its conversations (counted once per interval they were busy in).
    pub conversations: u64,
}

/// The processes of a live run, as the summary gives them.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ProcessesView {
    /// Whether portclass could see the machine's sockets (it runs on the
    /// machine whose traffic it captures, on Linux).
    pub available: bool,
    /// Processes whose sockets could not be seen (other users', without
    /// root or CAP_SYS_PTRACE).
    pub hidden: usize,
    /// Processes, most bytes first (at most 1,000).
    pub entries: Vec<ProcessRow>,
}

/// What the file of saved packets (`-w`) holds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SavedView {
    /// The file as given (`-` for standard output).
    pub file: String,
    /// Packets saved in it (whole records).
    pub packets: u64,
    /// Packets captured but not saved, after writing the file failed.
    pub lost: u64,
    /// Whether it holds every captured packet.
    pub complete: bool,
}

/// Which line of the stream: its `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LineKind {
    /// A snapshot of one interval.
    Interval,
    /// The last line: the whole capture.
    Summary,
    /// An alert (`--baseline`, `--alert`).
    Alert,
}

/// Counts of one interval or of the whole run, as in an interval line.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CountsView<'a> {
    /// Frames.
    pub packets: u64,
    /// Wire bytes.
    pub bytes: u64,
    /// The nine categories.
    pub transport: TransportView,
    /// Service rows, largest first.
    pub services: Cow<'a, [ServiceView]>,
    /// Non-first fragments and their attribution.
    pub fragments: FragmentsView,
}

impl<'a> From<&'a ReadView> for CountsView<'a> {
    fn from(view: &'a ReadView) -> CountsView<'a> {
        CountsView {
            packets: view.packets,
            bytes: view.bytes,
            transport: view.transport,
            services: Cow::Borrowed(&view.services),
            fragments: view.fragments,
        }
    }
}

/// One NDJSON line per interval.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IntervalLine<'a> {
    /// `interval`.
    #[serde(rename = "type")]
    pub kind: LineKind,
    /// When it was written (RFC 3339, UTC).
    pub timestamp: String,
    /// The interface captured.
    pub interface: Cow<'a, str>,
    /// The BPF filter, if any.
    pub filter: Option<Cow<'a, str>>,
    /// The interval's length.
    pub interval_seconds: f64,
    /// Seconds since the capture started.
    pub elapsed_seconds: f64,
    /// The interval's counts.
    pub interval: CountsView<'a>,
    /// The counts since the start.
    pub totals: CountsView<'a>,
    /// libpcap's counters, when it could give them.
    pub capture_stats: Option<CaptureStatsView>,
    /// Port scans found so far; `null` when detection is off.
    pub scans: Option<Cow<'a, ScansView>>,
    /// The metrics address, on the first line only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_url: Option<Cow<'a, str>>,
    /// The interval's top hosts, as in `report`'s JSON.
    pub hosts: Cow<'a, TopView<HostView, HostTotals>>,
    /// The interval's top conversations, as in `report`'s JSON.
    pub conversations: Cow<'a, TopView<ConversationView, ConversationTotals>>,
    /// The server inventory so far (as in the summary).
    pub servers: Cow<'a, ServersView>,
    /// Local processes and their traffic so far.
    pub processes: Cow<'a, ProcessesView>,
}

/// The last line: `read`'s document for the whole capture plus the live
/// fields.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SummaryLine<'a> {
    /// `summary`.
    #[serde(rename = "type")]
    pub kind: LineKind,
    /// The interface captured.
    pub interface: Cow<'a, str>,
    /// The BPF filter, if any.
    pub filter: Option<Cow<'a, str>>,
    /// libpcap's counters, when it could give them.
    pub capture_stats: Option<CaptureStatsView>,
    /// The file of saved packets (`-w`), if one was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saved: Option<Cow<'a, SavedView>>,
    /// `read`'s fields.
    #[serde(flatten)]
    pub read: Cow<'a, ReadView>,
    /// Top hosts, as in `report`'s JSON.
    pub hosts: Cow<'a, TopView<HostView, HostTotals>>,
    /// Top conversations, as in `report`'s JSON.
    pub conversations: Cow<'a, TopView<ConversationView, ConversationTotals>>,
    /// Local processes and their traffic.
    pub processes: Cow<'a, ProcessesView>,
}
