//! What a network engineer means by "the services on this link", checked on
//! `services-scan.pcapng`: real servers, real clients and an nmap scan
//! recorded between namespaces, against the ground truth its script wrote
//! (`fixtures/services-scan.truth.json`: the servers it ran, the clients,
//! the scanner, the iperf3 transfers).

use crate::common::*;
use serde_json::Value;
use std::collections::BTreeSet;

const CAPTURE: &str = "services-scan.pcapng";

fn truth() -> Value {
    read_json_file(&fixture("services-scan.truth.json"))
}

/// (transport, address, port) of every server the script ran.
fn true_servers(truth: &Value) -> BTreeSet<(String, String, u64)> {
    truth["servers"]
        .as_array()
        .expect("servers")
        .iter()
        .map(|s| {
            (
                s["transport"].as_str().expect("transport").to_string(),
                s["address"].as_str().expect("address").to_string(),
                u64_of(s, "port"),
            )
        })
        .collect()
}

#[test]
fn the_service_table_holds_what_answered_and_one_failed_row_per_transport() {
    let truth = truth();
    let json = read_json(&[fixture(CAPTURE)], &[]).json();
    let servers = true_servers(&truth);
    // Every row is a port some server answered on, or a failed row.
    let ports: BTreeSet<(String, u64)> = servers.iter().map(|(t, _, p)| (t.clone(), *p)).collect();
    let mut failed = 0;
    for row in services(&json) {
        if row["failed"] == true {
            failed += 1;
            assert!(row["port"].is_null(), "{row}");
            assert_eq!(row["service"], "failed", "{row}");
            continue;
        }
        let key = (
            row["transport"].as_str().unwrap_or("?").to_string(),
            u64_of(row, "port"),
        );
        assert!(ports.contains(&key), "a row for no server: {row}");
    }
    assert_eq!(failed, 2, "one failed row for tcp, one for udp");
    assert!(
        services(&json).len() <= ports.len() + 2,
        "{} rows for {} server ports",
        services(&json).len(),
        ports.len()
    );
    // The TCP scan's refused ports: all 3000 scanned but the 4 open ones.
    let scan = &truth["scanner"]["scans"][0];
    let tcp_failed = services(&json)
        .iter()
        .find(|r| r["failed"] == true && r["transport"] == "tcp")
        .expect("tcp failed row");
    let attempted = &tcp_failed["attempted"];
    assert_eq!(
        u64_of(attempted, "ports"),
        u64_of(&scan["state_counts"], "closed"),
        "{attempted}"
    );
    assert_eq!(u64_of(attempted, "hosts"), 1, "{attempted}");
    // iperf3 is named, on both transports, and holds its transfers.
    for transfer in truth["iperf3"].as_array().expect("iperf3") {
        let transport = transfer["transport"].as_str().expect("transport");
        let row = service_row(&json, transport, Some(5201)).expect("iperf3 row");
        assert_eq!(row["service"], "iperf3", "{row}");
        assert!(
            u64_of(row, "bytes") > u64_of(transfer, "bytes_sent"),
            "{row} vs {transfer}"
        );
    }
    // The rows still sum to the transport totals: every frame in one row.
    let rows: u64 = services(&json).iter().map(|r| u64_of(r, "packets")).sum();
    let ported = category(&json, "tcp").0 + category(&json, "udp").0;
    assert_eq!(rows, ported);
}

#[test]
fn the_inventory_lists_every_server_and_no_client() {
    let truth = truth();
    let json = read_json(&[fixture(CAPTURE)], &[]).json();
    let listed: BTreeSet<(String, String, u64)> = json["servers"]["entries"]
        .as_array()
        .expect("servers")
        .iter()
        .map(|s| {
            (
                s["transport"].as_str().unwrap_or("?").to_string(),
                s["address"].as_str().unwrap_or("?").to_string(),
                u64_of(s, "port"),
            )
        })
        .collect();
    assert_eq!(listed, true_servers(&truth), "the inventory");
    assert_eq!(json["servers"]["exact"], true);
    // Each server's clients are among the hosts that talked to it.
    let hosts = truth["hosts"].as_object().expect("hosts");
    for s in json["servers"]["entries"].as_array().expect("servers") {
        for client in s["top_clients"].as_array().expect("top_clients") {
            let address = client["address"].as_str().unwrap_or("?");
            assert_ne!(
                hosts[address]["role"], "server",
                "{s}: the server is its own client"
            );
        }
        assert!(u64_of(s, "from_server_packets") > 0, "never answered: {s}");
    }
}

#[test]
fn unknown_ports_are_the_servers_on_unnamed_ports() {
    let json = portclass(&[
        "report",
        "--format",
        "json",
        &fixture(CAPTURE).to_string_lossy(),
    ]);
    json.assert_code(0);
    let json = json.json();
    let unknown: BTreeSet<(String, u64)> = json["report"]["unknown_ports"]
        .as_array()
        .expect("unknown_ports")
        .iter()
        .map(|p| {
            (
                p["transport"].as_str().unwrap_or("?").to_string(),
                u64_of(p, "port"),
            )
        })
        .collect();
    // The two echo servers the script ran on ports no database names.
    let expected: BTreeSet<(String, u64)> = [("tcp", 40123), ("udp", 40125)]
        .into_iter()
        .map(|(t, p)| (t.to_string(), p))
        .collect();
    assert_eq!(unknown, expected);
}

#[test]
fn merged_halves_give_the_same_failed_rows_and_servers() {
    // Read alone and as a merge of its own summary twice: the distinct
    // ports and hosts tried are a union, the servers add up.
    let dir = tempfile::tempdir().expect("temp dir");
    let one = read_json(&[fixture(CAPTURE)], &[]).json();
    let path = dir.path().join("one.json");
    std::fs::write(&path, serde_json::to_vec(&one).expect("json")).expect("write");
    let merged = portclass(&["merge", &path.to_string_lossy(), &path.to_string_lossy()]);
    merged.assert_code(0);
    let merged = merged.json();
    let failed = |json: &Value| -> Vec<(u64, u64)> {
        services(json)
            .iter()
            .filter(|r| r["failed"] == true)
            .map(|r| {
                (
                    u64_of(&r["attempted"], "ports"),
                    u64_of(&r["attempted"], "hosts"),
                )
            })
            .collect()
    };
    assert_eq!(failed(&merged), failed(&one));
    let first = &one["servers"]["entries"][0];
    let again = merged["servers"]["entries"]
        .as_array()
        .expect("servers")
        .iter()
        .find(|s| {
            s["address"] == first["address"]
                && s["port"] == first["port"]
                && s["transport"] == first["transport"]
        })
        .expect("the busiest server again");
    assert_eq!(
        u64_of(again, "to_server_bytes"),
        2 * u64_of(first, "to_server_bytes")
    );
    assert_eq!(u64_of(again, "clients"), u64_of(first, "clients"));
}

/// The transfers of one protocol in `ftp-tftp.truth.json`.
fn manifest_transfers<'t>(truth: &'t Value, protocol: &str) -> Vec<&'t Value> {
    truth["transfers"]
        .as_array()
        .expect("transfers")
        .iter()
        .filter(|t| t["protocol"] == protocol)
        .collect()
}

#[test]
fn tftp_transfers_count_under_tftp_as_related() {
    let truth = read_json_file(&fixture("ftp-tftp.truth.json"));
    let json = read_json(&[fixture("ftp-tftp.pcapng")], &[]).json();
    let transfers = manifest_transfers(&truth, "tftp");
    assert_eq!(transfers.len(), 3, "the manifest's TFTP transfers");
    let (frames, bytes) = transfers.iter().fold((0, 0), |(f, b), t| {
        (
            f + u64_of(&t["data_channel"], "frames"),
            b + u64_of(&t["data_channel"], "wire_bytes"),
        )
    });
    let tftp = service_row(&json, "udp", Some(69)).expect("tftp row");
    assert_eq!(tftp["service"], "tftp");
    assert_eq!(u64_of(&tftp["identified"], "related"), frames, "{tftp}");
    // The data channels plus the requests; every file's bytes are in it.
    assert!(u64_of(tftp, "bytes") > bytes, "{tftp}");
    let files: u64 = transfers.iter().map(|t| u64_of(t, "file_bytes")).sum();
    assert!(
        u64_of(tftp, "bytes") > files,
        "{tftp} vs {files} file bytes"
    );
    // No row for the server's or the clients' transfer ports.
    for t in &transfers {
        for port in ["server_port", "client_port"] {
            let port = u64_of(&t["data_channel"], port) as u16;
            assert!(
                service_row(&json, "udp", Some(port)).is_none(),
                "udp/{port}"
            );
        }
    }
    // The inventory has the TFTP server on 69, with the transfers' bytes.
    let servers = json["servers"]["entries"].as_array().expect("servers");
    let tftp_server = servers
        .iter()
        .find(|s| s["transport"] == "udp" && s["port"] == 69)
        .expect("tftp server");
    assert_eq!(
        u64_of(tftp_server, "to_server_bytes") + u64_of(tftp_server, "from_server_bytes"),
        u64_of(tftp, "bytes")
    );
    assert!(
        !servers
            .iter()
            .any(|s| s["transport"] == "udp" && s["port"] != 69)
    );
}

#[test]
fn ftp_data_connections_count_under_ftp_as_related() {
    let truth = read_json_file(&fixture("ftp-tftp.truth.json"));
    let json = read_json(&[fixture("ftp-tftp.pcapng")], &[]).json();
    let transfers = manifest_transfers(&truth, "ftp");
    let modes: Vec<&str> = transfers
        .iter()
        .filter_map(|t| t["mode"].as_str())
        .collect();
    assert_eq!(
        modes,
        ["PASV", "EPSV", "PORT", "EPRT"],
        "the manifest's FTP transfers"
    );
    let sum = |part: &str, field: &str| -> u64 {
        transfers.iter().map(|t| u64_of(&t[part], field)).sum()
    };
    let ftp = service_row(&json, "tcp", Some(21)).expect("ftp row");
    assert_eq!(ftp["service"], "ftp");
    // Every data connection's frame is related; control and data are the
    // whole row, to the frame and the byte.
    assert_eq!(
        u64_of(&ftp["identified"], "related"),
        sum("data_connection", "frames"),
        "{ftp}"
    );
    assert_eq!(
        u64_of(ftp, "packets"),
        sum("data_connection", "frames") + sum("control", "frames"),
        "{ftp}"
    );
    assert_eq!(
        u64_of(ftp, "bytes"),
        sum("data_connection", "wire_bytes") + sum("control", "wire_bytes"),
        "{ftp}"
    );
    let files: u64 = transfers.iter().map(|t| u64_of(t, "file_bytes")).sum();
    assert!(u64_of(ftp, "bytes") > files, "{ftp} vs {files} file bytes");
    // No row for either end of a data connection (passive: the server's
    // announced port; active: the client's, and the server's port 20).
    for t in &transfers {
        for side in ["server_side", "client_side"] {
            let endpoint = t["data_connection"][side].as_str().expect("endpoint");
            let port: u16 = endpoint
                .rsplit(':')
                .next()
                .and_then(|p| p.parse().ok())
                .expect("port");
            if port != 21 {
                assert!(
                    service_row(&json, "tcp", Some(port)).is_none(),
                    "tcp/{port}"
                );
            }
        }
    }
    // One FTP server in the inventory, holding the data bytes too, and no
    // client endpoint (the active connections' listening side) as a server.
    let servers = json["servers"]["entries"].as_array().expect("servers");
    let tcp_servers: Vec<&Value> = servers.iter().filter(|s| s["transport"] == "tcp").collect();
    assert_eq!(tcp_servers.len(), 1, "{tcp_servers:?}");
    let server = tcp_servers[0];
    assert_eq!(
        (server["address"].as_str(), u64_of(server, "port")),
        (Some("10.77.5.1"), 21)
    );
    assert_eq!(
        u64_of(server, "to_server_bytes") + u64_of(server, "from_server_bytes"),
        u64_of(ftp, "bytes")
    );
}
