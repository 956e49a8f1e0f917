//! IEEE 802.15.4 and 6LoWPAN: golden frames whose categories were checked
//! against tshark 4.0.17 (the same kinds as `fixtures/link-ieee802154*.pcap`),
//! the FCS functions against their check values, and every cut length.

use super::*;
use crate::decode::lowpan::fcs;
use std::net::Ipv6Addr;

const WITH_FCS: LinkType = LinkType::IEEE802_15_4_WITHFCS;
const NO_FCS: LinkType = LinkType::IEEE802_15_4_NOFCS;

/// Data frame, 2006, PAN id compression, short addresses 0x0002 < 0x0001.
const MAC_SHORT: [u8; 9] = [0x41, 0x98, 0x2a, 0xcd, 0xab, 0x02, 0x00, 0x01, 0x00];
/// IPHC: TF elided, hop limit 64, addresses from the MAC header; NH clear.
const IPHC_LINK: [u8; 2] = [0x7a, 0x33];
/// The same with NH set (NHC follows).
const IPHC_LINK_NHC: [u8; 2] = [0x7e, 0x33];

fn udp(src: u16, dst: u16, payload: &[u8]) -> Vec<u8> {
    let mut out = [src.to_be_bytes(), dst.to_be_bytes()].concat();
    out.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(payload);
    out
}

fn with_fcs(mut frame: Vec<u8>) -> Vec<u8> {
    let (crc, _) = fcs(&frame);
    frame.extend_from_slice(&crc.to_le_bytes());
    frame
}

/// MAC + IPHC (inline UDP next header) + UDP.
fn iphc_udp(src: u16, dst: u16) -> Vec<u8> {
    [&MAC_SHORT[..], &IPHC_LINK, &[17], &udp(src, dst, b"hi")].concat()
}

fn link_local_short(short: u16) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0x00ff, 0xfe00, short))
}

#[test]
fn fcs_check_values() {
    assert_eq!(fcs(b"123456789"), (0x2189, 0xcbf4_3926));
}

#[test]
fn iphc_with_inline_udp_and_derived_addresses() {
    let info = whole(WITH_FCS, &with_fcs(iphc_udp(1001, 2001)));
    assert_eq!(info.transport_ports(), Some((Transport::Udp, 1001, 2001)));
    assert_eq!(
        info.addresses,
        Some((link_local_short(1), link_local_short(2)))
    );
    assert_eq!(info.problem, None);
}

#[test]
fn fcs_is_checked_only_when_captured() {
    let mut frame = with_fcs(iphc_udp(1002, 2002));
    let last = frame.len() - 1;
    frame[last] ^= 1;
    assert_eq!(whole(WITH_FCS, &frame).category, Category::NonIp);
    // Cut by the snap length: the FCS is not there to check.
    let info = decode(WITH_FCS, &frame[..frame.len() - 3], frame.len() as u32, 0);
    assert_eq!(info.transport_ports(), Some((Transport::Udp, 1002, 2002)));
    // Without FCS the same bytes are payload.
    let info = whole(NO_FCS, &frame);
    assert_eq!(info.transport_ports(), Some((Transport::Udp, 1002, 2002)));
}

#[test]
fn nhc_udp_port_compression() {
    let cases: [(&[u8], u16, u16); 4] = [
        (&[0xf0, 0x03, 0xe9, 0x07, 0xd1, 0, 0], 1001, 2001),
        (&[0xf1, 0x03, 0xe9, 0x22, 0, 0], 1001, 0xf022),
        (&[0xf2, 0x33, 0x07, 0xd1, 0, 0], 0xf033, 2001),
        (&[0xf7, 0x45], 0xf0b4, 0xf0b5),
    ];
    for (nhc, src, dst) in cases {
        let frame = [&MAC_SHORT[..], &IPHC_LINK_NHC, nhc, b"x"].concat();
        let info = whole(NO_FCS, &frame);
        assert_eq!(
            info.transport_ports(),
            Some((Transport::Udp, src, dst)),
            "{nhc:02x?}"
        );
        // Cut inside the NHC header: tshark shows no IPv6.
        let info = whole(NO_FCS, &frame[..MAC_SHORT.len() + 3]);
        assert_eq!(info.category, Category::NonIp, "{nhc:02x?}");
    }
}

#[test]
fn frames_that_carry_no_ip() {
    let mut secured = iphc_udp(1003, 2003);
    secured[0] |= 0x08;
    let ack = [0x02, 0x00, 0x2a];
    let beacon = [0x00, 0x80, 0x2a, 0xcd, 0xab, 0x01, 0x00, 0xff, 0x0f, 0, 0];
    // PAN id compression without a source address (2006).
    let no_src = [
        &[0x41, 0x08, 0x2a, 0xcd, 0xab, 0x02, 0x00][..],
        &IPHC_LINK,
        &[17],
        &udp(1, 2, b""),
    ]
    .concat();
    // IPHC with DAC=1 DAM=00 (reserved).
    let reserved = [&MAC_SHORT[..], &[0x7a, 0x34, 17], &udp(1, 2, b"")].concat();
    let fragn = [&MAC_SHORT[..], &[0xe0, 200, 0x12, 0x34, 12], &[0x77; 20]].concat();
    for frame in [
        secured,
        ack.to_vec(),
        beacon.to_vec(),
        no_src,
        reserved,
        fragn,
    ] {
        assert_eq!(
            whole(NO_FCS, &frame).category,
            Category::NonIp,
            "{frame:02x?}"
        );
    }
}

#[test]
fn first_fragment_decoded_only_when_whole() {
    let nhc = [0xf0, 0x03, 0xe9, 0x07, 0xd1, 0, 0, b'h', b'i'];
    for (size, expected) in [
        (50u16, Category::Udp),
        (51, Category::NonIp),
        (49, Category::NonIp),
    ] {
        let frame = [
            &MAC_SHORT[..],
            &(0xc000 | size).to_be_bytes(),
            &[0x12, 0x34],
            &IPHC_LINK_NHC,
            &nhc,
        ]
        .concat();
        assert_eq!(whole(NO_FCS, &frame).category, expected, "size {size}");
    }
}

#[test]
fn uncompressed_ipv6_and_other_next_headers() {
    let mut ipv6 = vec![0x60, 0, 0, 0, 0, 10, 17, 64];
    ipv6.extend_from_slice(&V6_A);
    ipv6.extend_from_slice(&V6_B);
    ipv6.extend_from_slice(&udp(1004, 2004, b"hi"));
    let frame = [&MAC_SHORT[..], &[0x41], &ipv6].concat();
    let info = whole(NO_FCS, &frame);
    assert_eq!(info.transport_ports(), Some((Transport::Udp, 1004, 2004)));
    assert_eq!(
        info.addresses,
        Some((IpAddr::from(V6_A), IpAddr::from(V6_B)))
    );
    let icmp = [&MAC_SHORT[..], &IPHC_LINK, &[58, 128, 0, 0, 0, 0, 1, 0, 1]].concat();
    assert_eq!(whole(NO_FCS, &icmp).category, Category::Icmpv6);
    let unknown_nhc = [&MAC_SHORT[..], &IPHC_LINK_NHC, &[0xd0], &udp(1, 2, b"")].concat();
    assert_eq!(whole(NO_FCS, &unknown_nhc).category, Category::OtherIp);
    let hop_by_hop = [
        &MAC_SHORT[..],
        &IPHC_LINK_NHC,
        &[
            0xe1, 6, 1, 4, 0, 0, 0, 0, 0xf0, 0x03, 0xe9, 0x07, 0xd1, 0, 0,
        ],
    ]
    .concat();
    assert_eq!(
        whole(NO_FCS, &hop_by_hop).transport_ports(),
        Some((Transport::Udp, 1001, 2001))
    );
}

#[test]
fn tap_fcs_types() {
    let body = iphc_udp(1005, 2005);
    let tap = |kind: Option<u8>, frame: &[u8]| {
        let tlv = kind.map_or(vec![], |k| vec![0, 0, 1, 0, k, 0, 0, 0]);
        [
            &[0, 0][..],
            &((4 + tlv.len()) as u16).to_le_bytes(),
            &tlv,
            frame,
        ]
        .concat()
    };
    let (_, crc32) = fcs(&body);
    let with32 = [&body[..], &crc32.to_le_bytes()].concat();
    let cases = [
        (tap(None, &body), Category::Udp),
        (tap(Some(0), &body), Category::Udp),
        (tap(Some(1), &with_fcs(body.clone())), Category::Udp),
        (tap(Some(2), &with32), Category::Udp),
        (tap(Some(1), &with32), Category::NonIp),
        (tap(Some(3), &body), Category::NonIp),
    ];
    for (frame, expected) in cases {
        assert_eq!(
            whole(LinkType::IEEE802_15_4_TAP, &frame).category,
            expected,
            "{frame:02x?}"
        );
    }
}

#[test]
fn nonask_phy_length_bounds_the_frame() {
    let mac = with_fcs(iphc_udp(1006, 2006));
    let phy = |len: usize| [&[0, 0, 0, 0, 0xa7, len as u8][..], &mac].concat();
    let link = LinkType::IEEE802_15_4_NONASK_PHY;
    assert_eq!(whole(link, &phy(mac.len())).category, Category::Udp);
    assert_eq!(whole(link, &phy(mac.len() - 4)).category, Category::NonIp);
    assert_eq!(whole(link, &phy(mac.len() + 5)).category, Category::Udp);
}

/// Cut at every length, a frame never panics, and it has ports exactly
/// when the four port bytes were captured (the FCS is then not captured,
/// so not checked).
#[test]
fn every_cut_length() {
    let frame = with_fcs(iphc_udp(1007, 2007));
    let ports_end = MAC_SHORT.len() + IPHC_LINK.len() + 1 + 4;
    for keep in 0..frame.len() {
        let info = decode(WITH_FCS, &frame[..keep], frame.len() as u32, 0);
        if keep >= ports_end {
            assert_eq!(info.category, Category::Udp, "keep {keep}");
        } else {
            assert_ne!(info.category, Category::Udp, "keep {keep}");
        }
    }
}

proptest! {
    #[test]
    fn arbitrary_802154_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..160), orig in 0u32..200) {
        for link in [195u16, 215, 230, 283] {
            let _ = decode(LinkType(link), &bytes, orig, 0);
            // A MAC header in front, so that 6LoWPAN sees the bytes.
            let framed = [&MAC_SHORT[..], &bytes].concat();
            let _ = decode(LinkType(link), &framed, orig, 0);
        }
    }
}
