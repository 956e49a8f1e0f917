//! Related channels: data connections a control conversation announces
//! (FTP's PORT/PASV replies, a TFTP request), waited for and, when they
//! start, counted under the control protocol's port.

use super::attempts::AttemptEnd;
use super::classifier::{FlowClassifier, Verdict};
use super::conversations::{Conversation, Progress, Side, address_bits, tunnel_byte};
use crate::classify::ftp::{Announcement, FTP_CONTROL};
use crate::decode::{Transport, Tunnel};
use std::net::IpAddr;

/// The port that names a related data channel of a transport: TFTP's
/// transfers (UDP) count under tftp, FTP's data connections (TCP) under
/// ftp.
pub(super) const TFTP: u16 = 69;

pub(super) fn related_port(transport: Transport) -> Option<u16> {
    match transport {
        Transport::Udp => Some(TFTP),
        Transport::Tcp => Some(FTP_CONTROL),
        Transport::Sctp => None,
    }
}
/// A data channel a control conversation announced, waited for.
#[derive(Clone, Copy, Debug)]
pub(super) struct Expectation {
    /// The request conversation the data channel answers (TFTP's request
    /// to port 69), by fingerprint.
    request: Option<u64>,
    /// Whether the server of the control conversation opens the data
    /// channel (TFTP, active FTP) rather than its client (passive FTP).
    server_connects: bool,
}

/// How long an announced data channel is waited for (ns of capture time;
/// TFTP clients give up after a few seconds of retries, FTP clients
/// connect at once).
pub(super) const EXPECTATION_TIMEOUT_NS: u64 = 30_000_000_000;
/// Most announced data channels waited for at once.
pub(super) const MAX_EXPECTATIONS: usize = 4096;

impl FlowClassifier<'_> {
    /// The fingerprint of an announced data channel: the server's address
    /// and the client endpoint it will reach.
    fn expectation_key(
        &self,
        connector: IpAddr,
        endpoint: (IpAddr, u16),
        transport: Transport,
        tunnel: Option<Tunnel>,
    ) -> u64 {
        // Transport bytes of their own: an expectation never collides
        // with a conversation's fingerprint.
        self.conversations
            .fingerprint(
                (address_bits(connector), 0),
                (address_bits(endpoint.0), endpoint.1),
                0xf0 | transport as u8,
                tunnel_byte(tunnel),
            )
            .0
    }

    /// A TFTP request (to port 69): its transfer will come from another
    /// port of the server to the client's request port.
    #[cold]
    pub(super) fn expect_data_channel(
        &mut self,
        request: u64,
        (server, client): (IpAddr, (IpAddr, u16)),
        tunnel: Option<Tunnel>,
        now: i64,
    ) {
        let key = self.expectation_key(server, client, Transport::Udp, tunnel);
        self.expect(
            key,
            Expectation {
                request: Some(request),
                server_connects: true,
            },
            now,
        );
    }

    /// Waits for an announced data channel (replacing an earlier wait for
    /// the same one).
    fn expect(&mut self, key: u64, expectation: Expectation, now: i64) {
        *self
            .expectations
            .entry(key, now, || expectation, &mut |_, _| {}) = expectation;
        self.next_expiry_ns = self.next_expiry_ns.min(self.expectations.next_expiry_ns);
    }

    /// A data connection announced on an FTP control connection (see
    /// [`crate::classify::ftp`]): its TCP conversation will count under ftp.
    pub fn announce(&mut self, tunnel: Option<Tunnel>, announced: &Announcement, now: i64) {
        if !self.track_conversations {
            return;
        }
        let key = self.expectation_key(
            announced.connector,
            announced.endpoint,
            Transport::Tcp,
            tunnel,
        );
        self.expect(
            key,
            Expectation {
                request: None,
                server_connects: announced.server_connects,
            },
            now,
        );
    }

    /// The opening SYN of an announced FTP data connection (from the
    /// announced connector to the announced endpoint): the conversation
    /// is related to its control connection, whose server is its server.
    #[cold]
    pub(super) fn tcp_data_channel(
        &mut self,
        key: u64,
        sender: Side,
        (src, dst, dst_port): (IpAddr, IpAddr, u16),
        tunnel: Option<Tunnel>,
    ) -> Option<Verdict> {
        let expected = self.expectation_key(src, (dst, dst_port), Transport::Tcp, tunnel);
        let expectation = self.expectations.remove(&expected)?;
        let server = if expectation.server_connects {
            sender
        } else {
            sender.other()
        };
        Some(self.relate(key, server, sender))
    }

    /// Records conversation `key` as a related data channel whose server
    /// and opening side are those given.
    fn relate(&mut self, key: u64, server: Side, initiator: Side) -> Verdict {
        self.conversations.put(
            key,
            Conversation {
                server: Some(server),
                initiator: Some(initiator),
                progress: Progress::Settled,
                related: true,
            },
        );
        Verdict::Related(server)
    }

    /// The first datagram of a conversation that an announced data channel
    /// expected (from the server to the client's request port): the
    /// channel is related to its request, which it answers.
    #[cold]
    pub(super) fn data_channel(
        &mut self,
        key: u64,
        sender: Side,
        (src, dst, dst_port): (IpAddr, IpAddr, u16),
        tunnel: Option<Tunnel>,
    ) -> Option<Verdict> {
        let expected = self.expectation_key(src, (dst, dst_port), Transport::Udp, tunnel);
        let request = self.expectations.get(&expected)?.request?;
        let verdict = self.relate(key, sender, sender);
        // The request was answered, from another port.
        if let Some(mut control) = self.conversations.peek(request)
            && control.progress == Progress::Opened
        {
            control.progress = Progress::Settled;
            control.server = control.initiator.map(Side::other);
            self.conversations.put(request, control);
        }
        self.settle_attempt(request, AttemptEnd::Answered);
        Some(verdict)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;

    #[test]
    fn an_announced_ftp_data_connection_counts_under_ftp() {
        let mut c = classifier();
        let data_server = (SERVER, 50_000);
        let data_client = (CLIENT, 41_000);
        // Passive: the client will connect to the server's port 50000.
        c.announce(
            None,
            &Announcement {
                endpoint: data_server,
                connector: CLIENT,
                server_connects: false,
            },
            0,
        );
        let ftp = (Naming::Port(21), Identified::Related);
        for (from, to, flags, to_server) in [
            (data_client, data_server, SYN_ONLY, true),
            (data_server, data_client, SYN_ACK, false),
            (data_server, data_client, PSH_ACK, false),
            (data_client, data_server, PSH_ACK, true),
        ] {
            let got = c.classify(&tcp(from, to, flags), 1500, 1);
            assert!(!got.held);
            assert_eq!(port(&got), (ftp.0, ftp.1, to_server), "{flags:#x}");
            assert_eq!(got.event, ConversationEvent::None);
        }
        // The announcement is used once: another connection to that port
        // is an ordinary attempt.
        let other = (CLIENT, 41_001);
        assert!(c.classify(&tcp(other, data_server, SYN_ONLY), 60, 2).held);
        // Active: the server connects from port 20 to the client's port.
        c.announce(
            None,
            &Announcement {
                endpoint: (CLIENT, 42_000),
                connector: SERVER,
                server_connects: true,
            },
            3,
        );
        let got = c.classify(&tcp((SERVER, 20), (CLIENT, 42_000), SYN_ONLY), 60, 4);
        assert_eq!(port(&got), (ftp.0, ftp.1, false));
        let got = c.classify(&tcp((CLIENT, 42_000), (SERVER, 20), SYN_ACK), 60, 4);
        assert_eq!(port(&got), (ftp.0, ftp.1, true));
    }
}
