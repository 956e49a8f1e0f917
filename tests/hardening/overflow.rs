//! Counters past 4 GiB: records whose wire length is 2³²−1 each, so a few
//! of them sum beyond any 32-bit counter. Every byte figure of `read`,
//! `report` and `merge` (totals, per transport, port, service, direction,
//! port class, host, conversation, time bucket, CSV) must be exact.
//!
//! The frames are DNS queries and SYNs that nothing answers: every run
//! here uses `--no-handshake`, so that they count under dns and https and
//! as conversations, whose counters are what is checked (with the handshake
//! rule they would all be failed attempts).

use crate::common::*;
use crate::support::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The largest wire length a record can state.
const HUGE: u64 = u32::MAX as u64;
const UDP_SRC: u16 = 40000;
const TCP_SRC: u16 = 50000;

/// Writes a pcap of `udp` UDP frames 40000 → 53 and `tcp` TCP frames
/// 50000 → 443, each of wire length 2³²−1, one per second.
fn huge_pcap(dir: &Path, name: &str, udp: u64, tcp: u64) -> PathBuf {
    let template = Pcap::parse(&fixture_bytes("dynamic-ports.pcap"));
    let mut p = template.like();
    let udp_frame = udp_ipv4_frame(UDP_SRC, 53, b"query");
    let tcp_frame = tcp_ipv4_frame([192, 0, 2, 1], TCP_SRC, [198, 51, 100, 1], 443);
    for i in 0..udp + tcp {
        let frame = if i < udp { &udp_frame } else { &tcp_frame };
        let record = p.record(1_735_689_600 + i as u32, 0, frame, u32::MAX);
        p.records.push(record);
    }
    write_file(dir, name, &p.to_bytes())
}

/// The same frames in a pcapng file (both byte orders are read alike).
fn huge_pcapng(dir: &Path, name: &str, udp: u64, tcp: u64) -> PathBuf {
    let w = NgWriter { big: true };
    let udp_frame = udp_ipv4_frame(UDP_SRC, 53, b"query");
    let tcp_frame = tcp_ipv4_frame([192, 0, 2, 1], TCP_SRC, [198, 51, 100, 1], 443);
    let mut file = w.shb(&[]);
    file.extend(w.idb(1, 0, &[]));
    for i in 0..udp + tcp {
        let frame = if i < udp { &udp_frame } else { &tcp_frame };
        file.extend(w.epb(0, (1_735_689_600 + i) * 1_000_000, frame, u32::MAX));
    }
    write_file(dir, name, &file)
}

fn run_ok(args: &[&std::ffi::OsStr]) -> Run {
    let run = run_bounded(args, None, RUN_TIMEOUT, &format!("portclass {args:?}"));
    run.assert_code(0);
    assert!(run.stderr.is_empty(), "{}: {}", run.command, run.stderr);
    run
}

fn json_of(args: &[&str], files: &[&Path]) -> Value {
    let mut all: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    all.extend(files.iter().map(|f| f.as_os_str()));
    run_ok(&all).json()
}

/// Every figure `read --format json` gives for `udp` + `tcp` huge frames
/// (`copies` times over).
fn check_read_figures(json: &Value, udp: u64, tcp: u64) {
    let total = (udp + tcp) * HUGE;
    assert_eq!(u64_of(json, "packets"), udp + tcp);
    assert_eq!(u64_of(json, "bytes"), total, "bytes");
    let input_bytes: u64 = json["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|i| u64_of(i, "bytes"))
        .sum();
    assert_eq!(input_bytes, total, "inputs[].bytes");
    assert_eq!(category(json, "udp"), (udp, udp * HUGE), "transport.udp");
    assert_eq!(category(json, "tcp"), (tcp, tcp * HUGE), "transport.tcp");
    let link_packets: u64 = json["link_types"]
        .as_array()
        .expect("link_types")
        .iter()
        .map(|l| u64_of(l, "packets"))
        .sum();
    assert_eq!(link_packets, udp + tcp);
    let rows = service_figures(json);
    assert_eq!(rows.get("udp/53"), Some(&(udp, udp * HUGE)), "dns row");
    assert_eq!(rows.get("tcp/443"), Some(&(tcp, tcp * HUGE)), "https row");
    let ports = tool_ports(json);
    assert_eq!(ports["udp/53"], [0, 0, udp, udp * HUGE], "udp/53");
    assert_eq!(
        ports[&format!("udp/{UDP_SRC}")],
        [udp, udp * HUGE, 0, 0],
        "udp/{UDP_SRC}"
    );
    assert_eq!(ports["tcp/443"], [0, 0, tcp, tcp * HUGE], "tcp/443");
    assert_eq!(
        ports[&format!("tcp/{TCP_SRC}")],
        [tcp, tcp * HUGE, 0, 0],
        "tcp/{TCP_SRC}"
    );
    let share = services(json)
        .iter()
        .find(|r| service_key(r) == "udp/53")
        .and_then(|r| r["share"].as_f64())
        .expect("share");
    let want = udp as f64 / (udp + tcp) as f64;
    assert!((share - want).abs() < 1e-9, "share {share} vs {want}");
}

/// The report's own figures: directions, port classes, hosts,
/// conversations, time series.
fn check_report_figures(json: &Value, udp: u64, tcp: u64) {
    check_read_figures(json, udp, tcp);
    let total = (udp + tcp) * HUGE;
    let report = &json["report"];
    for d in report["service_directions"].as_array().expect("directions") {
        let want = if d["transport"] == "udp" { udp } else { tcp };
        assert_eq!(u64_of(d, "to_server_bytes"), want * HUGE, "{d}");
        assert_eq!(u64_of(d, "to_server_packets"), want, "{d}");
        assert_eq!(u64_of(d, "to_client_bytes"), 0, "{d}");
    }
    let classes: u64 = report["port_classes"]
        .as_array()
        .expect("port_classes")
        .iter()
        .map(|c| u64_of(c, "bytes"))
        .sum();
    assert_eq!(classes, total, "port_classes");
    let hosts = &report["hosts"];
    assert_eq!(
        u64_of(&hosts["totals"], "sent_bytes"),
        total,
        "hosts.totals"
    );
    assert_eq!(u64_of(&hosts["totals"], "received_bytes"), total);
    let host = |address: &str| {
        hosts["entries"]
            .as_array()
            .expect("host entries")
            .iter()
            .find(|h| h["address"] == address)
            .unwrap_or_else(|| panic!("no host {address}: {hosts}"))
            .clone()
    };
    assert_eq!(u64_of(&host("192.0.2.1"), "sent_bytes"), total);
    assert_eq!(u64_of(&host("198.51.100.1"), "received_bytes"), total);
    let conversations = &report["conversations"];
    assert_eq!(
        u64_of(&conversations["totals"], "to_server_bytes"),
        total,
        "conversations.totals"
    );
    for c in conversations["entries"].as_array().expect("entries") {
        let want = if c["transport"] == "udp" { udp } else { tcp };
        assert_eq!(u64_of(c, "to_server_bytes"), want * HUGE, "{c}");
    }
    let buckets = report["timeseries"]["buckets"].as_array().expect("buckets");
    let mut sum = 0;
    for b in buckets {
        let bytes = u64_of(b, "bytes");
        assert!(
            bytes.is_multiple_of(HUGE),
            "a bucket holds whole frames: {b}"
        );
        let services: u64 = b["services"]
            .as_array()
            .expect("bucket services")
            .iter()
            .map(|s| u64_of(s, "bytes"))
            .sum::<u64>()
            + b["other_bytes"].as_u64().unwrap_or(0);
        assert_eq!(services, bytes, "bucket services vs bucket: {b}");
        sum += bytes;
    }
    assert_eq!(sum, total, "time series");
    let peak = u64_of(&report["peak"], "bytes");
    assert!(peak >= HUGE && peak.is_multiple_of(HUGE), "peak {peak}");
}

#[test]
fn wire_lengths_past_four_gib_are_counted_exactly_by_read_and_report() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (udp, tcp) = (3, 2);
    let pcap = huge_pcap(dir.path(), "huge.pcap", udp, tcp);
    let pcapng = huge_pcapng(dir.path(), "huge.pcapng", udp, tcp);
    for file in [&pcap, &pcapng] {
        let read = json_of(
            &[
                "read",
                "--format",
                "json",
                "--no-system-services",
                "--no-handshake",
            ],
            &[file],
        );
        check_read_figures(&read, udp, tcp);
        assert_eq!(u64_of(&read, "bytes"), 5 * 4_294_967_295);
        let report = json_of(
            &[
                "report",
                "--format",
                "json",
                "--no-system-services",
                "--no-handshake",
            ],
            &[file],
        );
        check_report_figures(&report, udp, tcp);
    }
    // Both files at once, and a larger count: 4,096 frames of 2³²−1 bytes.
    let both = json_of(
        &[
            "read",
            "--format",
            "json",
            "--no-system-services",
            "--no-handshake",
        ],
        &[&pcap, &pcapng],
    );
    check_read_figures(&both, 2 * udp, 2 * tcp);
    let many = huge_pcap(dir.path(), "many.pcap", 3_000, 1_096);
    let report = json_of(
        &[
            "report",
            "--format",
            "json",
            "--no-system-services",
            "--no-handshake",
        ],
        &[&many],
    );
    check_report_figures(&report, 3_000, 1_096);
    assert_eq!(u64_of(&report, "bytes"), 4_096 * HUGE);
}

#[test]
fn wire_lengths_past_four_gib_in_text_csv_and_merged_summaries() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (udp, tcp) = (3, 2);
    let pcap = huge_pcap(dir.path(), "huge.pcap", udp, tcp);
    let total = (udp + tcp) * HUGE;
    // The table spells the exact byte count out.
    let table = run_ok(&[
        "read".as_ref(),
        "--no-system-services".as_ref(),
        "--no-handshake".as_ref(),
        pcap.as_os_str(),
    ])
    .stdout_text();
    assert!(table.contains(&grouped(total)), "{table}");
    // CSV of the services and of the time series.
    let csv = run_ok(&[
        "read".as_ref(),
        "--format".as_ref(),
        "csv".as_ref(),
        "--no-system-services".as_ref(),
        "--no-handshake".as_ref(),
        pcap.as_os_str(),
    ])
    .stdout_text();
    let bytes_column = |text: &str, column: &str| -> u64 {
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().expect("CSV header").split(',').collect();
        let at = header
            .iter()
            .position(|h| *h == column)
            .unwrap_or_else(|| panic!("no {column} column in {header:?}"));
        lines
            .map(|l| {
                l.split(',')
                    .nth(at)
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or_else(|| panic!("bad row {l}"))
            })
            .sum()
    };
    assert_eq!(bytes_column(&csv, "bytes"), total, "{csv}");
    let series = run_ok(&[
        "report".as_ref(),
        "--format".as_ref(),
        "csv".as_ref(),
        "--table".as_ref(),
        "timeseries".as_ref(),
        "--no-system-services".as_ref(),
        "--no-handshake".as_ref(),
        pcap.as_os_str(),
    ])
    .stdout_text();
    assert_eq!(bytes_column(&series, "bytes"), total, "{series}");
    // Summaries merged: read's and report's shapes.
    let read_summary = dir.path().join("read.json");
    let report_summary = dir.path().join("report.json");
    std::fs::write(
        &read_summary,
        run_ok(&[
            "read".as_ref(),
            "--format".as_ref(),
            "json".as_ref(),
            "--no-system-services".as_ref(),
            "--no-handshake".as_ref(),
            pcap.as_os_str(),
        ])
        .stdout,
    )
    .expect("write summary");
    std::fs::write(
        &report_summary,
        run_ok(&[
            "report".as_ref(),
            "--format".as_ref(),
            "json".as_ref(),
            "--no-system-services".as_ref(),
            "--no-handshake".as_ref(),
            pcap.as_os_str(),
        ])
        .stdout,
    )
    .expect("write summary");
    let merged = json_of(
        &["merge", "--no-system-services"],
        &[&read_summary, &read_summary, &read_summary],
    );
    check_read_figures(&merged, 3 * udp, 3 * tcp);
    let merged = json_of(
        &["merge", "--no-system-services"],
        &[&report_summary, &report_summary],
    );
    check_report_figures(&merged, 2 * udp, 2 * tcp);
    // And a report of summaries and the capture together.
    let mixed = json_of(
        &[
            "report",
            "--format",
            "json",
            "--no-system-services",
            "--no-handshake",
        ],
        &[&report_summary, &pcap],
    );
    check_report_figures(&mixed, 2 * udp, 2 * tcp);
}

/// Found by this test: merging (or reporting) JSON summaries whose
/// counters add up past u64::MAX overflows. An unoptimised build panics
/// ("attempt to add with overflow" in `Counter::add_assign`,
/// src/tally/mod.rs); a release build wraps around and prints a total
/// smaller than either input's (2·(2⁶⁴−1) printed as 2⁶⁴−2). Summaries come
/// from other machines, so their figures are input like any other: the sum
/// should saturate (and say so) or be refused with a message.
#[test]
fn summaries_whose_sum_passes_u64_max_are_not_wrapped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pcap = huge_pcap(dir.path(), "huge.pcap", 3, 2);
    let mut json = json_of(
        &[
            "read",
            "--format",
            "json",
            "--no-system-services",
            "--no-handshake",
        ],
        &[&pcap],
    );
    let near_max = u64::MAX - 10;
    json["bytes"] = near_max.into();
    json["inputs"][0]["bytes"] = near_max.into();
    json["transport"]["udp"]["bytes"] = near_max.into();
    let path = dir.path().join("near-max.json");
    std::fs::write(&path, json.to_string()).expect("write summary");
    for args in [
        vec!["merge", "--no-system-services"],
        vec![
            "report",
            "--format",
            "json",
            "--no-system-services",
            "--no-handshake",
        ],
    ] {
        let mut all: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
        all.extend([path.as_os_str(), path.as_os_str()]);
        let run = run_bounded(&all, None, RUN_TIMEOUT, &format!("portclass {args:?}"));
        if run.code == 0 {
            let bytes = u64_of(&run.json(), "bytes");
            assert!(
                bytes >= near_max,
                "{}: {bytes} bytes: the sum wrapped around",
                run.command
            );
        } else {
            assert_eq!(
                run.stderr_lines().len(),
                1,
                "{}: {}",
                run.command,
                run.stderr
            );
        }
    }
}
