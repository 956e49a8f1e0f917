//! The services chart: horizontal bars of the top services by bytes, the
//! rest as one bar.

use super::{CHART_WIDTH, MAX_BARS, Px, chart_figure, colour};
use crate::render::format_share;
use crate::render::{ReportView, row_name, with_tunnel};
use crate::render::{format_bytes, format_count, port_label};
use maud::{Markup, html};

/// Height of one bar's row.
const ROW: f64 = 24.0;
/// Thickness of a bar.
const BAR: f64 = 16.0;
/// Room for the labels left of the bars.
const LABEL: f64 = 270.0;
/// Room for the figures right of the longest bar.
const VALUE: f64 = 150.0;

/// One bar: what it stands for and how it is drawn.
struct Bar<'a> {
    class: &'a str,
    name: String,
    port: String,
    bytes: u64,
    share: f64,
    fill: String,
}

/// Horizontal bars of the top services by bytes, the rest as one bar.
pub(super) fn bar_chart(view: &ReportView) -> Markup {
    let services = &view.read.services;
    let shown = view.rows(services.len()).min(MAX_BARS);
    let (top, rest) = services.split_at(shown);
    let mut bars: Vec<Bar<'_>> = top
        .iter()
        .enumerate()
        .map(|(i, s)| Bar {
            class: "bar",
            name: with_tunnel(row_name(s), s.key.tunnel),
            port: port_label(s.key),
            bytes: s.bytes,
            share: s.share,
            fill: colour(i),
        })
        .collect();
    if !rest.is_empty() {
        bars.push(Bar {
            class: "bar rest",
            name: format!(
                "{} other service{}",
                format_count(rest.len() as u64),
                if rest.len() == 1 { "" } else { "s" }
            ),
            port: String::new(),
            bytes: rest.iter().map(|s| s.bytes).sum(),
            share: rest.iter().map(|s| s.share).sum(),
            fill: "var(--other)".to_string(),
        });
    }
    let max = bars.iter().map(|b| b.bytes).max().unwrap_or(0).max(1) as f64;
    let height = bars.len() as f64 * ROW + 8.0;
    let chart = html! {
        line.base x1=(Px::of(LABEL)) y1="4" x2=(Px::of(LABEL)) y2=(Px::of(height - 4.0)) {}
        "\n"
        @for (row, bar) in bars.iter().enumerate() {
            (draw_bar(row, bar, max))
        }
    };
    let caption = html! {
        @if rest.is_empty() {
            "All " (top.len()) " services by bytes."
        } @else {
            "The top " (top.len()) " services by bytes; the other "
            (format_count(rest.len() as u64)) " as one bar."
        }
    };
    chart_figure("bars", "Services by bytes", height, chart, caption)
}

/// The `row`-th bar, scaled so that `max` bytes fill the width.
fn draw_bar(row: usize, bar: &Bar<'_>, max: f64) -> Markup {
    let y = 4.0 + row as f64 * ROW;
    let width = (bar.bytes as f64 / max * (CHART_WIDTH - LABEL - VALUE)).max(if bar.bytes > 0 {
        1.0
    } else {
        0.0
    });
    let text_y = Px::of(y + ROW / 2.0 + 4.0);
    html! {
        g class=(bar.class) data-service=(bar.name) {
            title {
                (bar.name) " " (bar.port) ": " (format_bytes(bar.bytes))
                " (" (format_count(bar.bytes)) " bytes), " (format_share(bar.share))
            }
            text x=(Px::of(LABEL - 8.0)) y=(text_y) text-anchor="end" {
                (clip(&bar.name, 24)) " " tspan.m { (bar.port) }
            }
            rect x=(Px::of(LABEL)) y=(Px::of(y + (ROW - BAR) / 2.0)) width=(Px::of(width))
                height=(Px::of(BAR)) rx="2" style={ "fill:" (bar.fill) } {}
            text.m x=(Px::of(LABEL + width + 6.0)) y=(text_y) {
                (format_bytes(bar.bytes)) " · " (format_share(bar.share))
            }
        }
        "\n"
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
