//! Parquet (`--format parquet --out DIR` of read, report and merge): tidy
//! tables, one file each, built as Arrow record batches and written by the
//! `parquet` crate's `ArrowWriter`. `services` and `ports` hold one set of
//! rows per input, added as each input is counted (so that files of many
//! sensors stack, and memory stays bounded by one input's rows); a
//! capture's `services` rows are per epoch-aligned time bucket
//! (`bucket_start`, `bucket_seconds`: see [`crate::tally::buckets`]), a
//! summary's per input (the bucket null). `servers`, `hosts`,
//! `conversations` and `inputs` are the run's, written once.
//!
//! Every file carries [`PARQUET_SCHEMA`] and the portclass version in its
//! key-value metadata; the top-K tables (servers, hosts, conversations)
//! also their capacity, exactness and error bound there and in an `exact`
//! column, since their rows are the busiest keys kept, not every key.
//!
//! Columns are typed: counts `UInt64`, ports `UInt16`, times
//! `Timestamp(µs, UTC)` beside their exact nanoseconds (`Int64`),
//! repetitive strings (input, transport, service, ...) Arrow dictionaries;
//! Parquet dictionary-encodes every column where it pays, and pages are
//! compressed with Snappy.
//!
//! May import: `schema` (the views written), `tally`'s buckets, `decode` and `pipeline` enums
//! for their names, arrow-array, arrow-schema, parquet, serde_json. Writes
//! to the writers given; the directory is the caller's.

use crate::pipeline::names::NameSource;
use crate::schema::{
    ConversationView, DirectionView, GeoView, HostView, InputView, PortView, ReadView,
    ReportSections, RowKey, ServersView, ServiceView, TopView,
};
use crate::tally::buckets::ServiceBuckets;
use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int64Builder, ListBuilder, StringBuilder,
    StringDictionaryBuilder, TimestampMicrosecondBuilder, UInt16Builder, UInt32Builder,
    UInt64Builder,
};
use arrow_array::types::Int32Type;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use serde::Serialize;
use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::Arc;

/// The version of the Parquet tables' layout, in every file's key-value
/// metadata under `portclass.schema_version`; bumped on any incompatible
/// change (a column removed, renamed or redefined).
pub const PARQUET_SCHEMA: &str = "portclass.parquet/2";

/// The tables, as their files are named (`<table>.parquet`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParquetTable {
    /// Service rows per input and time bucket.
    Services,
    /// The per-port counters of the counting rules, per input.
    Ports,
    /// The server inventory (top-K).
    Servers,
    /// Top hosts (report and merge of reports).
    Hosts,
    /// Top conversations (report and merge of reports).
    Conversations,
    /// One row per input.
    Inputs,
}

impl ParquetTable {
    /// Every table.
    pub const ALL: [ParquetTable; 6] = [
        ParquetTable::Services,
        ParquetTable::Ports,
        ParquetTable::Servers,
        ParquetTable::Hosts,
        ParquetTable::Conversations,
        ParquetTable::Inputs,
    ];

    /// The table's name: its file is `<name>.parquet`.
    pub fn name(self) -> &'static str {
        match self {
            ParquetTable::Services => "services",
            ParquetTable::Ports => "ports",
            ParquetTable::Servers => "servers",
            ParquetTable::Hosts => "hosts",
            ParquetTable::Conversations => "conversations",
            ParquetTable::Inputs => "inputs",
        }
    }

    /// The file name, `<name>.parquet`.
    pub fn file_name(self) -> String {
        format!("{}.parquet", self.name())
    }
}

/// A table's columns as they are built: fields and arrays, in order.
#[derive(Default)]
struct Columns {
    fields: Vec<Field>,
    arrays: Vec<ArrayRef>,
}

/// The Arrow type of a UTC timestamp in microseconds.
fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// The Arrow type of a dictionary-encoded string.
fn dictionary_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

impl Columns {
    fn push(&mut self, name: &str, data_type: DataType, nullable: bool, array: ArrayRef) {
        self.fields.push(Field::new(name, data_type, nullable));
        self.arrays.push(array);
    }

    /// A repetitive string column (dictionary-encoded), never null.
    fn label<'a>(&mut self, name: &str, values: impl Iterator<Item = &'a str>) {
        self.optional_label(name, values.map(Some));
        if let Some(field) = self.fields.pop() {
            self.fields.push(field.with_nullable(false));
        }
    }

    /// A repetitive string column (dictionary-encoded) with nulls.
    fn optional_label<'a>(&mut self, name: &str, values: impl Iterator<Item = Option<&'a str>>) {
        let mut builder = StringDictionaryBuilder::<Int32Type>::new();
        for value in values {
            builder.append_option(value);
        }
        self.push(name, dictionary_type(), true, Arc::new(builder.finish()));
    }

    /// A string column of mostly distinct values, with nulls.
    fn text<S: AsRef<str>>(&mut self, name: &str, values: impl Iterator<Item = Option<S>>) {
        let mut builder = StringBuilder::new();
        for value in values {
            builder.append_option(value);
        }
        self.push(name, DataType::Utf8, true, Arc::new(builder.finish()));
    }

    /// A string column of mostly distinct values, never null.
    fn required_text<S: AsRef<str>>(&mut self, name: &str, values: impl Iterator<Item = S>) {
        self.text(name, values.map(Some));
        if let Some(field) = self.fields.pop() {
            self.fields.push(field.with_nullable(false));
        }
    }

    fn count(&mut self, name: &str, values: impl Iterator<Item = u64>) {
        let mut builder = UInt64Builder::new();
        builder.extend(values.map(Some));
        self.push(name, DataType::UInt64, false, Arc::new(builder.finish()));
    }

    fn optional_count(&mut self, name: &str, values: impl Iterator<Item = Option<u64>>) {
        let mut builder = UInt64Builder::new();
        builder.extend(values);
        self.push(name, DataType::UInt64, true, Arc::new(builder.finish()));
    }

    fn port(&mut self, name: &str, values: impl Iterator<Item = u16>) {
        let mut builder = UInt16Builder::new();
        builder.extend(values.map(Some));
        self.push(name, DataType::UInt16, false, Arc::new(builder.finish()));
    }

    fn optional_port(&mut self, name: &str, values: impl Iterator<Item = Option<u16>>) {
        let mut builder = UInt16Builder::new();
        builder.extend(values);
        self.push(name, DataType::UInt16, true, Arc::new(builder.finish()));
    }

    fn asn(&mut self, name: &str, values: impl Iterator<Item = Option<u32>>) {
        let mut builder = UInt32Builder::new();
        builder.extend(values);
        self.push(name, DataType::UInt32, true, Arc::new(builder.finish()));
    }

    fn optional_float(&mut self, name: &str, values: impl Iterator<Item = Option<f64>>) {
        let mut builder = Float64Builder::new();
        builder.extend(values);
        self.push(name, DataType::Float64, true, Arc::new(builder.finish()));
    }

    fn flag(&mut self, name: &str, values: impl Iterator<Item = bool>) {
        let mut builder = BooleanBuilder::new();
        builder.extend(values.map(Some));
        self.push(name, DataType::Boolean, false, Arc::new(builder.finish()));
    }

    /// A time: `<name>_timestamp` (UTC, in microseconds, the unit every
    /// engine reads: Spark refuses nanoseconds, DuckDB truncates them) and
    /// `<name>_ns`, the exact nanoseconds as an integer.
    fn time(&mut self, name: &str, values: impl Iterator<Item = Option<i64>> + Clone) {
        let mut builder = TimestampMicrosecondBuilder::new().with_timezone("UTC");
        builder.extend(values.clone().map(|ns| ns.map(|ns| ns.div_euclid(1000))));
        let column = format!("{name}_timestamp");
        self.push(&column, timestamp_type(), true, Arc::new(builder.finish()));
        let mut builder = Int64Builder::new();
        builder.extend(values);
        let column = format!("{name}_ns");
        self.push(&column, DataType::Int64, true, Arc::new(builder.finish()));
    }

    fn batch(self) -> io::Result<RecordBatch> {
        let schema = Arc::new(Schema::new(self.fields));
        RecordBatch::try_new(schema, self.arrays).map_err(io::Error::other)
    }
}

/// The writer properties of a table: Snappy, dictionaries, and the
/// metadata naming the layout, the version and the table (`extra`: more
/// key-value pairs, for the top-K tables).
fn properties(table: ParquetTable, extra: Vec<(&str, String)>) -> WriterProperties {
    let mut metadata = vec![
        KeyValue::new(
            "portclass.schema_version".to_owned(),
            PARQUET_SCHEMA.to_owned(),
        ),
        KeyValue::new(
            "portclass.version".to_owned(),
            env!("CARGO_PKG_VERSION").to_owned(),
        ),
        KeyValue::new("portclass.table".to_owned(), table.name().to_owned()),
    ];
    metadata.extend(
        extra
            .into_iter()
            .map(|(key, value)| KeyValue::new(format!("portclass.{key}"), value)),
    );
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_dictionary_enabled(true)
        .set_key_value_metadata(Some(metadata))
        .build()
}

/// Writes one batch as a whole file.
fn write_file<W: Write + Send>(
    table: ParquetTable,
    batch: RecordBatch,
    extra: Vec<(&str, String)>,
    out: W,
) -> io::Result<W> {
    let mut writer = ArrowWriter::try_new(out, batch.schema(), Some(properties(table, extra)))?;
    writer.write(&batch)?;
    Ok(writer.into_inner()?)
}

/// The rows one input adds to `services` and `ports`.
pub struct InputRows<'a> {
    /// The capture as named on the command line; for a summary given to
    /// report or merge, its one capture's name, or the summary's own when
    /// it holds several.
    pub input: &'a str,
    /// Its service rows.
    pub services: &'a [ServiceView],
    /// Its service rows per time bucket, when they were counted (a
    /// capture; a summary holds none).
    pub buckets: Option<&'a ServiceBuckets>,
    /// Direction per service row, when it was counted (a report's
    /// summary); with buckets, the buckets' own are taken.
    pub directions: Option<&'a [DirectionView]>,
    /// Its ports.
    pub ports: &'a [PortView],
}

impl<'a> InputRows<'a> {
    /// The rows of `view` (the view of one input's frames), named `input`.
    pub fn of(input: &'a str, view: &'a ReadView) -> InputRows<'a> {
        InputRows {
            input,
            services: &view.services,
            buckets: None,
            directions: None,
            ports: &view.ports,
        }
    }

    /// With the service rows per time bucket of the same frames.
    pub fn with_buckets(self, buckets: Option<&'a ServiceBuckets>) -> InputRows<'a> {
        InputRows { buckets, ..self }
    }

    /// No rows: the columns only.
    fn empty() -> InputRows<'static> {
        InputRows {
            input: "",
            services: &[],
            buckets: None,
            directions: None,
            ports: &[],
        }
    }
}

/// One row of `services`: a service row's frames in one time bucket, or,
/// for an input without buckets (a summary), in the whole input.
struct ServiceRow<'a> {
    /// The bucket's start, ns since the epoch.
    bucket: Option<i64>,
    key: RowKey,
    /// The service row, for its name and how it was identified.
    service: Option<&'a ServiceView>,
    packets: u64,
    bytes: u64,
    /// To server (packets, bytes), to client (packets, bytes).
    directions: Option<[u64; 4]>,
    /// Packets by handshake, port database, heuristic, related.
    identified: [u64; 4],
}

fn service_rows<'a>(rows: &InputRows<'a>) -> Vec<ServiceRow<'a>> {
    let by_key: HashMap<RowKey, &ServiceView> = rows.services.iter().map(|s| (s.key, s)).collect();
    if let Some(buckets) = rows.buckets {
        return buckets
            .entries()
            .into_iter()
            .map(|(start, key, counts)| {
                let key = RowKey::from(key);
                let total = counts.total();
                ServiceRow {
                    bucket: Some(start),
                    key,
                    service: by_key.get(&key).copied(),
                    packets: total.packets,
                    bytes: total.bytes,
                    directions: Some([
                        counts.to_server.packets,
                        counts.to_server.bytes,
                        counts.to_client.packets,
                        counts.to_client.bytes,
                    ]),
                    identified: [
                        counts.handshake,
                        counts.port_database(),
                        counts.heuristic,
                        counts.related,
                    ],
                }
            })
            .collect();
    }
    // Directions follow the service rows' order; looked up by key all the
    // same, so that a missing one reads as null rather than another's.
    let directions: Option<HashMap<_, &DirectionView>> = rows
        .directions
        .map(|ds| ds.iter().map(|d| (d.key, d)).collect());
    rows.services
        .iter()
        .map(|s| ServiceRow {
            bucket: None,
            key: s.key,
            service: Some(s),
            packets: s.packets,
            bytes: s.bytes,
            directions: directions.as_ref().and_then(|ds| ds.get(&s.key)).map(|d| {
                [
                    d.to_server_packets,
                    d.to_server_bytes,
                    d.to_client_packets,
                    d.to_client_bytes,
                ]
            }),
            identified: [
                s.identified.handshake,
                s.identified.port_database,
                s.identified.heuristic,
                s.identified.related,
            ],
        })
        .collect()
}

fn services_batch(rows: &InputRows<'_>) -> io::Result<RecordBatch> {
    let services = service_rows(rows);
    let width = rows.buckets.map(|b| b.width_ns() as f64 / 1e9);
    let each = || services.iter();
    let mut c = Columns::default();
    c.label("input", each().map(|_| rows.input));
    c.time("bucket_start", each().map(|r| r.bucket));
    c.optional_float("bucket_seconds", each().map(|_| width));
    c.optional_label("tunnel", each().map(|r| r.key.tunnel.map(|t| t.name())));
    c.label("transport", each().map(|r| r.key.transport.name()));
    c.optional_port("port", each().map(|r| r.key.port));
    c.flag("failed", each().map(|r| r.key.failed));
    c.optional_label(
        "service",
        each().map(|r| r.service.and_then(|s| s.service.as_deref())),
    );
    c.optional_label(
        "source",
        each().map(|r| r.service.and_then(|s| s.source).map(|s| s.name())),
    );
    c.optional_label(
        "identified_by",
        each().map(|r| r.service.map(|s| s.identified_by.name())),
    );
    c.count("packets", each().map(|r| r.packets));
    c.count("bytes", each().map(|r| r.bytes));
    let names = [
        "to_server_packets",
        "to_server_bytes",
        "to_client_packets",
        "to_client_bytes",
    ];
    for (i, name) in names.into_iter().enumerate() {
        c.optional_count(name, each().map(|r| r.directions.map(|d| d[i])));
    }
    let names = [
        "handshake_packets",
        "port_database_packets",
        "heuristic_packets",
        "related_packets",
    ];
    for (i, name) in names.into_iter().enumerate() {
        c.count(name, each().map(|r| r.identified[i]));
    }
    c.batch()
}

fn ports_batch(rows: &InputRows<'_>) -> io::Result<RecordBatch> {
    let each = || rows.ports.iter();
    let mut c = Columns::default();
    c.label("input", each().map(|_| rows.input));
    c.optional_label("tunnel", each().map(|p| p.tunnel.map(|t| t.name())));
    c.label("transport", each().map(|p| p.transport.name()));
    c.port("port", each().map(|p| p.port));
    c.count("src_packets", each().map(|p| p.src_packets));
    c.count("src_bytes", each().map(|p| p.src_bytes));
    c.count("dst_packets", each().map(|p| p.dst_packets));
    c.count("dst_bytes", each().map(|p| p.dst_bytes));
    c.batch()
}

/// `services.parquet` and `ports.parquet` as inputs are added: each input's
/// rows are a record batch of its own, written out as row groups fill
/// (memory holds about a row group, not the whole run).
pub struct InputTables<W: Write + Send> {
    services: ArrowWriter<W>,
    ports: ArrowWriter<W>,
    /// The bucket width asked for, once an input had buckets.
    requested_ns: Option<u64>,
    /// The inputs whose buckets had to grow wider, and to what width.
    widened: Vec<(String, u64)>,
}

impl<W: Write + Send> InputTables<W> {
    /// Starts both files.
    pub fn new(services: W, ports: W) -> io::Result<InputTables<W>> {
        let services_schema = services_batch(&InputRows::empty())?.schema();
        let ports_schema = ports_batch(&InputRows::empty())?.schema();
        Ok(InputTables {
            services: ArrowWriter::try_new(
                services,
                services_schema,
                Some(properties(ParquetTable::Services, Vec::new())),
            )?,
            ports: ArrowWriter::try_new(
                ports,
                ports_schema,
                Some(properties(ParquetTable::Ports, Vec::new())),
            )?,
            requested_ns: None,
            widened: Vec::new(),
        })
    }

    /// Adds one input's service rows and ports.
    pub fn add(&mut self, rows: &InputRows<'_>) -> io::Result<()> {
        if let Some(buckets) = rows.buckets {
            let requested = buckets.widened_from().unwrap_or(buckets.width_ns());
            self.requested_ns = Some(requested);
            if buckets.widened_from().is_some() {
                self.widened
                    .push((rows.input.to_owned(), buckets.width_ns()));
            }
        }
        if !rows.services.is_empty() {
            self.services.write(&services_batch(rows)?)?;
        }
        if !rows.ports.is_empty() {
            self.ports.write(&ports_batch(rows)?)?;
        }
        Ok(())
    }

    /// Writes what is buffered and both files' footers; returns the
    /// writers (services, ports).
    /// `services` says in its metadata the bucket width asked for
    /// (`portclass.bucket_requested_ns`) and, when some input's buckets had
    /// to grow wider, which and to what (`portclass.bucket_widened`: JSON,
    /// input name to width in ns).
    pub fn finish(mut self) -> io::Result<(W, W)> {
        if let Some(requested) = self.requested_ns {
            self.services.append_key_value_metadata(KeyValue::new(
                "portclass.bucket_requested_ns".to_owned(),
                requested.to_string(),
            ));
        }
        if !self.widened.is_empty() {
            let widened: serde_json::Map<String, serde_json::Value> = self
                .widened
                .iter()
                .map(|(input, width)| (input.clone(), (*width).into()))
                .collect();
            self.services.append_key_value_metadata(KeyValue::new(
                "portclass.bucket_widened".to_owned(),
                serde_json::Value::Object(widened).to_string(),
            ));
        }
        Ok((self.services.into_inner()?, self.ports.into_inner()?))
    }
}

/// The accuracy of a top-K table, as metadata: capacity, exactness, error
/// bound and the exact totals over every key (JSON).
fn accuracy<T, U: Serialize>(top: &TopView<T, U>) -> Vec<(&'static str, String)> {
    vec![
        ("capacity", top.capacity.to_string()),
        ("exact", top.exact.to_string()),
        ("error_bound_bytes", top.error_bound_bytes.to_string()),
        (
            "totals",
            serde_json::to_string(&top.totals).unwrap_or_default(),
        ),
    ]
}

/// The name and geo columns of an address.
fn place_columns<'a, T: 'a>(
    c: &mut Columns,
    prefix: &str,
    rows: &'a [T],
    name: impl Fn(&'a T) -> (Option<&'a str>, Option<NameSource>),
    geo: impl Fn(&'a T) -> Option<&'a GeoView>,
) {
    c.text(&format!("{prefix}name"), rows.iter().map(|r| name(r).0));
    c.optional_label(
        &format!("{prefix}name_source"),
        rows.iter().map(|r| name(r).1.map(NameSource::name)),
    );
    c.optional_label(
        &format!("{prefix}country"),
        rows.iter()
            .map(|r| geo(r).and_then(|g| g.country.as_deref())),
    );
    c.asn(
        &format!("{prefix}asn"),
        rows.iter().map(|r| geo(r).and_then(|g| g.asn)),
    );
    c.text(
        &format!("{prefix}as_org"),
        rows.iter()
            .map(|r| geo(r).and_then(|g| g.as_org.as_deref())),
    );
}

/// `servers.parquet`: the server inventory of the whole run.
pub fn write_servers<W: Write + Send>(servers: &ServersView, out: W) -> io::Result<W> {
    let rows = &servers.entries;
    let each = || rows.iter();
    let mut c = Columns::default();
    c.required_text("address", each().map(|s| s.address.to_string()));
    c.label("transport", each().map(|s| s.transport.name()));
    c.port("port", each().map(|s| s.port));
    c.optional_label("service", each().map(|s| s.service.as_deref()));
    c.label("identified_by", each().map(|s| s.identified_by.name()));
    c.time("first", each().map(|s| s.first_ns));
    c.time("last", each().map(|s| s.last_ns));
    c.count("to_server_packets", each().map(|s| s.to_server_packets));
    c.count("to_server_bytes", each().map(|s| s.to_server_bytes));
    c.count("from_server_packets", each().map(|s| s.from_server_packets));
    c.count("from_server_bytes", each().map(|s| s.from_server_bytes));
    c.count("conversations", each().map(|s| s.conversations));
    c.count("clients", each().map(|s| s.clients));
    c.flag("clients_approximate", each().map(|s| s.clients_approximate));
    c.count("overestimate_bytes", each().map(|s| s.overestimate_bytes));
    c.flag("exact", each().map(|_| servers.exact));
    place_columns(
        &mut c,
        "",
        rows,
        |s| (s.name.as_deref(), s.name_source),
        |s| s.geo.as_ref(),
    );
    write_file(ParquetTable::Servers, c.batch()?, accuracy(servers), out)
}

/// `hosts.parquet`: the report's top hosts.
pub fn write_hosts<W: Write + Send>(report: &ReportSections, out: W) -> io::Result<W> {
    let hosts = &report.hosts;
    let rows: &[HostView] = &hosts.entries;
    let each = || rows.iter();
    let mut c = Columns::default();
    c.required_text("address", each().map(|h| h.address.to_string()));
    c.count("sent_packets", each().map(|h| h.sent_packets));
    c.count("sent_bytes", each().map(|h| h.sent_bytes));
    c.count("received_packets", each().map(|h| h.received_packets));
    c.count("received_bytes", each().map(|h| h.received_bytes));
    c.count("overestimate_bytes", each().map(|h| h.overestimate_bytes));
    c.flag("exact", each().map(|_| hosts.exact));
    place_columns(
        &mut c,
        "",
        rows,
        |h| (h.name.as_deref(), h.name_source),
        |h| h.geo.as_ref(),
    );
    let mut extra = accuracy(hosts);
    extra.push(("details_available", report.details_available.to_string()));
    write_file(ParquetTable::Hosts, c.batch()?, extra, out)
}

/// `conversations.parquet`: the report's top conversations.
pub fn write_conversations<W: Write + Send>(report: &ReportSections, out: W) -> io::Result<W> {
    let conversations = &report.conversations;
    let rows: &[ConversationView] = &conversations.entries;
    let each = || rows.iter();
    let mut c = Columns::default();
    c.label("transport", each().map(|r| r.transport.name()));
    c.required_text("client", each().map(|r| r.client.to_string()));
    c.port("client_port", each().map(|r| r.client_port));
    c.required_text("server", each().map(|r| r.server.to_string()));
    c.port("server_port", each().map(|r| r.server_port));
    c.optional_label("service", each().map(|r| r.service.as_deref()));
    c.time("first", each().map(|r| r.first_ns));
    c.time("last", each().map(|r| r.last_ns));
    c.count("to_server_packets", each().map(|r| r.to_server_packets));
    c.count("to_server_bytes", each().map(|r| r.to_server_bytes));
    c.count("to_client_packets", each().map(|r| r.to_client_packets));
    c.count("to_client_bytes", each().map(|r| r.to_client_bytes));
    c.count("overestimate_bytes", each().map(|r| r.overestimate_bytes));
    c.flag("exact", each().map(|_| conversations.exact));
    c.text("client_name", each().map(|r| r.client_name.as_deref()));
    c.text("server_name", each().map(|r| r.server_name.as_deref()));
    let mut extra = accuracy(conversations);
    extra.push(("details_available", report.details_available.to_string()));
    write_file(ParquetTable::Conversations, c.batch()?, extra, out)
}

/// `inputs.parquet`: one row per input of the run.
pub fn write_inputs<W: Write + Send>(inputs: &[InputView], out: W) -> io::Result<W> {
    let each = || inputs.iter();
    let mut c = Columns::default();
    c.required_text("input", each().map(|i| i.name.as_str()));
    c.label("format", each().map(|i| i.format.as_str()));
    c.label("status", each().map(|i| i.status.name()));
    c.text("error", each().map(|i| i.error.as_deref()));
    c.count("packets", each().map(|i| i.packets));
    c.count("bytes", each().map(|i| i.bytes));
    c.time("first", each().map(|i| i.first_timestamp_ns));
    c.time("last", each().map(|i| i.last_timestamp_ns));
    let mut links = ListBuilder::new(StringBuilder::new());
    for input in each() {
        for link in &input.link_types {
            links.values().append_value(&link.name);
        }
        links.append(true);
    }
    let links = links.finish();
    let link_field = links.data_type().clone();
    c.push("link_types", link_field, false, Arc::new(links));
    c.text("filter", each().map(|i| i.filter.as_deref()));
    c.optional_count("filtered_out", each().map(|i| i.filtered_out));
    write_file(ParquetTable::Inputs, c.batch()?, Vec::new(), out)
}
