//! What the scan tests share: addresses, frames, and a driver that feeds a
//! detector the way the pipeline does.

pub(super) use super::{ScanDetector, ScanEvidence, ScanKind, ScanReport, ScanSettings};
pub(super) use crate::decode::{PacketInfo, Transport};
pub(super) use crate::pipeline::ConversationEvent;
pub(super) use proptest::prelude::*;
pub(super) use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub(super) const SEC: i64 = 1_000_000_000;
pub(super) const SCANNER_PORT: u16 = 40_000;

pub(super) fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
}

pub(super) fn host(n: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n))
}

pub(super) fn frame(t: Transport, src: IpAddr, sport: u16, dst: IpAddr, dport: u16) -> PacketInfo {
    let mut info = PacketInfo::ports(t, sport, dport);
    info.addresses = Some((src, dst));
    info
}

/// Drives a detector the way the pipeline does.
pub(super) struct Run {
    pub(super) d: ScanDetector,
    pub(super) t: Transport,
    /// Time of the last probe; replies come at the same time.
    pub(super) ts: i64,
}

impl Run {
    pub(super) fn new(settings: ScanSettings) -> Run {
        Run {
            d: ScanDetector::new(settings),
            t: Transport::Tcp,
            ts: 0,
        }
    }

    pub(super) fn probe(&mut self, from: IpAddr, to: IpAddr, port: u16, ts: i64) {
        let f = frame(self.t, from, SCANNER_PORT, to, port);
        self.d.observe(&f, ConversationEvent::Opened, ts);
        self.ts = ts;
    }

    pub(super) fn reply(
        &mut self,
        event: ConversationEvent,
        target: IpAddr,
        port: u16,
        to: IpAddr,
    ) {
        let f = frame(self.t, target, port, to, SCANNER_PORT);
        self.d.observe(&f, event, self.ts);
    }

    pub(super) fn answer(&mut self, target: IpAddr, port: u16, to: IpAddr) {
        self.reply(ConversationEvent::Answered, target, port, to);
    }

    pub(super) fn refuse(&mut self, target: IpAddr, port: u16, to: IpAddr) {
        self.reply(ConversationEvent::Refused, target, port, to);
    }

    pub(super) fn report(&self) -> ScanReport {
        let report = self.d.report();
        assert_eq!(report, self.d.clone().finish(), "report equals finish");
        report
    }
}

/// The sum of the sets' heap bytes equals what the budget accounts.
pub(super) fn check_accounting(d: &ScanDetector) {
    let v: usize = d.vertical.windows.values().map(|w| w.heap_bytes()).sum();
    let h: usize = d.horizontal.windows.values().map(|w| w.heap_bytes()).sum();
    assert_eq!(d.set_bytes(), v + h);
}
