//! Decapsulation (`decode_with` with decap on): golden frames for every
//! tunnel kind (inner packets built with etherparse's `PacketBuilder`, outer
//! headers by hand), headers that do not check out staying undecapsulated,
//! damaged inner packets, nesting and its limit, every cut length, arbitrary
//! bytes behind tunnel headers, and the `fixtures/decap.pcap` fixture.

use super::*;
use crate::capture::CaptureReader;

const DECAP: DecodeOptions = DecodeOptions { decap: true };

/// The inner packets' addresses (the outer ones are `V4_A`/`V4_B`,
/// `V6_A`/`V6_B`).
const IN4_A: [u8; 4] = [192, 0, 2, 100];
const IN4_B: [u8; 4] = [198, 51, 100, 200];
const IN6_A: [u8; 16] = [
    0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a,
];
const IN6_B: [u8; 16] = [
    0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b,
];
const INNER_MAC_A: [u8; 6] = [0x02, 0, 0, 0, 0xaa, 1];
const INNER_MAC_B: [u8; 6] = [0x02, 0, 0, 0, 0xbb, 2];
/// The inner client port.
const CLIENT: u16 = 50000;
const SYN: u8 = 0x02;

fn with_decap(frame: &[u8], orig_len: u32) -> PacketInfo {
    decode_with(LinkType::ETHERNET, frame, orig_len, 0, DECAP)
}

fn decap(frame: &[u8]) -> PacketInfo {
    with_decap(frame, frame.len() as u32)
}

/// Serializes a finished `PacketBuilderStep` with an empty payload.
macro_rules! build {
    ($builder:expr) => {{
        let builder = $builder;
        let mut out = Vec::with_capacity(builder.size(0));
        builder.write(&mut out, &[]).expect("build");
        out
    }};
}

/// Inner IPv4 TCP SYN `CLIENT` → `dst`.
fn tcp4(dst: u16) -> Vec<u8> {
    build!(
        PacketBuilder::ipv4(IN4_A, IN4_B, 64)
            .tcp(CLIENT, dst, 1, 1024)
            .syn()
    )
}

/// Inner IPv4 UDP `CLIENT` → `dst`.
fn udp4(dst: u16) -> Vec<u8> {
    build!(PacketBuilder::ipv4(IN4_A, IN4_B, 64).udp(CLIENT, dst))
}

/// Inner IPv6 TCP SYN `CLIENT` → `dst`.
fn tcp6(dst: u16) -> Vec<u8> {
    build!(
        PacketBuilder::ipv6(IN6_A, IN6_B, 64)
            .tcp(CLIENT, dst, 1, 1024)
            .syn()
    )
}

/// Inner IPv6 UDP `CLIENT` → `dst`.
fn udp6(dst: u16) -> Vec<u8> {
    build!(PacketBuilder::ipv6(IN6_A, IN6_B, 64).udp(CLIENT, dst))
}

/// An inner Ethernet frame around an IP packet.
fn inner_ethernet(ethertype: u16, ip: &[u8]) -> Vec<u8> {
    let mut frame = Vec::from(INNER_MAC_B);
    frame.extend(INNER_MAC_A);
    frame.extend(ethertype.to_be_bytes());
    frame.extend(ip);
    frame
}

/// A UDP header (length from the payload, no checksum) and its payload.
fn udp(src: u16, dst: u16, payload: &[u8]) -> Vec<u8> {
    let mut d = src.to_be_bytes().to_vec();
    d.extend(dst.to_be_bytes());
    d.extend((8 + payload.len() as u16).to_be_bytes());
    d.extend([0, 0]);
    d.extend(payload);
    d
}

/// A GRE header with `flags` (each of C, K, S adds a word) and `protocol`.
fn gre(flags: u8, protocol: u16, payload: &[u8]) -> Vec<u8> {
    let mut g = vec![flags, 0];
    g.extend(protocol.to_be_bytes());
    for (flag, word) in [
        (0x80, [0xab, 0xcd, 0, 0]),
        (0x20, [0, 0, 0, 42]),
        (0x10, [0, 0, 0, 7]),
    ] {
        if flags & flag != 0 {
            g.extend(word);
        }
    }
    g.extend(payload);
    g
}

/// A VXLAN header (VNI 5001) with `flags`.
fn vxlan(flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![flags, 0, 0, 0, 0x00, 0x13, 0x89, 0];
    v.extend(payload);
    v
}

/// A Geneve header (VNI 5002) with `options` (a multiple of 4 bytes).
fn geneve(version: u8, protocol: u16, options: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut g = vec![(version << 6) | (options.len() / 4) as u8, 0];
    g.extend(protocol.to_be_bytes());
    g.extend([0, 0x13, 0x8a, 0]);
    g.extend(options);
    g.extend(payload);
    g
}

/// A Geneve option: class 0x0102, type 0x80, 4 bytes of data.
const GENEVE_OPTION: [u8; 8] = [0x01, 0x02, 0x80, 0x01, 1, 2, 3, 4];

/// A GTP-U header (TEID 0x1234) with `flags` and message type `message`;
/// `after` (the optional word and extension headers) counts in the length.
fn gtp_u(flags: u8, message: u8, after: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut g = vec![flags, message];
    g.extend(((after.len() + payload.len()) as u16).to_be_bytes());
    g.extend([0, 0, 0x12, 0x34]);
    g.extend(after);
    g.extend(payload);
    g
}

/// GTP-U flags: version 1, PT 1.
const GTP_V1: u8 = 0x30;

/// A Teredo origin indication (port and address obfuscated).
const TEREDO_ORIGIN: [u8; 8] = [0, 0, 0xf2, 0x3d, 0x3f, 0xff, 0x8e, 0xfe];

/// A Teredo authentication indicator with a 2-byte client id and a 4-byte
/// authentication value.
fn teredo_auth() -> Vec<u8> {
    let mut a = vec![0, 1, 2, 4, b'i', b'd', 1, 2, 3, 4];
    a.extend([9; 8]); // nonce
    a.push(0); // confirmation
    a
}

fn eth4(protocol: u8, payload: &[u8]) -> Vec<u8> {
    ethernet(0x0800, &ipv4(protocol, payload, None, 0))
}

fn eth6(next: u8, payload: &[u8]) -> Vec<u8> {
    ethernet(0x86dd, &ipv6(next, payload, None))
}

/// What decap gives for an inner packet of the builders above.
fn inner(tunnel: Tunnel, transport: Transport, dst: u16, v6: bool) -> PacketInfo {
    let (a, b) = if v6 {
        (IpAddr::from(IN6_A), IpAddr::from(IN6_B))
    } else {
        (IpAddr::from(IN4_A), IpAddr::from(IN4_B))
    };
    PacketInfo {
        tcp_flags: (transport == Transport::Tcp).then_some(SYN),
        tunnel: Some(tunnel),
        ..PacketInfo::ports(transport, CLIENT, dst).with_addresses(a, b)
    }
}

/// Every tunnel kind, its variants, and where it may sit.
fn golden() -> Vec<(&'static str, Vec<u8>, PacketInfo)> {
    use Transport::{Tcp, Udp};
    let ethernet_in = |ip: &[u8], v6: bool| inner_ethernet(if v6 { 0x86dd } else { 0x0800 }, ip);
    vec![
        (
            "GRE, IPv4",
            eth4(47, &gre(0, 0x0800, &tcp4(443))),
            inner(Tunnel::Gre, Tcp, 443, false),
        ),
        (
            "GRE with checksum, key and sequence, IPv6",
            eth4(47, &gre(0xb0, 0x86dd, &udp6(53))),
            inner(Tunnel::Gre, Udp, 53, true),
        ),
        (
            "GRE with key, transparent Ethernet",
            eth4(47, &gre(0x20, 0x6558, &ethernet_in(&tcp4(22), false))),
            inner(Tunnel::Gre, Tcp, 22, false),
        ),
        (
            "GRE over IPv6",
            eth6(47, &gre(0x10, 0x0800, &udp4(123))),
            inner(Tunnel::Gre, Udp, 123, false),
        ),
        (
            "IPv4 in IPv4",
            eth4(4, &udp4(123)),
            inner(Tunnel::Ipip, Udp, 123, false),
        ),
        (
            "IPv4 in IPv6",
            eth6(4, &tcp4(80)),
            inner(Tunnel::Ipip, Tcp, 80, false),
        ),
        (
            "IPv6 in IPv6",
            eth6(41, &tcp6(443)),
            inner(Tunnel::Ipip, Tcp, 443, true),
        ),
        (
            "6in4",
            eth4(41, &udp6(53)),
            inner(Tunnel::SixInFour, Udp, 53, true),
        ),
        (
            "6in4 behind IPv4 AH",
            eth4(51, &[vec![41, 4], vec![0; 22], tcp6(443)].concat()),
            inner(Tunnel::SixInFour, Tcp, 443, true),
        ),
        (
            "VXLAN",
            eth4(
                17,
                &udp(54789, 4789, &vxlan(0x08, &ethernet_in(&tcp4(443), false))),
            ),
            inner(Tunnel::Vxlan, Tcp, 443, false),
        ),
        (
            "VXLAN over IPv6 behind hop-by-hop, inner IPv6",
            eth6(
                0,
                &[
                    options_header(17),
                    udp(54789, 4789, &vxlan(0x08, &ethernet_in(&udp6(53), true))),
                ]
                .concat(),
            ),
            inner(Tunnel::Vxlan, Udp, 53, true),
        ),
        (
            "VXLAN in a VLAN",
            ethernet(
                0x8100,
                &[
                    vec![0, 7, 0x08, 0x00],
                    ipv4(
                        17,
                        &udp(54789, 4789, &vxlan(0x08, &ethernet_in(&tcp4(22), false))),
                        None,
                        0,
                    ),
                ]
                .concat(),
            ),
            inner(Tunnel::Vxlan, Tcp, 22, false),
        ),
        (
            "Geneve with an option, Ethernet",
            eth4(
                17,
                &udp(
                    56081,
                    6081,
                    &geneve(0, 0x6558, &GENEVE_OPTION, &ethernet_in(&udp4(53), false)),
                ),
            ),
            inner(Tunnel::Geneve, Udp, 53, false),
        ),
        (
            "Geneve, IPv4",
            eth4(17, &udp(56081, 6081, &geneve(0, 0x0800, &[], &tcp4(443)))),
            inner(Tunnel::Geneve, Tcp, 443, false),
        ),
        (
            "Geneve over IPv6, IPv6",
            eth6(
                17,
                &udp(56081, 6081, &geneve(0, 0x86dd, &GENEVE_OPTION, &tcp6(80))),
            ),
            inner(Tunnel::Geneve, Tcp, 80, true),
        ),
        (
            "GTP-U, IPv4",
            eth4(17, &udp(2152, 2152, &gtp_u(GTP_V1, 0xff, &[], &tcp4(443)))),
            inner(Tunnel::GtpU, Tcp, 443, false),
        ),
        (
            "GTP-U with a sequence number, IPv6, from port 2152",
            eth4(
                17,
                &udp(
                    2152,
                    40000,
                    &gtp_u(GTP_V1 | 0x02, 0xff, &[0, 9, 0, 0], &udp6(53)),
                ),
            ),
            inner(Tunnel::GtpU, Udp, 53, true),
        ),
        (
            "GTP-U with a PDU session container",
            eth4(
                17,
                &udp(
                    40000,
                    2152,
                    &gtp_u(
                        GTP_V1 | 0x04,
                        0xff,
                        &[0, 0, 0, 0x85, 1, 0x10, 9, 0],
                        &udp4(123),
                    ),
                ),
            ),
            inner(Tunnel::GtpU, Udp, 123, false),
        ),
        (
            "GTP-U with two chained extension headers",
            eth6(
                17,
                &udp(
                    2152,
                    2152,
                    &gtp_u(
                        GTP_V1 | 0x04,
                        0xff,
                        &[
                            [0, 0, 0, 0x85],
                            [1, 0x10, 9, 0x40],
                            [2, 1, 2, 3],
                            [4, 5, 6, 0],
                        ]
                        .concat(),
                        &tcp6(22),
                    ),
                ),
            ),
            inner(Tunnel::GtpU, Tcp, 22, true),
        ),
        (
            "Teredo",
            eth4(17, &udp(3544, 61000, &tcp6(80))),
            inner(Tunnel::Teredo, Tcp, 80, true),
        ),
        (
            "Teredo with an origin indication",
            eth4(
                17,
                &udp(61000, 3544, &[TEREDO_ORIGIN.to_vec(), udp6(123)].concat()),
            ),
            inner(Tunnel::Teredo, Udp, 123, true),
        ),
        (
            "Teredo with authentication and origin indication",
            eth4(
                17,
                &udp(
                    3544,
                    61000,
                    &[teredo_auth(), TEREDO_ORIGIN.to_vec(), tcp6(443)].concat(),
                ),
            ),
            inner(Tunnel::Teredo, Tcp, 443, true),
        ),
        (
            "VXLAN inside GRE: the outermost tunnel",
            eth4(
                47,
                &gre(
                    0,
                    0x0800,
                    &ipv4(
                        17,
                        &udp(54789, 4789, &vxlan(0x08, &ethernet_in(&tcp4(443), false))),
                        None,
                        0,
                    ),
                ),
            ),
            inner(Tunnel::Gre, Tcp, 443, false),
        ),
        (
            "Teredo inside GTP-U inside 6in4",
            eth4(
                41,
                &ipv6(
                    17,
                    &udp(
                        2152,
                        2152,
                        &gtp_u(
                            GTP_V1,
                            0xff,
                            &[],
                            &ipv4(17, &udp(3544, 61000, &udp6(53)), None, 0),
                        ),
                    ),
                    None,
                ),
            ),
            inner(Tunnel::SixInFour, Udp, 53, true),
        ),
    ]
}

#[test]
fn every_tunnel_kind_is_entered() {
    let mut kinds = std::collections::BTreeSet::new();
    for (name, frame, expected) in golden() {
        let info = decap(&frame);
        assert_eq!(info, expected, "{name}");
        kinds.extend(info.tunnel);
        // Without decap: the outer packet, no tunnel.
        let plain = whole(LinkType::ETHERNET, &frame);
        assert_eq!(plain.tunnel, None, "{name}");
        assert_eq!(
            decode_with(
                LinkType::ETHERNET,
                &frame,
                frame.len() as u32,
                0,
                DecodeOptions::default()
            ),
            plain,
            "{name}"
        );
        assert!(
            matches!(plain.category, Category::OtherIp | Category::Udp),
            "{name}: {plain:?}"
        );
    }
    assert_eq!(kinds.len(), Tunnel::ALL.len(), "{kinds:?}");
}

/// Frames whose tunnel header does not check out (or that are no tunnel):
/// with decap, exactly the summary without.
#[test]
fn headers_that_do_not_check_out_stay_undecapsulated() {
    let eth_tcp = inner_ethernet(0x0800, &tcp4(443));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "VXLAN without the I flag",
            eth4(17, &udp(54789, 4789, &vxlan(0x00, &eth_tcp))),
        ),
        (
            "VXLAN from port 4789",
            eth4(17, &udp(4789, 54789, &vxlan(0x08, &eth_tcp))),
        ),
        (
            "VXLAN header cut",
            eth4(17, &udp(54789, 4789, &vxlan(0x08, &[])[..7])),
        ),
        ("UDP length below 8", {
            let mut d = udp(54789, 4789, &vxlan(0x08, &eth_tcp));
            d[4..6].copy_from_slice(&7u16.to_be_bytes());
            eth4(17, &d)
        }),
        ("UDP header cut", eth4(17, &udp(54789, 4789, &[])[..6])),
        (
            "GRE version 1 (PPTP)",
            eth4(47, &[0x30, 0x01, 0x88, 0x0b, 0, 4, 0, 1, 0, 0, 0, 1]),
        ),
        ("GRE with routing", eth4(47, &gre(0x40, 0x0800, &tcp4(443)))),
        (
            "GRE carrying MPLS",
            eth4(
                47,
                &gre(0, 0x8847, &[[0, 0, 1, 64].to_vec(), udp4(53)].concat()),
            ),
        ),
        ("GRE carrying 0x88b5", eth4(47, &gre(0, 0x88b5, &[0; 32]))),
        ("GRE key cut", eth4(47, &gre(0x20, 0x0800, &[])[..6])),
        ("GRE header cut", eth4(47, &[0, 0, 8])),
        ("IP-in-IP holding IPv6", eth4(4, &tcp6(443))),
        ("IP-in-IP with nothing", eth6(4, &[])),
        ("protocol 41 holding IPv4", eth4(41, &tcp4(443))),
        (
            "Geneve version 1",
            eth4(17, &udp(56081, 6081, &geneve(1, 0x0800, &[], &tcp4(443)))),
        ),
        (
            "Geneve carrying 0x88b5",
            eth4(17, &udp(56081, 6081, &geneve(0, 0x88b5, &[], &[0; 20]))),
        ),
        ("Geneve options longer than the frame", {
            let mut g = geneve(0, 0x0800, &[], &tcp4(443));
            g[0] = 0x3f;
            eth4(17, &udp(56081, 6081, &g))
        }),
        (
            "GTP-U echo request",
            eth4(17, &udp(2152, 2152, &gtp_u(GTP_V1, 1, &[], &tcp4(443)))),
        ),
        (
            "GTPv2-C",
            eth4(17, &udp(2152, 2152, &gtp_u(0x48, 0xff, &[], &tcp4(443)))),
        ),
        (
            "GTP' (PT 0)",
            eth4(17, &udp(2152, 2152, &gtp_u(0x20, 0xff, &[], &tcp4(443)))),
        ),
        (
            "GTP-U extension header of length 0",
            eth4(
                17,
                &udp(
                    2152,
                    2152,
                    &gtp_u(
                        GTP_V1 | 0x04,
                        0xff,
                        &[0, 0, 0, 0x85, 0, 0, 0, 0],
                        &tcp4(443),
                    ),
                ),
            ),
        ),
        (
            "GTP-U extension chain past the data",
            eth4(
                17,
                &udp(
                    2152,
                    2152,
                    &gtp_u(GTP_V1 | 0x04, 0xff, &[0, 0, 0, 0x85, 1, 0x10, 9, 0x85], &[]),
                ),
            ),
        ),
        (
            "GTP-U optional word past its length",
            eth4(
                17,
                &udp(2152, 2152, &gtp_u(GTP_V1 | 0x02, 0xff, &[0, 9], &[])),
            ),
        ),
        (
            "GTP-U carrying no IP",
            eth4(17, &udp(2152, 2152, &gtp_u(GTP_V1, 0xff, &[], &[0x50; 24]))),
        ),
        (
            "GTP-U with nothing inside",
            eth4(17, &udp(2152, 2152, &gtp_u(GTP_V1, 0xff, &[], &[]))),
        ),
        (
            "Teredo port carrying IPv4",
            eth4(17, &udp(3544, 61000, &tcp4(443))),
        ),
        (
            "Teredo authentication cut",
            eth4(17, &udp(3544, 61000, &teredo_auth()[..12])),
        ),
        (
            "Teredo origin only",
            eth4(17, &udp(3544, 61000, &TEREDO_ORIGIN)),
        ),
        ("DNS is no tunnel", eth4(17, &udp(CLIENT, 53, &udp6(53)))),
        (
            "non-first fragment of the outer packet",
            ethernet(0x0800, &ipv4(47, &gre(0, 0x0800, &tcp4(443)), None, 0x2010)),
        ),
        (
            "non-first IPv6 fragment of the outer packet",
            eth6(
                44,
                &[fragment_header(47, 5, false), gre(0, 0x0800, &tcp4(443))].concat(),
            ),
        ),
    ];
    for (name, frame) in cases {
        let plain = whole(LinkType::ETHERNET, &frame);
        let info = decap(&frame);
        assert_eq!(info, plain, "{name}");
        assert_eq!(info.tunnel, None, "{name}");
    }
}

/// Once the tunnel header checks out, the inner packet's summary is the
/// frame's, damaged or not.
#[test]
fn damaged_inner_packets_give_their_own_summary() {
    let arp = inner_ethernet(0x0806, &[0; 28]);
    let vx = |inner: &[u8]| eth4(17, &udp(54789, 4789, &vxlan(0x08, inner)));
    assert_eq!(
        decap(&vx(&arp)),
        PacketInfo {
            tunnel: Some(Tunnel::Vxlan),
            ..PacketInfo::plain(Category::NonIp)
        }
    );
    assert_eq!(
        decap(&vx(&arp[..10])),
        PacketInfo {
            tunnel: Some(Tunnel::Vxlan),
            ..PacketInfo::problem(Category::NonIp, DecodeProblem::LinkHeaderTruncated)
        }
    );
    // Inner IPv4 announcing TCP with 2 bytes of it.
    let cut_tcp = &tcp4(443)[..22];
    let info = decap(&eth4(47, &gre(0, 0x0800, cut_tcp)));
    assert_eq!(
        (info.category, info.problem, info.tunnel),
        (
            Category::Truncated,
            Some(DecodeProblem::PortsTruncated),
            Some(Tunnel::Gre)
        )
    );
    // GRE announcing IPv4 with nothing after it: the inner header is cut.
    let info = decap(&eth4(47, &gre(0, 0x0800, &[])));
    assert_eq!(
        (info.category, info.problem, info.tunnel),
        (
            Category::OtherIp,
            Some(DecodeProblem::IpHeaderTruncated),
            Some(Tunnel::Gre)
        )
    );
    // The snap length cuts the inner ports: truncated, and the wire length
    // still says there was more.
    let frame = vx(&inner_ethernet(0x0800, &udp4(53)));
    let info = with_decap(&frame[..frame.len() - 6], frame.len() as u32);
    assert_eq!(
        (info.category, info.tunnel),
        (Category::Truncated, Some(Tunnel::Vxlan))
    );
}

#[test]
fn inner_fragments_carry_the_inner_identity() {
    let inner_addresses = Some((IpAddr::from(V4_A), IpAddr::from(V4_B)));
    // GTP-U carrying a non-first IPv4 fragment (ipv4(): id 1, V4_A → V4_B),
    // inside an outer IPv6 packet.
    let fragment = ipv4(17, &[0; 16], None, 0x0002);
    let info = decap(&eth6(
        17,
        &udp(2152, 2152, &gtp_u(GTP_V1, 0xff, &[], &fragment)),
    ));
    assert_eq!(info.category, Category::Fragment);
    assert_eq!(info.tunnel, Some(Tunnel::GtpU));
    assert_eq!(info.addresses, inner_addresses);
    assert_eq!(
        info.fragment,
        Some(FragmentInfo {
            id: 1,
            protocol: 17,
            first: false,
            more: false,
        })
    );
    // GRE carrying an inner first fragment: ports and identity.
    let first = ipv4(17, &UDP_1234_53, None, 0x2000);
    let info = decap(&eth6(47, &gre(0, 0x0800, &first)));
    assert_eq!(info.transport_ports(), Some((Transport::Udp, 1234, 53)));
    assert_eq!(info.fragment.map(|f| (f.first, f.more)), Some((true, true)));
    // An outer first fragment is entered; the inner packet has no fragment
    // of its own.
    let outer_first = ethernet(0x0800, &ipv4(47, &gre(0, 0x0800, &tcp4(443)), None, 0x2000));
    assert_eq!(
        decap(&outer_first),
        inner(Tunnel::Gre, Transport::Tcp, 443, false)
    );
    assert!(whole(LinkType::ETHERNET, &outer_first).fragment.is_some());
}

/// IPv4 in IPv4 `layers` deep around an inner UDP packet.
fn ipip(layers: usize) -> Vec<u8> {
    let mut ip = udp4(53);
    for _ in 0..layers {
        ip = ipv4(4, &ip, None, 0);
    }
    ethernet(0x0800, &ip)
}

#[test]
fn nesting_stops_after_max_tunnels() {
    let max = usize::from(tunnel::MAX_TUNNELS);
    for layers in 1..=max {
        assert_eq!(
            decap(&ipip(layers)),
            inner(Tunnel::Ipip, Transport::Udp, 53, false),
            "{layers} tunnels"
        );
    }
    // One more: the packet reached after MAX_TUNNELS is summarised as is.
    let info = decap(&ipip(max + 1));
    assert_eq!(
        info,
        PacketInfo {
            tunnel: Some(Tunnel::Ipip),
            ..PacketInfo::plain(Category::OtherIp).with_addresses(V4_A.into(), V4_B.into())
        }
    );
}

#[test]
fn deepest_nesting_does_not_exhaust_the_stack() {
    // 99 Ethernet pseudowires (the link layer's limit) inside 4 VXLANs.
    let mut frame = inner_ethernet(0x8847, &[]);
    for _ in 1..link::MAX_PSEUDOWIRES {
        frame.extend([0, 0, 1, 64]);
        frame.extend(inner_ethernet(0x8847, &[]));
    }
    frame.extend([0, 0, 1, 64]);
    frame.extend(inner_ethernet(0x0800, &udp4(53)));
    for _ in 0..tunnel::MAX_TUNNELS {
        frame = eth4(17, &udp(54789, 4789, &vxlan(0x08, &frame)));
    }
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            assert_eq!(
                decap(&frame),
                inner(Tunnel::Vxlan, Transport::Udp, 53, false)
            );
        })
        .expect("spawn")
        .join()
        .expect("no stack overflow");
}

/// The invariants of any summary, and: a frame not decapsulated gets exactly
/// the summary without decap.
fn check(frame: &[u8], orig_len: u32) -> Result<PacketInfo, TestCaseError> {
    let info = with_decap(frame, orig_len);
    let plain = decode(LinkType::ETHERNET, frame, orig_len, 0);
    if info.tunnel.is_none() {
        prop_assert_eq!(info, plain);
    }
    if info.category.transport().is_some() {
        prop_assert_eq!(info.problem, None);
    } else {
        prop_assert_eq!((info.src_port, info.dst_port, info.tcp_flags), (0, 0, None));
    }
    if info.category == Category::Truncated {
        prop_assert_eq!(info.problem, Some(DecodeProblem::PortsTruncated));
    }
    Ok(info)
}

#[test]
fn tunnelled_frames_cut_at_every_length() {
    for (name, frame, expected) in golden() {
        let len = frame.len() as u32;
        for cut in 0..=frame.len() {
            // Cut by the snap length, and a frame that simply ends there.
            for orig in [len, cut as u32] {
                let info =
                    check(&frame[..cut], orig).unwrap_or_else(|e| panic!("{name} cut {cut}: {e}"));
                if cut == frame.len() {
                    assert_eq!(info, expected, "{name}");
                }
            }
        }
    }
}

proptest! {
    /// Arbitrary bytes behind every tunnel's outer headers: never a panic,
    /// and the invariants of `check`.
    #[test]
    fn arbitrary_bytes_behind_tunnel_headers(
        tail in proptest::collection::vec(any::<u8>(), 0..120),
        kind in 0usize..9,
        version_nibble in proptest::sample::select(vec![None, Some(0x40u8), Some(0x60)]),
        snapped in 0usize..40,
    ) {
        let mut tail = tail;
        if let (Some(v), Some(first)) = (version_nibble, tail.first_mut()) {
            *first = v | (*first & 0x0f);
        }
        let frame = match kind {
            0 => eth4(47, &[[0, 0, 0x08, 0x00].as_slice(), &tail].concat()),
            1 => eth4(47, &[[0xb0, 0, 0x65, 0x58].as_slice(), &tail].concat()),
            2 => eth4(4, &tail),
            3 => eth6(41, &tail),
            4 => eth4(17, &udp(1, 4789, &[[0x08, 0, 0, 0, 0, 0, 1, 0].as_slice(), &tail].concat())),
            5 => eth6(17, &udp(1, 6081, &[[0x01, 0, 0x65, 0x58, 0, 0, 1, 0].as_slice(), &tail].concat())),
            6 => eth4(17, &udp(2152, 1, &[[0x34, 0xff, 0, 0, 0, 0, 0, 1].as_slice(), &tail].concat())),
            7 => eth4(17, &udp(1, 3544, &tail)),
            _ => eth4(17, &udp(2152, 2152, &gtp_u(GTP_V1 | 0x07, 0xff, &tail, &[]))),
        };
        let len = frame.len() as u32;
        let cut = frame.len().saturating_sub(snapped);
        check(&frame, len)?;
        check(&frame[..cut], len)?;
    }
}

/// `fixtures/decap.pcap` (see fixtures/README.md): each frame's summary with
/// decap, as tshark sees the inner packet, and without.
#[test]
fn decap_fixture_frames() {
    use Category::{NonIp, OtherIp, Tcp, Udp};
    type Row = (Option<Tunnel>, Category, u16, u16, Category);
    // (tunnel, category with decap, src port, dst port, category without)
    let table: [Row; 18] = [
        (Some(Tunnel::Gre), Tcp, 50001, 443, OtherIp),
        (Some(Tunnel::Gre), Udp, 50002, 53, OtherIp),
        (Some(Tunnel::Gre), Tcp, 50003, 22, OtherIp),
        (Some(Tunnel::Ipip), Udp, 50004, 123, OtherIp),
        (Some(Tunnel::Ipip), Tcp, 50005, 80, OtherIp),
        (Some(Tunnel::Ipip), Tcp, 50006, 443, OtherIp),
        (Some(Tunnel::SixInFour), Tcp, 50007, 22, OtherIp),
        (Some(Tunnel::Vxlan), Tcp, 50008, 443, Udp),
        (Some(Tunnel::Geneve), Udp, 50009, 53, Udp),
        (Some(Tunnel::Geneve), Tcp, 50010, 443, Udp),
        (Some(Tunnel::GtpU), Tcp, 50011, 443, Udp),
        (Some(Tunnel::GtpU), Udp, 50012, 53, Udp),
        (Some(Tunnel::Teredo), Tcp, 50013, 80, Udp),
        (Some(Tunnel::Teredo), Udp, 50014, 123, Udp),
        (Some(Tunnel::Gre), Tcp, 50015, 443, OtherIp),
        (None, Udp, 54789, 4789, Udp),
        (None, OtherIp, 0, 0, OtherIp),
        (Some(Tunnel::Vxlan), NonIp, 0, 0, Udp),
    ];
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/decap.pcap");
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut reader =
        CaptureReader::from_reader(std::io::Cursor::new(bytes), "decap.pcap").expect("a pcap");
    let mut rows = table.iter();
    let mut number = 0;
    while let Some(frame) = reader.next_frame().expect("readable") {
        number += 1;
        let &(tunnel, category, src, dst, plain_category) = rows
            .next()
            .unwrap_or_else(|| panic!("frame {number}: not in the table"));
        let info = decode_with(
            frame.link_type,
            frame.data,
            frame.orig_len,
            frame.fcs_len,
            DECAP,
        );
        assert_eq!(
            (info.tunnel, info.category, info.src_port, info.dst_port),
            (tunnel, category, src, dst),
            "frame {number}: {info:?}"
        );
        if tunnel.is_some() && category != NonIp {
            assert!(info.addresses.is_some(), "frame {number}: {info:?}");
        }
        let plain = decode(frame.link_type, frame.data, frame.orig_len, frame.fcs_len);
        assert_eq!(plain.category, plain_category, "frame {number}: {plain:?}");
        assert_eq!(plain.tunnel, None);
    }
    assert_eq!(number, table.len());
}
