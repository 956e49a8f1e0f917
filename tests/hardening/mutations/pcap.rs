//! Mutants of classic pcap files, each with what reading it must give.

use crate::batch::{Expect, Mutant};
use crate::common::udp_ipv4_frame;
use crate::support::*;

/// The largest captured length a record may claim (libpcap's and tshark's
/// limit, and portclass's `MAX_CAPTURED_LEN`).
pub const MAX_CAPLEN: u32 = 262_144;

/// Record `k` is among the first three, which tshark's variant guessing
/// looks at when reading a file.
fn early(k: usize) -> bool {
    k < 3
}

/// Damage right after record `k`.
fn partial(p: &Pcap, k: usize) -> Expect {
    Expect::Partial {
        packets: k as u64,
        bytes: p.bytes_before(k),
    }
}

/// Read whole.
fn complete(p: &Pcap) -> Expect {
    Expect::Complete {
        packets: p.records.len() as u64,
        bytes: p.total_bytes(),
    }
}

/// The file cut at every record boundary (a clean end: exactly the records
/// before it), and at offsets inside every record's header and data
/// (damage: exactly the records before it, and the message names the cut
/// record).
pub fn cuts(name: &str, p: &Pcap) -> Vec<Mutant> {
    let data = p.to_bytes();
    let offsets = p.offsets();
    let mut mutants = Vec::new();
    for (k, &at) in offsets.iter().enumerate() {
        mutants.push(Mutant::new(
            format!("{name}.cut-at-{k}"),
            data[..at].to_vec(),
            Expect::Complete {
                packets: k as u64,
                bytes: p.bytes_before(k),
            },
        ));
    }
    for k in 0..p.records.len() {
        let len = p.records[k].len();
        let mut inside: Vec<usize> = [1, 4, 8, 12, 15, 16, 17, 16 + (len - 16) / 2, len - 1]
            .into_iter()
            .filter(|&o| o > 0 && o < len)
            .collect();
        inside.dedup();
        for o in inside {
            mutants.push(
                Mutant::new(
                    format!("{name}.cut-in-{k}+{o}"),
                    data[..offsets[k] + o].to_vec(),
                    partial(p, k),
                )
                .variant_may_change(early(k)),
            );
        }
    }
    mutants
}

/// Record lengths: absurd captured lengths (damage at that record), an
/// original length below the captured one or zero (both read, as tshark
/// does), zero-length records (read).
pub fn lengths(name: &str, p: &Pcap) -> Vec<Mutant> {
    let n = p.records.len();
    let absurd = [0xffff_ffff, MAX_CAPLEN + 1, 1 << 31];
    let mut mutants = Vec::new();
    for k in 0..n {
        let values: Vec<u32> = if early(k) || k == n - 1 {
            absurd.to_vec()
        } else {
            vec![absurd[k % absurd.len()]]
        };
        for caplen in values {
            let mut m = p.clone();
            m.set(k, REC_CAPLEN, caplen);
            mutants.push(
                Mutant::new(
                    format!("{name}.caplen-{k}-{caplen:x}"),
                    m.to_bytes(),
                    partial(p, k),
                )
                .variant_may_change(early(k)),
            );
        }
    }
    // Original length below the captured length, and zero: in one record
    // past the first three, and in every record.
    for (label, orig) in [
        ("half", (|caplen: u32| caplen / 2) as fn(u32) -> u32),
        ("zero", |_| 0),
    ] {
        let mut one = p.clone();
        let k = 3;
        one.set(k, REC_ORIG_LEN, orig(one.field(k, REC_CAPLEN)));
        mutants.push(Mutant::new(
            format!("{name}.orig-{label}-{k}"),
            one.to_bytes(),
            complete(&one),
        ));
        let mut all = p.clone();
        for i in 0..n {
            all.set(i, REC_ORIG_LEN, orig(all.field(i, REC_CAPLEN)));
        }
        mutants.push(
            Mutant::new(
                format!("{name}.orig-{label}-all"),
                all.to_bytes(),
                complete(&all),
            )
            .variant_may_change(true),
        );
    }
    // Zero-length records (captured length 0; wire length 0 or 60) at the
    // start, in the middle and at the end.
    for at in [0, n / 2, n] {
        let mut m = p.clone();
        let (seconds, fraction) = (m.field(0, REC_SECONDS), m.field(0, REC_FRACTION));
        let empty = m.record(seconds, fraction, &[], 0);
        let empty_60 = m.record(seconds, fraction, &[], 60);
        m.records.insert(at, empty_60);
        m.records.insert(at, empty);
        // A record too short for a pseudo-header (SunATM's) is damage, as
        // tshark has it: the records before it are counted.
        let expect = if m.pseudo_header_len() == 0 {
            complete(&m)
        } else {
            partial(&m, at)
        };
        mutants.push(Mutant::new(
            format!("{name}.empty-records-at-{at}"),
            m.to_bytes(),
            expect,
        ));
    }
    mutants
}

/// A record of exactly the largest captured length (read), and one byte
/// more (damage), first and after four records, in a file whose snaplen
/// allows them.
pub fn largest_records(p: &Pcap) -> Vec<Mutant> {
    let mut base = p.clone();
    base.set_header(PCAP_SNAPLEN, MAX_CAPLEN);
    let mut mutants = Vec::new();
    for size in [MAX_CAPLEN, MAX_CAPLEN + 1] {
        let mut frame = udp_ipv4_frame(40000, 53, &[0x55; 1400]);
        frame.resize(size as usize, 0xaa);
        for at in [0, 4] {
            let mut m = base.clone();
            let record = m.record(1_735_689_600, 5, &frame, size);
            m.records.insert(at, record);
            let expect = if size == MAX_CAPLEN {
                complete(&m)
            } else {
                partial(&m, at)
            };
            for (order, file) in [("le", m.clone()), ("be", m.swapped())] {
                mutants.push(Mutant::new(
                    format!("largest-{size}-at-{at}-{order}.pcap"),
                    file.to_bytes(),
                    expect,
                ));
            }
        }
    }
    mutants
}

/// The header's link-type field set to types no decoder knows (every frame
/// read, as undecodable), to an FCS-length flag (read), and with reserved
/// bits set (refused, as libpcap and tshark do).
pub fn link_types(name: &str, p: &Pcap) -> Vec<Mutant> {
    let mut mutants = Vec::new();
    for field in [0xffff, 147, 285, 0xfffe, 0x1400_0001] {
        let mut m = p.clone();
        m.set_header(PCAP_LINK_TYPE, field);
        mutants.push(
            Mutant::new(
                format!("{name}.linktype-{field:x}"),
                m.to_bytes(),
                // The link type decides whether a pseudo-header is counted.
                complete(&m),
            )
            .link_type((field & 0xffff) as u16),
        );
    }
    for field in [0x0001_0001, 0x03ff_0001, 0x0200_ffff] {
        let mut m = p.clone();
        m.set_header(PCAP_LINK_TYPE, field);
        mutants.push(
            Mutant::new(
                format!("{name}.linktype-reserved-{field:x}"),
                m.to_bytes(),
                Expect::Failed,
            )
            .variant_may_change(true),
        );
    }
    mutants
}

/// Time stamps going backwards, at the ends of the 32-bit range, and with
/// a fraction of a second of a second or more: every record read, and the
/// first and last time stamps exactly the earliest and latest.
pub fn timestamps(name: &str, p: &Pcap) -> Vec<Mutant> {
    let n = p.records.len();
    let top_fraction = if p.nanos { 999_999_999 } else { 999_999 };
    let mut variants: Vec<(String, Pcap, bool)> = Vec::new();
    let mut backwards = p.clone();
    for i in 0..n {
        backwards.set(i, REC_SECONDS, 1_800_000_000 - 7 * i as u32);
    }
    variants.push(("backwards".into(), backwards, false));
    for (label, seconds, fraction) in [
        ("future", u32::MAX, top_fraction),
        ("epoch", 0, 0),
        ("fraction-1e6", 1_700_000_000, 1_000_000),
        ("fraction-1e9", 1_700_000_000, 1_000_000_000),
        ("fraction-max", u32::MAX, u32::MAX),
    ] {
        let mut m = p.clone();
        // Past the first three records: a fraction of a second or more looks
        // odd to the variant guessing.
        for k in [3, n - 1] {
            m.set(k, REC_SECONDS, seconds);
            m.set(k, REC_FRACTION, fraction);
        }
        variants.push((label.into(), m, false));
        let mut first = p.clone();
        first.set(0, REC_SECONDS, seconds);
        first.set(0, REC_FRACTION, fraction);
        variants.push((format!("{label}-first"), first, true));
    }
    variants
        .into_iter()
        .map(|(label, m, may_change)| {
            Mutant::new(format!("{name}.ts-{label}"), m.to_bytes(), complete(&m))
                .span(m.span())
                .variant_may_change(may_change)
        })
        .collect()
}

/// Damage in the first three records (absurd captured lengths, cuts inside
/// the record header) whose outcome on a file may depend on variant
/// guessing: on standard input it never does.
pub fn early_damage(name: &str, p: &Pcap) -> Vec<Mutant> {
    let data = p.to_bytes();
    let offsets = p.offsets();
    let mut mutants = Vec::new();
    for k in 0..3 {
        let mut m = p.clone();
        m.set(k, REC_CAPLEN, MAX_CAPLEN + 1);
        mutants.push(Mutant::new(
            format!("{name}.stdin-caplen-{k}"),
            m.to_bytes(),
            partial(p, k),
        ));
        for o in [4, 8, 12] {
            mutants.push(Mutant::new(
                format!("{name}.stdin-cut-in-{k}+{o}"),
                data[..offsets[k] + o].to_vec(),
                partial(p, k),
            ));
        }
    }
    mutants
}
