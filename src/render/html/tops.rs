//! The top-K tables: servers that answered, top hosts and top
//! conversations, with their figures marked when they are bounds and the
//! sentence on their accuracy.

use super::tables::{Column, html_rows, more_hint, more_row, table};
use super::{MAX_ROWS, THIN_SPACE, section, short_time};
use crate::render::ReportView;
use crate::render::endpoint;
use crate::render::units::{format_timestamp, name_source_label};
use crate::render::wording::{accuracy_note, names_heading, resolve_sentence};
use crate::render::{format_bytes, format_count};
use crate::schema::TopView;
use maud::{Markup, html};

/// The name learnt for an address, after it: ` (web.portclass.test)`
/// (escaped as text, like every name in the page).
fn name_after(name: Option<&str>) -> Markup {
    html! {
        @if let Some(name) = name {
            " (" (name) ")"
        }
    }
}

/// A figure of a top-K row: when the row is not exact it is a lower bound,
/// marked "≥" with a tooltip saying how much more the truth may be.
fn figure_cell(text: &str, overestimate: u64) -> Markup {
    html! {
        @if overestimate == 0 {
            td.n { (text) }
        } @else {
            td.n.approx title={
                "approximate: at least this; the row may have up to "
                (format_bytes(overestimate)) " more"
            } { "≥" (THIN_SPACE) (text) }
        }
    }
}

fn accuracy_cell(overestimate: u64) -> Markup {
    let more = format_bytes(overestimate);
    html! {
        @if overestimate == 0 {
            td.a.m { "exact" }
        } @else {
            td.a.approx title={
                "a bounded summary was kept: the figures are lower bounds, the truth is at most "
                (more) " more"
            } { "at least; up to " (more) " more" }
        }
    }
}

/// A total of the "others" row: the exact total less the rows shown, an
/// upper bound (marked "≤") when those rows are lower bounds.
fn rest_cell(text: &str, upper_bound: bool) -> Markup {
    html! {
        @if upper_bound {
            td.n.approx title="at most: the exact total less the rows above, which are lower bounds" {
                "≤" (THIN_SPACE) (text)
            }
        } @else {
            td.n { (text) }
        }
    }
}

/// The accuracy sentence under a top-K table; `next_estimate` is the
/// estimated bytes of the first row not shown.
fn top_note<T, U>(top: &TopView<T, U>, next_estimate: u64, what: &str) -> Markup {
    let text = accuracy_note(
        top.exact,
        top.capacity,
        top.error_bound_bytes,
        next_estimate,
        what,
    );
    html! {
        p class=(if top.exact { "note" } else { "note warn" }) { (text) } "\n"
    }
}

/// The "others" row of a top-K table, which holds the exact totals less
/// the rows shown.
struct Others {
    /// How many others, when every key was kept; else unknown.
    count: Option<usize>,
    /// Whether its figures are upper bounds (marked "≤"): the rows shown
    /// are lower bounds.
    upper_bound: bool,
}

impl Others {
    /// The others of `top` after its first `shown` rows, which hold
    /// `listed_bytes` of `total_bytes`; `None` when nothing is left over.
    fn of<T, U>(
        top: &TopView<T, U>,
        shown: usize,
        listed_bytes: u64,
        total_bytes: u64,
        upper_bound: bool,
    ) -> Option<Others> {
        let count = top.exact.then(|| top.entries.len() - shown);
        let any = match count {
            Some(n) => n > 0,
            None => total_bytes > listed_bytes,
        };
        any.then_some(Others { count, upper_bound })
    }

    /// Its label: `(N more hosts; hint)` or `(all other hosts)`.
    fn label(&self, what: &str, hint: &str) -> String {
        match self.count {
            Some(n) => format!("({} more {what}; {hint})", format_count(n as u64)),
            None => format!("(all other {what})"),
        }
    }
}

/// The "not available" paragraph when some inputs were `read`/`live`
/// summaries, whose frames carry no hosts, conversations, directions or
/// time series (as the Markdown report says).
pub(super) fn details_missing(view: &ReportView) -> Option<Markup> {
    (!view.report.details_available).then(|| {
        html! {
            p.note.warn {
                "Not available: some inputs were " code { "read" } " or " code { "live" }
                " summaries, which carry no hosts, conversations, directions or time series."
            }
            "\n"
        }
    })
}

/// The servers that answered, with their top clients.
pub(super) fn servers(view: &ReportView) -> Markup {
    let servers = &view.read.servers;
    let body = if servers.entries.is_empty() {
        html! { p { "None." } "\n" }
    } else {
        let accuracy = if servers.exact {
            String::new()
        } else {
            format!(
                " More servers than the {} kept: figures are lower bounds, and a server not listed has at most {}.",
                format_count(servers.capacity as u64),
                format_bytes(servers.error_bound_bytes)
            )
        };
        html! {
            (servers_table(view))
            p.note {
                "Endpoints that answered: their TCP handshake or UDP reply was seen, or (traffic whose start was not captured) \
                 the port database names their port. Conversations counts those whose opening was seen."
                (accuracy)
            }
            "\n"
        }
    };
    section("servers", "Servers that answered", body)
}

/// The names learnt for addresses, when there are any.
pub(super) fn names(view: &ReportView) -> Markup {
    let names = &view.read.names;
    if names.entries.is_empty() && !names.approximate {
        return html! {};
    }
    let shown = html_rows(view, names.entries.len());
    let header: [Column<'_>; 4] = [
        ("address", false),
        ("name", false),
        ("learnt from", false),
        ("first seen", false),
    ];
    let hint = if view.top != 0 && shown < MAX_ROWS {
        "--top 0 lists all"
    } else {
        "--format json lists all"
    };
    let rows = html! {
        @for n in &names.entries[..shown] {
            tr {
                td { code { (n.address) } }
                td {
                    (n.name)
                    @if let Some(canonical) = &n.canonical { " (canonical " (canonical) ")" }
                }
                td { (name_source_label(n.source)) }
                td { (short_time(&format_timestamp(n.first_ns))) }
            }
            "\n"
        }
        (more_row(names.entries.len(), shown, 4, hint))
    };
    let dropped = if names.approximate {
        format!(
            " The table was full ({} addresses): {} names learnt for other addresses were dropped.",
            format_count(names.capacity as u64),
            format_count(names.dropped)
        )
    } else {
        String::new()
    };
    let body = html! {
        (table("names", &header, rows))
        p.note {
            "Learnt from the traffic itself (DNS answers, TLS and QUIC server names, HTTP Host headers)"
            @if let Some(resolved) = &names.resolved {
                ", and looked up for the other addresses shown. " (resolve_sentence(resolved))
            } @else {
                ", never looked up."
            }
            " Of several names for an address, a DNS answer to what a client asked for wins, \
             then TLS SNI, QUIC SNI, HTTP Host, a PTR answer, and portclass's own lookup last; the first seen among names learnt the same way."
            (dropped)
        }
        "\n"
    };
    section("names", names_heading(names), body)
}

fn servers_table(view: &ReportView) -> Markup {
    let entries = &view.read.servers.entries;
    let shown = html_rows(view, entries.len());
    let header: [Column<'_>; 9] = [
        ("server", false),
        ("service", false),
        ("to server", true),
        ("from server", true),
        ("conversations", true),
        ("clients", true),
        ("top clients (conversations)", false),
        ("first seen", false),
        ("last seen", false),
    ];
    let seen = |at: &Option<String>| at.as_deref().map_or_else(|| "-".to_string(), short_time);
    let rows = html! {
        @for s in &entries[..shown] {
            tr {
                td { code { (endpoint(s.address, s.port)) "/" (s.transport) } (name_after(s.label().as_deref())) }
                td { (s.service.as_deref().unwrap_or("-")) }
                (figure_cell(&format_bytes(s.to_server_bytes), s.overestimate_bytes))
                (figure_cell(&format_bytes(s.from_server_bytes), s.overestimate_bytes))
                td.n { (format_count(s.conversations)) }
                td.n {
                    @if s.clients_approximate { "≈" }
                    (format_count(s.clients))
                }
                td {
                    @for (i, c) in s.top_clients.iter().take(3).enumerate() {
                        @if i > 0 { ", " }
                        (c.address) " (" (format_count(c.conversations)) ")"
                    }
                }
                td { (seen(&s.first_timestamp)) }
                td { (seen(&s.last_timestamp)) }
            }
            "\n"
        }
        (more_row(entries.len(), shown, 9, more_hint(view, shown)))
    };
    table("servers", &header, rows)
}

/// The top hosts by bytes, and the rest as one row.
pub(super) fn hosts(view: &ReportView) -> Markup {
    let body = details_missing(view).unwrap_or_else(|| hosts_table(view));
    section("hosts", "Top hosts", body)
}

fn hosts_table(view: &ReportView) -> Markup {
    let hosts = &view.report.hosts;
    let shown = html_rows(view, hosts.entries.len());
    let header = [
        ("host", false),
        ("sent", true),
        ("received", true),
        ("packets", true),
        ("accuracy", false),
    ];
    let listed = &hosts.entries[..shown];
    let sent: u64 = listed.iter().map(|h| h.sent_bytes).sum();
    let received: u64 = listed.iter().map(|h| h.received_bytes).sum();
    let packets: u64 = listed
        .iter()
        .map(|h| h.sent_packets + h.received_packets)
        .sum();
    let t = &hosts.totals;
    let others = Others::of(
        hosts,
        shown,
        sent + received,
        t.sent_bytes + t.received_bytes,
        listed.iter().any(|h| h.overestimate_bytes > 0),
    );
    let rows = html! {
        @for h in listed {
            tr {
                td { code { (h.address) } (name_after(h.label().as_deref())) }
                (figure_cell(&format_bytes(h.sent_bytes), h.overestimate_bytes))
                (figure_cell(&format_bytes(h.received_bytes), h.overestimate_bytes))
                (figure_cell(&format_count(h.sent_packets + h.received_packets), h.overestimate_bytes))
                (accuracy_cell(h.overestimate_bytes))
            }
            "\n"
        }
        @if let Some(others) = others {
            @let upper = others.upper_bound;
            tr.rest {
                td { (others.label("hosts", more_hint(view, shown))) }
                (rest_cell(&format_bytes(t.sent_bytes.saturating_sub(sent)), upper))
                (rest_cell(&format_bytes(t.received_bytes.saturating_sub(received)), upper))
                td.n {
                    @if upper { "≤" (THIN_SPACE) }
                    (format_count((t.sent_packets + t.received_packets).saturating_sub(packets)))
                }
                td {}
            }
            "\n"
        }
    };
    let next = hosts.entries.get(shown).map_or(0, |h| {
        h.sent_bytes + h.received_bytes + h.overestimate_bytes
    });
    html! {
        (table("hosts", &header, rows))
        (top_note(hosts, next, "hosts"))
    }
}

/// The top conversations by bytes, and the rest as one row.
pub(super) fn conversations(view: &ReportView) -> Markup {
    let body = details_missing(view).unwrap_or_else(|| conversations_table(view));
    section("conversations", "Top conversations", body)
}

fn conversations_table(view: &ReportView) -> Markup {
    let conversations = &view.report.conversations;
    let shown = html_rows(view, conversations.entries.len());
    let header = [
        ("client", false),
        ("server", false),
        ("service", false),
        ("client → server", true),
        ("server → client", true),
        ("accuracy", false),
    ];
    let listed = &conversations.entries[..shown];
    let to_server: u64 = listed.iter().map(|c| c.to_server_bytes).sum();
    let to_client: u64 = listed.iter().map(|c| c.to_client_bytes).sum();
    let t = &conversations.totals;
    let others = Others::of(
        conversations,
        shown,
        to_server + to_client,
        t.to_server_bytes + t.to_client_bytes,
        listed.iter().any(|c| c.overestimate_bytes > 0),
    );
    let rows = html! {
        @for c in listed {
            tr {
                td { code { (endpoint(c.client, c.client_port)) } (name_after(c.client_label().as_deref())) }
                td { code { (endpoint(c.server, c.server_port)) } (name_after(c.server_label().as_deref())) }
                td {
                    @match &c.service {
                        Some(service) => (service),
                        None => { (c.server_port) "/" (c.transport) }
                    }
                    " " span.m { (c.transport) }
                }
                (figure_cell(&format_bytes(c.to_server_bytes), c.overestimate_bytes))
                (figure_cell(&format_bytes(c.to_client_bytes), c.overestimate_bytes))
                (accuracy_cell(c.overestimate_bytes))
            }
            "\n"
        }
        @if let Some(others) = others {
            @let upper = others.upper_bound;
            tr.rest {
                td colspan="3" { (others.label("conversations", more_hint(view, shown))) }
                (rest_cell(&format_bytes(t.to_server_bytes.saturating_sub(to_server)), upper))
                (rest_cell(&format_bytes(t.to_client_bytes.saturating_sub(to_client)), upper))
                td {}
            }
            "\n"
        }
    };
    let next = conversations.entries.get(shown).map_or(0, |c| {
        c.to_server_bytes + c.to_client_bytes + c.overestimate_bytes
    });
    html! {
        (table("conversations", &header, rows))
        (top_note(conversations, next, "conversations"))
    }
}
