//! Terminal tables and Markdown, both drawn with comfy-table.

use super::{PortEntryView, ReadView, format_bytes, format_count, format_rate};
use comfy_table::{CellAlignment, ColumnConstraint, ContentArrangement, Table, Width, presets};
use std::io::{self, Write};

/// Which kind of text output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Box-drawn tables, sized to the terminal when there is one.
    Terminal,
    /// GitHub-flavoured Markdown tables under `##` headings.
    Markdown,
}

fn new_table(style: Style, header: &[&str], right_aligned: &[usize]) -> Table {
    let mut table = Table::new();
    match style {
        Style::Terminal => {
            table
                .load_style(presets::UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic);
        }
        Style::Markdown => {
            table.load_style(presets::ASCII_MARKDOWN);
        }
    }
    table.set_header(header.to_vec());
    for &i in right_aligned {
        if let Some(column) = table.column_mut(i) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    table
}

fn heading(out: &mut dyn Write, style: Style, title: &str) -> io::Result<()> {
    match style {
        Style::Terminal => writeln!(out, "{title}"),
        Style::Markdown => writeln!(out, "## {title}\n"),
    }
}

fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// Writes the `read` summary: capture facts, traffic by transport, services,
/// decode problems.
pub fn write_read(
    view: &ReadView,
    top: usize,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    if style == Style::Markdown {
        writeln!(out, "# portclass traffic summary\n")?;
    }
    heading(out, style, "Capture")?;
    let mut facts: Vec<(String, String)> = Vec::new();
    for input in &view.inputs {
        if input.status == "failed" {
            facts.push((
                "input".to_string(),
                format!("{}: could not be read", input.name),
            ));
            continue;
        }
        let links: Vec<&str> = input.link_types.iter().map(|l| l.name.as_str()).collect();
        let mut line = format!(
            "{}: {}, {}; {} packets, {}",
            input.name,
            input.format,
            if links.is_empty() {
                "-".to_string()
            } else {
                links.join(", ")
            },
            format_count(input.packets),
            format_bytes(input.bytes)
        );
        if input.status != "complete" {
            line.push_str(&format!(" ({}: read up to damage)", input.status));
        }
        facts.push(("input".to_string(), line));
    }
    facts.push(("packets".to_string(), format_count(view.packets)));
    facts.push((
        "bytes".to_string(),
        format!(
            "{} ({} bytes)",
            format_bytes(view.bytes),
            format_count(view.bytes)
        ),
    ));
    let links: Vec<String> = view
        .link_types
        .iter()
        .map(|l| {
            format!(
                "{} ({}): {}",
                l.name,
                l.description,
                format_count(l.packets)
            )
        })
        .collect();
    facts.push((
        "link types".to_string(),
        if links.is_empty() {
            "-".to_string()
        } else {
            links.join("; ")
        },
    ));
    if let (Some(first), Some(last)) = (&view.first_timestamp, &view.last_timestamp) {
        facts.push(("first packet".to_string(), first.clone()));
        facts.push(("last packet".to_string(), last.clone()));
        facts.push((
            "duration".to_string(),
            format!("{:.6} s", view.duration_seconds),
        ));
    }
    if let (Some(bps), Some(pps)) = (
        view.average_bits_per_second,
        view.average_packets_per_second,
    ) {
        facts.push((
            "average rate".to_string(),
            format!("{}, {:.1} packets/s", format_rate(bps), pps),
        ));
    }
    match style {
        Style::Terminal => {
            for (label, value) in &facts {
                writeln!(out, "  {label:<13} {value}")?;
            }
            writeln!(out)?;
        }
        Style::Markdown => {
            let mut table = new_table(style, &["", ""], &[]);
            for (label, value) in facts {
                table.add_row(vec![label, value]);
            }
            writeln!(out, "{table}\n")?;
        }
    }

    heading(out, style, "Traffic by transport")?;
    let mut transports = new_table(
        style,
        &["transport", "packets", "bytes", "share"],
        &[1, 2, 3],
    );
    for (name, c) in view.transport_rows() {
        if c.packets == 0 {
            continue;
        }
        let share = if view.bytes == 0 {
            0.0
        } else {
            c.bytes as f64 / view.bytes as f64
        };
        transports.add_row(vec![
            name.to_string(),
            format_count(c.packets),
            format_bytes(c.bytes),
            percent(share),
        ]);
    }
    if view.packets == 0 {
        writeln!(out, "(no frames)\n")?;
    } else {
        writeln!(out, "{transports}\n")?;
    }

    heading(out, style, "Services by bytes")?;
    let mut services = new_table(
        style,
        &[
            "service",
            "port",
            "packets",
            "bytes",
            "share",
            "description",
            "source",
        ],
        &[2, 3, 4],
    );
    if let (Style::Terminal, Some(column)) = (style, services.column_mut(5)) {
        // Descriptions wrap rather than widen the table past a screen.
        column.set_constraint(ColumnConstraint::UpperBoundary(Width::Fixed(48)));
    }
    let shown = if top == 0 {
        view.services.len()
    } else {
        top.min(view.services.len())
    };
    for s in &view.services[..shown] {
        let port = match s.port {
            Some(p) => format!("{p}/{}", s.transport),
            None => format!("49152-65535/{}", s.transport),
        };
        services.add_row(vec![
            s.service.clone().unwrap_or_else(|| port.clone()),
            port,
            format_count(s.packets),
            format_bytes(s.bytes),
            percent(s.share),
            s.description.clone().unwrap_or_default(),
            s.source.unwrap_or("-").to_string(),
        ]);
    }
    let rest = &view.services[shown..];
    if !rest.is_empty() {
        let packets: u64 = rest.iter().map(|s| s.packets).sum();
        let bytes: u64 = rest.iter().map(|s| s.bytes).sum();
        let share: f64 = rest.iter().map(|s| s.share).sum();
        services.add_row(vec![
            format!("({} more)", rest.len()),
            String::new(),
            format_count(packets),
            format_bytes(bytes),
            percent(share),
            "use --top 0 to list every service".to_string(),
            String::new(),
        ]);
    }
    if view.services.is_empty() {
        writeln!(out, "(no TCP, UDP or SCTP traffic with ports)\n")?;
    } else {
        writeln!(out, "{services}\n")?;
    }

    heading(out, style, "Decode problems")?;
    let problems: Vec<_> = view
        .decode_problems
        .iter()
        .filter(|p| p.packets > 0)
        .collect();
    if problems.is_empty() {
        writeln!(out, "none: every frame decoded as far as its headers go")?;
    } else {
        let mut table = new_table(style, &["problem", "packets"], &[1]);
        for p in problems {
            table.add_row(vec![p.description.to_string(), format_count(p.packets)]);
        }
        writeln!(out, "{table}")?;
    }
    Ok(())
}

/// Writes port database entries.
pub fn write_ports(
    entries: &[PortEntryView],
    numeric: bool,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let header: &[&str] = if numeric {
        &["port", "class", "source", "description"]
    } else {
        &["port", "service", "class", "source", "description"]
    };
    let mut table = new_table(style, header, &[]);
    for e in entries {
        let mut row = vec![format!("{}/{}", e.port, e.transport)];
        if !numeric {
            row.push(e.service.clone());
        }
        row.extend([
            e.class.to_string(),
            e.source.to_string(),
            e.description.clone(),
        ]);
        table.add_row(row);
    }
    writeln!(out, "{table}")
}
