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

mod blocks;
mod interface;
mod layout;
mod packets;

use super::byte_order::{Endian, Fields};
use super::error::{CaptureErrorKind, Fault};
use super::input::InputBuffer;
use super::{Frame, LinkType};
use blocks::{
    BlockHeader, block_fault, check_trailer, cut_short, fill, skip_block, take_block, walk_options,
};
use interface::Interface;
use layout::{MAX_BLOCK_LEN, block, block_type, shb};

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
}
