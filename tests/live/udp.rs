//! UDP over IPv4 and IPv6: an exact number of datagrams to a well-known, a
//! registered and an unassigned port, each counted exactly once, by port
//! and by service, with exact wire lengths.

use crate::common::netns::NetPair;
use crate::common::*;
use crate::session::*;

/// Datagrams to each port over IPv4, and over IPv6 (different, so a frame
/// counted under the wrong family shows).
const K4: u64 = 25;
const K6: u64 = 17;

#[test]
fn datagrams_over_ipv4_and_ipv6_are_counted_per_port_and_service() {
    let Some(net) = NetPair::new() else { return };
    let targets = [(53, "dns"), (5353, "mdns"), (40123, "unassigned")];
    let expected = 3 * (K4 + K6);
    let mut live = start_capturing(
        &net,
        &[
            "--filter",
            "udp",
            "--count",
            &expected.to_string(),
            "--duration",
            "15",
            "--interval",
            "0.2",
        ],
    );
    send_udp4(&net, &targets.map(|(port, _)| (port, K4)));
    send_udp6(&net, &targets.map(|(port, _)| (port, K6)));
    let out = finish(&mut live);
    let summary = &out.summary;
    check_summary(summary, &net.ns_b, Some("udp"));

    let per_port_bytes = K4 * UDP4_FRAME + K6 * UDP6_FRAME;
    assert_eq!(u64_of(summary, "packets"), expected, "packets");
    assert_eq!(u64_of(summary, "bytes"), 3 * per_port_bytes, "bytes");
    assert_eq!(
        category(summary, "udp"),
        (expected, 3 * per_port_bytes),
        "transport.udp"
    );
    assert_only_category(summary, "udp");

    let mut want_ports = std::collections::BTreeMap::new();
    for (port, _) in targets {
        want_ports.insert(format!("udp/{port}"), [0, 0, K4 + K6, per_port_bytes]);
    }
    want_ports.insert(
        format!("udp/{SRC_PORT}"),
        [expected, 3 * per_port_bytes, 0, 0],
    );
    assert_same_rows("ports", &tool_ports(summary), &want_ports);

    let mut want_services = std::collections::BTreeMap::new();
    for (port, name) in targets {
        want_services.insert(
            format!("udp/{port}"),
            (name.to_string(), K4 + K6, per_port_bytes),
        );
    }
    let got_services = services(summary)
        .iter()
        .map(|row| {
            let name = row["service"].as_str().unwrap_or("<null>").to_string();
            (
                service_key(row),
                (name, u64_of(row, "packets"), u64_of(row, "bytes")),
            )
        })
        .collect();
    assert_same_rows("services", &got_services, &want_services);

    // Who: each sender and receiver with its bytes, in the summary; any
    // interval line has its own hosts and conversations.
    let hosts = host_bytes(summary);
    let (v4, v6) = (3 * K4 * UDP4_FRAME, 3 * K6 * UDP6_FRAME);
    let want: std::collections::BTreeMap<String, (u64, u64)> = [
        (net.v4_a.clone(), (v4, 0)),
        (net.v4_b.clone(), (0, v4)),
        (net.v6_a.clone(), (v6, 0)),
        (net.v6_b.clone(), (0, v6)),
    ]
    .into_iter()
    .collect();
    assert_eq!(hosts, want, "hosts: bytes sent and received");
    for line in &out.intervals {
        assert!(
            line["hosts"]["entries"].is_array() && line["conversations"]["entries"].is_array(),
            "{line}"
        );
    }
}
