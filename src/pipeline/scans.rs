//! Port-scan detection: sources that probe many distinct ports of one host
//! (a *vertical* scan) or one port of many hosts (a *horizontal* scan)
//! within a time window, in bounded memory, with reports that merge with
//! `+=`.
//!
//! # What counts
//!
//! The detector is fed, frame by frame, what the stateful classifier says
//! each frame did to its conversation ([`ScanDetector::observe`]):
//!
//! * A **probe** is a frame that opened a conversation
//!   ([`ConversationEvent::Opened`]), from its source (the *scanner*) to its
//!   destination address and port (the *target*). Frames of conversations
//!   under way never count, so a server's replies, however many clients and
//!   ports it serves, are never probes. Probes towards a multicast, broadcast
//!   (255.255.255.255) or unspecified address are ignored: nothing answers
//!   them as a conversation.
//! * A probe **succeeded** when its target answered
//!   ([`ConversationEvent::Answered`]: a SYN+ACK, or any UDP reply) and
//!   **failed** otherwise: refused ([`ConversationEvent::Refused`], a TCP
//!   RST) or never answered. As in Zeek's `scan.zeek`, only failed probes
//!   make a scan: a busy client connecting successfully to many hosts or many
//!   ports never qualifies.
//! * **Vertical**: one scanner, one target host, one transport. It qualifies
//!   when the distinct ports with failed probes reach
//!   [`ScanSettings::vertical_ports`] (default 15).
//! * **Horizontal**: one scanner, one port, one transport. It qualifies when
//!   the distinct target hosts with failed probes reach
//!   [`ScanSettings::horizontal_hosts`] (default 25).
//!
//! A target answered once counts as *open* for the whole window, even if
//! other probes of it failed; one refused and never answered counts as
//! *closed*; the others are *unanswered* (filtered, or UDP ports whose ICMP
//! "port unreachable" is not a conversation event).
//!
//! A finding *is* its failed probes: its first and last time, its duration
//! and its `probes` count cover only probes that were refused or never
//! answered. Probes that were answered (the open targets it found, and
//! ordinary connections of the same source to the same host or port before
//! or after the scan) are evidence ([`ScanFinding::open`], the open ports or
//! hosts listed), not the scan: an nmap scan of 0.2 s after a minute of
//! ordinary connections to the same host lasts 0.2 s. Whether a probe was
//! answered is known only when its reply comes, so each window holds its
//! last [`PENDING_PROBES`] probes still waiting for one (with their times):
//! an answer takes its target's waiting probes out, a refusal counts them as
//! failed at once, and a probe pushed out by that many newer ones still
//! waiting counts as failed (an answer slower than that is not told apart
//! from none). Probes of a target already answered in the window are not
//! counted at all.
//!
//! TCP, UDP and SCTP are keyed apart (the classifier reports no SCTP events
//! today, so SCTP scans are not seen). Tunnels are not part of the key: with
//! `--decap`, inner addresses of different tunnels that coincide count
//! together.
//!
//! # Windows
//!
//! Each key counts within a window that starts at its first probe and lasts
//! [`ScanSettings::window_ns`] (default 300 s). The first probe more than
//! `window_ns` after the window's start closes it, making it a finding if it
//! qualified, and starts a new window. A scan slower than the threshold per
//! window therefore goes unnoticed, and a long scan is reported once per
//! window. Replies count towards the window of the probe they answer however
//! late they come; a reply to a probe of a closed window is ignored. Frames
//! out of time order stay in the current window. Stream time, for sweeping
//! out expired windows, is the earlier of the current and the previous
//! frame's times, so that one frame with a wild timestamp cannot expire
//! every window.
//!
//! # Bounded memory
//!
//! * At most [`ScanSettings::max_tracked`] keys per kind. When a new key
//!   finds its table full, the table is swept: expired windows are closed
//!   (their findings kept), then keys with at most one failed target are
//!   evicted (single probes from a flood of random sources, clients whose
//!   connections were answered), counted in [`ScanReport::evicted_keys`]. If
//!   the table is still full, the probe is not tracked for that kind
//!   ([`ScanReport::untracked_probes`]). A sweep that frees less than an
//!   eighth of the table is not tried again before an eighth of the table's
//!   size in new keys has been turned away, so sweeps cost amortised O(1)
//!   per probe. Expired windows are also swept as stream time passes (at
//!   most once per window of stream time, amortised the same way).
//! * A key's first target, and its oldest probe waiting for a reply, are
//!   kept inline: a key probed once (most keys of a flood), or whose
//!   probes are answered one after another, allocates nothing. A key with
//!   a failed probe, or with several waiting at once, gets a record of
//!   them (under 100 bytes, freed when it holds nothing); its probes
//!   waiting beyond the oldest take a list of 3, 7, then 15 entries (at
//!   most 240 bytes for a vertical key, 480 for a horizontal one), freed
//!   when none waits any more and counted in the sets' byte budget below;
//!   without room, the oldest waiting probe counts as failed at once.
//! * Ports of a vertical key: a sorted list up to 512 ports, then a 16 KiB
//!   map of 2 bits per port (probed, refused, answered): every port of all
//!   65,536, exactly.
//! * Hosts of a horizontal key: a hash map of at most
//!   [`ScanSettings::max_hosts_per_key`] hosts (default 4096); hosts probed
//!   beyond that are not remembered, and `distinct` becomes a lower bound
//!   ([`ScanFinding::distinct_exact`] is false).
//! * All sets together hold about [`ScanSettings::max_set_bytes`] at most
//!   (default 64 MiB); a set that would grow beyond stops recording new
//!   targets (again a lower bound, and a scan not yet counted to its
//!   threshold then goes unnoticed) until closing windows free room.
//! * At most [`MAX_FINDINGS`] findings are kept, the first in report order
//!   (twice that between cuts).
//!
//! Worst case: the two key tables take under `max_tracked × 600 B` (about
//! 10 MiB at the default), plus `max_set_bytes`, plus the findings.
//! A probe costs two hash look-ups; in a flood of new keys, where every
//! probe inserts into both tables and is swept out later, a few hundred
//! nanoseconds (memory-bound).

use super::ConversationEvent;
use crate::decode::{PacketInfo, Transport};
use foldhash::HashMap;
use std::cmp::{Ordering, Reverse};
use std::fmt;
use std::hash::Hash;
use std::net::IpAddr;
use std::ops::AddAssign;

/// The most findings a report lists; the rest are counted in
/// [`ScanReport::dropped_findings`].
pub const MAX_FINDINGS: usize = 1000;

/// Ports a vertical key lists before it switches to the 2-bit map (the list
/// then takes 2 KiB, the map 16 KiB).
const PORT_LIST_MAX: usize = 512;
/// Words of the 2-bit port map: 65,536 ports × 2 bits.
const PORT_MAP_WORDS: usize = (1 << 16) * 2 / 64;
/// Port ranges a finding's evidence lists.
const EVIDENCE_RANGES: usize = 8;
/// Open ports a finding's evidence lists.
const EVIDENCE_OPEN_PORTS: usize = 16;
/// Open hosts a finding's evidence lists.
const EVIDENCE_OPEN_HOSTS: usize = 8;
/// Probes a window remembers while they wait for a reply; a probe pushed
/// out by this many newer ones still waiting counts as failed. Sixteen
/// covers a browser's parallel connections to one host and the probes
/// nmap has in flight on a LAN; on a slow path an open port answered later
/// than that counts among the failed probes (its time is inside the scan
/// anyway).
pub const PENDING_PROBES: usize = 16;

/// The thresholds and bounds of scan detection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ScanSettings {
    /// Length of a key's window, from its first probe (ns). Default 300 s.
    pub window_ns: u64,
    /// Distinct ports of one host with failed probes that make a vertical
    /// scan. Default 15; at least 1.
    pub vertical_ports: u32,
    /// Distinct hosts with failed probes of one port that make a horizontal
    /// scan. Default 25; at least 1.
    pub horizontal_hosts: u32,
    /// Keys tracked at once, per kind. Default 16,384; at least 1.
    pub max_tracked: usize,
    /// Hosts remembered per horizontal key. Default 4096; at least
    /// `horizontal_hosts`, so that a scan can always qualify.
    pub max_hosts_per_key: usize,
    /// Heap bytes all the target sets together may hold (approximately: a
    /// set may overshoot by its last growth step). Default 64 MiB.
    pub max_set_bytes: usize,
}

impl Default for ScanSettings {
    /// Zeek's `scan.zeek` thresholds: 15 ports or 25 hosts in 5 minutes.
    fn default() -> ScanSettings {
        ScanSettings {
            window_ns: 300_000_000_000,
            vertical_ports: 15,
            horizontal_hosts: 25,
            max_tracked: 16_384,
            max_hosts_per_key: 4096,
            max_set_bytes: 64 << 20,
        }
    }
}

impl ScanSettings {
    /// The settings with every field brought into its valid range (see each
    /// field); [`ScanDetector::new`] applies this.
    pub fn clamped(self) -> ScanSettings {
        let vertical_ports = self.vertical_ports.max(1);
        let horizontal_hosts = self.horizontal_hosts.max(1);
        ScanSettings {
            window_ns: self.window_ns,
            vertical_ports,
            horizontal_hosts,
            max_tracked: self.max_tracked.max(1),
            max_hosts_per_key: self.max_hosts_per_key.max(horizontal_hosts as usize),
            max_set_bytes: self.max_set_bytes,
        }
    }

    /// The failed targets that make a scan of `kind`.
    pub fn threshold(&self, kind: ScanKind) -> u64 {
        match kind {
            ScanKind::Vertical => u64::from(self.vertical_ports),
            ScanKind::Horizontal => u64::from(self.horizontal_hosts),
        }
    }

    /// Field by field, the settings under which more qualifies: the longer
    /// window, the lower thresholds, the larger bounds. Every finding made
    /// under either `self` or `other` qualifies under the result.
    fn most_permissive(self, other: ScanSettings) -> ScanSettings {
        ScanSettings {
            window_ns: self.window_ns.max(other.window_ns),
            vertical_ports: self.vertical_ports.min(other.vertical_ports),
            horizontal_hosts: self.horizontal_hosts.min(other.horizontal_hosts),
            max_tracked: self.max_tracked.max(other.max_tracked),
            max_hosts_per_key: self.max_hosts_per_key.max(other.max_hosts_per_key),
            max_set_bytes: self.max_set_bytes.max(other.max_set_bytes),
        }
    }
}

/// The two shapes of scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScanKind {
    /// Many ports of one host.
    Vertical,
    /// One port of many hosts.
    Horizontal,
}

impl ScanKind {
    /// Both kinds, in display order.
    pub const ALL: [ScanKind; 2] = [ScanKind::Vertical, ScanKind::Horizontal];

    /// Lower-case name for output (`vertical`, `horizontal`).
    pub fn name(self) -> &'static str {
        match self {
            ScanKind::Vertical => "vertical",
            ScanKind::Horizontal => "horizontal",
        }
    }

    /// Parses a name as written by [`ScanKind::name`].
    pub fn parse(s: &str) -> Option<ScanKind> {
        ScanKind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// Index 0..2, for arrays keyed by kind.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A compact sample of what a scan probed, for people to read (its
/// [`Display`](fmt::Display) form) or for a renderer to lay out.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScanEvidence {
    /// A vertical scan's ports.
    Ports {
        /// The first probed port ranges, ascending (`(1, 1024)`, `(3306,
        /// 3306)`), at most 8.
        ranges: Vec<(u16, u16)>,
        /// Further ranges not listed.
        more_ranges: u64,
        /// The first open (answered) ports, ascending, at most 16.
        open: Vec<u16>,
        /// Further open ports not listed.
        more_open: u64,
    },
    /// A horizontal scan's hosts.
    Hosts {
        /// The host of the scan's first failed probe.
        first: IpAddr,
        /// The host of its last failed probe.
        last: IpAddr,
        /// The first open (answered) hosts, ascending, at most 8.
        open: Vec<IpAddr>,
        /// Further open hosts not listed.
        more_open: u64,
    },
}

impl fmt::Display for ScanEvidence {
    /// `ports 1-1024, 3306, 8080 (+2 more ranges); open 22, 80` or
    /// `first 10.0.0.1, last 10.0.0.40; open 10.0.0.7`; `none open` when
    /// nothing answered.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn open_list<T: fmt::Display>(
            f: &mut fmt::Formatter<'_>,
            open: &[T],
            more: u64,
        ) -> fmt::Result {
            if open.is_empty() && more == 0 {
                return write!(f, "; none open");
            }
            write!(f, "; open ")?;
            for (i, item) in open.iter().enumerate() {
                if i > 0 {
                    write!(f, ", ")?;
                }
                write!(f, "{item}")?;
            }
            if more > 0 {
                write!(f, " (+{more} more)")?;
            }
            Ok(())
        }
        match self {
            ScanEvidence::Ports {
                ranges,
                more_ranges,
                open,
                more_open,
            } => {
                write!(f, "ports ")?;
                for (i, &(lo, hi)) in ranges.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    if lo == hi {
                        write!(f, "{lo}")?;
                    } else {
                        write!(f, "{lo}-{hi}")?;
                    }
                }
                if *more_ranges > 0 {
                    write!(f, " (+{more_ranges} more ranges)")?;
                }
                open_list(f, open, *more_open)
            }
            ScanEvidence::Hosts {
                first,
                last,
                open,
                more_open,
            } => {
                write!(f, "first {first}, last {last}")?;
                open_list(f, open, *more_open)
            }
        }
    }
}

/// One scan: a window of one key that qualified.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ScanFinding {
    /// Vertical or horizontal.
    pub kind: ScanKind,
    /// The transport probed.
    pub transport: Transport,
    /// The scanner.
    pub source: IpAddr,
    /// The host whose ports were probed (vertical scans only).
    pub target_host: Option<IpAddr>,
    /// The port probed on many hosts (horizontal scans only).
    pub target_port: Option<u16>,
    /// Time of the scan's first failed probe (ns since the epoch).
    pub first_ns: i64,
    /// Time of its last failed probe (ns since the epoch).
    pub last_ns: i64,
    /// Failed probes: probe frames (conversations opened) in the window that
    /// were refused or never answered, including repeats of a target and
    /// targets not remembered. Answered probes are not counted.
    pub probes: u64,
    /// Distinct targets probed: ports (vertical) or hosts (horizontal).
    pub distinct: u64,
    /// Whether `distinct` is exact; false when a set's bound was reached and
    /// `distinct`, `open`, `closed` and `unanswered` count only the targets
    /// remembered (lower bounds).
    pub distinct_exact: bool,
    /// Distinct targets that answered.
    pub open: u64,
    /// Distinct targets that refused (TCP RST) and never answered.
    pub closed: u64,
    /// Distinct targets that neither answered nor refused.
    pub unanswered: u64,
    /// A sample of the targets.
    pub evidence: ScanEvidence,
}

impl ScanFinding {
    /// Distinct targets whose probes failed (`closed + unanswered`): the
    /// number compared with the threshold.
    pub fn failed(&self) -> u64 {
        self.closed.saturating_add(self.unanswered)
    }
}

/// A vertical TCP scan for renderer tests: ports 1-1000 of `target` probed
/// by `source` from `first_ns` to `last_ns`, 22, 80 and 443 open, the rest
/// closed.
#[cfg(test)]
pub(crate) fn sample_vertical_scan(
    source: IpAddr,
    target: IpAddr,
    first_ns: i64,
    last_ns: i64,
) -> ScanFinding {
    ScanFinding {
        kind: ScanKind::Vertical,
        transport: Transport::Tcp,
        source,
        target_host: Some(target),
        target_port: None,
        first_ns,
        last_ns,
        probes: 1000,
        distinct: 1000,
        distinct_exact: true,
        open: 3,
        closed: 997,
        unanswered: 0,
        evidence: ScanEvidence::Ports {
            ranges: vec![(1, 1000)],
            more_ranges: 0,
            open: vec![22, 80, 443],
            more_open: 0,
        },
    }
}

/// Report order: most distinct targets first, then source, kind, transport,
/// target and start; the remaining fields break the last ties, so the order
/// is total and sorting is deterministic.
fn report_order(a: &ScanFinding, b: &ScanFinding) -> Ordering {
    let key = |f: &ScanFinding| {
        (
            Reverse(f.distinct),
            f.source,
            f.kind,
            f.transport,
            f.target_host,
            f.target_port,
            f.first_ns,
        )
    };
    let rest = |f: &ScanFinding| {
        (
            f.last_ns,
            f.probes,
            f.distinct_exact,
            f.open,
            f.closed,
            f.unanswered,
        )
    };
    key(a)
        .cmp(&key(b))
        .then_with(|| rest(a).cmp(&rest(b)))
        .then_with(|| a.evidence.cmp(&b.evidence))
}

/// Sorts findings into report order and keeps the first [`MAX_FINDINGS`];
/// returns how many were dropped.
fn keep_first(findings: &mut Vec<ScanFinding>) -> u64 {
    findings.sort_unstable_by(report_order);
    let dropped = findings.len().saturating_sub(MAX_FINDINGS);
    findings.truncate(MAX_FINDINGS);
    dropped as u64
}

/// The scans found in any number of frames from any number of inputs.
/// Reports of separate inputs or threads merge with `+=`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanReport {
    /// The settings the scans were looked for with. After merging reports
    /// made with different settings, the most permissive of them field by
    /// field (see `mixed_settings`).
    pub settings: ScanSettings,
    /// Reports made with different settings were merged into this one.
    pub mixed_settings: bool,
    /// The findings in report order (most distinct targets first), at most
    /// [`MAX_FINDINGS`].
    pub findings: Vec<ScanFinding>,
    /// Findings beyond [`MAX_FINDINGS`], not listed.
    pub dropped_findings: u64,
    /// Probes seen: conversations opened towards a unicast address.
    pub probes: u64,
    /// Per kind ([`ScanKind::index`]): probes not tracked because the key
    /// table was full of keys that could not be swept out.
    pub untracked_probes: [u64; 2],
    /// Per kind: keys evicted before their window ended to make room (at
    /// most one failed target each).
    pub evicted_keys: [u64; 2],
}

impl ScanReport {
    /// An empty report; merging it into a report made with the same
    /// settings changes nothing.
    pub fn new(settings: ScanSettings) -> ScanReport {
        ScanReport {
            settings,
            mixed_settings: false,
            findings: Vec::new(),
            dropped_findings: 0,
            probes: 0,
            untracked_probes: [0; 2],
            evicted_keys: [0; 2],
        }
    }

    /// Whether no scan was found (none listed, none dropped).
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty() && self.dropped_findings == 0
    }

    /// Puts the findings in report order and keeps at most [`MAX_FINDINGS`],
    /// counting the rest in `dropped_findings` (for a report rebuilt from a
    /// saved summary, whose findings may come in any order or number).
    pub fn normalize(&mut self) {
        let dropped = keep_first(&mut self.findings);
        self.dropped_findings = self.dropped_findings.saturating_add(dropped);
    }
}

/// Merges another report in: findings are pooled, sorted into report order
/// and cut to [`MAX_FINDINGS`] (the rest counted as dropped), counters add
/// (saturating). Commutative and associative: the result depends only on
/// the reports merged, not their order.
impl AddAssign<&ScanReport> for ScanReport {
    fn add_assign(&mut self, other: &ScanReport) {
        if self.settings != other.settings {
            self.mixed_settings = true;
            self.settings = self.settings.most_permissive(other.settings);
        }
        self.mixed_settings |= other.mixed_settings;
        self.findings.extend(other.findings.iter().cloned());
        self.dropped_findings = self.dropped_findings.saturating_add(other.dropped_findings);
        self.probes = self.probes.saturating_add(other.probes);
        for kind in ScanKind::ALL {
            let i = kind.index();
            self.untracked_probes[i] =
                self.untracked_probes[i].saturating_add(other.untracked_probes[i]);
            self.evicted_keys[i] = self.evicted_keys[i].saturating_add(other.evicted_keys[i]);
        }
        self.normalize();
    }
}

impl AddAssign for ScanReport {
    fn add_assign(&mut self, other: ScanReport) {
        *self += &other;
    }
}

/// What is known of one target in a window. The numbers are its 2-bit code
/// in the port map (0: not probed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Reply {
    /// Probed, no reply yet.
    None = 1,
    /// Refused (TCP RST), never answered.
    Refused = 2,
    /// Answered.
    Answered = 3,
}

impl Reply {
    fn from_code(code: u64) -> Option<Reply> {
        match code {
            1 => Some(Reply::None),
            2 => Some(Reply::Refused),
            3 => Some(Reply::Answered),
            _ => None,
        }
    }
}

/// What recording a probe did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Recorded {
    /// A target new to the window.
    New,
    /// A target probed before in the window, with what is known of it.
    Known(Reply),
    /// A new target not remembered: the set is at its bound.
    Dropped,
}

/// The targets of one window with what each did.
trait Targets: Default + Clone + fmt::Debug {
    /// A port or a host.
    type Target: Copy + PartialEq + fmt::Debug;

    /// Records a probe of `target`. `may_grow`: the set may allocate;
    /// `max_len`: the most targets it may hold.
    fn probe(&mut self, target: Self::Target, may_grow: bool, max_len: usize) -> Recorded;

    /// What is known of a probed target.
    fn get(&self, target: Self::Target) -> Option<Reply>;

    /// Sets what is known of a probed target.
    fn set(&mut self, target: Self::Target, reply: Reply);

    /// Whether no target is held.
    fn is_empty(&self) -> bool;

    /// Heap bytes held.
    fn heap_bytes(&self) -> usize;

    /// A sample for the finding; `open` is the number of answered targets.
    fn evidence(&self, first: Self::Target, last: Self::Target, open: u64) -> ScanEvidence;
}

/// The ports of a vertical key: a sorted list while short, then a map of 2
/// bits per port.
#[derive(Clone, Debug)]
enum PortStates {
    List(Vec<(u16, Reply)>),
    Map(Box<[u64]>),
}

impl Default for PortStates {
    fn default() -> PortStates {
        PortStates::List(Vec::new())
    }
}

fn map_get(map: &[u64], port: u16) -> u64 {
    let p = usize::from(port);
    (map[p / 32] >> ((p % 32) * 2)) & 3
}

fn map_set(map: &mut [u64], port: u16, reply: Reply) {
    let p = usize::from(port);
    let shift = (p % 32) * 2;
    let word = &mut map[p / 32];
    *word = (*word & !(3 << shift)) | ((reply as u64) << shift);
}

impl PortStates {
    /// Calls `f` with every probed port, ascending.
    fn visit(&self, mut f: impl FnMut(u16, Reply)) {
        match self {
            PortStates::List(list) => {
                for &(port, reply) in list {
                    f(port, reply);
                }
            }
            PortStates::Map(map) => {
                for (i, &word) in map.iter().enumerate() {
                    let mut rest = word;
                    while rest != 0 {
                        let slot = rest.trailing_zeros() / 2;
                        rest &= !(3 << (slot * 2));
                        let port = (i * 32) as u32 + slot;
                        if let (Ok(port), Some(reply)) = (
                            u16::try_from(port),
                            Reply::from_code((word >> (slot * 2)) & 3),
                        ) {
                            f(port, reply);
                        }
                    }
                }
            }
        }
    }
}

impl Targets for PortStates {
    type Target = u16;

    fn probe(&mut self, port: u16, may_grow: bool, _max_len: usize) -> Recorded {
        match self {
            PortStates::List(list) => {
                let at = match list.binary_search_by_key(&port, |&(p, _)| p) {
                    Ok(i) => return Recorded::Known(list[i].1),
                    Err(at) => at,
                };
                if list.len() == list.capacity() {
                    if !may_grow {
                        return Recorded::Dropped;
                    }
                    if list.len() >= PORT_LIST_MAX {
                        let mut map = vec![0u64; PORT_MAP_WORDS].into_boxed_slice();
                        for &(p, reply) in list.iter() {
                            map_set(&mut map, p, reply);
                        }
                        map_set(&mut map, port, Reply::None);
                        *self = PortStates::Map(map);
                        return Recorded::New;
                    }
                    let capacity = (list.capacity() * 2).clamp(8, PORT_LIST_MAX);
                    list.reserve_exact(capacity - list.len());
                }
                list.insert(at, (port, Reply::None));
                Recorded::New
            }
            PortStates::Map(map) => {
                if let Some(reply) = Reply::from_code(map_get(map, port)) {
                    return Recorded::Known(reply);
                }
                map_set(map, port, Reply::None);
                Recorded::New
            }
        }
    }

    fn get(&self, port: u16) -> Option<Reply> {
        match self {
            PortStates::List(list) => list
                .binary_search_by_key(&port, |&(p, _)| p)
                .ok()
                .map(|i| list[i].1),
            PortStates::Map(map) => Reply::from_code(map_get(map, port)),
        }
    }

    fn set(&mut self, port: u16, reply: Reply) {
        match self {
            PortStates::List(list) => {
                if let Ok(i) = list.binary_search_by_key(&port, |&(p, _)| p) {
                    list[i].1 = reply;
                }
            }
            PortStates::Map(map) => {
                if map_get(map, port) != 0 {
                    map_set(map, port, reply);
                }
            }
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            PortStates::List(list) => list.is_empty(),
            PortStates::Map(_) => false,
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            PortStates::List(list) => list.capacity() * size_of::<(u16, Reply)>(),
            PortStates::Map(map) => map.len() * size_of::<u64>(),
        }
    }

    fn evidence(&self, _first: u16, _last: u16, open: u64) -> ScanEvidence {
        let mut ranges = Vec::new();
        let mut all_ranges = 0u64;
        let mut current: Option<(u16, u16)> = None;
        let mut open_ports = Vec::new();
        let mut close_range = |range: (u16, u16), ranges: &mut Vec<(u16, u16)>| {
            all_ranges += 1;
            if ranges.len() < EVIDENCE_RANGES {
                ranges.push(range);
            }
        };
        self.visit(|port, reply| {
            current = match current {
                Some((lo, hi)) if hi.checked_add(1) == Some(port) => Some((lo, port)),
                Some(range) => {
                    close_range(range, &mut ranges);
                    Some((port, port))
                }
                None => Some((port, port)),
            };
            if reply == Reply::Answered && open_ports.len() < EVIDENCE_OPEN_PORTS {
                open_ports.push(port);
            }
        });
        if let Some(range) = current {
            close_range(range, &mut ranges);
        }
        ScanEvidence::Ports {
            more_ranges: all_ranges - ranges.len() as u64,
            ranges,
            more_open: open.saturating_sub(open_ports.len() as u64),
            open: open_ports,
        }
    }
}

/// The hosts of a horizontal key.
#[derive(Clone, Debug, Default)]
struct HostStates {
    hosts: HashMap<IpAddr, Reply>,
}

impl Targets for HostStates {
    type Target = IpAddr;

    fn probe(&mut self, host: IpAddr, may_grow: bool, max_len: usize) -> Recorded {
        // Not `entry`: it reserves room even when nothing is inserted.
        if let Some(&reply) = self.hosts.get(&host) {
            return Recorded::Known(reply);
        }
        let len = self.hosts.len();
        if len >= max_len || (len >= self.hosts.capacity() && !may_grow) {
            return Recorded::Dropped;
        }
        self.hosts.insert(host, Reply::None);
        Recorded::New
    }

    fn get(&self, host: IpAddr) -> Option<Reply> {
        self.hosts.get(&host).copied()
    }

    fn set(&mut self, host: IpAddr, reply: Reply) {
        if let Some(r) = self.hosts.get_mut(&host) {
            *r = reply;
        }
    }

    fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }

    fn heap_bytes(&self) -> usize {
        // A swiss table: buckets a power of two at most 7/8 full, one
        // control byte each.
        match self.hosts.capacity() {
            0 => 0,
            capacity => {
                let buckets = (capacity * 8 / 7).next_power_of_two();
                buckets * (size_of::<(IpAddr, Reply)>() + 1)
            }
        }
    }

    fn evidence(&self, first: IpAddr, last: IpAddr, open: u64) -> ScanEvidence {
        let mut open_hosts: Vec<IpAddr> = self
            .hosts
            .iter()
            .filter(|&(_, &reply)| reply == Reply::Answered)
            .map(|(&host, _)| host)
            .collect();
        open_hosts.sort_unstable();
        open_hosts.truncate(EVIDENCE_OPEN_HOSTS);
        ScanEvidence::Hosts {
            first,
            last,
            more_open: open.saturating_sub(open_hosts.len() as u64),
            open: open_hosts,
        }
    }
}

/// What a key is: a kind, its targets' set, and the finding's identity.
trait ScanKey: Copy + Eq + Hash + fmt::Debug {
    const KIND: ScanKind;
    type Targets: Targets;
    fn transport(&self) -> Transport;
    fn source(&self) -> IpAddr;
    fn target_host(&self) -> Option<IpAddr>;
    fn target_port(&self) -> Option<u16>;
}

/// Scanner and target host: counts ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct VerticalKey {
    transport: Transport,
    source: IpAddr,
    host: IpAddr,
}

impl ScanKey for VerticalKey {
    const KIND: ScanKind = ScanKind::Vertical;
    type Targets = PortStates;
    fn transport(&self) -> Transport {
        self.transport
    }
    fn source(&self) -> IpAddr {
        self.source
    }
    fn target_host(&self) -> Option<IpAddr> {
        Some(self.host)
    }
    fn target_port(&self) -> Option<u16> {
        None
    }
}

/// Scanner and target port: counts hosts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct HorizontalKey {
    transport: Transport,
    source: IpAddr,
    port: u16,
}

impl ScanKey for HorizontalKey {
    const KIND: ScanKind = ScanKind::Horizontal;
    type Targets = HostStates;
    fn transport(&self) -> Transport {
        self.transport
    }
    fn source(&self) -> IpAddr {
        self.source
    }
    fn target_host(&self) -> Option<IpAddr> {
        None
    }
    fn target_port(&self) -> Option<u16> {
        Some(self.port)
    }
}

/// The first or last failed probe of a window: its time and target.
type Extreme<T> = Option<(i64, T)>;

/// The probes of a window counted as failed so far (refused, or pushed out
/// of its waiting list without a reply).
#[derive(Clone, Debug)]
struct FailedProbes<T> {
    count: u64,
    first: Extreme<T>,
    last: Extreme<T>,
}

impl<T: Copy> FailedProbes<T> {
    fn add(&mut self, target: T, ts: i64) {
        self.count += 1;
        if self.first.is_none_or(|(first, _)| ts < first) {
            self.first = Some((ts, target));
        }
        // Of equal times, the one counted last.
        if self.last.is_none_or(|(last, _)| ts >= last) {
            self.last = Some((ts, target));
        }
    }
}

/// What a window knows of its probes beyond the oldest one waiting: boxed,
/// since most keys (a flood's single probes, a client's connections
/// answered one after another) never need it.
#[derive(Clone, Debug)]
struct ProbeLog<T> {
    failed: FailedProbes<T>,
    /// Waiting probes newer than the oldest, oldest first: a list grown 3,
    /// 7, 15 entries (at most [`PENDING_PROBES`] - 1) as more wait, and
    /// freed when none does.
    waiting: Vec<(T, i64)>,
}

/// The probes of one window: those waiting for a reply (the oldest
/// inline) and those counted as failed.
#[derive(Clone, Debug)]
struct Probes<T> {
    /// The oldest waiting probe (target, time), when any.
    oldest: Option<(T, i64)>,
    /// The rest, allocated when a probe fails or a second one waits, and
    /// dropped when it holds nothing again.
    log: Option<Box<ProbeLog<T>>>,
}

impl<T: Copy + PartialEq> Probes<T> {
    fn one(target: T, ts: i64) -> Probes<T> {
        Probes {
            oldest: Some((target, ts)),
            log: None,
        }
    }

    /// Heap bytes counted in the sets' budget: the waiting list. (The box
    /// itself is part of a key's fixed cost: a failure must always be
    /// recorded.)
    fn heap_bytes(&self) -> usize {
        self.log
            .as_ref()
            .map_or(0, |log| log.waiting.capacity() * size_of::<(T, i64)>())
    }

    fn log(log: &mut Option<Box<ProbeLog<T>>>) -> &mut ProbeLog<T> {
        log.get_or_insert_with(|| {
            Box::new(ProbeLog {
                failed: FailedProbes {
                    count: 0,
                    first: None,
                    last: None,
                },
                waiting: Vec::new(),
            })
        })
    }

    /// Adds a waiting probe; the oldest one waiting is counted as failed
    /// when the list is full (or cannot grow: `may_grow` false).
    fn push(&mut self, target: T, ts: i64, may_grow: bool) {
        let Probes { oldest, log } = self;
        let Some(first) = *oldest else {
            *oldest = Some((target, ts));
            return;
        };
        let log = Probes::log(log);
        let capacity = log.waiting.capacity();
        if may_grow && log.waiting.len() == capacity && capacity < PENDING_PROBES - 1 {
            let grown = (capacity * 2 + 1).clamp(3, PENDING_PROBES - 1);
            log.waiting.reserve_exact(grown - log.waiting.len());
        }
        if log.waiting.len() < log.waiting.capacity() {
            log.waiting.push((target, ts));
            return;
        }
        // Full: the oldest gives way.
        log.failed.add(first.0, first.1);
        if log.waiting.is_empty() {
            *oldest = Some((target, ts));
        } else {
            *oldest = Some(log.waiting.remove(0));
            log.waiting.push((target, ts));
        }
    }

    /// A reply from `target`: its waiting probes were refused (counted as
    /// failed) or answered (not counted). Frees what holds nothing any
    /// more.
    fn reply(&mut self, target: T, refused: bool) {
        let Probes { oldest, log } = self;
        let mut refused_oldest = None;
        if let Some(log) = log {
            let ProbeLog { failed: f, waiting } = &mut **log;
            waiting.retain(|&(t, ts)| {
                let hit = t == target;
                if hit && refused {
                    f.add(t, ts);
                }
                !hit
            });
        }
        if let Some((t, ts)) = *oldest
            && t == target
        {
            *oldest = None;
            if refused {
                refused_oldest = Some(ts);
            }
        }
        if let Some(ts) = refused_oldest {
            Probes::log(log).failed.add(target, ts);
        }
        if oldest.is_none()
            && let Some(l) = log
        {
            if l.waiting.is_empty() {
                l.waiting = Vec::new();
            } else {
                *oldest = Some(l.waiting.remove(0));
            }
        }
        if log
            .as_ref()
            .is_some_and(|l| l.failed.count == 0 && l.waiting.capacity() == 0)
        {
            *log = None;
        }
    }

    /// The failed probes: those counted and those still waiting (none came
    /// for them).
    fn failed(&self) -> FailedProbes<T> {
        let mut failed = self.log.as_ref().map_or(
            FailedProbes {
                count: 0,
                first: None,
                last: None,
            },
            |log| log.failed.clone(),
        );
        let waiting = self.log.iter().flat_map(|log| log.waiting.iter());
        for &(target, ts) in self.oldest.iter().chain(waiting) {
            failed.add(target, ts);
        }
        failed
    }
}

/// One key's current window. Its first target is kept inline, with what
/// it did, until a second one arrives: a key probed once (most keys of a
/// flood) allocates nothing.
#[derive(Clone, Debug)]
struct Window<S: Targets> {
    start_ns: i64,
    distinct: u64,
    open: u64,
    closed: u64,
    exact: bool,
    first_reply: Reply,
    first_target: S::Target,
    /// Every target once there are two or more (the first included), else
    /// empty.
    targets: S,
    /// Its probes waiting for a reply and failed.
    probes: Probes<S::Target>,
}

impl<S: Targets> Window<S> {
    /// A window opened by a probe of `target` at `ts`.
    fn new(target: S::Target, ts: i64) -> Window<S> {
        Window {
            start_ns: ts,
            distinct: 1,
            open: 0,
            closed: 0,
            exact: true,
            first_reply: Reply::None,
            first_target: target,
            targets: S::default(),
            probes: Probes::one(target, ts),
        }
    }

    /// Whether a probe at `now` falls after the window.
    fn expired(&self, now: i64, window_ns: u64) -> bool {
        i128::from(now) - i128::from(self.start_ns) > i128::from(window_ns)
    }

    fn failed(&self) -> u64 {
        self.distinct - self.open
    }

    /// Heap bytes held: the target set and the waiting probes.
    fn heap_bytes(&self) -> usize {
        self.targets.heap_bytes() + self.probes.heap_bytes()
    }

    /// Records a probe; returns the change in heap bytes.
    fn probe(&mut self, target: S::Target, ts: i64, may_grow: bool, max_len: usize) -> isize {
        let before = self.heap_bytes();
        let recorded = if !self.targets.is_empty() {
            self.targets.probe(target, may_grow, max_len)
        } else if target == self.first_target {
            Recorded::Known(self.first_reply)
        } else if self.targets.probe(self.first_target, may_grow, max_len) == Recorded::New {
            // The second target: the set takes over from the inline first.
            self.targets.set(self.first_target, self.first_reply);
            self.targets.probe(target, may_grow, max_len)
        } else {
            Recorded::Dropped
        };
        match recorded {
            // A target that answered already: an ordinary connection, or a
            // repeat of an open port; not a probe of the scan.
            Recorded::Known(Reply::Answered) => return 0,
            Recorded::Known(_) => {}
            Recorded::New => self.distinct += 1,
            Recorded::Dropped => self.exact = false,
        }
        self.probes.push(target, ts, may_grow);
        self.heap_bytes() as isize - before as isize
    }

    /// What is known of a target probed in this window.
    fn state(&self, target: S::Target) -> Option<Reply> {
        if self.targets.is_empty() {
            (target == self.first_target).then_some(self.first_reply)
        } else {
            self.targets.get(target)
        }
    }

    /// Records a reply of a probed target; replies of targets not probed in
    /// this window are ignored. An answer outranks a refusal. The target's
    /// waiting probes were answered (not counted) or refused (failed).
    /// Returns the change in heap bytes.
    fn reply(&mut self, target: S::Target, reply: Reply) -> isize {
        let before = self.probes.heap_bytes();
        self.probes.reply(target, reply == Reply::Refused);
        let freed = self.probes.heap_bytes() as isize - before as isize;
        self.record_reply(target, reply);
        freed
    }

    /// What a reply tells of its target.
    fn record_reply(&mut self, target: S::Target, reply: Reply) {
        let Some(was) = self.state(target) else {
            return;
        };
        let now = match (was, reply) {
            (Reply::None, r) | (Reply::Refused, r @ Reply::Answered) => r,
            (was, _) => was,
        };
        if now == was {
            return;
        }
        if was == Reply::Refused {
            self.closed -= 1;
        }
        match now {
            Reply::Refused => self.closed += 1,
            Reply::Answered => self.open += 1,
            Reply::None => {}
        }
        if self.targets.is_empty() {
            self.first_reply = now;
        } else {
            self.targets.set(target, now);
        }
    }

    /// The failed probes: how many, the first and the last (the waiting
    /// probes count as failed: none came).
    fn failed_probes(&self) -> FailedProbes<S::Target> {
        self.probes.failed()
    }

    fn evidence(&self, first: S::Target, last: S::Target) -> ScanEvidence {
        if self.targets.is_empty() {
            // One target (a threshold of 1): a set of it, just for this.
            let mut one = S::default();
            one.probe(self.first_target, true, 1);
            one.set(self.first_target, self.first_reply);
            return one.evidence(first, last, self.open);
        }
        self.targets.evidence(first, last, self.open)
    }

    fn finding<K: ScanKey<Targets = S>>(&self, key: &K) -> ScanFinding {
        let failed = self.failed_probes();
        // A window with a failed target has a failed probe; the window's
        // start stands in otherwise, defensively.
        let fallback = (self.start_ns, self.first_target);
        let (first_ns, first_target) = failed.first.unwrap_or(fallback);
        let (last_ns, last_target) = failed.last.unwrap_or(fallback);
        ScanFinding {
            kind: K::KIND,
            transport: key.transport(),
            source: key.source(),
            target_host: key.target_host(),
            target_port: key.target_port(),
            first_ns,
            last_ns,
            probes: failed.count,
            distinct: self.distinct,
            distinct_exact: self.exact,
            open: self.open,
            closed: self.closed,
            unanswered: self.distinct - self.open - self.closed,
            evidence: self.evidence(first_target, last_target),
        }
    }
}

/// What the two key tables share: settings, stream time, the byte budget of
/// the sets and the findings of closed windows.
#[derive(Clone, Debug)]
struct Shared {
    settings: ScanSettings,
    /// Stream time for expiry: the earlier of the times of the frame being
    /// observed and the one before. Not the latest time seen, nor the
    /// frame's own: one frame with a wild timestamp must not expire every
    /// window.
    now: i64,
    /// Heap bytes of all sets.
    set_bytes: usize,
    /// Findings of closed windows; cut back to [`MAX_FINDINGS`] whenever it
    /// doubles that.
    finished: Vec<ScanFinding>,
    dropped_findings: u64,
    probes: u64,
}

impl Shared {
    fn may_grow(&self) -> bool {
        self.set_bytes < self.settings.max_set_bytes
    }

    fn account(&mut self, delta: isize) {
        self.set_bytes = self.set_bytes.saturating_add_signed(delta);
    }

    /// Closes a window: frees its bytes, keeps its finding if it qualified.
    fn close<K: ScanKey>(&mut self, key: &K, window: &Window<K::Targets>) {
        self.set_bytes = self.set_bytes.saturating_sub(window.heap_bytes());
        if window.failed() >= self.settings.threshold(K::KIND) {
            self.finished.push(window.finding(key));
            if self.finished.len() >= 2 * MAX_FINDINGS {
                self.dropped_findings += keep_first(&mut self.finished);
            }
        }
    }
}

/// The windows of one kind.
#[derive(Clone, Debug)]
struct KeyTable<K: ScanKey> {
    windows: HashMap<K, Window<K::Targets>>,
    untracked: u64,
    evicted: u64,
    /// New keys turned away since the last sweep for room.
    refused_since_sweep: usize,
    /// New keys to turn away before the next sweep for room (0 after a
    /// sweep that freed enough).
    sweep_after: usize,
}

impl<K: ScanKey> KeyTable<K> {
    fn new() -> KeyTable<K> {
        KeyTable {
            windows: HashMap::default(),
            untracked: 0,
            evicted: 0,
            refused_since_sweep: 0,
            sweep_after: 0,
        }
    }

    fn probe(
        &mut self,
        key: K,
        target: <K::Targets as Targets>::Target,
        ts: i64,
        shared: &mut Shared,
    ) {
        let settings = shared.settings;
        let max_len = settings.max_hosts_per_key;
        if let Some(window) = self.windows.get_mut(&key) {
            if window.expired(ts, settings.window_ns) {
                shared.close(&key, window);
                *window = Window::new(target, ts);
                return;
            }
            let delta = window.probe(target, ts, shared.may_grow(), max_len);
            shared.account(delta);
            return;
        }
        if self.windows.len() >= settings.max_tracked && !self.make_room(shared) {
            self.untracked += 1;
            return;
        }
        self.windows.insert(key, Window::new(target, ts));
    }

    fn reply(
        &mut self,
        key: K,
        target: <K::Targets as Targets>::Target,
        reply: Reply,
        shared: &mut Shared,
    ) {
        if let Some(window) = self.windows.get_mut(&key) {
            shared.account(window.reply(target, reply));
        }
    }

    /// The table is full: sweeps it, unless a recent sweep freed too little.
    /// Returns whether there is room now.
    fn make_room(&mut self, shared: &mut Shared) -> bool {
        if self.refused_since_sweep < self.sweep_after {
            self.refused_since_sweep += 1;
            return false;
        }
        let before = self.windows.len();
        self.sweep(shared, true);
        let freed = before - self.windows.len();
        self.refused_since_sweep = 0;
        self.sweep_after = if freed >= before / 8 { 0 } else { before / 8 };
        self.windows.len() < shared.settings.max_tracked
    }

    /// Closes expired windows and, with `evict`, drops keys with at most one
    /// failed target. O(keys).
    fn sweep(&mut self, shared: &mut Shared, evict: bool) {
        let (now, window_ns) = (shared.now, shared.settings.window_ns);
        let mut evicted = 0;
        self.windows.retain(|key, window| {
            let expired = window.expired(now, window_ns);
            let idle = evict && window.failed() <= 1;
            if !(expired || idle) {
                return true;
            }
            if !expired {
                evicted += 1;
            }
            shared.close(key, window);
            false
        });
        self.evicted += evicted;
    }

    /// The findings of the windows that qualify now.
    fn qualifying(&self, settings: &ScanSettings, out: &mut Vec<ScanFinding>) {
        let threshold = settings.threshold(K::KIND);
        out.extend(
            self.windows
                .iter()
                .filter(|(_, w)| w.failed() >= threshold)
                .map(|(key, w)| w.finding(key)),
        );
    }
}

/// Whether a conversation towards `addr` can be a probe.
fn is_probe_target(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(a) => !(a.is_multicast() || a.is_broadcast() || a.is_unspecified()),
        IpAddr::V6(a) => !(a.is_multicast() || a.is_unspecified()),
    }
}

/// Finds vertical and horizontal port scans in one stream of frames (see the
/// [module documentation](self) for the rules and the memory bounds).
#[derive(Clone, Debug)]
pub struct ScanDetector {
    shared: Shared,
    vertical: KeyTable<VerticalKey>,
    horizontal: KeyTable<HorizontalKey>,
    /// Stream time of the last sweep for expired windows.
    last_sweep_ns: i64,
    /// Events since that sweep.
    events_since_sweep: usize,
    /// The time of the last event.
    previous_ns: i64,
}

impl ScanDetector {
    /// A detector with `settings`, [clamped](ScanSettings::clamped) into
    /// their valid ranges. Allocates nothing until the first probe.
    pub fn new(settings: ScanSettings) -> ScanDetector {
        ScanDetector {
            shared: Shared {
                settings: settings.clamped(),
                now: i64::MIN,
                set_bytes: 0,
                finished: Vec::new(),
                dropped_findings: 0,
                probes: 0,
            },
            vertical: KeyTable::new(),
            horizontal: KeyTable::new(),
            last_sweep_ns: i64::MIN,
            events_since_sweep: 0,
            previous_ns: i64::MIN,
        }
    }

    /// The settings in use (clamped).
    pub fn settings(&self) -> &ScanSettings {
        &self.shared.settings
    }

    /// Takes one frame: `info` its decoded summary (transport, ports and
    /// addresses), `event` what the classifier says it did to its
    /// conversation, `ts_nanos` its time. Only [`ConversationEvent::Opened`]
    /// makes a probe (from the frame's source to its destination address and
    /// port); [`ConversationEvent::Answered`] and
    /// [`ConversationEvent::Refused`] come from the target (source: the
    /// target and probed port; destination: the scanner) and mark that
    /// probe's target open or closed. Frames without ports or addresses are
    /// ignored. Amortised O(1); allocates only when a set or table grows.
    #[inline]
    pub fn observe(&mut self, info: &PacketInfo, event: ConversationEvent, ts_nanos: i64) {
        let reply = match event {
            ConversationEvent::None => return,
            ConversationEvent::Opened => None,
            ConversationEvent::Answered => Some(Reply::Answered),
            ConversationEvent::Refused => Some(Reply::Refused),
        };
        let (Some((transport, src_port, dst_port)), Some((src, dst))) =
            (info.transport_ports(), info.addresses)
        else {
            return;
        };
        self.shared.now = self.previous_ns.min(ts_nanos);
        self.previous_ns = ts_nanos;
        match reply {
            None => {
                if !is_probe_target(dst) {
                    return;
                }
                self.shared.probes += 1;
                let vertical = VerticalKey {
                    transport,
                    source: src,
                    host: dst,
                };
                self.vertical
                    .probe(vertical, dst_port, ts_nanos, &mut self.shared);
                let horizontal = HorizontalKey {
                    transport,
                    source: src,
                    port: dst_port,
                };
                self.horizontal
                    .probe(horizontal, dst, ts_nanos, &mut self.shared);
            }
            Some(reply) => {
                let vertical = VerticalKey {
                    transport,
                    source: dst,
                    host: src,
                };
                self.vertical
                    .reply(vertical, src_port, reply, &mut self.shared);
                let horizontal = HorizontalKey {
                    transport,
                    source: dst,
                    port: src_port,
                };
                self.horizontal
                    .reply(horizontal, src, reply, &mut self.shared);
            }
        }
        self.expire_windows();
    }

    /// Closes expired windows, at most once per window of stream time and
    /// only after enough events to pay for the sweep (an eighth of the keys).
    fn expire_windows(&mut self) {
        self.events_since_sweep += 1;
        let keys = self.vertical.windows.len() + self.horizontal.windows.len();
        if self.events_since_sweep.saturating_mul(8) < keys
            || (i128::from(self.shared.now) - i128::from(self.last_sweep_ns)).abs()
                <= i128::from(self.shared.settings.window_ns)
        {
            return;
        }
        self.vertical.sweep(&mut self.shared, false);
        self.horizontal.sweep(&mut self.shared, false);
        self.last_sweep_ns = self.shared.now;
        self.events_since_sweep = 0;
    }

    /// Keys tracked now, of one kind (at most
    /// [`ScanSettings::max_tracked`]).
    pub fn tracked(&self, kind: ScanKind) -> usize {
        match kind {
            ScanKind::Vertical => self.vertical.windows.len(),
            ScanKind::Horizontal => self.horizontal.windows.len(),
        }
    }

    /// Heap bytes held by the target sets now (about
    /// [`ScanSettings::max_set_bytes`] at most).
    pub fn set_bytes(&self) -> usize {
        self.shared.set_bytes
    }

    /// Everything found so far: the findings of closed windows and of the
    /// windows under way that qualify already. O(keys + findings ×
    /// log findings): fine once a second.
    pub fn report(&self) -> ScanReport {
        self.build_report(self.shared.finished.clone())
    }

    /// Ends the stream: closes every window and returns the final report.
    pub fn finish(mut self) -> ScanReport {
        let finished = std::mem::take(&mut self.shared.finished);
        self.build_report(finished)
    }

    fn build_report(&self, mut findings: Vec<ScanFinding>) -> ScanReport {
        let settings = &self.shared.settings;
        self.vertical.qualifying(settings, &mut findings);
        self.horizontal.qualifying(settings, &mut findings);
        let mut report = ScanReport {
            settings: *settings,
            mixed_settings: false,
            findings,
            dropped_findings: self.shared.dropped_findings,
            probes: self.shared.probes,
            untracked_probes: [self.vertical.untracked, self.horizontal.untracked],
            evicted_keys: [self.vertical.evicted, self.horizontal.evicted],
        };
        report.normalize();
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const SEC: i64 = 1_000_000_000;
    const SCANNER_PORT: u16 = 40_000;

    fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(a, b, c, d))
    }

    fn host(n: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n))
    }

    fn frame(t: Transport, src: IpAddr, sport: u16, dst: IpAddr, dport: u16) -> PacketInfo {
        let mut info = PacketInfo::ports(t, sport, dport);
        info.addresses = Some((src, dst));
        info
    }

    /// Drives a detector the way the pipeline does.
    struct Run {
        d: ScanDetector,
        t: Transport,
        /// Time of the last probe; replies come at the same time.
        ts: i64,
    }

    impl Run {
        fn new(settings: ScanSettings) -> Run {
            Run {
                d: ScanDetector::new(settings),
                t: Transport::Tcp,
                ts: 0,
            }
        }

        fn probe(&mut self, from: IpAddr, to: IpAddr, port: u16, ts: i64) {
            let f = frame(self.t, from, SCANNER_PORT, to, port);
            self.d.observe(&f, ConversationEvent::Opened, ts);
            self.ts = ts;
        }

        fn reply(&mut self, event: ConversationEvent, target: IpAddr, port: u16, to: IpAddr) {
            let f = frame(self.t, target, port, to, SCANNER_PORT);
            self.d.observe(&f, event, self.ts);
        }

        fn answer(&mut self, target: IpAddr, port: u16, to: IpAddr) {
            self.reply(ConversationEvent::Answered, target, port, to);
        }

        fn refuse(&mut self, target: IpAddr, port: u16, to: IpAddr) {
            self.reply(ConversationEvent::Refused, target, port, to);
        }

        fn report(&self) -> ScanReport {
            let report = self.d.report();
            assert_eq!(report, self.d.clone().finish(), "report equals finish");
            report
        }
    }

    /// The sum of the sets' heap bytes equals what the budget accounts.
    fn check_accounting(d: &ScanDetector) {
        let v: usize = d.vertical.windows.values().map(|w| w.heap_bytes()).sum();
        let h: usize = d.horizontal.windows.values().map(|w| w.heap_bytes()).sum();
        assert_eq!(d.set_bytes(), v + h);
    }

    #[test]
    fn vertical_scan_of_1000_ports_with_3_open() {
        let (scanner, victim) = (v4(192, 0, 2, 66), v4(10, 0, 0, 5));
        let mut run = Run::new(ScanSettings::default());
        let ports: Vec<u16> = (1..=998).chain([3306, 8080]).collect();
        for (i, &port) in ports.iter().enumerate() {
            let ts = 1_000 * SEC + i as i64 * 1_000_000;
            run.probe(scanner, victim, port, ts);
            match port {
                22 | 80 | 3306 => run.answer(victim, port, scanner),
                p if p % 10 == 0 => {} // filtered
                _ => run.refuse(victim, port, scanner),
            }
        }
        check_accounting(&run.d);
        let report = run.report();
        assert_eq!(report.findings.len(), 1, "{report:#?}");
        let f = &report.findings[0];
        assert_eq!(f.kind, ScanKind::Vertical);
        assert_eq!(
            (f.source, f.target_host, f.target_port),
            (scanner, Some(victim), None)
        );
        assert_eq!(f.transport, Transport::Tcp);
        // The three answered probes are evidence, not probes of the scan.
        assert_eq!((f.probes, f.distinct, f.open), (997, 1000, 3));
        assert!(f.distinct_exact);
        // 99 multiples of 10 up to 998 (80 is open), plus 8080.
        assert_eq!(f.unanswered, 99);
        assert_eq!(f.closed, 1000 - 3 - 99);
        assert_eq!(f.failed(), 997);
        assert_eq!(
            (f.first_ns, f.last_ns),
            (1_000 * SEC, 1_000 * SEC + 999_000_000)
        );
        assert_eq!(
            f.evidence,
            ScanEvidence::Ports {
                ranges: vec![(1, 998), (3306, 3306), (8080, 8080)],
                more_ranges: 0,
                open: vec![22, 80, 3306],
                more_open: 0,
            }
        );
        assert_eq!(
            f.evidence.to_string(),
            "ports 1-998, 3306, 8080; open 22, 80, 3306"
        );
        assert_eq!(report.probes, 1000);
        assert_eq!(report.untracked_probes, [0, 0]);
        assert!(!report.is_empty());
    }

    #[test]
    fn evidence_lists_the_first_ranges_and_open_ports() {
        let (scanner, victim) = (v4(192, 0, 2, 66), v4(10, 0, 0, 5));
        let mut run = Run::new(ScanSettings::default());
        // 20 odd ports, all open (20 ranges of one port), then 40 failed
        // ports in one range.
        for port in (1..=39).step_by(2) {
            run.probe(scanner, victim, port, 0);
            run.answer(victim, port, scanner);
        }
        for port in 100..140 {
            run.probe(scanner, victim, port, 0);
        }
        let report = run.report();
        let f = &report.findings[0];
        assert_eq!((f.distinct, f.open, f.unanswered), (60, 20, 40));
        assert_eq!(
            f.evidence.to_string(),
            "ports 1, 3, 5, 7, 9, 11, 13, 15 (+13 more ranges); \
             open 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31 (+4 more)"
        );
    }

    #[test]
    fn horizontal_sweep_of_port_22_mostly_refused() {
        let scanner = v4(198, 51, 100, 7);
        let mut run = Run::new(ScanSettings::default());
        for n in 1..=40 {
            let target = host(n);
            run.probe(scanner, target, 22, i64::from(n) * SEC);
            match n {
                7 | 30 => run.answer(target, 22, scanner),
                38..=40 => {}
                _ => run.refuse(target, 22, scanner),
            }
        }
        let report = run.report();
        assert_eq!(report.findings.len(), 1, "{report:#?}");
        let f = &report.findings[0];
        assert_eq!(f.kind, ScanKind::Horizontal);
        assert_eq!(
            (f.source, f.target_host, f.target_port),
            (scanner, None, Some(22))
        );
        assert_eq!(
            (f.probes, f.distinct, f.open, f.closed, f.unanswered),
            (38, 40, 2, 35, 3)
        );
        assert!(f.distinct_exact);
        assert_eq!((f.first_ns, f.last_ns), (SEC, 40 * SEC));
        assert_eq!(
            f.evidence.to_string(),
            "first 10.0.0.1, last 10.0.0.40; open 10.0.0.7, 10.0.0.30"
        );
    }

    /// Ordinary connections of the scanner to the same host, a minute
    /// before and after a scan of 0.2 s, are not the scan: its times cover
    /// its failed probes only, the open ports it found are evidence.
    #[test]
    fn ordinary_connections_around_a_scan_do_not_stretch_it() {
        let (scanner, victim) = (v4(192, 0, 2, 66), v4(10, 0, 0, 5));
        let mut run = Run::new(ScanSettings::default());
        let ms = 1_000_000;
        for i in 0..6 {
            for port in [22, 80] {
                run.probe(scanner, victim, port, i * 10 * SEC);
                run.answer(victim, port, scanner);
            }
        }
        // Two ordinary connections in parallel, answered out of order.
        run.probe(scanner, victim, 8443, 60 * SEC);
        run.probe(scanner, victim, 8080, 60 * SEC + ms);
        run.answer(victim, 8080, scanner);
        run.answer(victim, 8443, scanner);
        // The scan: 1000 ports in 0.2 s, 22, 80 and 443 open.
        let start = 100 * SEC;
        for port in 1..=1000u16 {
            let ts = start + i64::from(port - 1) * 200_000;
            run.probe(scanner, victim, port, ts);
            match port {
                22 | 80 | 443 => run.answer(victim, port, scanner),
                _ => run.refuse(victim, port, scanner),
            }
        }
        // Ordinary connections after it.
        for i in 0..5 {
            run.probe(scanner, victim, 80, 150 * SEC + i * SEC);
            run.answer(victim, 80, scanner);
            run.probe(scanner, victim, 9000 + i as u16, 150 * SEC + i * SEC);
            run.answer(victim, 9000 + i as u16, scanner);
        }
        let report = run.report();
        assert_eq!(report.findings.len(), 1, "{report:#?}");
        let f = &report.findings[0];
        assert_eq!(f.first_ns, start, "the first refused probe, port 1");
        assert_eq!(f.last_ns, start + 999 * 200_000, "port 1000");
        assert_eq!(f.probes, 997);
        assert_eq!((f.open, f.closed, f.unanswered), (10, 997, 0));
        assert_eq!(f.distinct, 1007);
        assert_eq!(
            f.evidence.to_string(),
            "ports 1-1000, 8080, 8443, 9000-9004; open 22, 80, 443, 8080, 8443, 9000, 9001, \
             9002, 9003, 9004"
        );

        // The same for a sweep: a client of 30 web servers sweeps port 443
        // over 100 silent addresses in one second.
        let mut run = Run::new(ScanSettings::default());
        for n in 0..30 {
            run.probe(scanner, host(n), 443, i64::from(n) * SEC);
            run.answer(host(n), 443, scanner);
        }
        for n in 100..200 {
            run.probe(
                scanner,
                host(n),
                443,
                40 * SEC + i64::from(n - 100) * 10 * ms,
            );
        }
        run.probe(scanner, host(0), 443, 60 * SEC);
        run.answer(host(0), 443, scanner);
        let f = &run.report().findings[0];
        assert_eq!((f.kind, f.probes, f.open), (ScanKind::Horizontal, 100, 30));
        assert_eq!((f.first_ns, f.last_ns), (40 * SEC, 40 * SEC + 990 * ms));
        let ScanEvidence::Hosts { first, last, .. } = f.evidence else {
            panic!("horizontal evidence");
        };
        assert_eq!((first, last), (host(100), host(199)));
    }

    /// A probe waits for its reply among the last [`PENDING_PROBES`] of its
    /// key: one pushed out by that many newer ones still waiting counts as
    /// failed, however late its answer; a refusal counts at once.
    #[test]
    fn answers_count_while_their_probe_waits() {
        let (scanner, victim) = (v4(1, 2, 3, 4), v4(5, 6, 7, 8));
        let one_port = ScanSettings {
            vertical_ports: 1,
            ..ScanSettings::default()
        };
        for (in_flight, probes, first) in [
            (PENDING_PROBES as u16, 1, 100 * SEC),
            (PENDING_PROBES as u16 + 1, 2, 0),
        ] {
            let mut run = Run::new(one_port);
            for port in 1..=in_flight {
                run.probe(scanner, victim, port, i64::from(port - 1) * SEC);
            }
            let key = VerticalKey {
                transport: Transport::Tcp,
                source: scanner,
                host: victim,
            };
            assert_eq!(
                run.d.vertical.windows[&key].probes.heap_bytes(),
                (PENDING_PROBES - 1) * size_of::<(u16, i64)>()
            );
            for port in (1..=in_flight).rev() {
                run.answer(victim, port, scanner);
            }
            // None waits: the waiting list is freed.
            assert_eq!(run.d.vertical.windows[&key].probes.heap_bytes(), 0);
            check_accounting(&run.d);
            run.probe(scanner, victim, 1000, 100 * SEC);
            run.refuse(victim, 1000, scanner);
            let f = &run.report().findings[0];
            assert_eq!(
                (f.probes, f.first_ns, f.last_ns, f.open),
                (probes, first, 100 * SEC, u64::from(in_flight)),
                "{in_flight} in flight"
            );
            check_accounting(&run.d);
        }
        // Repeats of an open port are not probes of the scan; repeats of a
        // closed one are.
        let mut run = Run::new(one_port);
        for i in 0..10 {
            run.probe(scanner, victim, 22, i * SEC);
            run.answer(victim, 22, scanner);
            run.probe(scanner, victim, 23, i * SEC);
            run.refuse(victim, 23, scanner);
        }
        let f = &run.report().findings[0];
        assert_eq!((f.probes, f.distinct, f.open, f.closed), (10, 2, 1, 1));
        assert_eq!((f.first_ns, f.last_ns), (0, 9 * SEC));
    }

    #[test]
    fn waiting_probes_take_what_the_docs_say() {
        // The module documentation's figures for the waiting lists.
        assert_eq!((PENDING_PROBES - 1) * size_of::<(u16, i64)>(), 240);
        assert_eq!((PENDING_PROBES - 1) * size_of::<(IpAddr, i64)>(), 480);
    }

    #[test]
    fn a_busy_client_answered_everywhere_is_no_scan() {
        let client = v4(192, 168, 1, 20);
        let mut run = Run::new(ScanSettings::default());
        for i in 0..200u32 {
            let server = host(i % 60);
            run.probe(client, server, 443, i64::from(i) * SEC);
            run.answer(server, 443, client);
        }
        let db = v4(192, 168, 1, 200);
        for port in 5000..5020 {
            for _ in 0..3 {
                run.probe(client, db, port, 300 * SEC);
                run.answer(db, port, client);
            }
        }
        // UDP: 60 resolvers all answering.
        run.t = Transport::Udp;
        for i in 0..60 {
            run.probe(client, host(1000 + i), 53, 10 * SEC);
            run.answer(host(1000 + i), 53, client);
        }
        let report = run.report();
        assert!(report.is_empty(), "{report:#?}");
        assert_eq!(report.probes, 200 + 60 + 60);
        // Answered one after another: no key keeps a record of its probes.
        assert!(
            run.d
                .vertical
                .windows
                .values()
                .all(|w| w.probes.log.is_none())
        );
        assert!(
            run.d
                .horizontal
                .windows
                .values()
                .all(|w| w.probes.log.is_none())
        );
    }

    #[test]
    fn a_servers_replies_are_never_probes() {
        let server = v4(10, 0, 0, 1);
        let mut run = Run::new(ScanSettings::default());
        for i in 0..500u32 {
            let client = host(100 + i);
            let port = 1000 + (i % 100) as u16;
            // The server's frames towards many clients and ports, as the
            // classifier labels them: replies, refusals, or nothing.
            let info = frame(Transport::Tcp, server, 80, client, port);
            run.d.observe(&info, ConversationEvent::Answered, 0);
            run.d.observe(&info, ConversationEvent::Refused, 0);
            let info = frame(Transport::Tcp, server, port, client, 80);
            run.d.observe(&info, ConversationEvent::None, 0);
        }
        let report = run.report();
        assert!(report.is_empty());
        assert_eq!(report.probes, 0);
        assert_eq!(run.d.tracked(ScanKind::Vertical), 0);
        assert_eq!(run.d.tracked(ScanKind::Horizontal), 0);
    }

    #[test]
    fn replies_from_elsewhere_or_before_the_probe_do_not_count() {
        let (scanner, victim, other) = (v4(1, 1, 1, 1), v4(2, 2, 2, 2), v4(3, 3, 3, 3));
        let mut run = Run::new(ScanSettings::default());
        for port in 1..=20 {
            run.answer(victim, port, scanner); // before the probe
            run.probe(scanner, victim, port, 0);
            run.answer(other, port, scanner); // not the target
        }
        let f = &run.report().findings[0];
        assert_eq!((f.distinct, f.open, f.unanswered), (20, 0, 20));
    }

    #[test]
    fn multicast_and_broadcast_are_not_probed() {
        let mut run = Run::new(ScanSettings::default());
        run.t = Transport::Udp;
        let from = v4(10, 0, 0, 9);
        for port in 1..100 {
            run.probe(from, v4(239, 255, 255, 250), port, 0);
            run.probe(from, v4(255, 255, 255, 255), port, 0);
            run.probe(from, "ff02::1".parse().unwrap(), port, 0);
        }
        assert!(run.report().is_empty());
        assert_eq!(run.report().probes, 0);
    }

    #[test]
    fn thresholds_are_exact() {
        let settings = ScanSettings::default();
        let (scanner, victim) = (v4(1, 2, 3, 4), v4(5, 6, 7, 8));
        for (failed, found) in [(14, false), (15, true)] {
            let mut run = Run::new(settings);
            // Answered ports do not count towards the threshold.
            for port in 1..=10 {
                run.probe(scanner, victim, port, 0);
                run.answer(victim, port, scanner);
            }
            for port in 100..100 + failed {
                run.probe(scanner, victim, port, 0);
                run.refuse(victim, port, scanner);
            }
            let report = run.report();
            assert_eq!(report.findings.len(), usize::from(found), "{failed} ports");
        }
        for (failed, found) in [(24, false), (25, true)] {
            let mut run = Run::new(settings);
            for n in 0..10 {
                run.probe(scanner, host(n), 23, 0);
                run.answer(host(n), 23, scanner);
            }
            for n in 100..100 + failed {
                run.probe(scanner, host(n), 23, 0);
            }
            let report = run.report();
            assert_eq!(report.findings.len(), usize::from(found), "{failed} hosts");
        }
        // Other settings are respected too.
        let strict = ScanSettings {
            vertical_ports: 3,
            horizontal_hosts: 4,
            ..ScanSettings::default()
        };
        let mut run = Run::new(strict);
        for port in [7, 8, 9] {
            run.probe(scanner, victim, port, 0);
        }
        for n in 0..3 {
            run.probe(scanner, host(n), 10, 0);
        }
        let kinds: Vec<ScanKind> = run.report().findings.iter().map(|f| f.kind).collect();
        assert_eq!(kinds, vec![ScanKind::Vertical]);
        run.probe(scanner, host(3), 10, 0);
        assert_eq!(run.report().findings.len(), 2);
    }

    #[test]
    fn repeated_probes_of_one_target_count_once() {
        let (scanner, victim) = (v4(1, 2, 3, 4), v4(5, 6, 7, 8));
        let mut run = Run::new(ScanSettings::default());
        for _ in 0..100 {
            for port in 1..=14 {
                run.probe(scanner, victim, port, 0);
            }
        }
        assert!(run.report().is_empty());
    }

    #[test]
    fn windows_split_a_slow_scan() {
        let (scanner, victim) = (v4(1, 2, 3, 4), v4(5, 6, 7, 8));
        // One port every 10 s for 600 s: the first window (starting at 0)
        // takes the probes up to 300 s inclusive, the next one the rest.
        let mut run = Run::new(ScanSettings::default());
        for i in 0..60u16 {
            run.probe(scanner, victim, 1 + i, i64::from(i) * 10 * SEC);
        }
        let report = run.report();
        let spans: Vec<_> = report
            .findings
            .iter()
            .map(|f| (f.distinct, f.first_ns / SEC, f.last_ns / SEC))
            .collect();
        assert_eq!(spans, vec![(31, 0, 300), (29, 310, 590)]);
        let ScanEvidence::Ports { ranges, .. } = &report.findings[1].evidence else {
            panic!("vertical evidence");
        };
        assert_eq!(ranges, &vec![(32, 60)]);

        // One port every 25 s: never 15 in one window, never found.
        let mut run = Run::new(ScanSettings::default());
        for i in 0..100u16 {
            run.probe(scanner, victim, 1 + i, i64::from(i) * 25 * SEC);
        }
        assert!(run.report().is_empty());
        assert_eq!(run.d.tracked(ScanKind::Vertical), 1);
    }

    /// One frame with a timestamp ten years ahead, in the middle of a scan
    /// in a full table, neither splits the scan nor expires its window.
    #[test]
    fn one_wild_timestamp_expires_nothing() {
        let settings = ScanSettings {
            max_tracked: 40,
            ..ScanSettings::default()
        };
        let (scanner, victim) = (v4(1, 2, 3, 4), v4(5, 6, 7, 8));
        let mut run = Run::new(settings);
        for port in 1..=40 {
            let ts = 1_000 * SEC + i64::from(port) * SEC;
            run.probe(scanner, victim, port, ts);
            if port == 20 {
                for n in 0..3 {
                    run.probe(host(n), host(1000 + n), 80, ts + 10 * 365 * 86_400 * SEC);
                    run.probe(scanner, victim, port, ts);
                }
            }
        }
        let report = run.report();
        let vertical: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.kind == ScanKind::Vertical)
            .map(|f| (f.distinct, f.first_ns / SEC, f.last_ns / SEC))
            .collect();
        assert_eq!(vertical, vec![(40, 1001, 1040)]);
    }

    #[test]
    fn expired_windows_are_swept_as_time_passes() {
        let mut run = Run::new(ScanSettings::default());
        let scanner = v4(1, 2, 3, 4);
        for port in 1..=20 {
            run.probe(scanner, v4(5, 6, 7, 8), port, 0);
        }
        // Much later, other traffic: the scan's keys are closed and freed.
        for i in 0..10 {
            run.probe(v4(9, 9, 9, 9), host(i), 80, 1000 * SEC);
            run.answer(host(i), 80, v4(9, 9, 9, 9));
        }
        assert_eq!(run.d.tracked(ScanKind::Vertical), 10);
        assert_eq!(run.d.tracked(ScanKind::Horizontal), 1);
        assert_eq!(run.d.shared.finished.len(), 1);
        check_accounting(&run.d);
        assert_eq!(run.report().findings[0].distinct, 20);
    }

    #[test]
    fn ipv6_scans() {
        let scanner: IpAddr = "2001:db8::bad".parse().unwrap();
        let victim: IpAddr = "2001:db8:1::5".parse().unwrap();
        let mut run = Run::new(ScanSettings::default());
        for port in 1..=30 {
            run.probe(scanner, victim, port, 0);
        }
        run.answer(victim, 22, scanner);
        run.t = Transport::Udp;
        for n in 0..30u128 {
            let target = IpAddr::V6(Ipv6Addr::from(0x2001_0db8_0002_u128 << 80 | n));
            run.probe(scanner, target, 161, SEC);
        }
        let report = run.report();
        assert_eq!(report.findings.len(), 2, "{report:#?}");
        let v = &report.findings[0];
        assert_eq!((v.kind, v.transport), (ScanKind::Vertical, Transport::Tcp));
        assert_eq!((v.distinct, v.open, v.target_host), (30, 1, Some(victim)));
        let h = &report.findings[1];
        assert_eq!(
            (h.kind, h.transport),
            (ScanKind::Horizontal, Transport::Udp)
        );
        assert_eq!((h.distinct, h.target_port), (30, Some(161)));
        assert_eq!(
            h.evidence.to_string(),
            "first 2001:db8:2::, last 2001:db8:2::1d; none open"
        );
    }

    #[test]
    fn transports_are_counted_apart() {
        let (scanner, victim) = (v4(1, 2, 3, 4), v4(5, 6, 7, 8));
        let mut run = Run::new(ScanSettings::default());
        for port in 1..=10 {
            run.probe(scanner, victim, port, 0);
        }
        run.t = Transport::Udp;
        for port in 11..=20 {
            run.probe(scanner, victim, port, 0);
        }
        assert!(run.report().is_empty());
    }

    #[test]
    fn host_sets_are_capped_and_then_a_lower_bound() {
        let settings = ScanSettings {
            max_hosts_per_key: 30,
            ..ScanSettings::default()
        };
        let mut run = Run::new(settings);
        let scanner = v4(1, 2, 3, 4);
        for n in 0..100 {
            run.probe(scanner, host(n), 445, 0);
        }
        // A reply of a host not remembered counts no host as open; its
        // probe, answered, is not one of the scan.
        run.answer(host(99), 445, scanner);
        let f = &run.report().findings[0];
        assert_eq!((f.probes, f.distinct, f.distinct_exact), (99, 30, false));
        assert_eq!(f.open, 0);
        assert_eq!(
            f.evidence,
            ScanEvidence::Hosts {
                first: host(0),
                last: host(98),
                open: vec![],
                more_open: 0
            }
        );
        // The cap never goes below the threshold.
        let tiny = ScanSettings {
            max_hosts_per_key: 1,
            ..ScanSettings::default()
        };
        assert_eq!(ScanDetector::new(tiny).settings().max_hosts_per_key, 25);
    }

    #[test]
    fn the_byte_budget_bounds_the_sets() {
        let settings = ScanSettings {
            max_set_bytes: 64,
            vertical_ports: 5,
            ..ScanSettings::default()
        };
        let mut run = Run::new(settings);
        let (scanner, victim) = (v4(1, 2, 3, 4), v4(5, 6, 7, 8));
        for port in 1..=100 {
            run.probe(scanner, victim, port, 0);
        }
        // The second port allocates a list of 8 ports (32 bytes) and a
        // waiting list of 3 (48 bytes), which spend the budget; the
        // horizontal keys, one host each, hold theirs inline. Every probe
        // still counts.
        let f = &run.report().findings[0];
        assert_eq!((f.probes, f.distinct, f.distinct_exact), (100, 8, false));
        assert_eq!(run.d.set_bytes(), 32 + 48);
        check_accounting(&run.d);
        // A second key gets nothing: its first target and waiting probe
        // stay inline, older probes count as failed as newer ones come.
        let other = v4(5, 6, 7, 9);
        for port in 1..=100 {
            run.probe(scanner, other, port, SEC + i64::from(port));
        }
        assert_eq!(run.d.set_bytes(), 32 + 48);
        check_accounting(&run.d);
        let w = &run.d.vertical.windows[&VerticalKey {
            transport: Transport::Tcp,
            source: scanner,
            host: other,
        }];
        let failed = w.failed_probes();
        assert_eq!((w.distinct, w.exact, failed.count), (1, false, 100));
        assert_eq!(failed.first.map(|f| f.0), Some(SEC + 1));
        assert_eq!(failed.last.map(|f| f.0), Some(SEC + 100));
    }

    #[test]
    fn all_65536_ports_fit_in_the_port_map() {
        let (scanner, victim) = (v4(1, 2, 3, 4), v4(5, 6, 7, 8));
        let mut run = Run::new(ScanSettings::default());
        for port in 0..=u16::MAX {
            run.probe(scanner, victim, port, 0);
            if port % 1000 == 0 {
                run.answer(victim, port, scanner);
            } else {
                run.refuse(victim, port, scanner);
            }
        }
        let report = run.report();
        let f = report
            .findings
            .iter()
            .find(|f| f.kind == ScanKind::Vertical)
            .unwrap();
        assert_eq!((f.distinct, f.open, f.closed), (65_536, 66, 65_536 - 66));
        assert!(f.distinct_exact);
        assert_eq!(
            f.evidence.to_string(),
            "ports 0-65535; open 0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, \
             9000, 10000, 11000, 12000, 13000, 14000, 15000 (+50 more)"
        );
        // The one vertical key holds the 16 KiB map; the horizontal keys,
        // one host each, were swept out as the table filled.
        assert!(run.d.tracked(ScanKind::Horizontal) <= 16_384);
        assert!(report.evicted_keys[ScanKind::Horizontal.index()] > 0);
        assert_eq!(report.untracked_probes, [0, 0]);
        check_accounting(&run.d);
    }

    /// A SYN flood from 200,000 random sources, with a real scan hidden in
    /// it: the tables never pass `max_tracked`, the scan is still found.
    #[test]
    fn a_flood_of_random_sources_stays_bounded() {
        let settings = ScanSettings {
            max_tracked: 4096,
            ..ScanSettings::default()
        };
        let mut run = Run::new(settings);
        let (victim, scanner) = (v4(10, 9, 9, 9), v4(203, 0, 113, 9));
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut scanned = 0u16;
        for i in 0..200_000u32 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let source = IpAddr::V4(Ipv4Addr::from(state as u32));
            let ts = i64::from(i) * 1_000_000; // 200 s in all
            run.probe(source, victim, 80, ts);
            if i % 3 == 0 {
                run.answer(victim, 80, source); // the victim answers some
            }
            if i % 1000 == 0 {
                scanned += 1;
                run.probe(scanner, victim, 1000 + scanned, ts);
            }
            assert!(run.d.tracked(ScanKind::Vertical) <= 4096);
            assert!(run.d.tracked(ScanKind::Horizontal) <= 4096);
        }
        check_accounting(&run.d);
        assert!(run.d.set_bytes() < 4096 * 2 * 100, "{}", run.d.set_bytes());
        let report = run.report();
        let found: Vec<_> = report
            .findings
            .iter()
            .map(|f| (f.kind, f.source, f.target_host))
            .collect();
        assert_eq!(found, vec![(ScanKind::Vertical, scanner, Some(victim))]);
        assert!(report.findings[0].distinct >= u64::from(scanned) - 1);
        assert!(
            report.evicted_keys[0] > 150_000,
            "{:?}",
            report.evicted_keys
        );
        assert_eq!(report.probes, 200_000 + u64::from(scanned));
    }

    /// A table full of keys that cannot be evicted turns new keys away, and
    /// does not sweep on every probe.
    #[test]
    fn a_table_of_live_scans_turns_new_keys_away() {
        let settings = ScanSettings {
            max_tracked: 64,
            ..ScanSettings::default()
        };
        let mut run = Run::new(settings);
        for n in 0..64 {
            for port in 1..=3 {
                run.probe(host(n), v4(1, 1, 1, 1), port, 0);
            }
        }
        for n in 100..200 {
            run.probe(host(n), v4(1, 1, 1, 1), 1, SEC);
        }
        assert_eq!(run.d.tracked(ScanKind::Vertical), 64);
        let report = run.report();
        assert_eq!(report.untracked_probes[ScanKind::Vertical.index()], 100);
        assert_eq!(report.evicted_keys[ScanKind::Vertical.index()], 0);
        // After one unproductive sweep, the next 8 new keys are turned away
        // without one.
        assert_eq!(run.d.vertical.sweep_after, 8);
        // Once the windows expire, they are swept out as stream time passes
        // and new keys fit again.
        run.probe(host(500), v4(1, 1, 1, 1), 1, 400 * SEC);
        run.probe(host(501), v4(1, 1, 1, 1), 1, 400 * SEC);
        run.probe(host(502), v4(1, 1, 1, 1), 1, 400 * SEC);
        assert!((1..=2).contains(&run.d.tracked(ScanKind::Vertical)));
        assert!(run.d.vertical.windows.keys().any(|k| k.source == host(502)));
    }

    fn finding(seed: (u8, u8, u8, u16, u8)) -> ScanFinding {
        let (distinct, source, kind, first, extra) = seed;
        let kind = if kind % 2 == 0 {
            ScanKind::Vertical
        } else {
            ScanKind::Horizontal
        };
        ScanFinding {
            kind,
            transport: Transport::ALL[usize::from(extra % 2)],
            source: host(u32::from(source % 8)),
            target_host: (kind == ScanKind::Vertical).then(|| host(99)),
            target_port: (kind == ScanKind::Horizontal).then_some(22),
            first_ns: i64::from(first % 4),
            last_ns: 10,
            probes: u64::from(distinct) + u64::from(extra),
            distinct: u64::from(distinct % 16),
            distinct_exact: extra % 3 != 0,
            open: 0,
            closed: u64::from(distinct % 16),
            unanswered: 0,
            evidence: ScanEvidence::Ports {
                ranges: vec![(1, u16::from(extra))],
                more_ranges: 0,
                open: vec![],
                more_open: 0,
            },
        }
    }

    fn report_of(findings: Vec<ScanFinding>, dropped: u64, counts: (u64, u64)) -> ScanReport {
        let mut r = ScanReport::new(ScanSettings::default());
        r.findings = findings;
        r.dropped_findings = dropped;
        r.probes = counts.0;
        r.untracked_probes = [counts.1, 1];
        r.evicted_keys = [2, counts.0 / 2];
        r.normalize();
        r
    }

    fn merged(parts: &[&ScanReport]) -> ScanReport {
        let mut total = parts[0].clone();
        for p in &parts[1..] {
            total += *p;
        }
        total
    }

    fn seeds(max: usize) -> impl Strategy<Value = Vec<(u8, u8, u8, u16, u8)>> {
        proptest::collection::vec(any::<(u8, u8, u8, u16, u8)>(), 0..max)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Merging is commutative and associative, keeps the report order
        /// and the cap, and loses no finding from the count.
        #[test]
        fn merging_is_commutative_and_associative(
            a in seeds(700), b in seeds(700), c in seeds(40),
            dropped in (0u64..5, 0u64..5, 0u64..5),
            counts in any::<[(u32, u32); 3]>(),
        ) {
            let mk = |s: Vec<(u8, u8, u8, u16, u8)>, d, (p, u): (u32, u32)| {
                report_of(s.into_iter().map(finding).collect(), d, (u64::from(p), u64::from(u)))
            };
            let total_listed = a.len() + b.len() + c.len();
            let (a, b, c) = (mk(a, dropped.0, counts[0]), mk(b, dropped.1, counts[1]), mk(c, dropped.2, counts[2]));
            let ab_c = merged(&[&merged(&[&a, &b]), &c]);
            let a_bc = merged(&[&a, &merged(&[&b, &c])]);
            prop_assert_eq!(&ab_c, &a_bc);
            prop_assert_eq!(&ab_c, &merged(&[&c, &b, &a]));
            prop_assert_eq!(&ab_c, &merged(&[&b, &a, &c]));
            prop_assert!(ab_c.findings.len() <= MAX_FINDINGS);
            prop_assert_eq!(
                ab_c.findings.len() as u64 + ab_c.dropped_findings,
                total_listed as u64 + dropped.0 + dropped.1 + dropped.2
            );
            for pair in ab_c.findings.windows(2) {
                prop_assert!(report_order(&pair[0], &pair[1]) != Ordering::Greater);
                prop_assert!(pair[0].distinct >= pair[1].distinct);
            }
            let probes: u64 = counts.iter().map(|c| u64::from(c.0)).sum();
            prop_assert_eq!(ab_c.probes, probes);
            // An empty report with the same settings is the identity.
            prop_assert_eq!(&merged(&[&ab_c, &ScanReport::new(ScanSettings::default())]), &ab_c);
            prop_assert!(!ab_c.mixed_settings);
        }

        /// The windows' counters, states and failed probes agree with a
        /// plain model of the rules, through the port list and the port map.
        #[test]
        fn windows_agree_with_a_model(
            events in proptest::collection::vec((0u16..1200, 0u8..4), 0..2500),
        ) {
            let (scanner, victim) = (v4(1, 2, 3, 4), v4(5, 6, 7, 8));
            let settings = ScanSettings { vertical_ports: 1, ..ScanSettings::default() };
            let mut run = Run::new(settings);
            let mut model: BTreeMap<u16, Reply> = BTreeMap::new();
            // Probes waiting for a reply, oldest first, and the failed ones'
            // times.
            let mut waiting: std::collections::VecDeque<(u16, i64)> = Default::default();
            let mut failed_times: Vec<i64> = Vec::new();
            for (i, (port, what)) in events.into_iter().enumerate() {
                let ts = i as i64 * 1_000;
                match what {
                    0 | 1 => {
                        run.probe(scanner, victim, port, ts);
                        let state = model.entry(port).or_insert(Reply::None);
                        if *state != Reply::Answered {
                            waiting.push_back((port, ts));
                            if waiting.len() > PENDING_PROBES
                                && let Some((_, old)) = waiting.pop_front()
                            {
                                failed_times.push(old);
                            }
                        }
                    }
                    2 => {
                        run.answer(victim, port, scanner);
                        if let Some(r) = model.get_mut(&port) { *r = Reply::Answered; }
                        waiting.retain(|&(p, _)| p != port);
                    }
                    _ => {
                        run.refuse(victim, port, scanner);
                        if let Some(r) = model.get_mut(&port) && *r == Reply::None {
                            *r = Reply::Refused;
                        }
                        failed_times.extend(waiting.iter().filter(|w| w.0 == port).map(|w| w.1));
                        waiting.retain(|&(p, _)| p != port);
                    }
                }
            }
            failed_times.extend(waiting.iter().map(|w| w.1));
            let report = run.report();
            let found = report.findings.iter().find(|f| f.kind == ScanKind::Vertical);
            let count = |want| model.values().filter(|&&r| r == want).count() as u64;
            let failed = count(Reply::None) + count(Reply::Refused);
            prop_assert_eq!(found.is_some(), failed >= 1);
            if let Some(f) = found {
                prop_assert_eq!(f.probes, failed_times.len() as u64);
                prop_assert_eq!(Some(f.first_ns), failed_times.iter().copied().min());
                prop_assert_eq!(Some(f.last_ns), failed_times.iter().copied().max());
                prop_assert_eq!(f.distinct, model.len() as u64);
                prop_assert_eq!(f.open, count(Reply::Answered));
                prop_assert_eq!(f.closed, count(Reply::Refused));
                prop_assert_eq!(f.unanswered, count(Reply::None));
                let ScanEvidence::Ports { ranges, more_ranges, open, .. } = &f.evidence else {
                    panic!("vertical evidence");
                };
                let ports: Vec<u16> = model.keys().copied().collect();
                let mut all_ranges: Vec<(u16, u16)> = Vec::new();
                for &p in &ports {
                    match all_ranges.last_mut() {
                        Some((_, hi)) if *hi + 1 == p => *hi = p,
                        _ => all_ranges.push((p, p)),
                    }
                }
                prop_assert_eq!(ranges.as_slice(), &all_ranges[..all_ranges.len().min(EVIDENCE_RANGES)]);
                prop_assert_eq!(*more_ranges as usize, all_ranges.len().saturating_sub(EVIDENCE_RANGES));
                let model_open: Vec<u16> = model.iter().filter(|e| *e.1 == Reply::Answered).map(|e| *e.0).take(EVIDENCE_OPEN_PORTS).collect();
                prop_assert_eq!(open, &model_open);
            }
            check_accounting(&run.d);
        }
    }

    #[test]
    fn merged_detector_reports_pool_their_findings() {
        let mut one = Run::new(ScanSettings::default());
        let mut two = Run::new(ScanSettings::default());
        for port in 1..=20 {
            one.probe(v4(1, 1, 1, 1), v4(2, 2, 2, 2), port, 0);
        }
        for n in 0..30 {
            two.probe(v4(3, 3, 3, 3), host(n), 3389, 0);
        }
        let mut total = one.d.finish();
        total += two.d.finish();
        let sources: Vec<_> = total
            .findings
            .iter()
            .map(|f| (f.source, f.distinct))
            .collect();
        assert_eq!(sources, vec![(v4(3, 3, 3, 3), 30), (v4(1, 1, 1, 1), 20)]);
        assert_eq!(total.probes, 50);

        // Different settings: marked mixed, the most permissive kept.
        let other = ScanSettings {
            vertical_ports: 5,
            window_ns: 60_000_000_000,
            ..ScanSettings::default()
        };
        let mut mixed = total.clone();
        mixed += ScanReport::new(other);
        assert!(mixed.mixed_settings);
        assert_eq!(mixed.settings.vertical_ports, 5);
        assert_eq!(mixed.settings.window_ns, 300_000_000_000);
        assert_eq!(mixed.findings, total.findings);
    }

    #[test]
    fn kinds_round_trip_their_names() {
        for kind in ScanKind::ALL {
            assert_eq!(ScanKind::parse(kind.name()), Some(kind));
            assert_eq!(ScanKind::ALL[kind.index()], kind);
        }
        assert_eq!(ScanKind::parse("diagonal"), None);
    }
}
