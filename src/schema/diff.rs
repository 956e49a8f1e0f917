//! `diff`'s document (`portclass.diff/1`): what changed between two
//! captures or summaries: the services, servers and ports that appeared or
//! disappeared, and those whose traffic grew or shrank by more than a
//! factor.

use super::{CounterView, InputStatusKind, is_false};
use crate::decode::{Transport, Tunnel};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;

/// The JSON schema identifier of `diff --format json`; bumped on any
/// incompatible change.
pub const DIFF_SCHEMA: &str = "portclass.diff/1";

/// What traffic the factor compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Measure {
    /// Original wire bytes.
    Bytes,
    /// Frames.
    Packets,
}

impl Measure {
    /// `bytes` or `packets`.
    pub fn name(self) -> &'static str {
        match self {
            Measure::Bytes => "bytes",
            Measure::Packets => "packets",
        }
    }

    /// The measure of `counter`.
    pub fn of(self, counter: CounterView) -> u64 {
        match self {
            Measure::Bytes => counter.bytes,
            Measure::Packets => counter.packets,
        }
    }
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How one row changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// In AFTER only.
    Appeared,
    /// In BEFORE only.
    Disappeared,
    /// In both, AFTER at least the factor times BEFORE.
    Grew,
    /// In both, BEFORE at least the factor times AFTER.
    Shrank,
}

impl ChangeKind {
    /// All kinds, in the order they are listed.
    pub const ALL: [ChangeKind; 4] = [
        ChangeKind::Appeared,
        ChangeKind::Disappeared,
        ChangeKind::Grew,
        ChangeKind::Shrank,
    ];

    /// `appeared`, `disappeared`, `grew` or `shrank`.
    pub fn name(self) -> &'static str {
        match self {
            ChangeKind::Appeared => "appeared",
            ChangeKind::Disappeared => "disappeared",
            ChangeKind::Grew => "grew",
            ChangeKind::Shrank => "shrank",
        }
    }
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a side of the comparison was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SideKind {
    /// A capture file, read now.
    Capture,
    /// A JSON summary of `read`, `live`, `report` or `merge`.
    Summary,
}

impl SideKind {
    /// `capture` or `summary`.
    pub fn name(self) -> &'static str {
        match self {
            SideKind::Capture => "capture",
            SideKind::Summary => "summary",
        }
    }
}

/// One side of the comparison: BEFORE or AFTER.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DiffSideView {
    /// As named on the command line.
    pub name: String,
    /// `capture` or `summary`.
    pub kind: SideKind,
    /// A summary's schema (`portclass.read/2`, ...); `null` for a capture.
    pub schema: Option<String>,
    /// The worst status of its inputs (a summary's recorded ones):
    /// `complete`, `partial` or `failed`.
    pub status: InputStatusKind,
    /// All frames.
    pub packets: u64,
    /// Their wire bytes.
    pub bytes: u64,
    /// First frame time (RFC 3339, UTC).
    pub first_timestamp: Option<String>,
    /// Last frame time (RFC 3339, UTC).
    pub last_timestamp: Option<String>,
    /// Seconds from the first to the last frame.
    pub duration_seconds: f64,
    /// Whether tunnels were looked into (`--decap`).
    pub decap: bool,
    /// Whether its server inventory holds every server (false: servers
    /// past its capacity were let go, and may show as appeared or
    /// disappeared).
    pub servers_exact: bool,
}

/// How rows were compared.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub struct DiffSettingsView {
    /// A row in both grew or shrank when one side is at least this many
    /// times the other (in `measure`).
    pub factor: f64,
    /// `bytes` or `packets`.
    pub measure: Measure,
    /// Rows whose larger side is below this (in `measure`) never grew or
    /// shrank; appeared and disappeared rows are listed whatever their
    /// size.
    pub min: u64,
    /// Whether every port was compared, clients' ports included
    /// (`--all-ports`); otherwise only ports that named a service row or
    /// a server on either side.
    pub all_ports: bool,
}

/// The changes of one kind of row, and how many rows did not change.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DiffSection<T> {
    /// Rows in both sides that did not change by the factor.
    pub unchanged: u64,
    /// The changes: appeared, disappeared, grew, shrank; each kind by the
    /// larger side's traffic, largest first.
    pub changes: Vec<T>,
}

impl<T> DiffSection<T> {
    /// An empty section.
    pub fn empty() -> DiffSection<T> {
        DiffSection {
            unchanged: 0,
            changes: Vec::new(),
        }
    }
}

/// The figures every change carries.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub struct ChangeFigures {
    /// `appeared`, `disappeared`, `grew` or `shrank`.
    pub change: ChangeKind,
    /// Traffic in BEFORE (zero when it appeared).
    pub before: CounterView,
    /// Traffic in AFTER (zero when it disappeared).
    pub after: CounterView,
    /// AFTER divided by BEFORE in the measure compared; `null` when either
    /// is zero.
    pub ratio: Option<f64>,
}

/// A service: the service rows of one name on one transport (and tunnel),
/// whatever their ports. Rows the port database does not name
/// (`unassigned`, or all of them with `--numeric`) are a service each.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ServiceChange {
    /// The tunnel (only with `--decap`); `null` outside tunnels.
    pub tunnel: Option<Tunnel>,
    /// `tcp`, `udp` or `sctp`.
    pub transport: Transport,
    /// Its name (`unassigned`, `dynamic` or `failed` when the database has
    /// none); `null` with `--numeric`.
    pub service: Option<String>,
    /// Its ports on either side; empty for the dynamic and failed rows.
    pub ports: Vec<u16>,
    /// Present (`true`) on a transport's failed-attempts row only.
    #[serde(default, skip_serializing_if = "is_false")]
    pub failed: bool,
    /// What changed.
    #[serde(flatten)]
    pub figures: ChangeFigures,
}

/// A server endpoint that answered (see the server inventory).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ServerChange {
    /// `tcp`, `udp` or `sctp`.
    pub transport: Transport,
    /// Its address.
    pub address: IpAddr,
    /// Its port.
    pub port: u16,
    /// The port database's name for the port (`unassigned` when none;
    /// `null` with `--numeric`).
    pub service: Option<String>,
    /// What changed: traffic both ways, towards and from it.
    #[serde(flatten)]
    pub figures: ChangeFigures,
}

/// A port's counters: the frames from and to it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PortChange {
    /// The tunnel (only with `--decap`); `null` outside tunnels.
    pub tunnel: Option<Tunnel>,
    /// `tcp`, `udp` or `sctp`.
    pub transport: Transport,
    /// The port.
    pub port: u16,
    /// The port database's name for it (`unassigned` when none; `null`
    /// with `--numeric`).
    pub service: Option<String>,
    /// What changed: frames from the port plus frames to it.
    #[serde(flatten)]
    pub figures: ChangeFigures,
}

/// Everything `diff` shows.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DiffView {
    /// [`DIFF_SCHEMA`].
    pub schema: String,
    /// The portclass version that wrote it.
    pub portclass_version: String,
    /// The earlier side.
    pub before: DiffSideView,
    /// The later side.
    pub after: DiffSideView,
    /// How rows were compared.
    pub settings: DiffSettingsView,
    /// Changes listed in all sections (0: nothing changed; the exit status
    /// is then 0, else 1).
    pub changes: u64,
    /// Services by name and transport.
    pub services: DiffSection<ServiceChange>,
    /// Servers by transport, address and port.
    pub servers: DiffSection<ServerChange>,
    /// Ports by tunnel, transport and number.
    pub ports: DiffSection<PortChange>,
}
