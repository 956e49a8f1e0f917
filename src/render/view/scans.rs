//! The `scans` section built from the scan detector's report.

use crate::pipeline::scans::{ScanEvidence, ScanFinding, ScanReport};
use crate::render::units::format_timestamp;
use crate::schema::{EvidenceView, ScanView, ScansView};

impl ScansView {
    /// The view of a scan report.
    pub fn new(report: &ScanReport) -> ScansView {
        ScansView {
            settings: report.settings.into(),
            mixed_settings: report.mixed_settings,
            probes: report.probes,
            untracked_probes: report.untracked_probes.into(),
            evicted_keys: report.evicted_keys.into(),
            dropped_findings: report.dropped_findings,
            findings: report.findings.iter().map(ScanView::new).collect(),
        }
    }
}

impl ScanView {
    /// The view of one finding.
    pub fn new(f: &ScanFinding) -> ScanView {
        ScanView {
            kind: f.kind,
            transport: f.transport,
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
