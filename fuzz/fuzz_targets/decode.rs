//! One frame through `portclass::decode::decode`: link type, original
//! length, FCS length and bytes from the input (layout:
//! `portclass_fuzz::DecodeInput::parse`), then the summary's invariants.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    portclass_fuzz::fuzz_decode(data);
});
