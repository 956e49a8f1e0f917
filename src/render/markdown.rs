//! The report as Markdown, for tickets and wikis: the sections of the HTML
//! page, in its order, as tables under `##` headings.

use super::ReportView;
use super::table::{Style, Table};
use super::text::{identified_label, write_names, write_servers};
use super::units::{
    counter_cells, endpoint, format_bytes, format_count, format_duration, format_rate,
    format_share, more_cells, named, port_label, row_name,
};
use super::wording::{
    NO_DETAILS, SCANS_OFF, accuracy_note, fragments_sentence, no_scans_sentence, peak_detail,
    peak_note, scan_count, scans_criteria_sentence, scans_overview,
};
use crate::decode::{DecodeProblem, Tunnel};
use crate::schema::{ReadView, RowKey, TopView};
use std::io::{self, Write};

/// Writes the report as Markdown.
pub fn write_markdown(view: &ReportView, out: &mut dyn Write) -> io::Result<()> {
    let r = &view.read;
    writeln!(out, "# Traffic report\n")?;
    writeln!(out, "## Overview\n")?;
    table(out, &["", ""], &[], &overview_rows(view))?;
    write_transports(r, out)?;
    write_services(view, out)?;
    write_port_classes(view, out)?;
    write_scans(view, out)?;
    write_servers(&r.servers, view.top, Style::Markdown, out)?;
    write_names(&r.names, view.top, Style::Markdown, out)?;
    if !view.report.details_available {
        for title in ["Top hosts", "Top conversations", "Top services over time"] {
            writeln!(out, "## {title}\n\n{NO_DETAILS}\n")?;
        }
        return write_unknown_ports(view, out);
    }
    write_hosts(view, out)?;
    write_conversations(view, out)?;
    write_time_table(view, out)?;
    write_unknown_ports(view, out)
}

/// A Markdown table (see [`Table`]) and a blank line; the columns at
/// `right` hold numbers.
fn table(
    out: &mut dyn Write,
    header: &[&str],
    right: &[usize],
    rows: &[Vec<String>],
) -> io::Result<()> {
    let mut table = Table::new(Style::Markdown, header, right);
    for row in rows {
        table.add_row(row.iter().map(String::as_str));
    }
    writeln!(out, "{table}\n")
}

/// The overview's rows: inputs, time span, totals, rates, link types,
/// decode quality and port scans.
fn overview_rows(view: &ReportView) -> Vec<Vec<String>> {
    let r = &view.read;
    let row = |label: &str, value: String| vec![label.to_string(), value];
    let mut rows: Vec<Vec<String>> = r
        .inputs
        .iter()
        .map(|input| {
            let status = match input.status {
                crate::schema::InputStatusKind::Complete => String::new(),
                other => format!("; {other}"),
            };
            row(
                "input",
                format!(
                    "{} ({}; {} packets, {}{status})",
                    input.name,
                    input.format,
                    format_count(input.packets),
                    format_bytes(input.bytes),
                ),
            )
        })
        .collect();
    if let (Some(first), Some(last)) = (&r.first_timestamp, &r.last_timestamp) {
        rows.push(row(
            "time span",
            format!("{first} to {last} ({:.3} s)", r.duration_seconds),
        ));
    }
    rows.push(row("packets", format_count(r.packets)));
    rows.push(row(
        "bytes",
        format!(
            "{} ({} bytes)",
            format_bytes(r.bytes),
            format_count(r.bytes)
        ),
    ));
    if let Some(bps) = r.average_bits_per_second {
        rows.push(row("average rate", format_rate(bps)));
    }
    if let Some(peak) = &view.report.peak {
        let width = format!("{} s", peak.bucket_seconds);
        let detail = peak_detail(peak, &peak.start, r.duration_seconds, &width);
        rows.push(row(
            "peak rate",
            format!("{} ({detail})", format_rate(peak.bits_per_second)),
        ));
    }
    let links: Vec<String> = r
        .link_types
        .iter()
        .map(|l| format!("{} ({})", l.name, format_count(l.packets)))
        .collect();
    rows.push(row("link types", links.join(", ")));
    let t = &r.transport;
    let undecodable = r.problem(DecodeProblem::UnsupportedLinkType);
    rows.push(row(
        "decode quality",
        format!(
            "truncated {}, fragments {}, non-IP {}, undecodable link type {}",
            format_count(t.truncated.packets),
            format_count(t.fragment.packets),
            format_count(t.non_ip.packets),
            format_count(undecodable)
        ),
    ));
    rows.push(row("port scans", scans_overview(r.scans.as_ref())));
    rows
}

fn write_transports(r: &ReadView, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## Traffic by transport\n")?;
    let rows: Vec<Vec<String>> = r
        .transport
        .rows()
        .iter()
        .filter(|(_, c)| c.packets > 0)
        .map(|(category, c)| counter_cells(category, c.packets, c.bytes, r.share(c.bytes)))
        .collect();
    table(
        out,
        &["transport", "packets", "bytes", "share"],
        &[1, 2, 3],
        &rows,
    )
}

/// The service rows shown with their directions, a row for the rest, the
/// fragments sentence and (`--decap`) the tunnels.
fn write_services(view: &ReportView, out: &mut dyn Write) -> io::Result<()> {
    let r = &view.read;
    let details = view.report.details_available;
    writeln!(out, "## By service\n")?;
    let (shown, rest) = view.shown_services();
    let direction = |bytes: u64| {
        if details {
            format_bytes(bytes)
        } else {
            "n/a".to_string()
        }
    };
    let mut rows: Vec<Vec<String>> = shown
        .iter()
        .zip(&view.report.service_directions)
        .map(|(s, d)| {
            // With --decap the tunnel has a column of its own, first.
            let mut row = vec![
                if r.decap {
                    row_name(s)
                } else {
                    view.service_label(s.key)
                },
                port_label(s.key),
                format_count(s.packets),
                format_bytes(s.bytes),
                format_share(s.share),
                direction(d.to_server_bytes),
                direction(d.to_client_bytes),
                identified_label(s),
            ];
            if r.decap {
                row.insert(0, s.key.tunnel.map_or("-", Tunnel::name).to_string());
            }
            row
        })
        .collect();
    if !rest.is_empty() {
        let mut row = more_cells(rest);
        row.extend([String::new(), String::new(), String::new()]);
        if r.decap {
            row.insert(0, String::new());
        }
        rows.push(row);
    }
    let mut header = vec![
        "service",
        "port",
        "packets",
        "bytes",
        "share",
        "client → server",
        "server → client",
        "identified by",
    ];
    if r.decap {
        header.insert(0, "tunnel");
    }
    let numbers: Vec<usize> = (2..7).map(|i| i + usize::from(r.decap)).collect();
    table(out, &header, &numbers, &rows)?;
    if let Some(sentence) = fragments_sentence(r) {
        writeln!(out, "{sentence}\n")?;
    }
    if r.decap {
        write_tunnels(r, out)?;
    }
    Ok(())
}

/// Frames per tunnel kind (`--decap`).
fn write_tunnels(r: &ReadView, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## Tunnels\n")?;
    if r.tunnels.is_empty() {
        return writeln!(
            out,
            "None: no frame came through a tunnel portclass opens.\n"
        );
    }
    let rows: Vec<Vec<String>> = r
        .tunnels
        .iter()
        .map(|t| counter_cells(t.tunnel, t.packets, t.bytes, r.share(t.bytes)))
        .collect();
    table(
        out,
        &["tunnel", "packets", "bytes", "share"],
        &[1, 2, 3],
        &rows,
    )?;
    writeln!(
        out,
        "Bytes are the outer frames'; the services above count the inner ports.\n"
    )
}

fn write_port_classes(view: &ReportView, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## By port class\n")?;
    let rows: Vec<Vec<String>> = view
        .report
        .port_classes
        .iter()
        .map(|c| {
            vec![
                c.class.to_string(),
                format_count(c.services),
                format_count(c.packets),
                format_bytes(c.bytes),
                format_share(c.share),
            ]
        })
        .collect();
    table(
        out,
        &["class", "services", "packets", "bytes", "share"],
        &[1, 2, 3, 4],
        &rows,
    )
}

/// The port scans found, as `read` shows them, in the report's tables.
fn write_scans(view: &ReportView, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## Port scans\n")?;
    let Some(scans) = &view.read.scans else {
        return writeln!(out, "{SCANS_OFF}\n");
    };
    if scans.found() == 0 {
        writeln!(out, "{}\n", no_scans_sentence(scans))?;
    } else {
        let shown = view.rows(scans.findings.len());
        let rows: Vec<Vec<String>> = scans.findings[..shown]
            .iter()
            .map(|f| {
                vec![
                    f.kind.name().to_string(),
                    f.transport.to_string(),
                    f.source.to_string(),
                    f.target_label(),
                    f.distinct_label(),
                    scan_count(f, f.open),
                    scan_count(f, f.closed),
                    scan_count(f, f.unanswered),
                    f.first_timestamp.clone(),
                    format_duration(f.duration_seconds()),
                    f.evidence_text.clone(),
                ]
            })
            .collect();
        table(
            out,
            &[
                "kind",
                "transport",
                "source",
                "target",
                "probed",
                "open",
                "closed",
                "unanswered",
                "first seen",
                "duration",
                "evidence",
            ],
            &[4, 5, 6, 7],
            &rows,
        )?;
        if scans.findings.len() > shown {
            writeln!(
                out,
                "({} more; --top 0 lists all)\n",
                format_count((scans.findings.len() - shown) as u64)
            )?;
        }
        writeln!(out, "{}\n", scans_criteria_sentence(scans))?;
    }
    for caveat in scans.caveats() {
        writeln!(out, "Note: {caveat}.\n")?;
    }
    Ok(())
}

/// The sentence under a top-K table: how exact it is, given the first row
/// not shown (`bytes` gives a row's estimated bytes).
fn accuracy<T, U>(
    view: &ReportView,
    top: &TopView<T, U>,
    bytes: impl Fn(&T) -> u64,
    what: &str,
) -> String {
    let next = top
        .entries
        .get(view.rows(top.entries.len()))
        .map_or(0, bytes);
    accuracy_note(top.exact, top.capacity, top.error_bound_bytes, next, what)
}

/// The accuracy column: `exact`, or how much more the truth may be.
fn approx(overestimate: u64) -> String {
    if overestimate == 0 {
        "exact".to_string()
    } else {
        format!("at least; up to {} more", format_bytes(overestimate))
    }
}

fn write_hosts(view: &ReportView, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## Top hosts\n")?;
    let hosts = &view.report.hosts;
    let rows: Vec<Vec<String>> = hosts.entries[..view.rows(hosts.entries.len())]
        .iter()
        .map(|h| {
            vec![
                named(h.address, h.label().as_deref()),
                format_bytes(h.sent_bytes),
                format_bytes(h.received_bytes),
                format_count(h.sent_packets + h.received_packets),
                approx(h.overestimate_bytes),
            ]
        })
        .collect();
    table(
        out,
        &["host", "sent", "received", "packets", "accuracy"],
        &[1, 2, 3],
        &rows,
    )?;
    let bytes =
        |h: &crate::schema::HostView| h.sent_bytes + h.received_bytes + h.overestimate_bytes;
    writeln!(out, "{}\n", accuracy(view, hosts, bytes, "hosts"))
}

fn write_conversations(view: &ReportView, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## Top conversations\n")?;
    let conversations = &view.report.conversations;
    let rows: Vec<Vec<String>> = conversations.entries[..view.rows(conversations.entries.len())]
        .iter()
        .map(|c| {
            vec![
                named(
                    endpoint(c.client, c.client_port),
                    c.client_label().as_deref(),
                ),
                named(
                    endpoint(c.server, c.server_port),
                    c.server_label().as_deref(),
                ),
                c.service
                    .clone()
                    .unwrap_or_else(|| port_label(RowKey::port(c.transport, c.server_port))),
                format_bytes(c.to_server_bytes),
                format_bytes(c.to_client_bytes),
                approx(c.overestimate_bytes),
            ]
        })
        .collect();
    table(
        out,
        &[
            "client",
            "server",
            "service",
            "client → server",
            "server → client",
            "accuracy",
        ],
        &[3, 4],
        &rows,
    )?;
    let bytes = |c: &crate::schema::ConversationView| {
        c.to_server_bytes + c.to_client_bytes + c.overestimate_bytes
    };
    writeln!(
        out,
        "{}\n",
        accuracy(view, conversations, bytes, "conversations")
    )
}

/// The top services' rates per bucket of the text table's width, the
/// bucket holding the peak marked.
fn write_time_table(view: &ReportView, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## Top services over time\n")?;
    let ts = &view.table;
    let mut header = vec!["bucket start".to_string()];
    header.extend(ts.top_services.iter().map(|s| view.service_label(s.key)));
    header.push("other".to_string());
    header.push("total".to_string());
    let seconds = ts.bucket_seconds.max(1e-9);
    let rate = |bytes: u64| format_rate(bytes as f64 * 8.0 / seconds);
    let peak = view.report.peak.as_ref();
    let rows: Vec<Vec<String>> = ts
        .buckets
        .iter()
        .map(|b| {
            let mut row = vec![b.start.clone()];
            let mut charted = 0;
            for s in &ts.top_services {
                let bytes = b.bytes_of(s.key);
                charted += bytes;
                row.push(rate(bytes));
            }
            row.push(rate(b.bytes.saturating_sub(charted)));
            let mut total = rate(b.bytes);
            if peak.is_some_and(|p| p.is_in(b.start_ns, ts.bucket_ns)) {
                total.push_str(" (peak)");
            }
            row.push(total);
            row
        })
        .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    writeln!(
        out,
        "Bucket: {} s{}. Rates are bits per second over each bucket.{}\n",
        ts.bucket_seconds,
        ts.widened_from_ns.map_or(String::new(), |w| format!(
            " (widened from {} s to bound memory)",
            w as f64 / 1e9
        )),
        peak.map_or(String::new(), |p| peak_note(p, ts.bucket_ns, &p.start))
    )?;
    let numbers: Vec<usize> = (1..header.len()).collect();
    table(out, &header, &numbers, &rows)
}

fn write_unknown_ports(view: &ReportView, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## Server ports the database does not know\n")?;
    let unknown = &view.report.unknown_ports;
    if unknown.is_empty() {
        return writeln!(out, "None.");
    }
    let shown = view.rows(unknown.len());
    let rows: Vec<Vec<String>> = unknown[..shown]
        .iter()
        .map(|p| {
            vec![
                port_label(RowKey::port(p.transport, p.port)),
                format_count(p.servers),
                format_count(p.packets),
                format_bytes(p.bytes),
            ]
        })
        .collect();
    table(
        out,
        &["port", "servers", "packets", "bytes"],
        &[1, 2, 3],
        &rows,
    )?;
    if unknown.len() > shown {
        writeln!(out, "({} more; --top 0 lists all)", unknown.len() - shown)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::scans::{ScanReport, ScanSettings, sample_vertical_scan};
    use crate::render::view::sample::{T0, report as view, v4};
    use crate::schema::{CounterView, IdentifiedView, ScanView, ScansView, TunnelView};

    fn markdown(view: &ReportView) -> String {
        let mut out = Vec::new();
        write_markdown(view, &mut out).expect("writing to a Vec");
        String::from_utf8(out).expect("UTF-8")
    }

    /// The lines of the section `title`, up to the next `## `.
    fn section<'a>(text: &'a str, title: &str) -> &'a str {
        let start = text
            .find(&format!("## {title}\n"))
            .unwrap_or_else(|| panic!("no section {title}:\n{text}"));
        let rest = &text[start + 3..];
        let end = rest.find("\n## ").map_or(rest.len(), |i| i + 1);
        &rest[..end]
    }

    fn no_scans() -> ScansView {
        let mut report = ScanReport::new(ScanSettings::default());
        report.probes = 42;
        ScansView::new(&report)
    }

    fn finding() -> ScanView {
        ScanView::new(&sample_vertical_scan(v4(9), v4(2), T0, T0 + 250_000_000))
    }

    #[test]
    fn services_say_how_their_port_was_identified() {
        let mut view = view();
        view.read.services[0].identified = IdentifiedView {
            handshake: 3,
            port_database: 1,
            heuristic: 0,
            related: 0,
        };
        let text = markdown(&view);
        let services = section(&text, "By service");
        assert!(services.contains(
            "| service | port | packets | bytes | share | client → server | server → client | identified by |\n"
        ), "{services}");
        assert!(
            services.contains("| https | 443/tcp | 2 | 3.0 kB |"),
            "{services}"
        );
        assert!(
            services.contains(" | handshake 75%, port db 25% |\n"),
            "{services}"
        );
        assert!(services.contains("| ssh | 22/tcp | 1 | 300 B | 8.9% | 300 B | 0 B | port db |\n"));
        // Neither tunnels nor fragments here.
        assert!(!text.contains("## Tunnels"));
        assert!(!text.contains("non-first fragment"));
    }

    #[test]
    fn decap_adds_a_tunnel_column_and_a_tunnels_table() {
        let mut view = view();
        view.read.decap = true;
        view.read.services[1].key.tunnel = Some(Tunnel::Vxlan);
        view.read.tunnels = vec![TunnelView {
            tunnel: Tunnel::Vxlan,
            packets: 1,
            bytes: 300,
        }];
        view.top = 1;
        let text = markdown(&view);
        let services = section(&text, "By service");
        assert!(
            services.contains("| tunnel | service | port | packets |"),
            "{services}"
        );
        assert!(
            services.contains("\n| - | https | 443/tcp | 2 |"),
            "{services}"
        );
        assert!(services.contains("\n|  | (2 more) |  | 2 |"), "{services}");
        let tunnels = section(&text, "Tunnels");
        assert!(
            tunnels.contains("| vxlan | 1 | 300 B | 8.9% |"),
            "{tunnels}"
        );
        view.top = 0;
        let text = markdown(&view);
        // The name without the tunnel: it has a column of its own.
        assert!(text.contains("\n| vxlan | ssh | 22/tcp | 1 |"), "{text}");
        // In order: services, tunnels, port classes.
        let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("{s}"));
        assert!(at("## By service") < at("## Tunnels"));
        assert!(at("## Tunnels") < at("## By port class"));

        view.read.tunnels.clear();
        let text = markdown(&view);
        assert!(section(&text, "Tunnels").contains("None: no frame came through a tunnel"));
    }

    #[test]
    fn fragments_are_one_line_under_the_services() {
        let mut view = view();
        view.read.transport.fragment = CounterView {
            packets: 2,
            bytes: 2000,
        };
        view.read.fragments.attributed = CounterView {
            packets: 2,
            bytes: 2000,
        };
        let text = markdown(&view);
        let services = section(&text, "By service");
        assert!(services.ends_with(
            "|\n\n2 non-first fragments: 2 (2.0 kB) attributed to the service of their first fragment and counted in its row; 0 (0 B) unattributed.\n\n"
        ), "{services}");
    }

    #[test]
    fn a_scan_is_one_row_of_the_port_scans_table() {
        let mut view = view();
        let mut scans = no_scans();
        scans.findings.push(ScanView {
            // Summary files are untrusted: a cell cannot end the row or table.
            evidence_text: "ports 1-1000 | x\nopen 22".to_string(),
            ..finding()
        });
        view.read.scans = Some(scans);
        let text = markdown(&view);
        let scans = section(&text, "Port scans");
        assert!(scans.contains(
            "| kind | transport | source | target | probed | open | closed | unanswered | first seen | duration | evidence |\n"
        ), "{scans}");
        assert!(scans.contains(
            "\n| vertical | tcp | 10.0.0.9 | 10.0.0.2 | 1,000 ports | 3 | 997 | 0 | 2025-11-26T06:17:00.000000000Z | 250.0 ms | ports 1-1000 \\| x open 22 |\n"
        ), "{scans}");
        assert_eq!(scans.lines().filter(|l| l.starts_with("| ")).count(), 2);
        assert!(scans.contains("Looked for a source whose failed probes"));
        assert!(!scans.contains("Note:"));
        assert!(text.contains("| port scans | 1 found |"));
        // Before the hosts, even when the details are not available.
        view.report.details_available = false;
        let text = markdown(&view);
        let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("{s}"));
        assert!(at("## By port class") < at("## Port scans"));
        assert!(at("## Port scans") < at("## Top hosts"));
    }

    #[test]
    fn scans_cut_by_top_and_lower_bounds_are_said() {
        let mut view = view();
        view.top = 1;
        let mut scans = no_scans();
        scans.findings.push(ScanView {
            distinct_exact: false,
            ..finding()
        });
        scans.findings.push(finding());
        scans.untracked_probes.horizontal = 7;
        view.read.scans = Some(scans);
        let text = markdown(&view);
        let scans = section(&text, "Port scans");
        assert!(
            scans.contains("| ≥ 1,000 ports | ≥ 3 | ≥ 997 | ≥ 0 |"),
            "{scans}"
        );
        assert!(scans.contains("(1 more; --top 0 lists all)"), "{scans}");
        assert!(scans.contains("Note: 7 probes were not tracked: the scan tables were full."));
        assert!(text.contains("| port scans | 2 found |"));
    }

    #[test]
    fn no_scan_found_or_not_looked_for() {
        let mut view = view();
        view.read.scans = Some(no_scans());
        let text = markdown(&view);
        assert_eq!(
            section(&text, "Port scans"),
            "Port scans\n\nNo port scans found (42 probes seen; looked for a source whose failed probes (refused or unanswered) \
             reach 15 ports of one host (vertical) or 25 hosts on one port (horizontal) within 5 min).\n\n"
        );
        assert!(text.contains("| port scans | none found (42 probes seen) |"));
        view.read.scans = None;
        let text = markdown(&view);
        assert_eq!(
            section(&text, "Port scans"),
            "Port scans\n\nNot looked for: scan detection was off (--no-scans).\n\n"
        );
        assert!(text.contains("| port scans | not looked for (--no-scans) |"));
    }
}
