//! Least privilege. `read`, `report`, `merge`, `ports` and `interfaces` run
//! as an unprivileged user (nobody, no groups, no capabilities, not even
//! in the bounding set) and print exactly what they print for root. `live`
//! needs `CAP_NET_RAW` and nothing else: as nobody with only that
//! capability it captures an exact number of datagrams on a veth in a test
//! namespace, with `--no-promisc` and also in promiscuous mode; without it
//! (no capabilities, or only `CAP_NET_ADMIN`) it ends with exit status 2
//! and one line naming `CAP_NET_RAW` and `setcap`.
//!
//! Promiscuous mode: on Linux libpcap turns it on with a
//! `PACKET_ADD_MEMBERSHIP`/`PACKET_MR_PROMISC` socket option on its own
//! packet socket, which the kernel allows to whoever could open that
//! socket, so `CAP_NET_RAW` alone suffices; the test checks that the
//! interface's promiscuity count really goes up (`ip -d link`), and that
//! `--no-promisc` leaves it at 0.
//!
//! Dropping privileges needs root (and `setpriv` from util-linux); without
//! them each test prints a notice and passes.

use crate::common::netns::{Background, NetPair, Side, is_root};
use crate::common::skipped;
use crate::common::*;
use crate::support::*;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Become nobody with no capabilities at all.
const NOBODY: [&str; 6] = [
    "setpriv",
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
    "--inh-caps=-all",
    "--bounding-set=-all",
];

/// Become nobody keeping `CAP_NET_RAW` only (inheritable and ambient, so
/// it survives the exec of an ordinary binary, and nothing else in the
/// bounding set).
const NOBODY_NET_RAW: [&str; 7] = [
    "setpriv",
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
    "--inh-caps=+net_raw",
    "--ambient-caps=+net_raw",
    "--bounding-set=-all,+net_raw",
];

/// Become nobody keeping `CAP_NET_ADMIN` only.
const NOBODY_NET_ADMIN: [&str; 7] = [
    "setpriv",
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
    "--inh-caps=+net_admin",
    "--ambient-caps=+net_admin",
    "--bounding-set=-all,+net_admin",
];

/// `CAP_NET_RAW` is capability 13.
const CAP_NET_RAW_MASK: u64 = 1 << 13;

/// A world-readable directory holding a copy of the binary and of some
/// fixtures, so that nobody can run and read them wherever the build
/// directory is.
struct Sandbox {
    dir: tempfile::TempDir,
    bin: PathBuf,
}

impl Sandbox {
    /// `None` (with a notice) when not root or without setpriv.
    fn new() -> Option<Sandbox> {
        if !is_root() {
            skipped("not root (dropping privileges needs root)");
            return None;
        }
        if Command::new("setpriv").arg("--version").output().is_err() {
            skipped("no setpriv (util-linux)");
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod temp dir");
        let bin = dir.path().join("portclass");
        std::fs::copy(crate::common::bin(), &bin).expect("copy the binary");
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755))
            .expect("chmod binary");
        Some(Sandbox { dir, bin })
    }

    /// Copies fixture `name` in, readable by all.
    fn fixture(&self, name: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::copy(fixture(name), &path).expect("copy fixture");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
            .expect("chmod fixture");
        path
    }

    /// Runs `PREFIX... <the copy> ARGS...` in the sandbox directory.
    fn run(&self, prefix: &[&str], args: &[&str]) -> Run {
        let mut command = Command::new(prefix.first().copied().unwrap_or(self.bin_str()));
        if !prefix.is_empty() {
            command.args(&prefix[1..]).arg(&self.bin);
        }
        command.args(args).current_dir(self.dir.path());
        let who = if prefix.is_empty() { "root" } else { "nobody" };
        Background::spawn(command, format!("[{who}] portclass {}", args.join(" ")))
            .wait(RUN_TIMEOUT)
            .into_run()
    }

    fn bin_str(&self) -> &str {
        self.bin.to_str().expect("UTF-8 path")
    }
}

/// Fails unless `PREFIX id -u` and the process's capabilities are what
/// dropping privileges promised.
fn check_dropped(prefix: &[&str], uid: &str, effective_caps: u64) {
    let mut command = Command::new(prefix[0]);
    command
        .args(&prefix[1..])
        .args(["cat", "/proc/self/status"]);
    let out = command.output().expect("run setpriv");
    assert!(out.status.success(), "{prefix:?}: {out:?}");
    let status = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| panic!("no {name} in {status}"))
    };
    assert!(field("Uid:").starts_with(uid), "{prefix:?}: {status}");
    let caps = u64::from_str_radix(&field("CapEff:"), 16).expect("CapEff in hex");
    assert_eq!(caps, effective_caps, "{prefix:?}: effective capabilities");
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

#[test]
fn read_report_merge_ports_and_interfaces_need_no_privileges() {
    let Some(sandbox) = Sandbox::new() else {
        return;
    };
    check_dropped(&NOBODY, "65534", 0);
    let sample = sandbox.fixture("sample.pcapng");
    let dynamic = sandbox.fixture("dynamic-ports.pcap");
    let linktypes = sandbox.fixture("linktypes.pcapng");
    let (sample, dynamic, linktypes) =
        (path_str(&sample), path_str(&dynamic), path_str(&linktypes));
    // Summaries for merge, written by root, readable by all.
    let mut summaries = Vec::new();
    for (name, file) in [("a.json", sample), ("b.json", dynamic)] {
        let run = sandbox.run(&[], &["report", "--format", "json", file]);
        run.assert_code(0);
        let path = write_file(sandbox.dir.path(), name, &run.stdout);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
            .expect("chmod summary");
        summaries.push(path.to_string_lossy().into_owned());
    }
    let commands: Vec<Vec<&str>> = vec![
        vec!["read", sample, dynamic, linktypes],
        vec!["read", "--format", "json", sample, dynamic, linktypes],
        vec!["read", "--format", "csv", "--threads", "1", sample],
        vec!["report", "--format", "json", sample, linktypes],
        vec!["report", "--format", "markdown", dynamic],
        vec!["report", dynamic],
        vec!["report", "--format", "csv", "--table", "hosts", sample],
        vec!["merge", &summaries[0], &summaries[1]],
        vec!["ports", "80/tcp", "ssh", "53/udp", "5353"],
        vec!["ports", "--format", "json", "443"],
    ];
    for args in &commands {
        let root = sandbox.run(&[], args);
        let nobody = sandbox.run(&NOBODY, args);
        root.assert_code(0);
        nobody.assert_code(0);
        assert!(
            nobody.stderr.is_empty(),
            "{}: {}",
            nobody.command,
            nobody.stderr
        );
        assert!(!root.stdout.is_empty(), "{}: no output", root.command);
        assert!(
            root.stdout == nobody.stdout,
            "{}: output differs from root's:\n--- root\n{}\n--- nobody\n{}",
            nobody.command,
            String::from_utf8_lossy(&root.stdout),
            String::from_utf8_lossy(&nobody.stdout)
        );
    }
    // A capture nobody may not read: a clear message, not a crash.
    let secret = sandbox.fixture("sctp.pcap");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let denied = sandbox.run(&NOBODY, &["read", path_str(&secret)]);
    denied.assert_code(2);
    let lines = denied.stderr_lines();
    assert_eq!(lines.len(), 1, "{}", denied.stderr);
    assert!(
        lines[0].contains(path_str(&secret)) && lines[0].contains("check permissions"),
        "{}",
        lines[0]
    );
    // Interfaces, inside a test namespace (a fixed set of devices).
    if let Some(net) = NetPair::new() {
        let list = |prefix: &[&str]| {
            let mut args: Vec<&str> = prefix.to_vec();
            args.extend([sandbox.bin_str(), "interfaces", "--format", "json"]);
            net.run(Side::B, &args, RUN_TIMEOUT).into_run()
        };
        // The veth is listed first (and as the default) once it is running;
        // wait for that, so both lists see the same state.
        let start = std::time::Instant::now();
        let root = loop {
            let root = list(&[]);
            root.assert_code(0);
            let first = root.json()[0].clone();
            if first["name"] == net.ns_b.as_str() && first["default"] == true {
                break root;
            }
            assert!(
                start.elapsed() < std::time::Duration::from_secs(5),
                "{} never listed first: {}",
                net.ns_b,
                root.stdout_text()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        let nobody = list(&NOBODY);
        root.assert_code(0);
        nobody.assert_code(0);
        let names: Vec<Value> = root
            .json()
            .as_array()
            .expect("interfaces array")
            .iter()
            .map(|i| i["name"].clone())
            .collect();
        assert!(names.contains(&Value::from(net.ns_b.as_str())), "{names:?}");
        assert_eq!(root.json(), nobody.json(), "interfaces as nobody vs root");
    }
}

/// The promiscuity count of `side`'s veth (`ip -d link`).
fn promiscuity(net: &NetPair, side: Side) -> u64 {
    let ns = net.ns(side);
    let out = Command::new("ip")
        .args(["-n", ns, "-d", "link", "show", "dev", ns])
        .output()
        .expect("ip link");
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .skip_while(|w| *w != "promiscuity")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no promiscuity in {text}"))
}

/// A field of `/proc/<pid>/status`.
fn proc_status(pid: u32, name: &str) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| panic!("no {name} in {status}"))
}

#[test]
fn live_needs_cap_net_raw_only_with_and_without_promiscuous_mode() {
    let Some(sandbox) = Sandbox::new() else {
        return;
    };
    let Some(net) = NetPair::new() else { return };
    check_dropped(&NOBODY_NET_RAW, "65534", CAP_NET_RAW_MASK);
    const DATAGRAMS: u64 = 40;
    const PAYLOAD: usize = 32;
    let frame_len = (14 + 20 + 8 + PAYLOAD) as u64;
    for promisc in [false, true] {
        let count = DATAGRAMS.to_string();
        let mut args: Vec<&str> = NOBODY_NET_RAW.to_vec();
        args.extend([
            sandbox.bin_str(),
            "live",
            "-i",
            &net.ns_b,
            "--no-system-services",
            "--format",
            "json",
            "--filter",
            "udp",
            "--count",
            &count,
            "--duration",
            "15",
        ]);
        if !promisc {
            args.push("--no-promisc");
        }
        let mut live = net.spawn(Side::B, &args);
        live.wait_capturing(net.ifindex(Side::B));
        // The capturing process really is nobody with CAP_NET_RAW alone.
        assert!(proc_status(live.pid(), "Uid:").starts_with("65534"));
        let caps = u64::from_str_radix(&proc_status(live.pid(), "CapEff:"), 16).expect("hex");
        assert_eq!(caps, CAP_NET_RAW_MASK, "effective capabilities");
        let seen = promiscuity(&net, Side::B);
        if promisc {
            assert!(seen >= 1, "promiscuous mode not on with CAP_NET_RAW alone");
        } else {
            assert_eq!(seen, 0, "--no-promisc turned promiscuous mode on");
        }
        net.send_udp(Side::A, &net.v4_b, 50001, PAYLOAD, &[(40123, DATAGRAMS)]);
        let run = live.wait(std::time::Duration::from_secs(15)).into_run();
        run.assert_code(0);
        let text = run.stdout_text();
        let summary: Value = text
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .and_then(|l| serde_json::from_str(l).ok())
            .unwrap_or_else(|| panic!("{}: no summary line:\n{text}", run.command));
        assert_eq!(summary["type"], "summary", "{summary}");
        assert_eq!(
            (u64_of(&summary, "packets"), u64_of(&summary, "bytes")),
            (DATAGRAMS, DATAGRAMS * frame_len),
            "{}: promiscuous {promisc}",
            run.command
        );
        assert_eq!(promiscuity(&net, Side::B), 0, "promiscuous mode left on");
    }
}

#[test]
fn live_without_cap_net_raw_says_how_to_grant_it() {
    let Some(sandbox) = Sandbox::new() else {
        return;
    };
    let Some(net) = NetPair::new() else { return };
    check_dropped(&NOBODY_NET_ADMIN, "65534", 1 << 12);
    for prefix in [&NOBODY[..], &NOBODY_NET_ADMIN[..]] {
        let mut args: Vec<&str> = prefix.to_vec();
        args.extend([
            sandbox.bin_str(),
            "live",
            "-i",
            &net.ns_b,
            "--count",
            "1",
            "--duration",
            "5",
            "--format",
            "json",
        ]);
        let run = net.run(Side::B, &args, RUN_TIMEOUT).into_run();
        run.assert_code(2);
        let lines = run.stderr_lines();
        assert_eq!(lines.len(), 1, "{}: {}", run.command, run.stderr);
        for needle in ["portclass: ", "CAP_NET_RAW", "setcap"] {
            assert!(lines[0].contains(needle), "{}: {}", run.command, lines[0]);
        }
        assert!(
            lines[0].contains(&net.ns_b),
            "names the interface: {}",
            lines[0]
        );
    }
}
