//! portclass: per-service traffic breakdown of packet captures.
//!
//! The pipeline runs one way: [`capture`] → [`decode`] → [`classify`] →
//! [`pipeline`] (the per-frame driver and its bounded state: flows,
//! fragments, related channels, scans) → [`tally`] → [`render`]; [`app`]
//! wires it together.
#![forbid(unsafe_code)]

pub mod app;
pub mod capture;
pub mod classify;
pub mod cli;
pub mod config;
pub mod decode;
pub mod pipeline;
pub mod render;
pub mod summary;
pub mod tally;
