//! Snapshot files: rendered output compared with a committed file under
//! `tests/report/snapshots/`, with a readable diff on mismatch. With
//! `UPDATE_SNAPSHOTS=1` the files are written instead (review them before
//! committing: a snapshot is only as right as the figures in it).
//!
//! JSON is snapshotted in a canonical, reviewable form (see
//! [`canonical_json`]); Markdown as printed, with the fixtures directory
//! taken out of input names.

use crate::common::*;
use serde_json::Value;
use std::path::PathBuf;

/// Lines of context around a difference.
const CONTEXT: usize = 3;
/// Most differing lines printed per side.
const SHOWN: usize = 40;

fn snapshot_path(name: &str) -> PathBuf {
    manifest_dir()
        .join("tests")
        .join("report")
        .join("snapshots")
        .join(name)
}

fn updating() -> bool {
    std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1")
}

/// Compares `actual` with the snapshot `name` (or writes it when
/// `UPDATE_SNAPSHOTS=1`); on a mismatch, fails with the first differing
/// region as a unified-style diff.
pub fn assert_snapshot(name: &str, actual: &str) {
    let path = snapshot_path(name);
    if updating() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        }
        std::fs::write(&path, actual).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        eprintln!("snapshot {} written", path.display());
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "snapshot {}: {e}\n(run with UPDATE_SNAPSHOTS=1 to create it, then review it)",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "output differs from snapshot {}\n(--- snapshot, +++ actual; UPDATE_SNAPSHOTS=1 rewrites it after review)\n{}",
            path.display(),
            diff(&expected, actual)
        );
    }
}

/// The region between the common first and last lines of `expected` and
/// `actual`, with context: enough to see what changed without a diff crate.
pub fn diff(expected: &str, actual: &str) -> String {
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    let prefix = e.iter().zip(&a).take_while(|(x, y)| x == y).count();
    let suffix = e[prefix..]
        .iter()
        .rev()
        .zip(a[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (e_end, a_end) = (e.len() - suffix, a.len() - suffix);
    let start = prefix.saturating_sub(CONTEXT);
    let trailing = suffix.min(CONTEXT);
    let mut out = format!(
        "@@ -{},{} +{},{} @@\n",
        start + 1,
        e_end - start + trailing,
        start + 1,
        a_end - start + trailing
    );
    for line in &e[start..prefix] {
        out.push_str(&format!("  {line}\n"));
    }
    let side = |out: &mut String, lines: &[&str], mark: char| {
        for line in lines.iter().take(SHOWN) {
            out.push_str(&format!("{mark} {line}\n"));
        }
        if lines.len() > SHOWN {
            out.push_str(&format!("{mark} … {} more lines\n", lines.len() - SHOWN));
        }
    };
    side(&mut out, &e[prefix..e_end], '-');
    side(&mut out, &a[prefix..a_end], '+');
    for line in &e[e_end..e_end + trailing] {
        out.push_str(&format!("  {line}\n"));
    }
    if expected.ends_with('\n') != actual.ends_with('\n') {
        out.push_str("(the two differ in their final line end)\n");
    }
    out
}

/// Markdown with the volatile part filtered: the fixtures directory in input
/// names (it depends on where the crate is checked out).
pub fn filter_markdown(text: &str) -> String {
    let dir = format!("{}/", fixtures_dir().display());
    text.replace(&dir, "")
}

/// A report or read JSON document (as printed) in the form its snapshot
/// keeps: the fields in the order printed and every number exactly as
/// printed, volatile fields filtered (`portclass_version`, and each input's
/// `name` reduced to its file name), each object or array of scalars on one
/// line, and each run of empty time buckets written as one line giving its
/// first and last start. The run is checked first (consecutive starts one
/// width apart, every count zero), so the shortening loses nothing.
pub fn canonical_json(printed: &str) -> String {
    let mut parser = Parser {
        text: printed.as_bytes(),
        at: 0,
    };
    let mut json = parser.value();
    parser.skip_space();
    assert_eq!(
        parser.at,
        printed.len(),
        "trailing text after the JSON document"
    );
    if let Some(version) = json.field_mut("portclass_version") {
        *version = Json::Scalar("\"<version>\"".into());
    }
    if let Some(Json::Array(inputs)) = json.field_mut("inputs") {
        for input in inputs {
            if let Some(name) = input.field_mut("name") {
                let Json::Scalar(raw) = name else {
                    panic!("input name is not a string")
                };
                let path: String = serde_json::from_str(raw).expect("input name is a string");
                let short = std::path::Path::new(&path)
                    .file_name()
                    .map_or(path.clone(), |n| n.to_string_lossy().into_owned());
                *name = Json::Scalar(Value::from(short).to_string());
            }
        }
    }
    if let Some(series) = json
        .field_mut("report")
        .and_then(|r| r.field_mut("timeseries"))
    {
        let width = series
            .field_mut("bucket_ns")
            .map(|w| w.integer())
            .expect("bucket_ns");
        if let Some(Json::Array(buckets)) = series.field_mut("buckets") {
            let folded = fold_empty_buckets(std::mem::take(buckets), width);
            *buckets = folded;
        }
    }
    let mut out = String::new();
    json.write(0, &mut out);
    out.push('\n');
    out
}

/// A JSON value with its fields in printed order and its scalars as
/// printed (strings with their quotes and escapes).
#[derive(Clone, Debug)]
enum Json {
    Scalar(String),
    Array(Vec<Json>),
    /// Fields: the key as printed (quoted), and the value.
    Object(Vec<(String, Json)>),
}

impl Json {
    fn field_mut(&mut self, key: &str) -> Option<&mut Json> {
        let quoted = Value::from(key).to_string();
        match self {
            Json::Object(fields) => fields
                .iter_mut()
                .find(|(k, _)| *k == quoted)
                .map(|(_, v)| v),
            _ => None,
        }
    }

    fn field(&self, key: &str) -> Option<&Json> {
        let quoted = Value::from(key).to_string();
        match self {
            Json::Object(fields) => fields.iter().find(|(k, _)| *k == quoted).map(|(_, v)| v),
            _ => None,
        }
    }

    fn integer(&self) -> i64 {
        match self {
            Json::Scalar(raw) => raw
                .parse()
                .unwrap_or_else(|_| panic!("not an integer: {raw}")),
            other => panic!("not an integer: {other:?}"),
        }
    }

    fn is_scalar_like(&self) -> bool {
        match self {
            Json::Scalar(_) => true,
            Json::Array(items) => items.is_empty(),
            Json::Object(fields) => fields.is_empty(),
        }
    }

    fn is_flat(&self) -> bool {
        match self {
            Json::Scalar(_) => true,
            Json::Array(items) => items.iter().all(Json::is_scalar_like),
            Json::Object(fields) => fields.iter().all(|(_, v)| v.is_scalar_like()),
        }
    }

    fn inline(&self) -> String {
        match self {
            Json::Scalar(raw) => raw.clone(),
            Json::Array(items) => {
                let items: Vec<String> = items.iter().map(Json::inline).collect();
                format!("[{}]", items.join(", "))
            }
            Json::Object(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", v.inline()))
                    .collect();
                format!("{{{}}}", fields.join(", "))
            }
        }
    }

    fn write(&self, indent: usize, out: &mut String) {
        if self.is_flat() {
            out.push_str(&self.inline());
            return;
        }
        let pad = "  ".repeat(indent + 1);
        let (open, close, count) = match self {
            Json::Array(items) => ('[', ']', items.len()),
            Json::Object(fields) => ('{', '}', fields.len()),
            Json::Scalar(_) => unreachable!("scalars are flat"),
        };
        out.push(open);
        out.push('\n');
        for i in 0..count {
            out.push_str(&pad);
            match self {
                Json::Array(items) => items[i].write(indent + 1, out),
                Json::Object(fields) => {
                    out.push_str(&fields[i].0);
                    out.push_str(": ");
                    fields[i].1.write(indent + 1, out);
                }
                Json::Scalar(_) => unreachable!(),
            }
            out.push_str(if i + 1 < count { ",\n" } else { "\n" });
        }
        out.push_str(&"  ".repeat(indent));
        out.push(close);
    }
}

/// A parser for the binary's own (valid) JSON output.
struct Parser<'a> {
    text: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn skip_space(&mut self) {
        while self.text.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> u8 {
        self.skip_space();
        *self
            .text
            .get(self.at)
            .unwrap_or_else(|| panic!("JSON ends early at byte {}", self.at))
    }

    fn expect(&mut self, byte: u8) {
        assert_eq!(self.peek(), byte, "at byte {}", self.at);
        self.at += 1;
    }

    fn string(&mut self) -> String {
        self.expect(b'"');
        let start = self.at - 1;
        loop {
            match self.text.get(self.at) {
                Some(b'\\') => self.at += 2,
                Some(b'"') => break,
                Some(_) => self.at += 1,
                None => panic!("unterminated string at byte {start}"),
            }
        }
        self.at += 1;
        String::from_utf8(self.text[start..self.at].to_vec()).expect("UTF-8 JSON")
    }

    fn value(&mut self) -> Json {
        match self.peek() {
            b'{' => {
                self.at += 1;
                let mut fields = Vec::new();
                if self.peek() == b'}' {
                    self.at += 1;
                    return Json::Object(fields);
                }
                loop {
                    let key = self.string();
                    self.expect(b':');
                    fields.push((key, self.value()));
                    match self.peek() {
                        b',' => self.at += 1,
                        b'}' => {
                            self.at += 1;
                            return Json::Object(fields);
                        }
                        other => panic!("unexpected {:?} at byte {}", other as char, self.at),
                    }
                }
            }
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                if self.peek() == b']' {
                    self.at += 1;
                    return Json::Array(items);
                }
                loop {
                    items.push(self.value());
                    match self.peek() {
                        b',' => self.at += 1,
                        b']' => {
                            self.at += 1;
                            return Json::Array(items);
                        }
                        other => panic!("unexpected {:?} at byte {}", other as char, self.at),
                    }
                }
            }
            b'"' => Json::Scalar(self.string()),
            _ => {
                let start = self.at;
                while self
                    .text
                    .get(self.at)
                    .is_some_and(|b| !b",]}".contains(b) && !b.is_ascii_whitespace())
                {
                    self.at += 1;
                }
                let raw = String::from_utf8(self.text[start..self.at].to_vec()).expect("UTF-8");
                assert!(!raw.is_empty(), "no value at byte {start}");
                Json::Scalar(raw)
            }
        }
    }
}

fn is_empty_bucket(bucket: &Json) -> bool {
    let zero = |key: &str| matches!(bucket.field(key), Some(Json::Scalar(raw)) if raw == "0");
    zero("packets")
        && zero("bytes")
        && zero("other_bytes")
        && matches!(bucket.field("services"), Some(Json::Array(items)) if items.is_empty())
}

fn fold_empty_buckets(buckets: Vec<Json>, width: i64) -> Vec<Json> {
    let starts: Vec<i64> = buckets
        .iter()
        .map(|b| b.field("start_ns").expect("start_ns").integer())
        .collect();
    for pair in starts.windows(2) {
        assert_eq!(
            pair[1] - pair[0],
            width,
            "buckets not consecutive: {pair:?}"
        );
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < buckets.len() {
        if !is_empty_bucket(&buckets[i]) {
            out.push(buckets[i].clone());
            i += 1;
            continue;
        }
        let run = buckets[i..]
            .iter()
            .take_while(|b| is_empty_bucket(b))
            .count();
        let note = format!(
            "({run} empty buckets, start_ns {} to {})",
            starts[i],
            starts[i + run - 1]
        );
        out.push(Json::Scalar(Value::from(note).to_string()));
        i += run;
    }
    out
}

#[test]
fn diff_shows_the_changed_region_with_context() {
    let expected = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n";
    let actual = "a\nb\nc\nd\ne\nF\ng\nh\ni\nj\nk\n";
    let d = diff(expected, actual);
    assert!(d.starts_with("@@ -3,7 +3,7 @@\n"), "{d}");
    assert!(d.contains("  e\n- f\n+ F\n  g\n"), "{d}");
    assert!(d.contains("  c\n") && d.contains("  i\n"), "{d}");
    assert!(
        !d.contains("  b\n") && !d.contains("  j\n"),
        "more context than asked:\n{d}"
    );
}

#[test]
fn canonical_json_folds_only_empty_runs() {
    let json: Value = serde_json::json!({
        "portclass_version": "9.9.9",
        "inputs": [{"name": "/somewhere/x.pcap", "packets": 1}],
        "report": {"timeseries": {"bucket_ns": 10, "buckets": [
            {"start_ns": 0, "packets": 1, "bytes": 5, "other_bytes": 0, "services": []},
            {"start_ns": 10, "packets": 0, "bytes": 0, "other_bytes": 0, "services": []},
            {"start_ns": 20, "packets": 0, "bytes": 0, "other_bytes": 0, "services": []},
            {"start_ns": 30, "packets": 2, "bytes": 9, "other_bytes": 0,
             "services": [{"transport": "tcp", "port": 80, "bytes": 9}]}
        ]}}
    });
    let text = canonical_json(&serde_json::to_string_pretty(&json).expect("JSON"));
    assert!(
        text.contains("\"(2 empty buckets, start_ns 10 to 20)\""),
        "{text}"
    );
    assert!(text.contains("\"name\": \"x.pcap\""), "{text}");
    assert!(
        text.contains("\"portclass_version\": \"<version>\""),
        "{text}"
    );
    assert!(
        text.contains("{\"bytes\": 9, \"port\": 80, \"transport\": \"tcp\"}"),
        "{text}"
    );
    // Fields keep their printed order, numbers their printed digits.
    let printed = "{\"z\": 0.9419643646262351, \"a\": [1, 2], \"s\": \"a\\\"b\"}";
    assert_eq!(
        canonical_json(printed),
        "{\n  \"z\": 0.9419643646262351,\n  \"a\": [1, 2],\n  \"s\": \"a\\\"b\"\n}\n"
    );
}
