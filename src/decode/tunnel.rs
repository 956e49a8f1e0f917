//! Tunnels, looked into only with `DecodeOptions { decap: true }`: the frame
//! is then summarised by its innermost packet (category, ports, addresses,
//! TCP flags, fragment of the innermost IP header) and
//! [`PacketInfo::tunnel`] names the outermost tunnel entered.
//!
//! Where a tunnel starts, after the first IP header (and its extension
//! headers and AH):
//!
//! | Tunnel | Recognised by | Header checks | Inner |
//! |---|---|---|---|
//! | [`Tunnel::Gre`] | IP protocol 47 | version 0, no routing (as Linux); C, K, S each add 4 bytes | type 0x0800 IPv4, 0x86DD IPv6, 0x6558 Ethernet; any other type is not entered |
//! | [`Tunnel::Ipip`] | protocol 4; protocol 41 after IPv6 | version nibble 4 (resp. 6) | IPv4 (resp. IPv6) |
//! | [`Tunnel::SixInFour`] | protocol 41 after IPv4 | version nibble 6 | IPv6 |
//! | [`Tunnel::Vxlan`] | UDP destination port 4789 | I flag (0x08), 8-byte header | Ethernet |
//! | [`Tunnel::Geneve`] | UDP destination port 6081 | version 0; options (length field) skipped | type 0x6558 Ethernet, 0x0800 IPv4, 0x86DD IPv6 |
//! | [`Tunnel::GtpU`] | UDP port 2152, either side | version 1, PT 1, message 0xFF (G-PDU); the E/S/PN word and chained extension headers skipped; length field honoured | IPv4 or IPv6 by the version nibble |
//! | [`Tunnel::Teredo`] | UDP port 3544, either side | optional authentication (0x0001) then origin indication (0x0000) headers skipped | IPv6 (version nibble 6) |
//!
//! UDP tunnels also need the whole 8-byte UDP header with a length of at
//! least 8 (the payload is bounded by it); the ports are tried in the order
//! of the table.
//!
//! Not entered, the frame then summarised exactly as without decap and
//! `tunnel` left `None`: a tunnel header that does not check out or is cut
//! short (including a missing first inner byte where the version nibble
//! decides), and any tunnel in a non-first fragment of the outer packet. A
//! first fragment is entered: its inner packet is cut where the fragment
//! ends, like a snap length would cut it.
//!
//! Once a tunnel header checks out, the inner packet's summary is the
//! frame's, whatever it is: damaged or cut short it says so as the outer
//! packet would (`truncated`, `other_ip` with an IP header problem,
//! `non_ip` with `LinkHeaderTruncated`), and an inner frame without IP
//! (ARP through VXLAN) is `non_ip`. Inner packets are decoded by the same
//! code as outer ones, so tunnels nest, up to [`MAX_TUNNELS`] deep; past
//! that the innermost packet reached is summarised as is.

use super::ip::{IpVersion, decode_ipv4, decode_ipv6_checked};
use super::link::decode_ethernet;
use super::{Bytes, PacketInfo, Tunnel};
use etherparse::{EtherType, IpNumber};

/// Most tunnels entered in one frame. Each one nests a few stack frames of
/// the decoder, so this also bounds the stack.
pub(super) const MAX_TUNNELS: u8 = 4;

/// The UDP ports tunnels are recognised by.
mod port {
    pub const VXLAN: u16 = 4789;
    pub const GENEVE: u16 = 6081;
    pub const GTP_U: u16 = 2152;
    pub const TEREDO: u16 = 3544;
}

/// UDP header: ports, length, checksum.
mod udp {
    pub const LENGTH: usize = 4;
    pub const HEADER_LEN: usize = 8;
}

/// GRE (RFC 2784, RFC 2890): flags and version, protocol type, then the
/// optional checksum, key and sequence number words.
mod gre {
    pub const FLAGS: usize = 0;
    pub const VERSION: usize = 1;
    pub const PROTOCOL: usize = 2;
    pub const BASE_LEN: usize = 4;
    pub const CHECKSUM: u8 = 0x80;
    pub const ROUTING: u8 = 0x40;
    pub const KEY: u8 = 0x20;
    pub const SEQUENCE: u8 = 0x10;
    pub const VERSION_MASK: u8 = 0x07;
    /// Each optional field is one 4-byte word.
    pub const OPTION_LEN: usize = 4;
}

/// VXLAN (RFC 7348): flags, reserved, VNI, reserved.
mod vxlan {
    pub const FLAGS: usize = 0;
    pub const VNI_VALID: u8 = 0x08;
    pub const LEN: usize = 8;
}

/// Geneve (RFC 8926): version and option length, flags, protocol type, VNI.
mod geneve {
    pub const VERSION_OPT_LEN: usize = 0;
    pub const PROTOCOL: usize = 2;
    pub const BASE_LEN: usize = 8;
    pub const VERSION_SHIFT: u8 = 6;
    /// Option length, in 4-byte words.
    pub const OPT_LEN_MASK: u8 = 0x3f;
}

/// GTP-U (3GPP TS 29.281): flags, message type, length, TEID; an optional
/// word (sequence number, N-PDU number, next extension header type) when E,
/// S or PN is set.
mod gtp {
    pub const FLAGS: usize = 0;
    pub const MESSAGE_TYPE: usize = 1;
    pub const LENGTH: usize = 2;
    pub const BASE_LEN: usize = 8;
    pub const VERSION_SHIFT: u8 = 5;
    pub const VERSION_1: u8 = 1;
    pub const PROTOCOL_TYPE: u8 = 0x10;
    pub const EXTENSION: u8 = 0x04;
    /// E, S and PN: any of them means the optional word is there.
    pub const OPTIONAL_WORD_FLAGS: u8 = 0x07;
    pub const OPTIONAL_LEN: usize = 4;
    pub const NEXT_EXTENSION: usize = 3;
    pub const G_PDU: u8 = 0xff;
    /// Extension header lengths count 4-byte units.
    pub const EXTENSION_UNIT: usize = 4;
}

/// Teredo (RFC 4380): indicators in front of the IPv6 packet.
mod teredo {
    pub const AUTHENTICATION: u16 = 0x0001;
    /// Indicator, client id length, authentication value length.
    pub const AUTH_ID_LEN: usize = 2;
    pub const AUTH_VALUE_LEN: usize = 3;
    /// Indicator and both lengths; then the id, the value, a nonce and the
    /// confirmation byte.
    pub const AUTH_FIXED_LEN: usize = 4 + 8 + 1;
    pub const ORIGIN: u16 = 0x0000;
    pub const ORIGIN_LEN: usize = 8;
}

/// Ethernet type of transparent Ethernet bridging (Ethernet inside GRE or
/// Geneve).
const ETHERTYPE_TEB: u16 = 0x6558;

/// What follows a tunnel header.
#[derive(Clone, Copy)]
enum Inner {
    Ipv4,
    Ipv6,
    Ethernet,
}

impl Inner {
    /// The inner packet an Ethernet type announces, if one portclass enters.
    fn from_ethertype(ethertype: u16) -> Option<Inner> {
        match EtherType(ethertype) {
            EtherType::IPV4 => Some(Inner::Ipv4),
            EtherType::IPV6 => Some(Inner::Ipv6),
            EtherType(ETHERTYPE_TEB) => Some(Inner::Ethernet),
            _ => None,
        }
    }

    /// The IP packet a version nibble announces (for tunnels without a type
    /// field).
    fn from_version(bytes: Bytes<'_>) -> Option<Inner> {
        match bytes.u8_at(0)? >> 4 {
            4 => Some(Inner::Ipv4),
            6 => Some(Inner::Ipv6),
            _ => None,
        }
    }
}

/// Enters a tunnel whose header checked out: the inner packet's summary,
/// with `kind` as its (outermost so far) tunnel.
fn enter(kind: Tunnel, inner: Inner, bytes: Bytes<'_>) -> PacketInfo {
    let bytes = Bytes {
        tunnels_left: bytes.tunnels_left.saturating_sub(1),
        ..bytes
    };
    let info = match inner {
        Inner::Ipv4 => decode_ipv4(bytes),
        Inner::Ipv6 => decode_ipv6_checked(bytes),
        Inner::Ethernet => decode_ethernet(bytes),
    };
    PacketInfo {
        tunnel: Some(kind),
        ..info
    }
}

/// Whether a UDP datagram between these ports may carry a tunnel (so the
/// fast path, which knows none, must not answer for it).
#[inline]
pub(super) fn udp_may_tunnel(src: u16, dst: u16) -> bool {
    dst == port::VXLAN
        || dst == port::GENEVE
        || src == port::GTP_U
        || dst == port::GTP_U
        || src == port::TEREDO
        || dst == port::TEREDO
}

/// The inner summary of IP protocol `protocol`'s payload (after an IP header
/// of version `after`), or `None` when it is no tunnel portclass enters.
pub(super) fn decap_ip(
    protocol: IpNumber,
    payload: Bytes<'_>,
    after: IpVersion,
) -> Option<PacketInfo> {
    match protocol {
        IpNumber::GRE => decap_gre(payload),
        IpNumber::IPV4 => match Inner::from_version(payload)? {
            Inner::Ipv4 => Some(enter(Tunnel::Ipip, Inner::Ipv4, payload)),
            _ => None,
        },
        IpNumber::IPV6 => match Inner::from_version(payload)? {
            Inner::Ipv6 => {
                let kind = match after {
                    IpVersion::V4 => Tunnel::SixInFour,
                    IpVersion::V6 => Tunnel::Ipip,
                };
                Some(enter(kind, Inner::Ipv6, payload))
            }
            _ => None,
        },
        _ => None,
    }
}

fn decap_gre(bytes: Bytes<'_>) -> Option<PacketInfo> {
    let flags = bytes.u8_at(gre::FLAGS)?;
    let version = bytes.u8_at(gre::VERSION)?;
    let protocol = bytes.u16_at(gre::PROTOCOL)?;
    if version & gre::VERSION_MASK != 0 || flags & gre::ROUTING != 0 {
        return None;
    }
    let options = [gre::CHECKSUM, gre::KEY, gre::SEQUENCE]
        .into_iter()
        .filter(|&flag| flags & flag != 0)
        .count();
    let len = gre::BASE_LEN + options * gre::OPTION_LEN;
    if bytes.captured.len() < len {
        return None;
    }
    let inner = Inner::from_ethertype(protocol)?;
    Some(enter(Tunnel::Gre, inner, bytes.skip(len)))
}

/// The inner summary of a UDP datagram (`datagram` from its header on) that
/// carries a tunnel, or `None`.
pub(super) fn decap_udp(src: u16, dst: u16, datagram: Bytes<'_>) -> Option<PacketInfo> {
    let length = usize::from(datagram.u16_at(udp::LENGTH)?);
    if datagram.captured.len() < udp::HEADER_LEN || length < udp::HEADER_LEN {
        return None;
    }
    let payload = datagram.limit(length).skip(udp::HEADER_LEN);
    if dst == port::VXLAN
        && let Some(info) = decap_vxlan(payload)
    {
        return Some(info);
    }
    if dst == port::GENEVE
        && let Some(info) = decap_geneve(payload)
    {
        return Some(info);
    }
    if (src == port::GTP_U || dst == port::GTP_U)
        && let Some(info) = decap_gtp_u(payload)
    {
        return Some(info);
    }
    if src == port::TEREDO || dst == port::TEREDO {
        return decap_teredo(payload);
    }
    None
}

fn decap_vxlan(bytes: Bytes<'_>) -> Option<PacketInfo> {
    let header = bytes.captured.get(..vxlan::LEN)?;
    if header[vxlan::FLAGS] & vxlan::VNI_VALID == 0 {
        return None;
    }
    Some(enter(
        Tunnel::Vxlan,
        Inner::Ethernet,
        bytes.skip(vxlan::LEN),
    ))
}

fn decap_geneve(bytes: Bytes<'_>) -> Option<PacketInfo> {
    let first = bytes.u8_at(geneve::VERSION_OPT_LEN)?;
    let protocol = bytes.u16_at(geneve::PROTOCOL)?;
    if first >> geneve::VERSION_SHIFT != 0 {
        return None;
    }
    let len = geneve::BASE_LEN + usize::from(first & geneve::OPT_LEN_MASK) * 4;
    if bytes.captured.len() < len {
        return None;
    }
    let inner = Inner::from_ethertype(protocol)?;
    Some(enter(Tunnel::Geneve, inner, bytes.skip(len)))
}

fn decap_gtp_u(bytes: Bytes<'_>) -> Option<PacketInfo> {
    let header = bytes.captured.get(..gtp::BASE_LEN)?;
    let flags = header[gtp::FLAGS];
    if flags >> gtp::VERSION_SHIFT != gtp::VERSION_1
        || flags & gtp::PROTOCOL_TYPE == 0
        || header[gtp::MESSAGE_TYPE] != gtp::G_PDU
    {
        return None;
    }
    let length = u16::from_be_bytes([header[gtp::LENGTH], header[gtp::LENGTH + 1]]);
    let mut payload = bytes.skip(gtp::BASE_LEN).limit(usize::from(length));
    if flags & gtp::OPTIONAL_WORD_FLAGS != 0 {
        let mut next = *payload
            .captured
            .get(..gtp::OPTIONAL_LEN)?
            .get(gtp::NEXT_EXTENSION)?;
        payload = payload.skip(gtp::OPTIONAL_LEN);
        if flags & gtp::EXTENSION == 0 {
            next = 0;
        }
        // Each extension header: its length in 4-byte units, its content,
        // the next type in its last byte. Every turn consumes at least 4
        // captured bytes, so the loop ends.
        while next != 0 {
            let len = usize::from(payload.u8_at(0)?) * gtp::EXTENSION_UNIT;
            if len == 0 {
                return None;
            }
            next = payload.u8_at(len - 1)?;
            payload = payload.skip(len);
        }
    }
    let inner = Inner::from_version(payload)?;
    Some(enter(Tunnel::GtpU, inner, payload))
}

fn decap_teredo(bytes: Bytes<'_>) -> Option<PacketInfo> {
    let mut payload = bytes;
    if payload.u16_at(0) == Some(teredo::AUTHENTICATION) {
        let id_len = usize::from(payload.u8_at(teredo::AUTH_ID_LEN)?);
        let value_len = usize::from(payload.u8_at(teredo::AUTH_VALUE_LEN)?);
        let len = teredo::AUTH_FIXED_LEN + id_len + value_len;
        if payload.captured.len() < len {
            return None;
        }
        payload = payload.skip(len);
    }
    if payload.u16_at(0) == Some(teredo::ORIGIN) {
        if payload.captured.len() < teredo::ORIGIN_LEN {
            return None;
        }
        payload = payload.skip(teredo::ORIGIN_LEN);
    }
    match Inner::from_version(payload)? {
        Inner::Ipv6 => Some(enter(Tunnel::Teredo, Inner::Ipv6, payload)),
        _ => None,
    }
}
