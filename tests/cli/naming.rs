//! The static naming rule end to end: which service row each frame lands in,
//! predicted from tshark's port pairs (or from a capture built here) and the
//! binary's own `ports` answers, compared with the binary's `services` rows.
//! Runs with `--no-handshake`; the handshake rule has its own tests in
//! `analysis`.

use crate::common::*;
use serde_json::Value;

const BUILTIN_ONLY: &[&str] = &["--no-system-services"];

fn sample_json() -> Value {
    let run = read_json(&[fixture("sample.pcapng")], &["--no-handshake"]);
    run.assert_code(0);
    run.json()
}

#[test]
fn dynamic_ports_fixture_follows_the_naming_rule() {
    let oracle = expected("dynamic-ports.pcap");
    let predicted = predicted_services(&oracle, BUILTIN_ONLY);
    // The fixture exists to exercise every branch of the rule; make sure it
    // still does, or this test would prove less than it claims.
    let services: Vec<&str> = predicted.values().map(|r| r.service.as_str()).collect();
    assert!(
        services.contains(&"dynamic"),
        "no dynamic row predicted: {predicted:?}"
    );
    assert!(
        services.contains(&"unassigned"),
        "no unassigned row predicted: {predicted:?}"
    );
    assert!(
        predicted.values().any(|r| r.source.is_some()),
        "no named row predicted"
    );

    let run = read_json(&[fixture("dynamic-ports.pcap")], &["--no-handshake"]);
    run.assert_code(0);
    let json = run.json();
    assert_same_rows(
        "dynamic-ports.pcap services",
        &actual_services(&json),
        &predicted,
    );
    let dynamic = service_row(&json, "udp", None).expect("a udp dynamic row");
    assert_eq!(dynamic["source"], Value::Null);
    assert!(
        dynamic["description"].is_string(),
        "dynamic row has a description: {dynamic}"
    );
}

#[test]
fn sample_follows_the_naming_rule() {
    let predicted = predicted_services(&expected("sample.pcapng"), BUILTIN_ONLY);
    assert_same_rows(
        "sample.pcapng services",
        &actual_services(&sample_json()),
        &predicted,
    );
}

#[test]
fn sample_names_its_services() {
    let json = sample_json();
    let oracle_port_rows = oracle_ports(&expected("sample.pcapng"));
    let named = [
        ("tcp", 22, "ssh"),
        ("tcp", 80, "http"),
        ("tcp", 443, "https"),
        ("udp", 53, "dns"),
        ("tcp", 53, "dns"),
        ("udp", 123, "ntp"),
        ("udp", 161, "snmp"),
        ("udp", 514, "syslog"),
        ("tcp", 6379, "redis"),
        ("tcp", 1883, "mqtt"),
    ];
    for (transport, port, service) in named {
        let row = service_row(&json, transport, Some(port))
            .unwrap_or_else(|| panic!("no service row {port}/{transport}"));
        assert_eq!(row["service"], service, "{row}");
        assert_eq!(row["source"], "builtin", "{row}");
        // A server port always wins against its clients' ephemeral ports, so
        // its row holds every frame to or from it, as tshark counted them.
        let figures = oracle_port_rows[&format!("{transport}/{port}")];
        assert_eq!(
            (u64_of(row, "packets"), u64_of(row, "bytes")),
            (figures[0] + figures[2], figures[1] + figures[3]),
            "{port}/{transport}: service row vs tshark's src+dst figures"
        );
    }

    // The 55123 <-> 61234 UDP exchange: both dynamic, so the dynamic row.
    let pairs = oracle_pairs(&expected("sample.pcapng"));
    let exchange: u64 = pairs
        .iter()
        .filter(|p| p.transport == "udp" && [p.src.min(p.dst), p.src.max(p.dst)] == [55123, 61234])
        .map(|p| p.packets)
        .sum();
    assert!(exchange > 0, "tshark saw no 55123<->61234 traffic");
    let dynamic = service_row(&json, "udp", None).expect("a udp dynamic row");
    assert_eq!(dynamic["service"], "dynamic");
    assert!(
        u64_of(dynamic, "packets") >= exchange,
        "{dynamic} lacks the {exchange} exchange packets"
    );

    // socat on TCP 40123: no name anywhere in the built-in database.
    let socat = service_row(&json, "tcp", Some(40123)).expect("a tcp/40123 row");
    assert_eq!(socat["service"], "unassigned", "{socat}");
    assert_eq!(socat["source"], Value::Null, "{socat}");

    for row in services(&json) {
        if let Some(port) = row["port"].as_u64() {
            assert!(
                port < u64::from(DYNAMIC_START),
                "an ephemeral port shown as a service: {row}"
            );
        }
    }
}

#[test]
fn sample_builtin_names_hold_with_the_system_services_file() {
    // The machine's /etc/services (the default) only adds ports the built-in
    // database lacks; the built-in rows of the sample stay as they are.
    let run = portclass(&[
        "read",
        "--format",
        "json",
        &fixture("sample.pcapng").to_string_lossy(),
    ]);
    run.assert_code(0);
    let json = run.json();
    for (transport, port, service) in [("tcp", 22, "ssh"), ("tcp", 80, "http"), ("udp", 53, "dns")]
    {
        let row = service_row(&json, transport, Some(port)).expect("row present");
        assert_eq!(
            (&row["service"], &row["source"]),
            (&Value::from(service), &Value::from("builtin"))
        );
    }
}

#[test]
fn built_capture_follows_the_naming_rule_for_every_port_pair() {
    // Known and unknown ports of each class, including a known port in the
    // dynamic range (51820, WireGuard) and the range edges.
    let ports: [u16; 18] = [
        22, 53, 80, 123, 443, 1023, 1024, 1883, 3306, 5353, 40000, 40001, 49151, 49152, 51820,
        60000, 65534, 65535,
    ];
    let mut capture = pcap_header();
    let mut pairs = Vec::new();
    for (i, &src) in ports.iter().enumerate() {
        for (j, &dst) in ports.iter().enumerate() {
            // Payload length varies so byte totals tell rows apart.
            let frame = udp_ipv4_frame(src, dst, &vec![0x5a; i + 2 * j]);
            pairs.push(Pair {
                transport: "udp".into(),
                src,
                dst,
                packets: 1,
                bytes: frame.len() as u64,
            });
            push_pcap_record(
                &mut capture,
                1_700_000_000,
                (i * ports.len() + j) as u32,
                &frame,
            );
        }
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_file(dir.path(), "pairs.pcap", &capture);
    let predicted = predict_services(&pairs, BUILTIN_ONLY);
    // One unanswered datagram per pair: the static rule is what is tested,
    // not failed attempts (which would take them all).
    let run = read_json(&[&path], &["--no-handshake"]);
    run.assert_code(0);
    let json = run.json();
    assert_eq!(
        category(&json, "udp").0,
        pairs.len() as u64,
        "every built frame is UDP with ports"
    );
    assert_same_rows(
        "built capture services",
        &actual_services(&json),
        &predicted,
    );
}
