//! The `scans` section: port scans found, as JSON (read back by `merge` and
//! `report`) and as text.

use super::table::{Style, Table};
use super::text::heading;
use super::{format_count, format_timestamp};
use crate::decode::Transport;
use crate::pipeline::scans::{ScanEvidence, ScanFinding, ScanKind, ScanReport, ScanSettings};
use serde::{Deserialize, Serialize};
use std::io::{self, Write};
use std::net::IpAddr;

/// The thresholds and bounds scans were looked for with.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub struct ScanSettingsView {
    /// The window, in seconds.
    pub window_seconds: f64,
    /// The window, in nanoseconds.
    pub window_ns: u64,
    /// Failed distinct ports of one host that make a vertical scan.
    pub vertical_ports: u32,
    /// Failed distinct hosts of one port that make a horizontal scan.
    pub horizontal_hosts: u32,
    /// Keys tracked at once per kind.
    pub max_tracked: usize,
    /// Hosts remembered per horizontal key.
    pub max_hosts_per_key: usize,
    /// Bytes all target sets may hold.
    pub max_set_bytes: usize,
}

/// A count per scan kind.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct PerKindView {
    /// Vertical keys.
    pub vertical: u64,
    /// Horizontal keys.
    pub horizontal: u64,
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
    pub kind: String,
    /// `tcp`, `udp` or `sctp`.
    pub transport: String,
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

fn per_kind(values: [u64; 2]) -> PerKindView {
    PerKindView {
        vertical: values[ScanKind::Vertical.index()],
        horizontal: values[ScanKind::Horizontal.index()],
    }
}

fn from_per_kind(view: PerKindView) -> [u64; 2] {
    let mut values = [0; 2];
    values[ScanKind::Vertical.index()] = view.vertical;
    values[ScanKind::Horizontal.index()] = view.horizontal;
    values
}

fn evidence_view(evidence: &ScanEvidence) -> EvidenceView {
    match evidence {
        ScanEvidence::Ports {
            ranges,
            more_ranges,
            open,
            more_open,
        } => EvidenceView {
            port_ranges: Some(ranges.iter().map(|&(lo, hi)| [lo, hi]).collect()),
            more_ranges: Some(*more_ranges),
            open_ports: Some(open.clone()),
            first_host: None,
            last_host: None,
            open_hosts: None,
            more_open: *more_open,
        },
        ScanEvidence::Hosts {
            first,
            last,
            open,
            more_open,
        } => EvidenceView {
            port_ranges: None,
            more_ranges: None,
            open_ports: None,
            first_host: Some(*first),
            last_host: Some(*last),
            open_hosts: Some(open.clone()),
            more_open: *more_open,
        },
    }
}

impl ScanView {
    /// The view of one finding.
    pub(crate) fn new(f: &ScanFinding) -> ScanView {
        ScanView {
            kind: f.kind.name().to_string(),
            transport: f.transport.name().to_string(),
            source: f.source,
            target_host: f.target_host,
            target_port: f.target_port,
            first_timestamp: format_timestamp(f.first_ns),
            last_timestamp: format_timestamp(f.last_ns),
            first_ns: f.first_ns,
            last_ns: f.last_ns,
            probes: f.probes,
            distinct: f.distinct,
            distinct_exact: f.distinct_exact,
            open: f.open,
            closed: f.closed,
            unanswered: f.unanswered,
            evidence_text: f.evidence.to_string(),
            evidence: evidence_view(&f.evidence),
        }
    }

    fn to_finding(&self) -> Result<ScanFinding, String> {
        let kind = ScanKind::parse(&self.kind)
            .ok_or_else(|| format!("unknown scan kind {:?}", self.kind))?;
        let transport = Transport::parse(&self.transport)
            .ok_or_else(|| format!("unknown transport {:?}", self.transport))?;
        let e = &self.evidence;
        let evidence = match kind {
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
            kind,
            transport,
            source: self.source,
            target_host: self.target_host,
            target_port: self.target_port,
            first_ns: self.first_ns,
            last_ns: self.last_ns,
            probes: self.probes,
            distinct: self.distinct,
            distinct_exact: self.distinct_exact,
            open: self.open,
            closed: self.closed,
            unanswered: self.unanswered,
            evidence,
        })
    }

    /// `10.0.0.5 → 10.0.0.9` (vertical) or `10.0.0.5 → port 22/tcp`.
    pub fn target_label(&self) -> String {
        match (self.target_host, self.target_port) {
            (Some(host), _) => host.to_string(),
            (None, Some(port)) => format!("port {port}/{}", self.transport),
            (None, None) => "-".to_string(),
        }
    }

    /// What `distinct` counts: `port`, `ports`, `host` or `hosts`.
    pub fn distinct_noun(&self) -> &'static str {
        match (self.kind.as_str(), self.distinct) {
            ("vertical", 1) => "port",
            ("vertical", _) => "ports",
            (_, 1) => "host",
            _ => "hosts",
        }
    }

    /// `1,000 ports` or `40 hosts` (`≥` when a lower bound).
    pub fn distinct_label(&self) -> String {
        let bound = if self.distinct_exact { "" } else { "≥ " };
        format!(
            "{bound}{} {}",
            format_count(self.distinct),
            self.distinct_noun()
        )
    }

    /// `3 open, 997 closed, 0 unanswered`.
    pub fn answers_label(&self) -> String {
        format!(
            "{} open, {} closed, {} unanswered",
            format_count(self.open),
            format_count(self.closed),
            format_count(self.unanswered)
        )
    }

    /// Seconds from the first to the last failed probe.
    pub fn duration_seconds(&self) -> f64 {
        (i128::from(self.last_ns) - i128::from(self.first_ns)) as f64 / 1e9
    }
}

impl ScansView {
    /// The view of a scan report.
    pub fn new(report: &ScanReport) -> ScansView {
        let s = &report.settings;
        ScansView {
            settings: ScanSettingsView {
                window_seconds: s.window_ns as f64 / 1e9,
                window_ns: s.window_ns,
                vertical_ports: s.vertical_ports,
                horizontal_hosts: s.horizontal_hosts,
                max_tracked: s.max_tracked,
                max_hosts_per_key: s.max_hosts_per_key,
                max_set_bytes: s.max_set_bytes,
            },
            mixed_settings: report.mixed_settings,
            probes: report.probes,
            untracked_probes: per_kind(report.untracked_probes),
            evicted_keys: per_kind(report.evicted_keys),
            dropped_findings: report.dropped_findings,
            findings: report.findings.iter().map(ScanView::new).collect(),
        }
    }

    /// The scan report this view shows (a saved summary read back).
    pub fn to_report(&self) -> Result<ScanReport, String> {
        let s = &self.settings;
        let mut report = ScanReport::new(ScanSettings {
            window_ns: s.window_ns,
            vertical_ports: s.vertical_ports,
            horizontal_hosts: s.horizontal_hosts,
            max_tracked: s.max_tracked,
            max_hosts_per_key: s.max_hosts_per_key,
            max_set_bytes: s.max_set_bytes,
        });
        report.mixed_settings = self.mixed_settings;
        report.probes = self.probes;
        report.untracked_probes = from_per_kind(self.untracked_probes);
        report.evicted_keys = from_per_kind(self.evicted_keys);
        report.dropped_findings = self.dropped_findings;
        report.findings = self
            .findings
            .iter()
            .map(ScanView::to_finding)
            .collect::<Result<_, _>>()?;
        report.normalize();
        Ok(report)
    }

    /// Scans found: those listed and those dropped beyond the limit.
    pub fn found(&self) -> u64 {
        (self.findings.len() as u64).saturating_add(self.dropped_findings)
    }

    /// One line on what was looked for.
    pub fn criteria(&self) -> String {
        let s = &self.settings;
        format!(
            "a source whose failed probes (refused or unanswered) reach {} ports of one host (vertical) or {} hosts on one port (horizontal) within {}",
            s.vertical_ports,
            s.horizontal_hosts,
            window_label(s.window_ns)
        )
    }

    /// What limits the findings' completeness, if anything.
    pub fn caveats(&self) -> Vec<String> {
        let mut caveats = Vec::new();
        let untracked = self.untracked_probes.vertical + self.untracked_probes.horizontal;
        if untracked > 0 {
            caveats.push(format!(
                "{} probes were not tracked: the scan tables were full",
                format_count(untracked)
            ));
        }
        if self.dropped_findings > 0 {
            caveats.push(format!(
                "{} more scans found and not listed",
                format_count(self.dropped_findings)
            ));
        }
        if self.mixed_settings {
            caveats.push(
                "summaries made with different scan settings were merged; the most permissive are shown"
                    .to_string(),
            );
        }
        caveats
    }
}

/// `5 min`, `60 s`, `1 h`.
pub fn window_label(ns: u64) -> String {
    let seconds = ns as f64 / 1e9;
    if seconds >= 3600.0 && seconds % 3600.0 == 0.0 {
        format!("{} h", seconds / 3600.0)
    } else if seconds >= 60.0 && seconds % 60.0 == 0.0 {
        format!("{} min", seconds / 60.0)
    } else {
        format!("{seconds} s")
    }
}

/// The `Port scans` section of the text and Markdown outputs.
pub fn write_text(view: &ScansView, style: Style, out: &mut dyn Write) -> io::Result<()> {
    heading(out, style, "Port scans")?;
    if view.findings.is_empty() && view.dropped_findings == 0 {
        writeln!(
            out,
            "none found ({} probes seen; looked for {})",
            format_count(view.probes),
            view.criteria()
        )?;
    } else {
        let mut table = Table::new(
            style,
            &[
                "kind", "source", "target", "probed", "answers", "first", "seconds", "evidence",
            ],
            &[3, 6],
        );
        for f in &view.findings {
            table.add_row(vec![
                format!("{} {}", f.kind, f.transport),
                f.source.to_string(),
                f.target_label(),
                f.distinct_label(),
                f.answers_label(),
                f.first_timestamp.clone(),
                format!("{:.1}", f.duration_seconds()),
                f.evidence_text.clone(),
            ]);
        }
        writeln!(out, "{table}")?;
        writeln!(out, "looked for {}", view.criteria())?;
    }
    for caveat in view.caveats() {
        writeln!(out, "note: {caveat}")?;
    }
    writeln!(out)
}
