//! The flow classifier: the naming rule, refined frame by frame by the
//! conversation table (handshakes, answers, refusals), with the attempt,
//! fragment and related-channel tables alongside (see the module
//! documentation of [`super`]).

use super::attempts::{Attempt, AttemptEnd, one_way_udp};
use super::conversations::{
    Conversation, Conversations, Progress, Side, address_bits, tunnel_byte,
};
use super::expiring::Expiring;
use super::fragments::{Datagram, DatagramKey};
use super::related::{EXPECTATION_TIMEOUT_NS, Expectation, MAX_EXPECTATIONS, TFTP, related_port};
use super::types::{Classified, ConversationEvent, FlowSettings, Identified, Resolved, ServiceHit};
use crate::classify::{Naming, NamingRule};
use crate::decode::{Category, PacketInfo, Transport, Tunnel};
use std::net::IpAddr;

/// The lowest port of common client (ephemeral) port ranges: Linux uses
/// 32768-60999, Windows and the BSDs 49152-65535.
const EPHEMERAL_START: u16 = 32768;

pub(super) const SYN: u8 = 0x02;
pub(super) const RST: u8 = 0x04;
pub(super) const ACK: u8 = 0x10;

/// What a frame's conversation says about the row it counts in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// This side is the server: its port names the frame.
    Server(Side),
    /// Nothing known: the static rule names the frame.
    Static,
    /// The conversation is a failed attempt.
    Failed,
    /// The conversation waits for an answer: hold the frame.
    Hold,
    /// A related data channel (its server side): named by the control
    /// protocol's port.
    Related(Side),
}

/// The stateful classifier of one stream of frames (one capture file, or one
/// live capture): the naming rule plus the conversation, attempt and
/// fragment tables.
#[derive(Debug)]
pub struct FlowClassifier<'r> {
    rule: &'r NamingRule,
    handshake: bool,
    pub(super) track_conversations: bool,
    /// Hold the frames of unanswered conversations (with the handshake
    /// rule only: without it, the static rule names everything).
    hold_attempts: bool,
    pub(super) conversations: Conversations,
    pub(super) attempts: Expiring<u64, Attempt>,
    /// Data channels announced and not started yet, by the fingerprint of
    /// (server address, client endpoint).
    pub(super) expectations: Expiring<u64, Expectation>,
    pub(super) datagrams: Expiring<DatagramKey, Datagram>,
    /// Capture time at which the next held entry (attempt or datagram)
    /// may time out: one comparison per frame.
    pub(super) next_expiry_ns: i64,
    pub(super) resolved: Vec<Resolved>,
}

impl<'r> FlowClassifier<'r> {
    /// A classifier with empty tables.
    pub fn new(rule: &'r NamingRule, settings: FlowSettings) -> FlowClassifier<'r> {
        FlowClassifier {
            rule,
            handshake: settings.handshake,
            track_conversations: settings.conversations,
            hold_attempts: settings.handshake && settings.conversations,
            conversations: Conversations::new(settings.max_conversations),
            attempts: Expiring::new(settings.max_attempts, settings.attempt_window_ns),
            expectations: Expiring::new(MAX_EXPECTATIONS, EXPECTATION_TIMEOUT_NS),
            datagrams: Expiring::new(settings.max_fragments, settings.fragment_timeout_ns),
            next_expiry_ns: i64::MAX,
            resolved: Vec::new(),
        }
    }

    /// The static rule's answer for a frame with ports.
    #[inline]
    pub fn static_hit(
        rule: &NamingRule,
        tunnel: Option<Tunnel>,
        transport: Transport,
        src: u16,
        dst: u16,
    ) -> ServiceHit {
        let (naming, known) = rule.name_frame_known(transport, src, dst);
        let identified = if known {
            Identified::PortDatabase
        } else {
            Identified::Heuristic
        };
        let to_server = match naming {
            Naming::Port(p) => dst == p,
            Naming::Dynamic | Naming::Failed => dst <= src,
        };
        ServiceHit {
            tunnel,
            transport,
            naming,
            identified,
            to_server,
        }
    }

    /// Classifies one frame of `wire_len` bytes at capture time `ts_nanos`.
    /// Afterwards, [`FlowClassifier::drain_resolved`] yields what became of
    /// earlier held frames (fragments, unanswered conversations), if
    /// anything did.
    #[inline(always)]
    pub fn classify(&mut self, info: &PacketInfo, wire_len: u32, ts_nanos: i64) -> Classified {
        if ts_nanos >= self.next_expiry_ns {
            self.expire(ts_nanos);
        }
        let mut classified = Classified::UNNAMED;
        if let Some((transport, src, dst)) = info.transport_ports() {
            let hit = self.conversation(
                info,
                transport,
                (src, dst),
                wire_len,
                ts_nanos,
                &mut classified,
            );
            classified.service = hit;
            if let Some(fragment) = info.fragment
                && fragment.first
                && fragment.more
            {
                // A held first fragment: the rest of its datagram follows
                // the static rule (the attempt's fate is not known yet).
                let hit = hit.unwrap_or_else(|| {
                    Self::static_hit(self.rule, info.tunnel, transport, src, dst)
                });
                self.first_fragment(info, Some(hit), ts_nanos);
            }
        } else if info.category == Category::Fragment {
            self.non_first_fragment(info, wire_len, ts_nanos, &mut classified);
        } else {
            if let Some(fragment) = info.fragment
                && fragment.first
                && fragment.more
            {
                // A first fragment without ports (ICMP, or cut short): the
                // rest of its datagram has no service to go to.
                self.first_fragment(info, None, ts_nanos);
            }
            if let Some(quoted) = info.unreachable {
                self.unreachable(info.tunnel, quoted);
            }
        }
        classified
    }

    /// Gives up held fragments and attempts whose time ran out.
    #[cold]
    fn expire(&mut self, now: i64) {
        let resolved = &mut self.resolved;
        self.datagrams.expire(now, &mut Datagram::left(resolved));
        let conversations = &mut self.conversations;
        self.attempts.expire(now, &mut |key, attempt| {
            conversations.fail(key);
            resolved.push(attempt.resolved(AttemptEnd::Failed));
        });
        self.expectations.expire(now, &mut |_, _| {});
        self.next_expiry_ns = self
            .datagrams
            .next_expiry_ns
            .min(self.attempts.next_expiry_ns)
            .min(self.expectations.next_expiry_ns);
    }

    /// Names a frame with ports, updating its conversation; `None` when the
    /// frame is held ([`Classified::held`]).
    #[inline(always)]
    fn conversation(
        &mut self,
        info: &PacketInfo,
        transport: Transport,
        (src, dst): (u16, u16),
        wire_len: u32,
        now: i64,
        classified: &mut Classified,
    ) -> Option<ServiceHit> {
        let static_hit = Self::static_hit(self.rule, info.tunnel, transport, src, dst);
        if !self.track_conversations || transport == Transport::Sctp {
            return Some(static_hit);
        }
        let Some((src_addr, dst_addr)) = info.addresses else {
            return Some(static_hit);
        };
        let (fingerprint, sender) = self.conversations.fingerprint(
            (address_bits(src_addr), src),
            (address_bits(dst_addr), dst),
            transport as u8,
            tunnel_byte(info.tunnel),
        );
        let event = &mut classified.event;
        let verdict = match transport {
            Transport::Tcp => self.tcp(
                fingerprint,
                sender,
                info.tcp_flags,
                ((src_addr, dst_addr, dst), info.tunnel),
                event,
            ),
            _ => self.udp(
                fingerprint,
                sender,
                static_hit.to_server,
                ((src_addr, src), (dst_addr, dst)),
                (info.tunnel, now),
                event,
            ),
        };
        match verdict {
            Verdict::Server(side) if self.handshake => {
                let port = if side == sender { src } else { dst };
                Some(ServiceHit {
                    tunnel: info.tunnel,
                    transport,
                    naming: Naming::Port(port),
                    identified: Identified::Handshake,
                    to_server: sender != side,
                })
            }
            Verdict::Related(side) => Some(ServiceHit {
                naming: Naming::Port(related_port(transport).unwrap_or(dst)),
                identified: Identified::Related,
                to_server: sender != side,
                ..static_hit
            }),
            Verdict::Failed if self.hold_attempts => Some(ServiceHit {
                naming: Naming::Failed,
                identified: Identified::Handshake,
                to_server: *event != ConversationEvent::Refused
                    && self.conversations.initiator(fingerprint) != Some(sender.other()),
                ..static_hit
            }),
            // A fragmented datagram is not held: its other fragments
            // follow its first one's row at once.
            Verdict::Hold if self.hold_attempts && info.fragment.is_none() => {
                self.hold(
                    fingerprint,
                    info,
                    ((src_addr, src), (dst_addr, dst)),
                    static_hit,
                    wire_len,
                    now,
                );
                classified.held = true;
                None
            }
            _ => Some(static_hit),
        }
    }

    /// Updates a TCP conversation; says what it makes of the frame.
    #[inline]
    fn tcp(
        &mut self,
        key: u64,
        sender: Side,
        flags: Option<u8>,
        (addresses, tunnel): ((IpAddr, IpAddr, u16), Option<Tunnel>),
        event: &mut ConversationEvent,
    ) -> Verdict {
        let flags = flags.unwrap_or(ACK);
        let syn = flags & SYN != 0;
        let ack = flags & ACK != 0;
        let rst = flags & RST != 0;
        let existing = self.conversations.get(key);
        if let Some(c) = existing
            && c.related
        {
            // An FTP data connection: not an attempt, not a scan's probe.
            return c.server.map_or(Verdict::Static, Verdict::Related);
        }
        if syn
            && !ack
            && !rst
            && self.expectations.len() != 0
            && let Some(verdict) = self.tcp_data_channel(key, sender, addresses, tunnel)
        {
            return verdict;
        }
        if syn && !ack && !rst {
            return self.tcp_syn(key, sender, existing, event);
        }
        if syn && ack && !rst {
            return self.tcp_syn_ack(key, sender, existing, event);
        }
        match existing {
            Some(conversation) => self.tcp_under_way(key, sender, conversation, (ack, rst), event),
            None => self.tcp_unseen(key, sender, (ack, rst), event),
        }
    }

    // The parts of `tcp`, one per kind of segment: always inlined into it,
    // so that the per-frame path stays one function.

    /// A SYN: a (re)opening, whose receiver is the server once it answers.
    #[inline(always)]
    fn tcp_syn(
        &mut self,
        key: u64,
        sender: Side,
        existing: Option<Conversation>,
        event: &mut ConversationEvent,
    ) -> Verdict {
        let retransmission =
            existing.is_some_and(|c| c.initiator == Some(sender) && c.progress == Progress::Opened);
        if !retransmission {
            *event = ConversationEvent::Opened;
        }
        self.conversations.put(
            key,
            Conversation {
                server: Some(sender.other()),
                initiator: Some(sender),
                progress: Progress::Opened,
                related: false,
            },
        );
        Verdict::Hold
    }

    /// A SYN+ACK: its sender is the server, whether or not the SYN was
    /// captured.
    #[inline(always)]
    fn tcp_syn_ack(
        &mut self,
        key: u64,
        sender: Side,
        existing: Option<Conversation>,
        event: &mut ConversationEvent,
    ) -> Verdict {
        if existing
            .is_some_and(|c| c.initiator == Some(sender.other()) && c.progress == Progress::Opened)
        {
            *event = ConversationEvent::Answered;
        }
        self.conversations.put(
            key,
            Conversation {
                server: Some(sender),
                initiator: Some(sender.other()),
                progress: Progress::Settled,
                related: false,
            },
        );
        self.settle_attempt(key, AttemptEnd::Answered);
        Verdict::Server(sender)
    }

    /// Any other segment (no SYN, or SYN with RST) of a conversation not in
    /// the table.
    #[inline(always)]
    fn tcp_unseen(
        &mut self,
        key: u64,
        sender: Side,
        (ack, rst): (bool, bool),
        event: &mut ConversationEvent,
    ) -> Verdict {
        if ack || rst {
            return Verdict::Static;
        }
        // FIN, NULL or Xmas probe: no live TCP segment lacks ACK after the
        // handshake.
        *event = ConversationEvent::Opened;
        self.conversations.put(
            key,
            Conversation {
                server: None,
                initiator: Some(sender),
                progress: Progress::Opened,
                related: false,
            },
        );
        Verdict::Hold
    }

    /// Any other segment (no SYN, or SYN with RST) of a conversation in the
    /// table.
    #[inline(always)]
    fn tcp_under_way(
        &mut self,
        key: u64,
        sender: Side,
        mut conversation: Conversation,
        (ack, rst): (bool, bool),
        event: &mut ConversationEvent,
    ) -> Verdict {
        match conversation.progress {
            Progress::Opened if rst && conversation.initiator == Some(sender.other()) => {
                *event = ConversationEvent::Refused;
                conversation.progress = Progress::Failed;
                self.conversations.put(key, conversation);
                self.settle_attempt(key, AttemptEnd::Failed);
                Verdict::Failed
            }
            Progress::Opened
                if ack
                    && !rst
                    && conversation.initiator == Some(sender)
                    && conversation.server.is_some() =>
            {
                // The initiator acknowledges: the SYN+ACK went by unseen
                // (one direction of an asymmetric route).
                conversation.progress = Progress::Settled;
                self.conversations.put(key, conversation);
                self.settle_attempt(key, AttemptEnd::Answered);
                Verdict::Server(sender.other())
            }
            Progress::Opened => Verdict::Hold,
            Progress::Failed => Verdict::Failed,
            Progress::Settled => conversation.server.map_or(Verdict::Static, Verdict::Server),
        }
    }

    /// Updates a UDP conversation: the first datagram towards a service
    /// opens it, any datagram back answers it (its sender is the server).
    #[inline]
    fn udp(
        &mut self,
        key: u64,
        sender: Side,
        to_service: bool,
        ((src, src_port), (dst, dst_port)): ((IpAddr, u16), (IpAddr, u16)),
        (tunnel, now): (Option<Tunnel>, i64),
        event: &mut ConversationEvent,
    ) -> Verdict {
        match self.conversations.get(key) {
            Some(conversation) if conversation.related => conversation
                .server
                .map_or(Verdict::Static, Verdict::Related),
            Some(mut conversation) => match conversation.progress {
                Progress::Opened if conversation.initiator == Some(sender.other()) => {
                    *event = ConversationEvent::Answered;
                    conversation.progress = Progress::Settled;
                    conversation.server = Some(sender);
                    self.conversations.put(key, conversation);
                    self.settle_attempt(key, AttemptEnd::Answered);
                    Verdict::Server(sender)
                }
                Progress::Opened if self.attempts.contains(&key) => Verdict::Hold,
                Progress::Opened | Progress::Settled => {
                    conversation.server.map_or(Verdict::Static, Verdict::Server)
                }
                Progress::Failed => Verdict::Failed,
            },
            None => {
                if self.expectations.len() != 0
                    && let Some(verdict) =
                        self.data_channel(key, sender, (src, dst, dst_port), tunnel)
                {
                    return verdict;
                }
                if dst_port == TFTP && self.hold_attempts {
                    self.expect_data_channel(key, (dst, (src, src_port)), tunnel, now);
                }
                // A datagram towards the port that names the conversation
                // opens it. One from that port to an ephemeral-looking port
                // (32768 and up: Linux, BSD and Windows client ranges) is a
                // reply whose request was not captured; to a lower port it is
                // a probe from a fixed source port (`nmap -sU -g 53`).
                let opens = to_service || dst_port < EPHEMERAL_START;
                let progress = if opens {
                    *event = ConversationEvent::Opened;
                    Progress::Opened
                } else {
                    Progress::Settled
                };
                self.conversations.put(
                    key,
                    Conversation {
                        server: None,
                        initiator: Some(sender),
                        progress,
                        related: false,
                    },
                );
                if opens && !one_way_udp(dst, dst_port) {
                    Verdict::Hold
                } else {
                    Verdict::Static
                }
            }
        }
    }

    /// An ICMP "destination unreachable" quoting a datagram of a
    /// conversation still waiting for its answer: refused.
    #[cold]
    fn unreachable(&mut self, tunnel: Option<Tunnel>, quoted: crate::decode::Quoted) {
        if !self.hold_attempts {
            return;
        }
        let (fingerprint, sender) = self.conversations.fingerprint(
            (address_bits(quoted.src.0), quoted.src.1),
            (address_bits(quoted.dst.0), quoted.dst.1),
            quoted.transport as u8,
            tunnel_byte(tunnel),
        );
        if let Some(mut conversation) = self.conversations.get(fingerprint)
            && conversation.progress == Progress::Opened
            && conversation.initiator == Some(sender)
        {
            conversation.progress = Progress::Failed;
            self.conversations.put(fingerprint, conversation);
            self.settle_attempt(fingerprint, AttemptEnd::Failed);
        }
    }

    /// Whether held frames were resolved since the last drain.
    #[inline]
    pub fn has_resolved(&self) -> bool {
        !self.resolved.is_empty()
    }

    /// What became of held frames (fragments, unanswered conversations)
    /// since the last call.
    pub fn drain_resolved(&mut self) -> std::vec::Drain<'_, Resolved> {
        self.resolved.drain(..)
    }

    /// Gives up what waited longer than its window by capture time `now`
    /// (a live capture calls this when no frame came for a while).
    pub fn advance(&mut self, now: i64) {
        if now >= self.next_expiry_ns {
            self.expire(now);
        }
    }

    /// Ends the stream: every fragment still held is unattributed, and
    /// every conversation still unanswered a failed attempt (drain them with
    /// [`FlowClassifier::drain_resolved`]).
    pub fn finish(&mut self) {
        self.datagrams
            .drain(&mut Datagram::left(&mut self.resolved));
        let resolved = &mut self.resolved;
        let conversations = &mut self.conversations;
        self.attempts.drain(&mut |key, attempt| {
            conversations.fail(key);
            resolved.push(attempt.resolved(AttemptEnd::Failed));
        });
        self.next_expiry_ns = i64::MAX;
    }

    /// Conversations remembered now.
    pub fn tracked_conversations(&self) -> usize {
        self.conversations.len()
    }

    /// Fragmented datagrams remembered now.
    pub fn tracked_datagrams(&self) -> usize {
        self.datagrams.len()
    }

    /// Unanswered conversations whose frames are held now.
    pub fn held_attempts(&self) -> usize {
        self.attempts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;

    #[test]
    fn a_handshake_names_the_server_port_over_the_static_rule() {
        // 2049 (nfs) is the client's ephemeral port here; 40000 is unknown.
        assert!(RULE.in_db(Transport::Tcp, 2049));
        let client = (CLIENT, 2049);
        let server = (SERVER, 40000);
        let mut flow = classifier();
        let frames = [
            tcp(client, server, SYN_ONLY),
            tcp(server, client, SYN_ACK),
            tcp(client, server, ACK),
            tcp(client, server, PSH_ACK),
            tcp(server, client, PSH_ACK),
        ];
        // The SYN is held until the SYN+ACK answers it, then released under
        // the server's port.
        let syn = flow.classify(&frames[0], 60, 0);
        assert!(syn.held && syn.service.is_none());
        let to_server = [false, true, true, false];
        for (info, to_server) in frames[1..].iter().zip(to_server) {
            assert_eq!(
                port(&flow.classify(info, 60, 0)),
                (Naming::Port(40000), Identified::Handshake, to_server)
            );
        }
        let released: Vec<Resolved> = flow.drain_resolved().collect();
        match released.as_slice() {
            [
                Resolved::Attempt {
                    hit,
                    packets: 1,
                    bytes: 60,
                    client: c,
                    server: s,
                    ..
                },
            ] => {
                assert_eq!(hit.naming, Naming::Port(40000));
                assert_eq!((*c, *s), (client, server));
            }
            other => panic!("expected the SYN released, got {other:?}"),
        }
        // Without the handshake state the static rule says nfs.
        let alone = Classified::by_static_rule(&RULE, &frames[3]);
        assert_eq!(
            port(&alone),
            (Naming::Port(2049), Identified::PortDatabase, false)
        );
    }

    #[test]
    fn an_acknowledging_initiator_means_the_answer_went_by_unseen() {
        let mut flow = classifier();
        let client = (CLIENT, 51000);
        let server = (SERVER, 40123);
        flow.classify(&tcp(client, server, SYN_ONLY), 60, 0);
        let ack = flow.classify(&tcp(client, server, ACK), 60, 1);
        assert_eq!(
            port(&ack),
            (Naming::Port(40123), Identified::Handshake, true)
        );
        assert_eq!(released(&mut flow), vec![(Naming::Port(40123), 1, 60)]);
    }

    #[test]
    fn sip_as_a_client_port_is_not_sip() {
        assert!(RULE.in_db(Transport::Tcp, 5060));
        let client = (CLIENT, 5060);
        let server = (SERVER, 8443);
        let mut flow = classifier();
        flow.classify(&tcp(client, server, SYN_ONLY), 60, 0);
        let c = flow.classify(&tcp(client, server, PSH_ACK), 60, 1);
        assert_eq!(port(&c).0, Naming::Port(8443));
        assert_eq!(port(&c).1, Identified::Handshake);
    }

    #[test]
    fn a_syn_ack_alone_names_its_sender_the_server() {
        let client = (CLIENT, 33834);
        let server = (SERVER, 40123);
        let mut flow = classifier();
        flow.classify(&tcp(server, client, SYN_ACK), 60, 0);
        let c = flow.classify(&tcp(client, server, ACK), 60, 1);
        assert_eq!(port(&c), (Naming::Port(40123), Identified::Handshake, true));
    }

    #[test]
    fn without_a_handshake_the_static_rule_says_how_it_chose() {
        let mut flow = classifier();
        let c = flow.classify(&tcp((CLIENT, 51234), (SERVER, 443), PSH_ACK), 60, 0);
        assert_eq!(
            port(&c),
            (Naming::Port(443), Identified::PortDatabase, true)
        );
        let unknown = (1024..49152)
            .find(|&p| !RULE.in_db(Transport::Tcp, p))
            .expect("an unknown port");
        let c = flow.classify(&tcp((SERVER, unknown), (CLIENT, 60000), PSH_ACK), 60, 0);
        assert_eq!(
            port(&c),
            (Naming::Port(unknown), Identified::Heuristic, false)
        );
        let c = flow.classify(&udp((CLIENT, 50001), (SERVER, 60000)), 60, 0);
        assert_eq!(port(&c).0, Naming::Dynamic);
        assert_eq!(port(&c).1, Identified::Heuristic);
    }

    #[test]
    fn handshakes_can_be_ignored() {
        let settings = FlowSettings {
            handshake: false,
            ..FlowSettings::default()
        };
        let mut flow = FlowClassifier::new(&RULE, settings);
        let client = (CLIENT, 2049);
        let server = (SERVER, 40000);
        let c = flow.classify(&tcp(client, server, SYN_ONLY), 60, 0);
        assert_eq!(c.event, ConversationEvent::Opened);
        assert_eq!(
            port(&flow.classify(&tcp(client, server, PSH_ACK), 60, 0)),
            (Naming::Port(2049), Identified::PortDatabase, false)
        );
    }

    #[test]
    fn conversation_events() {
        let mut flow = classifier();
        let scanner = (CLIENT, 45000);
        let open = (SERVER, 22);
        let closed = (SERVER, 23);
        let event = |flow: &mut FlowClassifier, info| flow.classify(&info, 60, 0).event;
        assert_eq!(
            event(&mut flow, tcp(scanner, open, SYN_ONLY)),
            ConversationEvent::Opened
        );
        // A retransmitted SYN opens nothing new.
        assert_eq!(
            event(&mut flow, tcp(scanner, open, SYN_ONLY)),
            ConversationEvent::None
        );
        assert_eq!(
            event(&mut flow, tcp(open, scanner, SYN_ACK)),
            ConversationEvent::Answered
        );
        assert_eq!(
            event(&mut flow, tcp(scanner, open, RST)),
            ConversationEvent::None
        );
        assert_eq!(
            event(&mut flow, tcp(scanner, closed, SYN_ONLY)),
            ConversationEvent::Opened
        );
        assert_eq!(
            event(&mut flow, tcp(closed, scanner, RST_ACK)),
            ConversationEvent::Refused
        );
        // FIN, NULL and Xmas probes open conversations too.
        for (port, flags) in [(24, 0x01), (25, 0x00), (26, 0x29)] {
            assert_eq!(
                event(&mut flow, tcp(scanner, (SERVER, port), flags)),
                ConversationEvent::Opened
            );
        }
        // Mid-stream segments (ACK set) of unseen conversations open nothing.
        assert_eq!(
            event(&mut flow, tcp((CLIENT, 50000), (SERVER, 443), PSH_ACK)),
            ConversationEvent::None
        );
        // UDP: a request opens, the reply answers; a reply whose request was
        // not captured opens nothing.
        let resolver = (SERVER, 53);
        assert_eq!(
            event(&mut flow, udp((CLIENT, 40001), resolver)),
            ConversationEvent::Opened
        );
        assert_eq!(
            event(&mut flow, udp(resolver, (CLIENT, 40001))),
            ConversationEvent::Answered
        );
        assert_eq!(
            event(&mut flow, udp(resolver, (CLIENT, 40002))),
            ConversationEvent::None
        );
        // A UDP scan from source port 53 (`nmap -sU -g 53`): the static rule
        // names 53, yet datagrams to low ports are probes.
        assert_eq!(
            event(&mut flow, udp((CLIENT, 53), (SERVER, 1000))),
            ConversationEvent::Opened
        );
        assert_eq!(
            event(&mut flow, udp((CLIENT, 53), (SERVER, 161))),
            ConversationEvent::Opened
        );
    }

    #[test]
    fn without_the_handshake_rule_nothing_is_held() {
        let settings = FlowSettings {
            handshake: false,
            ..FlowSettings::default()
        };
        let mut flow = FlowClassifier::new(&RULE, settings);
        let c = flow.classify(&tcp((CLIENT, 45000), (SERVER, 23), SYN_ONLY), 58, 0);
        assert!(!c.held);
        assert_eq!(port(&c).0, Naming::Port(23));
        let rst = flow.classify(&tcp((SERVER, 23), (CLIENT, 45000), RST_ACK), 54, 1);
        assert_eq!(port(&rst).0, Naming::Port(23));
    }
}
