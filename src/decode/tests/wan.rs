//! WAN, ATM and pseudo-header link types (`super::super::wan`): every frame
//! of the `fixtures/link-*.pcap` files against tshark 4.0's answer (category,
//! ports and `frame.len`, as `tshark -T fields -e frame.protocols` shows it;
//! the protocol stack is in each row's comment), golden frames for the
//! branches the fixtures do not reach, and every cut length of each frame.

use super::*;
use crate::capture::CaptureReader;
use Category::{NonIp, OtherIp, Tcp, Truncated, Udp};

/// Per fixture: (category, source port, destination port, tshark's
/// `frame.len`) of each frame.
type Expected = (&'static str, &'static [(Category, u16, u16, u32)]);

/// The same frames under DLT 9 and DLT 50 (`link-ppp-chdlc.pcap`,
/// `link-ppp-serial-chdlc.pcap`): tshark reads them alike.
const PPP_CHDLC: &[(Category, u16, u16, u32)] = &[
    (Udp, 42001, 53, 35),   // ppp:chdlc:ip:udp:dns
    (Udp, 42002, 5353, 56), // ppp:chdlc:ipv6:udp:mdns
    (Tcp, 42003, 179, 48),  // ppp:chdlc:mpls:ip:tcp
    (Tcp, 42004, 80, 44),   // ppp:ip:tcp
    (NonIp, 0, 0, 24),      // ppp:chdlc:slarp
    (NonIp, 0, 0, 39),      // ppp:chdlc:data
    (NonIp, 0, 0, 35),      // ppp:chdlc:data
    (Truncated, 0, 0, 35),  // ppp:chdlc:ip:udp
    (NonIp, 0, 0, 3),       // ppp:chdlc
];

const FIXTURES: &[Expected] = &[
    (
        "link-arcnet.pcap",
        &[
            (Udp, 43001, 53, 39),  // arcnet:ip:udp:dns
            (Tcp, 43002, 445, 45), // arcnet:ip:tcp
            (Udp, 43003, 547, 60), // arcnet:ipv6:udp:dhcpv6
            (NonIp, 0, 0, 57),     // arcnet:data
            (NonIp, 0, 0, 36),     // arcnet:arp
            (NonIp, 0, 0, 57),     // arcnet:data
            (Truncated, 0, 0, 36), // arcnet:ip:udp
            (NonIp, 0, 0, 6),      // arcnet
        ],
    ),
    (
        "link-atm-clip.pcap",
        &[
            (Udp, 49001, 53, 31),  // clip:ip:udp:dns
            (Tcp, 49002, 443, 40), // clip:ip:tcp
            (OtherIp, 0, 0, 52),   // clip:ip:ipv6:udp:echo
            (OtherIp, 0, 0, 39),   // clip:ip
            (Truncated, 0, 0, 31), // clip:ip:udp
        ],
    ),
    (
        "link-atm-rfc1483.pcap",
        &[
            (Udp, 50001, 53, 39),  // llc:ip:udp:dns
            (Udp, 50002, 123, 60), // llc:ipv6:udp:ntp
            (Udp, 50003, 161, 59), // llc:eth:ethertype:ip:udp:data
            (Tcp, 50004, 179, 44), // llc:osi:ip:tcp
            (Udp, 50005, 520, 34), // llc:ip:udp:rip
            (NonIp, 0, 0, 31),     // llc:data
            (NonIp, 0, 0, 35),     // llc:osi:clnp:data
            (Truncated, 0, 0, 39), // llc:ip:udp
        ],
    ),
    (
        "link-frame-relay.pcap",
        &[
            (Udp, 41001, 53, 35),   // fr:ip:udp:dns
            (Udp, 41002, 123, 56),  // fr:ipv6:udp:ntp
            (Tcp, 41003, 443, 50),  // fr:ip:tcp
            (Udp, 41004, 161, 40),  // fr:ip:udp:data
            (Tcp, 41005, 22, 44),   // fr:ip:tcp
            (Udp, 41006, 514, 56),  // fr:ipv6:udp:syslog
            (Udp, 41007, 5060, 58), // fr:eth:ethertype:ip:udp:data
            (Udp, 41008, 5061, 62), // fr:eth:ethertype:ip:udp:data
            (Udp, 41009, 69, 36),   // fr:ip:udp:tftp
            (Udp, 41010, 1812, 37), // fr:ip:udp:data
            (Udp, 41011, 1813, 36), // fr:ip:udp:data
            (Udp, 41012, 4789, 39), // fr:mpls:ip:udp:vxlan
            (NonIp, 0, 0, 35),      // fr:clnp:data
            (NonIp, 0, 0, 35),      // fr:data
            (NonIp, 0, 0, 34),      // fr:data
            (NonIp, 0, 0, 40),      // fr:data
            (NonIp, 0, 0, 39),      // fr:data
            (Udp, 41018, 37, 35),   // fr:ip:udp:time
            (Truncated, 0, 0, 35),  // fr:ip:udp
            (NonIp, 0, 0, 1),       // fr
            (NonIp, 0, 0, 3),       // fr
        ],
    ),
    (
        "link-ipnet.pcap",
        &[
            (Udp, 45001, 53, 55),   // ipnet:ip:udp:dns
            (Udp, 45002, 53, 76),   // ipnet:ipv6:udp:dns
            (Tcp, 45003, 2049, 64), // ipnet:ip:tcp
            (NonIp, 0, 0, 76),      // ipnet
            (NonIp, 0, 0, 55),      // ipnet
            (NonIp, 0, 0, 10),      // ipnet
            (OtherIp, 0, 0, 55),    // ipnet:ip
        ],
    ),
    (
        "link-ipoib.pcap",
        &[
            (Udp, 44001, 2049, 75), // ipoib:ip:udp:data
            (Udp, 44002, 4791, 96), // ipoib:ipv6:udp:infiniband
            (Tcp, 44003, 3260, 84), // ipoib:ip:tcp
            (NonIp, 0, 0, 72),      // ipoib:arp
            (NonIp, 0, 0, 79),      // ipoib
            (NonIp, 0, 0, 42),      // ipoib
            (Truncated, 0, 0, 75),  // ipoib:ip:udp
        ],
    ),
    (
        "link-juniper-ether.pcap",
        &[
            (Udp, 46001, 53, 53),   // juniper:eth:ethertype:ip:udp:dns
            (Udp, 46002, 123, 60),  // juniper:eth:ethertype:ip:udp:ntp
            (Tcp, 46003, 179, 48),  // juniper:ip:tcp
            (Udp, 46004, 546, 60),  // juniper:ipv6:udp:dhcpv6
            (Udp, 46005, 646, 39),  // juniper:ip:udp:data
            (Udp, 46006, 3784, 43), // juniper:mpls:ip:udp:bfd
            (Udp, 46007, 4784, 57), // juniper:eth:ethertype:ip:udp:bfd
            (Udp, 46008, 520, 47),  // juniper:llc:ip:udp:rip
            (Udp, 46009, 1985, 43), // juniper:chdlc:ip:udp
            (Udp, 46010, 1701, 41), // juniper:ppp:ip:udp:data
            (Udp, 46011, 3503, 45), // juniper:ip:udp:data
            (Udp, 46012, 8080, 49), // juniper:eth:ethertype:ip:udp:data
            (OtherIp, 0, 0, 60),    // juniper:ip:ipv6:udp:echo
            (NonIp, 0, 0, 39),      // juniper:data
            (NonIp, 0, 0, 43),      // juniper:ppp:data
            (NonIp, 0, 0, 39),      // juniper:data
            (NonIp, 0, 0, 6),       // juniper
            (Truncated, 0, 0, 53),  // juniper:eth:ethertype:ip:udp
        ],
    ),
    (
        "link-pktap.pcap",
        &[
            (Udp, 47001, 53, 157),   // pktap:pcap_pktdata:eth:ethertype:ip:udp:dns
            (Udp, 47002, 443, 160),  // pktap:pcap_pktdata:raw:ipv6:udp:data
            (Tcp, 47003, 993, 152),  // pktap:pcap_pktdata:null:ip:tcp
            (Udp, 47004, 5353, 205), // pktap:pcap_pktdata:eth:ethertype:ip:udp:mdns
            (Udp, 47005, 137, 139),  // pktap:pcap_pktdata:raw:ip:udp:nbns
            (Udp, 47006, 138, 143),  // pktap:pcap_pktdata:ppp:ip:udp:nbdgm
            (Udp, 47007, 139, 143),  // pktap:pcap_pktdata:fr:ip:udp:data
            (Udp, 47008, 1900, 265), // pktap:pcap_pktdata:pktap:pcap_pktdata:eth:ethertype:ip:udp
            (NonIp, 0, 0, 157),      // pktap
            (NonIp, 0, 0, 149),      // pktap
            (NonIp, 0, 0, 50),       // pktap
            (Truncated, 0, 0, 157),  // pktap:pcap_pktdata:eth:ethertype:ip:udp
        ],
    ),
    ("link-ppp-chdlc.pcap", PPP_CHDLC),
    ("link-ppp-serial-chdlc.pcap", PPP_CHDLC),
    (
        "link-sunatm.pcap",
        &[
            (Udp, 48001, 53, 39),  // atm:llc:ip:udp:dns
            (Udp, 48002, 123, 60), // atm:llc:ipv6:udp:ntp
            (Udp, 48003, 161, 51), // atm:lane:eth:ethertype:ip:udp:data
            (Udp, 48004, 162, 59), // atm:llc:eth:ethertype:ip:udp:data
            (Tcp, 48005, 80, 48),  // atm:llc:ip:tcp
            (Udp, 48006, 67, 51),  // atm:eth:ethertype:ip:udp:dhcp
            (Udp, 48007, 68, 35),  // atm:fr:ip:udp:dhcp
            (Udp, 48008, 69, 31),  // atm:ip:udp:tftp
            (Udp, 48009, 514, 39), // atm:llc:ip:udp:syslog
            (OtherIp, 0, 0, 52),   // atm:ip:ipv6:udp:rip
            (NonIp, 0, 0, 62),     // atm:lane
            (NonIp, 0, 0, 39),     // atm:sscop
            (NonIp, 0, 0, 39),     // atm:ilmi
            (NonIp, 0, 0, 39),     // atm:sscop
            (NonIp, 0, 0, 54),     // atm:data
            (Truncated, 0, 0, 39), // atm:llc:ip:udp
            (NonIp, 0, 0, 0),      // atm:llc
        ],
    ),
];

/// The frames of one fixture, read as portclass reads files.
fn read_fixture(name: &str) -> Vec<(LinkType, Vec<u8>, u32)> {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut reader = CaptureReader::from_reader(std::io::Cursor::new(bytes), name).expect("a pcap");
    let mut frames = Vec::new();
    while let Some(frame) = reader.next_frame().expect("readable") {
        frames.push((frame.link_type, frame.data.to_vec(), frame.orig_len));
    }
    frames
}

#[test]
fn fixtures_agree_with_tshark_frame_by_frame() {
    for &(name, rows) in FIXTURES {
        let frames = read_fixture(name);
        assert_eq!(frames.len(), rows.len(), "{name}: frame count");
        for (number, ((link, data, orig_len), &(category, src, dst, len))) in
            frames.iter().zip(rows).enumerate()
        {
            let info = decode(*link, data, *orig_len, 0);
            let ports = if category.transport().is_some() {
                (info.src_port, info.dst_port)
            } else {
                (0, 0)
            };
            assert_eq!(
                (info.category, ports, *orig_len),
                (category, (src, dst), len),
                "{name} frame {}",
                number + 1
            );
        }
    }
}

#[test]
fn user2_is_read_as_pktap() {
    let pktap = read_fixture("link-pktap.pcap");
    let user2 = read_fixture("link-user2-pktap.pcap");
    assert_eq!(pktap.len(), user2.len());
    for ((_, a, la), (link, b, lb)) in pktap.iter().zip(&user2) {
        assert_eq!(*link, LinkType::USER2);
        assert_eq!(
            decode(LinkType::PKTAP, a, *la, 0),
            decode(LinkType::USER2, b, *lb, 0)
        );
    }
}

/// Every prefix of every fixture frame, with the original length kept:
/// nothing panics, and an empty frame is non-IP (but for CLIP, other_ip as
/// tshark has it).
#[test]
fn every_cut_of_every_fixture_frame_decodes() {
    for &(name, _) in FIXTURES {
        for (link, data, orig_len) in read_fixture(name) {
            for cut in 0..data.len() {
                let info = decode(link, &data[..cut], orig_len, 0);
                // CLIP hands even nothing to the IPv4 dissector: `clip:ip`.
                if cut == 0 && link != LinkType::ATM_CLIP {
                    assert_eq!(info.category, NonIp, "{name}: empty frame");
                }
            }
        }
    }
}

fn udp4(src: u16, dst: u16) -> Vec<u8> {
    let builder = PacketBuilder::ipv4(V4_A, V4_B, 64).udp(src, dst);
    let mut out = Vec::with_capacity(builder.size(4));
    builder.write(&mut out, b"abcd").expect("build");
    out
}

fn cat(prefix: &[u8], packet: &[u8]) -> Vec<u8> {
    let mut v = prefix.to_vec();
    v.extend_from_slice(packet);
    v
}

#[test]
fn frame_relay_addresses_and_encapsulations() {
    let ip = udp4(1000, 53);
    let udp = PacketInfo::ports(Transport::Udp, 1000, 53);
    let category = |frame: &[u8]| whole(LinkType::FRELAY, frame).category;
    // A bogus 1-octet address is DLCI 0: UI still leads to an NLPID.
    assert_eq!(category(&cat(&[0x19, 0x03, 0xcc], &ip)), Udp);
    // ... but anything else on DLCI 0 is LAPF.
    assert_eq!(category(&cat(&[0x19, 0x08, 0x00], &ip)), NonIp);
    // Bogus extra address octets are skipped.
    assert_eq!(
        category(&cat(&[0x18, 0x40, 0x02, 0x02, 0x01, 0x03, 0xcc], &ip)),
        Udp
    );
    // A DL-CORE final octet carries no DLCI bits: DLCI 0 here.
    assert_eq!(category(&cat(&[0x00, 0x00, 0x03, 0x08, 0x00], &ip)), NonIp);
    // Cisco bridged Ethernet and MPLS multicast.
    let eth = ethernet(0x0800, &ip);
    assert_eq!(category(&cat(&[0x18, 0x41, 0x65, 0x58], &eth)), Udp);
    assert_eq!(
        whole(
            LinkType::FRELAY,
            &cat(&[0x18, 0x41, 0x88, 0x48, 0, 0, 0x11, 0x40], &ip)
        )
        .transport_ports(),
        udp.transport_ports()
    );
}

#[test]
fn cisco_hdlc_only_on_ppp_links() {
    let frame = cat(&[0x0f, 0x00, 0x08, 0x00], &udp4(1, 2));
    for link in [LinkType::PPP, LinkType::PPP_HDLC, LinkType::C_HDLC] {
        assert_eq!(whole(link, &frame).category, Udp, "{link:?}");
    }
    // Raw IP keeps its own reading: 0x0f is no IP version.
    assert_eq!(whole(LinkType::RAW, &frame).category, NonIp);
    // A lone address byte is Cisco HDLC cut short.
    assert_eq!(
        whole(LinkType::PPP, &[0x8f]).problem,
        Some(DecodeProblem::LinkHeaderTruncated)
    );
}

#[test]
fn sunatm_reported_length_excludes_the_pseudo_header() {
    // An IPv4 header whose total length says 4 bytes more than were
    // captured: the pseudo-header must not count towards what was on the
    // wire, or the ports would seem to be there.
    let llc = [0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00];
    let ip = udp4(7000, 53);
    let frame = cat(&cat(&[0x02, 0, 0, 32], &llc), &ip);
    // As the readers give it: orig_len without the 4-byte pseudo-header.
    let orig = (frame.len() - 4) as u32;
    let info = decode(LinkType::SUNATM, &frame, orig, 0);
    assert_eq!(info.transport_ports(), Some((Transport::Udp, 7000, 53)));
    // Cut by the snap length inside the ports.
    let cut = &frame[..4 + llc.len() + 22];
    assert_eq!(decode(LinkType::SUNATM, cut, orig, 0).category, Truncated);
}

#[test]
fn pktap_nesting_is_a_loop_and_ppi_inside_is_not_decoded() {
    let header = |dlt: u32| {
        let mut h = vec![0u8; 108];
        h[0] = 108;
        h[4] = 1;
        h[8..12].copy_from_slice(&dlt.to_le_bytes());
        h
    };
    let ip = udp4(1, 2);
    // 2000 nested PKTAP headers: walked without recursion.
    let mut frame = Vec::new();
    for _ in 0..2000 {
        frame.extend_from_slice(&header(258));
    }
    frame.extend_from_slice(&header(101));
    frame.extend_from_slice(&ip);
    assert_eq!(whole(LinkType::PKTAP, &frame).category, Udp);
    let ppi = cat(&header(192), &[0, 0, 8, 0, 1, 0, 0, 0]);
    assert_eq!(
        whole(LinkType::PKTAP, &ppi).problem,
        Some(DecodeProblem::UnsupportedLinkType)
    );
}

#[test]
fn ipnet_starts_the_packet_where_tshark_does() {
    let ip = udp4(9, 10);
    let header = |len: u32| {
        let mut h = vec![1, 2, 0, 0];
        h.extend_from_slice(&len.to_be_bytes());
        h.resize(24, 0);
        h
    };
    let frame = |len: u32| cat(&header(len), &ip);
    assert_eq!(
        whole(LinkType::IPNET, &frame(ip.len() as u32)).category,
        Udp
    );
    // A packet length larger than the frame counts from its end.
    assert_eq!(
        whole(LinkType::IPNET, &frame(2 * (24 + ip.len() as u32) - 24)).category,
        Udp
    );
    // Past either end: an exception in tshark, non-IP here.
    assert_eq!(whole(LinkType::IPNET, &frame(u32::MAX / 2)).category, NonIp);
}
