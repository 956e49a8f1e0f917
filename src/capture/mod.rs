//! capture: reading saved captures (pcap, pcapng, optionally gzip- or
//! zstd-compressed, from a file or stdin) into frames borrowed from one large
//! read buffer, and capturing live from an interface through libpcap
//! ([`LiveCapture`]) into frames borrowed from libpcap's buffer.
//!
//! Why not libpcap's `pcap_open_offline` for files: it reads through a 4 KiB
//! stdio buffer, refuses pcapng files whose interfaces have different link
//! types, gives no byte offsets for errors and cannot read compressed
//! streams. For files the `pcap` crate is used only for link-type names.
//!
//! What the reader accepts and refuses follows tshark 4.0 (the project's
//! oracle) record for record, except where noted on [`CaptureReader`].
//!
//! May import no other portclass module; the only module that uses the
//! `pcap` crate.

mod byte_order;
mod classic;
mod error;
mod filter;
mod input;
mod live;
mod pcapng;
mod reader;

#[cfg(test)]
mod testdata;
#[cfg(test)]
mod tests;

use std::ffi::OsStr;
use std::fmt;
use std::path::PathBuf;

pub use classic::PcapVariant;
pub use error::{CaptureError, CaptureErrorKind};
pub use filter::{FilterError, PacketFilter};
pub use live::{
    CaptureStats, IDLE_WAIT, InterfaceInfo, LiveCapture, LiveOptions, default_interface,
    list_interfaces,
};
pub use reader::{CaptureFormat, CaptureReader, Compression, ProgressCounter};

/// The largest captured length of one record that the reader accepts, in
/// bytes. libpcap and tshark use the same limit; a record claiming more is
/// taken as damage ([`CaptureErrorKind::RecordTooLarge`]).
pub const MAX_CAPTURED_LEN: u32 = 262_144;

/// A link-layer header type as stored in capture files (a `LINKTYPE_*`
/// value from the tcpdump.org registry, not a platform `DLT_*` value).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkType(pub u16);

impl LinkType {
    /// BSD loopback: 4-byte host-order address family, then the packet.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet (10 Mb and up).
    pub const ETHERNET: LinkType = LinkType(1);
    /// PPP, RFC 1661 framing.
    pub const PPP: LinkType = LinkType(9);
    /// FDDI.
    pub const FDDI: LinkType = LinkType(10);
    /// Raw IP as written with `DLT_RAW` = 12 (most platforms).
    pub const RAW_12: LinkType = LinkType(12);
    /// Raw IP as written with `DLT_RAW` = 14 (OpenBSD).
    pub const RAW_14: LinkType = LinkType(14);
    /// PPP in HDLC-like framing (RFC 1662).
    pub const PPP_HDLC: LinkType = LinkType(50);
    /// Raw IP: the packet begins with an IPv4 or IPv6 header.
    pub const RAW: LinkType = LinkType(101);
    /// Cisco HDLC.
    pub const C_HDLC: LinkType = LinkType(104);
    /// IEEE 802.11 wireless, no radio header.
    pub const IEEE802_11: LinkType = LinkType(105);
    /// OpenBSD loopback: 4-byte network-order address family.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux "cooked" capture, version 1.
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// IEEE 802.11 with a radiotap header.
    pub const IEEE802_11_RADIOTAP: LinkType = LinkType(127);
    /// Per-Packet Information header, then the packet.
    pub const PPI: LinkType = LinkType(192);
    /// Raw IPv4.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux netfilter log (NFLOG) messages.
    pub const NFLOG: LinkType = LinkType(239);
    /// Linux "cooked" capture, version 2.
    pub const LINUX_SLL2: LinkType = LinkType(276);
    /// IEEE 802.15.4 frames with their 2-byte FCS.
    pub const IEEE802_15_4_WITHFCS: LinkType = LinkType(195);
    /// IEEE 802.15.4 frames after a non-ASK PHY header.
    pub const IEEE802_15_4_NONASK_PHY: LinkType = LinkType(215);
    /// IEEE 802.15.4 frames without FCS.
    pub const IEEE802_15_4_NOFCS: LinkType = LinkType(230);
    /// IEEE 802.15.4 frames after a TAP (TLV) header.
    pub const IEEE802_15_4_TAP: LinkType = LinkType(283);
    /// Ethernet with a Broadcom switch tag (4 bytes) after the source address.
    pub const DSA_TAG_BRCM: LinkType = LinkType(281);
    /// Ethernet preceded by a Broadcom switch tag (4 bytes).
    pub const DSA_TAG_BRCM_PREPEND: LinkType = LinkType(282);
    /// Ethernet with a Marvell DSA tag (4 bytes) after the source address.
    pub const DSA_TAG_DSA: LinkType = LinkType(284);
    /// Ethernet with a Marvell EDSA tag (8 bytes: EtherType, 2 reserved
    /// bytes, DSA tag) after the source address.
    pub const DSA_TAG_EDSA: LinkType = LinkType(285);
    /// LLC-encapsulated ATM (RFC 1483), no pseudo-header (`DLT_ATM_RFC1483`).
    pub const ATM_RFC1483: LinkType = LinkType(100);
    /// Linux Classical IP over ATM.
    pub const ATM_CLIP: LinkType = LinkType(106);
    /// Frame Relay: a Q.922 address, then the frame.
    pub const FRELAY: LinkType = LinkType(107);
    /// SunATM: a 4-byte pseudo-header (flags, VPI, VCI), then the AAL5 PDU.
    /// The pseudo-header is not counted in the frame's length (as tshark
    /// does); the readers subtract it from `orig_len` and leave it in `data`.
    pub const SUNATM: LinkType = LinkType(123);
    /// Linux ARCnet.
    pub const ARCNET_LINUX: LinkType = LinkType(129);
    /// `DLT_USER2`, which macOS uses for Apple PKTAP.
    pub const USER2: LinkType = LinkType(149);
    /// Juniper Ethernet: a Juniper header ("MGC", flags), then Ethernet.
    pub const JUNIPER_ETHER: LinkType = LinkType(178);
    /// Solaris ipnet: a 24-byte header with an address family.
    pub const IPNET: LinkType = LinkType(226);
    /// IP over InfiniBand (RFC 4391).
    pub const IPOIB: LinkType = LinkType(242);
    /// Apple PKTAP: a little-endian header that names the link type after it.
    pub const PKTAP: LinkType = LinkType(258);
    /// Not a link type: marks a pcapng Custom Block, a record that holds no
    /// packet but that tshark lists (and counts) as a frame. `data` is the
    /// custom data after the enterprise number, `orig_len` its length.
    /// Decoding must treat it as a non-IP frame. 65535 is not a registered
    /// LINKTYPE value.
    pub const PCAPNG_CUSTOM_BLOCK: LinkType = LinkType(0xffff);

    /// The short name libpcap uses (`"EN10MB"`, `"RAW"`, `"LINUX_SLL2"`), or
    /// `"LINKTYPE_<n>"` when libpcap does not know the type.
    pub fn name(self) -> String {
        if self == LinkType::PCAPNG_CUSTOM_BLOCK {
            return "PCAPNG_CUSTOM_BLOCK".to_owned();
        }
        // libpcap on Linux has no name for it; portclass reads it as PKTAP.
        if self == LinkType::USER2 {
            return "USER2".to_owned();
        }
        ::pcap::Linktype(self.libpcap_dlt())
            .get_name()
            .unwrap_or_else(|_| format!("LINKTYPE_{}", self.0))
    }

    /// libpcap's one-line description (`"Ethernet"`, `"Raw IP"`), or
    /// `"link type <n>"` when libpcap does not know the type.
    pub fn description(self) -> String {
        if self == LinkType::PCAPNG_CUSTOM_BLOCK {
            return "pcapng custom block, no packet".to_owned();
        }
        if self == LinkType::USER2 {
            return "DLT_USER2, read as Apple PKTAP as macOS writes it".to_owned();
        }
        ::pcap::Linktype(self.libpcap_dlt())
            .get_description()
            .unwrap_or_else(|_| format!("link type {}", self.0))
    }

    /// libpcap names `DLT_*` values, which differ from the `LINKTYPE_*`
    /// values stored in files for a handful of old types; map those to the
    /// `DLT_*` values libpcap uses on Linux and most other platforms.
    fn libpcap_dlt(self) -> i32 {
        match self.0 {
            100 => 11,      // ATM_RFC1483
            101 | 14 => 12, // RAW (14 is DLT_RAW on OpenBSD)
            102 => 15,      // SLIP_BSDOS
            103 => 16,      // PPP_BSDOS
            106 => 19,      // ATM_CLIP
            n => i32::from(n),
        }
    }
}

impl fmt::Display for LinkType {
    /// `"1 EN10MB (Ethernet)"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ({})", self.0, self.name(), self.description())
    }
}

/// Where a capture comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A file path (a FIFO or device works too).
    Path(PathBuf),
    /// Standard input.
    Stdin,
}

impl Input {
    /// Interprets a command-line argument: `-` means standard input,
    /// anything else is a path.
    pub fn from_arg(arg: &OsStr) -> Input {
        if arg == "-" {
            Input::Stdin
        } else {
            Input::Path(PathBuf::from(arg))
        }
    }

    /// The name used in messages: the path as given, or `<stdin>`.
    pub fn display_name(&self) -> String {
        match self {
            Input::Path(path) => path.display().to_string(),
            Input::Stdin => "<stdin>".to_owned(),
        }
    }
}

/// One captured frame, borrowed from the reader's (or libpcap's) buffer until
/// the next call to [`CaptureReader::next_frame`] or
/// [`LiveCapture::next_frame`].
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    /// The captured bytes (possibly fewer than `orig_len`: snaplen truncation
    /// is normal). Includes `fcs_len` FCS bytes at the end when known.
    pub data: &'a [u8],
    /// The length of the frame on the wire, as recorded. It may be smaller
    /// than `data.len()` in odd files; both are kept as given, like tshark.
    pub orig_len: u32,
    /// Time stamp in nanoseconds since the Unix epoch (0 for pcapng Simple
    /// Packet Blocks, which carry none).
    pub ts_nanos: i64,
    /// The link-layer header type of `data`.
    pub link_type: LinkType,
    /// Number of FCS bytes at the end of `data` when the file says so (pcap
    /// link-type field FCS bits, pcapng `if_fcslen` or `epb_flags`), else 0.
    pub fcs_len: u8,
}
