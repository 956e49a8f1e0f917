//! The harness itself, checked without portclass: a pair carries traffic
//! only once a capture is ready (here tcpdump's), and dropping the pair
//! leaves no namespace and no process behind.

use crate::common::netns::{NetPair, Side, python};
use crate::session::*;
use std::process::Command;
use std::time::{Duration, Instant};

fn namespaces() -> String {
    let out = Command::new("ip")
        .args(["netns", "list"])
        .output()
        .expect("ip netns list");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn tcpdump_sees_every_datagram_once_capturing_and_drop_cleans_up() {
    let Some(net) = NetPair::new() else { return };
    let (ns_a, ns_b) = (net.ns_a.clone(), net.ns_b.clone());
    let listed = namespaces();
    assert!(listed.contains(&ns_a) && listed.contains(&ns_b), "{listed}");

    let mut tcpdump = net.spawn(
        Side::B,
        &[
            "tcpdump",
            "-i",
            &net.ns_b,
            "-n",
            "-l",
            "--immediate-mode",
            "-c",
            "20",
            "udp",
        ],
    );
    tcpdump.wait_capturing(net.ifindex(Side::B));
    send_udp4(&net, &[(40123, 10)]);
    send_udp6(&net, &[(40123, 10)]);
    let dump = tcpdump.wait(STOP_TIMEOUT);
    assert!(dump.status.success(), "tcpdump: {}", dump.stderr);
    let lines = dump.stdout_text();
    let to = |addr: &str| format!("> {addr}.40123: UDP, length {PAYLOAD}");
    for addr in [&net.v4_b, &net.v6_b] {
        let seen = lines.lines().filter(|l| l.contains(&to(addr))).count();
        assert_eq!(seen, 10, "datagrams to {addr} in:\n{lines}");
    }

    // A process left running in a namespace is ended with it.
    let mut sleeper = net.spawn(
        Side::A,
        &[
            python(),
            "-c",
            "import time; print('in', flush=True); time.sleep(60)",
        ],
    );
    sleeper.wait_for_stdout("`in`", Duration::from_secs(5), |lines| {
        lines.iter().any(|l| l == "in")
    });
    drop(net);
    let listed = namespaces();
    assert!(
        !listed.contains(&ns_a) && !listed.contains(&ns_b),
        "namespaces left after drop:\n{listed}"
    );
    let start = Instant::now();
    while !sleeper.has_exited() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "a process in a dropped namespace still runs"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
