//! `diff`'s document as a terminal table, Markdown and CSV (JSON is the
//! schema's own serialisation): what was compared, then one table per
//! section (services, servers, ports) of the rows that appeared,
//! disappeared, grew or shrank, and a closing line with the count.
//!
//! The CSV goes through [`super::csv`]'s writer, one row type for the
//! three sections.

use super::csv::write_rows;
use super::table::{Style, Table};
use super::text::heading;
use super::units::{endpoint, format_bytes, format_count, format_duration, with_tunnel};
use crate::schema::{
    ChangeFigures, ChangeKind, DiffSection, DiffSideView, DiffView, InputStatusKind, Measure,
    PortChange, ServerChange, ServiceChange,
};
use serde::Serialize;
use std::io::{self, Write};

/// The port cell of a service: its ports (`80, 8080`), `any` on a failed
/// row, the dynamic range on the dynamic row.
fn service_ports(c: &ServiceChange) -> String {
    if c.failed {
        "any".to_string()
    } else if c.ports.is_empty() {
        "49152-65535".to_string()
    } else {
        let ports: Vec<String> = c.ports.iter().map(u16::to_string).collect();
        ports.join(", ")
    }
}

/// AFTER over BEFORE: `2.50x`, or `-` when either side is zero.
fn ratio_text(ratio: Option<f64>) -> String {
    ratio.map_or("-".to_string(), |r| format!("{r:.2}x"))
}

/// `before`/`after` of a side, for the facts at the top.
fn side_line(side: &DiffSideView) -> String {
    let mut line = format!(
        "{} ({}{}): {} packets, {}",
        side.name,
        side.kind.name(),
        side.schema
            .as_deref()
            .map_or(String::new(), |s| format!(", {s}")),
        format_count(side.packets),
        format_bytes(side.bytes),
    );
    if let (Some(first), Some(last)) = (&side.first_timestamp, &side.last_timestamp) {
        line.push_str(&format!(
            ", {first} to {last} ({})",
            format_duration(side.duration_seconds)
        ));
    }
    if side.decap {
        line.push_str(", with --decap");
    }
    match side.status {
        InputStatusKind::Complete => {}
        InputStatusKind::Partial => line.push_str(" (partly read: up to damage)"),
        InputStatusKind::Failed => line.push_str(" (an input could not be read)"),
    }
    line
}

/// The figures cells of a change: packets and bytes on each side, and the
/// ratio.
fn figure_cells(f: &ChangeFigures) -> [String; 5] {
    [
        format_count(f.before.packets),
        format_bytes(f.before.bytes),
        format_count(f.after.packets),
        format_bytes(f.after.bytes),
        ratio_text(f.ratio),
    ]
}

/// `2 appeared, 1 grew (17 unchanged)`, or `no change (17 unchanged)`.
fn section_summary<T>(section: &DiffSection<T>, figures: impl Fn(&T) -> ChangeFigures) -> String {
    let counts: Vec<String> = ChangeKind::ALL
        .iter()
        .filter_map(|&kind| {
            let n = section
                .changes
                .iter()
                .filter(|c| figures(c).change == kind)
                .count();
            (n > 0).then(|| format!("{} {kind}", format_count(n as u64)))
        })
        .collect();
    let unchanged = format!("{} unchanged", format_count(section.unchanged));
    if counts.is_empty() {
        format!("no change ({unchanged})")
    } else {
        format!("{} ({unchanged})", counts.join(", "))
    }
}

/// One section: a heading with its counts, and its changes as a table.
fn write_section<T>(
    title: &str,
    section: &DiffSection<T>,
    key_header: &[&str],
    key_cells: impl Fn(&T) -> Vec<String>,
    figures: impl Fn(&T) -> ChangeFigures,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let summary = section_summary(section, &figures);
    heading(out, style, &format!("{title}: {summary}"))?;
    if section.changes.is_empty() {
        return writeln!(out);
    }
    let mut header = vec!["change"];
    header.extend_from_slice(key_header);
    header.extend([
        "packets before",
        "bytes before",
        "packets after",
        "bytes after",
        "ratio",
    ]);
    let first_figure = 1 + key_header.len();
    let right: Vec<usize> = (first_figure..first_figure + 5).collect();
    let mut table = Table::new(style, &header, &right);
    for change in &section.changes {
        let f = figures(change);
        let mut row = vec![f.change.to_string()];
        row.extend(key_cells(change));
        row.extend(figure_cells(&f));
        table.add_row(row);
    }
    writeln!(out, "{table}\n")
}

/// Writes the comparison as terminal tables or Markdown.
pub fn write_text(view: &DiffView, style: Style, out: &mut dyn Write) -> io::Result<()> {
    if style == Style::Markdown {
        writeln!(out, "# portclass diff\n")?;
    }
    heading(out, style, "Compared")?;
    let s = &view.settings;
    let floor = match s.measure {
        Measure::Bytes => format_bytes(s.min),
        Measure::Packets => format!("{} packets", format_count(s.min)),
    };
    let facts = [
        ("before", side_line(&view.before)),
        ("after", side_line(&view.after)),
        (
            "changes",
            format!(
                "rows that appeared or disappeared; rows of {floor} or more on either side \
                 whose {} grew or shrank by a factor of {} or more",
                s.measure, s.factor
            ),
        ),
        (
            "ports",
            if s.all_ports {
                "every port".to_string()
            } else {
                "ports that named a service or a server (--all-ports: every port)".to_string()
            },
        ),
    ];
    match style {
        Style::Terminal => {
            for (label, value) in &facts {
                writeln!(out, "  {label:<9} {value}")?;
            }
            writeln!(out)?;
        }
        Style::Markdown => {
            let mut table = Table::new(style, &["", ""], &[]);
            for (label, value) in facts {
                table.add_row([label.to_string(), value]);
            }
            writeln!(out, "{table}\n")?;
        }
    }
    for (side, name) in [(&view.before, "before"), (&view.after, "after")] {
        if !side.servers_exact {
            writeln!(
                out,
                "Note: {name}'s server inventory holds only its busiest servers: \
                 a server it let go may show as appeared or disappeared.\n"
            )?;
        }
    }
    write_section(
        "Services",
        &view.services,
        &["service", "port"],
        |c: &ServiceChange| {
            let name = c.service.clone().unwrap_or_else(|| "-".to_string());
            vec![
                with_tunnel(name, c.tunnel),
                format!("{}/{}", service_ports(c), c.transport),
            ]
        },
        |c| c.figures,
        style,
        out,
    )?;
    write_section(
        "Servers",
        &view.servers,
        &["server", "service"],
        |c: &ServerChange| {
            vec![
                format!("{}/{}", endpoint(c.address, c.port), c.transport),
                c.service.clone().unwrap_or_else(|| "-".to_string()),
            ]
        },
        |c| c.figures,
        style,
        out,
    )?;
    write_section(
        "Ports",
        &view.ports,
        &["port", "service"],
        |c: &PortChange| {
            vec![
                with_tunnel(format!("{}/{}", c.port, c.transport), c.tunnel),
                c.service.clone().unwrap_or_else(|| "-".to_string()),
            ]
        },
        |c| c.figures,
        style,
        out,
    )?;
    match view.changes {
        0 => writeln!(out, "No changes."),
        1 => writeln!(out, "1 change."),
        n => writeln!(out, "{} changes.", format_count(n)),
    }
}

/// One CSV row: a change of any section.
#[derive(Default, Serialize)]
struct ChangeRow<'a> {
    section: &'a str,
    change: &'a str,
    tunnel: &'a str,
    transport: &'a str,
    address: String,
    port: String,
    service: &'a str,
    before_packets: u64,
    before_bytes: u64,
    after_packets: u64,
    after_bytes: u64,
    ratio: String,
}

impl<'a> ChangeRow<'a> {
    fn new(section: &'a str, f: &ChangeFigures) -> ChangeRow<'a> {
        ChangeRow {
            section,
            change: f.change.name(),
            before_packets: f.before.packets,
            before_bytes: f.before.bytes,
            after_packets: f.after.packets,
            after_bytes: f.after.bytes,
            ratio: f.ratio.map_or(String::new(), |r| format!("{r:.6}")),
            ..ChangeRow::default()
        }
    }
}

/// Writes every change as one CSV table: `section` (`services`,
/// `servers`, `ports`), `change`, the row's key, both sides' packets and
/// bytes, and the ratio (empty when a side is zero). A service's ports are
/// separated by spaces.
pub fn write_csv(view: &DiffView, out: &mut dyn Write) -> io::Result<()> {
    let services = view.services.changes.iter().map(|c| ChangeRow {
        tunnel: c.tunnel.map_or("", |t| t.name()),
        transport: c.transport.name(),
        port: service_ports(c).replace(", ", " "),
        service: c.service.as_deref().unwrap_or(""),
        ..ChangeRow::new("services", &c.figures)
    });
    let servers = view.servers.changes.iter().map(|c| ChangeRow {
        transport: c.transport.name(),
        address: c.address.to_string(),
        port: c.port.to_string(),
        service: c.service.as_deref().unwrap_or(""),
        ..ChangeRow::new("servers", &c.figures)
    });
    let ports = view.ports.changes.iter().map(|c| ChangeRow {
        tunnel: c.tunnel.map_or("", |t| t.name()),
        transport: c.transport.name(),
        port: c.port.to_string(),
        service: c.service.as_deref().unwrap_or(""),
        ..ChangeRow::new("ports", &c.figures)
    });
    write_rows(services.chain(servers).chain(ports), true, out)
}
