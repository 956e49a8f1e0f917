//! `--resolve`: names from the system's resolver for the addresses shown
//! that the traffic did not name. Each test runs portclass inside a network
//! namespace of its own with its own `/etc/hosts` and `/etc/resolv.conf`
//! (`ip netns exec` mounts them), so the real `getnameinfo` answers from a
//! hosts file the test wrote, or asks a DNS server inside the namespace;
//! nothing leaves it. Without root, each test says so and passes.

use crate::common::netns::{NetPair, Side, python};
use crate::common::{bin, fixture, read_json_file};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The names the test's hosts file gives: every address the traffic of
/// `names.pcapng` leaves unnamed but one (10.77.6.50, which stays without
/// a name), and one it names (10.77.6.10, whose name from the traffic
/// must win).
fn hosts_file(truth: &Value) -> (String, BTreeMap<String, String>) {
    let mut named = BTreeMap::new();
    for (i, entry) in truth["no_name"].as_array().unwrap().iter().enumerate() {
        let address = entry["address"].as_str().unwrap();
        if address != "10.77.6.50" {
            named.insert(address.to_string(), format!("h{i}.hosts.test"));
        }
    }
    let mut text = String::from("127.0.0.1 localhost\n");
    for (address, name) in &named {
        text += &format!("{address} {name}\n");
    }
    text += "10.77.6.10 decoy.hosts.test\n";
    (text, named)
}

/// `portclass ARGS` inside side B of `pair`, as JSON (fails the test on
/// anything but exit 0).
fn run_json(pair: &NetPair, args: &[&str]) -> Value {
    let mut command = vec![bin()];
    command.extend_from_slice(args);
    let done = pair.run(Side::B, &command, Duration::from_secs(60));
    let run = done.into_run();
    run.assert_code(0);
    run.json()
}

/// Every (address, name, source) a report document shows: servers, hosts
/// and both ends of conversations.
fn shown_names(doc: &Value) -> Vec<(String, Option<String>, Option<String>)> {
    let text = |v: &Value| v.as_str().map(str::to_string);
    let mut shown = Vec::new();
    for entry in doc["servers"]["entries"].as_array().unwrap() {
        let address = entry["address"].as_str().unwrap().to_string();
        shown.push((address, text(&entry["name"]), text(&entry["name_source"])));
    }
    let report = &doc["report"];
    for entry in report["hosts"]["entries"].as_array().unwrap() {
        let address = entry["address"].as_str().unwrap().to_string();
        shown.push((address, text(&entry["name"]), text(&entry["name_source"])));
    }
    for c in report["conversations"]["entries"].as_array().unwrap() {
        for end in ["client", "server"] {
            let address = c[end].as_str().unwrap().to_string();
            let name = text(&c[format!("{end}_name")]);
            let source = text(&c[format!("{end}_name_source")]);
            shown.push((address, name, source));
        }
    }
    shown
}

#[test]
fn unnamed_addresses_get_the_resolvers_name_and_learnt_names_win() {
    let Some(pair) = NetPair::new() else { return };
    let truth = read_json_file(&fixture("names.truth.json"));
    let (hosts, named) = hosts_file(&truth);
    pair.set_etc_file(Side::B, "hosts", &hosts);
    // Nothing listens on port 53 inside the namespace: a DNS question is
    // refused at once, so an address not in the hosts file has no name.
    pair.set_etc_file(Side::B, "resolv.conf", "nameserver 127.0.0.1\n");
    let capture = fixture("names.pcapng");
    let capture = capture.to_str().unwrap();
    let common = [
        "report",
        "--format",
        "json",
        "--no-system-services",
        capture,
    ];
    let plain = run_json(&pair, &common);
    let mut args = common.to_vec();
    args.push("--resolve");
    let resolved = run_json(&pair, &args);

    // Nothing else changes: the counts are those without --resolve.
    for key in ["packets", "bytes", "services", "transport"] {
        assert_eq!(plain[key], resolved[key], "{key}");
    }
    assert!(plain["names"].get("resolved").is_none());
    let before = shown_names(&plain);
    let after = shown_names(&resolved);
    assert_eq!(before.len(), after.len());
    let mut asked = std::collections::BTreeSet::new();
    for ((address, name, source), (_, new_name, new_source)) in before.iter().zip(&after) {
        if name.is_some() {
            // Learnt from the traffic: kept (10.77.6.10 keeps its DNS name,
            // not the hosts file's decoy).
            assert_eq!((name, source), (new_name, new_source), "{address}");
            continue;
        }
        asked.insert(address.clone());
        match named.get(address) {
            Some(expected) => {
                assert_eq!(new_name.as_deref(), Some(expected.as_str()), "{address}");
                assert_eq!(new_source.as_deref(), Some("rdns"), "{address}");
            }
            None => assert_eq!(new_name, &None, "{address} is in no hosts file"),
        }
    }
    assert!(
        asked.contains("10.77.6.2") && asked.contains("10.77.6.50"),
        "{asked:?}"
    );
    let stats = &resolved["names"]["resolved"];
    let shown_named = asked.iter().filter(|a| named.contains_key(*a)).count();
    assert_eq!(stats["asked"], asked.len(), "{stats}");
    assert_eq!(stats["named"], shown_named, "{stats}");
    assert_eq!(stats["no_name"], asked.len() - shown_named, "{stats}");
    assert_eq!(stats["unanswered"], 0, "{stats}");
    // The names section lists them beside those learnt, in address order.
    let entries = resolved["names"]["entries"].as_array().unwrap();
    let rdns: Vec<&str> = entries
        .iter()
        .filter(|e| e["source"] == "rdns")
        .map(|e| e["address"].as_str().unwrap())
        .collect();
    assert_eq!(rdns.len(), shown_named, "{entries:?}");
    let addresses: Vec<std::net::IpAddr> = entries
        .iter()
        .map(|e| e["address"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(addresses.is_sorted(), "{addresses:?}");

    // The table says what was looked up.
    let done = pair.run(
        Side::B,
        &[bin(), "read", "--no-system-services", "--resolve", capture],
        Duration::from_secs(60),
    );
    let text = done.into_run().assert_code(0).stdout_text();
    assert!(
        text.contains("Names learnt from the traffic and looked up")
            && text.contains("Reverse lookups (--resolve)")
            && text.contains("reverse lookup"),
        "{text}"
    );
}

/// A DNS server that reads every question and never answers.
const SILENT_DNS: &str = r#"
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
print("ready", flush=True)
s.settimeout(1.0)
end = time.time() + 120
while time.time() < end:
    try:
        s.recv(4096)
    except socket.timeout:
        pass
"#;

#[test]
fn a_resolver_that_never_answers_delays_the_output_by_the_wait_at_most() {
    let Some(pair) = NetPair::new() else { return };
    pair.set_etc_file(Side::B, "hosts", "127.0.0.1 localhost\n");
    // glibc would wait 30 s per try, three tries per address.
    pair.set_etc_file(
        Side::B,
        "resolv.conf",
        "nameserver 127.0.0.1\noptions timeout:30 attempts:3\n",
    );
    let mut dns = pair.spawn(Side::B, &[python(), "-c", SILENT_DNS]);
    assert!(
        dns.poll_stdout(Duration::from_secs(10), |lines| lines
            .iter()
            .any(|l| l == "ready")),
        "the silent DNS server did not start: {}",
        dns.stderr_so_far()
    );
    let capture = fixture("names.pcapng");
    let capture = capture.to_str().unwrap();
    let plain = run_json(
        &pair,
        &["read", "--format", "json", "--no-system-services", capture],
    );
    let started = Instant::now();
    let resolved = run_json(
        &pair,
        &[
            "read",
            "--format",
            "json",
            "--no-system-services",
            "--resolve",
            capture,
        ],
    );
    let took = started.elapsed();
    // The wait is 5 s; the lookups themselves would take minutes.
    assert!(took < Duration::from_secs(30), "took {took:?}");
    for key in ["packets", "bytes", "services", "servers", "transport"] {
        assert_eq!(plain[key], resolved[key], "{key}: counts lost");
    }
    let stats = &resolved["names"]["resolved"];
    let unnamed = plain["servers"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["name"].is_null())
        .count();
    assert!(unnamed > 0);
    assert_eq!(stats["asked"], unnamed, "{stats}");
    assert_eq!(stats["unanswered"], unnamed, "{stats}");
    assert_eq!(stats["named"], 0, "{stats}");
}
