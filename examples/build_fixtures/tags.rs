//! The tag fixtures: `ethertypes.pcap` (Ethernet with the tags and shims
//! portclass follows to IP, `src/decode/tags.rs`) and one
//! `link-dsa-<kind>.pcap` per DSA switch-tag link type (281, 282, 284,
//! 285), which tshark 4.0 cannot read: their figures come from tcpdump
//! (`fixtures/tcpdump-oracle.py`).

use super::*;

const LINKTYPE_DSA_TAG_BRCM: u32 = 281;
const LINKTYPE_DSA_TAG_BRCM_PREPEND: u32 = 282;
const LINKTYPE_DSA_TAG_DSA: u32 = 284;
const LINKTYPE_DSA_TAG_EDSA: u32 = 285;

/// The DSA fixtures: (file name, link type, frames).
type DsaFixture = (&'static str, u32, fn() -> Result<Vec<Frame>>);

const DSA_FIXTURES: [DsaFixture; 4] = [
    ("link-dsa-brcm.pcap", LINKTYPE_DSA_TAG_BRCM, dsa_brcm),
    (
        "link-dsa-brcm-prepend.pcap",
        LINKTYPE_DSA_TAG_BRCM_PREPEND,
        dsa_brcm_prepend,
    ),
    ("link-dsa-dsa.pcap", LINKTYPE_DSA_TAG_DSA, dsa_dsa),
    ("link-dsa-edsa.pcap", LINKTYPE_DSA_TAG_EDSA, dsa_edsa),
];

/// `ethertype` and the bytes it announces (no Ethernet header).
fn typed(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    [&ethertype.to_be_bytes()[..], payload].concat()
}

/// Ethernet addresses (client to server) in front of a [`typed`].
fn frame(inner: &[u8]) -> Vec<u8> {
    [&MAC_SERVER[..], &MAC_CLIENT[..], inner].concat()
}

fn vlan_tag(id: u16, inner: &[u8]) -> Vec<u8> {
    typed(0x8100, &[&id.to_be_bytes()[..], inner].concat())
}

fn udp4(sport: u16, dport: u16, payload: &[u8]) -> Result<Vec<u8>> {
    Ok(typed(
        0x0800,
        &build!(
            PacketBuilder::ipv4(V4_CLIENT, V4_SERVER, 64).udp(sport, dport),
            payload
        ),
    ))
}

fn udp6(sport: u16, dport: u16, payload: &[u8]) -> Result<Vec<u8>> {
    Ok(typed(
        0x86dd,
        &build!(
            PacketBuilder::ipv6(V6_CLIENT, V6_SERVER, 64).udp(sport, dport),
            payload
        ),
    ))
}

fn syn4(sport: u16, dport: u16) -> Result<Vec<u8>> {
    Ok(typed(
        0x0800,
        &build!(
            PacketBuilder::ipv4(V4_CLIENT, V4_SERVER, 64)
                .tcp(sport, dport, 1000, 64240)
                .syn(),
            &[]
        ),
    ))
}

fn syn6(sport: u16, dport: u16) -> Result<Vec<u8>> {
    Ok(typed(
        0x86dd,
        &build!(
            PacketBuilder::ipv6(V6_CLIENT, V6_SERVER, 64)
                .tcp(sport, dport, 1000, 64240)
                .syn(),
            &[]
        ),
    ))
}

fn echo4() -> Result<Vec<u8>> {
    Ok(typed(
        0x0800,
        &build!(
            PacketBuilder::ipv4(V4_CLIENT, V4_SERVER, 64).icmpv4_echo_request(7, 1),
            b"ping"
        ),
    ))
}

/// An ARP request from its EtherType on (to follow a tag).
fn arp_request() -> Result<Vec<u8>> {
    Ok(arp_request_frame(V4_ROUTER)?[12..].to_vec())
}

/// LLC/SNAP with EtherType IPv4, for 802.3 frames.
fn llc_snap(ip: &[u8]) -> Vec<u8> {
    [&[0xaa, 0xaa, 0x03, 0, 0, 0][..], ip].concat()
}

/// MACsec SecTAG (TCI `tci`, AN 0, short length `sl`, packet number `pn`,
/// the SCI when SC is set), the secure data, a 16-byte ICV.
fn macsec(tci: u8, sl: u8, pn: u32, data: &[u8]) -> Vec<u8> {
    let mut tag = vec![tci, sl];
    tag.extend(pn.to_be_bytes());
    if tci & 0x20 != 0 {
        tag.extend(MAC_CLIENT);
        tag.extend(1u16.to_be_bytes());
    }
    typed(0x88e5, &[&tag[..], data, &[0x1c; 16][..]].concat())
}

/// CRC-32 (IEEE 802.3), for FabricPath's FCS.
fn crc32(data: &[u8]) -> u32 {
    super::reflected_crc32(data, 0xedb8_8320)
}

/// FabricPath: outer destination and source (hierarchical MACs), `tag`
/// (the FP tag, possibly behind an 802.1Q tag), the original frame, the FCS.
fn fabricpath(tag: &[u8], inner_frame: &[u8]) -> Vec<u8> {
    let outer_dst = [0x02, 0x00, 0x0a, 0x00, 0x00, 0x01];
    let outer_src = [0x02, 0x00, 0x0b, 0x00, 0x00, 0x02];
    let mut f = [&outer_dst[..], &outer_src[..], tag, inner_frame].concat();
    let fcs = crc32(&f);
    f.extend(fcs.to_le_bytes());
    f
}

/// NSH: version 0, TTL 63, `length` words, `md_type`, `next` protocol,
/// SPI 100, SI 255, then `metadata` and the payload.
fn nsh(length: u8, md_type: u8, next: u8, metadata: &[u8], payload: &[u8]) -> Vec<u8> {
    let base = [0x0f, 0xc0 | length, md_type, next, 0, 0, 100, 255];
    typed(0x894f, &[&base[..], metadata, payload].concat())
}

/// Ethernet with every tag and shim portclass follows (see
/// `fixtures/README.md` for the table of frames).
fn ethertypes() -> Result<Vec<Frame>> {
    let ip = |typed_ip: &[u8]| typed_ip[2..].to_vec();
    let dns = dns_query(0x2001, "www.example.com", 1);
    let vn_tag = |inner: &[u8]| typed(0x8926, &[&[0x80, 0x01, 0x00, 0x02][..], inner].concat());
    let pbb = |inner: &[u8]| {
        typed(
            0x88e7,
            &[
                &[0x00, 0x01, 0x00, 0x00][..],
                &MAC_SERVER,
                &MAC_CLIENT,
                inner,
            ]
            .concat(),
        )
    };
    let arista = |version: u16, timestamp: &[u8], inner: &[u8]| {
        let header = [&1u16.to_be_bytes()[..], &version.to_be_bytes(), timestamp].concat();
        typed(0xd28b, &[&header[..], inner].concat())
    };
    let small = udp4(51103, 123, b"time")?;
    let mut frames = vec![
        // 1-4 MACsec: integrity only with and without SCI, short length, encrypted
        Frame::full(frame(&macsec(0x20, 0, 1, &udp4(51101, 53, &dns)?))),
        Frame::full(frame(&macsec(0x00, 0, 2, &syn6(51102, 443)?))),
        Frame::full(frame(&macsec(0x20, small.len() as u8, 3, &small))),
        Frame::full(frame(&macsec(0x2c, 0, 4, &filler(60, 0xe1)))),
        // 5-6 FabricPath, plain and behind 802.1Q
        Frame::full(fabricpath(
            &typed(0x8903, &[0x00, 0x60]),
            &frame(&syn4(51105, 80)?),
        )),
        Frame::full(fabricpath(
            &vlan_tag(10, &typed(0x8903, &[0x00, 0x60])),
            &frame(&udp4(51106, 53, &dns)?),
        )),
        // 7-11 NSH: MD type 1 to IPv4, MD type 2 with a TLV to IPv6, to
        // Ethernet, to MPLS, and an unknown next protocol
        Frame::full(frame(&nsh(
            6,
            1,
            1,
            &[0x11; 16],
            &ip(&udp4(51107, 161, b"snmp")?),
        ))),
        Frame::full(frame(&nsh(
            4,
            2,
            2,
            &[0x01, 0x00, 0x01, 0x04, 0xde, 0xad, 0xbe, 0xef],
            &ip(&udp6(51108, 53, &dns)?),
        ))),
        Frame::full(frame(&nsh(2, 2, 3, &[], &frame(&syn4(51109, 22)?)))),
        Frame::full(frame(&nsh(
            2,
            2,
            5,
            &[0x00, 0x01, 0x01, 0x40],
            &ip(&udp4(51110, 123, b"time")?),
        ))),
        Frame::full(frame(&nsh(2, 2, 0xfe, &[], &ip(&udp4(51111, 53, &dns)?)))),
        // 12 Cisco MetaData (SGT 10)
        Frame::full(frame(&typed(
            0x8909,
            &[
                &[0x01, 0x01, 0x00, 0x01, 0x00, 0x0a][..],
                &syn4(51112, 443)?,
            ]
            .concat(),
        ))),
        // 13 E-Tag, then 802.1Q
        Frame::full(frame(&typed(
            0x893f,
            &[
                &[0x00, 0x00, 0x10, 0x05, 0x00, 0x00][..],
                &vlan_tag(20, &udp4(51113, 53, &dns)?),
            ]
            .concat(),
        ))),
        // 14-15 VN-Tag: IPv4, and an 802.3 length with LLC/SNAP
        Frame::full(frame(&vn_tag(&syn4(51114, 8080)?))),
        {
            let snap = llc_snap(&udp4(51115, 53, &dns)?);
            Frame::full(frame(&vn_tag(&typed(snap.len() as u16, &snap))))
        },
        // 16-17 802.1ah: the customer frame; behind an 802.1ad S-tag
        Frame::full(frame(&pbb(&udp4(51116, 5353, &dns)?))),
        Frame::full(frame(&typed(
            0x88a8,
            &[&[0x01, 0x2c][..], &pbb(&syn6(51117, 443)?)].concat(),
        ))),
        // 18-20 Arista: 64-bit and 48-bit timestamps, an unknown version
        Frame::full(frame(&arista(
            0x10,
            &[0x67, 0x74, 0x86, 0x00, 0x00, 0x00, 0x03, 0xe8],
            &syn4(51118, 80)?,
        ))),
        Frame::full(frame(&arista(
            0x20,
            &[0x86, 0x00, 0x00, 0x00, 0x03, 0xe8],
            &udp6(51119, 123, b"time")?,
        ))),
        Frame::full(frame(&arista(
            0x30,
            &[0x86, 0x00, 0x00, 0x00, 0x03, 0xe8],
            &udp4(51120, 53, &dns)?,
        ))),
        // 21 nested: 802.1Q, MACsec, VN-Tag, ICMP echo
        Frame::full(frame(&vlan_tag(
            30,
            &macsec(0x20, 0, 5, &vn_tag(&echo4()?)),
        ))),
        // 22 802.1Q, then an 802.3 length and LLC/SNAP
        {
            let snap = llc_snap(&udp4(51122, 53, &dns)?);
            Frame::full(frame(&vlan_tag(40, &typed(snap.len() as u16, &snap))))
        },
    ];
    // 23-24 20 nested 802.1Q tags (tshark's most), then 21
    for (tags, sport) in [(20u16, 51123u16), (21, 51124)] {
        let inner = (1..=tags).rev().try_fold(udp4(sport, 53, &dns)?, |p, id| {
            Ok::<_, Box<dyn Error>>(vlan_tag(id, &p))
        })?;
        frames.push(Frame::full(frame(&inner)));
    }
    // 25 0x9200 (old QinQ), which tshark 4.0 does not read
    frames.push(Frame::full(frame(&typed(
        0x9200,
        &[&[0x00, 0x32][..], &udp4(51125, 53, &dns)?].concat(),
    ))));
    // 26 802.3 length 30: the LLC payload ends inside the UDP ports
    frames.push(Frame::full(frame(&typed(
        30,
        &llc_snap(&udp4(51126, 53, &dns)?),
    ))));
    // 27 MACsec cut by the snap length inside the SecTAG
    let cut = frame(&macsec(0x20, 0, 6, &udp4(51127, 53, &dns)?));
    frames.push(Frame::cut(cut, 24));
    Ok(frames)
}

/// Broadcom tag after the source address (egress to port 2, ingress from
/// the CPU), then an ordinary type field.
fn dsa_brcm() -> Result<Vec<Frame>> {
    let egress = [0x00, 0x00, 0x04, 0x02];
    let ingress = [0x20, 0x00, 0x00, 0x04];
    dsa_frames(
        |tag_kind, inner| {
            let tag = if tag_kind == 0 { egress } else { ingress };
            [&MAC_SERVER[..], &MAC_CLIENT, &tag, inner].concat()
        },
        51200,
    )
}

/// Broadcom tag in front of the whole Ethernet frame.
fn dsa_brcm_prepend() -> Result<Vec<Frame>> {
    let egress = [0x00, 0x00, 0x04, 0x03];
    let ingress = [0x20, 0x00, 0x00, 0x08];
    dsa_frames(
        |tag_kind, inner| {
            let tag = if tag_kind == 0 { egress } else { ingress };
            [&tag[..], &MAC_SERVER, &MAC_CLIENT, inner].concat()
        },
        51210,
    )
}

/// Marvell DSA tag after the source address: forward from port 3, and
/// from the CPU to port 1.
fn dsa_dsa() -> Result<Vec<Frame>> {
    let forward = [0xc0, 0x18, 0x00, 0x00];
    let from_cpu = [0x40, 0x08, 0x00, 0x00];
    dsa_frames(
        |tag_kind, inner| {
            let tag = if tag_kind == 0 { forward } else { from_cpu };
            [&MAC_SERVER[..], &MAC_CLIENT, &tag, inner].concat()
        },
        51220,
    )
}

/// Marvell EDSA: EtherType 0xdada, 2 reserved bytes, a DSA tag.
fn dsa_edsa() -> Result<Vec<Frame>> {
    let forward = [0xda, 0xda, 0x00, 0x00, 0xc0, 0x10, 0x00, 0x00];
    let from_cpu = [0xda, 0xda, 0x00, 0x00, 0x40, 0x08, 0x00, 0x00];
    dsa_frames(
        |tag_kind, inner| {
            let tag = if tag_kind == 0 { forward } else { from_cpu };
            [&MAC_SERVER[..], &MAC_CLIENT, &tag, inner].concat()
        },
        51230,
    )
}

/// The same traffic behind each kind of switch tag: `tagged(kind, inner)`
/// builds the frame around `inner` (a type field and what follows), kind 0
/// or 1 for the two tags of each link type; source ports from `base`.
fn dsa_frames(tagged: impl Fn(u8, &[u8]) -> Vec<u8>, base: u16) -> Result<Vec<Frame>> {
    let dns = dns_query(0x3001, "www.example.com", 1);
    let snap = llc_snap(&udp4(base + 5, 53, &dns)?);
    let frames = vec![
        tagged(0, &syn4(base, 443)?),
        tagged(1, &udp6(base + 1, 53, &dns)?),
        tagged(1, &arp_request()?),
        tagged(0, &vlan_tag(5, &udp4(base + 3, 123, b"time")?)),
        tagged(0, &echo4()?),
        tagged(1, &typed(snap.len() as u16, &snap)),
        tagged(0, &typed(0x88b5, &filler(46, 0x5a))),
    ];
    Ok(frames.into_iter().map(Frame::full).collect())
}

/// Writes `ethertypes.pcap` and the DSA fixtures into `dir`.
pub(super) fn write_all(dir: &Path) -> Result<()> {
    let frames = ethertypes()?;
    write_pcap(&dir.join("ethertypes.pcap"), LINKTYPE_ETHERNET, &frames)?;
    println!("ethertypes.pcap: {} packets", frames.len());
    for (name, linktype, make) in DSA_FIXTURES {
        let frames = make()?;
        write_pcap(&dir.join(name), linktype, &frames)?;
        println!("{name}: {} packets", frames.len());
    }
    Ok(())
}
