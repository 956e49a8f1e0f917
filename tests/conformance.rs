//! Conformance: every capture in ../shared/corpus, read with
//! `portclass read --format json`, must give exactly tshark's figures in
//! ../shared/corpus/expected (computed by ../shared/tools/oracle.py under
//! the counting rules). A capture whose expected file records that tshark
//! could not read its link type at all is compared with tcpdump's figures
//! instead (fixtures/tcpdump-oracle.py, run here; skipped with a notice
//! where tcpdump is not installed). Skipped with a notice when ../shared is
//! absent.

mod common;

use common::differences;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Captures that cannot match, with the reason. Each is still read, and must
/// not crash; only the comparison is skipped. (None at present.)
const EXCEPTIONS: &[(&str, &str)] = &[];

/// Whether an expected file records that tshark could not read the
/// capture's link type at all (no figures, only tshark's refusal).
fn tshark_refused_link_type(oracle: &Value) -> bool {
    oracle["tshark_rc"] != 0
        && oracle["tshark_stderr"]
            .as_str()
            .is_some_and(|e| e.contains("network type") && e.contains("unknown or unsupported"))
}

/// tcpdump's figures for `file` from fixtures/tcpdump-oracle.py: `None`
/// when tcpdump or python3 is not installed here.
fn tcpdump_figures(file: &Path) -> Option<Result<Value, String>> {
    let installed = |tool: &str| Command::new(tool).arg("--version").output().is_ok();
    if !installed("tcpdump") || !installed("python3") {
        return None;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tcpdump-oracle.py");
    let output = match Command::new("python3").arg(&script).arg(file).output() {
        Ok(output) => output,
        Err(e) => return Some(Err(format!("{}: {e}", script.display()))),
    };
    if !output.status.success() {
        return Some(Err(format!(
            "tcpdump-oracle.py failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Some(serde_json::from_slice(&output.stdout).map_err(|e| format!("tcpdump-oracle.py: {e}")))
}

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
    let mut by_tcpdump = 0;
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
        let mut oracle: Value = serde_json::from_slice(
            &std::fs::read(&expected_path)
                .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display())),
        )
        .expect("expected JSON parses");
        if tshark_refused_link_type(&oracle) {
            match tcpdump_figures(file) {
                None => {
                    common::skipped(format_args!(
                        "{name}: tshark cannot read its link type and tcpdump (or python3) \
                         is not installed to compare with"
                    ));
                    continue;
                }
                Some(Err(e)) => {
                    failures.push(format!("{name}: {e}"));
                    continue;
                }
                Some(Ok(figures)) => {
                    by_tcpdump += 1;
                    oracle = figures;
                }
            }
        }
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
        "conformance: {matched} of {} captures match exactly ({by_tcpdump} of them tcpdump's \
         figures, for link types tshark cannot read), {} listed exceptions",
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
