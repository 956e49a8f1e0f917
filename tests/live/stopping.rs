//! How a live run ends: after `--count` frames exactly, after `--duration`
//! seconds, or on SIGINT or SIGTERM, each time with exit status 0 and the
//! summary of everything counted before.

use crate::common::netns::{Background, NetPair, Side, python};
use crate::common::*;
use crate::session::*;
use serde_json::Value;
use std::time::Duration;

#[test]
fn count_stops_after_exactly_that_many_frames() {
    let Some(net) = NetPair::new() else { return };
    // `--duration` only as a backstop: the run must end by `--count`, well
    // before it (STOP_TIMEOUT is shorter).
    let mut live = start_capturing(
        &net,
        &["--filter", "udp", "--count", "10", "--duration", "60"],
    );
    send_udp4(&net, &[(5353, 15)]);
    let out = finish(&mut live);
    let summary = &out.summary;
    check_summary(summary, &net.ns_b, Some("udp"));
    assert_eq!(u64_of(summary, "packets"), 10, "packets after --count 10");
    assert_eq!(u64_of(summary, "bytes"), 10 * UDP4_FRAME, "bytes");
    assert_eq!(
        tool_ports(summary).get("udp/5353"),
        Some(&[0, 0, 10, 10 * UDP4_FRAME]),
        "udp/5353"
    );
}

#[test]
fn duration_stops_the_run_with_interval_lines_on_the_way() {
    let Some(net) = NetPair::new() else { return };
    let mut live = start(
        &net,
        &["--filter", "udp", "--duration", "1.5", "--interval", "0.2"],
    );
    let out = finish(&mut live);
    check_summary(&out.summary, &net.ns_b, Some("udp"));
    assert_eq!(u64_of(&out.summary, "packets"), 0, "no traffic was sent");
    // One line per interval even when nothing arrives: 1.5 s of 0.2 s.
    assert!(
        out.intervals.len() >= 3,
        "{} interval lines in 1.5 s at --interval 0.2:\n{}",
        out.intervals.len(),
        out.run.stdout_text()
    );
}

#[test]
fn sigint_ends_the_run_with_the_summary() {
    stops_on_signal("INT");
}

#[test]
fn sigterm_ends_the_run_with_the_summary() {
    stops_on_signal("TERM");
}

/// Sends 12 datagrams, waits until an interval line has counted them, then
/// sends signal `name`: the run ends with status 0 and a summary of the 12.
fn stops_on_signal(name: &str) {
    let Some(net) = NetPair::new() else { return };
    let sent = 12;
    let mut live = start_capturing(
        &net,
        &["--filter", "udp", "--duration", "60", "--interval", "0.2"],
    );
    send_udp4(&net, &[(53, sent)]);
    live.wait_for_stdout(
        "an interval line with every datagram counted",
        Duration::from_secs(5),
        |lines| {
            lines.iter().any(|line| {
                serde_json::from_str::<Value>(line)
                    .is_ok_and(|v| v["totals"]["packets"].as_u64() == Some(sent))
            })
        },
    );
    live.signal(name);
    let out = finish(&mut live);
    let summary = &out.summary;
    check_summary(summary, &net.ns_b, Some("udp"));
    assert_eq!(u64_of(summary, "packets"), sent, "packets before SIG{name}");
    // The interval lines say who sent them: their hosts add up to the
    // datagrams' bytes.
    let sent_by_a: u64 = out
        .intervals
        .iter()
        .flat_map(|line| {
            line["hosts"]["entries"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|h| h["address"] == net.v4_a.as_str())
        .map(|h| u64_of(&h, "sent_bytes"))
        .sum();
    assert_eq!(
        sent_by_a,
        sent * UDP4_FRAME,
        "bytes sent by A in the interval lines"
    );
    assert_eq!(
        service_figures(summary).get("udp/53"),
        Some(&(sent, sent * UDP4_FRAME)),
        "udp/53 (dns) before SIG{name}"
    );
}

#[test]
fn interface_going_away_ends_with_status_2_after_the_summary() {
    let Some(net) = NetPair::new() else { return };
    let sent = 8;
    let mut live = start_capturing(
        &net,
        &["--filter", "udp", "--duration", "60", "--interval", "0.2"],
    );
    send_udp4(&net, &[(53, sent)]);
    live.wait_for_stdout(
        "an interval line with every datagram counted",
        Duration::from_secs(5),
        |lines| {
            lines.iter().any(|line| {
                serde_json::from_str::<Value>(line)
                    .is_ok_and(|v| v["totals"]["packets"].as_u64() == Some(sent))
            })
        },
    );
    net.run_ok(Side::B, &["ip", "link", "delete", &net.ns_b]);
    let run = live.wait(STOP_TIMEOUT).into_run();
    run.assert_code(2);
    let (_, summary) = ndjson(&run);
    check_summary(&summary, &net.ns_b, Some("udp"));
    assert_eq!(
        u64_of(&summary, "packets"),
        sent,
        "packets before the interface went"
    );
    assert!(
        run.stderr.contains(&net.ns_b),
        "stderr does not name the interface:\n{}",
        run.stderr
    );
}

/// Sends UDP datagrams from A to B at about `rate` a second for `seconds`
/// (bounded), in the background.
fn steady_stream(net: &NetPair, rate: u32, seconds: f64) -> Background {
    const SENDER: &str = r#"
import socket, sys, time
dst, rate, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
payload = b"x" * 32
start = time.monotonic()
sent = 0
while True:
    elapsed = time.monotonic() - start
    if elapsed >= seconds:
        break
    due = int(elapsed * rate)
    while sent < due:
        s.sendto(payload, (dst, 7000))
        sent += 1
    time.sleep(0.001)
"#;
    net.spawn(
        Side::A,
        &[
            python(),
            "-c",
            SENDER,
            &net.v4_b,
            &rate.to_string(),
            &seconds.to_string(),
        ],
    )
}

/// The summary counts exactly what libpcap says it received and did not
/// drop: nothing still waiting in the kernel's ring at the stop is lost.
fn assert_counts_what_libpcap_received(out: &LiveOutput, how: &str) {
    let summary = &out.summary;
    let stats = &summary["capture_stats"];
    let delivered = u64_of(stats, "received") - u64_of(stats, "dropped");
    assert!(
        delivered > 1000,
        "{how}: only {delivered} frames in the stream: {stats}"
    );
    assert_eq!(
        u64_of(summary, "packets"),
        delivered,
        "{how}: packets counted against libpcap's received minus dropped ({stats})"
    );
}

#[test]
fn a_steady_stream_stopped_by_duration_loses_no_received_frame() {
    let Some(net) = NetPair::new() else { return };
    let mut sender = steady_stream(&net, 10_000, 6.0);
    let mut live = start_capturing(&net, &["--filter", "udp", "--duration", "1.5"]);
    let out = finish(&mut live);
    assert_counts_what_libpcap_received(&out, "--duration 1.5");
    sender.wait(Duration::from_secs(20));
}

#[test]
fn a_steady_stream_stopped_by_sigint_loses_no_received_frame() {
    let Some(net) = NetPair::new() else { return };
    let mut sender = steady_stream(&net, 10_000, 6.0);
    let mut live = start_capturing(
        &net,
        &["--filter", "udp", "--duration", "60", "--interval", "0.2"],
    );
    live.wait_for_stdout("an interval line", Duration::from_secs(5), |lines| {
        lines.len() >= 5
    });
    live.signal("INT");
    let out = finish(&mut live);
    assert_counts_what_libpcap_received(&out, "SIGINT");
    sender.wait(Duration::from_secs(20));
}
