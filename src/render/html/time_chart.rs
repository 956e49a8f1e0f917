//! The stacked time chart: one step-shaped area per series over runs of
//! adjacent buckets (gaps drop to zero), a y axis in bits/s and time ticks,
//! the peak (its window shaded, its rate a dashed line) and a tooltip per
//! bucket.

use super::time_axis::{label_chars, nice_step, pick_time_step, time_ticks};
use super::timeseries::Series;
use super::{CHART_WIDTH, Px, chart_figure, format_width, short_time};
use crate::render::{format_rate, format_timestamp};
use crate::schema::{PeakView, TimeSeriesView};
use maud::{Markup, html};
use std::fmt::Write as _;

/// Buckets of the time chart given hover tooltips (the view's chart series
/// has at most `CHART_BUCKETS`, fewer than this).
const MAX_HOVER_BUCKETS: usize = 300;
/// Vertical resolution of the time chart's areas.
const LEVELS: f64 = 1000.0;
/// Height of the chart's coordinate system.
const HEIGHT: f64 = 330.0;

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

/// What the chart shows and where: the series and their bytes per bucket,
/// the time span and the rate scale.
struct Chart<'a> {
    ts: &'a TimeSeriesView,
    series: &'a [Series],
    /// Bytes of each series in each bucket, then "other".
    values: &'a [Vec<u64>],
    has_other: bool,
    plot: Plot,
    /// Seconds of one bucket.
    seconds: f64,
    /// Nanoseconds of one bucket.
    width_ns: i64,
    /// Start of the first bucket and end of the last.
    t0: i64,
    t1: i64,
    /// The rate axis: its step, its number of steps, its top.
    y_step: f64,
    y_ticks: usize,
    y_max: f64,
}

impl Chart<'_> {
    fn span(&self) -> i64 {
        self.t1.saturating_sub(self.t0).max(1)
    }

    fn x_of(&self, ns: i64) -> f64 {
        self.plot.left + ns.saturating_sub(self.t0) as f64 / self.span() as f64 * self.plot.width()
    }

    fn y_of(&self, rate: f64) -> f64 {
        self.plot.bottom - rate / self.y_max * self.plot.height()
    }

    /// The rate of `bytes` in one bucket.
    fn rate(&self, bytes: u64) -> f64 {
        bytes as f64 * 8.0 / self.seconds
    }
}

/// The stacked chart of `values` (bytes per series and bucket, then other),
/// with the peak marked; nothing when `ts` has no bucket.
pub(super) fn stacked_chart(
    ts: &TimeSeriesView,
    series: &[Series],
    values: &[Vec<u64>],
    has_other: bool,
    peak: Option<&PeakView>,
) -> Markup {
    let (Some(first), Some(last)) = (ts.buckets.first(), ts.buckets.last()) else {
        return html! {};
    };
    let seconds = ts.bucket_seconds.max(1e-9);
    let width_ns = i64::try_from(ts.bucket_ns.max(1)).unwrap_or(i64::MAX);
    let max_bytes = ts.buckets.iter().map(|b| b.bytes).max().unwrap_or(0);
    // The y axis reaches the peak even when wider buckets average it down.
    let max_rate = (max_bytes as f64 * 8.0 / seconds)
        .max(peak.map_or(0.0, |p| p.bits_per_second))
        .max(1.0);
    let y_step = nice_step(max_rate, 4.0);
    let y_ticks = (max_rate / y_step - 1e-9).ceil().max(1.0) as usize;
    let chart = Chart {
        ts,
        series,
        values,
        has_other,
        plot: Plot {
            left: 92.0,
            right: CHART_WIDTH - 16.0,
            top: 14.0,
            bottom: 284.0,
        },
        seconds,
        width_ns,
        t0: first.start_ns,
        t1: last.start_ns.saturating_add(width_ns),
        y_step,
        y_ticks,
        y_max: y_step * y_ticks as f64,
    };
    let drawing = html! {
        (axes(&chart))
        (areas(&chart))
        @if let Some(peak) = peak {
            (peak_marker(&chart, peak))
        }
        // Hover tooltips with each bucket's figures, while the page stays
        // small.
        @if ts.buckets.len() <= MAX_HOVER_BUCKETS {
            (hover(&chart))
        }
    };
    let caption = html! {
        "Stacked, largest service at the bottom; each step is one "
        (format_width(seconds)) " bucket. Time in UTC, "
        (short_time(&format_timestamp(chart.t0))) " to "
        (short_time(&format_timestamp(chart.t1))) "."
    };
    chart_figure(
        "series",
        "Top services over time, bits per second, stacked",
        HEIGHT,
        drawing,
        caption,
    )
}

/// The rate axis with its grid, the time axis with its ticks, and the
/// base line.
fn axes(chart: &Chart<'_>) -> Markup {
    let plot = &chart.plot;
    let step = pick_time_step(chart.span(), plot.width());
    // Labels at the edges are aligned inwards rather than cut off.
    let half = label_chars(step).max(10) as f64 * 6.6 / 2.0;
    let anchor = |x: f64| {
        if x + half > CHART_WIDTH {
            "end"
        } else if x - half < 0.0 {
            "start"
        } else {
            "middle"
        }
    };
    html! {
        g.axis {
            @for i in 0..=chart.y_ticks {
                @let rate = chart.y_step * i as f64;
                @let y = Px::of(chart.y_of(rate));
                line.grid x1=(Px::of(plot.left)) y1=(y) x2=(Px::of(plot.right)) y2=(y) {}
                text x=(Px::of(plot.left - 8.0)) y=(Px(y.0 + 40)) text-anchor="end" {
                    (format_rate(rate))
                }
            }
            @for tick in time_ticks(chart.t0, chart.t1, step) {
                @let x = Px::of(chart.x_of(tick.ns));
                line.base x1=(x) y1=(Px::of(plot.bottom)) x2=(x) y2=(Px::of(plot.bottom + 5.0)) {}
                text x=(x) y=(Px::of(plot.bottom + 18.0)) text-anchor=(anchor(chart.x_of(tick.ns))) {
                    (tick.label)
                    @if let Some(date) = &tick.date {
                        tspan x=(x) dy="14" { (date) }
                    }
                }
            }
            line.base x1=(Px::of(plot.left)) y1=(Px::of(plot.bottom))
                x2=(Px::of(plot.right)) y2=(Px::of(plot.bottom)) {}
        }
        "\n"
    }
}

/// The areas, one per series and "other", painted from the top layer
/// down so that each lower layer covers its share of the ones above.
///
/// They are drawn in bucket slots across and in thousandths of the y range
/// up, so the path data are short integers: each layer is the area from
/// zero to its stacked top.
fn areas(chart: &Chart<'_>) -> Markup {
    let plot = &chart.plot;
    let slots = (chart.span() / chart.width_ns).max(1);
    let runs = runs(chart.ts, chart.width_ns);
    let tops: Vec<Vec<i64>> = chart
        .values
        .iter()
        .map(|row| {
            row.iter()
                .scan(0u64, |sum, v| {
                    *sum = sum.saturating_add(*v);
                    Some((chart.rate(*sum) / chart.y_max * LEVELS).round() as i64)
                })
                .collect()
        })
        .collect();
    let layers = chart.series.len() + usize::from(chart.has_other);
    html! {
        g.areas transform={
            "translate(" (Px::of(plot.left)) " " (Px::of(plot.bottom)) ") scale("
            (format!("{:.6} {:.6}", plot.width() / slots as f64, -plot.height() / LEVELS)) ")"
        } {
            "\n"
            @for layer in (0..layers).rev() {
                @let (label, fill, id) = match chart.series.get(layer) {
                    Some(s) => (s.label.as_str(), s.colour.as_str(), layer.to_string()),
                    None => ("other traffic", "var(--other)", "other".to_string()),
                };
                path.series data-series=(id) d=(area_path(chart, &runs, &tops, layer))
                    style={ "fill:" (fill) } {
                    title { (label) }
                }
                "\n"
            }
        }
        "\n"
    }
}

/// Runs of adjacent buckets (first and last index); the areas drop to zero
/// between runs.
fn runs(ts: &TimeSeriesView, width_ns: i64) -> Vec<(usize, usize)> {
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
    runs
}

/// The path data of one layer: per run, a step at each change of its
/// stacked top (`tops`, in levels).
fn area_path(
    chart: &Chart<'_>,
    runs: &[(usize, usize)],
    tops: &[Vec<i64>],
    layer: usize,
) -> String {
    let buckets = &chart.ts.buckets;
    let slot = |ns: i64| ns.saturating_sub(chart.t0) / chart.width_ns;
    let mut d = String::new();
    for &(start, end) in runs {
        // A layer with nothing in this run is hidden by the one below.
        if (start..=end).all(|i| chart.values[i][layer] == 0) {
            continue;
        }
        let first = slot(buckets[start].start_ns);
        let _ = write!(d, "M{first},0");
        // Equal neighbours share one step.
        let mut now = 0;
        let mut x = first;
        for (bucket, top) in buckets[start..=end].iter().zip(&tops[start..=end]) {
            let top = top[layer];
            if top != now {
                if x != first {
                    let _ = write!(d, "H{x}");
                }
                let _ = write!(d, "V{top}");
                now = top;
            }
            x = slot(bucket.start_ns) + 1;
        }
        let _ = write!(d, "H{x}V0Z");
    }
    d
}

/// The peak's window shaded and its rate as a dashed line, labelled on
/// the side with more room.
fn peak_marker(chart: &Chart<'_>, peak: &PeakView) -> Markup {
    let plot = &chart.plot;
    let x0 = chart.x_of(peak.start_ns);
    let x1 = chart.x_of(
        peak.start_ns
            .saturating_add(i64::try_from(peak.bucket_ns).unwrap_or(i64::MAX)),
    );
    let y = chart.y_of(peak.bits_per_second);
    let (lx, anchor) = if (x0 + x1) / 2.0 > (plot.left + plot.right) / 2.0 {
        (x0 - 6.0, "end")
    } else {
        (x1 + 6.0, "start")
    };
    html! {
        g.peak {
            rect x=(Px::of(x0)) y=(Px::of(plot.top)) width=(Px::of((x1 - x0).max(1.0)))
                height=(Px::of(plot.height())) {}
            line x1=(Px::of(plot.left)) y1=(Px::of(y)) x2=(Px::of(plot.right)) y2=(Px::of(y)) {}
            text x=(Px::of(lx)) y=(Px::of((y - 6.0).max(plot.top + 11.0))) text-anchor=(anchor) {
                "peak " (format_rate(peak.bits_per_second)) ": busiest "
                (format_width(peak.bucket_seconds)) ", from " (short_time(&peak.start))
            }
        }
        "\n"
    }
}

/// A transparent rectangle per bucket whose tooltip gives its figures.
fn hover(chart: &Chart<'_>) -> Markup {
    let plot = &chart.plot;
    html! {
        g.hover {
            @for (b, row) in chart.ts.buckets.iter().zip(chart.values) {
                @let x0 = chart.x_of(b.start_ns);
                @let x1 = chart.x_of(b.start_ns.saturating_add(chart.width_ns));
                rect x=(Px::of(x0)) y=(Px::of(plot.top)) width=(Px::of((x1 - x0).max(0.5)))
                    height=(Px::of(plot.height())) {
                    title {
                        (short_time(&b.start)) ": " (format_rate(chart.rate(b.bytes)))
                        @for (s, bytes) in chart.series.iter().zip(row) {
                            @if *bytes > 0 {
                                "\n" (s.label) ": " (format_rate(chart.rate(*bytes)))
                            }
                        }
                        @if let Some(other) = row.last().filter(|o| **o > 0 && chart.has_other) {
                            "\nother: " (format_rate(chart.rate(*other)))
                        }
                    }
                }
            }
        }
        "\n"
    }
}
