//! Process attribution: `live` on the machine itself (here, inside the
//! namespace of a real Python HTTP server) names the process serving each
//! server endpoint and ranks processes by their traffic.

use crate::common::netns::{HTTP_GET, NetPair, Side, python};
use crate::common::*;
use crate::session::*;
use std::time::Duration;

#[test]
fn the_http_servers_endpoint_is_attributed_to_its_process() {
    let Some(net) = NetPair::new() else { return };
    let mut server = net.spawn(
        Side::B,
        &[python(), "-m", "http.server", "8000", "--bind", &net.v4_b],
    );
    let url = format!("http://{}:8000/", net.v4_b);
    let mut live = start_capturing(
        &net,
        &[
            "--duration",
            "20",
            "--interval",
            "0.2",
            "--metrics",
            "127.0.0.1:0",
            "tcp port 8000",
        ],
    );
    // Fetched until the server answers (it may still be starting), then a
    // few more times while the capture runs.
    let mut fetched = 0;
    for _ in 0..50 {
        if net
            .run(Side::A, &[python(), "-c", HTTP_GET, &url], STOP_TIMEOUT)
            .status
            .success()
        {
            fetched += 1;
            if fetched == 5 {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(fetched, 5, "the HTTP server never answered");
    // Prometheus has it too, as an info series beside the server's
    // counters (scraped until an interval has attributed it).
    let said = "portclass: serving Prometheus metrics at ";
    let metrics = live
        .stderr_so_far()
        .lines()
        .find_map(|l| l.strip_prefix(said).map(str::to_string))
        .expect("the metrics address on stderr");
    let want = format!(
        "portclass_server_process_info{{interface=\"{}\",transport=\"tcp\",address=\"{}\",port=\"8000\"",
        net.ns_b, net.v4_b
    );
    let mut scraped = String::new();
    for _ in 0..50 {
        scraped = net
            .run(Side::B, &[python(), "-c", HTTP_GET, &metrics], STOP_TIMEOUT)
            .stdout_text();
        if scraped.lines().any(|l| l.starts_with(&want)) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let line = scraped
        .lines()
        .find(|l| l.starts_with(&want))
        .unwrap_or_else(|| panic!("no {want} in:\n{scraped}"));
    assert!(
        line.contains(&format!("pid=\"{}\"", server.pid())) && line.ends_with(" 1"),
        "{line}"
    );
    // ... and its traffic, in the process family.
    let pid = format!("pid=\"{}\"", server.pid());
    assert!(
        scraped
            .lines()
            .any(|l| l.starts_with("portclass_process_bytes_total{")
                && l.contains(&pid)
                && l.contains("direction=\"sent\"")),
        "no process series for {pid} in:\n{scraped}"
    );
    // Everything is checked that needs the run going: ended by a signal
    // (a loaded machine may take seconds for the fetches above).
    live.signal("INT");
    let out = finish(&mut live);
    let summary = &out.summary;
    let servers = summary["servers"]["entries"].as_array().expect("servers");
    let http = servers
        .iter()
        .find(|s| s["address"] == net.v4_b.as_str() && s["port"] == 8000)
        .unwrap_or_else(|| panic!("no server {}:8000 in {servers:?}", net.v4_b));
    let process = &http["process"];
    assert_eq!(u64_of(process, "pid"), u64::from(server.pid()), "{http}");
    assert!(
        process["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("python")),
        "{process}"
    );
    assert_eq!(process["user"], "root", "{process}");
    // The processes ranking has it, with the bytes it sent and received.
    let processes = &summary["processes"];
    assert_eq!(processes["available"], true, "{processes}");
    let row = processes["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|p| u64_of(p, "pid") == u64::from(server.pid()))
        .unwrap_or_else(|| panic!("the server's process is not ranked: {processes}"));
    assert!(
        u64_of(row, "sent_bytes") > 0 && u64_of(row, "received_bytes") > 0,
        "{row}"
    );
    // The interval lines carry the inventory and the processes so far.
    let last = out.intervals.last().expect("interval lines");
    assert!(
        last["servers"]["entries"]
            .as_array()
            .is_some_and(|e| e.iter().any(|s| s["port"] == 8000)),
        "{last}"
    );
    assert!(
        last["processes"]["entries"].as_array().is_some_and(|e| e
            .iter()
            .any(|p| u64_of(p, "pid") == u64::from(server.pid()))),
        "{last}"
    );
    server.signal("TERM");
}

#[test]
fn an_iperf3_transfer_is_named_and_attributed_to_iperf3() {
    let Some(net) = NetPair::new() else { return };
    if std::process::Command::new("iperf3")
        .arg("--version")
        .output()
        .is_err()
    {
        skipped("iperf3 is not installed");
        return;
    }
    // One test, then the server exits.
    let mut server = net.spawn(Side::B, &["iperf3", "-s", "-1", "-B", &net.v4_b]);
    let mut live = start_capturing(
        &net,
        &["--duration", "4", "--interval", "0.2", "tcp port 5201"],
    );
    let mut sent = false;
    for _ in 0..30 {
        let client = net.run(
            Side::A,
            &["iperf3", "-c", &net.v4_b, "-t", "1", "-b", "20M", "--json"],
            STOP_TIMEOUT,
        );
        if client.status.success() {
            sent = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(sent, "iperf3 never ran");
    let out = finish(&mut live);
    let summary = &out.summary;
    let row = service_row(summary, "tcp", Some(5201)).expect("a 5201/tcp row");
    assert_eq!(row["service"], "iperf3", "{row}");
    // 20 Mbit/s for a second: about 2.5 MB on the wire.
    assert!(u64_of(row, "bytes") > 2_000_000, "{row}");
    let servers = summary["servers"]["entries"].as_array().expect("servers");
    let iperf = servers
        .iter()
        .find(|s| s["port"] == 5201)
        .unwrap_or_else(|| panic!("no 5201 server: {servers:?}"));
    assert_eq!(iperf["process"]["name"], "iperf3", "{iperf}");
    assert_eq!(
        u64_of(&iperf["process"], "pid"),
        u64::from(server.pid()),
        "{iperf}"
    );
    server.wait(Duration::from_secs(10));
}

/// A client in the capture's namespace that connects to `argv[1]`:8000,
/// fetches a page, holds the connection for a second, closes it, prints
/// "closed" and lives on a few seconds (so its pid is still its own).
const SHORT_CLIENT: &str = r#"
import socket, sys, time
s = socket.create_connection((sys.argv[1], 8000), timeout=2)
s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
while s.recv(65536):
    pass
time.sleep(1.0)
s.close()
print("closed", flush=True)
time.sleep(4)
"#;

#[test]
fn a_connection_closed_within_the_interval_is_still_attributed() {
    let Some(net) = NetPair::new() else { return };
    let mut server = net.spawn(
        Side::A,
        &[python(), "-m", "http.server", "8000", "--bind", &net.v4_a],
    );
    let url = format!("http://{}:8000/", net.v4_a);
    let mut ready = false;
    for _ in 0..50 {
        if net
            .run(Side::B, &[python(), "-c", HTTP_GET, &url], STOP_TIMEOUT)
            .status
            .success()
        {
            ready = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(ready, "the HTTP server never answered");
    // One interval longer than the run: the sockets are read at its end
    // only, when the client's connection is long closed; only a look soon
    // after the connection appeared can name its process.
    let mut live = start_capturing(
        &net,
        &["--duration", "4", "--interval", "30", "tcp port 8000"],
    );
    let mut client = net.spawn(Side::B, &[python(), "-c", SHORT_CLIENT, &net.v4_a]);
    assert!(
        client.poll_stdout(Duration::from_secs(5), |out| out
            .iter()
            .any(|l| l == "closed")),
        "the client never closed its connection"
    );
    let out = finish(&mut live);
    let processes = &out.summary["processes"];
    let row = processes["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|p| u64_of(p, "pid") == u64::from(client.pid()))
        .unwrap_or_else(|| panic!("the closed connection's process is not ranked: {processes}"));
    assert!(
        row["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("python")),
        "{row}"
    );
    assert!(
        u64_of(row, "sent_bytes") > 0 && u64_of(row, "received_bytes") > 0,
        "{row}"
    );
    client.signal("TERM");
    server.signal("TERM");
}
