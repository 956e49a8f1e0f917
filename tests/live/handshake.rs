//! Handshake-aware naming on real connections: a client whose source port
//! is 2049 (nfs, in the port database) talks to a server on 40123 (in no
//! database). The static rule would count every frame as nfs; the
//! handshake shows 40123 is the server, and by default every frame of both
//! connections (IPv4 and IPv6) is counted under tcp/40123, identified by
//! the handshake. With `--no-handshake` they are all nfs again, identified
//! by the port database. Two live runs capture the same frames side by
//! side; the frame count comes from the kernel's own counters and is
//! checked against a simultaneous tcpdump capture.

use crate::common::netns::{NetPair, Side, python};
use crate::common::*;
use crate::scans::stop_when;
use crate::session::*;
use std::collections::BTreeSet;
use std::time::Duration;

/// The server's port: below the dynamic range, in no port database.
const SERVER_PORT: u16 = 40123;

/// The client's source port: nfs in the built-in database.
const CLIENT_PORT: u16 = 2049;

/// Messages each connection exchanges (each answered).
const MESSAGES: u64 = 10;

/// An echo server: `PORT CONNECTIONS`. Listens on every address (IPv4 and
/// IPv6), prints `ready`; for each connection answers every line with
/// `ok <line>` until the client's end, then closes. Exits after
/// CONNECTIONS, or fails after 10 s without one.
const ECHO_SERVER: &str = r#"# echo server PORT CONNECTIONS
import socket, sys
port, connections = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", port))
s.listen(8)
s.settimeout(10)
print("ready", flush=True)
for _ in range(connections):
    c, _ = s.accept()
    c.settimeout(5)
    lines = c.makefile("rb")
    for line in lines:
        c.sendall(b"ok " + line)
    lines.close()
    c.close()
"#;

/// A client bound to a fixed source port: `SRC_ADDR SRC_PORT DST DST_PORT
/// MESSAGES`. Sends MESSAGES lines, each after the answer to the one
/// before, then shuts its side down and reads to the server's end (so the
/// connection's last frame, this side's ACK of the server's FIN, is sent
/// before it returns).
const BOUND_CLIENT: &str = r#"# bound client SRC_ADDR SRC_PORT DST DST_PORT MESSAGES
import socket, sys
src, src_port, dst, dst_port, messages = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
family = socket.AF_INET6 if ":" in dst else socket.AF_INET
c = socket.socket(family, socket.SOCK_STREAM)
c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
c.settimeout(5)
c.bind((src, src_port))
c.connect((dst, dst_port))
answers = c.makefile("rb")
for i in range(messages):
    c.sendall(b"message %d\n" % i)
    answer = answers.readline()
    assert answer == b"ok message %d\n" % i, answer
c.shutdown(socket.SHUT_WR)
assert answers.read() == b"", "data after the last answer"
answers.close()
c.close()
"#;

/// Frames B's TCP sent or received so far.
fn tcp_frames(net: &NetPair) -> i64 {
    let snmp = net.snmp(Side::B);
    ["Tcp.InSegs", "Tcp.OutSegs", "Tcp.RetransSegs"]
        .iter()
        .map(|k| snmp[*k])
        .sum()
}

#[test]
fn a_handshake_names_the_server_port_whatever_the_database_says() {
    let Some(net) = NetPair::new() else { return };
    let both: BTreeSet<u16> = [CLIENT_PORT, SERVER_PORT].into();
    let known = KnownPorts::query(&both, &["--no-system-services"]);
    assert!(
        !known.contains("tcp", SERVER_PORT),
        "tcp/{SERVER_PORT} is in the port database: pick another server port"
    );
    let nfs = known
        .primary("tcp", CLIENT_PORT)
        .unwrap_or_else(|| panic!("tcp/{CLIENT_PORT} is not in the port database"));
    assert_eq!(nfs.service, "nfs", "tcp/{CLIENT_PORT}");

    let dir = tempfile::tempdir().expect("temp dir");
    let dumped = dir.path().join("tcpdump.pcap");
    let dumped_arg = dumped.to_string_lossy().into_owned();
    let mut server = net.spawn(
        Side::A,
        &[python(), "-c", ECHO_SERVER, &SERVER_PORT.to_string(), "2"],
    );
    server.wait_for_stdout("`ready`", Duration::from_secs(5), |lines| {
        lines.iter().any(|l| l == "ready")
    });
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
            "tcp",
        ],
    );
    tcpdump.wait_capturing(net.ifindex(Side::B));
    let base = ["--filter", "tcp", "--duration", "30", "--interval", "0.1"];
    let mut live = start_capturing(&net, &base);
    let mut static_rule = start_capturing(&net, &[&base[..], &["--no-handshake"]].concat());

    let before = tcp_frames(&net);
    for (src, dst) in [(&net.v4_b, &net.v4_a), (&net.v6_b, &net.v6_a)] {
        net.run_ok(
            Side::B,
            &[
                python(),
                "-c",
                BOUND_CLIENT,
                src,
                &CLIENT_PORT.to_string(),
                dst,
                &SERVER_PORT.to_string(),
                &MESSAGES.to_string(),
            ],
        );
    }
    let frames = u64::try_from(tcp_frames(&net) - before).expect("counters only grow");
    let served = server.wait(Duration::from_secs(10));
    assert!(served.status.success(), "server: {}", served.stderr);
    // Each message and its answer at least, the handshakes and the ends.
    assert!(frames >= 2 * (2 * MESSAGES + 6), "{frames} frames");

    // tcpdump's file: the same number of frames, and their bytes.
    tcpdump.poll_stdout(Duration::from_secs(5), |_| {
        std::fs::read(&dumped)
            .is_ok_and(|d| d.len() >= 24 && capture_records(&d).len() as u64 >= frames)
    });
    tcpdump.signal("INT");
    let dump = tcpdump.wait(STOP_TIMEOUT);
    assert!(dump.status.success(), "tcpdump: {}", dump.stderr);
    let records = capture_records(&std::fs::read(&dumped).expect("tcpdump's file"));
    assert_eq!(records.len() as u64, frames, "frames in tcpdump's file");
    let bytes: u64 = records.iter().map(|r| r.orig_len).sum();

    let runs = [
        (&mut live, SERVER_PORT, "unassigned", None, "handshake"),
        (
            &mut static_rule,
            CLIENT_PORT,
            "nfs",
            Some("builtin"),
            "port_database",
        ),
    ];
    for (run, port, service, source, method) in runs {
        let out = stop_when(run, |line| {
            line["totals"]["packets"].as_u64() >= Some(frames)
        });
        let summary = &out.summary;
        let what = format!("{} ({method})", out.run.command);
        check_summary(summary, &net.ns_b, Some("tcp"));
        assert_eq!(
            (u64_of(summary, "packets"), u64_of(summary, "bytes")),
            (frames, bytes),
            "{what}: frames and bytes"
        );
        // Every frame in one row: the one `method` names.
        let rows = services(summary);
        assert_eq!(rows.len(), 1, "{what}: service rows {rows:#?}");
        let row = &rows[0];
        assert_eq!(service_key(row), format!("tcp/{port}"), "{what}: {row}");
        assert_eq!(row["service"], service, "{what}: {row}");
        assert_eq!(row["source"].as_str(), source, "{what}: {row}");
        assert_eq!(
            (u64_of(row, "packets"), u64_of(row, "bytes")),
            (frames, bytes),
            "{what}: {row}"
        );
        assert_eq!(row["identified_by"], method, "{what}: {row}");
        for m in ["handshake", "port_database", "heuristic"] {
            let want = if m == method { frames } else { 0 };
            assert_eq!(
                u64_of(&row["identified"], m),
                want,
                "{what}: identified.{m}: {row}"
            );
        }
        // Both ports still show as the ends of every frame.
        let ports = tool_ports(summary);
        for p in [CLIENT_PORT, SERVER_PORT] {
            let f = ports
                .get(&format!("tcp/{p}"))
                .unwrap_or_else(|| panic!("{what}: no tcp/{p} port row"));
            assert_eq!(f[0] + f[2], frames, "{what}: tcp/{p} port row {f:?}");
        }
        // Two connections opened, both answered: no scan.
        assert_eq!(
            u64_of(&summary["scans"], "probes"),
            2,
            "{what}: scans.probes"
        );
        assert_eq!(
            summary["scans"]["findings"],
            serde_json::json!([]),
            "{what}: scans.findings"
        );
    }
}
