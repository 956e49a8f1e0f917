//! Builders that write pcap and pcapng files byte by byte, for tests.

use super::byte_order::Endian;

fn put_u16(out: &mut Vec<u8>, endian: Endian, v: u16) {
    out.extend_from_slice(&match endian {
        Endian::Little => v.to_le_bytes(),
        Endian::Big => v.to_be_bytes(),
    });
}

fn put_u32(out: &mut Vec<u8>, endian: Endian, v: u32) {
    out.extend_from_slice(&match endian {
        Endian::Little => v.to_le_bytes(),
        Endian::Big => v.to_be_bytes(),
    });
}

fn put_u64(out: &mut Vec<u8>, endian: Endian, v: u64) {
    out.extend_from_slice(&match endian {
        Endian::Little => v.to_le_bytes(),
        Endian::Big => v.to_be_bytes(),
    });
}

fn pad4(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

/// A frame payload of `len` bytes that differs with `seed`.
pub fn payload(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Classic pcap magic numbers.
pub const MAGIC_MICROS: u32 = 0xa1b2_c3d4;
pub const MAGIC_NANOS: u32 = 0xa1b2_3c4d;
pub const MAGIC_MODIFIED: u32 = 0xa1b2_cd34;

/// Writes a classic pcap file.
pub struct PcapWriter {
    pub endian: Endian,
    /// Bytes written after the 16 standard bytes of each record header
    /// (old variants have 4, 8 or 12).
    pub extra_header: Vec<u8>,
    pub out: Vec<u8>,
}

impl PcapWriter {
    /// A file with the given magic, version 2.4, and link-type field.
    pub fn new(endian: Endian, magic: u32, snaplen: u32, link_field: u32) -> PcapWriter {
        PcapWriter::with_version(endian, magic, (2, 4), snaplen, link_field)
    }

    pub fn with_version(
        endian: Endian,
        magic: u32,
        version: (u16, u16),
        snaplen: u32,
        link_field: u32,
    ) -> PcapWriter {
        let mut out = Vec::new();
        put_u32(&mut out, endian, magic);
        put_u16(&mut out, endian, version.0);
        put_u16(&mut out, endian, version.1);
        put_u32(&mut out, endian, 0); // thiszone
        put_u32(&mut out, endian, 0); // sigfigs
        put_u32(&mut out, endian, snaplen);
        put_u32(&mut out, endian, link_field);
        let extra_header = if magic == MAGIC_MODIFIED {
            // ifindex 7, protocol 0x0800, packet type 4, pad.
            let mut extra = Vec::new();
            put_u32(&mut extra, endian, 7);
            put_u16(&mut extra, endian, 0x0800);
            extra.extend_from_slice(&[4, 0]);
            extra
        } else {
            Vec::new()
        };
        PcapWriter {
            endian,
            extra_header,
            out,
        }
    }

    /// A record with `data.len()` as captured length.
    pub fn record(&mut self, sec: u32, fraction: u32, data: &[u8], orig_len: u32) -> &mut Self {
        self.record_claiming(sec, fraction, data.len() as u32, orig_len, data)
    }

    /// A record whose header claims `caplen`, followed by `data`.
    pub fn record_claiming(
        &mut self,
        sec: u32,
        fraction: u32,
        caplen: u32,
        orig_len: u32,
        data: &[u8],
    ) -> &mut Self {
        let e = self.endian;
        put_u32(&mut self.out, e, sec);
        put_u32(&mut self.out, e, fraction);
        put_u32(&mut self.out, e, caplen);
        put_u32(&mut self.out, e, orig_len);
        self.out.extend_from_slice(&self.extra_header);
        self.out.extend_from_slice(data);
        self
    }
}

/// One pcapng option, padded.
pub fn option(endian: Endian, code: u16, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    put_u16(&mut out, endian, code);
    put_u16(&mut out, endian, value.len() as u16);
    out.extend_from_slice(value);
    pad4(&mut out);
    out
}

/// opt_endofopt.
pub fn end_of_options() -> Vec<u8> {
    vec![0; 4]
}

/// Writes a pcapng file block by block; each section has its own byte order.
pub struct PcapngWriter {
    pub endian: Endian,
    pub out: Vec<u8>,
}

impl PcapngWriter {
    /// Starts with a version 1.0 Section Header Block.
    pub fn new(endian: Endian) -> PcapngWriter {
        let mut writer = PcapngWriter {
            endian,
            out: Vec::new(),
        };
        writer.section(endian, (1, 0), &[]);
        writer
    }

    /// A block with `body` padded to 4 bytes.
    pub fn block(&mut self, block_type: u32, body: &[u8]) -> &mut Self {
        let mut padded = body.to_vec();
        pad4(&mut padded);
        let total = 12 + padded.len() as u32;
        self.raw_block(block_type, total, &padded, total)
    }

    /// A block with explicit (possibly wrong) lengths.
    pub fn raw_block(
        &mut self,
        block_type: u32,
        total_len: u32,
        body: &[u8],
        trailer: u32,
    ) -> &mut Self {
        let e = self.endian;
        put_u32(&mut self.out, e, block_type);
        put_u32(&mut self.out, e, total_len);
        self.out.extend_from_slice(body);
        put_u32(&mut self.out, e, trailer);
        self
    }

    /// A Section Header Block in byte order `endian`.
    pub fn section(&mut self, endian: Endian, version: (u16, u16), options: &[u8]) -> &mut Self {
        self.endian = endian;
        let mut body = Vec::new();
        put_u32(&mut body, endian, 0x1a2b_3c4d);
        put_u16(&mut body, endian, version.0);
        put_u16(&mut body, endian, version.1);
        put_u64(&mut body, endian, u64::MAX); // section length unknown
        body.extend_from_slice(options);
        self.block(0x0a0d_0d0a, &body)
    }

    pub fn interface(&mut self, link_type: u16, snaplen: u32, options: &[u8]) -> &mut Self {
        let e = self.endian;
        let mut body = Vec::new();
        put_u16(&mut body, e, link_type);
        put_u16(&mut body, e, 0);
        put_u32(&mut body, e, snaplen);
        body.extend_from_slice(options);
        self.block(1, &body)
    }

    pub fn enhanced_packet(
        &mut self,
        interface: u32,
        ts: u64,
        data: &[u8],
        orig_len: u32,
        options: &[u8],
    ) -> &mut Self {
        let e = self.endian;
        let mut body = Vec::new();
        put_u32(&mut body, e, interface);
        put_u32(&mut body, e, (ts >> 32) as u32);
        put_u32(&mut body, e, ts as u32);
        put_u32(&mut body, e, data.len() as u32);
        put_u32(&mut body, e, orig_len);
        body.extend_from_slice(data);
        pad4(&mut body);
        body.extend_from_slice(options);
        self.block(6, &body)
    }

    /// An obsolete Packet Block (type 2).
    pub fn packet(&mut self, interface: u16, ts: u64, data: &[u8], orig_len: u32) -> &mut Self {
        let e = self.endian;
        let mut body = Vec::new();
        put_u16(&mut body, e, interface);
        put_u16(&mut body, e, 0); // drops
        put_u32(&mut body, e, (ts >> 32) as u32);
        put_u32(&mut body, e, ts as u32);
        put_u32(&mut body, e, data.len() as u32);
        put_u32(&mut body, e, orig_len);
        body.extend_from_slice(data);
        self.block(2, &body)
    }

    pub fn simple_packet(&mut self, orig_len: u32, data: &[u8]) -> &mut Self {
        let e = self.endian;
        let mut body = Vec::new();
        put_u32(&mut body, e, orig_len);
        body.extend_from_slice(data);
        self.block(3, &body)
    }

    /// An Interface Statistics Block, which readers skip.
    pub fn statistics(&mut self, interface: u32) -> &mut Self {
        let e = self.endian;
        let mut body = Vec::new();
        put_u32(&mut body, e, interface);
        put_u64(&mut body, e, 0);
        self.block(5, &body)
    }
}

/// gzip-compresses `data`.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// zstd-compresses `data`.
pub fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(data, 3).unwrap()
}
