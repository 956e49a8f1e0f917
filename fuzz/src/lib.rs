//! What the fuzz targets do with their input, in one place: the cargo-fuzz
//! targets (`fuzz_targets/`) call these functions, and the main crate's
//! `tests/fuzz_regressions.rs` includes this file (`#[path]`) and runs every
//! input kept under `fuzz/regressions/` through the same code, so plain
//! `cargo test` replays every crash ever found. Only `portclass` and `std`
//! are used here, nothing of libFuzzer.
//!
//! Both functions panic only when portclass misbehaves: a panic inside
//! portclass, or a failed invariant (cheap checks of what must hold whatever
//! the bytes).

use portclass::capture::{CaptureReader, LinkType};
use portclass::classify::{NamingRule, PortDb};
use portclass::decode::{Category, DecodeOptions, DecodeProblem, PacketInfo, decode, decode_with};
use portclass::pipeline::scans::{ScanDetector, ScanSettings};
use portclass::pipeline::{Counted, FlowClassifier, FlowSettings, FragmentOutcome};
use portclass::tally::InputStatus;
use portclass::tally::report::ReportTally;
use portclass::tally::timeseries::{MAX_BUCKETS, TimeSeries};
use std::io::Cursor;
use std::net::IpAddr;
use std::sync::LazyLock;

/// The link types `decode` knows (and the pcapng custom-block marker), for
/// link-type selectors with the top bit set.
pub const DECODED_LINK_TYPES: [LinkType; 38] = [
    LinkType::NULL,
    LinkType::ETHERNET,
    LinkType::PPP,
    LinkType::FDDI,
    LinkType::RAW_12,
    LinkType::RAW_14,
    LinkType::PPP_HDLC,
    LinkType::RAW,
    LinkType::C_HDLC,
    LinkType::IEEE802_11,
    LinkType::LOOP,
    LinkType::LINUX_SLL,
    LinkType::IEEE802_11_RADIOTAP,
    LinkType::PPI,
    LinkType::IPV4,
    LinkType::IPV6,
    LinkType::NFLOG,
    LinkType::LINUX_SLL2,
    LinkType::IEEE802_15_4_WITHFCS,
    LinkType::IEEE802_15_4_NONASK_PHY,
    LinkType::IEEE802_15_4_NOFCS,
    LinkType::IEEE802_15_4_TAP,
    LinkType::DSA_TAG_BRCM,
    LinkType::DSA_TAG_BRCM_PREPEND,
    LinkType::DSA_TAG_DSA,
    LinkType::DSA_TAG_EDSA,
    LinkType::PCAPNG_CUSTOM_BLOCK,
    LinkType::ATM_RFC1483,
    LinkType::ATM_CLIP,
    LinkType::FRELAY,
    LinkType::SUNATM,
    LinkType::ARCNET_LINUX,
    LinkType::USER2,
    LinkType::JUNIPER_ETHER,
    LinkType::IPNET,
    LinkType::IPOIB,
    LinkType::PKTAP,
    // Not decoded: stands for every other value.
    LinkType(147),
];

/// Bytes before the frame in a decode input: link-type selector (2),
/// original length (4), FCS length (1).
pub const DECODE_HEADER_LEN: usize = 7;

/// A decode target input, split into `decode`'s arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeInput<'a> {
    /// The link type.
    pub link: LinkType,
    /// The original (wire) length.
    pub orig_len: u32,
    /// Trailing FCS bytes.
    pub fcs_len: u8,
    /// The captured bytes.
    pub data: &'a [u8],
}

impl DecodeInput<'_> {
    /// Splits a decode input: bytes 0–1 a big-endian link-type selector (top
    /// bit clear: the link type itself; set: its low byte picks one of
    /// [`DECODED_LINK_TYPES`]), 2–5 the big-endian original length, 6 the
    /// FCS length, the rest the frame. `None` when shorter than the header.
    pub fn parse(input: &[u8]) -> Option<DecodeInput<'_>> {
        let (header, data) = input.split_at_checked(DECODE_HEADER_LEN)?;
        let selector = u16::from_be_bytes([header[0], header[1]]);
        let link = if selector & 0x8000 == 0 {
            LinkType(selector)
        } else {
            DECODED_LINK_TYPES[usize::from(selector & 0xff) % DECODED_LINK_TYPES.len()]
        };
        Some(DecodeInput {
            link,
            orig_len: u32::from_be_bytes([header[2], header[3], header[4], header[5]]),
            fcs_len: header[6],
            data,
        })
    }

    /// The input that [`parse`](Self::parse) splits into `self` (for seeds).
    pub fn to_bytes(self) -> Vec<u8> {
        let selector = if self.link.0 & 0x8000 == 0 {
            self.link.0
        } else {
            let index = DECODED_LINK_TYPES
                .iter()
                .position(|&l| l == self.link)
                // Unrepresentable: falls back to "not decoded".
                .unwrap_or(DECODED_LINK_TYPES.len() - 1);
            0x8000 | index as u16
        };
        let mut bytes = Vec::with_capacity(DECODE_HEADER_LEN + self.data.len());
        bytes.extend_from_slice(&selector.to_be_bytes());
        bytes.extend_from_slice(&self.orig_len.to_be_bytes());
        bytes.push(self.fcs_len);
        bytes.extend_from_slice(self.data);
        bytes
    }
}

/// The decode target: one frame through `decode`, then its invariants.
pub fn fuzz_decode(input: &[u8]) {
    let Some(input) = DecodeInput::parse(input) else {
        return;
    };
    let info = decode(input.link, input.data, input.orig_len, input.fcs_len);
    check_packet(&info);
    if input.link == LinkType::PCAPNG_CUSTOM_BLOCK {
        assert_eq!(info.category, Category::NonIp, "custom block: {info:?}");
    }
    // Ethernet without FCS may take the fast path; behind a PPI header the
    // same frame goes through the general decoder. Both must agree.
    if input.link == LinkType::ETHERNET
        && input.fcs_len == 0
        && let Some(orig_len) = input.orig_len.checked_add(8)
    {
        let mut wrapped = Vec::with_capacity(8 + input.data.len());
        wrapped.extend_from_slice(&[0, 0, 8, 0, 1, 0, 0, 0]);
        wrapped.extend_from_slice(input.data);
        let general = decode(LinkType::PPI, &wrapped, orig_len, 0);
        assert_eq!(info, general, "fast path and general decoder disagree");
    }
    // With decap on (tunnels looked into): the same invariants, and a frame
    // not decapsulated summarised exactly as without.
    let decap = decode_with(
        input.link,
        input.data,
        input.orig_len,
        input.fcs_len,
        DecodeOptions { decap: true },
    );
    check_packet(&decap);
    if decap.tunnel.is_none() {
        assert_eq!(decap, info, "decap changed a frame without a tunnel");
    }
}

/// Invariants of every decoded frame.
pub fn check_packet(info: &PacketInfo) {
    if info.category.transport().is_some() {
        assert_eq!(info.problem, None, "ports and a problem: {info:?}");
    } else {
        assert_eq!((info.src_port, info.dst_port), (0, 0), "ports: {info:?}");
    }
    match info.problem {
        None => assert_ne!(info.category, Category::Truncated, "{info:?}"),
        Some(DecodeProblem::UnsupportedLinkType | DecodeProblem::LinkHeaderTruncated) => {
            assert_eq!(info.category, Category::NonIp, "{info:?}");
        }
        Some(DecodeProblem::PortsTruncated) => assert!(
            matches!(
                info.category,
                Category::Truncated | Category::OtherIp | Category::Fragment
            ),
            "{info:?}"
        ),
        Some(_) => assert!(
            matches!(info.category, Category::OtherIp | Category::Fragment),
            "{info:?}"
        ),
    }
    if info.category == Category::Truncated {
        assert_eq!(
            info.problem,
            Some(DecodeProblem::PortsTruncated),
            "{info:?}"
        );
    }
    if let Some((src, dst)) = info.addresses {
        assert_ne!(info.category, Category::NonIp, "{info:?}");
        assert_eq!(
            matches!(src, IpAddr::V4(_)),
            matches!(dst, IpAddr::V4(_)),
            "{info:?}"
        );
    }
}

/// Most frames the reader target reads from one input.
pub const MAX_FRAMES: u64 = 100_000;

/// The naming rule of the built-in port database, built once.
static RULE: LazyLock<NamingRule> = LazyLock::new(|| PortDb::builtin().naming_rule());

/// The reader target: `input` as a capture file (compressed or not),
/// every frame decoded, named and counted into a report tally (hosts,
/// conversations, time series) as `portclass report` does, then the
/// tally's invariants. Returns the frames read.
pub fn fuzz_reader(input: &[u8]) -> u64 {
    let rule = &*RULE;
    let mut reader = match CaptureReader::from_reader(Cursor::new(input.to_vec()), "fuzz") {
        Ok(reader) => reader,
        Err(error) => {
            let _ = error.to_string();
            return 0;
        }
    };
    let mut tally = ReportTally::new(None);
    // The whole stateful pipeline, tunnels opened: the classifier's tables
    // and the scan detector take whatever the input throws at them.
    let mut flow = FlowClassifier::new(rule, FlowSettings::default());
    let mut scans = ScanDetector::new(ScanSettings::default());
    let options = DecodeOptions { decap: true };
    let mut frames = 0;
    let mut with_addresses = 0;
    let mut ported = 0;
    let mut fragments_named_now = 0;
    let status = loop {
        if frames == MAX_FRAMES {
            break InputStatus::Complete;
        }
        match reader.next_frame() {
            Ok(Some(frame)) => {
                frames += 1;
                let plain = decode(frame.link_type, frame.data, frame.orig_len, frame.fcs_len);
                check_packet(&plain);
                let info = decode_with(
                    frame.link_type,
                    frame.data,
                    frame.orig_len,
                    frame.fcs_len,
                    options,
                );
                check_packet(&info);
                if info.tunnel.is_none() {
                    assert_eq!(info, plain, "decap changed a frame without a tunnel");
                }
                with_addresses += u64::from(info.addresses.is_some());
                let classified = flow.classify(&info, frame.orig_len, frame.ts_nanos);
                // A frame held until its conversation is answered gets its
                // row later (the sum of rows is checked at the end).
                assert_eq!(
                    classified.service.is_some(),
                    (info.transport_ports().is_some() && !classified.held)
                        || classified.fragment == FragmentOutcome::Attributed,
                    "a service row without ports or attribution"
                );
                assert!(!classified.held || info.transport_ports().is_some());
                ported += u64::from(info.transport_ports().is_some());
                fragments_named_now +=
                    u64::from(classified.fragment == FragmentOutcome::Attributed);
                scans.observe(&info, classified.event, frame.ts_nanos);
                tally.count(&Counted {
                    info: &info,
                    classified: &classified,
                    wire_len: frame.orig_len,
                    link_type: frame.link_type.0,
                    ts_nanos: frame.ts_nanos,
                });
                for resolved in flow.drain_resolved() {
                    tally.resolve(&resolved);
                }
            }
            Ok(None) => break InputStatus::Complete,
            Err(error) => break InputStatus::Partial(error.into()),
        }
    };
    assert_eq!(reader.frames_read(), frames);
    flow.finish();
    for resolved in flow.drain_resolved() {
        tally.resolve(&resolved);
    }
    let report = scans.finish();
    assert!(report.findings.len() <= portclass::pipeline::scans::MAX_FINDINGS);
    tally.base.add_scans(&report);
    let format = reader.format().to_string();
    tally
        .base
        .finish_input(0, "fuzz".to_owned(), format, status, None);
    check_tally(&tally, frames, with_addresses);
    // Every frame with ports is in one service row, and so is every
    // attributed fragment; every non-first fragment ends attributed or not.
    let fragments = tally.base.fragments();
    let in_rows: u64 = tally.base.services().map(|(_, c)| c.total.packets).sum();
    assert_eq!(in_rows, ported + fragments.attributed.packets);
    assert!(fragments.attributed.packets >= fragments_named_now);
    assert_eq!(
        fragments.attributed.packets + fragments.unattributed.packets,
        tally.base.category(Category::Fragment).packets,
        "a non-first fragment neither attributed nor unattributed"
    );
    frames
}

/// Invariants of a report tally that counted `frames` frames, of which
/// `with_addresses` had IP addresses.
fn check_tally(tally: &ReportTally, frames: u64, with_addresses: u64) {
    let total = tally.base.total();
    assert_eq!(total.packets, frames);
    let by_category: u64 = Category::ALL
        .iter()
        .map(|&c| tally.base.category(c).packets)
        .sum();
    assert_eq!(by_category, frames, "categories do not add up");
    let hosts = tally.hosts().total();
    assert_eq!(hosts.sent.packets, with_addresses);
    assert_eq!(hosts.received.packets, with_addresses);
    let series = tally.series();
    assert!(series.len() <= MAX_BUCKETS);
    let (packets, bytes) = series_totals(series);
    assert_eq!(packets, frames, "time series packets");
    assert_eq!(bytes, total.bytes, "time series bytes");
    let coarse = series.coarsened(60);
    assert!(coarse.len() <= 60);
    assert_eq!(series_totals(&coarse), (packets, bytes), "coarsened series");
    // (Only the series: merging whole tallies copies megabytes of port
    // counters, too slow per input.)
    let mut merged = TimeSeries::new(None);
    merged += series;
    assert_eq!(&merged, series, "series merged into an empty one");
}

fn series_totals(series: &TimeSeries) -> (u64, u64) {
    series.buckets().fold((0, 0), |(p, b), bucket| {
        (p + bucket.packets, b + bucket.bytes)
    })
}
