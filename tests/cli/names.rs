//! Names for addresses learnt from the traffic (`names` of the JSON, and
//! `name` beside addresses), checked against what tshark decodes of the
//! same captures: DNS answers, TLS and QUIC server names, HTTP Host
//! headers, kept by the documented precedence rule.

use crate::common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;
use std::process::Command;

/// How a name was learnt, in precedence order (the JSON names).
const SOURCES: [&str; 5] = ["dns", "tls_sni", "quic_sni", "http_host", "dns_ptr"];

/// A name learnt, as tshark shows it: for which address, how, in which
/// frame.
#[derive(Debug)]
struct Candidate {
    address: IpAddr,
    name: String,
    source: &'static str,
    frame: u64,
}

/// tshark's fields of the frames matching `filter`, one row per frame, each
/// field split at commas (tshark's aggregator); `None` without tshark.
fn tshark_rows(capture: &Path, filter: &str, fields: &[&str]) -> Option<Vec<Vec<Vec<String>>>> {
    let mut command = Command::new("tshark");
    command
        .arg("-r")
        .arg(capture)
        .args(["-Y", filter, "-T", "fields", "-E", "aggregator=,"]);
    for field in fields {
        command.args(["-e", field]);
    }
    let output = command.output().ok()?;
    assert!(output.status.success(), "tshark {filter}: {output:?}");
    let text = String::from_utf8(output.stdout).expect("tshark writes UTF-8");
    Some(
        text.lines()
            .map(|line| {
                line.split('\t')
                    .map(|field| {
                        field
                            .split(',')
                            .filter(|v| !v.is_empty())
                            .map(str::to_string)
                            .collect()
                    })
                    .collect()
            })
            .collect(),
    )
}

/// A host name as portclass keeps them: lowercase letters, digits, `-` and
/// `_` in dot-separated labels, at most 253 characters, not an address.
fn host_name(name: &str) -> Option<String> {
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    let labels_ok = name.split('.').all(|label| {
        (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    });
    (labels_ok && name.len() <= 253 && name.parse::<IpAddr>().is_err()).then_some(name)
}

/// The address a reverse (PTR) question stands for.
fn reverse_address(name: &str) -> Option<IpAddr> {
    if let Some(digits) = name.strip_suffix(".in-addr.arpa") {
        let mut octets: Vec<&str> = digits.split('.').collect();
        octets.reverse();
        return octets.join(".").parse().ok();
    }
    let nibbles = name.strip_suffix(".ip6.arpa")?;
    let hex: String = nibbles.split('.').rev().collect();
    let groups: Vec<&str> = (0..8).filter_map(|i| hex.get(i * 4..i * 4 + 4)).collect();
    groups.join(":").parse().ok()
}

/// Every name tshark shows in `capture` that portclass reads: DNS
/// responses (UDP from 53 or 5353, TCP from 53), ClientHellos to TCP and
/// UDP 443, HTTP requests to TCP 80.
fn tshark_candidates(capture: &Path) -> Option<Vec<Candidate>> {
    let mut candidates = Vec::new();
    let dns = tshark_rows(
        capture,
        "dns.flags.response == 1 && dns.flags.rcode == 0 && dns.flags.opcode == 0 \
         && (udp.srcport == 53 || udp.srcport == 5353 || tcp.srcport == 53)",
        &[
            "frame.number",
            "dns.qry.name",
            "dns.count.answers",
            "dns.resp.name",
            "dns.resp.type",
            "dns.a",
            "dns.aaaa",
            "dns.cname",
            "dns.ptr.domain_name",
        ],
    )?;
    for row in dns {
        let field = |i: usize| row.get(i).cloned().unwrap_or_default();
        let frame: u64 = field(0)[0].parse().expect("frame number");
        let question = field(1).first().cloned();
        let answers: usize = field(2).first().map_or(0, |n| n.parse().expect("count"));
        let (owners, types) = (field(3), field(4));
        let (mut a, mut aaaa, mut cname, mut ptr) = (
            field(5).into_iter(),
            field(6).into_iter(),
            field(7).into_iter(),
            field(8).into_iter(),
        );
        // The names the addresses may be records of: the question's (or,
        // in multicast DNS, the first address record's owner), then each
        // CNAME target.
        let mut chain: Vec<String> = question.iter().map(|q| q.to_ascii_lowercase()).collect();
        for (i, (owner, kind)) in owners.iter().zip(&types).enumerate() {
            let owner = owner.to_ascii_lowercase();
            // Each record's data, in record order across every section.
            let data = match kind.as_str() {
                "1" => a.next(),
                "28" => aaaa.next(),
                "5" => cname.next(),
                "12" => ptr.next(),
                _ => None,
            };
            if i >= answers {
                continue;
            }
            if chain.is_empty() && (kind == "1" || kind == "28") {
                chain.push(owner.clone());
            }
            if !chain.contains(&owner) {
                continue;
            }
            let Some(data) = data else { continue };
            match kind.as_str() {
                "1" | "28" => {
                    if let (Some(name), Ok(address)) = (host_name(&chain[0]), data.parse()) {
                        candidates.push(Candidate {
                            address,
                            name,
                            source: "dns",
                            frame,
                        });
                    }
                }
                "5" => chain.push(data.to_ascii_lowercase()),
                "12" => {
                    let reverse = question.as_deref().and_then(reverse_address);
                    if let (Some(name), Some(address)) = (host_name(&data), reverse) {
                        candidates.push(Candidate {
                            address,
                            name,
                            source: "dns_ptr",
                            frame,
                        });
                    }
                }
                _ => {}
            }
        }
    }
    let destination = |row: &[Vec<String>]| -> IpAddr {
        let v4 = row.get(1).and_then(|f| f.first());
        let v6 = row.get(2).and_then(|f| f.first());
        v4.or(v6).expect("an address").parse().expect("an address")
    };
    let hellos = tshark_rows(
        capture,
        "tls.handshake.type == 1 && (tcp.dstport == 443 || udp.dstport == 443)",
        &[
            "frame.number",
            "ip.dst",
            "ipv6.dst",
            "tls.handshake.extensions_server_name",
            "udp.dstport",
        ],
    )?;
    for row in hellos {
        let Some(name) = row.get(3).and_then(|f| f.first()) else {
            continue;
        };
        if let Some(name) = host_name(name) {
            let quic = row.get(4).is_some_and(|f| !f.is_empty());
            candidates.push(Candidate {
                address: destination(&row),
                name,
                source: if quic { "quic_sni" } else { "tls_sni" },
                frame: row[0][0].parse().expect("frame number"),
            });
        }
    }
    let requests = tshark_rows(
        capture,
        "http.request && tcp.dstport == 80",
        &["frame.number", "ip.dst", "ipv6.dst", "http.host"],
    )?;
    for row in requests {
        let Some(host) = row.get(3).and_then(|f| f.first()) else {
            continue;
        };
        if host.starts_with('[') {
            continue;
        }
        let host = match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host.as_str(),
        };
        if let Some(name) = host_name(host) {
            candidates.push(Candidate {
                address: destination(&row),
                name,
                source: "http_host",
                frame: row[0][0].parse().expect("frame number"),
            });
        }
    }
    Some(candidates)
}

/// The name each address keeps by the precedence rule: the most trusted
/// source, then the first frame, then the first name alphabetically.
fn kept(candidates: &[Candidate]) -> BTreeMap<IpAddr, (String, String)> {
    let rank = |c: &Candidate| {
        let source = SOURCES.iter().position(|s| *s == c.source).expect("source");
        (source, c.frame, c.name.clone())
    };
    let mut best: BTreeMap<IpAddr, &Candidate> = BTreeMap::new();
    for c in candidates {
        let slot = best.entry(c.address).or_insert(c);
        if rank(c) < rank(slot) {
            *slot = c;
        }
    }
    best.into_iter()
        .map(|(address, c)| (address, (c.name.clone(), c.source.to_string())))
        .collect()
}

/// The `names` entries of a `read` or `report` document.
fn names_of(json: &Value) -> BTreeMap<IpAddr, (String, String)> {
    json["names"]["entries"]
        .as_array()
        .expect("names.entries")
        .iter()
        .map(|e| {
            (
                e["address"]
                    .as_str()
                    .expect("address")
                    .parse()
                    .expect("an address"),
                (
                    e["name"].as_str().expect("name").to_string(),
                    e["source"].as_str().expect("source").to_string(),
                ),
            )
        })
        .collect()
}

#[test]
fn the_sample_capture_names_the_addresses_tshark_decodes() {
    let sample = fixture("sample.pcapng");
    let json = read_json(&[&sample], &[]).assert_code(0).json();
    let names = names_of(&json);
    assert_eq!(json["names"]["approximate"], false);
    // Whatever tshark says, these are in the capture (fixtures/README.md):
    // the client resolved www.office.example before fetching it.
    let www = ("www.office.example".to_string(), "dns".to_string());
    for address in ["10.77.0.1", "fd77::1"] {
        let address: IpAddr = address.parse().expect("an address");
        assert_eq!(names.get(&address), Some(&www), "{address}");
    }
    let Some(candidates) = tshark_candidates(&sample) else {
        skipped("tshark is not installed: the names are not compared with its decoding");
        return;
    };
    assert_eq!(
        names,
        kept(&candidates),
        "tshark's candidates: {candidates:#?}"
    );
}

#[test]
fn names_show_beside_addresses_and_survive_threads_and_merge() {
    let sample = fixture("sample.pcapng");
    let one = read_json(&[&sample], &["--threads", "1"])
        .assert_code(0)
        .json();
    let three = read_json(&[&sample], &["--threads", "3"])
        .assert_code(0)
        .json();
    assert_eq!(one["names"], three["names"]);
    let names = names_of(&one);
    assert!(!names.is_empty());
    // Every server entry carries its address's name.
    for server in one["servers"]["entries"].as_array().expect("servers") {
        let address: IpAddr = server["address"]
            .as_str()
            .expect("address")
            .parse()
            .expect("ip");
        let expected = names.get(&address);
        assert_eq!(server["name"].as_str(), expected.map(|n| n.0.as_str()));
        assert_eq!(
            server["name_source"].as_str(),
            expected.map(|n| n.1.as_str())
        );
    }
    // The report's hosts and conversations, from the capture and from the
    // JSON summary read back.
    let dir = tempfile::tempdir().expect("temp dir");
    let saved = dir.path().join("sample.json");
    std::fs::write(&saved, &read_json(&[&sample], &[]).stdout).expect("write summary");
    for input in [&sample, &saved] {
        let report = portclass(&[
            "report".as_ref(),
            "--format".as_ref(),
            "json".as_ref(),
            input.as_os_str(),
        ])
        .assert_code(0)
        .json();
        assert_eq!(names_of(&report), names, "{}", input.display());
        let sections = &report["report"];
        if input == &saved {
            continue; // a read summary carries no hosts or conversations
        }
        for host in sections["hosts"]["entries"].as_array().expect("hosts") {
            let address: IpAddr = host["address"]
                .as_str()
                .expect("address")
                .parse()
                .expect("ip");
            assert_eq!(
                host["name"].as_str(),
                names.get(&address).map(|n| n.0.as_str())
            );
        }
        for c in sections["conversations"]["entries"]
            .as_array()
            .expect("conversations")
        {
            for side in ["client", "server"] {
                let address: IpAddr = c[side].as_str().expect("address").parse().expect("ip");
                assert_eq!(
                    c[format!("{side}_name")].as_str(),
                    names.get(&address).map(|n| n.0.as_str())
                );
            }
        }
    }
    // Merged twice over, the same names (the first sightings are the same).
    let merged = portclass(&["merge".as_ref(), saved.as_os_str(), saved.as_os_str()])
        .assert_code(0)
        .json();
    assert_eq!(merged["names"], one["names"]);
    // The text table says it beside the address.
    let text = portclass(&["read".as_ref(), sample.as_os_str()])
        .assert_code(0)
        .stdout_text();
    assert!(
        text.contains("10.77.0.1:80/tcp (www.office.example)"),
        "{text}"
    );
    assert!(text.contains("Names learnt from the traffic"), "{text}");
}

#[test]
fn a_summary_with_a_name_that_is_not_a_host_name_is_refused() {
    let sample = fixture("sample.pcapng");
    let mut json = read_json(&[&sample], &[]).assert_code(0).json();
    json["names"]["entries"][0]["name"] = Value::from("evil\u{1b}[2Jname");
    let dir = tempfile::tempdir().expect("temp dir");
    let saved = dir.path().join("bad.json");
    std::fs::write(&saved, json.to_string()).expect("write summary");
    let run = portclass(&["merge".as_ref(), saved.as_os_str()]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("not a lowercase host name"),
        "{}",
        run.stderr
    );
}

/// The fixture of names recorded between namespaces (a DNS server, HTTP
/// and TLS clients), when it is there, against its truth file.
/// portclass's name for a way of learning one, as the truth file writes it.
fn source_of_via(via: &str) -> &'static str {
    match via {
        "dns" => "dns",
        "ptr" => "dns_ptr",
        "http_host" => "http_host",
        "sni" => "tls_sni",
        "quic_sni" => "quic_sni",
        other => panic!("names.truth.json: unknown way `{other}`"),
    }
}

/// The precedence the README gives, strongest first.
const PRECEDENCE: [&str; 5] = ["dns", "tls_sni", "quic_sni", "http_host", "dns_ptr"];

/// fixtures/names.pcapng was recorded with a DNS server answering the names
/// clients then connected to over HTTP, TLS and QUIC; its truth file
/// (written by the recording script from what ran, checked against tshark)
/// lists every name each address can be learnt by, and how. portclass must
/// give each address one of those names, by the strongest way it was
/// learnt, name the servers with it, and name nothing else.
#[test]
fn the_names_fixture_gives_its_recorded_truth() {
    let capture = fixture("names.pcapng");
    let truth = read_json_file(&fixture("names.truth.json"));
    let json = read_json(&[&capture], &[]).assert_code(0).json();
    let names = names_of(&json);
    let mut expected = BTreeMap::new();
    for entry in truth["addresses"].as_array().expect("addresses") {
        let address: IpAddr = entry["address"].as_str().unwrap().parse().unwrap();
        let learnt: Vec<(String, &str)> = entry["learnt"]
            .as_array()
            .expect("learnt")
            .iter()
            .map(|l| {
                (
                    l["name"].as_str().unwrap().to_string(),
                    source_of_via(l["via"].as_str().unwrap()),
                )
            })
            .collect();
        if learnt.is_empty() {
            assert_eq!(
                names.get(&address),
                None,
                "{address}: nothing teaches a name"
            );
            continue;
        }
        let strongest = PRECEDENCE
            .iter()
            .find(|source| learnt.iter().any(|(_, s)| s == *source))
            .expect("a way");
        let (name, source) = names
            .get(&address)
            .unwrap_or_else(|| panic!("{address}: no name; the truth has {learnt:?}"));
        assert_eq!(source, strongest, "{address}: learnt by {learnt:?}");
        assert!(
            learnt.iter().any(|(n, s)| n == name && s == strongest),
            "{address}: {name} by {source}; the truth has {learnt:?}"
        );
        expected.insert(address, name.clone());
    }
    for entry in truth["looked_up_not_connected"]
        .as_array()
        .expect("looked up")
    {
        for address in entry["addresses"].as_array().unwrap() {
            let address: IpAddr = address.as_str().unwrap().parse().unwrap();
            let name = entry["name"].as_str().unwrap();
            assert_eq!(
                names.get(&address),
                Some(&(name.to_string(), "dns".to_string()))
            );
            expected.insert(address, name.to_string());
        }
    }
    for entry in truth["no_name"].as_array().expect("no_name") {
        let address: IpAddr = entry["address"].as_str().unwrap().parse().unwrap();
        assert_eq!(names.get(&address), None, "{address}: {}", entry["why"]);
    }
    assert_eq!(
        names.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "addresses named"
    );
    // Every server row carries its address's name.
    let servers = json["servers"]["entries"].as_array().expect("servers");
    assert!(!servers.is_empty());
    for server in servers {
        let address: IpAddr = server["address"].as_str().unwrap().parse().unwrap();
        assert_eq!(
            server["name"].as_str(),
            expected.get(&address).map(String::as_str),
            "server {address}"
        );
    }
}

/// `--no-names` learns nothing and counts the same.
#[test]
fn no_names_learns_nothing_and_counts_the_same() {
    let capture = fixture("names.pcapng");
    let with = read_json(&[&capture], &[]).assert_code(0).json();
    let without = read_json(&[&capture], &["--no-names"])
        .assert_code(0)
        .json();
    assert!(!names_of(&with).is_empty());
    assert!(names_of(&without).is_empty());
    assert_eq!(tally_part(&with), tally_part(&without));
    assert!(
        without["servers"]["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s.get("name").is_none())
    );
}
