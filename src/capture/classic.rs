//! Classic pcap: a 24-byte file header, then records made of a 16-byte
//! header (longer in some old patched variants) and the captured bytes.
//! Layout: draft-ietf-opsawg-pcap and libpcap's `sf-pcap.c`; the handling of
//! old variants follows tshark 4.0's `wiretap/libpcap.c`, so that the same
//! records are read from the same files:
//!
//! * versions before 2.3 store the two lengths the other way round (2.3:
//!   when the captured length exceeds the original one);
//! * AIX files (standard magic, version 2.2, interface type 6, 9, 15 or 24
//!   where the link type belongs) have nanosecond time stamps;
//! * the standard magic is also used by Red Hat 6.1 (24-byte record headers)
//!   and Nokia (20-byte) captures, and the "modified" magic by two patches
//!   (24- and 28-byte headers); like tshark, the first three records are
//!   tried with each layout and the one whose headers look sanest wins.
//!   As in tshark, this guessing is skipped when reading from a pipe.

use super::byte_order::{Endian, Fields};
use super::error::{CaptureErrorKind, Fault, read_error_kind};
use super::input::InputBuffer;
use super::{Frame, LinkType, MAX_CAPTURED_LEN};

/// Length of the file header.
pub(super) const FILE_HEADER_LEN: usize = 24;

/// Offsets in the file header.
mod header {
    pub const VERSION_MAJOR: usize = 4;
    pub const VERSION_MINOR: usize = 6;
    pub const SNAPLEN: usize = 16;
    pub const LINK_TYPE: usize = 20;
}

/// Offsets in a record header; every variant starts with these 16 bytes.
mod record {
    pub const TS_SECONDS: usize = 0;
    pub const TS_FRACTION: usize = 4;
    pub const CAPTURED_LEN: usize = 8;
    pub const ORIGINAL_LEN: usize = 12;
    pub const COMMON_LEN: usize = 16;
}

/// Magic numbers as read in the file's own byte order.
const MAGIC_MICROS: u32 = 0xa1b2_c3d4;
const MAGIC_NANOS: u32 = 0xa1b2_3c4d;
const MAGIC_MODIFIED: u32 = 0xa1b2_cd34;

/// Link-type field: bits 16–25 are reserved and must be zero.
const LINK_TYPE_RESERVED_BITS: u32 = 0x03ff_0000;
/// Link-type field: bit 26 says the FCS length in bits 28–31 is valid.
const LINK_TYPE_FCS_PRESENT: u32 = 0x0400_0000;
/// Link-type field: FCS length, in 16-bit words.
const LINK_TYPE_FCS_SHIFT: u32 = 28;

/// Records tried per layout when guessing the variant (tshark: 3).
const RECORDS_TO_TRY: usize = 3;
/// An original length above this makes a layout look wrong (tshark).
const IMPLAUSIBLE_ORIGINAL_LEN: u32 = 128 * 1024 * 1024;

/// The pcap variants tshark tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PcapVariant {
    /// Standard pcap, microsecond time stamps (magic `a1b2c3d4`).
    Standard,
    /// Standard pcap with nanosecond time stamps (magic `a1b23c4d`).
    Nanosecond,
    /// AIX tcpdump: standard magic, version 2.2, interface types instead of
    /// link types, nanosecond time stamps.
    Aix,
    /// Kuznetzov's "modified" pcap (magic `a1b2cd34`, 24-byte record
    /// headers: + ifindex, protocol, packet type, pad); patch of 1999-10-29.
    Modified,
    /// SuSE 6.3: magic `a1b2cd34`, 28-byte record headers (patch of
    /// 1999-09-15).
    Suse63,
    /// Red Hat 6.1: the standard magic, but 24-byte record headers (patch of
    /// 1999-04-17).
    RedHat61,
    /// Nokia IPSO: the standard magic, 20-byte record headers.
    Nokia,
}

impl PcapVariant {
    /// Length of a record header.
    fn record_header_len(self) -> usize {
        match self {
            PcapVariant::Standard | PcapVariant::Nanosecond | PcapVariant::Aix => 16,
            PcapVariant::Nokia => 20,
            PcapVariant::Modified | PcapVariant::RedHat61 => 24,
            PcapVariant::Suse63 => 28,
        }
    }

    /// Time stamps in nanoseconds rather than microseconds.
    pub fn nanos(self) -> bool {
        matches!(self, PcapVariant::Nanosecond | PcapVariant::Aix)
    }

    /// Uses the "modified" magic `a1b2cd34`.
    pub fn modified_magic(self) -> bool {
        matches!(self, PcapVariant::Modified | PcapVariant::Suse63)
    }

    /// `"microseconds"`, `"Kuznetzov-modified, microseconds"`, …
    pub fn description(self) -> &'static str {
        match self {
            PcapVariant::Standard => "microseconds",
            PcapVariant::Nanosecond => "nanoseconds",
            PcapVariant::Aix => "AIX variant, nanoseconds",
            PcapVariant::Modified => "Kuznetzov-modified, microseconds",
            PcapVariant::Suse63 => "SuSE 6.3 variant, microseconds",
            PcapVariant::RedHat61 => "Red Hat 6.1 variant, microseconds",
            PcapVariant::Nokia => "Nokia variant, microseconds",
        }
    }
}

/// What the magic number says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Magic {
    endian: Endian,
    value: u32,
}

/// Recognises the three pcap magic numbers in either byte order.
pub(super) fn sniff(first: [u8; 4]) -> Option<Magic> {
    [Endian::Little, Endian::Big]
        .into_iter()
        .find_map(|endian| {
            let value = endian.u32(first);
            matches!(value, MAGIC_MICROS | MAGIC_NANOS | MAGIC_MODIFIED)
                .then_some(Magic { endian, value })
        })
}

/// How the two length fields of a record header are ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LengthOrder {
    /// Captured, then original (version 2.4).
    Normal,
    /// Original, then captured (versions 2.0–2.2).
    Swapped,
    /// Version 2.3: swapped when the captured length exceeds the original.
    Either,
}

/// A classic pcap file after its header: everything needed per record.
#[derive(Clone, Debug)]
pub(super) struct PcapFile {
    pub variant: PcapVariant,
    pub endian: Endian,
    pub version: (u16, u16),
    pub snaplen: u32,
    pub link_type: LinkType,
    /// FCS bytes at the end of each frame, from the link-type field.
    fcs_len: u8,
    record_header_len: usize,
    /// Nanoseconds per unit of the time stamp's fraction field.
    nanos_per_fraction: i64,
    lengths: LengthOrder,
    /// Bytes before each frame that the wire did not carry, so not in its
    /// original length: AIX's 3 bytes of padding before FDDI frames, or
    /// SunATM's 4-byte pseudo-header (tshark's `frame.len` counts neither).
    /// 0 for every other file: one predictable branch per record.
    leading_padding: u32,
    /// Whether `leading_padding` is cut from the data too (AIX padding),
    /// or left for the decoder (the SunATM pseudo-header says what follows).
    keep_padding: bool,
}

impl PcapFile {
    /// Reads the file header and, when `guess_variant` is set and the magic
    /// is ambiguous, looks ahead at the first records to pick the variant.
    pub fn open(
        input: &mut InputBuffer,
        magic: Magic,
        guess_variant: bool,
    ) -> Result<PcapFile, Fault> {
        if !fill(input, FILE_HEADER_LEN, None, 0)? {
            return Err(header_fault(CaptureErrorKind::CutShort {
                part: "the file header",
            }));
        }
        let fields = Fields {
            bytes: input.take(FILE_HEADER_LEN),
            endian: magic.endian,
        };
        let version = (
            fields.u16(header::VERSION_MAJOR),
            fields.u16(header::VERSION_MINOR),
        );
        // tshark accepts any major version ≥ 2 and libpcap 2 only; both
        // refuse version 1.
        if version.0 != 2 {
            return Err(header_fault(CaptureErrorKind::UnsupportedVersion {
                format: "pcap",
                major: version.0,
                minor: version.1,
            }));
        }
        let mut field = fields.u32(header::LINK_TYPE);
        let mut aix = false;
        if magic.value == MAGIC_MICROS && version == (2, 2) {
            // AIX writes RFC 1573 interface types here.
            let link = match field {
                6 => Some(1),   // Ethernet
                9 => Some(6),   // Token Ring
                15 => Some(10), // FDDI
                24 => Some(0),  // loopback
                _ => None,
            };
            if let Some(link) = link {
                field = link;
                aix = true;
            }
        }
        if field & LINK_TYPE_RESERVED_BITS != 0 {
            return Err(header_fault(CaptureErrorKind::ReservedLinkTypeBits {
                field,
            }));
        }
        let link_type = LinkType((field & 0xffff) as u16);
        let mut file = PcapFile {
            variant: PcapVariant::Standard,
            endian: magic.endian,
            version,
            snaplen: fields.u32(header::SNAPLEN),
            link_type,
            fcs_len: if field & LINK_TYPE_FCS_PRESENT != 0 {
                // At most 15 words: 30 bytes.
                ((field >> LINK_TYPE_FCS_SHIFT) * 2) as u8
            } else {
                0
            },
            record_header_len: 16,
            nanos_per_fraction: 1_000,
            lengths: match version.1 {
                0..=2 => LengthOrder::Swapped,
                3 => LengthOrder::Either,
                _ => LengthOrder::Normal,
            },
            leading_padding: if aix && link_type == LinkType::FDDI {
                3
            } else {
                pseudo_header_len(link_type)
            },
            keep_padding: link_type == LinkType::SUNATM,
        };
        let variant = match magic.value {
            MAGIC_NANOS => PcapVariant::Nanosecond,
            _ if aix => PcapVariant::Aix,
            MAGIC_MICROS if guess_variant => file.guess_variant(
                input,
                &[
                    PcapVariant::Standard,
                    PcapVariant::RedHat61,
                    PcapVariant::Nokia,
                ],
            )?,
            MAGIC_MICROS => PcapVariant::Standard,
            _ if guess_variant => {
                file.guess_variant(input, &[PcapVariant::Modified, PcapVariant::Suse63])?
            }
            // tshark refuses the modified magic on a pipe; the usual layout
            // is the better answer.
            _ => PcapVariant::Modified,
        };
        file.set_variant(variant);
        Ok(file)
    }

    fn set_variant(&mut self, variant: PcapVariant) {
        self.variant = variant;
        self.record_header_len = variant.record_header_len();
        self.nanos_per_fraction = if variant.nanos() { 1 } else { 1_000 };
    }

    /// tshark's heuristic: the first candidate whose first records all look
    /// sane, else the one with the fewest oddities (the first on a tie).
    fn guess_variant(
        &mut self,
        input: &mut InputBuffer,
        candidates: &[PcapVariant],
    ) -> Result<PcapVariant, Fault> {
        let mut best = (u32::MAX, candidates[0]);
        for &variant in candidates {
            self.set_variant(variant);
            // A read error while looking ahead (a cut gzip/zstd stream) says
            // nothing about the variant: read as the first candidate, and
            // let the error surface at its packet, after the ones before.
            let Ok(oddities) = self.count_oddities(input) else {
                self.set_variant(candidates[0]);
                return Ok(candidates[0]);
            };
            if oddities == 0 {
                return Ok(variant);
            }
            if oddities < best.0 {
                best = (oddities, variant);
            }
        }
        Ok(best.1)
    }

    /// Looks (without consuming) at the first records as the current
    /// variant: 0 if they look right, else how many things look wrong in
    /// the first record that looks wrong.
    fn count_oddities(&self, input: &mut InputBuffer) -> Result<u32, Fault> {
        let mut at = 0;
        for _ in 0..RECORDS_TO_TRY {
            let header_end = at + self.record_header_len;
            if !fill(input, header_end, None, 0)? {
                // A clean end is fine; a partial header is suspicious.
                return Ok(u32::from(input.bytes().len() != at));
            }
            let Some(header) = input.bytes()[at..].first_chunk::<{ record::COMMON_LEN }>() else {
                return Ok(1);
            };
            let (fraction, captured_len, orig_len) = self.lengths(header);
            let oddities = u32::from(fraction >= 1_000_000)
                + u32::from(captured_len > MAX_CAPTURED_LEN)
                + u32::from(orig_len > IMPLAUSIBLE_ORIGINAL_LEN)
                + u32::from(captured_len > self.snaplen)
                + u32::from(captured_len > orig_len);
            if oddities != 0 {
                return Ok(oddities);
            }
            at = header_end + captured_len as usize;
            if !fill(input, at, None, 0)? {
                return Ok(1);
            }
        }
        Ok(0)
    }

    /// (fraction, captured length, original length) in the right order.
    #[inline]
    fn lengths(&self, h: &[u8; record::COMMON_LEN]) -> (u32, u32, u32) {
        let (fraction, mut captured, mut original) = match self.endian {
            Endian::Little => (
                u32::from_le_bytes(word(h, record::TS_FRACTION)),
                u32::from_le_bytes(word(h, record::CAPTURED_LEN)),
                u32::from_le_bytes(word(h, record::ORIGINAL_LEN)),
            ),
            Endian::Big => (
                u32::from_be_bytes(word(h, record::TS_FRACTION)),
                u32::from_be_bytes(word(h, record::CAPTURED_LEN)),
                u32::from_be_bytes(word(h, record::ORIGINAL_LEN)),
            ),
        };
        let swap = match self.lengths {
            LengthOrder::Normal => false,
            LengthOrder::Swapped => true,
            LengthOrder::Either => captured > original,
        };
        if swap {
            std::mem::swap(&mut captured, &mut original);
        }
        (fraction, captured, original)
    }

    /// Reads the next record; `packet` is its 1-based number.
    #[inline]
    pub fn next<'a>(
        &self,
        input: &'a mut InputBuffer,
        packet: u64,
    ) -> Result<Option<Frame<'a>>, Fault> {
        let offset = input.offset();
        let header_len = self.record_header_len;
        if !fill(input, header_len, Some(packet), offset)? {
            if input.bytes().is_empty() {
                return Ok(None);
            }
            return Err(cut_short(packet, offset));
        }
        let Some(header) = input.bytes().first_chunk::<{ record::COMMON_LEN }>() else {
            return Err(cut_short(packet, offset));
        };
        let (fraction, mut captured_len, mut orig_len) = self.lengths(header);
        let sec = self.endian.u32(word(header, record::TS_SECONDS));
        if captured_len > MAX_CAPTURED_LEN {
            return Err(Fault::record_too_large(captured_len, packet, offset));
        }
        let record_len = header_len + captured_len as usize;
        if !fill(input, record_len, Some(packet), offset)? {
            return Err(cut_short(packet, offset));
        }
        let mut data_start = header_len;
        if self.leading_padding != 0 {
            let Some(shorter) = captured_len.checked_sub(self.leading_padding) else {
                let message = if self.keep_padding {
                    format!(
                        "SunATM record of {captured_len} bytes is shorter than its 4-byte pseudo-header"
                    )
                } else {
                    format!(
                        "AIX FDDI record of {captured_len} bytes is shorter than its 3-byte padding"
                    )
                };
                return Err(Fault::damaged(message, Some(packet), offset));
            };
            // Wraps below the padding, as tshark's unsigned length does.
            orig_len = orig_len.wrapping_sub(self.leading_padding);
            if !self.keep_padding {
                captured_len = shorter;
                data_start += self.leading_padding as usize;
            }
        }
        debug_assert_eq!(data_start + captured_len as usize, record_len);
        let record = input.take(record_len);
        Ok(Some(Frame {
            data: &record[data_start..],
            orig_len,
            // u32 seconds × 10⁹ + u32 × 10³ stays far below i64::MAX.
            ts_nanos: i64::from(sec) * 1_000_000_000
                + i64::from(fraction) * self.nanos_per_fraction,
            link_type: self.link_type,
            fcs_len: self.fcs_len,
        }))
    }
}

/// Bytes of pseudo-header before each frame of `link_type` that are not
/// part of its wire length (tshark subtracts them from `frame.len`): 4 for
/// SunATM, else 0. The pcapng reader uses it too.
pub(super) fn pseudo_header_len(link_type: LinkType) -> u32 {
    if link_type == LinkType::SUNATM { 4 } else { 0 }
}

/// Four bytes of a record header; `at` is one of the constant offsets, so
/// this compiles to a plain load.
#[inline]
fn word(h: &[u8; record::COMMON_LEN], at: usize) -> [u8; 4] {
    [h[at], h[at + 1], h[at + 2], h[at + 3]]
}

#[inline]
fn fill(
    input: &mut InputBuffer,
    need: usize,
    packet: Option<u64>,
    offset: u64,
) -> Result<bool, Fault> {
    input.fill(need).map_err(|err| Fault {
        kind: read_error_kind(&err, input.compression),
        packet,
        offset: Some(offset),
    })
}

fn cut_short(packet: u64, offset: u64) -> Fault {
    Fault::in_packet(
        CaptureErrorKind::CutShort { part: "a packet" },
        packet,
        offset,
    )
}

/// Errors in the file header carry no location: the header is the place.
fn header_fault(kind: CaptureErrorKind) -> Fault {
    Fault {
        kind,
        packet: None,
        offset: None,
    }
}
