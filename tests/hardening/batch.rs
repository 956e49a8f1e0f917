//! Damaged captures ("mutants") with what reading each must give, and the
//! checks every run on them must pass, whatever the damage:
//!
//! * the run ends within its deadline, by exiting with 0, 1 or 2 (never a
//!   signal), with no panic message;
//! * the exit status is the worst of the inputs' (0 complete, 1 partial,
//!   2 failed);
//! * standard error holds exactly one line per partial or failed input,
//!   `portclass: <that file>: …`, and nothing else;
//! * the JSON lists every input, in order, with a status, an error exactly
//!   when it is not complete, no packets when it failed, and totals that
//!   are the sum of the inputs';
//! * and what the mutant expects: for damage after record `k`, exactly the
//!   `k` records before it (or at least them, when the damage may go
//!   unnoticed), so that nothing already counted is lost.
//!
//! `read` takes many files at once, so mutants are run a few hundred per
//! invocation and checked one by one in the JSON's `inputs`.

use crate::common::*;
use crate::support::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Inputs per invocation.
const BATCH: usize = 250;

/// What reading one mutant must give.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Read to its end: exactly these packets and wire bytes.
    Complete { packets: u64, bytes: u64 },
    /// Damage found right after exactly these packets, which are counted;
    /// the message names the next packet.
    Partial { packets: u64, bytes: u64 },
    /// Damage found right after exactly these packets, which are counted;
    /// the message need not name a packet (a compressed stream's fault).
    PartialSomewhere { packets: u64, bytes: u64 },
    /// Not readable at all.
    Failed,
    /// Damage at or after these packets: at least they are counted, and the
    /// read may end in any way.
    AtLeast { packets: u64, bytes: u64 },
}

/// One damaged capture and what reading it must give.
#[derive(Clone, Debug)]
pub struct Mutant {
    /// File name (unique within a test).
    pub name: String,
    /// Its bytes.
    pub data: Vec<u8>,
    /// What reading it gives.
    pub expect: Expect,
    /// A classic pcap damaged in its first three records or its header:
    /// like tshark, portclass then guesses between old pcap variants
    /// (Red Hat 6.1, Nokia: longer record headers) by how sane the first
    /// three records look as each, and may read the file as one of them.
    /// Only such mutants may come out as another variant, and then only
    /// the checks that hold for any input apply.
    pub variant_may_change: bool,
    /// The link type every counted packet must have.
    pub link_type: Option<u16>,
    /// (earliest, latest) time stamp in ns, when the file is read whole.
    pub span: Option<(i64, i64)>,
}

impl Mutant {
    /// A mutant named `name`.
    pub fn new(name: impl Into<String>, data: Vec<u8>, expect: Expect) -> Mutant {
        Mutant {
            name: name.into(),
            data,
            expect,
            variant_may_change: false,
            link_type: None,
            span: None,
        }
    }

    /// Marks it as one that may be read as another pcap variant.
    pub fn variant_may_change(mut self, may: bool) -> Mutant {
        self.variant_may_change = may;
        self
    }

    /// Every packet must be of link type `link_type`.
    pub fn link_type(mut self, link_type: u16) -> Mutant {
        self.link_type = Some(link_type);
        self
    }

    /// The time stamps must span exactly `span`.
    pub fn span(mut self, span: Option<(i64, i64)>) -> Mutant {
        self.span = span;
        self
    }
}

/// What a set of runs saw, for the test's summary line.
#[derive(Debug, Default)]
pub struct Seen {
    /// Inputs by status.
    pub statuses: BTreeMap<String, usize>,
    /// Inputs read as another pcap variant than they were written in.
    pub variant_changed: Vec<String>,
    /// Invocations of the binary.
    pub runs: usize,
}

impl Seen {
    /// One line: inputs by status, variant changes, runs.
    pub fn describe(&self) -> String {
        let inputs: usize = self.statuses.values().sum();
        format!(
            "{inputs} inputs ({:?}) in {} runs; {} read as another pcap variant",
            self.statuses,
            self.runs,
            self.variant_changed.len()
        )
    }
}

/// The status an input's exit code stands for.
fn status_code(status: &str) -> i32 {
    match status {
        "complete" => 0,
        "partial" => 1,
        _ => 2,
    }
}

/// Old pcap variants named in an input's `format`.
fn old_variant(format: &str) -> bool {
    ["Red Hat", "Nokia", "SuSE", "Kuznetzov", "AIX"]
        .iter()
        .any(|v| format.contains(v))
}

/// Writes every mutant into `dir` (as `NNNN-name`), returning the paths.
pub fn write_mutants(dir: &Path, mutants: &[Mutant]) -> Vec<PathBuf> {
    let mut names = std::collections::BTreeSet::new();
    mutants
        .iter()
        .enumerate()
        .map(|(i, m)| {
            assert!(names.insert(&m.name), "two mutants named {}", m.name);
            write_file(dir, &format!("{i:04}-{}", m.name), &m.data)
        })
        .collect()
}

/// Runs `portclass SUBCOMMAND --format json --no-system-services FILES...`
/// over every mutant, a batch at a time, and checks every input. With
/// `report` set, each batch also goes through `report --format json`, which
/// must pass the same checks and count exactly what `read` counted.
pub fn check_mutants(dir: &Path, mutants: &[Mutant], report: bool) -> Seen {
    let paths = write_mutants(dir, mutants);
    let mut seen = Seen::default();
    for (chunk, chunk_paths) in mutants.chunks(BATCH).zip(paths.chunks(BATCH)) {
        let read =
            run_batch("read", chunk, chunk_paths, &mut seen).expect("read always writes its JSON");
        if report {
            match run_batch("report", chunk, chunk_paths, &mut seen) {
                Some(json) => {
                    assert_same_counts(&json, &read, chunk_paths);
                    check_timeseries(&json);
                }
                None => assert!(
                    read["inputs"]
                        .as_array()
                        .is_some_and(|a| a.iter().all(|i| i["status"] == "failed")),
                    "report wrote nothing though some input was readable"
                ),
            }
        }
    }
    seen
}

/// One invocation on `mutants` (at `paths`); returns its JSON (`None` when a
/// report had nothing readable and so printed nothing).
fn run_batch(
    subcommand: &str,
    mutants: &[Mutant],
    paths: &[PathBuf],
    seen: &mut Seen,
) -> Option<Value> {
    let fixed = [subcommand, "--format", "json", "--no-system-services"];
    let mut args: Vec<&std::ffi::OsStr> = fixed.iter().map(std::ffi::OsStr::new).collect();
    args.extend(paths.iter().map(|p| p.as_os_str()));
    let first = paths.first().map(|p| p.display().to_string());
    let description = format!(
        "portclass {subcommand} --format json --no-system-services <{} files: {} …>",
        paths.len(),
        first.unwrap_or_default()
    );
    let run = run_bounded(&args, None, BATCH_TIMEOUT, &description);
    seen.runs += 1;
    if run.stdout.is_empty() && subcommand == "report" {
        check_stderr(&run, paths, &vec!["failed".to_string(); paths.len()]);
        return None;
    }
    let json = run.json();
    let inputs = json["inputs"]
        .as_array()
        .unwrap_or_else(|| panic!("{description}: no `inputs` array"));
    assert_eq!(inputs.len(), mutants.len(), "{description}: inputs listed");
    let mut statuses = Vec::new();
    let (mut packets, mut bytes) = (0u64, 0u64);
    for ((mutant, path), input) in mutants.iter().zip(paths).zip(inputs) {
        let status = check_input(subcommand, mutant, path, input, seen);
        *seen.statuses.entry(status.clone()).or_default() += 1;
        statuses.push(status);
        packets += u64_of(input, "packets");
        bytes += u64_of(input, "bytes");
    }
    assert_eq!(
        (u64_of(&json, "packets"), u64_of(&json, "bytes")),
        (packets, bytes),
        "{description}: totals are not the sum of the inputs'"
    );
    let worst = statuses.iter().map(|s| status_code(s)).max().unwrap_or(0);
    assert_eq!(
        run.code, worst,
        "{description}: exit status vs the inputs' statuses"
    );
    check_stderr(&run, paths, &statuses);
    Some(json)
}

/// Exactly one line per partial or failed input, naming it, and no other.
fn check_stderr(run: &Run, paths: &[PathBuf], statuses: &[String]) {
    let lines = run.stderr_lines();
    for line in &lines {
        assert!(
            line.starts_with("portclass: "),
            "{}: stderr line without the `portclass: ` prefix: {line}",
            run.command
        );
    }
    let mut failing = 0;
    for (path, status) in paths.iter().zip(statuses) {
        let prefix = format!("portclass: {}: ", path.display());
        let mentions = lines.iter().filter(|l| l.starts_with(&prefix)).count();
        let want = usize::from(status != "complete");
        failing += want;
        assert_eq!(
            mentions,
            want,
            "{}: lines on stderr for {} ({status}):\n{}",
            run.command,
            path.display(),
            run.stderr
        );
    }
    assert_eq!(
        lines.len(),
        failing,
        "{}: stderr has lines that name no failing input:\n{}",
        run.command,
        run.stderr
    );
}

/// Checks one entry of `inputs` against its mutant; returns its status.
fn check_input(
    subcommand: &str,
    mutant: &Mutant,
    path: &Path,
    input: &Value,
    seen: &mut Seen,
) -> String {
    let at = format!("{subcommand} {}", path.display());
    assert_eq!(input["name"], path.display().to_string(), "{at}: name");
    let status = input["status"]
        .as_str()
        .unwrap_or_else(|| panic!("{at}: no status in {input}"))
        .to_string();
    assert!(
        ["complete", "partial", "failed"].contains(&status.as_str()),
        "{at}: status {status}"
    );
    let (packets, bytes) = (u64_of(input, "packets"), u64_of(input, "bytes"));
    match input["error"].as_str() {
        None => assert!(
            status == "complete" && input["error"].is_null(),
            "{at}: {status} without an error: {input}"
        ),
        Some(error) => {
            assert_ne!(status, "complete", "{at}: complete with an error: {input}");
            assert!(
                error.starts_with(&format!("{}: ", path.display())),
                "{at}: the error does not start with the file's name: {error}"
            );
        }
    }
    if status == "failed" {
        assert_eq!((packets, bytes), (0, 0), "{at}: failed but counted");
    }
    let format = input["format"].as_str().unwrap_or_default();
    if old_variant(format) {
        assert!(
            mutant.variant_may_change,
            "{at}: read as {format:?}, though its first records are intact"
        );
        if subcommand == "read" {
            seen.variant_changed.push(mutant.name.clone());
        }
        return status;
    }
    let error = input["error"].as_str().unwrap_or_default();
    let expect_counts = |want: (u64, u64)| {
        assert_eq!(
            (packets, bytes),
            want,
            "{at}: (packets, bytes) vs the records before the damage; {status}: {error}"
        );
    };
    match mutant.expect {
        Expect::Complete {
            packets: p,
            bytes: b,
        } => {
            assert_eq!(status, "complete", "{at}: {error}");
            expect_counts((p, b));
        }
        Expect::Partial {
            packets: p,
            bytes: b,
        } => {
            assert_eq!(status, "partial", "{at}: {input}");
            expect_counts((p, b));
            let packet = format!("at packet {}", p + 1);
            assert!(error.contains(&packet), "{at}: no {packet:?} in: {error}");
        }
        Expect::PartialSomewhere {
            packets: p,
            bytes: b,
        } => {
            assert_eq!(status, "partial", "{at}: {input}");
            expect_counts((p, b));
        }
        Expect::Failed => {
            assert_eq!(status, "failed", "{at}: {input}");
        }
        Expect::AtLeast {
            packets: p,
            bytes: b,
        } => {
            assert!(
                packets >= p && bytes >= b,
                "{at}: {packets} packets, {bytes} bytes: lost some of the {p} packets, {b} bytes before the damage ({status}: {error})"
            );
        }
    }
    if let Some(link_type) = mutant.link_type {
        let types = input["link_types"].as_array().expect("link_types");
        assert!(
            packets == 0 || !types.is_empty(),
            "{at}: no link types: {input}"
        );
        for t in types {
            assert_eq!(t["linktype"], link_type, "{at}: {input}");
        }
    }
    if let Some((first, last)) = mutant.span {
        let got = (
            input["first_timestamp_ns"].as_i64(),
            input["last_timestamp_ns"].as_i64(),
        );
        assert_eq!(got, (Some(first), Some(last)), "{at}: time span");
    }
    status
}

/// A report counts every frame exactly as `read` does.
fn assert_same_counts(report: &Value, read: &Value, paths: &[PathBuf]) {
    let what = format!(
        "report vs read of {} files from {}",
        paths.len(),
        paths
            .first()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    );
    // The order of `link_types` follows the order in which worker threads
    // finish (see `link_types_order_does_not_depend_on_thread_timing`).
    let sorted = |json: &Value| {
        let mut part = tally_part(json);
        if let Some(types) = part["link_types"].as_array_mut() {
            types.sort_by_key(|t| t["linktype"].as_u64());
        }
        part
    };
    let mut diffs = differing(&sorted(report), &sorted(read), "");
    diffs.extend(differing(&report["inputs"], &read["inputs"], "inputs"));
    assert!(
        diffs.is_empty(),
        "{what}: report (left) and read (right) differ:\n  {}",
        diffs.join("\n  ")
    );
}

/// Where two JSON values differ: the paths of differing leaves (at most a
/// few per array), each with both values.
fn differing(a: &Value, b: &Value, path: &str) -> Vec<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter()
                .flat_map(|k| {
                    differing(
                        x.get(k).unwrap_or(&Value::Null),
                        y.get(k).unwrap_or(&Value::Null),
                        &format!("{path}.{k}"),
                    )
                })
                .collect()
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .flat_map(|(i, (x, y))| differing(x, y, &format!("{path}[{i}]")))
            .take(5)
            .collect(),
        _ if a == b => Vec::new(),
        _ => {
            let short = |v: &Value| {
                let text = v.to_string();
                text.chars().take(300).collect::<String>()
            };
            vec![format!("{path}: {} vs {}", short(a), short(b))]
        }
    }
}

/// The time series holds every frame: its buckets sum to the totals.
fn check_timeseries(report: &Value) {
    let buckets = report["report"]["timeseries"]["buckets"]
        .as_array()
        .expect("timeseries buckets");
    assert!(buckets.len() <= 1024, "{} buckets", buckets.len());
    let packets: u64 = buckets.iter().map(|b| u64_of(b, "packets")).sum();
    let bytes: u64 = buckets.iter().map(|b| u64_of(b, "bytes")).sum();
    assert_eq!(
        (packets, bytes),
        (u64_of(report, "packets"), u64_of(report, "bytes")),
        "time series vs totals"
    );
}
