//! `--write FILE` saves exactly the frames counted: reading the file back
//! with `portclass read` gives the live summary's counts, field for field,
//! on mixed unfiltered traffic (UDP and TCP over IPv4 and IPv6, ICMP echo,
//! whatever else the kernel sends).

use crate::common::netns::{NetPair, Side, TCP_CLIENT, TCP_SERVER, python};
use crate::common::*;
use crate::session::*;
use std::time::Duration;

#[test]
fn written_file_reads_back_to_the_same_counts() {
    let Some(net) = NetPair::new() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let written = dir.path().join("live.pcap");
    let written_arg = written.to_string_lossy().into_owned();

    let mut server = net.spawn(Side::B, &[python(), "-c", TCP_SERVER, "22", "2"]);
    server.wait_for_stdout("`ready`", Duration::from_secs(5), |lines| {
        lines.iter().any(|l| l == "ready")
    });
    let mut live = start_capturing(
        &net,
        &[
            "--duration",
            "2",
            "--interval",
            "0.5",
            "--write",
            &written_arg,
        ],
    );
    send_udp4(&net, &[(5353, 10)]);
    send_udp6(&net, &[(53, 7)]);
    net.run_ok(Side::A, &[python(), "-c", TCP_CLIENT, &net.v4_b, "22", "1"]);
    net.run_ok(Side::A, &[python(), "-c", TCP_CLIENT, &net.v6_b, "22", "1"]);
    for (family, address) in [("-4", &net.v4_b), ("-6", &net.v6_b)] {
        net.run_ok(
            Side::A,
            &["ping", family, "-c", "3", "-i", "0.05", "-W", "2", address],
        );
    }
    let served = server.wait(Duration::from_secs(10));
    assert!(served.status.success(), "server: {}", served.stderr);
    let out = finish(&mut live);
    let summary = &out.summary;
    check_summary(summary, &net.ns_b, None);

    let ports = tool_ports(summary);
    assert_eq!(
        ports.get("udp/5353"),
        Some(&[0, 0, 10, 10 * UDP4_FRAME]),
        "udp/5353"
    );
    assert_eq!(
        ports.get("udp/53"),
        Some(&[0, 0, 7, 7 * UDP6_FRAME]),
        "udp/53"
    );
    let ssh = service_row(summary, "tcp", Some(22))
        .unwrap_or_else(|| panic!("no tcp/22 row in {summary}"));
    assert_eq!(ssh["service"], "ssh");
    assert!(
        u64_of(ssh, "packets") >= 2 * 6,
        "two TCP connections: {ssh}"
    );
    assert!(
        category(summary, "icmp").0 >= 6,
        "3 echo requests and replies"
    );
    assert!(
        category(summary, "icmpv6").0 >= 6,
        "3 echo requests and replies"
    );

    let data = std::fs::read(&written).expect("--write file");
    let records = capture_records(&data);
    assert_eq!(
        records.len() as u64,
        u64_of(summary, "packets"),
        "frames in the --write file"
    );
    assert_eq!(
        records.iter().map(|r| r.orig_len).sum::<u64>(),
        u64_of(summary, "bytes"),
        "wire bytes in the --write file"
    );
    assert_same_tally("--write file", summary, &read_back(&written));
}

#[test]
fn a_full_disk_is_reported_at_once_and_the_file_keeps_whole_records() {
    let Some(net) = NetPair::new() else { return };
    let Some(disk) = SmallDisk::new("200k") else {
        return;
    };
    let written = disk.dir.path().join("live.pcap");
    let written_arg = written.to_string_lossy().into_owned();
    let mut live = start_capturing(
        &net,
        &[
            "--filter",
            "udp",
            "--duration",
            "3",
            "--interval",
            "0.2",
            "--write",
            &written_arg,
        ],
    );
    // 5,000 frames of 74 bytes (90 in the file): about 450 kB, more than
    // the disk holds.
    send_udp4(&net, &[(5353, 5000)]);
    live.wait_for_stdout(
        "an interval line with every frame",
        Duration::from_secs(10),
        |lines| {
            lines.iter().any(|line| {
                serde_json::from_str::<serde_json::Value>(line)
                    .is_ok_and(|v| v["totals"]["packets"].as_u64() == Some(5000))
            })
        },
    );
    // Reported while the capture runs (at the next look after the write,
    // well within a second), naming the file and the OS error.
    let reported = std::time::Instant::now() + Duration::from_secs(2);
    let mut stderr = live.stderr_so_far();
    while !stderr.contains("No space left") && std::time::Instant::now() < reported {
        std::thread::sleep(Duration::from_millis(20));
        stderr = live.stderr_so_far();
    }
    assert!(!live.has_exited(), "reported only at the end:\n{stderr}");
    assert!(
        stderr.contains(&written_arg) && stderr.contains("No space left on device"),
        "stderr during the run:\n{stderr}"
    );
    let run = live.wait(STOP_TIMEOUT).into_run();
    run.assert_code(1);
    let (_, summary) = ndjson(&run);
    // Every frame is still counted; the file holds fewer, all whole.
    assert_eq!(u64_of(&summary, "packets"), 5000, "counted");
    let saved = &summary["saved"];
    assert_eq!(saved["complete"], false, "{saved}");
    let in_file = u64_of(saved, "packets");
    assert_eq!(in_file + u64_of(saved, "lost"), 5000, "{saved}");
    assert!(in_file > 0 && in_file < 5000, "{saved}");
    let back = read_back(&written);
    assert_eq!(
        back["inputs"][0]["status"], "complete",
        "{}",
        back["inputs"]
    );
    assert_eq!(u64_of(&back, "packets"), in_file, "the file read back");
    assert_eq!(
        std::fs::metadata(&written).expect("file").len(),
        24 + in_file * (16 + UDP4_FRAME),
        "whole records only"
    );
}
