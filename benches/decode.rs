//! Criterion benchmarks of the per-frame decode path
//! (`portclass::decode::decode`, and `decode_with` looking into tunnels):
//! bytes of one captured frame in, a small `PacketInfo` out. No I/O and no counting are measured here; the
//! whole-command benchmark against libpcap is `benches/compare.sh`.
//!
//! Run with `cargo bench --bench decode`. Frames are built in-process with
//! etherparse's `PacketBuilder` (and by hand where it has no builder), and each
//! is decoded once before timing to check it takes the path its name says.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use etherparse::{LinuxSllPacketType, PacketBuilder, VlanId};
use portclass::capture::LinkType;
use portclass::decode::{Category, DecodeOptions, PacketInfo, Tunnel, decode, decode_with};

const MAC_A: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
const MAC_B: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];
const IPV4_CLIENT: [u8; 4] = [192, 168, 1, 20];
const IPV4_SERVER: [u8; 4] = [93, 184, 216, 34];
const IPV6_CLIENT: [u8; 16] = [
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20,
];
const IPV6_SERVER: [u8; 16] = [
    0x26, 0x06, 0x47, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x68, 0x11, 0x21, 0x53,
];

/// Frames in the mixed batch.
const MIXED_FRAMES: usize = 1000;

/// One frame as a capture would hand it to `decode`.
struct Frame {
    link: LinkType,
    data: Vec<u8>,
    orig_len: u32,
}

impl Frame {
    /// A frame captured whole.
    fn whole(link: LinkType, data: Vec<u8>) -> Frame {
        let orig_len = u32::try_from(data.len()).expect("bench frames are small");
        Frame {
            link,
            data,
            orig_len,
        }
    }

    /// The same frame cut to `snaplen` captured bytes; `orig_len` keeps the wire length.
    fn snapped(mut self, snaplen: usize) -> Frame {
        self.data.truncate(snaplen);
        self
    }

    fn decode(&self) -> PacketInfo {
        decode(self.link, &self.data, self.orig_len, 0)
    }
}

fn payload(len: usize) -> Vec<u8> {
    // Content does not matter to decode; only the lengths do.
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn eth_ipv4_tcp(src_port: u16, dst_port: u16, payload_len: usize) -> Frame {
    let builder = PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4(IPV4_CLIENT, IPV4_SERVER, 64)
        .tcp(src_port, dst_port, 0x1234_5678, 64_240)
        .ack(0x0abc_def0);
    let mut data = Vec::with_capacity(builder.size(payload_len));
    builder
        .write(&mut data, &payload(payload_len))
        .expect("writing to a Vec cannot fail");
    Frame::whole(LinkType::ETHERNET, data)
}

fn eth_ipv4_udp(src_port: u16, dst_port: u16, payload_len: usize) -> Frame {
    let builder = PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4(IPV4_CLIENT, IPV4_SERVER, 64)
        .udp(src_port, dst_port);
    let mut data = Vec::with_capacity(builder.size(payload_len));
    builder
        .write(&mut data, &payload(payload_len))
        .expect("writing to a Vec cannot fail");
    Frame::whole(LinkType::ETHERNET, data)
}

fn eth_ipv6_tcp(src_port: u16, dst_port: u16, payload_len: usize) -> Frame {
    let builder = PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv6(IPV6_CLIENT, IPV6_SERVER, 64)
        .tcp(src_port, dst_port, 0x1234_5678, 64_240)
        .ack(0x0abc_def0);
    let mut data = Vec::with_capacity(builder.size(payload_len));
    builder
        .write(&mut data, &payload(payload_len))
        .expect("writing to a Vec cannot fail");
    Frame::whole(LinkType::ETHERNET, data)
}

fn eth_ipv6_udp(src_port: u16, dst_port: u16, payload_len: usize) -> Frame {
    let builder = PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv6(IPV6_CLIENT, IPV6_SERVER, 64)
        .udp(src_port, dst_port);
    let mut data = Vec::with_capacity(builder.size(payload_len));
    builder
        .write(&mut data, &payload(payload_len))
        .expect("writing to a Vec cannot fail");
    Frame::whole(LinkType::ETHERNET, data)
}

/// 802.1ad outer tag (0x88a8) + 802.1Q inner tag, then IPv4/UDP.
fn qinq_ipv4_udp(src_port: u16, dst_port: u16, payload_len: usize) -> Frame {
    let outer = VlanId::try_new(100).expect("valid VLAN id");
    let inner = VlanId::try_new(200).expect("valid VLAN id");
    let builder = PacketBuilder::ethernet2(MAC_A, MAC_B)
        .double_vlan(outer, inner)
        .ipv4(IPV4_CLIENT, IPV4_SERVER, 64)
        .udp(src_port, dst_port);
    let mut data = Vec::with_capacity(builder.size(payload_len));
    builder
        .write(&mut data, &payload(payload_len))
        .expect("writing to a Vec cannot fail");
    Frame::whole(LinkType::ETHERNET, data)
}

fn sll_ipv4_tcp(src_port: u16, dst_port: u16, payload_len: usize) -> Frame {
    let mut sender = [0u8; 8];
    sender[..6].copy_from_slice(&MAC_A);
    let builder = PacketBuilder::linux_sll(LinuxSllPacketType::OUTGOING, 6, sender)
        .ipv4(IPV4_CLIENT, IPV4_SERVER, 64)
        .tcp(src_port, dst_port, 0x1234_5678, 64_240)
        .ack(0x0abc_def0);
    let mut data = Vec::with_capacity(builder.size(payload_len));
    builder
        .write(&mut data, &payload(payload_len))
        .expect("writing to a Vec cannot fail");
    Frame::whole(LinkType::LINUX_SLL, data)
}

/// An Ethernet ARP request, built by hand: 14 + 28 bytes.
fn eth_arp() -> Frame {
    let mut data = Vec::with_capacity(42);
    data.extend_from_slice(&[0xff; 6]);
    data.extend_from_slice(&MAC_A);
    data.extend_from_slice(&[0x08, 0x06]); // ARP
    data.extend_from_slice(&[0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01]);
    data.extend_from_slice(&MAC_A);
    data.extend_from_slice(&IPV4_CLIENT);
    data.extend_from_slice(&[0; 6]);
    data.extend_from_slice(&[192, 168, 1, 1]);
    Frame::whole(LinkType::ETHERNET, data)
}

fn eth_ipv4_icmp_echo(payload_len: usize) -> Frame {
    let builder = PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4(IPV4_CLIENT, IPV4_SERVER, 64)
        .icmpv4_echo_request(0x4242, 1);
    let mut data = Vec::with_capacity(builder.size(payload_len));
    builder
        .write(&mut data, &payload(payload_len))
        .expect("writing to a Vec cannot fail");
    Frame::whole(LinkType::ETHERNET, data)
}

#[path = "common/xorshift.rs"]
mod xorshift;
use xorshift::XorShift;

/// The frame mix's own draws.
impl XorShift {
    fn ephemeral_port(&mut self) -> u16 {
        32_768 + self.below(28_232) as u16
    }

    /// Bimodal like real traffic: ACK/DNS-sized or full-sized frames.
    fn payload_len(&mut self, full: usize) -> usize {
        match self.below(10) {
            0..=4 => self.below(24) as usize,
            5..=8 => full - self.below(300) as usize,
            _ => self.below(full as u64) as usize,
        }
    }
}

/// About what a busy network link carries: mostly IPv4 TCP to a few
/// well-known ports, some IPv6 and UDP, a few VLAN-tagged, ICMP and ARP
/// frames, and some cut short by a 96-byte snaplen.
fn mixed_batch(count: usize) -> Vec<Frame> {
    const TCP_SERVICES: [u16; 8] = [443, 443, 443, 80, 22, 3306, 5432, 8080];
    const UDP_SERVICES: [u16; 4] = [53, 53, 123, 443];
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    (0..count)
        .map(|_| {
            let client = rng.ephemeral_port();
            let tcp_service = TCP_SERVICES[rng.below(TCP_SERVICES.len() as u64) as usize];
            let udp_service = UDP_SERVICES[rng.below(UDP_SERVICES.len() as u64) as usize];
            let (src, dst) = (client, tcp_service);
            match rng.below(100) {
                0..=59 => eth_ipv4_tcp(src, dst, rng.payload_len(1460)),
                60..=71 => eth_ipv4_udp(client, udp_service, rng.payload_len(1472)),
                72..=83 => eth_ipv6_tcp(dst, src, rng.payload_len(1440)),
                84..=88 => eth_ipv6_udp(client, udp_service, rng.payload_len(1452)),
                89..=91 => qinq_ipv4_udp(client, udp_service, rng.payload_len(1464)),
                92..=93 => sll_ipv4_tcp(src, dst, rng.payload_len(1460)),
                94..=95 => eth_ipv4_icmp_echo(56),
                96 => eth_arp(),
                _ => eth_ipv4_tcp(src, dst, 1460).snapped(96),
            }
        })
        .collect()
}

/// Decodes `frame` once and checks it lands where the bench name says, so a
/// bench never silently times an error path.
fn check(frame: &Frame, category: Category, src_port: u16, dst_port: u16) {
    let info = frame.decode();
    assert_eq!(info.category, category, "{info:?}");
    assert_eq!(
        (info.src_port, info.dst_port),
        (src_port, dst_port),
        "{info:?}"
    );
    assert_eq!(info.problem, None, "{info:?}");
}

fn bench_single_frames(c: &mut Criterion) {
    let cases = [
        (
            "eth_ipv4_tcp",
            eth_ipv4_tcp(51_514, 443, 1448),
            Category::Tcp,
            51_514,
            443,
        ),
        (
            "eth_ipv6_udp",
            eth_ipv6_udp(40_001, 53, 40),
            Category::Udp,
            40_001,
            53,
        ),
        (
            "qinq_ipv4_udp",
            qinq_ipv4_udp(123, 123, 48),
            Category::Udp,
            123,
            123,
        ),
        (
            "sll_ipv4_tcp",
            sll_ipv4_tcp(5432, 45_678, 0),
            Category::Tcp,
            5432,
            45_678,
        ),
    ];
    let mut group = c.benchmark_group("decode_frame");
    group.throughput(Throughput::Elements(1));
    for (name, frame, category, src_port, dst_port) in &cases {
        check(frame, *category, *src_port, *dst_port);
        group.bench_function(*name, |b| {
            b.iter(|| {
                decode(
                    black_box(frame.link),
                    black_box(&frame.data),
                    black_box(frame.orig_len),
                    0,
                )
            })
        });
    }
    group.finish();
}

fn bench_mixed_batch(c: &mut Criterion) {
    let frames = mixed_batch(MIXED_FRAMES);
    let mut group = c.benchmark_group("decode_mixed");
    group.throughput(Throughput::Elements(frames.len() as u64));
    group.bench_function("mixed_1000", |b| {
        b.iter(|| {
            // Sum the ports so no decode result is dead code.
            frames.iter().fold(0u64, |acc, frame| {
                let info = decode(frame.link, black_box(&frame.data), frame.orig_len, 0);
                acc + u64::from(info.src_port) + u64::from(info.dst_port)
            })
        })
    });
    group.finish();
}

/// VXLAN (outer UDP 54789 -> 4789) around an Ethernet/IPv4/TCP frame.
fn vxlan_ipv4_tcp(src_port: u16, dst_port: u16, payload_len: usize) -> Frame {
    let inner = eth_ipv4_tcp(src_port, dst_port, payload_len).data;
    let mut vxlan = vec![0x08, 0, 0, 0, 0, 0x13, 0x89, 0];
    vxlan.extend_from_slice(&inner);
    let builder = PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4([203, 0, 113, 1], [203, 0, 113, 2], 64)
        .udp(54_789, 4789);
    let mut data = Vec::with_capacity(builder.size(vxlan.len()));
    builder
        .write(&mut data, &vxlan)
        .expect("writing to a Vec cannot fail");
    Frame::whole(LinkType::ETHERNET, data)
}

/// GRE (no options, 0x0800) around an IPv4/TCP packet, built by hand.
fn gre_ipv4_tcp(src_port: u16, dst_port: u16, payload_len: usize) -> Frame {
    let inner = eth_ipv4_tcp(src_port, dst_port, payload_len).data;
    let mut gre = vec![0, 0, 0x08, 0x00];
    gre.extend_from_slice(&inner[14..]);
    let mut data = Vec::with_capacity(14 + 20 + gre.len());
    data.extend_from_slice(&MAC_B);
    data.extend_from_slice(&MAC_A);
    data.extend_from_slice(&[0x08, 0x00]);
    let total = u16::try_from(20 + gre.len()).expect("bench frames are small");
    data.extend_from_slice(&[0x45, 0]);
    data.extend_from_slice(&total.to_be_bytes());
    data.extend_from_slice(&[0, 1, 0, 0, 64, 47, 0, 0]);
    data.extend_from_slice(&[203, 0, 113, 1, 203, 0, 113, 2]);
    data.extend_from_slice(&gre);
    Frame::whole(LinkType::ETHERNET, data)
}

/// `decode_with` with decap on: tunnelled frames, and the mixed batch (no
/// tunnels) to show what looking for them costs ordinary traffic.
fn bench_decap(c: &mut Criterion) {
    let decap = DecodeOptions { decap: true };
    let cases = [
        (
            "vxlan_ipv4_tcp",
            vxlan_ipv4_tcp(51_514, 443, 1398),
            Tunnel::Vxlan,
        ),
        ("gre_ipv4_tcp", gre_ipv4_tcp(51_514, 443, 1420), Tunnel::Gre),
    ];
    let mut group = c.benchmark_group("decode_decap");
    group.throughput(Throughput::Elements(1));
    for (name, frame, tunnel) in &cases {
        let info = decode_with(frame.link, &frame.data, frame.orig_len, 0, decap);
        assert_eq!(info.tunnel, Some(*tunnel), "{info:?}");
        assert_eq!(
            info.transport_ports().map(|(_, _, d)| d),
            Some(443),
            "{info:?}"
        );
        group.bench_function(*name, |b| {
            b.iter(|| {
                decode_with(
                    black_box(frame.link),
                    black_box(&frame.data),
                    black_box(frame.orig_len),
                    0,
                    decap,
                )
            })
        });
    }
    group.finish();
    let frames = mixed_batch(MIXED_FRAMES);
    let mut group = c.benchmark_group("decode_decap_mixed");
    group.throughput(Throughput::Elements(frames.len() as u64));
    group.bench_function("mixed_1000", |b| {
        b.iter(|| {
            frames.iter().fold(0u64, |acc, frame| {
                let info =
                    decode_with(frame.link, black_box(&frame.data), frame.orig_len, 0, decap);
                acc + u64::from(info.src_port) + u64::from(info.dst_port)
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench_single_frames, bench_mixed_batch, bench_decap);
criterion_main!(benches);
