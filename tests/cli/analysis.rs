//! Beyond port numbers, end to end: handshake-aware service ports, fragment
//! attribution and port-scan detection (with their options), on the
//! committed fixtures: the sample recorded between network namespaces, the
//! nmap and busy-traffic captures, the built fragment capture.

use crate::common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;

/// (source port, destination port, TCP flags) of every TCP segment of an
/// Ethernet pcapng capture, read with a parser of this test's own (IPv4
/// without options or with, IPv6 without extension headers: what the
/// sample holds).
fn tcp_segments(name: &str) -> Vec<(u16, u16, u8)> {
    let data = fixture_bytes(name);
    let mut segments = Vec::new();
    for span in pcapng_packets(&data) {
        // Enhanced packet block: 28 bytes of header, then the frame.
        let caplen = u32::from_le_bytes(data[span.start + 20..span.start + 24].try_into().unwrap());
        let frame = &data[span.start + 28..span.start + 28 + caplen as usize];
        let ethertype = u16::from_be_bytes([frame[12], frame[13]]);
        let (protocol, transport) = match ethertype {
            0x0800 => {
                let ihl = usize::from(frame[14] & 0x0f) * 4;
                (frame[14 + 9], &frame[14 + ihl..])
            }
            0x86dd => (frame[14 + 6], &frame[14 + 40..]),
            _ => continue,
        };
        if protocol == 6 {
            segments.push((
                u16::from_be_bytes([transport[0], transport[1]]),
                u16::from_be_bytes([transport[2], transport[3]]),
                transport[13],
            ));
        }
    }
    segments
}

/// The service rows the handshake rule predicts: a TCP conversation whose
/// SYN (or SYN+ACK) was captured goes to its server's port; everything else
/// follows the static rule, as `naming` predicts it.
fn handshake_prediction(name: &str) -> (BTreeMap<String, PredictedService>, BTreeSet<u16>) {
    let mut server_of: BTreeMap<(u16, u16), u16> = BTreeMap::new();
    let mut clients = BTreeSet::new();
    for (src, dst, flags) in tcp_segments(name) {
        let key = (src.min(dst), src.max(dst));
        if flags & (SYN | ACK) == SYN {
            server_of.insert(key, dst);
            clients.insert(src);
        } else if flags & (SYN | ACK) == SYN | ACK {
            server_of.insert(key, src);
        }
    }
    let pairs = oracle_pairs(&expected(name));
    let mut static_pairs = Vec::new();
    let mut handshake_pairs: BTreeMap<u16, (u64, u64)> = BTreeMap::new();
    for pair in pairs {
        let key = (pair.src.min(pair.dst), pair.src.max(pair.dst));
        match server_of.get(&key) {
            Some(&server) if pair.transport == "tcp" => {
                let row = handshake_pairs.entry(server).or_default();
                row.0 += pair.packets;
                row.1 += pair.bytes;
            }
            _ => static_pairs.push(pair),
        }
    }
    let flags = ["--no-system-services"];
    let mut rows = predict_services(&static_pairs, &flags);
    let ports: BTreeSet<u16> = handshake_pairs.keys().copied().collect();
    let known = KnownPorts::query(&ports, &flags);
    for (port, (packets, bytes)) in handshake_pairs {
        let (service, source) = match known.primary("tcp", port) {
            Some(e) => (e.service.clone(), Some(e.source.clone())),
            None => ("unassigned".to_string(), None),
        };
        let row = rows
            .entry(format!("tcp/{port}"))
            .or_insert(PredictedService {
                service,
                source,
                packets: 0,
                bytes: 0,
            });
        row.packets += packets;
        row.bytes += bytes;
    }
    (rows, clients)
}

#[test]
fn handshakes_name_each_conversation_by_its_server_port() {
    let (predicted, clients) = handshake_prediction("sample.pcapng");
    assert!(!clients.is_empty(), "the sample holds TCP handshakes");
    let run = read_json(&[fixture("sample.pcapng")], &[]);
    run.assert_code(0);
    let json = run.json();
    assert_same_rows(
        "sample.pcapng services under the handshake rule",
        &actual_services(&json),
        &predicted,
    );
    // The socat conversation between two unknown ports: one row, its
    // server's, identified by the handshake; the client's port 33834 has
    // none (the static rule gave it one of its own).
    let socat = service_row(&json, "tcp", Some(40123)).expect("tcp/40123");
    assert_eq!(socat["identified_by"], "handshake", "{socat}");
    assert_eq!(
        u64_of(&socat["identified"], "handshake"),
        u64_of(socat, "packets")
    );
    for client in &clients {
        if !predicted.contains_key(&format!("tcp/{client}")) {
            assert!(
                service_row(&json, "tcp", Some(*client)).is_none(),
                "client port {client} shown as a service"
            );
        }
    }
    // UDP services that answered (dns, ntp, snmp) are named by their
    // request and reply; syslog never answers: the port database named it.
    for row in services(&json) {
        if row["transport"] == "udp" {
            let by_handshake = u64_of(&row["identified"], "handshake");
            match row["service"].as_str() {
                Some("dns" | "ntp" | "snmp") => {
                    assert_eq!(by_handshake, u64_of(row, "packets"), "{row}")
                }
                Some("syslog") => assert_eq!(by_handshake, 0, "{row}"),
                _ => {}
            }
        }
        let methods: u64 = ["handshake", "port_database", "heuristic"]
            .iter()
            .map(|m| u64_of(&row["identified"], m))
            .sum();
        assert_eq!(methods, u64_of(row, "packets"), "{row}");
    }
}

#[test]
fn no_handshake_keeps_the_static_rule() {
    let run = read_json(&[fixture("sample.pcapng")], &["--no-handshake"]);
    run.assert_code(0);
    let json = run.json();
    let client = service_row(&json, "tcp", Some(33834)).expect("the client's row");
    assert_eq!(client["identified_by"], "heuristic", "{client}");
    for row in services(&json) {
        assert_eq!(u64_of(&row["identified"], "handshake"), 0, "{row}");
    }
}

#[test]
fn fragments_count_under_their_first_fragments_service() {
    let json = read_json(&[fixture("fragments.pcap")], &[]).json();
    let oracle = expected("fragments.pcap");
    // The counting rules are unchanged: fragments stay `fragment`.
    for name in CATEGORIES {
        let oracle_figures = oracle["transport"]
            .get(name)
            .map_or((0, 0), |c| (u64_of(c, "packets"), u64_of(c, "bytes")));
        assert_eq!(category(&json, name), oracle_figures, "{name}");
    }
    let fragments = category(&json, "fragment");
    // fixtures/README.md: two DNS answers (IPv4 and IPv6, 3 fragments each)
    // and a tiny-fragment HTTP request (2): 5 non-first fragments, all with
    // their first fragment in the capture.
    assert_eq!(fragments.0, 5);
    let f = &json["fragments"];
    assert_eq!(
        (
            u64_of(&f["attributed"], "packets"),
            u64_of(&f["attributed"], "bytes")
        ),
        fragments
    );
    assert_eq!(u64_of(&f["unattributed"], "packets"), 0);
    // The DNS rows hold the whole answers: the first fragments (tshark's
    // udp/53 source figures) plus the non-first ones.
    let ports = oracle_ports(&oracle);
    let dns = service_row(&json, "udp", Some(53)).expect("udp/53");
    let first = ports["udp/53"];
    let http = service_row(&json, "tcp", Some(80)).expect("tcp/80");
    let http_first = ports["tcp/80"];
    let attributed = u64_of(dns, "packets") - first[0] + u64_of(http, "packets") - http_first[2];
    assert_eq!(attributed, 5, "{dns} {http}");
    assert_eq!(u64_of(dns, "packets"), 6, "{dns}");

    // A capture that starts after the first fragments: nothing to attribute.
    let data = fixture_bytes("fragments.pcap");
    let records = pcap_records(&data);
    let mut cut = data[..24].to_vec();
    for (i, r) in records.iter().enumerate() {
        if i != 0 && i != 3 {
            cut.extend_from_slice(&data[r.start..r.end]);
        }
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_file(dir.path(), "late.pcap", &cut);
    let json = read_json(&[&path], &[]).json();
    let f = &json["fragments"];
    assert_eq!(u64_of(&f["attributed"], "packets"), 1, "{f}");
    assert_eq!(u64_of(&f["unattributed"], "packets"), 4, "{f}");
    let text = portclass(&["read", path.to_str().expect("UTF-8")]).stdout_text();
    assert!(
        text.contains("5 non-first fragments: 1 (") && text.contains(") unattributed"),
        "{text}"
    );
}

fn scans(json: &Value) -> &Vec<Value> {
    json["scans"]["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no scans.findings in {}", json["scans"]))
}

#[test]
fn nmap_vertical_scan_is_found_with_its_evidence() {
    let json = read_json(&[fixture("scan-vertical.pcapng")], &[]).json();
    let found = scans(&json);
    assert_eq!(found.len(), 1, "{found:?}");
    let scan = &found[0];
    // fixtures/README.md: 1000 SYNs from 10.77.1.2 to ports 1-1000 of
    // 10.77.1.1; 3 SYN+ACKs (22, 80, 443), 997 RSTs.
    assert_eq!(scan["kind"], "vertical");
    assert_eq!(scan["transport"], "tcp");
    assert_eq!(scan["source"], "10.77.1.2");
    assert_eq!(scan["target_host"], "10.77.1.1");
    // The three answered probes are evidence (open ports), not probes of
    // the scan.
    assert_eq!(
        ["probes", "distinct", "open", "closed", "unanswered"].map(|k| u64_of(scan, k)),
        [997, 1000, 3, 997, 0]
    );
    assert_eq!(scan["distinct_exact"], true);
    assert_eq!(
        scan["evidence"]["port_ranges"],
        serde_json::json!([[1, 1000]])
    );
    assert_eq!(
        scan["evidence"]["open_ports"],
        serde_json::json!([22, 80, 443])
    );
    assert_eq!(scan["evidence_text"], "ports 1-1000; open 22, 80, 443");

    // The threshold is the number of failed ports: 997 qualifies, 998 not.
    let at = read_json(&[fixture("scan-vertical.pcapng")], &["--scan-ports", "997"]).json();
    assert_eq!(scans(&at).len(), 1);
    let above = read_json(&[fixture("scan-vertical.pcapng")], &["--scan-ports", "998"]).json();
    assert!(scans(&above).is_empty(), "{}", above["scans"]);
    assert_eq!(u64_of(&above["scans"], "probes"), 1000);
    let off = read_json(&[fixture("scan-vertical.pcapng")], &["--no-scans"]).json();
    assert_eq!(off["scans"], Value::Null);
}

#[test]
fn nmap_horizontal_and_udp_scans_are_found() {
    let json = read_json(&[fixture("scan-horizontal.pcapng")], &[]).json();
    let found = scans(&json);
    assert_eq!(found.len(), 1, "{found:?}");
    let scan = &found[0];
    // fixtures/README.md: port 22 of 10.77.0.10-54 from 10.77.0.2: 5 open,
    // 35 closed, 5 silent.
    assert_eq!(scan["kind"], "horizontal");
    assert_eq!(scan["target_port"], 22);
    assert_eq!(scan["source"], "10.77.0.2");
    assert_eq!(
        ["distinct", "open", "closed", "unanswered"].map(|k| u64_of(scan, k)),
        [45, 5, 35, 5]
    );
    // nmap probes the range in random order.
    let first: std::net::Ipv4Addr = scan["evidence"]["first_host"]
        .as_str()
        .and_then(|a| a.parse().ok())
        .expect("first host");
    assert!((10..=54).contains(&first.octets()[3]), "{first}");

    let json = read_json(&[fixture("scan-udp.pcapng")], &[]).json();
    let found = scans(&json);
    assert_eq!(found.len(), 1, "{found:?}");
    // 42 UDP ports probed, only 53 answered (ICMP unreachables are not
    // answers to a conversation).
    assert_eq!(found[0]["kind"], "vertical");
    assert_eq!(found[0]["transport"], "udp");
    assert_eq!(
        ["distinct", "open", "unanswered"].map(|k| u64_of(&found[0], k)),
        [42, 1, 41]
    );
}

#[test]
fn a_scan_after_ordinary_use_lasts_as_long_as_the_scan() {
    // fixtures/README.md: 10.77.4.2 makes 12 ordinary connections to
    // 10.77.4.1 (80, 443, 22) over 5.5 s, scans its ports 1-1000 (nmap
    // -sS: 1000 SYNs in 10.4 ms, 22, 80 and 443 answered, 997 RSTs), then
    // makes 3 more connections. The finding is the scan's 997 failed
    // probes, from the SYN to 110 to the SYN to 789 (tshark
    // `frame.time_epoch`), not the 7.9 s of the capture.
    let json = read_json(&[fixture("scan-after-use.pcapng")], &[]).json();
    let found = scans(&json);
    assert_eq!(found.len(), 1, "{found:?}");
    let scan = &found[0];
    assert_eq!(
        (&scan["kind"], &scan["source"], &scan["target_host"]),
        (
            &Value::from("vertical"),
            &Value::from("10.77.4.2"),
            &Value::from("10.77.4.1")
        )
    );
    assert_eq!(
        ["probes", "distinct", "open", "closed", "unanswered"].map(|k| u64_of(scan, k)),
        [997, 1000, 3, 997, 0]
    );
    assert_eq!(scan["first_timestamp"], "2026-12-01T23:33:42.963918598Z");
    assert_eq!(scan["last_timestamp"], "2026-12-01T23:33:42.974300013Z");
    assert_eq!(scan["first_ns"], 1_796_168_022_963_918_598_i64);
    assert_eq!(scan["last_ns"], 1_796_168_022_974_300_013_i64);
    assert_eq!(scan["evidence_text"], "ports 1-1000; open 22, 80, 443");
    // Every SYN is a probe seen: 1000 of nmap and the 15 connections.
    assert_eq!(u64_of(&json["scans"], "probes"), 1015);
    let text =
        portclass(&["read", &fixture("scan-after-use.pcapng").to_string_lossy()]).stdout_text();
    let row = text
        .lines()
        .find(|l| l.contains("vertical tcp"))
        .unwrap_or_else(|| panic!("no scan row:\n{text}"));
    assert!(row.contains(" 0.0 ┆"), "a scan of 10 ms: {row}");
}

#[test]
fn busy_ordinary_traffic_is_not_a_scan() {
    // fixtures/README.md: 250 successful connections (one client to 50
    // hosts, to 20 ports of one host, 10 more clients to one server) and 40
    // DNS exchanges.
    for threshold in [["--scan-ports", "15"], ["--scan-ports", "2"]] {
        let json = read_json(&[fixture("busy-traffic.pcapng")], &threshold).json();
        assert!(scans(&json).is_empty(), "{}", json["scans"]);
        assert_eq!(u64_of(&json["scans"], "probes"), 290);
    }
    let json = read_json(&[fixture("busy-traffic.pcapng")], &["--scan-hosts", "2"]).json();
    assert!(scans(&json).is_empty(), "{}", json["scans"]);
}

#[test]
fn scans_survive_merge_and_report() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut summaries = Vec::new();
    for name in ["scan-vertical.pcapng", "busy-traffic.pcapng"] {
        let run = read_json(&[fixture(name)], &[]);
        run.assert_code(0);
        summaries.push(write_file(
            dir.path(),
            &format!("{name}.json"),
            run.stdout_text().as_bytes(),
        ));
    }
    let merged = portclass(&[
        "merge",
        "--no-system-services",
        summaries[0].to_str().expect("UTF-8"),
        summaries[1].to_str().expect("UTF-8"),
    ]);
    merged.assert_code(0);
    let together = read_json(
        &[
            fixture("scan-vertical.pcapng"),
            fixture("busy-traffic.pcapng"),
        ],
        &[],
    )
    .json();
    let merged = merged.json();
    for part in ["scans", "fragments", "services"] {
        assert!(
            merged[part] == together[part],
            "merge differs from reading both in `{part}`"
        );
    }
    let report = portclass(&[
        "report",
        "--format",
        "json",
        "--no-system-services",
        &fixture("scan-vertical.pcapng").to_string_lossy(),
    ]);
    report.assert_code(0);
    assert_eq!(scans(&report.json()).len(), 1);
}

#[test]
fn analysis_options_are_checked() {
    for (args, message) in [
        (
            vec!["--scan-window", "soon"],
            "--scan-window expects a duration",
        ),
        (vec!["--scan-ports", "1"], "--scan-ports must be at least 2"),
        (vec!["--scan-hosts", "0"], "--scan-hosts must be at least 2"),
    ] {
        let mut all = vec!["read", "--no-system-services"];
        all.extend(args);
        let sample = fixture("sample.pcapng");
        all.push(sample.to_str().expect("UTF-8"));
        let run = portclass(&all);
        run.assert_code(2);
        assert!(
            run.stderr_lines().iter().any(|l| l.contains(message)),
            "{:?}",
            run.stderr_lines()
        );
    }
}

/// Rows of a `read --decap` JSON as `tunnel tcp/443` → packets.
fn tunnel_rows(json: &Value) -> BTreeMap<String, u64> {
    services(json)
        .iter()
        .map(|row| {
            (
                format!(
                    "{} {}/{}",
                    row["tunnel"].as_str().unwrap_or("-"),
                    row["transport"].as_str().expect("transport"),
                    row["port"].as_u64().unwrap_or(0),
                ),
                u64_of(row, "packets"),
            )
        })
        .collect()
}

#[test]
fn decap_counts_frames_by_their_inner_ports() {
    // fixtures/README.md, decap.pcap: what tshark shows inside each frame.
    // Its frames are single, unanswered ones: with the handshake rule they
    // would be failed attempts; the static rule is what names inner ports.
    let json = read_json(&[fixture("decap.pcap")], &["--decap", "--no-handshake"]).json();
    assert_eq!(json["decap"], true);
    let row = |t: &str, transport: &str, port: u64, packets: u64| {
        (format!("{t} {transport}/{port}"), packets)
    };
    let expected: BTreeMap<String, u64> = [
        row("gre", "tcp", 443, 2), // frames 1 and 15 (VXLAN inside GRE)
        row("gre", "udp", 53, 1),
        row("gre", "tcp", 22, 1),
        row("ipip", "udp", 123, 1),
        row("ipip", "tcp", 80, 1),
        row("ipip", "tcp", 443, 1),
        row("6in4", "tcp", 22, 1),
        row("vxlan", "tcp", 443, 1),
        row("geneve", "udp", 53, 1),
        row("geneve", "tcp", 443, 1),
        row("gtp-u", "tcp", 443, 1),
        row("gtp-u", "udp", 53, 1),
        row("teredo", "tcp", 80, 1),
        row("teredo", "udp", 123, 1),
        // Frame 16: VXLAN without its I flag is not opened.
        row("-", "udp", 4789, 1),
    ]
    .into_iter()
    .collect();
    assert_same_rows("decap.pcap --decap rows", &tunnel_rows(&json), &expected);
    let tunnels: BTreeMap<String, u64> = json["tunnels"]
        .as_array()
        .expect("tunnels")
        .iter()
        .map(|t| {
            (
                t["tunnel"].as_str().expect("name").to_string(),
                u64_of(t, "packets"),
            )
        })
        .collect();
    let want: BTreeMap<String, u64> = [
        ("gre", 4),
        ("ipip", 3),
        ("6in4", 1),
        ("vxlan", 2), // frame 8, and 18 (an ARP: non_ip)
        ("geneve", 2),
        ("gtp-u", 2),
        ("teredo", 2),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(tunnels, want);
    // Frame 17 (GRE carrying 0x88B5) stays other_ip; frame 18's ARP is
    // non_ip; all 18 frames are counted once.
    assert_eq!(category(&json, "other_ip").0, 1);
    assert_eq!(category(&json, "non_ip").0, 1);
    assert_eq!(u64_of(&json, "packets"), 18);

    // Without --decap the counting rules hold: tshark's figures exactly
    // (the fixtures test compares every field), no tunnel anywhere.
    let plain = read_json(&[fixture("decap.pcap")], &[]).json();
    assert_eq!(plain["decap"], false);
    assert!(plain["tunnels"].as_array().is_some_and(Vec::is_empty));
    assert_eq!(category(&plain, "other_ip").0, 9);
    assert!(services(&plain).iter().all(|r| r["tunnel"].is_null()));
    let text = portclass(&[
        "read",
        "--decap",
        "--no-system-services",
        &fixture("decap.pcap").to_string_lossy(),
    ])
    .stdout_text();
    assert!(text.contains("│ tunnel "), "{text}");
    assert!(text.contains("Tunnels"), "{text}");
}
