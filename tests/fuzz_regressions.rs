//! Replays the fuzz targets' kept inputs under plain `cargo test`: every file
//! in `fuzz/regressions/decode/` and `fuzz/regressions/reader/` goes through
//! the very code the cargo-fuzz targets run (`fuzz/src/lib.rs`, included
//! here), which panics on a crash or a broken invariant. A crash found by
//! fuzzing is fixed in `src/` and its (minimised) input is added to the
//! matching directory; see the README's Fuzzing section.

#[path = "../fuzz/src/lib.rs"]
mod harness;

use harness::DecodeInput;
use std::fs;
use std::panic;
use std::path::{Path, PathBuf};

/// The kept inputs of one target, sorted by name.
fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.is_file() && path.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    files
}

/// Runs `run` on every kept input of `target` and names every one that
/// panicked (all of them, not just the first).
fn replay(target: &str, run: impl Fn(&[u8]) + panic::RefUnwindSafe) {
    let files = inputs(target);
    assert!(!files.is_empty(), "no inputs in fuzz/regressions/{target}");
    let failed: Vec<String> = files
        .iter()
        .filter(|path| {
            let bytes = fs::read(path).expect("readable input");
            panic::catch_unwind(|| run(&bytes)).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(failed.is_empty(), "{target} inputs failing: {failed:#?}");
}

#[test]
fn decode_regressions() {
    replay("decode", harness::fuzz_decode);
}

#[test]
fn reader_regressions() {
    replay("reader", |bytes| {
        harness::fuzz_reader(bytes);
    });
}

/// The seeds of the decode target are fixture frames; every one of them,
/// too, keeps the decode target's invariants (and its input layout
/// round-trips).
#[test]
fn fixture_frames_pass_the_decode_target() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut frames = 0;
    for entry in fs::read_dir(&fixtures).expect("fixtures/") {
        let path = entry.expect("directory entry").path();
        if !path.is_file() {
            continue;
        }
        let bytes = fs::read(&path).expect("readable fixture");
        let Ok(mut reader) = portclass::capture::CaptureReader::from_reader(
            std::io::Cursor::new(bytes.clone()),
            "x",
        ) else {
            continue;
        };
        while let Ok(Some(frame)) = reader.next_frame() {
            let input = DecodeInput {
                link: frame.link_type,
                orig_len: frame.orig_len,
                fcs_len: frame.fcs_len,
                data: frame.data,
            };
            let encoded = input.to_bytes();
            assert_eq!(DecodeInput::parse(&encoded), Some(input));
            harness::fuzz_decode(&encoded);
            frames += 1;
        }
        assert!(harness::fuzz_reader(&bytes) > 0, "{}", path.display());
    }
    assert!(frames > 700, "only {frames} fixture frames");
}
