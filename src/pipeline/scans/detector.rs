//! The scan detector: takes each frame's conversation event, feeds probes
//! and replies to the vertical and horizontal key tables, sweeps expired
//! windows as stream time passes, and builds the report.

use super::keys::{HorizontalKey, KeyTable, Shared, VerticalKey};
use super::report::{ScanFinding, ScanKind, ScanReport, ScanSettings};
use super::targets::Reply;
use crate::decode::PacketInfo;
use crate::pipeline::ConversationEvent;
use std::net::IpAddr;

/// Whether a conversation towards `addr` can be a probe.
fn is_probe_target(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(a) => !(a.is_multicast() || a.is_broadcast() || a.is_unspecified()),
        IpAddr::V6(a) => !(a.is_multicast() || a.is_unspecified()),
    }
}

/// Finds vertical and horizontal port scans in one stream of frames (see the
/// [module documentation](super) for the rules and the memory bounds).
#[derive(Clone, Debug)]
pub struct ScanDetector {
    pub(super) shared: Shared,
    pub(super) vertical: KeyTable<VerticalKey>,
    pub(super) horizontal: KeyTable<HorizontalKey>,
    /// Stream time of the last sweep for expired windows.
    pub(super) last_sweep_ns: i64,
    /// Events since that sweep.
    pub(super) events_since_sweep: usize,
    /// The time of the last event.
    pub(super) previous_ns: i64,
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
    use super::super::testkit::*;
    use super::*;

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
}
