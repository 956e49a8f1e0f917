//! Decoder tests: packets built with etherparse's `PacketBuilder` sliced back
//! (properties), every cut length (no panic, and ports exactly when the four
//! port bytes are there), and golden frames whose expected category was
//! checked against tshark 4.0.17 one by one.

use super::*;
use etherparse::{PacketBuilder, VlanId};
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
    assert_eq!(
        whole(LinkType::ETHERNET, &eth_tcp6(51234, 443, b"")),
        PacketInfo::ports(Transport::Tcp, 51234, 443).with_addresses(v6.0, v6.1)
    );
    assert_eq!(
        whole(LinkType::ETHERNET, &vlan_tcp4(5, None, 40000, 80)),
        PacketInfo::ports(Transport::Tcp, 40000, 80).with_addresses(v4.0, v4.1)
    );
    assert_eq!(
        whole(LinkType::ETHERNET, &vlan_tcp4(100, Some(200), 40000, 80)),
        PacketInfo::ports(Transport::Tcp, 40000, 80).with_addresses(v4.0, v4.1)
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
        (LinkType(285), ip4.clone(), Category::NonIp),
    ];
    for (link, frame, expected) in cases {
        let info = whole(link, &frame);
        assert_eq!(
            info.category, expected,
            "link {link:?} frame {frame:02x?}: {info:?}"
        );
    }
    assert_eq!(
        whole(LinkType(285), &ip4).problem,
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
    /// The fast path answers exactly as the general decoder does, or not at
    /// all: on Ethernet frames whose first bytes are forced towards the fast
    /// path's cases, and on arbitrary ones.
    #[test]
    fn fast_path_agrees_with_the_general_decoder(
        mut bytes in proptest::collection::vec(any::<u8>(), 0..80),
        ethertype in proptest::sample::select(vec![0x0800u16, 0x86dd, 0x8100]),
        version_ihl in proptest::sample::select(vec![0x45u8, 0x46, 0x65, 0x60, 0x44]),
        protocol in proptest::sample::select(vec![6u8, 17, 132, 1, 0, 44]),
        small_lengths in proptest::bool::ANY,
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
        }
        let len = bytes.len() as u32;
        for orig in [len, len + orig_extra, len.saturating_sub(orig_less)] {
            if let Some(fast) = fast::ethernet_tcp_udp(&bytes, orig) {
                prop_assert_eq!(fast, decode_general(LinkType::ETHERNET, &bytes, orig, 0));
            }
            prop_assert_eq!(
                decode(LinkType::ETHERNET, &bytes, orig, 0),
                decode_general(LinkType::ETHERNET, &bytes, orig, 0)
            );
        }
    }
}

#[test]
fn typical_frames_take_the_fast_path_and_odd_ones_do_not() {
    let udp4 = eth_udp4(5353, 53, b"query");
    let tcp6 = eth_tcp6(51234, 443, b"");
    for frame in [&udp4, &tcp6] {
        assert_eq!(
            fast::ethernet_tcp_udp(frame, frame.len() as u32),
            Some(decode_general(
                LinkType::ETHERNET,
                frame,
                frame.len() as u32,
                0
            ))
        );
    }
    // Tagged, fragmented, or cut inside the ports: the general decoder.
    assert_eq!(fast::ethernet_tcp_udp(&vlan_tcp4(5, None, 1, 2), 100), None);
    let fragment = ethernet(0x0800, &ipv4(17, &UDP_1234_53, None, 1));
    assert_eq!(
        fast::ethernet_tcp_udp(&fragment, fragment.len() as u32),
        None
    );
    let short = ethernet(0x0800, &ipv4(17, &UDP_1234_53, Some(22), 0));
    assert_eq!(fast::ethernet_tcp_udp(&short, short.len() as u32), None);
}

/// Found by fuzzing (fuzz/regressions/decode/): nesting as deep as a
/// 256 KiB frame allows overflowed the stack of a reading thread.
#[test]
fn deep_link_layer_nesting_does_not_exhaust_the_stack() {
    const MAX_FRAME: usize = crate::capture::MAX_CAPTURED_LEN as usize;
    let udp = ipv4(17, &UDP_1234_53, None, 0);
    let ports_udp = PacketInfo::ports(Transport::Udp, 1234, 53);
    // 802.1Q tags as many as fit, then IPv4: tags are followed in a loop.
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
                whole(LinkType::ETHERNET, &tagged).transport_ports(),
                ports_udp.transport_ports()
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
