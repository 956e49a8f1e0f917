//! The report as one self-contained HTML page: inline CSS and inline SVG
//! charts, nothing fetched from anywhere, readable in light and dark mode
//! and on paper.
//!
//! The sections follow [`write_markdown`](super::write_markdown):
//! overview, transports, services (a bar chart, then the table with how
//! each port was identified, and the fragments attributed), tunnels (with
//! `--decap`), port classes, port scans, top hosts, top conversations,
//! services over time (a stacked chart) and the ports the database does not
//! know.
//!
//! The markup is written with maud's `html!`, which escapes every value
//! spliced into text or an attribute: captures, port databases and summary
//! files are untrusted, and a file name or a description can only ever be
//! text. `PreEscaped` is used for our own constant markup alone: the style
//! sheet (`style.rs`) and the thin space of "≥ 12".
//!
//! One file per concern: the page skeleton and shared helpers here, the
//! style sheet, the overview, the plain tables, the top-K tables, port
//! scans, the bar chart, and the time series (section, chart, axis).
//! May import `maud` and the rest of `render`; nothing outside it.

mod bars;
mod overview;
mod scans;
mod style;
mod tables;
#[cfg(test)]
mod tests;
mod time_axis;
mod time_chart;
mod timeseries;
mod tops;

use super::ReportView;
use maud::{DOCTYPE, Markup, PreEscaped, Render, html};
use std::fmt::{self, Write as _};
use std::io;

/// Rows of any table, whatever `--top` says, so that the page stays small
/// (under about 1 MB) even with `--top 0`; CSV has every row.
const MAX_ROWS: usize = 300;
/// Bars of the services chart; the rest is one bar.
const MAX_BARS: usize = 40;
/// Series of the time chart; the rest is stacked as "other".
const MAX_SERIES: usize = 20;
/// Width of every chart's coordinate system (it scales to the page).
const CHART_WIDTH: f64 = 960.0;

/// The thin space between a bound sign and its figure (`≥ 12 kB`): an
/// entity of our own, so the source shows it.
const THIN_SPACE: PreEscaped<&str> = PreEscaped("&#8201;");

/// Writes the report as one HTML document.
pub fn write_html(view: &ReportView, out: &mut dyn io::Write) -> io::Result<()> {
    out.write_all(page(view).into_string().as_bytes())
}

/// The whole document: head with the style sheet, the sections in
/// Markdown order, and a footer.
fn page(view: &ReportView) -> Markup {
    let version = &view.read.portclass_version;
    html! {
        (DOCTYPE) "\n"
        html lang="en" {
            "\n"
            head {
                "\n"
                meta charset="utf-8"; "\n"
                meta name="viewport" content="width=device-width, initial-scale=1"; "\n"
                meta name="color-scheme" content="light dark"; "\n"
                meta name="generator" content={ "portclass " (version) }; "\n"
                title { "Traffic report: " (inputs_summary(view)) } "\n"
                (style::style_element(view)) "\n"
            }
            "\n"
            body {
                "\n"
                main {
                    "\n"
                    (overview::overview(view))
                    (tables::transports(view))
                    (tables::services(view))
                    @if view.read.decap {
                        (tables::tunnels(view))
                    }
                    (tables::port_classes(view))
                    (scans::scans(view))
                    (tops::servers(view))
                    (tops::names(view))
                    (tops::hosts(view))
                    (tops::conversations(view))
                    (timeseries::timeseries(view))
                    (tables::unknown_ports(view))
                    footer {
                        "Written by portclass " (version) " (schema " code { (view.read.schema) }
                        "). Figures count original wire bytes of every frame."
                    }
                    "\n"
                }
                "\n"
            }
            "\n"
        }
        "\n"
    }
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

/// One section: its id, its heading, and what follows.
fn section(id: &str, heading: &str, body: Markup) -> Markup {
    html! {
        section id=(id) { "\n" h2 { (heading) } "\n" (body) } "\n"
    }
}

/// A chart in a figure: an SVG of [`CHART_WIDTH`] by `height` whose class
/// and title id are named for `kind`, then its caption.
fn chart_figure(kind: &str, title: &str, height: f64, chart: Markup, caption: Markup) -> Markup {
    let title_id = format!("{kind}-title");
    html! {
        figure {
            "\n"
            svg class={ "chart " (kind) } viewBox={ "0 0 " (Px::of(CHART_WIDTH)) " " (Px::of(height)) }
                role="img" aria-labelledby=(title_id) {
                title id=(title_id) { (title) }
                "\n"
                (chart)
            }
            "\n"
            figcaption { (caption) }
            "\n"
        }
        "\n"
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

impl Render for Px {
    fn render_to(&self, buffer: &mut String) {
        // Digits, a sign and a point: nothing to escape.
        let _ = write!(buffer, "{self}");
    }
}

/// The colour of the `i`-th service (CSS), the same in every chart.
fn colour(i: usize) -> String {
    format!("var(--c{i})")
}

/// A small square in the colour of a service.
fn swatch(fill: &str) -> Markup {
    html! {
        svg.sw width="11" height="11" aria-hidden="true" {
            rect width="11" height="11" rx="2" style={ "fill:" (fill) } {}
        }
    }
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
