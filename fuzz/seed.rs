//! Writes decode-target seeds: every frame of the captures given, prefixed
//! with the link type, original length and FCS length the decode target
//! expects. `seed <output dir> <capture>...`; run by `fuzz/seed.sh`.

use portclass::capture::CaptureReader;
use portclass_fuzz::DecodeInput;
use std::fs;
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((out, captures)) = args.split_first() else {
        eprintln!("usage: seed <output dir> <capture>...");
        return ExitCode::from(2);
    };
    let out = Path::new(out);
    if let Err(error) = fs::create_dir_all(out) {
        eprintln!("seed: {}: {error}", out.display());
        return ExitCode::FAILURE;
    }
    let mut written = 0;
    for capture in captures {
        let stem = Path::new(capture)
            .file_name()
            .map_or_else(|| capture.clone(), |n| n.to_string_lossy().into_owned());
        let file = match fs::File::open(capture) {
            Ok(file) => file,
            Err(error) => {
                eprintln!("seed: {capture}: {error}");
                return ExitCode::FAILURE;
            }
        };
        let mut reader = match CaptureReader::from_reader(file, capture) {
            Ok(reader) => reader,
            // Not a capture (a README, a script): nothing to extract.
            Err(_) => continue,
        };
        // Frames up to the end or the first error (truncated captures on
        // purpose end in one).
        let mut number = 0;
        while let Ok(Some(frame)) = reader.next_frame() {
            number += 1;
            let input = DecodeInput {
                link: frame.link_type,
                orig_len: frame.orig_len,
                fcs_len: frame.fcs_len,
                data: frame.data,
            };
            let name = out.join(format!("{stem}-{number:04}"));
            if let Err(error) = fs::write(&name, input.to_bytes()) {
                eprintln!("seed: {}: {error}", name.display());
                return ExitCode::FAILURE;
            }
            written += 1;
        }
    }
    eprintln!("seed: {written} frames written to {}", out.display());
    ExitCode::SUCCESS
}
