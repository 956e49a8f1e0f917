//! Bounded memory at scale: a SYN flood from 200,000 distinct sources to
//! one server port, written at test time, keeps at most `capacity` hosts and
//! conversations, says the tables are approximate, keeps the server (and
//! three heavy clients) with their figures, bounds what it dropped, and
//! stays far below 200 MiB of peak RSS. Nothing here is timed.

use crate::common::*;
use crate::support::*;
use serde_json::Value;
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;

const SOURCES: u32 = 200_000;
/// Frames from each heavy client, interleaved with the flood.
const HEAVY_FRAMES: u32 = 2_000;
const SERVER: [u8; 4] = [192, 0, 2, 1];
const SERVER_PORT: u16 = 80;
const HEAVY: [[u8; 4]; 3] = [[198, 51, 100, 7], [198, 51, 100, 8], [198, 51, 100, 9]];
const HEAVY_PORT: u16 = 50_000;
/// Bytes of one frame (Ethernet + IPv4 + TCP).
const FRAME: u64 = 54;

/// Distinct sources in 10.0.0.0/8: multiplying by an odd number is a
/// bijection modulo 2^24, so `i` → address never repeats.
fn source(i: u32) -> [u8; 4] {
    let n = i.wrapping_mul(2_654_435_761) & 0x00ff_ffff;
    [10, (n >> 16) as u8, (n >> 8) as u8, n as u8]
}

/// The flood from sources `first..first + count`, one frame per 100 µs, a
/// frame from each heavy client after every 100 flood frames (at most
/// `heavy` each). Returns the number of frames written.
fn write_flood(path: &Path, first: u32, count: u32, heavy: u32) -> u64 {
    let mut out = pcap_header();
    let mut frames = 0u64;
    let mut heavy_sent = 0;
    for i in first..first + count {
        let t = u64::from(i) * 100;
        let (seconds, micros) = (
            1_700_000_000 + (t / 1_000_000) as u32,
            (t % 1_000_000) as u32,
        );
        let frame = tcp_syn_frame(source(i), 1024 + (i % 60_000) as u16, SERVER, SERVER_PORT);
        push_pcap_record(&mut out, seconds, micros, &frame);
        frames += 1;
        if i % 100 == 99 && heavy_sent < heavy {
            for client in HEAVY {
                let frame = tcp_syn_frame(client, HEAVY_PORT, SERVER, SERVER_PORT);
                push_pcap_record(&mut out, seconds, micros, &frame);
                frames += 1;
            }
            heavy_sent += 1;
        }
    }
    assert_eq!(
        heavy_sent, heavy,
        "flood too short for {heavy} heavy frames"
    );
    std::fs::write(path, &out).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    frames
}

/// Peak RSS in KiB of `portclass ARGS` run under `/usr/bin/time`, and its
/// output; `None` when `/usr/bin/time` is not installed.
fn run_measured(args: &[&std::ffi::OsStr], dir: &Path) -> Option<(u64, Vec<u8>)> {
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        return None;
    }
    let report_file = dir.join("time.txt");
    let output = Command::new(time)
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&report_file)
        .arg(bin())
        .args(args)
        .output()
        .expect("run /usr/bin/time");
    assert!(
        output.status.success(),
        "portclass under /usr/bin/time: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&report_file).expect("time's report");
    let kib = text
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("/usr/bin/time wrote {text:?}"));
    Some((kib, output.stdout))
}

/// Checks what a report of a flood of `frames` frames (`heavy_bytes` from
/// each heavy client) must say however it was made: bounded, approximate
/// tables with exact totals, the server first and exact, and the heavy
/// clients kept with their true bytes inside the stated bounds.
fn check_flood_report(json: &Value, frames: u64, heavy_bytes: u64, attempts: Attempts) {
    let total_bytes = frames * FRAME;
    assert_eq!(u64_of(json, "packets"), frames);
    assert_eq!(u64_of(json, "bytes"), total_bytes);

    // Hosts: ranked by sent + received, so the total rank weight is twice
    // the bytes.
    let hosts = &json["report"]["hosts"];
    check_bounded_table(hosts, "hosts", 2 * total_bytes);
    let t = &hosts["totals"];
    assert_eq!(
        [u64_of(t, "sent_packets"), u64_of(t, "sent_bytes")],
        [frames, total_bytes],
        "hosts.totals are exact"
    );
    let entries = hosts["entries"].as_array().expect("entries");
    let server = &entries[0];
    assert_eq!(
        server["address"],
        Ipv4Addr::from(SERVER).to_string(),
        "the server first"
    );
    assert_eq!(u64_of(server, "received_bytes"), total_bytes);
    assert_eq!(u64_of(server, "received_packets"), frames);
    assert_eq!(u64_of(server, "sent_bytes"), 0);
    assert_eq!(u64_of(server, "overestimate_bytes"), 0);
    // A heavy client sends more than total/capacity, so it is kept, and its
    // true bytes lie in [shown, shown + overestimate].
    for client in HEAVY {
        let address = Ipv4Addr::from(client).to_string();
        let row = entries
            .iter()
            .find(|h| h["address"] == address.as_str())
            .unwrap_or_else(|| panic!("heavy client {address} not kept"));
        let shown = u64_of(row, "sent_bytes");
        assert!(
            shown <= heavy_bytes && heavy_bytes <= shown + u64_of(row, "overestimate_bytes"),
            "{address}: {row} vs {heavy_bytes} true bytes"
        );
    }

    if attempts == Attempts::Failed {
        check_failed_flood(json, frames);
        return;
    }
    // Conversations: one per flood frame, plus the three heavy ones.
    let conversations = &json["report"]["conversations"];
    check_bounded_table(conversations, "conversations", total_bytes);
    let t = &conversations["totals"];
    assert_eq!(
        [u64_of(t, "to_server_packets"), u64_of(t, "to_server_bytes")],
        [frames, total_bytes],
        "conversations.totals are exact"
    );
    let entries = conversations["entries"].as_array().expect("entries");
    for client in HEAVY {
        let address = Ipv4Addr::from(client).to_string();
        let row = entries
            .iter()
            .find(|c| c["client"] == address.as_str() && c["client_port"] == HEAVY_PORT)
            .unwrap_or_else(|| panic!("heavy conversation of {address} not kept"));
        assert_eq!(row["server_port"], SERVER_PORT);
        let shown = u64_of(row, "to_server_bytes");
        assert!(
            shown <= heavy_bytes && heavy_bytes <= shown + u64_of(row, "overestimate_bytes"),
            "{address}: {row} vs {heavy_bytes} true bytes"
        );
    }

    // The rest of the report is exact: one service, one direction.
    let http = service_row(json, "tcp", Some(SERVER_PORT)).expect("http row");
    assert_eq!(u64_of(http, "bytes"), total_bytes);
    let direction = &json["report"]["service_directions"][0];
    assert_eq!(u64_of(direction, "to_server_bytes"), total_bytes);
    let buckets = json["report"]["timeseries"]["buckets"]
        .as_array()
        .expect("buckets");
    assert!(buckets.len() <= 1024, "{} buckets", buckets.len());
    let bytes: u64 = buckets.iter().map(|b| u64_of(b, "bytes")).sum();
    assert_eq!(bytes, total_bytes);
}

/// How the flood's unanswered SYNs are counted: as failed attempts (the
/// default), or, with `--no-handshake`, as conversations of the server port.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Attempts {
    Failed,
    Conversations,
}

/// With failed attempts: every unanswered SYN is in the tcp failed row
/// (bounded however many are held at once), none is a conversation or a
/// service of the port it tried, and the row says what was tried.
fn check_failed_flood(json: &Value, frames: u64) {
    let total_bytes = frames * FRAME;
    assert!(service_row(json, "tcp", Some(SERVER_PORT)).is_none());
    let failed = services(json)
        .iter()
        .find(|r| r["failed"] == true && r["transport"] == "tcp")
        .expect("tcp failed row");
    assert_eq!(u64_of(failed, "bytes"), total_bytes, "{failed}");
    let attempted = &failed["attempted"];
    assert_eq!(u64_of(attempted, "ports"), 1, "{attempted}");
    // Every SYN tried the one server: one host, exactly.
    assert_eq!(u64_of(attempted, "hosts"), 1, "{attempted}");
    assert_eq!(attempted["hosts_approximate"], false, "{attempted}");
    let conversations = &json["report"]["conversations"];
    assert_eq!(conversations["exact"], true);
    assert_eq!(conversations["entries"], serde_json::json!([]));
    let direction = &json["report"]["service_directions"][0];
    assert_eq!(direction["failed"], true);
    assert_eq!(u64_of(direction, "to_server_bytes"), total_bytes);
}

fn check_bounded_table(table: &Value, what: &str, rank_total: u64) {
    let capacity = u64_of(table, "capacity");
    let entries = table["entries"].as_array().expect("entries");
    assert_eq!(
        table["exact"], false,
        "{what}: 200,000 keys cannot be exact"
    );
    assert!(
        entries.len() as u64 <= capacity,
        "{what}: {} entries",
        entries.len()
    );
    assert!(capacity >= 16, "{what}: capacity {capacity}");
    let bound = u64_of(table, "error_bound_bytes");
    assert!(
        bound > 0,
        "{what}: keys were dropped, so the bound is not 0"
    );
    assert!(
        bound <= rank_total / capacity,
        "{what}: error bound {bound} above total/capacity = {}",
        rank_total / capacity
    );
    for e in entries {
        assert!(u64_of(e, "overestimate_bytes") <= bound, "{what}: {e}");
    }
}

#[test]
fn two_hundred_thousand_sources_stay_bounded() {
    let dir = tempfile::tempdir().expect("temp dir");
    let capture = dir.path().join("flood.pcap");
    let frames = write_flood(&capture, 0, SOURCES, HEAVY_FRAMES);
    let heavy_bytes = u64::from(HEAVY_FRAMES) * FRAME;

    let mut command: Vec<&std::ffi::OsStr> = ["report", "--no-system-services", "--format", "json"]
        .iter()
        .map(std::ffi::OsStr::new)
        .collect();
    command.push(capture.as_os_str());
    let (peak_kib, stdout) = match run_measured(&command, dir.path()) {
        Some((kib, stdout)) => (Some(kib), stdout),
        None => {
            skipped("the peak RSS check: /usr/bin/time is not installed");
            (None, clean(portclass(&command)).stdout)
        }
    };
    if let Some(kib) = peak_kib {
        assert!(kib < 200 * 1024, "peak RSS {kib} KiB, over 200 MiB");
        eprintln!("report of {frames} frames from {SOURCES} sources: peak RSS {kib} KiB");
    }
    let json: Value = serde_json::from_slice(&stdout).expect("report JSON");
    check_flood_report(&json, frames, heavy_bytes, Attempts::Failed);
}

/// The bounds survive merging: two floods of 6,000 sources each (more than
/// the capacity), reported apart and merged, say what one report of both
/// must say.
#[test]
fn merged_reports_of_two_floods_keep_the_bounds() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, b) = (dir.path().join("a.pcap"), dir.path().join("b.pcap"));
    let heavy = 50;
    let frames = write_flood(&a, 0, 6_000, heavy) + write_flood(&b, 6_000, 6_000, heavy);
    let heavy_bytes = 2 * u64::from(heavy) * FRAME;
    // Written by the binary itself (`--out`): JSON is slow to parse and
    // print in an unoptimised test build. Each part has more sources than
    // the capacity, so each is approximate already.
    let parts: Vec<_> = [&a, &b]
        .iter()
        .map(|capture| {
            let out = dir.path().join(format!("{}.json", file_name(capture)));
            report(&args(
                &["--no-handshake", "--format", "json", "--out"],
                &[out.as_os_str(), capture.as_os_str()],
            ))
            .assert_code(0);
            out
        })
        .collect();
    let merged_path = dir.path().join("ab.json");
    clean(merge(&args(
        &["--out"],
        &[
            merged_path.as_os_str(),
            parts[0].as_os_str(),
            parts[1].as_os_str(),
        ],
    )));
    let merged = read_json_file(&merged_path);
    check_flood_report(&merged, frames, heavy_bytes, Attempts::Conversations);
    let together = report_json_with(&[&a, &b], &["--no-handshake"]);
    check_flood_report(&together, frames, heavy_bytes, Attempts::Conversations);
    // A merged summary read back alone is unchanged, bounds and all.
    assert_same_json(
        "merge of one merged summary",
        &normalized(&merge_json(&[&merged_path])),
        &normalized(&merged),
    );
    // The Markdown says both tables are approximate.
    let text = clean(report(&args(&["--format", "markdown"], &[&merged_path]))).stdout_text();
    assert_eq!(
        text.matches("Approximate: more than").count(),
        2,
        "no approximation note for hosts and conversations:\n{text}"
    );
}
