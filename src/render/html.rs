//! The report as one self-contained HTML page: inline CSS and inline SVG
//! charts, nothing fetched from anywhere, readable in light and dark mode
//! and on paper.
//!
//! The sections follow [`write_markdown`](super::report::write_markdown):
//! overview, transports, services (a bar chart, then the table with how
//! each port was identified, and the fragments attributed), tunnels (with
//! `--decap`), port classes, port scans, top hosts, top conversations,
//! services over time (a stacked chart) and the ports the database does not
//! know. Every string that comes from the data or the command line is
//! escaped: captures and summary files are untrusted.

use super::port_label;
use super::report::{
    PeakView, ReportView, SCANS_OFF, TimeSeriesView, TopView, accuracy_note, format_duration,
    fragments_sentence, no_scans_sentence, peak_note, row_name, scans_criteria_sentence,
    scans_overview, tunnel_share, with_tunnel,
};
use super::text::identified_label;
use super::{ScanView, ServiceView, format_bytes, format_count, format_rate, format_timestamp};
use std::fmt::{self, Write as _};
use std::io;

/// Rows of any table, whatever `--top` says, so that the page stays small
/// (under about 1 MB) even with `--top 0`; CSV has every row.
const MAX_ROWS: usize = 300;
/// Rows of the port scans table (each a long one), whatever `--top` says;
/// JSON has every finding.
const MAX_SCAN_ROWS: usize = 100;
/// Bars of the services chart; the rest is one bar.
const MAX_BARS: usize = 40;
/// Series of the time chart; the rest is stacked as "other".
const MAX_SERIES: usize = 20;
/// Buckets of the time chart given hover tooltips (the view's chart series
/// has at most `CHART_BUCKETS`, fewer than this).
const MAX_HOVER_BUCKETS: usize = 300;

/// Width of every chart's coordinate system (it scales to the page).
const CHART_WIDTH: f64 = 960.0;
/// Vertical resolution of the time chart's areas.
const LEVELS: f64 = 1000.0;

/// Series colours for light backgrounds; index `i` is the `i`-th service
/// by bytes in both charts and the table swatches.
const LIGHT_PALETTE: [&str; 10] = [
    "#3b6fb6", "#e07b1a", "#d0414c", "#3f9142", "#8e62bd", "#23968a", "#c49a1d", "#d860b4",
    "#8a6a4c", "#1496b8",
];
/// The same hues, lighter, for dark backgrounds.
const DARK_PALETTE: [&str; 10] = [
    "#6fa0e8", "#f5a54a", "#f07178", "#74c66b", "#b592df", "#4cc4b5", "#e5c453", "#f59bd6",
    "#c29e79", "#4cc9e8",
];

/// Writes the report as one HTML document.
pub fn write_html(view: &ReportView, out: &mut dyn io::Write) -> io::Result<()> {
    let mut page = String::with_capacity(128 * 1024);
    write_page(view, &mut page)
        .map_err(|_| io::Error::other("formatting the HTML report failed"))?;
    out.write_all(page.as_bytes())
}

/// Text escaped for HTML element content and quoted attribute values.
struct Esc<'a>(&'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..i])?;
            f.write_str(match rest.as_bytes()[i] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[i + 1..];
        }
        f.write_str(rest)
    }
}

/// A chart coordinate, rounded to a tenth of a unit and written short
/// (`12`, `12.5`).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Px(i64);

impl Px {
    fn of(v: f64) -> Px {
        Px((v * 10.0).round() as i64)
    }
}

impl fmt::Display for Px {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        if abs.is_multiple_of(10) {
            write!(f, "{sign}{}", abs / 10)
        } else {
            write!(f, "{sign}{}.{}", abs / 10, abs % 10)
        }
    }
}

fn pct(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

fn share_of(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn bracket(address: &str) -> String {
    if address.contains(':') {
        format!("[{address}]")
    } else {
        address.to_string()
    }
}

/// Shortens `s` to `max` characters, with an ellipsis.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut short: String = s.chars().take(max.saturating_sub(1)).collect();
        short.push('…');
        short
    }
}

/// The colour of the `i`-th service (CSS), the same in every chart.
fn colour(i: usize) -> String {
    format!("var(--c{i})")
}

/// Palette custom properties for `n` colours; beyond the fixed ten, hues
/// step by the golden angle so neighbours stay apart.
fn palette_vars(n: usize, dark: bool) -> String {
    let mut vars = String::new();
    for i in 0..n {
        let fixed = if dark {
            DARK_PALETTE.get(i)
        } else {
            LIGHT_PALETTE.get(i)
        };
        match fixed {
            Some(c) => {
                let _ = write!(vars, "--c{i}:{c};");
            }
            None => {
                let hue = (i as f64 * 137.508) % 360.0;
                let light = if dark { 66 } else { 46 };
                let _ = write!(vars, "--c{i}:hsl({hue:.0} 55% {light}%);");
            }
        }
    }
    vars
}

const LIGHT_VARS: &str = "--bg:#ffffff;--fg:#1f2328;--muted:#5b636d;--border:#d5dbe1;\
--stripe:#f6f8fa;--card:#f6f8fa;--grid:#e4e8ec;--axis:#8c959f;--other:#aab2bd;\
--warn-bg:#fff8db;--warn-line:#c9a227;";
const DARK_VARS: &str = "--bg:#0f1318;--fg:#e3e8ee;--muted:#9aa3ad;--border:#343c46;\
--stripe:#151b22;--card:#161c23;--grid:#262d36;--axis:#6e7781;--other:#5d6773;\
--warn-bg:#2b2614;--warn-line:#9e7a10;";

const STYLE: &str = "\
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:28px 28px 40px}
h1{font-size:1.75em;margin:0 0 .15em;line-height:1.2}
h2{font-size:1.2em;margin:2.2em 0 .7em;padding-bottom:.3em;border-bottom:1px solid var(--border)}
.sub{color:var(--muted);margin:0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:10px;margin:18px 0 14px}
.card{background:var(--card);border:1px solid var(--border);border-radius:8px;padding:10px 14px}
.card .k{color:var(--muted);font-size:.82em}
.card .v{font-size:1.4em;font-weight:600;font-variant-numeric:tabular-nums;white-space:nowrap}
.card .d{color:var(--muted);font-size:.8em}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums;break-inside:avoid}
th,td{padding:4px 10px;border-bottom:1px solid var(--border);text-align:left;vertical-align:top}
thead th{font-weight:600;color:var(--muted);font-size:.85em;white-space:nowrap;border-bottom-width:2px}
td.n,th.n{text-align:right;white-space:nowrap}
td.a,td.t,table.buckets td{white-space:nowrap}
table.scans td.e{min-width:14em}
table.buckets{font-size:.9em}
table.buckets th,table.buckets td{padding:3px 7px}
tbody tr:nth-child(even){background:var(--stripe)}
tr.rest td{color:var(--muted);font-style:italic}
table.kv th{width:10em;color:var(--muted);font-weight:500}
table.kv ul{margin:0;padding-left:1.1em}
.bad{color:var(--fg);background:var(--warn-bg);border-radius:3px;padding:0 4px}
.approx{text-decoration:underline dotted;cursor:help}
.m{color:var(--muted)}
.note{color:var(--muted);font-size:.9em;margin:.6em 0}
.warn{background:var(--warn-bg);border-left:3px solid var(--warn-line);padding:6px 10px;color:var(--fg)}
figure{margin:0 0 14px;break-inside:avoid}
figcaption{color:var(--muted);font-size:.9em;margin-top:4px}
svg.chart{width:100%;height:auto;display:block}
svg.chart text{fill:var(--fg);font-size:12px}
svg.chart text.m,svg.chart tspan.m{fill:var(--muted)}
svg.chart .axis text{fill:var(--muted);font-size:11px}
svg.chart .grid{stroke:var(--grid);stroke-width:1}
svg.chart .base{stroke:var(--axis);stroke-width:1}
svg.chart .hover rect{fill:transparent}
svg.chart .hover rect:hover{fill:var(--fg);fill-opacity:.08}
svg.chart .peak line{stroke:var(--fg);stroke-width:1.2;stroke-dasharray:5 4}
svg.chart .peak rect{fill:var(--fg);fill-opacity:.07}
svg.chart .peak text{font-size:11.5px;paint-order:stroke;stroke:var(--bg);stroke-width:3px}
tr.peak td{font-weight:600}
.legend{list-style:none;padding:0;margin:8px 0;display:flex;flex-wrap:wrap;gap:4px 16px;font-size:.9em}
svg.sw{display:inline-block;vertical-align:-1px;margin-right:6px}
details summary{cursor:pointer;color:var(--muted);margin:6px 0}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
footer{margin-top:3em;color:var(--muted);font-size:.85em;border-top:1px solid var(--border);padding-top:.6em}
@media print{body{font-size:10.5px}main{max-width:none;padding:0}h2{break-after:avoid}tr,figure,.cards{break-inside:avoid}thead{display:table-header-group}.scroll{overflow:visible}svg.chart .hover{display:none}}
";

fn write_page(view: &ReportView, p: &mut String) -> fmt::Result {
    let services = &view.read.services;
    let colours = services
        .len()
        .min(MAX_BARS.max(MAX_SERIES))
        .max(view.report.timeseries.top_services.len().min(MAX_SERIES));
    let light = format!("{LIGHT_VARS}{}", palette_vars(colours, false));
    let dark = format!("{DARK_VARS}{}", palette_vars(colours, true));
    p.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    p.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    p.push_str("<meta name=\"color-scheme\" content=\"light dark\">\n");
    writeln!(
        p,
        "<meta name=\"generator\" content=\"portclass {}\">",
        Esc(view.read.portclass_version)
    )?;
    writeln!(
        p,
        "<title>Traffic report: {}</title>",
        Esc(&inputs_summary(view))
    )?;
    // Light by default, dark on request, and always light on paper.
    writeln!(
        p,
        "<style>\n:root{{color-scheme:light dark;{light}}}\n\
         @media (prefers-color-scheme:dark){{:root{{{dark}}}}}\n\
         @media print{{:root{{color-scheme:light;{light}}}}}\n{STYLE}</style>\n</head>\n<body>\n<main>"
    )?;
    overview(view, p)?;
    transports(view, p)?;
    services_section(view, p)?;
    if view.read.decap {
        tunnels(view, p)?;
    }
    port_classes(view, p)?;
    scans(view, p)?;
    servers(view, p)?;
    hosts(view, p)?;
    conversations(view, p)?;
    timeseries(view, p)?;
    unknown_ports(view, p)?;
    writeln!(
        p,
        "<footer>Written by portclass {} (schema <code>{}</code>). Figures count original wire bytes of every frame.</footer>\n</main>\n</body>\n</html>",
        Esc(view.read.portclass_version),
        Esc(view.read.schema)
    )
}

/// `sample.pcapng`, `a.pcap and b.pcap`, `a.pcap and 3 more`.
fn inputs_summary(view: &ReportView) -> String {
    match view.read.inputs.as_slice() {
        [] => "no input".to_string(),
        [one] => one.name.clone(),
        [a, b] => format!("{} and {}", a.name, b.name),
        [first, rest @ ..] => format!("{} and {} more", first.name, rest.len()),
    }
}

fn card(p: &mut String, key: &str, value: &str, detail: &str) -> fmt::Result {
    write!(
        p,
        "<div class=\"card\"><div class=\"k\">{}</div><div class=\"v\">{}</div>",
        Esc(key),
        Esc(value)
    )?;
    if !detail.is_empty() {
        write!(p, "<div class=\"d\">{}</div>", Esc(detail))?;
    }
    p.push_str("</div>\n");
    Ok(())
}

fn overview(view: &ReportView, p: &mut String) -> fmt::Result {
    let r = &view.read;
    writeln!(p, "<header>\n<h1>Traffic report</h1>")?;
    write!(p, "<p class=\"sub\">{}", Esc(&inputs_summary(view)))?;
    if let (Some(first), Some(last)) = (&r.first_timestamp, &r.last_timestamp) {
        write!(
            p,
            " · {} to {} UTC",
            Esc(&short_time(first)),
            Esc(&short_time(last))
        )?;
    }
    writeln!(
        p,
        "</p>\n</header>\n<section id=\"overview\">\n<h2>Overview</h2>"
    )?;

    p.push_str("<div class=\"cards\">\n");
    card(p, "packets", &format_count(r.packets), "")?;
    card(
        p,
        "bytes",
        &format_bytes(r.bytes),
        &format!("{} bytes", format_count(r.bytes)),
    )?;
    card(p, "duration", &format_duration(r.duration_seconds), "")?;
    if let Some(bps) = r.average_bits_per_second {
        card(p, "average rate", &format_rate(bps), "")?;
    }
    if let Some(peak) = &view.report.peak {
        card(
            p,
            "peak rate",
            &format_rate(peak.bits_per_second),
            &peak.detail(
                &short_time(&peak.start),
                r.duration_seconds,
                &format_width(peak.bucket_seconds),
            ),
        )?;
    }
    p.push_str("</div>\n<div class=\"scroll\"><table class=\"kv\">\n<tbody>\n");

    p.push_str("<tr><th scope=\"row\">inputs</th><td><ul>");
    for input in &r.inputs {
        write!(
            p,
            "<li><code>{}</code> <span class=\"m\">({}; {} packets, {})</span>",
            Esc(&input.name),
            Esc(&input.format),
            format_count(input.packets),
            format_bytes(input.bytes)
        )?;
        if input.status != "complete" {
            write!(p, " <span class=\"bad\">{}", Esc(input.status))?;
            if let Some(error) = &input.error {
                write!(p, ": {}", Esc(error))?;
            }
            p.push_str("</span>");
        }
        p.push_str("</li>");
    }
    p.push_str("</ul></td></tr>\n");
    if let (Some(first), Some(last)) = (&r.first_timestamp, &r.last_timestamp) {
        writeln!(
            p,
            "<tr><th scope=\"row\">time span</th><td>{} to {} ({:.3} s)</td></tr>",
            Esc(first),
            Esc(last),
            r.duration_seconds
        )?;
    }
    p.push_str("<tr><th scope=\"row\">link types</th><td>");
    for (i, l) in r.link_types.iter().enumerate() {
        if i > 0 {
            p.push_str(", ");
        }
        write!(
            p,
            "<span title=\"{}\">{}</span> ({})",
            Esc(&format!("{}, LINKTYPE {}", l.description, l.linktype)),
            Esc(&l.name),
            format_count(l.packets)
        )?;
    }
    p.push_str("</td></tr>\n");
    let t = &r.transport;
    let undecodable: u64 = r
        .decode_problems
        .iter()
        .filter(|d| d.problem == "unsupported_link_type")
        .map(|d| d.packets)
        .sum();
    write!(
        p,
        "<tr><th scope=\"row\">decode quality</th><td>truncated {}, fragments {}, non-IP {}, undecodable link type {}",
        format_count(t.truncated.packets),
        format_count(t.fragment.packets),
        format_count(t.non_ip.packets),
        format_count(undecodable)
    )?;
    let problems: Vec<_> = r.decode_problems.iter().filter(|d| d.packets > 0).collect();
    if !problems.is_empty() {
        p.push_str("<ul>");
        for d in problems {
            write!(
                p,
                "<li>{}: {} <span class=\"m\">(<code>{}</code>)</span></li>",
                Esc(d.description),
                format_count(d.packets),
                Esc(d.problem)
            )?;
        }
        p.push_str("</ul>");
    }
    p.push_str("</td></tr>\n");
    let scans = scans_overview(r.scans.as_ref());
    if r.scans.as_ref().is_some_and(|s| s.found() > 0) {
        writeln!(
            p,
            "<tr><th scope=\"row\">port scans</th><td><span class=\"bad\">{}</span> <span class=\"m\">(see Port scans below)</span></td></tr>",
            Esc(&scans)
        )?;
    } else {
        writeln!(
            p,
            "<tr><th scope=\"row\">port scans</th><td>{}</td></tr>",
            Esc(&scans)
        )?;
    }
    p.push_str("</tbody>\n</table></div>\n</section>\n");
    Ok(())
}

/// `2025-11-26T06:17:00.123456789Z` → `2025-11-26 06:17:00.123`.
fn short_time(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..23)) {
        (Some(date), Some(time)) => format!("{date} {time}"),
        _ => rfc3339.to_string(),
    }
}

/// A bucket width: `250 ms`, `1 s`, `7.8125 ms`, `5 min`.
fn format_width(seconds: f64) -> String {
    let trim = |v: f64| {
        let text = format!("{v:.6}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    if seconds < 1e-3 {
        format!("{} µs", trim(seconds * 1e6))
    } else if seconds < 1.0 {
        format!("{} ms", trim(seconds * 1e3))
    } else if seconds < 120.0 || seconds % 60.0 != 0.0 {
        format!("{} s", trim(seconds))
    } else if seconds < 7200.0 || seconds % 3600.0 != 0.0 {
        format!("{} min", trim(seconds / 60.0))
    } else {
        format!("{} h", trim(seconds / 3600.0))
    }
}

/// Starts a table with the given header cells (`numeric` ones right-aligned).
fn table_head(p: &mut String, class: &str, header: &[(&str, bool)]) -> fmt::Result {
    write!(
        p,
        "<div class=\"scroll\"><table class=\"{class}\">\n<thead><tr>"
    )?;
    for (name, numeric) in header {
        if *numeric {
            write!(p, "<th class=\"n\" scope=\"col\">{}</th>", Esc(name))?;
        } else {
            write!(p, "<th scope=\"col\">{}</th>", Esc(name))?;
        }
    }
    p.push_str("</tr></thead>\n<tbody>\n");
    Ok(())
}

fn table_end(p: &mut String) {
    p.push_str("</tbody>\n</table></div>\n");
}

fn transports(view: &ReportView, p: &mut String) -> fmt::Result {
    let r = &view.read;
    p.push_str("<section id=\"transports\">\n<h2>Traffic by transport</h2>\n");
    table_head(
        p,
        "transports",
        &[
            ("transport", false),
            ("packets", true),
            ("bytes", true),
            ("share", true),
        ],
    )?;
    for (name, c) in r.transport_rows().iter().filter(|(_, c)| c.packets > 0) {
        writeln!(
            p,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            Esc(name),
            format_count(c.packets),
            format_bytes(c.bytes),
            pct(share_of(c.bytes, r.bytes))
        )?;
    }
    table_end(p);
    p.push_str("</section>\n");
    Ok(())
}

/// A small square in the colour of the `i`-th service.
fn swatch(p: &mut String, fill: &str) -> fmt::Result {
    write!(
        p,
        "<svg class=\"sw\" width=\"11\" height=\"11\" aria-hidden=\"true\"><rect width=\"11\" height=\"11\" rx=\"2\" style=\"fill:{fill}\"/></svg>"
    )
}

/// Rows of a table of `len` rows shown in HTML: `--top`, and at most
/// [`MAX_ROWS`].
fn html_rows(view: &ReportView, len: usize) -> usize {
    view.rows(len).min(MAX_ROWS)
}

fn services_section(view: &ReportView, p: &mut String) -> fmt::Result {
    let r = &view.read;
    p.push_str("<section id=\"services\">\n<h2>By service</h2>\n");
    if r.services.is_empty() {
        p.push_str("<p>No TCP, UDP or SCTP traffic.</p>\n");
        if let Some(sentence) = fragments_sentence(r) {
            writeln!(p, "<p class=\"note\">{}</p>", Esc(&sentence))?;
        }
        p.push_str("</section>\n");
        return Ok(());
    }
    bar_chart(view, p)?;

    let shown = html_rows(view, r.services.len());
    let (top, rest) = r.services.split_at(shown);
    // With --decap the tunnel has a column of its own, first.
    let mut header = vec![
        ("service", false),
        ("port", false),
        ("packets", true),
        ("bytes", true),
        ("share", true),
        ("client → server", true),
        ("server → client", true),
        ("identified by", false),
    ];
    if r.decap {
        header.insert(0, ("tunnel", false));
    }
    table_head(p, "services", &header)?;
    for (i, s) in top.iter().enumerate() {
        // Directions come only from captures.
        let direction = view
            .report
            .service_directions
            .get(i)
            .filter(|_| view.report.details_available);
        p.push_str("<tr>");
        if r.decap {
            match s.tunnel {
                Some(t) => write!(p, "<td>{}</td>", Esc(t))?,
                None => p.push_str("<td class=\"m\">-</td>"),
            }
        }
        p.push_str("<td>");
        let fill = if i < MAX_BARS {
            colour(i)
        } else {
            "var(--other)".to_string()
        };
        swatch(p, &fill)?;
        match &s.description {
            Some(d) if !d.is_empty() => {
                write!(p, "<span title=\"{}\">{}</span>", Esc(d), Esc(&row_name(s)))?
            }
            _ => write!(p, "{}", Esc(&row_name(s)))?,
        }
        write!(
            p,
            "</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
            Esc(&port_label(s.transport, s.port, s.failed)),
            format_count(s.packets),
            format_bytes(s.bytes),
            pct(s.share),
            direction.map_or_else(|| "n/a".to_string(), |d| format_bytes(d.to_server_bytes)),
            direction.map_or_else(|| "n/a".to_string(), |d| format_bytes(d.to_client_bytes)),
        )?;
        identified_cell(p, s)?;
        p.push_str("</tr>\n");
    }
    if !rest.is_empty() {
        let hint = more_hint(view, shown);
        writeln!(
            p,
            "<tr class=\"rest\"><td colspan=\"{}\">({} more; {})</td><td></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td></td><td></td><td></td></tr>",
            1 + usize::from(r.decap),
            format_count(rest.len() as u64),
            hint,
            format_count(rest.iter().map(|s| s.packets).sum()),
            format_bytes(rest.iter().map(|s| s.bytes).sum()),
            pct(rest.iter().map(|s| s.share).sum()),
        )?;
    }
    table_end(p);
    if let Some(sentence) = fragments_sentence(r) {
        writeln!(p, "<p class=\"note\">{}</p>", Esc(&sentence))?;
    }
    p.push_str("</section>\n");
    Ok(())
}

/// How a service row's port was identified, with the packets per method
/// as a tooltip.
fn identified_cell(p: &mut String, s: &ServiceView) -> fmt::Result {
    let i = &s.identified;
    write!(
        p,
        "<td class=\"t\" title=\"packets named by a TCP handshake: {}, by the port database: {}, by the heuristic: {}\">{}</td>",
        format_count(i.handshake),
        format_count(i.port_database),
        format_count(i.heuristic),
        Esc(&identified_label(s))
    )
}

/// Frames per tunnel kind (`--decap`).
fn tunnels(view: &ReportView, p: &mut String) -> fmt::Result {
    let r = &view.read;
    p.push_str("<section id=\"tunnels\">\n<h2>Tunnels</h2>\n");
    if r.tunnels.is_empty() {
        p.push_str("<p>None: no frame came through a tunnel portclass opens.</p>\n</section>\n");
        return Ok(());
    }
    table_head(
        p,
        "tunnels",
        &[
            ("tunnel", false),
            ("packets", true),
            ("bytes", true),
            ("share", true),
        ],
    )?;
    for t in &r.tunnels {
        writeln!(
            p,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            Esc(t.tunnel),
            format_count(t.packets),
            format_bytes(t.bytes),
            pct(tunnel_share(r, t.bytes))
        )?;
    }
    table_end(p);
    p.push_str(
        "<p class=\"note\">Bytes are the outer frames&#39;; the services above count the inner ports.</p>\n</section>\n",
    );
    Ok(())
}

/// A count of a scan: a lower bound, marked `≥`, when the scan tables were
/// full.
fn scan_cell(p: &mut String, f: &ScanView, text: &str) -> fmt::Result {
    if f.distinct_exact {
        write!(p, "<td class=\"n\">{}</td>", Esc(text))
    } else {
        write!(
            p,
            "<td class=\"n approx\" title=\"at least: the scan tables were full, so some probes were not tracked\">≥&#8201;{}</td>",
            Esc(text)
        )
    }
}

/// The port scans found: one row each, or why there are none.
fn scans(view: &ReportView, p: &mut String) -> fmt::Result {
    p.push_str("<section id=\"scans\">\n<h2>Port scans</h2>\n");
    let Some(scans) = &view.read.scans else {
        writeln!(p, "<p class=\"note\">{}</p>\n</section>", Esc(SCANS_OFF))?;
        return Ok(());
    };
    if scans.found() == 0 {
        writeln!(p, "<p>{}</p>", Esc(&no_scans_sentence(scans)))?;
    } else {
        let shown = view.rows(scans.findings.len()).min(MAX_SCAN_ROWS);
        table_head(
            p,
            "scans",
            &[
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
            ],
        )?;
        for f in &scans.findings[..shown] {
            write!(
                p,
                "<tr><td>{}</td><td>{}</td><td class=\"t\"><code>{}</code></td><td class=\"t\"><code>{}</code></td>",
                Esc(&f.kind),
                Esc(&f.transport),
                Esc(&f.source.to_string()),
                Esc(&f.target_label())
            )?;
            scan_cell(
                p,
                f,
                &format!("{} {}", format_count(f.distinct), f.distinct_noun()),
            )?;
            for n in [f.open, f.closed, f.unanswered] {
                scan_cell(p, f, &format_count(n))?;
            }
            writeln!(
                p,
                "<td title=\"first failed probe {} to last {}, {} failed probes\">{}</td><td class=\"n\">{}</td><td class=\"e\">{}</td></tr>",
                Esc(&f.first_timestamp),
                Esc(&f.last_timestamp),
                format_count(f.probes),
                Esc(&short_time(&f.first_timestamp)),
                Esc(&format_duration(f.duration_seconds())),
                Esc(&f.evidence_text)
            )?;
        }
        if scans.findings.len() > shown {
            writeln!(
                p,
                "<tr class=\"rest\"><td colspan=\"11\">({} more; {})</td></tr>",
                format_count((scans.findings.len() - shown) as u64),
                if view.top != 0 && shown < MAX_SCAN_ROWS {
                    "--top 0 lists all"
                } else {
                    "--format json lists all"
                }
            )?;
        }
        table_end(p);
        writeln!(
            p,
            "<p class=\"note\">{}</p>",
            Esc(&scans_criteria_sentence(scans))
        )?;
    }
    for caveat in scans.caveats() {
        writeln!(p, "<p class=\"note warn\">Note: {}.</p>", Esc(&caveat))?;
    }
    p.push_str("</section>\n");
    Ok(())
}

/// Horizontal bars of the top services by bytes, the rest as one bar.
fn bar_chart(view: &ReportView, p: &mut String) -> fmt::Result {
    let services = &view.read.services;
    let shown = view.rows(services.len()).min(MAX_BARS);
    let (top, rest) = services.split_at(shown);
    let rest_bytes: u64 = rest.iter().map(|s| s.bytes).sum();
    let rows = top.len() + usize::from(!rest.is_empty());
    let max = top
        .iter()
        .map(|s| s.bytes)
        .chain((!rest.is_empty()).then_some(rest_bytes))
        .max()
        .unwrap_or(0)
        .max(1) as f64;

    const ROW: f64 = 24.0;
    const BAR: f64 = 16.0;
    const LABEL: f64 = 270.0;
    const VALUE: f64 = 150.0;
    let bar_space = CHART_WIDTH - LABEL - VALUE;
    let height = rows as f64 * ROW + 8.0;
    write!(
        p,
        "<figure>\n<svg class=\"chart bars\" viewBox=\"0 0 {} {}\" role=\"img\" aria-labelledby=\"bars-title\">\
         <title id=\"bars-title\">Services by bytes</title>\n",
        Px::of(CHART_WIDTH),
        Px::of(height)
    )?;
    writeln!(
        p,
        "<line class=\"base\" x1=\"{x}\" y1=\"4\" x2=\"{x}\" y2=\"{y}\"/>",
        x = Px::of(LABEL),
        y = Px::of(height - 4.0)
    )?;
    let bar = |p: &mut String,
               row: usize,
               class: &str,
               name: &str,
               port: &str,
               bytes: u64,
               share: f64,
               fill: &str|
     -> fmt::Result {
        let y = 4.0 + row as f64 * ROW;
        let width = (bytes as f64 / max * bar_space).max(if bytes > 0 { 1.0 } else { 0.0 });
        let text_y = Px::of(y + ROW / 2.0 + 4.0);
        write!(
            p,
            "<g class=\"{class}\" data-service=\"{}\"><title>{} {}: {} ({} bytes), {}</title>",
            Esc(name),
            Esc(name),
            Esc(port),
            format_bytes(bytes),
            format_count(bytes),
            pct(share)
        )?;
        write!(
            p,
            "<text x=\"{}\" y=\"{text_y}\" text-anchor=\"end\">{} <tspan class=\"m\">{}</tspan></text>",
            Px::of(LABEL - 8.0),
            Esc(&clip(name, 24)),
            Esc(port)
        )?;
        write!(
            p,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"2\" style=\"fill:{fill}\"/>",
            Px::of(LABEL),
            Px::of(y + (ROW - BAR) / 2.0),
            Px::of(width),
            Px::of(BAR)
        )?;
        writeln!(
            p,
            "<text class=\"m\" x=\"{}\" y=\"{text_y}\">{} · {}</text></g>",
            Px::of(LABEL + width + 6.0),
            format_bytes(bytes),
            pct(share)
        )
    };
    for (i, s) in top.iter().enumerate() {
        bar(
            p,
            i,
            "bar",
            &with_tunnel(row_name(s), s.tunnel),
            &port_label(s.transport, s.port, s.failed),
            s.bytes,
            s.share,
            &colour(i),
        )?;
    }
    if !rest.is_empty() {
        let name = format!(
            "{} other service{}",
            format_count(rest.len() as u64),
            if rest.len() == 1 { "" } else { "s" }
        );
        bar(
            p,
            top.len(),
            "bar rest",
            &name,
            "",
            rest_bytes,
            rest.iter().map(|s| s.share).sum(),
            "var(--other)",
        )?;
    }
    p.push_str("</svg>\n");
    if rest.is_empty() {
        writeln!(
            p,
            "<figcaption>All {} services by bytes.</figcaption>",
            top.len()
        )?;
    } else {
        writeln!(
            p,
            "<figcaption>The top {} services by bytes; the other {} as one bar.</figcaption>",
            top.len(),
            format_count(rest.len() as u64)
        )?;
    }
    p.push_str("</figure>\n");
    Ok(())
}

fn port_classes(view: &ReportView, p: &mut String) -> fmt::Result {
    p.push_str("<section id=\"port-classes\">\n<h2>By port class</h2>\n");
    table_head(
        p,
        "port-classes",
        &[
            ("class", false),
            ("services", true),
            ("packets", true),
            ("bytes", true),
            ("share", true),
        ],
    )?;
    for c in &view.report.port_classes {
        let range = match c.class {
            "well-known" => "ports 0-1023",
            "registered" => "ports 1024-49151",
            "dynamic" => "ports 49152-65535",
            _ => "",
        };
        writeln!(
            p,
            "<tr><td>{} <span class=\"m\">{}</span></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            Esc(c.class),
            range,
            format_count(c.services),
            format_count(c.packets),
            format_bytes(c.bytes),
            pct(c.share)
        )?;
    }
    table_end(p);
    p.push_str("</section>\n");
    Ok(())
}

/// A figure of a top-K row: when the row is not exact it is a lower bound,
/// marked "≥" with a tooltip saying how much more the truth may be.
fn figure_cell(p: &mut String, text: &str, overestimate: u64) -> fmt::Result {
    if overestimate == 0 {
        write!(p, "<td class=\"n\">{}</td>", Esc(text))
    } else {
        write!(
            p,
            "<td class=\"n approx\" title=\"approximate: at least this; the row may have up to {} more\">≥&#8201;{}</td>",
            format_bytes(overestimate),
            Esc(text)
        )
    }
}

fn accuracy_cell(p: &mut String, overestimate: u64) -> fmt::Result {
    if overestimate == 0 {
        p.push_str("<td class=\"a m\">exact</td>");
        Ok(())
    } else {
        write!(
            p,
            "<td class=\"a approx\" title=\"a bounded summary was kept: the figures are lower bounds, the truth is at most {b} more\">at least; up to {b} more</td>",
            b = format_bytes(overestimate)
        )
    }
}

/// The accuracy sentence under a top-K table; `next_estimate` is the
/// estimated bytes of the first row not shown.
fn top_note<T, U>(
    p: &mut String,
    top: &TopView<T, U>,
    next_estimate: u64,
    what: &str,
) -> fmt::Result {
    let class = if top.exact { "note" } else { "note warn" };
    writeln!(
        p,
        "<p class=\"{class}\">{}</p>",
        Esc(&accuracy_note(
            top.exact,
            top.capacity,
            top.error_bound_bytes,
            next_estimate,
            what
        ))
    )
}

/// The hint of a "(N more)" row.
fn more_hint(view: &ReportView, shown: usize) -> &'static str {
    if view.top != 0 && shown < MAX_ROWS {
        "--top 0 lists all"
    } else {
        "--format csv lists all"
    }
}

/// The label of the "others" row of a top-K table, which holds the exact
/// totals less the rows shown: `count` others when every key was kept,
/// else an unknown number. When the rows shown are lower bounds, the
/// difference is an upper bound, marked "≤".
fn others_label(count: Option<usize>, what: &str, hint: &str) -> String {
    match count {
        Some(n) => format!("({} more {what}; {hint})", format_count(n as u64)),
        None => format!("(all other {what})"),
    }
}

fn rest_cell(p: &mut String, bytes: u64, upper_bound: bool) -> fmt::Result {
    if upper_bound {
        write!(
            p,
            "<td class=\"n approx\" title=\"at most: the exact total less the rows above, which are lower bounds\">≤&#8201;{}</td>",
            format_bytes(bytes)
        )
    } else {
        write!(p, "<td class=\"n\">{}</td>", format_bytes(bytes))
    }
}

/// Writes the "not available" paragraph and returns true when some inputs
/// were `read`/`live` summaries, whose frames carry no hosts, conversations,
/// directions or time series (as the Markdown report does).
fn details_missing(view: &ReportView, p: &mut String) -> bool {
    if view.report.details_available {
        return false;
    }
    p.push_str(
        "<p class=\"note warn\">Not available: some inputs were <code>read</code> or <code>live</code> summaries, \
         which carry no hosts, conversations, directions or time series.</p>\n</section>\n",
    );
    true
}

fn servers(view: &ReportView, p: &mut String) -> fmt::Result {
    let servers = &view.read.servers;
    p.push_str("<section id=\"servers\">\n<h2>Servers that answered</h2>\n");
    if servers.entries.is_empty() {
        p.push_str("<p>None.</p>\n</section>\n");
        return Ok(());
    }
    let shown = html_rows(view, servers.entries.len());
    table_head(
        p,
        "servers",
        &[
            ("server", false),
            ("service", false),
            ("to server", true),
            ("from server", true),
            ("conversations", true),
            ("clients", true),
            ("top clients (conversations)", false),
            ("first seen", false),
            ("last seen", false),
        ],
    )?;
    for s in &servers.entries[..shown] {
        write!(
            p,
            "<tr><td><code>{}:{}/{}</code></td><td>{}</td>",
            Esc(&bracket(&s.address)),
            s.port,
            Esc(s.transport),
            Esc(s.service.as_deref().unwrap_or("-"))
        )?;
        figure_cell(p, &format_bytes(s.to_server_bytes), s.overestimate_bytes)?;
        figure_cell(p, &format_bytes(s.from_server_bytes), s.overestimate_bytes)?;
        let clients = if s.clients_approximate {
            format!("≈{}", format_count(s.clients))
        } else {
            format_count(s.clients)
        };
        let top: Vec<String> = s
            .top_clients
            .iter()
            .take(3)
            .map(|c| format!("{} ({})", c.address, format_count(c.conversations)))
            .collect();
        writeln!(
            p,
            "<td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            format_count(s.conversations),
            Esc(&clients),
            Esc(&top.join(", ")),
            Esc(&s
                .first_timestamp
                .as_deref()
                .map_or_else(|| "-".to_string(), short_time)),
            Esc(&s
                .last_timestamp
                .as_deref()
                .map_or_else(|| "-".to_string(), short_time)),
        )?;
    }
    more_rows(p, view, servers.entries.len(), shown, 9)?;
    table_end(p);
    let accuracy = if servers.exact {
        String::new()
    } else {
        format!(
            " More servers than the {} kept: figures are lower bounds, and a server not listed has at most {}.",
            format_count(servers.capacity as u64),
            format_bytes(servers.error_bound_bytes)
        )
    };
    writeln!(
        p,
        "<p class=\"note\">Endpoints that answered: their TCP handshake or UDP reply was seen, or (traffic whose start was not captured) the port database names their port. Conversations counts those whose opening was seen.{}</p>\n</section>",
        Esc(&accuracy)
    )
}

fn hosts(view: &ReportView, p: &mut String) -> fmt::Result {
    let hosts = &view.report.hosts;
    p.push_str("<section id=\"hosts\">\n<h2>Top hosts</h2>\n");
    if details_missing(view, p) {
        return Ok(());
    }
    let shown = html_rows(view, hosts.entries.len());
    table_head(
        p,
        "hosts",
        &[
            ("host", false),
            ("sent", true),
            ("received", true),
            ("packets", true),
            ("accuracy", false),
        ],
    )?;
    for h in &hosts.entries[..shown] {
        write!(p, "<tr><td><code>{}</code></td>", Esc(&h.address))?;
        figure_cell(p, &format_bytes(h.sent_bytes), h.overestimate_bytes)?;
        figure_cell(p, &format_bytes(h.received_bytes), h.overestimate_bytes)?;
        figure_cell(
            p,
            &format_count(h.sent_packets + h.received_packets),
            h.overestimate_bytes,
        )?;
        accuracy_cell(p, h.overestimate_bytes)?;
        p.push_str("</tr>\n");
    }
    let listed = &hosts.entries[..shown];
    let sent: u64 = listed.iter().map(|h| h.sent_bytes).sum();
    let received: u64 = listed.iter().map(|h| h.received_bytes).sum();
    let packets: u64 = listed
        .iter()
        .map(|h| h.sent_packets + h.received_packets)
        .sum();
    let t = &hosts.totals;
    let more = hosts.exact.then(|| hosts.entries.len() - shown);
    let others = match more {
        Some(n) => n > 0,
        None => t.sent_bytes + t.received_bytes > sent + received,
    };
    if others {
        let upper = listed.iter().any(|h| h.overestimate_bytes > 0);
        write!(
            p,
            "<tr class=\"rest\"><td>{}</td>",
            Esc(&others_label(more, "hosts", more_hint(view, shown)))
        )?;
        rest_cell(p, t.sent_bytes.saturating_sub(sent), upper)?;
        rest_cell(p, t.received_bytes.saturating_sub(received), upper)?;
        writeln!(
            p,
            "<td class=\"n\">{}{}</td><td></td></tr>",
            if upper { "≤&#8201;" } else { "" },
            format_count((t.sent_packets + t.received_packets).saturating_sub(packets))
        )?;
    }
    table_end(p);
    let next = hosts.entries.get(shown).map_or(0, |h| {
        h.sent_bytes + h.received_bytes + h.overestimate_bytes
    });
    top_note(p, hosts, next, "hosts")?;
    p.push_str("</section>\n");
    Ok(())
}

fn conversations(view: &ReportView, p: &mut String) -> fmt::Result {
    let conversations = &view.report.conversations;
    p.push_str("<section id=\"conversations\">\n<h2>Top conversations</h2>\n");
    if details_missing(view, p) {
        return Ok(());
    }
    let shown = html_rows(view, conversations.entries.len());
    table_head(
        p,
        "conversations",
        &[
            ("client", false),
            ("server", false),
            ("service", false),
            ("client → server", true),
            ("server → client", true),
            ("accuracy", false),
        ],
    )?;
    for c in &conversations.entries[..shown] {
        let service = c
            .service
            .clone()
            .unwrap_or_else(|| format!("{}/{}", c.server_port, c.transport));
        write!(
            p,
            "<tr><td><code>{}:{}</code></td><td><code>{}:{}</code></td><td>{} <span class=\"m\">{}</span></td>",
            Esc(&bracket(&c.client)),
            c.client_port,
            Esc(&bracket(&c.server)),
            c.server_port,
            Esc(&service),
            Esc(c.transport)
        )?;
        figure_cell(p, &format_bytes(c.to_server_bytes), c.overestimate_bytes)?;
        figure_cell(p, &format_bytes(c.to_client_bytes), c.overestimate_bytes)?;
        accuracy_cell(p, c.overestimate_bytes)?;
        p.push_str("</tr>\n");
    }
    let listed = &conversations.entries[..shown];
    let to_server: u64 = listed.iter().map(|c| c.to_server_bytes).sum();
    let to_client: u64 = listed.iter().map(|c| c.to_client_bytes).sum();
    let t = &conversations.totals;
    let more = conversations
        .exact
        .then(|| conversations.entries.len() - shown);
    let others = match more {
        Some(n) => n > 0,
        None => t.to_server_bytes + t.to_client_bytes > to_server + to_client,
    };
    if others {
        let upper = listed.iter().any(|c| c.overestimate_bytes > 0);
        write!(
            p,
            "<tr class=\"rest\"><td colspan=\"3\">{}</td>",
            Esc(&others_label(more, "conversations", more_hint(view, shown)))
        )?;
        rest_cell(p, t.to_server_bytes.saturating_sub(to_server), upper)?;
        rest_cell(p, t.to_client_bytes.saturating_sub(to_client), upper)?;
        p.push_str("<td></td></tr>\n");
    }
    table_end(p);
    let next = conversations.entries.get(shown).map_or(0, |c| {
        c.to_server_bytes + c.to_client_bytes + c.overestimate_bytes
    });
    top_note(p, conversations, next, "conversations")?;
    p.push_str("</section>\n");
    Ok(())
}

fn more_rows(
    p: &mut String,
    view: &ReportView,
    len: usize,
    shown: usize,
    columns: usize,
) -> fmt::Result {
    if len > shown {
        writeln!(
            p,
            "<tr class=\"rest\"><td colspan=\"{columns}\">({} more; {})</td></tr>",
            format_count((len - shown) as u64),
            more_hint(view, shown)
        )?;
    }
    Ok(())
}

fn unknown_ports(view: &ReportView, p: &mut String) -> fmt::Result {
    let unknown = &view.report.unknown_ports;
    p.push_str(
        "<section id=\"unknown-ports\">\n<h2>Server ports the database does not know</h2>\n",
    );
    if unknown.is_empty() {
        p.push_str("<p>None.</p>\n</section>\n");
        return Ok(());
    }
    let shown = html_rows(view, unknown.len());
    table_head(
        p,
        "unknown-ports",
        &[
            ("port", false),
            ("servers", true),
            ("packets", true),
            ("bytes", true),
        ],
    )?;
    for u in &unknown[..shown] {
        writeln!(
            p,
            "<tr><td>{}/{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            u.port,
            Esc(u.transport),
            format_count(u.servers),
            format_count(u.packets),
            format_bytes(u.bytes)
        )?;
    }
    more_rows(p, view, unknown.len(), shown, 4)?;
    table_end(p);
    p.push_str(
        "<p class=\"note\">Ports on which a server answered (a client's port never shows here), with the traffic to and from those servers. \
         Name them with <code>--port-db FILE</code>.</p>\n</section>\n",
    );
    Ok(())
}

/// Geometry of the time chart's plot area.
struct Plot {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Plot {
    fn width(&self) -> f64 {
        self.right - self.left
    }
    fn height(&self) -> f64 {
        self.bottom - self.top
    }
}

/// A round step for about `ticks` intervals up to `max` (1, 2, 2.5, 5 ×
/// a power of ten).
fn nice_step(max: f64, ticks: f64) -> f64 {
    let raw = (max / ticks).max(f64::MIN_POSITIVE);
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw * 0.999_999)
        .unwrap_or(10.0 * magnitude);
    step.max(f64::MIN_POSITIVE)
}

const SECOND: i64 = 1_000_000_000;

/// Candidate time-axis steps in nanoseconds: 1-2-5 below a second, then
/// clock-friendly steps, then weeks.
fn time_steps() -> Vec<i64> {
    let mut steps = Vec::new();
    let mut decade = 1i64;
    while decade < SECOND {
        steps.extend([decade, 2 * decade, 5 * decade]);
        decade *= 10;
    }
    for s in [
        1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200,
        86_400, 172_800, 604_800,
    ] {
        steps.push(s * SECOND);
    }
    steps
}

/// Characters of a time label at this step, and the label itself.
fn time_label(ns: i64, step: i64) -> (String, String) {
    let stamp = format_timestamp(ns);
    let date = stamp.get(..10).unwrap_or("").to_string();
    let end = if step >= 86_400 * SECOND {
        return (date.clone(), date);
    } else if step >= 60 * SECOND {
        16
    } else if step >= SECOND {
        19
    } else if step >= 1_000_000 {
        23
    } else if step >= 1_000 {
        26
    } else {
        29
    };
    (stamp.get(11..end).unwrap_or("").to_string(), date)
}

fn label_chars(step: i64) -> usize {
    if step >= 86_400 * SECOND {
        10
    } else if step >= 60 * SECOND {
        5
    } else if step >= SECOND {
        8
    } else if step >= 1_000_000 {
        12
    } else if step >= 1_000 {
        15
    } else {
        18
    }
}

/// Picks the time-axis step for `span` nanoseconds over `width` units.
fn pick_time_step(span: i64, width: f64) -> i64 {
    let steps = time_steps();
    for &step in &steps {
        let max_ticks = (width / (label_chars(step) as f64 * 6.6 + 28.0))
            .floor()
            .clamp(2.0, 10.0);
        if (span as f64 / step as f64) <= max_ticks {
            return step;
        }
    }
    // Very long spans: whole multiples of a week.
    let week = 604_800 * SECOND;
    let max_ticks = (width / (10.0 * 6.6 + 28.0)).floor().max(2.0);
    let weeks = (span as f64 / week as f64 / max_ticks).ceil().max(1.0);
    (weeks as i64).saturating_mul(week)
}

/// The series of the time chart: the top services (at most
/// [`MAX_SERIES`]) with their colour index, in stacking order.
struct Series {
    label: String,
    tunnel: Option<&'static str>,
    transport: &'static str,
    port: Option<u16>,
    failed: bool,
    colour: String,
}

/// Bytes of each series in each bucket of `ts`, then the rest of the
/// bucket (services not charted, and frames without ports) as "other".
fn series_values(ts: &TimeSeriesView, series: &[Series]) -> Vec<Vec<u64>> {
    ts.buckets
        .iter()
        .map(|b| {
            let mut row: Vec<u64> = series
                .iter()
                .map(|s| {
                    b.services
                        .iter()
                        .find(|x| {
                            x.tunnel == s.tunnel
                                && x.transport == s.transport
                                && x.port == s.port
                                && x.failed == s.failed
                        })
                        .map_or(0, |x| x.bytes)
                })
                .collect();
            let charted: u64 = row.iter().sum();
            row.push(b.bytes.saturating_sub(charted));
            row
        })
        .collect()
}

fn timeseries(view: &ReportView, p: &mut String) -> fmt::Result {
    let ts = &view.chart;
    p.push_str("<section id=\"timeseries\">\n<h2>Top services over time</h2>\n");
    if details_missing(view, p) {
        return Ok(());
    }
    let stored = &view.report.timeseries;
    let mut note = format!("Bucket: {}", format_width(ts.bucket_seconds));
    if stored.bucket_ns != ts.bucket_ns {
        let _ = write!(
            note,
            " (the report's {} buckets, merged for the chart)",
            format_width(stored.bucket_seconds)
        );
    }
    if let Some(w) = stored.widened_from_ns {
        let _ = write!(
            note,
            "; the series was widened from {} to bound memory",
            format_width(w as f64 / 1e9)
        );
    }
    writeln!(
        p,
        "<p class=\"note\">{}. Rates are bits per second over each bucket.{}</p>",
        Esc(&note),
        Esc(&view
            .report
            .peak
            .as_ref()
            .map_or(String::new(), |peak| peak_note(
                peak,
                ts.bucket_ns,
                &short_time(&peak.start)
            )))
    )?;
    if ts.buckets.is_empty() {
        p.push_str("<p>No traffic.</p>\n</section>\n");
        return Ok(());
    }
    let series: Vec<Series> = ts
        .top_services
        .iter()
        .take(MAX_SERIES)
        .map(|s| {
            let index = view.read.services.iter().position(|x| {
                x.tunnel == s.tunnel
                    && x.transport == s.transport
                    && x.port == s.port
                    && x.failed == s.failed
            });
            Series {
                label: view.service_label(s.tunnel, s.transport, s.port, s.failed),
                tunnel: s.tunnel,
                transport: s.transport,
                port: s.port,
                failed: s.failed,
                colour: match index {
                    Some(i) if i < MAX_BARS.max(MAX_SERIES) => colour(i),
                    _ => "var(--other)".to_string(),
                },
            }
        })
        .collect();
    // Two services of one name (dns over tcp and udp) are told apart by port.
    let mut series = series;
    let labels: Vec<String> = series.iter().map(|s| s.label.clone()).collect();
    for s in &mut series {
        if labels.iter().filter(|l| **l == s.label).count() > 1 {
            s.label = format!("{} {}", s.label, port_label(s.transport, s.port, s.failed));
        }
    }
    let values = series_values(ts, &series);
    let has_other = values.iter().any(|row| row.last().is_some_and(|&o| o > 0));

    stacked_chart(
        p,
        ts,
        &series,
        &values,
        has_other,
        view.report.peak.as_ref(),
    )?;

    p.push_str("<ul class=\"legend\">");
    for s in &series {
        p.push_str("<li>");
        swatch(p, &s.colour)?;
        write!(p, "{}</li>", Esc(&s.label))?;
    }
    if has_other {
        p.push_str("<li>");
        swatch(p, "var(--other)")?;
        p.push_str("other traffic</li>");
    }
    p.push_str("</ul>\n");
    if stored.approximate {
        p.push_str(
            "<p class=\"note warn\">Approximate: some buckets held more distinct services than are kept per bucket; \
             the bytes of their smallest services are counted as other traffic.</p>\n",
        );
    }

    // The figures, in the coarser buckets of the text table.
    let table = &view.table;
    if !table.buckets.is_empty() {
        let seconds = table.bucket_seconds.max(1e-9);
        writeln!(
            p,
            "<details open>\n<summary>Figures in {} buckets</summary>",
            format_width(table.bucket_seconds)
        )?;
        let values = series_values(table, &series);
        // The date once in the header when every bucket starts on it.
        let date = table.buckets[0].start.get(..10).unwrap_or("");
        let one_day = table
            .buckets
            .iter()
            .all(|b| b.start.get(..10) == Some(date));
        let first_column = if one_day {
            format!("start (UTC, {date})")
        } else {
            "start (UTC)".to_string()
        };
        let mut header: Vec<(String, bool)> = vec![(first_column, false)];
        header.extend(series.iter().map(|s| (s.label.clone(), true)));
        header.push(("other".to_string(), true));
        header.push(("total".to_string(), true));
        let header: Vec<(&str, bool)> = header.iter().map(|(h, n)| (h.as_str(), *n)).collect();
        table_head(p, "buckets", &header)?;
        let peak = view.report.peak.as_ref();
        for (b, row) in table.buckets.iter().zip(&values) {
            let start = short_time(&b.start);
            let start = if one_day {
                start.get(11..).unwrap_or(&start)
            } else {
                &start
            };
            if peak.is_some_and(|peak| peak.is_in(b.start_ns, table.bucket_ns)) {
                write!(p, "<tr class=\"peak\"><td>{} (peak)</td>", Esc(start))?;
            } else {
                write!(p, "<tr><td>{}</td>", Esc(start))?;
            }
            for bytes in row {
                if *bytes == 0 {
                    p.push_str("<td class=\"n m\">0</td>");
                } else {
                    write!(
                        p,
                        "<td class=\"n\">{}</td>",
                        format_rate(*bytes as f64 * 8.0 / seconds)
                    )?;
                }
            }
            writeln!(
                p,
                "<td class=\"n\">{}</td></tr>",
                format_rate(b.bytes as f64 * 8.0 / seconds)
            )?;
        }
        table_end(p);
        p.push_str("</details>\n");
    }
    p.push_str(
        "<p class=\"note\">Every bucket and service: <code>portclass report --format csv --table timeseries</code>.</p>\n",
    );
    p.push_str("</section>\n");
    Ok(())
}

/// The stacked chart: one step-shaped area per series over runs of
/// adjacent buckets (gaps drop to zero), a y axis in bits/s and time ticks,
/// and the peak: its window shaded, its rate a dashed line.
fn stacked_chart(
    p: &mut String,
    ts: &TimeSeriesView,
    series: &[Series],
    values: &[Vec<u64>],
    has_other: bool,
    peak: Option<&PeakView>,
) -> fmt::Result {
    let seconds = ts.bucket_seconds.max(1e-9);
    let width_ns = i64::try_from(ts.bucket_ns.max(1)).unwrap_or(i64::MAX);
    let plot = Plot {
        left: 92.0,
        right: CHART_WIDTH - 16.0,
        top: 14.0,
        bottom: 284.0,
    };
    let height = 330.0;
    let (Some(first), Some(last)) = (ts.buckets.first(), ts.buckets.last()) else {
        return Ok(());
    };
    let t0 = first.start_ns;
    let t1 = last.start_ns.saturating_add(width_ns);
    let span = t1.saturating_sub(t0).max(1);
    let x_of = |ns: i64| plot.left + (ns.saturating_sub(t0)) as f64 / span as f64 * plot.width();

    let max_bytes = ts.buckets.iter().map(|b| b.bytes).max().unwrap_or(0);
    // The y axis reaches the peak even when wider buckets average it down.
    let max_rate = (max_bytes as f64 * 8.0 / seconds)
        .max(peak.map_or(0.0, |p| p.bits_per_second))
        .max(1.0);
    let y_step = nice_step(max_rate, 4.0);
    let y_ticks = (max_rate / y_step - 1e-9).ceil().max(1.0) as usize;
    let y_max = y_step * y_ticks as f64;

    write!(
        p,
        "<figure>\n<svg class=\"chart series\" viewBox=\"0 0 {} {}\" role=\"img\" aria-labelledby=\"series-title\">\
         <title id=\"series-title\">Top services over time, bits per second, stacked</title>\n<g class=\"axis\">",
        Px::of(CHART_WIDTH),
        Px::of(height)
    )?;
    for i in 0..=y_ticks {
        let rate = y_step * i as f64;
        let y = Px::of(plot.bottom - rate / y_max * plot.height());
        write!(
            p,
            "<line class=\"grid\" x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            Px::of(plot.left),
            Px::of(plot.right),
            Px::of(plot.left - 8.0),
            Px(y.0 + 40),
            Esc(&format_rate(rate))
        )?;
    }
    let step = pick_time_step(span, plot.width());
    let mut tick = t0.div_euclid(step).saturating_add(1).saturating_mul(step);
    if t0.rem_euclid(step) == 0 {
        tick = t0;
    }
    let mut previous_date = String::new();
    while tick <= t1 {
        let x = Px::of(x_of(tick));
        let (label, date) = time_label(tick, step);
        // Labels at the edges are aligned inwards rather than cut off.
        let half = label_chars(step).max(10) as f64 * 6.6 / 2.0;
        let anchor = if x_of(tick) + half > CHART_WIDTH {
            "end"
        } else if x_of(tick) - half < 0.0 {
            "start"
        } else {
            "middle"
        };
        write!(
            p,
            "<line class=\"base\" x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/><text x=\"{x}\" y=\"{}\" text-anchor=\"{anchor}\">{}",
            Px::of(plot.bottom),
            Px::of(plot.bottom + 5.0),
            Px::of(plot.bottom + 18.0),
            Esc(&label)
        )?;
        if date != previous_date && label != date {
            write!(p, "<tspan x=\"{x}\" dy=\"14\">{}</tspan>", Esc(&date))?;
        }
        p.push_str("</text>");
        previous_date = date;
        match tick.checked_add(step) {
            Some(next) => tick = next,
            None => break,
        }
    }
    writeln!(
        p,
        "<line class=\"base\" x1=\"{l}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\"/></g>",
        l = Px::of(plot.left),
        r = Px::of(plot.right),
        b = Px::of(plot.bottom)
    )?;

    // Runs of adjacent buckets; the areas drop to zero between runs.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (i, b) in ts.buckets.iter().enumerate() {
        match runs.last_mut() {
            Some((_, end))
                if ts.buckets[*end].start_ns.checked_add(width_ns) == Some(b.start_ns) =>
            {
                *end = i;
            }
            _ => runs.push((i, i)),
        }
    }
    // The areas are drawn in bucket slots across and in thousandths of the
    // y range up, so the path data are short integers: each layer is the
    // area from zero to its stacked top, painted from the top layer down so
    // that each lower layer covers its share of the ones above.
    let slot = |ns: i64| ns.saturating_sub(t0) / width_ns;
    let slots = (span / width_ns).max(1);
    let level = |bytes: u64| ((bytes as f64 * 8.0 / seconds) / y_max * LEVELS).round() as i64;
    let layers = series.len() + usize::from(has_other);
    let tops: Vec<Vec<u64>> = values
        .iter()
        .map(|row| {
            row.iter()
                .scan(0u64, |sum, v| {
                    *sum = sum.saturating_add(*v);
                    Some(*sum)
                })
                .collect()
        })
        .collect();
    writeln!(
        p,
        "<g class=\"areas\" transform=\"translate({} {}) scale({:.6} {:.6})\">",
        Px::of(plot.left),
        Px::of(plot.bottom),
        plot.width() / slots as f64,
        -plot.height() / LEVELS
    )?;
    for layer in (0..layers).rev() {
        let (label, fill, id) = match series.get(layer) {
            Some(s) => (s.label.as_str(), s.colour.as_str(), layer.to_string()),
            None => ("other traffic", "var(--other)", "other".to_string()),
        };
        let mut d = String::new();
        for &(start, end) in &runs {
            // A layer with nothing in this run is hidden by the one below.
            if (start..=end).all(|i| values[i][layer] == 0) {
                continue;
            }
            let first = slot(ts.buckets[start].start_ns);
            write!(d, "M{first},0")?;
            // A step at each change of height; equal neighbours share one.
            let mut now = 0;
            let mut x = first;
            for (bucket, top) in ts.buckets[start..=end].iter().zip(&tops[start..=end]) {
                let top = level(top[layer]);
                if top != now {
                    if x != first {
                        write!(d, "H{x}")?;
                    }
                    write!(d, "V{top}")?;
                    now = top;
                }
                x = slot(bucket.start_ns) + 1;
            }
            write!(d, "H{x}V0Z")?;
        }
        writeln!(
            p,
            "<path class=\"series\" data-series=\"{}\" d=\"{d}\" style=\"fill:{fill}\"><title>{}</title></path>",
            Esc(&id),
            Esc(label)
        )?;
    }
    p.push_str("</g>\n");

    if let Some(peak) = peak {
        let x0 = x_of(peak.start_ns);
        let x1 = x_of(
            peak.start_ns
                .saturating_add(i64::try_from(peak.bucket_ns).unwrap_or(i64::MAX)),
        );
        let y = plot.bottom - peak.bits_per_second / y_max * plot.height();
        let label = format!(
            "peak {}: busiest {}, from {}",
            format_rate(peak.bits_per_second),
            format_width(peak.bucket_seconds),
            short_time(&peak.start)
        );
        // The label on the side of the window with more room.
        let (lx, anchor) = if (x0 + x1) / 2.0 > (plot.left + plot.right) / 2.0 {
            (x0 - 6.0, "end")
        } else {
            (x1 + 6.0, "start")
        };
        writeln!(
            p,
            "<g class=\"peak\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>\
             <line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\"/>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text></g>",
            Px::of(x0),
            Px::of(plot.top),
            Px::of((x1 - x0).max(1.0)),
            Px::of(plot.height()),
            Px::of(plot.left),
            Px::of(plot.right),
            Px::of(lx),
            Px::of((y - 6.0).max(plot.top + 11.0)),
            Esc(&label),
            y = Px::of(y),
        )?;
    }

    // Hover tooltips with each bucket's figures, while the page stays small.
    if ts.buckets.len() <= MAX_HOVER_BUCKETS {
        p.push_str("<g class=\"hover\">");
        for (b, row) in ts.buckets.iter().zip(values) {
            let x0 = x_of(b.start_ns);
            let x1 = x_of(b.start_ns.saturating_add(width_ns));
            write!(
                p,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{}: {}",
                Px::of(x0),
                Px::of(plot.top),
                Px::of((x1 - x0).max(0.5)),
                Px::of(plot.height()),
                Esc(&short_time(&b.start)),
                format_rate(b.bytes as f64 * 8.0 / seconds)
            )?;
            for (s, bytes) in series.iter().zip(row) {
                if *bytes > 0 {
                    write!(
                        p,
                        "\n{}: {}",
                        Esc(&s.label),
                        format_rate(*bytes as f64 * 8.0 / seconds)
                    )?;
                }
            }
            if let Some(other) = row.last().filter(|o| **o > 0 && has_other) {
                write!(p, "\nother: {}", format_rate(*other as f64 * 8.0 / seconds))?;
            }
            p.push_str("</title></rect>");
        }
        p.push_str("</g>\n");
    }
    p.push_str("</svg>\n");
    writeln!(
        p,
        "<figcaption>Stacked, largest service at the bottom; each step is one {} bucket. Time in UTC, {} to {}.</figcaption>\n</figure>",
        Esc(&format_width(seconds)),
        Esc(&short_time(&format_timestamp(t0))),
        Esc(&short_time(&format_timestamp(t1)))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::NamingRule;
    use crate::classify::PortDb;
    use crate::decode::{Category, PacketInfo, Transport};
    use crate::pipeline::scans::{ScanReport, ScanSettings, sample_vertical_scan};
    use crate::pipeline::{Classified, Counted};
    use crate::render::report::{
        BucketServiceView, BucketView, CHART_BUCKETS, ConversationView, DirectionView, HostView,
        TABLE_BUCKETS, UnknownPortView,
    };
    use crate::render::{CounterView, ScansView, TunnelView};
    use crate::tally::report::ReportTally;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    use std::sync::OnceLock;

    const T0: i64 = 1_764_137_820_000_000_000;

    fn v4(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
    }

    /// Counts one TCP/UDP frame the way `report` does: named by the
    /// built-in database's rule.
    fn count(
        tally: &mut ReportTally,
        transport: Transport,
        (src, src_port): (IpAddr, u16),
        (dst, dst_port): (IpAddr, u16),
        len: u32,
        ts: i64,
    ) {
        static RULE: OnceLock<NamingRule> = OnceLock::new();
        let rule = RULE.get_or_init(|| PortDb::builtin().naming_rule());
        let mut info = PacketInfo::ports(transport, src_port, dst_port);
        info.addresses = Some((src, dst));
        let classified = Classified::by_static_rule(rule, &info);
        tally.count(&Counted {
            info: &info,
            classified: &classified,
            wire_len: len,
            link_type: 1,
            ts_nanos: ts,
        });
    }

    /// A minute of traffic: https, http, ssh, dns, an unassigned port,
    /// dynamic-to-dynamic, ICMP and a non-IP frame, with a gap in time.
    fn sample_tally() -> ReportTally {
        let mut t = ReportTally::new(None);
        let client = v4(1);
        let server = v4(2);
        let v6 = IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 5));
        for s in 0..60i64 {
            if (20..30).contains(&s) {
                continue; // a gap: those buckets hold nothing
            }
            let ts = T0 + s * SECOND;
            count(
                &mut t,
                Transport::Tcp,
                (client, 51000),
                (server, 443),
                200,
                ts,
            );
            count(
                &mut t,
                Transport::Tcp,
                (server, 443),
                (client, 51000),
                1500 + s as u32 * 20,
                ts + 1,
            );
            if s % 2 == 0 {
                count(
                    &mut t,
                    Transport::Tcp,
                    (client, 51001),
                    (server, 80),
                    120,
                    ts + 2,
                );
                count(
                    &mut t,
                    Transport::Tcp,
                    (server, 80),
                    (client, 51001),
                    900,
                    ts + 3,
                );
            }
            if s % 3 == 0 {
                count(&mut t, Transport::Tcp, (v6, 50022), (v6, 22), 300, ts + 4);
                count(
                    &mut t,
                    Transport::Udp,
                    (client, 53000),
                    (server, 53),
                    80,
                    ts + 5,
                );
                count(
                    &mut t,
                    Transport::Udp,
                    (server, 53),
                    (client, 53000),
                    160,
                    ts + 6,
                );
            }
            if s % 5 == 0 {
                count(
                    &mut t,
                    Transport::Tcp,
                    (client, 52000),
                    (server, 34567),
                    400,
                    ts + 7,
                );
                count(
                    &mut t,
                    Transport::Udp,
                    (client, 60000),
                    (server, 61000),
                    100,
                    ts + 8,
                );
                let unnamed = &Classified::UNNAMED;
                t.count(&Counted {
                    info: &PacketInfo::plain(Category::Icmp),
                    classified: unnamed,
                    wire_len: 98,
                    link_type: 1,
                    ts_nanos: ts + 9,
                });
                t.count(&Counted {
                    info: &PacketInfo::plain(Category::NonIp),
                    classified: unnamed,
                    wire_len: 60,
                    link_type: 1,
                    ts_nanos: ts + 10,
                });
            }
        }
        t
    }

    fn sample_view(top: usize) -> ReportView {
        let mut tally = sample_tally();
        tally.base.finish_input(
            0,
            "cap<1>&\"x\".pcap".to_string(),
            "pcapng".to_string(),
            crate::tally::InputStatus::Complete,
        );
        ReportView::new(&tally, &PortDb::builtin(), false, top)
    }

    fn render(view: &ReportView) -> String {
        let mut out = Vec::new();
        write_html(view, &mut out).expect("writing to a Vec");
        String::from_utf8(out).expect("the page is UTF-8")
    }

    /// The text of the element that starts at the first `start` after `from`,
    /// up to the next `end`.
    fn between<'a>(page: &'a str, start: &str, end: &str) -> &'a str {
        let from = page
            .find(start)
            .unwrap_or_else(|| panic!("{start} not in the page"));
        let rest = &page[from..];
        let to = rest
            .find(end)
            .unwrap_or_else(|| panic!("{end} not after {start}"));
        &rest[..to]
    }

    #[test]
    fn page_is_one_balanced_self_contained_document() {
        let page = render(&sample_view(10));
        assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
        assert_eq!(page.matches("<html").count(), 1);
        assert_eq!(page.matches("</html>").count(), 1);
        assert_eq!(page.matches("<body>").count(), 1);
        assert_eq!(page.matches("<svg").count(), page.matches("</svg>").count());
        assert_eq!(
            page.matches("<table").count(),
            page.matches("</table>").count()
        );
        assert_eq!(
            page.matches("<section").count(),
            page.matches("</section>").count()
        );
        assert_eq!(
            page.matches("<g").count() - page.matches("<g>").count() + page.matches("<g>").count(),
            page.matches("</g>").count()
        );
        for attr in [
            "src=", "href=", "url(", "@import", "<script", "<link", "<img", "<iframe",
        ] {
            assert!(
                !page.contains(attr),
                "the page references something: {attr}"
            );
        }
        assert!(!page.contains("http://") && !page.contains("https://"));
        assert!(page.contains("prefers-color-scheme:dark"));
        assert!(page.contains("@media print"));
    }

    #[test]
    fn sections_come_in_markdown_order() {
        let page = render(&sample_view(10));
        let order = [
            "id=\"overview\"",
            "id=\"transports\"",
            "chart bars",
            "class=\"services\"",
            "id=\"port-classes\"",
            "id=\"scans\"",
            "id=\"hosts\"",
            "id=\"conversations\"",
            "chart series",
            "id=\"unknown-ports\"",
        ];
        let positions: Vec<usize> = order
            .iter()
            .map(|s| page.find(s).unwrap_or_else(|| panic!("{s} missing")))
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    }

    #[test]
    fn every_top_service_is_named() {
        let view = sample_view(10);
        let page = render(&view);
        let (shown, _) = view.shown_services();
        assert!(shown.len() >= 5);
        for s in shown {
            let name = view.service_label(s.tunnel, s.transport, s.port, s.failed);
            assert!(page.contains(&format!(">{name}<")), "{name} missing");
        }
        for name in ["https", "http", "ssh", "dns", "unassigned", "dynamic"] {
            assert!(page.contains(name), "{name}");
        }
    }

    #[test]
    fn data_strings_are_escaped() {
        let mut view = sample_view(10);
        view.read.services[0].service = Some("<script>alert(\"x&y\")</script>".to_string());
        view.read.services[0].description = Some("a \"quoted\" <b>description</b>".to_string());
        let page = render(&view);
        assert!(!page.contains("<script"));
        assert!(!page.contains("<b>"));
        assert!(page.contains("&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;"));
        assert!(page.contains("title=\"a &quot;quoted&quot; &lt;b&gt;description&lt;/b&gt;\""));
        // The input name from the command line, in the title and the overview.
        assert!(
            page.contains("<title>Traffic report: cap&lt;1&gt;&amp;&quot;x&quot;.pcap</title>")
        );
        assert!(!page.contains("cap<1>"));
    }

    #[test]
    fn bar_chart_has_one_bar_per_shown_service_and_one_for_the_rest() {
        let view = sample_view(3);
        let page = render(&view);
        let chart = between(&page, "<svg class=\"chart bars\"", "</svg>");
        let (shown, rest) = view.shown_services();
        assert_eq!(shown.len(), 3);
        assert!(!rest.is_empty());
        assert_eq!(chart.matches("<g class=\"bar\"").count(), shown.len());
        assert_eq!(chart.matches("<g class=\"bar rest\"").count(), 1);
        assert_eq!(chart.matches("<rect ").count(), shown.len() + 1);
        for s in shown {
            let name = view.service_label(s.tunnel, s.transport, s.port, s.failed);
            assert!(
                chart.contains(&format!("data-service=\"{name}\"")),
                "{name}"
            );
        }

        // With every row shown there is no rest bar.
        let view = sample_view(0);
        let page = render(&view);
        let chart = between(&page, "<svg class=\"chart bars\"", "</svg>");
        assert_eq!(
            chart.matches("<g class=\"bar\"").count(),
            view.read.services.len()
        );
        assert!(!chart.contains("bar rest"));
    }

    #[test]
    fn time_chart_has_one_series_per_top_service() {
        let view = sample_view(4);
        let page = render(&view);
        let chart = between(&page, "<svg class=\"chart series\"", "</svg>");
        let top = &view.chart.top_services;
        assert_eq!(top.len(), 4);
        for (i, s) in top.iter().enumerate() {
            let name = view.service_label(s.tunnel, s.transport, s.port, s.failed);
            assert!(
                chart.contains(&format!("data-series=\"{i}\" d=\"M")),
                "series {i} ({name}) has no area"
            );
            assert!(chart.contains(&format!("<title>{name}</title>")));
        }
        assert_eq!(
            chart.matches("<path class=\"series\"").count(),
            top.len() + 1
        );
        assert!(chart.contains("data-series=\"other\""));
        // A y axis in bits/s and time labels.
        assert!(chart.contains("kbit/s</text>"));
        assert!(chart.contains("06:17:"));
    }

    #[test]
    fn time_chart_areas_drop_to_zero_over_missing_buckets() {
        let mut view = sample_view(4);
        let buckets = view.chart.buckets.len();
        assert!(buckets > 30);
        // Two runs of adjacent buckets, ten slots apart.
        view.chart.buckets.drain(10..20);
        let page = render(&view);
        let chart = between(&page, "<svg class=\"chart series\"", "</svg>");
        let https = between(chart, "data-series=\"0\"", "</path>");
        assert_eq!(https.matches('M').count(), 2, "{https}");
        assert_eq!(https.matches('Z').count(), 2, "{https}");
        assert!(https.starts_with("data-series=\"0\" d=\"M0,0"), "{https}");
        assert!(https.contains("V0ZM20,0"), "{https}");
    }

    #[test]
    fn approximate_figures_are_marked() {
        let mut view = sample_view(10);
        view.report.hosts.exact = false;
        view.report.hosts.error_bound_bytes = 5000;
        view.report.hosts.entries[1].overestimate_bytes = 1200;
        let page = render(&view);
        let hosts = between(&page, "id=\"hosts\"", "</section>");
        // The row's three figures are lower bounds.
        assert_eq!(hosts.matches("≥&#8201;").count(), 3);
        assert!(hosts.contains("at least; up to 1.2 kB more"));
        assert!(hosts.contains("class=\"note warn\">Approximate:"));
        let conversations = between(&page, "id=\"conversations\"", "</section>");
        assert!(!conversations.contains("≥"));
        assert!(conversations.contains("All conversations are counted exactly."));
    }

    #[test]
    fn numeric_views_label_services_by_port() {
        let tally = sample_tally();
        let view = ReportView::new(&tally, &PortDb::builtin(), true, 10);
        let page = render(&view);
        let chart = between(&page, "<svg class=\"chart bars\"", "</svg>");
        assert!(chart.contains("data-service=\"443/tcp\""));
        assert!(chart.contains("data-service=\"49152-65535/udp\""));
        assert!(!page.contains(">https<"));
        for s in &view.read.services {
            assert_eq!(
                row_name(s),
                view.service_label(s.tunnel, s.transport, s.port, s.failed)
            );
        }
    }

    #[test]
    fn summaries_without_details_say_so() {
        let mut view = sample_view(10);
        view.report.details_available = false;
        let page = render(&view);
        for id in ["hosts", "conversations", "timeseries"] {
            let section = between(&page, &format!("<section id=\"{id}\">"), "</section>");
            assert!(section.contains("Not available:"), "{id}");
            assert!(!section.contains("<table"), "{id}");
        }
        assert!(!page.contains("chart series"));
        let services = between(&page, "class=\"services\"", "</table>");
        assert!(services.contains("<td class=\"n\">n/a</td>"));
        assert_eq!(
            page.matches("<section").count(),
            page.matches("</section>").count()
        );
    }

    /// Ten minutes with one busy second: the chart's 4 s bars and the
    /// table's 32 s rows average the peak down, so the chart draws the
    /// peak's rate and window, its axis reaches it, and the row holding it
    /// is marked and says why it is lower.
    #[test]
    fn a_peak_inside_wider_buckets_is_drawn_and_marked() {
        let mut t = ReportTally::new(None);
        let (client, server) = (v4(1), v4(2));
        for s in 0..600i64 {
            let (frames, len) = if s == 437 { (50, 1500) } else { (2, 100) };
            for i in 0..frames {
                let ts = T0 + s * SECOND + i * 1_000_000;
                count(
                    &mut t,
                    Transport::Tcp,
                    (server, 443),
                    (client, 51000),
                    len,
                    ts,
                );
            }
        }
        let view = ReportView::new(&t, &PortDb::builtin(), false, 10);
        let peak = view.report.peak.clone().expect("a peak");
        assert_eq!(
            (peak.start_ns, peak.bucket_ns, peak.bytes),
            (T0 + 437 * SECOND, SECOND as u64, 75_000)
        );
        assert_eq!(
            (view.chart.bucket_ns, view.table.bucket_ns),
            (4 * SECOND as u64, 32 * SECOND as u64)
        );
        let page = render(&view);
        let rate = format_rate(peak.bits_per_second);
        assert_eq!(rate, "600.0 kbit/s");
        let chart = between(&page, "<svg class=\"chart series\"", "</svg>");
        assert!(
            chart.contains(&format!(
                "peak {rate}: busiest 1 s, from 2025-11-26 06:24:17.000</text>"
            )),
            "{chart}"
        );
        // The y axis: ticks up to at least the peak, though no bar reaches it.
        assert!(chart.contains(">600.0 kbit/s</text>"), "{chart}");
        assert_eq!(page.matches("<tr class=\"peak\">").count(), 1);
        assert!(page.contains("<tr class=\"peak\"><td>06:24:00.000 (peak)</td>"));
        assert!(page.contains(&format!(
            "The peak, {rate} over the busiest 1 s from 2025-11-26 06:24:17.000, lies in the marked bucket, whose average is lower."
        )));
    }

    #[test]
    fn output_is_deterministic() {
        assert_eq!(render(&sample_view(10)), render(&sample_view(10)));
    }

    #[test]
    fn empty_report_renders() {
        let view = ReportView::new(&ReportTally::new(None), &PortDb::builtin(), false, 10);
        let page = render(&view);
        assert!(page.contains("No TCP, UDP or SCTP traffic."));
        assert!(page.ends_with("</html>\n"));
    }

    /// The largest view a run can produce: every port of every transport,
    /// full top-K tables of IPv6 addresses, the most buckets, each holding
    /// many services.
    fn huge_view(top: usize, gaps: bool) -> ReportView {
        let mut view = sample_view(top);
        let services = view.read.services[0].clone();
        let direction = view.report.service_directions[0].clone();
        let host = view.report.hosts.entries[0].clone();
        let conversation = view.report.conversations.entries[0].clone();
        view.read.services.clear();
        view.report.service_directions.clear();
        view.report.unknown_ports.clear();
        for (t, transport) in ["tcp", "udp", "sctp"].into_iter().enumerate() {
            for port in 0..=u16::MAX {
                let bytes = 1_000_000_000 - u64::from(port) * 3 - t as u64;
                view.read.services.push(ServiceView {
                    transport,
                    port: Some(port),
                    service: Some("unassigned-service-name".to_string()),
                    description: Some("a description of some length, as they come".to_string()),
                    bytes,
                    ..services.clone()
                });
                view.report.service_directions.push(DirectionView {
                    transport,
                    port: Some(port),
                    ..direction.clone()
                });
                view.report.unknown_ports.push(UnknownPortView {
                    transport,
                    port,
                    servers: 1,
                    packets: 123_456_789,
                    bytes,
                });
            }
        }
        let address = |i: usize| format!("fd00:1234:5678:9abc:def0:1234:{:x}:{:x}", i / 7, i);
        view.report.hosts.entries = (0..4096)
            .map(|i| HostView {
                address: address(i),
                overestimate_bytes: 1_234_567,
                ..host.clone()
            })
            .collect();
        view.report.conversations.entries = (0..4096)
            .map(|i| ConversationView {
                client: address(i),
                server: address(i + 1),
                service: Some("unassigned-service-name".to_string()),
                overestimate_bytes: 1_234_567,
                ..conversation.clone()
            })
            .collect();
        let ts = &mut view.chart;
        ts.bucket_ns = SECOND as u64;
        ts.bucket_seconds = 1.0;
        ts.top_services = view.read.services[..view.top.clamp(25, 100)]
            .iter()
            .map(|s| BucketServiceView {
                tunnel: s.tunnel,
                transport: s.transport,
                port: s.port,
                failed: s.failed,
                bytes: s.bytes,
            })
            .collect();
        let step = if gaps { 2 } else { 1 };
        ts.buckets = (0..CHART_BUCKETS as i64)
            .map(|i| {
                let services: Vec<BucketServiceView> = view.read.services[..100]
                    .iter()
                    .enumerate()
                    .map(|(k, s)| BucketServiceView {
                        tunnel: s.tunnel,
                        transport: s.transport,
                        port: s.port,
                        failed: s.failed,
                        bytes: 1_000_000 + (i as u64 * 7_919 + k as u64 * 104_729) % 9_000_000,
                    })
                    .collect();
                let bytes = services.iter().map(|s| s.bytes).sum::<u64>() + 12_345;
                BucketView {
                    start: format_timestamp(T0 + i * step * SECOND),
                    start_ns: T0 + i * step * SECOND,
                    packets: 1000,
                    bytes,
                    services,
                    other_bytes: 0,
                }
            })
            .collect();
        view.table = view.chart.clone();
        view.table.buckets.truncate(TABLE_BUCKETS);
        // The most findings a report keeps, with the longest evidence.
        let mut scans = no_scans();
        let hosts: Vec<String> = (0..8).map(address).collect();
        let finding = ScanView {
            kind: "horizontal".to_string(),
            target_host: None,
            target_port: Some(65535),
            evidence_text: format!(
                "first {}, last {}; open {} (+4,000 more)",
                address(9),
                address(10),
                hosts.join(", ")
            ),
            ..scan_finding()
        };
        scans.findings = vec![finding; crate::pipeline::scans::MAX_FINDINGS];
        view.read.scans = Some(scans);
        view.read.decap = true;
        for s in &mut view.read.services {
            s.tunnel = Some("geneve");
        }
        view
    }

    #[test]
    fn large_views_stay_under_a_megabyte() {
        for top in [0, 25, 100] {
            for gaps in [false, true] {
                let page = render(&huge_view(top, gaps));
                assert!(
                    page.len() < 1_000_000,
                    "--top {top}, gaps {gaps}: {} bytes",
                    page.len()
                );
                if top == 0 {
                    assert!(page.contains("more; --format csv lists all"));
                    assert!(page.contains("(900 more; --format json lists all)"));
                }
            }
        }
    }

    /// A scan section with nothing found, with the default settings.
    fn no_scans() -> ScansView {
        let mut report = ScanReport::new(ScanSettings::default());
        report.probes = 1234;
        ScansView::new(&report)
    }

    /// A vertical scan of 10.0.0.2 by 10.0.0.9.
    fn scan_finding() -> ScanView {
        ScanView::new(&sample_vertical_scan(v4(9), v4(2), T0, T0 + 4 * SECOND))
    }

    #[test]
    fn a_scan_finding_is_one_row_with_its_evidence_escaped() {
        let mut view = sample_view(10);
        let mut scans = no_scans();
        scans.findings.push(ScanView {
            evidence_text: "ports 1-1000; open <script>x&y</script>".to_string(),
            ..scan_finding()
        });
        view.read.scans = Some(scans);
        let page = render(&view);
        let section = between(&page, "<section id=\"scans\">", "</section>");
        let body = between(section, "<tbody>", "</tbody>");
        assert_eq!(body.matches("<tr>").count(), 1, "{section}");
        assert!(body.contains("<td>vertical</td><td>tcp</td>"), "{body}");
        assert!(body.contains("<code>10.0.0.9</code>"), "{body}");
        assert!(body.contains("<code>10.0.0.2</code>"), "{body}");
        assert!(body.contains(">1,000 ports</td>"), "{body}");
        assert!(body.contains("<td class=\"n\">997</td>"), "{body}");
        assert!(body.contains(">4.00 s</td>"), "{body}");
        assert!(body.contains("open &lt;script&gt;x&amp;y&lt;/script&gt;</td>"));
        assert!(!page.contains("<script"));
        assert!(section.contains("Looked for a source whose failed probes"));
        assert!(!section.contains("No port scans found"));
        assert!(!section.contains("warn"), "no caveat: {section}");
        // The overview points at it.
        let overview = between(&page, "id=\"overview\"", "</section>");
        assert!(overview.contains("<span class=\"bad\">1 found</span>"));
    }

    #[test]
    fn scan_figures_that_are_lower_bounds_are_marked_and_caveats_noted() {
        let mut view = sample_view(10);
        let mut scans = no_scans();
        scans.findings.push(ScanView {
            kind: "horizontal".to_string(),
            target_host: None,
            target_port: Some(22),
            distinct: 4096,
            distinct_exact: false,
            evidence_text: "first 10.0.0.1, last 10.0.16.1; none open".to_string(),
            ..scan_finding()
        });
        scans.findings.push(scan_finding());
        scans.untracked_probes.vertical = 5;
        scans.dropped_findings = 2;
        view.read.scans = Some(scans);
        let page = render(&view);
        let section = between(&page, "<section id=\"scans\">", "</section>");
        let body = between(section, "<tbody>", "</tbody>");
        assert_eq!(body.matches("<tr>").count(), 2, "{section}");
        let first = between(body, "<tr>", "</tr>");
        assert!(first.contains("<code>port 22/tcp</code>"), "{first}");
        // probed, open, closed and unanswered of the first row.
        assert_eq!(first.matches("≥&#8201;").count(), 4, "{first}");
        assert!(first.contains("≥&#8201;4,096 hosts</td>"), "{first}");
        let second = between(&body[first.len()..], "<tr>", "</tr>");
        assert!(!second.contains('≥'), "{second}");
        assert!(section.contains(
            "<p class=\"note warn\">Note: 5 probes were not tracked: the scan tables were full.</p>"
        ));
        assert!(section.contains("Note: 2 more scans found and not listed."));
        let overview = between(&page, "id=\"overview\"", "</section>");
        assert!(overview.contains(">4 found</span>"), "{overview}");
    }

    #[test]
    fn no_scan_found_says_what_was_looked_for() {
        let mut view = sample_view(10);
        view.read.scans = Some(no_scans());
        let page = render(&view);
        let section = between(&page, "<section id=\"scans\">", "</section>");
        assert!(
            section.contains(
                "<p>No port scans found (1,234 probes seen; looked for a source whose failed probes \
                 (refused or unanswered) reach 15 ports of one host (vertical) or 25 hosts on one \
                 port (horizontal) within 5 min).</p>"
            ),
            "{section}"
        );
        assert!(!section.contains("<table"));
        let overview = between(&page, "id=\"overview\"", "</section>");
        assert!(overview.contains("<td>none found (1,234 probes seen)</td>"));
    }

    #[test]
    fn scan_detection_off_is_said() {
        let mut view = sample_view(10);
        view.read.scans = None;
        let page = render(&view);
        let section = between(&page, "<section id=\"scans\">", "</section>");
        assert!(section.contains("scan detection was off (--no-scans)"));
        assert!(!section.contains("No port scans found"));
        assert!(!section.contains("<table"));
        let overview = between(&page, "id=\"overview\"", "</section>");
        assert!(overview.contains("not looked for (--no-scans)"));
    }

    #[test]
    fn every_service_row_says_how_its_port_was_identified() {
        let mut view = sample_view(0);
        // A row named by handshakes and the database both.
        view.read.services[1].identified = crate::render::IdentifiedView {
            handshake: 9,
            port_database: 1,
            heuristic: 0,
            related: 0,
        };
        let page = render(&view);
        let table = between(&page, "<table class=\"services\"", "</table>");
        assert!(table.contains("<th scope=\"col\">identified by</th></tr>"));
        assert!(!table.contains(">tunnel</th>"));
        let rows = table.matches("<tr>").count() - 1;
        assert_eq!(rows, view.read.services.len());
        assert_eq!(
            table
                .matches("<td class=\"t\" title=\"packets named by")
                .count(),
            rows
        );
        assert!(
            table.contains(">handshake 90%, port db 10%</td></tr>"),
            "{table}"
        );
        // The static rule named the sample: the database or the heuristic.
        assert!(table.contains(">port db</td></tr>"));
        assert!(table.contains(">heuristic</td></tr>"));
    }

    #[test]
    fn decap_adds_a_tunnel_column_and_a_tunnels_table() {
        let plain = render(&sample_view(3));
        assert!(!plain.contains("id=\"tunnels\""));

        let mut view = sample_view(3);
        view.read.decap = true;
        view.read.services[0].tunnel = Some("vxlan");
        view.read.tunnels = vec![TunnelView {
            tunnel: "vxlan",
            packets: 5,
            bytes: 700,
        }];
        let page = render(&view);
        let table = between(&page, "<table class=\"services\"", "</table>");
        assert!(
            table
                .contains("<thead><tr><th scope=\"col\">tunnel</th><th scope=\"col\">service</th>")
        );
        let first = between(table, "<tbody>\n<tr>", "</tr>");
        assert!(
            first.starts_with("<tbody>\n<tr><td>vxlan</td><td>"),
            "{first}"
        );
        // The name without the tunnel: it has a column of its own.
        assert!(first.contains(">https</span></td>"), "{first}");
        assert_eq!(table.matches("<td class=\"m\">-</td>").count(), 2);
        // The "more" row spans the tunnel and service columns.
        assert!(table.contains("<tr class=\"rest\"><td colspan=\"2\">("));
        // The bar chart, without a tunnel column, names it.
        let chart = between(&page, "<svg class=\"chart bars\"", "</svg>");
        assert!(chart.contains("data-service=\"https (vxlan)\""));
        let tunnels = between(&page, "<section id=\"tunnels\">", "</section>");
        assert!(
            tunnels.contains("<tr><td>vxlan</td><td class=\"n\">5</td><td class=\"n\">700 B</td>")
        );
        // Between the services and the port classes.
        let at = |s: &str| page.find(s).unwrap_or_else(|| panic!("{s}"));
        assert!(at("id=\"services\"") < at("id=\"tunnels\""));
        assert!(at("id=\"tunnels\"") < at("id=\"port-classes\""));

        // Under --decap, no tunnel seen is said.
        view.read.tunnels.clear();
        let page = render(&view);
        let tunnels = between(&page, "<section id=\"tunnels\">", "</section>");
        assert!(tunnels.contains("<p>None: no frame came through a tunnel"));
    }

    #[test]
    fn time_series_keep_tunnels_apart() {
        let mut view = sample_view(4);
        // https inside a GRE tunnel too, with bytes of its own in each bucket.
        let mut inner = view.read.services[0].clone();
        inner.tunnel = Some("gre");
        inner.bytes = 1;
        view.read.services.push(inner);
        let series = BucketServiceView {
            tunnel: Some("gre"),
            ..view.chart.top_services[0].clone()
        };
        view.chart.top_services.push(series.clone());
        for b in &mut view.chart.buckets {
            b.services.push(BucketServiceView {
                bytes: 7,
                ..series.clone()
            });
            b.bytes += 7;
        }
        let page = render(&view);
        let chart = between(&page, "<svg class=\"chart series\"", "</svg>");
        assert!(chart.contains("<title>https (gre)</title>"), "{chart}");
        assert!(chart.contains("<title>https</title>"), "{chart}");
        // Each bucket's tooltip gives the tunnel's own rate, not https's.
        let hover = between(chart, "<g class=\"hover\">", "</g>");
        let rate = format_rate(7.0 * 8.0 / view.chart.bucket_seconds);
        assert_eq!(
            hover.matches(&format!("\nhttps (gre): {rate}")).count(),
            view.chart.buckets.len(),
            "{hover}"
        );
        // Its own colour: not that of https outside the tunnel.
        let legend = between(&page, "<ul class=\"legend\">", "</ul>");
        assert!(legend.contains(">https (gre)</li>"));
        assert_eq!(
            legend.matches("style=\"fill:var(--c0)\"").count(),
            1,
            "{legend}"
        );
    }

    #[test]
    fn fragments_attributed_are_said_under_the_services() {
        let page = render(&sample_view(10));
        assert!(!page.contains("non-first fragment"));
        let mut view = sample_view(10);
        view.read.transport.fragment = CounterView {
            packets: 3,
            bytes: 3000,
        };
        view.read.fragments.attributed = CounterView {
            packets: 2,
            bytes: 2500,
        };
        view.read.fragments.unattributed = CounterView {
            packets: 1,
            bytes: 500,
        };
        let page = render(&view);
        let services = between(&page, "<section id=\"services\">", "</section>");
        assert!(services.contains(
            "<p class=\"note\">3 non-first fragments: 2 (2.5 kB) attributed to the service of their first fragment \
             and counted in its row; 1 (500 B) unattributed (their first fragment was not seen or carried no ports).</p>"
        ), "{services}");
    }

    #[test]
    fn time_steps_and_labels() {
        assert_eq!(pick_time_step(60 * SECOND, 850.0), 10 * SECOND);
        assert_eq!(pick_time_step(3600 * SECOND, 850.0), 600 * SECOND);
        assert_eq!(pick_time_step(SECOND / 2, 850.0), 100_000_000);
        assert_eq!(time_label(T0, 10 * SECOND).0, "06:17:00");
        assert_eq!(time_label(T0, 600 * SECOND).0, "06:17");
        assert_eq!(time_label(T0, 86_400 * SECOND).0, "2025-11-26");
        assert_eq!(nice_step(9000.0, 4.0), 2500.0);
        assert_eq!(nice_step(1.0, 4.0), 0.25);
    }

    #[test]
    fn widths_read_well() {
        assert_eq!(format_width(0.25), "250 ms");
        assert_eq!(format_width(0.0078125), "7.8125 ms");
        assert_eq!(format_width(1.0), "1 s");
        assert_eq!(format_width(90.0), "90 s");
        assert_eq!(format_width(300.0), "5 min");
        assert_eq!(format_width(3600.0), "60 min");
        assert_eq!(format_width(7200.0), "2 h");
        assert_eq!(format_width(0.000_05), "50 µs");
    }

    #[test]
    fn escaping() {
        assert_eq!(Esc("a<b>&\"c'").to_string(), "a&lt;b&gt;&amp;&quot;c&#39;");
        assert_eq!(Esc("plain ü").to_string(), "plain ü");
        assert_eq!(Px::of(12.04).to_string(), "12");
        assert_eq!(Px::of(-3.25).to_string(), "-3.3");
        assert_eq!(Px::of(0.5).to_string(), "0.5");
    }

    /// Writes the sample page for a look: `PORTCLASS_HTML_SAMPLE=path cargo test`.
    #[test]
    fn sample_page_for_a_look() {
        if let Some(path) = std::env::var_os("PORTCLASS_HTML_SAMPLE") {
            let page = render(&sample_view(10));
            std::fs::write(path, page).expect("writing the sample page");
        }
    }
}
