//! The three port-name layers: built-in, the system services file
//! (`--system-services`, only adds), the user's `--port-db` (overrides); and
//! `--no-system-services`.

use crate::common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A port the sample uses that the built-in database lacks.
const UNNAMED_PORT: u16 = 40123;

/// An /etc/services-format file naming 40123/tcp, and trying to rename 22/tcp.
fn system_file(dir: &Path) -> PathBuf {
    let text = "# services for a test\n\
                myservice\t40123/tcp\tmyalias\t# My test service\n\
                fakessh\t\t22/tcp\n";
    write_file(dir, "services", text.as_bytes())
}

fn ports_json(args: &[&str]) -> (Run, Vec<Value>) {
    let mut all = vec!["ports", "--format", "json"];
    all.extend_from_slice(args);
    let run = portclass(&all);
    let entries = run
        .json()
        .as_array()
        .expect("ports JSON is an array")
        .clone();
    (run, entries)
}

/// `read` with the static naming rule only (the layers decide names; the
/// handshake rule, tested in `analysis`, would move the sample's client
/// port 33834 into its server's row).
fn read_ok(capture: &str, name_flags: &[&str]) -> Value {
    let path = fixture(capture);
    let mut args = vec![
        "read",
        "--format",
        "json",
        "--no-handshake",
        path.to_str().expect("UTF-8 path"),
    ];
    args.extend_from_slice(name_flags);
    let run = portclass(&args);
    run.assert_code(0);
    run.json()
}

/// The sample's services under `name_flags`, checked row by row against the
/// naming rule with the names the same flags give `ports`.
fn sample_services(name_flags: &[&str]) -> Value {
    let json = read_ok("sample.pcapng", name_flags);
    let predicted = predicted_services(&expected("sample.pcapng"), name_flags);
    assert_same_rows(
        &format!("sample.pcapng with {name_flags:?}"),
        &actual_services(&json),
        &predicted,
    );
    json
}

fn assert_names(row: Option<&Value>, service: &str, source: &str) {
    let row = row.expect("service row present");
    assert_eq!(
        (&row["service"], &row["source"]),
        (&Value::from(service), &Value::from(source)),
        "{row}"
    );
}

#[test]
fn the_unnamed_port_really_is_unnamed() {
    let (run, entries) = ports_json(&["--no-system-services", &format!("{UNNAMED_PORT}/tcp")]);
    run.assert_code(1);
    assert!(entries.is_empty(), "{entries:?}");
}

#[test]
fn system_services_file_names_ports_the_builtin_database_lacks() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = system_file(dir.path());
    let flags = ["--system-services", file.to_str().expect("UTF-8 path")];

    let mut args = flags.to_vec();
    args.push("40123/tcp");
    let (run, entries) = ports_json(&args);
    run.assert_code(0);
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["service"], "myservice");
    assert_eq!(entries[0]["source"], "system");
    assert_eq!(entries[0]["description"], "My test service");

    let json = sample_services(&flags);
    let row = service_row(&json, "tcp", Some(UNNAMED_PORT));
    assert_names(row, "myservice", "system");
    // Named now, 40123 wins against every client port: its row holds all of
    // tshark's 40123 traffic.
    let figures = oracle_ports(&expected("sample.pcapng"))[&format!("tcp/{UNNAMED_PORT}")];
    assert_eq!(
        row.map(|r| u64_of(r, "packets")),
        Some(figures[0] + figures[2])
    );
}

#[test]
fn system_services_file_never_overrides_a_builtin_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = system_file(dir.path());
    let file = file.to_str().expect("UTF-8 path");

    let (run, entries) = ports_json(&["--system-services", file, "22/tcp"]);
    run.assert_code(0);
    assert_eq!(entries[0]["service"], "ssh", "{entries:?}");
    assert_eq!(entries[0]["source"], "builtin", "{entries:?}");
    assert!(
        !entries.iter().any(|e| e["service"] == "fakessh"),
        "{entries:?}"
    );

    let json = read_ok("ipv4-options.pcap", &["--system-services", file]);
    assert_names(service_row(&json, "tcp", Some(22)), "ssh", "builtin");
}

#[test]
fn no_system_services_ignores_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = system_file(dir.path());
    let flags = [
        "--system-services",
        file.to_str().expect("UTF-8 path"),
        "--no-system-services",
    ];

    let mut args = flags.to_vec();
    args.push("40123/tcp");
    let (run, entries) = ports_json(&args);
    run.assert_code(1);
    assert!(entries.is_empty(), "{entries:?}");

    let json = sample_services(&flags);
    let row = service_row(&json, "tcp", Some(UNNAMED_PORT)).expect("tcp/40123 row");
    assert_eq!(row["service"], "unassigned", "{row}");
}

#[test]
fn user_port_db_names_and_overrides() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = "# my ports\n\
                40123\ttcp\tmyapp\tMy application\n\
                22\ttcp\tmyssh\tMy SSH gateway\n\
                mygame 27960/udp # services-format line in a port-db file\n";
    let file = write_file(dir.path(), "my-ports.tsv", text.as_bytes());
    let flags = [
        "--no-system-services",
        "--port-db",
        file.to_str().expect("UTF-8 path"),
    ];

    let mut args = flags.to_vec();
    args.extend(["40123/tcp", "22/tcp", "27960/udp"]);
    let (run, entries) = ports_json(&args);
    run.assert_code(0);
    let at = |port: u64, transport: &str| -> Vec<(String, String)> {
        entries
            .iter()
            .filter(|e| e["port"] == port && e["transport"] == transport)
            .map(|e| {
                (
                    e["service"].as_str().unwrap_or("").into(),
                    e["source"].as_str().unwrap_or("").into(),
                )
            })
            .collect()
    };
    let pair = |s: &str, l: &str| (s.to_string(), l.to_string());
    assert_eq!(at(40123, "tcp"), [pair("myapp", "user")]);
    // The user's entry comes first; the built-in one stays listed after it.
    assert_eq!(
        at(22, "tcp"),
        [pair("myssh", "user"), pair("ssh", "builtin")]
    );
    assert_eq!(at(27960, "udp"), [pair("mygame", "user")]);

    let json = sample_services(&flags);
    assert_names(
        service_row(&json, "tcp", Some(UNNAMED_PORT)),
        "myapp",
        "user",
    );
    assert_names(service_row(&json, "tcp", Some(22)), "myssh", "user");
}

#[test]
fn malformed_port_db_is_an_error_naming_file_and_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write_file(
        dir.path(),
        "bad-ports.tsv",
        b"# fine\n40123\ttcp\tmyapp\tMy application\n70000\ttcp\ttoobig\tNo such port\n",
    );
    let file = file.to_str().expect("UTF-8 path");
    let sample = fixture("sample.pcapng");
    let sample = sample.to_str().expect("UTF-8 path");
    for args in [
        vec!["ports", "--port-db", file, "22"],
        vec!["read", "--port-db", file, "--format", "json", sample],
    ] {
        let run = portclass(&args);
        run.assert_code(2);
        let lines = run.stderr_lines();
        assert_eq!(lines.len(), 1, "{}: {}", run.command, run.stderr);
        assert!(
            lines[0].contains(file),
            "{}: file not named: {}",
            run.command,
            lines[0]
        );
        assert!(
            lines[0].contains(&format!("{file}:3")) || lines[0].contains("line 3"),
            "{}: line 3 not named: {}",
            run.command,
            lines[0]
        );
    }

    let missing = dir.path().join("missing.tsv");
    let run = portclass(&[
        "ports",
        "--port-db",
        missing.to_str().expect("UTF-8 path"),
        "22",
    ]);
    run.assert_code(2);
    assert!(
        run.stderr.contains(missing.to_str().expect("UTF-8 path")),
        "{}",
        run.stderr
    );
}
