//! Failures of `live` end with exit status 2 and one clear line on stderr:
//! no capture privileges (with the setcap hint), an unknown interface (with
//! a pointer to `portclass interfaces`), a filter libpcap rejects (with
//! libpcap's message).

use crate::common::netns::{NetPair, Side};
use crate::common::*;
use crate::session::STOP_TIMEOUT;
use std::os::unix::fs::PermissionsExt;

/// Runs `portclass ARGS...` in namespace B (through `prefix`, e.g. setpriv)
/// and requires exit status 2; returns the run.
fn fails_in_b(net: &NetPair, prefix: &[&str], program: &str, args: &[&str]) -> Run {
    let mut all: Vec<&str> = prefix.to_vec();
    all.push(program);
    all.extend_from_slice(args);
    let run = net.spawn(Side::B, &all).wait(STOP_TIMEOUT).into_run();
    run.assert_code(2);
    // "The summary so far" may be printed; if it is, it is NDJSON.
    for line in run.stdout_text().lines().filter(|l| !l.trim().is_empty()) {
        let json: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{}: stdout line not JSON ({e}): {line}", run.command));
        if json["type"] == "summary" {
            assert_eq!(json["packets"], 0, "{}: nothing was captured", run.command);
        }
    }
    run
}

#[test]
fn without_capture_privileges_says_how_to_grant_them() {
    let Some(net) = NetPair::new() else { return };
    // A copy any user can run, wherever the target directory is.
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod temp dir");
    let copy = dir.path().join("portclass");
    std::fs::copy(bin(), &copy).expect("copy the binary");
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).expect("chmod binary");
    let copy = copy.to_string_lossy().into_owned();
    let nobody = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=-all",
    ];
    let run = fails_in_b(
        &net,
        &nobody,
        &copy,
        &[
            "live",
            "-i",
            &net.ns_b,
            "--count",
            "1",
            "--duration",
            "5",
            "--format",
            "json",
        ],
    );
    let lines = run.stderr_lines();
    assert_eq!(lines.len(), 1, "one line on stderr:\n{}", run.stderr);
    for needle in ["CAP_NET_RAW", "setcap"] {
        assert!(
            lines[0].contains(needle),
            "stderr lacks {needle:?}: {}",
            lines[0]
        );
    }
}

#[test]
fn unknown_interface_is_named_with_a_pointer_to_the_list() {
    let Some(net) = NetPair::new() else { return };
    let run = fails_in_b(
        &net,
        &[],
        bin(),
        &["live", "-i", "nosuch0", "--count", "1", "--duration", "5"],
    );
    let lines = run.stderr_lines();
    assert!(
        lines.iter().any(|l| l.contains("nosuch0")),
        "stderr does not name the interface:\n{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("portclass interfaces"),
        "stderr does not point to `portclass interfaces`:\n{}",
        run.stderr
    );
}

#[test]
fn bad_filter_reports_libpcaps_message() {
    let Some(net) = NetPair::new() else { return };
    let run = fails_in_b(
        &net,
        &[],
        bin(),
        &[
            "live",
            "-i",
            &net.ns_b,
            "--filter",
            "port port",
            "--count",
            "1",
            "--duration",
            "5",
        ],
    );
    // libpcap says "syntax error" (older: "syntax error in filter expression").
    assert!(
        run.stderr.contains("syntax error"),
        "stderr lacks libpcap's message:\n{}",
        run.stderr
    );
}
