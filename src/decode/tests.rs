//! Decoder tests: packets built with etherparse's `PacketBuilder` sliced back
//! (properties), every cut length (no panic, and ports exactly when the four
//! port bytes are there), and golden frames whose expected category was
//! checked against tshark 4.0.17 one by one.

use super::*;
use etherparse::{PacketBuilder, VlanId};

mod decap;
mod edges;
mod lowpan;
mod tags;
mod wan;
use proptest::prelude::*;
use std::net::IpAddr;

const MAC_A: [u8; 6] = [0, 1, 2, 3, 4, 5];
const MAC_B: [u8; 6] = [6, 7, 8, 9, 10, 11];
const V4_A: [u8; 4] = [192, 0, 2, 1];
const V4_B: [u8; 4] = [198, 51, 100, 2];
const V6_A: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const V6_B: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

fn whole(link: LinkType, frame: &[u8]) -> PacketInfo {
    decode(link, frame, frame.len() as u32, 0)
}

fn eth_udp4(src: u16, dst: u16, payload: &[u8]) -> Vec<u8> {
    let builder = PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4(V4_A, V4_B, 64)
        .udp(src, dst);
    let mut frame = Vec::with_capacity(builder.size(payload.len()));
    builder.write(&mut frame, payload).expect("build");
    frame
}

fn eth_tcp6(src: u16, dst: u16, payload: &[u8]) -> Vec<u8> {
    let builder = PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv6(V6_A, V6_B, 64)
        .tcp(src, dst, 1, 1024);
    let mut frame = Vec::with_capacity(builder.size(payload.len()));
    builder.write(&mut frame, payload).expect("build");
    frame
}

fn vlan_tcp4(outer: u16, inner: Option<u16>, src: u16, dst: u16) -> Vec<u8> {
    let step = PacketBuilder::ethernet2(MAC_A, MAC_B);
    let outer = VlanId::try_new(outer).expect("vlan id");
    let builder = match inner {
        Some(i) => step.double_vlan(outer, VlanId::try_new(i).expect("vlan id")),
        None => step.single_vlan(outer),
    }
    .ipv4(V4_A, V4_B, 64)
    .tcp(src, dst, 7, 512);
    let mut frame = Vec::new();
    builder
        .write(&mut frame, b"GET / HTTP/1.1\r\n")
        .expect("build");
    frame
}

/// Wraps an IP packet in an Ethernet header with `ethertype`.
fn ethernet(ethertype: u16, ip: &[u8]) -> Vec<u8> {
    let mut frame = Vec::from(MAC_B);
    frame.extend(MAC_A);
    frame.extend(ethertype.to_be_bytes());
    frame.extend(ip);
    frame
}

/// A hand-made IPv4 header in front of `payload`.
fn ipv4(proto: u8, payload: &[u8], total_len: Option<u16>, fragment: u16) -> Vec<u8> {
    let total = total_len.unwrap_or(20 + payload.len() as u16);
    let mut ip = vec![0x45, 0];
    ip.extend(total.to_be_bytes());
    ip.extend([0, 1]);
    ip.extend(fragment.to_be_bytes());
    ip.extend([64, proto, 0, 0]);
    ip.extend(V4_A);
    ip.extend(V4_B);
    ip.extend(payload);
    ip
}

/// A hand-made IPv6 header in front of `payload`.
fn ipv6(next: u8, payload: &[u8], payload_len: Option<u16>) -> Vec<u8> {
    let mut ip = vec![0x60, 0, 0, 0];
    ip.extend(payload_len.unwrap_or(payload.len() as u16).to_be_bytes());
    ip.extend([next, 64]);
    ip.extend(V6_A);
    ip.extend(V6_B);
    ip.extend(payload);
    ip
}

const UDP_1234_53: [u8; 12] = [0x04, 0xd2, 0, 53, 0, 12, 0, 0, b'a', b'b', b'c', b'd'];

fn options_header(next: u8) -> Vec<u8> {
    vec![next, 0, 0, 0, 0, 0, 0, 0]
}

fn fragment_header(next: u8, offset: u16, more: bool) -> Vec<u8> {
    let mut h = vec![next, 0];
    h.extend(((offset << 3) | u16::from(more)).to_be_bytes());
    h.extend([0, 0, 0, 7]);
    h
}

#[test]
fn builder_packets_slice_back() {
    let v4 = (IpAddr::from(V4_A), IpAddr::from(V4_B));
    let v6 = (IpAddr::from(V6_A), IpAddr::from(V6_B));
    assert_eq!(
        whole(LinkType::ETHERNET, &eth_udp4(5353, 53, b"query")),
        PacketInfo::ports(Transport::Udp, 5353, 53).with_addresses(v4.0, v4.1)
    );
    // The builder's TCP headers carry no flags: the byte is there, 0.
    let tcp = |src, dst, (a, b)| PacketInfo {
        tcp_flags: Some(0),
        ..PacketInfo::ports(Transport::Tcp, src, dst).with_addresses(a, b)
    };
    assert_eq!(
        whole(LinkType::ETHERNET, &eth_tcp6(51234, 443, b"")),
        tcp(51234, 443, v6)
    );
    assert_eq!(
        whole(LinkType::ETHERNET, &vlan_tcp4(5, None, 40000, 80)),
        tcp(40000, 80, v4)
    );
    assert_eq!(
        whole(LinkType::ETHERNET, &vlan_tcp4(100, Some(200), 40000, 80)),
        tcp(40000, 80, v4)
    );
    // Frames without a whole IP header carry no addresses.
    assert_eq!(
        whole(LinkType::ETHERNET, &ethernet(0x0806, &[0; 28])).addresses,
        None
    );
}

/// Each golden case: a frame and the category tshark 4.0.17 gives it under
/// the counting rules (probed with tshark -T fields -e frame.protocols ...).
#[test]
fn golden_frames_agree_with_tshark() {
    let udp = &UDP_1234_53[..];
    let tcp_hdr: Vec<u8> = {
        let mut t = vec![0x9c, 0x40, 0, 80];
        t.extend([0; 8]);
        t.extend([0x50, 2, 0, 0, 0, 0, 0, 0]);
        t
    };
    let ports_udp = Category::Udp;
    let cases: Vec<(&str, Vec<u8>, Option<u32>, Category)> = vec![
        (
            "IPv4 header cut at 10 bytes",
            ethernet(0x0800, &ipv4(17, udp, None, 0)[..10]),
            None,
            Category::OtherIp,
        ),
        (
            "IPv4 total length 0 means offload",
            ethernet(0x0800, &ipv4(17, udp, Some(0), 0)),
            None,
            ports_udp,
        ),
        (
            "IPv4 total length below header",
            ethernet(0x0800, &ipv4(17, udp, Some(10), 0)),
            None,
            Category::OtherIp,
        ),
        (
            "IPv4 total length leaves 2 UDP bytes",
            ethernet(0x0800, &ipv4(17, udp, Some(22), 0)),
            None,
            Category::Truncated,
        ),
        (
            "IPv4 total length beyond the frame",
            ethernet(0x0800, &ipv4(17, udp, Some(1000), 0)),
            None,
            ports_udp,
        ),
        (
            "TCP with 3 bytes",
            ethernet(0x0800, &ipv4(6, &tcp_hdr[..3], None, 0)),
            None,
            Category::Truncated,
        ),
        (
            "TCP with 4 bytes",
            ethernet(0x0800, &ipv4(6, &tcp_hdr[..4], None, 0)),
            None,
            Category::Tcp,
        ),
        (
            "first fragment carries ports",
            ethernet(0x0800, &ipv4(17, udp, None, 0x2000)),
            None,
            ports_udp,
        ),
        (
            "non-first fragment",
            ethernet(0x0800, &ipv4(17, udp, None, 1)),
            None,
            Category::Fragment,
        ),
        (
            "non-first ICMP fragment",
            ethernet(0x0800, &ipv4(1, &[8, 0, 0, 0], None, 1)),
            None,
            Category::Fragment,
        ),
        (
            "GRE",
            ethernet(0x0800, &ipv4(47, &[0; 8], None, 0)),
            None,
            Category::OtherIp,
        ),
        (
            "ICMP with 1 byte",
            ethernet(0x0800, &ipv4(1, &[8], None, 0)),
            None,
            Category::Icmp,
        ),
        (
            "ICMP with no bytes",
            ethernet(0x0800, &ipv4(1, &[], None, 0)),
            None,
            Category::OtherIp,
        ),
        (
            "TCP with no bytes",
            ethernet(0x0800, &ipv4(6, &[], None, 0)),
            None,
            Category::OtherIp,
        ),
        (
            "Ethernet cut at 10 bytes",
            MAC_A[..].repeat(2)[..10].to_vec(),
            None,
            Category::NonIp,
        ),
        (
            "EtherType IPv4, no bytes",
            ethernet(0x0800, &[]),
            None,
            Category::OtherIp,
        ),
        (
            "EtherType IPv6, no bytes",
            ethernet(0x86dd, &[]),
            None,
            Category::OtherIp,
        ),
        (
            "EtherType IPv6 holding IPv4",
            ethernet(0x86dd, &ipv4(17, udp, None, 0)),
            None,
            Category::NonIp,
        ),
        (
            "EtherType IPv4 holding IPv6",
            ethernet(0x0800, &ipv6(17, udp, None)),
            None,
            Category::OtherIp,
        ),
        ("ARP", ethernet(0x0806, &[0; 28]), None, Category::NonIp),
        (
            "IPv6 UDP",
            ethernet(0x86dd, &ipv6(17, udp, None)),
            None,
            ports_udp,
        ),
        (
            "IPv6 payload length 0, UDP",
            ethernet(0x86dd, &ipv6(17, udp, Some(0))),
            None,
            Category::Truncated,
        ),
        (
            "IPv6 payload length 0, ICMPv6",
            ethernet(0x86dd, &ipv6(58, &[], Some(0))),
            None,
            Category::Icmpv6,
        ),
        (
            "IPv6 payload length 3",
            ethernet(0x86dd, &ipv6(17, udp, Some(3))),
            None,
            Category::Truncated,
        ),
        (
            "IPv6 header cut at 30 bytes",
            ethernet(0x86dd, &ipv6(17, udp, None)[..30]),
            None,
            Category::OtherIp,
        ),
        (
            "hop-by-hop then UDP",
            ethernet(
                0x86dd,
                &ipv6(0, &[options_header(17), udp.to_vec()].concat(), None),
            ),
            None,
            ports_udp,
        ),
        (
            "hop-by-hop with nothing after",
            ethernet(0x86dd, &ipv6(0, &options_header(17), None)),
            None,
            Category::OtherIp,
        ),
        (
            "destination options with nothing after",
            ethernet(0x86dd, &ipv6(60, &options_header(17), None)),
            None,
            Category::OtherIp,
        ),
        (
            "routing header with nothing after",
            ethernet(0x86dd, &ipv6(43, &options_header(17), None)),
            None,
            Category::Truncated,
        ),
        (
            "hop-by-hop longer than the packet",
            ethernet(
                0x86dd,
                &ipv6(
                    0,
                    &[vec![17, 10, 0, 0, 0, 0, 0, 0], udp.to_vec()].concat(),
                    None,
                ),
            ),
            None,
            Category::OtherIp,
        ),
        (
            "first fragment header",
            ethernet(
                0x86dd,
                &ipv6(
                    44,
                    &[fragment_header(17, 0, true), udp.to_vec()].concat(),
                    None,
                ),
            ),
            None,
            ports_udp,
        ),
        (
            "non-first fragment header with data",
            ethernet(
                0x86dd,
                &ipv6(
                    44,
                    &[fragment_header(17, 5, true), udp.to_vec()].concat(),
                    None,
                ),
            ),
            None,
            Category::Fragment,
        ),
        (
            "non-first fragment header, no data",
            ethernet(0x86dd, &ipv6(44, &fragment_header(17, 5, true), None)),
            None,
            Category::Truncated,
        ),
        (
            "fragment header then destination options",
            ethernet(
                0x86dd,
                &ipv6(
                    44,
                    &[
                        fragment_header(60, 0, true),
                        options_header(17),
                        udp.to_vec(),
                    ]
                    .concat(),
                    None,
                ),
            ),
            None,
            ports_udp,
        ),
        (
            "AH then UDP",
            ethernet(
                0x86dd,
                &ipv6(51, &[vec![17, 4], vec![0; 22], udp.to_vec()].concat(), None),
            ),
            None,
            ports_udp,
        ),
        (
            "AH with nothing after",
            ethernet(
                0x86dd,
                &ipv6(51, &[vec![17, 4], vec![0; 22]].concat(), None),
            ),
            None,
            Category::Truncated,
        ),
        (
            "IPv4 AH then UDP",
            ethernet(
                0x0800,
                &ipv4(
                    51,
                    &[vec![17, 4], vec![0; 22], udp.to_vec()].concat(),
                    None,
                    0,
                ),
            ),
            None,
            ports_udp,
        ),
        (
            "ESP",
            ethernet(0x86dd, &ipv6(50, &[0; 16], None)),
            None,
            Category::OtherIp,
        ),
        (
            "no next header",
            ethernet(0x86dd, &ipv6(59, &[], None)),
            None,
            Category::OtherIp,
        ),
        (
            "UDP-Lite is not UDP",
            ethernet(0x0800, &ipv4(136, udp, None, 0)),
            None,
            Category::OtherIp,
        ),
        (
            "SCTP",
            ethernet(
                0x0800,
                &ipv4(
                    132,
                    &[0x0b, 0x59, 0x0b, 0x59, 0, 0, 0, 0, 0, 0, 0, 0],
                    None,
                    0,
                ),
            ),
            None,
            Category::Sctp,
        ),
        (
            "SCTP with 2 bytes",
            ethernet(0x0800, &ipv4(132, &[0x0b, 0x59], None, 0)),
            None,
            Category::Truncated,
        ),
        // Snap length cuts: the wire had more than was captured.
        (
            "IPv4 header only captured, TCP on the wire",
            ethernet(0x0800, &ipv4(6, &tcp_hdr, None, 0)[..20]),
            Some(74),
            Category::Truncated,
        ),
        (
            "IPv4 header only, total length beyond frame",
            ethernet(0x0800, &ipv4(6, &tcp_hdr, None, 0)[..20]),
            None,
            Category::OtherIp,
        ),
        (
            "UDP cut at 3 bytes by snap length",
            ethernet(0x0800, &ipv4(17, udp, None, 0)[..23]),
            Some(60),
            Category::Truncated,
        ),
        (
            "non-first fragment, header cut at 10 bytes",
            ethernet(0x0800, &ipv4(17, udp, None, 0x10)[..10]),
            None,
            Category::Fragment,
        ),
        (
            "non-first fragment, header cut at 7 bytes",
            ethernet(0x0800, &ipv4(17, udp, None, 0x10)[..7]),
            None,
            Category::OtherIp,
        ),
        (
            "802.3 length with LLC/SNAP IPv4",
            {
                let ip = ipv4(17, udp, None, 0);
                let mut f = Vec::from(MAC_B);
                f.extend(MAC_A);
                f.extend(((8 + ip.len()) as u16).to_be_bytes());
                f.extend([0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00]);
                f.extend(ip);
                f
            },
            None,
            ports_udp,
        ),
        (
            "VLAN cut inside the tag",
            ethernet(0x8100, &[0, 5]),
            None,
            Category::NonIp,
        ),
        (
            "MPLS then IPv4",
            ethernet(
                0x8847,
                &[vec![0, 1, 1, 64], ipv4(17, udp, None, 0)].concat(),
            ),
            None,
            ports_udp,
        ),
        (
            "PPPoE session then IPv4",
            {
                let ip = ipv4(17, udp, None, 0);
                let mut p = vec![0x11, 0, 0, 1];
                p.extend(((2 + ip.len()) as u16).to_be_bytes());
                p.extend([0, 0x21]);
                p.extend(ip);
                ethernet(0x8864, &p)
            },
            None,
            ports_udp,
        ),
    ];
    for (name, frame, orig_len, expected) in cases {
        let orig = orig_len.unwrap_or(frame.len() as u32);
        let info = decode(LinkType::ETHERNET, &frame, orig, 0);
        assert_eq!(info.category, expected, "{name}: {info:?}");
        if expected == Category::Udp {
            assert_eq!((info.src_port, info.dst_port), (1234, 53), "{name}");
        }
    }
}

#[test]
fn link_types_reach_ip() {
    let ip4 = ipv4(17, &UDP_1234_53, None, 0);
    let ip6 = ipv6(17, &UDP_1234_53, None);
    let udp = Category::Udp;
    let with = |prefix: &[u8], ip: &[u8]| [prefix, ip].concat();
    let sll = |proto: u16| {
        let mut h = vec![0, 0, 0, 1, 0, 6];
        h.extend([0; 8]);
        h.extend(proto.to_be_bytes());
        h
    };
    let sll2 = |proto: u16| {
        let mut h = proto.to_be_bytes().to_vec();
        h.extend([0, 0, 0, 0, 0, 1, 0, 1, 0, 6]);
        h.extend([0; 8]);
        h
    };
    let cases: Vec<(LinkType, Vec<u8>, Category)> = vec![
        (LinkType::NULL, with(&2u32.to_le_bytes(), &ip4), udp),
        (LinkType::NULL, with(&2u32.to_be_bytes(), &ip4), udp),
        (LinkType::NULL, with(&24u32.to_le_bytes(), &ip6), udp),
        (LinkType::NULL, with(&30u32.to_le_bytes(), &ip6), udp),
        (
            LinkType::NULL,
            with(&7u32.to_le_bytes(), &ip4),
            Category::NonIp,
        ),
        (
            LinkType::NULL,
            with(&2u32.to_le_bytes(), &[]),
            Category::OtherIp,
        ),
        (LinkType::NULL, vec![2, 0], Category::NonIp),
        (LinkType::LOOP, with(&2u32.to_be_bytes(), &ip4), udp),
        (
            LinkType::LOOP,
            with(&2u32.to_le_bytes(), &ip4),
            Category::NonIp,
        ),
        (LinkType::RAW, ip4.clone(), udp),
        (LinkType::RAW, ip6.clone(), udp),
        (LinkType::RAW_12, ip4.clone(), udp),
        (LinkType::RAW_14, ip6.clone(), udp),
        (LinkType::RAW, vec![0x45], Category::NonIp),
        (LinkType::RAW, vec![0x50, 0, 0, 0], Category::NonIp),
        (LinkType::IPV4, ip4.clone(), udp),
        (LinkType::IPV4, vec![], Category::OtherIp),
        (LinkType::IPV6, ip6.clone(), udp),
        (LinkType::IPV6, ip4.clone(), Category::NonIp),
        (LinkType::LINUX_SLL, with(&sll(0x0800), &ip4), udp),
        (LinkType::LINUX_SLL, with(&sll(0x86dd), &ip6), udp),
        (
            LinkType::LINUX_SLL,
            with(&sll(0x0806), &[0; 28]),
            Category::NonIp,
        ),
        (
            LinkType::LINUX_SLL,
            with(&sll(0x8100), &[vec![0, 5, 8, 0], ip4.clone()].concat()),
            udp,
        ),
        (
            LinkType::LINUX_SLL,
            sll(0x0800)[..10].to_vec(),
            Category::NonIp,
        ),
        (LinkType::LINUX_SLL2, with(&sll2(0x0800), &ip4), udp),
        (LinkType::LINUX_SLL2, with(&sll2(0x86dd), &ip6), udp),
        (
            LinkType::LINUX_SLL2,
            sll2(0x0800)[..5].to_vec(),
            Category::NonIp,
        ),
        (LinkType::PPP, with(&[0xff, 0x03, 0x00, 0x21], &ip4), udp),
        (LinkType::PPP, with(&[0x00, 0x57], &ip6), udp),
        (LinkType::PPP, with(&[0x21], &ip4), udp),
        (LinkType::C_HDLC, with(&[0x0f, 0x00, 0x08, 0x00], &ip4), udp),
        (LinkType(147), ip4.clone(), Category::NonIp),
    ];
    for (link, frame, expected) in cases {
        let info = whole(link, &frame);
        assert_eq!(
            info.category, expected,
            "link {link:?} frame {frame:02x?}: {info:?}"
        );
    }
    assert_eq!(
        whole(LinkType(147), &ip4).problem,
        Some(DecodeProblem::UnsupportedLinkType)
    );
}

#[test]
fn deep_extension_chains_do_not_overflow_the_stack() {
    // 8,000 hop-by-hop headers chained: iterative walking, no recursion.
    let mut chain = Vec::new();
    for _ in 0..8000 {
        chain.extend(options_header(0));
    }
    chain.extend(options_header(17));
    chain.extend(UDP_1234_53);
    let frame = ethernet(0x86dd, &ipv6(0, &chain, Some(u16::MAX)));
    let info = whole(LinkType::ETHERNET, &frame);
    assert_eq!(info.transport_ports(), Some((Transport::Udp, 1234, 53)));
}

proptest! {
    #[test]
    fn any_udp4_ports_round_trip(src: u16, dst: u16, payload in proptest::collection::vec(any::<u8>(), 0..64)) {
        let frame = eth_udp4(src, dst, &payload);
        prop_assert_eq!(whole(LinkType::ETHERNET, &frame).transport_ports(), Some((Transport::Udp, src, dst)));
    }

    #[test]
    fn any_tcp6_ports_round_trip(src: u16, dst: u16) {
        let frame = eth_tcp6(src, dst, b"x");
        prop_assert_eq!(whole(LinkType::ETHERNET, &frame).transport_ports(), Some((Transport::Tcp, src, dst)));
    }

    /// Cut at every length with the original length kept: ports exactly when
    /// all four port bytes were captured, `truncated` otherwise once the IP
    /// header is whole; never a panic.
    #[test]
    fn cut_at_every_length(src: u16, dst: u16, vlan in proptest::bool::ANY, v6 in proptest::bool::ANY) {
        let frame = match (vlan, v6) {
            (true, _) => vlan_tcp4(9, Some(10), src, dst),
            (false, true) => eth_tcp6(src, dst, b"payload"),
            (false, false) => eth_udp4(src, dst, b"payload"),
        };
        let ip_start = if vlan { 22 } else { 14 };
        let ports_end = ip_start + if v6 && !vlan { 40 } else { 20 } + 4;
        for cut in 0..=frame.len() {
            let info = decode(LinkType::ETHERNET, &frame[..cut], frame.len() as u32, 0);
            if cut >= ports_end {
                prop_assert_eq!(info.transport_ports().map(|(_, s, d)| (s, d)), Some((src, dst)));
            } else {
                prop_assert!(info.transport_ports().is_none());
                if cut >= ports_end - 4 {
                    prop_assert_eq!(info.category, Category::Truncated);
                }
            }
        }
    }

    /// Arbitrary bytes on every decoded link type: never a panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200), link in 0u16..300, orig in 0u32..400) {
        let _ = decode(LinkType(link), &bytes, orig, 0);
        let _ = decode(LinkType::ETHERNET, &bytes, orig, 4);
    }
}

proptest! {
    /// The fast path answers exactly as the general decoder does (every
    /// field: ports, addresses, TCP flags, no fragment), or not at all: on
    /// Ethernet frames whose first bytes are forced towards the fast path's
    /// cases, and on arbitrary ones. With decap on, it answers only off the
    /// tunnel ports, again as the general decoder does.
    #[test]
    fn fast_path_agrees_with_the_general_decoder(
        mut bytes in proptest::collection::vec(any::<u8>(), 0..80),
        ethertype in proptest::sample::select(vec![0x0800u16, 0x86dd, 0x8100]),
        version_ihl in proptest::sample::select(vec![0x45u8, 0x46, 0x65, 0x60, 0x44]),
        protocol in proptest::sample::select(vec![6u8, 17, 132, 1, 0, 44]),
        flags_fragment in proptest::sample::select(vec![0u16, 0x4000, 0x2000, 0x6000, 0x0001, 0x2001, 0x1fff]),
        small_lengths in proptest::bool::ANY,
        tunnel_port in proptest::sample::select(vec![None, Some(4789u16), Some(6081), Some(2152), Some(3544)]),
        orig_extra in 0u32..40,
        orig_less in 0u32..40,
    ) {
        if bytes.len() > 20 {
            bytes[12..14].copy_from_slice(&ethertype.to_be_bytes());
            bytes[14] = version_ihl;
        }
        if bytes.len() > 60 {
            bytes[14 + 9] = protocol;
            bytes[14 + 6] = protocol;
            if small_lengths {
                bytes[16] = 0;
                bytes[18] = 0;
                bytes[20] &= 0xe0;
            }
            if ethertype == 0x0800 {
                bytes[20..22].copy_from_slice(&flags_fragment.to_be_bytes());
            }
            if let Some(port) = tunnel_port {
                // The destination port of IPv4 (IHL 5) and IPv6 transport.
                let at = if version_ihl >> 4 == 4 { 14 + 20 + 2 } else { 14 + 40 + 2 };
                bytes[at..at + 2].copy_from_slice(&port.to_be_bytes());
            }
        }
        let len = bytes.len() as u32;
        let decap = DecodeOptions { decap: true };
        for orig in [len, len + orig_extra, len.saturating_sub(orig_less)] {
            let general = decode_general(LinkType::ETHERNET, &bytes, orig, 0);
            let general_decap = decode_layers(LinkType::ETHERNET, &bytes, orig, 0, tunnel::MAX_TUNNELS);
            let fast = fast::ethernet_tcp_udp::<false>(&bytes, orig);
            if let Some(fast) = fast {
                prop_assert_eq!(fast, general);
                prop_assert_eq!(fast.fragment, None);
            }
            let fast_decap = fast::ethernet_tcp_udp::<true>(&bytes, orig);
            if let Some(fast_decap) = fast_decap {
                prop_assert_eq!(fast_decap, general_decap);
            }
            // With decap, the fast path steps aside exactly for UDP on a
            // tunnel's port.
            let on_tunnel_port = fast.is_some_and(|f| {
                f.category == Category::Udp && tunnel::udp_may_tunnel(f.src_port, f.dst_port)
            });
            prop_assert_eq!(fast_decap.is_some(), fast.is_some() && !on_tunnel_port);
            prop_assert_eq!(decode(LinkType::ETHERNET, &bytes, orig, 0), general);
            prop_assert_eq!(
                decode_with(LinkType::ETHERNET, &bytes, orig, 0, decap),
                general_decap
            );
        }
    }

    /// With decap off, `decode_with` is `decode`, on every link type.
    #[test]
    fn decode_with_without_decap_is_decode(
        bytes in proptest::collection::vec(any::<u8>(), 0..120),
        link in 0u16..300,
        orig in 0u32..200,
        fcs in 0u8..5,
    ) {
        let off = DecodeOptions::default();
        prop_assert_eq!(
            decode_with(LinkType(link), &bytes, orig, fcs, off),
            decode(LinkType(link), &bytes, orig, fcs)
        );
        prop_assert_eq!(
            decode_with(LinkType::ETHERNET, &bytes, orig, 0, off),
            decode(LinkType::ETHERNET, &bytes, orig, 0)
        );
    }
}

/// A TCP header 50000 -> 443 with flags `flags` (data offset 5).
fn tcp_header(flags: u8) -> Vec<u8> {
    let mut t = vec![0xc3, 0x50, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags];
    t.extend([0xff, 0xff, 0, 0, 0, 0]);
    t
}

#[test]
fn tcp_flags_when_captured_within_the_ip_payload() {
    let syn_ack = ethernet(0x0800, &ipv4(6, &tcp_header(0x12), None, 0));
    let len = syn_ack.len() as u32;
    let info = whole(LinkType::ETHERNET, &syn_ack);
    assert_eq!(info.tcp_flags, Some(0x12));
    assert_eq!(
        info,
        decode_general(LinkType::ETHERNET, &syn_ack, len, 0),
        "fast path"
    );
    let v6 = ethernet(0x86dd, &ipv6(6, &tcp_header(0x18), None));
    assert_eq!(whole(LinkType::ETHERNET, &v6).tcp_flags, Some(0x18));
    // Cut by the snap length just before / at the flags byte.
    let flags_at = 14 + 20 + 13;
    for (cut, flags) in [(flags_at, None), (flags_at + 1, Some(0x12))] {
        let general = decode_general(LinkType::ETHERNET, &syn_ack[..cut], len, 0);
        assert_eq!(general.tcp_flags, flags, "cut {cut}");
        assert_eq!(general.category, Category::Tcp);
        assert_eq!(decode(LinkType::ETHERNET, &syn_ack[..cut], len, 0), general);
    }
    // The IP length ends the segment before the flags: the bytes after it
    // are padding, not flags.
    let short = ethernet(0x0800, &ipv4(6, &tcp_header(0x12), Some(20 + 13), 0));
    let info = whole(LinkType::ETHERNET, &short);
    assert_eq!((info.category, info.tcp_flags), (Category::Tcp, None));
    assert_eq!(
        info,
        decode_general(LinkType::ETHERNET, &short, short.len() as u32, 0)
    );
    let short6 = ethernet(0x86dd, &ipv6(6, &tcp_header(0x12), Some(13)));
    assert_eq!(whole(LinkType::ETHERNET, &short6).tcp_flags, None);
    // Not TCP: no flags, whatever the bytes.
    let udp = ethernet(0x0800, &ipv4(17, &tcp_header(0x12), None, 0));
    assert_eq!(whole(LinkType::ETHERNET, &udp).tcp_flags, None);
    // Behind IPv4 options and IPv6 extension headers (general decoder).
    let opts = {
        let mut ip = ipv4(6, &tcp_header(0x02), None, 0);
        ip[0] = 0x46;
        ip[3] += 4;
        ip.splice(20..20, [1, 1, 1, 0]);
        ip
    };
    assert_eq!(
        whole(LinkType::ETHERNET, &ethernet(0x0800, &opts)).tcp_flags,
        Some(0x02)
    );
    let ext = ethernet(
        0x86dd,
        &ipv6(0, &[options_header(6), tcp_header(0x11)].concat(), None),
    );
    assert_eq!(whole(LinkType::ETHERNET, &ext).tcp_flags, Some(0x11));
}

#[test]
fn ipv4_fragments_carry_their_identity() {
    let v4 = Some((IpAddr::from(V4_A), IpAddr::from(V4_B)));
    // ipv4() writes identification 1.
    let fragment = |first, more| {
        Some(FragmentInfo {
            id: 1,
            protocol: 17,
            first,
            more,
        })
    };
    let cases: Vec<(&str, Vec<u8>, Category, Option<FragmentInfo>)> = vec![
        (
            "first fragment",
            ipv4(17, &UDP_1234_53, None, 0x2000),
            Category::Udp,
            fragment(true, true),
        ),
        (
            "first fragment, DF too",
            ipv4(17, &UDP_1234_53, None, 0x6000),
            Category::Udp,
            fragment(true, true),
        ),
        (
            "middle fragment",
            ipv4(17, &UDP_1234_53, None, 0x2000 | 185),
            Category::Fragment,
            fragment(false, true),
        ),
        (
            "last fragment",
            ipv4(17, &UDP_1234_53, None, 370),
            Category::Fragment,
            fragment(false, false),
        ),
        (
            "DF only: not a fragment",
            ipv4(17, &UDP_1234_53, None, 0x4000),
            Category::Udp,
            None,
        ),
        (
            "whole datagram",
            ipv4(17, &UDP_1234_53, None, 0),
            Category::Udp,
            None,
        ),
    ];
    for (name, ip, category, fragment) in cases {
        let frame = ethernet(0x0800, &ip);
        let info = whole(LinkType::ETHERNET, &frame);
        assert_eq!(
            (info.category, info.fragment, info.addresses),
            (category, fragment, v4),
            "{name}"
        );
        if fragment.is_some() {
            assert_eq!(
                fast::ethernet_tcp_udp::<false>(&frame, frame.len() as u32),
                None,
                "{name}: the fast path leaves fragments alone"
            );
        }
    }
    // A first ICMP fragment: icmp, with its identity.
    let icmp = whole(
        LinkType::ETHERNET,
        &ethernet(0x0800, &ipv4(1, &[8, 0, 0, 0], None, 0x2000)),
    );
    assert_eq!(icmp.category, Category::Icmp);
    assert_eq!(
        icmp.fragment.map(|f| (f.protocol, f.first)),
        Some((1, true))
    );
    // A non-first fragment whose header was cut: identity as long as the
    // identification and protocol were captured; addresses need 20 bytes.
    let ip = ipv4(17, &UDP_1234_53, None, 0x10);
    let cut = |keep: usize| whole(LinkType::ETHERNET, &ethernet(0x0800, &ip[..keep]));
    assert_eq!(
        (cut(10).category, cut(10).fragment, cut(10).addresses),
        (Category::Fragment, fragment(false, false), None)
    );
    assert_eq!(
        (cut(9).category, cut(9).fragment),
        (Category::Fragment, None)
    );
    assert_eq!(cut(20).addresses, v4);
}

#[test]
fn ipv6_fragment_headers_carry_their_identity() {
    let v6 = Some((IpAddr::from(V6_A), IpAddr::from(V6_B)));
    // fragment_header() writes identification 7.
    let fragment = |protocol, first, more| {
        Some(FragmentInfo {
            id: 7,
            protocol,
            first,
            more,
        })
    };
    let udp = UDP_1234_53.to_vec();
    let cases: Vec<(&str, Vec<u8>, Category, Option<FragmentInfo>)> = vec![
        (
            "first fragment",
            ipv6(
                44,
                &[fragment_header(17, 0, true), udp.clone()].concat(),
                None,
            ),
            Category::Udp,
            fragment(17, true, true),
        ),
        (
            "non-first fragment",
            ipv6(
                44,
                &[fragment_header(17, 5, true), udp.clone()].concat(),
                None,
            ),
            Category::Fragment,
            fragment(17, false, true),
        ),
        (
            "last fragment",
            ipv6(
                44,
                &[fragment_header(17, 5, false), udp.clone()].concat(),
                None,
            ),
            Category::Fragment,
            fragment(17, false, false),
        ),
        (
            "atomic fragment",
            ipv6(
                44,
                &[fragment_header(17, 0, false), udp.clone()].concat(),
                None,
            ),
            Category::Udp,
            fragment(17, true, false),
        ),
        (
            "non-first fragment header, no data",
            ipv6(44, &fragment_header(17, 5, true), None),
            Category::Truncated,
            fragment(17, false, true),
        ),
        (
            "after hop-by-hop, before destination options",
            ipv6(
                0,
                &[
                    options_header(44),
                    fragment_header(60, 0, true),
                    options_header(17),
                    udp.clone(),
                ]
                .concat(),
                None,
            ),
            Category::Udp,
            fragment(60, true, true),
        ),
        (
            "fragment header cut",
            ipv6(44, &fragment_header(17, 0, true)[..6], None),
            Category::OtherIp,
            None,
        ),
        (
            "no fragment header",
            ipv6(17, &udp, None),
            Category::Udp,
            None,
        ),
    ];
    for (name, ip, category, fragment) in cases {
        let info = whole(LinkType::ETHERNET, &ethernet(0x86dd, &ip));
        assert_eq!(
            (info.category, info.fragment, info.addresses),
            (category, fragment, v6),
            "{name}"
        );
    }
    assert!(
        whole(
            LinkType::ETHERNET,
            &ethernet(
                0x86dd,
                &ipv6(44, &[fragment_header(17, 0, false), udp].concat(), None)
            )
        )
        .fragment
        .is_some_and(|f| f.is_atomic())
    );
}

#[test]
fn typical_frames_take_the_fast_path_and_odd_ones_do_not() {
    let udp4 = eth_udp4(5353, 53, b"query");
    let tcp6 = eth_tcp6(51234, 443, b"");
    for frame in [&udp4, &tcp6] {
        assert_eq!(
            fast::ethernet_tcp_udp::<false>(frame, frame.len() as u32),
            Some(decode_general(
                LinkType::ETHERNET,
                frame,
                frame.len() as u32,
                0
            ))
        );
    }
    // Tagged, fragmented, or cut inside the ports: the general decoder.
    assert_eq!(
        fast::ethernet_tcp_udp::<false>(&vlan_tcp4(5, None, 1, 2), 100),
        None
    );
    let fragment = ethernet(0x0800, &ipv4(17, &UDP_1234_53, None, 1));
    assert_eq!(
        fast::ethernet_tcp_udp::<false>(&fragment, fragment.len() as u32),
        None
    );
    let short = ethernet(0x0800, &ipv4(17, &UDP_1234_53, Some(22), 0));
    assert_eq!(
        fast::ethernet_tcp_udp::<false>(&short, short.len() as u32),
        None
    );
}

/// Found by fuzzing (fuzz/regressions/decode/): nesting as deep as a
/// 256 KiB frame allows overflowed the stack of a reading thread.
#[test]
fn deep_link_layer_nesting_does_not_exhaust_the_stack() {
    const MAX_FRAME: usize = crate::capture::MAX_CAPTURED_LEN as usize;
    let udp = ipv4(17, &UDP_1234_53, None, 0);
    let ports_udp = PacketInfo::ports(Transport::Udp, 1234, 53);
    // 802.1Q tags as many as fit, then IPv4: tags are followed in a loop
    // (and past tshark's 20 nested 802.1Q tags the frame is non-IP).
    let tags = (MAX_FRAME - 14 - udp.len()) / 4;
    let mut tagged = ethernet(0x8100, &[]);
    for _ in 1..tags {
        tagged.extend([0, 1, 0x81, 0]);
    }
    tagged.extend([0, 1, 0x08, 0]);
    tagged.extend(&udp);
    // Ethernet pseudowires inside MPLS, `depth` deep, then IPv4.
    let inner = udp.clone();
    let pseudowires = move |depth: usize| {
        let mut frame = ethernet(0x8847, &[]);
        for _ in 1..depth {
            frame.extend([0, 0, 1, 64]);
            frame.extend(ethernet(0x8847, &[]));
        }
        frame.extend([0, 0, 1, 64]);
        frame.extend(ethernet(0x0800, &inner));
        frame
    };
    let deepest = pseudowires((MAX_FRAME - 14 - udp.len()) / 18);
    let limit = usize::from(link::MAX_PSEUDOWIRES);
    // In a thread with a small stack, as the readers of several inputs are.
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            assert_eq!(
                whole(LinkType::ETHERNET, &tagged),
                PacketInfo::plain(Category::NonIp)
            );
            assert_eq!(
                whole(LinkType::ETHERNET, &deepest),
                PacketInfo::plain(Category::NonIp)
            );
            // tshark 4.0.17 gives up past 99 plain Ethernet pseudowires (its
            // limit of 500 protocol layers).
            let at_limit = whole(LinkType::ETHERNET, &pseudowires(limit));
            assert_eq!(at_limit.transport_ports(), ports_udp.transport_ports());
            let past_limit = whole(LinkType::ETHERNET, &pseudowires(limit + 1));
            assert_eq!(past_limit, PacketInfo::plain(Category::NonIp));
        })
        .expect("spawn")
        .join()
        .expect("no stack overflow");
}
