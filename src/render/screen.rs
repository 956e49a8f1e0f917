//! The live screen: a header, one of several views (services, hosts,
//! conversations, servers) as a table fitted to the terminal, and a footer
//! naming the keys. Fitting never wraps a cell: columns are dropped by
//! priority on narrow terminals, then the widest text column is cut with
//! `…`; the header and the footer always stay, and a "N more" line says
//! what the height leaves out.

use super::ReportView;
use super::live::{LiveServiceRow, LiveSort, LiveStatus, header_lines};
use super::units::{
    endpoint, format_bytes, format_count, format_rate, format_share, identified_words, named,
    port_label, with_tunnel,
};
use crate::decode::Transport;
use crate::schema::{ConversationView, ProcessesView};
use std::collections::HashMap;
use std::io::{self, Write};
use std::net::IpAddr;

/// What the screen shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveView {
    /// Services by rate or total (the default).
    Services,
    /// Top hosts: sent and received.
    Hosts,
    /// Top conversations: client, server and service, both directions.
    Conversations,
    /// The server inventory.
    Servers,
    /// Local processes by traffic.
    Processes,
    /// One service (chosen with Enter): its servers, clients and
    /// conversations.
    Detail,
    /// The keys and what they do.
    Help,
}

impl LiveView {
    /// The views the number keys and Tab switch between, in order.
    pub const CYCLE: [LiveView; 5] = [
        LiveView::Services,
        LiveView::Hosts,
        LiveView::Conversations,
        LiveView::Servers,
        LiveView::Processes,
    ];

    fn name(self) -> &'static str {
        match self {
            LiveView::Services => "services",
            LiveView::Hosts => "hosts",
            LiveView::Conversations => "conversations",
            LiveView::Servers => "servers",
            LiveView::Processes => "processes",
            LiveView::Detail => "service",
            LiveView::Help => "help",
        }
    }

    /// The next view (Tab).
    pub fn next(self) -> LiveView {
        let at = LiveView::CYCLE.iter().position(|v| *v == self).unwrap_or(0);
        LiveView::CYCLE[(at + 1) % LiveView::CYCLE.len()]
    }
}

/// One column of a fitted table.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// Its heading.
    pub title: &'static str,
    /// 0: always shown; higher numbers are dropped first on narrow screens.
    pub priority: u8,
    /// Numbers align right.
    pub right: bool,
}

const fn col(title: &'static str, priority: u8, right: bool) -> Column {
    Column {
        title,
        priority,
        right,
    }
}

fn width_of(text: &str) -> usize {
    text.chars().count()
}

/// `text` cut to `width` characters, with `…` when cut.
fn cut(text: &str, width: usize) -> String {
    if width_of(text) <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// Lays `rows` out in at most `width` characters a line: the heading, a
/// rule, then the rows. No cell wraps: low-priority columns go first, then
/// the widest left-aligned column is cut (to 6 characters at least).
pub fn fit_table(columns: &[Column], rows: &[Vec<String>], width: usize) -> Vec<String> {
    const GAP: usize = 2;
    let mut widths: Vec<usize> = columns.iter().map(|c| width_of(c.title)).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width_of(cell));
        }
    }
    let mut kept: Vec<usize> = (0..columns.len()).collect();
    let total = |kept: &[usize], widths: &[usize]| {
        kept.iter().map(|&i| widths[i]).sum::<usize>() + GAP * kept.len().saturating_sub(1)
    };
    while total(&kept, &widths) > width {
        // The least important column, the rightmost among equals.
        let Some((at, _)) = kept
            .iter()
            .enumerate()
            .filter(|(_, i)| columns[**i].priority > 0)
            .max_by_key(|(pos, i)| (columns[**i].priority, *pos))
        else {
            break;
        };
        kept.remove(at);
    }
    while total(&kept, &widths) > width {
        let Some(&widest) = kept
            .iter()
            .filter(|&&i| !columns[i].right && widths[i] > 6)
            .max_by_key(|&&i| widths[i])
        else {
            break;
        };
        let over = total(&kept, &widths) - width;
        widths[widest] = widths[widest].saturating_sub(over).max(6);
    }
    let line = |cells: &mut dyn Iterator<Item = (usize, &str)>| {
        let parts: Vec<String> = cells
            .map(|(i, text)| {
                let text = cut(text, widths[i]);
                if columns[i].right {
                    format!("{text:>w$}", w = widths[i])
                } else {
                    format!("{text:<w$}", w = widths[i])
                }
            })
            .collect();
        cut(parts.join(&" ".repeat(GAP)).trim_end(), width)
    };
    let mut lines = vec![line(&mut kept.iter().map(|&i| (i, columns[i].title)))];
    lines.push(cut(&"─".repeat(total(&kept, &widths)), width));
    for row in rows {
        lines.push(line(
            &mut kept
                .iter()
                .map(|&i| (i, row.get(i).map_or("", String::as_str))),
        ));
    }
    lines
}

/// What the screen needs beyond the views: the view, the order, whether
/// the display is paused, the row filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScreenState {
    /// The view shown.
    pub view: LiveView,
    /// Rate or total.
    pub sort: LiveSort,
    /// The display is frozen (the capture goes on counting).
    pub paused: bool,
    /// Rows shown must contain this (any cell, any case); empty: all.
    pub filter: String,
    /// The filter is being typed (after `/`).
    pub typing: bool,
    /// The highlighted service (Up and Down move it): it stays on the same
    /// service as the rows reorder; `None`, or a service no longer shown,
    /// highlights the first row.
    pub selected: Option<ServiceKey>,
    /// The service the detail view shows (Enter on a services row).
    pub detail: Option<ServiceKey>,
}

/// A service row: transport, port (none for the dynamic and failed rows),
/// failed.
pub type ServiceKey = (Transport, Option<u16>, bool);

impl ScreenState {
    /// The screen as it starts: services by current rate.
    pub fn new() -> ScreenState {
        ScreenState {
            view: LiveView::Services,
            sort: LiveSort::Rate,
            paused: false,
            filter: String::new(),
            typing: false,
            selected: None,
            detail: None,
        }
    }
}

impl Default for ScreenState {
    fn default() -> ScreenState {
        ScreenState::new()
    }
}

/// Whether a row has a cell containing `filter` (ignoring case; an empty
/// filter matches every row).
fn matches(row: &[String], filter: &str) -> bool {
    filter.is_empty() || {
        let filter = filter.to_lowercase();
        row.iter().any(|cell| cell.to_lowercase().contains(&filter))
    }
}

/// The last interval and the running totals, as the screen shows them.
pub struct ScreenData<'a> {
    /// The interval just ended.
    pub interval: &'a ReportView,
    /// Everything since the start.
    pub totals: &'a ReportView,
    /// The interval's length in seconds.
    pub seconds: f64,
    /// The service rows (interval joined to totals), in display order.
    pub services: &'a [LiveServiceRow],
    /// Local processes by traffic.
    pub processes: &'a ProcessesView,
}

/// Draws the whole screen, `width` x `height` characters. Returns the
/// services whose rows it shows, top to bottom (the services view's; empty
/// on the others), for the keys that move the highlight.
pub fn write_live_screen(
    status: &LiveStatus,
    data: &ScreenData<'_>,
    state: &ScreenState,
    (width, height): (u16, u16),
    out: &mut dyn Write,
) -> io::Result<Vec<ServiceKey>> {
    let (width, height) = (usize::from(width).max(20), usize::from(height).max(6));
    let mut lines = header(status, data, width, height);
    lines.push(cut(&tabs_line(state), width));
    let footer = cut(
        "1-5/Tab view  ↑↓ Enter service  s sort  / filter  space pause  ? help  q quit",
        width,
    );
    // Room for rows: what is left after the table's heading and rule, the
    // "more" line and the footer.
    let room = height.saturating_sub(lines.len() + 4).max(1);
    let (columns, rows, shown_keys) = view_table(data, state, room);
    lines.extend(body(data, state, &columns, rows, (width, room)));
    // The footer on the last line.
    while lines.len() + 1 < height {
        lines.push(String::new());
    }
    lines.truncate(height - 1);
    lines.push(footer);
    // Raw mode: lines end with an explicit carriage return; none after
    // the last, which would scroll the first off the screen.
    write!(out, "{}", lines.join("\r\n"))?;
    Ok(shown_keys)
}

/// The header: where and how long the capture runs, the current rate in
/// and out, fragments and scans, wrapped to `width` and at most a third of
/// the screen.
fn header(status: &LiveStatus, data: &ScreenData<'_>, width: usize, height: usize) -> Vec<String> {
    let seconds = data.seconds.max(1e-9);
    let rate = |bytes: u64| format_rate(bytes as f64 * 8.0 / seconds);
    let mut head = header_lines(status, &data.totals.read);
    if let Some((alert, count)) = &status.last_alert {
        // Under the first two lines, so that no height leaves it out.
        let at = head.len().min(2);
        head.insert(at, format!("ALERT ({count} so far): {alert}"));
    }
    // In and out: what this machine's addresses received and sent.
    let (mut inbound, mut outbound) = (0u64, 0u64);
    for host in &data.interval.report.hosts.entries {
        if status.local_addresses.contains(&host.address) {
            inbound += host.received_bytes;
            outbound += host.sent_bytes;
        }
    }
    let direction = if status.local_addresses.is_empty() {
        String::new()
    } else {
        format!(" (in {}, out {})", rate(inbound), rate(outbound))
    };
    head[0].push_str(&format!(
        "; now {}{direction}, {:.0} packets/s",
        rate(data.interval.read.bytes),
        data.interval.read.packets as f64 / seconds,
    ));
    // Header lines wrap between their "; "-separated parts.
    let mut wrapped: Vec<String> = head.iter().flat_map(|l| wrap_parts(l, width)).collect();
    wrapped.truncate((height / 3).max(2));
    wrapped
}

/// The line of views, the order, the filter, and whether paused (first,
/// so that no width cuts it off).
fn tabs_line(state: &ScreenState) -> String {
    let tabs: Vec<String> = LiveView::CYCLE
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if *v == state.view {
                format!("[{} {}]", i + 1, v.name())
            } else {
                format!(" {} {} ", i + 1, v.name())
            }
        })
        .collect();
    let order = match state.sort {
        LiveSort::Rate => "by current rate",
        LiveSort::Total => "by total",
    };
    let filter = match (state.typing, state.filter.is_empty()) {
        (true, _) => format!("   /{}_  (Enter keeps it, Esc clears it)", state.filter),
        (false, false) => format!("   /{} (Esc clears)", state.filter),
        (false, true) => String::new(),
    };
    let paused = if state.paused {
        "[paused: space resumes] "
    } else {
        ""
    };
    format!("{paused}{}   {order}{filter}", tabs.join(" "))
}

/// The table of the view shown, and (services view) the keys of the first
/// `room` rows that pass the filter, the highlighted one marked.
fn view_table(
    data: &ScreenData<'_>,
    state: &ScreenState,
    room: usize,
) -> (Vec<Column>, Vec<Vec<String>>, Vec<ServiceKey>) {
    let seconds = data.seconds.max(1e-9);
    let (columns, rows) = match state.view {
        LiveView::Services => {
            let (columns, rows, keys) = services_table(data.services);
            // The filter first, then the highlight on one of the rows shown.
            let (mut rows, keys): (Vec<Vec<String>>, Vec<ServiceKey>) = rows
                .into_iter()
                .zip(keys)
                .filter(|(row, _)| matches(row, &state.filter))
                .unzip();
            let shown = &keys[..room.min(keys.len())];
            let selected = state
                .selected
                .and_then(|key| shown.iter().position(|k| *k == key))
                .unwrap_or(0);
            for (i, row) in rows.iter_mut().enumerate() {
                let mark = if i == selected { "▶ " } else { "  " };
                row[0] = format!("{mark}{}", row[0]);
            }
            return (columns, rows, shown.to_vec());
        }
        LiveView::Detail => detail_table(data, state.detail),
        LiveView::Hosts => hosts_table(data, state.sort, seconds),
        LiveView::Conversations => conversations_table(data, state.sort, seconds),
        LiveView::Servers => servers_table(data),
        LiveView::Processes => processes_table(data.processes),
        LiveView::Help => help_table(),
    };
    (columns, rows, Vec::new())
}

/// The table fitted to `width`, at most `room` rows of those that pass the
/// filter and a line on the rest, or a line saying why there are none.
fn body(
    data: &ScreenData<'_>,
    state: &ScreenState,
    columns: &[Column],
    rows: Vec<Vec<String>>,
    (width, room): (usize, usize),
) -> Vec<String> {
    let unfiltered = rows.len();
    let rows: Vec<Vec<String>> = if state.view == LiveView::Help {
        rows
    } else {
        rows.into_iter()
            .filter(|row| matches(row, &state.filter))
            .collect()
    };
    if rows.is_empty() && unfiltered > 0 {
        return vec![format!(
            "(none of {unfiltered} rows matches /{})",
            state.filter
        )];
    }
    if rows.is_empty() {
        return vec![match state.view {
            LiveView::Services => "(no TCP, UDP or SCTP traffic with ports yet)".to_string(),
            LiveView::Processes if !data.processes.available => {
                "(no process information: not capturing on this machine's sockets, or no /proc)"
                    .to_string()
            }
            _ => format!("(no {} yet)", state.view.name()),
        }];
    }
    let shown = room.min(rows.len());
    let mut lines = fit_table(columns, &rows[..shown], width);
    if rows.len() > shown {
        lines.push(cut(
            &format!(
                "({} more; a taller terminal shows more)",
                format_count((rows.len() - shown) as u64)
            ),
            width,
        ));
    }
    lines
}

/// A header line in lines of at most `width`, broken after its "; "
/// separators (a part longer than the width is cut).
fn wrap_parts(line: &str, width: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for part in line.split("; ") {
        let candidate = if current.is_empty() {
            part.to_string()
        } else {
            format!("{current}; {part}")
        };
        if width_of(&candidate) <= width || current.is_empty() {
            current = candidate;
        } else {
            out.push(cut(&format!("{current};"), width));
            current = format!("  {part}");
        }
    }
    out.push(cut(&current, width));
    out
}

type Table = (Vec<Column>, Vec<Vec<String>>);

fn services_table(rows: &[LiveServiceRow]) -> (Vec<Column>, Vec<Vec<String>>, Vec<ServiceKey>) {
    let columns = vec![
        col("service", 0, false),
        col("port", 0, false),
        col("bits/s", 0, true),
        col("packets/s", 2, true),
        col("bytes", 1, true),
        col("packets", 3, true),
        col("share", 2, true),
        col("identified by", 4, false),
    ];
    let cells = rows
        .iter()
        .map(|r| {
            let port = with_tunnel(port_label(r.key), r.key.tunnel);
            vec![
                r.service.clone().unwrap_or_else(|| port.clone()),
                port,
                format_rate(r.bits_per_second),
                format!("{:.1}", r.packets_per_second),
                format_bytes(r.total_bytes),
                format_count(r.total_packets),
                format_share(r.share),
                identified_words(r.identified_by),
            ]
        })
        .collect();
    let keys = rows
        .iter()
        .map(|r| (r.key.transport, r.key.port, r.key.failed))
        .collect();
    (columns, cells, keys)
}

/// One service's servers, clients and conversations, as one table with a
/// heading row per section.
fn detail_table(data: &ScreenData<'_>, key: Option<ServiceKey>) -> Table {
    let columns = vec![
        col("", 0, false),
        col("to server", 0, true),
        col("from server", 0, true),
        col("conversations", 2, true),
        col("process", 1, false),
    ];
    let Some((transport, Some(port), false)) = key else {
        return (columns, Vec::new());
    };
    let section = |title: String| {
        vec![
            title,
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ]
    };
    let mut rows = vec![section(format!("servers of {port}/{transport}:"))];
    for s in &data.totals.read.servers.entries {
        if s.transport == transport && s.port == port {
            rows.push(vec![
                format!("  {}", named(s.address, s.label().as_deref())),
                format_bytes(s.to_server_bytes),
                format_bytes(s.from_server_bytes),
                format_count(s.conversations),
                s.process
                    .as_ref()
                    .map(|p| format!("{} ({})", p.name, p.pid))
                    .unwrap_or_default(),
            ]);
        }
    }
    // Clients and conversations, from the top conversations.
    let conversations: Vec<_> = data
        .totals
        .report
        .conversations
        .entries
        .iter()
        .filter(|c| c.transport == transport && c.server_port == port)
        .collect();
    let mut clients: HashMap<IpAddr, (u64, u64, u64)> = HashMap::new();
    for c in &conversations {
        let entry = clients.entry(c.client).or_default();
        entry.0 += c.to_server_bytes;
        entry.1 += c.to_client_bytes;
        entry.2 += 1;
    }
    let mut clients: Vec<_> = clients.into_iter().collect();
    // Ties by the address as text, as the screen shows it.
    clients.sort_by(|a, b| {
        (b.1.0 + b.1.1)
            .cmp(&(a.1.0 + a.1.1))
            .then_with(|| a.0.to_string().cmp(&b.0.to_string()))
    });
    rows.push(section(format!("clients ({}):", clients.len())));
    for (client, (up, down, n)) in clients {
        rows.push(vec![
            format!("  {client}"),
            format_bytes(up),
            format_bytes(down),
            format_count(n),
            String::new(),
        ]);
    }
    rows.push(section(format!("conversations ({}):", conversations.len())));
    for c in conversations {
        rows.push(vec![
            format!("  {}:{} → {}", c.client, c.client_port, c.server),
            format_bytes(c.to_server_bytes),
            format_bytes(c.to_client_bytes),
            String::new(),
            String::new(),
        ]);
    }
    (columns, rows)
}

/// Sorts `(recent bytes, total bytes, row)` by the screen's order.
fn ordered(mut rows: Vec<(u64, u64, Vec<String>)>, sort: LiveSort) -> Vec<Vec<String>> {
    match sort {
        LiveSort::Rate => rows.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1))),
        LiveSort::Total => rows.sort_by_key(|row| std::cmp::Reverse(row.1)),
    }
    rows.into_iter().map(|(_, _, row)| row).collect()
}

fn hosts_table(data: &ScreenData<'_>, sort: LiveSort, seconds: f64) -> Table {
    let columns = vec![
        col("host", 0, false),
        col("sent/s", 0, true),
        col("received/s", 0, true),
        col("sent", 1, true),
        col("received", 1, true),
        col("packets", 3, true),
    ];
    let recent: HashMap<IpAddr, (u64, u64)> = data
        .interval
        .report
        .hosts
        .entries
        .iter()
        .map(|h| (h.address, (h.sent_bytes, h.received_bytes)))
        .collect();
    let rows = data
        .totals
        .report
        .hosts
        .entries
        .iter()
        .map(|h| {
            let (sent, received) = recent.get(&h.address).copied().unwrap_or((0, 0));
            (
                sent + received,
                h.sent_bytes + h.received_bytes,
                vec![
                    named(h.address, h.label().as_deref()),
                    format_rate(sent as f64 * 8.0 / seconds),
                    format_rate(received as f64 * 8.0 / seconds),
                    format_bytes(h.sent_bytes),
                    format_bytes(h.received_bytes),
                    format_count(h.sent_packets + h.received_packets),
                ],
            )
        })
        .collect();
    (columns, ordered(rows, sort))
}

/// A conversation as the screen matches it between the interval and the
/// totals: client, client port, server, server port, transport.
type ConversationId = (IpAddr, u16, IpAddr, u16, Transport);

fn conversations_table(data: &ScreenData<'_>, sort: LiveSort, seconds: f64) -> Table {
    let columns = vec![
        col("client", 0, false),
        col("server", 0, false),
        col("service", 1, false),
        col("→ /s", 0, true),
        col("← /s", 0, true),
        col("→ bytes", 2, true),
        col("← bytes", 2, true),
        col("packets", 3, true),
        col("duration", 3, true),
    ];
    let key = |c: &ConversationView| {
        (
            c.client,
            c.client_port,
            c.server,
            c.server_port,
            c.transport,
        )
    };
    let recent: HashMap<ConversationId, (u64, u64)> = data
        .interval
        .report
        .conversations
        .entries
        .iter()
        .map(|c| (key(c), (c.to_server_bytes, c.to_client_bytes)))
        .collect();
    let rows = data
        .totals
        .report
        .conversations
        .entries
        .iter()
        .map(|c| {
            let (up, down) = recent.get(&key(c)).copied().unwrap_or((0, 0));
            (
                up + down,
                c.to_server_bytes + c.to_client_bytes,
                vec![
                    named(
                        endpoint(c.client, c.client_port),
                        c.client_label().as_deref(),
                    ),
                    named(
                        format_args!("{}/{}", endpoint(c.server, c.server_port), c.transport),
                        c.server_label().as_deref(),
                    ),
                    c.service.clone().unwrap_or_default(),
                    format_rate(up as f64 * 8.0 / seconds),
                    format_rate(down as f64 * 8.0 / seconds),
                    format_bytes(c.to_server_bytes),
                    format_bytes(c.to_client_bytes),
                    format_count(c.to_server_packets + c.to_client_packets),
                    c.duration_seconds
                        .map_or_else(String::new, |d| format!("{d:.1} s")),
                ],
            )
        })
        .collect();
    (columns, ordered(rows, sort))
}

fn servers_table(data: &ScreenData<'_>) -> Table {
    let columns = vec![
        col("server", 0, false),
        col("service", 0, false),
        col("to server", 1, true),
        col("from server", 1, true),
        col("conversations", 3, true),
        col("clients", 2, true),
        col("process", 1, false),
        col("top client", 4, false),
    ];
    let rows = data
        .totals
        .read
        .servers
        .entries
        .iter()
        .map(|s| {
            vec![
                named(
                    format_args!("{}/{}", endpoint(s.address, s.port), s.transport),
                    s.label().as_deref(),
                ),
                s.service.clone().unwrap_or_default(),
                format_bytes(s.to_server_bytes),
                format_bytes(s.from_server_bytes),
                format_count(s.conversations),
                format_count(s.clients),
                s.process
                    .as_ref()
                    .map(|p| format!("{} ({})", p.name, p.pid))
                    .unwrap_or_default(),
                s.top_clients
                    .first()
                    .map(|c| c.address.to_string())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    (columns, rows)
}

fn processes_table(processes: &ProcessesView) -> Table {
    let columns = vec![
        col("process", 0, false),
        col("pid", 0, true),
        col("user", 2, false),
        col("sent", 0, true),
        col("received", 0, true),
        col("conversations", 3, true),
    ];
    let rows = processes
        .entries
        .iter()
        .map(|p| {
            vec![
                p.name.clone(),
                p.pid.to_string(),
                p.user.clone(),
                format_bytes(p.sent_bytes),
                format_bytes(p.received_bytes),
                format_count(p.conversations),
            ]
        })
        .collect();
    (columns, rows)
}

fn help_table() -> Table {
    let columns = vec![col("key", 0, false), col("what it does", 0, false)];
    let rows = [
        (
            "1, 2, 3, 4, 5",
            "services, hosts, conversations, servers, processes",
        ),
        ("Tab", "the next view"),
        ("Up, Down (k, j)", "highlight a service row"),
        (
            "Enter",
            "the highlighted service: its servers, clients, conversations (Esc returns)",
        ),
        ("s", "sort by current rate or by total"),
        (
            "/",
            "show only rows containing what you type (Enter keeps it, Esc clears it)",
        ),
        ("space", "pause the display (the capture goes on counting)"),
        ("?", "this help (any view key leaves it)"),
        (
            "q, Esc, Ctrl-C",
            "stop, and print the summary (Esc clears a filter first)",
        ),
    ]
    .iter()
    .map(|(k, v)| vec![(*k).to_string(), (*v).to_string()])
    .collect();
    (columns, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> (Vec<Column>, Vec<Vec<String>>) {
        let columns = vec![
            col("service", 0, false),
            col("port", 0, false),
            col("bits/s", 0, true),
            col("packets", 3, true),
            col("identified by", 4, false),
        ];
        let rows = vec![
            vec![
                "iperf3".to_string(),
                "5201/tcp".to_string(),
                "9.4 Gbit/s".to_string(),
                "1,234,567".to_string(),
                "handshake".to_string(),
            ],
            vec![
                "a-very-long-service-name".to_string(),
                "33434/udp".to_string(),
                "1 kbit/s".to_string(),
                "3".to_string(),
                "port db".to_string(),
            ],
        ];
        (columns, rows)
    }

    #[test]
    fn header_lines_wrap_between_parts() {
        let line = "elapsed 4.5 s; seen 540 packets, 9.0 MB; received 541, dropped by kernel 0, by interface 0";
        let lines = wrap_parts(line, 40);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[1].starts_with("  received 541"), "{lines:?}");
        assert!(lines.iter().all(|l| width_of(l) <= 40), "{lines:?}");
        assert_eq!(wrap_parts(line, 200), [line]);
    }

    #[test]
    fn wide_screens_show_every_column() {
        let (columns, rows) = table();
        let lines = fit_table(&columns, &rows, 200);
        assert!(lines[0].contains("identified by"), "{lines:?}");
        assert!(lines[2].contains("5201/tcp") && lines[2].contains("handshake"));
    }

    #[test]
    fn narrow_screens_drop_columns_by_priority_and_never_wrap() {
        let (columns, rows) = table();
        for width in [20, 30, 40, 50, 60, 70] {
            let lines = fit_table(&columns, &rows, width);
            assert_eq!(lines.len(), 2 + rows.len(), "{width}: {lines:?}");
            for line in &lines {
                assert!(width_of(line) <= width, "{width}: {line:?}");
            }
            // The must-keep columns stay whole where they fit.
            if width >= 40 {
                assert!(
                    lines[2].contains("5201/tcp") && lines[2].contains("9.4 Gbit/s"),
                    "{width}: {lines:?}"
                );
            }
        }
        let narrow = fit_table(&columns, &rows, 40);
        assert!(!narrow[0].contains("identified"), "{narrow:?}");
        // The long name is cut with an ellipsis, not wrapped.
        assert!(narrow[3].contains('…'), "{narrow:?}");
    }
}
