//! The "services over time" section: the bucket note, the stacked chart
//! with its legend, and the figures in the coarser buckets of the text
//! table.

use super::tables::table;
use super::time_chart::stacked_chart;
use super::tops::details_missing;
use super::{MAX_BARS, MAX_SERIES, colour, format_width, section, short_time, swatch};
use crate::render::ReportView;
use crate::render::wording::peak_note;
use crate::render::{format_rate, port_label};
use crate::schema::{RowKey, TimeSeriesView};
use maud::{Markup, html};
use std::fmt::Write as _;

/// A series of the time chart: a top service (at most [`MAX_SERIES`])
/// with its colour, in stacking order.
pub(super) struct Series {
    pub label: String,
    key: RowKey,
    pub colour: String,
}

/// The bucket note, then the chart, legend and figures (or why not).
pub(super) fn timeseries(view: &ReportView) -> Markup {
    let body = details_missing(view).unwrap_or_else(|| {
        let ts = &view.chart;
        html! {
            p.note { (bucket_note(view)) ". Rates are bits per second over each bucket." (peak_sentence(view)) }
            "\n"
            @if ts.buckets.is_empty() {
                p { "No traffic." } "\n"
            } @else {
                (chart_and_figures(view))
            }
        }
    });
    section("timeseries", "Top services over time", body)
}

/// The width of the chart's buckets, and how it came to be.
fn bucket_note(view: &ReportView) -> String {
    let ts = &view.chart;
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
    note
}

/// What the chart's buckets make of the peak, if there is one.
fn peak_sentence(view: &ReportView) -> String {
    view.report.peak.as_ref().map_or(String::new(), |peak| {
        peak_note(peak, view.chart.bucket_ns, &short_time(&peak.start))
    })
}

/// The chart, its legend, and the table of figures.
fn chart_and_figures(view: &ReportView) -> Markup {
    let ts = &view.chart;
    let series = chart_series(view);
    let values = series_values(ts, &series);
    let has_other = values.iter().any(|row| row.last().is_some_and(|&o| o > 0));
    html! {
        (stacked_chart(ts, &series, &values, has_other, view.report.peak.as_ref()))
        ul.legend {
            @for s in &series {
                li { (swatch(&s.colour)) (s.label) }
            }
            @if has_other {
                li { (swatch("var(--other)")) "other traffic" }
            }
        }
        "\n"
        @if view.report.timeseries.approximate {
            p.note.warn {
                "Approximate: some buckets held more distinct services than are kept per bucket; \
                 the bytes of their smallest services are counted as other traffic."
            }
            "\n"
        }
        (figures(view, &series))
        p.note {
            "Every bucket and service: "
            code { "portclass report --format csv --table timeseries" } "."
        }
        "\n"
    }
}

/// The series of the chart: its top services, each in the colour it has
/// in the services chart and table.
fn chart_series(view: &ReportView) -> Vec<Series> {
    let mut series: Vec<Series> = view
        .chart
        .top_services
        .iter()
        .take(MAX_SERIES)
        .map(|s| {
            let index = view.read.services.iter().position(|x| x.key == s.key);
            Series {
                label: view.service_label(s.key),
                key: s.key,
                colour: match index {
                    Some(i) if i < MAX_BARS.max(MAX_SERIES) => colour(i),
                    _ => "var(--other)".to_string(),
                },
            }
        })
        .collect();
    // Two services of one name (dns over tcp and udp) are told apart by port.
    let labels: Vec<String> = series.iter().map(|s| s.label.clone()).collect();
    for s in &mut series {
        if labels.iter().filter(|l| **l == s.label).count() > 1 {
            s.label = format!("{} {}", s.label, port_label(s.key));
        }
    }
    series
}

/// Bytes of each series in each bucket of `ts`, then the rest of the
/// bucket (services not charted, and frames without ports) as "other".
fn series_values(ts: &TimeSeriesView, series: &[Series]) -> Vec<Vec<u64>> {
    ts.buckets
        .iter()
        .map(|b| {
            let mut row: Vec<u64> = series.iter().map(|s| b.bytes_of(s.key)).collect();
            let charted: u64 = row.iter().sum();
            row.push(b.bytes.saturating_sub(charted));
            row
        })
        .collect()
}

/// The figures, in the coarser buckets of the text table, with the row
/// holding the peak marked.
fn figures(view: &ReportView, series: &[Series]) -> Markup {
    let table_view = &view.table;
    let Some(first) = table_view.buckets.first() else {
        return html! {};
    };
    let seconds = table_view.bucket_seconds.max(1e-9);
    let values = series_values(table_view, series);
    // The date once in the header when every bucket starts on it.
    let date = first.start.get(..10).unwrap_or("");
    let one_day = table_view
        .buckets
        .iter()
        .all(|b| b.start.get(..10) == Some(date));
    let first_column = if one_day {
        format!("start (UTC, {date})")
    } else {
        "start (UTC)".to_string()
    };
    let mut header: Vec<(&str, bool)> = vec![(&first_column, false)];
    header.extend(series.iter().map(|s| (s.label.as_str(), true)));
    header.extend([("other", true), ("total", true)]);
    let peak = view.report.peak.as_ref();
    let rows = html! {
        @for (b, row) in table_view.buckets.iter().zip(&values) {
            @let start = short_time(&b.start);
            @let start = if one_day { start.get(11..).unwrap_or(&start) } else { &start };
            @let is_peak = peak.is_some_and(|peak| peak.is_in(b.start_ns, table_view.bucket_ns));
            tr class=[is_peak.then_some("peak")] {
                td { (start) @if is_peak { " (peak)" } }
                @for bytes in row {
                    @if *bytes == 0 {
                        td.n.m { "0" }
                    } @else {
                        td.n { (format_rate(*bytes as f64 * 8.0 / seconds)) }
                    }
                }
                td.n { (format_rate(b.bytes as f64 * 8.0 / seconds)) }
            }
            "\n"
        }
    };
    html! {
        details open {
            "\n"
            summary { "Figures in " (format_width(table_view.bucket_seconds)) " buckets" }
            "\n"
            (table("buckets", &header, rows))
        }
        "\n"
    }
}
