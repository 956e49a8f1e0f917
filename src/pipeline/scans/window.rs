//! One key's current window: its targets, its probes waiting for a reply
//! (the oldest inline, the rest in a small boxed log) and those counted as
//! failed, and the finding it makes.

use super::keys::ScanKey;
use super::report::{ScanEvidence, ScanFinding};
use super::targets::{Recorded, Reply, Targets};

/// Probes a window remembers while they wait for a reply; a probe pushed
/// out by this many newer ones still waiting counts as failed. Sixteen
/// covers a browser's parallel connections to one host and the probes
/// nmap has in flight on a LAN; on a slow path an open port answered later
/// than that counts among the failed probes (its time is inside the scan
/// anyway).
pub const PENDING_PROBES: usize = 16;

/// The first or last failed probe of a window: its time and target.
type Extreme<T> = Option<(i64, T)>;

/// The probes of a window counted as failed so far (refused, or pushed out
/// of its waiting list without a reply).
#[derive(Clone, Debug)]
pub(super) struct FailedProbes<T> {
    pub(super) count: u64,
    pub(super) first: Extreme<T>,
    pub(super) last: Extreme<T>,
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
pub(super) struct Probes<T> {
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
    pub(super) fn heap_bytes(&self) -> usize {
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
pub(super) struct Window<S: Targets> {
    pub(super) start_ns: i64,
    pub(super) distinct: u64,
    pub(super) open: u64,
    pub(super) closed: u64,
    pub(super) exact: bool,
    pub(super) first_reply: Reply,
    pub(super) first_target: S::Target,
    /// Every target once there are two or more (the first included), else
    /// empty.
    pub(super) targets: S,
    /// Its probes waiting for a reply and failed.
    pub(super) probes: Probes<S::Target>,
}

impl<S: Targets> Window<S> {
    /// A window opened by a probe of `target` at `ts`.
    pub(super) fn new(target: S::Target, ts: i64) -> Window<S> {
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
    pub(super) fn expired(&self, now: i64, window_ns: u64) -> bool {
        i128::from(now) - i128::from(self.start_ns) > i128::from(window_ns)
    }

    pub(super) fn failed(&self) -> u64 {
        self.distinct - self.open
    }

    /// Heap bytes held: the target set and the waiting probes.
    pub(super) fn heap_bytes(&self) -> usize {
        self.targets.heap_bytes() + self.probes.heap_bytes()
    }

    /// Records a probe; returns the change in heap bytes.
    pub(super) fn probe(
        &mut self,
        target: S::Target,
        ts: i64,
        may_grow: bool,
        max_len: usize,
    ) -> isize {
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
    pub(super) fn reply(&mut self, target: S::Target, reply: Reply) -> isize {
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
    pub(super) fn failed_probes(&self) -> FailedProbes<S::Target> {
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

    pub(super) fn finding<K: ScanKey<Targets = S>>(&self, key: &K) -> ScanFinding {
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

#[cfg(test)]
mod tests {
    use super::super::keys::VerticalKey;
    use super::super::targets::{EVIDENCE_OPEN_PORTS, EVIDENCE_RANGES};
    use super::super::testkit::*;
    use super::*;
    use std::collections::BTreeMap;

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

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

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
}
