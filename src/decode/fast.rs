//! The fast path for the frames most captures are made of: untagged Ethernet
//! carrying a plain IPv4 header (no options, not a fragment: neither an
//! offset nor more-fragments, so it never has a [`FragmentInfo`] to fill) or
//! an IPv6 header, then TCP or UDP with both ports captured.
//!
//! [`FragmentInfo`]: super::FragmentInfo It answers only where
//! the general decoder would give exactly the same answer (a property test
//! checks this on arbitrary bytes) and leaves everything else to it.
//! Measured: the general path's layer-by-layer bookkeeping cost about a
//! quarter of the per-frame time on typical traffic.

use super::ip::{ipv4_addresses, ipv6_addresses};
use super::{PacketInfo, Transport, tunnel};

const ETHERNET_LEN: usize = 14;
const IPV4_LEN: usize = 20;
const IPV6_LEN: usize = 40;
const PORTS_LEN: usize = 4;
/// The TCP flags byte's offset in the TCP header.
const TCP_FLAGS: usize = 13;
/// IPv4 more-fragments flag and fragment offset: either makes a fragment.
const IPV4_FRAGMENT_MASK: u16 = 0x3fff;
const TCP: u8 = 6;
const UDP: u8 = 17;

#[inline]
fn transport(protocol: u8) -> Option<Transport> {
    match protocol {
        TCP => Some(Transport::Tcp),
        UDP => Some(Transport::Udp),
        _ => None,
    }
}

/// The summary of a TCP or UDP header at `at` (at least the four port bytes;
/// the flags byte counts for TCP only when within `ip_payload_len`). With
/// `DECAP`, `None` for UDP that may carry a tunnel.
#[inline(always)]
fn ports<const DECAP: bool>(protocol: u8, at: &[u8], ip_payload_len: usize) -> Option<PacketInfo> {
    let transport = transport(protocol)?;
    let (src, dst) = (
        u16::from_be_bytes([at[0], at[1]]),
        u16::from_be_bytes([at[2], at[3]]),
    );
    if DECAP && transport == Transport::Udp && tunnel::udp_may_tunnel(src, dst) {
        return None;
    }
    let mut info = PacketInfo::ports(transport, src, dst);
    if transport == Transport::Tcp && ip_payload_len > TCP_FLAGS {
        info.tcp_flags = at.get(TCP_FLAGS).copied();
    }
    Some(info)
}

/// `Some` only for Ethernet → IPv4 (IHL 5, not a fragment) or IPv6 →
/// TCP/UDP with both ports inside what was captured, what the wire carried
/// and what the IP length fields announce; with `DECAP` (tunnels looked
/// into), not for UDP on a tunnel's port. Always inlined: out of line, the
/// whole summary goes through memory (measured).
#[inline(always)]
pub(super) fn ethernet_tcp_udp<const DECAP: bool>(
    data: &[u8],
    orig_len: u32,
) -> Option<PacketInfo> {
    let reported = (orig_len as usize).max(data.len());
    match data.get(12..14)? {
        [0x08, 0x00] => {
            let ip = data.get(ETHERNET_LEN..ETHERNET_LEN + IPV4_LEN + PORTS_LEN)?;
            let total_len = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
            let fragment = u16::from_be_bytes([ip[6], ip[7]]) & IPV4_FRAGMENT_MASK;
            let fits = total_len >= IPV4_LEN + PORTS_LEN
                && reported >= ETHERNET_LEN + IPV4_LEN + PORTS_LEN;
            if ip[0] != 0x45 || fragment != 0 || !fits {
                return None;
            }
            let (src, dst) = ipv4_addresses(ip);
            let transport = &data[ETHERNET_LEN + IPV4_LEN..];
            Some(ports::<DECAP>(ip[9], transport, total_len - IPV4_LEN)?.with_addresses(src, dst))
        }
        [0x86, 0xdd] => {
            let ip = data.get(ETHERNET_LEN..ETHERNET_LEN + IPV6_LEN + PORTS_LEN)?;
            let payload_len = usize::from(u16::from_be_bytes([ip[4], ip[5]]));
            let fits = payload_len >= PORTS_LEN && reported >= ETHERNET_LEN + IPV6_LEN + PORTS_LEN;
            if ip[0] >> 4 != 6 || !fits {
                return None;
            }
            let (src, dst) = ipv6_addresses(ip);
            let transport = &data[ETHERNET_LEN + IPV6_LEN..];
            Some(ports::<DECAP>(ip[6], transport, payload_len)?.with_addresses(src, dst))
        }
        _ => None,
    }
}
