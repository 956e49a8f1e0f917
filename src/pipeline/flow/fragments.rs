//! Fragment attribution: the table of fragmented datagrams, and how the
//! classifier attributes non-first fragments to their first fragment's
//! service (or holds them until it comes).

use super::classifier::FlowClassifier;
use super::conversations::{address_bits, tunnel_byte};
use super::types::{Classified, FragmentOutcome, Resolved, ServiceHit};
use crate::decode::PacketInfo;

/// A fragmented datagram: addresses, protocol, id (and tunnel).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct DatagramKey {
    src: u128,
    dst: u128,
    id: u32,
    protocol: u8,
    tunnel: u8,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Datagram {
    /// Whether the first fragment was seen, and its service if it had one.
    first: Option<Option<ServiceHit>>,
    pending_packets: u64,
    pending_bytes: u64,
}

impl Datagram {
    pub(super) const NEW: Datagram = Datagram {
        first: None,
        pending_packets: 0,
        pending_bytes: 0,
    };

    /// What becomes of a datagram that leaves the table: its held fragments
    /// (if any) were never attributed.
    pub(super) fn left(resolved: &mut Vec<Resolved>) -> impl FnMut(DatagramKey, Datagram) + '_ {
        |_, datagram: Datagram| {
            if datagram.pending_packets != 0 {
                resolved.push(Resolved::Unattributed {
                    packets: datagram.pending_packets,
                    bytes: datagram.pending_bytes,
                });
            }
        }
    }
}

impl FlowClassifier<'_> {
    fn datagram_key(info: &PacketInfo) -> Option<DatagramKey> {
        let fragment = info.fragment?;
        let (src, dst) = info.addresses?;
        Some(DatagramKey {
            src: address_bits(src),
            dst: address_bits(dst),
            id: fragment.id,
            protocol: fragment.protocol,
            tunnel: tunnel_byte(info.tunnel),
        })
    }

    /// Remembers a first fragment's service; releases fragments held for it.
    #[cold]
    pub(super) fn first_fragment(&mut self, info: &PacketInfo, hit: Option<ServiceHit>, now: i64) {
        let Some(key) = Self::datagram_key(info) else {
            return;
        };
        let datagram = self.datagrams.entry(
            key,
            now,
            || Datagram::NEW,
            &mut Datagram::left(&mut self.resolved),
        );
        datagram.first = Some(hit);
        if datagram.pending_packets != 0 {
            let (packets, bytes) = (datagram.pending_packets, datagram.pending_bytes);
            datagram.pending_packets = 0;
            datagram.pending_bytes = 0;
            self.resolved.push(match hit {
                Some(hit) => Resolved::Attributed {
                    hit,
                    packets,
                    bytes,
                },
                None => Resolved::Unattributed { packets, bytes },
            });
        }
        self.next_expiry_ns = self.next_expiry_ns.min(self.datagrams.next_expiry_ns);
    }

    #[cold]
    pub(super) fn non_first_fragment(
        &mut self,
        info: &PacketInfo,
        wire_len: u32,
        now: i64,
        classified: &mut Classified,
    ) {
        let Some(key) = Self::datagram_key(info) else {
            classified.fragment = FragmentOutcome::Unattributed;
            return;
        };
        let datagram = self.datagrams.entry(
            key,
            now,
            || Datagram::NEW,
            &mut Datagram::left(&mut self.resolved),
        );
        match datagram.first {
            Some(Some(hit)) => {
                classified.fragment = FragmentOutcome::Attributed;
                classified.service = Some(hit);
            }
            Some(None) => classified.fragment = FragmentOutcome::Unattributed,
            None => {
                datagram.pending_packets += 1;
                datagram.pending_bytes += u64::from(wire_len);
                classified.fragment = FragmentOutcome::Pending;
            }
        }
        self.next_expiry_ns = self.next_expiry_ns.min(self.datagrams.next_expiry_ns);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;

    #[test]
    fn fragments_follow_their_first_fragment() {
        let mut flow = classifier();
        let answer = udp((SERVER, 53), (CLIENT, 40000));
        let first = flow.classify(&fragment(answer, 7, 17, true, true), 1514, 0);
        let dns = port(&first);
        assert_eq!(dns.0, Naming::Port(53));
        assert_eq!(first.fragment, FragmentOutcome::NotFragment);
        for more in [true, false] {
            let c = flow.classify(&later_fragment(SERVER, CLIENT, 7, 17, more), 1514, 1);
            assert_eq!(c.fragment, FragmentOutcome::Attributed);
            assert_eq!(port(&c), dns);
            assert_eq!(c.event, ConversationEvent::None);
        }
        // Another datagram id, or another protocol, is another datagram.
        let c = flow.classify(&later_fragment(SERVER, CLIENT, 8, 17, false), 600, 2);
        assert_eq!(c.fragment, FragmentOutcome::Pending);
        assert!(c.service.is_none());
        flow.finish();
        let resolved: Vec<Resolved> = flow.drain_resolved().collect();
        assert_eq!(
            resolved,
            vec![Resolved::Unattributed {
                packets: 1,
                bytes: 600
            }]
        );
    }

    #[test]
    fn fragments_before_their_first_are_attributed_when_it_comes() {
        let mut flow = classifier();
        let a = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
        let b = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2));
        for _ in 0..2 {
            let c = flow.classify(&later_fragment(a, b, 99, 17, true), 1000, 0);
            assert_eq!(c.fragment, FragmentOutcome::Pending);
        }
        assert!(!flow.has_resolved());
        let first = fragment(udp((a, 40000), (b, 2049)), 99, 17, true, true);
        let c = flow.classify(&first, 1500, 1);
        let hit = c.service.expect("named");
        assert_eq!(hit.naming, Naming::Port(2049));
        let resolved: Vec<Resolved> = flow.drain_resolved().collect();
        assert_eq!(
            resolved,
            vec![Resolved::Attributed {
                hit,
                packets: 2,
                bytes: 2000
            }]
        );
    }

    #[test]
    fn held_fragments_time_out() {
        let settings = FlowSettings {
            fragment_timeout_ns: 1_000,
            ..FlowSettings::default()
        };
        let mut flow = FlowClassifier::new(&RULE, settings);
        flow.classify(&later_fragment(SERVER, CLIENT, 1, 17, true), 800, 0);
        flow.classify(&tcp((CLIENT, 1), (SERVER, 2), ACK), 60, 999);
        assert!(!flow.has_resolved());
        flow.classify(&tcp((CLIENT, 1), (SERVER, 2), ACK), 60, 1_000);
        let resolved: Vec<Resolved> = flow.drain_resolved().collect();
        assert_eq!(
            resolved,
            vec![Resolved::Unattributed {
                packets: 1,
                bytes: 800
            }]
        );
        assert_eq!(flow.tracked_datagrams(), 0);
    }

    #[test]
    fn fragments_of_a_datagram_without_ports_are_unattributed() {
        let mut flow = classifier();
        let mut ping = PacketInfo::plain(Category::Icmp);
        ping.addresses = Some((CLIENT, SERVER));
        flow.classify(&fragment(ping, 5, 1, true, true), 1514, 0);
        let c = flow.classify(&later_fragment(CLIENT, SERVER, 5, 1, false), 500, 0);
        assert_eq!(c.fragment, FragmentOutcome::Unattributed);
        // Without addresses nothing can be matched.
        let mut bare = later_fragment(CLIENT, SERVER, 6, 17, false);
        bare.addresses = None;
        assert_eq!(
            flow.classify(&bare, 500, 0).fragment,
            FragmentOutcome::Unattributed
        );
    }
}
