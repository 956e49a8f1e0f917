//! Live capture output: the screen redrawn in place on a terminal, one
//! snapshot per interval otherwise (NDJSON lines for JSON), and the final
//! summary (`read`'s, plus capture statistics).

use super::csv::{self, LiveScope};
use super::table::Table;
use super::text::{self, Style};
use super::units::{format_share, identified_words, port_label, with_tunnel};
use super::{Format, ReportView, format_bytes, format_count, format_rate, format_timestamp};
use crate::pipeline::Identified;
use crate::schema::{
    CaptureStatsView, InterfaceState, InterfaceView, IntervalLine, LineKind, ProcessesView,
    ReadView, RowKey, SavedView, ServiceView, SummaryLine,
};
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, Write};

/// What the live screen is sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveSort {
    /// Bytes in the last interval.
    Rate,
    /// Bytes since the start.
    Total,
}

impl LiveSort {
    /// The other order.
    pub fn toggled(self) -> LiveSort {
        match self {
            LiveSort::Rate => LiveSort::Total,
            LiveSort::Total => LiveSort::Rate,
        }
    }
}

/// Where and how long the capture has run.
#[derive(Clone, Debug)]
pub struct LiveStatus {
    /// The interface.
    pub interface: String,
    /// The BPF filter, if any.
    pub filter: Option<String>,
    /// Seconds since the capture started.
    pub elapsed_seconds: f64,
    /// libpcap's counters, when it could give them.
    pub stats: Option<CaptureStatsView>,
    /// The file of saved packets (`-w`), if one was asked for.
    pub saved: Option<SavedView>,
    /// Where Prometheus can scrape (`--metrics`): the address bound, with
    /// the port chosen when 0 was asked for.
    pub metrics_url: Option<String>,
    /// This machine's addresses on the interface, to tell traffic in from
    /// traffic out.
    pub local_addresses: Vec<std::net::IpAddr>,
    /// The newest alert (`--baseline`, `--alert`) and how many so far, for
    /// the screen.
    pub last_alert: Option<(String, u64)>,
}

/// One service row of a live snapshot: its rate over the last interval and
/// its totals.
#[derive(Clone, Debug)]
pub struct LiveServiceRow {
    /// Which row.
    pub key: RowKey,
    /// Service name (`null` with `--numeric`).
    pub service: Option<String>,
    /// Packets per second over the last interval.
    pub packets_per_second: f64,
    /// Bits per second over the last interval.
    pub bits_per_second: f64,
    /// Packets in the last interval.
    pub interval_packets: u64,
    /// Bytes in the last interval.
    pub interval_bytes: u64,
    /// Packets since the start.
    pub total_packets: u64,
    /// Bytes since the start.
    pub total_bytes: u64,
    /// Share of all bytes since the start, 0..1.
    pub share: f64,
    /// How the port was identified (see [`ServiceView::identified_by`]).
    pub identified_by: Identified,
}

/// Joins the interval's service rows to the running totals' rows, sorted.
pub fn live_rows(
    interval: &ReadView,
    totals: &ReadView,
    interval_seconds: f64,
    sort: LiveSort,
) -> Vec<LiveServiceRow> {
    let recent: HashMap<RowKey, &ServiceView> =
        interval.services.iter().map(|s| (s.key, s)).collect();
    let seconds = interval_seconds.max(1e-9);
    let mut rows: Vec<(u64, LiveServiceRow)> = totals
        .services
        .iter()
        .map(|s| {
            let (packets, bytes) = recent.get(&s.key).map_or((0, 0), |r| (r.packets, r.bytes));
            let row = LiveServiceRow {
                key: s.key,
                service: s.service.clone(),
                packets_per_second: packets as f64 / seconds,
                bits_per_second: bytes as f64 * 8.0 / seconds,
                interval_packets: packets,
                interval_bytes: bytes,
                total_packets: s.packets,
                total_bytes: s.bytes,
                share: s.share,
                identified_by: s.identified_by,
            };
            (bytes, row)
        })
        .collect();
    match sort {
        // Totals are already ordered; a stable sort keeps that order among
        // services equally busy in the interval.
        LiveSort::Rate => rows.sort_by_key(|row| std::cmp::Reverse(row.0)),
        LiveSort::Total => {}
    }
    rows.into_iter().map(|(_, row)| row).collect()
}

fn stats_line(stats: Option<CaptureStatsView>) -> String {
    match stats {
        Some(s) => format!(
            "received {}, dropped by kernel {}, by interface {}",
            format_count(s.received),
            format_count(s.dropped),
            format_count(s.if_dropped)
        ),
        None => "capture statistics unavailable".to_string(),
    }
}

/// The rows as a table: service, port, rate, totals, share.
fn rows_table(rows: &[LiveServiceRow], top: usize, style: Style) -> Table {
    let mut table = Table::new(
        style,
        &[
            "service",
            "port",
            "packets/s",
            "bits/s",
            "packets",
            "bytes",
            "share",
            "identified by",
        ],
        &[2, 3, 4, 5, 6],
    );
    let shown = if top == 0 {
        rows.len()
    } else {
        top.min(rows.len())
    };
    for r in &rows[..shown] {
        let port = with_tunnel(port_label(r.key), r.key.tunnel);
        table.add_row(vec![
            r.service.clone().unwrap_or_else(|| port.clone()),
            port,
            format!("{:.1}", r.packets_per_second),
            format_rate(r.bits_per_second),
            format_count(r.total_packets),
            format_bytes(r.total_bytes),
            format_share(r.share),
            identified_words(r.identified_by),
        ]);
    }
    if rows.len() > shown {
        table.add_row(vec![
            format!("({} more)", rows.len() - shown),
            String::new(),
            format!(
                "{:.1}",
                rows[shown..]
                    .iter()
                    .map(|r| r.packets_per_second)
                    .sum::<f64>()
            ),
            format_rate(rows[shown..].iter().map(|r| r.bits_per_second).sum()),
            format_count(rows[shown..].iter().map(|r| r.total_packets).sum()),
            format_bytes(rows[shown..].iter().map(|r| r.total_bytes).sum()),
            String::new(),
            String::new(),
        ]);
    }
    table
}

/// Most scans listed under the live header.
const SCANS_SHOWN: usize = 3;

/// The scan lines of the live header: nothing when detection is off.
fn scan_lines(totals: &ReadView) -> Vec<String> {
    let Some(scans) = &totals.scans else {
        return Vec::new();
    };
    if scans.findings.is_empty() {
        return vec![format!(
            "port scans: none ({} probes seen)",
            format_count(scans.probes)
        )];
    }
    let mut lines = vec![format!(
        "port scans: {} found",
        format_count(scans.findings.len() as u64 + scans.dropped_findings)
    )];
    for f in scans.findings.iter().take(SCANS_SHOWN) {
        lines.push(format!(
            "  SCAN {} {} {} -> {}: {} ({}), {:.0} s",
            f.kind.name(),
            f.transport,
            f.source,
            f.target_label(),
            f.distinct_label(),
            f.answers_label(),
            f.duration_seconds()
        ));
    }
    lines
}

pub(super) fn header_lines(status: &LiveStatus, totals: &ReadView) -> Vec<String> {
    let mut lines = vec![
        format!(
            "portclass live: {}{}",
            status.interface,
            status
                .filter
                .as_ref()
                .map_or(String::new(), |f| format!(", filter \"{f}\""))
        ),
        format!(
            "elapsed {:.1} s; seen {} packets, {}; {}",
            status.elapsed_seconds,
            format_count(totals.packets),
            format_bytes(totals.bytes),
            stats_line(status.stats)
        ),
    ];
    let f = &totals.fragments;
    if f.attributed.packets + f.unattributed.packets > 0 {
        lines.push(format!(
            "fragments: {} attributed to their first fragment's service, {} unattributed",
            format_count(f.attributed.packets),
            format_count(f.unattributed.packets)
        ));
    }
    lines.extend(scan_lines(totals));
    lines
}

/// A snapshot when stdout is not a terminal: a JSON line, CSV rows, or a
/// text/Markdown block. `now_nanos` stamps it.
#[allow(clippy::too_many_arguments)]
pub fn write_snapshot(
    format: Format,
    status: &LiveStatus,
    (interval_report, totals, processes): (&ReportView, &ReadView, &ProcessesView),
    interval_seconds: f64,
    now_nanos: i64,
    top: usize,
    first: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let interval = &interval_report.read;
    let rows = live_rows(interval, totals, interval_seconds, LiveSort::Rate);
    match format {
        Format::Json => {
            let line = IntervalLine {
                kind: LineKind::Interval,
                timestamp: format_timestamp(now_nanos),
                interface: Cow::Borrowed(&status.interface),
                filter: status.filter.as_deref().map(Cow::Borrowed),
                interval_seconds,
                elapsed_seconds: status.elapsed_seconds,
                interval: interval.into(),
                totals: totals.into(),
                capture_stats: status.stats,
                scans: totals.scans.as_ref().map(Cow::Borrowed),
                metrics_url: status
                    .metrics_url
                    .as_deref()
                    .filter(|_| first)
                    .map(Cow::Borrowed),
                hosts: Cow::Borrowed(&interval_report.report.hosts),
                conversations: Cow::Borrowed(&interval_report.report.conversations),
                servers: Cow::Borrowed(&totals.servers),
                processes: Cow::Borrowed(processes),
            };
            serde_json::to_writer(&mut *out, &line)?;
            writeln!(out)
        }
        Format::Csv => csv::write_live(
            &rows,
            LiveScope::Interval,
            &format_timestamp(now_nanos),
            first,
            out,
        ),
        Format::Table | Format::Markdown => {
            let style = if format == Format::Markdown {
                Style::Markdown
            } else {
                Style::Terminal
            };
            let stamp = format_timestamp(now_nanos);
            match style {
                Style::Markdown => writeln!(out, "## {stamp}\n")?,
                Style::Terminal => writeln!(out, "== {stamp}")?,
            }
            for line in header_lines(status, totals) {
                writeln!(out, "{line}")?;
            }
            writeln!(out)?;
            if rows.is_empty() {
                writeln!(out, "(no TCP, UDP or SCTP traffic with ports yet)\n")
            } else {
                writeln!(out, "{}\n", rows_table(&rows, top, style))
            }
        }
    }
}

/// The final summary: `read`'s output for the whole capture, plus the
/// interface, filter and capture statistics, and (JSON) the top hosts and
/// conversations as `report` gives them. JSON is one line, so that a
/// stream of NDJSON snapshots stays valid NDJSON.
#[allow(clippy::too_many_arguments)]
pub fn write_summary(
    format: Format,
    status: &LiveStatus,
    report: &ReportView,
    processes: &ProcessesView,
    top: usize,
    now_nanos: i64,
    wrote_csv_header: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let totals = &report.read;
    match format {
        Format::Json => {
            let document = SummaryLine {
                kind: LineKind::Summary,
                interface: Cow::Borrowed(&status.interface),
                filter: status.filter.as_deref().map(Cow::Borrowed),
                capture_stats: status.stats,
                saved: status.saved.as_ref().map(Cow::Borrowed),
                read: Cow::Borrowed(totals),
                hosts: Cow::Borrowed(&report.report.hosts),
                conversations: Cow::Borrowed(&report.report.conversations),
                processes: Cow::Borrowed(processes),
            };
            serde_json::to_writer(&mut *out, &document)?;
            writeln!(out)
        }
        Format::Csv => {
            let rows = live_rows(totals, totals, status.elapsed_seconds, LiveSort::Total);
            csv::write_live(
                &rows,
                LiveScope::Total,
                &format_timestamp(now_nanos),
                !wrote_csv_header,
                out,
            )
        }
        Format::Table | Format::Markdown => {
            let style = if format == Format::Markdown {
                Style::Markdown
            } else {
                Style::Terminal
            };
            text::write_read(totals, top, style, out)?;
            writeln!(out)?;
            let capture = format!(
                "{} ({}), {:.1} s: {}",
                status.interface,
                status
                    .filter
                    .as_ref()
                    .map_or("no filter".to_string(), |f| format!("filter \"{f}\"")),
                status.elapsed_seconds,
                stats_line(status.stats)
            );
            let saved = status.saved.as_ref().map(|saved| {
                let what = if saved.complete {
                    "every packet".to_string()
                } else {
                    format!(
                        "incomplete: {} packets not saved after a write error",
                        format_count(saved.lost)
                    )
                };
                format!(
                    "saved to {}: {} packets ({what})",
                    saved.file,
                    format_count(saved.packets)
                )
            });
            match style {
                Style::Markdown => {
                    writeln!(out, "## Capture statistics\n\n{capture}")?;
                    if let Some(saved) = saved {
                        writeln!(out, "\n{saved}")?;
                    }
                    Ok(())
                }
                Style::Terminal => {
                    writeln!(out, "Capture statistics\n  {capture}")?;
                    if let Some(saved) = saved {
                        writeln!(out, "  {saved}")?;
                    }
                    Ok(())
                }
            }
        }
    }
}

/// Writes the capture devices.
pub fn write_interfaces(
    interfaces: &[InterfaceView],
    format: Format,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, interfaces)?;
            writeln!(out)
        }
        Format::Csv => csv::write_interfaces(interfaces, out),
        Format::Table | Format::Markdown => {
            let style = if format == Format::Markdown {
                Style::Markdown
            } else {
                Style::Terminal
            };
            let mut table = Table::new(
                style,
                &["interface", "state", "addresses", "description"],
                &[],
            );
            for i in interfaces {
                let name = if i.default {
                    format!("{} (default)", i.name)
                } else {
                    i.name.clone()
                };
                table.add_row(vec![
                    name,
                    join_states(&i.state, ", "),
                    i.addresses.join("\n"),
                    i.description.clone().unwrap_or_default(),
                ]);
            }
            writeln!(out, "{table}")
        }
    }
}

/// A device's state words joined by `separator`.
pub(super) fn join_states(states: &[InterfaceState], separator: &str) -> String {
    let words: Vec<&str> = states.iter().map(|s| s.name()).collect();
    words.join(separator)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::CounterView;

    #[test]
    fn sort_toggles() {
        assert_eq!(LiveSort::Rate.toggled(), LiveSort::Total);
        assert_eq!(LiveSort::Total.toggled(), LiveSort::Rate);
    }

    #[test]
    fn header_shows_fragments_and_scans_when_there_are_any() {
        use crate::classify::Naming;
        use crate::decode::Transport;
        use crate::pipeline::scans::{ScanReport, ScanSettings, sample_vertical_scan};
        use crate::pipeline::{Identified, Resolved, ServiceHit};
        use crate::tally::Tally;
        use std::net::{IpAddr, Ipv4Addr};

        let db = crate::classify::PortDb::builtin();
        let status = LiveStatus {
            interface: "veth0".to_string(),
            filter: None,
            elapsed_seconds: 1.0,
            stats: None,
            saved: None,
            metrics_url: None,
            local_addresses: Vec::new(),
            last_alert: None,
        };
        let mut tally = Tally::new();
        let quiet = header_lines(&status, &ReadView::new(&tally, &db, false));
        assert_eq!(quiet.len(), 2, "{quiet:?}");

        tally.resolve(&Resolved::Attributed {
            hit: ServiceHit {
                tunnel: None,
                transport: Transport::Udp,
                naming: Naming::Port(53),
                identified: Identified::PortDatabase,
                to_server: false,
            },
            packets: 2,
            bytes: 3000,
        });
        tally.resolve(&Resolved::Unattributed {
            packets: 1,
            bytes: 600,
        });
        let mut scans = ScanReport::new(ScanSettings::default());
        scans.probes = 1000;
        scans.findings.push(sample_vertical_scan(
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            0,
            2_000_000_000,
        ));
        tally.set_scans(Some(scans));
        let lines = header_lines(&status, &ReadView::new(&tally, &db, false));
        assert_eq!(
            lines[2],
            "fragments: 2 attributed to their first fragment's service, 1 unattributed"
        );
        assert_eq!(lines[3], "port scans: 1 found");
        assert_eq!(
            lines[4],
            "  SCAN vertical tcp 10.0.0.2 -> 10.0.0.1: 1,000 ports (3 open, 997 closed, 0 unanswered), 2 s"
        );
    }

    #[test]
    fn counter_view_is_plain() {
        let c = CounterView {
            packets: 1,
            bytes: 2,
        };
        assert_eq!(
            serde_json::to_string(&c).ok().as_deref(),
            Some(r#"{"packets":1,"bytes":2}"#)
        );
    }
}
