//! Every figure of the report's JSON checked against something independent
//! of the code that computed it: `read --format json` of the same inputs,
//! tshark's figures in `fixtures/expected/` (the `pairs` of ports, so the
//! directions and, summed by port pair, the conversations, under the static
//! port rule), the frames of the capture files themselves (hosts by
//! address, time buckets, the peak) and the fragments `fixtures/README.md`
//! documents. The snapshots in `rendered.rs` show these same figures.

use crate::common::*;
use crate::support::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The report JSON of the fixtures `names` (default `--top`).
fn report_of(names: &[&str]) -> Value {
    report_json(&fixtures(names))
}

/// The report JSON of the fixtures `names` with the static port rule only
/// (`--no-handshake`), the rule tshark's pairs are predicted with: a
/// handshake would name a conversation by its SYN's destination port
/// instead (tested in `tests/cli`).
fn static_report_of(names: &[&str]) -> Value {
    clean(report(&args(
        &["--format", "json", "--no-handshake"],
        &fixtures(names),
    )))
    .json()
}

/// The non-first fragments of a fixture, as `fixtures/README.md` lists its
/// frames: (frame index from 0, the service row of their first fragment,
/// whether they go to its server). The oracle's pairs have no ports for
/// them; the report attributes them to their first fragment's row.
fn attributed_fragments(name: &str) -> &'static [(usize, &'static str, bool)] {
    match name {
        // Frames 2-3: the IPv4 DNS answer 53 → 50053; 5-6: the IPv6 one
        // 53 → 50054; 8: the rest of the tiny TCP fragment 50080 → 80.
        // Frame 9's first fragment has no ports: not attributed.
        "fragments.pcap" => &[
            (1, "udp/53", false),
            (2, "udp/53", false),
            (4, "udp/53", false),
            (5, "udp/53", false),
            (7, "tcp/80", true),
        ],
        _ => &[],
    }
}

/// `2026-11-26T06:32:48.000000000Z` → nanoseconds since the epoch (the
/// inverse of the binary's formatting, written independently).
fn parse_rfc3339(text: &str) -> i64 {
    fn bad<T>(text: &str) -> T {
        panic!("not an RFC 3339 UTC timestamp with nanoseconds: {text:?}")
    }
    let number = |p: &str| -> i64 { p.parse().unwrap_or_else(|_| bad(text)) };
    let (date, time) = text.split_once('T').unwrap_or_else(|| bad(text));
    let time = time.strip_suffix('Z').unwrap_or_else(|| bad(text));
    let d: Vec<i64> = date.split('-').map(number).collect();
    let (hms, nanos) = time.split_once('.').unwrap_or_else(|| bad(text));
    assert_eq!(nanos.len(), 9, "nanoseconds in {text:?}");
    let t: Vec<i64> = hms.split(':').map(number).collect();
    let nanos = number(nanos);
    assert!(d.len() == 3 && t.len() == 3, "{text:?}");
    // Days from 1970-01-01 (Gregorian), month by month.
    let (year, month, day) = (d[0], d[1], d[2]);
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    assert!((1970..2200).contains(&year), "{text}");
    let mut days: i64 = (1970..year).map(|y| if leap(y) { 366 } else { 365 }).sum();
    for m in 1..month {
        days += month_days[(m - 1) as usize] + i64::from(m == 2 && leap(year));
    }
    days += day - 1;
    ((days * 86_400 + t[0] * 3_600 + t[1] * 60 + t[2]) * 1_000_000_000) + nanos
}

#[test]
fn timestamps_parse_back() {
    assert_eq!(parse_rfc3339("1970-01-01T00:00:00.000000001Z"), 1);
    assert_eq!(
        parse_rfc3339("2025-01-01T00:00:00.000000000Z"),
        1_735_689_600_000_000_000
    );
    assert_eq!(
        parse_rfc3339("2024-02-29T12:00:00.500000000Z"),
        1_709_208_000_500_000_000
    );
}

// ---------------------------------------------------------------------------
// What read says.

fn check_report_holds_read(names: &[&str]) {
    let paths = fixtures(names);
    let report = report_json(&paths);
    let read = read_json_of(&paths);
    assert_eq!(report["schema"], "portclass.report/2");
    assert_eq!(read["schema"], "portclass.read/2");
    let mut shared = without(&report, &["report"]);
    shared["schema"] = read["schema"].clone();
    assert_same_json(&format!("report {names:?} vs read"), &shared, &read);
}

#[test]
fn report_json_holds_every_field_of_read_json() {
    check_report_holds_read(&["sample.pcapng"]);
    check_report_holds_read(&["dynamic-ports.pcap"]);
    check_report_holds_read(&["fragments.pcap"]);
    check_report_holds_read(&["sample.pcapng", "dynamic-ports.pcap"]);
    check_report_holds_read(&["truncated.pcap", "linktypes.pcapng", "non-ip.pcap"]);
}

// ---------------------------------------------------------------------------
// Hosts, against the addresses in the frames.

fn host_figures(report: &Value) -> BTreeMap<String, [u64; 4]> {
    let hosts = &report["report"]["hosts"];
    assert_eq!(hosts["exact"], true, "a fixture has few hosts");
    assert_eq!(hosts["error_bound_bytes"], 0);
    hosts["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|h| {
            assert_eq!(h["overestimate_bytes"], 0, "exact summary: {h}");
            let f = |k: &str| u64_of(h, k);
            (
                h["address"].as_str().expect("address").to_string(),
                [
                    f("sent_packets"),
                    f("sent_bytes"),
                    f("received_packets"),
                    f("received_bytes"),
                ],
            )
        })
        .collect()
}

fn check_hosts(names: &[&str]) {
    let report = report_of(names);
    let data: Vec<Vec<u8>> = names.iter().map(|n| fixture_bytes(n)).collect();
    let frames: Vec<CapturedFrame<'_>> = data.iter().flat_map(|d| captured_frames(d)).collect();
    let expected = hosts_of_frames(&frames);
    assert_same_rows(
        &format!("hosts of {names:?} [sent_p, sent_b, recv_p, recv_b]"),
        &host_figures(&report),
        &expected,
    );
    // Largest first by sent + received bytes, then by address.
    let entries = report["report"]["hosts"]["entries"]
        .as_array()
        .expect("entries");
    let weight = |h: &Value| u64_of(h, "sent_bytes") + u64_of(h, "received_bytes");
    for pair in entries.windows(2) {
        assert!(
            weight(&pair[0]) >= weight(&pair[1]),
            "order: {} then {}",
            pair[0],
            pair[1]
        );
    }
    // The totals are every frame with an IP header, once each way.
    let (packets, bytes) = expected
        .values()
        .fold((0, 0), |(p, b), h| (p + h[0], b + h[1]));
    let totals = &report["report"]["hosts"]["totals"];
    for (key, want) in [
        ("sent_packets", packets),
        ("sent_bytes", bytes),
        ("received_packets", packets),
        ("received_bytes", bytes),
    ] {
        assert_eq!(u64_of(totals, key), want, "hosts.totals.{key} of {names:?}");
    }
}

#[test]
fn hosts_are_the_addresses_of_the_sample_frames() {
    check_hosts(&["sample.pcapng"]);
}

#[test]
fn hosts_are_the_addresses_of_the_dynamic_ports_frames() {
    check_hosts(&["dynamic-ports.pcap"]);
}

#[test]
fn hosts_of_two_captures_add_up() {
    check_hosts(&["sample.pcapng", "dynamic-ports.pcap"]);
}

#[test]
fn hosts_are_the_addresses_of_the_fragments_frames() {
    check_hosts(&["fragments.pcap"]);
}

// ---------------------------------------------------------------------------
// Directions and conversations, against tshark's port pairs.

/// `[to_server_packets, to_server_bytes, to_client_packets, to_client_bytes]`
type DirectionFigures = [u64; 4];

fn directions_from_pairs(pairs: &[Pair]) -> BTreeMap<String, DirectionFigures> {
    let ports: BTreeSet<u16> = pairs.iter().flat_map(|p| [p.src, p.dst]).collect();
    let known = KnownPorts::query(&ports, &NAME_FLAGS);
    let mut rows: BTreeMap<String, DirectionFigures> = BTreeMap::new();
    for p in pairs {
        let t = p.transport.as_str();
        let (key, to_server) = match naming_port(&known, t, p.src, p.dst) {
            Some(port) => (format!("{t}/{port}"), p.dst == port),
            // The dynamic row: the lower port is the server's.
            None => (format!("{t}/dynamic"), p.dst <= p.src),
        };
        let row = rows.entry(key).or_default();
        let at = if to_server { 0 } else { 2 };
        row[at] += p.packets;
        row[at + 1] += p.bytes;
    }
    rows
}

fn check_directions_and_conversations(names: &[&str]) {
    let report = static_report_of(names);
    let pairs: Vec<Pair> = names
        .iter()
        .flat_map(|n| oracle_pairs(&expected(n)))
        .collect();
    let mut expected_directions = directions_from_pairs(&pairs);
    let mut fragments = (0, 0);
    for name in names {
        let data = fixture_bytes(name);
        let frames = captured_frames(&data);
        for &(frame, key, to_server) in attributed_fragments(name) {
            let row = expected_directions.entry(key.to_string()).or_default();
            let at = if to_server { 0 } else { 2 };
            row[at] += 1;
            row[at + 1] += frames[frame].orig_len;
            fragments.0 += 1;
            fragments.1 += frames[frame].orig_len;
        }
    }
    let attributed = &report["fragments"]["attributed"];
    assert_eq!(
        (u64_of(attributed, "packets"), u64_of(attributed, "bytes")),
        fragments,
        "fragments of {names:?} attributed, as fixtures/README.md lists them"
    );

    let services = services(&report);
    let directions = report["report"]["service_directions"]
        .as_array()
        .expect("service_directions");
    assert_eq!(
        directions.len(),
        services.len(),
        "one direction row per service row"
    );
    let mut actual = BTreeMap::new();
    for (s, d) in services.iter().zip(directions) {
        assert_eq!(service_key(s), service_key(d), "same order as services");
        let f = |k: &str| u64_of(d, k);
        let figures = [
            f("to_server_packets"),
            f("to_server_bytes"),
            f("to_client_packets"),
            f("to_client_bytes"),
        ];
        assert_eq!(
            (figures[0] + figures[2], figures[1] + figures[3]),
            (u64_of(s, "packets"), u64_of(s, "bytes")),
            "directions of {} add up to its row",
            service_key(s)
        );
        actual.insert(service_key(s), figures);
    }
    assert_same_rows(
        &format!("service directions of {names:?}"),
        &actual,
        &expected_directions,
    );

    // Conversations summed by port pair are tshark's pairs, and the server
    // is the side whose port named the frames.
    let conversations = &report["report"]["conversations"];
    assert_eq!(conversations["exact"], true);
    let mut by_pair: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut expected_pairs: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for p in &pairs {
        let e = expected_pairs
            .entry(format!("{}/{}>{}", p.transport, p.src, p.dst))
            .or_default();
        e.0 += p.packets;
        e.1 += p.bytes;
    }
    let ports: BTreeSet<u16> = pairs.iter().flat_map(|p| [p.src, p.dst]).collect();
    let known = KnownPorts::query(&ports, &NAME_FLAGS);
    let mut totals = [0u64; 4];
    for c in conversations["entries"].as_array().expect("entries") {
        let t = c["transport"].as_str().expect("transport");
        let (cp, sp) = (u64_of(c, "client_port"), u64_of(c, "server_port"));
        let (cp16, sp16) = (cp as u16, sp as u16);
        match naming_port(&known, t, cp16, sp16) {
            Some(port) => assert_eq!(port, sp16, "server side of {c}"),
            None => assert!(sp <= cp, "dynamic row: the server has the lower port: {c}"),
        }
        for (key, packets, bytes) in [
            (
                format!("{t}/{cp}>{sp}"),
                "to_server_packets",
                "to_server_bytes",
            ),
            (
                format!("{t}/{sp}>{cp}"),
                "to_client_packets",
                "to_client_bytes",
            ),
        ] {
            if u64_of(c, packets) > 0 {
                let e = by_pair.entry(key).or_default();
                e.0 += u64_of(c, packets);
                e.1 += u64_of(c, bytes);
            }
        }
        for (i, k) in [
            "to_server_packets",
            "to_server_bytes",
            "to_client_packets",
            "to_client_bytes",
        ]
        .iter()
        .enumerate()
        {
            totals[i] += u64_of(c, k);
        }
    }
    assert_same_rows(
        &format!("conversations of {names:?} summed by port pair (packets, bytes)"),
        &by_pair,
        &expected_pairs,
    );
    let t = &conversations["totals"];
    assert_eq!(
        [
            u64_of(t, "to_server_packets"),
            u64_of(t, "to_server_bytes"),
            u64_of(t, "to_client_packets"),
            u64_of(t, "to_client_bytes"),
        ],
        totals,
        "conversations.totals are the sum of the rows"
    );
}

#[test]
fn directions_and_conversations_of_sample_are_tsharks_pairs() {
    check_directions_and_conversations(&["sample.pcapng"]);
}

#[test]
fn directions_and_conversations_of_dynamic_ports_are_tsharks_pairs() {
    check_directions_and_conversations(&["dynamic-ports.pcap"]);
}

#[test]
fn directions_and_conversations_of_fragments_are_tsharks_pairs() {
    check_directions_and_conversations(&["fragments.pcap"]);
}

#[test]
fn directions_and_conversations_of_two_captures_are_tsharks_pairs() {
    check_directions_and_conversations(&["sample.pcapng", "dynamic-ports.pcap"]);
}

// ---------------------------------------------------------------------------
// The time series and the peak, against the frames' timestamps.

fn check_time_series(names: &[&str]) {
    let report = report_of(names);
    let data: Vec<Vec<u8>> = names.iter().map(|n| fixture_bytes(n)).collect();
    let frames: Vec<CapturedFrame<'_>> = data.iter().flat_map(|d| captured_frames(d)).collect();
    let series = &report["report"]["timeseries"];
    let width = series["bucket_ns"].as_i64().expect("bucket_ns");
    assert_eq!(series["approximate"], false, "{names:?}");
    let mut expected: BTreeMap<i64, (u64, u64)> = BTreeMap::new();
    for f in &frames {
        let e = expected
            .entry(f.ts_ns.div_euclid(width) * width)
            .or_default();
        e.0 += 1;
        e.1 += f.orig_len;
    }
    let buckets = series["buckets"].as_array().expect("buckets");
    let mut actual = BTreeMap::new();
    let mut per_service: BTreeMap<String, u64> = BTreeMap::new();
    for (i, b) in buckets.iter().enumerate() {
        let start = b["start_ns"].as_i64().expect("start_ns");
        assert_eq!(
            parse_rfc3339(b["start"].as_str().expect("start")),
            start,
            "{b}"
        );
        if let Some(next) = buckets.get(i + 1) {
            assert_eq!(
                next["start_ns"].as_i64(),
                Some(start + width),
                "consecutive"
            );
        }
        let mut service_bytes = 0;
        for s in b["services"].as_array().expect("services") {
            service_bytes += u64_of(s, "bytes");
            *per_service.entry(service_key(s)).or_default() += u64_of(s, "bytes");
        }
        assert!(service_bytes <= u64_of(b, "bytes"), "{b}");
        assert_eq!(u64_of(b, "other_bytes"), 0, "{b}");
        if u64_of(b, "packets") > 0 {
            actual.insert(start, (u64_of(b, "packets"), u64_of(b, "bytes")));
        }
    }
    let first = expected.keys().next().copied();
    let last = expected.keys().next_back().copied();
    assert_eq!(buckets.first().and_then(|b| b["start_ns"].as_i64()), first);
    assert_eq!(buckets.last().and_then(|b| b["start_ns"].as_i64()), last);
    let as_rows = |m: &BTreeMap<i64, (u64, u64)>| -> BTreeMap<String, (u64, u64)> {
        m.iter().map(|(k, v)| (format!("{k:020}"), *v)).collect()
    };
    assert_same_rows(
        &format!("time buckets of {names:?} (packets, bytes)"),
        &as_rows(&actual),
        &as_rows(&expected),
    );
    // Each service's bytes over the buckets are its row's.
    let rows: BTreeMap<String, u64> = services(&report)
        .iter()
        .map(|s| (service_key(s), u64_of(s, "bytes")))
        .collect();
    assert_same_rows(
        &format!("service bytes over the buckets of {names:?}"),
        &per_service,
        &rows,
    );

    // The peak: the busiest second, aligned on whole seconds (or on the
    // buckets' width, when wider, or the smallest multiple of it that is
    // at least a second), first on ties; a capture shorter than that
    // window is its own window, its peak its average.
    let peak = &report["report"]["peak"];
    let peak_seconds = peak["bucket_seconds"].as_f64().expect("bucket_seconds");
    let peak_width = peak["bucket_ns"].as_i64().expect("bucket_ns");
    assert_eq!(peak_seconds, peak_width as f64 / 1e9, "{peak}");
    assert_eq!(
        parse_rfc3339(peak["start"].as_str().expect("start")),
        peak["start_ns"].as_i64().expect("start_ns"),
        "{peak}"
    );
    let window = if width >= 1_000_000_000 {
        width
    } else {
        (1_000_000_000 + width - 1) / width * width
    };
    let first = frames.iter().map(|f| f.ts_ns).min().expect("frames");
    let last = frames.iter().map(|f| f.ts_ns).max().expect("frames");
    if last - first < window {
        assert_eq!(peak_width, last - first, "{peak}");
        assert_eq!(u64_of(peak, "bytes"), u64_of(&report, "bytes"), "{peak}");
        assert_eq!(peak["start"], report["first_timestamp"], "{peak}");
        let average = report["average_bits_per_second"].as_f64().unwrap_or(0.0);
        let shown = peak["bits_per_second"].as_f64().expect("bits_per_second");
        assert!((shown - average).abs() <= average * 1e-9, "{peak}");
        return;
    }
    assert_eq!(peak_width, window, "{peak}");
    let mut wide: BTreeMap<i64, u64> = BTreeMap::new();
    for f in &frames {
        *wide
            .entry(f.ts_ns.div_euclid(peak_width) * peak_width)
            .or_default() += f.orig_len;
    }
    let (start, bytes) = wide
        .iter()
        .fold(None, |best: Option<(i64, u64)>, (&s, &b)| match best {
            Some((_, most)) if most >= b => best,
            _ => Some((s, b)),
        })
        .expect("frames");
    assert_eq!(
        parse_rfc3339(peak["start"].as_str().expect("start")),
        start,
        "{peak}"
    );
    assert_eq!(u64_of(peak, "bytes"), bytes, "{peak}");
    let rate = bytes as f64 * 8.0 / peak_seconds;
    let shown = peak["bits_per_second"].as_f64().expect("bits_per_second");
    assert!(
        (shown - rate).abs() <= rate * 1e-9,
        "{peak}: {rate} bit/s expected"
    );
}

#[test]
fn time_buckets_of_sample_hold_its_frames() {
    check_time_series(&["sample.pcapng"]);
}

#[test]
fn time_buckets_of_dynamic_ports_hold_its_frames() {
    check_time_series(&["dynamic-ports.pcap"]);
}

#[test]
fn time_buckets_of_fragments_hold_its_frames() {
    check_time_series(&["fragments.pcap"]);
}

#[test]
fn time_buckets_of_captures_years_apart_hold_their_frames() {
    check_time_series(&["sample.pcapng", "dynamic-ports.pcap"]);
}

#[test]
fn the_sample_peaks_at_1_2_mbit_s_in_its_busiest_second() {
    // Checked by hand with tshark (`-T fields -e frame.time_epoch -e
    // frame.len`, summed per whole second): 154,295 bytes in 241 frames
    // from 06:32:48 to 06:32:49, the next second 58,793.
    let peak = &report_of(&["sample.pcapng"])["report"]["peak"];
    assert_eq!(peak["start"], "2026-11-26T06:32:48.000000000Z");
    assert_eq!(peak["start_ns"], 1_795_674_768_000_000_000_i64);
    assert_eq!(peak["bytes"], 154_295);
    assert_eq!(peak["bucket_seconds"], 1.0);
    assert_eq!(peak["bucket_ns"], 1_000_000_000);
    assert_eq!(peak["bits_per_second"], 154_295.0 * 8.0);
}

#[test]
fn the_peak_rate_is_never_below_the_average_rate() {
    for name in ["sample.pcapng", "dynamic-ports.pcap", "fragments.pcap"] {
        let report = report_of(&[name]);
        let average = report["average_bits_per_second"].as_f64().expect("average");
        let peak = report["report"]["peak"]["bits_per_second"]
            .as_f64()
            .expect("peak");
        assert!(
            peak >= average * (1.0 - 1e-9),
            "{name}: peak {peak} bit/s below the average {average} bit/s"
        );
    }
}

// ---------------------------------------------------------------------------
// Port classes and unknown ports, against the service and port rows.

fn check_classes_and_unknown_ports(names: &[&str]) {
    let report = report_of(names);
    let total_bytes = u64_of(&report, "bytes");
    let mut classes: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    for s in services(&report) {
        let class = match s["port"].as_u64() {
            Some(p) if p <= 1023 => "well-known",
            Some(p) if p <= 49151 => "registered",
            _ => "dynamic",
        };
        let c = classes.entry(class.to_string()).or_default();
        c.0 += 1;
        c.1 += u64_of(s, "packets");
        c.2 += u64_of(s, "bytes");
    }
    let rows = report["report"]["port_classes"]
        .as_array()
        .expect("port_classes");
    let order: Vec<&str> = rows.iter().filter_map(|c| c["class"].as_str()).collect();
    assert_eq!(order, ["well-known", "registered", "dynamic"]);
    for row in rows {
        let class = row["class"].as_str().expect("class");
        let want = classes.get(class).copied().unwrap_or_default();
        assert_eq!(
            (
                u64_of(row, "services"),
                u64_of(row, "packets"),
                u64_of(row, "bytes")
            ),
            want,
            "port class {class} of {names:?}"
        );
        let share = row["share"].as_f64().expect("share");
        assert!(
            (share - want.2 as f64 / total_bytes as f64).abs() < 1e-12,
            "{row}"
        );
    }

    // Unknown ports are server ports: the inventory's servers whose port
    // the database does not name, summed per port (clients' ephemeral
    // ports never appear).
    let servers = report["servers"]["entries"].as_array().expect("servers");
    let numbers: BTreeSet<u16> = servers.iter().map(|p| u64_of(p, "port") as u16).collect();
    let known = KnownPorts::query(&numbers, &NAME_FLAGS);
    let mut per_port: BTreeMap<(String, u64), (u64, u64)> = BTreeMap::new();
    for server in servers {
        let transport = server["transport"].as_str().unwrap_or("?").to_string();
        let port = u64_of(server, "port");
        if known.contains(&transport, port as u16) {
            continue;
        }
        let row = per_port.entry((transport, port)).or_default();
        row.0 += u64_of(server, "to_server_packets") + u64_of(server, "from_server_packets");
        row.1 += u64_of(server, "to_server_bytes") + u64_of(server, "from_server_bytes");
    }
    let mut expected: Vec<(String, u64, u64, u64)> = per_port
        .into_iter()
        .map(|((transport, port), (packets, bytes))| (transport, port, packets, bytes))
        .collect();
    expected.sort_by(|a, b| b.3.cmp(&a.3).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
    let actual: Vec<(String, u64, u64, u64)> = report["report"]["unknown_ports"]
        .as_array()
        .expect("unknown_ports")
        .iter()
        .map(|p| {
            (
                p["transport"].as_str().unwrap_or("?").to_string(),
                u64_of(p, "port"),
                u64_of(p, "packets"),
                u64_of(p, "bytes"),
            )
        })
        .collect();
    assert_eq!(actual, expected, "unknown ports of {names:?}, in order");
}

#[test]
fn port_classes_and_unknown_ports_follow_the_rows() {
    check_classes_and_unknown_ports(&["sample.pcapng"]);
    check_classes_and_unknown_ports(&["dynamic-ports.pcap"]);
    check_classes_and_unknown_ports(&["fragments.pcap"]);
    check_classes_and_unknown_ports(&["sample.pcapng", "dynamic-ports.pcap"]);
}
