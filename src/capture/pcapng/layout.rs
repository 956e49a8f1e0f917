//! Where the fields of each pcapng block type lie, the option codes read,
//! and the size limits (draft-ietf-opsawg-pcapng).

/// Block types.
pub(super) mod block_type {
    pub const SECTION_HEADER: u32 = 0x0a0d_0d0a;
    pub const INTERFACE_DESCRIPTION: u32 = 1;
    pub const PACKET: u32 = 2;
    pub const SIMPLE_PACKET: u32 = 3;
    pub const ENHANCED_PACKET: u32 = 6;
    pub const CUSTOM: u32 = 0x0000_0bad;
    pub const CUSTOM_NO_COPY: u32 = 0x4000_0bad;
}

/// Offsets common to all blocks.
pub(super) mod block {
    pub const TYPE: usize = 0;
    pub const TOTAL_LEN: usize = 4;
    pub const BODY: usize = 8;
    /// Type, total length, trailing total length.
    pub const MIN_LEN: u32 = 12;
}

/// Offsets in a Section Header Block.
pub(super) mod shb {
    pub const BYTE_ORDER_MAGIC: usize = 8;
    pub const VERSION_MAJOR: usize = 12;
    pub const VERSION_MINOR: usize = 14;
    pub const OPTIONS: usize = 24;
    pub const MIN_LEN: u32 = 28;
    pub const MAGIC: u32 = 0x1a2b_3c4d;
}

/// Offsets in an Interface Description Block.
pub(super) mod idb {
    pub const LINK_TYPE: usize = 8;
    pub const SNAPLEN: usize = 12;
    pub const OPTIONS: usize = 16;
    pub const MIN_LEN: u32 = 20;
}

/// Offsets in an Enhanced Packet Block.
pub(super) mod epb {
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
pub(super) mod pb {
    pub const INTERFACE_ID: usize = 8;
    pub const MIN_LEN: u32 = 32;
}

/// Offsets in a Simple Packet Block.
pub(super) mod spb {
    pub const ORIGINAL_LEN: usize = 8;
    pub const DATA: usize = 12;
    pub const MIN_LEN: u32 = 16;
}

/// Offsets in a Custom Block.
pub(super) mod cb {
    /// After the Private Enterprise Number.
    pub const DATA: usize = 12;
    pub const MIN_LEN: u32 = 16;
}

/// Option codes.
pub(super) mod option {
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
pub(super) const MAX_BLOCK_LEN: u32 = 32 + 128 * 1024 * 1024 + 128 * 1024;

/// epb_flags bits 5–8: FCS length in bytes (0 = not given).
pub(super) const EPB_FLAGS_FCS_SHIFT: u32 = 5;
pub(super) const EPB_FLAGS_FCS_MASK: u32 = 0xf;
