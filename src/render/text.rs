//! The text formats of `read` and `ports`: terminal tables and Markdown
//! (tables from [`super::table`]).

pub use super::table::Style;
use super::table::Table;
use super::units::{
    counter_cells, endpoint, format_bytes, format_count, format_rate, format_share,
    format_timestamp, more_cells, name_source_label, named, port_label, row_name,
};
use crate::classify::Source;
use crate::decode::Tunnel;
use crate::schema::{
    InputStatusKind, InputView, NamesView, PortEntryView, ReadView, ServersView, ServiceView,
};
use std::io::{self, Write};

pub(super) fn heading(out: &mut dyn Write, style: Style, title: &str) -> io::Result<()> {
    match style {
        Style::Terminal => writeln!(out, "{title}"),
        Style::Markdown => writeln!(out, "## {title}\n"),
    }
}

/// Writes the `read` summary: capture facts, traffic by transport, services,
/// servers, fragments, tunnels, scans and decode problems.
pub fn write_read(
    view: &ReadView,
    top: usize,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    if style == Style::Markdown {
        writeln!(out, "# portclass traffic summary\n")?;
    }
    write_capture(view, style, out)?;
    write_transports(view, style, out)?;
    write_services(view, top, style, out)?;
    write_servers(&view.servers, top, style, out)?;
    write_names(&view.names, top, style, out)?;
    write_fragments(view, style, out)?;
    if view.decap {
        write_tunnels(view, style, out)?;
    }
    if let Some(scans) = &view.scans {
        super::scans::write_text(scans, style, out)?;
    }
    write_problems(view, style, out)
}

/// The capture facts: inputs, totals, link types, time span and rate.
fn write_capture(view: &ReadView, style: Style, out: &mut dyn Write) -> io::Result<()> {
    heading(out, style, "Capture")?;
    let mut facts: Vec<(String, String)> = view
        .inputs
        .iter()
        .map(|input| ("input".to_string(), input_line(input)))
        .collect();
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
    facts.push(("link types".to_string(), or_dash(links.join("; "))));
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
            writeln!(out)
        }
        Style::Markdown => {
            let mut table = Table::new(style, &["", ""], &[]);
            for (label, value) in facts {
                table.add_row(vec![label, value]);
            }
            writeln!(out, "{table}\n")
        }
    }
}

/// `-` for an empty value.
fn or_dash(text: String) -> String {
    if text.is_empty() {
        "-".to_string()
    } else {
        text
    }
}

/// One input's line: name, format, link types, frames and bytes, and how
/// far it was read.
fn input_line(input: &InputView) -> String {
    if input.status == InputStatusKind::Failed {
        return format!("{}: could not be read", input.name);
    }
    let links: Vec<&str> = input.link_types.iter().map(|l| l.name.as_str()).collect();
    let mut line = format!(
        "{}: {}, {}; {} packets, {}",
        input.name,
        input.format,
        or_dash(links.join(", ")),
        format_count(input.packets),
        format_bytes(input.bytes)
    );
    if input.status != InputStatusKind::Complete {
        line.push_str(&format!(" ({}: read up to damage)", input.status));
    }
    if let Some(filter) = &input.filter {
        line.push_str(&format!("; filter \"{filter}\""));
        if let Some(out) = input.filtered_out {
            line.push_str(&format!(" left out {} packets", format_count(out)));
        }
    }
    line
}

fn write_transports(view: &ReadView, style: Style, out: &mut dyn Write) -> io::Result<()> {
    heading(out, style, "Traffic by transport")?;
    if view.packets == 0 {
        return writeln!(out, "(no frames)\n");
    }
    let mut transports = Table::new(
        style,
        &["transport", "packets", "bytes", "share"],
        &[1, 2, 3],
    );
    for (category, c) in view.transport.rows() {
        if c.packets == 0 {
            continue;
        }
        transports.add_row(counter_cells(
            category,
            c.packets,
            c.bytes,
            view.share(c.bytes),
        ));
    }
    writeln!(out, "{transports}\n")
}

/// The top `top` service rows (0: all) and a row for the rest; with
/// `--decap`, a tunnel column first.
fn write_services(
    view: &ReadView,
    top: usize,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    heading(out, style, "Services by bytes")?;
    if view.services.is_empty() {
        return writeln!(out, "(no TCP, UDP or SCTP traffic with ports)\n");
    }
    let tunnel_column = usize::from(view.decap);
    let mut header = vec![
        "service",
        "port",
        "packets",
        "bytes",
        "share",
        "identified by",
        "description",
        "source",
    ];
    if view.decap {
        header.insert(0, "tunnel");
    }
    let mut services = Table::new(
        style,
        &header,
        &[2 + tunnel_column, 3 + tunnel_column, 4 + tunnel_column],
    );
    // Descriptions wrap rather than widen the table past a screen.
    services.limit_column(6 + tunnel_column, 48);
    let shown = if top == 0 {
        view.services.len()
    } else {
        top.min(view.services.len())
    };
    for s in &view.services[..shown] {
        let mut row = vec![
            row_name(s),
            port_label(s.key),
            format_count(s.packets),
            format_bytes(s.bytes),
            format_share(s.share),
            identified_label(s),
            s.description.clone().unwrap_or_default(),
            s.source.map_or("-", Source::name).to_string(),
        ];
        if view.decap {
            row.insert(0, s.key.tunnel.map_or("-", Tunnel::name).to_string());
        }
        services.add_row(row);
    }
    let rest = &view.services[shown..];
    if !rest.is_empty() {
        let mut row = more_cells(rest);
        row.extend([
            String::new(),
            "use --top 0 to list every service".to_string(),
            String::new(),
        ]);
        if view.decap {
            row.insert(0, String::new());
        }
        services.add_row(row);
    }
    writeln!(out, "{services}\n")
}

fn write_problems(view: &ReadView, style: Style, out: &mut dyn Write) -> io::Result<()> {
    heading(out, style, "Decode problems")?;
    let problems: Vec<_> = view
        .decode_problems
        .iter()
        .filter(|p| p.packets > 0)
        .collect();
    if problems.is_empty() {
        return writeln!(out, "none: every frame decoded as far as its headers go");
    }
    let mut table = Table::new(style, &["problem", "packets"], &[1]);
    for p in problems {
        table.add_row(vec![p.description.clone(), format_count(p.packets)]);
    }
    writeln!(out, "{table}")
}

/// The server inventory: the top `top` servers (0: all) and a line on the
/// rest, with the accuracy when the table is approximate.
pub(super) fn write_servers(
    servers: &ServersView,
    top: usize,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    heading(out, style, "Servers that answered")?;
    if servers.entries.is_empty() {
        return writeln!(out, "(none)\n");
    }
    let mut table = Table::new(
        style,
        &[
            "server",
            "service",
            "to server",
            "from server",
            "conversations",
            "clients",
            "top clients (conversations)",
            "first seen",
            "last seen",
        ],
        &[2, 3, 4, 5],
    );
    let shown = if top == 0 {
        servers.entries.len()
    } else {
        top.min(servers.entries.len())
    };
    for s in &servers.entries[..shown] {
        let clients = if s.clients_approximate {
            format!("~{}", format_count(s.clients))
        } else {
            format_count(s.clients)
        };
        let top_clients: Vec<String> = s
            .top_clients
            .iter()
            .take(3)
            .map(|c| format!("{} ({})", c.address, format_count(c.conversations)))
            .collect();
        let time = |t: &Option<String>| {
            t.as_deref()
                .map_or("-".to_string(), |t| t.get(11..19).unwrap_or(t).to_string())
        };
        table.add_row(vec![
            named(
                format_args!("{}/{}", endpoint(s.address, s.port), s.transport),
                s.label().as_deref(),
            ),
            s.service.clone().unwrap_or_else(|| "-".to_string()),
            format_bytes(s.to_server_bytes),
            format_bytes(s.from_server_bytes),
            format_count(s.conversations),
            clients,
            top_clients.join(", "),
            time(&s.first_timestamp),
            time(&s.last_timestamp),
        ]);
    }
    let rest = &servers.entries[shown..];
    if !rest.is_empty() {
        let to: u64 = rest.iter().map(|s| s.to_server_bytes).sum();
        let from: u64 = rest.iter().map(|s| s.from_server_bytes).sum();
        table.add_row(vec![
            format!("({} more)", rest.len()),
            "use --top 0 to list every server".to_string(),
            format_bytes(to),
            format_bytes(from),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ]);
    }
    writeln!(out, "{table}")?;
    if !servers.exact {
        writeln!(
            out,
            "More servers than the {} kept: figures are lower bounds, and a server not listed has at most {}.",
            format_count(servers.capacity as u64),
            format_bytes(servers.error_bound_bytes)
        )?;
    }
    writeln!(out)
}

/// The names learnt for addresses (when there are any): the first `top`
/// (0: all) by address, and whether the table had to drop some.
pub(super) fn write_names(
    names: &NamesView,
    top: usize,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    if names.entries.is_empty() && !names.approximate {
        return Ok(());
    }
    heading(out, style, super::wording::names_heading(names))?;
    let mut table = Table::new(
        style,
        &["address", "name", "learnt from", "first seen"],
        &[],
    );
    let shown = if top == 0 {
        names.entries.len()
    } else {
        top.min(names.entries.len())
    };
    for n in &names.entries[..shown] {
        let name = match &n.canonical {
            Some(canonical) => format!("{} (canonical {canonical})", n.name),
            None => n.name.clone(),
        };
        let first = format_timestamp(n.first_ns);
        table.add_row(vec![
            n.address.to_string(),
            name,
            name_source_label(n.source).to_string(),
            first.get(11..19).unwrap_or(&first).to_string(),
        ]);
    }
    let rest = names.entries.len() - shown;
    if rest > 0 {
        table.add_row(vec![
            format!("({} more)", format_count(rest as u64)),
            "use --top 0 to list every name".to_string(),
            String::new(),
            String::new(),
        ]);
    }
    writeln!(out, "{table}")?;
    if names.approximate {
        writeln!(
            out,
            "The name table was full ({} addresses): {} names learnt for other addresses were dropped.",
            format_count(names.capacity as u64),
            format_count(names.dropped)
        )?;
    }
    if let Some(resolved) = &names.resolved {
        writeln!(out, "{}", super::wording::resolve_sentence(resolved))?;
    }
    writeln!(out)
}

/// How a service row's port was identified, for a table cell:
/// `handshake`, `port db`, `heuristic`, or a split such as
/// `handshake 90%, port db 10%`.
pub(super) fn identified_label(s: &ServiceView) -> String {
    let parts = [
        ("handshake", s.identified.handshake),
        ("port db", s.identified.port_database),
        ("heuristic", s.identified.heuristic),
        ("related", s.identified.related),
    ];
    let used: Vec<(&str, u64)> = parts.into_iter().filter(|(_, n)| *n > 0).collect();
    match used.as_slice() {
        [] => "-".to_string(),
        [(name, _)] => (*name).to_string(),
        _ => {
            let total: u64 = used.iter().map(|(_, n)| n).sum();
            used.iter()
                .map(|(name, n)| format!("{name} {}", part_percent(*n, total)))
                .collect::<Vec<_>>()
                .join(", ")
        }
    }
}

/// A part's share of a split in whole percent, never rounded to a figure
/// that hides it or its remainder: `<1%` for a part under 0.5 %, `>99%`
/// for one that falls short of the whole by less than that.
fn part_percent(part: u64, total: u64) -> String {
    let percent = part as f64 * 100.0 / total as f64;
    if percent < 0.5 {
        "<1%".to_string()
    } else if percent >= 99.5 && part < total {
        ">99%".to_string()
    } else {
        format!("{}%", percent.round())
    }
}

/// One line on non-first fragments and their attribution, when there were
/// any.
fn write_fragments(view: &ReadView, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let f = &view.fragments;
    let fragments = view.transport.fragment.packets;
    if fragments == 0 && f.attributed.packets == 0 && f.unattributed.packets == 0 {
        return Ok(());
    }
    heading(out, style, "Fragments")?;
    writeln!(
        out,
        "{} non-first fragments: {} ({}) attributed to the service of their first fragment, {} ({}) unattributed\n",
        format_count(fragments),
        format_count(f.attributed.packets),
        format_bytes(f.attributed.bytes),
        format_count(f.unattributed.packets),
        format_bytes(f.unattributed.bytes),
    )
}

/// Frames per tunnel kind (`--decap`).
fn write_tunnels(view: &ReadView, style: Style, out: &mut dyn Write) -> io::Result<()> {
    heading(out, style, "Tunnels")?;
    if view.tunnels.is_empty() {
        return writeln!(
            out,
            "none: no frame came through a tunnel portclass opens\n"
        );
    }
    let mut table = Table::new(style, &["tunnel", "packets", "bytes", "share"], &[1, 2, 3]);
    for t in &view.tunnels {
        table.add_row(counter_cells(
            t.tunnel,
            t.packets,
            t.bytes,
            view.share(t.bytes),
        ));
    }
    writeln!(out, "{table}\n")
}

/// Writes port database entries. A run of consecutive ports with the same
/// entry (what a range line such as `33434-33534 udp traceroute` gives) is
/// one row, `33434-33534/udp`; JSON and CSV keep one record per port.
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
    let mut table = Table::new(style, header, &[]);
    let mut rest = entries;
    while let Some(e) = rest.first() {
        let run = 1 + rest
            .windows(2)
            .take_while(|pair| continues_port_run(&pair[0], &pair[1]))
            .count();
        let last = &rest[run - 1];
        rest = &rest[run..];
        let ports = if run == 1 {
            e.port.to_string()
        } else {
            format!("{}-{}", e.port, last.port)
        };
        let mut row = vec![format!("{ports}/{}", e.transport)];
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

/// Whether `next` is the same entry as `previous` on the following port.
fn continues_port_run(previous: &PortEntryView, next: &PortEntryView) -> bool {
    previous.port.checked_add(1) == Some(next.port)
        && previous.transport == next.transport
        && previous.service == next.service
        && previous.description == next.description
        && previous.source == next.source
        && previous.class == next.class
}

#[cfg(test)]
mod tests {
    use super::part_percent;

    #[test]
    fn a_split_never_shows_a_part_as_zero_or_the_whole() {
        assert_eq!(part_percent(1, 830), "<1%");
        assert_eq!(part_percent(829, 830), ">99%");
        assert_eq!(part_percent(101, 1010), "10%");
        assert_eq!(part_percent(909, 1010), "90%");
        assert_eq!(part_percent(5, 1000), "1%");
        assert_eq!(part_percent(995, 1000), ">99%");
    }
}
