//! portclass: per-service traffic breakdown of packet captures.
//!
//! The pipeline runs one way: [`capture`] → [`decode`] → [`classify`] →
//! [`tally`] → [`render`]; [`app`] wires it together.
#![forbid(unsafe_code)]

pub mod capture;
pub mod classify;
pub mod decode;
pub mod app;
pub mod cli;
pub mod config;
pub mod render;
pub mod tally;
