//! What the hardening tests share: a seeded pseudo-random generator, runs of
//! the binary that are killed (and fail the test) when they overrun, and
//! classic pcap and pcapng files taken apart into records and blocks, edited
//! and written back.

use crate::common::netns::Background;
use crate::common::*;
use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Longest one run on a single input may take before it counts as a hang.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest one run on a batch of several hundred inputs may take (an
/// unoptimised build reads a few hundred small files in a few seconds).
pub const BATCH_TIMEOUT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------
// Randomness, reproducible.

/// xorshift64* (Vigna): tiny, fast, and the same sequence on every machine,
/// so every mutant is the same on every run.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator started from `seed` (any value; 0 is remapped).
    pub fn new(seed: u64) -> Rng {
        Rng(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A number in `lo..=hi`.
    pub fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// A non-zero byte (an XOR with it always changes the byte).
    pub fn nonzero_byte(&mut self) -> u8 {
        (self.below(255) + 1) as u8
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }

    /// One element of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ---------------------------------------------------------------------------
// Running the binary with a deadline.

/// Runs `portclass ARGS` (standard input from `stdin`, else closed), killing
/// it and failing the test if it has not ended within `timeout`; fails too on
/// a signal, an exit status other than 0, 1 or 2, or a panic message.
pub fn run_bounded<S: AsRef<OsStr>>(
    args: &[S],
    stdin: Option<&Path>,
    timeout: Duration,
    description: &str,
) -> Run {
    let mut command = Command::new(bin());
    command.args(args);
    match stdin {
        Some(path) => {
            let file =
                std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            command.stdin(Stdio::from(file));
        }
        None => {
            command.stdin(Stdio::null());
        }
    }
    Background::spawn(command, description.to_string())
        .wait(timeout)
        .into_run()
}

// ---------------------------------------------------------------------------
// Classic pcap, taken apart.

/// Classic pcap magic numbers, as written in the file's byte order.
pub const PCAP_MAGIC_MICROS: u32 = 0xa1b2_c3d4;
/// Nanosecond time stamps.
pub const PCAP_MAGIC_NANOS: u32 = 0xa1b2_3c4d;
/// Offset of the snaplen field in the file header.
pub const PCAP_SNAPLEN: usize = 16;
/// Offset of the link-type field in the file header.
pub const PCAP_LINK_TYPE: usize = 20;
/// Offsets in a record header.
pub const REC_SECONDS: usize = 0;
/// Fraction of a second (µs or ns).
pub const REC_FRACTION: usize = 4;
/// Captured length.
pub const REC_CAPLEN: usize = 8;
/// Original (wire) length.
pub const REC_ORIG_LEN: usize = 12;
/// Length of a record header.
pub const REC_HEADER: usize = 16;

/// A classic pcap file (version 2.4, 16-byte record headers): its 24-byte
/// header and its complete records (record header and data, as stored).
#[derive(Clone, Debug)]
pub struct Pcap {
    /// The file header.
    pub header: Vec<u8>,
    /// Written little-endian.
    pub little: bool,
    /// Nanosecond time stamps.
    pub nanos: bool,
    /// Each record's bytes, header included.
    pub records: Vec<Vec<u8>>,
}

impl Pcap {
    /// Takes a pcap file apart; a record cut off at the end is dropped.
    pub fn parse(data: &[u8]) -> Pcap {
        assert!(data.len() >= 24, "not a pcap file: {} bytes", data.len());
        let magic = [data[0], data[1], data[2], data[3]];
        let (little, value) =
            if [PCAP_MAGIC_MICROS, PCAP_MAGIC_NANOS].contains(&u32::from_le_bytes(magic)) {
                (true, u32::from_le_bytes(magic))
            } else {
                (false, u32::from_be_bytes(magic))
            };
        assert!(
            [PCAP_MAGIC_MICROS, PCAP_MAGIC_NANOS].contains(&value),
            "not a pcap file: magic {magic:02x?}"
        );
        let mut pcap = Pcap {
            header: data[..24].to_vec(),
            little,
            nanos: value == PCAP_MAGIC_NANOS,
            records: Vec::new(),
        };
        let mut at = 24;
        while at + REC_HEADER <= data.len() {
            let end = at + REC_HEADER + pcap.get(&data[at..], REC_CAPLEN) as usize;
            if end > data.len() {
                break;
            }
            pcap.records.push(data[at..end].to_vec());
            at = end;
        }
        pcap
    }

    /// An empty file like this one: same header.
    pub fn like(&self) -> Pcap {
        Pcap {
            records: Vec::new(),
            ..self.clone()
        }
    }

    /// The u32 at `at` of `bytes`, in the file's byte order.
    pub fn get(&self, bytes: &[u8], at: usize) -> u32 {
        let b = [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]];
        if self.little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        }
    }

    /// Writes `value` at `at` of `bytes`, in the file's byte order.
    pub fn put(&self, bytes: &mut [u8], at: usize, value: u32) {
        let b = if self.little {
            value.to_le_bytes()
        } else {
            value.to_be_bytes()
        };
        bytes[at..at + 4].copy_from_slice(&b);
    }

    /// Sets field `at` of record `i`.
    pub fn set(&mut self, i: usize, at: usize, value: u32) {
        let mut record = std::mem::take(&mut self.records[i]);
        self.put(&mut record, at, value);
        self.records[i] = record;
    }

    /// Field `at` of record `i`.
    pub fn field(&self, i: usize, at: usize) -> u32 {
        self.get(&self.records[i], at)
    }

    /// Sets the file header's field at `at`.
    pub fn set_header(&mut self, at: usize, value: u32) {
        let mut header = std::mem::take(&mut self.header);
        self.put(&mut header, at, value);
        self.header = header;
    }

    /// A record holding `frame` (captured whole) with wire length `orig_len`.
    pub fn record(&self, seconds: u32, fraction: u32, frame: &[u8], orig_len: u32) -> Vec<u8> {
        let mut record = vec![0u8; REC_HEADER];
        self.put(&mut record, REC_SECONDS, seconds);
        self.put(&mut record, REC_FRACTION, fraction);
        let caplen = u32::try_from(frame.len()).expect("frame fits a record");
        self.put(&mut record, REC_CAPLEN, caplen);
        self.put(&mut record, REC_ORIG_LEN, orig_len);
        record.extend_from_slice(frame);
        record
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.header.clone();
        for record in &self.records {
            out.extend_from_slice(record);
        }
        out
    }

    /// Byte offset of each record, then of the end of the file.
    pub fn offsets(&self) -> Vec<usize> {
        let mut offsets = vec![self.header.len()];
        for record in &self.records {
            offsets.push(offsets[offsets.len() - 1] + record.len());
        }
        offsets
    }

    /// Wire bytes of the first `k` records.
    pub fn bytes_before(&self, k: usize) -> u64 {
        let pseudo_header = self.pseudo_header_len();
        (0..k)
            .map(|i| u64::from(self.field(i, REC_ORIG_LEN).wrapping_sub(pseudo_header)))
            .sum()
    }

    /// Bytes of each record's original length that the wire did not carry:
    /// SunATM's 4-byte pseudo-header (link type 123), which portclass, like
    /// tshark's `frame.len`, does not count.
    pub fn pseudo_header_len(&self) -> u32 {
        const SUNATM: u32 = 123;
        if self.get(&self.header, PCAP_LINK_TYPE) & 0xffff == SUNATM {
            4
        } else {
            0
        }
    }

    /// Wire bytes of every record.
    pub fn total_bytes(&self) -> u64 {
        self.bytes_before(self.records.len())
    }

    /// Record `i`'s time stamp in nanoseconds, as portclass computes it.
    pub fn ts_nanos(&self, i: usize) -> i64 {
        let seconds = i64::from(self.field(i, REC_SECONDS));
        let fraction = i64::from(self.field(i, REC_FRACTION));
        seconds * 1_000_000_000
            + if self.nanos {
                fraction
            } else {
                fraction * 1_000
            }
    }

    /// (earliest, latest) time stamp of the records.
    pub fn span(&self) -> Option<(i64, i64)> {
        let stamps = (0..self.records.len()).map(|i| self.ts_nanos(i));
        Some((stamps.clone().min()?, stamps.max()?))
    }

    /// The same file written in the other byte order.
    pub fn swapped(&self) -> Pcap {
        let mut out = self.like();
        out.little = !self.little;
        let mut header = self.header.clone();
        // magic, then u16 major, u16 minor, then four u32 fields.
        for range in [0..4, 4..6, 6..8, 8..12, 12..16, 16..20, 20..24] {
            header[range].reverse();
        }
        out.header = header;
        for record in &self.records {
            let mut swapped = record.clone();
            for at in [0, 4, 8, 12] {
                swapped[at..at + 4].reverse();
            }
            out.records.push(swapped);
        }
        out
    }

    /// The same packets with nanosecond time stamps.
    pub fn in_nanoseconds(&self) -> Pcap {
        assert!(!self.nanos, "already nanoseconds");
        let mut out = self.clone();
        out.nanos = true;
        out.set_header(0, PCAP_MAGIC_NANOS);
        for i in 0..out.records.len() {
            let micros = out.field(i, REC_FRACTION);
            out.set(i, REC_FRACTION, micros * 1_000 + 123);
        }
        out
    }

    /// Ethernet frames carrying IPv4 or IPv6 rewritten as raw IP
    /// (LINKTYPE_RAW, 101): the 14-byte Ethernet header dropped.
    pub fn as_raw_ip(&self) -> Pcap {
        let mut out = self.like();
        out.set_header(PCAP_LINK_TYPE, 101);
        for i in 0..self.records.len() {
            let record = &self.records[i];
            let frame = &record[REC_HEADER..];
            assert!(
                frame.len() > 14 && matches!(frame[12..14], [0x08, 0x00] | [0x86, 0xdd]),
                "record {i} is not Ethernet carrying IP"
            );
            let orig = self.field(i, REC_ORIG_LEN) - 14;
            let stamp = (self.field(i, REC_SECONDS), self.field(i, REC_FRACTION));
            out.records
                .push(out.record(stamp.0, stamp.1, &frame[14..], orig));
        }
        out
    }
}

// ---------------------------------------------------------------------------
// pcapng, taken apart.

/// Block types.
pub const SHB: u32 = 0x0a0d_0d0a;
/// Interface Description Block.
pub const IDB: u32 = 1;
/// Enhanced Packet Block.
pub const EPB: u32 = 6;
/// Simple Packet Block.
pub const SPB: u32 = 3;
/// Obsolete Packet Block.
pub const PB: u32 = 2;
/// The byte-order magic of a Section Header Block.
pub const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;
/// Offsets in an EPB.
pub const EPB_INTERFACE: usize = 8;
/// High 32 bits of the time stamp.
pub const EPB_TS_HIGH: usize = 12;
/// Low 32 bits of the time stamp.
pub const EPB_TS_LOW: usize = 16;
/// Captured length.
pub const EPB_CAPLEN: usize = 20;
/// Original length.
pub const EPB_ORIG_LEN: usize = 24;
/// Start of the packet data.
pub const EPB_DATA: usize = 28;

/// Where one block of a pcapng file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    /// Offset of its first byte.
    pub start: usize,
    /// Offset just past it.
    pub end: usize,
    /// Its type.
    pub block_type: u32,
}

impl Block {
    /// Whether it is read as a frame.
    pub fn is_packet(&self) -> bool {
        matches!(self.block_type, EPB | SPB | PB | 0x0bad | 0x4000_0bad)
    }
}

/// A single-section, little-endian pcapng file and its blocks (the
/// project's pcapng fixtures are such files).
#[derive(Clone, Debug)]
pub struct Pcapng {
    /// The file's bytes.
    pub data: Vec<u8>,
    /// Its complete blocks, in order.
    pub blocks: Vec<Block>,
}

/// The little-endian u32 at `at`.
pub fn le32(data: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]])
}

impl Pcapng {
    /// Takes a little-endian single-section pcapng file apart.
    pub fn parse(data: &[u8]) -> Pcapng {
        assert!(
            data.len() >= 12 && le32(data, 0) == SHB && le32(data, 8) == BYTE_ORDER_MAGIC,
            "not a little-endian pcapng file"
        );
        let mut blocks = Vec::new();
        let mut at = 0;
        while at + 12 <= data.len() {
            let len = le32(data, at + 4) as usize;
            assert!(len >= 12 && len.is_multiple_of(4), "bad block at {at}");
            if at + len > data.len() {
                break;
            }
            let block_type = le32(data, at);
            assert!(at == 0 || block_type != SHB, "a second section at {at}");
            blocks.push(Block {
                start: at,
                end: at + len,
                block_type,
            });
            at += len;
        }
        Pcapng {
            data: data.to_vec(),
            blocks,
        }
    }

    /// Wire length of packet block `b`.
    pub fn orig_len(&self, b: usize) -> u64 {
        let block = self.blocks[b];
        u64::from(match block.block_type {
            EPB | PB => le32(&self.data, block.start + EPB_ORIG_LEN),
            SPB => le32(&self.data, block.start + 8),
            other => panic!("block {b} of type {other:#x} is not a packet"),
        })
    }

    /// Packets in the blocks before block `b`.
    pub fn packets_before(&self, b: usize) -> u64 {
        self.blocks[..b].iter().filter(|x| x.is_packet()).count() as u64
    }

    /// Wire bytes of the packets in the blocks before block `b`.
    pub fn bytes_before(&self, b: usize) -> u64 {
        (0..b)
            .filter(|&i| self.blocks[i].is_packet())
            .map(|i| self.orig_len(i))
            .sum()
    }

    /// Packets in the file.
    pub fn packets(&self) -> u64 {
        self.packets_before(self.blocks.len())
    }

    /// Wire bytes of the file.
    pub fn total_bytes(&self) -> u64 {
        self.bytes_before(self.blocks.len())
    }

    /// Indices of the Interface Description Blocks.
    pub fn interfaces(&self) -> Vec<usize> {
        (0..self.blocks.len())
            .filter(|&b| self.blocks[b].block_type == IDB)
            .collect()
    }

    /// Indices of the Enhanced Packet Blocks.
    pub fn epbs(&self) -> Vec<usize> {
        (0..self.blocks.len())
            .filter(|&b| self.blocks[b].block_type == EPB)
            .collect()
    }

    /// The bytes of block `b`.
    pub fn block(&self, b: usize) -> &[u8] {
        &self.data[self.blocks[b].start..self.blocks[b].end]
    }

    /// The file with block `b` replaced by `with` (any bytes).
    pub fn replacing(&self, b: usize, with: &[u8]) -> Vec<u8> {
        let block = self.blocks[b];
        let mut out = self.data[..block.start].to_vec();
        out.extend_from_slice(with);
        out.extend_from_slice(&self.data[block.end..]);
        out
    }

    /// The file with `bytes` inserted before block `b` (`b` = number of
    /// blocks: at the end).
    pub fn inserting(&self, b: usize, bytes: &[u8]) -> Vec<u8> {
        let at = self.blocks.get(b).map_or(self.data.len(), |x| x.start);
        let mut out = self.data[..at].to_vec();
        out.extend_from_slice(bytes);
        out.extend_from_slice(&self.data[at..]);
        out
    }

    /// The file with the little-endian u32 at `at` set to `value`.
    pub fn with_u32(&self, at: usize, value: u32) -> Vec<u8> {
        let mut out = self.data.clone();
        out[at..at + 4].copy_from_slice(&value.to_le_bytes());
        out
    }
}

/// Builds pcapng blocks in either byte order.
#[derive(Clone, Copy, Debug)]
pub struct NgWriter {
    /// Big-endian rather than little-endian.
    pub big: bool,
}

impl NgWriter {
    fn w16(self, v: u16) -> [u8; 2] {
        if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    fn w32(self, v: u32) -> [u8; 4] {
        if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    /// A block: type, total length, `body` padded to 4 bytes, total length.
    pub fn block(self, block_type: u32, body: &[u8]) -> Vec<u8> {
        let padded = body.len().next_multiple_of(4);
        let total = u32::try_from(12 + padded).expect("block fits");
        let mut out = Vec::with_capacity(total as usize);
        out.extend_from_slice(&self.w32(block_type));
        out.extend_from_slice(&self.w32(total));
        out.extend_from_slice(body);
        out.resize(8 + padded, 0);
        out.extend_from_slice(&self.w32(total));
        out
    }

    /// One option: code, length, value padded to 4 bytes. `length` is
    /// written as given (it may lie about the value).
    pub fn option(self, code: u16, length: u16, value: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&self.w16(code));
        out.extend_from_slice(&self.w16(length));
        out.extend_from_slice(value);
        out.resize(4 + value.len().next_multiple_of(4), 0);
        out
    }

    /// A Section Header Block, version 1.0, section length unknown.
    pub fn shb(self, options: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&self.w32(BYTE_ORDER_MAGIC));
        body.extend_from_slice(&self.w16(1));
        body.extend_from_slice(&self.w16(0));
        body.extend_from_slice(&[0xff; 8]);
        body.extend_from_slice(options);
        self.block(SHB, &body)
    }

    /// An Interface Description Block.
    pub fn idb(self, link_type: u16, snaplen: u32, options: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&self.w16(link_type));
        body.extend_from_slice(&self.w16(0));
        body.extend_from_slice(&self.w32(snaplen));
        body.extend_from_slice(options);
        self.block(IDB, &body)
    }

    /// An Enhanced Packet Block holding all of `frame`.
    pub fn epb(self, interface: u32, ts_units: u64, frame: &[u8], orig_len: u32) -> Vec<u8> {
        self.epb_with_options(interface, ts_units, frame, orig_len, &[])
    }

    /// An Enhanced Packet Block with `options` after the data.
    pub fn epb_with_options(
        self,
        interface: u32,
        ts_units: u64,
        frame: &[u8],
        orig_len: u32,
        options: &[u8],
    ) -> Vec<u8> {
        let caplen = u32::try_from(frame.len()).expect("frame fits");
        let mut body = Vec::new();
        body.extend_from_slice(&self.w32(interface));
        body.extend_from_slice(&self.w32((ts_units >> 32) as u32));
        body.extend_from_slice(&self.w32(ts_units as u32));
        body.extend_from_slice(&self.w32(caplen));
        body.extend_from_slice(&self.w32(orig_len));
        body.extend_from_slice(frame);
        body.resize(20 + frame.len().next_multiple_of(4), 0);
        body.extend_from_slice(options);
        self.block(EPB, &body)
    }

    /// A Simple Packet Block holding all of `frame`.
    pub fn spb(self, frame: &[u8], orig_len: u32) -> Vec<u8> {
        let mut body = self.w32(orig_len).to_vec();
        body.extend_from_slice(frame);
        self.block(SPB, &body)
    }
}

/// The packet data of an EPB (in a little-endian file), for rebuilding it.
pub struct EpbParts {
    /// Interface id.
    pub interface: u32,
    /// Raw 64-bit time stamp.
    pub ts_units: u64,
    /// The captured bytes.
    pub frame: Vec<u8>,
    /// Wire length.
    pub orig_len: u32,
}

/// Takes a little-endian EPB apart.
pub fn epb_parts(block: &[u8]) -> EpbParts {
    let caplen = le32(block, EPB_CAPLEN) as usize;
    EpbParts {
        interface: le32(block, EPB_INTERFACE),
        ts_units: (u64::from(le32(block, EPB_TS_HIGH)) << 32) | u64::from(le32(block, EPB_TS_LOW)),
        frame: block[EPB_DATA..EPB_DATA + caplen].to_vec(),
        orig_len: le32(block, EPB_ORIG_LEN),
    }
}

// ---------------------------------------------------------------------------
// Frames.

/// An Ethernet/IPv4/TCP frame (SYN, 54 bytes) `src:sport` → `dst:dport`.
pub fn tcp_ipv4_frame(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00];
    let mut ip = [0u8; 20];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&40u16.to_be_bytes());
    ip[8] = 64;
    ip[9] = 6;
    ip[12..16].copy_from_slice(&src);
    ip[16..20].copy_from_slice(&dst);
    f.extend_from_slice(&ip);
    let mut tcp = [0u8; 20];
    tcp[0..2].copy_from_slice(&sport.to_be_bytes());
    tcp[2..4].copy_from_slice(&dport.to_be_bytes());
    tcp[12] = 5 << 4;
    tcp[13] = 0x02; // SYN
    tcp[14..16].copy_from_slice(&64240u16.to_be_bytes());
    f.extend_from_slice(&tcp);
    f
}
