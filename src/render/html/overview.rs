//! The page's header and its overview: the cards (packets, bytes,
//! duration, rates) and the table of inputs, time span, link types, decode
//! quality and port scans.

use super::{format_width, inputs_summary, section, short_time};
use crate::decode::DecodeProblem;
use crate::render::wording::{peak_detail, scans_overview};
use crate::render::{ReportView, format_duration};
use crate::render::{format_bytes, format_count, format_rate};
use crate::schema::InputStatusKind;
use maud::{Markup, html};

/// The header (title, inputs, time span) and the overview section.
pub(super) fn overview(view: &ReportView) -> Markup {
    let r = &view.read;
    let span = r
        .first_timestamp
        .as_deref()
        .zip(r.last_timestamp.as_deref());
    let body = html! {
        (cards(view))
        div.scroll {
            table.kv {
                "\n"
                tbody {
                    "\n"
                    (inputs_row(view))
                    @if let Some((first, last)) = span {
                        (kv_row("time span", html! {
                            (first) " to " (last) " (" (format!("{:.3}", r.duration_seconds)) " s)"
                        }))
                    }
                    (link_types_row(view))
                    (decode_quality_row(view))
                    (scans_row(view))
                }
                "\n"
            }
        }
        "\n"
    };
    html! {
        header {
            "\n" h1 { "Traffic report" } "\n"
            p.sub {
                (inputs_summary(view))
                @if let Some((first, last)) = span {
                    " · " (short_time(first)) " to " (short_time(last)) " UTC"
                }
            }
            "\n"
        }
        "\n"
        (section("overview", "Overview", body))
    }
}

/// The figures at a glance, one card each.
fn cards(view: &ReportView) -> Markup {
    let r = &view.read;
    let card = |key: &str, value: String, detail: String| {
        html! {
            div.card {
                div.k { (key) }
                div.v { (value) }
                @if !detail.is_empty() {
                    div.d { (detail) }
                }
            }
            "\n"
        }
    };
    html! {
        div.cards {
            "\n"
            (card("packets", format_count(r.packets), String::new()))
            (card("bytes", format_bytes(r.bytes), format!("{} bytes", format_count(r.bytes))))
            (card("duration", format_duration(r.duration_seconds), String::new()))
            @if let Some(bps) = r.average_bits_per_second {
                (card("average rate", format_rate(bps), String::new()))
            }
            @if let Some(peak) = &view.report.peak {
                (card(
                    "peak rate",
                    format_rate(peak.bits_per_second),
                    peak_detail(
                        peak,
                        &short_time(&peak.start),
                        r.duration_seconds,
                        &format_width(peak.bucket_seconds),
                    ),
                ))
            }
        }
        "\n"
    }
}

/// A row of the overview table: a heading cell and its value.
fn kv_row(key: &str, value: Markup) -> Markup {
    html! {
        tr { th scope="row" { (key) } td { (value) } } "\n"
    }
}

/// Each input with its format, size and, unless complete, its status.
fn inputs_row(view: &ReportView) -> Markup {
    kv_row(
        "inputs",
        html! {
            ul {
                @for input in &view.read.inputs {
                    li {
                        code { (input.name) } " "
                        span.m {
                            "(" (input.format) "; " (format_count(input.packets)) " packets, "
                            (format_bytes(input.bytes)) ")"
                        }
                        @if input.status != InputStatusKind::Complete {
                            " "
                            span.bad {
                                (input.status)
                                @if let Some(error) = &input.error { ": " (error) }
                            }
                        }
                    }
                }
            }
        },
    )
}

fn link_types_row(view: &ReportView) -> Markup {
    kv_row(
        "link types",
        html! {
            @for (i, l) in view.read.link_types.iter().enumerate() {
                @if i > 0 { ", " }
                span title={ (l.description) ", LINKTYPE " (l.linktype) } { (l.name) }
                " (" (format_count(l.packets)) ")"
            }
        },
    )
}

/// Frames the decoder could not take apart, by problem.
fn decode_quality_row(view: &ReportView) -> Markup {
    let r = &view.read;
    let t = &r.transport;
    let undecodable = r.problem(DecodeProblem::UnsupportedLinkType);
    let problems: Vec<_> = r.decode_problems.iter().filter(|d| d.packets > 0).collect();
    kv_row(
        "decode quality",
        html! {
            "truncated " (format_count(t.truncated.packets))
            ", fragments " (format_count(t.fragment.packets))
            ", non-IP " (format_count(t.non_ip.packets))
            ", undecodable link type " (format_count(undecodable))
            @if !problems.is_empty() {
                ul {
                    @for d in problems {
                        li {
                            (d.description) ": " (format_count(d.packets)) " "
                            span.m { "(" code { (d.problem) } ")" }
                        }
                    }
                }
            }
        },
    )
}

fn scans_row(view: &ReportView) -> Markup {
    let scans = view.read.scans.as_ref();
    let text = scans_overview(scans);
    kv_row(
        "port scans",
        html! {
            @if scans.is_some_and(|s| s.found() > 0) {
                span.bad { (text) } " " span.m { "(see Port scans below)" }
            } @else {
                (text)
            }
        },
    )
}
