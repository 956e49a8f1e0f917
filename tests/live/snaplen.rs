//! `--snaplen N` cuts what is captured, never what is counted: bytes stay
//! the original wire lengths, in the summary and in the file written, whose
//! records hold at most N bytes.

use crate::common::netns::NetPair;
use crate::common::*;
use crate::session::*;

/// The smallest snaplen portclass accepts; the test frames are longer.
const SNAPLEN: usize = 64;
const _: () = assert!(UDP4_FRAME > SNAPLEN as u64);

#[test]
fn short_snaplen_cuts_the_frames_but_not_their_counted_bytes() {
    let Some(net) = NetPair::new() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let written = dir.path().join("short.pcap");
    let written_arg = written.to_string_lossy().into_owned();
    let (k4, k6) = (6, 9);
    let mut live = start_capturing(
        &net,
        &[
            "--filter",
            "udp",
            "--snaplen",
            &SNAPLEN.to_string(),
            "--count",
            &(k4 + k6).to_string(),
            "--duration",
            "15",
            "--write",
            &written_arg,
        ],
    );
    send_udp4(&net, &[(5353, k4)]);
    send_udp6(&net, &[(5353, k6)]);
    let out = finish(&mut live);
    let summary = &out.summary;
    check_summary(summary, &net.ns_b, Some("udp"));
    let bytes = k4 * UDP4_FRAME + k6 * UDP6_FRAME;
    assert_eq!(category(summary, "udp"), (k4 + k6, bytes), "udp");
    assert_only_category(summary, "udp");
    assert_eq!(
        tool_ports(summary).get("udp/5353"),
        Some(&[0, 0, k4 + k6, bytes]),
        "udp/5353"
    );

    let data = std::fs::read(&written).expect("--write file");
    let records = capture_records(&data);
    assert_eq!(records.len() as u64, k4 + k6, "frames in the file");
    for r in &records {
        // Classic pcap: a 16-byte record header, then the captured bytes.
        let captured = r.end - r.start - 16;
        assert!(
            captured <= SNAPLEN && r.orig_len > captured as u64,
            "a record of {captured} of {} bytes with --snaplen {SNAPLEN}",
            r.orig_len
        );
    }
    assert_same_tally("--write file", summary, &read_back(&written));
}
