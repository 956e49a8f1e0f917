//! render: the views of [`schema`](crate::schema)'s documents built from
//! tallies (`view`), and their serialisation, one file per format: tables
//! and Markdown of `read` (`text`), the report as Markdown (`markdown`) and
//! HTML (`html`), CSV (`csv`), JSON (serde, here), Parquet tables
//! (`parquet`), Prometheus (`prometheus`), the live output and screen
//! (`live`, `screen`), with one
//! kit of shared helpers: `table`, `units` (labels and units) and
//! `wording` (sentences). Everything writes to an `io::Write`.
//!
//! May import: `schema`, `tally`, `classify`, `decode`, `pipeline` (its
//! enums and scan findings), `capture::LinkType`, comfy-table, csv, maud,
//! serde_json, arrow-array, arrow-schema, parquet. Never reads captures or
//! mutates tallies.

pub mod alerts;
pub mod csv;
mod diff;
pub mod html;
pub mod live;
mod markdown;
pub mod parquet;
pub mod prometheus;
mod scans;
pub mod screen;
pub mod table;
mod text;
mod units;
mod view;
mod wording;

use crate::classify::PortEntry;
use crate::schema::{DiffView, PortEntryView, ReadView};
use serde::Serialize;
use std::io::{self, Write};

pub use csv::ReportTable;
pub use markdown::write_markdown;
pub use units::{
    bracket, endpoint, format_bytes, format_count, format_duration, format_rate, format_share,
    format_timestamp, port_label, row_name, with_tunnel,
};
pub use view::{CHART_BUCKETS, DiffSide, ReportView, ShownAddresses, TABLE_BUCKETS};
pub(crate) use view::{ServiceKey, ServiceName, service_key};

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Aligned tables for a terminal.
    Table,
    /// One JSON document.
    Json,
    /// Comma-separated values.
    Csv,
    /// Markdown tables.
    Markdown,
}

/// Writes `value` as pretty JSON and a newline: `read`'s and `report`'s
/// documents.
pub fn write_json<T: Serialize>(value: &T, out: &mut dyn Write) -> io::Result<()> {
    // The serializer writes token by token: through a buffer of a known
    // type each write is an inlined copy rather than a call through `dyn
    // Write` (a read's 8 MB document: 71 million instructions before, see
    // the README's Speed section).
    let mut buffered = io::BufWriter::with_capacity(64 * 1024, out);
    serde_json::to_writer_pretty(&mut buffered, value)?;
    writeln!(buffered)?;
    buffered.flush()
}

/// Writes `view` in `format`; `top` limits the service rows of table and
/// markdown output (0: all).
pub fn write_read(
    view: &ReadView,
    format: Format,
    top: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Json => write_json(view, out),
        Format::Csv => csv::write_services(view, out),
        Format::Table => text::write_read(view, top, text::Style::Terminal, out),
        Format::Markdown => text::write_read(view, top, text::Style::Markdown, out),
    }
}

/// Writes `diff`'s comparison in `format`.
pub fn write_diff(view: &DiffView, format: Format, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Json => write_json(view, out),
        Format::Csv => diff::write_csv(view, out),
        Format::Table => diff::write_text(view, table::Style::Terminal, out),
        Format::Markdown => diff::write_text(view, table::Style::Markdown, out),
    }
}

/// Writes port database entries (from `ports QUERY`) in `format`.
pub fn write_ports(
    entries: &[&PortEntry],
    format: Format,
    numeric: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let views: Vec<PortEntryView> = entries
        .iter()
        .map(|e| PortEntryView {
            port: e.port,
            transport: e.transport,
            service: e.service.clone(),
            description: e.description.clone(),
            source: e.source,
            class: e.class(),
        })
        .collect();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &views)?;
            writeln!(out)
        }
        Format::Csv => csv::write_ports(&views, out),
        Format::Table => text::write_ports(&views, numeric, text::Style::Terminal, out),
        Format::Markdown => text::write_ports(&views, numeric, text::Style::Markdown, out),
    }
}
