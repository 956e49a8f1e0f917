//! The `ports` subcommand: look-ups by number, range, number/transport, name,
//! alias and name prefix; conflicts; bad queries (exit 2) and queries that
//! match nothing (exit 1), with no empty table before the message.

use crate::common::*;
use serde_json::Value;

fn ports_json(queries: &[&str]) -> (Run, Vec<Value>) {
    let mut args = vec!["ports", "--no-system-services", "--format", "json"];
    args.extend_from_slice(queries);
    let run = portclass(&args);
    let entries = run
        .json()
        .as_array()
        .expect("ports JSON is an array")
        .clone();
    (run, entries)
}

fn has(entries: &[Value], port: u64, transport: &str, service: &str) -> bool {
    entries
        .iter()
        .any(|e| e["port"] == port && e["transport"] == transport && e["service"] == service)
}

#[test]
fn port_22_is_ssh() {
    let run = portclass(&["ports", "--no-system-services", "22"]);
    run.assert_code(0);
    let text = run.stdout_text();
    assert!(text.contains("22/tcp") && text.contains("ssh"), "{text}");

    let (run, entries) = ports_json(&["22"]);
    run.assert_code(0);
    assert!(has(&entries, 22, "tcp", "ssh"), "{entries:?}");
    assert!(entries.iter().all(|e| e["port"] == 22), "{entries:?}");
}

#[test]
fn port_80_lists_http_first_then_the_skype_conflict() {
    let run = portclass(&["ports", "--no-system-services", "80"]);
    run.assert_code(0);
    let text = run.stdout_text();
    assert!(text.contains("http") && text.contains("skype"), "{text}");

    let (_, entries) = ports_json(&["80"]);
    let tcp: Vec<&Value> = entries.iter().filter(|e| e["transport"] == "tcp").collect();
    let names: Vec<&str> = tcp.iter().filter_map(|e| e["service"].as_str()).collect();
    assert_eq!(names.first(), Some(&"http"), "primary of 80/tcp: {names:?}");
    assert!(names.contains(&"skype"), "80/tcp conflict: {names:?}");
}

#[test]
fn port_and_transport_query_gives_full_entries() {
    let (run, entries) = ports_json(&["53/udp"]);
    run.assert_code(0);
    assert!(!entries.is_empty());
    for e in &entries {
        for key in ["port", "transport", "service", "description", "source"] {
            assert!(
                e.get(key).is_some_and(|v| !v.is_null()),
                "`{key}` missing in {e}"
            );
        }
        assert_eq!(
            (&e["port"], &e["transport"]),
            (&Value::from(53), &Value::from("udp")),
            "{e}"
        );
    }
    let dns = entries
        .iter()
        .find(|e| e["service"] == "dns")
        .expect("dns on 53/udp");
    assert_eq!(dns["source"], "builtin");
    assert!(
        dns["description"].as_str().is_some_and(|d| !d.is_empty()),
        "{dns}"
    );
}

#[test]
fn name_query_finds_the_port() {
    let (run, entries) = ports_json(&["ssh"]);
    run.assert_code(0);
    assert!(has(&entries, 22, "tcp", "ssh"), "{entries:?}");
}

#[test]
fn malformed_queries_exit_2_with_a_message() {
    for (query, mentions) in [
        ("99999", "99999"),
        ("70000", "0 to 65535"),
        ("53/xyz", "xyz"),
        ("65536/udp", "65536"),
        ("1-70000", "70000"),
        ("1024-1", "1-1024"),
    ] {
        for format in ["table", "markdown"] {
            let run = portclass(&["ports", "--no-system-services", "-f", format, query]);
            run.assert_code(2);
            let lines = run.stderr_lines();
            assert_eq!(lines.len(), 1, "{query}: {}", run.stderr);
            assert!(lines[0].contains(mentions), "{query}: {}", lines[0]);
            assert_eq!(
                run.stdout_text(),
                "",
                "{query}: no empty table before the error"
            );
        }
    }
}

#[test]
fn query_matching_nothing_exits_1() {
    // 40123/tcp is unassigned in the built-in database (the sample's socat).
    let (run, entries) = ports_json(&["40123/tcp"]);
    run.assert_code(1);
    assert!(entries.is_empty(), "{entries:?}");
    assert!(run.stderr.contains("40123"), "{}", run.stderr);

    // Nothing to show in a table: only the message.
    let run = portclass(&["ports", "--no-system-services", "40123/tcp"]);
    run.assert_code(1);
    assert_eq!(run.stdout_text(), "", "no empty table");

    // One miss among hits: the hits are still listed, the status says 1.
    let (run, entries) = ports_json(&["22", "40123/tcp"]);
    run.assert_code(1);
    assert!(has(&entries, 22, "tcp", "ssh"), "{entries:?}");
}

#[test]
fn a_port_range_is_one_table_row_and_one_json_record_per_port() {
    // 33434-33534/udp is one line of the built-in database.
    let run = portclass(&["ports", "--no-system-services", "traceroute/udp"]);
    run.assert_code(0);
    let text = run.stdout_text();
    let rows: Vec<&str> = text.lines().filter(|l| l.contains("/udp")).collect();
    assert_eq!(rows.len(), 1, "{text}");
    assert!(rows[0].contains("33434-33534/udp"), "{text}");

    let (run, entries) = ports_json(&["traceroute/udp"]);
    run.assert_code(0);
    let ports: Vec<u64> = entries.iter().filter_map(|e| e["port"].as_u64()).collect();
    assert_eq!(ports, (33434..=33534).collect::<Vec<u64>>());

    // A port inside the range finds it; the port after it is not in it.
    let (run, entries) = ports_json(&["33500/udp"]);
    run.assert_code(0);
    assert!(has(&entries, 33500, "udp", "traceroute"), "{entries:?}");
    let (run, _) = ports_json(&["33535/udp"]);
    run.assert_code(1);
}

#[test]
fn iperf3_is_named_on_both_transports() {
    let (run, entries) = ports_json(&["5201"]);
    run.assert_code(0);
    assert!(has(&entries, 5201, "tcp", "iperf3"), "{entries:?}");
    assert!(has(&entries, 5201, "udp", "iperf3"), "{entries:?}");
}

#[test]
fn a_range_lists_every_entry_of_its_ports() {
    let (run, entries) = ports_json(&["1-1024"]);
    run.assert_code(0);
    assert!(has(&entries, 22, "tcp", "ssh"), "{entries:?}");
    assert!(has(&entries, 53, "udp", "dns"), "{entries:?}");
    assert!(has(&entries, 443, "tcp", "https"), "{entries:?}");
    assert!(
        entries
            .iter()
            .all(|e| e["port"].as_u64().is_some_and(|p| (1..=1024).contains(&p))),
        "{entries:?}"
    );

    let (run, tcp) = ports_json(&["1-1024/tcp"]);
    run.assert_code(0);
    assert!(tcp.iter().all(|e| e["transport"] == "tcp"), "{tcp:?}");
    assert_eq!(
        tcp.len(),
        entries.iter().filter(|e| e["transport"] == "tcp").count()
    );

    let run = portclass(&["ports", "--no-system-services", "20-23"]);
    run.assert_code(0);
    let text = run.stdout_text();
    assert!(text.contains("22/tcp") && text.contains("ssh"), "{text}");
}

#[test]
fn postgres_finds_postgresql_by_name_prefix_or_system_alias() {
    // The built-in entry is `postgresql`; no entry is called `postgres`, so
    // the names that start with it are listed.
    let (run, entries) = ports_json(&["postgres"]);
    run.assert_code(0);
    assert!(has(&entries, 5432, "tcp", "postgresql"), "{entries:?}");
    assert!(
        entries.iter().all(|e| e["service"]
            .as_str()
            .is_some_and(|s| s.starts_with("postgres"))),
        "{entries:?}"
    );
    let text = portclass(&["ports", "--no-system-services", "postgres"]).stdout_text();
    assert!(text.contains("5432/tcp"), "{text}");

    // With a services file that calls 5432/tcp `postgresql` with the alias
    // `postgres` (as Debian's does), the alias finds the built-in entry.
    let dir = tempfile::tempdir().expect("temp dir");
    let services = write_file(
        dir.path(),
        "services",
        b"postgresql\t5432/tcp\tpostgres\t# PostgreSQL Database\ndomain\t\t53/udp\n",
    );
    let run = portclass(&[
        "ports".as_ref(),
        "--system-services".as_ref(),
        services.as_os_str(),
        "-f".as_ref(),
        "json".as_ref(),
        "postgres".as_ref(),
        "domain/udp".as_ref(),
    ]);
    run.assert_code(0);
    let found: Vec<(u64, String)> = run
        .json()
        .as_array()
        .expect("array")
        .iter()
        .map(|e| (e["port"].as_u64().unwrap_or(0), e["service"].to_string()))
        .collect();
    assert_eq!(
        found,
        [
            (5432, "\"postgresql\"".to_owned()),
            (53, "\"dns\"".to_owned())
        ]
    );
}
