//! The public face of stateful classification: what it says of a frame
//! ([`Classified`], with its [`ServiceHit`], [`ConversationEvent`] and
//! [`FragmentOutcome`]), what it says later of frames it held
//! ([`Resolved`]), and its bounds and switches ([`FlowSettings`]).

use super::FlowClassifier;
use crate::classify::{Naming, NamingRule};
use crate::decode::{PacketInfo, Transport, Tunnel};
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

/// How the port that names a frame was chosen. JSON names it as
/// [`Identified::name`] does.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
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
