//! The sentences the report's formats share (Markdown and HTML): on
//! fragments, scans, the peak and the accuracy of top-K tables, so that
//! each is worded once.

use super::units::{format_bytes, format_count, format_duration, format_rate};
use crate::schema::{NamesView, PeakView, ReadView, ResolveView, ScanView, ScansView};

/// What the sections that need a capture's details say when some inputs
/// were summaries without them.
pub const NO_DETAILS: &str = "Not available: some inputs were `read` or `live` summaries, which carry no hosts, conversations, directions or time series.";

/// The sentence when scan detection was off.
pub const SCANS_OFF: &str = "Not looked for: scan detection was off (--no-scans).";

/// The sentence on non-first fragments and their attribution, when there
/// were any.
pub fn fragments_sentence(r: &ReadView) -> Option<String> {
    let f = &r.fragments;
    let fragments = r.transport.fragment.packets;
    if fragments == 0 && f.attributed.packets == 0 && f.unattributed.packets == 0 {
        return None;
    }
    let mut text = format!(
        "{} non-first fragment{}: {} ({}) attributed to the service of their first fragment and counted in its row; {} ({}) unattributed",
        format_count(fragments),
        if fragments == 1 { "" } else { "s" },
        format_count(f.attributed.packets),
        format_bytes(f.attributed.bytes),
        format_count(f.unattributed.packets),
        format_bytes(f.unattributed.bytes),
    );
    if f.unattributed.packets > 0 {
        text.push_str(" (their first fragment was not seen or carried no ports)");
    }
    text.push('.');
    Some(text)
}

/// The overview's line on port scans: `not looked for`, `none found`,
/// `2 found`.
pub fn scans_overview(scans: Option<&ScansView>) -> String {
    match scans {
        None => "not looked for (--no-scans)".to_string(),
        Some(s) if s.found() == 0 => {
            format!("none found ({} probes seen)", format_count(s.probes))
        }
        Some(s) => format!("{} found", format_count(s.found())),
    }
}

/// The sentence when no scan was found.
pub fn no_scans_sentence(s: &ScansView) -> String {
    format!(
        "No port scans found ({} probes seen; looked for {}).",
        format_count(s.probes),
        s.criteria()
    )
}

/// The sentence under a table of scans: what was looked for.
pub fn scans_criteria_sentence(s: &ScansView) -> String {
    format!(
        "Looked for {}; {} probes seen.",
        s.criteria(),
        format_count(s.probes)
    )
}

/// A scan's answer count, `≥` when a lower bound.
pub fn scan_count(f: &ScanView, n: u64) -> String {
    if f.distinct_exact {
        format_count(n)
    } else {
        format!("≥ {}", format_count(n))
    }
}

/// `busiest 1 s, from 2025-…Z`, or for a capture shorter than the window
/// (whose peak is its average) `the whole capture (58.1 ms), from …`;
/// `start` is the start as the format shows times, `width` the window's
/// width.
pub fn peak_detail(peak: &PeakView, start: &str, duration_seconds: f64, width: &str) -> String {
    if duration_seconds <= peak.bucket_seconds {
        format!(
            "the whole capture ({}), from {start}",
            format_duration(duration_seconds)
        )
    } else {
        format!("busiest {width}, from {start}")
    }
}

/// The sentence under a time table or chart of `bucket_ns` buckets on
/// where its peak is (the renderers mark the bucket holding it); `start` is
/// the peak's start as the format shows times.
pub fn peak_note(peak: &PeakView, bucket_ns: u64, start: &str) -> String {
    let rate = format_rate(peak.bits_per_second);
    match bucket_ns.cmp(&peak.bucket_ns) {
        std::cmp::Ordering::Equal => format!(" The peak, {rate} from {start}, is marked."),
        std::cmp::Ordering::Greater => format!(
            " The peak, {rate} over the busiest {} s from {start}, lies in the marked bucket, whose average is lower.",
            peak.bucket_seconds
        ),
        std::cmp::Ordering::Less => format!(
            " The capture lasts {}, less than the peak's window (a second or more): its peak is its average, {rate}; shorter buckets show bursts above it.",
            format_duration(peak.bucket_seconds)
        ),
    }
}

/// The sentence saying how exact a top-K table is; `next_estimate` is the
/// estimated bytes of the first row not displayed (0 if none).
pub fn accuracy_note(
    exact: bool,
    capacity: usize,
    bound: u64,
    next_estimate: u64,
    what: &str,
) -> String {
    if exact {
        format!("All {what} are counted exactly.")
    } else {
        format!(
            "Approximate: more than {capacity} distinct {what}, so a bounded summary (space-saving) was kept. \
             A listed figure is a lower bound; the truth is at most its accuracy column more. \
             Any {what} not listed has at most {} in all.",
            format_bytes(bound.max(next_estimate))
        )
    }
}

/// The heading of the names section: whether `--resolve` looked some up.
pub fn names_heading(names: &NamesView) -> &'static str {
    if names.resolved.is_some() {
        "Names learnt from the traffic and looked up"
    } else {
        "Names learnt from the traffic"
    }
}

/// What `--resolve` asked and what came back, for the note under the
/// names.
pub fn resolve_sentence(r: &ResolveView) -> String {
    let mut text = format!(
        "Reverse lookups (--resolve) of the addresses shown that the traffic did not name: {} asked, {} named, {} without a name",
        format_count(r.asked),
        format_count(r.named),
        format_count(r.no_name),
    );
    if r.unanswered > 0 {
        text += &format!(
            ", {} not answered in time (shown without a name)",
            format_count(r.unanswered)
        );
    }
    if r.not_asked > 0 {
        text += &format!(
            ", {} not asked (a run asks about {} addresses at most)",
            format_count(r.not_asked),
            format_count(crate::schema::MAX_LOOKUPS as u64)
        );
    }
    text + "."
}
