//! Writing never fails silently: a full disk under `report --out` or under
//! standard output is reported once, naming the file (or standard output)
//! and the operating system's error, with exit status 2, and never leaves
//! a cut report in place of a complete one. The disk is a small tmpfs
//! mounted for the test (skipped, with a notice, without root).

use crate::common::*;
use std::process::{Command, Stdio};

#[test]
fn a_full_disk_under_report_out_keeps_the_earlier_report() {
    let Some(disk) = SmallDisk::new("12k") else {
        return;
    };
    let report = disk.dir.path().join("report.html");
    std::fs::write(&report, "earlier report\n").expect("earlier report");
    let run = portclass(&[
        "report".as_ref(),
        fixture("busy-traffic.pcapng").as_os_str(),
        "--out".as_ref(),
        report.as_os_str(),
    ]);
    run.assert_code(2);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one message:\n{}", run.stderr);
    assert!(
        lines[0].contains(&report.display().to_string())
            && lines[0].contains("No space left on device"),
        "{}",
        lines[0]
    );
    assert_eq!(
        std::fs::read_to_string(&report).expect("report"),
        "earlier report\n",
        "the earlier report is unchanged"
    );
    let left: Vec<_> = std::fs::read_dir(disk.dir.path())
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .collect();
    assert_eq!(left, ["report.html"], "no partial file left behind");
}

#[test]
fn a_full_disk_under_standard_output_is_said_once() {
    let Some(disk) = SmallDisk::new("12k") else {
        return;
    };
    let file = std::fs::File::create(disk.dir.path().join("out.json")).expect("out.json");
    let output = Command::new(bin())
        .args(["read", "--format", "json"])
        .arg(fixture("busy-traffic.pcapng"))
        .stdout(file)
        .stderr(Stdio::piped())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one message:\n{stderr}");
    assert!(
        lines[0].contains("standard output") && lines[0].contains("No space left on device"),
        "{}",
        lines[0]
    );
}
