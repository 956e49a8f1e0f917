//! WAN, ATM and capture-pseudo-header link layers: Frame Relay, Cisco HDLC
//! inside PPP captures, ARCnet (Linux), IP over InfiniBand, Solaris ipnet,
//! Juniper Ethernet, Apple PKTAP, SunATM, Linux ATM CLIP and RFC 1483 LLC.
//!
//! Each follows what tshark 4.0's dissector does with the same bytes
//! (packet-fr.c, packet-ppp.c / packet-chdlc.c, packet-arcnet.c,
//! packet-ipoib.c, packet-ipnet.c, packet-juniper.c, packet-pktap.c,
//! packet-atm.c, packet-clip.c, packet-llc.c), checked frame by frame on the
//! `fixtures/link-*.pcap` files. Where tshark hands bytes to its IPv4
//! dissector, which also takes version 6 and makes the frame `other_ip`, this
//! calls [`decode_ipv4`]; where it hands them to IPv6, [`decode_ipv6_checked`].

use super::ip::{decode_ipv4, decode_ipv6_checked};
use super::link::{
    decode_ethernet, decode_ethertype, decode_link, decode_llc, decode_mpls, decode_ppp,
};
use super::{Bytes, Category, DecodeProblem, PacketInfo};
use crate::capture::LinkType;

const NON_IP: PacketInfo = PacketInfo::plain(Category::NonIp);
const LINK_TRUNCATED: PacketInfo =
    PacketInfo::problem(Category::NonIp, DecodeProblem::LinkHeaderTruncated);

/// EtherTypes (Cisco HDLC protocol values) that lead somewhere.
mod ethertype {
    pub const IPV4: u16 = 0x0800;
    pub const IPV6: u16 = 0x86dd;
    pub const MPLS_UNICAST: u16 = 0x8847;
    pub const MPLS_MULTICAST: u16 = 0x8848;
    pub const TRANSPARENT_ETHERNET: u16 = 0x6558;
}

/// Cisco HDLC: address (0x0f unicast, 0x8f multicast), control, protocol.
mod chdlc {
    pub const ADDRESS_UNICAST: u8 = 0x0f;
    pub const ADDRESS_MULTICAST: u8 = 0x8f;
    pub const PROTOCOL: usize = 2;
    pub const LEN: usize = 4;
}

/// Whether a PPP frame (DLT 9 or 50) is really Cisco HDLC: its first byte is
/// a Cisco HDLC address. tshark's PPP-in-HDLC dissector checks only that
/// byte; tcpdump does so for DLT 50 (PPP_SERIAL) but not for DLT 9.
pub(super) fn is_cisco_hdlc(bytes: &Bytes<'_>) -> bool {
    matches!(
        bytes.captured.first(),
        Some(&(chdlc::ADDRESS_UNICAST | chdlc::ADDRESS_MULTICAST))
    )
}

/// A Cisco HDLC frame (inside a PPP capture, or a Juniper C-HDLC payload).
pub(super) fn decode_cisco_hdlc(bytes: Bytes<'_>) -> PacketInfo {
    match bytes.u16_at(chdlc::PROTOCOL) {
        Some(protocol) => decode_chdlc_protocol(protocol, bytes.skip(chdlc::LEN)),
        None => LINK_TRUNCATED,
    }
}

/// What tshark's `chdlc.protocol` table holds that leads to IP: IPv4, IPv6,
/// MPLS and bridged Ethernet. Unlike an Ethernet type field, VLAN tags and
/// PPPoE are not dissected there (the frame stays data).
fn decode_chdlc_protocol(protocol: u16, payload: Bytes<'_>) -> PacketInfo {
    match protocol {
        ethertype::IPV4 => decode_ipv4(payload),
        ethertype::IPV6 => decode_ipv6_checked(payload),
        ethertype::MPLS_UNICAST | ethertype::MPLS_MULTICAST => decode_mpls(payload),
        ethertype::TRANSPARENT_ETHERNET => decode_ethernet(payload),
        _ => NON_IP,
    }
}

/// Frame Relay: Q.922 address octets, NLPIDs and SNAP.
mod fr {
    /// Address extension bit: set in the last address octet.
    pub const EA: u8 = 0x01;
    /// In the last octet of a 3- or 4-octet address: DL-CORE control, not DLCI.
    pub const DC: u8 = 0x02;
    /// Unnumbered information: RFC 2427 multiprotocol encapsulation follows.
    pub const CONTROL_UI: u8 = 0x03;
    /// XID: no payload.
    pub const CONTROL_XID: u8 = 0xaf;
    pub const NLPID_PADDING: u8 = 0x00;
    pub const NLPID_SNAP: u8 = 0x80;
    pub const NLPID_IPV4: u8 = 0xcc;
    pub const NLPID_IPV6: u8 = 0x8e;
    /// SNAP after the NLPID: OUI, PID.
    pub const SNAP_LEN: usize = 5;
}

/// Frame Relay (DLT 107), as tshark's packet-fr.c with its default
/// encapsulation (FRF 3.2 / Cisco): the Q.922 address (2 to 4 octets; a
/// 1-octet address is taken as bogus, DLCI 0), then either control UI
/// (0x03) with an NLPID (after an optional 0x00 pad) — IPv4, IPv6 or SNAP —
/// or, on a DLCI other than 0, a Cisco HDLC protocol (an EtherType). Other
/// NLPIDs (OSI, Q.933), XID and LAPF on DLCI 0 carry no IP.
pub(super) fn decode_frame_relay(bytes: Bytes<'_>) -> PacketInfo {
    let Some((dlci, offset)) = q922_address(bytes.captured) else {
        return LINK_TRUNCATED;
    };
    let Some(control) = bytes.u8_at(offset) else {
        return LINK_TRUNCATED;
    };
    if control == fr::CONTROL_UI {
        return decode_nlpid(bytes.skip(offset + 1));
    }
    if dlci == 0 || control == fr::CONTROL_XID {
        return NON_IP;
    }
    match bytes.u16_at(offset) {
        Some(protocol) => decode_chdlc_protocol(protocol, bytes.skip(offset + 2)),
        None => LINK_TRUNCATED,
    }
}

/// The Q.922 address: (DLCI, its length), walked as packet-fr.c does (extra
/// octets without the EA bit are skipped as bogus). `None` when cut short.
fn q922_address(data: &[u8]) -> Option<(u32, usize)> {
    let first = *data.first()?;
    if first & fr::EA != 0 {
        return Some((0, 1));
    }
    let second = *data.get(1)?;
    let mut dlci = u32::from(first >> 2) << 4 | u32::from(second >> 4);
    if second & fr::EA != 0 {
        return Some((dlci, 2));
    }
    let mut offset = 2;
    let mut octet = *data.get(offset)?;
    if octet & fr::EA == 0 {
        dlci = dlci << 7 | u32::from(octet >> 1);
        offset += 1;
        octet = *data.get(offset)?;
        // Bounded by the frame: each pass consumes one captured byte.
        while octet & fr::EA == 0 {
            offset += 1;
            octet = *data.get(offset)?;
        }
    }
    if octet & fr::DC == 0 {
        dlci = dlci << 6 | u32::from(octet >> 2);
    }
    Some((dlci, offset + 1))
}

/// RFC 2427 after the UI control byte: optional pad, NLPID, and for SNAP
/// an OUI and PID (EtherType under OUI 0, bridged Ethernet under
/// 00-80-C2, without padding on Frame Relay).
fn decode_nlpid(bytes: Bytes<'_>) -> PacketInfo {
    let bytes = if bytes.u8_at(0) == Some(fr::NLPID_PADDING) {
        bytes.skip(1)
    } else {
        bytes
    };
    match bytes.u8_at(0) {
        Some(fr::NLPID_IPV4) => decode_ipv4(bytes.skip(1)),
        Some(fr::NLPID_IPV6) => decode_ipv6_checked(bytes.skip(1)),
        Some(fr::NLPID_SNAP) => match bytes.captured.get(1..1 + fr::SNAP_LEN) {
            Some(&[o0, o1, o2, p0, p1]) => {
                decode_snap([o0, o1, o2], u16::from_be_bytes([p0, p1]), bytes.skip(6))
            }
            _ => LINK_TRUNCATED,
        },
        Some(_) => NON_IP,
        None => LINK_TRUNCATED,
    }
}

/// SNAP organisation codes and the bridged-frame protocol ids (RFC 2684).
mod snap {
    pub const OUI_ETHERTYPE: [u8; 3] = [0, 0, 0];
    pub const OUI_BRIDGED: [u8; 3] = [0x00, 0x80, 0xc2];
    pub const PID_ETHERNET_WITH_FCS: u16 = 0x0001;
    pub const PID_ETHERNET: u16 = 0x0007;
    pub const FCS_LEN: usize = 4;
}

/// A SNAP payload (what tshark's `dissect_snap` follows to IP): an EtherType
/// under OUI 0, bridged Ethernet (with or without its FCS) under 00-80-C2.
fn decode_snap(oui: [u8; 3], pid: u16, payload: Bytes<'_>) -> PacketInfo {
    match (oui, pid) {
        (snap::OUI_ETHERTYPE, _) => decode_ethertype(pid, payload),
        (snap::OUI_BRIDGED, snap::PID_ETHERNET) => decode_ethernet(payload),
        (snap::OUI_BRIDGED, snap::PID_ETHERNET_WITH_FCS) => {
            let without_fcs = payload.reported.saturating_sub(snap::FCS_LEN);
            decode_ethernet(payload.limit(without_fcs))
        }
        _ => NON_IP,
    }
}

/// IEEE 802.2 LLC headers beyond SNAP with OUI 0 that tshark's LLC dissector
/// follows to IP.
mod llc {
    pub const SNAP: [u8; 3] = [0xaa, 0xaa, 0x03];
    /// OSI SAP, UI: an NLPID follows (0xcc IPv4, 0x8e IPv6).
    pub const OSI: [u8; 3] = [0xfe, 0xfe, 0x03];
    /// The IP SAP (RFC 1042's predecessor), UI: IPv4 follows.
    pub const IP: [u8; 3] = [0x06, 0x06, 0x03];
    pub const HEADER_LEN: usize = 3;
    pub const SNAP_LEN: usize = 8;
    /// RFC 2684: two pad bytes between a bridged PID and the MAC header.
    pub const BRIDGED_PAD: usize = 2;
}

/// LLC as tshark's LLC dissector reads it on ATM (RFC 1483/2684) and
/// Juniper links: SNAP (EtherType, or bridged Ethernet after a 2-byte pad),
/// OSI NLPIDs for IPv4/IPv6, the IP SAP; everything else through
/// [`decode_llc`].
fn decode_atm_llc(bytes: Bytes<'_>) -> PacketInfo {
    match bytes.captured.get(..llc::SNAP_LEN) {
        Some(&[a, b, c, o0, o1, o2, p0, p1])
            if [a, b, c] == llc::SNAP && [o0, o1, o2] == snap::OUI_BRIDGED =>
        {
            return decode_snap(
                [o0, o1, o2],
                u16::from_be_bytes([p0, p1]),
                bytes.skip(llc::SNAP_LEN + llc::BRIDGED_PAD),
            );
        }
        _ => {}
    }
    match bytes.captured.get(..llc::HEADER_LEN + 1) {
        Some(&[a, b, c, nlpid]) if [a, b, c] == llc::OSI => {
            let payload = bytes.skip(llc::HEADER_LEN + 1);
            match nlpid {
                fr::NLPID_IPV4 => decode_ipv4(payload),
                fr::NLPID_IPV6 => decode_ipv6_checked(payload),
                _ => NON_IP,
            }
        }
        Some(&[a, b, c, _]) if [a, b, c] == llc::IP => decode_ipv4(bytes.skip(llc::HEADER_LEN)),
        _ => decode_llc(bytes),
    }
}

/// ATM RFC 1483 (DLT 100): LLC only, as tshark dissects it (raw IP stays
/// data).
pub(super) fn decode_atm_rfc1483(bytes: Bytes<'_>) -> PacketInfo {
    decode_atm_llc(bytes)
}

/// Linux ATM Classical IP (DLT 106): tshark's packet-clip.c hands the whole
/// frame to its IPv4 dissector (no LLC header is looked for; tcpdump, by
/// contrast, skips an LLC/SNAP header when there is one).
pub(super) fn decode_atm_clip(bytes: Bytes<'_>) -> PacketInfo {
    decode_ipv4(bytes)
}

/// SunATM pseudo-header: flags (direction, traffic type), VPI, VCI (2
/// bytes).
mod sunatm {
    pub const LEN: usize = 4;
    pub const TYPE_MASK: u8 = 0x0f;
    pub const TYPE_LANE: u8 = 0x01;
    pub const TYPE_LLC: u8 = 0x02;
    pub const TYPE_MARS: u8 = 0x03;
    pub const TYPE_IFMP: u8 = 0x04;
    pub const TYPE_ILMI: u8 = 0x05;
    pub const TYPE_SIGNALLING: u8 = 0x06;
    /// VPI 0 / VCI 5: signalling when the type does not say.
    pub const SIGNALLING_VCI: u16 = 5;
    /// LANE: the LE client id; 0xff00 marks LE control frames.
    pub const LECID_LEN: usize = 2;
    pub const LE_CONTROL: u16 = 0xff00;
    /// Bytes packet-atm.c looks at to guess an unknown AAL5 payload.
    pub const GUESS_LEN: usize = 8;
}

/// SunATM (DLT 123). The pseudo-header's traffic type says LANE (a LE client
/// id, then Ethernet; LE control frames carry no IP), LLC-multiplexed
/// (RFC 1483 LLC), ILMI or signalling (no IP); other types — and none — are
/// AAL5 of unknown type, which packet-atm.c guesses from the first 8 bytes:
/// LLC/SNAP, VC-multiplexed bridged Ethernet (2 zero bytes), Frame Relay
/// interworking with an IP or SNAP NLPID, or an IPv4/IPv6 version nibble.
///
/// The wire length the readers report excludes the pseudo-header (tshark's
/// `frame.len`), while `data` still holds it; the payload's reported length
/// is rebuilt from that (see [`LinkType::SUNATM`]).
pub(super) fn decode_sunatm(bytes: Bytes<'_>) -> PacketInfo {
    let Some(&[flags, vpi, vci0, vci1]) = bytes.captured.get(..sunatm::LEN) else {
        return LINK_TRUNCATED;
    };
    let vci = u16::from_be_bytes([vci0, vci1]);
    // `reported` already excludes the pseudo-header unless the frame was
    // captured whole (then it is the captured length, header included).
    let reported = if bytes.reported > bytes.captured.len() {
        bytes.reported
    } else {
        bytes.captured.len() - sunatm::LEN
    };
    let payload = Bytes {
        captured: &bytes.captured[sunatm::LEN..],
        reported,
        ..bytes
    };
    match flags & sunatm::TYPE_MASK {
        sunatm::TYPE_LANE => decode_lane(payload),
        sunatm::TYPE_LLC => decode_atm_llc(payload),
        sunatm::TYPE_ILMI | sunatm::TYPE_SIGNALLING => NON_IP,
        sunatm::TYPE_MARS | sunatm::TYPE_IFMP => guess_aal5(payload),
        _ if vpi == 0 && vci == sunatm::SIGNALLING_VCI => NON_IP,
        _ => guess_aal5(payload),
    }
}

/// LANE: a 2-byte LE client id, then (802.3 LANE) Ethernet.
fn decode_lane(bytes: Bytes<'_>) -> PacketInfo {
    match bytes.u16_at(0) {
        Some(sunatm::LE_CONTROL) => NON_IP,
        Some(_) => decode_ethernet(bytes.skip(sunatm::LECID_LEN)),
        None => LINK_TRUNCATED,
    }
}

/// packet-atm.c's guess for AAL5 traffic of unknown type (8 bytes needed).
fn guess_aal5(bytes: Bytes<'_>) -> PacketInfo {
    let Some(&[o0, o1, o2, o3, o4, o5, o6, _]) = bytes.captured.get(..sunatm::GUESS_LEN) else {
        return NON_IP;
    };
    let frame_relay_nlpid = |control: u8, nlpid: u8, next: u8| {
        control == fr::CONTROL_UI
            && (nlpid == fr::NLPID_IPV4
                || nlpid == fr::NLPID_IPV6
                || (nlpid == fr::NLPID_PADDING && next == fr::NLPID_SNAP))
    };
    if [o0, o1, o2] == llc::SNAP {
        decode_atm_llc(bytes)
    } else if [o0, o1] == [0, 0] {
        decode_ethernet(bytes.skip(2))
    } else if frame_relay_nlpid(o2, o3, o4) || frame_relay_nlpid(o4, o5, o6) {
        decode_frame_relay(bytes)
    } else if matches!(o0 >> 4, 4 | 6) {
        decode_ipv4(bytes)
    } else {
        NON_IP
    }
}

/// Linux ARCnet header: source, destination, 2-byte offset, protocol id;
/// RFC 1201 protocols add a split flag and a 2-byte sequence number.
mod arcnet {
    pub const PROTOCOL: usize = 4;
    pub const LEN: usize = 5;
    pub const FRAGMENTATION_LEN: usize = 3;
    pub const IPV4_RFC1201: u8 = 0xd4;
    pub const IPV4_RFC1051: u8 = 0xf0;
    pub const ARP_RFC1051: u8 = 0xf1;
    pub const IPV6: u8 = 0xc4;
    pub const DIAGNOSE: u8 = 0x80;
    pub const BACNET: u8 = 0xcd;
}

/// Linux ARCnet (DLT 129), as packet-arcnet.c's Linux variant: every
/// protocol id but the RFC 1051 ones, diagnose and BACnet carries the
/// fragmentation fields; 0xd4 and 0xf0 are IPv4, 0xc4 IPv6.
pub(super) fn decode_arcnet_linux(bytes: Bytes<'_>) -> PacketInfo {
    let Some(protocol) = bytes.u8_at(arcnet::PROTOCOL) else {
        return LINK_TRUNCATED;
    };
    let header_len = match protocol {
        arcnet::IPV4_RFC1051 | arcnet::ARP_RFC1051 | arcnet::DIAGNOSE | arcnet::BACNET => {
            arcnet::LEN
        }
        _ => arcnet::LEN + arcnet::FRAGMENTATION_LEN,
    };
    if bytes.captured.len() < header_len {
        return LINK_TRUNCATED;
    }
    let payload = bytes.skip(header_len);
    match protocol {
        arcnet::IPV4_RFC1201 | arcnet::IPV4_RFC1051 => decode_ipv4(payload),
        arcnet::IPV6 => decode_ipv6_checked(payload),
        _ => NON_IP,
    }
}

/// IPoIB as libpcap writes it (LINKTYPE_IPOIB): a 40-byte pseudo header
/// (GRH or destination address), then RFC 4391's type and reserved field.
mod ipoib {
    pub const TYPE: usize = 40;
    pub const LEN: usize = 44;
}

/// IP over InfiniBand (DLT 242): tshark follows only IPv4 and IPv6 (and
/// ARP) from the type field, at offset 40 as in tcpdump.
pub(super) fn decode_ipoib(bytes: Bytes<'_>) -> PacketInfo {
    if bytes.captured.len() < ipoib::LEN {
        return LINK_TRUNCATED;
    }
    let payload = bytes.skip(ipoib::LEN);
    match bytes.u16_at(ipoib::TYPE) {
        Some(ethertype::IPV4) => decode_ipv4(payload),
        Some(ethertype::IPV6) => decode_ipv6_checked(payload),
        _ => NON_IP,
    }
}

/// Solaris ipnet header: version, family, htype, packet length (big
/// endian), interface and zone ids.
mod ipnet {
    pub const FAMILY: usize = 1;
    pub const PACKET_LEN: usize = 4;
    pub const LEN: usize = 24;
    pub const AF_INET: u8 = 2;
    pub const AF_INET6: u8 = 26;
}

/// Solaris ipnet (DLT 226): the family byte says IPv4 or IPv6. tshark's
/// packet-ipnet.c does not start the packet after the 24-byte header but
/// `captured length - packet length` bytes in (a negative offset counting
/// from the end), so a frame cut by the snap length, or with a wrong length
/// field, is read from the wrong place (other_ip for IPv4); that is matched.
pub(super) fn decode_ipnet(bytes: Bytes<'_>) -> PacketInfo {
    if bytes.captured.len() < ipnet::LEN {
        return LINK_TRUNCATED;
    }
    let Some(&[a, b, c, d]) = bytes.captured.get(ipnet::PACKET_LEN..ipnet::PACKET_LEN + 4) else {
        return LINK_TRUNCATED;
    };
    let captured = bytes.captured.len();
    // The offset is computed in unsigned 32 bits and passed as a signed int.
    let offset = (captured as u32).wrapping_sub(u32::from_be_bytes([a, b, c, d])) as i32;
    let start = if offset >= 0 {
        offset as usize
    } else {
        match captured.checked_sub(offset.unsigned_abs() as usize) {
            Some(start) => start,
            None => return LINK_TRUNCATED,
        }
    };
    if start > captured {
        return LINK_TRUNCATED;
    }
    let payload = bytes.skip(start);
    match bytes.u8_at(ipnet::FAMILY) {
        Some(ipnet::AF_INET) => decode_ipv4(payload),
        Some(ipnet::AF_INET6) => decode_ipv6_checked(payload),
        _ => NON_IP,
    }
}

/// Juniper capture header: "MGC", flags, and with extensions a 2-byte total
/// length of TLVs; without a layer 2 header, a 4-byte host-order (little
/// endian) protocol.
mod juniper {
    pub const MAGIC: [u8; 3] = *b"MGC";
    pub const FLAGS: usize = 3;
    pub const LEN: usize = 4;
    pub const EXTENSIONS_LEN: usize = 4;
    pub const EXTENDED_LEN: usize = 6;
    pub const PROTOCOL_LEN: usize = 4;
    pub const FLAG_NO_L2: u8 = 0x02;
    pub const FLAG_EXTENSIONS: u8 = 0x80;
    pub const PROTO_IPV4: u32 = 2;
    pub const PROTO_MPLS_IPV4: u32 = 3;
    pub const PROTO_IPV4_MPLS: u32 = 4;
    pub const PROTO_MPLS: u32 = 5;
    pub const PROTO_IPV6: u32 = 6;
    pub const PROTO_MPLS_IPV6: u32 = 7;
    pub const PROTO_IPV6_MPLS: u32 = 8;
    pub const PROTO_PPP: u32 = 200;
    pub const PROTO_LLC: u32 = 202;
    pub const PROTO_LLC_SNAP: u32 = 203;
    pub const PROTO_ETHERNET: u32 = 204;
    pub const PROTO_FRAME_RELAY: u32 = 207;
    pub const PROTO_CHDLC: u32 = 208;
}

/// Juniper Ethernet (DLT 178), as packet-juniper.c: without the "MGC" magic
/// the frame is Ethernet from its first byte (tcpdump gives up instead);
/// with it, the flags and optional extensions are skipped, then Ethernet,
/// or — when the layer 2 header was stripped — the payload the protocol
/// field names.
pub(super) fn decode_juniper_ether(bytes: Bytes<'_>) -> PacketInfo {
    let Some(header) = bytes.captured.get(..juniper::LEN) else {
        return LINK_TRUNCATED;
    };
    if header[..3] != juniper::MAGIC {
        return decode_ethernet(bytes);
    }
    let flags = header[juniper::FLAGS];
    let header_len = if flags & juniper::FLAG_EXTENSIONS != 0 {
        match bytes.u16_at(juniper::EXTENSIONS_LEN) {
            Some(len) => juniper::EXTENDED_LEN + usize::from(len),
            None => return LINK_TRUNCATED,
        }
    } else {
        juniper::LEN
    };
    if flags & juniper::FLAG_NO_L2 == 0 {
        return decode_ethernet(bytes.skip(header_len));
    }
    match bytes
        .captured
        .get(header_len..header_len + juniper::PROTOCOL_LEN)
    {
        Some(&[a, b, c, d]) => decode_juniper_payload(
            u32::from_le_bytes([a, b, c, d]),
            bytes.skip(header_len + juniper::PROTOCOL_LEN),
        ),
        _ => LINK_TRUNCATED,
    }
}

/// The payload of a Juniper frame without a layer 2 header, by tshark's
/// `juniper.proto` table.
fn decode_juniper_payload(protocol: u32, payload: Bytes<'_>) -> PacketInfo {
    match protocol {
        juniper::PROTO_IPV4 | juniper::PROTO_MPLS_IPV4 => decode_ipv4(payload),
        juniper::PROTO_IPV6 | juniper::PROTO_MPLS_IPV6 => decode_ipv6_checked(payload),
        juniper::PROTO_IPV4_MPLS | juniper::PROTO_MPLS | juniper::PROTO_IPV6_MPLS => {
            decode_mpls(payload)
        }
        // PPP without HDLC address and control: tshark does not skip them.
        juniper::PROTO_PPP => match payload.captured {
            [0xff, 0x03, ..] => NON_IP,
            _ => decode_ppp(payload),
        },
        juniper::PROTO_LLC | juniper::PROTO_LLC_SNAP => decode_atm_llc(payload),
        juniper::PROTO_ETHERNET => decode_ethernet(payload),
        juniper::PROTO_FRAME_RELAY => decode_frame_relay(payload),
        juniper::PROTO_CHDLC => decode_cisco_hdlc(payload),
        _ => NON_IP,
    }
}

/// Apple PKTAP header (little-endian): header length, record type, DLT, ...
mod pktap {
    pub const RECORD_TYPE: usize = 4;
    pub const DLT: usize = 8;
    pub const MIN_LEN: usize = 108;
    pub const RECORD_PACKET: u32 = 1;
}

/// Apple PKTAP (DLT 258, and DLT 149 = `DLT_USER2`, which macOS writes
/// for it and which tshark 4.0 and tcpdump 4.99 both read as PKTAP): a
/// header of at least 108 bytes whose length, record type (1: a packet
/// follows) and link type are little-endian; then the packet, decoded by
/// that link type. PKTAP inside PKTAP is walked in a loop (tshark decodes
/// it); a PPI inside is not decoded, so that link types cannot recurse
/// into each other without bound.
pub(super) fn decode_pktap(mut bytes: Bytes<'_>) -> PacketInfo {
    // Each pass consumes at least MIN_LEN captured bytes: bounded.
    loop {
        let read = |at: usize| match bytes.captured.get(at..at + 4) {
            Some(&[a, b, c, d]) => Some(u32::from_le_bytes([a, b, c, d])),
            _ => None,
        };
        let (Some(header_len), Some(record_type), Some(dlt)) =
            (read(0), read(pktap::RECORD_TYPE), read(pktap::DLT))
        else {
            return LINK_TRUNCATED;
        };
        let header_len = header_len as usize;
        if header_len < pktap::MIN_LEN || record_type != pktap::RECORD_PACKET {
            return NON_IP;
        }
        if bytes.captured.len() < header_len {
            return LINK_TRUNCATED;
        }
        bytes = bytes.skip(header_len);
        match u16::try_from(dlt).map(LinkType) {
            Ok(LinkType::PKTAP | LinkType::USER2) => continue,
            Ok(LinkType::PPI) | Err(_) => {
                return PacketInfo::problem(Category::NonIp, DecodeProblem::UnsupportedLinkType);
            }
            Ok(link) => return decode_link(link, bytes),
        }
    }
}
