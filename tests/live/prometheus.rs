//! A real Prometheus scraping `portclass live --metrics` inside namespace
//! B, while real traffic flows between the namespaces: what Prometheus
//! stores equals the final JSON summary, the README's PromQL queries give
//! the answers the traffic calls for, the series budget holds under an nmap
//! scan, and over `--metrics-web-config` Prometheus gets in with TLS and the
//! right password while plain HTTP and wrong passwords are kept out.
//!
//! Prometheus (Debian's `prometheus` package) listens on namespace B's
//! loopback, scrapes every second and keeps its storage in a temporary
//! directory; every wait on it polls its HTTP API with a deadline. Without
//! it (or nmap, for the scan) each test prints a notice and passes.

use crate::common::netns::{Background, NetPair, Side, have_program, python};
use crate::common::*;
use crate::session::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Where portclass serves its metrics, on namespace B's loopback.
const METRICS: &str = "127.0.0.1:9917";

/// Where Prometheus listens, on namespace B's loopback.
const PROMETHEUS: &str = "http://127.0.0.1:9090";

/// Longest wait for Prometheus to be ready or to have scraped what a test
/// waits for (it starts in well under a second and scrapes every second).
const PROMETHEUS_TIMEOUT: Duration = Duration::from_secs(20);

/// How often the waits ask again.
const POLL: Duration = Duration::from_millis(200);

/// Serves `TCP_PORTS UDP_PORTS` (comma-separated, either may be `-`) on
/// every IPv4 address of its namespace: a TCP connection is read to its end
/// and answered `re <request>`; a UDP datagram is answered `re <datagram>`.
/// Prints `ready` once listening; exits after 30 s without a client.
const SERVE: &str = r#"# serve TCP_PORTS UDP_PORTS
import selectors, socket, sys
ports = lambda arg: [] if arg == "-" else [int(p) for p in arg.split(",")]
sel = selectors.DefaultSelector()
for port in ports(sys.argv[1]):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(64)
    sel.register(s, selectors.EVENT_READ, "tcp")
for port in ports(sys.argv[2]):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("0.0.0.0", port))
    sel.register(u, selectors.EVENT_READ, "udp")
print("ready", flush=True)
while True:
    events = sel.select(timeout=30)
    if not events:
        sys.exit("idle for 30 s")
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
"#;

/// Client of [`SERVE`]: `KIND:ADDR:PORT:COUNT...` in order. `tcp` connects,
/// sends a request, shuts its side down and reads the answer to its end;
/// `udp` sends a datagram from a new socket (so a new conversation) and
/// waits for the answer; `refused` connects to a closed TCP port and
/// expects the refusal. Anything else fails.
const CLIENT: &str = r#"# client KIND:ADDR:PORT:COUNT...
import socket, sys
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
            assert answer == b"re " + request, (target, answer)
        elif kind == "udp":
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.settimeout(5)
            u.sendto(request, (addr, port))
            answer, peer = u.recvfrom(2048)
            u.close()
            assert answer == b"re " + request, (target, answer)
        elif kind == "refused":
            try:
                socket.create_connection((addr, port), timeout=5).close()
                sys.exit("%s: connected" % target)
            except ConnectionRefusedError:
                pass
        else:
            sys.exit("unknown kind " + kind)
"#;

/// `BASE PATH [NAME=VALUE...]`: GETs BASE+PATH with the parameters
/// URL-encoded and prints the body (an error status too: Prometheus says
/// what was wrong in it); exit 1 when there is no answer. No proxy.
const API_GET: &str = r#"# GET BASE PATH NAME=VALUE...
import sys, urllib.error, urllib.parse, urllib.request
base, path = sys.argv[1], sys.argv[2]
params = [tuple(a.split("=", 1)) for a in sys.argv[3:]]
url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    with opener.open(url, timeout=5) as r:
        sys.stdout.write(r.read().decode())
except urllib.error.HTTPError as e:
    sys.stdout.write(e.read().decode())
except Exception as e:
    sys.stderr.write(str(e))
    sys.exit(1)
"#;

/// `URL CAFILE [USER:PASSWORD]`: GETs URL over TLS trusting CAFILE (and
/// nothing else), with basic auth when given; prints the status and the
/// `WWW-Authenticate` header, or `error <why>` when there is no HTTP answer.
const HTTPS_STATUS: &str = r#"# https status URL CAFILE [USER:PASSWORD]
import base64, ssl, sys, urllib.error, urllib.request
context = ssl.create_default_context(cafile=sys.argv[2])
request = urllib.request.Request(sys.argv[1])
if len(sys.argv) > 3:
    request.add_header("Authorization", "Basic " + base64.b64encode(sys.argv[3].encode()).decode())
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
try:
    with opener.open(request, timeout=5) as r:
        print(r.status, r.headers.get("WWW-Authenticate"))
except urllib.error.HTTPError as e:
    print(e.code, e.headers.get("WWW-Authenticate"))
except Exception as e:
    print("error", e)
"#;

/// Whether Prometheus can be run; prints the notice when not.
fn prometheus_available() -> bool {
    let found = have_program("prometheus");
    if !found {
        skipped("prometheus is not installed (Debian's `prometheus` package; .ci/run installs it)");
    }
    found
}

/// A Prometheus server in namespace B, its configuration and storage in a
/// temporary directory; killed when dropped (and with the namespace).
struct Prometheus<'a> {
    net: &'a NetPair,
    process: Background,
    /// Holds the configuration and the storage; after `process` in the
    /// struct, so it is removed after Prometheus is gone.
    _dir: tempfile::TempDir,
}

impl<'a> Prometheus<'a> {
    /// Starts Prometheus with `scrape_configs` (YAML, the list's items
    /// indented by two spaces), scraping every second, files in `dir`, and
    /// waits until it is ready.
    fn start(net: &'a NetPair, dir: tempfile::TempDir, scrape_configs: &str) -> Prometheus<'a> {
        let config = dir.path().join("prometheus.yml");
        let text = format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n{scrape_configs}"
        );
        std::fs::write(&config, text).expect("write prometheus.yml");
        let storage = dir.path().join("data");
        let args = [
            "prometheus".to_string(),
            format!("--config.file={}", config.display()),
            format!("--storage.tsdb.path={}", storage.display()),
            format!(
                "--web.listen-address={}",
                PROMETHEUS.trim_start_matches("http://")
            ),
            "--log.level=warn".to_string(),
        ];
        let mut prometheus = Prometheus {
            net,
            process: net.spawn(Side::B, &args),
            _dir: dir,
        };
        prometheus.wait_for("readiness", |p| {
            p.get("/-/ready", &[])
                .is_ok_and(|body| body.contains("Ready"))
        });
        prometheus
    }

    /// The body of GET `path` with `params`, or why there is none.
    fn get(&self, path: &str, params: &[(&str, &str)]) -> Result<String, String> {
        let mut args = vec![
            python().to_string(),
            "-c".to_string(),
            API_GET.to_string(),
            PROMETHEUS.to_string(),
            path.to_string(),
        ];
        args.extend(params.iter().map(|(k, v)| format!("{k}={v}")));
        let done = self.net.run(Side::B, &args, Duration::from_secs(10));
        if done.status.success() {
            Ok(done.stdout_text())
        } else {
            Err(done.stderr)
        }
    }

    /// The `data` of an API call that must succeed.
    fn api(&self, path: &str, params: &[(&str, &str)]) -> Value {
        let body = self
            .get(path, params)
            .unwrap_or_else(|e| panic!("no answer from Prometheus to {path} {params:?}: {e}"));
        let json: Value = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("{path} {params:?}: not JSON ({e}): {body}"));
        assert_eq!(json["status"], "success", "{path} {params:?}: {json}");
        json["data"].clone()
    }

    /// The instant vector `query` gives now: each sample's labels and value.
    fn query(&self, query: &str) -> Vec<(BTreeMap<String, String>, f64)> {
        self.query_at(query, None)
    }

    /// The instant vector `query` gives at `time` (Unix seconds; now when
    /// `None`).
    fn query_at(&self, query: &str, time: Option<f64>) -> Vec<(BTreeMap<String, String>, f64)> {
        let time = time.map(|t| format!("{t:.3}"));
        let mut params = vec![("query", query)];
        if let Some(t) = &time {
            params.push(("time", t));
        }
        let data = self.api("/api/v1/query", &params);
        assert_eq!(data["resultType"], "vector", "{query}: {data}");
        data["result"]
            .as_array()
            .expect("result")
            .iter()
            .map(|sample| {
                let labels = sample["metric"]
                    .as_object()
                    .expect("metric")
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().expect("label").to_string()))
                    .collect();
                let value = sample["value"][1]
                    .as_str()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| panic!("{query}: bad value in {sample}"));
                (labels, value)
            })
            .collect()
    }

    /// `query` as a map from the value of label `by` to the sample's value.
    fn query_by(&self, query: &str, by: &str) -> BTreeMap<String, f64> {
        self.query(query)
            .into_iter()
            .map(|(labels, value)| (labels.get(by).cloned().unwrap_or_default(), value))
            .collect()
    }

    /// Polls until `done` holds; fails the test after
    /// [`PROMETHEUS_TIMEOUT`] or if Prometheus ends.
    fn wait_for(&mut self, what: &str, done: impl Fn(&Prometheus) -> bool) {
        let start = Instant::now();
        loop {
            if done(self) {
                return;
            }
            assert!(
                !self.process.has_exited(),
                "prometheus ended before {what}; stderr:\n{}",
                self.process.stderr_so_far()
            );
            assert!(
                start.elapsed() < PROMETHEUS_TIMEOUT,
                "prometheus: no {what} within {PROMETHEUS_TIMEOUT:?}; stderr:\n{}",
                self.process.stderr_so_far()
            );
            std::thread::sleep(POLL);
        }
    }

    /// Waits until Prometheus has scraped `job` at or after `after` (Unix
    /// seconds): a sample of `portclass_packets_total` stamped then.
    fn wait_for_scrape_after(&mut self, job: &str, after: f64) {
        let query = format!("timestamp(portclass_packets_total{{job=\"{job}\"}})");
        self.wait_for(&format!("scrape of {job} after {after:.3}"), |p| {
            p.query(&query).iter().any(|(_, t)| *t >= after)
        });
    }
}

/// The scrape configuration of one job scraping [`METRICS`] over HTTP.
fn plain_job(job: &str) -> String {
    format!("  - job_name: {job}\n    static_configs:\n      - targets: ['{METRICS}']\n")
}

/// Now, in Unix seconds.
fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs_f64()
}

/// Starts [`SERVE`] in namespace A and waits until it listens.
fn serve(net: &NetPair, tcp: &str, udp: &str) -> Background {
    let args = [python(), "-c", SERVE, tcp, udp];
    let mut server = net.spawn(Side::A, &args);
    server.wait_for_stdout("`ready`", Duration::from_secs(5), |lines| {
        lines.iter().any(|l| l == "ready")
    });
    server
}

/// Runs [`CLIENT`] in namespace B towards namespace A.
fn exchange(net: &NetPair, targets: &[(&str, u16, u64)]) {
    let mut args = vec![python().to_string(), "-c".into(), CLIENT.into()];
    args.extend(
        targets
            .iter()
            .map(|(kind, port, n)| format!("{kind}:{}:{port}:{n}", net.v4_a)),
    );
    net.run_ok(Side::B, &args);
}

/// Waits until `live` prints an interval line after the `seen` lines it had
/// printed when the traffic ended, with nothing counted in it: every frame
/// of the traffic is then in the totals published for the next scrape.
/// Returns when that happened, in Unix seconds.
fn wait_until_counted(live: &mut Background, seen: usize) -> f64 {
    let quiet = live.poll_stdout(Duration::from_secs(10), |lines| {
        lines.iter().skip(seen).any(|line| {
            serde_json::from_str::<Value>(line)
                .is_ok_and(|v| v["type"] == "interval" && v["interval"]["packets"] == 0)
        })
    });
    assert!(
        quiet,
        "{}: no quiet interval after the traffic; stderr:\n{}",
        live.command,
        live.stderr_so_far()
    );
    unix_now()
}

/// The Prometheus `service` label of a summary's service row: its name,
/// or its port when it has none (as `render/prometheus.rs` labels it).
fn service_label(row: &Value) -> String {
    match (&row["service"], &row["port"]) {
        (Value::String(name), _) => name.clone(),
        (_, Value::Number(port)) => port.to_string(),
        _ if row["failed"] == true => "failed".to_string(),
        _ => "dynamic".to_string(),
    }
}

/// A summary's bytes by service label (rows of one name summed, as `sum by
/// (service)` sums them).
fn summary_bytes_by_service(summary: &Value) -> BTreeMap<String, f64> {
    let mut bytes = BTreeMap::new();
    for row in summary["services"].as_array().expect("services") {
        *bytes.entry(service_label(row)).or_insert(0.0) += u64_of(row, "bytes") as f64;
    }
    bytes
}

/// The name of the service of `port` on `transport` in a summary.
fn name_of(summary: &Value, transport: &str, port: u64) -> String {
    summary["services"]
        .as_array()
        .expect("services")
        .iter()
        .find(|r| r["transport"] == transport && r["port"] == port)
        .map(service_label)
        .unwrap_or_else(|| panic!("no {port}/{transport} row in {}", summary["services"]))
}

/// The PromQL queries of the README's Prometheus section, in order: the
/// lines of its ```promql block that are not comments.
fn readme_queries() -> Vec<String> {
    let readme = std::fs::read_to_string(manifest_dir().join("README.md")).expect("README.md");
    let block = readme
        .split("```promql\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a ```promql block in README.md");
    block
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// Prometheus scrapes a live capture while real UDP exchanges, TCP
/// connections and refused attempts flow: `sum by (service)` of the
/// scraped bytes equals the final summary, and the README's three queries
/// (busiest services, new servers, failed attempts) answer what was sent.
#[test]
fn prometheus_stores_what_the_summary_says() {
    let Some(net) = NetPair::new() else { return };
    if !prometheus_available() {
        return;
    }
    let queries = readme_queries();
    assert_eq!(queries.len(), 3, "three queries in the README: {queries:?}");
    let _server = serve(&net, "22,80", "53");
    let mut live = start_capturing(&net, &["--interval", "0.2", "--metrics", METRICS]);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut prometheus = Prometheus::start(&net, dir, &plain_job("portclass"));

    // First, one of each but ssh, and a refused attempt: their series
    // exist before the bulk, so rates over the bulk see it whole.
    exchange(
        &net,
        &[("udp", 53, 1), ("tcp", 80, 1), ("refused", 5432, 1)],
    );
    prometheus.wait_for("the first services and servers", |p| {
        let services = p.query_by(
            "count by (service) (portclass_service_bytes_total)",
            "service",
        );
        let servers = p.query_by("count by (port) (portclass_server_bytes_total)", "port");
        services.len() >= 3 && servers.contains_key("53") && servers.contains_key("80")
    });
    // The bulk, and a server that was not there before: ssh.
    exchange(
        &net,
        &[
            ("udp", 53, 30),
            ("tcp", 80, 2),
            ("tcp", 22, 1),
            ("refused", 5432, 3),
        ],
    );
    let seen = live.stdout_lines().len();
    let counted = wait_until_counted(&mut live, seen);
    prometheus.wait_for_scrape_after("portclass", counted);

    let scraped = prometheus.query_by(
        "sum by (service) (portclass_service_bytes_total)",
        "service",
    );
    let busiest = prometheus.query(&queries[0]);
    // New servers: those without a sample a little before ssh's first one
    // (the README asks an hour back; here the test is seconds long).
    let ssh_first = prometheus.api(
        "/api/v1/query",
        &[(
            "query",
            "portclass_server_bytes_total{port=\"22\",direction=\"to_server\"}[5m]",
        )],
    )["result"][0]["values"][0][0]
        .as_f64()
        .expect("ssh's server series has samples");
    let now = unix_now();
    let back_ms = ((now - ssh_first) * 1000.0).ceil() as u64 + 500;
    assert!(queries[1].contains("offset 1h"), "{}", queries[1]);
    let new_servers = prometheus.query_at(
        &queries[1].replace("offset 1h", &format!("offset {back_ms}ms")),
        Some(now),
    );
    let failed = prometheus.query_by(&queries[2], "transport");

    live.signal("INT");
    let out = finish(&mut live);
    let summary = &out.summary;
    assert_eq!(
        scraped,
        summary_bytes_by_service(summary),
        "sum by (service) (portclass_service_bytes_total) in Prometheus (left) and the summary (right)"
    );

    // Busiest: the bulk's order (the services seen before it; ssh's series
    // came with all of its traffic, so its rate is zero).
    let (domain, http, ssh) = (
        name_of(summary, "udp", 53),
        name_of(summary, "tcp", 80),
        name_of(summary, "tcp", 22),
    );
    let mut ranked: Vec<(String, f64)> = busiest
        .iter()
        .map(|(labels, v)| (labels["service"].clone(), *v))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let order: Vec<&str> = ranked
        .iter()
        .map(|(s, _)| s.as_str())
        .filter(|s| *s != ssh)
        .collect();
    assert_eq!(
        order,
        [domain.as_str(), http.as_str(), "failed"],
        "{ranked:?}"
    );
    assert!(
        ranked
            .iter()
            .filter(|(s, _)| *s != ssh)
            .all(|(_, v)| *v > 0.0),
        "{ranked:?}"
    );

    // New servers: ssh's, and only it.
    let new: Vec<BTreeMap<String, String>> = new_servers.into_iter().map(|(l, _)| l).collect();
    let want = BTreeMap::from(
        [
            ("transport", "tcp"),
            ("address", net.v4_a.as_str()),
            ("port", "22"),
            ("service", ssh.as_str()),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    assert_eq!(new, [want], "new servers");

    // Failed attempts: TCP only, at a positive rate; and the failed row
    // holds the four refused attempts, two frames each.
    assert_eq!(failed.keys().collect::<Vec<_>>(), ["tcp"], "{failed:?}");
    assert!(failed["tcp"] > 0.0, "{failed:?}");
    let failed_row = summary["services"]
        .as_array()
        .expect("services")
        .iter()
        .find(|r| r["failed"] == true)
        .expect("a failed row");
    assert_eq!(u64_of(failed_row, "packets"), 8, "{failed_row}");
}

/// An nmap scan of many ports, five of them open, under
/// `--metrics-max-series 2`: Prometheus stores at most two admitted
/// series per family plus the `other` series that says the rest were
/// summed, and nothing is lost from the sums.
#[test]
fn prometheus_sees_the_series_budget_hold_under_a_scan() {
    let Some(net) = NetPair::new() else { return };
    if !prometheus_available() {
        return;
    }
    if !have_program("nmap") {
        skipped("nmap is not installed");
        return;
    }
    let open = "22,80,443,3306,8080";
    let _server = serve(&net, open, "-");
    let budget = 2;
    let mut live = start_capturing(
        &net,
        &[
            "--interval",
            "0.2",
            "--metrics",
            METRICS,
            "--metrics-max-series",
            &budget.to_string(),
        ],
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let mut prometheus = Prometheus::start(&net, dir, &plain_job("portclass"));
    let scan = net.run(
        Side::B,
        &[
            "nmap",
            "-sS",
            "-Pn",
            "-n",
            "-T5",
            "--max-retries",
            "0",
            "-p",
            "1-2000,3306,8080",
            &net.v4_a,
        ],
        Duration::from_secs(60),
    );
    assert!(
        scan.status.success(),
        "nmap: {}\n{}",
        scan.status,
        scan.stderr
    );
    let seen = live.stdout_lines().len();
    let counted = wait_until_counted(&mut live, seen);
    prometheus.wait_for_scrape_after("portclass", counted);

    let count = |family: &str| -> f64 {
        prometheus
            .query(&format!("count({family})"))
            .first()
            .map_or(0.0, |(_, v)| *v)
    };
    let services = prometheus.query_by("portclass_service_bytes_total", "service");
    let named: BTreeSet<&String> = services
        .keys()
        .filter(|s| !["other", "failed", "dynamic"].contains(&s.as_str()))
        .collect();
    assert_eq!(named.len(), budget, "admitted services: {services:?}");
    assert!(
        services.contains_key("other"),
        "no `other` series: {services:?}"
    );
    assert!(
        services.contains_key("failed"),
        "no `failed` series: {services:?}"
    );
    // Two directions of each admitted server and of `other`.
    assert_eq!(
        count("portclass_server_bytes_total"),
        (2 * (budget + 1)) as f64
    );
    let servers = prometheus.query_by("portclass_server_bytes_total", "address");
    assert!(servers.contains_key("other"), "{servers:?}");
    for family in [
        "portclass_host_bytes_total",
        "portclass_conversation_bytes_total",
    ] {
        let n = count(family);
        assert!(n <= (2 * (budget + 1)) as f64, "{n} series of {family}");
    }
    // The whole scrape stays small.
    let samples = prometheus.query("scrape_samples_scraped{job=\"portclass\"}");
    assert!(
        samples.iter().all(|(_, n)| *n < 200.0),
        "samples per scrape: {samples:?}"
    );
    let total = prometheus
        .query("sum(portclass_service_bytes_total)")
        .first()
        .map_or(0.0, |(_, v)| *v);

    live.signal("INT");
    let out = finish(&mut live);
    let summary_total: f64 = summary_bytes_by_service(&out.summary).values().sum();
    assert_eq!(total, summary_total, "all service bytes, `other` included");
    let rows = out.summary["services"].as_array().expect("services");
    let open_rows = rows
        .iter()
        .filter(|r| r["transport"] == "tcp" && r["failed"] != true)
        .count();
    assert_eq!(open_rows, 5, "the summary has every open port's row");
}

/// Over `--metrics-web-config` with TLS and a bcrypt user: Prometheus
/// scraping over https with the CA and the password gets the metrics
/// (`up == 1`, and the data equals the summary); plain http, no password
/// and a wrong password are refused (`up == 0`, with the reason in the
/// target's last error), as they are for a direct request.
#[test]
fn prometheus_scrapes_over_tls_with_basic_auth_and_nothing_else_gets_in() {
    let Some(net) = NetPair::new() else { return };
    if !prometheus_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .expect("a self-signed certificate");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        path
    };
    let ca = write("cert.pem", &certified.cert.pem());
    write("key.pem", &certified.signing_key.serialize_pem());
    let password = "correct horse battery staple";
    let hash = bcrypt::hash(password, 8).expect("bcrypt");
    // Relative paths: the file's directory.
    let web = write(
        "web.yml",
        &format!(
            "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\nbasic_auth_users:\n  prometheus: {hash}\n"
        ),
    );
    let _server = serve(&net, "-", "53");
    let web_arg = web.display().to_string();
    let mut live = start_capturing(
        &net,
        &[
            "--interval",
            "0.2",
            "--metrics",
            METRICS,
            "--metrics-web-config",
            &web_arg,
        ],
    );
    let said = format!("serving Prometheus metrics at https://{METRICS}/metrics");
    let start = Instant::now();
    while !live.stderr_so_far().contains(&said) {
        assert!(
            start.elapsed() < Duration::from_secs(5) && !live.has_exited(),
            "no {said:?} on stderr:\n{}",
            live.stderr_so_far()
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    // Direct requests first: a client of its own TLS stack (python's).
    let url = format!("https://{METRICS}/metrics");
    let direct = |credentials: Option<&str>| {
        let ca = ca.display().to_string();
        let mut args = vec![python(), "-c", HTTPS_STATUS, &url, &ca];
        args.extend(credentials);
        net.run_ok(Side::B, &args).stdout_text().trim().to_string()
    };
    assert_eq!(direct(Some(&format!("prometheus:{password}"))), "200 None");
    assert_eq!(direct(None), "401 Basic realm=\"portclass\"");
    assert_eq!(
        direct(Some("prometheus:wrong")),
        "401 Basic realm=\"portclass\""
    );

    let tls = |job: &str, auth: &str| {
        format!(
            "  - job_name: {job}\n    scheme: https\n    tls_config:\n      ca_file: {}\n{auth}    static_configs:\n      - targets: ['{METRICS}']\n",
            ca.display()
        )
    };
    let basic = |user: &str, password: &str| {
        format!("    basic_auth:\n      username: {user}\n      password: '{password}'\n")
    };
    let jobs = [
        tls("tls", &basic("prometheus", password)),
        tls("wrong_password", &basic("prometheus", "wrong")),
        tls("no_password", ""),
        plain_job("plain_http"),
    ]
    .concat();
    let pdir = tempfile::tempdir().expect("tempdir");
    let mut prometheus = Prometheus::start(&net, pdir, &jobs);

    exchange(&net, &[("udp", 53, 12)]);
    let seen = live.stdout_lines().len();
    let counted = wait_until_counted(&mut live, seen);
    prometheus.wait_for_scrape_after("tls", counted);
    // Every target scraped at least once.
    prometheus.wait_for("a scrape of every target", |p| {
        let targets = p.api("/api/v1/targets", &[]);
        let active = targets["activeTargets"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        active.len() == 4 && active.iter().all(|t| t["health"] != "unknown")
    });

    let up = prometheus.query_by("up", "job");
    let want: BTreeMap<String, f64> = [
        ("tls", 1.0),
        ("wrong_password", 0.0),
        ("no_password", 0.0),
        ("plain_http", 0.0),
    ]
    .map(|(k, v)| (k.to_string(), v))
    .into();
    assert_eq!(up, want, "up by job");
    let targets = prometheus.api("/api/v1/targets", &[]);
    let last_error = |job: &str| -> String {
        targets["activeTargets"]
            .as_array()
            .expect("activeTargets")
            .iter()
            .find(|t| t["labels"]["job"] == job)
            .map(|t| t["lastError"].as_str().unwrap_or_default().to_string())
            .unwrap_or_default()
    };
    for job in ["wrong_password", "no_password"] {
        let error = last_error(job);
        assert!(error.contains("401"), "{job}: {error}");
    }
    let error = last_error("plain_http");
    assert!(error.contains("400"), "plain_http: {error}");
    assert_eq!(last_error("tls"), "");
    let scraped = prometheus
        .query("sum(portclass_service_bytes_total{job=\"tls\"})")
        .first()
        .map_or(0.0, |(_, v)| *v);
    let others = prometheus.query("portclass_packets_total{job!=\"tls\"}");
    assert!(others.is_empty(), "data from a refused job: {others:?}");

    live.signal("INT");
    let out = finish(&mut live);
    let domain = name_of(&out.summary, "udp", 53);
    let bytes = summary_bytes_by_service(&out.summary);
    assert_eq!(bytes.keys().collect::<Vec<_>>(), [&domain], "{bytes:?}");
    assert_eq!(
        scraped, bytes[&domain],
        "bytes scraped over TLS and in the summary"
    );
}
