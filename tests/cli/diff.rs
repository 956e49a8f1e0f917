//! `portclass diff BEFORE AFTER`: its changes checked against what the
//! test computes itself from the two sides' `read --format json`
//! summaries; captures and summaries compared alike; the factor, the floor
//! and the measure; every format; the exit statuses; clear errors.

use crate::common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Default `--factor` and `--min` (bytes) of `diff`, as its help states.
const DEFAULT_FACTOR: f64 = 2.0;
const DEFAULT_MIN_BYTES: u64 = 10_000;

/// How the test compares, as `diff`'s options say.
#[derive(Clone, Copy, Debug)]
struct Compare {
    factor: f64,
    packets: bool,
    min: u64,
    all_ports: bool,
}

impl Compare {
    const DEFAULT: Compare = Compare {
        factor: DEFAULT_FACTOR,
        packets: false,
        min: DEFAULT_MIN_BYTES,
        all_ports: false,
    };

    fn args(self) -> Vec<String> {
        let mut args = vec![
            "--factor".to_string(),
            self.factor.to_string(),
            "--min".to_string(),
            self.min.to_string(),
        ];
        if self.packets {
            args.extend(["--by".to_string(), "packets".to_string()]);
        }
        if self.all_ports {
            args.push("--all-ports".to_string());
        }
        args
    }
}

/// `portclass diff --no-system-services BEFORE AFTER EXTRA...`.
fn diff<P: AsRef<Path>>(before: P, after: P, extra: &[&str]) -> Run {
    let mut args: Vec<String> = vec!["diff".into(), "--no-system-services".into()];
    args.push(before.as_ref().to_string_lossy().into_owned());
    args.push(after.as_ref().to_string_lossy().into_owned());
    args.extend(extra.iter().map(|s| s.to_string()));
    portclass(&args)
}

/// `diff --format json` with `compare`'s options; its exit status checked
/// against its own count of changes.
fn diff_json<P: AsRef<Path>>(before: P, after: P, compare: Compare) -> Value {
    let mut extra = vec!["--format".to_string(), "json".to_string()];
    extra.extend(compare.args());
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let run = diff(before, after, &extra);
    let json = run.json();
    assert_eq!(json["schema"], "portclass.diff/1", "{}", run.command);
    let changes = u64_of(&json, "changes");
    run.assert_code(if changes > 0 { 1 } else { 0 });
    json
}

/// `read --format json` of `capture`, written to `dir` as `name`.
fn summary(capture: &Path, dir: &Path, name: &str) -> PathBuf {
    let run = read_json(&[capture], &[]);
    run.assert_code(0);
    write_file(dir, name, &run.stdout)
}

/// Packets and bytes.
type Figures = (u64, u64);

/// A row's identity within a section, as text (`tcp name:ssh`).
type Key = String;

/// A section's rows: each key's traffic.
type Rows = BTreeMap<Key, Figures>;

/// A section of `diff`'s JSON, its rows on each side, and how to key one
/// of its changes.
type Section<'a> = (&'a str, &'a Rows, &'a Rows, fn(&Value) -> Key);

fn tunnel(row: &Value) -> String {
    row["tunnel"].as_str().unwrap_or("-").to_string()
}

/// A service row's service: its name when the port database named it,
/// else its port; the dynamic and failed rows by themselves.
fn service_group(row: &Value) -> Key {
    let who = if row["failed"] == true {
        "failed".to_string()
    } else if row["port"].is_null() {
        "dynamic".to_string()
    } else if !row["source"].is_null() && !row["service"].is_null() {
        format!("name:{}", row["service"].as_str().expect("a name"))
    } else {
        format!("port:{}", row["port"])
    };
    format!(
        "{} {} {who}",
        tunnel(row),
        row["transport"].as_str().expect("a transport")
    )
}

/// The same identity of a service change in `diff`'s JSON.
fn changed_service_group(change: &Value) -> Key {
    let ports = change["ports"].as_array().expect("ports");
    let service = change["service"].as_str();
    let who = if change["failed"] == true {
        "failed".to_string()
    } else if ports.is_empty() {
        "dynamic".to_string()
    } else if service.is_none_or(|s| s == "unassigned") {
        assert_eq!(ports.len(), 1, "an unnamed service is one port: {change}");
        format!("port:{}", ports[0])
    } else {
        format!("name:{}", service.unwrap_or_default())
    };
    format!(
        "{} {} {who}",
        tunnel(change),
        change["transport"].as_str().expect("a transport")
    )
}

fn server_key(row: &Value) -> Key {
    format!("{} {} {}", row["transport"], row["address"], row["port"])
}

fn port_key(row: &Value) -> Key {
    format!("{} {} {}", tunnel(row), row["transport"], row["port"])
}

/// The three sections of a read summary, each key with its traffic.
struct Sections {
    services: BTreeMap<Key, Figures>,
    servers: BTreeMap<Key, Figures>,
    /// Every port, with whether it named a service row or a server.
    ports: BTreeMap<Key, Figures>,
    service_ports: BTreeSet<String>,
    server_ports: BTreeSet<String>,
}

fn sections(read: &Value) -> Sections {
    let mut services: BTreeMap<Key, Figures> = BTreeMap::new();
    let mut service_ports = BTreeSet::new();
    for row in read["services"].as_array().expect("services") {
        let entry = services.entry(service_group(row)).or_default();
        entry.0 += u64_of(row, "packets");
        entry.1 += u64_of(row, "bytes");
        if !row["port"].is_null() {
            service_ports.insert(port_key(row));
        }
    }
    let mut servers = BTreeMap::new();
    let mut server_ports = BTreeSet::new();
    for s in read["servers"]["entries"].as_array().expect("servers") {
        let figures = (
            u64_of(s, "to_server_packets") + u64_of(s, "from_server_packets"),
            u64_of(s, "to_server_bytes") + u64_of(s, "from_server_bytes"),
        );
        servers.insert(server_key(s), figures);
        server_ports.insert(format!("{} {}", s["transport"], s["port"]));
    }
    let ports = read["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .map(|p| {
            let figures = (
                u64_of(p, "src_packets") + u64_of(p, "dst_packets"),
                u64_of(p, "src_bytes") + u64_of(p, "dst_bytes"),
            );
            (port_key(p), figures)
        })
        .collect();
    Sections {
        services,
        servers,
        ports,
        service_ports,
        server_ports,
    }
}

impl Sections {
    /// The ports `diff` compares by default: those that named a service
    /// row or a server on either side.
    fn compared_ports(&self, other: &Sections, all: bool) -> BTreeMap<Key, Figures> {
        self.ports
            .iter()
            .filter(|(key, _)| {
                let server_port = key.split_once(' ').map_or("", |(_, rest)| rest);
                all || [self, other]
                    .iter()
                    .any(|s| s.service_ports.contains(*key) || s.server_ports.contains(server_port))
            })
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }
}

/// Each key's change (`appeared`, `disappeared`, `grew`, `shrank`) as the
/// options describe it, computed here from the two sides' figures.
fn expected_changes(
    before: &BTreeMap<Key, Figures>,
    after: &BTreeMap<Key, Figures>,
    compare: Compare,
) -> BTreeMap<Key, String> {
    let measure = |f: &Figures| if compare.packets { f.0 } else { f.1 };
    let mut changes = BTreeMap::new();
    for key in before.keys().chain(after.keys()) {
        let change = match (before.get(key), after.get(key)) {
            (None, Some(_)) => "appeared",
            (Some(_), None) => "disappeared",
            (Some(b), Some(a)) => {
                let (b, a) = (measure(b) as f64, measure(a) as f64);
                if b.max(a) < compare.min as f64 {
                    continue;
                } else if a > b && a >= compare.factor * b {
                    "grew"
                } else if b > a && b >= compare.factor * a {
                    "shrank"
                } else {
                    continue;
                }
            }
            (None, None) => unreachable!("a key of one side"),
        };
        changes.insert(key.clone(), change.to_string());
    }
    changes
}

/// A section of `diff`'s JSON: each change's key and kind, its figures
/// checked against the summaries' on the way.
fn listed_changes(
    section: &Value,
    key: impl Fn(&Value) -> Key,
    before: &BTreeMap<Key, Figures>,
    after: &BTreeMap<Key, Figures>,
) -> BTreeMap<Key, String> {
    let mut listed = BTreeMap::new();
    for change in section["changes"].as_array().expect("changes") {
        let k = key(change);
        let figures = |side: &str| {
            (
                u64_of(&change[side], "packets"),
                u64_of(&change[side], "bytes"),
            )
        };
        assert_eq!(
            figures("before"),
            before.get(&k).copied().unwrap_or_default(),
            "{k}"
        );
        assert_eq!(
            figures("after"),
            after.get(&k).copied().unwrap_or_default(),
            "{k}"
        );
        let kind = change["change"].as_str().expect("a change").to_string();
        assert!(listed.insert(k.clone(), kind).is_none(), "{k} listed twice");
    }
    listed
}

/// Checks a diff of `before` and `after` (their read summaries given)
/// against the changes computed from the summaries.
fn check_diff_against_summaries(diff: &Value, before: &Value, after: &Value, compare: Compare) {
    let (b, a) = (sections(before), sections(after));
    let ports_b = b.compared_ports(&a, compare.all_ports);
    let ports_a = a.compared_ports(&b, compare.all_ports);
    let cases: [Section<'_>; 3] = [
        ("services", &b.services, &a.services, changed_service_group),
        ("servers", &b.servers, &a.servers, server_key),
        ("ports", &ports_b, &ports_a, port_key),
    ];
    let mut total = 0;
    for (name, before, after, key) in cases {
        let expected = expected_changes(before, after, compare);
        let listed = listed_changes(&diff[name], key, before, after);
        assert_eq!(listed, expected, "{name} with {compare:?}");
        let in_both = before.keys().filter(|k| after.contains_key(*k)).count();
        let changed_in_both = expected
            .values()
            .filter(|c| *c == "grew" || *c == "shrank")
            .count();
        assert_eq!(
            u64_of(&diff[name], "unchanged") as usize,
            in_both - changed_in_both,
            "{name}: unchanged"
        );
        total += expected.len();
    }
    assert_eq!(u64_of(diff, "changes") as usize, total);
}

#[test]
fn a_capture_compared_with_itself_has_no_changes() {
    let sample = fixture("sample.pcapng");
    for format in ["table", "json", "csv", "markdown"] {
        let run = diff(&sample, &sample, &["--format", format]);
        run.assert_code(0);
        assert_eq!(run.stderr, "", "{}", run.command);
    }
    let json = diff_json(&sample, &sample, Compare::DEFAULT);
    assert_eq!(u64_of(&json, "changes"), 0);
    let read = read_json(&[&sample], &[]).json();
    let own = sections(&read);
    for (name, rows) in [("services", &own.services), ("servers", &own.servers)] {
        assert_eq!(json[name]["changes"], Value::Array(vec![]), "{name}");
        assert_eq!(
            u64_of(&json[name], "unchanged") as usize,
            rows.len(),
            "{name}"
        );
    }
    // Even with the smallest factor and no floor: equal is unchanged.
    let strict = Compare {
        factor: 1.000001,
        min: 0,
        ..Compare::DEFAULT
    };
    assert_eq!(u64_of(&diff_json(&sample, &sample, strict), "changes"), 0);
}

#[test]
fn changes_between_two_captures_are_those_of_their_summaries() {
    let pairs = [
        ("sample.pcapng", "services-scan.pcapng"),
        ("services-scan.pcapng", "sample.pcapng"),
        ("sample.pcapng", "ftp-tftp.pcapng"),
        ("busy-traffic.pcapng", "sample.pcapng"),
    ];
    let settings = [
        Compare::DEFAULT,
        Compare {
            factor: 1.5,
            min: 0,
            ..Compare::DEFAULT
        },
        Compare {
            packets: true,
            min: 20,
            ..Compare::DEFAULT
        },
        Compare {
            all_ports: true,
            ..Compare::DEFAULT
        },
    ];
    let mut changes_seen = BTreeSet::new();
    for (before, after) in pairs {
        let (before, after) = (fixture(before), fixture(after));
        let before_json = read_json(&[&before], &[]).json();
        let after_json = read_json(&[&after], &[]).json();
        for compare in settings {
            let json = diff_json(&before, &after, compare);
            check_diff_against_summaries(&json, &before_json, &after_json, compare);
            for section in ["services", "servers", "ports"] {
                for change in json[section]["changes"].as_array().expect("changes") {
                    changes_seen.insert(format!("{section} {}", change["change"]));
                }
            }
        }
    }
    // The pairs exercise every kind of change in every section.
    for section in ["services", "servers", "ports"] {
        for kind in ["appeared", "disappeared", "grew", "shrank"] {
            if section == "servers" && (kind == "grew" || kind == "shrank") {
                continue; // no server is on both sides of these pairs
            }
            assert!(
                changes_seen.contains(&format!("{section} \"{kind}\"")),
                "{section} {kind} never seen: {changes_seen:?}"
            );
        }
    }
}

#[test]
fn summaries_and_captures_give_the_same_diff() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, b) = (fixture("sample.pcapng"), fixture("services-scan.pcapng"));
    let a_json = summary(&a, dir.path(), "a.json");
    let b_json = summary(&b, dir.path(), "b.json");
    // report's JSON holds read's fields: it compares the same.
    let report = portclass(&[
        "report".as_ref(),
        "--no-system-services".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        b.as_os_str(),
    ]);
    report.assert_code(0);
    let b_report = write_file(dir.path(), "b-report.json", &report.stdout);
    let changes = |json: &Value| {
        let mut part = json.clone();
        for side in ["before", "after"] {
            part.as_object_mut().expect("an object").remove(side);
        }
        part
    };
    let captures = diff_json(&a, &b, Compare::DEFAULT);
    assert!(u64_of(&captures, "changes") > 0);
    for (before, after) in [
        (&a_json, &b_json),
        (&a, &b_json),
        (&a_json, &b),
        (&a_json, &b_report),
    ] {
        let json = diff_json(before, after, Compare::DEFAULT);
        assert_eq!(changes(&json), changes(&captures), "{before:?} {after:?}");
    }
    // A capture and its own summary: nothing changed, however strict.
    let strict = Compare {
        factor: 1.000001,
        min: 0,
        all_ports: true,
        ..Compare::DEFAULT
    };
    assert_eq!(u64_of(&diff_json(&a, &a_json, strict), "changes"), 0);
    let json = diff_json(&a_json, &b_report, Compare::DEFAULT);
    assert_eq!(json["before"]["kind"], "summary");
    assert_eq!(json["before"]["schema"], "portclass.read/2");
    assert_eq!(json["after"]["schema"], "portclass.report/2");
    assert_eq!(captures["before"]["kind"], "capture");
    assert_eq!(captures["before"]["packets"], json["before"]["packets"]);

    // A merged summary is what reading its captures together gives.
    let merged = portclass(&[
        "merge".as_ref(),
        "--no-system-services".as_ref(),
        a_json.as_os_str(),
        b_json.as_os_str(),
    ]);
    merged.assert_code(0);
    let merged = write_file(dir.path(), "merged.json", &merged.stdout);
    let together = read_json(&[&a, &b], &[]);
    let together = write_file(dir.path(), "together.json", &together.stdout);
    let json = diff_json(
        &merged,
        &together,
        Compare {
            factor: 1.000001,
            min: 0,
            ..Compare::DEFAULT
        },
    );
    assert_eq!(u64_of(&json, "changes"), 0, "{json}");

    // A capture on standard input.
    let stdin = std::fs::read(&a).expect("the fixture");
    let args = [
        "diff",
        "--no-system-services",
        "-f",
        "json",
        "-",
        b_json.to_str().expect("UTF-8 path"),
    ];
    let run = portclass_with_stdin(&args, &stdin);
    run.assert_code(1);
    assert_eq!(changes(&run.json()), changes(&captures));
}

/// Every row of a summary merged with itself has exactly twice the
/// traffic: the factor and the floor decide alone what is listed.
#[test]
fn the_factor_and_the_floor_decide_what_grew_or_shrank() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sample = fixture("sample.pcapng");
    let once = summary(&sample, dir.path(), "once.json");
    let doubled = portclass(&[
        "merge".as_ref(),
        "--no-system-services".as_ref(),
        once.as_os_str(),
        once.as_os_str(),
    ]);
    doubled.assert_code(0);
    let twice = write_file(dir.path(), "twice.json", &doubled.stdout);
    let read = read_json(&[&sample], &[]).json();
    let own = sections(&read);
    let all = Compare {
        min: 0,
        ..Compare::DEFAULT
    };

    // Factor 2, no floor: every row doubled, ratio exactly 2.
    let json = diff_json(&once, &twice, all);
    for (name, rows) in [
        ("services", own.services.len()),
        ("servers", own.servers.len()),
    ] {
        let changes = json[name]["changes"].as_array().expect("changes");
        assert_eq!(changes.len(), rows, "{name}");
        for change in changes {
            assert_eq!(change["change"], "grew", "{change}");
            assert_eq!(change["ratio"], 2.0, "{change}");
            assert_eq!(
                u64_of(&change["after"], "bytes"),
                2 * u64_of(&change["before"], "bytes")
            );
        }
        assert_eq!(u64_of(&json[name], "unchanged"), 0);
    }
    // The other way round, all shrank by half.
    let json = diff_json(&twice, &once, all);
    for change in json["services"]["changes"].as_array().expect("changes") {
        assert_eq!(change["change"], "shrank", "{change}");
        assert_eq!(change["ratio"], 0.5, "{change}");
    }
    // A factor above 2: nothing changed, exit status 0.
    let above = Compare {
        factor: 2.01,
        ..all
    };
    assert_eq!(u64_of(&diff_json(&once, &twice, above), "changes"), 0);
    // The default floor (10 kB on the larger side): only the big rows.
    let json = diff_json(&once, &twice, Compare::DEFAULT);
    let grew: BTreeSet<Key> = json["services"]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(changed_service_group)
        .collect();
    let big: BTreeSet<Key> = own
        .services
        .iter()
        .filter(|(_, f)| 2 * f.1 >= DEFAULT_MIN_BYTES)
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(grew, big);
    assert!(!big.is_empty() && big.len() < own.services.len(), "{big:?}");
    // By packets, with a floor of 20 packets.
    let packets = Compare {
        packets: true,
        min: 20,
        ..Compare::DEFAULT
    };
    let twice_json = read_json_file(&twice);
    check_diff_against_summaries(
        &diff_json(&once, &twice, packets),
        &read,
        &twice_json,
        packets,
    );
}

#[test]
fn every_format_lists_the_same_changes() {
    let (a, b) = (fixture("sample.pcapng"), fixture("services-scan.pcapng"));
    let json = diff_json(&a, &b, Compare::DEFAULT);
    let total = u64_of(&json, "changes") as usize;
    let names: BTreeSet<String> = json["services"]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["service"].as_str().map(str::to_string))
        .collect();

    let csv = diff(&a, &b, &["--format", "csv"]);
    csv.assert_code(1);
    let mut reader = csv::Reader::from_reader(csv.stdout.as_slice());
    let header: Vec<String> = reader
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(header[..2], ["section", "change"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
    assert_eq!(rows.len(), total);
    for section in ["services", "servers", "ports"] {
        let listed = json[section]["changes"].as_array().expect("changes");
        let in_csv: Vec<&csv::StringRecord> = rows.iter().filter(|r| &r[0] == section).collect();
        assert_eq!(in_csv.len(), listed.len(), "{section}");
        for (row, change) in in_csv.iter().zip(listed) {
            assert_eq!(&row[1], change["change"].as_str().expect("a kind"));
            let after_bytes = header
                .iter()
                .position(|h| h == "after_bytes")
                .expect("column");
            assert_eq!(row[after_bytes], change["after"]["bytes"].to_string());
        }
    }

    for (format, headings) in [
        ("table", ["Services: ", "Servers: ", "Ports: "]),
        ("markdown", ["## Services: ", "## Servers: ", "## Ports: "]),
    ] {
        let run = diff(&a, &b, &["--format", format]);
        run.assert_code(1);
        let text = run.stdout_text();
        for heading in headings {
            assert!(
                text.lines().any(|l| l.starts_with(heading)),
                "{format}: {heading}\n{text}"
            );
        }
        for name in &names {
            assert!(
                text.contains(name.as_str()),
                "{format}: {name} missing\n{text}"
            );
        }
        assert!(
            text.trim_end().ends_with(&format!("{total} changes.")),
            "{format}:\n{text}"
        );
        if format == "markdown" {
            assert!(text.starts_with("# portclass diff\n"), "{text}");
            // A Markdown table row per change, below each heading.
            let rows = text
                .lines()
                .filter(|l| {
                    ["| appeared ", "| disappeared ", "| grew ", "| shrank "]
                        .iter()
                        .any(|k| l.starts_with(k))
                })
                .count();
            assert_eq!(rows, total, "{text}");
        }
    }
}

#[test]
fn an_empty_capture_against_a_full_one_lists_everything_as_appeared() {
    let dir = tempfile::tempdir().expect("temp dir");
    let empty = write_file(dir.path(), "empty.pcap", &pcap_header());
    let json = diff_json(&empty, &empty, Compare::DEFAULT);
    assert_eq!(u64_of(&json, "changes"), 0);
    let sample = fixture("sample.pcapng");
    let json = diff_json(&empty, &sample, Compare::DEFAULT);
    let read = read_json(&[&sample], &[]).json();
    check_diff_against_summaries(
        &json,
        &read_json(&[&empty], &[]).json(),
        &read,
        Compare::DEFAULT,
    );
    for section in ["services", "servers", "ports"] {
        for change in json[section]["changes"].as_array().expect("changes") {
            assert_eq!(change["change"], "appeared", "{change}");
        }
    }
    let run = diff(&empty, &sample, &[]);
    run.assert_code(1);
}

#[test]
fn an_input_that_cannot_be_compared_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sample = fixture("sample.pcapng");
    let good = summary(&sample, dir.path(), "good.json");
    let missing = dir.path().join("missing.pcap");
    let text = write_file(dir.path(), "notes.txt", b"not a capture\n");
    let broken = write_file(
        dir.path(),
        "broken.json",
        b"{\"schema\": \"portclass.read/2\",",
    );
    let a_diff = {
        let run = diff(&sample, &sample, &["--format", "json"]);
        write_file(dir.path(), "a-diff.json", &run.stdout)
    };
    let newer = {
        let text = std::fs::read_to_string(&good).expect("written");
        let text = text.replace("\"portclass.read/2\"", "\"portclass.read/9\"");
        write_file(dir.path(), "newer.json", text.as_bytes())
    };
    // A live stream cut before its summary line: only interval lines.
    let interval = r#"{"type": "interval", "timestamp": "2026-12-02T16:00:00Z"}"#;
    let unfinished = write_file(
        dir.path(),
        "unfinished.ndjson",
        format!("{interval}\n{interval}\n").as_bytes(),
    );
    for (bad, says) in [
        (&unfinished, "without its summary line"),
        (&missing, "No such file"),
        (&text, "not a capture file"),
        (&broken, "not a portclass JSON summary"),
        (&a_diff, "not a summary"),
        (&newer, "portclass.read/9"),
    ] {
        for (before, after) in [(bad, &good), (&good, bad)] {
            let run = diff(before, after, &[]);
            run.assert_code(2);
            assert_eq!(run.stdout, b"", "{}: nothing compared", run.command);
            let name = bad.display().to_string();
            let lines = run.stderr_lines();
            assert_eq!(lines.len(), 1, "{}: {lines:?}", run.command);
            assert!(
                lines[0].starts_with(&format!("portclass: {name}")),
                "{lines:?}"
            );
            assert!(lines[0].contains(says), "{lines:?}");
        }
    }
    // Both bad: both said.
    let run = diff(&missing, &text, &[]);
    run.assert_code(2);
    assert_eq!(run.stderr_lines().len(), 2, "{}", run.stderr);

    // A capture cut short: compared as far as it goes, but status 2.
    let data = std::fs::read(&sample).expect("the fixture");
    let cut = write_file(dir.path(), "cut.pcapng", &data[..data.len() / 2]);
    let run = diff(&sample, &cut, &["--format", "json"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("cut.pcapng") && run.stderr.contains("cut short"),
        "{}",
        run.stderr
    );
    assert_eq!(run.json()["after"]["status"], "partial");

    // Bad usage.
    for args in [
        &["--factor", "1"][..],
        &["--factor", "0.5"],
        &["--factor", "nan"],
    ] {
        let run = diff(&sample, &sample, args);
        run.assert_code(2);
        assert!(run.stderr.contains("--factor"), "{}", run.stderr);
    }
    let run = portclass(&["diff", "-", "-"]);
    run.assert_code(2);
}

#[test]
fn a_summary_with_inputs_not_read_is_compared_with_a_warning() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sample = fixture("sample.pcapng");
    let gone = dir.path().join("gone.pcap");
    let run = read_json(&[gone.as_path(), sample.as_path()], &[]);
    run.assert_code(2);
    let with_failure = write_file(dir.path(), "with-failure.json", &run.stdout);
    let run = diff(&with_failure, &sample, &[]);
    run.assert_code(0);
    let lines = run.stderr_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("warning") && lines[0].contains("gone.pcap"),
        "{lines:?}"
    );
    assert!(lines[0].contains("with-failure.json"), "{lines:?}");

    // None of its inputs read: nothing to compare.
    let run = read_json(&[gone.as_path()], &[]);
    run.assert_code(2);
    let nothing = write_file(dir.path(), "nothing.json", &run.stdout);
    let run = diff(&nothing, &sample, &[]);
    run.assert_code(2);
    assert_eq!(run.stdout, b"");
    let lines = run.stderr_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with(&format!("portclass: {}", nothing.display()))
            && lines[0].contains("none of which could be read")
            && lines[0].contains("gone.pcap"),
        "{lines:?}"
    );
}

/// `fixtures/diff-before.pcapng` and `diff-after.pcapng`: the same traffic
/// twice, and one new service started during AFTER, which
/// `fixtures/diff.truth.json` names.
#[test]
fn the_one_new_service_of_the_diff_fixtures_is_the_one_listed() {
    let (before, after, truth) = (
        fixture("diff-before.pcapng"),
        fixture("diff-after.pcapng"),
        fixture("diff.truth.json"),
    );
    if !(before.exists() && after.exists() && truth.exists()) {
        return skipped(
            "fixtures/diff-before.pcapng, diff-after.pcapng or diff.truth.json missing",
        );
    }
    let truth = read_json_file(&truth);
    // The new service: the one entry of `appeared` (or of another array
    // of objects with a transport, a port and a service name).
    let appeared: Vec<&Value> = truth["appeared"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    assert_eq!(
        appeared.len(),
        1,
        "diff.truth.json: one new service expected: {truth}"
    );
    let new = appeared[0];
    let transport = new["transport"].as_str().expect("truth: transport");
    let port = new["port"]
        .as_u64()
        .or_else(|| new["port"].as_str().and_then(|p| p.parse().ok()))
        .expect("truth: port");
    let name = new["service"]
        .as_str()
        .or_else(|| new["protocol"].as_str())
        .expect("truth: service");

    let json = diff_json(&before, &after, Compare::DEFAULT);
    let services = json["services"]["changes"].as_array().expect("changes");
    assert_eq!(
        services.len(),
        1,
        "exactly one service changed: {services:?}"
    );
    let service = &services[0];
    assert_eq!(service["change"], "appeared");
    assert_eq!(service["transport"], transport);
    assert_eq!(service["service"], name);
    assert_eq!(service["ports"], serde_json::json!([port]));
    if let Some(figures) = new.get("after") {
        if let Some(frames) = figures["frames"].as_u64() {
            assert_eq!(service["after"]["packets"], frames);
        }
        if let Some(bytes) = figures["wire_bytes"].as_u64() {
            assert_eq!(service["after"]["bytes"], bytes);
        }
    }
    for section in ["servers", "ports"] {
        for change in json[section]["changes"].as_array().expect("changes") {
            assert_eq!(change["change"], "appeared", "{section}: {change}");
            assert_eq!(change["port"], port, "{section}: {change}");
        }
    }
    if let Some(address) = new["address"].as_str() {
        let servers = json["servers"]["changes"].as_array().expect("changes");
        assert!(
            servers.iter().any(|s| s["address"] == address),
            "{address} not among {servers:?}"
        );
    }
    // The common traffic changed by less than the truth's own bound.
    if let Some(bound) = truth["max_bytes_factor_unchanged"].as_f64() {
        let factor = (bound * 1.01).max(1.000001);
        let strict = Compare {
            factor,
            min: 0,
            ..Compare::DEFAULT
        };
        let json = diff_json(&before, &after, strict);
        assert_eq!(
            json["services"]["changes"].as_array().map(Vec::len),
            Some(1)
        );
    }
}

/// A side whose server inventory let servers go (more than it keeps):
/// the output says that servers may seem to appear or disappear.
#[test]
fn an_approximate_server_inventory_is_pointed_out() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sample = fixture("sample.pcapng");
    let mut read = read_json(&[&sample], &[]).json();
    read["servers"]["exact"] = Value::Bool(false);
    read["servers"]["error_bound_bytes"] = Value::from(100);
    let inexact = write_file(dir.path(), "inexact.json", read.to_string().as_bytes());
    let json = diff_json(&inexact, &sample, Compare::DEFAULT);
    assert_eq!(json["before"]["servers_exact"], false);
    assert_eq!(json["after"]["servers_exact"], true);
    for format in ["table", "markdown"] {
        let run = diff(&inexact, &sample, &["--format", format]);
        run.assert_code(0);
        let text = run.stdout_text();
        let notes: Vec<&str> = text.lines().filter(|l| l.starts_with("Note: ")).collect();
        assert_eq!(notes.len(), 1, "{text}");
        assert!(notes[0].contains("before's server inventory"), "{text}");
    }
}

/// A side read once from a stream: standard input (a capture or a
/// summary), or a pipe (`<(portclass read -f json ...)` or `<(cat x.pcap)`).
#[test]
fn a_side_can_come_from_standard_input_or_a_pipe() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, b) = (fixture("sample.pcapng"), fixture("services-scan.pcapng"));
    let a_json = summary(&a, dir.path(), "a.json");
    let b_json = summary(&b, dir.path(), "b.json");
    let expected = diff_json(&a_json, &b_json, Compare::DEFAULT);
    let changes_of = |json: &Value| json["services"].clone();
    for (stdin, other) in [(&a, &b_json), (&a_json, &b_json)] {
        let input = std::fs::read(stdin).expect("readable");
        let other = other.to_str().expect("UTF-8 path");
        let args = ["diff", "--no-system-services", "-f", "json", "-", other];
        let run = portclass_with_stdin(&args, &input);
        run.assert_code(1);
        assert_eq!(changes_of(&run.json()), changes_of(&expected), "{stdin:?}");
    }
    if std::process::Command::new("bash")
        .arg("--version")
        .output()
        .is_err()
    {
        return skipped("bash is not installed: process substitution not tried");
    }
    // Through a pipe, a summary or a capture: each looked into once and
    // read on from the same stream.
    for side in [&a_json, &a] {
        let script = format!(
            "'{bin}' diff --no-system-services -f json <(cat '{side}') '{b}'",
            bin = bin(),
            side = side.display(),
            b = b_json.display(),
        );
        let output = std::process::Command::new("bash")
            .args(["--norc", "--noprofile", "-c", &script])
            .output()
            .expect("bash runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{side:?}: {stderr}");
        let json: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{side:?} through a pipe: the diff's JSON: {e}"));
        assert_eq!(changes_of(&json), changes_of(&expected), "{side:?}");
    }
}

/// A summary's figures are whatever its file says: the largest ones are
/// compared without overflowing, in every format.
#[test]
fn a_summary_with_the_largest_figures_is_compared_without_overflow() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sample = fixture("sample.pcapng");
    let mut read = read_json(&[&sample], &[]).json();
    let max = Value::from(u64::MAX);
    for row in read["services"].as_array_mut().expect("services") {
        row["packets"] = max.clone();
        row["bytes"] = max.clone();
    }
    for server in read["servers"]["entries"].as_array_mut().expect("servers") {
        for key in ["to_server", "from_server"] {
            server[format!("{key}_packets")] = max.clone();
            server[format!("{key}_bytes")] = max.clone();
        }
    }
    for port in read["ports"].as_array_mut().expect("ports") {
        for key in ["src_packets", "src_bytes", "dst_packets", "dst_bytes"] {
            port[key] = max.clone();
        }
    }
    let huge = write_file(dir.path(), "huge.json", read.to_string().as_bytes());
    for format in ["table", "json", "csv", "markdown"] {
        let run = diff(&huge, &sample, &["--format", format]);
        run.assert_code(1);
        let run = diff(&huge, &huge, &["--format", format]);
        run.assert_code(0);
    }
    let json = diff_json(&sample, &huge, Compare::DEFAULT);
    for change in json["services"]["changes"].as_array().expect("changes") {
        assert_eq!(change["change"], "grew", "{change}");
        assert_eq!(change["after"]["bytes"], u64::MAX, "{change}");
    }
}
