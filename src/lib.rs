//! portclass: per-service traffic breakdown of packet captures.
//!
//! The pipeline runs one way: [`capture`] → [`decode`] → [`classify`] →
//! [`pipeline`] (the per-frame driver and its bounded state: flows,
//! fragments, related channels, scans) → [`tally`] → [`render`]; [`app`]
//! wires it together. [`schema`] declares the JSON documents once: render
//! writes them, [`summary`] reads them back into tallies.
#![forbid(unsafe_code)]

pub mod app;
pub mod capture;
pub mod classify;
pub mod cli;
pub mod config;
pub mod decode;
pub mod pipeline;
pub mod render;
pub mod schema;
pub mod summary;
pub mod tally;

/// Says that the running unit test skipped some or all of its checks, and
/// why, where a plain `cargo test` shows it: libtest keeps what a passing
/// test prints with `eprintln!` to itself (shown only with `--nocapture`),
/// but not a write to the standard error handle itself.
#[cfg(test)]
pub(crate) fn test_skipped(reason: impl std::fmt::Display) {
    use std::io::Write;
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    // One write, so that the line is not cut by libtest's own output.
    let line = format!("SKIPPED {test}: {reason}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}
