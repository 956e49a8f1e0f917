//! `--threads`: one capture's frames split between shard workers give the
//! same output, byte for byte, as one worker, for every fixture and every
//! capture of ../shared/corpus (conversations, fragments, FTP and TFTP
//! channels, scans, servers, link types, time span, input facts).

use crate::common::{self, Run};
use std::path::{Path, PathBuf};

/// The thread counts compared: one worker (the reference), two, and a
/// count that is no power of two.
const THREADS: [&str; 3] = ["1", "2", "5"];

/// The corpus captures (`../shared/corpus`, every file but its notes), or
/// none when it is not beside the clone.
fn corpus_files() -> Vec<PathBuf> {
    let dir = common::manifest_dir().join("../shared/corpus");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        common::skipped(format_args!(
            "{} not found (a clone without ../shared beside it): fixtures only",
            dir.display()
        ));
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x != "md"))
        .collect();
    files.sort();
    files
}

fn run(command: &str, capture: &Path, threads: &str) -> Run {
    common::portclass(&[
        command.as_ref(),
        capture.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
        "--threads".as_ref(),
        threads.as_ref(),
    ])
}

#[test]
fn shard_workers_change_nothing_in_read_and_report() {
    let captures: Vec<PathBuf> = common::fixture_files()
        .into_iter()
        .chain(corpus_files())
        .collect();
    let mut differing = Vec::new();
    for capture in &captures {
        for command in ["read", "report"] {
            let one = run(command, capture, THREADS[0]);
            for threads in &THREADS[1..] {
                let many = run(command, capture, threads);
                if (many.code, &many.stdout, &many.stderr) != (one.code, &one.stdout, &one.stderr) {
                    differing.push(format!(
                        "{command} {} --threads {threads}",
                        common::file_name(capture)
                    ));
                }
            }
        }
    }
    assert!(
        differing.is_empty(),
        "output differs from --threads 1:\n{}",
        differing.join("\n")
    );
}
