//! decode: link-type dispatch and zero-copy header slicing down to a small
//! `Copy` summary ([`PacketInfo`]). No I/O, no counting, no allocation.
//!
//! May import `capture` (link types) only; the only module that uses
//! `etherparse` outside tests.

/// The transport protocols that carry ports. JSON names them as
/// [`Transport::name`] does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// TCP (IP protocol 6).
    Tcp,
    /// UDP (IP protocol 17).
    Udp,
    /// SCTP (IP protocol 132).
    Sctp,
}

impl Transport {
    /// All transports, in display order.
    pub const ALL: [Transport; 3] = [Transport::Tcp, Transport::Udp, Transport::Sctp];

    /// Lower-case name as used in JSON and the port database (`tcp`, `udp`, `sctp`).
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
            Transport::Sctp => "sctp",
        }
    }

    /// Parses `tcp`, `udp` or `sctp` (any case).
    pub fn parse(s: &str) -> Option<Transport> {
        match s.to_ascii_lowercase().as_str() {
            "tcp" => Some(Transport::Tcp),
            "udp" => Some(Transport::Udp),
            "sctp" => Some(Transport::Sctp),
            _ => None,
        }
    }

    /// Index 0..3, for arrays keyed by transport.
    pub fn index(self) -> usize {
        self as usize
    }
}

mod fast;
mod ip;
mod link;
mod lowpan;
mod tags;
mod tunnel;
mod wan;

use crate::capture::LinkType;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;

/// The nine traffic categories of the counting rules. Every frame falls in
/// exactly one. JSON names them as [`Category::name`] does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// TCP with both ports captured.
    Tcp,
    /// UDP with both ports captured.
    Udp,
    /// SCTP with both ports captured.
    Sctp,
    /// ICMP (IPv4).
    Icmp,
    /// ICMPv6.
    Icmpv6,
    /// IP whose next protocol is none of the above (GRE, IP-in-IP, ESP, ...),
    /// or an IP header too damaged to tell.
    OtherIp,
    /// A non-first IP fragment: no transport header of its own.
    Fragment,
    /// A TCP/UDP/SCTP frame captured too short to hold both ports.
    Truncated,
    /// No IP header (ARP, LLDP, ...), or a link type portclass cannot decode.
    NonIp,
}

impl Category {
    /// All categories, in the order of the counting rules.
    pub const ALL: [Category; 9] = [
        Category::Tcp,
        Category::Udp,
        Category::Sctp,
        Category::Icmp,
        Category::Icmpv6,
        Category::OtherIp,
        Category::Fragment,
        Category::Truncated,
        Category::NonIp,
    ];

    /// The JSON key of the category (`tcp`, `other_ip`, `non_ip`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Category::Tcp => "tcp",
            Category::Udp => "udp",
            Category::Sctp => "sctp",
            Category::Icmp => "icmp",
            Category::Icmpv6 => "icmpv6",
            Category::OtherIp => "other_ip",
            Category::Fragment => "fragment",
            Category::Truncated => "truncated",
            Category::NonIp => "non_ip",
        }
    }

    /// Index 0..9, for arrays keyed by category.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The transport of a category that carries ports.
    pub fn transport(self) -> Option<Transport> {
        match self {
            Category::Tcp => Some(Transport::Tcp),
            Category::Udp => Some(Transport::Udp),
            Category::Sctp => Some(Transport::Sctp),
            _ => None,
        }
    }
}

/// Why decoding stopped short of a transport header, for frames whose bytes
/// did not hold what their headers announced. Ordinary non-IP traffic (ARP)
/// and non-first fragments are not problems and carry no reason. JSON names
/// them as [`DecodeProblem::name`] does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecodeProblem {
    /// The link type is not one portclass decodes.
    UnsupportedLinkType,
    /// The frame is shorter than its link-layer header(s).
    LinkHeaderTruncated,
    /// The IP header is cut short by the capture length.
    IpHeaderTruncated,
    /// The IP header is invalid (version, header length or total length).
    IpHeaderInvalid,
    /// An IPv6 extension header or AH is cut short or overruns the payload.
    ExtensionHeaderTruncated,
    /// The TCP/UDP/SCTP header is too short to hold both ports.
    PortsTruncated,
}

impl DecodeProblem {
    /// All problems, in display order.
    pub const ALL: [DecodeProblem; 6] = [
        DecodeProblem::UnsupportedLinkType,
        DecodeProblem::LinkHeaderTruncated,
        DecodeProblem::IpHeaderTruncated,
        DecodeProblem::IpHeaderInvalid,
        DecodeProblem::ExtensionHeaderTruncated,
        DecodeProblem::PortsTruncated,
    ];

    /// A stable snake_case key for JSON.
    pub fn name(self) -> &'static str {
        match self {
            DecodeProblem::UnsupportedLinkType => "unsupported_link_type",
            DecodeProblem::LinkHeaderTruncated => "link_header_truncated",
            DecodeProblem::IpHeaderTruncated => "ip_header_truncated",
            DecodeProblem::IpHeaderInvalid => "ip_header_invalid",
            DecodeProblem::ExtensionHeaderTruncated => "extension_header_truncated",
            DecodeProblem::PortsTruncated => "ports_truncated",
        }
    }

    /// A short human description.
    pub fn description(self) -> &'static str {
        match self {
            DecodeProblem::UnsupportedLinkType => "link type not decoded",
            DecodeProblem::LinkHeaderTruncated => "frame shorter than its link header",
            DecodeProblem::IpHeaderTruncated => "IP header cut short",
            DecodeProblem::IpHeaderInvalid => "invalid IP header",
            DecodeProblem::ExtensionHeaderTruncated => "IPv6 extension header cut short",
            DecodeProblem::PortsTruncated => "transport header too short for ports",
        }
    }

    /// Index 0..6, for arrays keyed by problem.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// The tunnels `--decap` looks into. JSON names them as [`Tunnel::name`]
/// does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tunnel {
    /// Generic Routing Encapsulation (IP protocol 47), version 0.
    Gre,
    /// IPv4 in IPv4 or IPv6 (IP protocol 4), and IPv6 in IPv6 (41 inside IPv6).
    Ipip,
    /// IPv6 in IPv4 (IP protocol 41 inside IPv4).
    #[serde(rename = "6in4")]
    SixInFour,
    /// VXLAN (UDP port 4789).
    Vxlan,
    /// Geneve (UDP port 6081).
    Geneve,
    /// GTP-U G-PDUs (UDP port 2152).
    #[serde(rename = "gtp-u")]
    GtpU,
    /// Teredo (UDP port 3544).
    Teredo,
}

impl Tunnel {
    /// All tunnels, in display order.
    pub const ALL: [Tunnel; 7] = [
        Tunnel::Gre,
        Tunnel::Ipip,
        Tunnel::SixInFour,
        Tunnel::Vxlan,
        Tunnel::Geneve,
        Tunnel::GtpU,
        Tunnel::Teredo,
    ];

    /// Lower-case name for output (`gre`, `ipip`, `6in4`, `vxlan`, `geneve`,
    /// `gtp-u`, `teredo`).
    pub fn name(self) -> &'static str {
        match self {
            Tunnel::Gre => "gre",
            Tunnel::Ipip => "ipip",
            Tunnel::SixInFour => "6in4",
            Tunnel::Vxlan => "vxlan",
            Tunnel::Geneve => "geneve",
            Tunnel::GtpU => "gtp-u",
            Tunnel::Teredo => "teredo",
        }
    }

    /// Parses a name as written by [`Tunnel::name`].
    pub fn parse(s: &str) -> Option<Tunnel> {
        Tunnel::ALL.into_iter().find(|t| t.name() == s)
    }

    /// Index 0..7, for arrays keyed by tunnel.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Each enum prints its [`name`](Transport::name), as text output shows it.
macro_rules! display_by_name {
    ($($name:ty),*) => {$(
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    )*};
}

display_by_name!(Transport, Category, DecodeProblem, Tunnel);

/// The fragmentation of the IP header a frame was classified by, when that
/// header is a fragment (IPv4: more-fragments set or a non-zero offset;
/// IPv6: a fragment header). Together with the addresses it names the
/// datagram the fragment belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FragmentInfo {
    /// The identification field (IPv4: 16 bits; IPv6: 32 bits).
    pub id: u32,
    /// The protocol the datagram carries (IPv4 protocol field; IPv6: the
    /// fragment header's next header).
    pub protocol: u8,
    /// Offset 0: the fragment that holds the transport header.
    pub first: bool,
    /// More fragments follow (the MF / M flag).
    pub more: bool,
}

impl FragmentInfo {
    /// A whole datagram that only carries a fragment header (IPv6 "atomic"
    /// fragment): nothing to attribute.
    pub fn is_atomic(&self) -> bool {
        self.first && !self.more
    }
}

/// How far decoding goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Look into tunnels ([`Tunnel`]) and classify by the innermost packet.
    /// Off by default: the counting rules stop at the first IP header.
    pub decap: bool,
}

/// What decoding learned of one frame: a small `Copy` summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketInfo {
    /// The frame's category under the counting rules.
    pub category: Category,
    /// Source port; meaningful only when `category` is tcp/udp/sctp.
    pub src_port: u16,
    /// Destination port; meaningful only when `category` is tcp/udp/sctp.
    pub dst_port: u16,
    /// Why decoding stopped early, if it did.
    pub problem: Option<DecodeProblem>,
    /// Source and destination of the first IP header, when it was whole
    /// (with decap: of the innermost IP header).
    pub addresses: Option<(IpAddr, IpAddr)>,
    /// The TCP flags byte (CWR ... FIN), when the frame is TCP and the byte
    /// was captured.
    pub tcp_flags: Option<u8>,
    /// Set when the classifying IP header is a fragment (IPv4: when its
    /// identification and protocol were captured; IPv6: from the first
    /// fragment header). With decap: of the innermost IP header.
    pub fragment: Option<FragmentInfo>,
    /// The outermost tunnel decapsulated (only with [`DecodeOptions::decap`]).
    pub tunnel: Option<Tunnel>,
    /// For an ICMP or ICMPv6 "destination unreachable" error: the
    /// transport header it quotes (what was refused). Never counted as
    /// ports: the counting rules stop at the ICMP header.
    pub unreachable: Option<Quoted>,
}

/// The transport endpoints quoted by an ICMP destination-unreachable error:
/// the datagram that could not be delivered, as its sender sent it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Quoted {
    /// The quoted datagram's transport.
    pub transport: Transport,
    /// Its sender (address, port): the side whose attempt failed.
    pub src: (IpAddr, u16),
    /// Its destination (address, port): what could not be reached.
    pub dst: (IpAddr, u16),
}

impl PacketInfo {
    /// A frame with ports.
    pub const fn ports(transport: Transport, src_port: u16, dst_port: u16) -> PacketInfo {
        let category = match transport {
            Transport::Tcp => Category::Tcp,
            Transport::Udp => Category::Udp,
            Transport::Sctp => Category::Sctp,
        };
        PacketInfo {
            category,
            src_port,
            dst_port,
            problem: None,
            addresses: None,
            tcp_flags: None,
            fragment: None,
            tunnel: None,
            unreachable: None,
        }
    }

    /// A frame without ports, with no decoding problem.
    pub const fn plain(category: Category) -> PacketInfo {
        PacketInfo {
            category,
            src_port: 0,
            dst_port: 0,
            problem: None,
            addresses: None,
            tcp_flags: None,
            fragment: None,
            tunnel: None,
            unreachable: None,
        }
    }

    /// A frame without ports whose decoding stopped for `problem`.
    pub const fn problem(category: Category, problem: DecodeProblem) -> PacketInfo {
        PacketInfo {
            category,
            src_port: 0,
            dst_port: 0,
            problem: Some(problem),
            addresses: None,
            tcp_flags: None,
            fragment: None,
            tunnel: None,
            unreachable: None,
        }
    }

    /// The same summary with the addresses of its IP header.
    #[inline]
    pub(crate) const fn with_addresses(mut self, src: IpAddr, dst: IpAddr) -> PacketInfo {
        self.addresses = Some((src, dst));
        self
    }

    /// `(transport, src, dst)` when the frame carries ports.
    pub fn transport_ports(&self) -> Option<(Transport, u16, u16)> {
        self.category
            .transport()
            .map(|t| (t, self.src_port, self.dst_port))
    }
}

/// The bytes of one layer: what was captured, and how many bytes the wire
/// carried from here on (`reported`, from the original length). The two
/// differ when the capture's snap length cut the frame; tshark's rules depend
/// on both, so decode tracks both.
#[derive(Clone, Copy, Debug)]
struct Bytes<'a> {
    captured: &'a [u8],
    reported: usize,
    /// Ethernet pseudowires (Ethernet inside MPLS) around this layer: the
    /// one way the link layer nests, bounded by `link::MAX_PSEUDOWIRES`.
    pseudowires: u8,
    /// How many more tunnels may be entered from this layer on: 0 without
    /// decap, and once `tunnel::MAX_TUNNELS` have been entered.
    tunnels_left: u8,
}

impl<'a> Bytes<'a> {
    /// The layer after skipping `n` header bytes (`n` may exceed what was
    /// captured; the captured part then is empty).
    fn skip(self, n: usize) -> Bytes<'a> {
        Bytes {
            captured: self.captured.get(n..).unwrap_or(&[]),
            reported: self.reported.saturating_sub(n),
            ..self
        }
    }

    /// The same layer bounded to `len` reported bytes (a length field).
    fn limit(self, len: usize) -> Bytes<'a> {
        let reported = self.reported.min(len);
        Bytes {
            captured: &self.captured[..self.captured.len().min(reported)],
            reported,
            ..self
        }
    }

    fn u8_at(&self, at: usize) -> Option<u8> {
        self.captured.get(at).copied()
    }

    fn u16_at(&self, at: usize) -> Option<u16> {
        match self.captured.get(at..at + 2) {
            Some(&[a, b]) => Some(u16::from_be_bytes([a, b])),
            _ => None,
        }
    }
}

/// Decodes one frame of link type `link` (captured bytes `data`, original wire
/// length `orig_len`, `fcs_len` trailing FCS bytes) into a [`PacketInfo`].
///
/// The classification follows tshark's dissectors exactly (see the counting
/// rules in the README): the first IPv4/IPv6 header and the header after it,
/// skipping IPv6 extension headers and AH; tunnels and ICMP quotes are never
/// looked into (for tunnels, see [`decode_with`]). Never panics, never
/// allocates.
#[inline]
pub fn decode(link: LinkType, data: &[u8], orig_len: u32, fcs_len: u8) -> PacketInfo {
    if link == LinkType::ETHERNET
        && fcs_len == 0
        && let Some(info) = fast::ethernet_tcp_udp::<false>(data, orig_len)
    {
        return info;
    }
    decode_general(link, data, orig_len, fcs_len)
}

/// [`decode`] with options. With `options.decap` off it is [`decode`].
///
/// With `options.decap` on, tunnels are looked into and the frame is
/// summarised by its innermost packet (category, ports, addresses, TCP flags,
/// fragment), its outermost tunnel in [`PacketInfo::tunnel`]. A frame whose
/// tunnel header does not check out, or that is no tunnel, gets exactly the
/// summary [`decode`] gives it, with `tunnel` `None`. See the `tunnel`
/// module for which headers are accepted and what a damaged inner packet
/// gives. Never panics, never allocates.
// Always inlined: with decap off it is then `decode` at the call site (its
// fast path inlined), whatever the options' value; measured.
#[inline(always)]
pub fn decode_with(
    link: LinkType,
    data: &[u8],
    orig_len: u32,
    fcs_len: u8,
    options: DecodeOptions,
) -> PacketInfo {
    if options.decap {
        decode_decap(link, data, orig_len, fcs_len)
    } else {
        decode(link, data, orig_len, fcs_len)
    }
}

/// [`decode_with`] with decap on.
#[inline]
fn decode_decap(link: LinkType, data: &[u8], orig_len: u32, fcs_len: u8) -> PacketInfo {
    // The fast path knows no tunnels: it answers for TCP, and for UDP off the
    // tunnels' ports.
    if link == LinkType::ETHERNET
        && fcs_len == 0
        && let Some(info) = fast::ethernet_tcp_udp::<true>(data, orig_len)
    {
        return info;
    }
    decode_layers(link, data, orig_len, fcs_len, tunnel::MAX_TUNNELS)
}

/// The full decoder, for every frame the fast path does not take.
fn decode_general(link: LinkType, data: &[u8], orig_len: u32, fcs_len: u8) -> PacketInfo {
    decode_layers(link, data, orig_len, fcs_len, 0)
}

/// The full decoder, entering up to `tunnels` tunnels.
#[inline]
fn decode_layers(
    link: LinkType,
    data: &[u8],
    orig_len: u32,
    fcs_len: u8,
    tunnels: u8,
) -> PacketInfo {
    // The wire length counts the FCS; the layers above never see it.
    let reported = (orig_len as usize)
        .max(data.len())
        .saturating_sub(usize::from(fcs_len));
    let bytes = Bytes {
        captured: &data[..data.len().min(reported)],
        reported,
        pseudowires: 0,
        tunnels_left: tunnels,
    };
    link::decode_link(link, bytes)
}

#[cfg(test)]
mod tests;

/// The TCP payload of a frame, for the few frames whose payload portclass
/// reads (an FTP control connection's, see [`crate::classify::ftp`]): the
/// frame decoded again by etherparse, which slices every header on the way.
/// Ethernet (with VLAN tags), Linux cooked (v1), raw IP, BSD null and
/// loopback frames; `None` for other link types, tunnels, fragments and
/// anything etherparse will not slice.
pub fn tcp_payload(link: LinkType, data: &[u8], fcs_len: u8) -> Option<&[u8]> {
    if let Some((protocol, segment)) = plain_transport(link, data, fcs_len) {
        if protocol != TCP {
            return None;
        }
        let header = usize::from(*segment.get(12)? >> 4) * 4;
        return segment.get(header.max(20)..);
    }
    match sliced_transport(link, data, fcs_len)? {
        etherparse::TransportSlice::Tcp(tcp) => Some(tcp.payload()),
        _ => None,
    }
}

/// The UDP payload of a frame (up to the UDP length), for the few frames
/// whose payload portclass reads (names learnt from DNS and QUIC, see
/// [`crate::pipeline::names`]); the frames [`tcp_payload`] reads.
pub fn udp_payload(link: LinkType, data: &[u8], fcs_len: u8) -> Option<&[u8]> {
    if let Some((protocol, datagram)) = plain_transport(link, data, fcs_len) {
        if protocol != UDP {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([*datagram.get(4)?, *datagram.get(5)?]));
        return datagram.get(8..len.min(datagram.len()));
    }
    match sliced_transport(link, data, fcs_len)? {
        etherparse::TransportSlice::Udp(udp) => Some(udp.payload()),
        _ => None,
    }
}

const TCP: u8 = 6;
const UDP: u8 = 17;

/// The usual case without etherparse (its full slicing cost several
/// hundred instructions a frame, on every TLS and HTTP request segment
/// read for names): Ethernet without tags, or raw IP, carrying IPv4
/// (unfragmented) or IPv6 without extension headers, straight to TCP or
/// UDP. Gives the protocol and the transport header with its payload, cut
/// to the IP length; `None` for anything else, which etherparse slices.
#[inline]
fn plain_transport(link: LinkType, data: &[u8], fcs_len: u8) -> Option<(u8, &[u8])> {
    let data = data.get(..data.len().checked_sub(usize::from(fcs_len))?)?;
    let ip = match link {
        LinkType::ETHERNET => match data.get(12..14)? {
            [0x08, 0x00] | [0x86, 0xdd] => data.get(14..)?,
            _ => return None,
        },
        LinkType::RAW | LinkType::RAW_12 | LinkType::RAW_14 | LinkType::IPV4 | LinkType::IPV6 => {
            data
        }
        _ => return None,
    };
    let (protocol, header, total) = match *ip.first()? >> 4 {
        4 => {
            let fragment = u16::from_be_bytes([*ip.get(6)?, *ip.get(7)?]);
            if fragment & 0x3fff != 0 {
                return None;
            }
            let header = usize::from(ip[0] & 0x0f) * 4;
            let total = usize::from(u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?]));
            (*ip.get(9)?, header, total)
        }
        6 => {
            let payload = usize::from(u16::from_be_bytes([*ip.get(4)?, *ip.get(5)?]));
            (*ip.get(6)?, 40, 40 + payload)
        }
        _ => return None,
    };
    if (protocol != TCP && protocol != UDP) || header < 20 || total < header {
        return None;
    }
    Some((protocol, ip.get(header..total.min(ip.len()))?))
}

/// A frame's transport header and payload as etherparse slices them.
fn sliced_transport(
    link: LinkType,
    data: &[u8],
    fcs_len: u8,
) -> Option<etherparse::TransportSlice<'_>> {
    use etherparse::SlicedPacket;
    let data = data.get(..data.len().checked_sub(usize::from(fcs_len))?)?;
    let sliced = match link {
        LinkType::ETHERNET => SlicedPacket::from_ethernet(data),
        LinkType::LINUX_SLL => SlicedPacket::from_linux_sll(data),
        LinkType::RAW | LinkType::RAW_12 | LinkType::RAW_14 | LinkType::IPV4 | LinkType::IPV6 => {
            SlicedPacket::from_ip(data)
        }
        LinkType::NULL | LinkType::LOOP => SlicedPacket::from_ip(data.get(4..)?),
        _ => return None,
    }
    .ok()?;
    sliced.transport
}

#[cfg(test)]
mod payload_tests {
    use super::*;
    use etherparse::PacketBuilder;

    /// The fast path gives what etherparse gives, and declines what it
    /// does not read (tags, extension headers).
    #[test]
    fn payloads_are_etherparses_on_the_fast_path_and_off_it() {
        let payload = b"GET / HTTP/1.1\r\nHost: web.portclass.test\r\n\r\n";
        let mac = ([1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]);
        let v4 = || PacketBuilder::ethernet2(mac.0, mac.1).ipv4([10, 0, 0, 2], [10, 0, 0, 1], 64);
        let v6 = || PacketBuilder::ethernet2(mac.0, mac.1).ipv6([1; 16], [2; 16], 64);
        let tagged = || {
            PacketBuilder::ethernet2(mac.0, mac.1)
                .single_vlan(7.try_into().expect("vlan id"))
                .ipv4([10, 0, 0, 2], [10, 0, 0, 1], 64)
        };
        macro_rules! write {
            ($builder:expr) => {{
                let mut frame = Vec::new();
                $builder.write(&mut frame, payload).expect("write");
                // Ethernet padding and a frame check sequence after it.
                frame.extend([0; 6]);
                frame.extend([0xde, 0xad, 0xbe, 0xef]);
                frame
            }};
        }
        let frames = [
            (true, write!(v4().tcp(40000, 80, 1, 1000))),
            (true, write!(v6().tcp(40000, 80, 1, 1000))),
            (true, write!(tagged().tcp(40000, 80, 1, 1000))),
            (false, write!(v4().udp(40000, 53))),
            (false, write!(v6().udp(40000, 53))),
            (false, write!(tagged().udp(40000, 53))),
        ];
        for (is_tcp, frame) in &frames {
            let fast = plain_transport(LinkType::ETHERNET, frame, 4).is_some();
            let tagged = frame[12..14] == [0x81, 0x00];
            assert_eq!(fast, !tagged);
            let (tcp, udp) = (
                tcp_payload(LinkType::ETHERNET, frame, 4),
                udp_payload(LinkType::ETHERNET, frame, 4),
            );
            let sliced = sliced_transport(LinkType::ETHERNET, frame, 4);
            let expected = match sliced {
                Some(etherparse::TransportSlice::Tcp(t)) => (Some(t.payload()), None),
                Some(etherparse::TransportSlice::Udp(u)) => (None, Some(u.payload())),
                _ => (None, None),
            };
            assert_eq!((tcp, udp), expected);
            assert_eq!(if *is_tcp { tcp } else { udp }, Some(&payload[..]));
        }
    }
}
