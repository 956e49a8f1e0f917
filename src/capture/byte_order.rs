//! Byte order of a file or pcapng section, decided once when its header is
//! read, and bounds-safe field access for block parsing.

/// The byte order multi-byte fields are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Endian {
    Little,
    Big,
}

impl Endian {
    /// This machine's byte order.
    pub fn native() -> Endian {
        if cfg!(target_endian = "big") {
            Endian::Big
        } else {
            Endian::Little
        }
    }

    #[inline]
    pub fn u16(self, bytes: [u8; 2]) -> u16 {
        match self {
            Endian::Little => u16::from_le_bytes(bytes),
            Endian::Big => u16::from_be_bytes(bytes),
        }
    }

    #[inline]
    pub fn u32(self, bytes: [u8; 4]) -> u32 {
        match self {
            Endian::Little => u32::from_le_bytes(bytes),
            Endian::Big => u32::from_be_bytes(bytes),
        }
    }

    #[inline]
    pub fn u64(self, bytes: [u8; 8]) -> u64 {
        match self {
            Endian::Little => u64::from_le_bytes(bytes),
            Endian::Big => u64::from_be_bytes(bytes),
        }
    }
}

/// Fixed-offset fields of a block or header whose length was checked
/// beforehand. A read past the end yields 0 instead of panicking; callers
/// check lengths first, so that only guards against bugs.
#[derive(Clone, Copy)]
pub(super) struct Fields<'a> {
    pub bytes: &'a [u8],
    pub endian: Endian,
}

impl<'a> Fields<'a> {
    #[inline]
    pub fn u16(&self, at: usize) -> u16 {
        match self.bytes.get(at..at + 2) {
            Some(&[a, b]) => self.endian.u16([a, b]),
            _ => 0,
        }
    }

    #[inline]
    pub fn u32(&self, at: usize) -> u32 {
        match self.bytes.get(at..at + 4) {
            Some(&[a, b, c, d]) => self.endian.u32([a, b, c, d]),
            _ => 0,
        }
    }

    /// `bytes[from..to]`, or an empty slice if out of range.
    #[inline]
    pub fn slice(&self, from: usize, to: usize) -> &'a [u8] {
        self.bytes.get(from..to).unwrap_or(&[])
    }
}
