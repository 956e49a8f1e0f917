//! Tests of the whole reader: captures built byte by byte, damaged copies,
//! compression, files, and the shared corpus checked against tshark.

use std::io::Cursor;

use proptest::prelude::*;

use super::byte_order::Endian;
use super::testdata::*;
use super::*;

/// A frame copied out of the reader, for comparisons.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Owned {
    data: Vec<u8>,
    orig_len: u32,
    ts_nanos: i64,
    link_type: LinkType,
    fcs_len: u8,
}

impl Owned {
    fn new(data: &[u8], orig_len: u32, ts_nanos: i64, link_type: LinkType, fcs_len: u8) -> Owned {
        Owned {
            data: data.to_vec(),
            orig_len,
            ts_nanos,
            link_type,
            fcs_len,
        }
    }
}

fn open_bytes(bytes: Vec<u8>) -> Result<CaptureReader, CaptureError> {
    CaptureReader::from_reader(Cursor::new(bytes), "test")
}

/// All frames up to the end or the first error.
fn drain(reader: &mut CaptureReader) -> (Vec<Owned>, Option<CaptureError>) {
    let mut frames = Vec::new();
    loop {
        match reader.next_frame() {
            Ok(Some(f)) => frames.push(Owned::new(
                f.data,
                f.orig_len,
                f.ts_nanos,
                f.link_type,
                f.fcs_len,
            )),
            Ok(None) => return (frames, None),
            Err(err) => return (frames, Some(err)),
        }
    }
}

/// Opens and drains; an open error comes back with no frames.
fn read_all(bytes: Vec<u8>) -> (Vec<Owned>, Option<CaptureError>) {
    match open_bytes(bytes) {
        Ok(mut reader) => drain(&mut reader),
        Err(err) => (Vec::new(), Some(err)),
    }
}

fn read_ok(bytes: Vec<u8>) -> Vec<Owned> {
    let (frames, err) = read_all(bytes);
    assert!(err.is_none(), "unexpected error: {}", err.unwrap());
    frames
}

const SEC: i64 = 1_000_000_000;

// ---------------------------------------------------------------- pcap

/// (seconds, fraction, captured bytes, original length) of a pcap record.
type PcapRecord = (u32, u32, Vec<u8>, u32);

/// Three records of different sizes, one truncated by snaplen.
fn three_records(endian: Endian, magic: u32, link_field: u32) -> (Vec<u8>, Vec<PcapRecord>) {
    let records = vec![
        (1_600_000_000, 123_456, payload(60, 1), 60),
        (1_600_000_001, 999_999, payload(0, 2), 0),
        (4_000_000_000, 7, payload(1514, 3), 9000),
    ];
    let mut writer = PcapWriter::new(endian, magic, 65535, link_field);
    for (sec, fraction, data, orig) in &records {
        writer.record(*sec, *fraction, data, *orig);
    }
    (writer.out, records)
}

fn check_pcap(endian: Endian, magic: u32) {
    let (bytes, records) = three_records(endian, magic, 1);
    let mut reader = open_bytes(bytes).unwrap();
    assert_eq!(reader.link_types(), vec![LinkType::ETHERNET]);
    let nanos_per_fraction = if magic == MAGIC_NANOS { 1 } else { 1_000 };
    let (frames, err) = drain(&mut reader);
    assert!(err.is_none());
    let expected: Vec<Owned> = records
        .iter()
        .map(|(sec, fraction, data, orig)| {
            let ts = i64::from(*sec) * SEC + i64::from(*fraction) * nanos_per_fraction;
            Owned::new(data, *orig, ts, LinkType::ETHERNET, 0)
        })
        .collect();
    assert_eq!(frames, expected);
    assert_eq!(reader.frames_read(), 3);
    assert_eq!(
        reader.format(),
        CaptureFormat::Pcap {
            variant: match magic {
                MAGIC_NANOS => PcapVariant::Nanosecond,
                MAGIC_MODIFIED => PcapVariant::Modified,
                _ => PcapVariant::Standard,
            },
            nanos: magic == MAGIC_NANOS,
            modified: magic == MAGIC_MODIFIED,
            big_endian: endian == Endian::Big,
            version: (2, 4),
            snaplen: 65535,
            compression: Compression::None,
        }
    );
    // Fused after the end.
    assert!(reader.next_frame().unwrap().is_none());
}

#[test]
fn pcap_microseconds_little_endian() {
    check_pcap(Endian::Little, MAGIC_MICROS);
}

#[test]
fn pcap_microseconds_big_endian() {
    check_pcap(Endian::Big, MAGIC_MICROS);
}

#[test]
fn pcap_nanoseconds_both_byte_orders() {
    check_pcap(Endian::Little, MAGIC_NANOS);
    check_pcap(Endian::Big, MAGIC_NANOS);
}

#[test]
fn pcap_modified_both_byte_orders() {
    check_pcap(Endian::Little, MAGIC_MODIFIED);
    check_pcap(Endian::Big, MAGIC_MODIFIED);
}

#[test]
fn pcap_format_display() {
    let show = |endian, magic| {
        let (bytes, _) = three_records(endian, magic, 1);
        open_bytes(bytes).unwrap().format().to_string()
    };
    assert_eq!(
        show(Endian::Little, MAGIC_MICROS),
        "pcap (microseconds, little-endian)"
    );
    assert_eq!(
        show(Endian::Big, MAGIC_NANOS),
        "pcap (nanoseconds, big-endian)"
    );
    assert_eq!(
        show(Endian::Little, MAGIC_MODIFIED),
        "pcap (Kuznetzov-modified, microseconds, little-endian)"
    );
    let (bytes, _) = three_records(Endian::Little, MAGIC_MICROS, 1);
    let reader = open_bytes(gzip(&bytes)).unwrap();
    assert_eq!(
        reader.format().to_string(),
        "pcap (microseconds, little-endian), gzip-compressed"
    );
}

#[test]
fn pcap_link_type_field_fcs_bits() {
    // Bit 26 set: bits 28–31 give the FCS length in 16-bit words.
    for (field, link, fcs) in [
        (0x2400_0001, LinkType::ETHERNET, 4),
        (0x0400_0001, LinkType::ETHERNET, 0),
        (0xf400_0069, LinkType::IEEE802_11, 30),
        // FCS length without bit 26 means nothing; bit 27 is not reserved.
        (0x2000_0001, LinkType::ETHERNET, 0),
        (0x0800_0001, LinkType::ETHERNET, 0),
        (285, LinkType(285), 0),
    ] {
        let (bytes, _) = three_records(Endian::Little, MAGIC_MICROS, field);
        let frames = read_ok(bytes);
        assert_eq!(frames.len(), 3);
        assert!(
            frames
                .iter()
                .all(|f| f.link_type == link && f.fcs_len == fcs),
            "{field:#x}"
        );
    }
}

#[test]
fn pcap_keeps_captured_length_above_original_length() {
    let mut writer = PcapWriter::new(Endian::Little, MAGIC_MICROS, 10, 1);
    writer.record(1, 2, &payload(42, 0), 10);
    let frames = read_ok(writer.out);
    assert_eq!((frames[0].data.len(), frames[0].orig_len), (42, 10));
}

/// Original lengths of 2^31 and more are kept as recorded: tshark 4.0
/// clamps `frame.len` to 2^31-1 (and tcpdump calls such a header invalid),
/// so for these frames portclass's byte counts are the file's, not
/// tshark's.
#[test]
fn pcap_keeps_original_lengths_above_what_tshark_shows() {
    let lengths = [0x7fff_ffff, 0x8000_0000, u32::MAX];
    let mut writer = PcapWriter::new(Endian::Little, MAGIC_MICROS, 65_535, 1);
    for (i, &len) in lengths.iter().enumerate() {
        writer.record(1, i as u32, &payload(60, i as u8), len);
    }
    let frames = read_ok(writer.out);
    let read: Vec<u32> = frames.iter().map(|f| f.orig_len).collect();
    assert_eq!(read, lengths);
}

#[test]
fn header_only_pcap_is_valid_and_empty() {
    let writer = PcapWriter::new(Endian::Big, MAGIC_NANOS, 2000, 1);
    let mut reader = open_bytes(writer.out).unwrap();
    assert!(reader.next_frame().unwrap().is_none());
    assert_eq!(reader.frames_read(), 0);
    assert_eq!(reader.link_types(), vec![LinkType::ETHERNET]);
}

/// Frames of a file whose records have `header_len`-byte headers.
fn variant_file(magic: u32, header_len: usize) -> Vec<u8> {
    let mut writer = PcapWriter::new(Endian::Little, magic, 65535, 1);
    writer.extra_header = vec![0xee; header_len - 16];
    for i in 0..4u32 {
        writer.record(
            1_000 + i,
            500_000 + i,
            &payload(40 + i as usize, i as u8),
            60 + i,
        );
    }
    writer.out
}

#[test]
fn pcap_variants_are_guessed_like_tshark() {
    for (magic, header_len, variant) in [
        (MAGIC_MICROS, 16, PcapVariant::Standard),
        (MAGIC_MICROS, 20, PcapVariant::Nokia),
        (MAGIC_MICROS, 24, PcapVariant::RedHat61),
        (MAGIC_MODIFIED, 24, PcapVariant::Modified),
        (MAGIC_MODIFIED, 28, PcapVariant::Suse63),
    ] {
        let bytes = variant_file(magic, header_len);
        let mut reader = open_bytes(bytes.clone()).unwrap();
        assert!(matches!(reader.format(), CaptureFormat::Pcap { variant: v, .. } if v == variant));
        let (frames, err) = drain(&mut reader);
        assert!(err.is_none(), "{variant:?}: {}", err.unwrap());
        let lens: Vec<(usize, u32)> = frames.iter().map(|f| (f.data.len(), f.orig_len)).collect();
        assert_eq!(
            lens,
            vec![(40, 60), (41, 61), (42, 62), (43, 63)],
            "{variant:?}"
        );
        assert_eq!(frames[3].data, payload(43, 3));
        assert_eq!(frames[1].ts_nanos, 1_001 * SEC + 500_001_000);
        // On a pipe nothing is guessed: standard or 24-byte modified layout.
        let pipe_variant = CaptureReader::for_test(Cursor::new(bytes), 4096, false)
            .unwrap()
            .format();
        let expected = if magic == MAGIC_MODIFIED {
            PcapVariant::Modified
        } else {
            PcapVariant::Standard
        };
        assert!(matches!(pipe_variant, CaptureFormat::Pcap { variant: v, .. } if v == expected));
    }
}

#[test]
fn pcap_old_versions_swap_lengths() {
    // Before 2.3 the original length comes first; in 2.3, only when the
    // captured length would otherwise exceed it.
    for version in [(2, 0), (2, 2), (2, 3)] {
        let mut writer = PcapWriter::with_version(Endian::Big, MAGIC_NANOS, version, 65535, 1);
        writer.record_claiming(1, 2, 100, 40, &payload(40, 0));
        let frames = read_ok(writer.out);
        assert_eq!(
            (frames[0].data.len(), frames[0].orig_len),
            (40, 100),
            "{version:?}"
        );
    }
    let mut writer = PcapWriter::with_version(Endian::Big, MAGIC_NANOS, (2, 3), 65535, 1);
    writer.record_claiming(1, 2, 40, 100, &payload(40, 0));
    assert_eq!(read_ok(writer.out)[0].orig_len, 100);
}

#[test]
fn pcap_aix_variant() {
    // Version 2.2, interface type 6 (Ethernet), nanosecond time stamps,
    // lengths in pre-2.3 order.
    let mut writer = PcapWriter::with_version(Endian::Big, MAGIC_MICROS, (2, 2), 65535, 6);
    writer.record_claiming(7, 5, 60, 42, &payload(42, 0));
    let mut reader = open_bytes(writer.out).unwrap();
    assert!(matches!(
        reader.format(),
        CaptureFormat::Pcap {
            variant: PcapVariant::Aix,
            nanos: true,
            ..
        }
    ));
    assert_eq!(reader.link_types(), vec![LinkType::ETHERNET]);
    let (frames, _) = drain(&mut reader);
    assert_eq!(
        frames,
        vec![Owned::new(
            &payload(42, 0),
            60,
            7 * SEC + 5,
            LinkType::ETHERNET,
            0
        )]
    );
    // FDDI (type 15): 3 bytes of padding before each frame are dropped.
    let mut writer = PcapWriter::with_version(Endian::Big, MAGIC_MICROS, (2, 2), 65535, 15);
    writer.record_claiming(7, 5, 60, 23, &payload(23, 0));
    assert_eq!(
        read_ok(writer.out),
        vec![Owned::new(
            &payload(23, 0)[3..],
            57,
            7 * SEC + 5,
            LinkType::FDDI,
            0
        )]
    );
}

// ---------------------------------------------------------------- pcapng

const TS_MICROS: u64 = 1_600_000_000_123_456;
const TS_NANOS: u64 = 1_600_000_000_123_456_789;
const TS_BINARY: u64 = (1_600_000_000 << 20) | 12_345;

/// Two sections (the second in the other byte order) with interfaces of
/// four link types, every time stamp option, every packet block type and
/// blocks to skip; returns the file and the frames it holds.
fn two_sections(first: Endian) -> (Vec<u8>, Vec<Owned>) {
    let second = if first == Endian::Little {
        Endian::Big
    } else {
        Endian::Little
    };
    let e = first;
    let mut w = PcapngWriter::new(first);
    let mut expected = Vec::new();

    w.interface(1, 0, &[]);
    let mut ns_options = option(e, 2, b"eth1"); // if_name
    ns_options.extend(option(e, 9, &[9])); // if_tsresol 10^-9
    let offset = match e {
        Endian::Little => 100i64.to_le_bytes(),
        Endian::Big => 100i64.to_be_bytes(),
    };
    ns_options.extend(option(e, 14, &offset)); // if_tsoffset +100 s
    ns_options.extend(end_of_options());
    w.interface(101, 0, &ns_options);
    let mut binary_options = option(e, 9, &[0x80 | 20]); // 2^-20 s
    binary_options.extend(option(e, 13, &[32])); // if_fcslen: 32 bits
    w.interface(0, 64, &binary_options);

    w.enhanced_packet(0, TS_MICROS, &payload(60, 1), 60, &[]);
    expected.push(Owned::new(
        &payload(60, 1),
        60,
        TS_MICROS as i64 * 1_000,
        LinkType::ETHERNET,
        0,
    ));
    // A custom block: a frame for tshark, so for us too.
    w.block(0x4000_0bad, b"\0\0\x7e\xd9custom data");
    expected.push(Owned::new(
        b"custom data\0",
        12,
        0,
        LinkType::PCAPNG_CUSTOM_BLOCK,
        0,
    ));
    w.block(4, &[0; 16]); // name resolution block, skipped
    w.block(0x8000_0001, &[1; 7]); // unknown local block type, skipped
    w.enhanced_packet(1, TS_NANOS, &payload(41, 2), 1500, &[]);
    expected.push(Owned::new(
        &payload(41, 2),
        1500,
        TS_NANOS as i64 + 100 * SEC,
        LinkType::RAW,
        0,
    ));
    w.statistics(0);
    w.enhanced_packet(2, TS_BINARY, &payload(64, 3), 64, &[]);
    expected.push(Owned::new(
        &payload(64, 3),
        64,
        1_600_000_000 * SEC + 11_773_109,
        LinkType::NULL,
        4,
    ));
    w.packet(0, TS_MICROS + 1, &payload(3, 4), 3);
    expected.push(Owned::new(
        &payload(3, 4),
        3,
        (TS_MICROS as i64 + 1) * 1_000,
        LinkType::ETHERNET,
        0,
    ));
    let mut packet_options = option(e, 1, b"a comment");
    let flags = match e {
        Endian::Little => (2u32 << 5).to_le_bytes(),
        Endian::Big => (2u32 << 5).to_be_bytes(),
    };
    packet_options.extend(option(e, 2, &flags)); // epb_flags: FCS 2 bytes
    packet_options.extend(end_of_options());
    w.enhanced_packet(2, TS_BINARY, &payload(5, 5), 5, &packet_options);
    expected.push(Owned::new(
        &payload(5, 5),
        5,
        1_600_000_000 * SEC + 11_773_109,
        LinkType::NULL,
        2,
    ));

    // Second section: interfaces start again from 0.
    w.section(second, (1, 2), &option(second, 4, b"portclass tests"));
    w.interface(113, 20, &[]);
    w.simple_packet(50, &payload(20, 6)); // captured = snaplen 20
    expected.push(Owned::new(&payload(20, 6), 50, 0, LinkType::LINUX_SLL, 0));
    w.simple_packet(10, &payload(10, 7));
    expected.push(Owned::new(&payload(10, 7), 10, 0, LinkType::LINUX_SLL, 0));
    w.enhanced_packet(0, TS_MICROS, &payload(20, 8), 20, &[]);
    expected.push(Owned::new(
        &payload(20, 8),
        20,
        TS_MICROS as i64 * 1_000,
        LinkType::LINUX_SLL,
        0,
    ));
    (w.out, expected)
}

fn check_two_sections(first: Endian) {
    let (bytes, expected) = two_sections(first);
    let mut reader = open_bytes(bytes).unwrap();
    // The interfaces before the first packet are known at open.
    assert_eq!(
        reader.link_types(),
        vec![LinkType::ETHERNET, LinkType::RAW, LinkType::NULL]
    );
    let (frames, err) = drain(&mut reader);
    assert!(err.is_none(), "{}", err.unwrap());
    assert_eq!(frames, expected);
    assert_eq!(
        reader.link_types(),
        vec![
            LinkType::ETHERNET,
            LinkType::RAW,
            LinkType::NULL,
            LinkType::LINUX_SLL
        ]
    );
    assert_eq!(
        reader.format(),
        CaptureFormat::Pcapng {
            big_endian: first == Endian::Little,
            sections: 2,
            compression: Compression::None,
        }
    );
    assert_eq!(reader.frames_read(), expected.len() as u64);
}

#[test]
fn pcapng_little_endian_then_big_endian_section() {
    check_two_sections(Endian::Little);
}

#[test]
fn pcapng_big_endian_then_little_endian_section() {
    check_two_sections(Endian::Big);
}

#[test]
fn pcapng_format_display() {
    let (bytes, _) = two_sections(Endian::Little);
    let mut reader = open_bytes(zstd(&bytes)).unwrap();
    assert_eq!(
        reader.format().to_string(),
        "pcapng (little-endian), zstd-compressed"
    );
    drain(&mut reader);
    assert_eq!(
        reader.format().to_string(),
        "pcapng (big-endian, 2 sections), zstd-compressed"
    );
}

#[test]
fn pcapng_negative_offset_and_other_resolutions() {
    let e = Endian::Little;
    let mut w = PcapngWriter::new(e);
    let mut options = option(e, 9, &[3]); // milliseconds
    options.extend(option(e, 14, &(-3600i64).to_le_bytes()));
    w.interface(1, 0, &options);
    w.interface(1, 0, &option(e, 9, &[12])); // picoseconds
    w.interface(1, 0, &option(e, 9, &[70])); // 10^-70: units of 2^64 - 1 per second
    w.interface(1, 0, &option(e, 9, &[9, 9])); // wrong length: ignored
    let ts = 1_600_000_000_123u64;
    for interface in 0..4 {
        w.enhanced_packet(interface, ts, &[], 0, &[]);
    }
    let stamps: Vec<i64> = read_ok(w.out).iter().map(|f| f.ts_nanos).collect();
    assert_eq!(
        stamps,
        vec![
            (1_600_000_000 - 3600) * SEC + 123_000_000,
            1_600_000_000_123 / 1_000, // ps → ns
            86,
            1_600_000_000_123 * 1_000,
        ]
    );
}

#[test]
fn empty_pcapng_is_valid() {
    let mut w = PcapngWriter::new(Endian::Little);
    w.interface(1, 262_144, &[]);
    let mut reader = open_bytes(w.out).unwrap();
    assert!(reader.next_frame().unwrap().is_none());
    assert_eq!(reader.link_types(), vec![LinkType::ETHERNET]);
}

// ---------------------------------------------------------------- sizes

#[test]
fn records_larger_than_the_buffer_chunk() {
    let big = payload(200 * 1024, 9);
    let max = payload(MAX_CAPTURED_LEN as usize, 10);
    let mut writer = PcapWriter::new(Endian::Little, MAGIC_MICROS, 262_144, 1);
    writer.record(1, 0, &payload(10, 1), 10);
    writer.record(2, 0, &big, 300_000);
    writer.record(3, 0, &max, MAX_CAPTURED_LEN);
    writer.record(4, 0, &payload(10, 2), 10);
    for buffer in [64 * 1024, 1 << 20] {
        let mut reader =
            CaptureReader::for_test(Cursor::new(writer.out.clone()), buffer, true).unwrap();
        let (frames, err) = drain(&mut reader);
        assert!(err.is_none());
        let lens: Vec<usize> = frames.iter().map(|f| f.data.len()).collect();
        assert_eq!(lens, vec![10, big.len(), max.len(), 10]);
        assert_eq!(frames[1].data, big);
        assert_eq!(frames[2].data, max);
    }

    let mut w = PcapngWriter::new(Endian::Big);
    w.interface(1, 0, &[]);
    w.enhanced_packet(
        0,
        1,
        &big,
        300_000,
        &option(Endian::Big, 1, &payload(60_000, 3)),
    );
    w.enhanced_packet(0, 2, &max, MAX_CAPTURED_LEN, &[]);
    let mut reader = CaptureReader::for_test(Cursor::new(w.out), 64 * 1024, true).unwrap();
    let (frames, err) = drain(&mut reader);
    assert!(err.is_none());
    assert_eq!(frames[0].data, big);
    assert_eq!(frames[1].data, max);
}

/// Thousands of records of varying sizes, through small buffers that force
/// a refill every few records.
#[test]
fn thousands_of_records_across_refills() {
    let records: Vec<Vec<u8>> = (0..5000)
        .map(|i| payload((i * 37) % 1600, i as u8))
        .collect();
    let mut pcap = PcapWriter::new(Endian::Big, MAGIC_NANOS, 65535, 1);
    let mut ng = PcapngWriter::new(Endian::Little);
    ng.interface(1, 0, &option(Endian::Little, 9, &[9]));
    for (i, data) in records.iter().enumerate() {
        pcap.record(0, i as u32 * 1000 + 1, data, data.len() as u32 + 4);
        ng.enhanced_packet(0, i as u64 * 1000 + 1, data, data.len() as u32 + 4, &[]);
    }
    for bytes in [pcap.out, ng.out] {
        for buffer in [4096, 10_000, 1 << 20] {
            let mut reader =
                CaptureReader::for_test(Cursor::new(bytes.clone()), buffer, true).unwrap();
            let (frames, err) = drain(&mut reader);
            assert!(err.is_none());
            assert_eq!(frames.len(), records.len());
            for (i, (frame, data)) in frames.iter().zip(&records).enumerate() {
                assert_eq!(&frame.data, data);
                assert_eq!(frame.orig_len, data.len() as u32 + 4);
                assert_eq!(frame.ts_nanos, i as i64 * 1000 + 1);
            }
        }
    }
}

// ---------------------------------------------------------------- damage

/// Opens and drains without guessing the pcap variant (as for a pipe), so
/// a truncated record is not mistaken for another variant's layout.
fn read_all_as_pipe(bytes: Vec<u8>) -> (Vec<Owned>, Option<CaptureError>) {
    match CaptureReader::for_test(Cursor::new(bytes), 4096, false) {
        Ok(mut reader) => drain(&mut reader),
        Err(err) => (Vec::new(), Some(err)),
    }
}

/// Cuts `bytes` at every position: the reader never panics, returns exactly
/// the complete packets before the cut, and then ends cleanly at a block
/// boundary or reports a cut-short file.
fn check_every_cut(bytes: &[u8], packet_ends: &[usize], block_ends: &[usize], header_end: usize) {
    for cut in 0..=bytes.len() {
        let (frames, err) = read_all_as_pipe(bytes[..cut].to_vec());
        if cut < header_end && !block_ends.contains(&cut) {
            let err = err.expect("a cut header is an open error");
            assert!(frames.is_empty());
            let expected_kind = if cut < 4 {
                "not a capture"
            } else {
                "cut short"
            };
            assert!(err.to_string().contains(expected_kind), "cut {cut}: {err}");
            continue;
        }
        let complete = packet_ends.iter().filter(|&&end| end <= cut).count();
        assert_eq!(frames.len(), complete, "cut at {cut}");
        if block_ends.contains(&cut) {
            assert!(err.is_none(), "cut at boundary {cut}: {}", err.unwrap());
        } else {
            let err = err.expect("a cut inside a record is an error");
            assert!(
                matches!(err.kind(), CaptureErrorKind::CutShort { .. }),
                "cut {cut}: {err}"
            );
            if complete < packet_ends.len() && packet_ends[complete] > cut {
                let previous = block_ends.iter().filter(|&&end| end <= cut).max();
                assert_eq!(err.offset(), previous.map(|&end| end as u64), "cut {cut}");
            }
        }
    }
}

#[test]
fn pcap_cut_at_every_byte() {
    for magic in [MAGIC_MICROS, MAGIC_MODIFIED] {
        let (bytes, records) = three_records(Endian::Little, magic, 1);
        let header_len = if magic == MAGIC_MODIFIED { 24 } else { 16 };
        let mut ends = Vec::new();
        let mut end = 24;
        for (_, _, data, _) in &records {
            end += header_len + data.len();
            ends.push(end);
        }
        let mut block_ends = vec![24];
        block_ends.extend(&ends);
        check_every_cut(&bytes, &ends, &block_ends, 24);
        // The cut-short error names the packet being read.
        let (_, err) = read_all_as_pipe(bytes[..ends[1] + 3].to_vec());
        let err = err.unwrap();
        assert_eq!(
            (err.packet(), err.offset()),
            (Some(3), Some(ends[1] as u64))
        );
    }
}

#[test]
fn pcapng_cut_at_every_byte() {
    let e = Endian::Little;
    let mut w = PcapngWriter::new(e);
    let shb_end = w.out.len();
    w.interface(1, 0, &option(e, 2, b"eth0"));
    let idb_end = w.out.len();
    let mut packet_ends = Vec::new();
    // A section header alone is a valid, empty file.
    let mut block_ends = vec![shb_end, idb_end];
    w.enhanced_packet(0, 1, &payload(33, 1), 33, &option(e, 1, b"hi"));
    packet_ends.push(w.out.len());
    block_ends.push(w.out.len());
    w.statistics(0);
    block_ends.push(w.out.len());
    w.simple_packet(7, &payload(7, 2));
    packet_ends.push(w.out.len());
    block_ends.push(w.out.len());
    w.enhanced_packet(0, 2, &payload(8, 3), 8, &[]);
    packet_ends.push(w.out.len());
    block_ends.push(w.out.len());
    // Everything up to the first packet is read by `open`.
    assert!(shb_end < idb_end);
    check_every_cut(&w.out, &packet_ends, &block_ends, idb_end);
}

#[test]
fn compressed_streams_cut_at_every_byte() {
    let (bytes, records) = three_records(Endian::Little, MAGIC_MICROS, 1);
    let full = read_ok(bytes.clone());
    assert_eq!(full.len(), records.len());
    for compressed in [gzip(&bytes), zstd(&bytes)] {
        for cut in 0..compressed.len() {
            let (frames, err) = read_all(compressed[..cut].to_vec());
            assert_eq!(frames, full[..frames.len()], "cut {cut}");
            let err =
                err.unwrap_or_else(|| panic!("cut {cut} of {} read cleanly", compressed.len()));
            let expected = matches!(
                err.kind(),
                CaptureErrorKind::Decompression { .. }
                    | CaptureErrorKind::CutShort { .. }
                    | CaptureErrorKind::NotACapture { .. }
            );
            assert!(expected, "cut {cut}: {err}");
        }
    }
}

#[test]
fn record_too_large() {
    // The bad record comes after the three the variant guess looks at, as
    // in the corpus; earlier, tshark and this reader would try other
    // layouts first.
    let mut writer = PcapWriter::new(Endian::Little, MAGIC_MICROS, 65535, 1);
    for sec in 0..3 {
        writer.record(sec, 0, &payload(20, 0), 20);
    }
    writer.record_claiming(3, 0, MAX_CAPTURED_LEN + 1, 100, &payload(50, 0));
    let (frames, err) = read_all(writer.out);
    assert_eq!(frames.len(), 3);
    let err = err.unwrap();
    assert_eq!(
        err.kind(),
        &CaptureErrorKind::RecordTooLarge { caplen: 262_145 }
    );
    assert_eq!((err.packet(), err.offset()), (Some(4), Some(24 + 3 * 36)));
    assert_eq!(
        err.to_string(),
        "test: record claims a captured length of 262145 bytes, more than the 262144 maximum \
         at packet 4, byte offset 132: the file is damaged"
    );

    let mut w = PcapngWriter::new(Endian::Little);
    w.interface(1, 0, &[]);
    let mut body = Vec::new();
    for word in [0u32, 0, 0, 0x0100_0000, 60] {
        body.extend_from_slice(&word.to_le_bytes());
    }
    body.extend(vec![0; 0x0100_0000]);
    w.block(6, &body);
    let (_, err) = read_all(w.out);
    assert_eq!(
        err.unwrap().kind(),
        &CaptureErrorKind::RecordTooLarge {
            caplen: 0x0100_0000
        }
    );
}

#[test]
fn not_a_capture() {
    let (_, err) = read_all(b"hello world".to_vec());
    assert_eq!(
        err.unwrap().to_string(),
        "test: not a capture file (starts with 68 65 6c 6c): expected pcap or pcapng, \
         optionally gzip/zstd-compressed"
    );
    let (_, err) = read_all(Vec::new());
    assert_eq!(
        err.unwrap().to_string(),
        "test: not a capture file (it is empty): expected pcap or pcapng, optionally \
         gzip/zstd-compressed"
    );
    let (_, err) = read_all(gzip(b"#!/bin/sh\n"));
    let err = err.unwrap();
    assert_eq!(
        err.kind(),
        &CaptureErrorKind::NotACapture {
            first_bytes: b"#!/b".to_vec(),
            compression: Compression::Gzip,
        }
    );
    assert!(
        err.to_string()
            .contains("gzip-compressed; decompressed content starts with 23 21 2f 62")
    );
    let (_, err) = read_all(vec![0xd4, 0xc3]);
    assert!(matches!(
        err.unwrap().kind(),
        CaptureErrorKind::NotACapture { .. }
    ));
}

#[test]
fn unsupported_pcap_versions() {
    for version in [(1, 4), (3, 0), (0, 0)] {
        let mut writer = PcapWriter::with_version(Endian::Little, MAGIC_MICROS, version, 65535, 1);
        writer.record(1, 0, &payload(20, 0), 20);
        let (frames, err) = read_all(writer.out);
        assert!(frames.is_empty());
        let err = err.unwrap();
        assert_eq!(
            err.kind(),
            &CaptureErrorKind::UnsupportedVersion {
                format: "pcap",
                major: version.0,
                minor: version.1,
            }
        );
        if version == (1, 4) {
            assert_eq!(
                err.to_string(),
                "test: unsupported pcap version 1.4: libpcap and tshark refuse this file too"
            );
        }
    }
}

#[test]
fn reserved_link_type_bits() {
    let writer = PcapWriter::new(Endian::Little, MAGIC_MICROS, 65535, 0x0030_0000);
    let (_, err) = read_all(writer.out);
    let err = err.unwrap();
    assert_eq!(
        err.kind(),
        &CaptureErrorKind::ReservedLinkTypeBits { field: 0x0030_0000 }
    );
    assert_eq!(
        err.to_string(),
        "test: network type reserved field not zero (0x00300000): libpcap and tshark refuse this file too"
    );
}

#[test]
fn short_pcap_header() {
    let writer = PcapWriter::new(Endian::Little, MAGIC_MICROS, 65535, 1);
    let (_, err) = read_all(writer.out[..10].to_vec());
    assert_eq!(
        err.unwrap().to_string(),
        "test: file cut short in the middle of the file header: the file is \
         incomplete (truncated copy, or capture still being written)"
    );
}

/// A pcapng file with one good packet, then `damage`; returns the error
/// after checking that the good packet was read.
fn pcapng_error_after_one_packet(damage: impl FnOnce(&mut PcapngWriter)) -> CaptureError {
    let mut w = PcapngWriter::new(Endian::Little);
    w.interface(1, 0, &[]);
    w.enhanced_packet(0, 1, &payload(42, 0), 42, &[]);
    damage(&mut w);
    w.enhanced_packet(0, 2, &payload(42, 0), 42, &[]);
    let (frames, err) = read_all(w.out);
    assert_eq!(frames.len(), 1);
    err.expect("damage must be reported")
}

fn damaged_detail(err: &CaptureError) -> &str {
    match err.kind() {
        CaptureErrorKind::Damaged { detail } => detail,
        other => panic!("expected Damaged, got {other:?}"),
    }
}

#[test]
fn pcapng_bad_block_lengths() {
    // Not a multiple of 4 (tshark would round it up; libpcap refuses).
    let err = pcapng_error_after_one_packet(|w| {
        let mut body = vec![0; 20];
        body[12] = 42;
        body.extend(vec![0; 44]);
        w.raw_block(6, 74, &body[..62], 74);
    });
    assert!(
        damaged_detail(&err).contains("total length 74 is not a multiple of 4"),
        "{err}"
    );
    // Damage between packets is reported as met while looking for the next.
    assert_eq!((err.packet(), err.offset()), (Some(2), Some(28 + 20 + 76)));

    let err = pcapng_error_after_one_packet(|w| {
        w.raw_block(0x99, 8, &[], 8);
    });
    assert!(damaged_detail(&err).contains("less than the minimum block size 12"));

    let err = pcapng_error_after_one_packet(|w| {
        w.raw_block(0x99, 16, &[0; 4], 20);
    });
    assert!(damaged_detail(&err).contains("(first 16 and second 20) don't match"));

    let err = pcapng_error_after_one_packet(|w| {
        let mut body = Vec::new();
        for word in [0u32, 0, 0, 100, 100] {
            body.extend_from_slice(&word.to_le_bytes());
        }
        body.extend(vec![0; 8]);
        w.block(6, &body);
    });
    assert_eq!(err.packet(), Some(2));
    assert!(damaged_detail(&err).contains("too small for 100 bytes of packet data"));
}

#[test]
fn pcapng_option_running_past_its_block() {
    // SHB option too long: refused at open, like libpcap's test file.
    let mut w = PcapngWriter {
        endian: Endian::Little,
        out: Vec::new(),
    };
    w.section(
        Endian::Little,
        (1, 0),
        &[1, 0, 0x30, 0x30, b'x', b'y', b'z', 0],
    );
    w.interface(1, 0, &[]);
    let err = open_bytes(w.out).err().unwrap();
    assert_eq!(err.offset(), Some(0));
    assert_eq!(
        err.to_string(),
        "test: section header block: option 1 of length 12336 runs past the end of the block \
         (4 bytes left) at byte offset 0: the file is damaged"
    );

    // A damaged block after a whole section header: the file opens, and the
    // damage is reported before packet 1 (a partly read input).
    let mut w = PcapngWriter::new(Endian::Little);
    w.interface(1, 0, &[2, 0, 100, 0]);
    let (frames, err) = read_all(w.out);
    assert!(frames.is_empty());
    let err = err.expect("damage must be reported");
    assert_eq!(err.packet(), Some(1));
    assert!(damaged_detail(&err).contains("length 100"));

    let err = pcapng_error_after_one_packet(|w| {
        w.enhanced_packet(0, 1, &payload(4, 0), 4, &[1, 0, 100, 0]);
    });
    assert_eq!(err.packet(), Some(2));
    assert!(damaged_detail(&err).contains("enhanced packet block: option 1 of length 100"));

    // Anything after opt_endofopt is ignored, as tshark does.
    let mut w = PcapngWriter::new(Endian::Little);
    w.interface(1, 0, &[0, 0, 0, 0, 1, 0, 100, 0]);
    w.enhanced_packet(0, 1, &payload(4, 0), 4, &[]);
    assert_eq!(read_ok(w.out).len(), 1);
}

#[test]
fn pcapng_packet_option_checks() {
    let err = pcapng_error_after_one_packet(|w| {
        w.enhanced_packet(0, 1, &payload(4, 0), 4, &option(Endian::Little, 2, &[0, 0]));
    });
    assert!(damaged_detail(&err).contains("epb_flags option length 2 is not 4"));
    let err = pcapng_error_after_one_packet(|w| {
        w.enhanced_packet(
            0,
            1,
            &payload(4, 0),
            4,
            &option(Endian::Little, 2988, &[1, 2]),
        );
    });
    assert!(damaged_detail(&err).contains("custom option 2988"));
}

#[test]
fn pcapng_unknown_interface() {
    let err = pcapng_error_after_one_packet(|w| {
        w.enhanced_packet(3, 1, &payload(4, 0), 4, &[]);
    });
    assert_eq!(err.packet(), Some(2));
    assert_eq!(
        err.to_string(),
        "test: packet refers to interface 3, but its section has 1 interface(s) at packet 2, \
         byte offset 124: the file is damaged"
    );
    // A new section forgets the old interfaces.
    let err = pcapng_error_after_one_packet(|w| {
        w.section(Endian::Little, (1, 0), &[]);
    });
    assert!(damaged_detail(&err).contains("has 0 interface(s)"));
    let err = pcapng_error_after_one_packet(|w| {
        w.section(Endian::Big, (1, 0), &[]);
        w.simple_packet(4, &[1, 2, 3, 4]);
    });
    assert!(damaged_detail(&err).contains("simple packet block appears before any interface"));
}

#[test]
fn pcapng_simple_packet_longer_than_its_block() {
    let err = pcapng_error_after_one_packet(|w| {
        w.simple_packet(42, &payload(20, 0));
    });
    assert!(damaged_detail(&err).contains("total length 36 is too small for 42 bytes"));
}

#[test]
fn pcapng_section_versions() {
    let err = pcapng_error_after_one_packet(|w| {
        w.section(Endian::Little, (2, 0), &[]);
    });
    assert_eq!(
        err.kind(),
        &CaptureErrorKind::UnsupportedVersion {
            format: "pcapng",
            major: 2,
            minor: 0
        }
    );
    let mut w = PcapngWriter {
        endian: Endian::Big,
        out: Vec::new(),
    };
    w.section(Endian::Big, (1, 1), &[]);
    let err = open_bytes(w.out).err().unwrap();
    assert_eq!(
        err.to_string(),
        "test: unsupported pcapng version 1.1 at byte offset 0: libpcap and tshark refuse this file too"
    );

    let err = pcapng_error_after_one_packet(|w| {
        w.out
            .extend_from_slice(&[0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 1, 2, 3, 4]);
    });
    assert!(damaged_detail(&err).contains("unknown byte-order magic number 0x04030201"));
}

// ---------------------------------------------------------------- inputs

#[test]
fn compressed_copies_read_identically() {
    let (ng, _) = two_sections(Endian::Little);
    let (pcap, _) = three_records(Endian::Big, MAGIC_NANOS, 1);
    for plain in [ng, pcap] {
        let expected = read_ok(plain.clone());
        for (compressed, compression) in [
            (gzip(&plain), Compression::Gzip),
            (zstd(&plain), Compression::Zstd),
        ] {
            let mut reader = open_bytes(compressed).unwrap();
            assert_eq!(reader.compression(), compression);
            assert_eq!(reader.format().compression(), compression);
            assert_eq!(drain(&mut reader), (expected.clone(), None));
        }
        // Concatenated gzip members are one stream.
        let half = plain.len() / 2;
        let mut members = gzip(&plain[..half]);
        members.extend(gzip(&plain[half..]));
        assert_eq!(read_ok(members), expected);
    }
}

#[test]
fn files_are_recognised_by_content_not_name() {
    let dir = tempfile::tempdir().unwrap();
    let (plain, _) = two_sections(Endian::Big);
    let expected = read_ok(plain.clone());
    for (name, bytes) in [
        ("capture.pcap", plain.clone()),
        ("capture.txt", gzip(&plain)),
        ("capture.pcap.gz", zstd(&plain)),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let input = Input::from_arg(path.as_os_str());
        assert_eq!(input, Input::Path(path.clone()));
        let mut reader = CaptureReader::open(&input).unwrap();
        assert_eq!(reader.input_name(), path.display().to_string());
        assert_eq!(drain(&mut reader), (expected.clone(), None));
    }
}

#[test]
fn open_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pcap");
    let err = CaptureReader::open(&Input::Path(missing.clone()))
        .err()
        .unwrap();
    assert!(matches!(
        err.kind(),
        CaptureErrorKind::CannotOpen {
            reason: std::io::ErrorKind::NotFound,
            ..
        }
    ));
    assert_eq!(err.input(), missing.display().to_string());
    assert!(
        err.to_string()
            .starts_with(&format!("{}: cannot open: ", missing.display()))
    );
    assert!(err.to_string().ends_with(": check the path"), "{err}");

    let err = CaptureReader::open(&Input::Path(dir.path().to_owned()))
        .err()
        .unwrap();
    assert_eq!(err.kind(), &CaptureErrorKind::IsADirectory);
    assert!(
        err.to_string()
            .ends_with(": is a directory: give a capture file, not a directory")
    );
}

#[test]
fn reader_and_error_can_move_between_threads() {
    fn assert_send<T: Send + 'static>() {}
    assert_send::<CaptureReader>();
    assert_send::<CaptureError>();
}

#[test]
fn input_names() {
    assert_eq!(Input::from_arg("-".as_ref()), Input::Stdin);
    assert_eq!(Input::Stdin.display_name(), "<stdin>");
    assert_eq!(
        Input::from_arg("a b.pcap".as_ref()).display_name(),
        "a b.pcap"
    );
}

#[test]
fn link_type_names() {
    assert_eq!(LinkType::ETHERNET.name(), "EN10MB");
    assert_eq!(LinkType::ETHERNET.description(), "Ethernet");
    assert_eq!(LinkType::RAW.name(), "RAW");
    assert_eq!(LinkType::RAW_12.name(), "RAW");
    assert_eq!(LinkType::LINUX_SLL2.name(), "LINUX_SLL2");
    assert_eq!(LinkType::NULL.to_string(), "0 NULL (BSD loopback)");
    assert_eq!(LinkType(64_000).name(), "LINKTYPE_64000");
    assert_eq!(LinkType(64_000).description(), "link type 64000");
}

// ---------------------------------------------------------------- properties

/// (data, orig_len, ts in µs) for one frame.
fn arbitrary_frames() -> impl Strategy<Value = Vec<(Vec<u8>, u32, u32)>> {
    prop::collection::vec(
        (
            prop::collection::vec(any::<u8>(), 0..300),
            any::<u32>(),
            any::<u32>(),
        ),
        0..40,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn pcap_and_pcapng_round_trip(frames in arbitrary_frames(), big in any::<bool>(), buffer in 64usize..2048) {
        let endian = if big { Endian::Big } else { Endian::Little };
        let mut pcap = PcapWriter::new(endian, MAGIC_MICROS, 65535, 1);
        let mut ng = PcapngWriter::new(endian);
        ng.interface(1, 0, &[]);
        for (data, orig, micros) in &frames {
            pcap.record(micros / 1_000_000, micros % 1_000_000, data, *orig);
            ng.enhanced_packet(0, u64::from(*micros), data, *orig, &[]);
        }
        let expected: Vec<Owned> = frames
            .iter()
            .map(|(data, orig, micros)| Owned::new(data, *orig, i64::from(*micros) * 1_000, LinkType::ETHERNET, 0))
            .collect();
        for bytes in [pcap.out, ng.out] {
            let mut reader = CaptureReader::for_test(Cursor::new(bytes), buffer, true).unwrap();
            prop_assert_eq!(drain(&mut reader), (expected.clone(), None));
        }
    }

    /// Arbitrary damage never panics, and whatever was read before an error
    /// is a prefix of the intact file's frames only if the damage came later.
    #[test]
    fn damaged_files_never_panic(
        frames in arbitrary_frames(),
        pcapng in any::<bool>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut bytes = if pcapng {
            let mut w = PcapngWriter::new(Endian::Little);
            w.interface(1, 0, &[]);
            for (data, orig, micros) in &frames {
                w.enhanced_packet(0, u64::from(*micros), data, *orig, &[]);
            }
            w.out
        } else {
            let mut w = PcapWriter::new(Endian::Little, MAGIC_MICROS, 65535, 1);
            for (data, orig, micros) in &frames {
                w.record(*micros, 0, data, *orig);
            }
            w.out
        };
        for (at, value) in flips {
            let at = at.index(bytes.len());
            bytes[at] = value;
        }
        let (read, _) = read_all(bytes);
        prop_assert!(read.len() <= frames.len() + 300);
    }
}

// ---------------------------------------------------------------- corpus

/// Files tshark cannot read completely, with how many frames it read first
/// and the error we give after reading as many.
fn expected_damage(file: &str) -> Option<fn(&CaptureErrorKind) -> bool> {
    Some(match file {
        "suricata_bug-6875-01_fuzz.pcap"
        | "suricata_bug-1450-04_tls_der-incomplete-header.pcap" => {
            |k| matches!(k, CaptureErrorKind::RecordTooLarge { .. })
        }
        "dpkt_truncated_dns_2.pcap" => |k| matches!(k, CaptureErrorKind::CutShort { .. }),
        "gopacket_le_test901.pcapng" | "libpcap_pcap-invalid-version-1.pcap" => {
            |k| matches!(k, CaptureErrorKind::UnsupportedVersion { .. })
        }
        "libpcap_shb-option-too-long.pcapng" => |k| matches!(k, CaptureErrorKind::Damaged { .. }),
        "libpcap_linktype-reserved-field-not-zero.pcap" => {
            |k| matches!(k, CaptureErrorKind::ReservedLinkTypeBits { .. })
        }
        _ => return None,
    })
}

/// Every corpus file: the frame count and the sum of original lengths equal
/// tshark's ("packets" and "bytes" in `expected/<file>.json`); for damaged
/// files, as many frames as tshark read before the error, then the error.
#[test]
fn corpus_matches_tshark() {
    let corpus = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus"));
    if !corpus.is_dir() {
        crate::test_skipped(format_args!(
            "{} not found (a clone without ../shared beside it)",
            corpus.display()
        ));
        return;
    }
    let mut names: Vec<String> = std::fs::read_dir(corpus)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| {
            name.ends_with(".pcap") || name.ends_with(".pcapng") || name.ends_with(".gz")
        })
        .collect();
    names.sort();
    assert!(!names.is_empty());
    let mut failures = Vec::new();
    for name in &names {
        let expected_path = corpus.join("expected").join(format!("{name}.json"));
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&expected_path).unwrap()).unwrap();
        let want_packets = expected["packets"].as_u64().unwrap();
        let want_bytes = expected["bytes"].as_u64().unwrap();

        let (frames, bytes, err) = match CaptureReader::open(&Input::Path(corpus.join(name))) {
            Err(err) => (0, 0, Some(err)),
            Ok(mut reader) => {
                let (mut frames, mut bytes) = (0u64, 0u64);
                let err = loop {
                    match reader.next_frame() {
                        Ok(Some(frame)) => {
                            frames += 1;
                            bytes += u64::from(frame.orig_len);
                        }
                        Ok(None) => break None,
                        Err(err) => break Some(err),
                    }
                };
                assert_eq!(frames, reader.frames_read());
                (frames, bytes, err)
            }
        };
        let line = format!(
            "{name}: {frames} frames / {bytes} bytes (tshark {want_packets} / {want_bytes}){}",
            err.as_ref()
                .map(|e| format!("; error: {e}"))
                .unwrap_or_default()
        );
        eprintln!("{line}");

        if name == "tcpdump_edsa.pcap" {
            // Link type 285 is unknown to tshark 4.0, which reads nothing;
            // the file itself is sound (libpcap reads 10 frames).
            if !(err.is_none() && frames == 10 && bytes == 872) {
                failures.push(line);
            }
            continue;
        }
        let counts_agree = frames == want_packets && bytes == want_bytes;
        let error_agrees = match (expected_damage(name), &err) {
            (None, None) => true,
            (Some(check), Some(err)) => check(err.kind()),
            _ => false,
        };
        if !(counts_agree && error_agrees) {
            failures.push(line);
        }
    }
    assert!(
        failures.is_empty(),
        "disagreements with tshark:\n{}",
        failures.join("\n")
    );
}

// ---------------------------------------------------------------- SunATM

/// SunATM (link type 123): the 4-byte pseudo-header stays in the data (the
/// decoder reads the traffic type from it) but not in the original length,
/// as tshark's `frame.len`; a record too short for it is damage, in both
/// formats, as tshark says.
#[test]
fn sunatm_pseudo_header_is_not_wire_length() {
    let data = payload(40, 9);
    let mut writer = PcapWriter::new(Endian::Little, MAGIC_MICROS, 65535, 123);
    writer.record(1, 0, &data, 44);
    writer.record(2, 0, &data[..20], 60);
    let frames = read_ok(writer.out);
    assert_eq!(
        frames,
        vec![
            Owned::new(&data, 40, SEC, LinkType::SUNATM, 0),
            Owned::new(&data[..20], 56, 2 * SEC, LinkType::SUNATM, 0),
        ]
    );
    let mut writer = PcapWriter::new(Endian::Little, MAGIC_MICROS, 65535, 123);
    writer.record(1, 0, &data, 40);
    writer.record(2, 0, &data[..3], 3);
    let (frames, err) = read_all(writer.out);
    assert_eq!(frames.len(), 1);
    let err = err.expect("a 3-byte SunATM record is damage");
    assert!(err.to_string().contains("pseudo-header"), "{err}");

    let mut writer = PcapngWriter::new(Endian::Big);
    writer.section(Endian::Big, (1, 0), &[]);
    writer.interface(123, 0, &[]);
    writer.enhanced_packet(0, 0, &data, 44, &[]);
    writer.simple_packet(40, &data);
    writer.enhanced_packet(0, 0, &data[..2], 2, &[]);
    let (frames, err) = read_all(writer.out);
    assert_eq!(
        frames
            .iter()
            .map(|f| (f.data.len(), f.orig_len))
            .collect::<Vec<_>>(),
        vec![(40, 40), (40, 36)]
    );
    let err = err.expect("a 2-byte SunATM packet is damage");
    assert!(err.to_string().contains("pseudo-header"), "{err}");
}
