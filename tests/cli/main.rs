//! End-to-end tests of the `portclass` binary: each runs the real executable
//! on the committed fixtures, or on files derived from them in a temporary
//! directory, and checks its output against tshark's expected figures
//! (`fixtures/expected/*.json`) or against figures computed from the inputs
//! themselves. One integration binary, one module per area.

#[path = "../common/mod.rs"]
mod common;

mod analysis;
mod bad_input;
mod closed_pipe;
mod completions;
mod diff;
mod filters;
mod fixtures;
mod formats;
mod geoip;
mod inputs;
mod name_layers;
mod names;
mod naming;
mod outputs;
mod parquet;
mod ports;
mod resolve;
mod services;
mod threads;
mod usage;
