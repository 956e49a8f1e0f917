//! `live --format csv`: each `interval` row holds that interval's packets,
//! bytes and share (so the rows of one service add up to its total), and
//! the summary's `total` rows hold everything since the start.

use crate::common::netns::{NetPair, Side};
use crate::common::*;
use crate::session::*;

#[test]
fn interval_rows_hold_the_interval_and_total_rows_the_whole_run() {
    let Some(net) = NetPair::new() else { return };
    let mut live = net.spawn(
        Side::B,
        &[
            bin(),
            "live",
            "-i",
            &net.ns_b,
            "--no-system-services",
            "-f",
            "csv",
            "--duration",
            "2",
            "--interval",
            "0.25",
            "udp",
        ],
    );
    live.wait_capturing(net.ifindex(Side::B));
    send_udp4(&net, &[(5353, 10)]);
    let run = live.wait(STOP_TIMEOUT).into_run();
    run.assert_code(0);
    let text = run.stdout_text();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(
            "timestamp,scope,transport,port,service,packets_per_second,bits_per_second,packets,bytes,share"
        ),
        "{text}"
    );
    let mut interval = (0, 0, 0);
    let mut total = None;
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), 10, "{line}");
        if (fields[2], fields[3]) != ("udp", "5353") {
            continue;
        }
        let packets: u64 = fields[7].parse().expect("packets");
        let bytes: u64 = fields[8].parse().expect("bytes");
        match fields[1] {
            "interval" => {
                interval.0 += 1;
                interval.1 += packets;
                interval.2 += bytes;
            }
            "total" => total = Some((packets, bytes)),
            other => panic!("scope {other}: {line}"),
        }
    }
    assert!(
        interval.0 >= 2,
        "udp/5353 in {} interval rows:\n{text}",
        interval.0
    );
    assert_eq!(
        (interval.1, interval.2),
        (10, 10 * UDP4_FRAME),
        "interval rows add up:\n{text}"
    );
    assert_eq!(total, Some((10, 10 * UDP4_FRAME)), "the total row:\n{text}");
}
