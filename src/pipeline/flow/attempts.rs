//! Attempts: the frames of conversations opened and not answered yet, held
//! until the answer (or its absence) says which row they count in, and the
//! UDP streams that are one-way by nature and so never held as attempts.

use super::classifier::FlowClassifier;
use super::types::{Identified, Resolved, ServiceHit};
use crate::classify::Naming;
use crate::decode::{PacketInfo, Transport, Tunnel};
use std::net::IpAddr;

/// Datagrams a UDP conversation's initiator may send unanswered before it
/// is a one-way stream (RTP, a log shipper) rather than an attempt: scanners
/// send one or two probes per port.
const STREAM_DATAGRAMS: u64 = 8;

/// UDP services that never answer (logs, flow export, traps, metrics): an
/// unanswered datagram to them is not a failed attempt.
const ONE_WAY_UDP: [u16; 11] = [
    162,   // snmptrap
    514,   // syslog
    2055,  // netflow
    4739,  // ipfix
    6343,  // sflow
    8125,  // statsd
    9995,  // netflow (common collector port)
    9996,  // netflow (common collector port)
    12201, // gelf (Graylog)
    25826, // collectd
    6514,  // syslog over DTLS
];

/// Whether unanswered datagrams from `dst` are ordinary: one-way services,
/// and multicast or broadcast groups (whose members answer from their own
/// addresses).
pub(super) fn one_way_udp(dst: IpAddr, dst_port: u16) -> bool {
    let group = match dst {
        IpAddr::V4(v4) => v4.is_multicast() || v4.is_broadcast() || v4.octets()[3] == 255,
        IpAddr::V6(v6) => v6.is_multicast(),
    };
    group || ONE_WAY_UDP.contains(&dst_port)
}

/// A conversation whose opening was seen and not yet answered: its frames
/// so far, held until the answer (or its absence) says which row they
/// belong to.
#[derive(Clone, Copy, Debug)]
pub(super) struct Attempt {
    tunnel: Option<Tunnel>,
    transport: Transport,
    /// The side that opened it (address, port).
    initiator: (IpAddr, u16),
    /// The side it was opened towards.
    target: (IpAddr, u16),
    /// The static rule's row for the initiator's frames (a UDP stream that
    /// is never answered keeps it).
    fallback: ServiceHit,
    /// Capture time of its first frame.
    first_ns: i64,
    packets: u64,
    bytes: u64,
}

/// How an attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum AttemptEnd {
    /// The target answered: it is the server.
    Answered,
    /// Refused, or not answered in time: the `failed` row.
    Failed,
    /// A one-way stream (UDP) or nothing to decide: the static rule's row.
    Static,
}

impl Attempt {
    /// The late fate of the attempt's held frames.
    pub(super) fn resolved(&self, end: AttemptEnd) -> Resolved {
        let hit = match end {
            AttemptEnd::Answered => ServiceHit {
                tunnel: self.tunnel,
                transport: self.transport,
                naming: Naming::Port(self.target.1),
                identified: Identified::Handshake,
                to_server: true,
            },
            AttemptEnd::Failed => ServiceHit {
                tunnel: self.tunnel,
                transport: self.transport,
                naming: Naming::Failed,
                identified: Identified::Handshake,
                to_server: true,
            },
            AttemptEnd::Static => self.fallback,
        };
        Resolved::Attempt {
            hit,
            packets: self.packets,
            bytes: self.bytes,
            first_ns: self.first_ns,
            client: self.initiator,
            server: self.target,
        }
    }
}

impl FlowClassifier<'_> {
    /// Ends an attempt (if its frames are held) the way `end` says.
    pub(super) fn settle_attempt(&mut self, key: u64, end: AttemptEnd) {
        if let Some(attempt) = self.attempts.remove(&key) {
            self.resolved.push(attempt.resolved(end));
        }
    }

    /// Holds a frame of an unanswered conversation. A UDP initiator that
    /// goes on sending unanswered is a one-way stream: its frames go back
    /// to the static rule.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn hold(
        &mut self,
        key: u64,
        info: &PacketInfo,
        (src, dst): ((IpAddr, u16), (IpAddr, u16)),
        fallback: ServiceHit,
        wire_len: u32,
        now: i64,
    ) {
        let resolved = &mut self.resolved;
        let conversations = &mut self.conversations;
        let attempt = self.attempts.entry(
            key,
            now,
            || Attempt {
                tunnel: info.tunnel,
                transport: fallback.transport,
                initiator: src,
                target: dst,
                fallback,
                first_ns: now,
                packets: 0,
                bytes: 0,
            },
            &mut |key, attempt| {
                conversations.fail(key);
                resolved.push(attempt.resolved(AttemptEnd::Failed));
            },
        );
        attempt.packets += 1;
        attempt.bytes += u64::from(wire_len);
        let stream = attempt.transport != Transport::Tcp && attempt.packets >= STREAM_DATAGRAMS;
        if stream {
            self.settle_attempt(key, AttemptEnd::Static);
            self.conversations.settle(key);
        }
        self.next_expiry_ns = self.next_expiry_ns.min(self.attempts.next_expiry_ns);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;

    #[test]
    fn a_refused_syn_is_a_failed_attempt_not_a_service() {
        let mut flow = classifier();
        let scanner = (CLIENT, 45000);
        let closed = (SERVER, 23);
        assert!(flow.classify(&tcp(scanner, closed, SYN_ONLY), 58, 0).held);
        let rst = flow.classify(&tcp(closed, scanner, RST_ACK), 54, 1);
        assert_eq!(port(&rst), (Naming::Failed, Identified::Handshake, false));
        assert_eq!(released(&mut flow), vec![(Naming::Failed, 1, 58)]);
    }

    #[test]
    fn an_unanswered_syn_fails_when_its_window_ends_or_the_stream_does() {
        let mut flow = classifier();
        let window = DEFAULT_ATTEMPT_WINDOW_NS as i64;
        let filtered = (SERVER, 8080);
        // Two SYNs (one retransmitted) to a silent port.
        flow.classify(&tcp((CLIENT, 45000), filtered, SYN_ONLY), 58, 0);
        flow.classify(&tcp((CLIENT, 45000), filtered, SYN_ONLY), 58, 1_000_000_000);
        assert_eq!(flow.held_attempts(), 1);
        assert!(released(&mut flow).is_empty());
        // Any later frame past the window lets it go.
        flow.classify(
            &tcp((CLIENT, 45001), (SERVER, 8081), SYN_ONLY),
            58,
            window + 1,
        );
        assert_eq!(released(&mut flow), vec![(Naming::Failed, 2, 116)]);
        // A further SYN of the failed conversation counts as failed at once
        // (a new attempt opens: it is held again).
        assert!(
            flow.classify(&tcp((CLIENT, 45000), filtered, SYN_ONLY), 58, window + 2)
                .held
        );
        flow.finish();
        assert_eq!(
            released(&mut flow),
            vec![(Naming::Failed, 1, 58), (Naming::Failed, 1, 58)]
        );
        assert_eq!(flow.held_attempts(), 0);
    }

    #[test]
    fn udp_answered_names_the_target_and_unanswered_fails() {
        let mut flow = classifier();
        // A client whose port (5353, mdns) the database knows, asking an
        // unknown server port: the answer shows who the server is.
        let client = (CLIENT, 5353);
        let server = (SERVER, 20123);
        assert!(!RULE.in_db(Transport::Udp, 20123));
        assert!(flow.classify(&udp(client, server), 80, 0).held);
        let reply = flow.classify(&udp(server, client), 90, 1);
        assert_eq!(
            port(&reply),
            (Naming::Port(20123), Identified::Handshake, false)
        );
        assert_eq!(released(&mut flow), vec![(Naming::Port(20123), 1, 80)]);
        // A probe to a silent port fails; one refused by ICMP fails at once.
        assert!(
            flow.classify(&udp((CLIENT, 40000), (SERVER, 161)), 70, 2)
                .held
        );
        assert!(
            !flow
                .classify(&udp((CLIENT, 40000), (SERVER, 162)), 70, 3)
                .held
        );
        let mut icmp = PacketInfo::plain(Category::Icmp);
        icmp.addresses = Some((SERVER, CLIENT));
        icmp.unreachable = Some(crate::decode::Quoted {
            transport: Transport::Udp,
            src: (CLIENT, 40000),
            dst: (SERVER, 161),
        });
        flow.classify(&icmp, 98, 4);
        assert_eq!(released(&mut flow), vec![(Naming::Failed, 1, 70)]);
        flow.finish();
        // 162 (snmptrap) is one-way: its datagram was never held.
        assert!(released(&mut flow).is_empty());
    }

    #[test]
    fn a_one_way_udp_stream_keeps_the_static_rule() {
        let mut flow = classifier();
        let sender = (CLIENT, 40000);
        let receiver = (SERVER, 5004);
        for i in 0..STREAM_DATAGRAMS {
            assert!(flow.classify(&udp(sender, receiver), 200, i as i64).held);
        }
        let stream = released(&mut flow);
        let expected = Classified::by_static_rule(&RULE, &udp(sender, receiver));
        assert_eq!(
            stream,
            vec![(port(&expected).0, STREAM_DATAGRAMS, 200 * STREAM_DATAGRAMS)]
        );
        let next = flow.classify(&udp(sender, receiver), 200, 100);
        assert_eq!(port(&next), port(&expected));
    }

    #[test]
    fn held_attempts_are_bounded_and_given_up_as_failed() {
        let settings = FlowSettings {
            max_attempts: 100,
            ..FlowSettings::default()
        };
        let mut flow = FlowClassifier::new(&RULE, settings);
        for port in 1..=1000u16 {
            flow.classify(&tcp((CLIENT, 45000), (SERVER, port), SYN_ONLY), 58, 0);
            assert!(flow.held_attempts() <= 100);
        }
        flow.finish();
        let failed: u64 = released(&mut flow).iter().map(|r| r.1).sum();
        assert_eq!(failed, 1000);
    }

    #[test]
    fn a_flood_answered_at_once_keeps_the_attempt_queue_bounded() {
        // 100,000 SYNs each refused at once (a scan of closed ports), all
        // within one window: the queue of held attempts stays at its
        // bound instead of growing with the flood.
        let mut c = FlowClassifier::new(
            &RULE,
            FlowSettings {
                max_attempts: 64,
                ..FlowSettings::default()
            },
        );
        for i in 0..100_000u32 {
            let port = 1 + (i % 60_000) as u16;
            let client = (CLIENT, 40_000 + (i / 60_000) as u16);
            c.classify(&tcp(client, (SERVER, port), SYN_ONLY), 60, i64::from(i));
            c.classify(&tcp((SERVER, port), client, RST_ACK), 60, i64::from(i));
            assert!(
                c.attempts.queue.len() <= 2 * 64,
                "{}",
                c.attempts.queue.len()
            );
            c.drain_resolved().for_each(drop);
        }
    }
}
