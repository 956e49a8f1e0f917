//! One frame through `portclass::decode::decode`: link type, original
//! length, FCS length and bytes from the input (layout:
//! `portclass_fuzz::DecodeInput::parse`), then the summary's invariants;
//! then through `decode_with` with decap on (tunnels looked into): the same
//! invariants, and a frame not decapsulated summarised exactly as `decode`
//! summarises it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portclass::decode::{DecodeOptions, decode, decode_with};
use portclass_fuzz::{DecodeInput, check_packet};

fuzz_target!(|data: &[u8]| {
    portclass_fuzz::fuzz_decode(data);
    let Some(input) = DecodeInput::parse(data) else {
        return;
    };
    let decap = decode_with(
        input.link,
        input.data,
        input.orig_len,
        input.fcs_len,
        DecodeOptions { decap: true },
    );
    check_packet(&decap);
    if decap.tunnel.is_none() {
        let plain = decode(input.link, input.data, input.orig_len, input.fcs_len);
        assert_eq!(decap, plain, "decap changed a frame without a tunnel");
    }
});
