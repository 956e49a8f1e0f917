//! Where tshark and tcpdump read further than a plain header walk: IPv6
//! jumbograms, MPLS reserved labels; and where portclass keeps tcpdump's
//! answer over tshark's (IPv4 options of length 2). Each expectation was
//! checked against tshark 4.0.17 and tcpdump 4.99.3 (fixtures/mpls.pcap,
//! fixtures/jumbograms.pcap).

use super::*;

const ETHERTYPE_MPLS: [u8; 2] = [0x88, 0x47];

/// Ethernet + IPv6 with payload length `payload_len`, a hop-by-hop header
/// holding `options`, then a TCP header 40000 → 443 (and `extra` bytes).
fn jumbogram(payload_len: u16, options: &[u8], extra: usize) -> Vec<u8> {
    let ip = eth_tcp6(40_000, 443, &vec![0x42; extra]);
    let mut hbh = vec![6, 0];
    hbh.extend_from_slice(options);
    while hbh.len() % 8 != 0 {
        hbh.push(0);
    }
    hbh[1] = (hbh.len() / 8 - 1) as u8;
    let mut frame = ip[..14 + 40].to_vec();
    frame[14 + 4..14 + 6].copy_from_slice(&payload_len.to_be_bytes());
    frame[14 + 6] = 0; // next header: hop-by-hop
    frame.extend(hbh);
    frame.extend_from_slice(&ip[14 + 40..]);
    frame
}

fn jumbo_option(len: u32) -> Vec<u8> {
    let mut option = vec![0xc2, 4];
    option.extend(len.to_be_bytes());
    option
}

#[test]
fn a_jumbogram_counts_its_transport() {
    let frame = jumbogram(0, &jumbo_option(70_028), 100);
    // Captured cut short, as a snap length cuts a BIG TCP segment.
    let info = decode(LinkType::ETHERNET, &frame, 70_082, 0);
    assert_eq!(info.transport_ports(), Some((Transport::Tcp, 40_000, 443)));
    assert!(info.addresses.is_some());
    // PadN before the option, as senders align it.
    let padded = [&[1, 2, 0, 0][..], &jumbo_option(70_032)].concat();
    let frame = jumbogram(0, &padded, 10);
    let info = decode(LinkType::ETHERNET, &frame, 70_090, 0);
    assert_eq!(info.transport_ports(), Some((Transport::Tcp, 40_000, 443)));
}

#[test]
fn an_invalid_jumbo_option_stops_at_the_hop_by_hop_header() {
    // Below 65,536: invalid, as tshark and tcpdump say.
    let frame = jumbogram(0, &jumbo_option(38), 10);
    assert_eq!(
        whole(LinkType::ETHERNET, &frame).category,
        Category::OtherIp
    );
    // No option at all.
    let frame = jumbogram(0, &[1, 4, 0, 0, 0, 0], 10);
    assert_eq!(
        whole(LinkType::ETHERNET, &frame).category,
        Category::OtherIp
    );
    // A wrong option length.
    let frame = jumbogram(0, &[0xc2, 2, 0, 1], 10);
    assert_eq!(
        whole(LinkType::ETHERNET, &frame).category,
        Category::OtherIp
    );
    // A payload length that is not 0 wins over the option.
    let frame = jumbogram(38, &jumbo_option(70_000), 10);
    assert_eq!(
        whole(LinkType::ETHERNET, &frame).transport_ports(),
        Some((Transport::Tcp, 40_000, 443))
    );
}

#[test]
fn a_jumbogram_cut_anywhere_never_panics_and_has_ports_once_captured() {
    let frame = jumbogram(0, &jumbo_option(70_028), 100);
    let ports_end = 14 + 40 + 8 + 4;
    for cut in 0..=frame.len() {
        let info = decode(LinkType::ETHERNET, &frame[..cut], 70_082, 0);
        if cut >= ports_end {
            assert_eq!(info.transport_ports(), Some((Transport::Tcp, 40_000, 443)));
        } else {
            assert!(info.transport_ports().is_none(), "cut {cut}: {info:?}");
        }
    }
}

/// What [`PacketInfo::transport_ports`] gives.
type Ports = (Transport, u16, u16);

/// Ethernet + MPLS labels `(label, bottom)` + `rest`.
fn mpls(labels: &[(u32, bool)], rest: &[u8]) -> Vec<u8> {
    let mut frame = vec![0; 12];
    frame.extend(ETHERTYPE_MPLS);
    for &(label, bottom) in labels {
        frame.extend((label << 12 | u32::from(bottom) << 8 | 64).to_be_bytes());
    }
    frame.extend_from_slice(rest);
    frame
}

/// An associated channel header of type `channel` + `rest`.
fn ach(channel: u16, rest: &[u8]) -> Vec<u8> {
    [&[0x10, 0][..], &channel.to_be_bytes(), rest].concat()
}

#[test]
fn mpls_reserved_labels_at_the_bottom_end_the_guess() {
    let udp4 = eth_udp4(40_001, 53, b"query")[14..].to_vec();
    let tcp6 = eth_tcp6(40_002, 443, b"hello")[14..].to_vec();
    let udp = Some((Transport::Udp, 40_001, 53));
    let tcp = Some((Transport::Tcp, 40_002, 443));
    let cases: [(Vec<u8>, Category, Option<Ports>); 10] = [
        (mpls(&[(100, true)], &udp4), Category::Udp, udp),
        (mpls(&[(14, true)], &udp4), Category::NonIp, None),
        (
            mpls(&[(100, false), (14, true)], &udp4),
            Category::NonIp,
            None,
        ),
        (mpls(&[(14, false), (15, true)], &udp4), Category::Udp, udp),
        (mpls(&[(13, true)], &ach(0x0021, &udp4)), Category::Udp, udp),
        (mpls(&[(13, true)], &ach(0x0057, &tcp6)), Category::Tcp, tcp),
        (
            mpls(&[(13, true)], &ach(0x0007, &[0; 24])),
            Category::NonIp,
            None,
        ),
        (
            mpls(&[(13, true)], &ach(0x0057, &udp4)),
            Category::NonIp,
            None,
        ),
        (mpls(&[(13, true)], &[0x10, 0]), Category::NonIp, None),
        (mpls(&[(13, false), (100, true)], &udp4), Category::Udp, udp),
    ];
    for (frame, category, ports) in cases {
        let info = whole(LinkType::ETHERNET, &frame);
        assert_eq!(info.category, category, "{frame:02x?}");
        assert_eq!(info.transport_ports(), ports, "{frame:02x?}");
    }
    // The GAL with no channel header: its first word is taken as one (here
    // the channel type is the IPv4 total length, 0x0021), so the IPv4
    // header is read 4 bytes late: a damaged header, as tshark says.
    let short = eth_udp4(40_003, 53, b"")[14..].to_vec();
    assert_eq!(short[2..4], [0, 28]);
    let mut claims_ipv4 = short.clone();
    claims_ipv4[3] = 0x21;
    let info = whole(LinkType::ETHERNET, &mpls(&[(13, true)], &claims_ipv4));
    assert_eq!(info.category, Category::OtherIp);
}

#[test]
fn an_ipv4_option_of_length_2_is_read_past_as_tcpdump_does() {
    // tshark 4.0 throws on a security (or RR, timestamp, ...) option whose
    // length is 2 and shows no TCP; tcpdump reads past it. The header
    // length is what locates TCP, so portclass keeps tcpdump's answer.
    for option in [0x82u8, 0x86, 0x07, 0x44, 0x94, 0x83] {
        let frame = eth_udp4(1, 2, b"");
        let mut ip = frame[14..34].to_vec();
        ip[0] = 0x46; // IHL 6: one option word
        ip[9] = 6; // TCP
        ip.extend([option, 2, 0, 0]);
        ip.extend([0x1f, 0x41, 0, 80]); // ports 8001 → 80
        ip.extend([0; 16]);
        let total = ip.len() as u16;
        ip[2..4].copy_from_slice(&total.to_be_bytes());
        let frame = [&frame[..14], &ip[..]].concat();
        let info = whole(LinkType::ETHERNET, &frame);
        assert_eq!(
            info.transport_ports(),
            Some((Transport::Tcp, 8001, 80)),
            "option {option:#x}"
        );
    }
}
