//! Conformance: every capture in ../shared/corpus, read with
//! `portclass read --format json`, must give exactly tshark's figures in
//! ../shared/corpus/expected (computed by ../shared/tools/oracle.py under
//! the counting rules). Skipped with a notice when ../shared is absent.

mod common;

use common::differences;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Captures that cannot match, with the reason. Each is still read, and must
/// not crash; only the comparison is skipped.
const EXCEPTIONS: &[(&str, &str)] = &[(
    "tcpdump_edsa.pcap",
    "link type 285 (Marvell EDSA): tshark cannot read the file at all (0 frames); \
         portclass reads its frames and counts them as non_ip",
)];

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")
}

#[test]
fn corpus_matches_tshark() {
    let dir = corpus_dir();
    let expected_dir = dir.join("expected");
    if !expected_dir.is_dir() {
        common::skipped(format_args!(
            "{} not found (a clone without ../shared beside it)",
            expected_dir.display()
        ));
        return;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus directory readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x != "md"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 64,
        "expected the 64 corpus captures, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    let mut matched = 0;
    for file in &files {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let output = Command::new(env!("CARGO_BIN_EXE_portclass"))
            .args(["read", "--format", "json", "--no-system-services"])
            .arg(file)
            .output()
            .expect("run portclass");
        let code = output.status.code();
        if !matches!(code, Some(0..=2)) {
            failures.push(format!(
                "{name}: exited with {:?} (a crash or signal)",
                output.status
            ));
            continue;
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{name}: panicked: {stderr}");
        if let Some((_, reason)) = EXCEPTIONS.iter().find(|(f, _)| *f == name) {
            eprintln!("exception {name}: {reason}");
            continue;
        }
        let tool: Value = match serde_json::from_slice(&output.stdout) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!(
                    "{name}: output is not JSON ({e}); stderr: {stderr}"
                ));
                continue;
            }
        };
        let expected_path = expected_dir.join(format!("{name}.json"));
        let oracle: Value = serde_json::from_slice(
            &std::fs::read(&expected_path)
                .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display())),
        )
        .expect("expected JSON parses");
        let diffs = differences(&tool, &oracle);
        if diffs.is_empty() {
            matched += 1;
        } else {
            let shown: Vec<_> = diffs.iter().take(10).cloned().collect();
            failures.push(format!(
                "{name} ({} differences):\n    {}",
                diffs.len(),
                shown.join("\n    ")
            ));
        }
    }
    eprintln!(
        "conformance: {matched} of {} captures match tshark exactly, {} listed exceptions",
        files.len(),
        EXCEPTIONS.len()
    );
    assert!(
        failures.is_empty(),
        "{} captures differ from tshark:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
