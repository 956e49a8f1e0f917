//! Hardening: portclass reads files from strangers and traffic from hostile
//! networks, so on any input it must never panic, hang or grow without
//! bound, and must lose nothing it already counted.
//!
//! * `mutations`: thousands of damaged captures made at test time from the
//!   fixtures (cuts, absurd lengths, bogus link types, time stamps out of
//!   order and range, broken pcapng blocks and options, random flips and
//!   garbage, cut gzip streams), each run through `read` (and many through
//!   `report`) under a deadline;
//! * `overflow`: byte counters past 4 GiB exact everywhere;
//! * `privileges`: which subcommands need which privileges (root only: it
//!   drops them with setpriv).
//!
//! Large-scale adversarial traffic (millions of flows, GiB on stdin, live
//! under a flood) is measured by `benches/adversarial.sh`, not asserted
//! here. A test never asserts on time; a run that overruns its deadline is
//! a hang and fails.

#[path = "../common/mod.rs"]
mod common;

mod batch;
mod mutations;
mod overflow;
mod privileges;
mod support;
