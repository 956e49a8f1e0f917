//! Inputs that cannot be read, or only partly: one line on stderr naming
//! the file (and the packet, when one is at fault), exit 2 for unreadable
//! and 1 for partly read, and everything before the fault still counted.
//! Every run also checks, in `Run::finish`, that nothing crashed or panicked.

use crate::common::*;
use serde_json::Value;
use std::path::Path;

/// Runs `read --format json` on `paths`, expecting exit `code` and exactly
/// one line on stderr that names `culprit`.
fn read_expecting<P: AsRef<std::ffi::OsStr>>(
    paths: &[P],
    code: i32,
    culprit: &Path,
) -> (Run, Value) {
    let run = read_json(paths, &[]);
    run.assert_code(code);
    let lines = run.stderr_lines();
    assert_eq!(
        lines.len(),
        1,
        "{}: expected one line on stderr:\n{}",
        run.command,
        run.stderr
    );
    let culprit = culprit.to_string_lossy();
    assert!(
        lines[0].contains(culprit.as_ref()),
        "{}: stderr does not name {culprit}: {}",
        run.command,
        lines[0]
    );
    let json = run.json();
    (run, json)
}

fn assert_failed_input(json: &Value, index: usize, path: &Path) {
    let input = &json["inputs"][index];
    assert_eq!(input["status"], "failed", "{input}");
    assert_eq!(input["packets"], 0, "{input}");
    let error = input["error"]
        .as_str()
        .unwrap_or_else(|| panic!("failed input without error: {input}"));
    assert!(error.contains(path.to_string_lossy().as_ref()), "{input}");
}

#[test]
fn missing_file_is_reported_as_not_found() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("no-such-capture.pcap");
    let (run, json) = read_expecting(&[&missing], 2, &missing);
    let line = run.stderr_lines()[0].to_lowercase();
    assert!(
        line.contains("not found") || line.contains("no such file"),
        "{line}"
    );
    assert_failed_input(&json, 0, &missing);
}

#[test]
fn directory_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_, json) = read_expecting(&[dir.path()], 2, dir.path());
    assert_failed_input(&json, 0, dir.path());
}

#[test]
fn text_file_is_not_a_capture() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = write_file(dir.path(), "notes.pcap", b"these are notes, not packets\n");
    let (run, json) = read_expecting(&[&text], 2, &text);
    assert!(run.stderr.contains("not a capture"), "{}", run.stderr);
    assert_failed_input(&json, 0, &text);
}

#[test]
fn empty_file_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let empty = write_file(dir.path(), "empty.pcap", b"");
    let (_, json) = read_expecting(&[&empty], 2, &empty);
    assert_failed_input(&json, 0, &empty);
}

#[test]
fn empty_or_garbage_stdin_is_refused() {
    for input in [&b""[..], b"GET / HTTP/1.1\r\n\r\n"] {
        let run = portclass_with_stdin(&["read", "--format", "json", "-"], input);
        run.assert_code(2);
        assert_eq!(run.stderr_lines().len(), 1, "{}", run.stderr);
        assert_eq!(run.json()["inputs"][0]["status"], "failed");
    }
}

#[test]
fn file_cut_inside_its_header_is_unreadable() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, cuts) in [
        ("dynamic-ports.pcap", [4, 12, 23]),
        ("sample.pcapng", [8, 20, 100]),
    ] {
        let data = fixture_bytes(name);
        for cut in cuts {
            let path = write_file(dir.path(), &format!("head-{cut}-{name}"), &data[..cut]);
            let (_, json) = read_expecting(&[&path], 2, &path);
            assert_failed_input(&json, 0, &path);
        }
    }
}

/// Cuts `name` at the start of packet record `k` (exit 0, `k` packets) and
/// `k` bytes into it for each of `offsets` that falls inside the record
/// (exit 1, the same `k` packets, an error at packet `k + 1`).
fn check_cuts(dir: &Path, name: &str, indices: &[usize], offsets: &[usize]) -> usize {
    let data = fixture_bytes(name);
    let records = capture_records(&data);
    let oracle = expected(name);
    assert_eq!(
        records.len() as u64,
        u64_of(&oracle, "packets"),
        "{name}: records found in the file"
    );
    let all_bytes: u64 = records.iter().map(|r| r.orig_len).sum();
    assert_eq!(
        all_bytes,
        u64_of(&oracle, "bytes"),
        "{name}: wire bytes of the records"
    );
    let mut runs = 0;
    for &k in indices {
        let record = records[k];
        let bytes_before: u64 = records[..k].iter().map(|r| r.orig_len).sum();

        let whole = write_file(dir, &format!("{k}-{name}"), &data[..record.start]);
        let run = read_json(&[&whole], &[]);
        run.assert_code(0);
        assert!(run.stderr.is_empty(), "{}: {}", run.command, run.stderr);
        let complete = run.json();
        assert_eq!(complete["packets"], k, "{}", run.command);
        assert_eq!(complete["bytes"], bytes_before, "{}", run.command);

        let inside = |o: usize| o > 0 && o < record.end - record.start;
        // tshark's heuristic for old pcap variants (which portclass follows)
        // looks at the first three records: a file that ends exactly where
        // 20-byte (Nokia) or 24-byte (Red Hat 6.1) record headers would end
        // is read as that variant, without error. Not a cut to test here.
        let looks_like_variant =
            |o: usize| name.ends_with(".pcap") && k < 3 && (o == 4 * k || o == 8 * k);
        for &offset in offsets
            .iter()
            .filter(|&&o| inside(o) && !looks_like_variant(o))
        {
            let path = write_file(
                dir,
                &format!("{k}+{offset}-{name}"),
                &data[..record.start + offset],
            );
            let (run, json) = read_expecting(&[&path], 1, &path);
            let line = run.stderr_lines()[0];
            let packet = format!("packet {}", k + 1);
            assert!(
                line.contains(&packet),
                "{}: no {packet:?} in: {line}",
                run.command
            );
            let at = format!("byte offset {}", record.start);
            assert!(line.contains(&at), "{}: no {at:?} in: {line}", run.command);
            assert_eq!(json["inputs"][0]["status"], "partial", "{}", run.command);
            assert!(json["inputs"][0]["error"].is_string(), "{}", run.command);
            assert_eq!(json["packets"], k, "{}", run.command);
            assert_eq!(json["bytes"], bytes_before, "{}", run.command);
            assert_eq!(
                tally_part(&json),
                tally_part(&complete),
                "{}: vs the cut at the boundary",
                run.command
            );
            runs += 1;
        }
    }
    runs
}

#[test]
fn pcap_cut_inside_a_record_counts_the_records_before_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let offsets = [1, 8, 16, 30];
    for name in ["dynamic-ports.pcap", "truncated.pcap"] {
        let count = capture_records(&fixture_bytes(name)).len();
        let every: Vec<usize> = (0..count).collect();
        assert!(
            check_cuts(dir.path(), name, &every, &offsets) > count,
            "{name}: too few cuts"
        );
    }
}

#[test]
fn pcapng_cut_inside_a_block_counts_the_packets_before_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let count = capture_records(&fixture_bytes("sample.pcapng")).len();
    let indices = [0, 1, count / 2, count - 1];
    // From 8 bytes in, the block's type and length have been read.
    assert!(check_cuts(dir.path(), "sample.pcapng", &indices, &[8, 12, 27, 29, 60]) >= 16);
    let count = capture_records(&fixture_bytes("linktypes.pcapng")).len();
    let every: Vec<usize> = (0..count).collect();
    assert!(check_cuts(dir.path(), "linktypes.pcapng", &every, &[8, 28, 33]) > count);
}

#[test]
fn pcapng_cut_inside_a_block_header_counts_the_packets_before_it() {
    // The same contract as a pcap record cut anywhere in its 16-byte header:
    // exit 1, "packet N" named, the packets before it counted.
    let dir = tempfile::tempdir().expect("temp dir");
    let count = capture_records(&fixture_bytes("sample.pcapng")).len();
    check_cuts(dir.path(), "sample.pcapng", &[0, 1, count / 2], &[1, 4, 7]);
}

#[test]
fn missing_file_next_to_good_ones_fails_but_keeps_their_counts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("gone.pcapng");
    let good = fixture("sample.pcapng");
    let alone = read_json(&[&good], &[]).json();

    let (_, json) = read_expecting(&[&good, &missing], 2, &missing);
    assert_eq!(json["inputs"][0]["status"], "complete");
    assert_failed_input(&json, 1, &missing);
    assert_eq!(
        tally_part(&json),
        tally_part(&alone),
        "good file's counts after a missing one"
    );

    let (_, json) = read_expecting(&[&missing, &good], 2, &missing);
    assert_failed_input(&json, 0, &missing);
    assert_eq!(json["inputs"][1]["status"], "complete");
    assert_eq!(
        tally_part(&json),
        tally_part(&alone),
        "good file's counts before a missing one"
    );
}

#[test]
fn cut_compressed_stream_counts_the_frames_before_the_cut() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = fixture_bytes("sample.pcapng");
    let (gz, zst) = (gzip(&data), zstd(&data));
    let streams: [(&str, &[u8]); 2] = [("gz", &gz), ("zst", &zst)];
    let (mut partial, mut failed) = (0, 0);
    for (suffix, packed) in streams {
        for fifths in [1, 3, 4] {
            let cut = &packed[..packed.len() * fifths / 5];
            let ctx = format!("{suffix} cut at {fifths}/5");
            // What a decoder can still get out of the cut stream (zstd hands
            // out whole 128 KiB blocks only), and the complete packets in it.
            let prefix = match suffix {
                "gz" => decompress_prefix(flate2::read::MultiGzDecoder::new(cut)),
                _ => {
                    decompress_prefix(zstd::stream::read::Decoder::new(cut).expect("zstd decoder"))
                }
            };
            assert!(
                prefix.len() < data.len() && data.starts_with(&prefix),
                "{ctx}: prefix"
            );
            let path = write_file(dir.path(), &format!("cut-{fifths}.pcapng.{suffix}"), cut);
            let stdin = portclass_with_stdin(
                &["read", "--format", "json", "--no-system-services", "-"],
                cut,
            );
            if prefix.is_empty() {
                // Nothing decodes: nothing could be read at all.
                let (_, json) = read_expecting(&[&path], 2, &path);
                stdin.assert_code(2);
                for json in [json, stdin.json()] {
                    assert_eq!(json["inputs"][0]["status"], "failed", "{ctx}");
                    assert_eq!(json["packets"], 0, "{ctx}");
                }
                failed += 1;
                continue;
            }
            let packets = capture_records(&prefix);
            assert!(!packets.is_empty(), "{ctx}: cut too early to test anything");
            let bytes: u64 = packets.iter().map(|r| r.orig_len).sum();
            let (_, json) = read_expecting(&[&path], 1, &path);
            stdin.assert_code(1);
            for json in [json, stdin.json()] {
                assert_eq!(json["inputs"][0]["status"], "partial", "{ctx}");
                assert_eq!(json["packets"], packets.len(), "{ctx}");
                assert_eq!(json["bytes"], bytes, "{ctx}");
            }
            partial += 1;
        }
    }
    assert!(
        partial >= 3 && failed >= 1,
        "cases: {partial} partial, {failed} failed"
    );
}

#[test]
fn damaged_captures_never_crash() {
    // Overwrite 4 bytes at many places (lengths, link types, magic numbers,
    // header fields) with extreme values: any outcome but a crash is fine,
    // and the JSON is always written.
    let dir = tempfile::tempdir().expect("temp dir");
    for name in ["dynamic-ports.pcap", "linktypes.pcapng", "truncated.pcap"] {
        let data = fixture_bytes(name);
        let step = (data.len() / 25).max(1);
        for (n, at) in (0..data.len().saturating_sub(4)).step_by(step).enumerate() {
            let mut damaged = data.clone();
            let value: [u8; 4] = [[0xff; 4], [0; 4], [0x7f, 0xff, 0xff, 0xff]][n % 3];
            damaged[at..at + 4].copy_from_slice(&value);
            let path = write_file(dir.path(), &format!("{at}-{name}"), &damaged);
            let run = read_json(&[&path], &[]);
            let json = run.json();
            let status = json["inputs"][0]["status"].as_str().expect("status");
            let expected_code = match status {
                "complete" => 0,
                "partial" => 1,
                _ => 2,
            };
            assert_eq!(run.code, expected_code, "{}: status {status}", run.command);
        }
    }
}

#[test]
fn bad_usage_exits_2_with_a_message() {
    let sample = fixture("sample.pcapng");
    let sample = sample.to_str().expect("UTF-8 path");
    for args in [
        vec!["read"],
        vec!["read", "-", "-"],
        vec!["read", "--threads", "0", sample],
        vec!["read", "--format", "yaml", sample],
        vec!["frobnicate"],
    ] {
        let run = portclass(&args);
        run.assert_code(2);
        assert!(run.stdout.is_empty(), "{}: wrote output", run.command);
        assert!(!run.stderr.trim().is_empty(), "{}: no message", run.command);
    }
}
