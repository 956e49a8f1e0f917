//! Link layers: from the start of a frame to the first IP header.

use super::ip::{decode_ipv4, decode_ipv6_checked};
use super::lowpan;
use super::tags::{self, Layer};
use super::{Bytes, Category, DecodeProblem, PacketInfo, wan};
use crate::capture::LinkType;
use etherparse::EtherType;

/// Ethernet II header: destination, source, type/length.
pub(super) mod ethernet {
    pub const TYPE: usize = 12;
    pub const HEADER_LEN: usize = 14;
    /// Type/length values up to this are an IEEE 802.3 length (LLC follows).
    pub const MAX_802_3_LEN: u16 = 1500;
}

/// IEEE 802.2 LLC with a SNAP extension: DSAP, SSAP, control, OUI, type.
pub(super) mod llc_snap {
    pub const HEADER: [u8; 3] = [0xaa, 0xaa, 0x03];
    pub const OUI: usize = 3;
    pub const TYPE: usize = 6;
    pub const LEN: usize = 8;
}

/// Linux cooked capture v1 (DLT 113) and v2 (DLT 276).
mod sll {
    pub const V1_HATYPE: usize = 2;
    pub const V1_PROTOCOL: usize = 14;
    pub const V1_LEN: usize = 16;
    pub const V2_PROTOCOL: usize = 0;
    pub const V2_HATYPE: usize = 8;
    pub const V2_LEN: usize = 20;
    /// ARPHRD_NETLINK: the payload is a netlink message, not a frame.
    pub const ARPHRD_NETLINK: u16 = 824;
    /// Linux protocol value meaning "802.2 LLC follows".
    pub const P_802_2: u16 = 0x0004;
}

/// PPPoE session header: ver/type, code, session id, length; PPP follows.
mod pppoe {
    pub const LEN: usize = 6;
}

/// PPP protocol numbers for IP.
mod ppp {
    pub const IPV4: u16 = 0x0021;
    pub const IPV6: u16 = 0x0057;
    pub const MPLS_UNICAST: u16 = 0x0281;
    pub const MPLS_MULTICAST: u16 = 0x0283;
    /// The HDLC-like address and control bytes that may precede the protocol.
    pub const ADDRESS_CONTROL: [u8; 2] = [0xff, 0x03];
}

/// BSD loopback address families meaning IPv4 and IPv6 (IPv6's differs by OS).
mod loopback {
    pub const AF_INET: u32 = 2;
    pub const AF_INET6: [u32; 3] = [24, 28, 30];
    pub const HEADER_LEN: usize = 4;
}

/// FDDI: frame control, destination, source; LLC follows.
mod fddi {
    pub const LEN: usize = 13;
}

/// Switch tags of the DSA link types (tcpdump's print-dsa.c and
/// print-brcmtag.c): a tag after the source address, or (Broadcom
/// "prepend") before the destination address.
mod switch_tag {
    pub const BRCM_LEN: usize = 4;
    pub const DSA_LEN: usize = 4;
    /// EtherType (usually 0xdada), 2 reserved bytes, a DSA tag.
    pub const EDSA_LEN: usize = 8;
}

const ETHERTYPE_MPLS_UNICAST: u16 = 0x8847;
const ETHERTYPE_MPLS_MULTICAST: u16 = 0x8848;
const ETHERTYPE_PPPOE_SESSION: u16 = 0x8864;

pub(super) const NON_IP: PacketInfo = PacketInfo::plain(Category::NonIp);
pub(super) const LINK_TRUNCATED: PacketInfo =
    PacketInfo::problem(Category::NonIp, DecodeProblem::LinkHeaderTruncated);

/// Dispatches on the link type.
pub(super) fn decode_link(link: LinkType, bytes: Bytes<'_>) -> PacketInfo {
    match link {
        LinkType::ETHERNET => decode_ethernet(bytes),
        LinkType::RAW | LinkType::RAW_12 | LinkType::RAW_14 => decode_raw(bytes),
        LinkType::IPV4 => decode_ipv4(bytes),
        LinkType::IPV6 => decode_ipv6_checked(bytes),
        LinkType::NULL => decode_null(bytes),
        LinkType::LOOP => decode_loop(bytes),
        LinkType::IEEE802_11 => decode_wlan(bytes),
        LinkType::IEEE802_11_RADIOTAP => decode_radiotap(bytes),
        LinkType::PPI => decode_ppi(bytes),
        LinkType::NFLOG => decode_nflog(bytes),
        LinkType::LINUX_SLL => decode_sll(bytes, sll::V1_HATYPE, sll::V1_PROTOCOL, sll::V1_LEN),
        LinkType::LINUX_SLL2 => decode_sll(bytes, sll::V2_HATYPE, sll::V2_PROTOCOL, sll::V2_LEN),
        // Cisco HDLC framing in a PPP capture (tshark's PPP-in-HDLC dissector).
        LinkType::PPP | LinkType::PPP_HDLC if wan::is_cisco_hdlc(&bytes) => {
            wan::decode_cisco_hdlc(bytes)
        }
        LinkType::PPP | LinkType::PPP_HDLC => decode_ppp(bytes),
        // tshark's `chdlc.protocol` table, not an Ethernet type field.
        LinkType::C_HDLC => wan::decode_cisco_hdlc(bytes),
        LinkType::FDDI => {
            if bytes.captured.len() < fddi::LEN {
                return LINK_TRUNCATED;
            }
            decode_llc(bytes.skip(fddi::LEN))
        }
        LinkType::IEEE802_15_4_WITHFCS => lowpan::decode_with_fcs(bytes),
        LinkType::IEEE802_15_4_NONASK_PHY => lowpan::decode_nonask_phy(bytes),
        LinkType::IEEE802_15_4_NOFCS => lowpan::decode_no_fcs(bytes),
        LinkType::IEEE802_15_4_TAP => lowpan::decode_tap(bytes),
        LinkType::DSA_TAG_BRCM => decode_switch_tagged(bytes, switch_tag::BRCM_LEN),
        LinkType::DSA_TAG_BRCM_PREPEND => decode_switch_tagged(bytes.skip(switch_tag::BRCM_LEN), 0),
        LinkType::DSA_TAG_DSA => decode_switch_tagged(bytes, switch_tag::DSA_LEN),
        LinkType::DSA_TAG_EDSA => decode_switch_tagged(bytes, switch_tag::EDSA_LEN),
        LinkType::FRELAY => wan::decode_frame_relay(bytes),
        LinkType::SUNATM => wan::decode_sunatm(bytes),
        LinkType::ATM_CLIP => wan::decode_atm_clip(bytes),
        LinkType::ATM_RFC1483 => wan::decode_atm_rfc1483(bytes),
        LinkType::ARCNET_LINUX => wan::decode_arcnet_linux(bytes),
        LinkType::IPOIB => wan::decode_ipoib(bytes),
        LinkType::IPNET => wan::decode_ipnet(bytes),
        LinkType::JUNIPER_ETHER => wan::decode_juniper_ether(bytes),
        LinkType::PKTAP | LinkType::USER2 => wan::decode_pktap(bytes),
        _ => PacketInfo::problem(Category::NonIp, DecodeProblem::UnsupportedLinkType),
    }
}

pub(super) fn decode_ethernet(bytes: Bytes<'_>) -> PacketInfo {
    if bytes.captured.len() < ethernet::HEADER_LEN {
        return LINK_TRUNCATED;
    }
    // Cisco FabricPath replaces the Ethernet header (tshark's heuristic
    // tries it before the type).
    if tags::is_fabricpath(bytes) {
        return decode_layer(Layer::Ethernet(bytes));
    }
    let Some(type_or_len) = bytes.u16_at(ethernet::TYPE) else {
        return LINK_TRUNCATED;
    };
    let payload = bytes.skip(ethernet::HEADER_LEN);
    if type_or_len <= ethernet::MAX_802_3_LEN {
        // An 802.3 length: tshark hands LLC only that many bytes.
        decode_llc(payload.limit(usize::from(type_or_len)))
    } else {
        decode_ethertype(type_or_len, payload)
    }
}

/// IEEE 802.2 LLC: only SNAP with an EtherType (OUI 00-00-00) leads to IP.
pub(super) fn decode_llc(bytes: Bytes<'_>) -> PacketInfo {
    let header = bytes.captured.get(..llc_snap::LEN);
    match header {
        Some(h) if h[..3] == llc_snap::HEADER && h[llc_snap::OUI..llc_snap::OUI + 3] == [0; 3] => {
            let ethertype = u16::from_be_bytes([h[llc_snap::TYPE], h[llc_snap::TYPE + 1]]);
            decode_ethertype(ethertype, bytes.skip(llc_snap::LEN))
        }
        _ => NON_IP,
    }
}

/// What follows an EtherType: IP, tags, MPLS, PPPoE.
/// The inner EtherType when `ethertype` is one 802.1Q tag directly in front
/// of IPv4 or IPv6 (the common tagged frame), with the whole tag captured.
#[inline(always)]
fn single_vlan_ip(ethertype: u16, bytes: Bytes<'_>) -> Option<u16> {
    if EtherType(ethertype) != EtherType::VLAN_TAGGED_FRAME {
        return None;
    }
    match bytes.captured.get(2..tags::vlan::LEN) {
        Some(&[0x08, 0x00]) => Some(0x0800),
        Some(&[0x86, 0xdd]) => Some(0x86dd),
        _ => None,
    }
}

pub(super) fn decode_ethertype(ethertype: u16, bytes: Bytes<'_>) -> PacketInfo {
    // Tags (VLAN, MACsec, NSH, ...: `tags`) are skipped in a loop, not by
    // recursion: a frame can hold tens of thousands.
    // Most frames carry no tag, or one 802.1Q tag in front of IP: those skip
    // the general loop, whose bookkeeping (tag counts, layer kinds) cost
    // about 110 instructions per tagged frame (callgrind, benchmark
    // capture). The answer is the loop's.
    let (ethertype, bytes) = if let Some(inner) = single_vlan_ip(ethertype, bytes) {
        (inner, bytes.skip(tags::vlan::LEN))
    } else if tags::is_tag(ethertype) {
        match tags::follow(Layer::EtherType(ethertype, bytes)) {
            Ok(next) => next,
            Err(info) => return info,
        }
    } else {
        (ethertype, bytes)
    };
    match EtherType(ethertype) {
        EtherType::IPV4 => decode_ipv4(bytes),
        EtherType::IPV6 => decode_ipv6_checked(bytes),
        EtherType(ETHERTYPE_MPLS_UNICAST) | EtherType(ETHERTYPE_MPLS_MULTICAST) => {
            decode_mpls(bytes)
        }
        EtherType(ETHERTYPE_PPPOE_SESSION) => {
            if bytes.captured.len() < pppoe::LEN {
                return LINK_TRUNCATED;
            }
            decode_ppp(bytes.skip(pppoe::LEN))
        }
        _ => NON_IP,
    }
}

/// A chain of link layers that starts other than at an EtherType, followed
/// by `tags` to its last EtherType.
fn decode_layer(layer: Layer<'_>) -> PacketInfo {
    match tags::follow(layer) {
        Ok((ethertype, bytes)) => decode_ethertype(ethertype, bytes),
        Err(info) => info,
    }
}

/// The DSA link types, as tcpdump reads them: Ethernet addresses, a switch
/// tag of `tag_len` bytes, then Ethernet's type/length field and what it
/// announces (LLC within an 802.3 length).
fn decode_switch_tagged(bytes: Bytes<'_>, tag_len: usize) -> PacketInfo {
    let header_len = ethernet::HEADER_LEN + tag_len;
    match bytes.u16_at(ethernet::TYPE + tag_len) {
        Some(type_or_len) if bytes.captured.len() >= header_len => {
            decode_layer(tags::type_or_length(type_or_len, bytes.skip(header_len)))
        }
        _ => LINK_TRUNCATED,
    }
}

/// Most Ethernet pseudowires nested in one frame. Every cycle of the link
/// layer (Ethernet → MPLS → Ethernet, also through PPPoE or LLC) enters one,
/// so this bounds the recursion, hence the stack, whatever the frame holds.
/// tshark stops at 500 protocol layers (`gui.max_tree_depth`), which a plain
/// chain of Ethernet pseudowires without control word reaches at the 100th;
/// a deeper frame is non-IP to both.
pub(super) const MAX_PSEUDOWIRES: u8 = 99;

/// MPLS label stack entries and the reserved labels (RFC 3032, RFC 5586,
/// ITU-T Y.1711) that tshark gives a meaning of their own at the bottom of
/// the stack; the pseudowire associated channel header (RFC 4385).
mod mpls {
    pub const ENTRY_LEN: usize = 4;
    pub const BOTTOM_OF_STACK: u8 = 0x01;
    /// Generic Associated Channel Label: a channel header follows.
    pub const GACH: u32 = 13;
    /// OAM Alert Label: a Y.1711 OAM message follows, never IP.
    pub const OAM_ALERT: u32 = 14;
    /// The associated channel header: nibble, version, reserved, channel type.
    pub const ACH_CHANNEL_TYPE: usize = 2;
    pub const ACH_LEN: usize = 4;
    /// Channel types that carry IP (the PPP protocol numbers).
    pub const ACH_IPV4: u16 = 0x0021;
    pub const ACH_IPV6: u16 = 0x0057;
}

/// MPLS label stack entries (4 bytes each) up to the bottom-of-stack bit,
/// then IP guessed from the version nibble, as tshark does; except where
/// the bottom label is reserved for something that is no guess (tshark
/// 4.0, probed): the OAM Alert label (14) is followed by a Y.1711 message
/// (`non_ip`), the GAL (13) by an associated channel header whose channel
/// type alone says whether IP follows (whatever its first nibble).
pub(super) fn decode_mpls(mut bytes: Bytes<'_>) -> PacketInfo {
    loop {
        let Some(&[b0, b1, b2, _]) = bytes.captured.get(..mpls::ENTRY_LEN) else {
            return LINK_TRUNCATED;
        };
        bytes = bytes.skip(mpls::ENTRY_LEN);
        if b2 & mpls::BOTTOM_OF_STACK != 0 {
            let label = u32::from(b0) << 12 | u32::from(b1) << 4 | u32::from(b2 >> 4);
            match label {
                mpls::OAM_ALERT => return NON_IP,
                mpls::GACH => return decode_associated_channel(bytes),
                _ => break,
            }
        }
    }
    match bytes.u8_at(0).map(|b| b >> 4) {
        Some(4) => decode_ipv4(bytes),
        Some(6) => decode_ipv6_checked(bytes),
        // Pseudowire associated channel: control traffic.
        Some(1) => NON_IP,
        Some(_) if bytes.pseudowires >= MAX_PSEUDOWIRES => NON_IP,
        // An Ethernet pseudowire, with a 4-byte control word when the first
        // nibble is 0 and the bytes do not already look like Ethernet.
        Some(first) => {
            bytes.pseudowires += 1;
            if first == 0 && !looks_like_ethernet(bytes) {
                decode_ethernet(bytes.skip(4))
            } else {
                decode_ethernet(bytes)
            }
        }
        None => LINK_TRUNCATED,
    }
}

/// A pseudowire associated channel header after the GAL: its channel type
/// names what follows (tshark 4.0, probed: IPv4's dissector takes any bytes
/// and calls a bad version a damaged header; behind the IPv6 channel type,
/// bytes without version 6 are data).
fn decode_associated_channel(bytes: Bytes<'_>) -> PacketInfo {
    let Some(channel_type) = bytes.u16_at(mpls::ACH_CHANNEL_TYPE) else {
        return LINK_TRUNCATED;
    };
    let payload = bytes.skip(mpls::ACH_LEN);
    match channel_type {
        mpls::ACH_IPV4 => decode_ipv4(payload),
        mpls::ACH_IPV6 => decode_ipv6_checked(payload),
        _ => NON_IP,
    }
}

/// Whether `bytes` plausibly start an Ethernet header: an EtherType portclass
/// knows at the type offset. (tshark checks the addresses' vendor prefixes;
/// a known EtherType is the same signal without a vendor table.)
fn looks_like_ethernet(bytes: Bytes<'_>) -> bool {
    bytes.captured.len() >= ethernet::HEADER_LEN
        && matches!(
            bytes.u16_at(ethernet::TYPE).map(EtherType),
            Some(
                EtherType::IPV4
                    | EtherType::IPV6
                    | EtherType::ARP
                    | EtherType::VLAN_TAGGED_FRAME
                    | EtherType::PROVIDER_BRIDGING
                    | EtherType::VLAN_DOUBLE_TAGGED_FRAME
                    | EtherType(ETHERTYPE_MPLS_UNICAST)
                    | EtherType(ETHERTYPE_PPPOE_SESSION)
            )
        )
}

/// PPP: optional address/control bytes, then a 1- or 2-byte protocol field.
pub(super) fn decode_ppp(bytes: Bytes<'_>) -> PacketInfo {
    let bytes = if bytes.captured.get(..2) == Some(&ppp::ADDRESS_CONTROL[..]) {
        bytes.skip(2)
    } else {
        bytes
    };
    let Some(first) = bytes.u8_at(0) else {
        return LINK_TRUNCATED;
    };
    // Protocol-field compression: an odd first byte is a 1-byte protocol.
    let (protocol, len) = if first & 1 == 1 {
        (u16::from(first), 1)
    } else {
        match bytes.u16_at(0) {
            Some(p) => (p, 2),
            None => return LINK_TRUNCATED,
        }
    };
    let payload = bytes.skip(len);
    match protocol {
        ppp::IPV4 => decode_ipv4(payload),
        ppp::IPV6 => decode_ipv6_checked(payload),
        ppp::MPLS_UNICAST | ppp::MPLS_MULTICAST => decode_mpls(payload),
        _ => NON_IP,
    }
}

/// Raw IP (DLT 12, 14, 101): the version nibble says which IP. Like tshark,
/// two bytes are needed to tell raw IP from PPP-in-HDLC framing.
fn decode_raw(bytes: Bytes<'_>) -> PacketInfo {
    match bytes.captured {
        [0xff, 0x03, ..] => decode_ppp(bytes),
        [first, _, ..] => match first >> 4 {
            4 => decode_ipv4(bytes),
            6 => decode_ipv6_checked(bytes),
            _ => NON_IP,
        },
        _ => LINK_TRUNCATED,
    }
}

/// BSD NULL (DLT 0): a 4-byte address family in the capturing host's byte
/// order, or (Linux, IRIX) an EtherType or 16-bit family; decided as
/// tshark's packet-null.c does, read as a little-endian host would.
fn decode_null(bytes: Bytes<'_>) -> PacketInfo {
    if bytes.captured.get(..2) == Some(&ppp::ADDRESS_CONTROL[..]) {
        return decode_ppp(bytes);
    }
    let Some(&[a, b, c, d]) = bytes.captured.get(..loopback::HEADER_LEN) else {
        return LINK_TRUNCATED;
    };
    let mut value = u32::from_le_bytes([a, b, c, d]);
    if value & 0xffff_0000 != 0 {
        if value & 0xff00_0000 == 0 && value & 0x00ff_0000 < 0x0006_0000 {
            // IRIX/UNICOS: a 16-bit family in the upper half.
            value >>= 16;
        } else {
            value = value.swap_bytes();
        }
    } else if value & 0xff == 0 && value & 0xff00 < 0x0600 {
        value = u32::from((value as u16).swap_bytes());
    }
    decode_family(value, bytes.skip(loopback::HEADER_LEN))
}

/// OpenBSD LOOP (DLT 108): the family in network byte order.
fn decode_loop(bytes: Bytes<'_>) -> PacketInfo {
    let Some(&[a, b, c, d]) = bytes.captured.get(..loopback::HEADER_LEN) else {
        return LINK_TRUNCATED;
    };
    decode_family(
        u32::from_be_bytes([a, b, c, d]),
        bytes.skip(loopback::HEADER_LEN),
    )
}

/// A loopback header value: an EtherType above 1500, else a BSD family.
fn decode_family(value: u32, payload: Bytes<'_>) -> PacketInfo {
    if value > u32::from(ethernet::MAX_802_3_LEN) {
        decode_ethertype(value as u16, payload)
    } else if value == loopback::AF_INET {
        decode_ipv4(payload)
    } else if loopback::AF_INET6.contains(&value) {
        decode_ipv6_checked(payload)
    } else {
        NON_IP
    }
}

/// Linux cooked capture: an ARPHRD type and a protocol (an EtherType, or a
/// small Linux value such as 802.2 LLC).
fn decode_sll(bytes: Bytes<'_>, hatype_at: usize, protocol_at: usize, len: usize) -> PacketInfo {
    if bytes.captured.len() < len {
        return LINK_TRUNCATED;
    }
    let (Some(hatype), Some(protocol)) = (bytes.u16_at(hatype_at), bytes.u16_at(protocol_at))
    else {
        return LINK_TRUNCATED;
    };
    if hatype == sll::ARPHRD_NETLINK {
        return NON_IP;
    }
    let payload = bytes.skip(len);
    match protocol {
        sll::P_802_2 => decode_llc(payload),
        p if p > ethernet::MAX_802_3_LEN => decode_ethertype(p, payload),
        _ => NON_IP,
    }
}

/// IEEE 802.11 frame control and header layout.
mod wlan {
    pub const TYPE_DATA: u8 = 2;
    pub const BASE_HEADER_LEN: usize = 24;
    pub const ADDR4_LEN: usize = 6;
    pub const QOS_LEN: usize = 2;
    pub const HT_CONTROL_LEN: usize = 4;
    /// Flags byte: to-DS and from-DS both set means a fourth address.
    pub const DS_BITS: u8 = 0x03;
    pub const PROTECTED: u8 = 0x40;
    pub const ORDER: u8 = 0x80;
    /// Subtype bits: QoS data, and "no data" (null function) frames.
    pub const SUBTYPE_QOS: u8 = 0x08;
    pub const SUBTYPE_NO_DATA: u8 = 0x04;
}

/// IEEE 802.11 (DLT 105): data frames carry LLC/SNAP; management, control,
/// null and protected (encrypted) frames carry no IP portclass can see.
fn decode_wlan(bytes: Bytes<'_>) -> PacketInfo {
    let Some(&[fc0, flags]) = bytes.captured.get(..2) else {
        return LINK_TRUNCATED;
    };
    let frame_type = (fc0 >> 2) & 0x03;
    let subtype = fc0 >> 4;
    if frame_type != wlan::TYPE_DATA
        || subtype & wlan::SUBTYPE_NO_DATA != 0
        || flags & wlan::PROTECTED != 0
    {
        return NON_IP;
    }
    let mut header_len = wlan::BASE_HEADER_LEN;
    if flags & wlan::DS_BITS == wlan::DS_BITS {
        header_len += wlan::ADDR4_LEN;
    }
    if subtype & wlan::SUBTYPE_QOS != 0 {
        header_len += wlan::QOS_LEN;
        if flags & wlan::ORDER != 0 {
            header_len += wlan::HT_CONTROL_LEN;
        }
    }
    if bytes.captured.len() < header_len {
        return LINK_TRUNCATED;
    }
    decode_llc(bytes.skip(header_len))
}

/// Radiotap (DLT 127): a little-endian length at offset 2, then 802.11.
fn decode_radiotap(bytes: Bytes<'_>) -> PacketInfo {
    match bytes.captured.get(2..4) {
        Some(&[lo, hi]) => {
            let len = usize::from(u16::from_le_bytes([lo, hi]));
            if bytes.captured.len() < len {
                return LINK_TRUNCATED;
            }
            decode_wlan(bytes.skip(len))
        }
        _ => LINK_TRUNCATED,
    }
}

/// PPI (DLT 192): a little-endian header length and the link type of what
/// follows (802.11 in practice, or any link type portclass decodes).
fn decode_ppi(bytes: Bytes<'_>) -> PacketInfo {
    const HEADER_MIN: usize = 8;
    match bytes.captured.get(..HEADER_MIN) {
        Some(&[_, _, lo, hi, d0, d1, d2, d3]) => {
            let len = usize::from(u16::from_le_bytes([lo, hi]));
            let inner = u32::from_le_bytes([d0, d1, d2, d3]);
            if len < HEADER_MIN || bytes.captured.len() < len || inner == u32::from(LinkType::PPI.0)
            {
                return LINK_TRUNCATED;
            }
            match u16::try_from(inner) {
                Ok(inner) => decode_link(LinkType(inner), bytes.skip(len)),
                Err(_) => PacketInfo::problem(Category::NonIp, DecodeProblem::UnsupportedLinkType),
            }
        }
        _ => LINK_TRUNCATED,
    }
}

/// Linux NFLOG (DLT 239): family, version, resource id, then TLVs (length,
/// type; host byte order, padded to 4 bytes); type 9 holds the packet.
fn decode_nflog(bytes: Bytes<'_>) -> PacketInfo {
    const HEADER_LEN: usize = 4;
    const TLV_HEADER_LEN: usize = 4;
    const TYPE_PAYLOAD: u16 = 9;
    const AF_INET: u8 = 2;
    const AF_INET6: u8 = 10;
    let Some(&family) = bytes.captured.first() else {
        return LINK_TRUNCATED;
    };
    // TLVs are in the logging host's byte order: take the order in which the
    // first TLV's length is sane.
    let little_endian = match bytes.captured.get(HEADER_LEN..HEADER_LEN + 2) {
        Some(&[a, b]) => {
            let le = usize::from(u16::from_le_bytes([a, b]));
            le >= TLV_HEADER_LEN && le <= bytes.captured.len() - HEADER_LEN
        }
        _ => return LINK_TRUNCATED,
    };
    let read = |a: u8, b: u8| {
        if little_endian {
            u16::from_le_bytes([a, b])
        } else {
            u16::from_be_bytes([a, b])
        }
    };
    let mut offset = HEADER_LEN;
    while let Some(&[l0, l1, t0, t1]) = bytes.captured.get(offset..offset + TLV_HEADER_LEN) {
        let len = usize::from(read(l0, l1));
        if len < TLV_HEADER_LEN {
            break;
        }
        if read(t0, t1) & 0x7fff == TYPE_PAYLOAD {
            let payload = bytes
                .skip(offset + TLV_HEADER_LEN)
                .limit(len - TLV_HEADER_LEN);
            return match family {
                AF_INET => decode_ipv4(payload),
                AF_INET6 => decode_ipv6_checked(payload),
                _ => NON_IP,
            };
        }
        offset += len.div_ceil(4) * 4;
    }
    NON_IP
}
