//! The merge law: summaries made apart and merged have exactly the figures
//! of the captures read together, whatever the grouping and order; for
//! reports that includes every `report.*` section (directions, hosts,
//! conversations, time buckets, peak, unknown ports). Checked on fixtures
//! years apart (wide buckets), on fixtures with the same timestamps (shared
//! buckets), and on a capture cut into parts at test time (also through its
//! busiest second, whose halves only the merge adds into the peak).
//!
//! A capture cut into parts is summarised with the static port rule
//! (`--no-handshake`): a cut separates a conversation from its handshake,
//! and the part after it cannot know which port the handshake named.

use crate::common::*;
use crate::support::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Which summary each input gets.
#[derive(Clone, Copy)]
enum Kind {
    Read,
    Report,
}

/// One summary file per capture in `dir`, named after it.
fn summaries(dir: &Path, captures: &[PathBuf], kind: Kind) -> Vec<PathBuf> {
    captures
        .iter()
        .map(|capture| {
            let json = match kind {
                Kind::Read => read_json_of(&[capture]),
                Kind::Report => report_json(&[capture]),
            };
            write_json(dir, &format!("{}.json", file_name(capture)), &json)
        })
        .collect()
}

/// Named by the static rule only: parts of a cut capture (see the module
/// documentation).
const STATIC: &str = "--no-handshake";

/// `report --format json --no-handshake FILES...`.
fn static_report<P: AsRef<std::ffi::OsStr>>(files: &[P]) -> Value {
    clean(report(&args(&["--format", "json", STATIC], files))).json()
}

/// `read --format json --no-handshake FILES...`.
fn static_read<P: AsRef<std::ffi::OsStr>>(files: &[P]) -> Value {
    clean(read(&args(&[STATIC], files))).json()
}

/// [`summaries`] of the parts of a cut capture, with the static rule.
fn static_summaries(dir: &Path, parts: &[PathBuf], kind: Kind) -> Vec<PathBuf> {
    parts
        .iter()
        .map(|part| {
            let json = match kind {
                Kind::Read => static_read(&[part]),
                Kind::Report => static_report(&[part]),
            };
            write_json(dir, &format!("{}.json", file_name(part)), &json)
        })
        .collect()
}

fn together(captures: &[PathBuf], kind: Kind) -> Value {
    match kind {
        Kind::Read => read_json_of(captures),
        Kind::Report => report_json(captures),
    }
}

const GROUPS: [&[&str]; 4] = [
    // Years apart: the series of both fit only in wide buckets.
    &["sample.pcapng", "dynamic-ports.pcap"],
    // The same milliseconds: their buckets coincide and add.
    &["fragments.pcap", "dynamic-ports.pcap", "sctp.pcap"],
    &["sample.pcapng", "fragments.pcap", "ipv6-ext.pcap"],
    &[
        "truncated.pcap",
        "linktypes.pcapng",
        "non-ip.pcap",
        "icmp-errors.pcap",
    ],
];

fn check_merge_equals_together(kind: Kind) {
    let dir = tempfile::tempdir().expect("temp dir");
    for group in GROUPS {
        let captures = fixtures(group);
        let parts = summaries(dir.path(), &captures, kind);
        let merged = merge_json(&parts);
        let expected = together(&captures, kind);
        assert_same_json(
            &format!("merge of {group:?} vs the captures together"),
            &normalized(&merged),
            &normalized(&expected),
        );
    }
}

#[test]
fn merged_read_summaries_equal_reading_the_captures_together() {
    check_merge_equals_together(Kind::Read);
}

#[test]
fn merged_reports_equal_reporting_the_captures_together() {
    check_merge_equals_together(Kind::Report);
}

fn check_associative_and_commutative(kind: Kind) {
    let dir = tempfile::tempdir().expect("temp dir");
    let captures = fixtures(&["sample.pcapng", "dynamic-ports.pcap", "fragments.pcap"]);
    let parts = summaries(dir.path(), &captures, kind);
    let (a, b, c) = (&parts[0], &parts[1], &parts[2]);
    let ab = write_json(dir.path(), "ab.json", &merge_json(&[a, b]));
    let bc = write_json(dir.path(), "bc.json", &merge_json(&[b, c]));
    let ca = write_json(dir.path(), "ca.json", &merge_json(&[c, a]));
    let expected = normalized_any_order(&together(&captures, kind));
    for (what, files) in [
        ("merge(merge(A,B),C)", vec![&ab, c]),
        ("merge(A,merge(B,C))", vec![a, &bc]),
        ("merge(merge(C,A),B)", vec![&ca, b]),
        ("merge(C,B,A)", vec![c, b, a]),
        ("merge(B,A,C)", vec![b, a, c]),
    ] {
        assert_same_json(
            &format!("{what} vs A B C together"),
            &normalized_any_order(&merge_json(&files)),
            &expected,
        );
    }
}

#[test]
fn merging_read_summaries_is_associative_and_commutative() {
    check_associative_and_commutative(Kind::Read);
}

#[test]
fn merging_reports_is_associative_and_commutative() {
    check_associative_and_commutative(Kind::Report);
}

/// `sample.pcapng` cut before the frames `cuts`, each part written as a
/// pcapng file of its own.
fn sample_parts(dir: &Path, cuts: &[usize]) -> Vec<PathBuf> {
    let data = fixture_bytes("sample.pcapng");
    split_capture(&data, cuts)
        .iter()
        .enumerate()
        .map(|(i, part)| write_file(dir, &format!("part{i}.pcapng"), part))
        .collect()
}

#[test]
fn split_capture_parts_hold_every_frame_once() {
    let data = fixture_bytes("sample.pcapng");
    let whole = captured_frames(&data);
    let parts = split_capture(&data, &[100, 500]);
    let frames: Vec<(i64, u64)> = parts
        .iter()
        .flat_map(|p| captured_frames(p))
        .map(|f| (f.ts_ns, f.orig_len))
        .collect();
    let expected: Vec<(i64, u64)> = whole.iter().map(|f| (f.ts_ns, f.orig_len)).collect();
    assert_eq!(frames, expected);
    assert_eq!(captured_frames(&parts[0]).len(), 100);
}

#[test]
fn reports_of_the_parts_of_one_capture_merge_into_the_report_of_the_whole() {
    let dir = tempfile::tempdir().expect("temp dir");
    let whole = static_report(&[fixture("sample.pcapng")]);
    let whole_read = static_read(&[fixture("sample.pcapng")]);
    let whole_width = &whole["report"]["timeseries"]["bucket_ns"];
    let mut a_part_had_another_width = false;
    for (n, cuts) in [vec![344], vec![1], vec![688], vec![230, 460]]
        .iter()
        .enumerate()
    {
        let sub = dir.path().join(format!("split{n}"));
        std::fs::create_dir(&sub).expect("mkdir");
        let parts = sample_parts(&sub, cuts);
        let reports = static_summaries(&sub, &parts, Kind::Report);
        for r in &reports {
            a_part_had_another_width |=
                read_json_file(r)["report"]["timeseries"]["bucket_ns"] != *whole_width;
        }
        let merged = merge_json(&reports);
        let what = format!("sample.pcapng cut at {cuts:?}");
        assert_eq!(
            merged["inputs"].as_array().map(Vec::len),
            Some(parts.len()),
            "{what}: one input per part"
        );
        // The same counts, buckets and all; only the list of inputs differs.
        assert_same_json(
            &format!("{what}: merged reports vs the whole capture's"),
            &without(&merged, &["inputs"]),
            &without(&whole, &["inputs"]),
        );
        // With the parts as the inputs, everything is the same.
        assert_same_json(
            &format!("{what}: merged reports vs the parts reported together"),
            &merged,
            &static_report(&parts),
        );
        // A report of summaries and captures mixed.
        let mut mixed = reports.clone();
        mixed[0] = parts[0].clone();
        assert_same_json(
            &format!("{what}: report of part 0 and the other parts' summaries"),
            &normalized(&static_report(&mixed)),
            &normalized(&merged),
        );
        let reads = static_summaries(&sub, &parts, Kind::Read);
        assert_same_json(
            &format!("{what}: merged read summaries vs reading the whole"),
            &without(&merge_json(&reads), &["inputs"]),
            &without(&whole_read, &["inputs"]),
        );
    }
    assert!(
        a_part_had_another_width,
        "no part of sample.pcapng got a bucket width other than the whole's: the \
         merges above did not exercise widening"
    );
}

/// The peak is exact under merging: `sample.pcapng` cut inside its
/// busiest second, each part holding some of that second, merges into the
/// peak of the whole, which neither part has alone; and three parts of it,
/// reported together, have it too.
#[test]
fn a_cut_through_the_busiest_second_merges_into_its_peak() {
    let dir = tempfile::tempdir().expect("temp dir");
    let whole = static_report(&[fixture("sample.pcapng")]);
    let peak = &whole["report"]["peak"];
    let start = peak["start_ns"].as_i64().expect("start_ns");
    let width = peak["bucket_ns"].as_i64().expect("bucket_ns");
    assert_eq!(width, 1_000_000_000, "{peak}");
    let data = fixture_bytes("sample.pcapng");
    let in_peak: Vec<usize> = captured_frames(&data)
        .iter()
        .enumerate()
        .filter(|(_, f)| (start..start + width).contains(&f.ts_ns))
        .map(|(i, _)| i)
        .collect();
    assert!(in_peak.len() > 10, "{} frames in the peak", in_peak.len());
    let (first, last) = (in_peak[0], in_peak[in_peak.len() - 1]);
    for cuts in [
        vec![first + in_peak.len() / 2],
        vec![first + 1, last],
        vec![first + in_peak.len() / 3, first + 2 * in_peak.len() / 3],
    ] {
        let sub = dir.path().join(format!("cut{}", cuts[0]));
        std::fs::create_dir(&sub).expect("mkdir");
        let parts = sample_parts(&sub, &cuts);
        let reports = static_summaries(&sub, &parts, Kind::Report);
        for r in &reports {
            let part = read_json_file(r);
            assert!(
                u64_of(&part["report"]["peak"], "bytes") < u64_of(peak, "bytes"),
                "cut at {cuts:?}: a part alone has the whole's peak: {}",
                part["report"]["peak"]
            );
        }
        let merged = merge_json(&reports);
        assert_same_json(
            &format!("sample.pcapng cut at {cuts:?}: merged peak"),
            &merged["report"]["peak"],
            peak,
        );
        assert_same_json(
            &format!("sample.pcapng cut at {cuts:?}: the parts reported together"),
            &static_report(&parts)["report"]["peak"],
            peak,
        );
    }
}

#[test]
fn three_parts_of_one_capture_merge_in_any_grouping() {
    let dir = tempfile::tempdir().expect("temp dir");
    let parts = sample_parts(dir.path(), &[150, 420]);
    let reports = static_summaries(dir.path(), &parts, Kind::Report);
    let (a, b, c) = (&reports[0], &reports[1], &reports[2]);
    let ab = write_json(dir.path(), "ab.json", &merge_json(&[a, b]));
    let bc = write_json(dir.path(), "bc.json", &merge_json(&[b, c]));
    let whole = without(&static_report(&[fixture("sample.pcapng")]), &["inputs"]);
    for (what, files) in [
        ("merge(merge(P0,P1),P2)", vec![&ab, c]),
        ("merge(P0,merge(P1,P2))", vec![a, &bc]),
        ("merge(P2,P1,P0)", vec![c, b, a]),
    ] {
        assert_same_json(
            &format!("{what} vs sample.pcapng"),
            &without(&merge_json(&files), &["inputs"]),
            &whole,
        );
    }
}

#[test]
fn a_merged_summary_renders_like_the_captures_it_came_from() {
    let dir = tempfile::tempdir().expect("temp dir");
    let captures = fixtures(&["sample.pcapng", "dynamic-ports.pcap"]);
    let parts = summaries(dir.path(), &captures, Kind::Report);
    let total = write_json(dir.path(), "total.json", &merge_json(&parts));
    for format in ["markdown", "json"] {
        let fixed = ["--format", format, "--top", "5"];
        let from_summary = clean(report(&args(&fixed, &[&total]))).stdout_text();
        let from_captures = clean(report(&args(&fixed, &captures))).stdout_text();
        assert_eq!(
            from_summary, from_captures,
            "report --format {format} of the merged summary vs of the captures"
        );
    }
    for table in ["services", "hosts", "conversations", "timeseries"] {
        let fixed = ["--format", "csv", "--table", table];
        assert_eq!(
            clean(report(&args(&fixed, &[&total]))).stdout_text(),
            clean(report(&args(&fixed, &captures))).stdout_text(),
            "report --table {table} of the merged summary vs of the captures"
        );
    }
}

#[test]
fn a_read_summary_given_to_report_says_its_details_are_not_available() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sample = fixture("sample.pcapng");
    let read = write_json(dir.path(), "read.json", &read_json_of(&[&sample]));
    let report = report_json(&[&read]);
    let r = &report["report"];
    assert_eq!(r["details_available"], false, "{}", r["details_available"]);
    assert_eq!(r["peak"], Value::Null);
    assert_eq!(r["hosts"]["entries"], serde_json::json!([]));
    assert_eq!(r["conversations"]["entries"], serde_json::json!([]));
    assert_eq!(r["timeseries"]["buckets"], serde_json::json!([]));
    // The counts are read's.
    let mut shared = without(&report, &["report"]);
    shared["schema"] = Value::from("portclass.read/2");
    assert_same_json(
        "report of a read summary vs the read summary",
        &shared,
        &read_json_file(&read),
    );
    // A capture's report says it has them.
    assert_eq!(report_json(&[&sample])["report"]["details_available"], true);

    // Mixed with a capture: the counts of both, the details of the capture.
    let other = fixture("dynamic-ports.pcap");
    let mixed = report_json(&[&read, &other]);
    assert_eq!(mixed["report"]["details_available"], false);
    assert_same_json(
        "report of read.json + dynamic-ports.pcap: counts",
        &normalized(&without(&mixed, &["report", "schema"])),
        &normalized(&without(&read_json_of(&[&sample, &other]), &["schema"])),
    );
    let alone = report_json(&[&other]);
    for section in ["hosts", "conversations"] {
        assert_same_json(
            &format!("report.{section} of read.json + dynamic-ports.pcap"),
            &mixed["report"][section],
            &alone["report"][section],
        );
    }

    // merge of a read summary and a report: read's shape, all the counts.
    let report_b = write_json(dir.path(), "b.json", &alone);
    let merged = merge_json(&[&read, &report_b]);
    assert_eq!(merged["schema"], "portclass.read/2");
    assert!(merged.get("report").is_none());
    assert_same_json(
        "merge(read A, report B) vs read A B",
        &normalized(&merged),
        &normalized(&read_json_of(&[&sample, &other])),
    );
}

#[test]
fn markdown_of_a_read_summary_does_not_invent_details() {
    let dir = tempfile::tempdir().expect("temp dir");
    let read = write_json(
        dir.path(),
        "read.json",
        &read_json_of(&[fixture("sample.pcapng")]),
    );
    let text = clean(report(&args(&["--format", "markdown"], &[&read]))).stdout_text();
    let http = text
        .lines()
        .find(|l| l.starts_with("| http | 80/tcp |"))
        .unwrap_or_else(|| panic!("no http row:\n{text}"));
    assert!(
        !http.ends_with("| 0 B | 0 B |"),
        "directions shown as zero, though unknown: {http}"
    );
    assert!(
        !text.contains("All hosts are counted exactly."),
        "claims exact hosts it does not have:\n{text}"
    );
}

/// A `live --format json` stream as `portclass live` writes it: interval
/// lines, then the summary line (`read`'s document plus the live fields).
/// Built from a read summary: capturing needs root and an interface.
fn live_stream(summary: &Value) -> String {
    let interval = serde_json::json!({
        "type": "interval",
        "timestamp": "2026-11-26T06:32:46.000000000Z",
        "interface": "veth0",
        "filter": null,
        "interval_seconds": 1.0,
        "elapsed_seconds": 1.0,
        "interval": {"packets": 1, "bytes": 60, "transport": summary["transport"], "services": []},
        "totals": {"packets": 1, "bytes": 60, "transport": summary["transport"], "services": []},
        "capture_stats": {"received": 1, "dropped": 0, "if_dropped": 0},
    });
    let mut last = summary.clone();
    last["type"] = Value::from("summary");
    last["interface"] = Value::from("veth0");
    last["filter"] = Value::Null;
    last["capture_stats"] = serde_json::json!({"received": 689, "dropped": 0, "if_dropped": 0});
    format!("{interval}\n{interval}\n{last}\n")
}

#[test]
fn a_live_stream_merges_by_its_summary_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (sample, other) = (fixture("sample.pcapng"), fixture("dynamic-ports.pcap"));
    let stream = live_stream(&read_json_of(&[&sample]));
    let live = write_file(dir.path(), "live.ndjson", stream.as_bytes());
    let report_b = write_json(dir.path(), "b.json", &report_json(&[&other]));
    let merged = merge_json(&[&live, &report_b]);
    assert_same_json(
        "merge(live stream of A, report B) vs read A B",
        &normalized(&merged),
        &normalized(&read_json_of(&[&sample, &other])),
    );
    let report = report_json(&[&live]);
    assert_eq!(report["report"]["details_available"], false);
    assert_eq!(report["packets"], 689);
}

/// A real `portclass live --format json` stream, from a capture between two
/// network namespaces (root only; prints a notice and passes otherwise):
/// merged with a report, it counts exactly what its `--write` file reads as.
#[test]
fn a_real_live_stream_merges_like_the_capture_it_wrote() {
    use crate::common::netns::{NetPair, Side};
    let Some(net) = NetPair::new() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let written = dir.path().join("live.pcap");
    let written_arg = written.to_string_lossy().into_owned();
    let mut live = net.spawn(
        Side::B,
        &[
            bin(),
            "live",
            "-i",
            &net.ns_b,
            "--no-system-services",
            "--format",
            "json",
            "--duration",
            "1.5",
            "--interval",
            "0.4",
            "--write",
            &written_arg,
        ],
    );
    live.wait_capturing(net.ifindex(Side::B));
    net.send_udp(Side::A, &net.v4_b, 50001, 32, &[(5353, 10), (40123, 4)]);
    net.send_udp(Side::A, &net.v6_b, 50001, 32, &[(53, 7)]);
    let run = live.wait(std::time::Duration::from_secs(10)).into_run();
    run.assert_code(0);
    let stream = write_file(dir.path(), "live.ndjson", &run.stdout);
    assert!(
        run.stdout_text().lines().count() > 1,
        "expected interval lines before the summary:\n{}",
        run.stdout_text()
    );
    let other = fixture("dynamic-ports.pcap");
    let report_b = write_json(dir.path(), "b.json", &report_json(&[&other]));
    let merged = merge_json(&[&stream, &report_b]);
    let expected = read_json_of(&[&written, &other]);
    assert_eq!(u64_of(&merged, "packets"), u64_of(&expected, "packets"));
    assert_same_json(
        "merge(live stream, report B) vs read of the written capture and B",
        &tally_part(&merged),
        &tally_part(&expected),
    );
    assert!(
        u64_of(&merged, "packets") >= 9 + 21,
        "{}",
        merged["packets"]
    );
}

/// Reports made with one `--bucket`, merged, for inputs whose union fits
/// that width (the same milliseconds) and for inputs years apart (the width
/// has to double): fixed widths are on the same ladder, so the buckets are
/// exactly those of one report of all the inputs.
fn fixed_bucket_merge(names: &[&str], bucket: &str) -> (Value, Value) {
    let dir = tempfile::tempdir().expect("temp dir");
    let captures = fixtures(names);
    let flag = format!("--bucket={bucket}");
    let parts: Vec<PathBuf> = captures
        .iter()
        .map(|capture| {
            let json = clean(report(&args(&["--format", "json", &flag], &[capture]))).json();
            write_json(dir.path(), &format!("{}.json", file_name(capture)), &json)
        })
        .collect();
    let merged = merge_json(&parts);
    let together = clean(report(&args(&["--format", "json", &flag], &captures))).json();
    (normalized(&merged), normalized(&together))
}

#[test]
fn merged_reports_with_a_fixed_bucket_have_the_buckets_of_one_report() {
    for bucket in ["1ms", "250ms", "1h"] {
        let (merged, together) =
            fixed_bucket_merge(&["fragments.pcap", "dynamic-ports.pcap"], bucket);
        assert_same_json(
            &format!("--bucket {bucket}, same milliseconds"),
            &merged,
            &together,
        );
    }
    let (mut merged, mut together) =
        fixed_bucket_merge(&["sample.pcapng", "fragments.pcap"], "250ms");
    for json in [&mut merged, &mut together] {
        let series = json["report"]["timeseries"]
            .as_object_mut()
            .expect("timeseries");
        // Compared in the next test (a bug for now).
        series.remove("widened_from_ns");
        series.remove("approximate");
    }
    assert_same_json("--bucket 250ms, years apart", &merged, &together);
}

#[test]
fn merged_reports_with_a_fixed_bucket_equal_one_report_in_every_field() {
    let (merged, together) = fixed_bucket_merge(&["sample.pcapng", "fragments.pcap"], "250ms");
    assert_same_json("--bucket 250ms, years apart", &merged, &together);
}
