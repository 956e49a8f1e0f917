//! Random damage: byte flips in real captures, random bytes with and
//! without a valid file header, random frames in valid files, cut and
//! corrupted gzip streams.

use super::{Base, BaseKind, Span};
use crate::batch::{Expect, Mutant};
use crate::common::decompress_prefix;
use crate::support::*;

/// The span holding byte `at`.
fn span_at(spans: &[Span], at: usize) -> Span {
    *spans
        .iter()
        .find(|s| s.start <= at && at < s.end)
        .unwrap_or_else(|| panic!("no record holds byte {at}"))
}

/// A byte of packet data (not headers, lengths, options or trailers) of
/// some record of `base`, or `None` if it has none.
fn data_byte(base: &Base, spans: &[Span], rng: &mut Rng) -> Option<usize> {
    let ranges: Vec<(usize, usize)> = spans
        .iter()
        .filter(|s| s.record.is_some())
        .map(|s| match &base.kind {
            BaseKind::Pcap(_) => (s.header_end, s.end),
            BaseKind::Pcapng(p) => {
                let b = s.record.expect("a packet block");
                let caplen = match p.blocks[b].block_type {
                    EPB | PB => le32(&p.data, s.start + EPB_CAPLEN) as usize,
                    _ => 0,
                };
                (s.header_end, s.header_end + caplen)
            }
        })
        .filter(|(a, b)| a < b)
        .collect();
    if ranges.is_empty() {
        return None;
    }
    let (a, b) = *rng.pick(&ranges);
    Some(rng.between(a, b - 1))
}

/// `count` mutants, each with 1–8 random bytes XORed with random non-zero
/// values: a third anywhere in the file, a third in headers and fixed
/// fields (lengths, link types, interface ids, time stamps), a third in
/// packet data only. Damage in packet data is read whole; elsewhere, at
/// least the packets before the first damaged record are counted.
pub fn flips(bases: &[Base], count: usize, seed: u64) -> Vec<Mutant> {
    let mut rng = Rng::new(seed);
    let mut mutants = Vec::new();
    for i in 0..count {
        let base = &bases[i % bases.len()];
        let mut data = base.bytes();
        let spans = base.spans();
        let mode = ["anywhere", "headers", "data"][i % 3];
        let flips = rng.between(1, 8);
        let mut positions = Vec::new();
        for _ in 0..flips {
            let at = match mode {
                "anywhere" => rng.below(data.len()),
                "headers" => {
                    let span = *rng.pick(&spans);
                    rng.between(span.start, span.header_end - 1)
                }
                _ => match data_byte(base, &spans, &mut rng) {
                    Some(at) => at,
                    None => continue,
                },
            };
            data[at] ^= rng.nonzero_byte();
            positions.push(at);
        }
        let Some(&first) = positions.iter().min() else {
            continue;
        };
        let span = span_at(&spans, first);
        let (expect, may_change) = if mode == "data" {
            (base.complete(), false)
        } else {
            let is_pcap = matches!(base.kind, BaseKind::Pcap(_));
            (
                Expect::AtLeast {
                    packets: span.packets_before,
                    bytes: span.bytes_before,
                },
                is_pcap && span.record.is_none_or(|r| r < 3),
            )
        };
        mutants.push(
            Mutant::new(
                format!("{}.flip-{mode}-{i}-at-{first}", base.name),
                data,
                expect,
            )
            .variant_may_change(may_change),
        );
    }
    mutants
}

/// Link types the decoder knows, and some it does not.
const LINK_TYPES: [u16; 20] = [
    0, 1, 9, 10, 12, 14, 50, 101, 104, 105, 108, 113, 127, 192, 228, 229, 239, 276, 147, 0xfffe,
];

/// Raw-IP link types: frames start at the IP header.
fn raw_ip(link_type: u16) -> bool {
    matches!(link_type, 12 | 14 | 101 | 228 | 229)
}

/// A random frame for `link_type`: random bytes, or a real Ethernet frame
/// (without its Ethernet header for raw IP) cut short or with a few bytes
/// changed, so the decoder gets both noise and nearly valid headers.
fn random_frame(rng: &mut Rng, real: &[Vec<u8>], link_type: u16) -> Vec<u8> {
    match rng.below(3) {
        0 => {
            let len = rng.below(300);
            rng.bytes(len)
        }
        kind => {
            let mut frame = rng.pick(real).clone();
            if raw_ip(link_type) && frame.len() > 14 {
                frame.drain(..14);
            }
            if kind == 1 {
                let cut = rng.below(frame.len() + 1);
                frame.truncate(cut);
            } else {
                for _ in 0..rng.between(1, 4) {
                    if frame.is_empty() {
                        break;
                    }
                    let at = rng.below(frame.len());
                    frame[at] ^= rng.nonzero_byte();
                }
            }
            frame
        }
    }
}

/// Random bytes alone; random bytes after a valid pcap or pcapng header;
/// random bytes after a whole valid file; valid files of random frames for
/// every link type (each read whole).
pub fn garbage(bases: &[Base], seed: u64) -> Vec<Mutant> {
    let mut rng = Rng::new(seed);
    let mut mutants = Vec::new();
    for len in [
        0, 1, 2, 3, 4, 5, 8, 16, 23, 24, 25, 100, 1000, 4096, 65536, 300_000,
    ] {
        let data = loop {
            let data = rng.bytes(len);
            // Not by chance a gzip, zstd, pcap or pcapng magic.
            let start = data.get(..2).unwrap_or_default();
            if start != [0x1f, 0x8b]
                && start != [0x28, 0xb5]
                && start != [0xa1, 0xb2]
                && start != [0xd4, 0xc3]
                && start != [0x4d, 0x3c]
                && start != [0x0a, 0x0d]
            {
                break data;
            }
        };
        mutants.push(Mutant::new(format!("random-{len}"), data, Expect::Failed));
    }
    let mut real_frames = Vec::new();
    for base in bases {
        let data = base.bytes();
        let head = match &base.kind {
            BaseKind::Pcap(p) => {
                real_frames.extend(p.records.iter().map(|r| r[REC_HEADER..].to_vec()));
                24
            }
            BaseKind::Pcapng(p) => {
                // Up to the first packet: section header and interfaces.
                p.blocks
                    .iter()
                    .find(|b| b.is_packet())
                    .map_or(p.data.len(), |b| b.start)
            }
        };
        for j in 0..4 {
            let len = rng.between(1, 30_000);
            let mut file = data[..head].to_vec();
            file.extend(rng.bytes(len));
            mutants.push(
                Mutant::new(
                    format!("{}.header-then-random-{j}", base.name),
                    file,
                    Expect::AtLeast {
                        packets: 0,
                        bytes: 0,
                    },
                )
                .variant_may_change(true),
            );
        }
        for j in 0..2 {
            let len = rng.between(1, 5_000);
            let mut file = data.clone();
            file.extend(rng.bytes(len));
            mutants.push(Mutant::new(
                format!("{}.whole-then-random-{j}", base.name),
                file,
                Expect::AtLeast {
                    packets: base.packets(),
                    bytes: base.total_bytes(),
                },
            ));
        }
    }
    // Valid framing, random content: one pcap per link type (both byte
    // orders), one pcapng with every link type, some with FCS lengths.
    let template = Pcap::parse(&crate::common::fixture_bytes("dynamic-ports.pcap"));
    for (n, &link_type) in LINK_TYPES.iter().enumerate() {
        let mut p = template.like();
        p.set_header(PCAP_LINK_TYPE, u32::from(link_type));
        let mut bytes = 0;
        for i in 0..48u32 {
            let frame = random_frame(&mut rng, &real_frames, link_type);
            let orig = frame.len() as u32 + rng.below(64) as u32;
            bytes += u64::from(orig);
            let record = p.record(1_735_689_600 + i, i * 1000, &frame, orig);
            p.records.push(record);
        }
        let p = if n % 2 == 1 { p.swapped() } else { p };
        mutants.push(
            Mutant::new(
                format!("random-frames-{link_type}.pcap"),
                p.to_bytes(),
                Expect::Complete { packets: 48, bytes },
            )
            .link_type(link_type),
        );
    }
    for big in [false, true] {
        let w = NgWriter { big };
        let mut file = w.shb(&[]);
        for (i, &link_type) in LINK_TYPES.iter().enumerate() {
            let options = if i % 3 == 0 {
                [w.option(13, 1, &[32]), w.option(0, 0, &[])].concat()
            } else {
                Vec::new()
            };
            file.extend(w.idb(link_type, 0, &options));
        }
        let mut bytes = 0;
        for i in 0..400u64 {
            let interface = rng.below(LINK_TYPES.len());
            let frame = random_frame(&mut rng, &real_frames, LINK_TYPES[interface]);
            let orig = frame.len() as u32 + rng.below(64) as u32;
            bytes += u64::from(orig);
            file.extend(w.epb(interface as u32, 1_735_689_600_000_000 + i, &frame, orig));
        }
        mutants.push(Mutant::new(
            format!("random-frames-{}.pcapng", if big { "be" } else { "le" }),
            file,
            Expect::Complete {
                packets: 400,
                bytes,
            },
        ));
    }
    mutants
}

/// What the complete records of a decompressed prefix give: `None` when
/// the prefix is too short to hold the file's header (nothing readable),
/// else (packets, bytes).
fn prefix_counts(base: &Base, prefix: &[u8]) -> Option<(u64, u64)> {
    match &base.kind {
        BaseKind::Pcap(_) => {
            if prefix.len() < 24 {
                return None;
            }
            let p = Pcap::parse(prefix);
            Some((p.records.len() as u64, p.total_bytes()))
        }
        BaseKind::Pcapng(full) => {
            if prefix.len() < full.blocks[0].end {
                return None;
            }
            let p = Pcapng::parse(prefix);
            Some((p.packets(), p.total_bytes()))
        }
    }
}

/// gzip streams of a few bases cut at many places (at least the packets
/// whose records decompress whole are counted: exactly those) and with
/// bytes changed in the compressed data (anything but a crash) or in the
/// checksum and length trailer (every packet, then a fault).
///
/// Returns the mutants that must pass, and apart those that a known bug
/// fails: a classic pcap cut within its first three records (see
/// `gzip_pcap_cut_in_its_first_three_records_keeps_them`).
pub fn gzip_streams(bases: &[Base], seed: u64) -> (Vec<Mutant>, Vec<Mutant>) {
    let mut rng = Rng::new(seed);
    let chosen = [
        "dynamic-ports.pcap",
        "fragments.pcap",
        "truncated.pcap",
        "be-fragments.pcap",
        "ns-sctp.pcap",
        "linktypes.pcapng",
        "sample.pcapng",
    ];
    let (mut main, mut early) = (Vec::new(), Vec::new());
    for base in bases.iter().filter(|b| chosen.contains(&b.name.as_str())) {
        let data = base.bytes();
        let packed = crate::common::gzip(&data);
        let len = packed.len();
        let mut cuts: Vec<usize> = vec![10, 20, len - 8, len - 4, len - 1];
        cuts.extend((1..20).map(|i| len * i / 20));
        cuts.sort_unstable();
        cuts.dedup();
        for cut in cuts {
            let prefix = decompress_prefix(flate2::read::MultiGzDecoder::new(&packed[..cut]));
            assert!(data.starts_with(&prefix), "{}: prefix", base.name);
            let name = format!("{}.gz-cut-{cut}", base.name);
            let data = packed[..cut].to_vec();
            match prefix_counts(base, &prefix) {
                None => main.push(Mutant::new(name, data, Expect::Failed)),
                Some((packets, bytes)) => {
                    let mutant =
                        Mutant::new(name, data, Expect::PartialSomewhere { packets, bytes });
                    if matches!(base.kind, BaseKind::Pcap(_)) && packets < 3 {
                        early.push(mutant);
                    } else {
                        main.push(mutant);
                    }
                }
            }
        }
        for j in 0..6 {
            let mut data = packed.clone();
            let at = rng.between(10, len - 9);
            data[at] ^= rng.nonzero_byte();
            main.push(
                Mutant::new(
                    format!("{}.gz-flip-{j}-at-{at}", base.name),
                    data,
                    Expect::AtLeast {
                        packets: 0,
                        bytes: 0,
                    },
                )
                .variant_may_change(true),
            );
        }
        for (label, at) in [("crc", len - 8), ("size", len - 2)] {
            let mut data = packed.clone();
            data[at] ^= 0x5a;
            main.push(Mutant::new(
                format!("{}.gz-{label}", base.name),
                data,
                Expect::PartialSomewhere {
                    packets: base.packets(),
                    bytes: base.total_bytes(),
                },
            ));
        }
    }
    (main, early)
}
