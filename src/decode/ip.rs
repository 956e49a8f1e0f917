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
//!   non-first fragment with data after it is `fragment`.
//! * TCP/UDP/SCTP need 4 captured bytes within the IP payload for both ports,
//!   else the frame is `truncated`.

use super::{Bytes, Category, DecodeProblem, PacketInfo, Transport};
use etherparse::{IpNumber, Ipv6RawExtHeaderSlice};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IPv4 header fields (RFC 791).
mod ipv4 {
    pub const VERSION_IHL: usize = 0;
    pub const TOTAL_LEN: usize = 2;
    pub const FLAGS_FRAGMENT: usize = 6;
    pub const PROTOCOL: usize = 9;
    pub const SOURCE: usize = 12;
    pub const DESTINATION: usize = 16;
    pub const MIN_HEADER_LEN: usize = 20;
    pub const FRAGMENT_OFFSET_MASK: u16 = 0x1fff;
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
    pub const LEN: usize = 8;
}

/// IP authentication header: next header, payload length in 4-byte words
/// minus 2, ...
mod auth {
    pub const PAYLOAD_LEN: usize = 1;
}

/// Both ports are the first four bytes of TCP, UDP and SCTP.
const PORTS_LEN: usize = 4;

/// Decodes bytes that a link layer announced as IPv4 (tshark's `ip`).
pub(super) fn decode_ipv4(bytes: Bytes<'_>) -> PacketInfo {
    let captured = bytes.captured;
    let Some(&version_ihl) = captured.get(ipv4::VERSION_IHL) else {
        return PacketInfo::problem(Category::OtherIp, DecodeProblem::IpHeaderTruncated);
    };
    match version_ihl >> 4 {
        4 => {}
        // tshark's IPv4 dissector hands version 6 to IPv6: that makes the
        // frame IP followed by IPv6, i.e. other_ip (or a fragment).
        6 => {
            let (info, saw_fragment) = decode_ipv6(bytes);
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
    // The addresses, when the fixed part of the header was captured (even
    // if options were cut or the frame is a fragment).
    let addresses = (captured.len() >= ipv4::MIN_HEADER_LEN).then(|| ipv4_addresses(captured));
    let with_addresses = |info: PacketInfo| match addresses {
        Some((src, dst)) => info.with_addresses(src, dst),
        None => info,
    };
    if captured.len() < header_len {
        let category = if non_first_fragment {
            Category::Fragment
        } else {
            Category::OtherIp
        };
        return with_addresses(PacketInfo::problem(
            category,
            DecodeProblem::IpHeaderTruncated,
        ));
    }
    if non_first_fragment {
        return with_addresses(PacketInfo::plain(Category::Fragment));
    }
    let (src, dst) = ipv4_addresses(captured);
    let payload = bytes.limit(total_len).skip(header_len);
    if payload.reported == 0 {
        return PacketInfo::plain(Category::OtherIp).with_addresses(src, dst);
    }
    walk_headers(IpNumber(captured[ipv4::PROTOCOL]), payload)
        .0
        .with_addresses(src, dst)
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
    let payload_len = bytes.u16_at(ipv6::PAYLOAD_LEN).map_or(0, usize::from);
    let next = IpNumber(bytes.captured[ipv6::NEXT_HEADER]);
    let (src, dst) = ipv6_addresses(bytes.captured);
    let (info, saw_fragment) = walk_headers(next, bytes.skip(ipv6::HEADER_LEN).limit(payload_len));
    (info.with_addresses(src, dst), saw_fragment)
}

/// Follows IPv6 extension headers and AH to the transport header. Iterative,
/// so a long chain of headers cannot exhaust the stack. Returns the frame's
/// summary and whether a non-first fragment header was seen.
fn walk_headers(mut next: IpNumber, mut payload: Bytes<'_>) -> (PacketInfo, bool) {
    let mut non_first_fragment = false;
    let stop = |non_first_fragment: bool, problem: Option<DecodeProblem>| {
        let category = if non_first_fragment {
            Category::Fragment
        } else {
            Category::OtherIp
        };
        (
            PacketInfo {
                category,
                src_port: 0,
                dst_port: 0,
                problem,
                ..PacketInfo::plain(category)
            },
            non_first_fragment,
        )
    };
    loop {
        let transport = match next {
            IpNumber::TCP => Transport::Tcp,
            IpNumber::UDP => Transport::Udp,
            IpNumber::SCTP => Transport::Sctp,
            IpNumber::ICMP => return (PacketInfo::plain(Category::Icmp), non_first_fragment),
            IpNumber::IPV6_ICMP => {
                return (PacketInfo::plain(Category::Icmpv6), non_first_fragment);
            }
            IpNumber::IPV6_HEADER_HOP_BY_HOP
            | IpNumber::IPV6_DESTINATION_OPTIONS
            | IpNumber::IPV6_ROUTE_HEADER => {
                let Ok(ext) = Ipv6RawExtHeaderSlice::from_slice(payload.captured) else {
                    return stop(
                        non_first_fragment,
                        Some(DecodeProblem::ExtensionHeaderTruncated),
                    );
                };
                let len = ext.slice().len();
                if len > payload.reported {
                    return stop(
                        non_first_fragment,
                        Some(DecodeProblem::ExtensionHeaderTruncated),
                    );
                }
                let rest = payload.skip(len);
                // tshark's option-header dissectors call nothing after them
                // when no bytes are left; the routing header's does.
                if rest.reported == 0 && next != IpNumber::IPV6_ROUTE_HEADER {
                    return stop(non_first_fragment, None);
                }
                next = ext.next_header();
                payload = rest;
                continue;
            }
            IpNumber::IPV6_FRAGMENTATION_HEADER => {
                if payload.captured.len() < fragment::LEN || payload.reported < fragment::LEN {
                    return stop(
                        non_first_fragment,
                        Some(DecodeProblem::ExtensionHeaderTruncated),
                    );
                }
                let offset = payload.u16_at(fragment::OFFSET_FLAGS).unwrap_or(0) >> 3;
                next = IpNumber(payload.captured[0]);
                payload = payload.skip(fragment::LEN);
                if offset != 0 {
                    non_first_fragment = true;
                    // With data after it, a non-first fragment is just data;
                    // with none, tshark still calls the next dissector.
                    if payload.reported > 0 {
                        return stop(true, None);
                    }
                }
                continue;
            }
            IpNumber::AUTHENTICATION_HEADER => {
                let Some(len_words) = payload.u8_at(auth::PAYLOAD_LEN) else {
                    return stop(
                        non_first_fragment,
                        Some(DecodeProblem::ExtensionHeaderTruncated),
                    );
                };
                let len = (usize::from(len_words) + 2) * 4;
                if payload.captured.len() < len || payload.reported < len {
                    return stop(
                        non_first_fragment,
                        Some(DecodeProblem::ExtensionHeaderTruncated),
                    );
                }
                next = IpNumber(payload.captured[0]);
                payload = payload.skip(len);
                continue;
            }
            _ => return stop(non_first_fragment, None),
        };
        return match payload.captured.get(..PORTS_LEN) {
            Some(&[s0, s1, d0, d1]) => (
                PacketInfo::ports(
                    transport,
                    u16::from_be_bytes([s0, s1]),
                    u16::from_be_bytes([d0, d1]),
                ),
                non_first_fragment,
            ),
            _ => (
                PacketInfo::problem(Category::Truncated, DecodeProblem::PortsTruncated),
                non_first_fragment,
            ),
        };
    }
}
