//! `--metrics ADDR:PORT`: Prometheus text at `/metrics`, scraped over HTTP
//! from inside the capturing namespace while the capture runs, agrees with
//! the datagrams sent.

use crate::common::netns::{HTTP_GET, NetPair, Side, python};
use crate::common::*;
use crate::session::*;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// One sample: metric name, labels, value.
#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// The samples of a Prometheus text exposition (comments left out).
fn samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| parse_sample(line).unwrap_or_else(|| panic!("not a sample line: {line:?}")))
        .collect()
}

fn parse_sample(line: &str) -> Option<Sample> {
    let name_end = line.find(['{', ' ']).unwrap_or(line.len());
    let name = line[..name_end].to_string();
    let mut rest = &line[name_end..];
    let mut labels = BTreeMap::new();
    if let Some(mut block) = rest.strip_prefix('{') {
        loop {
            block = block.trim_start_matches([',', ' ']);
            if let Some(after) = block.strip_prefix('}') {
                rest = after;
                break;
            }
            // name="value", with \" \\ \n escapes in the value
            let eq = block.find('=')?;
            let key = block[..eq].trim().to_string();
            let quoted = block[eq + 1..].strip_prefix('"')?;
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let close = loop {
                let (i, c) = chars.next()?;
                match c {
                    '\\' => value.push(match chars.next()?.1 {
                        'n' => '\n',
                        other => other,
                    }),
                    '"' => break i,
                    other => value.push(other),
                }
            };
            labels.insert(key, value);
            block = &quoted[close + 1..];
        }
    }
    let value = rest.split_whitespace().next()?.parse().ok()?;
    Some(Sample {
        name,
        labels,
        value,
    })
}

/// The value of the one sample named `name` whose labels include `labels`;
/// `None` when there is none, a failure when there are several.
fn value_of(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let matching: Vec<&Sample> = samples
        .iter()
        .filter(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .collect();
    assert!(
        matching.len() <= 1,
        "several {name} samples with labels {labels:?}: {matching:#?}"
    );
    matching.first().map(|s| s.value)
}

#[test]
fn scraped_counters_match_the_datagrams_sent() {
    let Some(net) = NetPair::new() else { return };
    let sent: u64 = 20;
    // Port 0: the system picks one, and portclass says which.
    let address = "127.0.0.1:0";
    let mut live = start_capturing(
        &net,
        &[
            "--filter",
            "udp",
            "--duration",
            "30",
            "--interval",
            "0.2",
            "--metrics",
            address,
        ],
    );
    send_udp4(&net, &[(5353, sent)]);

    let said = "portclass: serving Prometheus metrics at ";
    let stderr = live.stderr_so_far();
    let url = stderr
        .lines()
        .find_map(|line| line.strip_prefix(said))
        .unwrap_or_else(|| panic!("no line {said:?} on stderr:\n{stderr}"))
        .to_string();
    assert!(
        url.starts_with("http://127.0.0.1:") && !url.starts_with("http://127.0.0.1:0/"),
        "{url}"
    );
    let iface = net.ns_b.as_str();
    let service = [
        ("interface", iface),
        ("transport", "udp"),
        ("port", "5353"),
        ("service", "mdns"),
    ];
    // The endpoint is updated every interval: scrape until it has caught up.
    let start = Instant::now();
    let mut last;
    let (text, found) = loop {
        let got = net.run(Side::B, &[python(), "-c", HTTP_GET, &url], STOP_TIMEOUT);
        if got.status.success() {
            let text = got.stdout_text();
            let found = samples(&text);
            if value_of(&found, "portclass_service_packets_total", &service) == Some(sent as f64) {
                break (text, found);
            }
            last = text;
        } else {
            last = format!("scrape failed: {}", got.stderr);
        }
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "portclass_service_packets_total{service:?} never reached {sent} in 3 s; last scrape:\n{last}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };

    let bytes = (sent * UDP4_FRAME) as f64;
    let expect = |name: &str, labels: &[(&str, &str)], want: f64| {
        assert_eq!(
            value_of(&found, name, labels),
            Some(want),
            "{name}{labels:?} in:\n{text}"
        );
    };
    expect("portclass_service_bytes_total", &service, bytes);
    let udp = [("interface", iface), ("category", "udp")];
    expect("portclass_transport_packets_total", &udp, sent as f64);
    expect("portclass_transport_bytes_total", &udp, bytes);
    expect(
        "portclass_packets_total",
        &[("interface", iface)],
        sent as f64,
    );
    expect("portclass_bytes_total", &[("interface", iface)], bytes);
    // Who: the sender and the receiver, each way.
    expect(
        "portclass_host_bytes_total",
        &[
            ("interface", iface),
            ("address", &net.v4_a),
            ("direction", "sent"),
        ],
        bytes,
    );
    expect(
        "portclass_host_bytes_total",
        &[
            ("interface", iface),
            ("address", &net.v4_b),
            ("direction", "received"),
        ],
        bytes,
    );
    // Who talked to which service, each way (summed over client ports).
    let conversation = |direction| {
        [
            ("interface", iface),
            ("transport", "udp"),
            ("client", net.v4_a.as_str()),
            ("server", net.v4_b.as_str()),
            ("port", "5353"),
            ("service", "mdns"),
            ("direction", direction),
        ]
    };
    expect(
        "portclass_conversation_bytes_total",
        &conversation("to_server"),
        bytes,
    );
    expect(
        "portclass_conversation_bytes_total",
        &conversation("to_client"),
        0.0,
    );
    for table in ["hosts", "conversations", "servers"] {
        expect(
            "portclass_table_exact",
            &[("interface", iface), ("table", table)],
            1.0,
        );
    }
    for by in ["kernel", "interface"] {
        let labels = [("interface", iface), ("by", by)];
        assert!(
            value_of(&found, "portclass_capture_dropped_packets_total", &labels)
                .is_some_and(|v| v >= 0.0),
            "portclass_capture_dropped_packets_total{labels:?} in:\n{text}"
        );
    }
    for family in [
        "portclass_service_packets_total",
        "portclass_transport_packets_total",
        "portclass_packets_total",
        "portclass_capture_dropped_packets_total",
    ] {
        assert!(
            text.lines()
                .any(|l| l == format!("# TYPE {family} counter")),
            "no `# TYPE {family} counter` in:\n{text}"
        );
    }
    for sample in found.iter().filter(|s| s.name.starts_with("portclass_")) {
        assert_eq!(
            sample.labels.get("interface").map(String::as_str),
            Some(iface),
            "every series is labelled with the interface: {sample:?}"
        );
    }

    live.signal("INT");
    let out = finish(&mut live);
    check_summary(&out.summary, iface, Some("udp"));
    assert_eq!(u64_of(&out.summary, "packets"), sent, "summary packets");
    // The first NDJSON line says where the metrics are; later ones do not.
    assert_eq!(
        out.intervals[0]["metrics_url"],
        url.as_str(),
        "{}",
        out.intervals[0]
    );
    assert!(
        out.intervals[1..]
            .iter()
            .all(|l| l.get("metrics_url").is_none())
    );
}

#[test]
fn sample_lines_parse() {
    let text = "# HELP x y\n# TYPE a_total counter\na_total{k=\"v\",q=\"a\\\"b,c}\"} 12\nb 3.5\n";
    let got = samples(text);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].name, "a_total");
    assert_eq!(got[0].labels["k"], "v");
    assert_eq!(got[0].labels["q"], "a\"b,c}");
    assert_eq!(got[0].value, 12.0);
    assert_eq!(got[1].name, "b");
    assert!(got[1].labels.is_empty());
    assert_eq!(got[1].value, 3.5);
}
