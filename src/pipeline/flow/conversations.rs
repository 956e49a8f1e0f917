//! The bounded conversation table: one packed `u64` per conversation in a
//! set-associative table, keyed by a seeded fingerprint of its endpoints,
//! with what is known of it (server side, initiator, progress).

use crate::decode::Tunnel;
use std::hash::BuildHasher;
use std::net::IpAddr;

/// An address as 128 bits (IPv4 mapped into IPv6).
#[inline]
pub(in crate::pipeline) fn address_bits(address: IpAddr) -> u128 {
    match address {
        IpAddr::V4(v4) => 0xffff_0000_0000 | u128::from(v4.to_bits()),
        IpAddr::V6(v6) => v6.to_bits(),
    }
}

pub(super) fn tunnel_byte(tunnel: Option<Tunnel>) -> u8 {
    tunnel.map_or(0, |t| t.index() as u8 + 1)
}

/// Which endpoint of a conversation: the one with the lower or the higher
/// endpoint fingerprint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Side {
    Low,
    High,
}

impl Side {
    pub(super) fn other(self) -> Side {
        match self {
            Side::Low => Side::High,
            Side::High => Side::Low,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Progress {
    /// Opened by the initiator; no answer yet.
    Opened,
    /// The target answered (or, for frames whose opening was not seen,
    /// nothing is known): later frames open nothing.
    Settled,
    /// Refused, or never answered within the attempt window: a failed
    /// attempt, counted in the transport's `failed` row.
    Failed,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Conversation {
    /// The server side, when a handshake showed it.
    pub(super) server: Option<Side>,
    /// The side whose frame opened it, when seen.
    pub(super) initiator: Option<Side>,
    pub(super) progress: Progress,
    /// A data channel of a control conversation (see [`related_port`](super::related::related_port)):
    /// named by the control protocol's port, not its own.
    pub(super) related: bool,
}

/// Folded multiply: the high and low halves of a 128-bit product, XORed.
#[inline(always)]
pub(in crate::pipeline) fn fold(x: u64, y: u64) -> u64 {
    let product = u128::from(x) * u128::from(y);
    (product as u64) ^ ((product >> 64) as u64)
}

/// Conversation slots per set: one 64-byte cache line of `u64` entries.
const WAYS: usize = 8;

/// The bounded conversation table: set-associative, 8 ways per set, each
/// entry one `u64` holding the high 56 bits of the conversation's
/// fingerprint (foldhash of its key, with fixed seeds) and its
/// 8 bits of state. A lookup reads one cache line; 65,536 conversations take
/// 512 KiB, which stays in cache. Two conversations share a tag with
/// probability about 2^-56 per lookup in their set; the worst that does is
/// name one frame by the other's server port.
///
/// Eviction is CLOCK-like within a set: a new conversation takes an empty
/// way, else one whose reference bit is clear; new entries start with the
/// bit clear, and each later use sets it, so a flood of one-packet
/// conversations pushes out only its own kind while conversations in use
/// survive. When all ways of a set were used since, their bits are cleared
/// and one way, picked by the fingerprint, goes.
///
/// The seeds are fixed, so a capture gives the same figures on every run
/// (random seeds made which conversations a full table pushed out, and so
/// the `handshake` and `port_database` counts of a busy capture, differ from
/// run to run). Crafted traffic that knows them can aim at one set, but can
/// only push out that set's conversations, as any flood can; a look-up
/// stays one cache line of 8 ways.
#[derive(Debug)]
pub(super) struct Conversations {
    sets: Box<[[u64; WAYS]]>,
    /// The fingerprint's seeds (odd, fixed).
    seeds: [u64; 4],
}

/// Low byte of an entry: its state (server side 2 bits, initiator side 2,
/// progress 2, related 1, referenced 1); the rest: its tag.
const STATE_BITS: u32 = 8;
const STATE_MASK: u64 = (1 << STATE_BITS) - 1;
/// Marks a used entry, so no tag is 0 (an empty way).
const TAG_PRESENT: u64 = 1 << STATE_BITS;
const REFERENCED: u64 = 1 << 7;

impl Conversation {
    fn pack(self) -> u64 {
        let side = |s: Option<Side>| match s {
            None => 0u64,
            Some(Side::Low) => 1,
            Some(Side::High) => 2,
        };
        let progress = match self.progress {
            Progress::Opened => 0,
            Progress::Settled => 1,
            Progress::Failed => 2,
        };
        side(self.server) | side(self.initiator) << 2 | progress << 4 | u64::from(self.related) << 6
    }

    fn unpack(state: u64) -> Conversation {
        let side = |bits: u64| match bits & 3 {
            1 => Some(Side::Low),
            2 => Some(Side::High),
            _ => None,
        };
        Conversation {
            server: side(state),
            initiator: side(state >> 2),
            progress: match state >> 4 & 3 {
                0 => Progress::Opened,
                1 => Progress::Settled,
                _ => Progress::Failed,
            },
            related: state >> 6 & 1 == 1,
        }
    }
}

impl Conversations {
    pub(super) fn new(capacity: usize) -> Conversations {
        // At most `capacity` conversations (rounded down to whole sets).
        let sets = (capacity / WAYS).max(1);
        let fixed = foldhash::fast::FixedState::with_seed(0x706f_7274_636c_6173);
        Conversations {
            sets: crate::written_table(sets, [0u64; WAYS]),
            seeds: [0u64, 1, 2, 3].map(|i| fixed.hash_one(i) | 1),
        }
    }

    /// The fingerprint of one endpoint (address, port), seeded.
    #[inline(always)]
    fn endpoint(&self, address: u128, port: u16) -> u64 {
        let s = &self.seeds;
        fold(
            address as u64 ^ s[0],
            (address >> 64) as u64 ^ s[1] ^ u64::from(port),
        )
    }

    /// The fingerprint of a conversation, and which side its first endpoint
    /// is on: the two endpoints' fingerprints in canonical order (the lower
    /// is the `Low` side), with the transport and tunnel, folded with seeded
    /// multiplications (foldhash's mixing, without the generic `Hash`
    /// plumbing: this runs for every frame).
    #[inline(always)]
    pub(super) fn fingerprint(
        &self,
        (a, a_port): (u128, u16),
        (b, b_port): (u128, u16),
        transport: u8,
        tunnel: u8,
    ) -> (u64, Side) {
        let ha = self.endpoint(a, a_port);
        let hb = self.endpoint(b, b_port);
        let (side, low, high) = if ha <= hb {
            (Side::Low, ha, hb)
        } else {
            (Side::High, hb, ha)
        };
        let s = &self.seeds;
        let rest = u64::from(transport) | u64::from(tunnel) << 8;
        (fold(low ^ s[2] ^ rest, high ^ s[3]), side)
    }

    /// The set of a fingerprint, and the tag stored for it.
    #[inline]
    fn place(&self, fingerprint: u64) -> (usize, u64) {
        // The low 32 bits pick the set (multiply-shift: any number of sets,
        // no division); the stored tag is the high bits.
        let set = (((fingerprint & 0xFFFF_FFFF) * self.sets.len() as u64) >> 32) as usize;
        (set, (fingerprint & !STATE_MASK) | TAG_PRESENT)
    }

    /// The conversation, marked as used.
    #[inline]
    pub(super) fn get(&mut self, fingerprint: u64) -> Option<Conversation> {
        let (set, tag) = self.place(fingerprint);
        let ways = &mut self.sets[set];
        let way = ways.iter().position(|&e| e & !STATE_MASK == tag)?;
        ways[way] |= REFERENCED;
        Some(Conversation::unpack(ways[way] & STATE_MASK))
    }

    /// Stores a conversation: in place if present (marked used), else in an
    /// empty or unused way (not marked, see the type's documentation).
    pub(super) fn put(&mut self, fingerprint: u64, conversation: Conversation) {
        let (set, tag) = self.place(fingerprint);
        let state = conversation.pack();
        let ways = &mut self.sets[set];
        if let Some(way) = ways.iter().position(|&e| e & !STATE_MASK == tag) {
            ways[way] = tag | state | REFERENCED;
            return;
        }
        let way = match ways
            .iter()
            .position(|&e| e == 0)
            .or_else(|| ways.iter().position(|&e| e & REFERENCED == 0))
        {
            Some(way) => way,
            None => {
                for e in ways.iter_mut() {
                    *e &= !REFERENCED;
                }
                (fingerprint >> 60) as usize % WAYS
            }
        };
        ways[way] = tag | state;
    }

    pub(super) fn len(&self) -> usize {
        self.sets.iter().flatten().filter(|&&e| e != 0).count()
    }

    /// Looks a conversation up without marking it used.
    pub(super) fn peek(&self, fingerprint: u64) -> Option<Conversation> {
        let (set, tag) = self.place(fingerprint);
        let ways = &self.sets[set];
        let way = ways.iter().position(|&e| e & !STATE_MASK == tag)?;
        Some(Conversation::unpack(ways[way] & STATE_MASK))
    }

    /// The side that opened a conversation, if known.
    pub(super) fn initiator(&self, fingerprint: u64) -> Option<Side> {
        self.peek(fingerprint).and_then(|c| c.initiator)
    }

    /// Marks a conversation still waiting for its answer as failed.
    pub(super) fn fail(&mut self, fingerprint: u64) {
        if let Some(mut c) = self.peek(fingerprint)
            && c.progress == Progress::Opened
        {
            c.progress = Progress::Failed;
            self.put(fingerprint, c);
        }
    }

    /// Marks a conversation waiting for its answer as settled without a
    /// server (a one-way stream).
    pub(super) fn settle(&mut self, fingerprint: u64) {
        if let Some(mut c) = self.peek(fingerprint)
            && c.progress == Progress::Opened
        {
            c.progress = Progress::Settled;
            self.put(fingerprint, c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;

    #[test]
    fn tables_stay_bounded_and_busy_conversations_survive() {
        let settings = FlowSettings {
            max_conversations: 1_000,
            max_fragments: 100,
            ..FlowSettings::default()
        };
        let mut flow = FlowClassifier::new(&RULE, settings);
        let client = (CLIENT, 2049);
        let server = (SERVER, 40000);
        flow.classify(&tcp(client, server, SYN_ONLY), 60, 0);
        for i in 0..100_000u32 {
            let source = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i));
            flow.classify(&tcp((source, 1234), (SERVER, 80), SYN_ONLY), 60, 0);
            flow.classify(
                &later_fragment(source, SERVER, i, 17, true),
                60,
                i64::from(i),
            );
            if i % 100 == 0 {
                // The busy conversation keeps being used.
                let c = flow.classify(&tcp(client, server, PSH_ACK), 60, 0);
                assert_eq!(port(&c).0, Naming::Port(40000), "at {i}");
            }
        }
        assert!(flow.tracked_conversations() <= 1_000);
        assert!(flow.tracked_datagrams() <= 100);
        // Every held fragment pushed out of the table was given up.
        let given_up: u64 = flow
            .drain_resolved()
            .map(|r| match r {
                Resolved::Unattributed { packets, .. } => packets,
                Resolved::Attributed { .. } | Resolved::Attempt { .. } => 0,
            })
            .sum();
        assert_eq!(given_up + flow.tracked_datagrams() as u64, 100_000);
    }
}
