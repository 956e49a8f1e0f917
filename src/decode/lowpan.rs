//! IEEE 802.15.4 link layers (DLT 195, 215, 230, 283) and 6LoWPAN down to
//! the first transport header, as tshark 4.0 decodes them (probed frame by
//! frame; see `fixtures/README.md`):
//!
//! * The FCS (2 bytes, or what the TAP header says) is checked when it was
//!   captured: tshark's `wpan.802154_fcs_ok` (on by default) dissects the
//!   payload of a frame only if its FCS is right.
//! * Only unsecured data frames carry 6LoWPAN; 2015 frames' header and
//!   payload IEs are skipped up to their termination IE.
//! * tshark tries its ZigBee NWK heuristic before 6LoWPAN's until a frame
//!   was 6LoWPAN (its heuristics list then tries 6LoWPAN first). Only
//!   malformed ZigBee frames look like 6LoWPAN; portclass takes them as
//!   6LoWPAN, as tshark does once it has seen one 6LoWPAN frame.
//! * 6LoWPAN: mesh and broadcast headers are skipped; an uncompressed IPv6
//!   dispatch goes to the IPv6 decoder; IPHC is sized from its flags (RFC
//!   6282), and what follows it is the transport (next header inline), or
//!   NHC: UDP with its (compressed) ports, IPv6 extension headers skipped.
//!   tshark reassembles fragments: a first fragment holding the whole
//!   datagram is decoded, any other fragment is not IP (the frame that
//!   completes a datagram is IP to tshark, which a frame-by-frame decoder
//!   cannot tell). HC1 (RFC 4944, deprecated) is not decoded.

use super::ip::{IpVersion, decode_ipv6_checked, walk_headers};
use super::{Bytes, Category, DecodeProblem, PacketInfo, Transport};
use etherparse::IpNumber;
use std::net::{IpAddr, Ipv6Addr};

/// MAC frame control field (little-endian 16 bits) and header layout.
mod mac {
    pub const FCF_LEN: usize = 2;
    pub const SEQ_LEN: usize = 1;
    pub const PAN_LEN: usize = 2;
    pub const TYPE_MASK: u16 = 0x0007;
    pub const TYPE_DATA: u16 = 1;
    pub const SECURITY: u16 = 0x0008;
    pub const PAN_ID_COMPRESSION: u16 = 0x0040;
    pub const SEQ_SUPPRESSION: u16 = 0x0100;
    pub const IE_PRESENT: u16 = 0x0200;
    pub const DST_MODE_SHIFT: u16 = 10;
    pub const VERSION_SHIFT: u16 = 12;
    pub const SRC_MODE_SHIFT: u16 = 14;
    pub const VERSION_2015: u16 = 2;
    pub const VERSION_RESERVED: u16 = 3;
    pub const MODE_NONE: u16 = 0;
    pub const MODE_RESERVED: u16 = 1;
    pub const MODE_SHORT: u16 = 2;
    pub const SHORT_LEN: usize = 2;
    pub const EXT_LEN: usize = 8;
}

/// 802.15.4-2015 information elements: 2-byte little-endian descriptors.
mod ie {
    pub const DESCRIPTOR_LEN: usize = 2;
    pub const HEADER_LEN_MASK: u16 = 0x007f;
    pub const HEADER_ID_SHIFT: u16 = 7;
    pub const HEADER_ID_MASK: u16 = 0x00ff;
    /// Header termination 1: payload IEs follow.
    pub const HT1: u16 = 0x7e;
    /// Header termination 2: the payload follows.
    pub const HT2: u16 = 0x7f;
    pub const PAYLOAD_LEN_MASK: u16 = 0x07ff;
    pub const PAYLOAD_GROUP_SHIFT: u16 = 11;
    pub const PAYLOAD_GROUP_MASK: u16 = 0x000f;
    pub const PAYLOAD_TERMINATION: u16 = 0x0f;
}

/// IEEE 802.15.4 non-ASK PHY header (DLT 215): preamble, SFD, PHY length.
mod nonask {
    pub const PHR: usize = 5;
    pub const LEN: usize = 6;
    pub const LENGTH_MASK: u8 = 0x7f;
}

/// IEEE 802.15.4 TAP header (DLT 283): version, reserved, header length
/// (little-endian, TLVs included), then TLVs of type, length, value padded
/// to 4 bytes.
mod tap {
    pub const LENGTH: usize = 2;
    pub const MIN_LEN: usize = 4;
    pub const TLV_HEADER_LEN: usize = 4;
    pub const TLV_FCS_TYPE: u16 = 0;
    pub const FCS_NONE: u8 = 0;
    pub const FCS_16: u8 = 1;
    pub const FCS_32: u8 = 2;
}

/// 6LoWPAN dispatch values and headers (RFC 4944, RFC 6282).
mod dispatch {
    pub const IPV6: u8 = 0x41;
    pub const IPHC_MASK: u8 = 0xe0;
    pub const IPHC: u8 = 0x60;
    pub const BC0: u8 = 0x50;
    pub const BC0_LEN: usize = 2;
    pub const MESH_MASK: u8 = 0xc0;
    pub const MESH: u8 = 0x80;
    pub const MESH_V: u8 = 0x20;
    pub const MESH_F: u8 = 0x10;
    pub const MESH_HOPS_MASK: u8 = 0x0f;
    pub const MESH_HOPS_EXTENDED: u8 = 0x0f;
    pub const FRAG_MASK: u8 = 0xf8;
    pub const FRAG1: u8 = 0xc0;
    pub const FRAG1_LEN: usize = 4;
    pub const FRAG_SIZE_MASK: u16 = 0x07ff;
}

/// IPHC header bits (RFC 6282 3.1.1) and NHC (4.2, 4.3).
mod iphc {
    pub const TF_SHIFT: u8 = 3;
    pub const NH: u8 = 0x04;
    pub const HLIM_MASK: u8 = 0x03;
    pub const CID: u8 = 0x80;
    pub const SAC: u8 = 0x40;
    pub const SAM_SHIFT: u8 = 4;
    pub const M: u8 = 0x08;
    pub const DAC: u8 = 0x04;
    pub const MODE_MASK: u8 = 0x03;
    pub const NHC_UDP_MASK: u8 = 0xf8;
    pub const NHC_UDP: u8 = 0xf0;
    pub const NHC_UDP_CHECKSUM_ELIDED: u8 = 0x04;
    pub const NHC_UDP_PORTS_MASK: u8 = 0x03;
    pub const NHC_EXT_MASK: u8 = 0xf0;
    pub const NHC_EXT: u8 = 0xe0;
    pub const NHC_EXT_NH: u8 = 0x01;
    /// Ports compressed to 8 or 4 bits are offsets from these.
    pub const PORT_8_BIT_BASE: u16 = 0xf000;
    pub const PORT_4_BIT_BASE: u16 = 0xf0b0;
    /// The uncompressed IPv6 and UDP headers a datagram size counts.
    pub const IPV6_HEADER_LEN: usize = 40;
    pub const UDP_HEADER_LEN: usize = 8;
}

/// NHC extension header ids (RFC 6282 4.2) the walk steps over.
mod eid {
    pub const HOP_BY_HOP: u8 = 0;
    pub const ROUTING: u8 = 1;
    pub const FRAGMENT: u8 = 2;
    pub const DESTINATION: u8 = 3;
}

const NON_IP: PacketInfo = PacketInfo::plain(Category::NonIp);
const LINK_TRUNCATED: PacketInfo =
    PacketInfo::problem(Category::NonIp, DecodeProblem::LinkHeaderTruncated);

/// A MAC (or mesh) address, from which IPHC derives interface ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LinkAddr {
    None,
    Short(u16),
    /// The EUI-64, most significant byte first.
    Extended([u8; 8]),
}

/// How the link layer checks its frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fcs {
    None,
    Crc16,
    Crc32,
}

impl Fcs {
    fn len(self) -> usize {
        match self {
            Fcs::None => 0,
            Fcs::Crc16 => 2,
            Fcs::Crc32 => 4,
        }
    }
}

/// LINKTYPE_IEEE802_15_4_WITHFCS (195): a MAC frame with a 2-byte FCS.
pub(super) fn decode_with_fcs(bytes: Bytes<'_>) -> PacketInfo {
    decode_frame(bytes, Fcs::Crc16)
}

/// LINKTYPE_IEEE802_15_4_NOFCS (230): a MAC frame without FCS (trailing
/// bytes are payload to tshark).
pub(super) fn decode_no_fcs(bytes: Bytes<'_>) -> PacketInfo {
    decode_frame(bytes, Fcs::None)
}

/// LINKTYPE_IEEE802_15_4_NONASK_PHY (215): preamble, SFD and PHY length,
/// then a MAC frame with FCS. Like tshark, the frame is as long as the PHY
/// length says (its 7 low bits), whatever was captured.
pub(super) fn decode_nonask_phy(bytes: Bytes<'_>) -> PacketInfo {
    let Some(phr) = bytes.u8_at(nonask::PHR) else {
        return LINK_TRUNCATED;
    };
    let len = usize::from(phr & nonask::LENGTH_MASK);
    let rest = bytes.captured.get(nonask::LEN..).unwrap_or(&[]);
    let mac = Bytes {
        captured: &rest[..rest.len().min(len)],
        reported: len,
        ..bytes
    };
    decode_frame(mac, Fcs::Crc16)
}

/// LINKTYPE_IEEE802_15_4_TAP (283): a TLV header, then a MAC frame whose FCS
/// the FCS-type TLV gives (none without one, as tshark assumes). Another
/// version, a header length outside the frame or an unknown FCS type stop
/// tshark (not IP).
pub(super) fn decode_tap(bytes: Bytes<'_>) -> PacketInfo {
    let (Some(version), Some(&[l0, l1])) = (
        bytes.u8_at(0),
        bytes.captured.get(tap::LENGTH..tap::LENGTH + 2),
    ) else {
        return LINK_TRUNCATED;
    };
    let len = usize::from(u16::from_le_bytes([l0, l1]));
    if version != 0 || len < tap::MIN_LEN || len > bytes.captured.len() {
        return NON_IP;
    }
    let mut fcs = Fcs::None;
    let mut at = tap::MIN_LEN;
    while let Some(&[t0, t1, v0, v1]) = bytes.captured.get(at..at + tap::TLV_HEADER_LEN) {
        if at + tap::TLV_HEADER_LEN > len {
            break;
        }
        let value_len = usize::from(u16::from_le_bytes([v0, v1]));
        let value_at = at + tap::TLV_HEADER_LEN;
        if u16::from_le_bytes([t0, t1]) == tap::TLV_FCS_TYPE && value_len >= 1 {
            fcs = match bytes.u8_at(value_at) {
                Some(tap::FCS_NONE) => Fcs::None,
                Some(tap::FCS_16) => Fcs::Crc16,
                Some(tap::FCS_32) => Fcs::Crc32,
                _ => return NON_IP,
            };
        }
        at = value_at + value_len.div_ceil(4) * 4;
    }
    decode_frame(bytes.skip(len), fcs)
}

/// A MAC frame with `fcs` trailing bytes: checked, when captured whole, as
/// tshark does before it dissects the payload.
fn decode_frame(bytes: Bytes<'_>, fcs: Fcs) -> PacketInfo {
    let Some(body_len) = bytes.reported.checked_sub(fcs.len()) else {
        return LINK_TRUNCATED;
    };
    if fcs != Fcs::None
        && let Some(body) = bytes.captured.get(..body_len)
        && let Some(trailer) = bytes.captured.get(body_len..bytes.reported)
    {
        let ok = match (fcs, trailer) {
            (Fcs::Crc16, &[a, b]) => crc16(body) == u16::from_le_bytes([a, b]),
            (Fcs::Crc32, &[a, b, c, d]) => crc32(body) == u32::from_le_bytes([a, b, c, d]),
            _ => false,
        };
        if !ok {
            return NON_IP;
        }
    }
    decode_mac(bytes.limit(body_len))
}

/// The MAC header: only data frames without security lead to 6LoWPAN.
fn decode_mac(bytes: Bytes<'_>) -> PacketInfo {
    let Some(&[f0, f1]) = bytes.captured.get(..mac::FCF_LEN) else {
        return LINK_TRUNCATED;
    };
    let fcf = u16::from_le_bytes([f0, f1]);
    let dst_mode = (fcf >> mac::DST_MODE_SHIFT) & 3;
    let src_mode = (fcf >> mac::SRC_MODE_SHIFT) & 3;
    let version = (fcf >> mac::VERSION_SHIFT) & 3;
    if fcf & mac::TYPE_MASK != mac::TYPE_DATA
        || fcf & mac::SECURITY != 0
        || version == mac::VERSION_RESERVED
        || dst_mode == mac::MODE_RESERVED
        || src_mode == mac::MODE_RESERVED
    {
        return NON_IP;
    }
    let compression = fcf & mac::PAN_ID_COMPRESSION != 0;
    let Some((dst_pan, src_pan)) = pans_present(version, dst_mode, src_mode, compression) else {
        return NON_IP;
    };
    let mut at = mac::FCF_LEN;
    // Sequence number suppression is honoured whatever the version.
    if fcf & mac::SEQ_SUPPRESSION == 0 {
        at += mac::SEQ_LEN;
    }
    at += usize::from(dst_pan) * mac::PAN_LEN;
    let Some(dst) = link_addr(bytes.captured, &mut at, dst_mode) else {
        return LINK_TRUNCATED;
    };
    at += usize::from(src_pan) * mac::PAN_LEN;
    let Some(src) = link_addr(bytes.captured, &mut at, src_mode) else {
        return LINK_TRUNCATED;
    };
    if version == mac::VERSION_2015 && fcf & mac::IE_PRESENT != 0 {
        match skip_ies(bytes, at) {
            Some(end) => at = end,
            None => return NON_IP,
        }
    }
    let payload = bytes.skip(at);
    if payload.reported == 0 {
        return NON_IP;
    }
    decode_lowpan(payload, Addrs { src, dst })
}

/// Which PAN ids the header carries (destination, source), or `None` for
/// a combination tshark rejects. Before 2015 a compressed PAN id needs both
/// addresses; 2015 frames follow table 7-2 of IEEE 802.15.4-2015.
fn pans_present(version: u16, dst: u16, src: u16, compression: bool) -> Option<(bool, bool)> {
    let none = mac::MODE_NONE;
    if version != mac::VERSION_2015 {
        if compression && (dst == none || src == none) {
            return None;
        }
        return Some((dst != none, src != none && !compression));
    }
    Some(match (dst == none, src == none) {
        (true, true) => (compression, false),
        (false, true) => (!compression, false),
        (true, false) => (false, !compression),
        // Both extended: one PAN id at most.
        _ if dst == 3 && src == 3 => (!compression, false),
        _ => (true, !compression),
    })
}

/// Reads an address of `mode` at `*at` (little-endian on the air), moving
/// `*at` past it; `None` when cut short.
fn link_addr(frame: &[u8], at: &mut usize, mode: u16) -> Option<LinkAddr> {
    let addr = match mode {
        mac::MODE_NONE => return Some(LinkAddr::None),
        mac::MODE_SHORT => {
            let &[a, b] = frame.get(*at..*at + mac::SHORT_LEN)? else {
                return None;
            };
            *at += mac::SHORT_LEN;
            LinkAddr::Short(u16::from_le_bytes([a, b]))
        }
        _ => {
            let mut eui = [0; mac::EXT_LEN];
            eui.copy_from_slice(frame.get(*at..*at + mac::EXT_LEN)?);
            eui.reverse();
            *at += mac::EXT_LEN;
            LinkAddr::Extended(eui)
        }
    };
    Some(addr)
}

/// Skips 2015 header IEs up to HT1 (then payload IEs up to the payload
/// termination IE) or HT2: where the payload starts, or `None` when the IEs
/// run past the frame without a termination (tshark then dissects no
/// payload). Each step moves on by at least 2 bytes.
fn skip_ies(bytes: Bytes<'_>, mut at: usize) -> Option<usize> {
    let descriptor = |at: usize| match bytes.captured.get(at..at + ie::DESCRIPTOR_LEN) {
        Some(&[a, b]) if at + ie::DESCRIPTOR_LEN <= bytes.reported => {
            Some(u16::from_le_bytes([a, b]))
        }
        _ => None,
    };
    let payload_ies = loop {
        let d = descriptor(at)?;
        at += ie::DESCRIPTOR_LEN + usize::from(d & ie::HEADER_LEN_MASK);
        match (d >> ie::HEADER_ID_SHIFT) & ie::HEADER_ID_MASK {
            ie::HT1 => break true,
            ie::HT2 => break false,
            _ => {}
        }
    };
    if payload_ies {
        loop {
            let d = descriptor(at)?;
            at += ie::DESCRIPTOR_LEN + usize::from(d & ie::PAYLOAD_LEN_MASK);
            if (d >> ie::PAYLOAD_GROUP_SHIFT) & ie::PAYLOAD_GROUP_MASK == ie::PAYLOAD_TERMINATION {
                break;
            }
        }
    }
    (at <= bytes.reported).then_some(at)
}

/// The link addresses IPHC derives interface ids from (the MAC header's,
/// or a mesh header's originator and final destination).
#[derive(Clone, Copy, Debug)]
struct Addrs {
    src: LinkAddr,
    dst: LinkAddr,
}

/// 6LoWPAN: mesh, broadcast and first-fragment headers, then an IPv6 or
/// IPHC dispatch (tshark's heuristic accepts nothing else).
fn decode_lowpan(mut bytes: Bytes<'_>, mut addrs: Addrs) -> PacketInfo {
    // The datagram size of a first fragment.
    let mut datagram: Option<usize> = None;
    loop {
        let Some(first) = bytes.u8_at(0) else {
            return if bytes.reported == 0 {
                NON_IP
            } else {
                LINK_TRUNCATED
            };
        };
        if first == dispatch::IPV6 {
            let ip = bytes.skip(1);
            if datagram.is_some_and(|size| size != ip.reported) {
                return NON_IP;
            }
            return decode_ipv6_checked(ip);
        }
        if first & dispatch::IPHC_MASK == dispatch::IPHC {
            return decode_iphc(bytes, addrs, datagram);
        }
        if first == dispatch::BC0 {
            bytes = bytes.skip(dispatch::BC0_LEN);
        } else if first & dispatch::MESH_MASK == dispatch::MESH {
            let mut at = 1;
            let originator = mesh_addr(bytes.captured, &mut at, first & dispatch::MESH_V != 0);
            let last = mesh_addr(bytes.captured, &mut at, first & dispatch::MESH_F != 0);
            let (Some(originator), Some(last)) = (originator, last) else {
                return LINK_TRUNCATED;
            };
            addrs = Addrs {
                src: originator,
                dst: last,
            };
            if first & dispatch::MESH_HOPS_MASK == dispatch::MESH_HOPS_EXTENDED {
                at += 1;
            }
            bytes = bytes.skip(at);
        } else if first & dispatch::FRAG_MASK == dispatch::FRAG1 && datagram.is_none() {
            let Some(&[s0, s1, _, _]) = bytes.captured.get(..dispatch::FRAG1_LEN) else {
                return LINK_TRUNCATED;
            };
            datagram = Some(usize::from(
                u16::from_be_bytes([s0, s1]) & dispatch::FRAG_SIZE_MASK,
            ));
            bytes = bytes.skip(dispatch::FRAG1_LEN);
        } else {
            // Non-first fragments (whose reassembly tshark may complete),
            // HC1, no-6LoWPAN and anything unknown.
            return NON_IP;
        }
    }
}

/// A mesh header address: short (2 bytes) or EUI-64, big-endian.
fn mesh_addr(header: &[u8], at: &mut usize, short: bool) -> Option<LinkAddr> {
    if short {
        let &[a, b] = header.get(*at..*at + mac::SHORT_LEN)? else {
            return None;
        };
        *at += mac::SHORT_LEN;
        Some(LinkAddr::Short(u16::from_be_bytes([a, b])))
    } else {
        let mut eui = [0; mac::EXT_LEN];
        eui.copy_from_slice(header.get(*at..*at + mac::EXT_LEN)?);
        *at += mac::EXT_LEN;
        Some(LinkAddr::Extended(eui))
    }
}

/// Bytes of inline source address per SAM (stateless, then stateful).
const SAM_LEN: [[usize; 4]; 2] = [[16, 8, 2, 0], [0, 8, 2, 0]];
/// Bytes of inline destination address per DAM: unicast stateless and
/// stateful, multicast stateless and stateful (`None`: reserved).
const DAM_LEN: [[Option<usize>; 4]; 4] = [
    [Some(16), Some(8), Some(2), Some(0)],
    [None, Some(8), Some(2), Some(0)],
    [Some(16), Some(6), Some(4), Some(1)],
    [Some(6), None, None, None],
];
/// Bytes of inline traffic class and flow label per TF.
const TF_LEN: [usize; 4] = [4, 3, 1, 0];

/// An IPHC header (RFC 6282 3.1) and what follows it. `datagram`: the size
/// a first fragment announced, which the decompressed datagram must have.
fn decode_iphc(bytes: Bytes<'_>, addrs: Addrs, datagram: Option<usize>) -> PacketInfo {
    let Some(&[b0, b1]) = bytes.captured.get(..2) else {
        return LINK_TRUNCATED;
    };
    let sam = usize::from((b1 >> iphc::SAM_SHIFT) & iphc::MODE_MASK);
    let dam = usize::from(b1 & iphc::MODE_MASK);
    let sac = b1 & iphc::SAC != 0;
    let dac = b1 & iphc::DAC != 0;
    let multicast = b1 & iphc::M != 0;
    let Some(dst_len) = DAM_LEN[usize::from(multicast) * 2 + usize::from(dac)][dam] else {
        return NON_IP;
    };
    let mut at = 2 + usize::from(b1 & iphc::CID != 0);
    at += TF_LEN[usize::from((b0 >> iphc::TF_SHIFT) & 3)];
    let next_at = at;
    if b0 & iphc::NH == 0 {
        at += 1;
    }
    if b0 & iphc::HLIM_MASK == 0 {
        at += 1;
    }
    let src_at = at;
    at += SAM_LEN[usize::from(sac)][sam];
    let dst_at = at;
    at += dst_len;
    let Some(header) = bytes.captured.get(..at) else {
        return LINK_TRUNCATED;
    };
    let addresses = iphc_address(header, src_at, sac, false, sam, addrs.src)
        .zip(iphc_address(header, dst_at, dac, multicast, dam, addrs.dst))
        .map(|(s, d)| (IpAddr::V6(s), IpAddr::V6(d)));
    let rest = bytes.skip(at);
    let mut info = if b0 & iphc::NH == 0 {
        let next = IpNumber(header[next_at]);
        if datagram.is_some_and(|size| size != iphc::IPV6_HEADER_LEN + rest.reported) {
            return NON_IP;
        }
        walk(next, rest)
    } else {
        match decode_nhc(rest, datagram) {
            Ok(info) => info,
            Err(info) => return info,
        }
    };
    // A summary from inside a tunnel is complete, its addresses the inner
    // packet's (or none), as the IPv6 decoder leaves it.
    if info.tunnel.is_none() {
        info.addresses = addresses;
    }
    info
}

/// `walk_headers` from an uncompressed next header, with tunnels as the
/// IPv6 decoder enters them.
fn walk(next: IpNumber, payload: Bytes<'_>) -> PacketInfo {
    if payload.tunnels_left == 0 {
        walk_headers::<false>(next, payload, IpVersion::V6).0
    } else {
        walk_headers::<true>(next, payload, IpVersion::V6).0
    }
}

/// NHC headers after IPHC: compressed IPv6 extension headers (skipped, as
/// the category is the header after them) and UDP. `Err` holds a summary
/// without addresses: tshark shows no IPv6 (a header cut short, a first
/// fragment of a bigger datagram).
fn decode_nhc(mut bytes: Bytes<'_>, datagram: Option<usize>) -> Result<PacketInfo, PacketInfo> {
    // The decompressed size of the extension headers skipped.
    let mut extension_len = 0;
    let fits = |extension_len: usize, rest: usize| {
        datagram.is_none_or(|size| size == iphc::IPV6_HEADER_LEN + extension_len + rest)
    };
    loop {
        let Some(nhc) = bytes.u8_at(0) else {
            return Err(LINK_TRUNCATED);
        };
        if nhc & iphc::NHC_UDP_MASK == iphc::NHC_UDP {
            let ports_len = match nhc & iphc::NHC_UDP_PORTS_MASK {
                0 => 4,
                3 => 1,
                _ => 3,
            };
            let checksum_len = if nhc & iphc::NHC_UDP_CHECKSUM_ELIDED == 0 {
                2
            } else {
                0
            };
            let Some(p) = bytes.captured.get(1..1 + ports_len) else {
                return Err(LINK_TRUNCATED);
            };
            let len = 1 + ports_len + checksum_len;
            if bytes.captured.len() < len {
                return Err(LINK_TRUNCATED);
            }
            let rest = bytes.reported - len + iphc::UDP_HEADER_LEN;
            if !fits(extension_len, rest) {
                return Err(NON_IP);
            }
            let (src, dst) = match *p {
                [s0, s1, d0, d1] => (u16::from_be_bytes([s0, s1]), u16::from_be_bytes([d0, d1])),
                [s0, s1, d] if nhc & 1 == 1 => (
                    u16::from_be_bytes([s0, s1]),
                    iphc::PORT_8_BIT_BASE | u16::from(d),
                ),
                [s, d0, d1] => (
                    iphc::PORT_8_BIT_BASE | u16::from(s),
                    u16::from_be_bytes([d0, d1]),
                ),
                [sd] => (
                    iphc::PORT_4_BIT_BASE | u16::from(sd >> 4),
                    iphc::PORT_4_BIT_BASE | u16::from(sd & 0x0f),
                ),
                _ => return Err(LINK_TRUNCATED),
            };
            return Ok(PacketInfo::ports(Transport::Udp, src, dst));
        }
        if nhc & iphc::NHC_EXT_MASK != iphc::NHC_EXT {
            // An NHC tshark does not know: IPv6 with no next header.
            return Ok(PacketInfo::plain(Category::OtherIp));
        }
        let inline_next = nhc & iphc::NHC_EXT_NH == 0;
        let len_at = 1 + usize::from(inline_next);
        let Some(len) = bytes.u8_at(len_at).map(usize::from) else {
            return Err(LINK_TRUNCATED);
        };
        let end = len_at + 1 + len;
        if bytes.captured.len() < end {
            return Err(LINK_TRUNCATED);
        }
        match (nhc >> 1) & 0x07 {
            eid::HOP_BY_HOP | eid::ROUTING | eid::FRAGMENT | eid::DESTINATION => {}
            // Mobility, IPv6 and reserved ids: IPv6 followed by something
            // that is not a transport.
            _ => return Ok(PacketInfo::plain(Category::OtherIp)),
        }
        // Decompressed, the header gets its 2-byte prefix and padding to 8.
        extension_len += (2 + len).div_ceil(8) * 8;
        let rest = bytes.skip(end);
        if inline_next {
            if !fits(extension_len, rest.reported) {
                return Err(NON_IP);
            }
            return Ok(walk(IpNumber(bytes.captured[1]), rest));
        }
        bytes = rest;
    }
}

/// An IPv6 address IPHC carries inline or derives without context: `None`
/// for addresses from a context (stateful) or from a missing link address.
fn iphc_address(
    header: &[u8],
    at: usize,
    stateful: bool,
    multicast: bool,
    mode: usize,
    link: LinkAddr,
) -> Option<Ipv6Addr> {
    let inline = header.get(at..)?;
    let mut a = [0u8; 16];
    match (multicast, stateful, mode) {
        (false, false, 0) | (true, false, 0) => a.copy_from_slice(inline.get(..16)?),
        // The unspecified address.
        (false, true, 0) => {}
        (false, false, _) => {
            a[..2].copy_from_slice(&[0xfe, 0x80]);
            match mode {
                1 => a[8..].copy_from_slice(inline.get(..8)?),
                2 => short_iid(
                    &mut a,
                    u16::from_be_bytes([*inline.first()?, *inline.get(1)?]),
                ),
                _ => match link {
                    LinkAddr::Short(short) => short_iid(&mut a, short),
                    LinkAddr::Extended(eui) => {
                        a[8..].copy_from_slice(&eui);
                        // The universal/local bit, inverted (RFC 4291).
                        a[8] ^= 0x02;
                    }
                    LinkAddr::None => return None,
                },
            }
        }
        (true, false, 1) => {
            a[0] = 0xff;
            a[1] = *inline.first()?;
            a[11..].copy_from_slice(inline.get(1..6)?);
        }
        (true, false, 2) => {
            a[0] = 0xff;
            a[1] = *inline.first()?;
            a[13..].copy_from_slice(inline.get(1..4)?);
        }
        (true, false, _) => {
            a[..2].copy_from_slice(&[0xff, 0x02]);
            a[15] = *inline.first()?;
        }
        _ => return None,
    }
    Some(Ipv6Addr::from(a))
}

/// The interface id of a short address: `0000:00ff:fe00:XXXX` (RFC 6282;
/// tshark's default, without the PAN id).
fn short_iid(a: &mut [u8; 16], short: u16) {
    a[8..14].copy_from_slice(&[0, 0, 0, 0xff, 0xfe, 0]);
    a[14..].copy_from_slice(&short.to_be_bytes());
}

/// The 802.15.4 FCS: CRC-16/ITU-T, reflected, initial value 0 (KERMIT).
fn crc16(data: &[u8]) -> u16 {
    data.iter().fold(0u16, |crc, &byte| {
        let index = usize::from((crc ^ u16::from(byte)) as u8);
        // The table's values fit 16 bits (a 16-bit polynomial).
        (crc >> 8) ^ CRC16_TABLE[index] as u16
    })
}

/// The 32-bit FCS: the CRC-32 of Ethernet and zlib.
fn crc32(data: &[u8]) -> u32 {
    !data.iter().fold(!0u32, |crc, &byte| {
        let index = usize::from((crc ^ u32::from(byte)) as u8);
        (crc >> 8) ^ CRC32_TABLE[index]
    })
}

/// The byte-wise lookup table of a reflected CRC with polynomial `poly`
/// (reversed bit order), for the 16- and 32-bit CRCs alike.
const fn reflected_crc_table(poly: u32) -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ poly
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

/// CRC-16/KERMIT (802.15.4's FCS): its values fit 16 bits.
const CRC16_TABLE: [u32; 256] = reflected_crc_table(0x8408);

/// CRC-32 (IEEE 802.3), for TAP headers that announce it.
const CRC32_TABLE: [u32; 256] = reflected_crc_table(0xedb8_8320);

/// The FCS functions, for tests.
#[cfg(test)]
pub(super) fn fcs(data: &[u8]) -> (u16, u32) {
    (crc16(data), crc32(data))
}
