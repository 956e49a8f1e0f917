//! `--format parquet --out DIR`: the tables read back by a real engine,
//! DuckDB (PyPI: duckdb; `.ci/run` installs it into a venv and names its
//! python in PORTCLASS_PYTHON), through tests/parquet/run-sql.py, one
//! python process per batch of queries. SQL totals over the tables of every
//! fixture and every corpus capture (../shared/corpus, when present) must
//! equal the figures of `read --format json`, and `merge` of N summaries
//! must equal a `GROUP BY` over the N Parquet outputs. Skipped with a
//! notice without duckdb.

use crate::common::{
    fixture, fixture_files, manifest_dir, portclass, python_helper, read_json_file, skipped,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Rows of one query, each a list of values.
type Rows = Vec<Vec<Value>>;

/// Runs every query of `queries` (name → SQL) in one DuckDB process; `None`
/// (after a notice) when duckdb is not installed for the python used.
fn duckdb(queries: &BTreeMap<String, String>, scratch: &Path) -> Option<BTreeMap<String, Rows>> {
    let file = scratch.join("queries.json");
    std::fs::write(&file, serde_json::to_vec(queries).unwrap()).unwrap();
    let out = python_helper("parquet/run-sql.py", &[&file], "duckdb")?;
    Some(serde_json::from_slice(&out).unwrap_or_else(|e| panic!("run-sql.py: not JSON: {e}")))
}

/// A path as an SQL string literal.
fn sql_path(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', "''"))
}

/// A list of table files as an SQL list for `read_parquet`.
fn sql_files(dirs: &[PathBuf], table: &str) -> String {
    let files: Vec<String> = dirs
        .iter()
        .map(|d| sql_path(&d.join(format!("{table}.parquet"))))
        .collect();
    format!("[{}]", files.join(", "))
}

/// A value as a key part: text as is, null as `-`.
fn part(value: &Value) -> String {
    match value {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The key of a service row: tunnel/transport/port/failed.
fn service_key(row: &Value) -> String {
    format!(
        "{}/{}/{}/{}",
        part(&row["tunnel"]),
        part(&row["transport"]),
        part(&row["port"]),
        row["failed"].as_bool().unwrap_or(false)
    )
}

/// A service row of the JSON as the SQL below selects it (after the key):
/// service, packets, bytes, and packets per method (`identified_by`, the
/// method behind most packets, is not additive: a row of its own).
fn service_figures(row: &Value) -> Vec<Value> {
    let identified = &row["identified"];
    vec![
        row["service"].clone(),
        row["packets"].clone(),
        row["bytes"].clone(),
        identified["handshake"].clone(),
        identified["port_database"].clone(),
        identified["heuristic"].clone(),
        identified["related"].clone(),
    ]
}

/// The number of distinct service rows (a read's are split by time
/// bucket, a summary's are not).
const ROWS: &str = "count(DISTINCT (tunnel, transport, port, failed))";

/// Per service row (grouped over inputs): key, then the summed figures.
const SERVICES_SUMS: &str = "any_value(service), \
     sum(packets), sum(bytes), sum(handshake_packets), sum(port_database_packets), \
     sum(heuristic_packets), sum(related_packets)";

/// The service rows of `json` by key.
fn json_services(json: &Value) -> BTreeMap<String, Vec<Value>> {
    json["services"]
        .as_array()
        .expect("services")
        .iter()
        .map(|row| (service_key(row), service_figures(row)))
        .collect()
}

/// SQL rows whose first `keys` columns are tunnel, transport, port, failed
/// (after `skip` leading columns), by service key.
fn sql_services(rows: &Rows, skip: usize) -> BTreeMap<String, Vec<Value>> {
    rows.iter()
        .map(|row| {
            let key = format!(
                "{}/{}/{}/{}",
                part(&row[skip]),
                part(&row[skip + 1]),
                part(&row[skip + 2]),
                row[skip + 3].as_bool().unwrap_or(false)
            );
            (key, row[skip + 4..].to_vec())
        })
        .collect()
}

/// The ports of `json` by tunnel/transport/port: src and dst counters.
fn json_ports(json: &Value) -> BTreeMap<String, Vec<Value>> {
    json["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .map(|p| {
            let key = format!(
                "{}/{}/{}",
                part(&p["tunnel"]),
                part(&p["transport"]),
                part(&p["port"])
            );
            let figures = ["src_packets", "src_bytes", "dst_packets", "dst_bytes"]
                .map(|f| p[f].clone())
                .to_vec();
            (key, figures)
        })
        .collect()
}

/// SQL rows of tunnel, transport, port and the four counters (after
/// `skip` leading columns), by key.
fn sql_ports(rows: &Rows, skip: usize) -> BTreeMap<String, Vec<Value>> {
    rows.iter()
        .map(|row| {
            let key = format!(
                "{}/{}/{}",
                part(&row[skip]),
                part(&row[skip + 1]),
                part(&row[skip + 2])
            );
            (key, row[skip + 3..].to_vec())
        })
        .collect()
}

/// Fails with the first rows that differ.
fn assert_same(
    what: &str,
    sql: &BTreeMap<String, Vec<Value>>,
    json: &BTreeMap<String, Vec<Value>>,
) {
    if sql == json {
        return;
    }
    let mut differences = Vec::new();
    for key in sql.keys().chain(json.keys()) {
        let (a, b) = (sql.get(key), json.get(key));
        if a != b && differences.len() < 8 {
            differences.push(format!("  {key}: parquet {a:?}, json {b:?}"));
        }
    }
    differences.dedup();
    panic!(
        "{what}: the Parquet tables differ from the JSON:\n{}",
        differences.join("\n")
    );
}

/// `read --format parquet --out DIR FILES...` (exit status 0, 1 or 2 as
/// the inputs call for: damaged captures are part of the corpus).
fn read_parquet(files: &[PathBuf], dir: &Path) {
    let mut args: Vec<OsString> = vec![
        "read".into(),
        "--no-system-services".into(),
        "--format".into(),
        "parquet".into(),
        "--out".into(),
        dir.into(),
    ];
    args.extend(files.iter().map(|f| f.clone().into_os_string()));
    let run = portclass(&args);
    assert!(
        dir.join("services.parquet").is_file(),
        "{}: no services.parquet; stderr:\n{}",
        run.command,
        run.stderr
    );
}

/// `read --format json FILE` into `out` (any exit status).
fn read_json_to(files: &[PathBuf], out: &Path) -> Value {
    let mut args: Vec<OsString> = vec![
        "read".into(),
        "--no-system-services".into(),
        "--format".into(),
        "json".into(),
        "--out".into(),
        out.into(),
    ];
    args.extend(files.iter().map(|f| f.clone().into_os_string()));
    portclass(&args);
    read_json_file(out)
}

/// Every corpus capture, or `None` (after a notice) without ../shared.
fn corpus_files() -> Option<Vec<PathBuf>> {
    let dir = manifest_dir().join("../shared/corpus");
    if !dir.join("expected").is_dir() {
        skipped(format_args!(
            "{} not found (a clone without ../shared beside it): fixtures only",
            dir.display()
        ));
        return None;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x != "md"))
        .collect();
    files.sort();
    Some(files)
}

/// `work` on every file, three at a time (the runs wait on the disk and
/// on starting a process as much as on a CPU); results in order.
fn each_file<T: Send>(files: &[PathBuf], work: impl Fn(usize, &PathBuf) -> T + Sync) -> Vec<T> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<(usize, T)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..3)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(file) = files.get(i) else {
                            return done;
                        };
                        done.push((i, work(i, file)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker"))
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// One group of captures read together into one Parquet directory, and
/// each read alone as JSON.
struct Batch {
    name: &'static str,
    files: Vec<PathBuf>,
    dir: PathBuf,
    /// Each file's own JSON, in order.
    alone: Vec<Value>,
    /// The JSON of reading them all together.
    together: Value,
}

impl Batch {
    fn read(name: &'static str, files: Vec<PathBuf>, scratch: &Path) -> Batch {
        let dir = scratch.join(name);
        read_parquet(&files, &dir);
        let alone = each_file(&files, |i, file| {
            read_json_to(
                std::slice::from_ref(file),
                &scratch.join(format!("{name}-{i}.json")),
            )
        });
        let together = read_json_to(&files, &scratch.join(format!("{name}.json")));
        Batch {
            name,
            files,
            dir,
            alone,
            together,
        }
    }

    /// This batch's queries, named `<batch>.<what>`.
    fn queries(&self, queries: &mut BTreeMap<String, String>) {
        let table = |t: &str| {
            format!(
                "read_parquet({})",
                sql_path(&self.dir.join(format!("{t}.parquet")))
            )
        };
        let name = |what: &str| format!("{}.{what}", self.name);
        queries.insert(
            name("services"),
            format!(
                "SELECT input, tunnel, transport, port, failed, {SERVICES_SUMS} FROM {} \
                 GROUP BY ALL",
                table("services")
            ),
        );
        queries.insert(
            name("identified_by"),
            format!(
                "SELECT input, tunnel, transport, port, failed, identified_by FROM {}",
                table("services")
            ),
        );
        queries.insert(
            name("services_total"),
            format!(
                "SELECT tunnel, transport, port, failed, {SERVICES_SUMS} FROM {} GROUP BY ALL",
                table("services")
            ),
        );
        queries.insert(
            name("ports"),
            format!(
                "SELECT input, tunnel, transport, port, sum(src_packets), sum(src_bytes), \
                 sum(dst_packets), sum(dst_bytes) FROM {} GROUP BY ALL",
                table("ports")
            ),
        );
        queries.insert(
            name("ports_total"),
            format!(
                "SELECT tunnel, transport, port, sum(src_packets), sum(src_bytes), \
                 sum(dst_packets), sum(dst_bytes) FROM {} GROUP BY ALL",
                table("ports")
            ),
        );
        queries.insert(
            name("inputs"),
            format!(
                "SELECT input, status, packets, bytes, first_ns, last_ns, link_types, \
                 epoch_us(first_timestamp), epoch_us(last_timestamp) FROM {}",
                table("inputs")
            ),
        );
        queries.insert(
            name("servers"),
            format!(
                "SELECT address, transport, port, to_server_packets, to_server_bytes, \
                 from_server_packets, from_server_bytes, conversations, clients, exact FROM {}",
                table("servers")
            ),
        );
        queries.insert(
            name("metadata"),
            format!(
                "SELECT file_name, key::VARCHAR, value::VARCHAR FROM parquet_kv_metadata({}) \
                 WHERE key::VARCHAR LIKE 'portclass.%'",
                sql_path(&self.dir.join("*.parquet"))
            ),
        );
    }

    fn check(&self, results: &BTreeMap<String, Rows>) {
        let rows = |what: &str| &results[&format!("{}.{what}", self.name)];
        // Each input's rows are its own read's.
        for (file, json) in self.files.iter().zip(&self.alone) {
            let input = file.display().to_string();
            let mine = |what: &str| -> Rows {
                rows(what)
                    .iter()
                    .filter(|r| r[0] == Value::String(input.clone()))
                    .cloned()
                    .collect()
            };
            let what = format!("{input} services");
            assert_same(
                &what,
                &sql_services(&mine("services"), 1),
                &json_services(json),
            );
            let what = format!("{input} identified_by");
            let by: BTreeMap<String, Vec<Value>> = json["services"]
                .as_array()
                .expect("services")
                .iter()
                .map(|row| (service_key(row), vec![row["identified_by"].clone()]))
                .collect();
            assert_same(&what, &sql_services(&mine("identified_by"), 1), &by);
            let what = format!("{input} ports");
            assert_same(&what, &sql_ports(&mine("ports"), 1), &json_ports(json));
            let mut inputs = mine("inputs");
            // The timestamp columns hold the same times, in microseconds.
            for row in &mut inputs {
                let us = row.split_off(7);
                for (us, ns) in us.iter().zip(&row[4..6]) {
                    let (us, ns) = (us.as_i64(), ns.as_i64());
                    let same = match (us, ns) {
                        (Some(us), Some(ns)) => us == ns.div_euclid(1000),
                        (None, None) => true,
                        _ => false,
                    };
                    assert!(same, "{input}: timestamp {us:?} µs, {ns:?} ns");
                }
            }
            let j = &json["inputs"][0];
            let links: Vec<Value> = j["link_types"]
                .as_array()
                .expect("link_types")
                .iter()
                .map(|l| l["name"].clone())
                .collect();
            assert_eq!(
                inputs,
                vec![vec![
                    json!(input),
                    j["status"].clone(),
                    j["packets"].clone(),
                    j["bytes"].clone(),
                    j["first_timestamp_ns"].clone(),
                    j["last_timestamp_ns"].clone(),
                    Value::Array(links),
                ]],
                "{input}: inputs.parquet"
            );
            // The rule the README states: the rows sum to the frames with
            // ports plus the attributed fragments.
            let summed: u64 = mine("services")
                .iter()
                .map(|r| r[6].as_u64().expect("packets"))
                .sum();
            let with_ports: u64 = ["tcp", "udp", "sctp"]
                .iter()
                .map(|t| json["transport"][t]["packets"].as_u64().expect("packets"))
                .sum::<u64>()
                + json["fragments"]["attributed"]["packets"]
                    .as_u64()
                    .expect("attributed");
            assert_eq!(summed, with_ports, "{input}: service packets");
        }
        // The run's totals over every input.
        let what = format!("{}: services over all inputs", self.name);
        let together = &self.together;
        assert_same(
            &what,
            &sql_services(rows("services_total"), 0),
            &json_services(together),
        );
        let what = format!("{}: ports over all inputs", self.name);
        assert_same(
            &what,
            &sql_ports(rows("ports_total"), 0),
            &json_ports(together),
        );
        // The server inventory is the run's.
        let servers = together["servers"]["entries"].as_array().expect("servers");
        let expected: Rows = servers
            .iter()
            .map(|s| {
                let mut row: Vec<Value> = [
                    "address",
                    "transport",
                    "port",
                    "to_server_packets",
                    "to_server_bytes",
                    "from_server_packets",
                    "from_server_bytes",
                    "conversations",
                    "clients",
                ]
                .iter()
                .map(|f| s[f].clone())
                .collect();
                row.push(together["servers"]["exact"].clone());
                row
            })
            .collect();
        assert_eq!(rows("servers"), &expected, "{}: servers.parquet", self.name);
        // Every table says its layout version.
        let versions: Vec<&Rows> = vec![rows("metadata")];
        let tables = ["services", "ports", "servers", "inputs"];
        for table in tables {
            let file = self
                .dir
                .join(format!("{table}.parquet"))
                .display()
                .to_string();
            let has = |key: &str, value: &str| {
                versions[0]
                    .iter()
                    .any(|r| r[0] == Value::String(file.clone()) && r[1] == key && r[2] == value)
            };
            assert!(
                has("portclass.schema_version", "portclass.parquet/2")
                    && has("portclass.table", table)
                    && has("portclass.version", env!("CARGO_PKG_VERSION")),
                "{file}: metadata {:?}",
                versions[0]
            );
        }
    }
}

/// Fixtures with tshark's figures (every capture the fixture tests check).
fn checked_fixtures() -> Vec<PathBuf> {
    fixture_files()
        .into_iter()
        .filter(|f| {
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            fixture("expected").join(format!("{name}.json")).is_file()
        })
        .collect()
}

#[test]
fn sql_over_the_tables_of_every_fixture_and_corpus_capture_equals_the_json() {
    let scratch = tempfile::tempdir().expect("temporary directory");
    let fixtures = checked_fixtures();
    assert!(fixtures.len() >= 40, "{fixtures:?}");
    let mut batches = vec![Batch::read("fixtures", fixtures, scratch.path())];
    if let Some(corpus) = corpus_files() {
        batches.push(Batch::read("corpus", corpus, scratch.path()));
    }
    let mut queries = BTreeMap::new();
    for batch in &batches {
        batch.queries(&mut queries);
    }
    let Some(results) = duckdb(&queries, scratch.path()) else {
        return;
    };
    for batch in &batches {
        batch.check(&results);
    }
}

/// `merge` of N read summaries equals a GROUP BY over the N Parquet
/// outputs of those reads; `merge --format parquet` and `report --format
/// parquet` hold the same rows, the report's with their directions.
#[test]
fn merge_equals_a_group_by_over_the_parquet_of_each_read() {
    let scratch = tempfile::tempdir().expect("temporary directory");
    let scratch = scratch.path();
    let files: Vec<PathBuf> = [
        "busy-traffic.pcapng",
        "names.pcapng",
        "diff-before.pcapng",
        "diff-after.pcapng",
        "ftp-tftp.pcapng",
        "fragments.pcap",
    ]
    .iter()
    .map(|f| fixture(f))
    .collect();
    let mut summaries = Vec::new();
    let mut dirs = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let dir = scratch.join(format!("read-{i}"));
        read_parquet(std::slice::from_ref(file), &dir);
        let summary = scratch.join(format!("read-{i}.json"));
        read_json_to(std::slice::from_ref(file), &summary);
        summaries.push(summary);
        dirs.push(dir);
    }
    let merged_path = scratch.join("merged.json");
    let mut args: Vec<OsString> = vec![
        "merge".into(),
        "--no-system-services".into(),
        "--out".into(),
        merged_path.clone().into(),
    ];
    args.extend(summaries.iter().map(|s| s.clone().into_os_string()));
    portclass(&args).assert_code(0);
    let merged = read_json_file(&merged_path);
    let merged_dir = scratch.join("merged");
    let mut args: Vec<OsString> = vec![
        "merge".into(),
        "--no-system-services".into(),
        "--format".into(),
        "parquet".into(),
        "--out".into(),
        merged_dir.clone().into(),
    ];
    args.extend(summaries.iter().map(|s| s.clone().into_os_string()));
    portclass(&args).assert_code(0);
    // The report of the captures themselves, in both formats.
    let report_dir = scratch.join("report");
    let mut args: Vec<OsString> = vec![
        "report".into(),
        "--no-system-services".into(),
        "--format".into(),
        "parquet".into(),
        "--out".into(),
        report_dir.clone().into(),
    ];
    args.extend(files.iter().map(|f| f.clone().into_os_string()));
    portclass(&args).assert_code(0);
    args[3] = "json".into();
    args[4] = "--out".into();
    let report_json = scratch.join("report.json");
    args[5] = report_json.clone().into();
    portclass(&args).assert_code(0);
    let report = read_json_file(&report_json);

    let key = "tunnel, transport, port, failed";
    let mut queries = BTreeMap::new();
    let services = |files: String| {
        format!("SELECT {key}, {SERVICES_SUMS} FROM read_parquet({files}) GROUP BY ALL")
    };
    queries.insert("reads".to_owned(), services(sql_files(&dirs, "services")));
    queries.insert(
        "merge".to_owned(),
        services(sql_files(std::slice::from_ref(&merged_dir), "services")),
    );
    queries.insert(
        "report".to_owned(),
        services(sql_files(std::slice::from_ref(&report_dir), "services")),
    );
    let ports = |files: String| {
        format!(
            "SELECT tunnel, transport, port, sum(src_packets), sum(src_bytes), \
             sum(dst_packets), sum(dst_bytes) FROM read_parquet({files}) GROUP BY ALL"
        )
    };
    queries.insert("reads_ports".to_owned(), ports(sql_files(&dirs, "ports")));
    queries.insert(
        "merge_ports".to_owned(),
        ports(sql_files(std::slice::from_ref(&merged_dir), "ports")),
    );
    queries.insert(
        "report_directions".to_owned(),
        format!(
            "SELECT {key}, sum(to_server_packets), sum(to_server_bytes), \
             sum(to_client_packets), sum(to_client_bytes) FROM read_parquet({}) GROUP BY ALL",
            sql_files(std::slice::from_ref(&report_dir), "services")
        ),
    );
    queries.insert(
        "merge_inputs".to_owned(),
        format!(
            "SELECT input, packets, bytes FROM read_parquet({}) ORDER BY input",
            sql_files(std::slice::from_ref(&merged_dir), "inputs")
        ),
    );
    queries.insert(
        "merge_rows_by_input".to_owned(),
        format!(
            "SELECT input, {ROWS}, sum(bytes) FROM read_parquet({}) GROUP BY ALL ORDER BY input",
            sql_files(std::slice::from_ref(&merged_dir), "services")
        ),
    );
    queries.insert(
        "reads_rows_by_input".to_owned(),
        format!(
            "SELECT input, {ROWS}, sum(bytes) FROM read_parquet({}) GROUP BY ALL ORDER BY input",
            sql_files(&dirs, "services")
        ),
    );
    queries.insert(
        "report_hosts".to_owned(),
        format!(
            "SELECT address, sent_packets, sent_bytes, received_packets, received_bytes, exact \
             FROM read_parquet({})",
            sql_files(std::slice::from_ref(&report_dir), "hosts")
        ),
    );
    queries.insert(
        "report_conversations".to_owned(),
        format!(
            "SELECT count(*), sum(to_server_bytes + to_client_bytes) FROM read_parquet({})",
            sql_files(std::slice::from_ref(&report_dir), "conversations")
        ),
    );
    let Some(results) = duckdb(&queries, scratch) else {
        return;
    };
    let merged_services = json_services(&merged);
    assert_same(
        "GROUP BY over the reads",
        &sql_services(&results["reads"], 0),
        &merged_services,
    );
    assert_same(
        "merge --format parquet",
        &sql_services(&results["merge"], 0),
        &merged_services,
    );
    assert_same(
        "report --format parquet",
        &sql_services(&results["report"], 0),
        &json_services(&report),
    );
    let merged_ports = json_ports(&merged);
    assert_same(
        "ports over the reads",
        &sql_ports(&results["reads_ports"], 0),
        &merged_ports,
    );
    assert_same(
        "merge --format parquet ports",
        &sql_ports(&results["merge_ports"], 0),
        &merged_ports,
    );
    // Each summary's rows keep their capture's name through the merge
    // (one row per service there; per service and time bucket in a read).
    assert_eq!(
        results["merge_rows_by_input"],
        results["reads_rows_by_input"]
    );
    let inputs: Rows = merged["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|i| vec![i["name"].clone(), i["packets"].clone(), i["bytes"].clone()])
        .collect();
    let mut sorted = inputs.clone();
    sorted.sort_by_key(|r| r[0].as_str().unwrap_or_default().to_owned());
    assert_eq!(results["merge_inputs"], sorted);
    // The report's directions, row by row.
    let directions: BTreeMap<String, Vec<Value>> = report["report"]["service_directions"]
        .as_array()
        .expect("directions")
        .iter()
        .map(|d| {
            let figures = [
                "to_server_packets",
                "to_server_bytes",
                "to_client_packets",
                "to_client_bytes",
            ]
            .map(|f| d[f].clone())
            .to_vec();
            (service_key(d), figures)
        })
        .collect();
    assert_same(
        "report directions",
        &sql_services(&results["report_directions"], 0),
        &directions,
    );
    // The top-K tables hold the report's rows and say whether they are exact.
    let hosts: Rows = report["report"]["hosts"]["entries"]
        .as_array()
        .expect("hosts")
        .iter()
        .map(|h| {
            let mut row: Vec<Value> = [
                "address",
                "sent_packets",
                "sent_bytes",
                "received_packets",
                "received_bytes",
            ]
            .iter()
            .map(|f| h[f].clone())
            .collect();
            row.push(report["report"]["hosts"]["exact"].clone());
            row
        })
        .collect();
    assert!(!hosts.is_empty());
    assert_eq!(results["report_hosts"], hosts, "hosts.parquet");
    let conversations = report["report"]["conversations"]["entries"]
        .as_array()
        .expect("conversations");
    let bytes: u64 = conversations
        .iter()
        .map(|c| c["to_server_bytes"].as_u64().unwrap() + c["to_client_bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(
        results["report_conversations"],
        vec![vec![json!(conversations.len()), json!(bytes)]],
        "conversations.parquet"
    );
}

#[test]
fn parquet_needs_a_directory_of_its_own() {
    let capture = fixture("busy-traffic.pcapng");
    let run = portclass(&[
        "read".as_ref(),
        "--format".as_ref(),
        "parquet".as_ref(),
        capture.as_os_str(),
    ]);
    run.assert_code(2);
    assert!(run.stderr.contains("--out DIR"), "{}", run.stderr);

    let scratch = tempfile::tempdir().expect("temporary directory");
    let dir = scratch.path().join("tables");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let args = |dir: &Path| -> Vec<OsString> {
        vec![
            "read".into(),
            "--format".into(),
            "parquet".into(),
            "--out".into(),
            dir.into(),
            capture.clone().into(),
        ]
    };
    let run = portclass(&args(&dir));
    run.assert_code(2);
    assert!(
        run.stderr.contains("notes.txt") && run.stderr.contains("did not write"),
        "{}",
        run.stderr
    );
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["notes.txt"],
        "nothing written beside the user's file"
    );

    // A directory an earlier run wrote is written again; the report's
    // tables that a read does not write are removed.
    let dir = scratch.path().join("again");
    let mut report = args(&dir);
    report[0] = "report".into();
    portclass(&report).assert_code(0);
    assert!(dir.join("hosts.parquet").is_file());
    portclass(&args(&dir)).assert_code(0);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "inputs.parquet",
            "ports.parquet",
            "servers.parquet",
            "services.parquet"
        ]
    );
}

/// The services table's time buckets hold what the report's time series
/// holds (two separate counts of the same frames): for every fixture with
/// tshark's figures, read with `--bucket` at the report's own width, each
/// (bucket, service row) has the series' bytes. Fragments attributed late
/// are left out (the series counts them at their own time without a row,
/// the table in the bucket of the frame that settled them); so is a
/// series that had to sum some services as "other".
#[test]
fn the_services_buckets_are_the_report_time_series() {
    let scratch = tempfile::tempdir().expect("temporary directory");
    let scratch = scratch.path();
    let mut compared = Vec::new();
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    let mut dirs = Vec::new();
    for (i, file) in checked_fixtures().iter().enumerate() {
        let report = portclass(&[
            OsString::from("report"),
            "--no-system-services".into(),
            "-f".into(),
            "json".into(),
            file.clone().into(),
        ]);
        let report = report.json();
        let series = &report["report"]["timeseries"];
        let fragments = report["fragments"]["attributed"]["packets"].as_u64();
        if series["approximate"] == json!(true) || fragments != Some(0) {
            continue;
        }
        let width = series["bucket_ns"].as_u64().expect("bucket_ns");
        let dir = scratch.join(format!("read-{i}"));
        let run = portclass(&[
            OsString::from("read"),
            "--no-system-services".into(),
            "--format".into(),
            "parquet".into(),
            "--bucket".into(),
            format!("{width}ns").into(),
            "--out".into(),
            dir.clone().into(),
            file.clone().into(),
        ]);
        run.assert_code(0);
        let input = file.display().to_string();
        for bucket in series["buckets"].as_array().expect("buckets") {
            for service in bucket["services"].as_array().expect("services") {
                let key = format!("{input} {} {}", bucket["start_ns"], service_key(service));
                *expected.entry(key).or_default() += service["bytes"].as_u64().expect("bytes");
            }
        }
        compared.push(input);
        dirs.push(dir);
    }
    assert!(compared.len() >= 30, "{compared:?}");
    let mut queries = BTreeMap::new();
    queries.insert(
        "buckets".to_owned(),
        format!(
            "SELECT input, bucket_start_ns, tunnel, transport, port, failed, sum(bytes), \
             any_value(bucket_seconds) FROM read_parquet({}) GROUP BY ALL",
            sql_files(&dirs, "services")
        ),
    );
    let Some(results) = duckdb(&queries, scratch) else {
        return;
    };
    let mut found: BTreeMap<String, u64> = BTreeMap::new();
    for row in &results["buckets"] {
        let key = format!(
            "{} {} {}/{}/{}/{}",
            part(&row[0]),
            row[1],
            part(&row[2]),
            part(&row[3]),
            part(&row[4]),
            row[5].as_bool().unwrap_or(false)
        );
        found.insert(key, row[6].as_u64().expect("bytes"));
    }
    let differ: Vec<_> = expected
        .iter()
        .filter(|(k, v)| found.get(*k) != Some(v))
        .take(5)
        .map(|(k, v)| format!("{k}: series {v}, table {:?}", found.get(k)))
        .collect();
    assert!(differ.is_empty(), "{differ:#?}");
    assert_eq!(found.len(), expected.len(), "rows the series lacks");
}

/// Shard workers each count their own buckets, merged at the end: the
/// services table is the same whatever the threads.
#[test]
fn the_services_buckets_are_the_same_with_any_threads() {
    let scratch = tempfile::tempdir().expect("temporary directory");
    let scratch = scratch.path();
    let files = [fixture("busy-traffic.pcapng"), fixture("names.pcapng")];
    let mut queries = BTreeMap::new();
    for threads in ["1", "4"] {
        let dir = scratch.join(format!("threads-{threads}"));
        let mut args: Vec<OsString> = vec![
            "read".into(),
            "--format".into(),
            "parquet".into(),
            "--bucket".into(),
            "1s".into(),
            "--threads".into(),
            threads.into(),
            "--out".into(),
            dir.clone().into(),
        ];
        args.extend(files.iter().map(|f| f.clone().into_os_string()));
        portclass(&args).assert_code(0);
        queries.insert(
            threads.to_owned(),
            format!(
                "SELECT * EXCLUDE (bucket_start_timestamp) FROM read_parquet({}) ORDER BY ALL",
                sql_files(std::slice::from_ref(&dir), "services")
            ),
        );
    }
    let Some(results) = duckdb(&queries, scratch) else {
        return;
    };
    assert!(results["1"].len() > 20, "{:?}", results["1"]);
    assert_eq!(results["1"], results["4"]);
}
