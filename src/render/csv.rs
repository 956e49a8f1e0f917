//! CSV (RFC 4180, CRLF line ends) through the `csv` crate: one serde struct
//! per row type, quoted only where a field needs it, the header taken from
//! the struct's field names. Every CSV portclass writes is here: `read`'s
//! services, `ports`' entries, `report`'s four tables and `live`'s rows.

use super::ReportView;
use super::live::{LiveServiceRow, join_states};
use super::units::port_text;
use crate::classify::Source;
use crate::decode::Tunnel;
use crate::pipeline::names::NameSource;
use crate::schema::{GeoView, InterfaceView, PortEntryView, ReadView, ServiceView};
use serde::Serialize;
use std::io::{self, Write};

/// Writes `rows` as CSV to `out`, with the header line when `header` (also
/// when there are no rows).
pub(super) fn write_rows<R: Serialize + Default>(
    rows: impl IntoIterator<Item = R>,
    header: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let builder = || {
        let mut builder = csv::WriterBuilder::new();
        builder.terminator(csv::Terminator::CRLF);
        builder
    };
    let mut writer = builder().has_headers(header).from_writer(&mut *out);
    let mut empty = true;
    for row in rows {
        writer.serialize(row).map_err(io_error)?;
        empty = false;
    }
    writer.flush()?;
    drop(writer);
    if header && empty {
        // The crate takes the header from a record: one is written to a
        // buffer, and only its header line kept.
        let mut probe = builder().from_writer(Vec::new());
        probe.serialize(R::default()).map_err(io_error)?;
        let bytes = probe.into_inner().map_err(|e| e.into_error())?;
        let end = bytes
            .windows(2)
            .position(|w| w == b"\r\n")
            .map_or(bytes.len(), |at| at + 2);
        out.write_all(&bytes[..end])?;
    }
    Ok(())
}

/// The writer's error as the I/O error it is (so that a closed pipe stays
/// one), or as an I/O error saying what could not be written.
fn io_error(error: csv::Error) -> io::Error {
    match error.into_kind() {
        csv::ErrorKind::Io(error) => error,
        other => io::Error::other(format!("cannot write a CSV row: {other:?}")),
    }
}

/// Which table `report --format csv` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportTable {
    /// Service rows with direction.
    Services,
    /// Top hosts.
    Hosts,
    /// Top conversations.
    Conversations,
    /// One row per bucket and charted service.
    Timeseries,
}

/// A share of 0..1 with six decimals.
fn share_field(share: f64) -> String {
    format!("{share:.6}")
}

/// One row of `read`'s services table.
#[derive(Default, Serialize)]
struct ServiceRow<'a> {
    transport: &'a str,
    port: String,
    service: &'a str,
    source: &'a str,
    packets: u64,
    bytes: u64,
    share: String,
    description: &'a str,
    tunnel: &'a str,
    identified_by: &'a str,
    handshake_packets: u64,
    port_database_packets: u64,
    heuristic_packets: u64,
    related_packets: u64,
}

impl<'a> ServiceRow<'a> {
    fn of(s: &'a ServiceView) -> ServiceRow<'a> {
        ServiceRow {
            transport: s.key.transport.name(),
            port: port_text(s.key),
            service: s.service.as_deref().unwrap_or(""),
            source: s.source.map_or("", Source::name),
            packets: s.packets,
            bytes: s.bytes,
            share: share_field(s.share),
            description: s.description.as_deref().unwrap_or(""),
            tunnel: s.key.tunnel.map_or("", Tunnel::name),
            identified_by: s.identified_by.name(),
            handshake_packets: s.identified.handshake,
            port_database_packets: s.identified.port_database,
            heuristic_packets: s.identified.heuristic,
            related_packets: s.identified.related,
        }
    }
}

/// One row per service, largest first: the same rows as the JSON `services`.
pub fn write_services(view: &ReadView, out: &mut dyn Write) -> io::Result<()> {
    write_rows(view.services.iter().map(ServiceRow::of), true, out)
}

/// One row of `ports`.
#[derive(Default, Serialize)]
struct PortEntryRow<'a> {
    port: u16,
    transport: &'a str,
    service: &'a str,
    class: &'a str,
    source: &'a str,
    description: &'a str,
}

/// One row per port database entry.
pub fn write_ports(entries: &[PortEntryView], out: &mut dyn Write) -> io::Result<()> {
    let rows = entries.iter().map(|e| PortEntryRow {
        port: e.port,
        transport: e.transport.name(),
        service: &e.service,
        class: e.class.name(),
        source: e.source.name(),
        description: &e.description,
    });
    write_rows(rows, true, out)
}

/// One row of the report's services table: `read`'s columns with the
/// traffic each way.
#[derive(Default, Serialize)]
struct ReportServiceRow<'a> {
    transport: &'a str,
    port: String,
    service: &'a str,
    source: &'a str,
    packets: u64,
    bytes: u64,
    share: String,
    to_server_packets: u64,
    to_server_bytes: u64,
    to_client_packets: u64,
    to_client_bytes: u64,
    description: &'a str,
    tunnel: &'a str,
    identified_by: &'a str,
    handshake_packets: u64,
    port_database_packets: u64,
    heuristic_packets: u64,
    related_packets: u64,
}

/// One row of the report's hosts table.
#[derive(Default, Serialize)]
struct HostRow<'a> {
    address: String,
    sent_packets: u64,
    sent_bytes: u64,
    received_packets: u64,
    received_bytes: u64,
    overestimate_bytes: u64,
    name: &'a str,
    name_source: &'a str,
    country: &'a str,
    asn: Option<u32>,
    as_org: &'a str,
}

/// One row of the report's conversations table.
#[derive(Default, Serialize)]
struct ConversationRow<'a> {
    transport: &'a str,
    client: String,
    client_port: u16,
    server: String,
    server_port: u16,
    service: &'a str,
    to_server_packets: u64,
    to_server_bytes: u64,
    to_client_packets: u64,
    to_client_bytes: u64,
    overestimate_bytes: u64,
    client_name: &'a str,
    client_name_source: &'a str,
    server_name: &'a str,
    server_name_source: &'a str,
    client_country: &'a str,
    client_asn: Option<u32>,
    client_as_org: &'a str,
    server_country: &'a str,
    server_asn: Option<u32>,
    server_as_org: &'a str,
}

/// The country, AS number and AS owner cells of an address (empty when
/// `--geoip` knows nothing of it).
fn geo_cells(geo: Option<&GeoView>) -> (&str, Option<u32>, &str) {
    (
        geo.and_then(|g| g.country.as_deref()).unwrap_or(""),
        geo.and_then(|g| g.asn),
        geo.and_then(|g| g.as_org.as_deref()).unwrap_or(""),
    )
}

/// One row of the report's time series: a service in a bucket.
#[derive(Default, Serialize)]
struct BucketRow<'a> {
    start: &'a str,
    start_ns: i64,
    transport: &'a str,
    port: String,
    service: String,
    bytes: u64,
    bits_per_second: String,
}

/// One of the report's tables as CSV.
pub fn write_report(view: &ReportView, table: ReportTable, out: &mut dyn Write) -> io::Result<()> {
    let report = &view.report;
    match table {
        ReportTable::Services => {
            let rows = view
                .read
                .services
                .iter()
                .zip(&report.service_directions)
                .map(|(s, d)| {
                    let row = ServiceRow::of(s);
                    ReportServiceRow {
                        transport: row.transport,
                        port: row.port,
                        service: row.service,
                        source: row.source,
                        packets: row.packets,
                        bytes: row.bytes,
                        share: row.share,
                        to_server_packets: d.to_server_packets,
                        to_server_bytes: d.to_server_bytes,
                        to_client_packets: d.to_client_packets,
                        to_client_bytes: d.to_client_bytes,
                        description: row.description,
                        tunnel: row.tunnel,
                        identified_by: row.identified_by,
                        handshake_packets: row.handshake_packets,
                        port_database_packets: row.port_database_packets,
                        heuristic_packets: row.heuristic_packets,
                        related_packets: row.related_packets,
                    }
                });
            write_rows(rows, true, out)
        }
        ReportTable::Hosts => {
            let rows = report.hosts.entries.iter().map(|h| HostRow {
                address: h.address.to_string(),
                sent_packets: h.sent_packets,
                sent_bytes: h.sent_bytes,
                received_packets: h.received_packets,
                received_bytes: h.received_bytes,
                overestimate_bytes: h.overestimate_bytes,
                name: h.name.as_deref().unwrap_or(""),
                name_source: h.name_source.map_or("", NameSource::name),
                country: geo_cells(h.geo.as_ref()).0,
                asn: geo_cells(h.geo.as_ref()).1,
                as_org: geo_cells(h.geo.as_ref()).2,
            });
            write_rows(rows, true, out)
        }
        ReportTable::Conversations => {
            let rows = report
                .conversations
                .entries
                .iter()
                .map(|c| ConversationRow {
                    transport: c.transport.name(),
                    client: c.client.to_string(),
                    client_port: c.client_port,
                    server: c.server.to_string(),
                    server_port: c.server_port,
                    service: c.service.as_deref().unwrap_or(""),
                    to_server_packets: c.to_server_packets,
                    to_server_bytes: c.to_server_bytes,
                    to_client_packets: c.to_client_packets,
                    to_client_bytes: c.to_client_bytes,
                    overestimate_bytes: c.overestimate_bytes,
                    client_name: c.client_name.as_deref().unwrap_or(""),
                    client_name_source: c.client_name_source.map_or("", NameSource::name),
                    server_name: c.server_name.as_deref().unwrap_or(""),
                    server_name_source: c.server_name_source.map_or("", NameSource::name),
                    client_country: geo_cells(c.client_geo.as_ref()).0,
                    client_asn: geo_cells(c.client_geo.as_ref()).1,
                    client_as_org: geo_cells(c.client_geo.as_ref()).2,
                    server_country: geo_cells(c.server_geo.as_ref()).0,
                    server_asn: geo_cells(c.server_geo.as_ref()).1,
                    server_as_org: geo_cells(c.server_geo.as_ref()).2,
                });
            write_rows(rows, true, out)
        }
        ReportTable::Timeseries => {
            let seconds = report.timeseries.bucket_seconds.max(1e-9);
            let rows = report.timeseries.buckets.iter().flat_map(|b| {
                b.services.iter().map(move |s| BucketRow {
                    start: &b.start,
                    start_ns: b.start_ns,
                    transport: s.key.transport.name(),
                    port: port_text(s.key),
                    service: view.service_label(s.key),
                    bytes: s.bytes,
                    bits_per_second: format!("{:.1}", s.bytes as f64 * 8.0 / seconds),
                })
            });
            write_rows(rows, true, out)
        }
    }
}

/// Which counts a live CSV row holds.
#[derive(Clone, Copy)]
pub enum LiveScope {
    /// The interval's (rate, packets, bytes and share of the interval).
    Interval,
    /// Everything since the start.
    Total,
}

/// One row of `live`: a service at one moment.
#[derive(Default, Serialize)]
struct LiveRow<'a> {
    timestamp: &'a str,
    scope: &'static str,
    transport: &'a str,
    port: String,
    service: &'a str,
    packets_per_second: String,
    bits_per_second: String,
    packets: u64,
    bytes: u64,
    share: String,
}

/// `live`'s rows at `timestamp`: an interval's (its counts and share of the
/// interval) or the totals (the summary's).
pub fn write_live(
    rows: &[LiveServiceRow],
    scope: LiveScope,
    timestamp: &str,
    header: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let interval_bytes: u64 = rows.iter().map(|r| r.interval_bytes).sum();
    let records = rows.iter().map(|r| {
        let (scope, packets, bytes, share) = match scope {
            LiveScope::Interval => (
                "interval",
                r.interval_packets,
                r.interval_bytes,
                if interval_bytes == 0 {
                    0.0
                } else {
                    r.interval_bytes as f64 / interval_bytes as f64
                },
            ),
            LiveScope::Total => ("total", r.total_packets, r.total_bytes, r.share),
        };
        LiveRow {
            timestamp,
            scope,
            transport: r.key.transport.name(),
            port: port_text(r.key),
            service: r.service.as_deref().unwrap_or(""),
            packets_per_second: format!("{:.3}", r.packets_per_second),
            bits_per_second: format!("{:.1}", r.bits_per_second),
            packets,
            bytes,
            share: share_field(share),
        }
    });
    write_rows(records, header, out)
}

/// One row of `interfaces`.
#[derive(Default, Serialize)]
struct InterfaceRow<'a> {
    name: &'a str,
    default: bool,
    state: String,
    addresses: String,
    description: &'a str,
}

/// One row per capture device; its states and addresses separated by
/// spaces.
pub fn write_interfaces(interfaces: &[InterfaceView], out: &mut dyn Write) -> io::Result<()> {
    let rows = interfaces.iter().map(|i| InterfaceRow {
        name: &i.name,
        default: i.default,
        state: join_states(&i.state, " "),
        addresses: i.addresses.join(" "),
        description: i.description.as_deref().unwrap_or(""),
    });
    write_rows(rows, true, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default, Serialize)]
    struct Row<'a> {
        name: &'a str,
        n: u64,
    }

    #[test]
    fn fields_are_quoted_only_when_needed_and_lines_end_in_crlf() {
        let mut out = Vec::new();
        let rows = [
            Row { name: "ssh", n: 1 },
            Row { name: "a, b", n: 2 },
            Row {
                name: "say \"hi\"",
                n: 3,
            },
            Row {
                name: "two\nlines",
                n: 4,
            },
        ];
        write_rows(rows, true, &mut out).expect("write");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "name,n\r\nssh,1\r\n\"a, b\",2\r\n\"say \"\"hi\"\"\",3\r\n\"two\nlines\",4\r\n"
        );
    }

    #[test]
    fn no_rows_still_have_the_header() {
        let mut out = Vec::new();
        write_rows(Vec::<Row>::new(), true, &mut out).expect("write");
        assert_eq!(out, b"name,n\r\n");
        out.clear();
        write_rows(Vec::<Row>::new(), false, &mut out).expect("write");
        assert!(out.is_empty());
    }

    #[test]
    fn services_csv_has_tunnel_and_identification_columns() {
        let mut view = crate::render::view::sample::report();
        view.read.services[0].key.tunnel = Some(Tunnel::Gre);
        let mut out = Vec::new();
        write_report(&view, ReportTable::Services, &mut out).expect("writing to a Vec");
        let text = String::from_utf8(out).expect("UTF-8");
        let mut lines = text.lines();
        assert!(
            lines
                .next()
                .is_some_and(|h| h.ends_with(",description,tunnel,identified_by,handshake_packets,port_database_packets,heuristic_packets,related_packets")),
            "{text}"
        );
        assert!(
            lines
                .next()
                .is_some_and(|r| r.ends_with(",gre,port_database,0,2,0,0")),
            "{text}"
        );
    }

    #[test]
    fn the_port_column_names_the_failed_and_dynamic_rows() {
        let key = |port, failed| crate::schema::RowKey {
            tunnel: None,
            transport: crate::decode::Transport::Tcp,
            port,
            failed,
        };
        assert_eq!(port_text(key(Some(443), false)), "443");
        assert_eq!(port_text(key(None, true)), "any");
        assert_eq!(port_text(key(None, false)), "49152-65535");
    }
}
