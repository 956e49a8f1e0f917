//! The `scans` section of `read`'s document: the port scans found, with the
//! settings they were looked for with and what limited the search.

use crate::decode::Transport;
use crate::pipeline::scans::{ScanKind, ScanSettings};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// The thresholds and bounds scans were looked for with: the detector's
/// settings, after the window in seconds.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub struct ScanSettingsView {
    /// The window, in seconds (the settings' `window_ns` for people).
    pub window_seconds: f64,
    /// The settings: `window_ns`, `vertical_ports` (failed distinct ports
    /// of one host that make a vertical scan), `horizontal_hosts` (failed
    /// distinct hosts of one port that make a horizontal scan),
    /// `max_tracked` (keys tracked at once per kind), `max_hosts_per_key`
    /// (hosts remembered per horizontal key), `max_set_bytes` (bytes all
    /// target sets may hold).
    #[serde(flatten)]
    pub settings: ScanSettings,
}

impl From<ScanSettings> for ScanSettingsView {
    fn from(settings: ScanSettings) -> ScanSettingsView {
        ScanSettingsView {
            window_seconds: settings.window_ns as f64 / 1e9,
            settings,
        }
    }
}

/// A count per scan kind.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct PerKindView {
    /// Vertical keys.
    pub vertical: u64,
    /// Horizontal keys.
    pub horizontal: u64,
}

impl From<[u64; 2]> for PerKindView {
    /// From an array indexed by [`ScanKind::index`].
    fn from(values: [u64; 2]) -> PerKindView {
        PerKindView {
            vertical: values[ScanKind::Vertical.index()],
            horizontal: values[ScanKind::Horizontal.index()],
        }
    }
}

impl From<PerKindView> for [u64; 2] {
    /// To an array indexed by [`ScanKind::index`].
    fn from(view: PerKindView) -> [u64; 2] {
        let mut values = [0; 2];
        values[ScanKind::Vertical.index()] = view.vertical;
        values[ScanKind::Horizontal.index()] = view.horizontal;
        values
    }
}

/// A sample of what a scan probed.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct EvidenceView {
    /// Vertical: the first probed port ranges `[low, high]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_ranges: Option<Vec<[u16; 2]>>,
    /// Vertical: ranges not listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub more_ranges: Option<u64>,
    /// Vertical: the first open ports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_ports: Option<Vec<u16>>,
    /// Horizontal: the host of the first failed probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_host: Option<IpAddr>,
    /// Horizontal: the host of the last failed probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_host: Option<IpAddr>,
    /// Horizontal: the first open hosts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_hosts: Option<Vec<IpAddr>>,
    /// Open targets not listed.
    pub more_open: u64,
}

/// One scan found.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ScanView {
    /// `vertical` (many ports of one host) or `horizontal` (one port of many
    /// hosts).
    pub kind: ScanKind,
    /// `tcp`, `udp` or `sctp`.
    pub transport: Transport,
    /// The scanner.
    pub source: IpAddr,
    /// The host probed (vertical).
    pub target_host: Option<IpAddr>,
    /// The port probed (horizontal).
    pub target_port: Option<u16>,
    /// The scan's first failed probe (RFC 3339, UTC).
    pub first_timestamp: String,
    /// Its last failed probe (RFC 3339, UTC).
    pub last_timestamp: String,
    /// First failed probe, ns since the epoch.
    pub first_ns: i64,
    /// Last failed probe, ns since the epoch.
    pub last_ns: i64,
    /// Failed probe frames (conversations opened and refused or never
    /// answered); answered ones are evidence, not counted.
    pub probes: u64,
    /// Distinct ports (vertical) or hosts (horizontal) probed.
    pub distinct: u64,
    /// False when `distinct` and the answer counts are lower bounds.
    pub distinct_exact: bool,
    /// Targets that answered.
    pub open: u64,
    /// Targets that refused (TCP RST).
    pub closed: u64,
    /// Targets that did not answer.
    pub unanswered: u64,
    /// The evidence in words: `ports 1-1000; open 22, 80`.
    pub evidence_text: String,
    /// The evidence, structured.
    pub evidence: EvidenceView,
}

impl ScanView {
    /// Seconds from the first to the last failed probe.
    pub fn duration_seconds(&self) -> f64 {
        (i128::from(self.last_ns) - i128::from(self.first_ns)) as f64 / 1e9
    }
}

/// The `scans` section.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ScansView {
    /// The thresholds used.
    pub settings: ScanSettingsView,
    /// Summaries made with different settings were merged (the settings
    /// shown are the most permissive of them).
    pub mixed_settings: bool,
    /// Probes seen (conversations opened).
    pub probes: u64,
    /// Probes not tracked because the scan tables were full.
    pub untracked_probes: PerKindView,
    /// Tracked keys evicted early to make room.
    pub evicted_keys: PerKindView,
    /// Findings beyond the listed ones.
    pub dropped_findings: u64,
    /// The scans, most distinct targets first.
    pub findings: Vec<ScanView>,
}

impl ScansView {
    /// Scans found: those listed and those dropped beyond the limit.
    pub fn found(&self) -> u64 {
        (self.findings.len() as u64).saturating_add(self.dropped_findings)
    }
}
