//! Port-scan detection on real scans: nmap SYN scans run from namespace B,
//! where `portclass live` captures, against real listeners in namespace A;
//! and busy but ordinary traffic from B that must not be reported at any
//! threshold.
//!
//! nmap only ever targets addresses of the pair's own /24, from inside
//! namespace B, which has no route anywhere else. Without nmap the scan tests
//! print a notice and pass (as every test here does without root).

use crate::common::netns::{Background, HTTP_GET, NetPair, Side, have_program, python};
use crate::common::*;
use crate::session::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;

/// Longest wait for a live run to have counted what it should before it is
/// stopped anyway (the assertions then say what is missing).
const SETTLE: Duration = Duration::from_secs(5);

/// Longest an nmap run may take (they take well under a second here).
const NMAP_TIMEOUT: Duration = Duration::from_secs(60);

/// Listens on every `ADDR:PORT` argument (IPv4), prints `ready`, then only
/// sleeps (at most 60 s; the test ends it): the kernel answers SYNs to an
/// open port, and nmap's half-open probes never make a connection to accept.
const LISTEN: &str = r#"# listen on ADDR:PORT...
import socket, sys, time
sockets = []
for arg in sys.argv[1:]:
    addr, port = arg.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    s.listen(64)
    sockets.append(s)
print("ready", flush=True)
time.sleep(60)
"#;

/// Serves `TCP_PORTS UDP_PORTS EXCHANGES` (ports comma-separated) on every
/// IPv4 address: a TCP connection is read to its end (the client shuts its
/// side down after the request), answered `re <request>` and closed; a UDP
/// datagram is answered `re <datagram>` from the port it came to. Prints
/// `ready` once listening; exits after EXCHANGES, or fails after 10 s idle.
const SERVE: &str = r#"# serve TCP_PORTS UDP_PORTS EXCHANGES
import selectors, socket, sys
tcp_ports = [int(p) for p in sys.argv[1].split(",")]
udp_ports = [int(p) for p in sys.argv[2].split(",")]
remaining = int(sys.argv[3])
sel = selectors.DefaultSelector()
for port in tcp_ports:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(64)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, "tcp")
for port in udp_ports:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("0.0.0.0", port))
    sel.register(u, selectors.EVENT_READ, "udp")
print("ready", flush=True)
while remaining > 0:
    events = sel.select(timeout=10)
    if not events:
        sys.exit("idle for 10 s with %d exchanges to go" % remaining)
    for key, _ in events:
        if key.data == "udp":
            data, peer = key.fileobj.recvfrom(2048)
            key.fileobj.sendto(b"re " + data, peer)
        else:
            c, _ = key.fileobj.accept()
            c.settimeout(5)
            request = b""
            while True:
                chunk = c.recv(4096)
                if not chunk:
                    break
                request += chunk
            c.sendall(b"re " + request)
            c.close()
        remaining -= 1
"#;

/// Client of [`SERVE`]: `KIND:ADDR:PORT:COUNT...` (KIND `tcp` or `udp`,
/// IPv4), in order. A TCP exchange connects, sends one request, shuts its
/// side down and reads the answer to the end: the last frame of the
/// connection is this side's ACK of the server's FIN, sent before the
/// client sees the end. A UDP exchange uses a new socket bound to a new
/// source port (51000, 51001, …), so every request starts a conversation of
/// its own, and waits for the answer. Any wrong or missing answer fails.
const CLIENT: &str = r#"# client KIND:ADDR:PORT:COUNT...
import socket, sys
udp_source = 51000
for target in sys.argv[1:]:
    kind, addr, port, count = target.split(":")
    port = int(port)
    for i in range(int(count)):
        request = b"GET /%s/%d/%d\n" % (kind.encode(), port, i)
        if kind == "tcp":
            c = socket.create_connection((addr, port), timeout=5)
            c.sendall(request)
            c.shutdown(socket.SHUT_WR)
            answer = b""
            while True:
                chunk = c.recv(4096)
                if not chunk:
                    break
                answer += chunk
            c.close()
        else:
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.settimeout(5)
            u.bind(("0.0.0.0", udp_source))
            udp_source += 1
            u.sendto(request, (addr, port))
            answer, peer = u.recvfrom(2048)
            assert peer == (addr, port), peer
            u.close()
        assert answer == b"re " + request, (target, i, answer)
"#;

/// Whether nmap can be run; prints the notice when not.
fn nmap_available() -> bool {
    let found = have_program("nmap");
    if !found {
        skipped("nmap is not installed");
    }
    found
}

/// Starts [`LISTEN`] in namespace A on `endpoints` and waits until it
/// listens.
fn listen(net: &NetPair, endpoints: &[String]) -> Background {
    let mut args = vec![python().to_string(), "-c".into(), LISTEN.into()];
    args.extend(endpoints.iter().cloned());
    let mut listener = net.spawn(Side::A, &args);
    listener.wait_for_stdout("`ready`", Duration::from_secs(5), |lines| {
        lines.iter().any(|l| l == "ready")
    });
    listener
}

/// Runs nmap in namespace B with `args` plus grepable output on standard
/// output (`-oG -`), requires success, and returns its `Host:` lines.
fn nmap(net: &NetPair, args: &[&str]) -> Vec<String> {
    let mut all = vec!["nmap"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-oG", "-"]);
    let done = net.run(Side::B, &all, NMAP_TIMEOUT);
    assert!(
        done.status.success(),
        "{}: {}; stdout:\n{}\nstderr:\n{}",
        done.command,
        done.status,
        done.stdout_text(),
        done.stderr
    );
    done.stdout_text()
        .lines()
        .filter(|l| l.starts_with("Host:") && l.contains("Ports:"))
        .map(str::to_string)
        .collect()
}

/// The open TCP ports in nmap's grepable `Host:` lines, as (host, port).
fn nmap_open(lines: &[String]) -> BTreeSet<(String, u16)> {
    let mut open = BTreeSet::new();
    for line in lines {
        let host = line
            .split_whitespace()
            .nth(1)
            .expect("Host: ADDRESS")
            .to_string();
        let ports = line.split("Ports:").nth(1).unwrap_or_default();
        for entry in ports.split(',') {
            let fields: Vec<&str> = entry.trim().split('/').collect();
            if fields.get(1) == Some(&"open") && fields.get(2) == Some(&"tcp") {
                let port = fields[0].parse().expect("port number");
                open.insert((host.clone(), port));
            }
        }
    }
    open
}

/// Waits (at most [`SETTLE`]) until the last interval line of `live`
/// satisfies `done`, then ends the run with SIGINT and returns its output.
/// Not getting there is no failure by itself: the run is stopped anyway and
/// the caller's assertions on the summary say what is missing.
pub(crate) fn stop_when(live: &mut Background, done: impl Fn(&Value) -> bool) -> LiveOutput {
    live.poll_stdout(SETTLE, |lines| {
        lines.last().is_some_and(|line| {
            serde_json::from_str::<Value>(line).is_ok_and(|v| v["type"] == "interval" && done(&v))
        })
    });
    live.signal("INT");
    finish(live)
}

/// The `scans.findings` of a summary or interval line.
fn findings(json: &Value) -> &Vec<Value> {
    json["scans"]["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no `scans.findings` array in {json}"))
}

/// Checks the parts of `scans` every run here shares: the settings the
/// run was given (`ports`, `hosts`: the thresholds), the 5-minute window,
/// nothing left untracked, evicted or dropped.
fn check_scan_report(json: &Value, ports: u64, hosts: u64) {
    let scans = &json["scans"];
    let settings = &scans["settings"];
    assert_eq!(settings["window_seconds"], 300.0, "window: {settings}");
    assert_eq!(u64_of(settings, "vertical_ports"), ports, "{settings}");
    assert_eq!(u64_of(settings, "horizontal_hosts"), hosts, "{settings}");
    for part in ["untracked_probes", "evicted_keys"] {
        for kind in ["vertical", "horizontal"] {
            assert_eq!(u64_of(&scans[part], kind), 0, "scans.{part}.{kind}");
        }
    }
    assert_eq!(
        u64_of(scans, "dropped_findings"),
        0,
        "scans.dropped_findings"
    );
}

/// Namespace B's TCP and UDP counters of frames on the wire, summed: every
/// segment and datagram B sent or received so far.
fn frames_counted(net: &NetPair) -> i64 {
    let snmp = net.snmp(Side::B);
    [
        "Tcp.InSegs",
        "Tcp.OutSegs",
        "Tcp.RetransSegs",
        "Udp.InDatagrams",
        "Udp.OutDatagrams",
        "Udp.NoPorts",
        "Udp.InErrors",
    ]
    .iter()
    .map(|k| snmp.get(*k).copied().unwrap_or(0))
    .sum()
}

#[test]
fn nmap_syn_scan_of_one_host_is_one_vertical_finding() {
    let Some(net) = NetPair::new() else { return };
    if !nmap_available() {
        return;
    }
    // Three open ports in the scanned range, one outside it.
    let open_in_range = [22u16, 80, 143];
    let scanned = 200u64;
    let mut endpoints: Vec<String> = open_in_range
        .iter()
        .map(|p| format!("0.0.0.0:{p}"))
        .collect();
    endpoints.push("0.0.0.0:443".into());
    let _listener = listen(&net, &endpoints);

    let args = ["--duration", "30", "--interval", "0.1"];
    let mut live = start_capturing(&net, &args);
    let mut no_scans = start_capturing(&net, &[&args[..], &["--no-scans"]].concat());

    let ports = format!("1-{scanned}");
    let hosts = nmap(
        &net,
        &[
            "-sS",
            "-Pn",
            "-n",
            "-T4",
            "--max-retries",
            "1",
            "-p",
            &ports,
            &net.v4_a,
        ],
    );
    let want_open: BTreeSet<(String, u16)> = open_in_range
        .iter()
        .map(|p| (net.v4_a.clone(), *p))
        .collect();
    assert_eq!(nmap_open(&hosts), want_open, "nmap's open ports: {hosts:?}");

    // Every probe answered (3 SYN+ACKs, 197 RSTs) once counted.
    let out = stop_when(&mut live, |line| {
        findings(line).iter().any(|f| {
            f["distinct"].as_u64() == Some(scanned)
                && f["open"].as_u64().zip(f["closed"].as_u64()) == Some((3, scanned - 3))
        })
    });
    let summary = &out.summary;
    check_summary(summary, &net.ns_b, None);
    check_scan_report(summary, 15, 25);
    let found = findings(summary);
    assert_eq!(found.len(), 1, "one finding: {found:#?}");
    let f = &found[0];
    assert_eq!(f["kind"], "vertical", "{f}");
    assert_eq!(f["transport"], "tcp", "{f}");
    assert_eq!(f["source"], net.v4_b.as_str(), "{f}");
    assert_eq!(f["target_host"], net.v4_a.as_str(), "{f}");
    assert!(f["target_port"].is_null(), "{f}");
    assert_eq!(u64_of(f, "distinct"), scanned, "distinct ports: {f}");
    assert_eq!(f["distinct_exact"], true, "{f}");
    let open = open_in_range.len() as u64;
    assert_eq!(u64_of(f, "open"), open, "open: {f}");
    assert_eq!(u64_of(f, "closed"), scanned - open, "closed: {f}");
    assert_eq!(u64_of(f, "unanswered"), 0, "unanswered: {f}");
    // The scan's probes are its failed ones; a retry from a new source port
    // would be a probe of its own, hence no equality. Every probe of the
    // capture is this scan's: the failed ones and one answered per open
    // port.
    let probes = u64_of(f, "probes");
    assert!(
        probes >= scanned - open,
        "{probes} failed probes for {scanned} ports, {open} open: {f}"
    );
    assert_eq!(
        u64_of(&summary["scans"], "probes"),
        probes + open,
        "scans.probes"
    );
    assert!(u64_of(f, "first_ns") <= u64_of(f, "last_ns"), "{f}");
    let evidence = &f["evidence"];
    assert_eq!(
        evidence["port_ranges"],
        serde_json::json!([[1, scanned]]),
        "{f}"
    );
    assert_eq!(
        evidence["open_ports"],
        serde_json::json!(open_in_range),
        "{f}"
    );
    assert_eq!(u64_of(evidence, "more_open"), 0, "{f}");
    assert_eq!(
        f["evidence_text"],
        format!("ports 1-{scanned}; open 22, 80, 143"),
        "{f}"
    );
    // The interval lines carry the same detector's state: the last one
    // (everything counted) has the summary's finding.
    let last = out.intervals.last().expect("interval lines");
    assert_eq!(findings(last), found, "last interval line's findings");

    // The same frames without scan detection: `scans` is null throughout.
    let tcp = category(summary, "tcp").0;
    let out = stop_when(&mut no_scans, |line| {
        line["totals"]["transport"]["tcp"]["packets"].as_u64() >= Some(tcp)
    });
    assert_eq!(
        category(&out.summary, "tcp").0,
        tcp,
        "--no-scans run's tcp frames"
    );
    assert!(
        out.summary["scans"].is_null(),
        "--no-scans: {}",
        out.summary["scans"]
    );
    for line in &out.intervals {
        assert!(
            line["scans"].is_null(),
            "--no-scans interval: {}",
            line["scans"]
        );
    }
}

#[test]
fn nmap_sweep_of_one_port_is_one_horizontal_finding_at_its_threshold() {
    let Some(net) = NetPair::new() else { return };
    if !nmap_available() {
        return;
    }
    // .10–.17 on A's veth (port 22 open on .11 and .15, closed on the
    // other six), .18–.19 nowhere (their SYNs go unanswered): 10 hosts
    // probed, 8 of them failed.
    let live_hosts: Vec<String> = (10..=17).map(|h| net.v4_host(h)).collect();
    let silent: Vec<String> = (18..=19).map(|h| net.v4_host(h)).collect();
    net.add_v4_addresses(Side::A, &live_hosts);
    net.add_silent_v4_neighbours(Side::B, &silent);
    let open_hosts = [net.v4_host(11), net.v4_host(15)];
    let _listener = listen(&net, &open_hosts.clone().map(|h| format!("{h}:22")));
    let (distinct, open, closed, unanswered) = (10u64, 2u64, 6u64, 2u64);
    let failed = closed + unanswered;

    // At the threshold (8 failed hosts) a finding; one above, none, though
    // 10 hosts were probed: only failed probes count.
    let base = ["--duration", "30", "--interval", "0.1"];
    let at = failed.to_string();
    let above = (failed + 1).to_string();
    let mut live = start_capturing(&net, &[&base[..], &["--scan-hosts", &at]].concat());
    let mut live_above = start_capturing(&net, &[&base[..], &["--scan-hosts", &above]].concat());

    let range = format!("{}-19", net.v4_host(10));
    let hosts = nmap(
        &net,
        &[
            "-sS",
            "-Pn",
            "-n",
            "-T4",
            "--send-ip",
            "--max-retries",
            "1",
            "-p",
            "22",
            &range,
        ],
    );
    let want_open: BTreeSet<(String, u16)> = open_hosts.iter().map(|h| (h.clone(), 22)).collect();
    assert_eq!(nmap_open(&hosts), want_open, "nmap's open hosts: {hosts:?}");

    let settled = |line: &Value| {
        line["scans"]["probes"].as_u64() >= Some(distinct)
            && findings(line)
                .iter()
                .any(|f| f["open"].as_u64().zip(f["closed"].as_u64()) == Some((open, closed)))
    };
    let out = stop_when(&mut live, settled);
    let summary = &out.summary;
    check_summary(summary, &net.ns_b, None);
    check_scan_report(summary, 15, failed);
    let found = findings(summary);
    assert_eq!(found.len(), 1, "one finding: {found:#?}");
    let f = &found[0];
    assert_eq!(f["kind"], "horizontal", "{f}");
    assert_eq!(f["transport"], "tcp", "{f}");
    assert_eq!(f["source"], net.v4_b.as_str(), "{f}");
    assert!(f["target_host"].is_null(), "{f}");
    assert_eq!(f["target_port"], 22, "{f}");
    assert_eq!(u64_of(f, "distinct"), distinct, "distinct hosts: {f}");
    assert_eq!(f["distinct_exact"], true, "{f}");
    assert_eq!(u64_of(f, "open"), open, "open: {f}");
    assert_eq!(u64_of(f, "closed"), closed, "closed: {f}");
    assert_eq!(u64_of(f, "unanswered"), unanswered, "unanswered: {f}");
    // nmap retries the silent hosts (from a new source port: new probes);
    // the answered probes (one per open host) are not the scan's.
    let probes = u64_of(f, "probes");
    assert!(
        probes >= failed,
        "{probes} failed probes of {failed} hosts: {f}"
    );
    let all_probes = u64_of(&summary["scans"], "probes");
    assert_eq!(all_probes, probes + open, "scans.probes");
    let evidence = &f["evidence"];
    assert_eq!(evidence["open_hosts"], serde_json::json!(open_hosts), "{f}");
    let probed: BTreeSet<String> = live_hosts.iter().chain(&silent).cloned().collect();
    for end in ["first_host", "last_host"] {
        let host = evidence[end].as_str().unwrap_or_default();
        assert!(
            probed.contains(host),
            "evidence.{end} {host} not probed: {f}"
        );
    }
    assert!(
        f["evidence_text"]
            .as_str()
            .is_some_and(|t| t.ends_with(&format!("; open {}, {}", open_hosts[0], open_hosts[1]))),
        "{f}"
    );

    let out = stop_when(&mut live_above, |line| {
        line["scans"]["probes"].as_u64() >= Some(all_probes)
    });
    check_scan_report(&out.summary, 15, failed + 1);
    assert_eq!(
        u64_of(&out.summary["scans"], "probes"),
        all_probes,
        "probes at --scan-hosts {above}"
    );
    assert!(
        findings(&out.summary).is_empty(),
        "--scan-hosts {above} with {failed} failed hosts: {:#?}",
        findings(&out.summary)
    );
}

#[test]
fn busy_successful_traffic_is_no_scan_at_any_threshold() {
    let Some(net) = NetPair::new() else { return };
    // One client (B) and one server namespace (A): 3 connections to each
    // of 20 ports, 30 to one more port, 2 to port 80 of each of 8 further
    // addresses of A, and 2 UDP request/answer exchanges with each of 12
    // ports, each from a new source port. Every probe succeeds.
    let tcp_ports: [u16; 20] = [
        21, 22, 25, 110, 143, 389, 587, 993, 995, 1433, 3306, 3389, 5432, 5672, 6379, 8080, 9000,
        9090, 9200, 11211,
    ];
    let udp_ports: [u16; 12] = [
        53, 69, 123, 161, 162, 514, 1812, 1813, 5060, 5353, 11211, 40000,
    ];
    let farm: Vec<String> = (10..=17).map(|h| net.v4_host(h)).collect();
    net.add_v4_addresses(Side::A, &farm);
    let mut targets: Vec<String> = tcp_ports
        .iter()
        .map(|p| format!("tcp:{}:{p}:3", net.v4_a))
        .collect();
    targets.push(format!("tcp:{}:443:30", net.v4_a));
    targets.extend(farm.iter().map(|h| format!("tcp:{h}:80:2")));
    targets.extend(udp_ports.iter().map(|p| format!("udp:{}:{p}:2", net.v4_a)));
    let tcp_connections = 3 * 20 + 30 + 2 * 8;
    let udp_requests = 2 * 12;
    let probes = (tcp_connections + udp_requests) as u64;

    let all_tcp: Vec<String> = tcp_ports
        .iter()
        .chain(&[443, 80])
        .map(u16::to_string)
        .collect();
    let all_udp: Vec<String> = udp_ports.iter().map(u16::to_string).collect();
    let mut server = net.spawn(
        Side::A,
        &[
            python(),
            "-c",
            SERVE,
            &all_tcp.join(","),
            &all_udp.join(","),
            &probes.to_string(),
        ],
    );
    server.wait_for_stdout("`ready`", Duration::from_secs(5), |lines| {
        lines.iter().any(|l| l == "ready")
    });

    // Default thresholds; lower ones (20 ports and 8 hosts were reached,
    // without a failure); and the lowest allowed, where two failed probes
    // would do.
    let thresholds: [(u64, u64); 3] = [(15, 25), (10, 5), (2, 2)];
    let base = [
        "--filter",
        "tcp or udp",
        "--duration",
        "30",
        "--interval",
        "0.1",
    ];
    let mut lives: Vec<Background> = thresholds
        .iter()
        .map(|(ports, hosts)| {
            let (ports, hosts) = (ports.to_string(), hosts.to_string());
            let extra = ["--scan-ports", &ports, "--scan-hosts", &hosts];
            start_capturing(&net, &[&base[..], &extra[..]].concat())
        })
        .collect();

    let before = frames_counted(&net);
    let mut client = vec![python().to_string(), "-c".into(), CLIENT.into()];
    client.extend(targets);
    net.run_ok(Side::B, &client);
    // The client's last frame of each exchange precedes its seeing the
    // exchange's end, so B's counters now hold every frame.
    let frames = u64::try_from(frames_counted(&net) - before).expect("counters only grow");
    let served = server.wait(Duration::from_secs(10));
    assert!(served.status.success(), "server: {}", served.stderr);

    for ((ports, hosts), live) in thresholds.iter().zip(&mut lives) {
        let what = format!("--scan-ports {ports} --scan-hosts {hosts}");
        let out = stop_when(live, |line| {
            line["totals"]["packets"].as_u64() >= Some(frames)
        });
        let summary = &out.summary;
        check_summary(summary, &net.ns_b, Some("tcp or udp"));
        assert_eq!(u64_of(summary, "packets"), frames, "{what}: packets");
        check_scan_report(summary, *ports, *hosts);
        assert_eq!(
            u64_of(&summary["scans"], "probes"),
            probes,
            "{what}: one probe per TCP connection and UDP request"
        );
        assert!(
            findings(summary).is_empty(),
            "{what}: findings in successful traffic: {:#?}",
            findings(summary)
        );
        for line in &out.intervals {
            assert!(
                findings(line).is_empty(),
                "{what}: findings in an interval line: {:#?}",
                findings(line)
            );
        }
    }
}

#[test]
fn nmap_udp_scan_from_source_port_53_is_found() {
    // `-g 53` makes the probes look like DNS replies to the static rule;
    // datagrams to ports below the client range still open conversations.
    let Some(net) = NetPair::new() else { return };
    if !nmap_available() {
        return;
    }
    let scanned = 41u64;
    let args = ["--duration", "30", "--interval", "0.1"];
    let mut live = start_capturing(&net, &args);
    nmap(
        &net,
        &[
            "-sU",
            "-g",
            "53",
            "-Pn",
            "-n",
            "-T4",
            "--max-retries",
            "0",
            "-p",
            "1000-1040",
            &net.v4_a,
        ],
    );
    let out = stop_when(&mut live, |line| {
        findings(line)
            .iter()
            .any(|f| f["distinct"].as_u64() == Some(scanned))
    });
    let found = findings(&out.summary);
    assert_eq!(found.len(), 1, "one finding: {found:#?}");
    let f = &found[0];
    assert_eq!(f["kind"], "vertical", "{f}");
    assert_eq!(f["transport"], "udp", "{f}");
    assert_eq!(f["source"], net.v4_b.as_str(), "{f}");
    assert_eq!(f["target_host"], net.v4_a.as_str(), "{f}");
    assert_eq!(u64_of(f, "distinct"), scanned, "{f}");
    // Closed UDP ports answer with ICMP port unreachable, which answers no
    // conversation: every port is unanswered.
    assert_eq!(u64_of(f, "unanswered"), scanned, "{f}");
    assert_eq!(
        f["evidence"]["port_ranges"],
        serde_json::json!([[1000, 1040]]),
        "{f}"
    );
}

/// The Prometheus endpoint under a scan of every port: the scan's 65,532
/// refused ports are one failed row (one series), the answered services
/// past the series budget go to `other`, and the summary says the same.
#[test]
fn a_full_port_range_scan_keeps_the_metrics_under_the_series_budget() {
    let Some(net) = NetPair::new() else { return };
    if !nmap_available() {
        return;
    }
    let open = [22u16, 80, 8080];
    let endpoints: Vec<String> = open.iter().map(|p| format!("0.0.0.0:{p}")).collect();
    let _listener = listen(&net, &endpoints);
    let address = "127.0.0.1:9466";
    let budget = 2;
    let mut live = start_capturing(
        &net,
        &[
            "--duration",
            "90",
            "--interval",
            "0.2",
            "--metrics",
            address,
            "--metrics-max-series",
            &budget.to_string(),
        ],
    );
    let hosts = nmap(
        &net,
        &[
            "-sS",
            "-Pn",
            "-n",
            "-T5",
            "--max-retries",
            "0",
            "--min-rate",
            "20000",
            "-p",
            "1-65535",
            &net.v4_a,
        ],
    );
    let want_open: BTreeSet<(String, u16)> = open.iter().map(|p| (net.v4_a.clone(), *p)).collect();
    assert_eq!(nmap_open(&hosts), want_open, "nmap's open ports: {hosts:?}");

    // Scrape until the failed row has the scan (every RST counted).
    let url = format!("http://{address}/metrics");
    let started = std::time::Instant::now();
    let text = loop {
        let got = net.run(Side::B, &[python(), "-c", HTTP_GET, &url], SETTLE);
        let text = got.stdout_text();
        let failed_line = text.lines().find(|l| {
            l.starts_with("portclass_service_packets_total{")
                && l.contains("service=\"failed\"")
                && l.contains("transport=\"tcp\"")
        });
        if failed_line
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<f64>().ok())
            .is_some_and(|v| v >= 2.0 * 65_532.0)
        {
            break text;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the failed row never held the scan; last scrape:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let series = |family: &str| {
        text.lines()
            .filter(|l| l.starts_with(&format!("{family}{{")))
            .count()
    };
    // Admitted services, the failed row(s), one other series.
    let services = series("portclass_service_bytes_total");
    assert!(
        services <= budget + 2 + 1,
        "{services} service series:\n{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("portclass_service_bytes_total{")
                && l.contains("service=\"other\"")),
        "no other series:\n{text}"
    );
    // Two directions per admitted server and for other.
    let servers = series("portclass_server_bytes_total");
    assert!(
        servers <= 2 * (budget + 1),
        "{servers} server series:\n{text}"
    );
    for family in [
        "portclass_host_bytes_total",
        "portclass_conversation_bytes_total",
    ] {
        let n = series(family);
        assert!(n <= 2 * (budget + 1), "{n} {family} series:\n{text}");
    }

    live.signal("INT");
    let out = finish(&mut live);
    let summary = &out.summary;
    let rows = summary["services"].as_array().expect("services");
    let named: BTreeSet<u64> = rows
        .iter()
        .filter(|r| r["failed"] != true && r["transport"] == "tcp")
        .map(|r| u64_of(r, "port"))
        .collect();
    assert_eq!(
        named,
        open.iter().map(|p| u64::from(*p)).collect(),
        "tcp rows: the open ports only"
    );
    let failed = rows
        .iter()
        .find(|r| r["failed"] == true && r["transport"] == "tcp")
        .expect("tcp failed row");
    assert_eq!(u64_of(&failed["attempted"], "ports"), 65_532, "{failed}");
}
