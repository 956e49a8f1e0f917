//! A whole capture file (pcap or pcapng, optionally gzip or zstd) through
//! `CaptureReader`, every frame decoded and counted into a `ReportTally`,
//! then the tally's invariants (`portclass_fuzz::fuzz_reader`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    portclass_fuzz::fuzz_reader(data);
});
