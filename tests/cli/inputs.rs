//! Ways in: standard input, gzip and zstd (as files and on stdin), files
//! named for another format, and several files in one run.

use crate::common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const READ_STDIN: &[&str] = &["read", "--format", "json", "--no-system-services", "-"];

fn read_ok(path: &Path) -> Value {
    let run = read_json(&[path], &[]);
    run.assert_code(0);
    assert!(
        run.stderr.is_empty(),
        "{}: stderr:\n{}",
        run.command,
        run.stderr
    );
    let json = run.json();
    assert_eq!(json["inputs"][0]["status"], "complete", "{}", run.command);
    json
}

fn read_stdin_ok(data: &[u8]) -> Value {
    let run = portclass_with_stdin(READ_STDIN, data);
    run.assert_code(0);
    assert!(
        run.stderr.is_empty(),
        "{}: stderr:\n{}",
        run.command,
        run.stderr
    );
    let json = run.json();
    assert_eq!(json["inputs"][0]["status"], "complete", "{}", run.command);
    json
}

#[test]
fn stdin_gives_the_same_tally_as_the_file() {
    for path in fixture_files() {
        let data = std::fs::read(&path).expect("fixture readable");
        assert_eq!(
            tally_part(&read_stdin_ok(&data)),
            tally_part(&read_ok(&path)),
            "{}: stdin vs file",
            file_name(&path)
        );
    }
}

#[test]
fn gzip_and_zstd_give_the_same_tally_as_files_and_on_stdin() {
    let dir = tempfile::tempdir().expect("temp dir");
    for name in ["sample.pcapng", "dynamic-ports.pcap", "linktypes.pcapng"] {
        let data = fixture_bytes(name);
        let plain = tally_part(&read_ok(&fixture(name)));
        for (suffix, packed) in [("gz", gzip(&data)), ("zst", zstd(&data))] {
            let path = write_file(dir.path(), &format!("{name}.{suffix}"), &packed);
            assert_eq!(
                tally_part(&read_ok(&path)),
                plain,
                "{name}.{suffix} as a file"
            );
            assert_eq!(
                tally_part(&read_stdin_ok(&packed)),
                plain,
                "{name}.{suffix} on stdin"
            );
        }
    }
}

#[test]
fn content_decides_the_format_not_the_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pcapng = fixture_bytes("sample.pcapng");
    let pcap = fixture_bytes("dynamic-ports.pcap");
    let cases: [(&str, Vec<u8>, &str, &str); 4] = [
        (
            "sample-really-pcapng.pcap",
            pcapng.clone(),
            "sample.pcapng",
            "pcapng",
        ),
        (
            "dynamic-ports.txt",
            pcap.clone(),
            "dynamic-ports.pcap",
            "pcap (",
        ),
        (
            "gzip-inside.pcap",
            gzip(&pcap),
            "dynamic-ports.pcap",
            "pcap (",
        ),
        (
            "zstd-inside.pcapng.gz",
            zstd(&pcapng),
            "sample.pcapng",
            "pcapng",
        ),
    ];
    for (misnamed, content, original, format) in cases {
        let path = write_file(dir.path(), misnamed, &content);
        let json = read_ok(&path);
        assert_eq!(
            tally_part(&json),
            tally_part(&read_ok(&fixture(original))),
            "{misnamed}"
        );
        let found = json["inputs"][0]["format"].as_str().expect("format");
        assert!(
            found.starts_with(format),
            "{misnamed}: format {found:?}, expected {format}…"
        );
    }
}

/// Adds up keyed figures.
fn add<const N: usize>(into: &mut BTreeMap<String, [u64; N]>, from: BTreeMap<String, [u64; N]>) {
    for (key, figures) in from {
        let sum = into.entry(key).or_insert([0; N]);
        for (s, f) in sum.iter_mut().zip(figures) {
            *s += f;
        }
    }
}

fn transport_figures(json: &Value) -> BTreeMap<String, [u64; 2]> {
    CATEGORIES
        .iter()
        .map(|c| {
            let (p, b) = category(json, c);
            (c.to_string(), [p, b])
        })
        .collect()
}

fn service_arrays(json: &Value) -> BTreeMap<String, [u64; 2]> {
    service_figures(json)
        .into_iter()
        .map(|(k, (p, b))| (k, [p, b]))
        .collect()
}

#[test]
fn several_files_add_up_and_are_listed_in_order() {
    let files: Vec<PathBuf> = [
        "sample.pcapng",
        "dynamic-ports.pcap",
        "linktypes.pcapng",
        "sample.pcapng",
    ]
    .iter()
    .map(|n| fixture(n))
    .collect();
    let singles: Vec<Value> = files.iter().map(|f| read_ok(f)).collect();

    let (mut packets, mut bytes) = (0, 0);
    let (mut transports, mut ports, mut services) =
        (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for single in &singles {
        packets += u64_of(single, "packets");
        bytes += u64_of(single, "bytes");
        add(&mut transports, transport_figures(single));
        add(&mut ports, tool_ports(single));
        add(&mut services, service_arrays(single));
    }

    let mut outputs = Vec::new();
    for threads in ["1", "3"] {
        let run = read_json(&files, &["--threads", threads]);
        run.assert_code(0);
        let json = run.json();
        let ctx = &run.command;
        assert_eq!(
            (u64_of(&json, "packets"), u64_of(&json, "bytes")),
            (packets, bytes),
            "{ctx}"
        );
        assert_same_rows(
            &format!("{ctx}: transport"),
            &transport_figures(&json),
            &transports,
        );
        assert_same_rows(&format!("{ctx}: ports"), &tool_ports(&json), &ports);
        assert_same_rows(
            &format!("{ctx}: services"),
            &service_arrays(&json),
            &services,
        );

        let inputs = json["inputs"].as_array().expect("inputs");
        assert_eq!(inputs.len(), files.len(), "{ctx}");
        for ((input, file), single) in inputs.iter().zip(&files).zip(&singles) {
            assert_eq!(
                input["name"],
                file.to_string_lossy().as_ref(),
                "{ctx}: inputs order"
            );
            assert_eq!(input["status"], "complete", "{ctx}");
            assert_eq!(input["packets"], single["packets"], "{ctx}: {input}");
            assert_eq!(input["bytes"], single["bytes"], "{ctx}: {input}");
        }
        outputs.push(json);
    }
    assert_eq!(
        outputs[0], outputs[1],
        "--threads 1 and --threads 3 disagree"
    );
}

/// `bash -c SCRIPT` with the binary as `$PC`: stdout, and the exit code.
fn bash(script: &str) -> (Vec<u8>, Option<i32>, String) {
    let out = std::process::Command::new("bash")
        .args(["-c", script])
        .env("PC", bin())
        .output()
        .expect("bash runs");
    (
        out.stdout,
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn report_and_diff_read_captures_and_summaries_from_pipes() {
    let capture = fixture("sample.pcapng");
    let capture = capture.to_str().unwrap();
    let json = |bytes: &[u8]| -> Value { serde_json::from_slice(bytes).expect("JSON") };
    let (file, code, _) = bash(&format!(
        "$PC report --format json --no-system-services {capture}"
    ));
    assert_eq!(code, Some(0));
    let file = json(&file);
    // A capture through a pipe (process substitution), plain and gzipped,
    // and a JSON summary through a pipe: the same report as the file.
    for source in [
        format!("<(cat {capture})"),
        format!("<(gzip -c {capture})"),
        format!("<($PC report --format json --no-system-services {capture})"),
    ] {
        let (piped, code, stderr) = bash(&format!(
            "$PC report --format json --no-system-services {source}"
        ));
        assert_eq!(code, Some(0), "{source}: {stderr}");
        let piped = json(&piped);
        for key in [
            "packets",
            "bytes",
            "services",
            "servers",
            "transport",
            "report",
        ] {
            assert_eq!(piped[key], file[key], "{source}: {key}");
        }
    }
    // diff of two pipes: the capture and a summary of the same capture.
    let (_, code, stderr) = bash(&format!(
        "$PC diff --no-system-services <(cat {capture}) <($PC read --format json --no-system-services {capture})"
    ));
    assert_eq!(code, Some(0), "no change expected: {stderr}");
}
