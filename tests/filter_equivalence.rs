//! `--filter` on files means what tcpdump means: for every fixture and
//! every corpus capture and a set of filters,
//! `portclass read FILE --filter F` counts exactly what
//! `tcpdump -r FILE -w - F | portclass read -` counts (tcpdump keeps the
//! nanoseconds with `--time-stamp-precision nano`; compressed captures are
//! decompressed for it). Where libpcap cannot compile a filter for a
//! file's link type, tcpdump refuses the file and portclass must refuse the
//! filter too. A file is compared when libpcap reads the same frames from
//! it as portclass does unfiltered; the others (libpcap stops at a second
//! pcapng interface of another link type or snapshot length, or earlier
//! than portclass at damage, or refuses the file) are listed in a notice.
//! Skipped with a notice without tcpdump.

mod common;

use common::{file_name, fixture_files, skipped, tally_part};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Filters that exercise what libpcap compiles differently per link type:
/// protocols, ports, addresses, lengths on the wire, header fields, tags.
const FILTERS: &[&str] = &[
    "tcp",
    "udp port 53 or tcp port 443",
    "ip and not port 22",
    "ip6 or arp",
    "greater 200",
    "tcp[tcpflags] & tcp-syn != 0",
    "net 10.0.0.0/8 or net 192.168.0.0/16",
    "vlan or mpls or pppoes",
];

fn corpus_files() -> Option<Vec<PathBuf>> {
    let dir = common::manifest_dir().join("../shared/corpus");
    let entries = std::fs::read_dir(&dir).ok()?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x != "md"))
        .collect();
    files.sort();
    Some(files)
}

/// What tcpdump made of a file with a filter: the capture it wrote (up to
/// damage, where libpcap stops), or its complaint.
enum Tcpdump {
    Wrote(Vec<u8>),
    Refused(String),
}

/// The capture's bytes as libpcap can read them: decompressed.
fn uncompressed(file: &Path) -> Vec<u8> {
    use std::io::Read;
    let raw = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        out
    } else {
        raw
    }
}

fn tcpdump(capture: &[u8], filter: Option<&str>) -> Tcpdump {
    use std::io::Write;
    let mut command = Command::new("tcpdump");
    command.args(["--time-stamp-precision", "nano", "-r", "-", "-w", "-"]);
    if let Some(filter) = filter {
        command.arg(filter);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tcpdump runs");
    let mut stdin = child.stdin.take().expect("stdin piped");
    let output = std::thread::scope(|scope| {
        // tcpdump may stop reading early (a file it refuses).
        scope.spawn(move || {
            let _ = stdin.write_all(capture);
        });
        child.wait_with_output().expect("tcpdump runs")
    });
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    // tcpdump writes what it read before damage and exits 1 after it; a
    // file it cannot open or a filter it cannot compile writes nothing.
    if output.stdout.is_empty() {
        Tcpdump::Refused(stderr)
    } else {
        Tcpdump::Wrote(output.stdout)
    }
}

/// `portclass read FILE [--filter FILTER]`, JSON.
fn portclass_read(file: &Path, filter: Option<&str>) -> common::Run {
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "read".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        "--no-system-services".as_ref(),
        "--threads".as_ref(),
        "1".as_ref(),
        file.as_os_str(),
    ];
    if let Some(filter) = filter {
        args.push("--filter".as_ref());
        args.push(filter.as_ref());
    }
    common::portclass(&args)
}

/// What portclass counts of what tcpdump wrote.
fn piped(capture: &[u8]) -> common::Run {
    common::portclass_with_stdin(
        &[
            "read",
            "--format",
            "json",
            "--no-system-services",
            "--threads",
            "1",
            "-",
        ],
        capture,
    )
}

/// The figures compared: everything counted from the frames. Link types
/// are left out: libpcap writes some under another number than the file
/// had (12 as 101, raw IP).
fn figures(json: &Value) -> Value {
    let mut part = tally_part(json);
    part.as_object_mut()
        .expect("an object")
        .remove("link_types");
    for key in ["servers", "scans", "tunnels"] {
        if let Some(value) = json.get(key) {
            part[key] = value.clone();
        }
    }
    part
}

/// Compares one file under every filter; returns the differences, or why
/// the file was not compared.
fn check_file(file: &Path) -> Result<Vec<String>, String> {
    let capture = uncompressed(file);
    let all = match tcpdump(&capture, None) {
        Tcpdump::Refused(why) => return Err(why.lines().last().unwrap_or_default().to_owned()),
        Tcpdump::Wrote(all) => all,
    };
    let (ours, theirs) = (portclass_read(file, None), piped(&all));
    if ours.stdout.is_empty() || theirs.stdout.is_empty() {
        return Err("no summary unfiltered".to_owned());
    }
    let (ours, theirs) = (figures(&ours.json()), figures(&theirs.json()));
    if ours != theirs {
        return Err(format!(
            "libpcap reads {} packets of it, portclass {}",
            theirs["packets"], ours["packets"]
        ));
    }
    let mut problems = Vec::new();
    for filter in FILTERS {
        let ours = portclass_read(file, Some(filter));
        match tcpdump(&capture, Some(filter)) {
            Tcpdump::Refused(why) => {
                // An empty result is a capture header only (a filter that
                // matched nothing still writes one), so this is a refusal:
                // portclass must refuse the filter as well.
                if !ours.stderr.contains("bad capture filter")
                    && !ours.stderr.contains("bad filter")
                {
                    problems.push(format!(
                        "{filter:?}: tcpdump refused ({why}), portclass did not (exit {})",
                        ours.code
                    ));
                }
            }
            Tcpdump::Wrote(kept) => {
                let piped = piped(&kept);
                if ours.stdout.is_empty() || piped.stdout.is_empty() {
                    problems.push(format!(
                        "{filter:?}: no summary (portclass: {}; piped: {})",
                        ours.stderr.trim(),
                        piped.stderr.trim()
                    ));
                    continue;
                }
                let (ours, piped) = (figures(&ours.json()), figures(&piped.json()));
                if ours != piped {
                    problems.push(format!(
                        "{filter:?}: portclass --filter counted {} packets, tcpdump | portclass {} ({})",
                        ours["packets"],
                        piped["packets"],
                        first_difference(&ours, &piped)
                    ));
                }
            }
        }
    }
    Ok(problems)
}

/// The first key whose value differs, for the failure message.
fn first_difference(a: &Value, b: &Value) -> String {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => a
            .iter()
            .find(|(key, value)| b.get(*key) != Some(*value))
            .map(|(key, _)| format!("first difference in `{key}`"))
            .unwrap_or_else(|| "a key only on one side".to_owned()),
        _ => "values differ".to_owned(),
    }
}

#[test]
fn filter_on_files_counts_what_tcpdump_keeps() {
    if Command::new("tcpdump").arg("--version").output().is_err() {
        skipped("tcpdump is not installed here (apt-get install tcpdump)");
        return;
    }
    let mut files = fixture_files();
    match corpus_files() {
        Some(corpus) => files.extend(corpus),
        None => skipped("../shared/corpus not found: only the fixtures are compared"),
    }
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let not_compared = Mutex::new(Vec::new());
    let compared = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while let Some(file) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                    match check_file(file) {
                        Ok(problems) => {
                            compared.fetch_add(1, Ordering::Relaxed);
                            for problem in problems {
                                failures
                                    .lock()
                                    .unwrap()
                                    .push(format!("{}: {problem}", file_name(file)));
                            }
                        }
                        Err(why) => not_compared
                            .lock()
                            .unwrap()
                            .push(format!("{} ({why})", file_name(file))),
                    }
                }
            });
        }
    });
    let not_compared = not_compared.into_inner().unwrap();
    if !not_compared.is_empty() {
        skipped(format_args!(
            "libpcap reads {} of {} captures otherwise than portclass, so tcpdump's figures cannot be compared for them: {}",
            not_compared.len(),
            files.len(),
            not_compared.join("; ")
        ));
    }
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} differences between --filter and tcpdump:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Most captures are read alike by libpcap: a run that compared only a
    // few means tcpdump itself is broken here.
    let compared = compared.into_inner();
    assert!(
        compared * 10 >= files.len() * 8,
        "only {compared} of {} captures compared",
        files.len()
    );
}
