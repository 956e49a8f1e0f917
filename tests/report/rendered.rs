//! Snapshots of `report --format markdown --top 5` and `report --format
//! json --top 5` (STYLE habit 14). Only the version and the inputs' paths
//! are filtered: two runs, with one thread or several, give the same bytes.
//!
//! The figures in the snapshots were checked by hand against `read`, tshark
//! (`-z endpoints,ip`, `-z conv,tcp`, `-z conv,udp`, frame times) and
//! `fixtures/expected/`, and are checked on every run by `figures.rs`.

use crate::snapshot::*;
use crate::support::*;

/// Runs `report FORMAT --top 5` on the fixtures `names` twice (and once
/// with one thread), checks that the output does not vary, and returns it.
fn stable_output(names: &[&str], format: &str) -> String {
    let paths = fixtures(names);
    let run = |threads: &str| {
        clean(report(&args(
            &["--format", format, "--top", "5", "--threads", threads],
            &paths,
        )))
        .stdout_text()
    };
    let first = run("4");
    assert_eq!(
        first,
        run("4"),
        "two runs of report {format} {names:?} differ"
    );
    assert_eq!(
        first,
        run("1"),
        "report {format} {names:?}: one thread differs from four"
    );
    first
}

fn check_snapshots(names: &[&str], snapshot: &str) {
    let markdown = stable_output(names, "markdown");
    assert_snapshot(&format!("{snapshot}.md"), &filter_markdown(&markdown));
    let json = stable_output(names, "json");
    assert_snapshot(&format!("{snapshot}.json"), &canonical_json(&json));
}

#[test]
fn sample_report() {
    check_snapshots(&["sample.pcapng"], "sample");
}

#[test]
fn report_of_two_captures_years_apart() {
    check_snapshots(
        &["sample.pcapng", "dynamic-ports.pcap"],
        "sample+dynamic-ports",
    );
}

#[test]
fn dynamic_ports_report() {
    check_snapshots(&["dynamic-ports.pcap"], "dynamic-ports");
}

#[test]
fn fragments_report() {
    check_snapshots(&["fragments.pcap"], "fragments");
}

/// A rate as the renderers write it (`1.2 Mbit/s`), in bits per second.
fn parse_rate(text: &str) -> f64 {
    let (number, unit) = text
        .trim()
        .split_once(' ')
        .unwrap_or_else(|| panic!("not a rate: {text:?}"));
    let scale = match unit {
        "bit/s" => 1.0,
        "kbit/s" => 1e3,
        "Mbit/s" => 1e6,
        "Gbit/s" => 1e9,
        _ => panic!("unknown rate unit in {text:?}"),
    };
    number
        .parse::<f64>()
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
        * scale
}

/// The cells of a Markdown table row.
fn md_cells(line: &str) -> Vec<String> {
    line.trim()
        .trim_matches('|')
        .split(" | ")
        .map(|c| c.trim().to_string())
        .collect()
}

/// One peak: the JSON's busiest second is the overview's peak rate, the
/// marked row of the Markdown time table and of the HTML figures, and the
/// HTML chart's annotation; no table row or chart bucket rises above it.
#[test]
fn one_peak_in_every_format() {
    let paths = fixtures(&["sample.pcapng"]);
    let json = clean(report(&args(&["--format", "json"], &paths))).json();
    let peak = &json["report"]["peak"];
    let rate = peak["bits_per_second"].as_f64().expect("bits_per_second");
    assert_eq!(peak["bucket_seconds"], 1.0, "{peak}");

    let markdown = clean(report(&args(&["--format", "markdown"], &paths))).stdout_text();
    let overview = markdown
        .lines()
        .find(|l| l.starts_with("| peak rate |"))
        .unwrap_or_else(|| panic!("no peak rate:\n{markdown}"));
    let shown = md_cells(overview)[1].clone();
    let (shown_rate, detail) = shown.split_once(" (").expect("rate (detail)");
    assert!(
        (parse_rate(shown_rate) - rate).abs() <= rate * 0.05,
        "{shown} vs {rate} bit/s"
    );
    assert_eq!(
        detail, "busiest 1 s, from 2026-11-26T06:32:48.000000000Z)",
        "{overview}"
    );
    // The time table: buckets of one second, the peak's marked, none above.
    let table_start = markdown
        .find("## Top services over time")
        .expect("time table");
    let table = &markdown[table_start..];
    assert!(table.contains("Bucket: 1 s."), "{table}");
    let rows: Vec<Vec<String>> = table
        .lines()
        .filter(|l| l.starts_with("| 2026-"))
        .map(md_cells)
        .collect();
    assert_eq!(rows.len(), 7, "seconds 06:32:45 to 06:32:51:\n{table}");
    let marked: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r.last().is_some_and(|c| c.ends_with(" (peak)")))
        .collect();
    assert_eq!(marked.len(), 1, "{table}");
    assert_eq!(marked[0][0], "2026-11-26T06:32:48.000000000Z");
    assert_eq!(
        marked[0].last().map(String::as_str),
        Some(format!("{shown_rate} (peak)").as_str())
    );
    for row in &rows {
        let total = parse_rate(row.last().expect("total").trim_end_matches(" (peak)"));
        assert!(total <= parse_rate(shown_rate), "{row:?} above the peak");
        for cell in &row[1..row.len() - 1] {
            assert!(
                parse_rate(cell) <= total,
                "{row:?}: a service above the total"
            );
        }
    }

    let html = clean(report(&args(&["--format", "html"], &paths))).stdout_text();
    assert!(
        html.contains(&format!(
            "<div class=\"k\">peak rate</div><div class=\"v\">{shown_rate}</div><div class=\"d\">busiest 1 s, from 2026-11-26 06:32:48.000</div>"
        )),
        "the card"
    );
    assert!(
        html.contains(&format!(
            "peak {shown_rate}: busiest 1 s, from 2026-11-26 06:32:48.000</text>"
        )),
        "the chart's annotation"
    );
    let peak_row = html
        .split("<tr class=\"peak\">")
        .nth(1)
        .and_then(|rest| rest.split("</tr>").next())
        .expect("a peak row in the HTML figures");
    assert!(
        peak_row.starts_with("<td>06:32:48.000 (peak)</td>"),
        "{peak_row}"
    );
    assert!(
        peak_row.ends_with(&format!("<td class=\"n\">{shown_rate}</td>")),
        "{peak_row}"
    );
    assert_eq!(html.matches("<tr class=\"peak\">").count(), 1);
    assert!(
        html.contains("each step is one 1 s bucket"),
        "the chart's width"
    );
}

/// A capture shorter than a second is its own peak window: the peak is its
/// average, said so, and its finer buckets stay in the chart.
#[test]
fn a_capture_shorter_than_a_second_peaks_at_its_average() {
    let paths = fixtures(&["scan-vertical.pcapng"]);
    let json = clean(report(&args(&["--format", "json"], &paths))).json();
    let peak = &json["report"]["peak"];
    assert_eq!(peak["bytes"], json["bytes"], "{peak}");
    assert_eq!(peak["start"], json["first_timestamp"], "{peak}");
    assert_eq!(peak["bucket_seconds"], json["duration_seconds"], "{peak}");
    assert_eq!(peak["bits_per_second"], json["average_bits_per_second"]);
    let markdown = clean(report(&args(&["--format", "markdown"], &paths))).stdout_text();
    let overview = markdown
        .lines()
        .find(|l| l.starts_with("| peak rate |"))
        .expect("peak rate");
    assert!(
        overview.contains(
            "15.5 Mbit/s (the whole capture (57.8 ms), from 2026-11-26T09:40:50.219903842Z)"
        ),
        "{overview}"
    );
    assert!(
        markdown
            .contains("less than the peak's window (a second or more): its peak is its average"),
        "{markdown}"
    );
    assert!(!markdown.contains(" (peak) |"), "{markdown}");
}
