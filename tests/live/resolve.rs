//! `live --resolve`: the capturing namespace's own `/etc/hosts` names the
//! server and the client of a real TCP connection; the names show while
//! the capture runs (the lookups never hold up a refresh) and in the
//! summary, marked as looked up (`rdns`), and `/metrics` says them in
//! `portclass_address_info`.

use crate::common::netns::{HTTP_GET, NetPair, Side, TCP_CLIENT, TCP_SERVER, python};
use crate::session::*;
use serde_json::Value;
use std::time::{Duration, Instant};

/// The name and source a JSON document gives `address` among its servers.
fn server_name(doc: &Value, address: &str) -> Option<(String, String)> {
    doc["servers"]["entries"]
        .as_array()?
        .iter()
        .find(|s| s["address"] == address)
        .map(|s| {
            (
                s["name"].as_str().unwrap_or("").to_string(),
                s["name_source"].as_str().unwrap_or("").to_string(),
            )
        })
}

#[test]
fn servers_and_clients_get_their_names_from_the_resolver_as_the_capture_runs() {
    let Some(net) = NetPair::new() else { return };
    net.set_etc_file(
        Side::B,
        "hosts",
        &format!(
            "127.0.0.1 localhost\n{} srv.hosts.test\n{} client.hosts.test\n",
            net.v4_b, net.v4_a
        ),
    );
    net.set_etc_file(Side::B, "resolv.conf", "nameserver 127.0.0.1\n");
    let mut server = net.spawn(Side::B, &[python(), "-c", TCP_SERVER, "8080", "1"]);
    server.wait_for_stdout("`ready`", Duration::from_secs(5), |lines| {
        lines.iter().any(|l| l == "ready")
    });
    let mut live = start_capturing(
        &net,
        &[
            "--resolve",
            "--filter",
            "tcp port 8080",
            "--duration",
            "30",
            "--interval",
            "0.5",
            "--metrics",
            "127.0.0.1:0",
        ],
    );
    net.run_ok(
        Side::A,
        &[python(), "-c", TCP_CLIENT, &net.v4_b, "8080", "1"],
    );
    // The names in /metrics: one info series per address named.
    let said = "portclass: serving Prometheus metrics at ";
    let stderr = live.stderr_so_far();
    let url = (stderr.lines())
        .find_map(|line| line.strip_prefix(said))
        .unwrap_or_else(|| panic!("no line {said:?} on stderr:\n{stderr}"))
        .to_string();
    let want = [
        format!(
            "portclass_address_info{{interface=\"{}\",address=\"{}\",name=\"srv.hosts.test\",name_source=\"rdns\"}} 1",
            net.ns_b, net.v4_b
        ),
        format!(
            "portclass_address_info{{interface=\"{}\",address=\"{}\",name=\"client.hosts.test\",name_source=\"rdns\"}} 1",
            net.ns_b, net.v4_a
        ),
    ];
    let start = Instant::now();
    loop {
        let got = net.run(Side::B, &[python(), "-c", HTTP_GET, &url], STOP_TIMEOUT);
        let text = got.stdout_text();
        if want.iter().all(|line| text.lines().any(|l| l == line)) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{want:?} not in /metrics after 10 s; last scrape:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    live.signal("INT");
    let out = finish(&mut live);

    let named = server_name(&out.summary, &net.v4_b);
    assert_eq!(
        named,
        Some(("srv.hosts.test".to_string(), "rdns".to_string())),
        "{}",
        out.summary
    );
    // The client, in the hosts and conversations of the summary.
    let hosts = out.summary["hosts"]["entries"].as_array().expect("hosts");
    let client = hosts
        .iter()
        .find(|h| h["address"] == net.v4_a.as_str())
        .expect("the client is a host");
    assert_eq!(client["name"], "client.hosts.test", "{client}");
    let resolved = &out.summary["names"]["resolved"];
    assert_eq!(resolved["unanswered"], 0, "{resolved}");
    assert!(resolved["named"].as_u64() >= Some(2), "{resolved}");
    // Shown before the end: an interval after the connection already has
    // the server's name.
    let during = out
        .intervals
        .iter()
        .filter_map(|line| server_name(line, &net.v4_b))
        .any(|(name, _)| name == "srv.hosts.test");
    assert!(
        during,
        "no interval named the server: {:?}",
        out.intervals.last()
    );
}
