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
