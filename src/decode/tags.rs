//! Tags and shims that sit between an EtherType and the packet it carries,
//! followed as tshark 4.0's dissectors follow them (probed frame by frame
//! with tshark 4.0.17; the fixture `fixtures/ethertypes.pcap` holds one
//! frame of each kind):
//!
//! * MACsec (802.1AE, 0x88E5): a SecTAG of 6 bytes after the EtherType, 14
//!   with the SC bit (the SCI), then the payload's EtherType. Only
//!   integrity-only frames (neither E nor C set) are read on; the 16-byte
//!   ICV at the end stays a trailer of the payload, as in tshark 4.0. A
//!   frame whose captured bytes do not go past SecTAG and ICV is not read.
//! * Cisco FabricPath (0x8903, tshark's heuristic on Ethernet): a 16-byte
//!   header (20 behind one 802.1Q or 802.1ad tag) replacing the Ethernet
//!   header, then the original Ethernet frame, whose last 4 bytes tshark
//!   4.0 takes as an FCS (they leave the inner frame's reported length).
//! * NSH (0x894F): base header and service path header; the header length
//!   is the length field (24 bytes for MD type 1, at least 8 for MD type
//!   2), then next protocol 1 IPv4, 2 IPv6, 3 Ethernet, 4 NSH, 5 MPLS.
//! * Cisco MetaData (0x8909): 6 bytes (version, length, option, SGT), then
//!   an EtherType.
//! * E-Tag (802.1BR, 0x893F): 6 bytes, then an EtherType.
//! * VN-Tag (0x8926): 4 bytes, then a type, or an 802.3 length and LLC.
//! * Provider Backbone Bridging (802.1ah, 0x88E7): the 4-byte I-TAG, the
//!   customer destination and source addresses, then an EtherType.
//! * Arista (0xD28B): a subtype; subtype 1 (timestamp) has a version and
//!   an 8-byte (versions 0x10, 0x110) or 6-byte (0x20, 0x120) timestamp,
//!   and other versions are not read on; after any other subtype the
//!   EtherType follows at once.
//!
//! Where these tags give an EtherType, tshark's EtherType table decides
//! what follows: a value up to 1500 is no length there (only 802.1Q,
//! VN-Tag and Ethernet read one), so it leads nowhere.
//!
//! Each function reads one tag and says what comes next; [`follow`]'s loop
//! follows the chain (with the 802.1Q tags, LLC within an 802.3 length, and
//! Ethernet headers inside FabricPath and NSH), so tags nest without
//! recursion. `link` decides what the last EtherType leads to.

use super::link::{LINK_TRUNCATED, NON_IP, ethernet, llc_snap};
use super::{Bytes, PacketInfo};
use etherparse::EtherType;

pub(super) const ETHERTYPE_MACSEC: u16 = 0x88e5;
pub(super) const ETHERTYPE_PBB: u16 = 0x88e7;
const ETHERTYPE_FABRICPATH: u16 = 0x8903;
pub(super) const ETHERTYPE_VN_TAG: u16 = 0x8926;
pub(super) const ETHERTYPE_CISCO_METADATA: u16 = 0x8909;
pub(super) const ETHERTYPE_E_TAG: u16 = 0x893f;
pub(super) const ETHERTYPE_NSH: u16 = 0x894f;
pub(super) const ETHERTYPE_ARISTA: u16 = 0xd28b;
const ETHERTYPE_MPLS_UNICAST: u16 = 0x8847;

/// 802.1Q / 802.1ad tag following the type field: TCI, then the inner type.
pub(super) mod vlan {
    pub const INNER_TYPE: usize = 2;
    pub const LEN: usize = 4;
    /// tshark's 802.1Q dissector (0x8100, 0x9100) gives up on the 21st tag
    /// of one chain ("Too many nested VLAN tags"), whatever lies between
    /// them; 802.1ad (0x88a8) tags do not count.
    pub const MAX_NESTED_8021Q: u8 = 20;
}

/// Most tags (802.1Q/ad, MACsec, NSH, FabricPath, ...) one chain of link
/// layers passes before decoding gives up: tshark stops at 500 protocol
/// layers (`gui.max_tree_depth`), and Ethernet with 247 tags (two layers
/// each: the tag and its EtherType), then IP and a transport header, is as
/// deep as it still classifies. At 248 tags tshark's last layer is IP
/// (`other_ip`) where portclass says `non_ip`; past that both say `non_ip`.
pub(super) const MAX_TAGS: u16 = 247;

/// One step of the link layer between the frame's start and the EtherType
/// that ends the chain.
pub(super) enum Layer<'a> {
    /// An Ethernet header (destination, source, type or length).
    Ethernet(Bytes<'a>),
    /// IEEE 802.2 LLC (after an 802.3 length, bounded by it).
    Llc(Bytes<'a>),
    /// An EtherType and the bytes it announces.
    EtherType(u16, Bytes<'a>),
}

/// Decoding ended before an EtherType that is no tag, with this summary.
type Ended = PacketInfo;

/// Follows tags, shims, LLC and inner Ethernet headers from `layer` on, in
/// a loop (every step consumes header bytes, and at most [`MAX_TAGS`] tags
/// are passed), to the first EtherType that is no tag: `Ok` with it and the
/// bytes it announces, or `Err` with the summary where the chain ended.
pub(super) fn follow(mut layer: Layer<'_>) -> Result<(u16, Bytes<'_>), Ended> {
    let mut tags_passed: u16 = 0;
    let mut nested_8021q: u8 = 0;
    loop {
        let is_tag = match layer {
            Layer::Ethernet(bytes) => is_fabricpath(bytes),
            Layer::Llc(_) => false,
            Layer::EtherType(ethertype, bytes) => {
                if !is_tag(ethertype) {
                    return Ok((ethertype, bytes));
                }
                true
            }
        };
        if is_tag {
            tags_passed += 1;
            if tags_passed > MAX_TAGS {
                return Err(NON_IP);
            }
        }
        layer = match layer {
            Layer::Ethernet(bytes) => ethernet(bytes)?,
            Layer::Llc(bytes) => llc(bytes)?,
            Layer::EtherType(ethertype, bytes) => tag(ethertype, bytes, &mut nested_8021q)?,
        };
    }
}

/// The EtherTypes [`follow`] passes.
pub(super) fn is_tag(ethertype: u16) -> bool {
    matches!(
        EtherType(ethertype),
        EtherType::VLAN_TAGGED_FRAME
            | EtherType::PROVIDER_BRIDGING
            | EtherType::VLAN_DOUBLE_TAGGED_FRAME
            | EtherType(ETHERTYPE_MACSEC)
            | EtherType(ETHERTYPE_PBB)
            | EtherType(ETHERTYPE_VN_TAG)
            | EtherType(ETHERTYPE_CISCO_METADATA)
            | EtherType(ETHERTYPE_E_TAG)
            | EtherType(ETHERTYPE_NSH)
            | EtherType(ETHERTYPE_ARISTA)
    )
}

/// One tag (an EtherType [`is_tag`] accepts).
fn tag<'a>(ethertype: u16, bytes: Bytes<'a>, nested_8021q: &mut u8) -> Result<Layer<'a>, Ended> {
    match EtherType(ethertype) {
        // 802.1Q; 0x9100 is tshark's default "QinQ" type, read as 802.1Q.
        // (0x9200, which some tools take for QinQ, tshark 4.0 does not read.)
        EtherType::VLAN_TAGGED_FRAME | EtherType::VLAN_DOUBLE_TAGGED_FRAME => {
            *nested_8021q += 1;
            if *nested_8021q > vlan::MAX_NESTED_8021Q {
                return Err(NON_IP);
            }
            match bytes.u16_at(vlan::INNER_TYPE) {
                Some(inner) if bytes.captured.len() >= vlan::LEN => {
                    Ok(type_or_length(inner, bytes.skip(vlan::LEN)))
                }
                _ => Err(LINK_TRUNCATED),
            }
        }
        // 802.1ad: an EtherType only (tshark: a length is data).
        EtherType::PROVIDER_BRIDGING => match bytes.u16_at(vlan::INNER_TYPE) {
            Some(inner) if bytes.captured.len() >= vlan::LEN => {
                Ok(Layer::EtherType(inner, bytes.skip(vlan::LEN)))
            }
            _ => Err(LINK_TRUNCATED),
        },
        EtherType(ETHERTYPE_MACSEC) => macsec(bytes),
        EtherType(ETHERTYPE_PBB) => pbb(bytes),
        EtherType(ETHERTYPE_VN_TAG) => vn_tag(bytes),
        EtherType(ETHERTYPE_CISCO_METADATA) => cisco_metadata(bytes),
        EtherType(ETHERTYPE_E_TAG) => e_tag(bytes),
        EtherType(ETHERTYPE_NSH) => nsh(bytes),
        EtherType(ETHERTYPE_ARISTA) => arista(bytes),
        _ => Err(NON_IP),
    }
}

/// An Ethernet header inside the chain (after FabricPath or NSH): a
/// FabricPath header again, an 802.3 length or an EtherType.
fn ethernet(bytes: Bytes<'_>) -> Result<Layer<'_>, Ended> {
    if bytes.captured.len() < ethernet::HEADER_LEN {
        return Err(LINK_TRUNCATED);
    }
    if is_fabricpath(bytes) {
        return fabricpath(bytes);
    }
    match bytes.u16_at(ethernet::TYPE) {
        Some(type_or_len) => Ok(type_or_length(
            type_or_len,
            bytes.skip(ethernet::HEADER_LEN),
        )),
        None => Err(LINK_TRUNCATED),
    }
}

/// A type/length field as Ethernet, 802.1Q and VN-Tag read it: up to 1500
/// an IEEE 802.3 length, the LLC header and payload bounded by it (tshark
/// hands LLC only that many bytes).
pub(super) fn type_or_length(type_or_len: u16, payload: Bytes<'_>) -> Layer<'_> {
    if type_or_len <= ethernet::MAX_802_3_LEN {
        Layer::Llc(payload.limit(usize::from(type_or_len)))
    } else {
        Layer::EtherType(type_or_len, payload)
    }
}

/// IEEE 802.2 LLC: only SNAP with an EtherType (OUI 00-00-00) leads on.
fn llc(bytes: Bytes<'_>) -> Result<Layer<'_>, Ended> {
    match bytes.captured.get(..llc_snap::LEN) {
        Some(h) if h[..3] == llc_snap::HEADER && h[llc_snap::OUI..llc_snap::OUI + 3] == [0; 3] => {
            let ethertype = u16::from_be_bytes([h[llc_snap::TYPE], h[llc_snap::TYPE + 1]]);
            Ok(Layer::EtherType(ethertype, bytes.skip(llc_snap::LEN)))
        }
        _ => Err(NON_IP),
    }
}

/// MACsec SecTAG after its EtherType: TCI/AN, short length, packet number,
/// optional SCI.
mod macsec {
    pub const VERSION: u8 = 0x80;
    pub const SC: u8 = 0x20;
    pub const ENCRYPTED: u8 = 0x08;
    pub const CHANGED: u8 = 0x04;
    pub const SECTAG_LEN: usize = 6;
    pub const SECTAG_WITH_SCI_LEN: usize = 14;
    pub const ICV_LEN: usize = 16;
}

/// Cisco FabricPath: outer destination and source, FP tag (EtherType,
/// FTag, TTL), optionally behind an 802.1Q/ad tag; the inner frame's FCS.
mod fabricpath {
    pub const TYPE: usize = 12;
    pub const TAGGED_TYPE: usize = 16;
    pub const HEADER_LEN: usize = 16;
    pub const TAGGED_HEADER_LEN: usize = 20;
    pub const FCS_LEN: usize = 4;
}

/// NSH base header: version/O/TTL, TTL/length (4-byte words), MD type, next
/// protocol; then the 4-byte service path header.
mod nsh {
    pub const BASE_LEN: usize = 4;
    pub const LENGTH_MASK: u8 = 0x3f;
    pub const MD_TYPE_1: u8 = 1;
    pub const MD_TYPE_2: u8 = 2;
    pub const MD_TYPE_1_LEN: usize = 24;
    pub const MD_TYPE_2_MIN_LEN: usize = 8;
    pub const NEXT_IPV4: u8 = 1;
    pub const NEXT_IPV6: u8 = 2;
    pub const NEXT_ETHERNET: u8 = 3;
    pub const NEXT_NSH: u8 = 4;
    pub const NEXT_MPLS: u8 = 5;
}

/// Arista's vendor EtherType: subtype, then for timestamps a version and
/// the timestamp (seconds, nanoseconds).
mod arista {
    pub const SUBTYPE_TIMESTAMP: u16 = 1;
    pub const SUBTYPE_LEN: usize = 2;
    pub const VERSION_LEN: usize = 2;
    pub const TIMESTAMP_64: [u16; 2] = [0x10, 0x110];
    pub const TIMESTAMP_48: [u16; 2] = [0x20, 0x120];
}

/// The EtherType at `type_at` and the bytes after it.
#[inline]
fn ethertype_at(bytes: Bytes<'_>, type_at: usize) -> Result<Layer<'_>, Ended> {
    match bytes.u16_at(type_at) {
        Some(ethertype) => Ok(Layer::EtherType(ethertype, bytes.skip(type_at + 2))),
        None => Err(LINK_TRUNCATED),
    }
}

/// MACsec: on to the payload's EtherType when integrity-only.
fn macsec(bytes: Bytes<'_>) -> Result<Layer<'_>, Ended> {
    let Some(tci) = bytes.u8_at(0) else {
        return Err(LINK_TRUNCATED);
    };
    if tci & macsec::VERSION != 0 {
        return Err(NON_IP);
    }
    let sectag_len = if tci & macsec::SC != 0 {
        macsec::SECTAG_WITH_SCI_LEN
    } else {
        macsec::SECTAG_LEN
    };
    if bytes.captured.len() <= sectag_len + macsec::ICV_LEN {
        return Err(LINK_TRUNCATED);
    }
    if tci & (macsec::ENCRYPTED | macsec::CHANGED) != 0 {
        return Err(NON_IP);
    }
    ethertype_at(bytes, sectag_len)
}

/// Whether an Ethernet header is Cisco FabricPath's (tshark's heuristic,
/// tried on every Ethernet header before its type is read): the FabricPath
/// EtherType in the type field, or behind one 802.1Q or 802.1ad tag.
pub(super) fn is_fabricpath(bytes: Bytes<'_>) -> bool {
    match bytes.u16_at(fabricpath::TYPE).map(EtherType) {
        Some(EtherType(ETHERTYPE_FABRICPATH)) => true,
        Some(EtherType::VLAN_TAGGED_FRAME | EtherType::PROVIDER_BRIDGING) => {
            bytes.u16_at(fabricpath::TAGGED_TYPE) == Some(ETHERTYPE_FABRICPATH)
        }
        _ => false,
    }
}

/// Cisco FabricPath (an Ethernet header [`is_fabricpath`] accepts): the
/// inner Ethernet frame, less the 4 bytes tshark 4.0 takes for its FCS.
fn fabricpath(bytes: Bytes<'_>) -> Result<Layer<'_>, Ended> {
    let header_len = if bytes.u16_at(fabricpath::TYPE) == Some(ETHERTYPE_FABRICPATH) {
        fabricpath::HEADER_LEN
    } else {
        fabricpath::TAGGED_HEADER_LEN
    };
    // Too short for an FCS: tshark's inner Ethernet frame is malformed.
    let inner_len = bytes
        .reported
        .checked_sub(header_len + fabricpath::FCS_LEN)
        .ok_or(LINK_TRUNCATED)?;
    Ok(Layer::Ethernet(bytes.skip(header_len).limit(inner_len)))
}

/// NSH: the header length as tshark 4.0 takes it, then the next protocol.
fn nsh(bytes: Bytes<'_>) -> Result<Layer<'_>, Ended> {
    let Some(&[_, length, md_type, next]) = bytes.captured.first_chunk::<{ nsh::BASE_LEN }>()
    else {
        return Err(LINK_TRUNCATED);
    };
    let announced = usize::from(length & nsh::LENGTH_MASK) * 4;
    let header_len = match md_type {
        nsh::MD_TYPE_1 => nsh::MD_TYPE_1_LEN,
        nsh::MD_TYPE_2 => announced.max(nsh::MD_TYPE_2_MIN_LEN),
        _ => announced.max(nsh::BASE_LEN),
    };
    // tshark hands on only captured bytes after the header.
    if bytes.captured.len() <= header_len {
        return Err(if bytes.reported > header_len {
            LINK_TRUNCATED
        } else {
            NON_IP
        });
    }
    let payload = bytes.skip(header_len);
    Ok(match next {
        nsh::NEXT_IPV4 => Layer::EtherType(EtherType::IPV4.0, payload),
        nsh::NEXT_IPV6 => Layer::EtherType(EtherType::IPV6.0, payload),
        nsh::NEXT_ETHERNET => Layer::Ethernet(payload),
        nsh::NEXT_NSH => Layer::EtherType(ETHERTYPE_NSH, payload),
        nsh::NEXT_MPLS => Layer::EtherType(ETHERTYPE_MPLS_UNICAST, payload),
        _ => return Err(NON_IP),
    })
}

/// Cisco MetaData: version, length, option, SGT, then an EtherType.
fn cisco_metadata(bytes: Bytes<'_>) -> Result<Layer<'_>, Ended> {
    ethertype_at(bytes, 6)
}

/// 802.1BR E-Tag: 6 bytes of tag, then an EtherType.
fn e_tag(bytes: Bytes<'_>) -> Result<Layer<'_>, Ended> {
    ethertype_at(bytes, 6)
}

/// VN-Tag: 4 bytes of tag, then a type or an 802.3 length.
fn vn_tag(bytes: Bytes<'_>) -> Result<Layer<'_>, Ended> {
    const TYPE: usize = 4;
    match bytes.u16_at(TYPE) {
        Some(type_or_len) => Ok(type_or_length(type_or_len, bytes.skip(TYPE + 2))),
        None => Err(LINK_TRUNCATED),
    }
}

/// 802.1ah: the I-TAG, the customer's addresses, then an EtherType.
fn pbb(bytes: Bytes<'_>) -> Result<Layer<'_>, Ended> {
    const I_TAG_LEN: usize = 4;
    const ADDRESSES_LEN: usize = 12;
    ethertype_at(bytes, I_TAG_LEN + ADDRESSES_LEN)
}

/// Arista's vendor EtherType: timestamp headers of known versions, and
/// other subtypes, are followed by the original EtherType.
fn arista(bytes: Bytes<'_>) -> Result<Layer<'_>, Ended> {
    let Some(subtype) = bytes.u16_at(0) else {
        return Err(LINK_TRUNCATED);
    };
    if subtype != arista::SUBTYPE_TIMESTAMP {
        return ethertype_at(bytes, arista::SUBTYPE_LEN);
    }
    let Some(version) = bytes.u16_at(arista::SUBTYPE_LEN) else {
        return Err(LINK_TRUNCATED);
    };
    let timestamp_len = if arista::TIMESTAMP_64.contains(&version) {
        8
    } else if arista::TIMESTAMP_48.contains(&version) {
        6
    } else {
        return Err(NON_IP);
    };
    ethertype_at(
        bytes,
        arista::SUBTYPE_LEN + arista::VERSION_LEN + timestamp_len,
    )
}
