//! Mutants of pcapng files, each with what reading it must give.

use super::pcap::MAX_CAPLEN;
use crate::batch::{Expect, Mutant};
use crate::common::udp_ipv4_frame;
use crate::support::*;

/// The blocks worth damaging: all of a small file; of a large one the
/// first few, every 50th and the last few.
fn chosen_blocks(p: &Pcapng) -> Vec<usize> {
    let n = p.blocks.len();
    if n <= 40 {
        return (0..n).collect();
    }
    let mut chosen: Vec<usize> = (0..5).chain((5..n).step_by(50)).chain(n - 3..n).collect();
    chosen.sort_unstable();
    chosen.dedup();
    chosen
}

/// Damage found in block `b`: the first section header cannot be read at
/// all; anywhere else, exactly the packets before the block are counted
/// (a fault between packets is reported at the next packet's number).
fn damage_in(p: &Pcapng, b: usize) -> Expect {
    if b == 0 {
        Expect::Failed
    } else {
        Expect::Partial {
            packets: p.packets_before(b),
            bytes: p.bytes_before(b),
        }
    }
}

fn complete(p: &Pcapng) -> Expect {
    Expect::Complete {
        packets: p.packets(),
        bytes: p.total_bytes(),
    }
}

/// Cut at block boundaries (a clean end) and inside blocks (damage).
pub fn cuts(name: &str, p: &Pcapng) -> Vec<Mutant> {
    let mut mutants = Vec::new();
    let n = p.blocks.len();
    let mut boundaries = chosen_blocks(p);
    boundaries.push(n);
    for &b in &boundaries {
        let at = p.blocks.get(b).map_or(p.data.len(), |x| x.start);
        let expect = if b == 0 {
            Expect::Failed
        } else {
            Expect::Complete {
                packets: p.packets_before(b),
                bytes: p.bytes_before(b),
            }
        };
        mutants.push(Mutant::new(
            format!("{name}.cut-at-{b}"),
            p.data[..at].to_vec(),
            expect,
        ));
    }
    for b in chosen_blocks(p) {
        let block = p.blocks[b];
        let len = block.end - block.start;
        let mut inside: Vec<usize> = [1, 4, 7, 8, 11, 12, 20, 27, 28, len / 2, len - 4, len - 1]
            .into_iter()
            .filter(|&o| o > 0 && o < len)
            .collect();
        inside.sort_unstable();
        inside.dedup();
        for o in inside {
            mutants.push(Mutant::new(
                format!("{name}.cut-in-{b}+{o}"),
                p.data[..block.start + o].to_vec(),
                damage_in(p, b),
            ));
        }
    }
    mutants
}

/// Block total lengths too small, unaligned, off by four, absurd, or
/// larger than the file; trailing lengths that do not match.
pub fn lengths(name: &str, p: &Pcapng) -> Vec<Mutant> {
    let mut mutants = Vec::new();
    for b in chosen_blocks(p) {
        let block = p.blocks[b];
        let len = (block.end - block.start) as u32;
        let values = [
            0,
            8,
            12,
            14,
            len - 4,
            len + 4,
            0x0400_0000,
            0x0810_0000,
            0xffff_fffc,
        ];
        for value in values {
            if value == len {
                continue;
            }
            mutants.push(Mutant::new(
                format!("{name}.len-{b}-{value:x}"),
                p.with_u32(block.start + 4, value),
                damage_in(p, b),
            ));
        }
        for trailer in [0, len + 4, len.swap_bytes()] {
            mutants.push(Mutant::new(
                format!("{name}.trailer-{b}-{trailer:x}"),
                p.with_u32(block.end - 4, trailer),
                damage_in(p, b),
            ));
        }
    }
    mutants
}

/// Options whose lengths run past their block, lie about their value, or
/// are too short for what they hold (damage), and well-formed ones (read).
pub fn options(name: &str, p: &Pcapng) -> Vec<Mutant> {
    let w = NgWriter { big: false };
    let mut mutants = Vec::new();
    let epbs = p.epbs();
    let chosen: Vec<usize> = [0, 1, epbs.len() / 2, epbs.len() - 1]
        .iter()
        .map(|&i| epbs[i])
        .collect();
    for b in chosen {
        let parts = epb_parts(p.block(b));
        let rebuilt = |options: Vec<u8>| {
            p.replacing(
                b,
                &w.epb_with_options(
                    parts.interface,
                    parts.ts_units,
                    &parts.frame,
                    parts.orig_len,
                    &options,
                ),
            )
        };
        let bad: [(&str, Vec<u8>); 6] = [
            ("comment-ffff", w.option(1, 0xffff, b"hardening")),
            ("comment-past-end", w.option(1, 13, b"hardening")),
            ("flags-3", w.option(2, 3, &[0, 0, 0])),
            ("dropcount-4", w.option(4, 4, &[0; 4])),
            ("custom-2", w.option(2988, 2, &[1, 2])),
            ("verdict-empty", w.option(7, 0, &[])),
        ];
        for (label, options) in bad {
            mutants.push(Mutant::new(
                format!("{name}.epb-option-{label}-{b}"),
                rebuilt(options),
                damage_in(p, b),
            ));
        }
        let mut good = w.option(1, 9, b"hardening");
        good.extend(w.option(2, 4, &[0; 4]));
        good.extend(w.option(4, 8, &[0; 8]));
        good.extend(w.option(0, 0, &[]));
        // Anything after opt_endofopt is ignored.
        good.extend(w.option(2, 3, &[0; 3]));
        mutants.push(Mutant::new(
            format!("{name}.epb-options-good-{b}"),
            rebuilt(good),
            complete(p),
        ));
    }
    // The first interface's and the section header's options.
    let idb = p.interfaces()[0];
    let idb_block = p.block(idb);
    let link_type = u16::from_le_bytes([idb_block[8], idb_block[9]]);
    let snaplen = le32(idb_block, 12);
    let idb_with = |options: Vec<u8>| p.replacing(idb, &w.idb(link_type, snaplen, &options));
    mutants.push(Mutant::new(
        format!("{name}.idb-option-ffff"),
        idb_with(w.option(2, 0xffff, b"eth0")),
        damage_in(p, idb),
    ));
    mutants.push(Mutant::new(
        format!("{name}.idb-filter-empty"),
        idb_with(w.option(11, 0, &[])),
        damage_in(p, idb),
    ));
    mutants.push(Mutant::new(
        format!("{name}.shb-option-ffff"),
        p.replacing(0, &w.shb(&w.option(4, 0xffff, b"x"))),
        Expect::Failed,
    ));
    mutants
}

/// Packets naming interfaces their section lacks; a second section in the
/// other byte order, well-formed (every packet read) or leaving the old
/// section's packets behind it (damage from there on).
pub fn interfaces_and_sections(name: &str, p: &Pcapng) -> Vec<Mutant> {
    let mut mutants = Vec::new();
    let interfaces = p.interfaces();
    let epbs = p.epbs();
    for &b in &[epbs[0], epbs[epbs.len() / 2], epbs[epbs.len() - 1]] {
        for id in [interfaces.len() as u32, 0xffff_ffff] {
            mutants.push(Mutant::new(
                format!("{name}.interface-{b}-{id:x}"),
                p.with_u32(p.blocks[b].start + EPB_INTERFACE, id),
                damage_in(p, b),
            ));
        }
    }
    let be = NgWriter { big: true };
    let frames: Vec<Vec<u8>> = (0..3)
        .map(|i| udp_ipv4_frame(40000 + i, 53, &[i as u8; 20]))
        .collect();
    let mut be_section = be.shb(&be.option(4, 10, b"hardening!"));
    be_section.extend(be.idb(1, 65535, &[]));
    let mut be_bytes = 0;
    for (i, frame) in frames.iter().enumerate() {
        let orig = frame.len() as u32 + 100;
        be_bytes += u64::from(orig);
        be_section.extend(be.epb(0, 1_735_689_600_000_000 + i as u64, frame, orig));
    }
    // The original section again: its header and interfaces, so the
    // packets after it are read as before.
    let mut again = p.block(0).to_vec();
    for &i in &interfaces {
        again.extend_from_slice(p.block(i));
    }
    for &b in &[epbs[0], epbs[epbs.len() / 2], epbs[epbs.len() - 1]] {
        let mut inserted = be_section.clone();
        inserted.extend_from_slice(&again);
        mutants.push(Mutant::new(
            format!("{name}.section-be-{b}"),
            p.inserting(b, &inserted),
            Expect::Complete {
                packets: p.packets() + frames.len() as u64,
                bytes: p.total_bytes() + be_bytes,
            },
        ));
        let before = Expect::AtLeast {
            packets: p.packets_before(b),
            bytes: p.bytes_before(b),
        };
        mutants.push(Mutant::new(
            format!("{name}.section-be-alone-{b}"),
            p.inserting(b, &be.shb(&[])),
            before,
        ));
        let mut header_and_interface = be.shb(&[]);
        header_and_interface.extend(be.idb(1, 65535, &[]));
        mutants.push(Mutant::new(
            format!("{name}.section-be-idb-{b}"),
            p.inserting(b, &header_and_interface),
            before,
        ));
    }
    // A well-formed big-endian section at the very end.
    mutants.push(Mutant::new(
        format!("{name}.section-be-end"),
        p.inserting(p.blocks.len(), &be_section),
        Expect::Complete {
            packets: p.packets() + frames.len() as u64,
            bytes: p.total_bytes() + be_bytes,
        },
    ));
    mutants
}

/// Files built from scratch: packets of the largest captured length (read)
/// and one byte more (damage), empty packets, Simple Packet Blocks.
pub fn synthetic() -> Vec<Mutant> {
    let mut mutants = Vec::new();
    for big in [false, true] {
        let w = NgWriter { big };
        let order = if big { "be" } else { "le" };
        let mut head = w.shb(&[]);
        head.extend(w.idb(1, 0, &[]));
        let small = udp_ipv4_frame(40000, 53, b"small");
        for size in [MAX_CAPLEN, MAX_CAPLEN + 1] {
            let mut frame = udp_ipv4_frame(40000, 53, &[0x55; 1400]);
            frame.resize(size as usize, 0xaa);
            let mut file = head.clone();
            file.extend(w.epb(0, 1, &small, small.len() as u32));
            file.extend(w.epb(0, 2, &frame, size));
            file.extend(w.epb(0, 3, &small, small.len() as u32));
            let one = small.len() as u64;
            let expect = if size == MAX_CAPLEN {
                Expect::Complete {
                    packets: 3,
                    bytes: 2 * one + u64::from(size),
                }
            } else {
                Expect::Partial {
                    packets: 1,
                    bytes: one,
                }
            };
            mutants.push(Mutant::new(
                format!("largest-epb-{size}-{order}.pcapng"),
                file,
                expect,
            ));
            let mut file = head.clone();
            file.extend(w.spb(&small, small.len() as u32));
            file.extend(w.spb(&frame, size));
            mutants.push(Mutant::new(
                format!("largest-spb-{size}-{order}.pcapng"),
                file,
                if size == MAX_CAPLEN {
                    Expect::Complete {
                        packets: 2,
                        bytes: one + u64::from(size),
                    }
                } else {
                    Expect::Partial {
                        packets: 1,
                        bytes: one,
                    }
                },
            ));
        }
        let mut empty = head.clone();
        empty.extend(w.epb(0, 1, &[], 0));
        empty.extend(w.epb(0, 2, &[], 60));
        empty.extend(w.spb(&[], 0));
        mutants.push(Mutant::new(
            format!("empty-packets-{order}.pcapng"),
            empty,
            Expect::Complete {
                packets: 3,
                bytes: 60,
            },
        ));
        // An SPB before any interface, and a packet with no interface at all.
        let mut no_interface = w.shb(&[]);
        no_interface.extend(w.spb(&small, small.len() as u32));
        mutants.push(Mutant::new(
            format!("spb-without-interface-{order}.pcapng"),
            no_interface,
            Expect::Partial {
                packets: 0,
                bytes: 0,
            },
        ));
        // Link types no decoder knows, and a non-zero reserved field.
        let mut odd = w.shb(&[]);
        for link_type in [0xffff, 147, 285] {
            odd.extend(w.idb(link_type, 65535, &[]));
        }
        for i in 0..3 {
            odd.extend(w.epb(i, 1, &small, small.len() as u32));
        }
        mutants.push(Mutant::new(
            format!("odd-link-types-{order}.pcapng"),
            odd,
            Expect::Complete {
                packets: 3,
                bytes: 3 * small.len() as u64,
            },
        ));
    }
    mutants
}

/// A file of interfaces with the given `if_tsresol`/`if_tsoffset` options
/// and one packet per (interface, raw time stamp).
fn stamped(interfaces: &[Vec<u8>], packets: &[(u32, u64)]) -> Vec<u8> {
    let w = NgWriter { big: false };
    let frame = udp_ipv4_frame(40000, 123, b"time");
    let mut file = w.shb(&[]);
    for options in interfaces {
        let mut options = options.clone();
        if !options.is_empty() {
            options.extend(w.option(0, 0, &[]));
        }
        file.extend(w.idb(1, 65535, &options));
    }
    for &(interface, ts) in packets {
        file.extend(w.epb(interface, ts, &frame, frame.len() as u32));
    }
    file
}

/// Time stamps backwards, zero, the largest 64-bit value, and interfaces
/// whose resolution is odd (2⁻⁶³ s, 10⁻¹⁹ s, an exponent too large to
/// represent, whole seconds).
pub fn timestamps() -> Vec<Mutant> {
    let w = NgWriter { big: false };
    let frame_len = udp_ipv4_frame(40000, 123, b"time").len() as u64;
    let micros =
        |units: u64| -> i64 { i64::try_from(units.saturating_mul(1_000)).unwrap_or(i64::MAX) };
    let mut mutants = Vec::new();
    let cases: [(&str, Vec<u64>); 3] = [
        (
            "backwards",
            (0..20)
                .map(|i| 1_800_000_000_000_000 - i * 7_777_777)
                .collect(),
        ),
        (
            "zero-and-max",
            vec![5, 0, u64::MAX, 1 << 63, u64::MAX - 1, 3],
        ),
        ("top-bits", vec![1 << 62, 1 << 40, (1 << 62) + 1, 1]),
    ];
    for (label, stamps) in cases {
        let packets: Vec<(u32, u64)> = stamps.iter().map(|&t| (0, t)).collect();
        let nanos: Vec<i64> = stamps.iter().map(|&t| micros(t)).collect();
        let span = Some((
            *nanos.iter().min().expect("stamps"),
            *nanos.iter().max().expect("stamps"),
        ));
        mutants.push(
            Mutant::new(
                format!("ts-{label}.pcapng"),
                stamped(&[vec![]], &packets),
                Expect::Complete {
                    packets: stamps.len() as u64,
                    bytes: stamps.len() as u64 * frame_len,
                },
            )
            .span(span),
        );
    }
    let resolutions: [(&str, u8); 6] = [
        ("pow2-63", 0x80 | 63),
        ("pow2-127", 0xff),
        ("pow10-19", 19),
        ("pow10-127", 0x7f),
        ("seconds", 0),
        ("nanos", 9),
    ];
    for (label, resolution) in resolutions {
        let interfaces = vec![w.option(9, 1, &[resolution])];
        let packets = [(0, 0), (0, u64::MAX), (0, 1_735_689_600), (0, 1 << 63)];
        mutants.push(Mutant::new(
            format!("ts-resolution-{label}.pcapng"),
            stamped(&interfaces, &packets),
            Expect::Complete {
                packets: 4,
                bytes: 4 * frame_len,
            },
        ));
    }
    // Positive offsets, and an offset option of the wrong length (ignored,
    // as tshark does).
    let interfaces = vec![
        w.option(14, 8, &(1_000_000_000i64).to_le_bytes()),
        w.option(14, 8, &(4_000_000_000i64).to_le_bytes()),
        w.option(14, 4, &[0xff; 4]),
    ];
    mutants.push(Mutant::new(
        "ts-offsets.pcapng",
        stamped(
            &interfaces,
            &[(0, 0), (1, 1 << 40), (2, 5), (1, 5_000_000_000_000)],
        ),
        Expect::Complete {
            packets: 4,
            bytes: 4 * frame_len,
        },
    ));
    mutants
}

/// A negative `if_tsoffset`: packets before 1970 (and before 1823, where
/// the time series stops telling instants apart). Read on its own: with
/// the far-future stamps of [`timestamps`] in the same run the span passes
/// 292 years (see [`span_beyond_i64`]).
pub fn before_1970() -> Vec<Mutant> {
    let w = NgWriter { big: false };
    let frame_len = udp_ipv4_frame(40000, 123, b"time").len() as u64;
    let interfaces = vec![
        w.option(14, 8, &(-1_000_000_000i64).to_le_bytes()),
        w.option(14, 8, &(-6_000_000_000i64).to_le_bytes()),
    ];
    let packets = [
        (0, 0),
        (1, 1 << 40),
        (0, 5),
        (1, 0),
        (0, 1_735_689_600_000_000),
    ];
    let span = Some((-6_000_000_000_000_000_000, 735_689_600_000_000_000));
    vec![
        Mutant::new(
            "ts-before-1970.pcapng",
            stamped(&interfaces, &packets),
            Expect::Complete {
                packets: 5,
                bytes: 5 * frame_len,
            },
        )
        .span(span),
    ]
}

/// Interfaces whose `if_tsoffset` puts their packets at either end of the
/// i64 nanosecond range (1677 and 2262): more than 292 years apart.
pub fn span_beyond_i64() -> Vec<Mutant> {
    let w = NgWriter { big: false };
    let frame_len = udp_ipv4_frame(40000, 123, b"time").len() as u64;
    let mut mutants = Vec::new();
    for (label, early, late) in [
        ("ends", i64::MIN / 1_000_000_000 - 10, 0i64),
        ("wide", -9_000_000_000, 0),
    ] {
        let interfaces = vec![
            w.option(14, 8, &early.to_le_bytes()),
            w.option(14, 8, &late.to_le_bytes()),
            [w.option(9, 1, &[9]), w.option(14, 8, &late.to_le_bytes())].concat(),
        ];
        let packets = [(0, 0), (1, 5), (2, u64::MAX), (1, 200_000_000_000_000_000)];
        mutants.push(Mutant::new(
            format!("ts-span-{label}.pcapng"),
            stamped(&interfaces, &packets),
            Expect::Complete {
                packets: 4,
                bytes: 4 * frame_len,
            },
        ));
    }
    mutants
}
