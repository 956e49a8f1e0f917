//! Builds portclass's small edge-case capture fixtures.
//!
//! ```text
//! cargo run --example build_fixtures -- fixtures/
//! ```
//!
//! Every file is deterministic (fixed addresses, ports, payloads and
//! timestamps starting at 2025-01-01T00:00:00Z), so re-running the example
//! reproduces the committed fixtures byte for byte. Packets are built with
//! etherparse's `PacketBuilder` where it can express them; tunnels, SCTP,
//! LLDP/STP and the non-Ethernet link layers are assembled by hand around
//! builder output. The pcap/pcapng containers are written by hand
//! (little-endian, microsecond timestamps, snaplen 65535).
//!
//! The expected figures for each file come from tshark (see
//! `fixtures/regen.sh` and `fixtures/README.md`), not from this program.

use etherparse::{
    ArpHardwareId, ArpOperation, ArpPacket, EtherType, Ethernet2Header, IpAuthHeader, IpFragOffset,
    IpHeaders, IpNumber, Ipv4Extensions, Ipv4Header, Ipv4Options, Ipv6Extensions,
    Ipv6FragmentHeader, Ipv6Header, Ipv6RawExtHeader, Ipv6RoutingExtensions, LinuxSllPacketType,
    PacketBuilder, PacketBuilderStep, TcpHeader, TcpOptionElement, UdpHeader, VlanId, icmpv4,
    icmpv6,
};
use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};

type Result<T> = std::result::Result<T, Box<dyn Error>>;
/// `(link type, interface name)` per pcapng interface.
type Interfaces = Vec<(u32, &'static str)>;
/// Builds the frames of one Ethernet pcap fixture.
type FixtureFn = fn() -> Result<Vec<Frame>>;

/// 2025-01-01T00:00:00Z; packet `i` of a file is stamped BASE + i ms.
const BASE_TS_SEC: u64 = 1_735_689_600;
const SNAPLEN: u32 = 65_535;

// pcap / pcapng link types
const LINKTYPE_NULL: u32 = 0;
const LINKTYPE_ETHERNET: u32 = 1;
const LINKTYPE_RAW: u32 = 101;
const LINKTYPE_LOOP: u32 = 108;
const LINKTYPE_LINUX_SLL: u32 = 113;
const LINKTYPE_IPV4: u32 = 228;
const LINKTYPE_IPV6: u32 = 229;
const LINKTYPE_LINUX_SLL2: u32 = 276;

// addresses: locally administered MACs, documentation IPv4/IPv6 prefixes
const MAC_CLIENT: [u8; 6] = [0x02, 0x00, 0x00, 0xc1, 0x1e, 0x01];
const MAC_SERVER: [u8; 6] = [0x02, 0x00, 0x00, 0x5e, 0x7e, 0x02];
const MAC_ROUTER: [u8; 6] = [0x02, 0x00, 0x00, 0x0a, 0x7e, 0xfe];
const MAC_BCAST: [u8; 6] = [0xff; 6];
const V4_CLIENT: [u8; 4] = [192, 0, 2, 10];
const V4_SERVER: [u8; 4] = [198, 51, 100, 20];
const V4_ROUTER: [u8; 4] = [192, 0, 2, 1];
const V4_TUN_A: [u8; 4] = [203, 0, 113, 1];
const V4_TUN_B: [u8; 4] = [203, 0, 113, 2];
const V6_CLIENT: [u8; 16] = v6(0x0001, 0x10);
const V6_SERVER: [u8; 16] = v6(0x0002, 0x20);
const V6_ROUTER: [u8; 16] = v6(0x0001, 0x01);
const V6_TUN_A: [u8; 16] = v6(0x0003, 0x01);
const V6_TUN_B: [u8; 16] = v6(0x0003, 0x02);

/// `2001:db8:<net>::<host>`
const fn v6(net: u16, host: u8) -> [u8; 16] {
    let n = net.to_be_bytes();
    [
        0x20, 0x01, 0x0d, 0xb8, n[0], n[1], 0, 0, 0, 0, 0, 0, 0, 0, 0, host,
    ]
}

/// One captured frame: the captured bytes plus the original wire length
/// (larger than `data.len()` for snaplen-truncated records).
struct Frame {
    data: Vec<u8>,
    orig_len: u32,
    iface: u32,
}

impl Frame {
    fn full(data: Vec<u8>) -> Frame {
        let orig_len = data.len() as u32;
        Frame {
            data,
            orig_len,
            iface: 0,
        }
    }

    /// Keeps only the first `keep` bytes, as a capture with a small snaplen would.
    fn cut(mut data: Vec<u8>, keep: usize) -> Frame {
        let orig_len = data.len() as u32;
        assert!(keep < data.len(), "cut must remove something");
        data.truncate(keep);
        Frame {
            data,
            orig_len,
            iface: 0,
        }
    }

    fn on(mut self, iface: u32) -> Frame {
        self.iface = iface;
        self
    }
}

/// Serializes any finished `PacketBuilderStep` (they share no trait).
macro_rules! build {
    ($builder:expr, $payload:expr) => {{
        let builder = $builder;
        let payload: &[u8] = $payload;
        let mut out = Vec::with_capacity(builder.size(payload.len()));
        builder.write(&mut out, payload)?;
        out
    }};
}

// ------------------------------------------------------------------ helpers

fn eth(src: [u8; 6], dst: [u8; 6]) -> PacketBuilderStep<Ethernet2Header> {
    PacketBuilder::ethernet2(src, dst)
}

fn eth_c2s() -> PacketBuilderStep<Ethernet2Header> {
    eth(MAC_CLIENT, MAC_SERVER)
}

fn eth_s2c() -> PacketBuilderStep<Ethernet2Header> {
    eth(MAC_SERVER, MAC_CLIENT)
}

/// Ethernet II header + payload for ether types the builder does not know.
fn eth_raw(src: [u8; 6], dst: [u8; 6], ether_type: u16, payload: &[u8]) -> Vec<u8> {
    let header = Ethernet2Header {
        source: src,
        destination: dst,
        ether_type: EtherType(ether_type),
    };
    let mut out = header.to_bytes().to_vec();
    out.extend_from_slice(payload);
    out
}

fn ipv4_header(src: [u8; 4], dst: [u8; 4], ttl: u8, id: u16) -> Ipv4Header {
    Ipv4Header {
        source: src,
        destination: dst,
        time_to_live: ttl,
        identification: id,
        ..Default::default()
    }
}

fn ipv6_header(src: [u8; 16], dst: [u8; 16], hop_limit: u8) -> Ipv6Header {
    Ipv6Header {
        source: src,
        destination: dst,
        hop_limit,
        ..Default::default()
    }
}

/// IPv4 header (+ options/AH) for an opaque payload (see [`finish_raw`]).
fn ip4_raw_headers(ip: Ipv4Header, exts: Ipv4Extensions) -> IpHeaders {
    IpHeaders::Ipv4(ip, exts)
}

/// IPv6 header (+ extension headers) for an opaque payload (see [`finish_raw`]).
fn ip6_raw_headers(ip: Ipv6Header, exts: Ipv6Extensions) -> IpHeaders {
    IpHeaders::Ipv6(ip, exts)
}

/// Serializes an IP-level builder whose payload is opaque bytes of IP
/// protocol `proto` (the builder fills in next-header fields and lengths).
fn finish_raw(step: PacketBuilderStep<IpHeaders>, proto: u8, payload: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(step.size(payload.len()));
    step.write(&mut out, IpNumber(proto), payload)?;
    Ok(out)
}

fn vlan(id: u16) -> Result<VlanId> {
    Ok(VlanId::try_new(id)?)
}

fn frag_offset(units_of_8: u16) -> Result<IpFragOffset> {
    Ok(IpFragOffset::try_new(units_of_8)?)
}

/// A DNS query for `name` (type `qtype`, class IN) with the given id.
fn dns_query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]); // RD, 1 question
    for label in name.split('.') {
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.push(0);
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&[0, 1]);
    m
}

/// The answer to `dns_query(id, name, 1)`: one A record.
fn dns_answer_a(id: u16, name: &str, addr: [u8; 4]) -> Vec<u8> {
    let mut m = dns_query(id, name, 1);
    m[2] = 0x81; // QR, RD
    m[3] = 0x80; // RA
    m[7] = 1; // ANCOUNT
    m.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4]);
    m.extend_from_slice(&addr);
    m
}

/// A large DNS answer (`count` TXT records of `len` bytes each) to a TXT
/// query for `name`: the kind of response that gets fragmented.
fn dns_answer_txt(id: u16, name: &str, count: u8, len: u8) -> Vec<u8> {
    let mut m = dns_query(id, name, 16);
    m[2] = 0x81;
    m[3] = 0x80;
    m[7] = count;
    for i in 0..count {
        m.extend_from_slice(&[0xc0, 0x0c, 0, 16, 0, 1, 0, 0, 0x01, 0x2c]);
        m.extend_from_slice(&(u16::from(len) + 1).to_be_bytes());
        m.push(len);
        m.extend((0..len).map(|j| b'a' + (i.wrapping_add(j) % 26)));
    }
    m
}

/// `n` bytes of deterministic filler.
fn filler(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// A reflected 32-bit CRC with polynomial `poly` (reversed bit order),
/// initial value and final XOR all ones.
fn reflected_crc32(data: &[u8], poly: u32) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ poly
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// CRC-32C (Castagnoli), as used by the SCTP checksum.
fn crc32c(data: &[u8]) -> u32 {
    reflected_crc32(data, 0x82f6_3b78)
}

/// SCTP common header + chunks, with a valid CRC-32C checksum.
fn sctp_packet(sport: u16, dport: u16, vtag: u32, chunks: &[Vec<u8>]) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&sport.to_be_bytes());
    p.extend_from_slice(&dport.to_be_bytes());
    p.extend_from_slice(&vtag.to_be_bytes());
    p.extend_from_slice(&[0; 4]);
    for c in chunks {
        p.extend_from_slice(c);
    }
    let crc = crc32c(&p);
    // RFC 9260 appendix A: the CRC is stored least significant byte first
    p[8..12].copy_from_slice(&crc.to_le_bytes());
    p
}

/// One SCTP chunk: type, flags, value (padded to 4 bytes; length excludes padding).
fn sctp_chunk(kind: u8, flags: u8, value: &[u8]) -> Vec<u8> {
    let len = (4 + value.len()) as u16;
    let mut c = vec![kind, flags];
    c.extend_from_slice(&len.to_be_bytes());
    c.extend_from_slice(value);
    while c.len() % 4 != 0 {
        c.push(0);
    }
    c
}

/// INIT / INIT ACK fixed part: tag, a_rwnd, out streams, in streams, TSN.
fn sctp_init_value(tag: u32, tsn: u32, params: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&tag.to_be_bytes());
    v.extend_from_slice(&106_496u32.to_be_bytes());
    v.extend_from_slice(&10u16.to_be_bytes());
    v.extend_from_slice(&65_535u16.to_be_bytes());
    v.extend_from_slice(&tsn.to_be_bytes());
    v.extend_from_slice(params);
    v
}

// ------------------------------------------------------------ file writers

fn timestamp_us(index: usize) -> u64 {
    BASE_TS_SEC * 1_000_000 + index as u64 * 1_000
}

/// Classic pcap: magic a1b2c3d4 written little-endian, v2.4, µs timestamps.
fn write_pcap(path: &Path, linktype: u32, frames: &[Frame]) -> Result<()> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes()); // thiszone
    out.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
    out.extend_from_slice(&SNAPLEN.to_le_bytes());
    out.extend_from_slice(&linktype.to_le_bytes());
    for (i, f) in frames.iter().enumerate() {
        let ts = timestamp_us(i);
        out.extend_from_slice(&((ts / 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&((ts % 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&(f.data.len() as u32).to_le_bytes());
        out.extend_from_slice(&f.orig_len.to_le_bytes());
        out.extend_from_slice(&f.data);
    }
    fs::write(path, out)?;
    Ok(())
}

fn pad4(v: &mut Vec<u8>) {
    while !v.len().is_multiple_of(4) {
        v.push(0);
    }
}

/// pcapng option: code, length, value padded to 32 bits.
fn pcapng_option(out: &mut Vec<u8>, code: u16, value: &[u8]) {
    out.extend_from_slice(&code.to_le_bytes());
    out.extend_from_slice(&(value.len() as u16).to_le_bytes());
    out.extend_from_slice(value);
    pad4(out);
}

/// Wraps a block body into type + total length + body + total length.
fn pcapng_block(out: &mut Vec<u8>, block_type: u32, body: &[u8]) {
    let total = (12 + body.len()) as u32;
    out.extend_from_slice(&block_type.to_le_bytes());
    out.extend_from_slice(&total.to_le_bytes());
    out.extend_from_slice(body);
    out.extend_from_slice(&total.to_le_bytes());
}

/// pcapng (little-endian section): SHB, one IDB per `(linktype, name)`, one
/// EPB per frame. Interfaces use the default µs timestamp resolution.
fn write_pcapng(path: &Path, interfaces: &[(u32, &str)], frames: &[Frame]) -> Result<()> {
    let mut out = Vec::new();

    let mut shb = Vec::new();
    shb.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes()); // byte-order magic
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&0u16.to_le_bytes());
    shb.extend_from_slice(&u64::MAX.to_le_bytes()); // section length unknown
    pcapng_option(&mut shb, 4, b"portclass examples/build_fixtures.rs"); // shb_userappl
    pcapng_option(&mut shb, 0, &[]);
    pcapng_block(&mut out, 0x0a0d_0d0a, &shb);

    for &(linktype, name) in interfaces {
        let mut idb = Vec::new();
        idb.extend_from_slice(&u16::try_from(linktype)?.to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&SNAPLEN.to_le_bytes());
        pcapng_option(&mut idb, 2, name.as_bytes()); // if_name
        pcapng_option(&mut idb, 0, &[]);
        pcapng_block(&mut out, 1, &idb);
    }

    for (i, f) in frames.iter().enumerate() {
        assert!((f.iface as usize) < interfaces.len());
        let ts = timestamp_us(i);
        let mut epb = Vec::new();
        epb.extend_from_slice(&f.iface.to_le_bytes());
        epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(ts as u32).to_le_bytes());
        epb.extend_from_slice(&(f.data.len() as u32).to_le_bytes());
        epb.extend_from_slice(&f.orig_len.to_le_bytes());
        epb.extend_from_slice(&f.data);
        pad4(&mut epb);
        pcapng_block(&mut out, 6, &epb);
    }
    fs::write(path, out)?;
    Ok(())
}

// ----------------------------------------------------------------- fixtures

/// 802.1Q single tags and QinQ (802.1ad outer + 802.1Q inner, and the older
/// 0x8100/0x8100 stacking), carrying DNS over UDP 53 and HTTPS SYNs to 443.
fn vlan_qinq() -> Result<Vec<Frame>> {
    let q = dns_query(0x1001, "www.example.com", 1);
    let a = dns_answer_a(0x1001, "www.example.com", [192, 0, 2, 80]);
    let mut frames = vec![
        // 802.1Q VLAN 100: DNS query and answer over IPv4
        build!(
            eth_c2s()
                .single_vlan(vlan(100)?)
                .ipv4(V4_CLIENT, V4_SERVER, 64)
                .udp(51000, 53),
            &q
        ),
        build!(
            eth_s2c()
                .single_vlan(vlan(100)?)
                .ipv4(V4_SERVER, V4_CLIENT, 64)
                .udp(53, 51000),
            &a
        ),
        // 802.1Q VLAN 100: TCP SYN to 443
        build!(
            eth_c2s()
                .single_vlan(vlan(100)?)
                .ipv4(V4_CLIENT, V4_SERVER, 64)
                .tcp(51001, 443, 1000, 64240)
                .syn(),
            &[]
        ),
        // 802.1Q VLAN 100: DNS query over IPv6
        build!(
            eth_c2s()
                .single_vlan(vlan(100)?)
                .ipv6(V6_CLIENT, V6_SERVER, 64)
                .udp(51005, 53),
            &dns_query(0x1005, "www.example.com", 28)
        ),
        // 802.1ad S-tag 300 + 802.1Q C-tag 100: DNS query, TCP SYN, SYN-ACK
        build!(
            eth_c2s()
                .double_vlan(vlan(300)?, vlan(100)?)
                .ipv4(V4_CLIENT, V4_SERVER, 64)
                .udp(51002, 53),
            &dns_query(0x1002, "mail.example.com", 15)
        ),
        build!(
            eth_c2s()
                .double_vlan(vlan(300)?, vlan(100)?)
                .ipv4(V4_CLIENT, V4_SERVER, 64)
                .tcp(51003, 443, 2000, 64240)
                .syn(),
            &[]
        ),
        build!(
            eth_s2c()
                .double_vlan(vlan(300)?, vlan(100)?)
                .ipv4(V4_SERVER, V4_CLIENT, 64)
                .tcp(443, 51003, 9000, 65160)
                .syn()
                .ack(2001),
            &[]
        ),
    ];
    // 0x8100 outer + 0x8100 inner (pre-802.1ad QinQ): take a single-tagged
    // frame (tag 20) and put a second 0x8100 tag (VLAN 200) in front of it.
    let mut legacy = build!(
        eth_c2s()
            .single_vlan(vlan(20)?)
            .ipv4(V4_CLIENT, V4_SERVER, 64)
            .tcp(51004, 443, 3000, 64240)
            .syn(),
        &[]
    );
    legacy.splice(12..12, [0x81, 0x00, 0x00, 0xc8]);
    frames.push(legacy);
    Ok(frames.into_iter().map(Frame::full).collect())
}

/// IPv4 headers with options (IHL 6, 8, 15) and with an AH header, carrying
/// an SSH (TCP 22) handshake.
fn ipv4_options() -> Result<Vec<Frame>> {
    let mss = [
        TcpOptionElement::MaximumSegmentSize(1460),
        TcpOptionElement::SelectiveAcknowledgementPermitted,
        TcpOptionElement::Timestamp(1_000_000, 0),
        TcpOptionElement::Noop,
        TcpOptionElement::WindowScale(7),
    ];
    let with_opts = |src, dst, opts: &[u8]| -> Result<IpHeaders> {
        let mut ip = ipv4_header(src, dst, 64, 0x2222);
        ip.options = Ipv4Options::try_from(opts)?;
        Ok(IpHeaders::Ipv4(ip, Default::default()))
    };
    // Router Alert (RFC 2113): IHL 6
    let router_alert = [0x94, 0x04, 0x00, 0x00];
    // Record Route with 9 empty slots + EOL: 40 bytes of options, IHL 15
    let mut record_route = vec![0x07, 39, 4];
    record_route.extend_from_slice(&[0; 36]);
    record_route.push(0x00);
    // Timestamp (type 68, flag 0: timestamps only), two slots: IHL 8
    let timestamp = [0x44, 12, 9, 0x00, 0x00, 0x36, 0xee, 0x80, 0, 0, 0, 0];

    let syn = build!(
        eth_c2s()
            .ip(with_opts(V4_CLIENT, V4_SERVER, &router_alert)?)
            .tcp(50022, 22, 0x1000_0000, 64240)
            .syn()
            .options(&mss)?,
        &[]
    );
    let syn_ack = build!(
        eth_s2c()
            .ip(with_opts(V4_SERVER, V4_CLIENT, &record_route)?)
            .tcp(22, 50022, 0x2000_0000, 65160)
            .syn()
            .ack(0x1000_0001)
            .options(&mss)?,
        &[]
    );
    let banner = build!(
        eth_s2c()
            .ip(with_opts(V4_SERVER, V4_CLIENT, &timestamp)?)
            .tcp(22, 50022, 0x2000_0001, 509)
            .ack(0x1000_0001)
            .psh(),
        b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"
    );
    // IPv4 + AH (HMAC-SHA1-96 ICV) + TCP 22
    let icv = filler(12, 0xa5);
    let ah = IpAuthHeader::new(IpNumber::TCP, 0x0000_1001, 1, &icv)?;
    let ah_hdrs = IpHeaders::Ipv4(
        ipv4_header(V4_CLIENT, V4_SERVER, 64, 0x2223),
        Ipv4Extensions { auth: Some(ah) },
    );
    let ah_pkt = build!(
        eth_c2s()
            .ip(ah_hdrs)
            .tcp(50022, 22, 0x1000_0001, 502)
            .ack(0x2000_0021)
            .psh(),
        b"SSH-2.0-OpenSSH_9.6\r\n"
    );
    Ok([syn, syn_ack, banner, ah_pkt]
        .into_iter()
        .map(Frame::full)
        .collect())
}

/// IPv6 extension header chains (hop-by-hop, destination options, routing,
/// AH) in front of UDP/TCP, plus ESP and "no next header" (no ports).
fn ipv6_ext() -> Result<Vec<Frame>> {
    // Router Alert (MLD) + PadN(0): 6 bytes -> 8-byte header
    let hbh =
        |next: IpNumber| Ipv6RawExtHeader::new_raw(next, &[0x05, 0x02, 0x00, 0x00, 0x01, 0x00]);
    // PadN(4): 6 bytes -> 8-byte header
    let dst_opts = |next: IpNumber| Ipv6RawExtHeader::new_raw(next, &[0x01, 0x04, 0, 0, 0, 0]);
    // Segment Routing Header (type 4), segments left 0, one segment
    let mut srh_body = vec![4, 0, 0, 0, 0, 0];
    srh_body.extend_from_slice(&V6_SERVER);
    let srh = |next: IpNumber| Ipv6RawExtHeader::new_raw(next, &srh_body);
    let icv = filler(12, 0x3c);
    let any = IpNumber(0); // next-header fields are rewritten by the builder

    let mut frames = Vec::new();
    // 1. hop-by-hop + UDP 53
    let exts = Ipv6Extensions {
        hop_by_hop_options: Some(hbh(any)?),
        ..Default::default()
    };
    frames.push(build!(
        eth_c2s()
            .ip(IpHeaders::Ipv6(ipv6_header(V6_CLIENT, V6_SERVER, 64), exts))
            .udp(50053, 53),
        &dns_query(0x6001, "ipv6.example.com", 28)
    ));
    // 2. hop-by-hop + destination options + routing + UDP 123
    let exts = Ipv6Extensions {
        hop_by_hop_options: Some(hbh(any)?),
        destination_options: Some(dst_opts(any)?),
        routing: Some(Ipv6RoutingExtensions {
            routing: srh(any)?,
            final_destination_options: None,
        }),
        ..Default::default()
    };
    let mut ntp = vec![0x23];
    ntp.resize(48, 0);
    frames.push(build!(
        eth_c2s()
            .ip(IpHeaders::Ipv6(ipv6_header(V6_CLIENT, V6_SERVER, 64), exts))
            .udp(50123, 123),
        &ntp
    ));
    // 3. destination options + routing + destination options + TCP 443
    let exts = Ipv6Extensions {
        destination_options: Some(dst_opts(any)?),
        routing: Some(Ipv6RoutingExtensions {
            routing: srh(any)?,
            final_destination_options: Some(dst_opts(any)?),
        }),
        ..Default::default()
    };
    frames.push(build!(
        eth_c2s()
            .ip(IpHeaders::Ipv6(ipv6_header(V6_CLIENT, V6_SERVER, 64), exts))
            .tcp(50443, 443, 7000, 64800)
            .syn(),
        &[]
    ));
    // 4. AH + TCP 22
    let exts = Ipv6Extensions {
        auth: Some(IpAuthHeader::new(any, 0x0000_2002, 7, &icv)?),
        ..Default::default()
    };
    frames.push(build!(
        eth_s2c()
            .ip(IpHeaders::Ipv6(ipv6_header(V6_SERVER, V6_CLIENT, 64), exts))
            .tcp(22, 50022, 8000, 65000)
            .syn()
            .ack(7001),
        &[]
    ));
    // 5. hop-by-hop + AH + UDP 514
    let exts = Ipv6Extensions {
        hop_by_hop_options: Some(hbh(any)?),
        auth: Some(IpAuthHeader::new(any, 0x0000_2003, 8, &icv)?),
        ..Default::default()
    };
    frames.push(build!(
        eth_c2s()
            .ip(IpHeaders::Ipv6(ipv6_header(V6_CLIENT, V6_SERVER, 64), exts))
            .udp(50514, 514),
        b"<134>Jan  1 00:00:00 host app: hello over AH"
    ));
    // 6. ESP (50): encrypted, no visible ports -> other_ip
    let mut esp = vec![0, 0, 0x30, 0x03, 0, 0, 0, 9]; // SPI, sequence
    esp.extend_from_slice(&filler(48, 0x77));
    frames.push(finish_raw(
        eth_c2s().ip(ip6_raw_headers(
            ipv6_header(V6_CLIENT, V6_SERVER, 64),
            Default::default(),
        )),
        50,
        &esp,
    )?);
    // 7. destination options followed by No Next Header (59) -> other_ip
    let exts = Ipv6Extensions {
        destination_options: Some(dst_opts(any)?),
        ..Default::default()
    };
    frames.push(finish_raw(
        eth_c2s().ip(ip6_raw_headers(ipv6_header(V6_CLIENT, V6_SERVER, 64), exts)),
        59,
        &[],
    )?);
    Ok(frames.into_iter().map(Frame::full).collect())
}

/// IPv4 and IPv6 UDP datagrams split into a first fragment (ports) and two
/// non-first fragments (no ports), plus a "tiny" first TCP fragment holding
/// only 8 bytes of TCP header and a first fragment too short for the ports.
fn fragments() -> Result<Vec<Frame>> {
    let mut frames = Vec::new();

    // IPv4: 3077-byte UDP datagram (53 -> 50053, a DNS answer with twelve
    // 240-byte TXT records) in 1480 + 1480 + 117 bytes
    let payload = dns_answer_txt(0x5353, "big.example.com", 12, 240);
    let total = UdpHeader::LEN + payload.len();
    let udp = UdpHeader::with_ipv4_checksum(
        53,
        50053,
        &ipv4_header(V4_SERVER, V4_CLIENT, 64, 0),
        &payload,
    )?;
    let mut datagram = udp.to_bytes().to_vec();
    datagram.extend_from_slice(&payload);
    for (start, end, mf) in [(0, 1480, true), (1480, 2960, true), (2960, total, false)] {
        let mut ip = ipv4_header(V4_SERVER, V4_CLIENT, 64, 0x7a01);
        ip.dont_fragment = false;
        ip.more_fragments = mf;
        ip.fragment_offset = frag_offset((start / 8) as u16)?;
        frames.push(finish_raw(
            eth_s2c().ip(ip4_raw_headers(ip, Default::default())),
            17,
            &datagram[start..end],
        )?);
    }

    // IPv6: the same answer (53 -> 50054) in 1232 + 1232 + 613 bytes
    let ip6 = ipv6_header(V6_SERVER, V6_CLIENT, 64);
    let udp = UdpHeader::with_ipv6_checksum(53, 50054, &ip6, &payload)?;
    let mut datagram = udp.to_bytes().to_vec();
    datagram.extend_from_slice(&payload);
    for (start, end, mf) in [(0, 1232, true), (1232, 2464, true), (2464, total, false)] {
        let exts = Ipv6Extensions {
            fragment: Some(Ipv6FragmentHeader::new(
                IpNumber::UDP,
                frag_offset((start / 8) as u16)?,
                mf,
                0x0bad_cafe,
            )),
            ..Default::default()
        };
        frames.push(finish_raw(
            eth_s2c().ip(ip6_raw_headers(ip6.clone(), exts)),
            17,
            &datagram[start..end],
        )?);
    }

    // IPv4 "tiny fragment" (RFC 1858): the first fragment holds only the
    // first 8 bytes of the TCP header (ports + sequence number).
    let tcp_pkt = build!(
        PacketBuilder::ipv4(V4_CLIENT, V4_SERVER, 64)
            .tcp(50080, 80, 0x3000_0000, 64240)
            .ack(0x4000_0000)
            .psh(),
        b"GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n"
    );
    let tcp_seg = &tcp_pkt[20..];
    for (start, end, mf) in [(0, 8, true), (8, tcp_seg.len(), false)] {
        let mut ip = ipv4_header(V4_CLIENT, V4_SERVER, 64, 0x7a02);
        ip.dont_fragment = false;
        ip.more_fragments = mf;
        ip.fragment_offset = frag_offset((start / 8) as u16)?;
        frames.push(finish_raw(
            eth_c2s().ip(ip4_raw_headers(ip, Default::default())),
            6,
            &tcp_seg[start..end],
        )?);
    }

    // IPv4 first fragment (offset 0, MF) carrying only 3 bytes of a UDP
    // header: too short for both ports (and not a multiple of 8 bytes).
    let mut ip = ipv4_header(V4_CLIENT, V4_SERVER, 64, 0x7a03);
    ip.dont_fragment = false;
    ip.more_fragments = true;
    frames.push(finish_raw(
        eth_c2s().ip(ip4_raw_headers(ip, Default::default())),
        17,
        &[0xc3, 0x50, 0x00],
    )?);
    Ok(frames.into_iter().map(Frame::full).collect())
}

/// Records whose captured bytes end inside the transport ports (0..3 bytes
/// of the header), one boundary case with exactly 4 bytes, and records cut
/// inside the Ethernet, IPv4 and IPv6 headers.
fn truncated() -> Result<Vec<Frame>> {
    const L2: usize = 14;
    const V4: usize = L2 + 20;
    const V6: usize = L2 + 40;
    let syn = |sport, dport| -> Result<Vec<u8>> {
        Ok(build!(
            eth_c2s()
                .ipv4(V4_CLIENT, V4_SERVER, 64)
                .tcp(sport, dport, 1, 64240)
                .syn(),
            &[]
        ))
    };
    let udp4 = |sport, dport| -> Result<Vec<u8>> {
        Ok(build!(
            eth_c2s().ipv4(V4_CLIENT, V4_SERVER, 64).udp(sport, dport),
            &dns_query(0x7001, "cut.example.com", 1)
        ))
    };
    let tcp6 = build!(
        eth_c2s()
            .ipv6(V6_CLIENT, V6_SERVER, 64)
            .tcp(50006, 443, 1, 64800)
            .syn(),
        &[]
    );
    let udp6 = build!(
        eth_c2s().ipv6(V6_CLIENT, V6_SERVER, 64).udp(50007, 53),
        &dns_query(0x7002, "cut.example.com", 28)
    );
    let sctp = finish_raw(
        eth_c2s().ip(ip4_raw_headers(
            ipv4_header(V4_CLIENT, V4_SERVER, 64, 0x5c7),
            Default::default(),
        )),
        132,
        &sctp_packet(
            36412,
            38412,
            0,
            &[sctp_chunk(1, 0, &sctp_init_value(0x1234_5678, 1, &[]))],
        ),
    )?;
    // a frame whose IPv4 total length promises more than the frame holds
    // (caplen == orig_len: the frame itself is short, not the snaplen)
    let mut short_frame = syn(50010, 443)?;
    short_frame.truncate(V4 + 2);

    let frames = vec![
        Frame::cut(syn(50001, 443)?, V4),      // 0 bytes of TCP
        Frame::cut(syn(50002, 22)?, V4 + 1),   // 1 byte of TCP
        Frame::cut(syn(50003, 80)?, V4 + 3),   // 3 bytes of TCP
        Frame::cut(udp4(50004, 53)?, V4 + 2),  // 2 bytes of UDP
        Frame::cut(udp4(50005, 123)?, V4),     // 0 bytes of UDP
        Frame::cut(tcp6, V6 + 2),              // 2 bytes of TCP over IPv6
        Frame::cut(udp6, V6 + 3),              // 3 bytes of UDP over IPv6
        Frame::cut(sctp, V4 + 3),              // 3 bytes of SCTP
        Frame::cut(syn(50008, 8080)?, V4 + 4), // boundary: both ports present
        Frame::cut(syn(50009, 443)?, L2 + 12), // inside the IPv4 header
        Frame::cut(udp4(50011, 53)?, L2 + 12), // inside the IPv4 header (before addresses)
        Frame::full(short_frame),              // IPv4 total_len > frame
        Frame::cut(syn(50012, 443)?, 10),      // inside the Ethernet header
    ];
    // and one IPv6 record cut inside the IPv6 header (addresses incomplete)
    let tcp6b = build!(
        eth_c2s()
            .ipv6(V6_CLIENT, V6_SERVER, 64)
            .tcp(50013, 443, 1, 64800)
            .syn(),
        &[]
    );
    let mut frames = frames;
    frames.push(Frame::cut(tcp6b, L2 + 24));
    Ok(frames)
}

/// ICMP errors quoting the offending packet's IP + transport header; those
/// inner ports must never be counted. The quoted UDP/161 request itself is
/// included once so its ports count exactly once.
fn icmp_errors() -> Result<Vec<Frame>> {
    let snmp_get = filler(40, 0x30);
    let original = build!(
        eth_c2s().ipv4(V4_CLIENT, V4_SERVER, 64).udp(50161, 161),
        &snmp_get
    );
    // quote = inner IP header + first 8 bytes of its payload (RFC 792)
    let quote4 = original[14..14 + 28].to_vec();

    let tcp_inner = build!(
        PacketBuilder::ipv4(V4_CLIENT, [203, 0, 113, 99], 1)
            .tcp(50443, 443, 0x5000_0000, 64240)
            .syn(),
        &[]
    );
    let big_inner = build!(
        PacketBuilder::ipv4(V4_CLIENT, V4_SERVER, 64)
            .tcp(50444, 443, 0x5100_0000, 64240)
            .ack(1)
            .psh(),
        &filler(1400, 0x44)
    );
    let tcp6_inner = build!(
        PacketBuilder::ipv6(V6_CLIENT, V6_SERVER, 64)
            .tcp(50022, 22, 0x6000_0000, 64800)
            .syn(),
        &[]
    );
    let udp6_inner = build!(
        PacketBuilder::ipv6(V6_CLIENT, V6_SERVER, 64).udp(50053, 53),
        &filler(1400, 0x66)
    );
    let trace6_inner = build!(
        PacketBuilder::ipv6(V6_CLIENT, v6(0x0099, 0x99), 1).udp(50100, 33434),
        &filler(24, 0)
    );

    let frames = vec![
        original,
        // port unreachable quoting IPv4/UDP 50161 -> 161
        build!(
            eth_s2c().ipv4(V4_SERVER, V4_CLIENT, 64).icmpv4(
                etherparse::Icmpv4Type::DestinationUnreachable(icmpv4::DestUnreachableHeader::Port)
            ),
            &quote4
        ),
        // TTL exceeded in transit (from a router) quoting IPv4/TCP 50443 -> 443
        build!(
            eth(MAC_ROUTER, MAC_CLIENT)
                .ipv4(V4_ROUTER, V4_CLIENT, 255)
                .icmpv4(etherparse::Icmpv4Type::TimeExceeded(
                    icmpv4::TimeExceededCode::TtlExceededInTransit
                )),
            &tcp_inner[..28]
        ),
        // fragmentation needed (MTU 1400) quoting the IPv4/TCP header + 64 bytes
        build!(
            eth(MAC_ROUTER, MAC_CLIENT)
                .ipv4(V4_ROUTER, V4_CLIENT, 255)
                .icmpv4(etherparse::Icmpv4Type::DestinationUnreachable(
                    icmpv4::DestUnreachableHeader::FragmentationNeeded { next_hop_mtu: 1400 }
                )),
            &big_inner[..20 + 20 + 64]
        ),
        // ICMPv6 destination unreachable (administratively prohibited)
        // quoting IPv6/TCP 50022 -> 22
        build!(
            eth_s2c().ipv6(V6_SERVER, V6_CLIENT, 64).icmpv6(
                etherparse::Icmpv6Type::DestinationUnreachable(
                    icmpv6::DestUnreachableCode::Prohibited
                )
            ),
            &tcp6_inner
        ),
        // ICMPv6 packet too big (MTU 1280) quoting IPv6/UDP 50053 -> 53
        build!(
            eth(MAC_ROUTER, MAC_CLIENT)
                .ipv6(V6_ROUTER, V6_CLIENT, 255)
                .icmpv6(etherparse::Icmpv6Type::PacketTooBig { mtu: 1280 }),
            &udp6_inner[..1280 - 48]
        ),
        // ICMPv6 time exceeded quoting a traceroute probe to UDP 33434
        build!(
            eth(MAC_ROUTER, MAC_CLIENT)
                .ipv6(V6_ROUTER, V6_CLIENT, 255)
                .icmpv6(etherparse::Icmpv6Type::TimeExceeded(
                    icmpv6::TimeExceededCode::HopLimitExceeded
                )),
            &trace6_inner
        ),
    ];
    Ok(frames.into_iter().map(Frame::full).collect())
}

/// Tunnels: only the outer header may classify a frame. GRE (47), IPv4 in
/// IPv4 (4), 6in4 (41), 4in6, and VXLAN (outer UDP 4789 counts, inner never).
fn tunnels() -> Result<Vec<Frame>> {
    let mut frames = Vec::new();
    let outer4 = |proto: u8, inner: &[u8]| -> Result<Vec<u8>> {
        finish_raw(
            eth(MAC_ROUTER, MAC_SERVER).ip(ip4_raw_headers(
                ipv4_header(V4_TUN_A, V4_TUN_B, 64, 0x9e01),
                Default::default(),
            )),
            proto,
            inner,
        )
    };
    // GRE (no flags, protocol 0x0800) carrying IPv4/TCP 50080 -> 80
    let inner = build!(
        PacketBuilder::ipv4([10, 1, 1, 1], [10, 2, 2, 2], 63)
            .tcp(50080, 80, 0x7000_0000, 64240)
            .syn(),
        &[]
    );
    let mut gre = vec![0x00, 0x00, 0x08, 0x00];
    gre.extend_from_slice(&inner);
    frames.push(outer4(47, &gre)?);
    // GRE with key (K bit, key 42) carrying IPv4/UDP 50053 -> 53
    let inner = build!(
        PacketBuilder::ipv4([10, 1, 1, 1], [10, 2, 2, 53], 63).udp(50053, 53),
        &dns_query(0x4701, "gre.example.com", 1)
    );
    let mut gre = vec![0x20, 0x00, 0x08, 0x00, 0, 0, 0, 42];
    gre.extend_from_slice(&inner);
    frames.push(outer4(47, &gre)?);
    // IPv4-in-IPv4 carrying IPv4/UDP 50123 -> 123
    let mut ntp = vec![0x23];
    ntp.resize(48, 0);
    let inner = build!(
        PacketBuilder::ipv4([10, 1, 1, 1], [10, 2, 2, 123], 63).udp(50123, 123),
        &ntp
    );
    frames.push(outer4(4, &inner)?);
    // 6in4 carrying IPv6/TCP 50443 -> 443
    let inner = build!(
        PacketBuilder::ipv6(V6_CLIENT, V6_SERVER, 63)
            .tcp(50443, 443, 0x7100_0000, 64800)
            .syn(),
        &[]
    );
    frames.push(outer4(41, &inner)?);
    // 4in6 (IPv6 next header 4) carrying IPv4/TCP 50022 -> 22
    let inner = build!(
        PacketBuilder::ipv4([10, 1, 1, 1], [10, 2, 2, 22], 63)
            .tcp(50022, 22, 0x7200_0000, 64240)
            .syn(),
        &[]
    );
    frames.push(finish_raw(
        eth(MAC_ROUTER, MAC_SERVER).ip(ip6_raw_headers(
            ipv6_header(V6_ROUTER, V6_SERVER, 64),
            Default::default(),
        )),
        4,
        &inner,
    )?);
    // VXLAN: outer UDP 54789 -> 4789, VNI 5001, inner Ethernet/IPv4/TCP 80
    let inner = build!(
        eth([0x02, 0, 0, 0, 0xaa, 1], [0x02, 0, 0, 0, 0xbb, 2])
            .ipv4([10, 9, 0, 1], [10, 9, 0, 2], 64)
            .tcp(50081, 80, 0x7300_0000, 64240)
            .syn(),
        &[]
    );
    let mut vxlan = vec![0x08, 0, 0, 0, 0x00, 0x13, 0x89, 0x00];
    vxlan.extend_from_slice(&inner);
    frames.push(build!(
        eth(MAC_ROUTER, MAC_SERVER)
            .ipv4(V4_TUN_A, V4_TUN_B, 64)
            .udp(54789, 4789),
        &vxlan
    ));
    Ok(frames.into_iter().map(Frame::full).collect())
}

/// Tunnels for `--decap`: every kind portclass looks into, each carrying TCP
/// or UDP to a well-known port, one nested pair, and two it must not enter
/// (VXLAN without the I flag, GRE carrying an unhandled protocol type).
/// Outer headers written by hand around builder output; inner ports
/// 50001.. count up with the frame number.
fn decap() -> Result<Vec<Frame>> {
    let mut frames = Vec::new();
    let outer4 = |id: u16, proto: u8, inner: &[u8]| -> Result<Vec<u8>> {
        finish_raw(
            eth(MAC_ROUTER, MAC_SERVER).ip(ip4_raw_headers(
                ipv4_header(V4_TUN_A, V4_TUN_B, 64, id),
                Default::default(),
            )),
            proto,
            inner,
        )
    };
    let outer6 = |next: u8, inner: &[u8]| -> Result<Vec<u8>> {
        finish_raw(
            eth(MAC_ROUTER, MAC_SERVER).ip(ip6_raw_headers(
                ipv6_header(V6_TUN_A, V6_TUN_B, 64),
                Default::default(),
            )),
            next,
            inner,
        )
    };
    let udp4 = |src: u16, dst: u16, payload: &[u8]| -> Result<Vec<u8>> {
        Ok(build!(
            eth(MAC_ROUTER, MAC_SERVER)
                .ipv4(V4_TUN_A, V4_TUN_B, 64)
                .udp(src, dst),
            payload
        ))
    };
    let tcp4_syn = |src: u16, dst: u16| -> Result<Vec<u8>> {
        Ok(build!(
            PacketBuilder::ipv4(V4_CLIENT, V4_SERVER, 63)
                .tcp(src, dst, 0x7400_0000 + u32::from(src), 64240)
                .syn(),
            &[]
        ))
    };
    let tcp6_syn = |src: u16, dst: u16| -> Result<Vec<u8>> {
        Ok(build!(
            PacketBuilder::ipv6(V6_CLIENT, V6_SERVER, 63)
                .tcp(src, dst, 0x7500_0000 + u32::from(src), 64800)
                .syn(),
            &[]
        ))
    };
    let eth_tcp4_syn = |src: u16, dst: u16| -> Result<Vec<u8>> {
        Ok(build!(
            eth_c2s()
                .ipv4(V4_CLIENT, V4_SERVER, 64)
                .tcp(src, dst, 0x7600_0000 + u32::from(src), 64240)
                .syn(),
            &[]
        ))
    };
    let vxlan = |flags: u8, inner: &[u8]| {
        let mut v = vec![flags, 0, 0, 0, 0x00, 0x13, 0x89, 0x00]; // VNI 5001
        v.extend_from_slice(inner);
        v
    };

    // 1: GRE (no flags, 0x0800) carrying IPv4/TCP 50001 -> 443
    let mut gre = vec![0x00, 0x00, 0x08, 0x00];
    gre.extend_from_slice(&tcp4_syn(50001, 443)?);
    frames.push(outer4(0xd001, 47, &gre)?);
    // 2: GRE with checksum, key 42 and sequence 1 (0x86DD) carrying
    // IPv6/UDP 50002 -> 53
    let inner = build!(
        PacketBuilder::ipv6(V6_CLIENT, V6_SERVER, 63).udp(50002, 53),
        &dns_query(0xd002, "gre6.example.com", 28)
    );
    let mut gre = vec![0xb0, 0x00, 0x86, 0xdd, 0, 0, 0, 0, 0, 0, 0, 42, 0, 0, 0, 1];
    gre.extend_from_slice(&inner);
    let mut sum = 0u32;
    for pair in gre.chunks(2) {
        sum += u32::from(u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    gre[4..6].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    frames.push(outer4(0xd002, 47, &gre)?);
    // 3: GRE with key 7, transparent Ethernet bridging (0x6558) carrying
    // Ethernet/IPv4/TCP 50003 -> 22
    let mut gre = vec![0x20, 0x00, 0x65, 0x58, 0, 0, 0, 7];
    gre.extend_from_slice(&eth_tcp4_syn(50003, 22)?);
    frames.push(outer4(0xd003, 47, &gre)?);
    // 4: IPv4 in IPv4 carrying IPv4/UDP 50004 -> 123
    let mut ntp = vec![0x23];
    ntp.resize(48, 0);
    let inner = build!(
        PacketBuilder::ipv4(V4_CLIENT, V4_SERVER, 63).udp(50004, 123),
        &ntp
    );
    frames.push(outer4(0xd004, 4, &inner)?);
    // 5: IPv4 in IPv6 carrying IPv4/TCP 50005 -> 80
    frames.push(outer6(4, &tcp4_syn(50005, 80)?)?);
    // 6: IPv6 in IPv6 carrying IPv6/TCP 50006 -> 443
    frames.push(outer6(41, &tcp6_syn(50006, 443)?)?);
    // 7: 6in4 carrying IPv6/TCP 50007 -> 22
    frames.push(outer4(0xd007, 41, &tcp6_syn(50007, 22)?)?);
    // 8: VXLAN (UDP 54789 -> 4789, VNI 5001) carrying Ethernet/IPv4/TCP
    // 50008 -> 443
    frames.push(udp4(54789, 4789, &vxlan(0x08, &eth_tcp4_syn(50008, 443)?))?);
    // 9: Geneve (UDP 56081 -> 6081, VNI 5002, one 8-byte option) carrying
    // Ethernet (0x6558) / IPv4/UDP 50009 -> 53
    let inner = build!(
        eth_c2s().ipv4(V4_CLIENT, V4_SERVER, 64).udp(50009, 53),
        &dns_query(0xd009, "geneve.example.com", 1)
    );
    let mut geneve = vec![0x02, 0x00, 0x65, 0x58, 0x00, 0x13, 0x8a, 0x00];
    geneve.extend_from_slice(&[0x01, 0x02, 0x80, 0x01, 0, 0, 0, 9]);
    geneve.extend_from_slice(&inner);
    frames.push(udp4(56081, 6081, &geneve)?);
    // 10: Geneve over IPv6 (no options, 0x86DD) carrying IPv6/TCP 50010 -> 443
    let mut geneve = vec![0x00, 0x00, 0x86, 0xdd, 0x00, 0x13, 0x8b, 0x00];
    geneve.extend_from_slice(&tcp6_syn(50010, 443)?);
    frames.push(build!(
        eth(MAC_ROUTER, MAC_SERVER)
            .ipv6(V6_TUN_A, V6_TUN_B, 64)
            .udp(56082, 6081),
        &geneve
    ));
    // 11: GTP-U G-PDU (UDP 2152 -> 2152, TEID 0x1001) carrying IPv4/TCP
    // 50011 -> 443
    let inner = tcp4_syn(50011, 443)?;
    let mut gtp = vec![0x30, 0xff];
    gtp.extend_from_slice(&(inner.len() as u16).to_be_bytes());
    gtp.extend_from_slice(&[0, 0, 0x10, 0x01]);
    gtp.extend_from_slice(&inner);
    frames.push(udp4(2152, 2152, &gtp)?);
    // 12: GTP-U with sequence number 1 and a PDU session container
    // extension header (QFI 9) carrying IPv6/UDP 50012 -> 53
    let inner = build!(
        PacketBuilder::ipv6(V6_CLIENT, V6_SERVER, 63).udp(50012, 53),
        &dns_query(0xd00c, "gtp.example.com", 28)
    );
    let extension = [0x00, 0x01, 0x00, 0x85, 0x01, 0x10, 0x09, 0x00];
    let mut gtp = vec![0x36, 0xff];
    gtp.extend_from_slice(&((extension.len() + inner.len()) as u16).to_be_bytes());
    gtp.extend_from_slice(&[0, 0, 0x10, 0x02]);
    gtp.extend_from_slice(&extension);
    gtp.extend_from_slice(&inner);
    frames.push(udp4(2152, 2152, &gtp)?);
    // 13: Teredo (UDP 3544 -> 61000) carrying IPv6/TCP 50013 -> 80
    frames.push(udp4(3544, 61000, &tcp6_syn(50013, 80)?)?);
    // 14: Teredo with an origin indication (port 61000, 192.0.2.1
    // obfuscated) carrying IPv6/UDP 50014 -> 123
    let mut teredo = vec![0x00, 0x00];
    teredo.extend_from_slice(&(!61000u16).to_be_bytes());
    teredo.extend(V4_ROUTER.iter().map(|b| !b));
    teredo.extend_from_slice(&build!(
        PacketBuilder::ipv6(V6_CLIENT, V6_SERVER, 63).udp(50014, 123),
        &ntp
    ));
    frames.push(udp4(3544, 61000, &teredo)?);
    // 15: nested: GRE carrying IPv4/UDP 54790 -> 4789 VXLAN carrying
    // Ethernet/IPv4/TCP 50015 -> 443
    let vxlan_packet = build!(
        PacketBuilder::ipv4(V4_ROUTER, V4_SERVER, 63).udp(54790, 4789),
        &vxlan(0x08, &eth_tcp4_syn(50015, 443)?)
    );
    let mut gre = vec![0x00, 0x00, 0x08, 0x00];
    gre.extend_from_slice(&vxlan_packet);
    frames.push(outer4(0xd00f, 47, &gre)?);
    // 16: VXLAN without the I flag (flags 0x00): not entered
    frames.push(udp4(54789, 4789, &vxlan(0x00, &eth_tcp4_syn(50016, 443)?))?);
    // 17: GRE with protocol type 0x88B5 (local experimental): not entered
    let mut gre = vec![0x00, 0x00, 0x88, 0xb5];
    gre.extend_from_slice(&filler(46, 0xd1));
    frames.push(outer4(0xd011, 47, &gre)?);
    // 18: VXLAN carrying an ARP request: entered, non-IP inside
    frames.push(udp4(
        54789,
        4789,
        &vxlan(0x08, &arp_request_frame(V4_SERVER)?),
    )?);
    Ok(frames.into_iter().map(Frame::full).collect())
}

/// SCTP (IP protocol 132): an S1AP/NGAP-style INIT and INIT ACK over IPv4
/// and M3UA (2905) DATA + SACK over IPv6. Common header written by hand.
fn sctp() -> Result<Vec<Frame>> {
    let ip4 = |src, dst, payload: &[u8]| -> Result<Vec<u8>> {
        finish_raw(
            eth(
                if src == V4_CLIENT {
                    MAC_CLIENT
                } else {
                    MAC_SERVER
                },
                if src == V4_CLIENT {
                    MAC_SERVER
                } else {
                    MAC_CLIENT
                },
            )
            .ip(ip4_raw_headers(
                ipv4_header(src, dst, 64, 0x5c70),
                Default::default(),
            )),
            132,
            payload,
        )
    };
    let ip6 = |src, dst, payload: &[u8]| -> Result<Vec<u8>> {
        finish_raw(
            eth(MAC_CLIENT, MAC_SERVER).ip(ip6_raw_headers(
                ipv6_header(src, dst, 64),
                Default::default(),
            )),
            132,
            payload,
        )
    };
    // INIT with a Supported Address Types parameter (IPv4)
    let init = sctp_chunk(
        1,
        0,
        &sctp_init_value(0x1111_2222, 100, &[0x00, 0x0c, 0x00, 0x06, 0x00, 0x05]),
    );
    // INIT ACK with a 16-byte State Cookie parameter
    let mut cookie = vec![0x00, 0x07, 0x00, 0x14];
    cookie.extend_from_slice(&filler(16, 0xc0));
    let init_ack = sctp_chunk(2, 0, &sctp_init_value(0x3333_4444, 500, &cookie));
    // DATA: TSN 1, stream 0, ssn 0, PPID 3 (M3UA), 24-byte M3UA ASPUP
    let mut data = Vec::new();
    data.extend_from_slice(&1u32.to_be_bytes());
    data.extend_from_slice(&[0, 0, 0, 0]);
    data.extend_from_slice(&3u32.to_be_bytes());
    data.extend_from_slice(&[1, 0, 3, 1, 0, 0, 0, 8]); // M3UA v1, ASPSM ASPUP, len 8
    let data = sctp_chunk(0, 0x03, &data);
    let mut sack = Vec::new();
    sack.extend_from_slice(&1u32.to_be_bytes()); // cumulative TSN ack
    sack.extend_from_slice(&106_496u32.to_be_bytes());
    sack.extend_from_slice(&[0, 0, 0, 0]);
    let sack = sctp_chunk(3, 0, &sack);

    let frames = vec![
        ip4(V4_CLIENT, V4_SERVER, &sctp_packet(36412, 38412, 0, &[init]))?,
        ip4(
            V4_SERVER,
            V4_CLIENT,
            &sctp_packet(38412, 36412, 0x1111_2222, &[init_ack]),
        )?,
        ip6(
            V6_CLIENT,
            V6_SERVER,
            &sctp_packet(2905, 2905, 0x5555_6666, &[data]),
        )?,
        ip6(
            V6_SERVER,
            V6_CLIENT,
            &sctp_packet(2905, 2905, 0x7777_8888, &[sack]),
        )?,
    ];
    Ok(frames.into_iter().map(Frame::full).collect())
}

/// One pcapng, eight interfaces with different link types, each carrying
/// UDP or TCP.
fn linktypes() -> Result<(Interfaces, Vec<Frame>)> {
    let interfaces = vec![
        (LINKTYPE_ETHERNET, "eth0"),
        (LINKTYPE_LINUX_SLL, "any (SLL)"),
        (LINKTYPE_LINUX_SLL2, "any (SLL2)"),
        (LINKTYPE_RAW, "tun0 (raw IP)"),
        (LINKTYPE_NULL, "lo0 (BSD NULL)"),
        (LINKTYPE_LOOP, "enc0 (OpenBSD LOOP)"),
        (LINKTYPE_IPV4, "ipv4"),
        (LINKTYPE_IPV6, "ipv6"),
    ];
    let udp4 = |sport, dport, payload: &[u8]| -> Result<Vec<u8>> {
        Ok(build!(
            PacketBuilder::ipv4(V4_CLIENT, V4_SERVER, 64).udp(sport, dport),
            payload
        ))
    };
    let tcp4 = |sport, dport| -> Result<Vec<u8>> {
        Ok(build!(
            PacketBuilder::ipv4(V4_CLIENT, V4_SERVER, 64)
                .tcp(sport, dport, 42, 64240)
                .syn(),
            &[]
        ))
    };
    let udp6 = |sport, dport, payload: &[u8]| -> Result<Vec<u8>> {
        Ok(build!(
            PacketBuilder::ipv6(V6_CLIENT, V6_SERVER, 64).udp(sport, dport),
            payload
        ))
    };
    let tcp6 = |sport, dport| -> Result<Vec<u8>> {
        Ok(build!(
            PacketBuilder::ipv6(V6_CLIENT, V6_SERVER, 64)
                .tcp(sport, dport, 42, 64800)
                .syn(),
            &[]
        ))
    };
    let with_prefix = |prefix: &[u8], packet: Vec<u8>| {
        let mut v = prefix.to_vec();
        v.extend_from_slice(&packet);
        v
    };
    let q = dns_query(0x2001, "link.example.com", 1);
    let mut mac8 = [0u8; 8];
    mac8[..6].copy_from_slice(&MAC_CLIENT);
    // SLL2: protocol, reserved, ifindex, ARPHRD_ETHER, packet type, addr len, addr
    let sll2 = |proto: u16| {
        let mut h = proto.to_be_bytes().to_vec();
        h.extend_from_slice(&[0, 0]);
        h.extend_from_slice(&2u32.to_be_bytes());
        h.extend_from_slice(&1u16.to_be_bytes());
        h.push(4); // outgoing
        h.push(6);
        h.extend_from_slice(&mac8);
        h
    };

    let frames = vec![
        // 0 Ethernet
        Frame::full(build!(
            eth_c2s().ipv4(V4_CLIENT, V4_SERVER, 64).udp(50001, 53),
            &q
        ))
        .on(0),
        // 1 Linux SLL (v1), outgoing, IPv4/TCP 443
        Frame::full(build!(
            PacketBuilder::linux_sll(LinuxSllPacketType::OUTGOING, 6, mac8)
                .ipv4(V4_CLIENT, V4_SERVER, 64)
                .tcp(50002, 443, 42, 64240)
                .syn(),
            &[]
        ))
        .on(1),
        // 2 Linux SLL2, IPv6/UDP 123
        Frame::full(with_prefix(&sll2(0x86dd), udp6(50003, 123, &[0x23; 48])?)).on(2),
        // 3 raw IP: one IPv4 and one IPv6 packet
        Frame::full(udp4(50004, 514, b"<14>raw ip syslog")?).on(3),
        Frame::full(tcp6(50005, 22)?).on(3),
        // 4 BSD NULL: 4-byte address family in the file's (little-endian) byte order
        Frame::full(with_prefix(&2u32.to_le_bytes(), tcp4(50006, 80)?)).on(4),
        Frame::full(with_prefix(&24u32.to_le_bytes(), udp6(50007, 53, &q)?)).on(4), // AF_INET6 (NetBSD/OpenBSD)
        Frame::full(with_prefix(&28u32.to_le_bytes(), tcp6(50008, 443)?)).on(4), // AF_INET6 (FreeBSD)
        Frame::full(with_prefix(&30u32.to_le_bytes(), tcp6(50009, 993)?)).on(4), // AF_INET6 (macOS)
        // 5 LOOP: address family in network byte order
        Frame::full(with_prefix(
            &2u32.to_be_bytes(),
            udp4(50010, 161, &[0x30; 24])?,
        ))
        .on(5),
        Frame::full(with_prefix(&24u32.to_be_bytes(), tcp6(50011, 8080)?)).on(5),
        // 6 LINKTYPE_IPV4
        Frame::full(tcp4(50012, 3306)?).on(6),
        // 7 LINKTYPE_IPV6
        Frame::full(udp6(50013, 547, &[1, 0, 0, 1])?).on(7),
    ];
    Ok((interfaces, frames))
}

/// Port-range classification: dynamic/dynamic UDP, ephemeral -> well-known,
/// two unassigned registered ports, mDNS 5353 <-> 5353, and the 49151/49152
/// boundary.
fn dynamic_ports() -> Result<Vec<Frame>> {
    let udp = |src, dst, sport, dport, payload: &[u8]| -> Result<Vec<u8>> {
        Ok(build!(
            eth(
                if src == V4_CLIENT {
                    MAC_CLIENT
                } else {
                    MAC_SERVER
                },
                if src == V4_CLIENT {
                    MAC_SERVER
                } else {
                    MAC_CLIENT
                }
            )
            .ipv4(src, dst, 64)
            .udp(sport, dport),
            payload
        ))
    };
    let frames = vec![
        // both ports >= 49152
        udp(V4_CLIENT, V4_SERVER, 50000, 60000, b"ping from 50000")?,
        udp(V4_SERVER, V4_CLIENT, 60000, 50000, b"pong from 60000")?,
        // ephemeral client -> 443
        build!(
            eth_c2s()
                .ipv4(V4_CLIENT, V4_SERVER, 64)
                .tcp(51234, 443, 100, 64240)
                .syn(),
            &[]
        ),
        build!(
            eth_s2c()
                .ipv4(V4_SERVER, V4_CLIENT, 64)
                .tcp(443, 51234, 900, 65160)
                .syn()
                .ack(101),
            &[]
        ),
        // two registered ports with no service name
        build!(
            eth_c2s()
                .ipv4(V4_CLIENT, V4_SERVER, 64)
                .tcp(40000, 40001, 200, 64240)
                .syn(),
            &[]
        ),
        build!(
            eth_s2c()
                .ipv4(V4_SERVER, V4_CLIENT, 64)
                .tcp(40001, 40000, 800, 65160)
                .syn()
                .ack(201),
            &[]
        ),
        // mDNS, same port on both sides, IPv4 and IPv6 multicast
        build!(
            eth(MAC_CLIENT, [0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb])
                .ipv4(V4_CLIENT, [224, 0, 0, 251], 255)
                .udp(5353, 5353),
            &dns_query(0, "_ipp._tcp.local", 12)
        ),
        build!(
            eth(MAC_CLIENT, [0x33, 0x33, 0x00, 0x00, 0x00, 0xfb])
                .ipv6(
                    v6(0x0001, 0x10),
                    [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfb],
                    255
                )
                .udp(5353, 5353),
            &dns_query(0, "_ipp._tcp.local", 12)
        ),
        // the registered/dynamic boundary
        udp(V4_CLIENT, V4_SERVER, 49151, 49152, b"boundary")?,
    ];
    Ok(frames.into_iter().map(Frame::full).collect())
}

/// Frames without any IP header: ARP request/reply, LLDP, an unknown
/// ether type, an 802.3/LLC spanning-tree BPDU and a VLAN-tagged ARP.
fn non_ip() -> Result<Vec<Frame>> {
    let arp = |op, smac: [u8; 6], sip: [u8; 4], tmac: [u8; 6], tip: [u8; 4]| {
        ArpPacket::new(
            ArpHardwareId::ETHERNET,
            EtherType::IPV4,
            op,
            &smac,
            &sip,
            &tmac,
            &tip,
        )
    };
    let mut request = Vec::new();
    eth(MAC_CLIENT, MAC_BCAST)
        .arp(arp(
            ArpOperation::REQUEST,
            MAC_CLIENT,
            V4_CLIENT,
            [0; 6],
            V4_ROUTER,
        )?)
        .write(&mut request)?;
    let mut reply = Vec::new();
    eth(MAC_ROUTER, MAC_CLIENT)
        .arp(arp(
            ArpOperation::REPLY,
            MAC_ROUTER,
            V4_ROUTER,
            MAC_CLIENT,
            V4_CLIENT,
        )?)
        .write(&mut reply)?;
    let mut tagged = Vec::new();
    eth(MAC_CLIENT, MAC_BCAST)
        .single_vlan(vlan(100)?)
        .arp(arp(
            ArpOperation::REQUEST,
            MAC_CLIENT,
            V4_CLIENT,
            [0; 6],
            [192, 0, 2, 77],
        )?)
        .write(&mut tagged)?;

    // LLDP: chassis id (MAC), port id (interface name), TTL, system name, end
    let tlv = |t: u16, value: &[u8]| {
        let mut v = ((t << 9) | value.len() as u16).to_be_bytes().to_vec();
        v.extend_from_slice(value);
        v
    };
    let mut lldp = Vec::new();
    lldp.extend(tlv(1, &[&[4u8][..], &MAC_ROUTER[..]].concat()));
    lldp.extend(tlv(2, &[&[5u8][..], b"ge-0/0/1"].concat()));
    lldp.extend(tlv(3, &120u16.to_be_bytes()));
    lldp.extend(tlv(5, b"sw-core-1"));
    lldp.extend(tlv(0, &[]));
    let lldp = eth_raw(MAC_ROUTER, [0x01, 0x80, 0xc2, 0, 0, 0x0e], 0x88cc, &lldp);

    // IEEE 802 local experimental ether type 0x88b5
    let unknown = eth_raw(MAC_CLIENT, MAC_SERVER, 0x88b5, &filler(46, 0x5a));

    // 802.3 frame (length field 38) + LLC 42/42/03 + STP configuration BPDU
    let mut bpdu = vec![0x42, 0x42, 0x03, 0, 0, 0, 0, 0x00];
    let bridge = [0x80, 0x00, 0x02, 0, 0, 0x0a, 0x7e, 0xfe];
    bpdu.extend_from_slice(&bridge); // root id
    bpdu.extend_from_slice(&0u32.to_be_bytes()); // root path cost
    bpdu.extend_from_slice(&bridge); // bridge id
    bpdu.extend_from_slice(&[0x80, 0x01]); // port id
    for secs in [0u16, 20, 2, 15] {
        bpdu.extend_from_slice(&(secs * 256).to_be_bytes());
    }
    let stp = eth_raw(
        MAC_ROUTER,
        [0x01, 0x80, 0xc2, 0, 0, 0],
        bpdu.len() as u16,
        &bpdu,
    );

    Ok([request, reply, lldp, unknown, stp, tagged]
        .into_iter()
        .map(Frame::full)
        .collect())
}

/// A broadcast Ethernet frame: the client's ARP request for `target`.
fn arp_request_frame(target: [u8; 4]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    eth(MAC_CLIENT, MAC_BCAST)
        .arp(ArpPacket::new(
            ArpHardwareId::ETHERNET,
            EtherType::IPV4,
            ArpOperation::REQUEST,
            &MAC_CLIENT,
            &V4_CLIENT,
            &[0; 6],
            &target,
        )?)
        .write(&mut out)?;
    Ok(out)
}

/// IPv4 (client → server) carrying UDP `sport` → `dport` and `payload`,
/// without a link layer.
fn ip4_udp(sport: u16, dport: u16, payload: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    PacketBuilder::ipv4(V4_CLIENT, V4_SERVER, 64)
        .udp(sport, dport)
        .write(&mut out, payload)?;
    Ok(out)
}

/// IPv6 (client → server) carrying TCP `sport` → `dport` (PSH/ACK) and
/// `payload`, without a link layer.
fn ip6_tcp(sport: u16, dport: u16, payload: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    PacketBuilder::ipv6(V6_CLIENT, V6_SERVER, 64)
        .tcp(sport, dport, 1, 1024)
        .psh()
        .ack(1)
        .write(&mut out, payload)?;
    Ok(out)
}

/// One MPLS label stack entry.
fn mpls_entry(label: u32, bottom: bool) -> [u8; 4] {
    (label << 12 | u32::from(bottom) << 8 | 64).to_be_bytes()
}

/// MPLS label stacks over Ethernet, with the reserved labels tshark gives
/// a meaning of their own at the bottom of the stack. See fixtures/README.md.
fn mpls() -> Result<Vec<Frame>> {
    const MPLS: u16 = 0x8847;
    let stacked = |labels: &[(u32, bool)], rest: &[u8]| {
        let mut payload = Vec::new();
        for &(label, bottom) in labels {
            payload.extend(mpls_entry(label, bottom));
        }
        payload.extend_from_slice(rest);
        eth_raw(MAC_ROUTER, MAC_SERVER, MPLS, &payload)
    };
    let ach = |channel_type: u16, rest: &[u8]| {
        let mut v = vec![0x10, 0x00];
        v.extend(channel_type.to_be_bytes());
        v.extend_from_slice(rest);
        v
    };
    let dns = filler(20, 0x31);
    let mut pseudowire = vec![0, 0, 0, 0]; // control word
    pseudowire.extend(eth_raw(
        MAC_CLIENT,
        MAC_SERVER,
        0x0800,
        &ip4_udp(40_015, 53, &dns)?,
    ));
    let frames = vec![
        stacked(&[(100, true)], &ip4_udp(40_001, 53, &dns)?),
        stacked(&[(0, true)], &ip4_udp(40_002, 53, &dns)?),
        stacked(&[(2, true)], &ip6_tcp(40_003, 443, b"hello")?),
        stacked(&[(16, false), (17, true)], &ip6_tcp(40_004, 443, b"hello")?),
        // OAM Alert at the bottom: a Y.1711 message, whatever follows.
        stacked(&[(14, true)], &ip4_udp(40_005, 53, &dns)?),
        stacked(&[(100, false), (14, true)], &ip4_udp(40_006, 53, &dns)?),
        // OAM Alert above the bottom: an ordinary label.
        stacked(&[(14, false), (15, true)], &ip4_udp(40_007, 53, &dns)?),
        // GAL: the associated channel header's type says what follows.
        stacked(&[(13, true)], &ach(0x0021, &ip4_udp(40_008, 53, &dns)?)),
        stacked(&[(13, true)], &ach(0x0057, &ip6_tcp(40_009, 443, b"hi")?)),
        stacked(&[(13, true)], &ach(0x0007, &filler(24, 0x07))), // BFD
        stacked(&[(13, true)], &ach(0x0057, &ip4_udp(40_010, 53, &dns)?)),
        stacked(&[(13, true)], &ip4_udp(40_011, 53, &dns)?), // no ACH
        stacked(&[(13, true)], &[0x10, 0x00]),               // ACH cut short
        stacked(&[(13, false), (100, true)], &ip4_udp(40_012, 53, &dns)?),
        stacked(&[(100, true)], &pseudowire),
    ];
    Ok(frames.into_iter().map(Frame::full).collect())
}

/// IPv6 jumbograms (RFC 2675) as Linux BIG TCP captures them: payload
/// length 0 and a hop-by-hop Jumbo Payload option; captured cut short, as
/// a 64 KiB snap length cuts them. See fixtures/README.md.
fn jumbograms() -> Result<Vec<Frame>> {
    const HOP_BY_HOP: u8 = 0;
    const DESTINATION_OPTIONS: u8 = 60;
    const TCP: u8 = 6;
    const UDP: u8 = 17;
    const KEEP: usize = 200;
    // A hop-by-hop header with options `options` (padded to 8n bytes).
    let hop_by_hop = |next: u8, options: &[u8]| {
        let mut header = vec![next, 0];
        header.extend_from_slice(options);
        while header.len() % 8 != 0 {
            header.push(0); // Pad1
        }
        header[1] = (header.len() / 8 - 1) as u8;
        header
    };
    let jumbo = |len: u32| {
        let mut option = vec![0xc2, 4];
        option.extend(len.to_be_bytes());
        option
    };
    // Ethernet + IPv6 (payload length `payload_len`, first header
    // `next`) + `rest`.
    let ipv6 = |payload_len: u16, next: u8, rest: &[u8]| {
        let mut ip = Ipv6Header {
            next_header: IpNumber(next),
            payload_length: payload_len,
            ..ipv6_header(V6_CLIENT, V6_SERVER, 64)
        }
        .to_bytes()
        .to_vec();
        ip.extend_from_slice(rest);
        eth_raw(MAC_CLIENT, MAC_SERVER, 0x86dd, &ip)
    };
    // A transport header and `len` payload bytes, built by hand: the
    // builders refuse lengths above 65,535. UDP's length field is 0, as
    // RFC 2675 has it for jumbograms (checksums are left 0: nothing here
    // reads them).
    let transport = |next: u8, sport: u16, dport: u16, len: usize| -> Result<Vec<u8>> {
        let mut out = if next == TCP {
            let mut tcp = TcpHeader::new(sport, dport, 1, 1024);
            tcp.psh = true;
            tcp.ack = true;
            tcp.acknowledgment_number = 1;
            tcp.to_bytes().to_vec()
        } else {
            let length = u16::try_from(8 + len).unwrap_or(0);
            UdpHeader {
                source_port: sport,
                destination_port: dport,
                length,
                checksum: 0,
            }
            .to_bytes()
            .to_vec()
        };
        out.extend(filler(len, 0x42));
        Ok(out)
    };
    let big = |next: u8, sport: u16, dport: u16, len: usize| -> Result<(Vec<u8>, u32)> {
        let segment = transport(next, sport, dport, len)?;
        let hbh = hop_by_hop(next, &jumbo((8 + segment.len()) as u32));
        let total = (8 + segment.len()) as u32;
        Ok(([hbh, segment].concat(), total))
    };
    let (tcp_big, _) = big(TCP, 41_001, 443, 70_000)?;
    let (udp_big, _) = big(UDP, 41_002, 9_000, 66_000)?;
    // PadN before the option keeps it at 4n+2, as senders align it.
    let segment = transport(TCP, 41_003, 443, 90_000)?;
    let padded = [
        hop_by_hop(
            TCP,
            &[&[1, 2, 0, 0][..], &jumbo((16 + segment.len()) as u32)].concat(),
        ),
        segment,
    ]
    .concat();
    // Jumbo, then a destination options header, then TCP.
    let segment = transport(TCP, 41_004, 443, 80_000)?;
    let destination = {
        let mut header = vec![TCP, 0, 1, 4, 0, 0, 0, 0];
        header.extend(segment);
        header
    };
    let with_destination = [
        hop_by_hop(DESTINATION_OPTIONS, &jumbo((8 + destination.len()) as u32)),
        destination,
    ]
    .concat();
    let small = transport(TCP, 41_005, 443, 10)?;
    let frames = vec![
        Frame::cut(ipv6(0, HOP_BY_HOP, &tcp_big), KEEP),
        Frame::cut(ipv6(0, HOP_BY_HOP, &udp_big), KEEP),
        Frame::cut(ipv6(0, HOP_BY_HOP, &padded), KEEP),
        Frame::cut(ipv6(0, HOP_BY_HOP, &with_destination), KEEP),
        // A jumbo length below 65,536 is invalid: both tools stop there.
        Frame::full(ipv6(
            0,
            HOP_BY_HOP,
            &[
                hop_by_hop(TCP, &jumbo((8 + small.len()) as u32)),
                small.clone(),
            ]
            .concat(),
        )),
        // Payload length 0 and a hop-by-hop header without the option.
        Frame::full(ipv6(
            0,
            HOP_BY_HOP,
            &[
                hop_by_hop(TCP, &[1, 4, 0, 0, 0, 0]),
                transport(TCP, 41_006, 443, 10)?,
            ]
            .concat(),
        )),
        // A jumbo option with a payload length that is not 0: the payload
        // length counts (both tools warn).
        {
            let segment = transport(TCP, 41_007, 443, 10)?;
            let rest = [hop_by_hop(TCP, &jumbo(70_000)), segment].concat();
            Frame::full(ipv6(rest.len() as u16, HOP_BY_HOP, &rest))
        },
        // A jumbogram captured too short for its ports: truncated.
        Frame::cut(ipv6(0, HOP_BY_HOP, &tcp_big), 14 + 40 + 8 + 2),
    ];
    Ok(frames)
}

// ------------------------------------------- IEEE 802.15.4 and 6LoWPAN

const LINKTYPE_IEEE802_15_4_WITHFCS: u32 = 195;
const LINKTYPE_IEEE802_15_4_NONASK_PHY: u32 = 215;
const LINKTYPE_IEEE802_15_4_NOFCS: u32 = 230;
const LINKTYPE_IEEE802_15_4_TAP: u32 = 283;

/// 802.15.4 frame control bits (little-endian on the air).
const WPAN_DATA: u16 = 0x0001;
const WPAN_ACK: u16 = 0x0002;
const WPAN_BEACON: u16 = 0x0000;
const WPAN_SECURITY: u16 = 0x0008;
const WPAN_PAN_COMPRESSION: u16 = 0x0040;
const WPAN_SEQ_SUPPRESSION: u16 = 0x0100;
const WPAN_IE_PRESENT: u16 = 0x0200;
const WPAN_DST_SHORT: u16 = 2 << 10;
const WPAN_DST_EXT: u16 = 3 << 10;
const WPAN_SRC_SHORT: u16 = 2 << 14;
const WPAN_SRC_EXT: u16 = 3 << 14;
const WPAN_V2006: u16 = 1 << 12;
const WPAN_V2015: u16 = 2 << 12;
const WPAN_PAN: u16 = 0xabcd;
const WPAN_SHORT_A: u16 = 0x0001;
const WPAN_SHORT_B: u16 = 0x0002;
/// EUI-64s, most significant byte first (sent reversed).
const WPAN_EUI_A: [u8; 8] = [0x02, 0x00, 0x00, 0xff, 0xfe, 0xc1, 0x1e, 0x01];
const WPAN_EUI_B: [u8; 8] = [0x02, 0x00, 0x00, 0xff, 0xfe, 0x5e, 0x7e, 0x02];
/// Data frame, 2006, PAN id compression, short addresses.
const WPAN_SHORT_SHORT: u16 =
    WPAN_DATA | WPAN_PAN_COMPRESSION | WPAN_DST_SHORT | WPAN_SRC_SHORT | WPAN_V2006;

/// 6LoWPAN dispatches and headers (RFC 4944, RFC 6282).
const LOWPAN_IPV6: u8 = 0x41;
const LOWPAN_BC0: u8 = 0x50;
const LOWPAN_FRAG1: u16 = 0xc000;
const LOWPAN_FRAGN: u16 = 0xe000;
/// IPHC, TF elided, hop limit 64, addresses from the MAC header.
const IPHC_LINK: [u8; 2] = [0x7a, 0x33];
/// IPHC with the NH bit (NHC follows).
const IPHC_LINK_NHC: [u8; 2] = [0x7e, 0x33];
/// IPHC, traffic class and flow label inline (4 bytes), hop limit inline,
/// both addresses inline.
const IPHC_INLINE: [u8; 2] = [0x60, 0x00];
/// IPHC, multicast destination ff02::XX (DAM 11).
const IPHC_MULTICAST: [u8; 2] = [0x7a, 0x3b];
/// IPHC with DAC=1 DAM=00: reserved.
const IPHC_RESERVED_DAM: [u8; 2] = [0x7a, 0x34];
const NHC_UDP_PORTS_INLINE: u8 = 0xf0;
const NHC_UDP_DST_8BIT: u8 = 0xf1;
const NHC_UDP_PORTS_4BIT: u8 = 0xf3;
/// NHC hop-by-hop options with NH=1 (another NHC follows).
const NHC_HOP_BY_HOP_NHC: u8 = 0xe1;
/// An NHC id tshark knows no decompression for.
const NHC_UNKNOWN: u8 = 0xd0;

/// CRC-16/KERMIT, the 802.15.4 FCS.
fn crc16_kermit(data: &[u8]) -> u16 {
    let mut crc = 0u16;
    for &b in data {
        crc ^= u16::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x8408
            } else {
                crc >> 1
            };
        }
    }
    crc
}

/// CRC-32 (Ethernet, zlib): the 4-byte 802.15.4 FCS.
fn crc32_ieee(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn with_fcs16(mut frame: Vec<u8>) -> Vec<u8> {
    let fcs = crc16_kermit(&frame);
    frame.extend_from_slice(&fcs.to_le_bytes());
    frame
}

/// MAC header: frame control, sequence number (unless suppressed), then
/// destination PAN and address, source PAN and address (addresses already
/// in air order; `None`/empty when absent).
fn wpan_header(
    fcf: u16,
    dst_pan: Option<u16>,
    dst: &[u8],
    src_pan: Option<u16>,
    src: &[u8],
) -> Vec<u8> {
    let mut out = fcf.to_le_bytes().to_vec();
    if fcf & WPAN_SEQ_SUPPRESSION == 0 {
        out.push(0x2a);
    }
    if let Some(p) = dst_pan {
        out.extend_from_slice(&p.to_le_bytes());
    }
    out.extend_from_slice(dst);
    if let Some(p) = src_pan {
        out.extend_from_slice(&p.to_le_bytes());
    }
    out.extend_from_slice(src);
    out
}

/// The usual MAC header: data, short addresses, one PAN id.
fn wpan_short() -> Vec<u8> {
    wpan_header(
        WPAN_SHORT_SHORT,
        Some(WPAN_PAN),
        &WPAN_SHORT_B.to_le_bytes(),
        None,
        &WPAN_SHORT_A.to_le_bytes(),
    )
}

fn eui_air(eui: [u8; 8]) -> [u8; 8] {
    let mut a = eui;
    a.reverse();
    a
}

fn udp_bytes(src: u16, dst: u16, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&src.to_be_bytes());
    out.extend_from_slice(&dst.to_be_bytes());
    out.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(payload);
    out
}

fn tcp_syn_bytes(src: u16, dst: u16) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&src.to_be_bytes());
    out.extend_from_slice(&dst.to_be_bytes());
    out.extend_from_slice(&1u32.to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(&[0x50, 0x02, 0x04, 0x00, 0, 0, 0, 0]);
    out
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// IPHC with inline next header `nh` and addresses from the MAC header.
fn iphc_inline_nh(nh: u8, transport: &[u8]) -> Vec<u8> {
    cat(&[&IPHC_LINK, &[nh], transport])
}

/// NHC UDP with both ports inline and the checksum.
fn nhc_udp(src: u16, dst: u16, payload: &[u8]) -> Vec<u8> {
    cat(&[
        &[NHC_UDP_PORTS_INLINE],
        &src.to_be_bytes(),
        &dst.to_be_bytes(),
        &[0, 0],
        payload,
    ])
}

/// LINKTYPE_IEEE802_15_4_WITHFCS: MAC frames with their FCS.
fn ieee802154() -> Result<Vec<Frame>> {
    let mac = wpan_short;
    let full = |body: Vec<u8>| Frame::full(with_fcs16(body));
    let ipv6_udp = {
        let udp = udp_bytes(47001, 5683, b"coap");
        let header = Ipv6Header {
            traffic_class: 0,
            flow_label: Default::default(),
            payload_length: udp.len() as u16,
            next_header: IpNumber::UDP,
            hop_limit: 64,
            source: V6_CLIENT,
            destination: V6_SERVER,
        };
        cat(&[&header.to_bytes(), &udp])
    };
    let ipv6_gre = {
        let header = Ipv6Header {
            traffic_class: 0,
            flow_label: Default::default(),
            payload_length: 4,
            next_header: IpNumber::GRE,
            hop_limit: 64,
            source: V6_CLIENT,
            destination: V6_SERVER,
        };
        cat(&[&header.to_bytes(), &[0, 0, 0x86, 0xdd]])
    };
    let mut bad_fcs = with_fcs16(cat(&[
        &mac(),
        &iphc_inline_nh(17, &udp_bytes(47007, 5007, b"x")),
    ]));
    let last = bad_fcs.len() - 1;
    bad_fcs[last] ^= 0xff;
    let cut_udp = with_fcs16(cat(&[
        &mac(),
        &iphc_inline_nh(17, &udp_bytes(47010, 5010, &[0x55; 40])),
    ]));
    let cut_ports = with_fcs16(cat(&[
        &mac(),
        &iphc_inline_nh(17, &udp_bytes(47011, 5011, &[0x55; 40])),
    ]));
    let cut_iphc = with_fcs16(cat(&[
        &mac(),
        &iphc_inline_nh(17, &udp_bytes(47012, 5012, &[0x55; 40])),
    ]));
    let mac_len = mac().len();
    // FRAG1 holding a whole datagram: IPv6 (40) + UDP (8) + 4 payload bytes.
    let frag1_whole = cat(&[
        &(LOWPAN_FRAG1 | (40 + 8 + 4)).to_be_bytes(),
        &0x1601u16.to_be_bytes(),
        &IPHC_LINK_NHC,
        &nhc_udp(47016, 5016, b"frag"),
    ]);
    // FRAG1 announcing a 200-byte datagram: tshark waits for the rest.
    let frag1_part = cat(&[
        &(LOWPAN_FRAG1 | 200).to_be_bytes(),
        &0x1602u16.to_be_bytes(),
        &IPHC_LINK_NHC,
        &nhc_udp(47017, 5017, &[0x66; 40]),
    ]);
    let fragn = cat(&[
        &(LOWPAN_FRAGN | 200).to_be_bytes(),
        &0x1603u16.to_be_bytes(),
        &[12],
        &[0x77; 40],
    ]);
    // Mesh header (V, F: short originator and final), 5 hops left, then
    // BC0 and IPHC: addresses come from the mesh header.
    let mesh = cat(&[
        &[0x80 | 0x20 | 0x10 | 5],
        &WPAN_SHORT_A.to_be_bytes(),
        &WPAN_SHORT_B.to_be_bytes(),
        &[LOWPAN_BC0, 0x09],
        &iphc_inline_nh(17, &udp_bytes(47019, 5019, b"mesh")),
    ]);
    // A mesh header whose first byte reads as a ZigBee NWK frame control
    // (version 1, data): tshark's ZigBee heuristic would take it, were it
    // not for the 6LoWPAN frames before (see fixtures/README.md).
    let zigbee = cat(&[
        &[0x80 | 0x04],
        &[0; 16],
        &iphc_inline_nh(17, &udp_bytes(47020, 5020, b"zb")),
    ]);
    let ext_2015 = wpan_header(
        WPAN_DATA
            | WPAN_PAN_COMPRESSION
            | WPAN_DST_EXT
            | WPAN_SRC_EXT
            | WPAN_V2015
            | WPAN_SEQ_SUPPRESSION
            | WPAN_IE_PRESENT,
        None,
        &eui_air(WPAN_EUI_B),
        None,
        &eui_air(WPAN_EUI_A),
    );
    // Header IEs: CSL (id 0x1a, 4 bytes), then HT2 (id 0x7f).
    let header_ies = cat(&[
        &((0x1a << 7) | 4u16).to_le_bytes(),
        &[1, 2, 3, 4],
        &(0x7f_u16 << 7).to_le_bytes(),
    ]);
    // HT1 (id 0x7e), then a payload IE (group 1, 2 bytes) and the payload
    // termination IE (group 15).
    let payload_ies = cat(&[
        &(0x7e_u16 << 7).to_le_bytes(),
        &(0x8000 | (1 << 11) | 2u16).to_le_bytes(),
        &[0x21, 0x00],
        &(0x8000 | (15u16 << 11)).to_le_bytes(),
    ]);
    let short_2015 = wpan_header(
        WPAN_DATA
            | WPAN_PAN_COMPRESSION
            | WPAN_DST_SHORT
            | WPAN_SRC_SHORT
            | WPAN_V2015
            | WPAN_IE_PRESENT,
        Some(WPAN_PAN),
        &WPAN_SHORT_B.to_le_bytes(),
        None,
        &WPAN_SHORT_A.to_le_bytes(),
    );
    let secured = cat(&[
        &wpan_header(
            WPAN_SHORT_SHORT | WPAN_SECURITY,
            Some(WPAN_PAN),
            &WPAN_SHORT_B.to_le_bytes(),
            None,
            &WPAN_SHORT_A.to_le_bytes(),
        ),
        // auxiliary security header: level 5, key id mode 0, frame counter
        &[0x05, 1, 0, 0, 0],
        &iphc_inline_nh(17, &udp_bytes(47008, 5008, b"secret")),
    ]);
    let no_src = wpan_header(
        WPAN_DATA | WPAN_PAN_COMPRESSION | WPAN_DST_SHORT | WPAN_V2006,
        Some(WPAN_PAN),
        &WPAN_SHORT_B.to_le_bytes(),
        None,
        &[],
    );
    let no_src_ok = wpan_header(
        WPAN_DATA | WPAN_DST_SHORT | WPAN_V2006,
        Some(WPAN_PAN),
        &WPAN_SHORT_B.to_le_bytes(),
        None,
        &[],
    );
    let two_pans = wpan_header(
        WPAN_DATA | WPAN_DST_SHORT | WPAN_SRC_EXT | WPAN_V2006,
        Some(WPAN_PAN),
        &WPAN_SHORT_B.to_le_bytes(),
        Some(0x1234),
        &eui_air(WPAN_EUI_A),
    );
    Ok(vec![
        // 1-2: IPHC with the transport inline (next header carried)
        full(cat(&[
            &mac(),
            &iphc_inline_nh(17, &udp_bytes(47001, 5001, b"udp")),
        ])),
        full(cat(&[
            &mac(),
            &iphc_inline_nh(6, &tcp_syn_bytes(47002, 5002)),
        ])),
        // 3: uncompressed IPv6
        full(cat(&[&mac(), &[LOWPAN_IPV6], &ipv6_udp])),
        // 4-6: NHC UDP: ports inline, 8-bit destination, 4-bit both
        full(cat(&[
            &mac(),
            &IPHC_LINK_NHC,
            &nhc_udp(47004, 5004, b"nhc"),
        ])),
        full(cat(&[
            &mac(),
            &IPHC_LINK_NHC,
            &[NHC_UDP_DST_8BIT],
            &47005u16.to_be_bytes(),
            &[0x05, 0, 0],
            b"p8",
        ])),
        full(cat(&[
            &mac(),
            &IPHC_LINK_NHC,
            &[NHC_UDP_PORTS_4BIT, 0x16, 0, 0],
            b"p4",
        ])),
        // 7: wrong FCS: tshark dissects no payload
        Frame::full(bad_fcs),
        // 8: security enabled; 9: ACK; 10: beacon
        full(secured),
        full(cat(&[&WPAN_ACK.to_le_bytes(), &[0x2a]])),
        full(cat(&[
            &WPAN_BEACON.to_le_bytes(),
            &[0x2b],
            &WPAN_PAN.to_le_bytes(),
            &WPAN_SHORT_A.to_le_bytes(),
            &[0xff, 0x0f, 0, 0],
        ])),
        // 11: cut by the snap length after the ports (FCS not captured: not checked)
        Frame::cut(cut_udp, mac_len + 3 + 6),
        // 12: cut inside the ports: truncated
        Frame::cut(cut_ports, mac_len + 3 + 2),
        // 13: cut inside IPHC: not IP
        Frame::cut(cut_iphc, mac_len + 1),
        // 14: 2015, extended addresses, no sequence number, header IEs to HT2
        full(cat(&[
            &ext_2015,
            &header_ies,
            &iphc_inline_nh(17, &udp_bytes(47014, 5014, b"ie")),
        ])),
        // 15: 2015, HT1, payload IEs to their termination
        full(cat(&[
            &short_2015,
            &payload_ies,
            &iphc_inline_nh(17, &udp_bytes(47015, 5015, b"pie")),
        ])),
        // 16-18: fragments: whole datagram in FRAG1; partial FRAG1; FRAGN
        full(cat(&[&mac(), &frag1_whole])),
        full(cat(&[&mac(), &frag1_part])),
        full(cat(&[&mac(), &fragn])),
        // 19: mesh + broadcast headers; 20: mesh that ZigBee would take first
        full(cat(&[&mac(), &mesh])),
        full(cat(&[&mac(), &zigbee])),
        // 21: NHC hop-by-hop (6 bytes of options), then NHC UDP
        full(cat(&[
            &mac(),
            &IPHC_LINK_NHC,
            &[NHC_HOP_BY_HOP_NHC, 6, 1, 4, 0, 0, 0, 0],
            &nhc_udp(47021, 5021, b"hbh"),
        ])),
        // 22: an NHC tshark does not know: IPv6 with no next header
        full(cat(&[
            &mac(),
            &IPHC_LINK_NHC,
            &[NHC_UNKNOWN],
            &udp_bytes(47022, 5022, b"?"),
        ])),
        // 23: ICMPv6 echo request
        full(cat(&[
            &mac(),
            &iphc_inline_nh(58, &[128, 0, 0, 0, 0, 1, 0, 1]),
        ])),
        // 24: everything inline (traffic class and flow label, hop limit, addresses)
        full(cat(&[
            &mac(),
            &IPHC_INLINE,
            &[0, 0, 0, 0],
            &[17],
            &[64],
            &V6_CLIENT,
            &V6_SERVER,
            &udp_bytes(47024, 5024, b"inl"),
        ])),
        // 25: multicast ff02::1a
        full(cat(&[
            &mac(),
            &IPHC_MULTICAST,
            &[17],
            &[0x1a],
            &udp_bytes(47025, 5025, b"mc"),
        ])),
        // 26: GRE in uncompressed IPv6: other_ip
        full(cat(&[&mac(), &[LOWPAN_IPV6], &ipv6_gre])),
        // 27: reserved destination mode: not IP
        full(cat(&[
            &mac(),
            &IPHC_RESERVED_DAM,
            &[17],
            &udp_bytes(47027, 5027, b"r"),
        ])),
        // 28: PAN id compression without a source address (2006): rejected
        full(cat(&[
            &no_src,
            &iphc_inline_nh(17, &udp_bytes(47028, 5028, b"nc")),
        ])),
        // 29: no source address, no compression: decoded
        full(cat(&[
            &no_src_ok,
            &iphc_inline_nh(17, &udp_bytes(47029, 5029, b"ns")),
        ])),
        // 30: both PAN ids, extended source
        full(cat(&[
            &two_pans,
            &iphc_inline_nh(17, &udp_bytes(47030, 5030, b"2p")),
        ])),
    ])
}

/// LINKTYPE_IEEE802_15_4_NOFCS: no FCS, trailing bytes are payload.
fn ieee802154_nofcs() -> Result<Vec<Frame>> {
    let mac = wpan_short;
    let body = cat(&[
        &mac(),
        &iphc_inline_nh(17, &udp_bytes(47101, 5101, b"nofcs")),
    ]);
    Ok(vec![
        Frame::full(body.clone()),
        // an FCS at the end is just two more payload bytes
        Frame::full(with_fcs16(cat(&[
            &mac(),
            &iphc_inline_nh(6, &tcp_syn_bytes(47102, 5102)),
        ]))),
        Frame::full(cat(&[&mac(), &IPHC_LINK_NHC, &nhc_udp(47103, 5103, b"n")])),
        Frame::full(cat(&[&WPAN_ACK.to_le_bytes(), &[0x2a]])),
        Frame::cut(body, mac().len() + 3 + 1),
    ])
}

/// LINKTYPE_IEEE802_15_4_NONASK_PHY: preamble, SFD, PHY length, MAC + FCS.
fn ieee802154_nonask() -> Result<Vec<Frame>> {
    let phy = |len: usize, mac: &[u8]| cat(&[&[0, 0, 0, 0, 0xa7, len as u8], mac]);
    let good = with_fcs16(cat(&[
        &wpan_short(),
        &iphc_inline_nh(17, &udp_bytes(47201, 5201, b"phy")),
    ]));
    let other = with_fcs16(cat(&[
        &wpan_short(),
        &iphc_inline_nh(17, &udp_bytes(47202, 5202, b"phy")),
    ]));
    let long = with_fcs16(cat(&[
        &wpan_short(),
        &iphc_inline_nh(17, &udp_bytes(47203, 5203, b"phy")),
    ]));
    Ok(vec![
        Frame::full(phy(good.len(), &good)),
        // a PHY length 4 bytes short: the FCS is read from the wrong place
        Frame::full(phy(other.len() - 4, &other)),
        // a PHY length beyond the capture: the FCS is not there to check
        Frame::full(phy(long.len() + 5, &long)),
        Frame::cut(phy(good.len(), &good), 4),
    ])
}

/// LINKTYPE_IEEE802_15_4_TAP: a TLV header says which FCS follows.
fn ieee802154_tap() -> Result<Vec<Frame>> {
    let tlv_fcs = |kind: u8| [0u8, 0, 1, 0, kind, 0, 0, 0];
    let tap = |tlvs: &[u8], frame: &[u8]| {
        cat(&[
            &[0, 0],
            &((4 + tlvs.len()) as u16).to_le_bytes(),
            tlvs,
            frame,
        ])
    };
    let body = |src: u16, dst: u16| {
        cat(&[
            &wpan_short(),
            &iphc_inline_nh(17, &udp_bytes(src, dst, b"tap")),
        ])
    };
    let with32 = |b: Vec<u8>| {
        let fcs = crc32_ieee(&b);
        cat(&[&b, &fcs.to_le_bytes()])
    };
    let mut bad32 = with32(body(47305, 5305));
    let last = bad32.len() - 1;
    bad32[last] ^= 0xff;
    Ok(vec![
        // no FCS TLV: tshark assumes none
        Frame::full(tap(&[], &body(47301, 5301))),
        Frame::full(tap(&tlv_fcs(1), &with_fcs16(body(47302, 5302)))),
        Frame::full(tap(&tlv_fcs(0), &body(47303, 5303))),
        Frame::full(tap(&tlv_fcs(2), &with32(body(47304, 5304)))),
        Frame::full(tap(&tlv_fcs(2), &bad32)),
        // unknown FCS type; unknown TAP version: not dissected
        Frame::full(tap(&tlv_fcs(3), &body(47306, 5306))),
        Frame::full(cat(&[&[1, 0, 4, 0], &body(47307, 5307)])),
    ])
}

// The tag fixtures (ethertypes.pcap, link-dsa-*.pcap) in a file of their own.
#[path = "build_fixtures/tags.rs"]
mod tags;

/// IPv4 options whose length byte is 2 (no data), which make tshark 4.0
/// throw before TCP while tcpdump reads on; and three controls tshark
/// reads. Its expected figures are tcpdump's (fixtures/tcpdump-oracle.py).
/// See fixtures/README.md.
fn ipv4_option_length_2() -> Result<Vec<Frame>> {
    let with_opts = |opts: &[u8]| -> Result<IpHeaders> {
        let mut ip = ipv4_header(V4_CLIENT, V4_SERVER, 64, 0x3333);
        ip.options = Ipv4Options::try_from(opts)?;
        Ok(IpHeaders::Ipv4(ip, Default::default()))
    };
    let mut security = vec![0x82, 11];
    security.extend([0; 9]);
    security.push(0); // EOL
    let options: [&[u8]; 10] = [
        &[0x82, 2, 0, 0], // security
        &[0x86, 2, 0, 0], // CIPSO
        &[0x07, 2, 0, 0], // record route
        &[0x44, 2, 0, 0], // timestamp
        &[0x94, 2, 0, 0], // router alert
        &[0x83, 2, 0, 0], // loose source route
        &[0x19, 2, 0, 0], // quick-start
        // Controls, TCP to tshark as well:
        &security,        // a whole security option
        &[0x82, 1, 0, 0], // length 1: tshark warns and reads on
        &[0x82, 0, 0, 0], // length 0: the same
    ];
    let mut frames = Vec::new();
    for (i, opts) in options.into_iter().enumerate() {
        let sport = 42_001 + i as u16;
        frames.push(Frame::full(build!(
            eth_c2s()
                .ip(with_opts(opts)?)
                .tcp(sport, 80, 0x4000_0000, 64240)
                .ack(1)
                .psh(),
            b"GET / HTTP/1.1\r\n\r\n"
        )));
    }
    Ok(frames)
}

// ------------------------------------------- WAN, ATM and pseudo-header links

/// The WAN/ATM/pseudo-header link-type fixtures: `(file, link type, frames)`,
/// one classic pcap per link type (see fixtures/README.md, "link-*.pcap").
type LinkFixture = (&'static str, u32, Vec<Frame>);

/// IPv4/UDP client -> server with a small payload.
fn wan_udp4(sport: u16, dport: u16) -> Result<Vec<u8>> {
    Ok(build!(
        PacketBuilder::ipv4(V4_CLIENT, V4_SERVER, 64).udp(sport, dport),
        b"wan"
    ))
}

/// IPv4/TCP SYN client -> server.
fn wan_tcp4(sport: u16, dport: u16) -> Result<Vec<u8>> {
    Ok(build!(
        PacketBuilder::ipv4(V4_CLIENT, V4_SERVER, 64)
            .tcp(sport, dport, 7, 64240)
            .syn(),
        &[]
    ))
}

/// IPv6/UDP client -> server.
fn wan_udp6(sport: u16, dport: u16) -> Result<Vec<u8>> {
    Ok(build!(
        PacketBuilder::ipv6(V6_CLIENT, V6_SERVER, 64).udp(sport, dport),
        b"wan6"
    ))
}

/// Ethernet (client -> server) carrying IPv4/UDP.
fn wan_eth_udp4(sport: u16, dport: u16) -> Result<Vec<u8>> {
    Ok(build!(
        eth_c2s().ipv4(V4_CLIENT, V4_SERVER, 64).udp(sport, dport),
        b"wan-eth"
    ))
}

/// `prefix` followed by `packet`.
fn prefixed(prefix: &[u8], packet: Vec<u8>) -> Vec<u8> {
    let mut v = prefix.to_vec();
    v.extend_from_slice(&packet);
    v
}

/// Frame Relay (DLT 107): DLCI 100 unless said otherwise.
fn link_frame_relay() -> Result<Vec<Frame>> {
    const DLCI_100: [u8; 2] = [0x18, 0x41];
    let q922 = |rest: &[u8]| prefixed(&DLCI_100, rest.to_vec());
    Ok(vec![
        // 0 UI, NLPID IPv4 / IPv6
        Frame::full(prefixed(&q922(&[0x03, 0xcc]), wan_udp4(41001, 53)?)),
        Frame::full(prefixed(&q922(&[0x03, 0x8e]), wan_udp6(41002, 123)?)),
        // 2 UI, pad, NLPID SNAP, OUI 0, EtherType IPv4
        Frame::full(prefixed(
            &q922(&[0x03, 0x00, 0x80, 0, 0, 0, 0x08, 0x00]),
            wan_tcp4(41003, 443)?,
        )),
        // 3 SNAP without the pad
        Frame::full(prefixed(
            &q922(&[0x03, 0x80, 0, 0, 0, 0x08, 0x00]),
            wan_udp4(41004, 161)?,
        )),
        // 4 Cisco encapsulation: EtherType after the address
        Frame::full(prefixed(&q922(&[0x08, 0x00]), wan_tcp4(41005, 22)?)),
        Frame::full(prefixed(&q922(&[0x86, 0xdd]), wan_udp6(41006, 514)?)),
        // 6 SNAP bridged Ethernet (00-80-C2, PID 7) and with FCS (PID 1)
        Frame::full(prefixed(
            &q922(&[0x03, 0x80, 0x00, 0x80, 0xc2, 0x00, 0x07]),
            wan_eth_udp4(41007, 5060)?,
        )),
        Frame::full({
            let mut f = prefixed(
                &q922(&[0x03, 0x80, 0x00, 0x80, 0xc2, 0x00, 0x01]),
                wan_eth_udp4(41008, 5061)?,
            );
            f.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
            f
        }),
        // 8 3-octet and 4-octet addresses, pad + NLPID IPv4
        Frame::full(prefixed(
            &[0x18, 0x40, 0x01, 0x03, 0xcc],
            wan_udp4(41009, 69)?,
        )),
        Frame::full(prefixed(
            &[0x18, 0x40, 0x02, 0x01, 0x03, 0xcc],
            wan_udp4(41010, 1812)?,
        )),
        Frame::full(prefixed(&q922(&[0x03, 0x00, 0xcc]), wan_udp4(41011, 1813)?)),
        // 11 Cisco MPLS (one label) then IPv4
        Frame::full(prefixed(
            &q922(&[0x88, 0x47, 0x00, 0x00, 0x11, 0x40]),
            wan_udp4(41012, 4789)?,
        )),
        // 12 negative: CLNP NLPID, LAPF on DLCI 0, XID, SNAP with a Cisco OUI,
        // Cisco VLAN type (not in the C-HDLC table)
        Frame::full(prefixed(&q922(&[0x03, 0x81]), wan_udp4(41013, 7)?)),
        Frame::full(prefixed(&[0x00, 0x01, 0x08, 0x00], wan_udp4(41014, 9)?)),
        Frame::full(prefixed(&q922(&[0xaf]), wan_udp4(41015, 13)?)),
        Frame::full(prefixed(
            &q922(&[0x03, 0x80, 0x00, 0x00, 0x0c, 0x08, 0x00]),
            wan_udp4(41016, 17)?,
        )),
        Frame::full(prefixed(
            &q922(&[0x81, 0x00, 0x00, 0x01, 0x08, 0x00]),
            wan_udp4(41017, 19)?,
        )),
        // 17 DLCI 0 with UI: still an NLPID
        Frame::full(prefixed(&[0x00, 0x01, 0x03, 0xcc], wan_udp4(41018, 37)?)),
        // 18 cut short: in the UDP ports, in the address, after the control byte
        Frame::cut(prefixed(&q922(&[0x03, 0xcc]), wan_udp4(41019, 53)?), 4 + 22),
        Frame::full(vec![0x18]),
        Frame::full(q922(&[0x03])),
    ])
}

/// Cisco HDLC frames inside a PPP capture (DLT 9 or 50).
fn link_ppp_chdlc() -> Result<Vec<Frame>> {
    Ok(vec![
        Frame::full(prefixed(&[0x0f, 0x00, 0x08, 0x00], wan_udp4(42001, 53)?)),
        Frame::full(prefixed(&[0x8f, 0x00, 0x86, 0xdd], wan_udp6(42002, 5353)?)),
        Frame::full(prefixed(
            &[0x0f, 0x00, 0x88, 0x47, 0x00, 0x00, 0x11, 0x40],
            wan_tcp4(42003, 179)?,
        )),
        // 3 plain PPP still decodes
        Frame::full(prefixed(&[0xff, 0x03, 0x00, 0x21], wan_tcp4(42004, 80)?)),
        // 4 negative: SLARP, a VLAN type, PPP IPv4 protocol under C-HDLC
        Frame::full(prefixed(&[0x0f, 0x00, 0x80, 0x35], vec![0; 20])),
        Frame::full(prefixed(
            &[0x0f, 0x00, 0x81, 0x00, 0x00, 0x01, 0x08, 0x00],
            wan_udp4(42005, 7)?,
        )),
        Frame::full(prefixed(&[0x0f, 0x00, 0x00, 0x21], wan_udp4(42006, 9)?)),
        // 7 cut: in the ports; in the protocol field
        Frame::cut(
            prefixed(&[0x0f, 0x00, 0x08, 0x00], wan_udp4(42007, 123)?),
            4 + 21,
        ),
        Frame::full(vec![0x0f, 0x00, 0x08]),
    ])
}

/// Cisco HDLC (DLT 104): address, control, then a protocol from tshark's
/// `chdlc.protocol` table (IPv4, IPv6, MPLS, bridged Ethernet); VLAN tags,
/// 802.1ad and PPPoE are not in it and stay data.
fn link_chdlc() -> Result<Vec<Frame>> {
    Ok(vec![
        Frame::full(prefixed(&[0x0f, 0x00, 0x08, 0x00], wan_udp4(42101, 53)?)),
        Frame::full(prefixed(&[0x8f, 0x00, 0x86, 0xdd], wan_udp6(42102, 5353)?)),
        Frame::full(prefixed(
            &[0x0f, 0x00, 0x88, 0x47, 0x00, 0x00, 0x11, 0x40],
            wan_tcp4(42103, 179)?,
        )),
        // 3 bridged Ethernet (0x6558)
        Frame::full(prefixed(
            &[
                &[0x0f, 0x00, 0x65, 0x58][..],
                &MAC_SERVER,
                &MAC_CLIENT,
                &[0x08, 0x00],
            ]
            .concat(),
            wan_udp4(42104, 161)?,
        )),
        // 4 negative: an 802.1Q tag, an 802.1ad tag, a PPPoE session, SLARP
        Frame::full(prefixed(
            &[0x0f, 0x00, 0x81, 0x00, 0x00, 0x64, 0x08, 0x00],
            wan_udp4(42105, 53)?,
        )),
        Frame::full(prefixed(
            &[0x0f, 0x00, 0x88, 0xa8, 0x00, 0x64, 0x08, 0x00],
            wan_udp4(42106, 53)?,
        )),
        Frame::full(prefixed(
            &[
                0x0f, 0x00, 0x88, 0x64, 0x11, 0x00, 0x00, 0x01, 0x00, 0x20, 0x00, 0x21,
            ],
            wan_udp4(42107, 53)?,
        )),
        Frame::full(prefixed(&[0x8f, 0x00, 0x80, 0x35], vec![0; 20])),
        // 8 cut: in the ports; in the protocol field
        Frame::cut(
            prefixed(&[0x0f, 0x00, 0x08, 0x00], wan_udp4(42108, 123)?),
            4 + 21,
        ),
        Frame::full(vec![0x0f, 0x00, 0x08]),
    ])
}

/// Linux ARCnet (DLT 129): source, destination, offset, protocol id.
fn link_arcnet() -> Result<Vec<Frame>> {
    Ok(vec![
        Frame::full(prefixed(
            &[0x01, 0x02, 0, 0, 0xd4, 0x01, 0, 0],
            wan_udp4(43001, 53)?,
        )),
        Frame::full(prefixed(&[0x01, 0x02, 0, 0, 0xf0], wan_tcp4(43002, 445)?)),
        Frame::full(prefixed(
            &[0x01, 0x02, 0, 0, 0xc4, 0x00, 0, 1],
            wan_udp6(43003, 547)?,
        )),
        // 3 negative: IPv6 id without the fragmentation fields, ARP,
        // encapsulated Ethernet (not dissected by tshark)
        Frame::full(prefixed(&[0x01, 0x02, 0, 0, 0xc4], wan_udp6(43004, 7)?)),
        Frame::full(prefixed(&[0x01, 0x02, 0, 0, 0xd5, 0, 0, 0], vec![0; 28])),
        Frame::full(prefixed(
            &[0x01, 0x02, 0, 0, 0xe8, 0, 0, 0],
            wan_eth_udp4(43005, 9)?,
        )),
        // 6 cut: in the ports; in the header
        Frame::cut(
            prefixed(&[0x01, 0x02, 0, 0, 0xf0], wan_udp4(43006, 161)?),
            5 + 22,
        ),
        Frame::full(vec![0x01, 0x02, 0, 0, 0xd4, 0x01]),
    ])
}

/// IP over InfiniBand (DLT 242): 40-byte pseudo header, type, reserved.
fn link_ipoib() -> Result<Vec<Frame>> {
    let header = |ethertype: u16| {
        let mut h = vec![0u8; 40];
        h[0] = 0x60;
        h.extend_from_slice(&ethertype.to_be_bytes());
        h.extend_from_slice(&[0, 0]);
        h
    };
    Ok(vec![
        Frame::full(prefixed(&header(0x0800), wan_udp4(44001, 2049)?)),
        Frame::full(prefixed(&header(0x86dd), wan_udp6(44002, 4791)?)),
        Frame::full(prefixed(&header(0x0800), wan_tcp4(44003, 3260)?)),
        // 3 negative: ARP, MPLS (not followed by tshark), header cut short
        Frame::full(prefixed(&header(0x0806), vec![0; 28])),
        Frame::full(prefixed(
            &header(0x8847),
            prefixed(&[0, 0, 0x11, 0x40], wan_udp4(44004, 7)?),
        )),
        Frame::full(header(0x0800)[..42].to_vec()),
        // 6 cut in the ports
        Frame::cut(prefixed(&header(0x0800), wan_udp4(44005, 9)?), 44 + 22),
    ])
}

/// Solaris ipnet (DLT 226): 24-byte header, family 2 or 26.
fn link_ipnet() -> Result<Vec<Frame>> {
    let header = |family: u8, len: usize| {
        let mut h = vec![1, family, 0, 0];
        h.extend_from_slice(&(len as u32).to_be_bytes());
        h.extend_from_slice(&[0, 0, 0, 2]);
        h.extend_from_slice(&[0; 12]);
        h
    };
    let with = |family: u8, packet: Vec<u8>| prefixed(&header(family, packet.len()), packet);
    Ok(vec![
        Frame::full(with(2, wan_udp4(45001, 53)?)),
        Frame::full(with(26, wan_udp6(45002, 53)?)),
        Frame::full(with(2, wan_tcp4(45003, 2049)?)),
        // 3 negative: Linux's AF_INET6 (10), family 0, header cut short
        Frame::full(with(10, wan_udp6(45004, 7)?)),
        Frame::full(with(0, wan_udp4(45005, 9)?)),
        Frame::full(header(2, 0)[..10].to_vec()),
        // 6 cut in the ports
        Frame::cut(with(2, wan_udp4(45006, 13)?), 24 + 22),
    ])
}

/// Juniper Ethernet (DLT 178): "MGC", flags, optional extensions.
fn link_juniper_ether() -> Result<Vec<Frame>> {
    const MGC: [u8; 3] = *b"MGC";
    let no_l2 = |proto: u32, packet: Vec<u8>| {
        let mut h = MGC.to_vec();
        h.push(0x02);
        h.extend_from_slice(&proto.to_le_bytes());
        prefixed(&h, packet)
    };
    Ok(vec![
        // 0 incoming Ethernet
        Frame::full(prefixed(
            &[b'M', b'G', b'C', 0x01],
            wan_eth_udp4(46001, 53)?,
        )),
        // 1 extensions (one 3-byte TLV: interface index), then Ethernet
        Frame::full(prefixed(
            &[
                b'M', b'G', b'C', 0x80, 0x00, 0x05, 0x01, 0x03, 0x01, 0x00, 0x00,
            ],
            wan_eth_udp4(46002, 123)?,
        )),
        // 2 no layer 2 header: IPv4, IPv6, MPLS->IPv4, MPLS, Ethernet, LLC/SNAP,
        // C-HDLC, PPP
        Frame::full(no_l2(2, wan_tcp4(46003, 179)?)),
        Frame::full(no_l2(6, wan_udp6(46004, 546)?)),
        Frame::full(no_l2(3, wan_udp4(46005, 646)?)),
        Frame::full(no_l2(
            5,
            prefixed(&[0, 0, 0x11, 0x40], wan_udp4(46006, 3784)?),
        )),
        Frame::full(no_l2(204, wan_eth_udp4(46007, 4784)?)),
        Frame::full(no_l2(
            203,
            prefixed(
                &[0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00],
                wan_udp4(46008, 520)?,
            ),
        )),
        Frame::full(no_l2(
            208,
            prefixed(&[0x0f, 0x00, 0x08, 0x00], wan_udp4(46009, 1985)?),
        )),
        Frame::full(no_l2(200, prefixed(&[0x00, 0x21], wan_udp4(46010, 1701)?))),
        // 10 extensions and no layer 2 header
        Frame::full(prefixed(
            &[
                b'M', b'G', b'C', 0x82, 0x00, 0x04, 0x04, 0x02, 0x03, 0x00, 2, 0, 0, 0,
            ],
            wan_udp4(46011, 3503)?,
        )),
        // 11 no magic: tshark reads Ethernet from the first byte
        Frame::full(wan_eth_udp4(46012, 8080)?),
        // 12 negative: proto 2 holding IPv6 (other_ip), proto 6 holding IPv4,
        // PPP with HDLC address/control, unknown proto, header cut short
        Frame::full(no_l2(2, wan_udp6(46013, 7)?)),
        Frame::full(no_l2(6, wan_udp4(46014, 9)?)),
        Frame::full(no_l2(
            200,
            prefixed(&[0xff, 0x03, 0x00, 0x21], wan_udp4(46015, 13)?),
        )),
        Frame::full(no_l2(1, wan_udp4(46016, 17)?)),
        Frame::full(vec![b'M', b'G', b'C', 0x02, 0x02, 0x00]),
        // 17 cut in the ports
        Frame::cut(
            prefixed(&[b'M', b'G', b'C', 0x00], wan_eth_udp4(46017, 19)?),
            4 + 14 + 22,
        ),
    ])
}

/// An Apple PKTAP header (108 bytes unless `len` says more) before `packet`.
fn pktap_header(len: u32, record_type: u32, dlt: u32, packet: Vec<u8>) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(&len.to_le_bytes());
    h.extend_from_slice(&record_type.to_le_bytes());
    h.extend_from_slice(&dlt.to_le_bytes());
    let mut ifname = b"en0".to_vec();
    ifname.resize(24, 0);
    h.extend_from_slice(&ifname);
    h.resize(len.max(36) as usize, 0);
    prefixed(&h, packet)
}

/// Apple PKTAP frames (written as DLT 258 and as DLT 149).
fn link_pktap() -> Result<Vec<Frame>> {
    Ok(vec![
        Frame::full(pktap_header(108, 1, 1, wan_eth_udp4(47001, 53)?)),
        Frame::full(pktap_header(108, 1, 12, wan_udp6(47002, 443)?)),
        Frame::full(pktap_header(
            108,
            1,
            0,
            prefixed(&2u32.to_le_bytes(), wan_tcp4(47003, 993)?),
        )),
        // 3 a longer header; LINKTYPE_RAW; PPP; Frame Relay; PKTAP in PKTAP
        Frame::full(pktap_header(156, 1, 1, wan_eth_udp4(47004, 5353)?)),
        Frame::full(pktap_header(108, 1, 101, wan_udp4(47005, 137)?)),
        Frame::full(pktap_header(
            108,
            1,
            9,
            prefixed(&[0xff, 0x03, 0x00, 0x21], wan_udp4(47006, 138)?),
        )),
        Frame::full(pktap_header(
            108,
            1,
            107,
            prefixed(&[0x18, 0x41, 0x03, 0xcc], wan_udp4(47007, 139)?),
        )),
        Frame::full(pktap_header(
            108,
            1,
            258,
            pktap_header(108, 1, 1, wan_eth_udp4(47008, 1900)?),
        )),
        // 8 negative: record type 0, header length below 108, cut in the header
        Frame::full(pktap_header(108, 0, 1, wan_eth_udp4(47009, 7)?)),
        Frame::full(pktap_header(100, 1, 1, wan_eth_udp4(47010, 9)?)),
        Frame::full(pktap_header(108, 1, 1, Vec::new())[..50].to_vec()),
        // 11 cut in the ports
        Frame::cut(
            pktap_header(108, 1, 1, wan_eth_udp4(47011, 13)?),
            108 + 14 + 22,
        ),
    ])
}

/// SunATM (DLT 123): flags, VPI, VCI, then the AAL5 PDU. The pseudo-header
/// is in the record, not in tshark's frame length.
fn link_sunatm() -> Result<Vec<Frame>> {
    let sun = |flags: u8, vpi: u8, vci: u16, payload: Vec<u8>| {
        let mut h = vec![flags, vpi];
        h.extend_from_slice(&vci.to_be_bytes());
        prefixed(&h, payload)
    };
    let llc = |ethertype: u16, packet: Vec<u8>| {
        let mut h = vec![0xaa, 0xaa, 0x03, 0, 0, 0];
        h.extend_from_slice(&ethertype.to_be_bytes());
        prefixed(&h, packet)
    };
    Ok(vec![
        // 0 LLC-multiplexed IPv4 and (outgoing) IPv6
        Frame::full(sun(0x02, 0, 32, llc(0x0800, wan_udp4(48001, 53)?))),
        Frame::full(sun(0x82, 0, 32, llc(0x86dd, wan_udp6(48002, 123)?))),
        // 2 LANE: LE client id, then Ethernet
        Frame::full(sun(
            0x01,
            0,
            33,
            prefixed(&[0x00, 0x01], wan_eth_udp4(48003, 161)?),
        )),
        // 3 LLC bridged Ethernet (00-80-C2, PID 7, 2 pad bytes)
        Frame::full(sun(
            0x02,
            0,
            34,
            prefixed(
                &[0xaa, 0xaa, 0x03, 0x00, 0x80, 0xc2, 0x00, 0x07, 0x00, 0x00],
                wan_eth_udp4(48004, 162)?,
            ),
        )),
        // 4 unknown type, guessed: LLC, VC-mux Ethernet, FR NLPID, raw IP
        Frame::full(sun(0x00, 1, 40, llc(0x0800, wan_tcp4(48005, 80)?))),
        Frame::full(sun(
            0x00,
            1,
            41,
            prefixed(&[0, 0], wan_eth_udp4(48006, 67)?),
        )),
        Frame::full(sun(
            0x00,
            1,
            42,
            prefixed(&[0x18, 0x41, 0x03, 0xcc], wan_udp4(48007, 68)?),
        )),
        Frame::full(sun(0x00, 1, 43, wan_udp4(48008, 69)?)),
        // 8 MARS type: guessed as well
        Frame::full(sun(0x03, 1, 44, llc(0x0800, wan_udp4(48009, 514)?))),
        // 9 raw IPv6 guessed: tshark's IPv4 dissector takes it (other_ip)
        Frame::full(sun(0x00, 1, 45, wan_udp6(48010, 520)?)),
        // 10 negative: LE control, signalling VC 0/5, ILMI, signalling type,
        // unguessable
        Frame::full(sun(0x01, 0, 33, prefixed(&[0xff, 0x00], vec![0; 60]))),
        Frame::full(sun(0x00, 0, 5, llc(0x0800, wan_udp4(48011, 7)?))),
        Frame::full(sun(0x05, 0, 16, llc(0x0800, wan_udp4(48012, 9)?))),
        Frame::full(sun(0x06, 1, 40, llc(0x0800, wan_udp4(48013, 13)?))),
        Frame::full(sun(
            0x00,
            1,
            40,
            prefixed(&[0x01, 0x02], wan_udp6(48014, 17)?),
        )),
        // 15 cut: in the ports; an empty PDU
        Frame::cut(
            sun(0x02, 0, 32, llc(0x0800, wan_udp4(48015, 19)?)),
            4 + 8 + 22,
        ),
        Frame::full(sun(0x02, 0, 32, Vec::new())),
    ])
}

/// Linux ATM CLIP (DLT 106): tshark reads raw IPv4 (an LLC header makes
/// the frame other_ip).
fn link_atm_clip() -> Result<Vec<Frame>> {
    Ok(vec![
        Frame::full(wan_udp4(49001, 53)?),
        Frame::full(wan_tcp4(49002, 443)?),
        // 2 IPv6: the IPv4 dissector hands it on (other_ip)
        Frame::full(wan_udp6(49003, 7)?),
        // 3 LLC/SNAP before IPv4 (tcpdump skips it; tshark does not)
        Frame::full(prefixed(
            &[0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00],
            wan_udp4(49004, 9)?,
        )),
        // 4 cut in the ports
        Frame::cut(wan_udp4(49005, 13)?, 22),
    ])
}

/// ATM RFC 1483 (DLT 100): LLC.
fn link_atm_rfc1483() -> Result<Vec<Frame>> {
    Ok(vec![
        Frame::full(prefixed(
            &[0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00],
            wan_udp4(50001, 53)?,
        )),
        Frame::full(prefixed(
            &[0xaa, 0xaa, 0x03, 0, 0, 0, 0x86, 0xdd],
            wan_udp6(50002, 123)?,
        )),
        // 2 bridged Ethernet, OSI NLPID IPv4, IP SAP
        Frame::full(prefixed(
            &[0xaa, 0xaa, 0x03, 0x00, 0x80, 0xc2, 0x00, 0x07, 0x00, 0x00],
            wan_eth_udp4(50003, 161)?,
        )),
        Frame::full(prefixed(&[0xfe, 0xfe, 0x03, 0xcc], wan_tcp4(50004, 179)?)),
        Frame::full(prefixed(&[0x06, 0x06, 0x03], wan_udp4(50005, 520)?)),
        // 5 negative: raw IPv4 (not LLC), OSI CLNP
        Frame::full(wan_udp4(50006, 7)?),
        Frame::full(prefixed(&[0xfe, 0xfe, 0x03, 0x81], wan_udp4(50007, 9)?)),
        // 7 cut in the ports
        Frame::cut(
            prefixed(
                &[0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00],
                wan_udp4(50008, 13)?,
            ),
            8 + 22,
        ),
    ])
}

/// Every WAN/ATM/pseudo-header fixture.
fn wan_link_fixtures() -> Result<Vec<LinkFixture>> {
    Ok(vec![
        ("link-frame-relay.pcap", 107, link_frame_relay()?),
        ("link-ppp-chdlc.pcap", 9, link_ppp_chdlc()?),
        ("link-ppp-serial-chdlc.pcap", 50, link_ppp_chdlc()?),
        ("link-chdlc.pcap", 104, link_chdlc()?),
        ("link-arcnet.pcap", 129, link_arcnet()?),
        ("link-ipoib.pcap", 242, link_ipoib()?),
        ("link-ipnet.pcap", 226, link_ipnet()?),
        ("link-juniper-ether.pcap", 178, link_juniper_ether()?),
        ("link-pktap.pcap", 258, link_pktap()?),
        ("link-user2-pktap.pcap", 149, link_pktap()?),
        ("link-sunatm.pcap", 123, link_sunatm()?),
        ("link-atm-clip.pcap", 106, link_atm_clip()?),
        ("link-atm-rfc1483.pcap", 100, link_atm_rfc1483()?),
    ])
}

fn main() -> Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "fixtures".into()));
    fs::create_dir_all(&dir)?;

    let pcaps: [(&str, FixtureFn); 14] = [
        ("vlan-qinq.pcap", vlan_qinq),
        ("ipv4-options.pcap", ipv4_options),
        ("ipv6-ext.pcap", ipv6_ext),
        ("fragments.pcap", fragments),
        ("truncated.pcap", truncated),
        ("icmp-errors.pcap", icmp_errors),
        ("tunnels.pcap", tunnels),
        ("sctp.pcap", sctp),
        ("dynamic-ports.pcap", dynamic_ports),
        ("non-ip.pcap", non_ip),
        ("decap.pcap", decap),
        ("mpls.pcap", mpls),
        ("jumbograms.pcap", jumbograms),
        ("ipv4-option-length-2.pcap", ipv4_option_length_2),
    ];
    for (name, make) in pcaps {
        let frames = make()?;
        write_pcap(&dir.join(name), LINKTYPE_ETHERNET, &frames)?;
        println!("{name}: {} packets", frames.len());
    }
    let wpan: [(&str, u32, FixtureFn); 4] = [
        (
            "link-ieee802154.pcap",
            LINKTYPE_IEEE802_15_4_WITHFCS,
            ieee802154,
        ),
        (
            "link-ieee802154-nofcs.pcap",
            LINKTYPE_IEEE802_15_4_NOFCS,
            ieee802154_nofcs,
        ),
        (
            "link-ieee802154-nonask.pcap",
            LINKTYPE_IEEE802_15_4_NONASK_PHY,
            ieee802154_nonask,
        ),
        (
            "link-ieee802154-tap.pcap",
            LINKTYPE_IEEE802_15_4_TAP,
            ieee802154_tap,
        ),
    ];
    for (name, linktype, make) in wpan {
        let frames = make()?;
        write_pcap(&dir.join(name), linktype, &frames)?;
        println!("{name}: {} packets", frames.len());
    }
    for (name, linktype, frames) in wan_link_fixtures()? {
        write_pcap(&dir.join(name), linktype, &frames)?;
        println!("{name}: {} packets", frames.len());
    }
    let (interfaces, frames) = linktypes()?;
    write_pcapng(&dir.join("linktypes.pcapng"), &interfaces, &frames)?;
    println!(
        "linktypes.pcapng: {} packets on {} interfaces",
        frames.len(),
        interfaces.len()
    );
    tags::write_all(&dir)?;
    Ok(())
}
