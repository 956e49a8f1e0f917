//! TCP: real connections to a server on port 8080, captured by portclass
//! (with `--write`) and by tcpdump at the same time. The live summary, the
//! file portclass wrote and tcpdump's file all give the same counts; every
//! frame is in the `http-alt` row; every connection's SYN is there.

use crate::common::netns::{NetPair, Side, TCP_CLIENT, TCP_SERVER, python};
use crate::common::*;
use crate::session::*;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

/// Connections over IPv4, and as many over IPv6.
const CONNECTIONS: u64 = 4;

#[test]
fn connections_match_tcpdump_and_the_written_file() {
    let Some(net) = NetPair::new() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let written = dir.path().join("live.pcap");
    let dumped = dir.path().join("tcpdump.pcap");
    let filter = "tcp port 8080";
    let ifindex = net.ifindex(Side::B);

    let mut server = net.spawn(
        Side::B,
        &[
            python(),
            "-c",
            TCP_SERVER,
            "8080",
            &(2 * CONNECTIONS).to_string(),
        ],
    );
    server.wait_for_stdout("`ready`", Duration::from_secs(5), |lines| {
        lines.iter().any(|l| l == "ready")
    });
    let dumped_arg = dumped.to_string_lossy().into_owned();
    let mut tcpdump = net.spawn(
        Side::B,
        &[
            "tcpdump",
            "-i",
            &net.ns_b,
            "-U",
            "--immediate-mode",
            "-w",
            &dumped_arg,
            filter,
        ],
    );
    let written_arg = written.to_string_lossy().into_owned();
    let mut live = start(
        &net,
        &[
            "--filter",
            filter,
            "--duration",
            "3",
            "--interval",
            "0.5",
            "--write",
            &written_arg,
        ],
    );
    tcpdump.wait_capturing(ifindex);
    live.wait_capturing(ifindex);

    let n = CONNECTIONS.to_string();
    net.run_ok(
        Side::A,
        &[python(), "-c", TCP_CLIENT, &net.v4_b, "8080", &n],
    );
    net.run_ok(
        Side::A,
        &[python(), "-c", TCP_CLIENT, &net.v6_b, "8080", &n],
    );
    let served = server.wait(Duration::from_secs(10));
    assert!(served.status.success(), "server: {}", served.stderr);

    let out = finish(&mut live);
    tcpdump.signal("INT");
    let dump = tcpdump.wait(STOP_TIMEOUT);
    assert!(dump.status.success(), "tcpdump: {}", dump.stderr);

    let summary = &out.summary;
    check_summary(summary, &net.ns_b, Some(filter));
    let (packets, bytes) = (u64_of(summary, "packets"), u64_of(summary, "bytes"));
    assert_eq!(category(summary, "tcp"), (packets, bytes), "transport.tcp");
    assert_only_category(summary, "tcp");
    let row = service_row(summary, "tcp", Some(8080))
        .unwrap_or_else(|| panic!("no tcp/8080 service row in {summary}"));
    assert_eq!(row["service"], "http-alt", "tcp/8080 service name");
    assert_eq!(
        (u64_of(row, "packets"), u64_of(row, "bytes")),
        (packets, bytes),
        "every frame is named by port 8080"
    );
    let port = tool_ports(summary)["tcp/8080"];
    assert_eq!(
        (port[0] + port[2], port[1] + port[3]),
        (packets, bytes),
        "tcp/8080 is one end of every frame"
    );

    let data = std::fs::read(&written).expect("--write file");
    let flags = tcp_flags(&data);
    assert_eq!(flags.len() as u64, packets, "frames in the --write file");
    let syn = flags.iter().filter(|f| *f & 0x12 == 0x02).count() as u64;
    let syn_ack = flags.iter().filter(|f| *f & 0x12 == 0x12).count() as u64;
    assert!(
        syn >= 2 * CONNECTIONS && syn_ack >= 2 * CONNECTIONS,
        "{syn} SYN and {syn_ack} SYN-ACK frames for {} connections",
        2 * CONNECTIONS
    );

    assert_same_tally("--write file", summary, &read_back(&written));
    assert_same_counts("tcpdump's file", summary, &read_back(&dumped));

    // Who talked: the summary's hosts and conversations against the
    // frames of tcpdump's file, each way, as tshark reads them (and the
    // test's own reading of the file, which must agree).
    let seen = endpoints_of(&std::fs::read(&dumped).expect("tcpdump's file"));
    match tshark_endpoints(&dumped) {
        Some(read) => assert_eq!(read, seen, "tshark's reading of tcpdump's file"),
        None => skipped(
            "the check by tshark (not installed): tcpdump's file is read by the test's own parser only",
        ),
    }
    let mut hosts: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut conversations: BTreeMap<(String, u16, String, u16), (u64, u64)> = BTreeMap::new();
    for ((src, src_port), (dst, dst_port), len) in &seen {
        hosts.entry(src.clone()).or_default().0 += len;
        hosts.entry(dst.clone()).or_default().1 += len;
        let (key, to_server) = if *dst_port == 8080 {
            ((src.clone(), *src_port, dst.clone(), *dst_port), true)
        } else {
            ((dst.clone(), *dst_port, src.clone(), *src_port), false)
        };
        let entry = conversations.entry(key).or_default();
        if to_server {
            entry.0 += len;
        } else {
            entry.1 += len;
        }
    }
    assert_eq!(
        hosts.len(),
        4,
        "two hosts, each over IPv4 and IPv6: {hosts:?}"
    );
    assert_eq!(
        conversations.len() as u64,
        2 * CONNECTIONS,
        "{conversations:?}"
    );
    let summary_hosts = host_bytes(summary);
    assert_eq!(summary_hosts, hosts, "hosts: bytes sent and received");
    let summary_conversations: BTreeMap<(String, u16, String, u16), (u64, u64)> =
        summary["conversations"]["entries"]
            .as_array()
            .expect("conversations")
            .iter()
            .map(|c| {
                (
                    (
                        c["client"].as_str().expect("client").to_string(),
                        u64_of(c, "client_port") as u16,
                        c["server"].as_str().expect("server").to_string(),
                        u64_of(c, "server_port") as u16,
                    ),
                    (u64_of(c, "to_server_bytes"), u64_of(c, "to_client_bytes")),
                )
            })
            .collect();
    assert_eq!(
        summary_conversations, conversations,
        "conversations: bytes each way"
    );
    // Each conversation's span lies within the capture's.
    let (first, last) = (
        summary["first_timestamp_ns"].as_i64().expect("first"),
        summary["last_timestamp_ns"].as_i64().expect("last"),
    );
    for c in summary["conversations"]["entries"]
        .as_array()
        .expect("conversations")
    {
        let (from, to) = (
            c["first_ns"].as_i64().expect("first_ns"),
            c["last_ns"].as_i64().expect("last_ns"),
        );
        assert!(first <= from && from <= to && to <= last, "{c}");
        let duration = c["duration_seconds"].as_f64().expect("duration");
        assert!((duration - (to - from) as f64 / 1e9).abs() < 1e-6, "{c}");
    }
}

/// An address and port, as text and number.
type Endpoint = (String, u16);

/// (source, destination, wire length) of every Ethernet/IPv4-or-IPv6/TCP
/// frame of a classic pcap file.
fn endpoints_of(data: &[u8]) -> Vec<(Endpoint, Endpoint, u64)> {
    capture_records(data)
        .iter()
        .filter_map(|r| {
            let record = &data[r.start..r.end];
            let wire = u64::from(u32::from_le_bytes(record.get(12..16)?.try_into().ok()?));
            let frame = record.get(16..)?;
            let ip = frame.get(14..)?;
            let (src, dst, tcp): (IpAddr, IpAddr, &[u8]) = match frame.get(12..14)? {
                [0x08, 0x00] => (
                    Ipv4Addr::from(<[u8; 4]>::try_from(ip.get(12..16)?).ok()?).into(),
                    Ipv4Addr::from(<[u8; 4]>::try_from(ip.get(16..20)?).ok()?).into(),
                    ip.get(usize::from(ip[0] & 0x0f) * 4..)?,
                ),
                [0x86, 0xdd] => (
                    Ipv6Addr::from(<[u8; 16]>::try_from(ip.get(8..24)?).ok()?).into(),
                    Ipv6Addr::from(<[u8; 16]>::try_from(ip.get(24..40)?).ok()?).into(),
                    ip.get(40..)?,
                ),
                _ => return None,
            };
            let port = |at: usize| Some(u16::from_be_bytes([*tcp.get(at)?, *tcp.get(at + 1)?]));
            Some((
                (src.to_string(), port(0)?),
                (dst.to_string(), port(2)?),
                wire,
            ))
        })
        .collect()
}

/// (source, destination, wire length) of every IPv4-or-IPv6/TCP frame of
/// a capture file, as tshark reads it; `None` without tshark.
fn tshark_endpoints(file: &std::path::Path) -> Option<Vec<(Endpoint, Endpoint, u64)>> {
    let fields = [
        "ip.src",
        "ipv6.src",
        "ip.dst",
        "ipv6.dst",
        "tcp.srcport",
        "tcp.dstport",
        "frame.len",
    ];
    let mut command = std::process::Command::new("tshark");
    command
        .arg("-n")
        .arg("-r")
        .arg(file)
        .args(["-Y", "tcp", "-T", "fields"]);
    for field in fields {
        command.args(["-e", field]);
    }
    let out = command.output().ok()?;
    assert!(
        out.status.success(),
        "tshark -r {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("tshark's output is UTF-8");
    let frames = text
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), fields.len(), "tshark line {line:?}");
            let either = |a: &str, b: &str| if a.is_empty() { b } else { a }.to_string();
            let number = |s: &str| s.parse::<u64>().unwrap_or_else(|_| panic!("{line:?}"));
            (
                (either(f[0], f[1]), number(f[4]) as u16),
                (either(f[2], f[3]), number(f[5]) as u16),
                number(f[6]),
            )
        })
        .collect();
    Some(frames)
}

/// The TCP flags byte of every Ethernet/IPv4-or-IPv6/TCP frame of a classic
/// pcap file (or a pcapng file's enhanced packet blocks).
fn tcp_flags(data: &[u8]) -> Vec<u8> {
    let pcapng = data.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]);
    capture_records(data)
        .iter()
        .filter_map(|r| {
            let record = &data[r.start..r.end];
            let frame = if pcapng {
                record.get(28..)?
            } else {
                record.get(16..)?
            };
            let ip = frame.get(14..)?;
            let tcp = match frame.get(12..14)? {
                [0x08, 0x00] if ip.get(9) == Some(&6) => ip.get(usize::from(ip[0] & 0x0f) * 4..)?,
                [0x86, 0xdd] if ip.get(6) == Some(&6) => ip.get(40..)?,
                _ => return None,
            };
            tcp.get(13).copied()
        })
        .collect()
}
