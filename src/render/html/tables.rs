//! The table kit (a scrolling table with its header, the "(N more)" row)
//! and the plain tables: transports, services, tunnels, port classes and
//! the ports the database does not know.

use super::{MAX_BARS, MAX_ROWS, bars, colour, section, swatch};
use crate::classify::PortClass;
use crate::render::format_share;
use crate::render::text::identified_label;
use crate::render::wording::fragments_sentence;
use crate::render::{ReportView, row_name};
use crate::render::{format_bytes, format_count, port_label};
use crate::schema::ServiceView;
use maud::{Markup, html};

/// A header cell: its text, and whether the column holds numbers (they are
/// right-aligned).
pub(super) type Column<'a> = (&'a str, bool);

/// A table in a scrolling box: the header cells, then `rows` (each ending
/// in a line break).
pub(super) fn table(class: &str, header: &[Column<'_>], rows: Markup) -> Markup {
    html! {
        div.scroll {
            table class=(class) {
                "\n"
                thead {
                    tr {
                        @for (name, numeric) in header {
                            th class=[numeric.then_some("n")] scope="col" { (name) }
                        }
                    }
                }
                "\n"
                tbody { "\n" (rows) }
                "\n"
            }
        }
        "\n"
    }
}

/// Rows of a table of `len` rows shown in HTML: `--top`, and at most
/// [`MAX_ROWS`].
pub(super) fn html_rows(view: &ReportView, len: usize) -> usize {
    view.rows(len).min(MAX_ROWS)
}

/// The hint of a "(N more)" row.
pub(super) fn more_hint(view: &ReportView, shown: usize) -> &'static str {
    if view.top != 0 && shown < MAX_ROWS {
        "--top 0 lists all"
    } else {
        "--format csv lists all"
    }
}

/// The "(N more; hint)" row across `columns` columns, when rows were left
/// out.
pub(super) fn more_row(len: usize, shown: usize, columns: usize, hint: &str) -> Markup {
    html! {
        @if len > shown {
            tr.rest {
                td colspan=(columns) { "(" (format_count((len - shown) as u64)) " more; " (hint) ")" }
            }
            "\n"
        }
    }
}

/// A row of a name and packets, bytes and share.
fn counter_row(name: &str, packets: u64, bytes: u64, share: f64) -> Markup {
    html! {
        tr {
            td { (name) }
            td.n { (format_count(packets)) }
            td.n { (format_bytes(bytes)) }
            td.n { (format_share(share)) }
        }
        "\n"
    }
}

/// Packets, bytes and share of each traffic category that has packets.
pub(super) fn transports(view: &ReportView) -> Markup {
    let r = &view.read;
    let header = [
        ("transport", false),
        ("packets", true),
        ("bytes", true),
        ("share", true),
    ];
    let rows = html! {
        @for (category, c) in r.transport.rows().iter().filter(|(_, c)| c.packets > 0) {
            (counter_row(category.name(), c.packets, c.bytes, r.share(c.bytes)))
        }
    };
    section(
        "transports",
        "Traffic by transport",
        table("transports", &header, rows),
    )
}

/// The services: a bar chart, then the table, then the fragments note.
pub(super) fn services(view: &ReportView) -> Markup {
    let r = &view.read;
    let fragments = fragments_sentence(r);
    let body = html! {
        @if r.services.is_empty() {
            p { "No TCP, UDP or SCTP traffic." } "\n"
        } @else {
            (bars::bar_chart(view))
            (services_table(view))
        }
        @if let Some(sentence) = fragments {
            p.note { (sentence) } "\n"
        }
    };
    section("services", "By service", body)
}

fn services_table(view: &ReportView) -> Markup {
    let r = &view.read;
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
    let rows = html! {
        @for (i, s) in top.iter().enumerate() {
            (service_row(view, i, s))
        }
        @if !rest.is_empty() {
            tr.rest {
                td colspan=(1 + usize::from(r.decap)) {
                    "(" (format_count(rest.len() as u64)) " more; " (more_hint(view, shown)) ")"
                }
                td {}
                td.n { (format_count(rest.iter().map(|s| s.packets).sum())) }
                td.n { (format_bytes(rest.iter().map(|s| s.bytes).sum())) }
                td.n { (format_share(rest.iter().map(|s| s.share).sum())) }
                td {} td {} td {}
            }
            "\n"
        }
    };
    table("services", &header, rows)
}

/// The `i`-th service's row.
fn service_row(view: &ReportView, i: usize, s: &ServiceView) -> Markup {
    // Directions come only from captures.
    let direction = view
        .report
        .service_directions
        .get(i)
        .filter(|_| view.report.details_available);
    let fill = if i < MAX_BARS {
        colour(i)
    } else {
        "var(--other)".to_string()
    };
    let description = s.description.as_deref().filter(|d| !d.is_empty());
    html! {
        tr {
            @if view.read.decap {
                @match s.key.tunnel {
                    Some(t) => td { (t) },
                    None => td.m { "-" },
                }
            }
            td {
                (swatch(&fill))
                @match description {
                    Some(d) => span title=(d) { (row_name(s)) },
                    None => (row_name(s)),
                }
            }
            td { (port_label(s.key)) }
            td.n { (format_count(s.packets)) }
            td.n { (format_bytes(s.bytes)) }
            td.n { (format_share(s.share)) }
            td.n { (direction.map_or_else(|| "n/a".to_string(), |d| format_bytes(d.to_server_bytes))) }
            td.n { (direction.map_or_else(|| "n/a".to_string(), |d| format_bytes(d.to_client_bytes))) }
            (identified_cell(s))
        }
        "\n"
    }
}

/// How a service row's port was identified, with the packets per method
/// as a tooltip.
fn identified_cell(s: &ServiceView) -> Markup {
    let i = &s.identified;
    html! {
        td.t title={
            "packets named by a TCP handshake: " (format_count(i.handshake))
            ", by the port database: " (format_count(i.port_database))
            ", by the heuristic: " (format_count(i.heuristic))
        } { (identified_label(s)) }
    }
}

/// Frames per tunnel kind (`--decap`).
pub(super) fn tunnels(view: &ReportView) -> Markup {
    let r = &view.read;
    let header = [
        ("tunnel", false),
        ("packets", true),
        ("bytes", true),
        ("share", true),
    ];
    let body = html! {
        @if r.tunnels.is_empty() {
            p { "None: no frame came through a tunnel portclass opens." } "\n"
        } @else {
            (table("tunnels", &header, html! {
                @for t in &r.tunnels {
                    (counter_row(t.tunnel.name(), t.packets, t.bytes, r.share(t.bytes)))
                }
            }))
            p.note { "Bytes are the outer frames'; the services above count the inner ports." } "\n"
        }
    };
    section("tunnels", "Tunnels", body)
}

/// Services, packets, bytes and share per IANA port class.
pub(super) fn port_classes(view: &ReportView) -> Markup {
    let header = [
        ("class", false),
        ("services", true),
        ("packets", true),
        ("bytes", true),
        ("share", true),
    ];
    let rows = html! {
        @for c in &view.report.port_classes {
            tr {
                td {
                    (c.class) " "
                    span.m {
                        @match c.class {
                            PortClass::WellKnown => "ports 0-1023",
                            PortClass::Registered => "ports 1024-49151",
                            PortClass::Dynamic => "ports 49152-65535",
                        }
                    }
                }
                td.n { (format_count(c.services)) }
                td.n { (format_count(c.packets)) }
                td.n { (format_bytes(c.bytes)) }
                td.n { (format_share(c.share)) }
            }
            "\n"
        }
    };
    section(
        "port-classes",
        "By port class",
        table("port-classes", &header, rows),
    )
}

/// Server ports the database has no name for.
pub(super) fn unknown_ports(view: &ReportView) -> Markup {
    let unknown = &view.report.unknown_ports;
    let shown = html_rows(view, unknown.len());
    let header = [
        ("port", false),
        ("servers", true),
        ("packets", true),
        ("bytes", true),
    ];
    let rows = html! {
        @for u in &unknown[..shown] {
            tr {
                td { (u.port) "/" (u.transport) }
                td.n { (format_count(u.servers)) }
                td.n { (format_count(u.packets)) }
                td.n { (format_bytes(u.bytes)) }
            }
            "\n"
        }
        (more_row(unknown.len(), shown, 4, more_hint(view, shown)))
    };
    let body = html! {
        @if unknown.is_empty() {
            p { "None." } "\n"
        } @else {
            (table("unknown-ports", &header, rows))
            p.note {
                "Ports on which a server answered (a client's port never shows here), with the traffic to and from those servers. \
                 Name them with " code { "--port-db FILE" } "."
            }
            "\n"
        }
    };
    section(
        "unknown-ports",
        "Server ports the database does not know",
        body,
    )
}
