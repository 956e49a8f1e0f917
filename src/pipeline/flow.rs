//! Stateful classification: the naming rule, refined by what earlier frames
//! of the same stream said.
//!
//! * **Handshake-aware service ports.** A TCP SYN without ACK names its
//!   destination (address, port) the server of that conversation, and a
//!   SYN+ACK names its source; from then on every frame of the conversation
//!   counts under the server's port, whatever the static rule
//!   ([`NamingRule::name_frame`]) would say. A client whose ephemeral port
//!   happens to be 2049 or 5060 is therefore not counted as NFS or SIP.
//!   Each attribution says how it was made ([`Identified`]).
//! * **Fragment attribution.** The first fragment of an IP datagram carries
//!   the ports; the others do not. The first fragment's service is kept in a
//!   bounded table keyed by (source, destination, protocol, fragment id), and
//!   the non-first fragments are attributed to it. Fragments that arrive
//!   before their first are held (their counts only) until it arrives, and
//!   given up as unattributed when it does not within the timeout, when the
//!   table needs the room, or when the stream ends ([`Resolved`]).
//! * **Conversation events** ([`ConversationEvent`]) for the scan detector:
//!   which frames opened a conversation and which were answered or refused.
//!
//! Both tables are bounded ([`FlowSettings`]). The conversation table is
//! set-associative (8 ways of 8 bytes per cache line) with a reference bit
//! per entry, so conversations still in use survive a flood of new ones; an
//! evicted conversation falls back to the static rule. The fragment table
//! evicts the oldest entry.

use crate::classify::ftp::Announcement;
use crate::classify::{Naming, NamingRule};
use crate::decode::{Category, PacketInfo, Transport, Tunnel};
use foldhash::HashMapExt;
use std::collections::VecDeque;
use std::hash::BuildHasher;
use std::net::IpAddr;

/// What a frame did to its conversation, as far as the conversation table
/// can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConversationEvent {
    /// Nothing notable: a frame of a conversation already under way, or one
    /// whose start was not seen.
    None,
    /// The frame opened a conversation; its source is the initiator and its
    /// destination (address, port) the target. TCP: a segment without ACK
    /// and without RST (a SYN, or a FIN/NULL/Xmas probe) starting a
    /// conversation; UDP: the first datagram of a conversation not seen
    /// before, sent towards the port that names it.
    Opened,
    /// The first frame back from the target of a conversation this stream
    /// saw opened: a TCP SYN+ACK, or any UDP reply. Its source is the target,
    /// its destination the initiator.
    Answered,
    /// The target refused a TCP conversation this stream saw opened: a RST
    /// before any SYN+ACK. Its source is the target.
    Refused,
}

/// How the port that names a frame was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Identified {
    /// The conversation's TCP handshake showed which side is the server.
    Handshake,
    /// The static rule picked a port the port database knows.
    PortDatabase,
    /// The static rule picked a port the database does not know (the lower
    /// port), or the frame went to the dynamic row.
    Heuristic,
    /// A data channel a control conversation announced: a TFTP transfer
    /// after a request to port 69 counts under tftp.
    Related,
}

impl Identified {
    /// All methods, in display order.
    pub const ALL: [Identified; 4] = [
        Identified::Handshake,
        Identified::PortDatabase,
        Identified::Heuristic,
        Identified::Related,
    ];

    /// snake_case name for JSON and tables (`handshake`, `port_database`,
    /// `heuristic`, `related`).
    pub fn name(self) -> &'static str {
        match self {
            Identified::Handshake => "handshake",
            Identified::PortDatabase => "port_database",
            Identified::Heuristic => "heuristic",
            Identified::Related => "related",
        }
    }

    /// Index 0..4, for arrays keyed by method.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// The service row a frame counts in, and how that was decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceHit {
    /// The tunnel the frame came through (with `--decap`).
    pub tunnel: Option<Tunnel>,
    /// The transport.
    pub transport: Transport,
    /// The row: a port, or the dynamic row.
    pub naming: Naming,
    /// How the naming port was chosen.
    pub identified: Identified,
    /// The frame travels towards the server (the naming port's side).
    pub to_server: bool,
}

/// What became of a fragment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FragmentOutcome {
    /// Not a non-first fragment.
    NotFragment,
    /// Attributed to the service of its first fragment
    /// ([`Classified::service`]).
    Attributed,
    /// Its first fragment has not been seen yet; it is held, and its fate
    /// comes later as a [`Resolved`].
    Pending,
    /// Cannot be attributed: no addresses, or its first fragment carried no
    /// ports.
    Unattributed,
}

/// The stateful classification of one frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Classified {
    /// The service row, for frames with ports and attributed fragments.
    pub service: Option<ServiceHit>,
    /// What the frame did to its conversation.
    pub event: ConversationEvent,
    /// For non-first fragments: whether they were attributed.
    pub fragment: FragmentOutcome,
    /// The frame opened a conversation (or belongs to one) that has not
    /// been answered yet: it is held, and its row comes later as a
    /// [`Resolved::Attempt`]. `service` is `None` meanwhile.
    pub held: bool,
}

impl Classified {
    /// A frame without ports or fragment: counted in no service row.
    pub const UNNAMED: Classified = Classified {
        service: None,
        event: ConversationEvent::None,
        fragment: FragmentOutcome::NotFragment,
        held: false,
    };

    /// The classification of a frame taken alone, by the static rule (no
    /// conversation or fragment state).
    pub fn by_static_rule(rule: &NamingRule, info: &PacketInfo) -> Classified {
        Classified {
            service: info.transport_ports().map(|(transport, src, dst)| {
                FlowClassifier::static_hit(rule, info.tunnel, transport, src, dst)
            }),
            ..Classified::UNNAMED
        }
    }
}

/// The late fate of held fragments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// Their first fragment arrived: they count under its service now.
    Attributed {
        /// The service of the first fragment.
        hit: ServiceHit,
        /// Fragments held.
        packets: u64,
        /// Their wire bytes.
        bytes: u64,
    },
    /// Their first fragment never came (timeout, table full, end of stream).
    Unattributed {
        /// Fragments held.
        packets: u64,
        /// Their wire bytes.
        bytes: u64,
    },
    /// The frames of a conversation whose opening was seen, held until it
    /// was answered (they count under the server's port), refused or left
    /// unanswered (under the `failed` row, [`Naming::Failed`]).
    Attempt {
        /// Their row; all of them travelled towards `server`.
        hit: ServiceHit,
        /// Frames held.
        packets: u64,
        /// Their wire bytes.
        bytes: u64,
        /// Capture time of the first of them.
        first_ns: i64,
        /// The side that opened the conversation (address, port).
        client: (IpAddr, u16),
        /// The side it was opened towards: the server when answered, the
        /// target of the failed attempt otherwise.
        server: (IpAddr, u16),
    },
}

/// Bounds and switches of the stateful classification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowSettings {
    /// Let TCP handshakes name the service port (`--no-handshake` turns it
    /// off: the static rule only).
    pub handshake: bool,
    /// Keep the conversation table at all: needed by the handshake rule and
    /// by the conversation events the scan detector reads. With neither,
    /// frames skip the table (and its hashing) altogether.
    pub conversations: bool,
    /// Most conversations remembered at once.
    pub max_conversations: usize,
    /// Most fragmented datagrams remembered at once.
    pub max_fragments: usize,
    /// How long a datagram's first fragment is waited for, and remembered
    /// (ns of capture time; Linux gives up reassembly after 30-60 s).
    pub fragment_timeout_ns: u64,
    /// Most unanswered conversations whose frames are held at once (the
    /// oldest is given up as failed when a new one needs the room).
    pub max_attempts: usize,
    /// How long an opened conversation waits for its answer before it is a
    /// failed attempt (ns of capture time).
    pub attempt_window_ns: u64,
}

impl Default for FlowSettings {
    fn default() -> FlowSettings {
        FlowSettings {
            handshake: true,
            conversations: true,
            max_conversations: 65_536,
            max_fragments: 8_192,
            fragment_timeout_ns: 60_000_000_000,
            max_attempts: 16_384,
            attempt_window_ns: DEFAULT_ATTEMPT_WINDOW_NS,
        }
    }
}

/// The default attempt window: a SYN answered after more than 5 s is
/// answered to a retransmission, and that one is held anew.
pub const DEFAULT_ATTEMPT_WINDOW_NS: u64 = 5_000_000_000;

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
fn one_way_udp(dst: IpAddr, dst_port: u16) -> bool {
    let group = match dst {
        IpAddr::V4(v4) => v4.is_multicast() || v4.is_broadcast() || v4.octets()[3] == 255,
        IpAddr::V6(v6) => v6.is_multicast(),
    };
    group || ONE_WAY_UDP.contains(&dst_port)
}

/// An address as 128 bits (IPv4 mapped into IPv6).
#[inline]
fn address_bits(address: IpAddr) -> u128 {
    match address {
        IpAddr::V4(v4) => 0xffff_0000_0000 | u128::from(v4.to_bits()),
        IpAddr::V6(v6) => v6.to_bits(),
    }
}

fn tunnel_byte(tunnel: Option<Tunnel>) -> u8 {
    tunnel.map_or(0, |t| t.index() as u8 + 1)
}

/// Which endpoint of a conversation: the one with the lower or the higher
/// endpoint fingerprint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Low,
    High,
}

impl Side {
    fn other(self) -> Side {
        match self {
            Side::Low => Side::High,
            Side::High => Side::Low,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Progress {
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
struct Conversation {
    /// The server side, when a handshake showed it.
    server: Option<Side>,
    /// The side whose frame opened it, when seen.
    initiator: Option<Side>,
    progress: Progress,
    /// A data channel of a control conversation (see [`related_port`]):
    /// named by the control protocol's port, not its own.
    related: bool,
}

/// The port that names a related data channel of a transport: TFTP's
/// transfers (UDP) count under tftp, FTP's data connections (TCP) under
/// ftp.
const TFTP: u16 = 69;

fn related_port(transport: Transport) -> Option<u16> {
    match transport {
        Transport::Udp => Some(TFTP),
        Transport::Tcp => Some(super::ftp::FTP_CONTROL),
        Transport::Sctp => None,
    }
}

/// Folded multiply: the high and low halves of a 128-bit product, XORed.
#[inline(always)]
fn fold(x: u64, y: u64) -> u64 {
    let product = u128::from(x) * u128::from(y);
    (product as u64) ^ ((product >> 64) as u64)
}

/// Conversation slots per set: one 64-byte cache line of `u64` entries.
const WAYS: usize = 8;

/// The bounded conversation table: set-associative, 8 ways per set, each
/// entry one `u64` holding the high 56 bits of the conversation's
/// fingerprint (foldhash of its key, seeded at random per process) and its
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
#[derive(Debug)]
struct Conversations {
    sets: Box<[[u64; WAYS]]>,
    /// Random per process, so crafted traffic cannot aim at one set.
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
    fn new(capacity: usize) -> Conversations {
        // At most `capacity` conversations (rounded down to whole sets).
        let sets = (capacity / WAYS).max(1);
        let random = foldhash::fast::RandomState::default();
        Conversations {
            sets: vec![[0u64; WAYS]; sets].into_boxed_slice(),
            seeds: [0u64, 1, 2, 3].map(|i| random.hash_one(i) | 1),
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
    fn fingerprint(
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
    fn get(&mut self, fingerprint: u64) -> Option<Conversation> {
        let (set, tag) = self.place(fingerprint);
        let ways = &mut self.sets[set];
        let way = ways.iter().position(|&e| e & !STATE_MASK == tag)?;
        ways[way] |= REFERENCED;
        Some(Conversation::unpack(ways[way] & STATE_MASK))
    }

    /// Stores a conversation: in place if present (marked used), else in an
    /// empty or unused way (not marked, see the type's documentation).
    fn put(&mut self, fingerprint: u64, conversation: Conversation) {
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

    fn len(&self) -> usize {
        self.sets.iter().flatten().filter(|&&e| e != 0).count()
    }

    /// Looks a conversation up without marking it used.
    fn peek(&self, fingerprint: u64) -> Option<Conversation> {
        let (set, tag) = self.place(fingerprint);
        let ways = &self.sets[set];
        let way = ways.iter().position(|&e| e & !STATE_MASK == tag)?;
        Some(Conversation::unpack(ways[way] & STATE_MASK))
    }

    /// The side that opened a conversation, if known.
    fn initiator(&self, fingerprint: u64) -> Option<Side> {
        self.peek(fingerprint).and_then(|c| c.initiator)
    }

    /// Marks a conversation still waiting for its answer as failed.
    fn fail(&mut self, fingerprint: u64) {
        if let Some(mut c) = self.peek(fingerprint)
            && c.progress == Progress::Opened
        {
            c.progress = Progress::Failed;
            self.put(fingerprint, c);
        }
    }

    /// Marks a conversation waiting for its answer as settled without a
    /// server (a one-way stream).
    fn settle(&mut self, fingerprint: u64) {
        if let Some(mut c) = self.peek(fingerprint)
            && c.progress == Progress::Opened
        {
            c.progress = Progress::Settled;
            self.put(fingerprint, c);
        }
    }
}

/// A bounded table whose entries leave, oldest first, when they have been
/// in it for `timeout_ns` of capture time or when it needs the room. Each
/// entry that leaves without being taken out is handed to a callback (its
/// fate is decided there). Used for fragmented datagrams waiting for their
/// first fragment and for conversations waiting for an answer.
#[derive(Debug)]
struct Expiring<K, V> {
    map: foldhash::HashMap<K, (V, i64)>,
    /// Keys in order of entry, with their entry time; a record whose time
    /// no longer matches the map's is stale (the key left and came back).
    queue: VecDeque<(K, i64)>,
    capacity: usize,
    timeout_ns: u64,
    /// Capture time at which the oldest entry times out (`i64::MAX`: none
    /// held; may be early after removals, never late).
    next_expiry_ns: i64,
}

impl<K: Copy + Eq + std::hash::Hash, V> Expiring<K, V> {
    fn new(capacity: usize, timeout_ns: u64) -> Expiring<K, V> {
        Expiring {
            map: foldhash::HashMap::new(),
            queue: VecDeque::new(),
            capacity: capacity.max(1),
            timeout_ns,
            next_expiry_ns: i64::MAX,
        }
    }

    fn len(&self) -> usize {
        self.map.len()
    }

    fn contains(&self, key: &K) -> bool {
        self.map.contains_key(key)
    }

    fn get(&self, key: &K) -> Option<&V> {
        self.map.get(key).map(|(v, _)| v)
    }

    fn remove(&mut self, key: &K) -> Option<V> {
        self.map.remove(key).map(|(v, _)| v)
    }

    /// Removes the oldest entry (or a stale queue record), handing it to
    /// `left`. Returns false when the queue is empty.
    fn pop_oldest(&mut self, left: &mut impl FnMut(K, V)) -> bool {
        let Some((key, since)) = self.queue.pop_front() else {
            return false;
        };
        if self.map.get(&key).is_some_and(|(_, s)| *s == since)
            && let Some((value, _)) = self.map.remove(&key)
        {
            left(key, value);
        }
        true
    }

    /// Hands every entry older than the timeout at capture time `now` to
    /// `left`, and notes when the next one will be.
    #[cold]
    fn expire(&mut self, now: i64, left: &mut impl FnMut(K, V)) {
        while let Some(&(_, since)) = self.queue.front() {
            let age = now.saturating_sub(since);
            if age < 0 || age.unsigned_abs() < self.timeout_ns {
                break;
            }
            self.pop_oldest(left);
        }
        self.next_expiry_ns = self.queue.front().map_or(i64::MAX, |&(_, since)| {
            since.saturating_add_unsigned(self.timeout_ns)
        });
    }

    /// The entry of `key`, made with `make` if absent (making room first by
    /// handing the oldest entries to `left`).
    fn entry(
        &mut self,
        key: K,
        now: i64,
        make: impl FnOnce() -> V,
        left: &mut impl FnMut(K, V),
    ) -> &mut V {
        if !self.map.contains_key(&key) {
            while self.map.len() >= self.capacity && self.pop_oldest(left) {}
            if self.queue.is_empty() {
                self.next_expiry_ns = now.saturating_add_unsigned(self.timeout_ns);
            }
            if self.queue.len() >= 2 * self.capacity {
                self.drop_stale();
            }
            self.queue.push_back((key, now));
        }
        &mut self.map.entry(key).or_insert_with(|| (make(), now)).0
    }

    /// Forgets the queue records of entries taken out: answered attempts
    /// leave one each, and a flood answered at once (a scan of closed
    /// ports) would otherwise grow the queue by its rate times the
    /// timeout. Runs when the queue holds twice the capacity, and leaves at
    /// most the capacity (one record per entry): amortized O(1).
    #[cold]
    fn drop_stale(&mut self) {
        let map = &self.map;
        self.queue
            .retain(|(key, since)| map.get(key).is_some_and(|(_, s)| s == since));
    }

    /// Hands every entry to `left`, oldest first.
    fn drain(&mut self, left: &mut impl FnMut(K, V)) {
        while self.pop_oldest(left) {}
        self.next_expiry_ns = i64::MAX;
    }
}

/// A fragmented datagram: addresses, protocol, id (and tunnel).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct DatagramKey {
    src: u128,
    dst: u128,
    id: u32,
    protocol: u8,
    tunnel: u8,
}

#[derive(Clone, Copy, Debug)]
struct Datagram {
    /// Whether the first fragment was seen, and its service if it had one.
    first: Option<Option<ServiceHit>>,
    pending_packets: u64,
    pending_bytes: u64,
}

impl Datagram {
    const NEW: Datagram = Datagram {
        first: None,
        pending_packets: 0,
        pending_bytes: 0,
    };

    /// What becomes of a datagram that leaves the table: its held fragments
    /// (if any) were never attributed.
    fn left(resolved: &mut Vec<Resolved>) -> impl FnMut(DatagramKey, Datagram) + '_ {
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

/// A data channel a control conversation announced, waited for.
#[derive(Clone, Copy, Debug)]
struct Expectation {
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
const EXPECTATION_TIMEOUT_NS: u64 = 30_000_000_000;
/// Most announced data channels waited for at once.
const MAX_EXPECTATIONS: usize = 4096;

/// A conversation whose opening was seen and not yet answered: its frames
/// so far, held until the answer (or its absence) says which row they
/// belong to.
#[derive(Clone, Copy, Debug)]
struct Attempt {
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
enum AttemptEnd {
    /// The target answered: it is the server.
    Answered,
    /// Refused, or not answered in time: the `failed` row.
    Failed,
    /// A one-way stream (UDP) or nothing to decide: the static rule's row.
    Static,
}

impl Attempt {
    /// The late fate of the attempt's held frames.
    fn resolved(&self, end: AttemptEnd) -> Resolved {
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

/// The lowest port of common client (ephemeral) port ranges: Linux uses
/// 32768-60999, Windows and the BSDs 49152-65535.
const EPHEMERAL_START: u16 = 32768;

const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const ACK: u8 = 0x10;

/// What a frame's conversation says about the row it counts in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
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
    track_conversations: bool,
    /// Hold the frames of unanswered conversations (with the handshake
    /// rule only: without it, the static rule names everything).
    hold_attempts: bool,
    conversations: Conversations,
    attempts: Expiring<u64, Attempt>,
    /// Data channels announced and not started yet, by the fingerprint of
    /// (server address, client endpoint).
    expectations: Expiring<u64, Expectation>,
    datagrams: Expiring<DatagramKey, Datagram>,
    /// Capture time at which the next held entry (attempt or datagram)
    /// may time out: one comparison per frame.
    next_expiry_ns: i64,
    resolved: Vec<Resolved>,
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

    /// Ends an attempt (if its frames are held) the way `end` says.
    fn settle_attempt(&mut self, key: u64, end: AttemptEnd) {
        if let Some(attempt) = self.attempts.remove(&key) {
            self.resolved.push(attempt.resolved(end));
        }
    }

    /// Holds a frame of an unanswered conversation. A UDP initiator that
    /// goes on sending unanswered is a one-way stream: its frames go back
    /// to the static rule.
    #[allow(clippy::too_many_arguments)]
    fn hold(
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
            // A (re)opening: the receiver is the server, once it answers.
            let retransmission = existing
                .is_some_and(|c| c.initiator == Some(sender) && c.progress == Progress::Opened);
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
            return Verdict::Hold;
        }
        if syn && ack && !rst {
            // The SYN+ACK's sender is the server, whether or not the SYN
            // was captured.
            if existing.is_some_and(|c| {
                c.initiator == Some(sender.other()) && c.progress == Progress::Opened
            }) {
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
            return Verdict::Server(sender);
        }
        let Some(mut conversation) = existing else {
            if !ack && !rst {
                // FIN, NULL or Xmas probe: no live TCP segment lacks ACK
                // after the handshake.
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
                return Verdict::Hold;
            }
            return Verdict::Static;
        };
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
    fn expect_data_channel(
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
    /// [`super::ftp`]): its TCP conversation will count under ftp.
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
    fn tcp_data_channel(
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
    fn data_channel(
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
    fn first_fragment(&mut self, info: &PacketInfo, hit: Option<ServiceHit>, now: i64) {
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
    fn non_first_fragment(
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
    use super::*;
    use crate::classify::PortDb;
    use crate::decode::FragmentInfo;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    use std::sync::LazyLock;

    static RULE: LazyLock<NamingRule> = LazyLock::new(|| PortDb::builtin().naming_rule());

    const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const SERVER: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7));
    const SYN_ONLY: u8 = SYN;
    const SYN_ACK: u8 = SYN | ACK;
    const PSH_ACK: u8 = 0x08 | ACK;
    const RST_ACK: u8 = RST | ACK;

    fn tcp(from: (IpAddr, u16), to: (IpAddr, u16), flags: u8) -> PacketInfo {
        let mut info = PacketInfo::ports(Transport::Tcp, from.1, to.1);
        info.addresses = Some((from.0, to.0));
        info.tcp_flags = Some(flags);
        info
    }

    fn udp(from: (IpAddr, u16), to: (IpAddr, u16)) -> PacketInfo {
        let mut info = PacketInfo::ports(Transport::Udp, from.1, to.1);
        info.addresses = Some((from.0, to.0));
        info
    }

    fn classifier() -> FlowClassifier<'static> {
        FlowClassifier::new(&RULE, FlowSettings::default())
    }

    fn port(c: &Classified) -> (Naming, Identified, bool) {
        let hit = c.service.expect("a service");
        (hit.naming, hit.identified, hit.to_server)
    }

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

    /// Held frames released so far, as (row, packets, bytes).
    fn released(flow: &mut FlowClassifier) -> Vec<(Naming, u64, u64)> {
        flow.drain_resolved()
            .filter_map(|r| match r {
                Resolved::Attempt {
                    hit,
                    packets,
                    bytes,
                    ..
                } => Some((hit.naming, packets, bytes)),
                _ => None,
            })
            .collect()
    }

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

    fn fragment(info: PacketInfo, id: u32, protocol: u8, first: bool, more: bool) -> PacketInfo {
        PacketInfo {
            fragment: Some(FragmentInfo {
                id,
                protocol,
                first,
                more,
            }),
            ..info
        }
    }

    fn later_fragment(from: IpAddr, to: IpAddr, id: u32, protocol: u8, more: bool) -> PacketInfo {
        let mut info = PacketInfo::plain(Category::Fragment);
        info.addresses = Some((from, to));
        fragment(info, id, protocol, false, more)
    }

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
