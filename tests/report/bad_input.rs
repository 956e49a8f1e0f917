//! Bad inputs to `report` and `merge`: a JSON file that is no summary, a
//! cut-short one, a damaged capture beside a good one, a bad `--bucket`, an
//! `--out` that cannot be created. Each ends with one message naming what
//! is wrong, the exit status of the README (2: unreadable or bad usage, 1:
//! partly read), and whatever could be counted still counted.

use crate::common::*;
use crate::support::*;
use std::path::Path;

/// Fails unless stderr is one line that mentions every one of `words`.
fn assert_one_line_naming(run: &Run, words: &[&str]) {
    let lines = run.stderr_lines();
    assert_eq!(
        lines.len(),
        1,
        "{}: expected one line:\n{}",
        run.command,
        run.stderr
    );
    for word in words {
        assert!(
            lines[0].contains(word),
            "{}: {:?} not named in: {}",
            run.command,
            word,
            lines[0]
        );
    }
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[test]
fn json_that_is_not_a_summary_is_refused_by_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases: [(&str, &[u8]); 4] = [
        ("hello.json", b"{\"hello\": 1}\n"),
        (
            "other-schema.json",
            br#"{"schema": "someone.else/1", "packets": 0}"#,
        ),
        ("array.json", b"  {\"schema\": [1, 2]}"),
        ("garbage.json", b"{ not json at all"),
    ];
    for (name, content) in cases {
        let file = write_file(dir.path(), name, content);
        let name_text = path_text(&file);
        for subcommand in ["report", "merge"] {
            let run = match subcommand {
                "report" => report(&args(&["--format", "json"], &[&file])),
                _ => merge(&[&file]),
            };
            run.assert_code(2);
            assert_one_line_naming(&run, &[&name_text]);
            assert!(run.stdout.is_empty(), "{}: wrote output", run.command);
        }
    }
}

#[test]
fn a_cut_short_summary_is_refused_by_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let full =
        serde_json::to_string_pretty(&report_json(&[fixture("sample.pcapng")])).expect("serialise");
    for cut in [1, full.len() / 3, full.len() - 2] {
        let file = write_file(
            dir.path(),
            &format!("cut{cut}.json"),
            &full.as_bytes()[..cut],
        );
        let name = path_text(&file);
        let run = report(&args(&["--format", "markdown"], &[&file]));
        run.assert_code(2);
        assert_one_line_naming(&run, &[&name]);
        let run = merge(&[&file]);
        run.assert_code(2);
        assert_one_line_naming(&run, &[&name]);
    }
}

#[test]
fn a_bad_summary_beside_a_capture_still_reports_the_capture() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = write_file(dir.path(), "bad.json", b"{\"schema\": \"x\"}");
    let good = fixture("dynamic-ports.pcap");
    let run = report(&args(
        &["--format", "json"],
        &[good.as_os_str(), bad.as_os_str()],
    ));
    run.assert_code(2);
    assert_one_line_naming(&run, &[&path_text(&bad)]);
    let json = run.json();
    assert_eq!(json["packets"], 9);
    assert_eq!(json["inputs"][1]["status"], "failed");
}

#[test]
fn a_damaged_capture_beside_a_good_one_exits_1_with_the_good_counts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = fixture_bytes("sample.pcapng");
    // Cut in the middle of the 101st frame.
    let records = capture_records(&data);
    let cut = records[100].start + 20;
    let damaged = write_file(dir.path(), "damaged.pcapng", &data[..cut]);
    let kept = capture_records(&data[..cut]);
    assert_eq!(kept.len(), 100);
    let kept_bytes: u64 = kept.iter().map(|r| r.orig_len).sum();

    let good = fixture("dynamic-ports.pcap");
    let run = report(&args(
        &["--format", "json"],
        &[good.as_os_str(), damaged.as_os_str()],
    ));
    run.assert_code(1);
    assert_one_line_naming(&run, &[&path_text(&damaged), "100 packets"]);
    let json = run.json();
    assert_eq!(json["packets"], 9 + 100, "{}", json["packets"]);
    assert_eq!(u64_of(&json, "bytes"), 550 + kept_bytes);
    assert_eq!(json["inputs"][0]["status"], "complete");
    assert_eq!(json["inputs"][1]["status"], "partial");
    assert_eq!(json["inputs"][1]["packets"], 100);
    // The report's sections hold the good frames too: every frame is in a
    // time bucket.
    let buckets = json["report"]["timeseries"]["buckets"]
        .as_array()
        .expect("buckets");
    let packets: u64 = buckets.iter().map(|b| u64_of(b, "packets")).sum();
    assert_eq!(packets, 109);
    // The same counts as reading the same two files.
    let read = read(&[good.as_os_str(), damaged.as_os_str()]);
    read.assert_code(1);
    assert_same_json(
        "report vs read of the good and the damaged capture",
        &tally_part(&json),
        &tally_part(&read.json()),
    );
    // Markdown too exits 1 and prints the report.
    let run = report(&args(
        &["--format", "markdown"],
        &[good.as_os_str(), damaged.as_os_str()],
    ));
    run.assert_code(1);
    assert!(
        run.stdout_text().contains("| packets | 109 |"),
        "{}",
        run.stdout_text()
    );
}

#[test]
fn a_bad_bucket_is_refused_naming_the_flag() {
    let sample = fixture("sample.pcapng");
    for bucket in ["5 parsecs", "5parsecs", "0s", "-1s", "", "1e30s", "fast"] {
        // `--bucket=-1s`: as two words, clap reads `-1s` as flags.
        let flag = format!("--bucket={bucket}");
        let run = report(&args(&["--format", "json", &flag], &[&sample]));
        run.assert_code(2);
        assert_one_line_naming(&run, &["--bucket"]);
        assert!(run.stdout.is_empty(), "{}: wrote output", run.command);
    }
    // Good ones are taken as asked.
    for (bucket, ns) in [
        ("250ms", 250_000_000u64),
        ("1s", 1_000_000_000),
        ("2", 2_000_000_000),
    ] {
        let json = clean(report(&args(
            &["--format", "json", "--bucket", bucket],
            &[&sample],
        )))
        .json();
        let series = &json["report"]["timeseries"];
        assert_eq!(series["bucket_ns"], ns, "--bucket {bucket}");
        assert_eq!(
            series["widened_from_ns"],
            serde_json::Value::Null,
            "--bucket {bucket}"
        );
    }
}

#[test]
fn an_out_path_that_cannot_be_created_is_named() {
    let sample = fixture("sample.pcapng");
    let out = "/nonexistent/dir/r.html";
    for run in [
        report(&args(&["--out", out], &[&sample])),
        report(&args(&["--format", "json", "--out", out], &[&sample])),
    ] {
        run.assert_code(2);
        assert_one_line_naming(&run, &[out]);
        assert!(run.stdout.is_empty(), "{}: wrote output", run.command);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let summary = write_json(dir.path(), "a.json", &report_json(&[&sample]));
    let run = merge(&args(&["--out", "/nonexistent/dir/m.json"], &[&summary]));
    run.assert_code(2);
    assert_one_line_naming(&run, &["/nonexistent/dir/m.json"]);
}

#[test]
fn out_writes_the_file_and_says_where() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sample = fixture("sample.pcapng");
    let path = dir.path().join("r.md");
    let run = report(&args(
        &["--format", "markdown", "--out"],
        &[path.as_os_str(), sample.as_os_str()],
    ));
    run.assert_code(0);
    assert!(run.stdout.is_empty(), "stdout: {}", run.stdout_text());
    assert_one_line_naming(&run, &[&path_text(&path)]);
    let written = std::fs::read_to_string(&path).expect("report written");
    let printed = clean(report(&args(&["--format", "markdown"], &[&sample]))).stdout_text();
    assert_eq!(written, printed);

    let merged_path = dir.path().join("m.json");
    let summary = write_json(dir.path(), "a.json", &report_json(&[&sample]));
    let run = merge(&args(
        &["--out"],
        &[merged_path.as_os_str(), summary.as_os_str()],
    ));
    run.assert_code(0);
    assert!(run.stdout.is_empty());
    assert_eq!(read_json_file(&merged_path), merge_json(&[&summary]));
}
