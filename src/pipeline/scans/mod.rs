//! Port-scan detection: sources that probe many distinct ports of one host
//! (a *vertical* scan) or one port of many hosts (a *horizontal* scan)
//! within a time window, in bounded memory, with reports that merge with
//! `+=`.
//!
//! # What counts
//!
//! The detector is fed, frame by frame, what the stateful classifier says
//! each frame did to its conversation ([`ScanDetector::observe`]):
//!
//! * A **probe** is a frame that opened a conversation
//!   ([`ConversationEvent::Opened`]), from its source (the *scanner*) to its
//!   destination address and port (the *target*). Frames of conversations
//!   under way never count, so a server's replies, however many clients and
//!   ports it serves, are never probes. Probes towards a multicast, broadcast
//!   (255.255.255.255) or unspecified address are ignored: nothing answers
//!   them as a conversation.
//! * A probe **succeeded** when its target answered
//!   ([`ConversationEvent::Answered`]: a SYN+ACK, or any UDP reply) and
//!   **failed** otherwise: refused ([`ConversationEvent::Refused`], a TCP
//!   RST) or never answered. As in Zeek's `scan.zeek`, only failed probes
//!   make a scan: a busy client connecting successfully to many hosts or many
//!   ports never qualifies.
//! * **Vertical**: one scanner, one target host, one transport. It qualifies
//!   when the distinct ports with failed probes reach
//!   [`ScanSettings::vertical_ports`] (default 15).
//! * **Horizontal**: one scanner, one port, one transport. It qualifies when
//!   the distinct target hosts with failed probes reach
//!   [`ScanSettings::horizontal_hosts`] (default 25).
//!
//! A target answered once counts as *open* for the whole window, even if
//! other probes of it failed; one refused and never answered counts as
//! *closed*; the others are *unanswered* (filtered, or UDP ports whose ICMP
//! "port unreachable" is not a conversation event).
//!
//! A finding *is* its failed probes: its first and last time, its duration
//! and its `probes` count cover only probes that were refused or never
//! answered. Probes that were answered (the open targets it found, and
//! ordinary connections of the same source to the same host or port before
//! or after the scan) are evidence ([`ScanFinding::open`], the open ports or
//! hosts listed), not the scan: an nmap scan of 0.2 s after a minute of
//! ordinary connections to the same host lasts 0.2 s. Whether a probe was
//! answered is known only when its reply comes, so each window holds its
//! last [`PENDING_PROBES`] probes still waiting for one (with their times):
//! an answer takes its target's waiting probes out, a refusal counts them as
//! failed at once, and a probe pushed out by that many newer ones still
//! waiting counts as failed (an answer slower than that is not told apart
//! from none). Probes of a target already answered in the window are not
//! counted at all.
//!
//! TCP, UDP and SCTP are keyed apart (the classifier reports no SCTP events
//! today, so SCTP scans are not seen). Tunnels are not part of the key: with
//! `--decap`, inner addresses of different tunnels that coincide count
//! together.
//!
//! # Windows
//!
//! Each key counts within a window that starts at its first probe and lasts
//! [`ScanSettings::window_ns`] (default 300 s). The first probe more than
//! `window_ns` after the window's start closes it, making it a finding if it
//! qualified, and starts a new window. A scan slower than the threshold per
//! window therefore goes unnoticed, and a long scan is reported once per
//! window. Replies count towards the window of the probe they answer however
//! late they come; a reply to a probe of a closed window is ignored. Frames
//! out of time order stay in the current window. Stream time, for sweeping
//! out expired windows, is the earlier of the current and the previous
//! frame's times, so that one frame with a wild timestamp cannot expire
//! every window.
//!
//! # Bounded memory
//!
//! * At most [`ScanSettings::max_tracked`] keys per kind. When a new key
//!   finds its table full, the table is swept: expired windows are closed
//!   (their findings kept), then keys with at most one failed target are
//!   evicted (single probes from a flood of random sources, clients whose
//!   connections were answered), counted in [`ScanReport::evicted_keys`]. If
//!   the table is still full, the probe is not tracked for that kind
//!   ([`ScanReport::untracked_probes`]). A sweep that frees less than an
//!   eighth of the table is not tried again before an eighth of the table's
//!   size in new keys has been turned away, so sweeps cost amortised O(1)
//!   per probe. Expired windows are also swept as stream time passes (at
//!   most once per window of stream time, amortised the same way).
//! * A key's first target, and its oldest probe waiting for a reply, are
//!   kept inline: a key probed once (most keys of a flood), or whose
//!   probes are answered one after another, allocates nothing. A key with
//!   a failed probe, or with several waiting at once, gets a record of
//!   them (under 100 bytes, freed when it holds nothing); its probes
//!   waiting beyond the oldest take a list of 3, 7, then 15 entries (at
//!   most 240 bytes for a vertical key, 480 for a horizontal one), freed
//!   when none waits any more and counted in the sets' byte budget below;
//!   without room, the oldest waiting probe counts as failed at once.
//! * Ports of a vertical key: a sorted list up to 512 ports, then a 16 KiB
//!   map of 2 bits per port (probed, refused, answered): every port of all
//!   65,536, exactly.
//! * Hosts of a horizontal key: a hash map of at most
//!   [`ScanSettings::max_hosts_per_key`] hosts (default 4096); hosts probed
//!   beyond that are not remembered, and `distinct` becomes a lower bound
//!   ([`ScanFinding::distinct_exact`] is false).
//! * All sets together hold about [`ScanSettings::max_set_bytes`] at most
//!   (default 64 MiB); a set that would grow beyond stops recording new
//!   targets (again a lower bound, and a scan not yet counted to its
//!   threshold then goes unnoticed) until closing windows free room.
//! * At most [`MAX_FINDINGS`] findings are kept, the first in report order
//!   (twice that between cuts).
//!
//! Worst case: the two key tables take under `max_tracked × 600 B` (about
//! 10 MiB at the default), plus `max_set_bytes`, plus the findings.
//! A probe costs two hash look-ups; in a flood of new keys, where every
//! probe inserts into both tables and is swept out later, a few hundred
//! nanoseconds (memory-bound).
//!
//! [`ConversationEvent::Opened`]: crate::pipeline::ConversationEvent::Opened
//! [`ConversationEvent::Answered`]: crate::pipeline::ConversationEvent::Answered
//! [`ConversationEvent::Refused`]: crate::pipeline::ConversationEvent::Refused

mod detector;
mod keys;
mod report;
mod targets;
#[cfg(test)]
mod testkit;
mod window;

pub use detector::ScanDetector;
#[cfg(test)]
pub(crate) use report::sample_vertical_scan;
pub use report::{MAX_FINDINGS, ScanEvidence, ScanFinding, ScanKind, ScanReport, ScanSettings};
pub use window::PENDING_PROBES;
