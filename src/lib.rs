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

/// A table of `len` zeroed entries whose memory is written now, one page
/// fault per page. A table allocated zeroed (`vec![0; n]`) is backed by
/// the kernel's shared zero page until written, so each page's first
/// read-modify-write faults twice, and the second fault (copy on write)
/// flushes the TLB of every CPU the process runs on: in a threaded read,
/// thousands of interrupts. The counter and conversation tables, which
/// the first frames scatter over, use this instead.
pub(crate) fn written_table<T: Copy>(len: usize, zero: T) -> Box<[T]> {
    let mut table = Vec::with_capacity(len);
    // Through `black_box`, so the compiler cannot turn the fill back into
    // a zeroed allocation.
    table.resize(len, std::hint::black_box(zero));
    table.into_boxed_slice()
}

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
