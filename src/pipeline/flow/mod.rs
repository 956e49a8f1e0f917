//! Stateful classification: the naming rule, refined by what earlier frames
//! of the same stream said.
//!
//! * **Handshake-aware service ports.** A TCP SYN without ACK names its
//!   destination (address, port) the server of that conversation, and a
//!   SYN+ACK names its source; from then on every frame of the conversation
//!   counts under the server's port, whatever the static rule
//!   ([`NamingRule::name_frame`](crate::classify::NamingRule::name_frame))
//!   would say. A client whose ephemeral port happens to be 2049 or 5060 is
//!   therefore not counted as NFS or SIP.
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

mod attempts;
mod classifier;
mod conversations;
mod expiring;
mod fragments;
mod related;
#[cfg(test)]
mod testkit;
mod types;

pub use classifier::FlowClassifier;
pub(super) use conversations::{address_bits, fold};
pub use types::{
    Classified, ConversationEvent, DEFAULT_ATTEMPT_WINDOW_NS, FlowSettings, FragmentOutcome,
    Identified, Resolved, ServiceHit,
};
