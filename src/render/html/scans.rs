//! The port scans section: one row per finding, or why there are none,
//! and the caveats of the scan tables.

use super::tables::{Column, table};
use super::{THIN_SPACE, section, short_time};
use crate::render::wording::{SCANS_OFF, no_scans_sentence, scans_criteria_sentence};
use crate::render::{ReportView, format_count, format_duration};
use crate::schema::{ScanView, ScansView};
use maud::{Markup, html};

/// Rows of the port scans table (each a long one), whatever `--top` says;
/// JSON has every finding.
const MAX_SCAN_ROWS: usize = 100;

/// The port scans found: one row each, or why there are none.
pub(super) fn scans(view: &ReportView) -> Markup {
    let body = match &view.read.scans {
        None => html! { p.note { (SCANS_OFF) } "\n" },
        Some(scans) => html! {
            @if scans.found() == 0 {
                p { (no_scans_sentence(scans)) } "\n"
            } @else {
                (findings_table(view, scans))
                p.note { (scans_criteria_sentence(scans)) } "\n"
            }
            @for caveat in scans.caveats() {
                p.note.warn { "Note: " (caveat) "." } "\n"
            }
        },
    };
    section("scans", "Port scans", body)
}

fn findings_table(view: &ReportView, scans: &ScansView) -> Markup {
    let shown = view.rows(scans.findings.len()).min(MAX_SCAN_ROWS);
    let header: [Column<'_>; 11] = [
        ("kind", false),
        ("transport", false),
        ("source", false),
        ("target", false),
        ("probed", true),
        ("open", true),
        ("closed", true),
        ("unanswered", true),
        ("first seen (UTC)", false),
        ("duration", true),
        ("evidence", false),
    ];
    let rows = html! {
        @for f in &scans.findings[..shown] {
            (finding_row(f))
        }
        @if scans.findings.len() > shown {
            tr.rest {
                td colspan="11" {
                    "(" (format_count((scans.findings.len() - shown) as u64)) " more; "
                    @if view.top != 0 && shown < MAX_SCAN_ROWS {
                        "--top 0 lists all"
                    } @else {
                        "--format json lists all"
                    }
                    ")"
                }
            }
            "\n"
        }
    };
    table("scans", &header, rows)
}

fn finding_row(f: &ScanView) -> Markup {
    html! {
        tr {
            td { (f.kind.name()) }
            td { (f.transport) }
            td.t { code { (f.source.to_string()) } }
            td.t { code { (f.target_label()) } }
            (scan_cell(f, &format!("{} {}", format_count(f.distinct), f.distinct_noun())))
            @for n in [f.open, f.closed, f.unanswered] {
                (scan_cell(f, &format_count(n)))
            }
            td title={
                "first failed probe " (f.first_timestamp) " to last " (f.last_timestamp)
                ", " (format_count(f.probes)) " failed probes"
            } { (short_time(&f.first_timestamp)) }
            td.n { (format_duration(f.duration_seconds())) }
            td.e { (f.evidence_text) }
        }
        "\n"
    }
}

/// A count of a scan: a lower bound, marked `≥`, when the scan tables were
/// full.
fn scan_cell(f: &ScanView, text: &str) -> Markup {
    html! {
        @if f.distinct_exact {
            td.n { (text) }
        } @else {
            td.n.approx title="at least: the scan tables were full, so some probes were not tracked" {
                "≥" (THIN_SPACE) (text)
            }
        }
    }
}
