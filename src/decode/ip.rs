//! IPv4 and IPv6 down to the transport ports, following tshark's dissectors
//! (tshark 4.0 behaviour, probed frame by frame; see the README's counting
//! rules):
//!
//! * IPv4: no header length below 20 or total length below it (`other_ip`);
//!   a total length of 0 means "segmentation offload": the frame's length is
//!   used. A non-first fragment is `fragment`. An empty payload calls no
//!   transport dissector (`other_ip`).
//! * IPv6: the header after the fixed header is always looked at, even when
//!   the payload length is 0. Hop-by-hop and destination options stop when
//!   nothing follows them; routing, fragment and AH headers do not. A
//!   non-first fragment with data after it is `fragment`. A payload length
//!   of 0 with a valid Jumbo Payload option (a jumbogram, RFC 2675) takes
//!   the option's length, as tshark and tcpdump do.
//! * TCP/UDP/SCTP need 4 captured bytes within the IP payload for both ports,
//!   else the frame is `truncated`.
//!
//! Beyond the category: the TCP flags byte when captured within the IP
//! payload, and the fragmentation of the classifying header
//! ([`FragmentInfo`]): IPv4 when more-fragments is set or the offset is not
//! 0 (and the identification and protocol were captured); IPv6 from the
//! first fragment header walked. With decap on (`Bytes::tunnels_left`),
//! the protocol after the IP headers, or a UDP port, may lead into a tunnel
//! (`super::tunnel`); a tunnel entered gives the inner summary instead.

use super::{Bytes, Category, DecodeProblem, FragmentInfo, PacketInfo, Transport, tunnel};
use etherparse::{IpNumber, Ipv6RawExtHeaderSlice};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IPv4 header fields (RFC 791).
mod ipv4 {
    pub const VERSION_IHL: usize = 0;
    pub const TOTAL_LEN: usize = 2;
    pub const IDENTIFICATION: usize = 4;
    pub const FLAGS_FRAGMENT: usize = 6;
    pub const PROTOCOL: usize = 9;
    pub const SOURCE: usize = 12;
    pub const DESTINATION: usize = 16;
    pub const MIN_HEADER_LEN: usize = 20;
    pub const FRAGMENT_OFFSET_MASK: u16 = 0x1fff;
    pub const MORE_FRAGMENTS: u16 = 0x2000;
}

/// IPv6 fixed header fields (RFC 8200).
mod ipv6 {
    pub const PAYLOAD_LEN: usize = 4;
    pub const NEXT_HEADER: usize = 6;
    pub const SOURCE: usize = 8;
    pub const DESTINATION: usize = 24;
    pub const HEADER_LEN: usize = 40;
}

/// IPv6 fragment header: next header, reserved, offset and flags, id.
mod fragment {
    pub const OFFSET_FLAGS: usize = 2;
    pub const IDENTIFICATION: usize = 4;
    pub const LEN: usize = 8;
    pub const MORE_FRAGMENTS: u16 = 0x0001;
}

/// TCP header: the flags byte (CWR ... FIN).
mod tcp {
    pub const FLAGS: usize = 13;
}

/// IP authentication header: next header, payload length in 4-byte words
/// minus 2, ...
mod auth {
    pub const PAYLOAD_LEN: usize = 1;
}

/// Both ports are the first four bytes of TCP, UDP and SCTP.
const PORTS_LEN: usize = 4;

/// A TCP/UDP/SCTP header too short for both ports. (A function, not a
/// constant: built field by field like the other summaries, the compiler
/// merges them better; measured.)
#[inline(always)]
fn ports_truncated() -> PacketInfo {
    PacketInfo::problem(Category::Truncated, DecodeProblem::PortsTruncated)
}

/// Source and destination port at the start of a transport header.
#[inline]
fn ports(transport: Bytes<'_>) -> Option<(u16, u16)> {
    let &[s0, s1, d0, d1] = transport.captured.first_chunk::<PORTS_LEN>()?;
    Some((u16::from_be_bytes([s0, s1]), u16::from_be_bytes([d0, d1])))
}

/// Decodes bytes that a link layer announced as IPv4 (tshark's `ip`).
pub(super) fn decode_ipv4(bytes: Bytes<'_>) -> PacketInfo {
    let captured = bytes.captured;
    let Some(&version_ihl) = captured.get(ipv4::VERSION_IHL) else {
        return PacketInfo::problem(Category::OtherIp, DecodeProblem::IpHeaderTruncated);
    };
    match version_ihl >> 4 {
        4 => {}
        // tshark's IPv4 dissector hands version 6 to IPv6: that makes the
        // frame IP followed by IPv6, i.e. other_ip (or a fragment). No
        // tunnel is entered from there: its summary would be dropped.
        6 => {
            let (info, saw_fragment) = decode_ipv6(Bytes {
                tunnels_left: 0,
                ..bytes
            });
            let category = if saw_fragment {
                Category::Fragment
            } else {
                Category::OtherIp
            };
            return PacketInfo {
                category,
                src_port: 0,
                dst_port: 0,
                problem: info.problem,
                ..PacketInfo::plain(category)
            };
        }
        _ => return PacketInfo::problem(Category::OtherIp, DecodeProblem::IpHeaderInvalid),
    }
    let header_len = usize::from(version_ihl & 0x0f) * 4;
    if header_len < ipv4::MIN_HEADER_LEN {
        return PacketInfo::problem(Category::OtherIp, DecodeProblem::IpHeaderInvalid);
    }
    let Some(total_len) = bytes.u16_at(ipv4::TOTAL_LEN) else {
        return PacketInfo::problem(Category::OtherIp, DecodeProblem::IpHeaderTruncated);
    };
    let total_len = match usize::from(total_len) {
        0 => bytes.reported,
        n if n < header_len => {
            return PacketInfo::problem(Category::OtherIp, DecodeProblem::IpHeaderInvalid);
        }
        n => n,
    };
    let Some(flags_fragment) = bytes.u16_at(ipv4::FLAGS_FRAGMENT) else {
        return PacketInfo::problem(Category::OtherIp, DecodeProblem::IpHeaderTruncated);
    };
    let non_first_fragment = flags_fragment & ipv4::FRAGMENT_OFFSET_MASK != 0;
    let is_fragment = flags_fragment & (ipv4::FRAGMENT_OFFSET_MASK | ipv4::MORE_FRAGMENTS) != 0;
    if captured.len() < header_len || non_first_fragment {
        return ipv4_without_payload(captured, header_len, flags_fragment);
    }
    let payload = bytes.limit(total_len).skip(header_len);
    if payload.reported == 0 {
        return PacketInfo {
            addresses: Some(ipv4_addresses(captured)),
            fragment: ipv4_fragment(captured, flags_fragment),
            ..PacketInfo::plain(Category::OtherIp)
        };
    }
    let protocol = IpNumber(captured[ipv4::PROTOCOL]);
    let mut info = if payload.tunnels_left == 0 {
        walk_headers::<false>(protocol, payload, IpVersion::V4).0
    } else {
        let (info, _) = walk_headers::<true>(protocol, payload, IpVersion::V4);
        // A summary from inside a tunnel is already complete.
        if info.tunnel.is_some() {
            return info;
        }
        info
    };
    info.addresses = Some(ipv4_addresses(captured));
    // The IPv4 header's fragmentation wins over an IPv6 fragment header
    // walked after it.
    if is_fragment {
        info.fragment = ipv4_fragment(captured, flags_fragment);
    }
    info
}

/// An IPv4 header cut short or a non-first fragment: no payload to look at.
#[cold]
fn ipv4_without_payload(captured: &[u8], header_len: usize, flags_fragment: u16) -> PacketInfo {
    let category = if flags_fragment & ipv4::FRAGMENT_OFFSET_MASK != 0 {
        Category::Fragment
    } else {
        Category::OtherIp
    };
    let problem = (captured.len() < header_len).then_some(DecodeProblem::IpHeaderTruncated);
    PacketInfo {
        problem,
        // The addresses, when the fixed part of the header was captured
        // (even if options were cut).
        addresses: (captured.len() >= ipv4::MIN_HEADER_LEN).then(|| ipv4_addresses(captured)),
        fragment: ipv4_fragment(captured, flags_fragment),
        ..PacketInfo::plain(category)
    }
}

/// The fragmentation of an IPv4 header, when it is a fragment
/// (more-fragments or an offset) and its identification and protocol were
/// captured.
fn ipv4_fragment(header: &[u8], flags_fragment: u16) -> Option<FragmentInfo> {
    let offset = flags_fragment & ipv4::FRAGMENT_OFFSET_MASK;
    let more = flags_fragment & ipv4::MORE_FRAGMENTS != 0;
    if offset == 0 && !more {
        return None;
    }
    let &[id0, id1] = header.get(ipv4::IDENTIFICATION..ipv4::IDENTIFICATION + 2)? else {
        return None;
    };
    Some(FragmentInfo {
        id: u32::from(u16::from_be_bytes([id0, id1])),
        protocol: *header.get(ipv4::PROTOCOL)?,
        first: offset == 0,
        more,
    })
}

/// The IP version of the header a payload follows (tunnels inside IPv4 and
/// IPv6 differ: protocol 41 is 6in4 in IPv4, IP-in-IP in IPv6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum IpVersion {
    V4,
    V6,
}

/// The addresses of a whole IPv4 header.
#[inline]
pub(super) fn ipv4_addresses(header: &[u8]) -> (IpAddr, IpAddr) {
    let at = |i: usize| {
        let mut a = [0; 4];
        a.copy_from_slice(&header[i..i + 4]);
        IpAddr::V4(Ipv4Addr::from(a))
    };
    (at(ipv4::SOURCE), at(ipv4::DESTINATION))
}

/// The addresses of a whole IPv6 fixed header.
#[inline]
pub(super) fn ipv6_addresses(header: &[u8]) -> (IpAddr, IpAddr) {
    let at = |i: usize| {
        let mut a = [0; 16];
        a.copy_from_slice(&header[i..i + 16]);
        IpAddr::V6(Ipv6Addr::from(a))
    };
    (at(ipv6::SOURCE), at(ipv6::DESTINATION))
}

/// Decodes bytes that a link layer announced as IPv6 (tshark's `ipv6`):
/// a wrong version nibble means tshark rejects the bytes as IPv6 (non_ip).
// Not inlined: inlined into `link::decode_ethertype` it slowed that
// function's VLAN loop for IPv4 frames too (measured: about 19 instructions
// per double-tagged frame).
#[inline(never)]
pub(super) fn decode_ipv6_checked(bytes: Bytes<'_>) -> PacketInfo {
    match bytes.u8_at(0) {
        None => PacketInfo::problem(Category::OtherIp, DecodeProblem::IpHeaderTruncated),
        Some(b) if b >> 4 != 6 => PacketInfo::plain(Category::NonIp),
        Some(_) => decode_ipv6(bytes).0,
    }
}

/// IPv6 from the fixed header on; also says whether a non-first fragment
/// header was seen.
fn decode_ipv6(bytes: Bytes<'_>) -> (PacketInfo, bool) {
    if bytes.captured.len() < ipv6::HEADER_LEN {
        return (
            PacketInfo::problem(Category::OtherIp, DecodeProblem::IpHeaderTruncated),
            false,
        );
    }
    let mut payload_len = bytes.u16_at(ipv6::PAYLOAD_LEN).map_or(0, usize::from);
    let next = IpNumber(bytes.captured[ipv6::NEXT_HEADER]);
    if payload_len == 0 && next == IpNumber::IPV6_HEADER_HOP_BY_HOP {
        payload_len = jumbo_payload_len(&bytes.captured[ipv6::HEADER_LEN..]).unwrap_or(0);
    }
    let payload = bytes.skip(ipv6::HEADER_LEN).limit(payload_len);
    let (mut info, saw_fragment) = if payload.tunnels_left == 0 {
        walk_headers::<false>(next, payload, IpVersion::V6)
    } else {
        let walked = walk_headers::<true>(next, payload, IpVersion::V6);
        // A summary from inside a tunnel is already complete.
        if walked.0.tunnel.is_some() {
            return walked;
        }
        walked
    };
    info.addresses = Some(ipv6_addresses(bytes.captured));
    (info, saw_fragment)
}

/// The IPv6 Jumbo Payload option (RFC 2675), which Linux BIG TCP sends
/// and puts into local captures: a hop-by-hop header right after the fixed
/// header, the fixed header's payload length 0.
mod jumbo {
    pub const HEADER_LEN_UNITS: usize = 1;
    pub const OPTIONS: usize = 2;
    pub const PAD1: u8 = 0;
    pub const OPTION_TYPE: u8 = 0xc2;
    pub const OPTION_DATA_LEN: usize = 4;
    /// A jumbo payload length below this is invalid: such a packet would
    /// not need the option.
    pub const MIN_PAYLOAD_LEN: u32 = 65_536;
}

/// The payload length a jumbogram's hop-by-hop header (`hbh`, as captured)
/// announces, or `None` when it holds no valid Jumbo Payload option. As
/// tshark and tcpdump do, a length below 65,536 is invalid (both then stop
/// at the hop-by-hop header). Cold: only frames with a payload length of 0
/// and a hop-by-hop header get here.
#[cold]
fn jumbo_payload_len(hbh: &[u8]) -> Option<usize> {
    let header_len = (usize::from(*hbh.get(jumbo::HEADER_LEN_UNITS)?) + 1) * 8;
    let options = hbh.get(jumbo::OPTIONS..header_len.min(hbh.len()))?;
    let mut at = 0;
    while let Some(&kind) = options.get(at) {
        if kind == jumbo::PAD1 {
            at += 1;
            continue;
        }
        let data_len = usize::from(*options.get(at + 1)?);
        if kind == jumbo::OPTION_TYPE && data_len == jumbo::OPTION_DATA_LEN {
            let &[a, b, c, d] = options.get(at + 2..at + 2 + jumbo::OPTION_DATA_LEN)? else {
                return None;
            };
            let len = u32::from_be_bytes([a, b, c, d]);
            return (len >= jumbo::MIN_PAYLOAD_LEN).then_some(len as usize);
        }
        at += 2 + data_len;
    }
    None
}

/// Follows IPv6 extension headers and AH to the transport header. Iterative,
/// so a long chain of headers cannot exhaust the stack. Returns the frame's
/// summary (with the first fragment header's [`FragmentInfo`], without
/// addresses) and whether a non-first fragment header was seen; or, when a
/// tunnel was entered (`after` says which IP the headers follow), the inner
/// packet's summary. Tunnels are looked for only with `DECAP` (the callers
/// pass `payload.tunnels_left > 0`), so that decoding without decap pays
/// nothing for them.
pub(super) fn walk_headers<const DECAP: bool>(
    mut next: IpNumber,
    mut payload: Bytes<'_>,
    after: IpVersion,
) -> (PacketInfo, bool) {
    let mut non_first_fragment = false;
    // The first fragment header's bytes: a reference, so that the common
    // case carries and stores as little as possible.
    let mut first_fragment_header: Option<&[u8; fragment::LEN]> = None;
    let mut info = loop {
        // Each transport in its own arm: its category is then a constant.
        match next {
            IpNumber::TCP => {
                break match ports(payload) {
                    Some((src, dst)) => PacketInfo {
                        tcp_flags: payload.u8_at(tcp::FLAGS),
                        ..PacketInfo::ports(Transport::Tcp, src, dst)
                    },
                    None => ports_truncated(),
                };
            }
            IpNumber::UDP => {
                let Some((src, dst)) = ports(payload) else {
                    break ports_truncated();
                };
                if DECAP
                    && !non_first_fragment
                    && tunnel::udp_may_tunnel(src, dst)
                    && let Some(inner) = tunnel::decap_udp(src, dst, payload)
                {
                    return (inner, false);
                }
                break PacketInfo::ports(Transport::Udp, src, dst);
            }
            IpNumber::SCTP => {
                break match ports(payload) {
                    Some((src, dst)) => PacketInfo::ports(Transport::Sctp, src, dst),
                    None => ports_truncated(),
                };
            }
            IpNumber::ICMP => {
                break PacketInfo {
                    unreachable: icmp_unreachable(payload, IpVersion::V4),
                    ..PacketInfo::plain(Category::Icmp)
                };
            }
            IpNumber::IPV6_ICMP => {
                break PacketInfo {
                    unreachable: icmp_unreachable(payload, IpVersion::V6),
                    ..PacketInfo::plain(Category::Icmpv6)
                };
            }
            IpNumber::IPV6_HEADER_HOP_BY_HOP
            | IpNumber::IPV6_DESTINATION_OPTIONS
            | IpNumber::IPV6_ROUTE_HEADER => match option_header(next, payload) {
                Ok(step) => (next, payload) = step,
                Err(problem) => break stopped(non_first_fragment, problem),
            },
            IpNumber::IPV6_FRAGMENTATION_HEADER => {
                let (header, offset) = match fragment_header(payload) {
                    Ok(found) => found,
                    Err(problem) => break stopped(non_first_fragment, problem),
                };
                next = IpNumber(header[0]);
                // The first fragment header is the datagram's; any later
                // one is inside its fragmentable part.
                first_fragment_header.get_or_insert(header);
                payload = payload.skip(fragment::LEN);
                if offset != 0 {
                    non_first_fragment = true;
                    // With data after it, a non-first fragment is just data;
                    // with none, tshark still calls the next dissector.
                    if payload.reported > 0 {
                        break stopped(true, None);
                    }
                }
            }
            IpNumber::AUTHENTICATION_HEADER => match auth_header(payload) {
                Ok(step) => (next, payload) = step,
                Err(problem) => break stopped(non_first_fragment, problem),
            },
            _ => {
                if DECAP
                    && !non_first_fragment
                    && let Some(inner) = tunnel::decap_ip(next, payload, after)
                {
                    return (inner, false);
                }
                break stopped(non_first_fragment, None);
            }
        }
    };
    if let Some(header) = first_fragment_header {
        info.fragment = Some(ipv6_fragment(header));
    }
    (info, non_first_fragment)
}

/// Where the walk stops short of a transport: a non-first fragment's data
/// (`fragment`), else `other_ip`, with the problem that stopped it if any.
#[inline(always)]
fn stopped(non_first_fragment: bool, problem: Option<DecodeProblem>) -> PacketInfo {
    let category = if non_first_fragment {
        Category::Fragment
    } else {
        Category::OtherIp
    };
    PacketInfo {
        problem,
        ..PacketInfo::plain(category)
    }
}

// The extension headers `walk_headers` steps over, one function each:
// always inlined into its loop.

/// A hop-by-hop, destination options or routing header (`next` says
/// which): the header after it and the bytes from there, or why the walk
/// stops here (a problem, or `None` for an options header nothing follows).
#[inline(always)]
fn option_header(
    next: IpNumber,
    payload: Bytes<'_>,
) -> Result<(IpNumber, Bytes<'_>), Option<DecodeProblem>> {
    let Ok(ext) = Ipv6RawExtHeaderSlice::from_slice(payload.captured) else {
        return Err(Some(DecodeProblem::ExtensionHeaderTruncated));
    };
    let len = ext.slice().len();
    if len > payload.reported {
        return Err(Some(DecodeProblem::ExtensionHeaderTruncated));
    }
    let rest = payload.skip(len);
    // tshark's option-header dissectors call nothing after them when no
    // bytes are left; the routing header's does.
    if rest.reported == 0 && next != IpNumber::IPV6_ROUTE_HEADER {
        return Err(None);
    }
    Ok((ext.next_header(), rest))
}

/// An IPv6 fragment header's bytes and its fragment offset (in 8-byte
/// units), or why the walk stops here (cut short).
#[inline(always)]
fn fragment_header(
    payload: Bytes<'_>,
) -> Result<(&[u8; fragment::LEN], u16), Option<DecodeProblem>> {
    let header = match payload.captured.first_chunk::<{ fragment::LEN }>() {
        Some(header) if payload.reported >= fragment::LEN => header,
        _ => return Err(Some(DecodeProblem::ExtensionHeaderTruncated)),
    };
    let offset = u16::from_be_bytes([
        header[fragment::OFFSET_FLAGS],
        header[fragment::OFFSET_FLAGS + 1],
    ]) >> 3;
    Ok((header, offset))
}

/// An authentication header: the header after it and the bytes from
/// there, or why the walk stops here (cut short).
#[inline(always)]
fn auth_header(payload: Bytes<'_>) -> Result<(IpNumber, Bytes<'_>), Option<DecodeProblem>> {
    let truncated = Err(Some(DecodeProblem::ExtensionHeaderTruncated));
    let Some(len_words) = payload.u8_at(auth::PAYLOAD_LEN) else {
        return truncated;
    };
    let len = (usize::from(len_words) + 2) * 4;
    if payload.captured.len() < len || payload.reported < len {
        return truncated;
    }
    Ok((IpNumber(payload.captured[0]), payload.skip(len)))
}

/// ICMP and ICMPv6 headers: type, code, checksum, 4 bytes, then the quoted
/// datagram (RFC 792, RFC 4443).
mod icmp {
    pub const TYPE: usize = 0;
    pub const QUOTE: usize = 8;
    pub const V4_DESTINATION_UNREACHABLE: u8 = 3;
    pub const V6_DESTINATION_UNREACHABLE: u8 = 1;
}

/// The transport endpoints a "destination unreachable" error quotes, when
/// its quoted IP header and the quoted ports were captured. Only the IP
/// header directly followed by TCP, UDP or SCTP is read (no extension
/// headers, no fragments but first ones): what a host's stack quotes.
#[cold]
fn icmp_unreachable(payload: Bytes<'_>, version: IpVersion) -> Option<super::Quoted> {
    let kind = payload.u8_at(icmp::TYPE)?;
    let quote = payload.captured.get(icmp::QUOTE..)?;
    let (addresses, protocol, transport_at) = match version {
        IpVersion::V4 if kind == icmp::V4_DESTINATION_UNREACHABLE => {
            let version_ihl = *quote.get(ipv4::VERSION_IHL)?;
            let header_len = usize::from(version_ihl & 0x0f) * 4;
            let flags_fragment = u16::from_be_bytes([
                *quote.get(ipv4::FLAGS_FRAGMENT)?,
                *quote.get(ipv4::FLAGS_FRAGMENT + 1)?,
            ]);
            if version_ihl >> 4 != 4
                || header_len < ipv4::MIN_HEADER_LEN
                || quote.len() < header_len
                || flags_fragment & ipv4::FRAGMENT_OFFSET_MASK != 0
            {
                return None;
            }
            (ipv4_addresses(quote), quote[ipv4::PROTOCOL], header_len)
        }
        IpVersion::V6 if kind == icmp::V6_DESTINATION_UNREACHABLE => {
            if quote.len() < ipv6::HEADER_LEN || quote[0] >> 4 != 6 {
                return None;
            }
            (
                ipv6_addresses(quote),
                quote[ipv6::NEXT_HEADER],
                ipv6::HEADER_LEN,
            )
        }
        _ => return None,
    };
    let transport = match IpNumber(protocol) {
        IpNumber::TCP => Transport::Tcp,
        IpNumber::UDP => Transport::Udp,
        IpNumber::SCTP => Transport::Sctp,
        _ => return None,
    };
    let &[s0, s1, d0, d1] = quote.get(transport_at..)?.first_chunk::<PORTS_LEN>()?;
    Some(super::Quoted {
        transport,
        src: (addresses.0, u16::from_be_bytes([s0, s1])),
        dst: (addresses.1, u16::from_be_bytes([d0, d1])),
    })
}

/// The fragmentation an IPv6 fragment header describes.
fn ipv6_fragment(header: &[u8; fragment::LEN]) -> FragmentInfo {
    let offset_flags = u16::from_be_bytes([
        header[fragment::OFFSET_FLAGS],
        header[fragment::OFFSET_FLAGS + 1],
    ]);
    let id = &header[fragment::IDENTIFICATION..];
    FragmentInfo {
        id: u32::from_be_bytes([id[0], id[1], id[2], id[3]]),
        protocol: header[0],
        first: offset_flags >> 3 == 0,
        more: offset_flags & fragment::MORE_FRAGMENTS != 0,
    }
}
