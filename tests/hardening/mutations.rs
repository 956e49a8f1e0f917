//! Damaged captures, made at test time from the project's fixtures: cut at
//! every record boundary and inside records, lengths made absurd, link
//! types bogus, time stamps backwards and out of range, blocks and options
//! of pcapng broken, a second section in the other byte order, random byte
//! flips, random garbage, cut and corrupted gzip streams. Every mutant is
//! deterministic (a seeded xorshift generator), and every run on one must
//! pass the checks of [`crate::batch`]: no crash, no hang, one clear line
//! per damaged file, and the packets before the damage still counted.

mod garbage;
mod pcap;
mod pcapng;

use crate::batch::*;
use crate::common::*;
use crate::support::*;

/// A capture the mutants are made from.
#[derive(Clone, Debug)]
pub struct Base {
    /// The fixture's name (or the derived file's).
    pub name: String,
    /// What it is.
    pub kind: BaseKind,
}

/// A base capture, taken apart.
#[derive(Clone, Debug)]
pub enum BaseKind {
    /// Classic pcap.
    Pcap(Pcap),
    /// pcapng.
    Pcapng(Pcapng),
}

impl Base {
    /// The file's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        match &self.kind {
            BaseKind::Pcap(p) => p.to_bytes(),
            BaseKind::Pcapng(p) => p.data.clone(),
        }
    }

    /// Packets in the whole file.
    pub fn packets(&self) -> u64 {
        match &self.kind {
            BaseKind::Pcap(p) => p.records.len() as u64,
            BaseKind::Pcapng(p) => p.packets(),
        }
    }

    /// Wire bytes of the whole file.
    pub fn total_bytes(&self) -> u64 {
        match &self.kind {
            BaseKind::Pcap(p) => p.total_bytes(),
            BaseKind::Pcapng(p) => p.total_bytes(),
        }
    }

    /// Reading the whole file.
    pub fn complete(&self) -> Expect {
        Expect::Complete {
            packets: self.packets(),
            bytes: self.total_bytes(),
        }
    }

    /// The records (pcap: after the file header; pcapng: every block) as
    /// (start, end, packets before, bytes before, is a packet).
    pub fn spans(&self) -> Vec<Span> {
        match &self.kind {
            BaseKind::Pcap(p) => {
                let offsets = p.offsets();
                let mut spans = vec![Span {
                    start: 0,
                    end: 24,
                    header_end: 24,
                    packets_before: 0,
                    bytes_before: 0,
                    record: None,
                }];
                for i in 0..p.records.len() {
                    spans.push(Span {
                        start: offsets[i],
                        end: offsets[i + 1],
                        header_end: offsets[i] + REC_HEADER,
                        packets_before: i as u64,
                        bytes_before: p.bytes_before(i),
                        record: Some(i),
                    });
                }
                spans
            }
            BaseKind::Pcapng(p) => (0..p.blocks.len())
                .map(|b| {
                    let block = p.blocks[b];
                    let fixed = match block.block_type {
                        EPB | PB => EPB_DATA,
                        SPB => 12,
                        IDB => 16,
                        SHB => 24,
                        _ => 8,
                    };
                    Span {
                        start: block.start,
                        end: block.end,
                        header_end: block.start + fixed,
                        packets_before: p.packets_before(b),
                        bytes_before: p.bytes_before(b),
                        record: block.is_packet().then_some(b),
                    }
                })
                .collect(),
        }
    }
}

/// Where one record (or block, or file header) of a base lies.
#[derive(Clone, Copy, Debug)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// Just past the last byte.
    pub end: usize,
    /// Just past its header and fixed fields (the rest is packet data,
    /// options and the trailer).
    pub header_end: usize,
    /// Packets before it.
    pub packets_before: u64,
    /// Their wire bytes.
    pub bytes_before: u64,
    /// Its index as a packet record (pcap: record number; pcapng: block
    /// number), `None` for headers and non-packet blocks.
    pub record: Option<usize>,
}

/// Fixtures with more packets than this are not made into mutants: every
/// mutant is a whole copy of its base, read to the end, so the 7,150-packet
/// `services-scan.pcapng` alone would double the time of these tests while
/// bringing no block or record layout the smaller dumpcap captures lack.
const MAX_BASE_PACKETS: u64 = 5_000;

/// Every capture fixture of at most [`MAX_BASE_PACKETS`] packets, and three
/// derived from them: a big-endian and a nanosecond pcap, and one of link
/// type raw IP.
pub fn bases() -> Vec<Base> {
    let mut bases: Vec<Base> = fixture_files()
        .iter()
        .map(|path| {
            let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let kind = if data.starts_with(&SHB.to_le_bytes()) {
                BaseKind::Pcapng(Pcapng::parse(&data))
            } else {
                let pcap = Pcap::parse(&data);
                assert_eq!(pcap.to_bytes(), data, "{}: trailing bytes", path.display());
                BaseKind::Pcap(pcap)
            };
            Base {
                name: file_name(path),
                kind,
            }
        })
        .filter(|base| {
            let small = base.packets() <= MAX_BASE_PACKETS;
            if !small {
                eprintln!(
                    "mutations: {} left out ({} packets > {MAX_BASE_PACKETS})",
                    base.name,
                    base.packets()
                );
            }
            small
        })
        .collect();
    let pcap_of = |name: &str| Pcap::parse(&fixture_bytes(name));
    for (name, pcap) in [
        ("be-fragments.pcap", pcap_of("fragments.pcap").swapped()),
        ("ns-sctp.pcap", pcap_of("sctp.pcap").in_nanoseconds()),
        (
            "raw-dynamic-ports.pcap",
            pcap_of("dynamic-ports.pcap").as_raw_ip(),
        ),
    ] {
        bases.push(Base {
            name: name.to_string(),
            kind: BaseKind::Pcap(pcap),
        });
    }
    for base in &bases {
        if let BaseKind::Pcap(p) = &base.kind {
            assert!(
                p.records.len() > 3,
                "{}: the checks assume more than three records",
                base.name
            );
        }
    }
    bases
}

/// The classic pcap bases.
pub fn pcap_bases() -> Vec<(String, Pcap)> {
    bases()
        .into_iter()
        .filter_map(|b| match b.kind {
            BaseKind::Pcap(p) => Some((b.name, p)),
            BaseKind::Pcapng(_) => None,
        })
        .collect()
}

/// The pcapng bases.
pub fn pcapng_bases() -> Vec<(String, Pcapng)> {
    bases()
        .into_iter()
        .filter_map(|b| match b.kind {
            BaseKind::Pcapng(p) => Some((b.name, p)),
            BaseKind::Pcap(_) => None,
        })
        .collect()
}

/// Runs and checks `mutants` in a fresh directory and prints what was seen.
fn run_and_check(what: &str, mutants: &[Mutant], report: bool) -> Seen {
    assert!(!mutants.is_empty(), "{what}: no mutants");
    let dir = tempfile::tempdir().expect("temp dir");
    let seen = check_mutants(dir.path(), mutants, report);
    eprintln!("{what}: {}", seen.describe());
    seen
}

#[test]
fn pcap_cut_at_every_record_boundary_and_inside_every_record() {
    let mutants: Vec<Mutant> = pcap_bases()
        .iter()
        .flat_map(|(name, p)| pcap::cuts(name, p))
        .collect();
    let seen = run_and_check("pcap cuts", &mutants, false);
    // Cuts at boundaries are clean ends; cuts inside every record are
    // damage.
    assert!(seen.statuses.get("complete").copied().unwrap_or(0) > 100);
    assert!(seen.statuses.get("partial").copied().unwrap_or(0) > 500);
}

#[test]
fn pcap_record_lengths_absurd_zero_and_the_largest() {
    let mut mutants: Vec<Mutant> = pcap_bases()
        .iter()
        .flat_map(|(name, p)| pcap::lengths(name, p))
        .collect();
    mutants.extend(pcap::largest_records(&Pcap::parse(&fixture_bytes(
        "dynamic-ports.pcap",
    ))));
    run_and_check("pcap lengths", &mutants, false);
}

#[test]
fn pcap_bogus_link_types_and_time_stamps_out_of_order_and_range() {
    let mut mutants = Vec::new();
    for (name, p) in pcap_bases() {
        mutants.extend(pcap::link_types(&name, &p));
        mutants.extend(pcap::timestamps(&name, &p));
    }
    run_and_check("pcap link types and time stamps", &mutants, true);
}

#[test]
fn pcapng_blocks_cut_lengths_trailers_options_interfaces_sections() {
    let mut mutants = Vec::new();
    for (name, p) in pcapng_bases() {
        mutants.extend(pcapng::cuts(&name, &p));
        mutants.extend(pcapng::lengths(&name, &p));
        mutants.extend(pcapng::options(&name, &p));
        mutants.extend(pcapng::interfaces_and_sections(&name, &p));
    }
    mutants.extend(pcapng::synthetic());
    let seen = run_and_check("pcapng", &mutants, false);
    assert!(seen.statuses.get("partial").copied().unwrap_or(0) > 200);
}

#[test]
fn pcapng_time_stamps_backwards_out_of_range_and_odd_resolutions() {
    run_and_check("pcapng time stamps", &pcapng::timestamps(), true);
    run_and_check("pcapng before 1970", &pcapng::before_1970(), true);
}

/// Found by this test: pcapng time stamps are clamped to the i64
/// nanosecond range (1677–2262), but the duration (last − first) is then
/// computed in i64 and overflows when the two are more than 292 years
/// apart, which an interface's `if_tsoffset` option (or a summary's
/// `first_timestamp_ns`) can make them. An unoptimised build panics
/// ("attempt to subtract with overflow", src/render/mod.rs in
/// `ReadView::new`, and src/render/report.rs for the peak); a release
/// build prints a negative `duration_seconds` (-1e-9).
#[test]
fn pcapng_time_span_of_more_than_292_years() {
    run_and_check("pcapng time span", &pcapng::span_beyond_i64(), true);
}

#[test]
fn random_byte_flips_in_headers_and_data() {
    let mutants = garbage::flips(&bases(), 240, 0x5eed_f11b);
    run_and_check("random flips", &mutants, true);
}

#[test]
fn random_garbage_and_random_frames() {
    let mutants = garbage::garbage(&bases(), 0x6a5b_a6e0);
    run_and_check("random garbage", &mutants, true);
}

#[test]
fn gzip_streams_cut_and_corrupted() {
    let (mutants, _) = garbage::gzip_streams(&bases(), 0x9219);
    let seen = run_and_check("gzip", &mutants, false);
    assert!(seen.statuses.get("partial").copied().unwrap_or(0) > 50);
}

/// Found by this test: a gzip-compressed classic pcap cut (or corrupted)
/// so that fewer than three complete records decompress is reported as
/// unreadable ("failed", 0 packets, exit 2, "… at byte offset 0"), though
/// the same bytes on standard input give "partial" with those records
/// counted, and an uncompressed file cut at the same place too. The lookahead that
/// guesses between old pcap variants (src/capture/classic.rs
/// `count_oddities`, run only for regular files) treats the decompressor's
/// error as fatal to opening the file.
#[test]
fn gzip_pcap_cut_in_its_first_three_records_keeps_them() {
    let (_, early) = garbage::gzip_streams(&bases(), 0x9219);
    run_and_check("gzip pcap cut early", &early, false);
}

#[test]
fn stdin_reads_damaged_pcap_without_guessing_variants() {
    // On a pipe no pcap variant is guessed, so damage in the first three
    // records never changes how the records before it are read: exactly
    // they are counted.
    let dir = tempfile::tempdir().expect("temp dir");
    let mut runs = 0;
    for (name, p) in pcap_bases() {
        for mutant in pcap::early_damage(&name, &p) {
            let path = write_file(dir.path(), &mutant.name, &mutant.data);
            let args = ["read", "--format", "json", "--no-system-services", "-"];
            let run = run_bounded(
                &args,
                Some(&path),
                RUN_TIMEOUT,
                &format!("portclass read - < {}", mutant.name),
            );
            let Expect::Partial { packets, bytes } = mutant.expect else {
                panic!("{}: expected damage", mutant.name)
            };
            run.assert_code(1);
            let lines = run.stderr_lines();
            assert_eq!(lines.len(), 1, "{}: {}", run.command, run.stderr);
            assert!(
                lines[0].starts_with("portclass: <stdin>: ")
                    && lines[0].contains(&format!("at packet {}", packets + 1)),
                "{}: {}",
                run.command,
                lines[0]
            );
            let json = run.json();
            assert_eq!(json["inputs"][0]["status"], "partial", "{}", run.command);
            assert_eq!(
                (u64_of(&json, "packets"), u64_of(&json, "bytes")),
                (packets, bytes),
                "{}",
                run.command
            );
            runs += 1;
        }
    }
    assert!(runs >= 50, "{runs} runs");
}

/// Found while comparing `report` with `read` on the mutants: the
/// top-level `link_types` of `read` (and `report`) JSON lists link types
/// in the order the worker threads happen to finish their inputs, so the
/// same command on the same files prints different JSON from run to run
/// (`read --threads 2 sample.pcapng raw-ip.pcap` gives `[1, 101]` or
/// `[101, 1]`). Each input's own entry in `inputs` is stable.
#[test]
fn link_types_order_does_not_depend_on_thread_timing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let raw = Pcap::parse(&fixture_bytes("dynamic-ports.pcap")).as_raw_ip();
    let raw = write_file(dir.path(), "raw-ip.pcap", &raw.to_bytes());
    let sample = fixture("sample.pcapng");
    let order = |threads: &str| -> Vec<u64> {
        let args = [
            "read".as_ref(),
            "--format".as_ref(),
            "json".as_ref(),
            "--threads".as_ref(),
            threads.as_ref(),
            sample.as_os_str(),
            raw.as_os_str(),
        ];
        let run = run_bounded(
            &args,
            None,
            RUN_TIMEOUT,
            &format!("read --threads {threads}"),
        );
        run.json()["link_types"]
            .as_array()
            .expect("link_types")
            .iter()
            .map(|t| u64_of(t, "linktype"))
            .collect()
    };
    let one_thread = order("1");
    for _ in 0..10 {
        assert_eq!(
            order("2"),
            one_thread,
            "link_types order with 2 threads vs 1"
        );
    }
}
