//! Running `portclass live` inside namespace B of a [`NetPair`] and taking
//! its NDJSON output apart, checking the shape the contract gives every line
//! on the way.

use crate::common::netns::{Background, NetPair, Side};
use crate::common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::OnceLock;
use std::time::Duration;

/// Longest a live run may take to end once told to (by `--count`,
/// `--duration` or a signal) before it is killed and the test fails.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Source port of every UDP datagram the tests send: dynamic (≥ 49152) and
/// in no port database, so the destination port names each frame.
pub const SRC_PORT: u16 = 50001;

/// UDP payload of the tests' datagrams, in bytes.
pub const PAYLOAD: u64 = 32;

/// Wire length of one test datagram over IPv4: Ethernet, IPv4, UDP, payload.
pub const UDP4_FRAME: u64 = 14 + 20 + 8 + PAYLOAD;

/// Wire length of one test datagram over IPv6.
pub const UDP6_FRAME: u64 = 14 + 40 + 8 + PAYLOAD;

/// `ip netns exec B portclass live -i B --no-system-services --format json
/// ARGS...` in the background (system names off, so only the built-in
/// database names ports).
pub fn start(net: &NetPair, args: &[&str]) -> Background {
    let mut all: Vec<&str> = vec![
        bin(),
        "live",
        "-i",
        &net.ns_b,
        "--no-system-services",
        "--format",
        "json",
    ];
    all.extend_from_slice(args);
    net.spawn(Side::B, &all)
}

/// [`start`], then wait until its capture is open: every frame sent after
/// this returns is seen.
pub fn start_capturing(net: &NetPair, args: &[&str]) -> Background {
    let mut live = start(net, args);
    live.wait_capturing(net.ifindex(Side::B));
    live
}

/// Sends the tests' datagrams from A to B's IPv4 address: `count` to each
/// `(port, count)`, in order.
pub fn send_udp4(net: &NetPair, targets: &[(u16, u64)]) {
    net.send_udp(Side::A, &net.v4_b, SRC_PORT, PAYLOAD as usize, targets);
}

/// Sends the tests' datagrams from A to B's IPv6 address.
pub fn send_udp6(net: &NetPair, targets: &[(u16, u64)]) {
    net.send_udp(Side::A, &net.v6_b, SRC_PORT, PAYLOAD as usize, targets);
}

/// What a finished live run printed.
#[derive(Debug)]
pub struct LiveOutput {
    /// The run (exit status, raw output).
    pub run: Run,
    /// The `"type": "interval"` lines, in order.
    pub intervals: Vec<Value>,
    /// The last line, `"type": "summary"`.
    pub summary: Value,
}

/// Waits (at most [`STOP_TIMEOUT`]) for a live run to end, requires exit
/// status 0, and checks and splits its NDJSON.
pub fn finish(live: &mut Background) -> LiveOutput {
    let run = live.wait(STOP_TIMEOUT).into_run();
    run.assert_code(0);
    let (intervals, summary) = ndjson(&run);
    LiveOutput {
        run,
        intervals,
        summary,
    }
}

/// Splits NDJSON output into interval lines and the summary, checking each
/// line's shape and that the running totals add up.
pub fn ndjson(run: &Run) -> (Vec<Value>, Value) {
    let text = run.stdout_text();
    let lines: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line).unwrap_or_else(|e| {
                panic!(
                    "{}: line {} is not JSON ({e}): {line}\nstderr:\n{}",
                    run.command,
                    i + 1,
                    run.stderr
                )
            })
        })
        // Alert lines (`--baseline`, `--alert`) are the caller's to check.
        .filter(|line: &Value| line["type"] != "alert")
        .collect();
    let Some((summary, intervals)) = lines.split_last() else {
        panic!("{}: no output; stderr:\n{}", run.command, run.stderr);
    };
    assert_eq!(
        summary["type"], "summary",
        "{}: the last line is not the summary: {summary}",
        run.command
    );
    let mut totals = (0, 0);
    let mut elapsed = 0.0;
    for (i, line) in intervals.iter().enumerate() {
        let at = format!("{}: interval line {}", run.command, i + 1);
        assert_eq!(line["type"], "interval", "{at}: {line}");
        assert!(line["timestamp"].is_string(), "{at}: timestamp: {line}");
        let seconds = line["interval_seconds"].as_f64();
        assert!(
            seconds.is_some_and(|s| s > 0.0),
            "{at}: interval_seconds: {line}"
        );
        let now = line["elapsed_seconds"]
            .as_f64()
            .unwrap_or_else(|| panic!("{at}: elapsed_seconds: {line}"));
        assert!(now >= elapsed, "{at}: elapsed_seconds went back: {line}");
        elapsed = now;
        check_counts(&line["interval"], &format!("{at}: `interval`"));
        check_counts(&line["totals"], &format!("{at}: `totals`"));
        let part = (
            u64_of(&line["interval"], "packets"),
            u64_of(&line["interval"], "bytes"),
        );
        totals = (totals.0 + part.0, totals.1 + part.1);
        let running = (
            u64_of(&line["totals"], "packets"),
            u64_of(&line["totals"], "bytes"),
        );
        assert_eq!(
            running, totals,
            "{at}: totals (packets, bytes) are not the sum of the intervals so far"
        );
    }
    let (packets, bytes) = (u64_of(summary, "packets"), u64_of(summary, "bytes"));
    assert!(
        packets >= totals.0 && bytes >= totals.1,
        "{}: the summary ({packets} packets, {bytes} bytes) has less than the intervals ({totals:?})",
        run.command
    );
    (intervals.to_vec(), summary.clone())
}

/// The shape of an interval line's `interval` or `totals`.
fn check_counts(counts: &Value, at: &str) {
    u64_of(counts, "packets");
    u64_of(counts, "bytes");
    for c in CATEGORIES {
        let category = &counts["transport"][c];
        assert!(
            category["packets"].is_u64() && category["bytes"].is_u64(),
            "{at}: transport.{c}: {counts}"
        );
    }
    assert!(counts["services"].is_array(), "{at}: services: {counts}");
}

/// The top-level fields of `read --format json` (from a run on a fixture).
fn read_fields() -> &'static BTreeSet<String> {
    static FIELDS: OnceLock<BTreeSet<String>> = OnceLock::new();
    FIELDS.get_or_init(|| {
        let run = read_json(&[fixture("sample.pcapng")], &[]);
        run.assert_code(0);
        let json = run.json();
        json.as_object()
            .expect("read JSON is an object")
            .keys()
            .cloned()
            .collect()
    })
}

/// Checks a live summary: every field of `read --format json`, the nine
/// categories, and `interface`, `filter` (`None`: JSON null) and
/// `capture_stats` with `received` at least the packets counted.
pub fn check_summary(summary: &Value, interface: &str, filter: Option<&str>) {
    let fields = summary.as_object().expect("summary is an object");
    let missing: Vec<&String> = read_fields()
        .iter()
        .filter(|k| !fields.contains_key(*k))
        .collect();
    assert!(
        missing.is_empty(),
        "summary lacks fields of `read --format json`: {missing:?}"
    );
    for c in CATEGORIES {
        category(summary, c);
    }
    assert_eq!(summary["interface"], interface, "summary `interface`");
    match filter {
        Some(f) => assert_eq!(summary["filter"], f, "summary `filter`"),
        None => assert!(
            summary["filter"].is_null(),
            "summary `filter` without -f: {}",
            summary["filter"]
        ),
    }
    let stats = &summary["capture_stats"];
    let received = u64_of(stats, "received");
    u64_of(stats, "dropped");
    u64_of(stats, "if_dropped");
    assert!(
        received >= u64_of(summary, "packets"),
        "capture_stats.received {received} < packets {}",
        summary["packets"]
    );
}

/// Fails unless every category other than `except` is empty.
pub fn assert_only_category(json: &Value, except: &str) {
    for c in CATEGORIES.iter().filter(|c| **c != except) {
        assert_eq!(category(json, c), (0, 0), "transport.{c} in {json}");
    }
}

/// `portclass read FILE --format json` (no system names, as the live runs)
/// of a file a live run wrote: complete, and its counts.
pub fn read_back(path: &std::path::Path) -> Value {
    let run = read_json(&[path], &[]);
    run.assert_code(0);
    run.json()
}

/// Fails, listing every differing field, unless `live` and `read` agree on
/// everything that depends only on the frames ([`tally_part`]: counts,
/// ports, services, link types, decode problems, first and last timestamp).
/// For a file the live run wrote itself.
pub fn assert_same_tally(what: &str, live: &Value, read: &Value) {
    assert_no_differences(what, &tally_part(live), &tally_part(read));
}

/// As [`assert_same_tally`] but without the timestamps: for a file another
/// capture of the same frames wrote (its own clock readings, perhaps in
/// microseconds).
pub fn assert_same_counts(what: &str, live: &Value, read: &Value) {
    let without_times = |json: &Value| {
        let mut part = tally_part(json);
        if let Some(fields) = part.as_object_mut() {
            fields.remove("first_timestamp");
            fields.remove("last_timestamp");
        }
        part
    };
    assert_no_differences(what, &without_times(live), &without_times(read));
}

fn assert_no_differences(what: &str, live: &Value, read: &Value) {
    let mut diffs = Vec::new();
    leaf_differences(live, read, String::new(), &mut diffs);
    assert!(
        diffs.is_empty(),
        "{what}: live summary and read differ in {} places (live / read):\n  {}",
        diffs.len(),
        diffs.join("\n  ")
    );
}

fn leaf_differences(a: &Value, b: &Value, at: String, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let (va, vb) = (&x.get(k), &y.get(k));
                match (va, vb) {
                    (Some(va), Some(vb)) => leaf_differences(va, vb, format!("{at}.{k}"), out),
                    _ => out.push(format!("{at}.{k}: {va:?} / {vb:?}")),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                leaf_differences(va, vb, format!("{at}[{i}]"), out);
            }
        }
        _ if a != b => out.push(format!("{at}: {a} / {b}")),
        _ => {}
    }
}

/// The `hosts` of a summary or interval line: address → (bytes sent,
/// bytes received).
pub fn host_bytes(json: &Value) -> std::collections::BTreeMap<String, (u64, u64)> {
    json["hosts"]["entries"]
        .as_array()
        .expect("hosts")
        .iter()
        .map(|h| {
            (
                h["address"].as_str().expect("address").to_string(),
                (u64_of(h, "sent_bytes"), u64_of(h, "received_bytes")),
            )
        })
        .collect()
}
