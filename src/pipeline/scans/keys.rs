//! The key tables: what a key is (scanner and host, or scanner and port),
//! the windows of one kind of key, and what the two tables share (settings,
//! stream time, the byte budget and the findings of closed windows).

use super::report::{MAX_FINDINGS, ScanFinding, ScanKind, ScanSettings, keep_first};
use super::targets::{HostStates, PortStates, Reply, Targets};
use super::window::Window;
use crate::decode::Transport;
use foldhash::HashMap;
use std::fmt;
use std::hash::Hash;
use std::net::IpAddr;

/// What a key is: a kind, its targets' set, and the finding's identity.
pub(super) trait ScanKey: Copy + Eq + Hash + fmt::Debug {
    const KIND: ScanKind;
    type Targets: Targets;
    fn transport(&self) -> Transport;
    fn source(&self) -> IpAddr;
    fn target_host(&self) -> Option<IpAddr>;
    fn target_port(&self) -> Option<u16>;
}

/// Scanner and target host: counts ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct VerticalKey {
    pub(super) transport: Transport,
    pub(super) source: IpAddr,
    pub(super) host: IpAddr,
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
pub(super) struct HorizontalKey {
    pub(super) transport: Transport,
    pub(super) source: IpAddr,
    pub(super) port: u16,
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

/// What the two key tables share: settings, stream time, the byte budget of
/// the sets and the findings of closed windows.
#[derive(Clone, Debug)]
pub(super) struct Shared {
    pub(super) settings: ScanSettings,
    /// Stream time for expiry: the earlier of the times of the frame being
    /// observed and the one before. Not the latest time seen, nor the
    /// frame's own: one frame with a wild timestamp must not expire every
    /// window.
    pub(super) now: i64,
    /// Heap bytes of all sets.
    pub(super) set_bytes: usize,
    /// Findings of closed windows; cut back to [`MAX_FINDINGS`] whenever it
    /// doubles that.
    pub(super) finished: Vec<ScanFinding>,
    pub(super) dropped_findings: u64,
    pub(super) probes: u64,
}

impl Shared {
    pub(super) fn may_grow(&self) -> bool {
        self.set_bytes < self.settings.max_set_bytes
    }

    pub(super) fn account(&mut self, delta: isize) {
        self.set_bytes = self.set_bytes.saturating_add_signed(delta);
    }

    /// Closes a window: frees its bytes, keeps its finding if it qualified.
    pub(super) fn close<K: ScanKey>(&mut self, key: &K, window: &Window<K::Targets>) {
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
pub(super) struct KeyTable<K: ScanKey> {
    pub(super) windows: HashMap<K, Window<K::Targets>>,
    pub(super) untracked: u64,
    pub(super) evicted: u64,
    /// New keys turned away since the last sweep for room.
    pub(super) refused_since_sweep: usize,
    /// New keys to turn away before the next sweep for room (0 after a
    /// sweep that freed enough).
    pub(super) sweep_after: usize,
}

impl<K: ScanKey> KeyTable<K> {
    pub(super) fn new() -> KeyTable<K> {
        KeyTable {
            windows: HashMap::default(),
            untracked: 0,
            evicted: 0,
            refused_since_sweep: 0,
            sweep_after: 0,
        }
    }

    pub(super) fn probe(
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

    pub(super) fn reply(
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
    pub(super) fn sweep(&mut self, shared: &mut Shared, evict: bool) {
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
    pub(super) fn qualifying(&self, settings: &ScanSettings, out: &mut Vec<ScanFinding>) {
        let threshold = settings.threshold(K::KIND);
        out.extend(
            self.windows
                .iter()
                .filter(|(_, w)| w.failed() >= threshold)
                .map(|(key, w)| w.finding(key)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;

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
}
