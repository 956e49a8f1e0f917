//! A reader that goes away (`portclass read … | head -c 16`) ends the run
//! quietly: exit status 0, nothing on stderr.

use crate::common::*;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

/// A capture of `count` UDP frames between ports `i` and `60000 - i`: tens of
/// thousands of port and service rows, megabytes of JSON or CSV, far more
/// than a pipe buffer holds.
fn many_ports_capture(dir: &Path, count: u16) -> std::path::PathBuf {
    let mut capture = pcap_header();
    for i in 1..=count {
        let frame = udp_ipv4_frame(i, 60000 - i, b"x");
        push_pcap_record(
            &mut capture,
            1_700_000_000 + u32::from(i / 1000),
            u32::from(i % 1000) * 1000,
            &frame,
        );
    }
    write_file(dir, "many-ports.pcap", &capture)
}

#[test]
fn closed_stdout_ends_quietly_with_status_0() {
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = many_ports_capture(dir.path(), 30_000);
    for format in ["json", "csv"] {
        let mut child = Command::new(bin())
            .args(["read", "--no-system-services", "--format", format])
            .arg(&capture)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start portclass");
        let mut stdout = child.stdout.take().expect("stdout piped");
        let mut first = [0u8; 16];
        stdout
            .read_exact(&mut first)
            .expect("the first bytes of the output");
        drop(stdout);
        let output = child.wait_with_output().expect("wait for portclass");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(0),
            "--format {format}: {}; stderr:\n{stderr}",
            output.status
        );
        assert!(stderr.is_empty(), "--format {format}: stderr:\n{stderr}");
        let expected_start: &[u8] = if format == "json" {
            b"{"
        } else {
            b"transport,"
        };
        assert!(
            first.starts_with(expected_start),
            "--format {format}: output starts {first:?}"
        );
    }
}

#[test]
fn the_many_ports_capture_really_has_many_rows() {
    // Without this, the closed-pipe test could pass on an output that fits in
    // the pipe buffer and never meets the closed pipe.
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = many_ports_capture(dir.path(), 30_000);
    let run = read_json(&[&capture], &[]);
    run.assert_code(0);
    assert!(
        run.stdout.len() > 4 << 20,
        "only {} bytes of JSON",
        run.stdout.len()
    );
    let json = run.json();
    assert_eq!(category(&json, "udp").0, 30_000);
    assert!(
        tool_ports(&json).len() > 50_000,
        "{} port rows",
        tool_ports(&json).len()
    );
}
