//! Tags and shims between an EtherType and IP (`tags.rs`), the 802.1Q
//! limits, 802.3 lengths and the DSA link types: golden frames whose
//! category was checked against tshark 4.0.17 one by one (the DSA link
//! types against tcpdump 4.99.3), every cut length, nesting as deep as a
//! frame allows, and the `fixtures/ethertypes.pcap` and
//! `fixtures/link-dsa-*.pcap` fixtures.

use super::*;
use crate::capture::CaptureReader;

/// `ethertype` and what it announces, without an Ethernet header.
fn typed(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    [&ethertype.to_be_bytes()[..], payload].concat()
}

/// An Ethernet frame whose type field and payload are `inner` (a [`typed`]).
fn frame(inner: &[u8]) -> Vec<u8> {
    [&MAC_B[..], &MAC_A[..], inner].concat()
}

fn udp4() -> Vec<u8> {
    typed(0x0800, &ipv4(17, &UDP_1234_53, None, 0))
}

fn udp6() -> Vec<u8> {
    typed(0x86dd, &ipv6(17, &UDP_1234_53, None))
}

fn vlan(inner: &[u8]) -> Vec<u8> {
    typed(0x8100, &[&[0, 5][..], inner].concat())
}

/// MACsec with SecTAG `tci`, the SCI when the SC bit is set, and an ICV.
fn macsec(tci: u8, inner: &[u8]) -> Vec<u8> {
    let mut tag = vec![tci, 0, 0, 0, 0, 1];
    if tci & 0x20 != 0 {
        tag.extend(MAC_A);
        tag.extend([0, 1]);
    }
    typed(0x88e5, &[&tag[..], inner, &[0xaa; 16]].concat())
}

/// FabricPath: outer addresses, the FP tag, the inner frame, 4 FCS bytes.
fn fabricpath(inner_frame: &[u8]) -> Vec<u8> {
    let mut f = frame(&typed(0x8903, &[0x00, 0x41]));
    f.extend(inner_frame);
    f.extend([0xfc; 4]);
    f
}

/// NSH with the given length field (words), MD type and next protocol.
fn nsh(length: u8, md_type: u8, next: u8, metadata: &[u8], inner: &[u8]) -> Vec<u8> {
    let header = [0x0f, 0xc0 | length, md_type, next, 0, 0, 100, 255];
    typed(0x894f, &[&header[..], metadata, inner].concat())
}

fn llc_snap(inner_ip4: &[u8]) -> Vec<u8> {
    [&[0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00][..], inner_ip4].concat()
}

fn nest(n: usize, tag: impl Fn(&[u8]) -> Vec<u8>, inner: Vec<u8>) -> Vec<u8> {
    (0..n).fold(inner, |p, _| tag(&p))
}

#[test]
fn tags_agree_with_tshark() {
    use Category::{NonIp, OtherIp, Truncated, Udp};
    let ip4 = ipv4(17, &UDP_1234_53, None, 0);
    let sc = 0x20;
    let vn_tag = |inner: &[u8]| typed(0x8926, &[&[0; 4][..], inner].concat());
    let e_tag = |inner: &[u8]| typed(0x893f, &[&[0; 6][..], inner].concat());
    let cmd = |inner: &[u8]| typed(0x8909, &[&[1, 1, 0, 1, 0, 100][..], inner].concat());
    let pbb = |inner: &[u8]| {
        typed(
            0x88e7,
            &[&[0, 0, 1, 0][..], &MAC_B[..], &MAC_A[..], inner].concat(),
        )
    };
    let arista = |subtype: u16, version: Option<u16>, ts: usize, inner: &[u8]| {
        let mut h = subtype.to_be_bytes().to_vec();
        if let Some(version) = version {
            h.extend(version.to_be_bytes());
        }
        h.extend(vec![0; ts]);
        typed(0xd28b, &[&h[..], inner].concat())
    };
    let mut sectag_only = frame(&macsec(sc, &[0x08, 0x00]));
    sectag_only.truncate(sectag_only.len() - 17);
    let cases: Vec<(&str, Vec<u8>, Category)> = vec![
        ("MACsec with SCI", frame(&macsec(sc, &udp4())), Udp),
        ("MACsec without SCI", frame(&macsec(0, &udp6())), Udp),
        (
            "MACsec encrypted",
            frame(&macsec(sc | 0x0c, &udp4())),
            NonIp,
        ),
        ("MACsec E only", frame(&macsec(sc | 0x08, &udp4())), NonIp),
        ("MACsec C only", frame(&macsec(sc | 0x04, &udp4())), NonIp),
        (
            "MACsec version 1",
            frame(&macsec(0x80 | sc, &udp4())),
            NonIp,
        ),
        (
            "MACsec, then a length",
            frame(&macsec(sc, &typed(32, &llc_snap(&ip4)))),
            NonIp,
        ),
        ("MACsec in 802.1Q", frame(&vlan(&macsec(sc, &udp4()))), Udp),
        ("802.1Q in MACsec", frame(&macsec(sc, &vlan(&udp4()))), Udp),
        (
            "MACsec in MACsec",
            frame(&macsec(sc, &macsec(sc, &udp4()))),
            Udp,
        ),
        ("MACsec: SecTAG and ICV only", sectag_only, NonIp),
        ("FabricPath", fabricpath(&frame(&udp4())), Udp),
        (
            "FabricPath behind 802.1Q",
            {
                let mut f = frame(&vlan(&typed(0x8903, &[0x00, 0x41])));
                f.extend(frame(&udp4()));
                f.extend([0xfc; 4]);
                f
            },
            Udp,
        ),
        (
            "FabricPath in FabricPath",
            fabricpath(&fabricpath(&frame(&udp4()))),
            Udp,
        ),
        (
            "FabricPath, inner frame of 3 bytes",
            frame(&typed(0x8903, &[0, 0x41, 1, 2, 3])),
            NonIp,
        ),
        (
            "FabricPath after 802.1ad",
            frame(&typed(
                0x88a8,
                &[&[0, 5][..], &typed(0x8903, &[0, 0x41])[..], &frame(&udp4())].concat(),
            )),
            Udp,
        ),
        ("NSH MD 2 to IPv4", frame(&nsh(2, 2, 1, &[], &ip4)), Udp),
        (
            "NSH to IPv6",
            frame(&nsh(2, 2, 2, &[], &ipv6(17, &UDP_1234_53, None))),
            Udp,
        ),
        (
            "NSH to Ethernet",
            frame(&nsh(2, 2, 3, &[], &frame(&udp4()))),
            Udp,
        ),
        ("NSH MD 1", frame(&nsh(6, 1, 1, &[0; 16], &ip4)), Udp),
        (
            "NSH MD 2 with a TLV",
            frame(&nsh(4, 2, 1, &[1, 0, 1, 4, 0, 0, 0, 0], &ip4)),
            Udp,
        ),
        (
            "NSH to MPLS",
            frame(&nsh(2, 2, 5, &[0, 0, 1, 64], &ip4)),
            Udp,
        ),
        (
            "NSH to NSH",
            frame(&nsh(2, 2, 4, &[], &nsh(2, 2, 1, &[], &ip4)[2..])),
            Udp,
        ),
        (
            "NSH length 1, MD 2: 8 bytes",
            frame(&nsh(1, 2, 1, &[], &ip4)),
            Udp,
        ),
        (
            "NSH MD 1 with length 2: 24 bytes",
            frame(&nsh(2, 1, 1, &[], &ip4)),
            OtherIp,
        ),
        (
            "NSH length past the frame",
            frame(&nsh(63, 2, 1, &[], &ip4)),
            NonIp,
        ),
        (
            "NSH next protocol 6",
            frame(&nsh(2, 2, 6, &[], &ip4)),
            NonIp,
        ),
        ("NSH without payload", frame(&nsh(2, 2, 1, &[], &[])), NonIp),
        ("Cisco MetaData", frame(&cmd(&udp4())), Udp),
        (
            "Cisco MetaData, then a length",
            frame(&cmd(&typed(40, &llc_snap(&ip4)))),
            NonIp,
        ),
        ("E-Tag", frame(&e_tag(&udp4())), Udp),
        ("E-Tag then 802.1Q", frame(&e_tag(&vlan(&udp4()))), Udp),
        (
            "E-Tag, then a length",
            frame(&e_tag(&typed(40, &llc_snap(&ip4)))),
            NonIp,
        ),
        ("VN-Tag", frame(&vn_tag(&udp4())), Udp),
        ("VN-Tag to IPv6", frame(&vn_tag(&udp6())), Udp),
        (
            "VN-Tag, length 40, LLC",
            frame(&vn_tag(&typed(40, &llc_snap(&ip4)))),
            Udp,
        ),
        (
            "VN-Tag, length 30 cuts the ports",
            frame(&vn_tag(&typed(30, &llc_snap(&ip4)))),
            Truncated,
        ),
        (
            "VN-Tag, length 0",
            frame(&vn_tag(&typed(0, &llc_snap(&ip4)))),
            NonIp,
        ),
        ("802.1ah", frame(&pbb(&udp4())), Udp),
        ("802.1ah then 802.1Q", frame(&pbb(&vlan(&udp4()))), Udp),
        (
            "802.1ah, then a length",
            frame(&pbb(&typed(40, &llc_snap(&ip4)))),
            NonIp,
        ),
        (
            "802.1ad then 802.1ah",
            frame(&typed(0x88a8, &[&[0, 5][..], &pbb(&udp4())].concat())),
            Udp,
        ),
        (
            "802.1ah then FabricPath's type",
            frame(&pbb(&typed(0x8903, &frame(&udp4())))),
            NonIp,
        ),
        ("802.1ah cut after the addresses", frame(&pbb(&[])), NonIp),
        (
            "Arista 64-bit TAI",
            frame(&arista(1, Some(0x10), 8, &udp4())),
            Udp,
        ),
        (
            "Arista 64-bit UTC",
            frame(&arista(1, Some(0x110), 8, &udp4())),
            Udp,
        ),
        (
            "Arista 48-bit TAI",
            frame(&arista(1, Some(0x20), 6, &udp4())),
            Udp,
        ),
        (
            "Arista 48-bit UTC",
            frame(&arista(1, Some(0x120), 6, &udp6())),
            Udp,
        ),
        (
            "Arista unknown version",
            frame(&arista(1, Some(0x30), 6, &udp4())),
            NonIp,
        ),
        (
            "Arista subtype 2: type at once",
            frame(&arista(2, None, 0, &udp4())),
            Udp,
        ),
        (
            "Arista subtype 3 with a version",
            frame(&arista(3, Some(0x10), 8, &udp4())),
            NonIp,
        ),
        (
            "Arista in Arista",
            frame(&arista(
                1,
                Some(0x10),
                8,
                &arista(1, Some(0x20), 6, &udp4()),
            )),
            Udp,
        ),
        ("20 nested 802.1Q tags", frame(&nest(20, vlan, udp4())), Udp),
        (
            "21 nested 802.1Q tags",
            frame(&nest(21, vlan, udp4())),
            NonIp,
        ),
        (
            "21 nested 0x8100 and 0x9100 tags",
            frame(&nest(
                15,
                vlan,
                nest(6, |p| typed(0x9100, &[&[0, 5][..], p].concat()), udp4()),
            )),
            NonIp,
        ),
        (
            "40 nested 802.1ad tags",
            frame(&nest(
                40,
                |p| typed(0x88a8, &[&[0, 5][..], p].concat()),
                udp4(),
            )),
            Udp,
        ),
        (
            "21 802.1Q tags with a VN-Tag between",
            frame(&nest(15, vlan, vn_tag(&nest(6, vlan, udp4())))),
            NonIp,
        ),
        (
            "21 802.1Q tags with a pseudowire between",
            frame(&nest(
                15,
                vlan,
                typed(
                    0x8847,
                    &[&[0, 0, 1, 64][..], &frame(&nest(6, vlan, udp4()))].concat(),
                ),
            )),
            Udp,
        ),
        (
            "0x9200 is no tag",
            frame(&typed(0x9200, &[&[0, 5][..], &udp4()[..]].concat())),
            NonIp,
        ),
        (
            "802.1Q, length 40, LLC",
            frame(&vlan(&typed(40, &llc_snap(&ip4)))),
            Udp,
        ),
        (
            "802.1Q, length 30 cuts the ports",
            frame(&vlan(&typed(30, &llc_snap(&ip4)))),
            Truncated,
        ),
        (
            "802.1Q, then IPX",
            frame(&vlan(&typed(
                40,
                &[&[0xff, 0xff][..], &llc_snap(&ip4)].concat(),
            ))),
            NonIp,
        ),
        (
            "802.1ad, then a length",
            frame(&typed(
                0x88a8,
                &[&[0, 5][..], &typed(40, &llc_snap(&ip4))].concat(),
            )),
            NonIp,
        ),
        ("802.3 length 32", frame(&typed(32, &llc_snap(&ip4))), Udp),
        (
            "802.3 length 30 cuts the ports",
            frame(&typed(30, &llc_snap(&ip4))),
            Truncated,
        ),
        (
            "802.3 length 26 cuts the IP header",
            frame(&typed(26, &llc_snap(&ip4))),
            OtherIp,
        ),
    ];
    for (what, bytes, expected) in &cases {
        let info = whole(LinkType::ETHERNET, bytes);
        assert_eq!(info.category, *expected, "{what}: {info:?}");
        if info.category == Udp {
            assert_eq!(
                info.transport_ports(),
                Some((Transport::Udp, 1234, 53)),
                "{what}"
            );
        }
        // Cut at every length: never a panic, and ports only when the
        // whole frame up to them was captured.
        for keep in 0..bytes.len() {
            let cut = decode(LinkType::ETHERNET, &bytes[..keep], bytes.len() as u32, 0);
            if keep < 14 {
                assert_eq!(cut.category, NonIp, "{what} cut at {keep}");
            }
        }
    }
}

#[test]
fn fabricpath_takes_the_last_four_bytes_for_an_fcs() {
    // UDP with an 8-byte payload: IPv4 36 bytes, the frame 16 + 14 + 36.
    let udp = [&UDP_1234_53[..8], &[0; 8][..]].concat();
    let mut ip = ipv4(17, &udp, None, 0);
    ip[3] = 36;
    let f = fabricpath(&frame(&typed(0x0800, &ip)));
    let f = &f[..f.len() - 4];
    // Captured up to the ports; the wire had 2 bytes more: less the FCS,
    // the IP payload holds 2 bytes (tshark: UDP without ports).
    let info = decode(LinkType::ETHERNET, &f[..54], 56, 0);
    assert_eq!(info.category, Category::Truncated);
    // 4 bytes more on the wire: the ports are within the IP payload.
    let info = decode(LinkType::ETHERNET, &f[..54], 58, 0);
    assert_eq!(info.category, Category::Udp);
    // tshark does not shorten the captured bytes.
    let info = decode(LinkType::ETHERNET, &f[..54], 66, 0);
    assert_eq!(info.category, Category::Udp);
}

#[test]
fn macsec_needs_captured_bytes_past_sectag_and_icv() {
    let f = frame(&macsec(0x20, &udp4()));
    // Ethernet 14, SecTAG 14, ICV 16: the payload's type at 28.
    let info = decode(LinkType::ETHERNET, &f[..44], f.len() as u32, 0);
    assert_eq!(
        info,
        PacketInfo::problem(Category::NonIp, DecodeProblem::LinkHeaderTruncated)
    );
    let info = decode(LinkType::ETHERNET, &f[..54], f.len() as u32, 0);
    assert_eq!(info.transport_ports(), Some((Transport::Udp, 1234, 53)));
}

#[test]
fn tags_stop_at_tsharks_depth() {
    let vn_tag = |inner: &[u8]| typed(0x8926, &[&[0; 4][..], inner].concat());
    let limit = usize::from(crate::decode::tags::MAX_TAGS);
    let at_limit = whole(LinkType::ETHERNET, &frame(&nest(limit, vn_tag, udp4())));
    assert_eq!(at_limit.category, Category::Udp);
    let past = whole(LinkType::ETHERNET, &frame(&nest(limit + 1, vn_tag, udp4())));
    assert_eq!(past, PacketInfo::plain(Category::NonIp));
}

/// Chains of tags and inner Ethernet headers as long as the largest frame
/// allows are followed in a loop: a small stack is enough.
#[test]
fn deep_tag_chains_do_not_exhaust_the_stack() {
    const MAX_FRAME: usize = crate::capture::MAX_CAPTURED_LEN as usize;
    let nsh_ethernet = |inner: &[u8]| frame(&nsh(2, 2, 3, &[], inner))[12..].to_vec();
    let chains = [
        frame(&nest(MAX_FRAME / 40, |p| macsec(0, p), udp4())),
        frame(&nest(MAX_FRAME / 30, nsh_ethernet, udp4())),
        nest(MAX_FRAME / 40, fabricpath, frame(&udp4())),
    ];
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            for chain in &chains {
                assert!(chain.len() <= MAX_FRAME + 40);
                assert_eq!(
                    whole(LinkType::ETHERNET, chain),
                    PacketInfo::plain(Category::NonIp)
                );
            }
        })
        .expect("spawn")
        .join()
        .expect("no stack overflow");
}

#[test]
fn dsa_link_types_as_tcpdump_reads_them() {
    use Category::{Icmp, NonIp, Udp};
    let icmp = typed(0x0800, &ipv4(1, &[8, 0, 0, 0, 0, 1, 0, 1], None, 0));
    let after_source = |tag: &[u8], inner: &[u8]| [&MAC_B[..], &MAC_A[..], tag, inner].concat();
    let edsa_tag = [0xda, 0xda, 0, 0, 0xc0, 0, 0, 0];
    let cases: Vec<(LinkType, Vec<u8>, Category)> = vec![
        (LinkType::DSA_TAG_EDSA, after_source(&edsa_tag, &icmp), Icmp),
        (
            LinkType::DSA_TAG_EDSA,
            after_source(&edsa_tag, &typed(0x0806, &[0; 28])),
            NonIp,
        ),
        (
            LinkType::DSA_TAG_EDSA,
            after_source(&edsa_tag, &vlan(&udp4())),
            Udp,
        ),
        (
            LinkType::DSA_TAG_DSA,
            after_source(&[0x40, 0, 0, 0], &udp6()),
            Udp,
        ),
        (
            LinkType::DSA_TAG_DSA,
            after_source(
                &[0x40, 0, 0, 0],
                &typed(32, &llc_snap(&ipv4(17, &UDP_1234_53, None, 0))),
            ),
            Udp,
        ),
        (
            LinkType::DSA_TAG_BRCM,
            after_source(&[0x20, 0, 0, 1], &udp4()),
            Udp,
        ),
        (
            LinkType::DSA_TAG_BRCM_PREPEND,
            [&[0x20, 0, 0, 1][..], &frame(&udp4())].concat(),
            Udp,
        ),
    ];
    for (link, bytes, expected) in &cases {
        let info = whole(*link, bytes);
        assert_eq!(info.category, *expected, "{link:?} {bytes:02x?}: {info:?}");
        for keep in 0..bytes.len() {
            let cut = decode(*link, &bytes[..keep], bytes.len() as u32, 0);
            let header = if *link == LinkType::DSA_TAG_EDSA {
                22
            } else {
                18
            };
            if keep < header {
                assert_eq!(
                    cut,
                    PacketInfo::problem(NonIp, DecodeProblem::LinkHeaderTruncated),
                    "{link:?} cut at {keep}"
                );
            }
        }
    }
}

/// Each frame's category in a fixture, in order.
fn fixture_categories(name: &str) -> Vec<Category> {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut reader = CaptureReader::from_reader(std::io::Cursor::new(bytes), name).expect("a pcap");
    let mut categories = Vec::new();
    while let Some(frame) = reader.next_frame().expect("readable") {
        let info = decode(frame.link_type, frame.data, frame.orig_len, frame.fcs_len);
        categories.push(info.category);
    }
    categories
}

/// `fixtures/ethertypes.pcap` (see fixtures/README.md): each frame's
/// category, as tshark 4.0.17 gives it.
#[test]
fn ethertypes_fixture_frames() {
    use Category::{Icmp, NonIp, Tcp, Truncated, Udp};
    let expected = [
        Udp, Tcp, Udp, NonIp, // MACsec
        Tcp, Udp, // FabricPath
        Udp, Udp, Tcp, Udp, NonIp, // NSH
        Tcp, Udp, // Cisco MetaData, E-Tag
        Tcp, Udp, // VN-Tag
        Udp, Tcp, // 802.1ah
        Tcp, Udp, NonIp, // Arista
        Icmp, Udp, // nested; 802.1Q with a length
        Udp, NonIp, NonIp, // 20 and 21 802.1Q tags; 0x9200
        Truncated, NonIp, // 802.3 length; MACsec cut short
    ];
    assert_eq!(fixture_categories("ethertypes.pcap"), expected);
}

/// `fixtures/link-dsa-*.pcap`: the same frames behind each switch tag, as
/// tcpdump 4.99.3 decodes them.
#[test]
fn dsa_fixture_frames() {
    use Category::{Icmp, NonIp, Tcp, Udp};
    let expected = [Tcp, Udp, NonIp, Udp, Icmp, Udp, NonIp];
    for kind in ["brcm", "brcm-prepend", "dsa", "edsa"] {
        let name = format!("link-dsa-{kind}.pcap");
        assert_eq!(fixture_categories(&name), expected, "{name}");
    }
}
