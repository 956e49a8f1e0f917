//! Interface Description Blocks: what a packet needs from its interface
//! (link type, snaplen, FCS length) and the clock that turns its raw time
//! stamps into nanoseconds.

use super::PcapngFile;
use super::blocks::{BlockHeader, block_fault, check_trailer, take_block, walk_options};
use super::layout::{idb, option};
use crate::capture::LinkType;
use crate::capture::byte_order::Fields;
use crate::capture::classic::pseudo_header_len;
use crate::capture::error::Fault;
use crate::capture::input::InputBuffer;

/// How one interface's raw 64-bit time stamps become nanoseconds.
#[derive(Clone, Copy, Debug)]
pub(super) struct Clock {
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
    pub(super) fn nanos(&self, units: u64) -> i64 {
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
pub(super) struct Interface {
    pub(super) link_type: LinkType,
    pub(super) snaplen: u32,
    pub(super) fcs_len: u8,
    pub(super) clock: Clock,
    /// Pseudo-header bytes at the start of each packet that its original
    /// length must not count (4 for SunATM, as tshark's `frame.len`).
    pub(super) pseudo_header_len: u32,
}

impl PcapngFile {
    pub(super) fn read_interface(
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
            pseudo_header_len: 0,
        };
        interface.pseudo_header_len = pseudo_header_len(interface.link_type);
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

    pub(super) fn interface(&self, id: u32, packet: u64, offset: u64) -> Result<&Interface, Fault> {
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
}
