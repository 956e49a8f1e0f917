//! Snapshots of rendered output, kept by `insta` under
//! `tests/report/snapshots/` (`cargo insta review` shows a changed one and
//! takes it after review; `INSTA_UPDATE=always` rewrites them all: a
//! snapshot is only as right as the figures in it).
//!
//! JSON is snapshotted in a canonical, reviewable form (see
//! [`canonical_json`]); Markdown as printed, with the fixtures directory
//! taken out of input names.

use crate::common::*;
use serde_json::Value;

/// Compares `actual` with the snapshot `name` (`insta` prints the diff on
/// a mismatch).
pub fn assert_snapshot(name: &str, actual: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(
        manifest_dir()
            .join("tests")
            .join("report")
            .join("snapshots"),
    );
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, actual));
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
