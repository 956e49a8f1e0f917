//! End-to-end tests of `portclass live` and `portclass interfaces` on real
//! traffic: each test makes two fresh network namespaces joined by a veth
//! pair (`tests/common/netns.rs`), runs the binary capturing in one, sends
//! an exact number of datagrams or connections from the other with python
//! sockets (or scans it with nmap), and checks the counts and findings
//! (and, in prometheus.rs, what a real Prometheus scraped). Nothing leaves
//! the namespaces; each namespace and every process in it is gone when the
//! test ends, pass or fail. Without root, or without network namespaces, each test prints a
//! notice and passes.

#[path = "../common/mod.rs"]
mod common;

mod baseline;
mod buffer;
mod csv;
mod errors;
mod filter;
mod handshake;
mod harness;
mod interfaces;
mod metrics;
mod processes;
mod prometheus;
mod resolve;
mod scans;
mod screen;
mod session;
mod snaplen;
mod stopping;
mod tcp;
mod udp;
mod write;
