//! What scan detection reports: its settings, the findings (kind, scanner,
//! target, times, counts and evidence) and the report that holds them,
//! merged with `+=` in a total order.

use crate::decode::Transport;
use serde::{Deserialize, Serialize};
use std::cmp::{Ordering, Reverse};
use std::fmt;
use std::net::IpAddr;
use std::ops::AddAssign;

/// The most findings a report lists; the rest are counted in
/// [`ScanReport::dropped_findings`].
pub const MAX_FINDINGS: usize = 1000;

/// The thresholds and bounds of scan detection; JSON holds them under
/// these names (`scans.settings`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    /// field); [`ScanDetector::new`](super::ScanDetector::new) applies this.
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

/// The two shapes of scan. JSON names them as [`ScanKind::name`] does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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
pub(super) fn keep_first(findings: &mut Vec<ScanFinding>) -> u64 {
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

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;

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
