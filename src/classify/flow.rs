//! Stateful classification: what one frame says about its conversation.
//!
//! [`ConversationEvent`] tells later stages (the scan detector) what a frame
//! did to its conversation.

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
