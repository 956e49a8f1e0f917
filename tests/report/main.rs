//! End-to-end tests of `portclass report` and `portclass merge` on the real
//! binary: Markdown and JSON snapshots of the committed fixtures (every
//! figure in them cross-checked against `read`, tshark's figures in
//! `fixtures/expected/` and the frames themselves), the merge law (summaries
//! merged equal captures read together, in any grouping and order), the CSV
//! tables, bad inputs, and bounded memory on a capture of 200,000 sources.
//!
//! The snapshots are `insta`'s, under `tests/report/snapshots/`: after a
//! change, `cargo insta review` (or `INSTA_UPDATE=always cargo test --test
//! report` and `git diff`) before committing.

#[path = "../common/mod.rs"]
mod common;

mod bad_input;
mod csv_tables;
mod figures;
mod merge_law;
mod rendered;
mod scale;
mod snapshot;
mod support;
