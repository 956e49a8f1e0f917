//! Block framing: the checked header of a block, whole blocks taken or
//! skipped with their trailers checked, the options walk, and the faults
//! they raise.

use super::layout::{block, block_type, option};
use crate::capture::byte_order::{Endian, Fields};
use crate::capture::error::{CaptureErrorKind, Fault, read_error_kind};
use crate::capture::input::InputBuffer;

/// The first 8 (SHB: 12) bytes of a block, checked.
#[derive(Clone, Copy, Debug)]
pub(super) struct BlockHeader {
    pub(super) block_type: u32,
    pub(super) total_len: u32,
    /// Byte order of the block: the section's, or for an SHB its own.
    pub(super) endian: Endian,
    /// Stream offset of the block.
    pub(super) offset: u64,
}

impl BlockHeader {
    /// Does the block become a frame?
    pub(super) fn is_frame(&self) -> bool {
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

/// Walks the options of a block: code, length, value padded to 4 bytes,
/// until opt_endofopt or the end. An option running past the end of the
/// block is damage (libpcap and tshark refuse the file). Options after
/// opt_endofopt are ignored, like tshark.
pub(super) fn walk_options(
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
pub(super) fn take_block<'a>(
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
    Ok(take_fields(input, header, None, part)?.bytes)
}

/// Consumes the whole block `header` starts (`part` names it in the error
/// when the input ends inside it) and returns its fields; the caller
/// checks the trailer once it has read what it needs.
pub(super) fn take_fields<'a>(
    input: &'a mut InputBuffer,
    header: BlockHeader,
    packet: Option<u64>,
    part: &'static str,
) -> Result<Fields<'a>, Fault> {
    let total_len = header.total_len as usize;
    if !fill(input, total_len, packet, header.offset)? {
        return Err(cut_short(part, packet, header.offset));
    }
    Ok(Fields {
        bytes: input.take(total_len),
        endian: header.endian,
    })
}

/// Skips a block we do not interpret, streaming, and checks its trailer.
pub(super) fn skip_block(input: &mut InputBuffer, header: BlockHeader) -> Result<(), Fault> {
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

pub(super) fn check_trailer(
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

pub(super) fn too_short(
    name: &str,
    total_len: u32,
    min_len: u32,
    packet: u64,
    offset: u64,
) -> Fault {
    Fault::damaged(
        format!("{name}: total length {total_len} is less than the minimum {min_len}"),
        Some(packet),
        offset,
    )
}

pub(super) fn block_fault(name: &str, detail: String, packet: Option<u64>, offset: u64) -> Fault {
    Fault::damaged(format!("{name}: {detail}"), packet, offset)
}

/// Rounds up to a multiple of 4.
#[inline]
pub(super) fn padded(len: u64) -> u64 {
    len.next_multiple_of(4)
}

#[inline]
pub(super) fn fill(
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

pub(super) fn cut_short(part: &'static str, packet: Option<u64>, offset: u64) -> Fault {
    Fault {
        kind: CaptureErrorKind::CutShort { part },
        packet,
        offset: Some(offset),
    }
}
