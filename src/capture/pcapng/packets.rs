//! The blocks that become frames: Enhanced, Simple and (obsolete) Packet
//! Blocks, and Custom Blocks (frames of link type
//! [`LinkType::PCAPNG_CUSTOM_BLOCK`], as tshark counts them).

use super::PcapngFile;
use super::blocks::{
    BlockHeader, block_fault, check_trailer, cut_short, fill, padded, take_fields, too_short,
    walk_options,
};
use super::layout::{
    EPB_FLAGS_FCS_MASK, EPB_FLAGS_FCS_SHIFT, block_type, cb, epb, option, pb, spb,
};
use crate::capture::byte_order::{Endian, Fields};
use crate::capture::error::Fault;
use crate::capture::input::InputBuffer;
use crate::capture::{Frame, LinkType, MAX_CAPTURED_LEN};

impl PcapngFile {
    /// Reads an Enhanced, Simple or obsolete Packet Block.
    #[inline]
    pub(super) fn read_packet_block<'a>(
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
        check_captured_len(captured_len, interface.pseudo_header_len, packet, offset)?;
        let total_len = header.total_len as usize;
        let fields = take_fields(input, header, Some(packet), "a packet")?;
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
            // Wraps below the pseudo-header, as tshark's unsigned length does.
            orig_len: orig_len.wrapping_sub(interface.pseudo_header_len),
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
        check_captured_len(captured_len, interface.pseudo_header_len, packet, offset)?;
        let fields = take_fields(input, header, Some(packet), "a packet")?;
        check_trailer(fields, header, Some(packet))?;
        Ok(Frame {
            data: fields.slice(spb::DATA, data_end as usize),
            orig_len: orig_len.wrapping_sub(interface.pseudo_header_len),
            ts_nanos: 0,
            link_type: interface.link_type,
            fcs_len: interface.fcs_len,
        })
    }
}

/// Refuses a captured length above [`MAX_CAPTURED_LEN`], or below the
/// interface's pseudo-header (tshark refuses a SunATM packet too short for
/// its pseudo-header). One comparison in the common case: a length below
/// the pseudo-header wraps to a huge value.
#[inline]
fn check_captured_len(
    captured_len: u32,
    pseudo_header_len: u32,
    packet: u64,
    offset: u64,
) -> Result<(), Fault> {
    if captured_len.wrapping_sub(pseudo_header_len) <= MAX_CAPTURED_LEN - pseudo_header_len {
        return Ok(());
    }
    if captured_len > MAX_CAPTURED_LEN {
        return Err(Fault::record_too_large(captured_len, packet, offset));
    }
    Err(Fault::damaged(
        format!(
            "SunATM packet of {captured_len} bytes is shorter than its {pseudo_header_len}-byte pseudo-header"
        ),
        Some(packet),
        offset,
    ))
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
    let fields = take_fields(input, header, Some(packet), "a custom block")?;
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
