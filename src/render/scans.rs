//! The `scans` section as text and Markdown (`read`), and the labels
//! every format shows for a scan.

use super::table::{Style, Table};
use super::text::heading;
use super::units::format_count;
use crate::pipeline::scans::ScanKind;
use crate::schema::{ScanView, ScansView};
use std::io::{self, Write};

impl ScanView {
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
        match (self.kind, self.distinct) {
            (ScanKind::Vertical, 1) => "port",
            (ScanKind::Vertical, _) => "ports",
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
}

impl ScansView {
    /// One line on what was looked for.
    pub fn criteria(&self) -> String {
        let s = &self.settings.settings;
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
                format!("{} {}", f.kind.name(), f.transport),
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
