//! pcapng: a sequence of blocks (draft-ietf-opsawg-pcapng). Section Header
//! Blocks set the byte order and reset the interfaces; Interface Description
//! Blocks give each interface's link type, snaplen, time stamp resolution,
//! offset and FCS length; Enhanced, Simple and (obsolete) Packet Blocks carry
//! frames; Custom Blocks become frames of link type
//! [`LinkType::PCAPNG_CUSTOM_BLOCK`], because tshark lists and counts them
//! as frames; every other block is skipped without being buffered.
//!
//! Validation follows tshark 4.0 (`wiretap/pcapng.c`): the same length and
//! option checks, so the same files are refused at the same packet. Unlike
//! tshark, a block total length that is not a multiple of 4 is refused (as
//! libpcap does) instead of being rounded up.

use super::byte_order::{Endian, Fields};
use super::error::{CaptureErrorKind, Fault, read_error_kind};
use super::input::InputBuffer;
use super::{Frame, LinkType, MAX_CAPTURED_LEN};

/// Block types.
mod block_type {
    pub const SECTION_HEADER: u32 = 0x0a0d_0d0a;
    pub const INTERFACE_DESCRIPTION: u32 = 1;
    pub const PACKET: u32 = 2;
    pub const SIMPLE_PACKET: u32 = 3;
    pub const ENHANCED_PACKET: u32 = 6;
    pub const CUSTOM: u32 = 0x0000_0bad;
    pub const CUSTOM_NO_COPY: u32 = 0x4000_0bad;
}

/// Offsets common to all blocks.
mod block {
    pub const TYPE: usize = 0;
    pub const TOTAL_LEN: usize = 4;
    pub const BODY: usize = 8;
    /// Type, total length, trailing total length.
    pub const MIN_LEN: u32 = 12;
}

/// Offsets in a Section Header Block.
mod shb {
    pub const BYTE_ORDER_MAGIC: usize = 8;
    pub const VERSION_MAJOR: usize = 12;
    pub const VERSION_MINOR: usize = 14;
    pub const OPTIONS: usize = 24;
    pub const MIN_LEN: u32 = 28;
    pub const MAGIC: u32 = 0x1a2b_3c4d;
}

/// Offsets in an Interface Description Block.
mod idb {
    pub const LINK_TYPE: usize = 8;
    pub const SNAPLEN: usize = 12;
    pub const OPTIONS: usize = 16;
    pub const MIN_LEN: u32 = 20;
}

/// Offsets in an Enhanced Packet Block.
mod epb {
    pub const INTERFACE_ID: usize = 8;
    pub const TS_HIGH: usize = 12;
    pub const TS_LOW: usize = 16;
    pub const CAPTURED_LEN: usize = 20;
    pub const ORIGINAL_LEN: usize = 24;
    pub const DATA: usize = 28;
    pub const MIN_LEN: u32 = 32;
}

/// Offsets in an (obsolete) Packet Block: like an EPB, but a 16-bit
/// interface id followed by a 16-bit drop count.
mod pb {
    pub const INTERFACE_ID: usize = 8;
    pub const MIN_LEN: u32 = 32;
}

/// Offsets in a Simple Packet Block.
mod spb {
    pub const ORIGINAL_LEN: usize = 8;
    pub const DATA: usize = 12;
    pub const MIN_LEN: u32 = 16;
}

/// Offsets in a Custom Block.
mod cb {
    /// After the Private Enterprise Number.
    pub const DATA: usize = 12;
    pub const MIN_LEN: u32 = 16;
}

/// Option codes.
mod option {
    pub const END_OF_OPTIONS: u16 = 0;
    pub const CUSTOM: [u16; 4] = [2988, 2989, 19372, 19373];
    pub const IF_TSRESOL: u16 = 9;
    pub const IF_FILTER: u16 = 11;
    pub const IF_FCSLEN: u16 = 13;
    pub const IF_TSOFFSET: u16 = 14;
    pub const EPB_FLAGS: u16 = 2;
    pub const EPB_HASH: u16 = 3;
    pub const EPB_DROPCOUNT: u16 = 4;
    pub const EPB_PACKETID: u16 = 5;
    pub const EPB_QUEUE: u16 = 6;
    pub const EPB_VERDICT: u16 = 7;
}

/// Largest block accepted: tshark's `MAX_BLOCK_SIZE` (an EPB holding the
/// largest D-Bus packet plus 128 KiB of options). Blocks are buffered only
/// as their bytes arrive, so this bounds damage, not memory.
const MAX_BLOCK_LEN: u32 = 32 + 128 * 1024 * 1024 + 128 * 1024;

/// epb_flags bits 5–8: FCS length in bytes (0 = not given).
const EPB_FLAGS_FCS_SHIFT: u32 = 5;
const EPB_FLAGS_FCS_MASK: u32 = 0xf;

/// How one interface's raw 64-bit time stamps become nanoseconds.
#[derive(Clone, Copy, Debug)]
struct Clock {
    units_per_second: u64,
    /// Set when a unit is a whole number of nanoseconds (10⁻⁰…10⁻⁹ s): one
    /// multiplication per packet.
    nanos_per_unit: Option<u64>,
    /// if_tsoffset, in nanoseconds.
    offset_nanos: i128,
}

impl Clock {
    const MICROSECONDS: Clock = Clock {
        units_per_second: 1_000_000,
        nanos_per_unit: Some(1_000),
        offset_nanos: 0,
    };

    /// From an if_tsresol byte: bit 7 clear → 10⁻ⁿ s, set → 2⁻ⁿ s. Like
    /// tshark 4.0, an exponent too large to represent gives time stamps of
    /// (nearly) zero rather than an error.
    fn with_resolution(self, tsresol: u8) -> Clock {
        let exponent = u32::from(tsresol & 0x7f);
        let (base, max_exponent) = if tsresol & 0x80 != 0 {
            (2u64, 63)
        } else {
            (10u64, 19)
        };
        let units_per_second = if exponent <= max_exponent {
            base.pow(exponent)
        } else {
            u64::MAX
        };
        let nanos_per_unit = (base == 10 && exponent <= 9).then(|| 10u64.pow(9 - exponent));
        Clock {
            units_per_second,
            nanos_per_unit,
            offset_nanos: self.offset_nanos,
        }
    }

    #[inline]
    fn nanos(&self, units: u64) -> i64 {
        let since_epoch: i128 = match self.nanos_per_unit {
            Some(per_unit) => i128::from(units) * i128::from(per_unit),
            None => {
                let per_second = u128::from(self.units_per_second);
                let units = u128::from(units);
                let whole = units / per_second * 1_000_000_000;
                let fraction = units % per_second * 1_000_000_000 / per_second;
                // Both below 2⁹⁴: no overflow, and the sum fits i128.
                (whole + fraction) as i128
            }
        };
        let total = since_epoch + self.offset_nanos;
        total.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }
}

/// What a packet needs from its interface.
#[derive(Clone, Copy, Debug)]
struct Interface {
    link_type: LinkType,
    snaplen: u32,
    fcs_len: u8,
    clock: Clock,
}

/// The first 8 (SHB: 12) bytes of a block, checked.
#[derive(Clone, Copy, Debug)]
struct BlockHeader {
    block_type: u32,
    total_len: u32,
    /// Byte order of the block: the section's, or for an SHB its own.
    endian: Endian,
    /// Stream offset of the block.
    offset: u64,
}

impl BlockHeader {
    /// Does the block become a frame?
    fn is_frame(&self) -> bool {
        matches!(
            self.block_type,
            block_type::ENHANCED_PACKET
                | block_type::SIMPLE_PACKET
                | block_type::PACKET
                | block_type::CUSTOM
                | block_type::CUSTOM_NO_COPY
        )
    }
}

/// The state of a pcapng file being read.
#[derive(Debug)]
pub(super) struct PcapngFile {
    /// Byte order of the current section.
    pub endian: Endian,
    /// Sections seen so far.
    pub sections: u32,
    /// Interfaces of the current section, by id.
    interfaces: Vec<Interface>,
    /// A fault met after the first section header while reading ahead in
    /// `open`: the file did open, so it is reported by the first `next`, as
    /// damage before packet 1 (a partly read file, not an unreadable one).
    deferred: Option<Fault>,
}

impl PcapngFile {
    /// Reads the Section Header Block at the start of the input (its type
    /// was sniffed already), then every non-packet block before the first
    /// packet, so that the first interfaces' link types are known.
    pub fn open(
        input: &mut InputBuffer,
        link_types: &mut Vec<LinkType>,
    ) -> Result<PcapngFile, Fault> {
        let mut file = PcapngFile {
            endian: Endian::Little,
            sections: 0,
            interfaces: Vec::new(),
            deferred: None,
        };
        // The first section header must be whole, or this is no capture.
        match file.peek_block(input)? {
            Some(header) => file.read_other_block(input, header, link_types)?,
            None => return Err(cut_short("a section header block", None, input.offset())),
        }
        loop {
            match file.peek_block(input) {
                Ok(Some(header)) if header.is_frame() => break,
                Ok(Some(header)) => {
                    if let Err(fault) = file.read_other_block(input, header, link_types) {
                        file.deferred = Some(fault);
                        break;
                    }
                }
                Ok(None) => break,
                Err(fault) => {
                    file.deferred = Some(fault);
                    break;
                }
            }
        }
        Ok(file)
    }

    /// Reads blocks up to and including the next packet block.
    #[inline]
    pub fn next<'a>(
        &mut self,
        input: &'a mut InputBuffer,
        packet: u64,
        link_types: &mut Vec<LinkType>,
    ) -> Result<Option<Frame<'a>>, Fault> {
        // Damage between packets is damage met while looking for `packet`.
        let at_packet = |mut fault: Fault| {
            fault.packet.get_or_insert(packet);
            fault
        };
        if let Some(fault) = self.deferred.take() {
            return Err(at_packet(fault));
        }
        loop {
            let Some(header) = self.peek_block(input).map_err(at_packet)? else {
                return Ok(None);
            };
            if header.is_frame() {
                return self.read_packet_block(input, header, packet).map(Some);
            }
            self.read_other_block(input, header, link_types)
                .map_err(at_packet)?;
        }
    }

    /// Looks at the next block's header without consuming it; `None` at a
    /// clean end of input.
    fn peek_block(&self, input: &mut InputBuffer) -> Result<Option<BlockHeader>, Fault> {
        let offset = input.offset();
        if !fill(input, block::BODY, None, offset)? {
            if input.bytes().is_empty() {
                return Ok(None);
            }
            return Err(cut_short("a block header", None, offset));
        }
        let fields = Fields {
            bytes: input.bytes(),
            endian: self.endian,
        };
        let block_type = fields.u32(block::TYPE);
        let mut endian = self.endian;
        if block_type == block_type::SECTION_HEADER {
            // The SHB's own byte-order magic says how to read its length.
            if !fill(input, shb::BYTE_ORDER_MAGIC + 4, None, offset)? {
                return Err(cut_short("a section header block", None, offset));
            }
            let at = shb::BYTE_ORDER_MAGIC;
            let bytes = input.bytes();
            let magic = [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]];
            endian = if u32::from_le_bytes(magic) == shb::MAGIC {
                Endian::Little
            } else if u32::from_be_bytes(magic) == shb::MAGIC {
                Endian::Big
            } else {
                return Err(Fault::damaged(
                    format!(
                        "pcapng section header has an unknown byte-order magic number 0x{:08x}",
                        u32::from_le_bytes(magic)
                    ),
                    None,
                    offset,
                ));
            };
        }
        let total_len = Fields {
            bytes: input.bytes(),
            endian,
        }
        .u32(block::TOTAL_LEN);
        let problem = if total_len < block::MIN_LEN {
            Some(format!(
                "is less than the minimum block size {}",
                block::MIN_LEN
            ))
        } else if !total_len.is_multiple_of(4) {
            Some("is not a multiple of 4".to_owned())
        } else if total_len > MAX_BLOCK_LEN {
            Some(format!("is too large (more than {MAX_BLOCK_LEN})"))
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(Fault::damaged(
                format!(
                    "pcapng block of type 0x{block_type:08x}: total length {total_len} {problem}"
                ),
                None,
                offset,
            ));
        }
        Ok(Some(BlockHeader {
            block_type,
            total_len,
            endian,
            offset,
        }))
    }

    /// Reads a Section Header Block, Interface Description Block or any
    /// block to skip.
    fn read_other_block(
        &mut self,
        input: &mut InputBuffer,
        header: BlockHeader,
        link_types: &mut Vec<LinkType>,
    ) -> Result<(), Fault> {
        match header.block_type {
            block_type::SECTION_HEADER => self.read_section_header(input, header),
            block_type::INTERFACE_DESCRIPTION => {
                let interface = self.read_interface(input, header)?;
                self.interfaces.push(interface);
                if !link_types.contains(&interface.link_type) {
                    link_types.push(interface.link_type);
                }
                Ok(())
            }
            _ => skip_block(input, header),
        }
    }

    fn read_section_header(
        &mut self,
        input: &mut InputBuffer,
        header: BlockHeader,
    ) -> Result<(), Fault> {
        let block = take_block(
            input,
            header,
            shb::MIN_LEN,
            "section header block",
            "a section header block",
        )?;
        let fields = Fields {
            bytes: block,
            endian: header.endian,
        };
        let (major, minor) = (
            fields.u16(shb::VERSION_MAJOR),
            fields.u16(shb::VERSION_MINOR),
        );
        // Like tshark and libpcap: 1.2 is 1.0 plus block types we skip anyway.
        if !(major == 1 && (minor == 0 || minor == 2)) {
            return Err(Fault::at(
                CaptureErrorKind::UnsupportedVersion {
                    format: "pcapng",
                    major,
                    minor,
                },
                header.offset,
            ));
        }
        let options = fields.slice(shb::OPTIONS, block.len() - 4);
        walk_options(options, header.endian, |_, _| Ok(()))
            .map_err(|detail| block_fault("section header block", detail, None, header.offset))?;
        check_trailer(fields, header, None)?;
        self.endian = header.endian;
        self.sections += 1;
        self.interfaces.clear();
        Ok(())
    }

    fn read_interface(
        &self,
        input: &mut InputBuffer,
        header: BlockHeader,
    ) -> Result<Interface, Fault> {
        let block = take_block(
            input,
            header,
            idb::MIN_LEN,
            "interface description block",
            "an interface description block",
        )?;
        let fields = Fields {
            bytes: block,
            endian: header.endian,
        };
        let mut interface = Interface {
            link_type: LinkType(fields.u16(idb::LINK_TYPE)),
            snaplen: fields.u32(idb::SNAPLEN),
            fcs_len: 0,
            clock: Clock::MICROSECONDS,
        };
        let mut tsresol = None;
        let options = fields.slice(idb::OPTIONS, block.len() - 4);
        walk_options(options, header.endian, |code, value| {
            // Options of the wrong length are ignored, as tshark does.
            match (code, value) {
                (option::IF_TSRESOL, &[resolution]) => tsresol = Some(resolution),
                // if_fcslen is in bits (pcapng spec; tshark ≥ 4.2).
                (option::IF_FCSLEN, &[bits]) => interface.fcs_len = bits / 8,
                (option::IF_TSOFFSET, &[a, b, c, d, e, f, g, h]) => {
                    let seconds = header.endian.u64([a, b, c, d, e, f, g, h]) as i64;
                    interface.clock.offset_nanos = i128::from(seconds) * 1_000_000_000;
                }
                (option::IF_FILTER, &[]) => return Err("if_filter option is empty".to_owned()),
                _ => {}
            }
            Ok(())
        })
        .map_err(|detail| {
            block_fault("interface description block", detail, None, header.offset)
        })?;
        if let Some(resolution) = tsresol {
            interface.clock = interface.clock.with_resolution(resolution);
        }
        check_trailer(fields, header, None)?;
        Ok(interface)
    }

    fn interface(&self, id: u32, packet: u64, offset: u64) -> Result<&Interface, Fault> {
        self.interfaces.get(id as usize).ok_or_else(|| {
            Fault::damaged(
                format!(
                    "packet refers to interface {id}, but its section has {} interface(s)",
                    self.interfaces.len()
                ),
                Some(packet),
                offset,
            )
        })
    }

    /// Reads an Enhanced, Simple or obsolete Packet Block.
    #[inline]
    fn read_packet_block<'a>(
        &self,
        input: &'a mut InputBuffer,
        header: BlockHeader,
        packet: u64,
    ) -> Result<Frame<'a>, Fault> {
        match header.block_type {
            block_type::SIMPLE_PACKET => return self.read_simple_packet(input, header, packet),
            block_type::CUSTOM | block_type::CUSTOM_NO_COPY => {
                return read_custom_block(input, header, packet);
            }
            _ => {}
        }
        let (name, min_len) = if header.block_type == block_type::ENHANCED_PACKET {
            ("enhanced packet block", epb::MIN_LEN)
        } else {
            ("packet block", pb::MIN_LEN)
        };
        let offset = header.offset;
        if header.total_len < min_len {
            return Err(too_short(name, header.total_len, min_len, packet, offset));
        }
        // The fixed part first, so that its checks come before any cut-short
        // data, in tshark's order.
        if !fill(input, epb::DATA, Some(packet), offset)? {
            return Err(cut_short("a packet", Some(packet), offset));
        }
        let fields = Fields {
            bytes: input.bytes(),
            endian: header.endian,
        };
        let interface_id = if header.block_type == block_type::ENHANCED_PACKET {
            fields.u32(epb::INTERFACE_ID)
        } else {
            u32::from(fields.u16(pb::INTERFACE_ID))
        };
        let ts_units =
            (u64::from(fields.u32(epb::TS_HIGH)) << 32) | u64::from(fields.u32(epb::TS_LOW));
        let captured_len = fields.u32(epb::CAPTURED_LEN);
        let orig_len = fields.u32(epb::ORIGINAL_LEN);
        let data_end = epb::DATA as u64 + u64::from(captured_len);
        if u64::from(header.total_len) < padded(data_end) + 4 {
            return Err(Fault::damaged(
                format!(
                    "{name}: total length {} is too small for {captured_len} bytes of packet data",
                    header.total_len
                ),
                Some(packet),
                offset,
            ));
        }
        let interface = *self.interface(interface_id, packet, offset)?;
        if captured_len > MAX_CAPTURED_LEN {
            return Err(Fault::in_packet(
                CaptureErrorKind::RecordTooLarge {
                    caplen: captured_len,
                },
                packet,
                offset,
            ));
        }
        let total_len = header.total_len as usize;
        if !fill(input, total_len, Some(packet), offset)? {
            return Err(cut_short("a packet", Some(packet), offset));
        }
        let block = input.take(total_len);
        let fields = Fields {
            bytes: block,
            endian: header.endian,
        };
        // data_end ≤ total_len - 4, checked above.
        let data_end = data_end as usize;
        let options = fields.slice(padded(data_end as u64) as usize, total_len - 4);
        let mut fcs_len = interface.fcs_len;
        if !options.is_empty() {
            walk_options(options, header.endian, |code, value| {
                check_packet_option(code, value, header.endian, &mut fcs_len)
            })
            .map_err(|detail| block_fault(name, detail, Some(packet), offset))?;
        }
        check_trailer(fields, header, Some(packet))?;
        Ok(Frame {
            data: fields.slice(epb::DATA, data_end),
            orig_len,
            ts_nanos: interface.clock.nanos(ts_units),
            link_type: interface.link_type,
            fcs_len,
        })
    }

    /// A Simple Packet Block: original length and data only, on interface 0;
    /// captured length = min(original length, interface 0's snaplen).
    fn read_simple_packet<'a>(
        &self,
        input: &'a mut InputBuffer,
        header: BlockHeader,
        packet: u64,
    ) -> Result<Frame<'a>, Fault> {
        let name = "simple packet block";
        let offset = header.offset;
        if header.total_len < spb::MIN_LEN {
            return Err(too_short(
                name,
                header.total_len,
                spb::MIN_LEN,
                packet,
                offset,
            ));
        }
        if !fill(input, spb::DATA, Some(packet), offset)? {
            return Err(cut_short("a packet", Some(packet), offset));
        }
        let orig_len = Fields {
            bytes: input.bytes(),
            endian: header.endian,
        }
        .u32(spb::ORIGINAL_LEN);
        let Some(interface) = self.interfaces.first().copied() else {
            return Err(Fault::damaged(
                format!("{name} appears before any interface description block in its section"),
                Some(packet),
                offset,
            ));
        };
        let captured_len = if interface.snaplen != 0 {
            orig_len.min(interface.snaplen)
        } else {
            orig_len
        };
        let data_end = spb::DATA as u64 + u64::from(captured_len);
        // tshark and libpcap refuse an SPB too short for the captured length
        // rather than shortening the packet to what the block holds.
        if u64::from(header.total_len) < padded(data_end) + 4 {
            return Err(Fault::damaged(
                format!(
                    "{name}: total length {} is too small for {captured_len} bytes of packet data",
                    header.total_len
                ),
                Some(packet),
                offset,
            ));
        }
        if captured_len > MAX_CAPTURED_LEN {
            return Err(Fault::in_packet(
                CaptureErrorKind::RecordTooLarge {
                    caplen: captured_len,
                },
                packet,
                offset,
            ));
        }
        let total_len = header.total_len as usize;
        if !fill(input, total_len, Some(packet), offset)? {
            return Err(cut_short("a packet", Some(packet), offset));
        }
        let fields = Fields {
            bytes: input.take(total_len),
            endian: header.endian,
        };
        check_trailer(fields, header, Some(packet))?;
        Ok(Frame {
            data: fields.slice(spb::DATA, data_end as usize),
            orig_len,
            ts_nanos: 0,
            link_type: interface.link_type,
            fcs_len: interface.fcs_len,
        })
    }
}

/// A Custom Block, as tshark 4.0 returns it: the data after the enterprise
/// number (padding and options included) as a frame of that length.
fn read_custom_block<'a>(
    input: &'a mut InputBuffer,
    header: BlockHeader,
    packet: u64,
) -> Result<Frame<'a>, Fault> {
    let offset = header.offset;
    if header.total_len < cb::MIN_LEN {
        return Err(too_short(
            "custom block",
            header.total_len,
            cb::MIN_LEN,
            packet,
            offset,
        ));
    }
    let total_len = header.total_len as usize;
    if !fill(input, total_len, Some(packet), offset)? {
        return Err(cut_short("a custom block", Some(packet), offset));
    }
    let fields = Fields {
        bytes: input.take(total_len),
        endian: header.endian,
    };
    check_trailer(fields, header, Some(packet))?;
    Ok(Frame {
        data: fields.slice(cb::DATA, total_len - 4),
        orig_len: header.total_len - cb::MIN_LEN,
        ts_nanos: 0,
        link_type: LinkType::PCAPNG_CUSTOM_BLOCK,
        fcs_len: 0,
    })
}

/// Checks an option of an Enhanced or obsolete Packet Block the way tshark
/// does, and picks up an FCS length from epb_flags.
fn check_packet_option(
    code: u16,
    value: &[u8],
    endian: Endian,
    fcs_len: &mut u8,
) -> Result<(), String> {
    let exact = |name: &str, want: usize| {
        if value.len() == want {
            Ok(())
        } else {
            Err(format!(
                "{name} option length {} is not {want}",
                value.len()
            ))
        }
    };
    match code {
        option::EPB_FLAGS => {
            exact("epb_flags", 4)?;
            if let &[a, b, c, d] = value {
                let from_flags =
                    (endian.u32([a, b, c, d]) >> EPB_FLAGS_FCS_SHIFT) & EPB_FLAGS_FCS_MASK;
                if from_flags != 0 {
                    *fcs_len = from_flags as u8;
                }
            }
            Ok(())
        }
        option::EPB_DROPCOUNT => exact("epb_dropcount", 8),
        option::EPB_PACKETID => exact("epb_packetid", 8),
        option::EPB_QUEUE => exact("epb_queue", 4),
        option::EPB_HASH if value.is_empty() => Err("epb_hash option is empty".to_owned()),
        option::EPB_VERDICT => match value.first() {
            None => Err("epb_verdict option is empty".to_owned()),
            // Linux eBPF TC and XDP verdicts: type byte + 8 bytes.
            Some(1 | 2) => exact("epb_verdict", 9),
            Some(_) => Ok(()),
        },
        _ => Ok(()),
    }
}

/// Walks the options of a block: code, length, value padded to 4 bytes,
/// until opt_endofopt or the end. An option running past the end of the
/// block is damage (libpcap and tshark refuse the file). Options after
/// opt_endofopt are ignored, like tshark.
fn walk_options(
    mut rest: &[u8],
    endian: Endian,
    mut visit: impl FnMut(u16, &[u8]) -> Result<(), String>,
) -> Result<(), String> {
    while !rest.is_empty() {
        let Some((&[c0, c1, l0, l1], after)) = rest.split_first_chunk::<4>() else {
            return Err(format!("{} bytes left for an option header", rest.len()));
        };
        let code = endian.u16([c0, c1]);
        let len = usize::from(endian.u16([l0, l1]));
        let padded_len = len.next_multiple_of(4);
        if padded_len > after.len() {
            return Err(format!(
                "option {code} of length {len} runs past the end of the block ({} bytes left)",
                after.len()
            ));
        }
        if code == option::END_OF_OPTIONS {
            return Ok(());
        }
        let value = &after[..len];
        if option::CUSTOM.contains(&code) && len < 4 {
            return Err(format!(
                "custom option {code} of length {len} is too short for its enterprise number"
            ));
        }
        visit(code, value)?;
        rest = &after[padded_len..];
    }
    Ok(())
}

/// Consumes a whole non-packet block and returns it.
fn take_block<'a>(
    input: &'a mut InputBuffer,
    header: BlockHeader,
    min_len: u32,
    name: &'static str,
    part: &'static str,
) -> Result<&'a [u8], Fault> {
    if header.total_len < min_len {
        return Err(Fault::damaged(
            format!(
                "{name}: total length {} is less than the minimum {min_len}",
                header.total_len
            ),
            None,
            header.offset,
        ));
    }
    let total_len = header.total_len as usize;
    if !fill(input, total_len, None, header.offset)? {
        return Err(cut_short(part, None, header.offset));
    }
    Ok(input.take(total_len))
}

/// Skips a block we do not interpret, streaming, and checks its trailer.
fn skip_block(input: &mut InputBuffer, header: BlockHeader) -> Result<(), Fault> {
    let offset = header.offset;
    let body = u64::from(header.total_len) - u64::from(block::MIN_LEN);
    input.consume(block::BODY);
    if !skip(input, body, offset)? || !fill(input, 4, None, offset)? {
        return Err(cut_short("a block", None, offset));
    }
    let bytes = input.bytes();
    let trailer = header.endian.u32([bytes[0], bytes[1], bytes[2], bytes[3]]);
    input.consume(4);
    if trailer != header.total_len {
        return Err(trailer_mismatch(header, trailer, None));
    }
    Ok(())
}

fn check_trailer(
    fields: Fields<'_>,
    header: BlockHeader,
    packet: Option<u64>,
) -> Result<(), Fault> {
    let trailer = fields.u32(header.total_len as usize - 4);
    if trailer == header.total_len {
        Ok(())
    } else {
        Err(trailer_mismatch(header, trailer, packet))
    }
}

fn trailer_mismatch(header: BlockHeader, trailer: u32, packet: Option<u64>) -> Fault {
    Fault::damaged(
        format!(
            "pcapng block of type 0x{:08x}: total lengths (first {} and second {trailer}) don't match",
            header.block_type, header.total_len
        ),
        packet,
        header.offset,
    )
}

fn too_short(name: &str, total_len: u32, min_len: u32, packet: u64, offset: u64) -> Fault {
    Fault::damaged(
        format!("{name}: total length {total_len} is less than the minimum {min_len}"),
        Some(packet),
        offset,
    )
}

fn block_fault(name: &str, detail: String, packet: Option<u64>, offset: u64) -> Fault {
    Fault::damaged(format!("{name}: {detail}"), packet, offset)
}

/// Rounds up to a multiple of 4.
#[inline]
fn padded(len: u64) -> u64 {
    len.next_multiple_of(4)
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

fn skip(input: &mut InputBuffer, n: u64, offset: u64) -> Result<bool, Fault> {
    input
        .skip(n)
        .map_err(|err| Fault::at(read_error_kind(&err, input.compression), offset))
}

fn cut_short(part: &'static str, packet: Option<u64>, offset: u64) -> Fault {
    Fault {
        kind: CaptureErrorKind::CutShort { part },
        packet,
        offset: Some(offset),
    }
}
