//! `--filter` and its shortcuts on files, in read, report, diff and merge:
//! what each shortcut turns into, that the filtered figures are tcpdump's
//! for that expression, and the errors a user meets.

use crate::common::{fixture, portclass, read_json, service_figures, skipped, tally_part};
use serde_json::Value;
use std::process::{Command, Stdio};

/// The one input's filter expression and frames left out, from read's JSON.
fn input_filter(json: &Value) -> (String, u64) {
    let input = &json["inputs"][0];
    (
        input["filter"].as_str().expect("a filter").to_owned(),
        input["filtered_out"].as_u64().expect("frames left out"),
    )
}

/// `tcpdump -r FILE -w - EXPRESSION | portclass read -`, or `None` without
/// tcpdump.
fn through_tcpdump(file: &std::path::Path, expression: &str) -> Option<Value> {
    let output = Command::new("tcpdump")
        .args(["--time-stamp-precision", "nano", "-r"])
        .arg(file)
        .args(["-w", "-", expression])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    assert!(output.status.success(), "tcpdump failed: {output:?}");
    let run = crate::common::portclass_with_stdin(
        &["read", "--format", "json", "--no-system-services", "-"],
        &output.stdout,
    );
    Some(run.json())
}

#[test]
fn service_host_and_port_shortcuts_are_tcpdump_expressions() {
    let file = fixture("sample.pcapng");
    let all = read_json(&[&file], &[]).assert_code(0).json();
    let cases: [(&[&str], &str); 4] = [
        (&["--service", "dns"], "tcp port 53 or udp port 53"),
        (&["--port", "22,6379"], "port 22 or port 6379"),
        (
            &["--port", "1-1023", "--service", "ssh"],
            "(tcp port 22 or udp port 22) and (portrange 1-1023)",
        ),
        (
            &["--host", "10.77.1.0/24", "--filter", "tcp"],
            "(tcp) and (net 10.77.1.0/24)",
        ),
    ];
    for (flags, expression) in cases {
        let json = read_json(&[&file], flags).assert_code(0).json();
        let (filter, left_out) = input_filter(&json);
        assert_eq!(filter, expression, "{flags:?}");
        let packets = json["packets"].as_u64().unwrap();
        assert_eq!(
            packets + left_out,
            all["packets"].as_u64().unwrap(),
            "{flags:?}"
        );
        match through_tcpdump(&file, expression) {
            Some(piped) => assert_eq!(tally_part(&json), tally_part(&piped), "{flags:?}"),
            None => skipped("tcpdump is not installed: the counts are not compared with it"),
        }
    }
    // Only dns is left under --service dns.
    let dns = read_json(&[&file], &["--service", "dns"]).json();
    let names: Vec<&Value> = crate::common::services(&dns)
        .iter()
        .map(|row| &row["service"])
        .collect();
    assert!(!names.is_empty());
    assert!(names.iter().all(|name| *name == "dns"), "{names:?}");
}

#[test]
fn report_and_diff_count_what_read_counts_under_a_filter() {
    let file = fixture("sample.pcapng");
    let read = read_json(&[&file], &["--service", "https"])
        .assert_code(0)
        .json();
    let report = portclass(&[
        "report".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        "--no-system-services".as_ref(),
        file.as_os_str(),
        "--service".as_ref(),
        "https".as_ref(),
    ])
    .assert_code(0)
    .json();
    assert_eq!(service_figures(&read), service_figures(&report));
    assert_eq!(read["inputs"][0]["filter"], report["inputs"][0]["filter"]);

    // diff of the two fixtures restricted to redis: only redis appears.
    let run = portclass(&[
        "diff".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        fixture("diff-before.pcapng").as_os_str(),
        fixture("diff-after.pcapng").as_os_str(),
        "--service".as_ref(),
        "redis".as_ref(),
    ]);
    run.assert_code(1);
    let diff = run.json();
    let changes = diff["services"]["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["change"], "appeared");
    assert_eq!(diff["services"]["unchanged"], 0);
}

#[test]
fn a_summary_is_filtered_only_if_it_was_counted_with_the_same_filter() {
    let dir = tempfile::tempdir().unwrap();
    let file = fixture("sample.pcapng");
    let plain = dir.path().join("plain.json");
    let ssh = dir.path().join("ssh.json");
    std::fs::write(&plain, read_json(&[&file], &[]).stdout).unwrap();
    std::fs::write(&ssh, read_json(&[&file], &["--service", "ssh"]).stdout).unwrap();
    let report = |summary: &std::path::Path| {
        portclass(&[
            "report".as_ref(),
            "--format".as_ref(),
            "json".as_ref(),
            summary.as_os_str(),
            "--service".as_ref(),
            "ssh".as_ref(),
        ])
    };
    let refused = report(&plain);
    refused.assert_code(2);
    assert!(
        refused
            .stderr
            .contains("plain.json: a summary counted without a filter"),
        "{}",
        refused.stderr
    );
    let taken = report(&ssh);
    taken.assert_code(0);
    assert_eq!(
        service_figures(&taken.json()),
        service_figures(&crate::common::read_json_file(&ssh))
    );
    // merge keeps each input's filter.
    let merged = portclass(&["merge".as_ref(), plain.as_os_str(), ssh.as_os_str()]);
    let merged = merged.assert_code(0).json();
    let filters: Vec<&Value> = merged["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|input| &input["filter"])
        .collect();
    assert_eq!(
        filters,
        [&Value::Null, &Value::from("tcp port 22 or udp port 22")]
    );
}

#[test]
fn filter_mistakes_are_said_before_anything_is_read() {
    let file = fixture("sample.pcapng");
    let cases: [(&[&str], &str); 5] = [
        (&["--filter", "tcp prt 22"], "bad filter \"tcp prt 22\""),
        (
            &["--service", "nosuchservice"],
            "--service nosuchservice: no service of that name",
        ),
        (
            &["--service", "22"],
            "that is a port number; give it with --port 22",
        ),
        (
            &["--host", "10.0.0.300"],
            "--host 10.0.0.300: not an address or a network",
        ),
        (&["--port", "80-20"], "--port 80-20: not a port or a range"),
    ];
    for (flags, message) in cases {
        let run = read_json(&[&file], flags);
        run.assert_code(2);
        assert!(run.stdout.is_empty(), "{flags:?}: wrote a summary");
        assert!(run.stderr.contains(message), "{flags:?}: {}", run.stderr);
    }
}
