//! Real traffic for the live-capture tests, kept off the host's network: two
//! fresh network namespaces joined by a veth pair, processes started inside
//! them, and a guard ([`NetPair`]) whose `Drop` ends every process left in
//! either namespace and deletes both, so a failed assertion still cleans up.
//!
//! Every wait is bounded: a process that overruns its time is killed and the
//! test fails with what it printed so far.

use super::Run;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a capturing process may take to open its device.
pub const READY_TIMEOUT: Duration = Duration::from_secs(5);

/// How often bounded waits look again.
const POLL: Duration = Duration::from_millis(10);

/// MAC address of the veth end in namespace A (fixed, so neighbour entries
/// can be static: no ARP or neighbour discovery on the wire).
const MAC_A: &str = "02:00:00:00:00:0a";
/// MAC address of the veth end in namespace B.
const MAC_B: &str = "02:00:00:00:00:0b";

/// Whether this process runs with effective user id 0.
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                let ids = line.strip_prefix("Uid:")?;
                Some(ids.split_whitespace().nth(1) == Some("0"))
            })
        })
        .unwrap_or(false)
}

/// The python interpreter for the traffic scripts: the system one when there
/// is one (it starts faster than a version-manager shim, and any user can run
/// it), otherwise whatever `python3` is on the PATH.
pub fn python() -> &'static str {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

/// Namespace setup is serialised within the test process: the first
/// `ip netns add` on a machine also sets up `/run/netns`, which two at once
/// can trip over.
static SETUP: Mutex<()> = Mutex::new(());

/// Numbers the pairs of this process, so names are unique across the tests
/// running in parallel threads (and the process id makes them unique across
/// test binaries).
static NEXT_PAIR: AtomicU32 = AtomicU32::new(0);

/// One side of a [`NetPair`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The sending side, usually.
    A,
    /// The capturing side, usually.
    B,
}

/// Two network namespaces `pc<pid>-<n>a` and `pc<pid>-<n>b`, joined by a veth
/// pair of the same names, with 10.x and fd00:: addresses, static neighbour
/// entries, loopback up, IPv6 duplicate address detection and veth offloads
/// off. Dropping it ends every process still inside either namespace and
/// deletes both.
#[derive(Debug)]
pub struct NetPair {
    /// Namespace (and veth) name of side A.
    pub ns_a: String,
    /// Namespace (and veth) name of side B.
    pub ns_b: String,
    /// IPv4 address of side A.
    pub v4_a: String,
    /// IPv4 address of side B.
    pub v4_b: String,
    /// IPv6 address of side A.
    pub v6_a: String,
    /// IPv6 address of side B.
    pub v6_b: String,
    /// The namespaces created so far (`Drop` deletes only those).
    created: Vec<String>,
}

impl NetPair {
    /// Creates a pair, or prints why it cannot and returns `None` (not root;
    /// no network namespaces here). Any later setup failure fails the test.
    pub fn new() -> Option<NetPair> {
        if !is_root() {
            super::skipped("not root (network namespaces need root)");
            return None;
        }
        let n = NEXT_PAIR.fetch_add(1, Ordering::Relaxed);
        let base = format!("pc{}-{n}", std::process::id());
        let octet = n % 250 + 1;
        let mut pair = NetPair {
            ns_a: format!("{base}a"),
            ns_b: format!("{base}b"),
            v4_a: format!("10.77.{octet}.1"),
            v4_b: format!("10.77.{octet}.2"),
            v6_a: format!("fd00:77:{octet:x}::1"),
            v6_b: format!("fd00:77:{octet:x}::2"),
            created: Vec::new(),
        };
        let _setup = SETUP
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for ns in [pair.ns_a.clone(), pair.ns_b.clone()] {
            let out = ip(&["netns", "add", &ns]);
            if !out.status.success() {
                super::skipped(format_args!(
                    "`ip netns add {ns}` failed (no network namespaces here?): {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
                return None; // `pair` drops: deletes what was created
            }
            pair.created.push(ns);
        }
        pair.configure();
        Some(pair)
    }

    fn configure(&self) {
        let (a, b) = (self.ns_a.as_str(), self.ns_b.as_str());
        ip_ok(&format!(
            "-n {a} link add {a} address {MAC_A} type veth peer name {b} address {MAC_B} netns {b}"
        ));
        let sides = [
            (a, &self.v4_a, &self.v6_a, &self.v4_b, &self.v6_b, MAC_B),
            (b, &self.v4_b, &self.v6_b, &self.v4_a, &self.v6_a, MAC_A),
        ];
        for (ns, v4, v6, peer_v4, peer_v6, peer_mac) in sides {
            // Before the link is up, so its link-local address skips DAD too.
            let dad = format!("net.ipv6.conf.{ns}.accept_dad=0");
            self.run_ok(self.side_of(ns), &["sysctl", "-qw", &dad]);
            ip_ok(&format!("-n {ns} addr add {v4}/24 dev {ns}"));
            ip_ok(&format!("-n {ns} addr add {v6}/64 dev {ns} nodad"));
            ip_ok(&format!("-n {ns} link set lo up"));
            ip_ok(&format!("-n {ns} link set {ns} up"));
            for peer in [peer_v4, peer_v6] {
                ip_ok(&format!(
                    "-n {ns} neigh replace {peer} lladdr {peer_mac} dev {ns} nud permanent"
                ));
            }
            // Frames on the wire as the sender wrote them: no segmentation
            // offload merging or splitting them. Best effort: without
            // ethtool the tests still hold for small packets.
            let offloads = format!("-K {ns} tso off gso off gro off");
            let mut ethtool = vec!["ethtool"];
            ethtool.extend(offloads.split_whitespace());
            let _ = self
                .command(self.side_of(ns), &ethtool)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }

    fn side_of(&self, ns: &str) -> Side {
        if ns == self.ns_a { Side::A } else { Side::B }
    }

    /// Namespace (and veth) name of `side`.
    pub fn ns(&self, side: Side) -> &str {
        match side {
            Side::A => &self.ns_a,
            Side::B => &self.ns_b,
        }
    }

    /// Gives `side`'s namespace its own `/etc/FILE` (`hosts`,
    /// `resolv.conf`): `ip netns exec` mounts `/etc/netns/NS/FILE` over it
    /// for the commands it runs. Removed with the namespace.
    pub fn set_etc_file(&self, side: Side, file: &str, contents: &str) {
        let dir = Path::new("/etc/netns").join(self.ns(side));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let path = dir.join(file);
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }

    /// The veth's interface index inside its namespace.
    pub fn ifindex(&self, side: Side) -> u32 {
        let ns = self.ns(side);
        let out = ip(&["-n", ns, "-o", "link", "show", "dev", ns]);
        let text = String::from_utf8_lossy(&out.stdout);
        text.split(':')
            .next()
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no interface index for {ns} in {text:?}"))
    }

    /// `ip netns exec <ns of side> ARGS...`, standard input closed. (`ip netns
    /// exec` execs: the child's process id is the command's.)
    pub fn command<S: AsRef<std::ffi::OsStr>>(&self, side: Side, args: &[S]) -> Command {
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", self.ns(side)])
            .args(args)
            .stdin(Stdio::null());
        command
    }

    /// Starts `args` inside `side`'s namespace with its output collected.
    pub fn spawn<S: AsRef<std::ffi::OsStr>>(&self, side: Side, args: &[S]) -> Background {
        Background::spawn(self.command(side, args), describe(side, args))
    }

    /// Runs `args` inside `side`'s namespace, killing it after `timeout`.
    pub fn run<S: AsRef<std::ffi::OsStr>>(
        &self,
        side: Side,
        args: &[S],
        timeout: Duration,
    ) -> Finished {
        self.spawn(side, args).wait(timeout)
    }

    /// Runs `args` inside `side`'s namespace and fails the test unless it
    /// succeeds within 10 s.
    pub fn run_ok<S: AsRef<std::ffi::OsStr>>(&self, side: Side, args: &[S]) -> Finished {
        let done = self.run(side, args, Duration::from_secs(10));
        assert!(
            done.status.success(),
            "{}: {}; stderr:\n{}",
            done.command,
            done.status,
            done.stderr
        );
        done
    }

    /// Sends UDP datagrams from `side` (from source port `src_port`, each
    /// with a payload of `payload_len` bytes) to `dst` (an address of the
    /// other side): `count` datagrams to each `(port, count)` of `targets`,
    /// in that order. Returns when all are handed to the kernel.
    pub fn send_udp(
        &self,
        side: Side,
        dst: &str,
        src_port: u16,
        payload_len: usize,
        targets: &[(u16, u64)],
    ) {
        let mut args: Vec<String> = vec![
            python().into(),
            "-c".into(),
            UDP_SENDER.into(),
            dst.into(),
            src_port.to_string(),
            payload_len.to_string(),
        ];
        args.extend(targets.iter().map(|(port, n)| format!("{port}:{n}")));
        self.run_ok(side, &args);
    }
}

impl Drop for NetPair {
    fn drop(&mut self) {
        for ns in &self.created {
            // Whatever still runs in the namespace was started by this test.
            if let Ok(out) = Command::new("ip").args(["netns", "pids", ns]).output() {
                for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                    let _ = Command::new("kill")
                        .args(["-KILL", pid])
                        .stderr(Stdio::null())
                        .status();
                }
            }
            let _ = Command::new("ip")
                .args(["netns", "delete", ns])
                .stderr(Stdio::null())
                .status();
            // Its own /etc files, when it was given some.
            let _ = std::fs::remove_dir_all(Path::new("/etc/netns").join(ns));
        }
    }
}

/// Sends datagrams: `DST SRC_PORT PAYLOAD_LEN PORT:COUNT...`.
const UDP_SENDER: &str = r#"
import socket, sys
dst, src, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
family = socket.AF_INET6 if ":" in dst else socket.AF_INET
s = socket.socket(family, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", src))
payload = b"p" * size
for target in sys.argv[4:]:
    port, count = (int(x) for x in target.split(":"))
    for _ in range(count):
        s.sendto(payload, (dst, port))
"#;

/// A TCP server: `PORT CONNECTIONS`. Listens on every address (IPv4 and
/// IPv6), prints `ready`, then for each connection reads one line and
/// answers `ok <line>` and closes; exits after CONNECTIONS or 10 s idle.
pub const TCP_SERVER: &str = r#"
import socket, sys
port, connections = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", port))
s.listen(64)
s.settimeout(10)
print("ready", flush=True)
for _ in range(connections):
    c, _ = s.accept()
    c.settimeout(5)
    data = b""
    while not data.endswith(b"\n"):
        chunk = c.recv(4096)
        if not chunk:
            break
        data += chunk
    c.sendall(b"ok " + data)
    c.close()
"#;

/// A TCP client: `DST PORT CONNECTIONS`. Each connection sends one line,
/// reads the answer to its end and closes.
pub const TCP_CLIENT: &str = r#"
import socket, sys
dst, port, connections = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(connections):
    c = socket.create_connection((dst, port), timeout=5)
    c.sendall(b"hello %d\n" % i)
    answer = b""
    while True:
        chunk = c.recv(4096)
        if not chunk:
            break
        answer += chunk
    assert answer == b"ok hello %d\n" % i, answer
    c.close()
"#;

/// Fetches a URL and prints the body: `URL` (exit 1 on any error). No
/// proxy, whatever the environment says.
pub const HTTP_GET: &str = r#"
import sys, urllib.request
try:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(sys.argv[1], timeout=1) as r:
        sys.stdout.write(r.read().decode())
except Exception as e:
    sys.stderr.write(str(e))
    sys.exit(1)
"#;

fn ip(args: &[&str]) -> Output {
    Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run ip: {e}"))
}

/// Runs `ip WORDS` (split at spaces) and fails the test unless it succeeds.
fn ip_ok(words: &str) {
    let args: Vec<&str> = words.split_whitespace().collect();
    let out = ip(&args);
    assert!(
        out.status.success(),
        "ip {words}: {}; stderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

fn describe<S: AsRef<std::ffi::OsStr>>(side: Side, args: &[S]) -> String {
    let words: Vec<String> = args
        .iter()
        .map(|a| {
            let word = a.as_ref().to_string_lossy();
            // The python scripts are long; their first line says enough.
            match word.trim().lines().next() {
                Some(first) if word.contains('\n') => format!("'{first} …'"),
                _ => word.into_owned(),
            }
        })
        .collect();
    format!("[ns {side:?}] {}", words.join(" "))
}

/// Collects a pipe to its end on a thread.
fn collect(mut pipe: impl Read + Send + 'static, into: Arc<Mutex<Vec<u8>>>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        loop {
            match pipe.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => into
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend_from_slice(&chunk[..n]),
            }
        }
    })
}

/// A process running in the background with its standard output and error
/// collected as they come. Dropping it kills the process if it still runs.
#[derive(Debug)]
pub struct Background {
    /// What was run, for failure messages.
    pub command: String,
    child: Child,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    readers: Vec<JoinHandle<()>>,
    status: Option<ExitStatus>,
}

/// How a [`Background`] process ended, and everything it printed.
#[derive(Debug)]
pub struct Finished {
    /// What was run.
    pub command: String,
    /// Its exit status.
    pub status: ExitStatus,
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

impl Finished {
    /// As a [`Run`] of portclass: fails the test on a crash, a signal or a
    /// panic message.
    pub fn into_run(self) -> Run {
        Run::finish(
            self.command,
            Output {
                status: self.status,
                stdout: self.stdout,
                stderr: self.stderr.into_bytes(),
            },
        )
    }

    /// Standard output as text (lossily).
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

impl Background {
    /// Starts `command` with piped output.
    pub fn spawn(mut command: Command, description: String) -> Background {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {description}: {e}"));
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let readers = vec![
            collect(child.stdout.take().expect("piped"), Arc::clone(&stdout)),
            collect(child.stderr.take().expect("piped"), Arc::clone(&stderr)),
        ];
        Background {
            command: description,
            child,
            stdout,
            stderr,
            readers,
            status: None,
        }
    }

    /// The process id (with `ip netns exec`, the command's own).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether it has ended (reaping it if so).
    pub fn has_exited(&mut self) -> bool {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status.is_some()
    }

    /// The complete lines of standard output so far.
    pub fn stdout_lines(&self) -> Vec<String> {
        let bytes = self.stdout.lock().unwrap_or_else(|p| p.into_inner());
        let text = String::from_utf8_lossy(&bytes);
        let complete = text.rfind('\n').map_or("", |end| &text[..end]);
        complete
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect()
    }

    /// Standard error so far.
    pub fn stderr_so_far(&self) -> String {
        let bytes = self.stderr.lock().unwrap_or_else(|p| p.into_inner());
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Sends signal `name` (`INT`, `TERM`, …) to the process, if it still runs.
    pub fn signal(&mut self, name: &str) {
        if self.has_exited() {
            return;
        }
        let status = Command::new("kill")
            .args([format!("-{name}"), self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} {}: {status}", self.pid());
    }

    /// Waits until `ready` holds for the output lines so far; fails the test
    /// if the process ends first or `timeout` passes. Returns the lines.
    pub fn wait_for_stdout(
        &mut self,
        what: &str,
        timeout: Duration,
        ready: impl Fn(&[String]) -> bool,
    ) -> Vec<String> {
        let start = Instant::now();
        loop {
            let lines = self.stdout_lines();
            if ready(&lines) {
                return lines;
            }
            assert!(
                !self.has_exited(),
                "{}: ended before {what}; stdout:\n{}\nstderr:\n{}",
                self.command,
                lines.join("\n"),
                self.stderr_so_far()
            );
            assert!(
                start.elapsed() < timeout,
                "{}: no {what} within {timeout:?}; stdout:\n{}\nstderr:\n{}",
                self.command,
                lines.join("\n"),
                self.stderr_so_far()
            );
            std::thread::sleep(POLL);
        }
    }

    /// Waits until the process has a packet socket bound to interface
    /// `ifindex` of its namespace with its receive ring mapped: from then on
    /// libpcap keeps every frame that arrives there (frames that came before
    /// its filter was set are filtered in user space). Fails the test if the
    /// process ends first or [`READY_TIMEOUT`] passes.
    pub fn wait_capturing(&mut self, ifindex: u32) {
        let start = Instant::now();
        while !capturing(self.pid(), ifindex) {
            assert!(
                !self.has_exited(),
                "{}: ended before capturing; stdout:\n{}\nstderr:\n{}",
                self.command,
                self.stdout_lines().join("\n"),
                self.stderr_so_far()
            );
            assert!(
                start.elapsed() < READY_TIMEOUT,
                "{}: no capture open on interface {ifindex} within {READY_TIMEOUT:?}; stderr:\n{}",
                self.command,
                self.stderr_so_far()
            );
            std::thread::sleep(POLL);
        }
    }

    /// Waits for the process to end; kills it and fails the test if it has
    /// not ended within `timeout`.
    pub fn wait(&mut self, timeout: Duration) -> Finished {
        let start = Instant::now();
        while !self.has_exited() {
            if start.elapsed() >= timeout {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "{}: still running after {timeout:?}, killed; stdout:\n{}\nstderr:\n{}",
                    self.command,
                    self.stdout_lines().join("\n"),
                    self.stderr_so_far()
                );
            }
            std::thread::sleep(POLL);
        }
        // The pipes close with the process (nothing here forks and leaves
        // children holding them); the readers then end.
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        let take = |buffer: &Arc<Mutex<Vec<u8>>>| {
            std::mem::take(&mut *buffer.lock().unwrap_or_else(|p| p.into_inner()))
        };
        Finished {
            command: self.command.clone(),
            status: self.status.expect("reaped"),
            stdout: take(&self.stdout),
            stderr: String::from_utf8_lossy(&take(&self.stderr)).into_owned(),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if !self.has_exited() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Whether process `pid` has a packet socket bound to `ifindex` (in its own
/// namespace) whose receive ring it has mapped.
fn capturing(pid: u32, ifindex: u32) -> bool {
    let proc_dir = Path::new("/proc").join(pid.to_string());
    let Ok(maps) = std::fs::read_to_string(proc_dir.join("maps")) else {
        return false;
    };
    let Ok(packet) = std::fs::read_to_string(proc_dir.join("net/packet")) else {
        return false;
    };
    // sk RefCnt Type Proto Iface R Rmem User Inode
    packet.lines().skip(1).any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.len() >= 9
            && fields[3] != "0000"
            && fields[4].parse() == Ok(ifindex)
            && maps.contains(&format!("socket:[{}]", fields[8]))
    })
}

// ---------------------------------------------------------------------------
// More addresses, outside tools, kernel counters (the scan and handshake
// tests).

/// MAC address no interface of a [`NetPair`] has: frames sent to it go onto
/// the wire and are never answered (the peer's veth drops them).
const MAC_NOWHERE: &str = "02:00:00:00:de:ad";

/// Whether `program` is an executable file in a directory of `PATH` (what
/// `ip netns exec` will find).
pub fn have_program(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            std::fs::metadata(dir.join(program))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

impl NetPair {
    /// IPv4 address `host` of the pair's /24 (side A is `.1`, side B `.2`).
    pub fn v4_host(&self, host: u8) -> String {
        let (net, _) = self.v4_a.rsplit_once('.').expect("dotted quad");
        format!("{net}.{host}")
    }

    /// Adds IPv4 `addresses` (of the pair's /24) to `side`'s veth, with
    /// static neighbour entries for them on the other side, so no ARP goes
    /// on the wire.
    pub fn add_v4_addresses(&self, side: Side, addresses: &[String]) {
        let (ns, peer) = match side {
            Side::A => (&self.ns_a, &self.ns_b),
            Side::B => (&self.ns_b, &self.ns_a),
        };
        let mac = if side == Side::A { MAC_A } else { MAC_B };
        for address in addresses {
            ip_ok(&format!("-n {ns} addr add {address}/24 dev {ns}"));
            ip_ok(&format!(
                "-n {peer} neigh replace {address} lladdr {mac} dev {peer} nud permanent"
            ));
        }
    }

    /// Static neighbour entries on `side` that send `addresses` (of the
    /// pair's /24, on neither side) to a MAC address nobody has: frames to
    /// them go onto the wire and are never answered.
    pub fn add_silent_v4_neighbours(&self, side: Side, addresses: &[String]) {
        let ns = self.ns(side);
        for address in addresses {
            ip_ok(&format!(
                "-n {ns} neigh replace {address} lladdr {MAC_NOWHERE} dev {ns} nud permanent"
            ));
        }
    }

    /// The counters of `/proc/net/snmp` inside `side`'s namespace, keyed
    /// `Tcp.InSegs`, `Udp.OutDatagrams`, …
    pub fn snmp(&self, side: Side) -> std::collections::BTreeMap<String, i64> {
        let text = self.run_ok(side, &["cat", "/proc/net/snmp"]).stdout_text();
        let mut counters = std::collections::BTreeMap::new();
        let lines: Vec<&str> = text.lines().collect();
        // Pairs of lines: `Tcp: Name1 Name2 …` then `Tcp: 1 2 …`.
        for pair in lines.chunks(2) {
            let [names, values] = pair else { continue };
            let (Some((group, names)), Some((_, values))) =
                (names.split_once(':'), values.split_once(':'))
            else {
                continue;
            };
            for (name, value) in names.split_whitespace().zip(values.split_whitespace()) {
                if let Ok(value) = value.parse() {
                    counters.insert(format!("{group}.{name}"), value);
                }
            }
        }
        assert!(
            counters.contains_key("Tcp.InSegs"),
            "no Tcp.InSegs in /proc/net/snmp:\n{text}"
        );
        counters
    }
}

impl Background {
    /// Waits until `ready` holds for the output lines so far, at most
    /// `timeout`; returns whether it did (false too when the process ended
    /// first). Unlike [`Background::wait_for_stdout`] it never fails the
    /// test: for waits whose outcome the caller checks afterwards.
    pub fn poll_stdout(&mut self, timeout: Duration, ready: impl Fn(&[String]) -> bool) -> bool {
        let start = Instant::now();
        loop {
            if ready(&self.stdout_lines()) {
                return true;
            }
            if self.has_exited() || start.elapsed() >= timeout {
                return false;
            }
            std::thread::sleep(POLL);
        }
    }
}
