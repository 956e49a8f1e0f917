//! Every committed fixture against tshark's figures (tcpdump's for the link types
//! tshark cannot read), and the bookkeeping identities that tie the services and
//! ports tables to the transport totals.

use crate::common::*;
use serde_json::Value;
use std::collections::BTreeSet;

/// Reads every fixture once: (file name, portclass JSON).
fn read_all_fixtures() -> Vec<(String, Value)> {
    fixture_files()
        .iter()
        .map(|path| {
            let run = read_json(&[path], &[]);
            run.assert_code(0);
            assert!(
                run.stderr.is_empty(),
                "{}: stderr:\n{}",
                run.command,
                run.stderr
            );
            (file_name(path), run.json())
        })
        .collect()
}

#[test]
fn every_fixture_has_expected_figures_and_vice_versa() {
    let captures: BTreeSet<String> = fixture_files().iter().map(|p| file_name(p)).collect();
    let expected: BTreeSet<String> = std::fs::read_dir(fixtures_dir().join("expected"))
        .expect("fixtures/expected readable")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".json")
                .map(str::to_string)
        })
        .collect();
    assert_eq!(
        captures, expected,
        "fixtures/*.pcap* and fixtures/expected/*.json differ"
    );
}

#[test]
fn fixtures_match_tshark() {
    let mut failures = Vec::new();
    for (name, tool) in read_all_fixtures() {
        let oracle = expected(&name);
        // Made by oracle.py (tshark), or by tcpdump-oracle.py for the link
        // types tshark cannot read: the tool that made it must have
        // succeeded.
        let tool_rc = match oracle["oracle"].as_str() {
            Some("tcpdump") => "tcpdump_rc",
            _ => "tshark_rc",
        };
        assert_eq!(
            oracle[tool_rc], 0,
            "{name}: the oracle file records a failure ({tool_rc})"
        );
        let diffs = differences(&tool, &oracle);
        if !diffs.is_empty() {
            failures.push(format!(
                "{name} ({} differences):\n    {}",
                diffs.len(),
                diffs.join("\n    ")
            ));
        }
        let input = &tool["inputs"][0];
        assert_eq!(input["status"], "complete", "{name}: {input}");
        assert_eq!(input["error"], Value::Null, "{name}: {input}");
        assert_eq!(
            input["packets"], oracle["packets"],
            "{name}: inputs[0].packets"
        );
        assert_eq!(input["bytes"], oracle["bytes"], "{name}: inputs[0].bytes");
    }
    assert!(
        failures.is_empty(),
        "fixtures differ from tshark:\n{}",
        failures.join("\n")
    );
}

#[test]
fn services_and_ports_add_up_to_the_port_carrying_transports() {
    for (name, json) in read_all_fixtures() {
        assert_eq!(json["schema"], "portclass.read/2", "{name}");
        let (packets, bytes) = port_traffic(&json);
        let total_bytes = u64_of(&json, "bytes");

        // Every frame with ports is counted under exactly one service row,
        // and so is every non-first fragment attributed to its first.
        let rows = services(&json);
        let row_packets: u64 = rows.iter().map(|r| u64_of(r, "packets")).sum();
        let row_bytes: u64 = rows.iter().map(|r| u64_of(r, "bytes")).sum();
        let attributed = &json["fragments"]["attributed"];
        assert_eq!(
            (row_packets, row_bytes),
            (
                packets + u64_of(attributed, "packets"),
                bytes + u64_of(attributed, "bytes")
            ),
            "{name}: services vs tcp+udp+sctp + attributed fragments"
        );
        // Every non-first fragment is either attributed or not.
        let unattributed = &json["fragments"]["unattributed"];
        assert_eq!(
            u64_of(attributed, "packets") + u64_of(unattributed, "packets"),
            category(&json, "fragment").0,
            "{name}: fragment fates"
        );

        for row in rows {
            let share = row["share"].as_f64().expect("share is a number");
            let exact = u64_of(row, "bytes") as f64 / total_bytes as f64;
            assert!(
                (share - exact).abs() < 1e-12,
                "{name}: share {share} of {row}, bytes/total = {exact}"
            );
            assert!(
                u64_of(row, "packets") > 0,
                "{name}: empty service row {row}"
            );
        }
        let bytes_in_order: Vec<u64> = rows.iter().map(|r| u64_of(r, "bytes")).collect();
        assert!(
            bytes_in_order.windows(2).all(|w| w[0] >= w[1]),
            "{name}: services not sorted by bytes: {bytes_in_order:?}"
        );

        // Every frame with ports has one source and one destination port.
        let ports = tool_ports(&json);
        let sum = |i: usize| ports.values().map(|f| f[i]).sum::<u64>();
        assert_eq!(
            (sum(0), sum(1)),
            (packets, bytes),
            "{name}: src side of the port rows"
        );
        assert_eq!(
            (sum(2), sum(3)),
            (packets, bytes),
            "{name}: dst side of the port rows"
        );

        // Nine categories partition the frames.
        let (all_packets, all_bytes) = CATEGORIES
            .iter()
            .map(|c| category(&json, c))
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        assert_eq!(
            (all_packets, all_bytes),
            (u64_of(&json, "packets"), total_bytes),
            "{name}: the nine categories do not add up to the totals"
        );
    }
}
