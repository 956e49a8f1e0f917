//! `report --format csv --table services|hosts|conversations|timeseries`:
//! each a header and every row of the JSON's table, same order, same
//! numbers (the JSON's figures are checked in `figures.rs`).

use crate::common::*;
use crate::support::*;
use serde_json::Value;

/// RFC 4180 records (quoted fields, `""` escapes, CRLF line ends required,
/// as the binary writes them).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    assert!(
        text.is_empty() || text.ends_with("\r\n"),
        "CSV does not end with CRLF"
    );
    let mut records = Vec::new();
    let (mut record, mut field) = (Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => assert_eq!(chars.peek(), Some(&'\n'), "bare CR"),
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && record.is_empty(),
        "CSV cut short"
    );
    records
}

/// The CSV table `table` and the JSON of the same inputs and options.
fn table_and_json(names: &[&str], table: &str) -> (Vec<String>, Vec<Vec<String>>, Value) {
    let paths = fixtures(names);
    let csv = clean(report(&args(
        &["--format", "csv", "--table", table],
        &paths,
    )))
    .stdout_text();
    let json = report_json(&paths);
    let mut records = parse_csv(&csv);
    assert!(!records.is_empty(), "no header in CSV of {table}");
    let header = records.remove(0);
    for r in &records {
        assert_eq!(
            r.len(),
            header.len(),
            "{table}: row {r:?} vs header {header:?}"
        );
    }
    (header, records, json)
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn port_text(v: &Value) -> String {
    v.as_u64()
        .map_or("49152-65535".to_string(), |p| p.to_string())
}

const SETS: [&[&str]; 3] = [
    &["sample.pcapng"],
    &["fragments.pcap", "dynamic-ports.pcap"],
    &["sample.pcapng", "dynamic-ports.pcap", "sctp.pcap"],
];

#[test]
fn services_csv_is_every_service_row_with_its_directions() {
    for names in SETS {
        let (header, rows, json) = table_and_json(names, "services");
        assert_eq!(
            header,
            [
                "transport",
                "port",
                "service",
                "source",
                "packets",
                "bytes",
                "share",
                "to_server_packets",
                "to_server_bytes",
                "to_client_packets",
                "to_client_bytes",
                "description",
                "tunnel",
                "identified_by",
                "handshake_packets",
                "port_database_packets",
                "heuristic_packets",
                "related_packets"
            ]
        );
        let services = services(&json);
        let directions = json["report"]["service_directions"]
            .as_array()
            .expect("directions");
        assert_eq!(rows.len(), services.len(), "{names:?}: every service row");
        for ((row, s), d) in rows.iter().zip(services).zip(directions) {
            let share = format!("{:.6}", s["share"].as_f64().expect("share"));
            let expected = [
                text(&s["transport"]),
                port_text(&s["port"]),
                text(&s["service"]),
                text(&s["source"]),
                text(&s["packets"]),
                text(&s["bytes"]),
                share,
                text(&d["to_server_packets"]),
                text(&d["to_server_bytes"]),
                text(&d["to_client_packets"]),
                text(&d["to_client_bytes"]),
                text(&s["description"]),
                text(&s["tunnel"]),
                text(&s["identified_by"]),
                text(&s["identified"]["handshake"]),
                text(&s["identified"]["port_database"]),
                text(&s["identified"]["heuristic"]),
                text(&s["identified"]["related"]),
            ];
            assert_eq!(row.as_slice(), expected.as_slice(), "{names:?}");
        }
    }
}

#[test]
fn hosts_csv_is_every_host_of_the_json() {
    for names in SETS {
        let (header, rows, json) = table_and_json(names, "hosts");
        let fields = [
            "address",
            "sent_packets",
            "sent_bytes",
            "received_packets",
            "received_bytes",
            "overestimate_bytes",
            "name",
            "name_source",
        ];
        // Then the --geoip fields, from the entry's `geo` object.
        let geo_fields = ["country", "asn", "as_org"];
        let all: Vec<&str> = fields.iter().chain(&geo_fields).copied().collect();
        assert_eq!(header, all);
        let hosts = json["report"]["hosts"]["entries"]
            .as_array()
            .expect("entries");
        assert_eq!(rows.len(), hosts.len(), "{names:?}: every host");
        for (row, h) in rows.iter().zip(hosts) {
            let expected: Vec<String> = fields
                .iter()
                .map(|f| text(&h[*f]))
                .chain(geo_fields.iter().map(|f| text(&h["geo"][*f])))
                .collect();
            assert_eq!(row, &expected, "{names:?}");
        }
    }
}

#[test]
fn conversations_csv_is_every_conversation_of_the_json() {
    for names in SETS {
        let (header, rows, json) = table_and_json(names, "conversations");
        let fields = [
            "transport",
            "client",
            "client_port",
            "server",
            "server_port",
            "service",
            "to_server_packets",
            "to_server_bytes",
            "to_client_packets",
            "to_client_bytes",
            "overestimate_bytes",
            "client_name",
            "client_name_source",
            "server_name",
            "server_name_source",
        ];
        // Then the --geoip fields of each end, from its `geo` object.
        let geo_fields = ["country", "asn", "as_org"];
        let ends = ["client", "server"];
        let end_fields = ends
            .iter()
            .flat_map(|end| geo_fields.iter().map(move |f| (*end, *f)));
        let all: Vec<String> = (fields.iter().map(|f| f.to_string()))
            .chain(end_fields.clone().map(|(end, f)| format!("{end}_{f}")))
            .collect();
        assert_eq!(header, all);
        let conversations = json["report"]["conversations"]["entries"]
            .as_array()
            .expect("entries");
        assert_eq!(
            rows.len(),
            conversations.len(),
            "{names:?}: every conversation"
        );
        for (row, c) in rows.iter().zip(conversations) {
            let expected: Vec<String> = (fields.iter().map(|f| text(&c[*f])))
                .chain(
                    end_fields
                        .clone()
                        .map(|(end, f)| text(&c[format!("{end}_geo")][f])),
                )
                .collect();
            assert_eq!(row, &expected, "{names:?}");
        }
    }
}

#[test]
fn timeseries_csv_is_every_service_of_every_bucket() {
    for names in SETS {
        let (header, rows, json) = table_and_json(names, "timeseries");
        assert_eq!(
            header,
            [
                "start",
                "start_ns",
                "transport",
                "port",
                "service",
                "bytes",
                "bits_per_second"
            ]
        );
        let series = &json["report"]["timeseries"];
        let seconds = series["bucket_seconds"].as_f64().expect("bucket_seconds");
        // Service names as the services rows give them.
        let names_of = |transport: &Value, port: &Value| -> String {
            services(&json)
                .iter()
                .find(|s| s["transport"] == *transport && s["port"] == *port)
                .map(|s| text(&s["service"]))
                .expect("a bucket's service has a row")
        };
        let mut expected = Vec::new();
        for b in series["buckets"].as_array().expect("buckets") {
            for s in b["services"].as_array().expect("services") {
                let bytes = u64_of(s, "bytes");
                expected.push(vec![
                    text(&b["start"]),
                    text(&b["start_ns"]),
                    text(&s["transport"]),
                    port_text(&s["port"]),
                    names_of(&s["transport"], &s["port"]),
                    bytes.to_string(),
                    format!("{:.1}", bytes as f64 * 8.0 / seconds),
                ]);
            }
        }
        assert!(!expected.is_empty());
        assert_eq!(rows, expected, "{names:?}");
        // Over all rows, each service's bytes are its row's: the port
        // traffic and the non-first fragments attributed to a service (in
        // these fixtures every first fragment comes before the others, so
        // each is attributed as it is counted, in its own bucket).
        let total: u64 = rows
            .iter()
            .map(|r| r[5].parse::<u64>().expect("bytes"))
            .sum();
        assert_eq!(
            total,
            port_traffic(&json).1 + u64_of(&json["fragments"]["attributed"], "bytes"),
            "{names:?}: all port traffic and attributed fragments"
        );
    }
}
