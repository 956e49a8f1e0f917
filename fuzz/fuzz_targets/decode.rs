//! One frame through `portclass::decode::decode`: link type, original
//! length, FCS length and bytes from the input (layout:
//! `portclass_fuzz::DecodeInput::parse`), then the summary's invariants;
//! then through `decode_with` with decap on (tunnels looked into): the same
//! invariants, and a frame not decapsulated summarised exactly as `decode`
//! summarises it. All of it is `portclass_fuzz::fuzz_decode`, which
//! `tests/fuzz_regressions.rs` replays too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    portclass_fuzz::fuzz_decode(data);
});
