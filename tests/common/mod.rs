//! Shared by the integration test binaries: run the real `portclass` binary,
//! read its JSON, find the fixtures and tshark's figures for them, compare the
//! two, and build or take apart capture files.
//!
//! Every run goes through [`Run::finish`], which fails the test on a crash,
//! a signal or a panic message, so no test has to remember to check.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Network namespaces and real traffic, for the live-capture tests.
pub mod netns;

/// The nine categories of the counting rules, in their order.
pub const CATEGORIES: [&str; 9] = [
    "tcp",
    "udp",
    "sctp",
    "icmp",
    "icmpv6",
    "other_ip",
    "fragment",
    "truncated",
    "non_ip",
];

/// The categories whose frames carry ports and are named by a service row.
pub const PORT_TRANSPORTS: [&str; 3] = ["tcp", "udp", "sctp"];

/// First port of the dynamic range (49152–65535).
pub const DYNAMIC_START: u16 = 49152;

/// Says that the running test skipped some or all of its checks, and why,
/// where a plain `cargo test` shows it. libtest keeps what a passing test
/// prints with `eprintln!` to itself (shown only with `--nocapture`), so a
/// skipped test would read as a plain `ok`; a write to the standard error
/// handle itself is not captured.
pub fn skipped(reason: impl std::fmt::Display) {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    // One write, so that the line is not cut by libtest's own output.
    let line = format!("SKIPPED {test}: {reason}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// Runs the test helper `script` (under tests/) with `args` by the Python
/// in PORTCLASS_PYTHON (default `python3`, which `.ci/run` points at its
/// venv): its standard output, or `None` after a notice when the script
/// exits 3 (its PyPI `package` is not installed) or Python cannot run.
/// Any other failure fails the test with the script's message.
pub fn python_helper<S: AsRef<OsStr>>(script: &str, args: &[S], package: &str) -> Option<Vec<u8>> {
    let python = std::env::var("PORTCLASS_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let script = manifest_dir().join("tests").join(script);
    match Command::new(&python).arg(&script).args(args).output() {
        Ok(out) if out.status.success() => Some(out.stdout),
        Ok(out) if out.status.code() == Some(3) => {
            skipped(format_args!(
                "{package} is not installed for {python} (pip install {package}, or set \
                 PORTCLASS_PYTHON)"
            ));
            None
        }
        Ok(out) => panic!(
            "{}: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => {
            skipped(format_args!("{python} cannot run: {e}"));
            None
        }
    }
}

/// Path of the binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_portclass")
}

/// The crate root.
pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `fixtures/` of the crate.
pub fn fixtures_dir() -> PathBuf {
    manifest_dir().join("fixtures")
}

/// `fixtures/<name>`.
pub fn fixture(name: &str) -> PathBuf {
    fixtures_dir().join(name)
}

/// Every committed capture fixture (`fixtures/*.pcap`, `fixtures/*.pcapng`),
/// sorted by name.
pub fn fixture_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures/ readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .and_then(OsStr::to_str)
                    .is_some_and(|x| x == "pcap" || x == "pcapng")
        })
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no fixtures found in {}",
        fixtures_dir().display()
    );
    files
}

/// The file name of `path` as a string.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .and_then(OsStr::to_str)
        .expect("UTF-8 file name")
        .to_string()
}

/// Parses a JSON file, failing the test with the path on any problem.
pub fn read_json_file(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()))
}

/// tshark's figures for fixture `name`: `fixtures/expected/<name>.json`.
pub fn expected(name: &str) -> Value {
    read_json_file(&fixtures_dir().join("expected").join(format!("{name}.json")))
}

/// The outcome of one run of the binary.
#[derive(Debug)]
pub struct Run {
    /// What was run, for failure messages.
    pub command: String,
    /// The exit status (0, 1 or 2: anything else fails in [`Run::finish`]).
    pub code: i32,
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

impl Run {
    fn finish(command: String, output: Output) -> Run {
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let code = match output.status.code() {
            Some(code @ 0..=2) => code,
            _ => panic!(
                "{command}: ended with {} (a crash or a signal); stderr:\n{stderr}",
                output.status
            ),
        };
        assert!(
            !stderr.contains("panicked"),
            "{command}: panicked:\n{stderr}"
        );
        Run {
            command,
            code,
            stdout: output.stdout,
            stderr,
        }
    }

    /// Standard output as text.
    pub fn stdout_text(&self) -> String {
        String::from_utf8(self.stdout.clone())
            .unwrap_or_else(|e| panic!("{}: stdout is not UTF-8: {e}", self.command))
    }

    /// Standard output parsed as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "{}: stdout is not JSON ({e}); stderr:\n{}",
                self.command, self.stderr
            )
        })
    }

    /// The non-empty lines of standard error.
    pub fn stderr_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect()
    }

    /// Fails unless the exit status is `code`.
    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "{}: exit status; stderr:\n{}",
            self.command, self.stderr
        );
        self
    }
}

fn describe<S: AsRef<OsStr>>(args: &[S]) -> String {
    let words: Vec<String> = args
        .iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect();
    format!("portclass {}", words.join(" "))
}

/// Runs the binary with `args` and no standard input.
pub fn portclass<S: AsRef<OsStr>>(args: &[S]) -> Run {
    let output = Command::new(bin())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin()));
    Run::finish(describe(args), output)
}

/// Runs the binary with `args`, feeding `input` on standard input.
pub fn portclass_with_stdin<S: AsRef<OsStr>>(args: &[S], input: &[u8]) -> Run {
    let mut child = Command::new(bin())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin()));
    let mut stdin = child.stdin.take().expect("stdin piped");
    let output = std::thread::scope(|scope| {
        // Written from another thread so a large output cannot deadlock us.
        scope.spawn(move || {
            // The binary may stop reading early (a bad header); that is its
            // business, and shows in its exit status.
            let _ = stdin.write_all(input);
        });
        child.wait_with_output().expect("wait for portclass")
    });
    Run::finish(
        format!("{} < ({} bytes)", describe(args), input.len()),
        output,
    )
}

/// `portclass read --format json --no-system-services FILES... EXTRA...`
pub fn read_json<P: AsRef<OsStr>>(files: &[P], extra: &[&str]) -> Run {
    let mut args: Vec<&OsStr> = vec!["read".as_ref(), "--format".as_ref(), "json".as_ref()];
    args.push("--no-system-services".as_ref());
    args.extend(files.iter().map(AsRef::as_ref));
    args.extend(extra.iter().map(|s| OsStr::new(*s)));
    portclass(&args)
}

/// The parts of a `read` JSON document that depend only on the frames read,
/// not on the inputs' names or statuses.
pub fn tally_part(json: &Value) -> Value {
    let keys = [
        "packets",
        "bytes",
        "first_timestamp",
        "last_timestamp",
        "link_types",
        "transport",
        "decode_problems",
        "services",
        "ports",
    ];
    let mut part = serde_json::Map::new();
    for key in keys {
        assert!(json.get(key).is_some(), "read JSON lacks `{key}`");
        part.insert(key.to_string(), json[key].clone());
    }
    Value::Object(part)
}

/// A JSON unsigned integer field, failing the test when it is not one.
pub fn u64_of(value: &Value, key: &str) -> u64 {
    value[key]
        .as_u64()
        .unwrap_or_else(|| panic!("`{key}` is not an unsigned integer in {value}"))
}

/// `(packets, bytes)` of category `name` in a read JSON document.
pub fn category(json: &Value, name: &str) -> (u64, u64) {
    let c = &json["transport"][name];
    (u64_of(c, "packets"), u64_of(c, "bytes"))
}

/// Packets and bytes of the categories that carry ports (tcp + udp + sctp).
pub fn port_traffic(json: &Value) -> (u64, u64) {
    PORT_TRANSPORTS
        .iter()
        .map(|t| category(json, t))
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
}

/// `transport/port` key → `[src_packets, src_bytes, dst_packets, dst_bytes]`.
pub type PortFigures = [u64; 4];

/// The `ports` rows of portclass's JSON, keyed `tcp/443`.
pub fn tool_ports(json: &Value) -> BTreeMap<String, PortFigures> {
    let mut ports = BTreeMap::new();
    for row in json["ports"].as_array().into_iter().flatten() {
        let key = format!(
            "{}/{}",
            row["transport"].as_str().unwrap_or("?"),
            row["port"]
        );
        let f = |k: &str| row[k].as_u64().unwrap_or(0);
        ports.insert(
            key,
            [
                f("src_packets"),
                f("src_bytes"),
                f("dst_packets"),
                f("dst_bytes"),
            ],
        );
    }
    ports
}

/// The `ports` object of an oracle (expected) file, keyed `tcp/443`.
pub fn oracle_ports(json: &Value) -> BTreeMap<String, PortFigures> {
    let mut ports = BTreeMap::new();
    for (key, row) in json["ports"].as_object().into_iter().flatten() {
        let f = |k: &str| row[k].as_u64().unwrap_or(0);
        ports.insert(
            key.clone(),
            [
                f("src_packets"),
                f("src_bytes"),
                f("dst_packets"),
                f("dst_bytes"),
            ],
        );
    }
    ports
}

/// The differences between portclass's JSON and the oracle's, as
/// `compare.py` lists them: totals, the nine categories, every port row.
pub fn differences(tool: &Value, oracle: &Value) -> Vec<String> {
    let mut diffs = Vec::new();
    for k in ["packets", "bytes"] {
        if tool[k].as_u64() != oracle[k].as_u64() {
            diffs.push(format!("{k}: portclass {} tshark {}", tool[k], oracle[k]));
        }
    }
    for c in CATEGORIES {
        let get = |v: &Value, f: &str| v["transport"][c][f].as_u64().unwrap_or(0);
        let a = (get(tool, "packets"), get(tool, "bytes"));
        let b = (get(oracle, "packets"), get(oracle, "bytes"));
        if a != b {
            diffs.push(format!(
                "transport.{c}: portclass {}p/{}B tshark {}p/{}B",
                a.0, a.1, b.0, b.1
            ));
        }
    }
    let (tp, op) = (tool_ports(tool), oracle_ports(oracle));
    for key in tp.keys().chain(op.keys()).collect::<BTreeSet<_>>() {
        let a = tp.get(key).copied().unwrap_or_default();
        let b = op.get(key).copied().unwrap_or_default();
        if a != b {
            diffs.push(format!(
                "port {key}: portclass {a:?} tshark {b:?} [src_p,src_b,dst_p,dst_b]"
            ));
        }
    }
    diffs
}

/// A service row's identity: `tcp/443`, `udp/dynamic` for the dynamic row,
/// `tcp/failed` for the failed-attempts row.
pub fn service_key(row: &Value) -> String {
    let transport = row["transport"].as_str().unwrap_or("?");
    match row["port"].as_u64() {
        Some(port) => format!("{transport}/{port}"),
        None if row["failed"] == true => format!("{transport}/failed"),
        None => format!("{transport}/dynamic"),
    }
}

/// The `services` rows of a read JSON document: key → `(packets, bytes)`.
pub fn service_figures(json: &Value) -> BTreeMap<String, (u64, u64)> {
    let mut rows = BTreeMap::new();
    for row in services(json) {
        let old = rows.insert(
            service_key(row),
            (u64_of(row, "packets"), u64_of(row, "bytes")),
        );
        assert!(
            old.is_none(),
            "service row {} listed twice",
            service_key(row)
        );
    }
    rows
}

/// The `services` array of a read JSON document.
pub fn services(json: &Value) -> &Vec<Value> {
    json["services"].as_array().expect("`services` is an array")
}

/// The service row `transport/port` (`port` `None`: the dynamic row).
pub fn service_row<'a>(json: &'a Value, transport: &str, port: Option<u16>) -> Option<&'a Value> {
    services(json)
        .iter()
        .find(|r| r["transport"] == transport && r["port"].as_u64() == port.map(u64::from))
}

/// One direction of traffic between two ports, from an oracle's `pairs`.
#[derive(Clone, Debug)]
pub struct Pair {
    /// `tcp`, `udp` or `sctp`.
    pub transport: String,
    /// Source port.
    pub src: u16,
    /// Destination port.
    pub dst: u16,
    /// Frames.
    pub packets: u64,
    /// Their wire bytes.
    pub bytes: u64,
}

/// The `pairs` of an oracle file (`"tcp/51234>443": [packets, bytes]`).
pub fn oracle_pairs(oracle: &Value) -> Vec<Pair> {
    let pairs = oracle["pairs"].as_object().expect("oracle has `pairs`");
    pairs
        .iter()
        .map(|(key, figures)| {
            let parse = || -> Option<Pair> {
                let (transport, ports) = key.split_once('/')?;
                let (src, dst) = ports.split_once('>')?;
                Some(Pair {
                    transport: transport.to_string(),
                    src: src.parse().ok()?,
                    dst: dst.parse().ok()?,
                    packets: figures.get(0)?.as_u64()?,
                    bytes: figures.get(1)?.as_u64()?,
                })
            };
            parse().unwrap_or_else(|| panic!("oracle pair {key}: {figures} not understood"))
        })
        .collect()
}

/// A port-database entry as `portclass ports --format json` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbEntry {
    /// Service keyword.
    pub service: String,
    /// Layer: `builtin`, `system`, `user`.
    pub source: String,
    /// Description.
    pub description: String,
}

/// What the port database says about some ports, learned from the binary's
/// own `ports` subcommand: (transport, port) → entries, primary first.
#[derive(Debug, Default)]
pub struct KnownPorts {
    pub entries: BTreeMap<(String, u16), Vec<DbEntry>>,
}

impl KnownPorts {
    /// Asks `portclass ports P1 P2 ... --format json NAME_FLAGS...` about
    /// `ports`; a port the database lacks makes the query exit 1, which is
    /// expected here.
    pub fn query(ports: &BTreeSet<u16>, name_flags: &[&str]) -> KnownPorts {
        let mut args: Vec<String> = vec!["ports".into(), "--format".into(), "json".into()];
        args.extend(name_flags.iter().map(|s| s.to_string()));
        args.extend(ports.iter().map(u16::to_string));
        let run = portclass(&args);
        assert!(
            run.code <= 1,
            "{}: exit {}; stderr:\n{}",
            run.command,
            run.code,
            run.stderr
        );
        let mut known = KnownPorts::default();
        for entry in run.json().as_array().expect("ports JSON is an array") {
            let port = u16::try_from(u64_of(entry, "port")).expect("port fits u16");
            let transport = entry["transport"].as_str().expect("transport").to_string();
            assert!(
                ports.contains(&port),
                "`ports` answered about {port}, not asked"
            );
            let text = |k: &str| {
                entry[k]
                    .as_str()
                    .unwrap_or_else(|| panic!("`{k}` in {entry}"))
                    .to_string()
            };
            known
                .entries
                .entry((transport, port))
                .or_default()
                .push(DbEntry {
                    service: text("service"),
                    source: text("source"),
                    description: text("description"),
                });
        }
        known
    }

    /// Whether the database has (transport, port).
    pub fn contains(&self, transport: &str, port: u16) -> bool {
        self.entries.contains_key(&(transport.to_string(), port))
    }

    /// The primary (first-listed) entry of (transport, port).
    pub fn primary(&self, transport: &str, port: u16) -> Option<&DbEntry> {
        self.entries
            .get(&(transport.to_string(), port))
            .and_then(|e| e.first())
    }
}

/// Port class rank: 0 well-known (0–1023), 1 registered (1024–49151),
/// 2 dynamic (49152–65535).
pub fn port_class(port: u16) -> u8 {
    match port {
        0..=1023 => 0,
        1024..=49151 => 1,
        _ => 2,
    }
}

/// The naming rule, as port-db/README.md writes it down: which port a frame
/// between `a` and `b` is counted under (`None`: the dynamic row).
pub fn naming_port(known: &KnownPorts, transport: &str, a: u16, b: u16) -> Option<u16> {
    let (in_a, in_b) = (known.contains(transport, a), known.contains(transport, b));
    if in_a != in_b {
        // 1. a port in the database beats one that is not.
        return Some(if in_a { a } else { b });
    }
    if in_a {
        // 2. lower class wins, 3. then the lower number.
        return Some(if (port_class(a), a) <= (port_class(b), b) {
            a
        } else {
            b
        });
    }
    // 4. neither known: the lower port if below the dynamic range, else dynamic.
    let low = a.min(b);
    (low < DYNAMIC_START).then_some(low)
}

/// A service row as the naming rule predicts it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PredictedService {
    /// `unassigned`, `dynamic` or the primary entry's keyword.
    pub service: String,
    /// The primary entry's layer, if any.
    pub source: Option<String>,
    /// Frames.
    pub packets: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// Every service row predicted for an oracle's `pairs` under the naming rule,
/// keyed like [`service_key`]; the names come from the binary's `ports`
/// subcommand run with `name_flags`.
pub fn predicted_services(
    oracle: &Value,
    name_flags: &[&str],
) -> BTreeMap<String, PredictedService> {
    predict_services(&oracle_pairs(oracle), name_flags)
}

/// Every service row predicted for traffic `pairs` under the naming rule;
/// see [`predicted_services`].
pub fn predict_services(pairs: &[Pair], name_flags: &[&str]) -> BTreeMap<String, PredictedService> {
    let all_ports: BTreeSet<u16> = pairs.iter().flat_map(|p| [p.src, p.dst]).collect();
    let known = KnownPorts::query(&all_ports, name_flags);
    let mut rows: BTreeMap<String, PredictedService> = BTreeMap::new();
    for pair in pairs {
        let t = pair.transport.as_str();
        let (key, service, source) = match naming_port(&known, t, pair.src, pair.dst) {
            Some(port) => match known.primary(t, port) {
                Some(e) => (
                    format!("{t}/{port}"),
                    e.service.clone(),
                    Some(e.source.clone()),
                ),
                None => (format!("{t}/{port}"), "unassigned".to_string(), None),
            },
            None => (format!("{t}/dynamic"), "dynamic".to_string(), None),
        };
        let row = rows.entry(key).or_insert(PredictedService {
            service,
            source,
            packets: 0,
            bytes: 0,
        });
        row.packets += pair.packets;
        row.bytes += pair.bytes;
    }
    rows
}

/// The binary's service rows in the shape of [`predicted_services`].
pub fn actual_services(json: &Value) -> BTreeMap<String, PredictedService> {
    services(json)
        .iter()
        .map(|row| {
            (
                service_key(row),
                PredictedService {
                    service: row["service"].as_str().unwrap_or("<null>").to_string(),
                    source: row["source"].as_str().map(str::to_string),
                    packets: u64_of(row, "packets"),
                    bytes: u64_of(row, "bytes"),
                },
            )
        })
        .collect()
}

/// Asserts that two keyed tables are equal, listing every differing key.
pub fn assert_same_rows<V: PartialEq + std::fmt::Debug>(
    what: &str,
    actual: &BTreeMap<String, V>,
    expected: &BTreeMap<String, V>,
) {
    let mut diffs = Vec::new();
    for key in actual
        .keys()
        .chain(expected.keys())
        .collect::<BTreeSet<_>>()
    {
        let (a, e) = (actual.get(key), expected.get(key));
        if a != e {
            diffs.push(format!("{key}: portclass {a:?}, expected {e:?}"));
        }
    }
    assert!(
        diffs.is_empty(),
        "{what}: {} rows differ:\n  {}",
        diffs.len(),
        diffs.join("\n  ")
    );
}

/// `1234567` → `1,234,567`, as the table output prints counts.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

// ---------------------------------------------------------------------------
// Capture files: taking them apart and writing them.

/// Where one packet record sits in a capture file, and its wire length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordSpan {
    /// Offset of the record's (or block's) first byte.
    pub start: usize,
    /// Offset just past it.
    pub end: usize,
    /// Its original (wire) length: what `bytes` counts.
    pub orig_len: u64,
}

/// The complete packet records of a classic pcap file (either byte order,
/// µs or ns); a record cut off at the end of `data` is not listed.
pub fn pcap_records(data: &[u8]) -> Vec<RecordSpan> {
    assert!(data.len() >= 24, "not a pcap file: {} bytes", data.len());
    let magic = &data[..4];
    let little = match magic {
        [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => true,
        [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => false,
        _ => panic!("not a pcap file: magic {magic:02x?}"),
    };
    let u32_at = |at: usize| {
        let b = [data[at], data[at + 1], data[at + 2], data[at + 3]];
        u64::from(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let mut records = Vec::new();
    let mut at = 24;
    while at + 16 <= data.len() {
        let caplen = u32_at(at + 8) as usize;
        let end = at + 16 + caplen;
        if end > data.len() {
            break;
        }
        records.push(RecordSpan {
            start: at,
            end,
            orig_len: u32_at(at + 12),
        });
        at = end;
    }
    records
}

/// The complete packet blocks (EPB, SPB, obsolete PB) of a single-section
/// pcapng file; a block cut off at the end of `data` is not listed.
pub fn pcapng_packets(data: &[u8]) -> Vec<RecordSpan> {
    assert!(
        data.len() >= 12 && data[..4] == [0x0a, 0x0d, 0x0d, 0x0a],
        "not a pcapng file"
    );
    let little = match &data[8..12] {
        [0x4d, 0x3c, 0x2b, 0x1a] => true,
        [0x1a, 0x2b, 0x3c, 0x4d] => false,
        other => panic!("bad byte-order magic {other:02x?}"),
    };
    let u32_at = |at: usize| {
        let b = [data[at], data[at + 1], data[at + 2], data[at + 3]];
        u64::from(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let mut packets = Vec::new();
    let mut at = 0;
    while at + 12 <= data.len() {
        let block_type = u32_at(at);
        let length = u32_at(at + 4) as usize;
        assert!(
            length >= 12 && length.is_multiple_of(4),
            "bad block length {length} at {at}"
        );
        let end = at + length;
        if end > data.len() {
            break;
        }
        // Byte order is read once, from the first section header.
        assert!(
            at == 0 || block_type != 0x0a0d_0d0a,
            "a second section at byte {at}"
        );
        let orig_len = match block_type {
            6 => Some(u32_at(at + 24)), // EPB: interface, ts high, ts low, caplen, orig len
            3 => Some(u32_at(at + 8)),  // SPB: orig len
            2 => Some(u32_at(at + 24)), // PB: interface+drops, ts high, ts low, caplen, len
            _ => None,
        };
        if let Some(orig_len) = orig_len {
            packets.push(RecordSpan {
                start: at,
                end,
                orig_len,
            });
        }
        at = end;
    }
    packets
}

/// The complete packet records of a pcap or pcapng file.
pub fn capture_records(data: &[u8]) -> Vec<RecordSpan> {
    if data.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        pcapng_packets(data)
    } else {
        pcap_records(data)
    }
}

/// A classic pcap file header: little-endian, µs, v2.4, snaplen 65535,
/// Ethernet.
pub fn pcap_header() -> Vec<u8> {
    let mut h = Vec::with_capacity(24);
    h.extend_from_slice(&0xa1b2_c3d4_u32.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&4u16.to_le_bytes());
    h.extend_from_slice(&0i32.to_le_bytes()); // thiszone
    h.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
    h.extend_from_slice(&65535u32.to_le_bytes());
    h.extend_from_slice(&1u32.to_le_bytes()); // LINKTYPE_ETHERNET
    h
}

/// Appends one pcap record holding all of `frame` to `out`.
pub fn push_pcap_record(out: &mut Vec<u8>, seconds: u32, micros: u32, frame: &[u8]) {
    let len = u32::try_from(frame.len()).expect("frame fits a record");
    out.extend_from_slice(&seconds.to_le_bytes());
    out.extend_from_slice(&micros.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(frame);
}

/// An Ethernet/IPv4/UDP frame 192.0.2.1:`src` → 198.51.100.1:`dst` with a
/// valid IPv4 header checksum (UDP checksum 0: none).
pub fn udp_ipv4_frame(src: u16, dst: u16, payload: &[u8]) -> Vec<u8> {
    let udp_len = u16::try_from(8 + payload.len()).expect("small payload");
    let ip_len = 20 + udp_len;
    let mut f = Vec::with_capacity(14 + usize::from(ip_len));
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00]);
    let mut ip = [0u8; 20];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&ip_len.to_be_bytes());
    ip[8] = 64; // TTL
    ip[9] = 17; // UDP
    ip[12..16].copy_from_slice(&[192, 0, 2, 1]);
    ip[16..20].copy_from_slice(&[198, 51, 100, 1]);
    let mut sum: u32 = ip
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    let checksum = !(sum as u16);
    ip[10..12].copy_from_slice(&checksum.to_be_bytes());
    f.extend_from_slice(&ip);
    f.extend_from_slice(&src.to_be_bytes());
    f.extend_from_slice(&dst.to_be_bytes());
    f.extend_from_slice(&udp_len.to_be_bytes());
    f.extend_from_slice(&0u16.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// gzip-compresses `data`.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).expect("gzip in memory");
    encoder.finish().expect("gzip in memory")
}

/// zstd-compresses `data`.
pub fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).expect("zstd in memory")
}

/// Decompresses as much of a (possibly cut) stream as the decoder yields
/// before it reports an error or the end.
pub fn decompress_prefix(mut decoder: impl std::io::Read) -> Vec<u8> {
    let mut out = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match decoder.read(&mut chunk) {
            Ok(0) | Err(_) => return out,
            Ok(n) => out.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Writes `data` to `dir/name` and returns the path.
pub fn write_file(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    path
}

/// Reads a whole fixture.
pub fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = fixture(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A small tmpfs (a disk that fills up) mounted on a temporary directory
/// for one test, unmounted when dropped; `None`, with a notice, where it
/// cannot be mounted (needs root).
pub struct SmallDisk {
    /// Where it is mounted.
    pub dir: tempfile::TempDir,
}

impl SmallDisk {
    /// Mounts a tmpfs of `size` (as `mount -o size=` takes it: `200k`).
    pub fn new(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().expect("temp dir");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            skipped("cannot mount a tmpfs (needs root)");
            return None;
        }
        Some(SmallDisk { dir })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}
