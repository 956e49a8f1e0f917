#!/usr/bin/env python3
"""Write a deterministic benchmark capture for portclass.

    gen_bench_pcap.py --packets N --out FILE [--seed S]

Stand-in for ../shared/bench/gen_bench_pcap.py, written for portclass because
../shared/bench was absent on the machine it was developed on; benches/compare.sh
prefers the shared generator whenever ../shared/bench exists.

The file is classic pcap: little-endian, microsecond timestamps, link type
Ethernet (1), snaplen 65535, every frame captured whole (caplen == len).

The mix imitates a busy LAN uplink:
  * IP frames are ~85% IPv4 and ~15% IPv6;
  * all frames are ~80% TCP, ~18% UDP and ~2% other (ICMP, ICMPv6, ARP);
  * ~2% of TCP/UDP frames carry an 802.1Q VLAN tag and ~0.2% a QinQ pair;
  * the server side of a TCP/UDP frame is a well-known service drawn from a
    skewed distribution (443 and 53 dominate, then 80, 123, 22, 3306, 5432,
    8080, ...), a few percent are unregistered ports; the client side is an
    ephemeral port in 32768-60999; big frames mostly flow server->client;
  * frame lengths are bimodal: ~50% small (54-90 bytes: ACKs, DNS), ~40% large
    (1200-1514, a third of those exactly 1514), ~10% in between.

Speed: a pool of POOL_SIZE frames is encoded once (with valid IP, TCP and UDP
checksums), then records are emitted by random index into the pool with
increasing timestamps, written in large chunks: 10M packets (~6.8 GB) take
well under two minutes.

Determinism: only random.Random(seed) draws are used (random, randrange,
randbytes, getrandbits: stable across CPython 3.x versions) and indices are
decoded little-endian on every host, so the same seed and the same version of
this script give a byte-identical file. The first N records of a larger file
equal an N-record file made with the same seed when N is a multiple of
CHUNK_RECORDS.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
import time
from array import array
from bisect import bisect
from itertools import accumulate
from random import Random

POOL_SIZE = 8192  # power of two: indices are masked random bits
CHUNK_RECORDS = 32768  # records per write (~20 MB)
FIRST_TIMESTAMP = 1_700_000_000  # 2023-11-14T22:13:20Z
SNAPLEN = 65535
LINKTYPE_ETHERNET = 1

EPHEMERAL_LOW, EPHEMERAL_HIGH = 32768, 60999

# (port, weight); port None = an unregistered port (a random non-ephemeral
# port above 1024 not in the list), "eph" = both sides ephemeral (peer to peer).
TCP_SERVICES: list[tuple[int | str | None, float]] = [
    (443, 45), (80, 12), (22, 4), (8080, 3), (3306, 3), (5432, 2),
    (8443, 2), (993, 2), (445, 2), (6379, 1.5), (25, 1), (587, 1),
    (3389, 1), (995, 0.5), (143, 0.5), (27017, 0.5), (9200, 0.5),
    (5672, 0.5), (9092, 0.5), (6443, 0.5), (110, 0.3), (21, 0.3),
    (389, 0.3), (1883, 0.3), (11211, 0.3), (636, 0.2), (5222, 0.2),
    (23, 0.1), (None, 3), ("eph", 1),
]
UDP_SERVICES: list[tuple[int | str | None, float]] = [
    (53, 45), (443, 25), (123, 8), (5353, 4), (3478, 2), (1900, 2),
    (67, 1), (161, 1), (514, 1), (1194, 1), (4500, 1), (5060, 1),
    (51820, 1), (137, 1), (500, 0.5), (None, 3), ("eph", 1),
]
# Services whose client side usually uses the service port too.
SYMMETRIC_UDP = {123: 123, 67: 68, 137: 137, 500: 500, 4500: 4500, 5353: 5353}
KNOWN_PORTS = {p for p, _ in TCP_SERVICES + UDP_SERVICES if isinstance(p, int)}

ETH_HDR = 14
VLAN_HDR = 4
IPV4_HDR = 20
IPV6_HDR = 40
UDP_HDR = 8
ICMP_HDR = 8

ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_ARP = 0x0806
ETHERTYPE_VLAN = 0x8100
ETHERTYPE_QINQ = 0x88A8
ETHERTYPE_IPV6 = 0x86DD
PROTO_ICMP, PROTO_TCP, PROTO_UDP, PROTO_ICMPV6 = 1, 6, 17, 58


def internet_checksum(data: bytes) -> bytes:
    """RFC 1071 checksum, returned as the two bytes to store in the header.

    Summing native-order 16-bit words and storing the result in native order
    gives the right bytes on either byte order (RFC 1071 section 2(B)).
    """
    if len(data) % 2:
        data += b"\0"
    total = sum(array("H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return struct.pack("=H", ~total & 0xFFFF)


class Weighted:
    """Draws items by weight with rng.random() (stable across versions)."""

    def __init__(self, pairs):
        self.items = [item for item, _ in pairs]
        self.cum = list(accumulate(w for _, w in pairs))

    def draw(self, rng: Random):
        return self.items[bisect(self.cum, rng.random() * self.cum[-1])]


class PoolBuilder:
    """Encodes the pool of frames that records are drawn from."""

    def __init__(self, rng: Random):
        self.rng = rng
        self.tcp_services = Weighted(TCP_SERVICES)
        self.udp_services = Weighted(UDP_SERVICES)
        self.clients_v4 = [bytes([192, 168, rng.randrange(0, 4), rng.randrange(2, 255)])
                           for _ in range(200)]
        self.servers_v4 = [bytes([rng.choice((23, 34, 52, 104, 142, 151, 172, 185)),
                                  rng.randrange(256), rng.randrange(256), rng.randrange(1, 255)])
                           for _ in range(400)]
        self.clients_v6 = [bytes.fromhex("20010db8000100000000") + rng.randbytes(6)
                           for _ in range(100)]
        self.servers_v6 = [bytes.fromhex("2a00145040010800") + rng.randbytes(8)
                           for _ in range(200)]
        self.client_macs = [b"\x02\x00" + rng.randbytes(4) for _ in range(50)]
        self.router_mac = bytes.fromhex("00005e000101")

    # -- lengths and ports ------------------------------------------------

    def frame_length(self) -> tuple[int, str]:
        """A wire length and its size class (small/medium/large)."""
        r = self.rng.random()
        if r < 0.50:
            return self.rng.randrange(54, 91), "small"
        if r < 0.90:
            if self.rng.random() < 1 / 3:
                return 1514, "large"
            return self.rng.randrange(1200, 1514), "large"
        return self.rng.randrange(91, 1200), "medium"

    def ephemeral(self) -> int:
        return self.rng.randrange(EPHEMERAL_LOW, EPHEMERAL_HIGH + 1)

    def unregistered(self) -> int:
        while True:
            port = self.rng.randrange(1025, EPHEMERAL_LOW)
            if port not in KNOWN_PORTS:
                return port

    def ports(self, services: Weighted, udp: bool) -> tuple[int, int]:
        """(client port, server port)."""
        service = services.draw(self.rng)
        if service == "eph":
            return self.ephemeral(), self.ephemeral()
        if service is None:
            return self.ephemeral(), self.unregistered()
        if udp and service in SYMMETRIC_UDP and self.rng.random() < 0.5:
            return SYMMETRIC_UDP[service], service
        return self.ephemeral(), service

    # -- headers ----------------------------------------------------------

    def ethernet(self, ethertype: int, from_client: bool, tags: int) -> bytes:
        client = self.rng.choice(self.client_macs)
        src, dst = (client, self.router_mac) if from_client else (self.router_mac, client)
        head = dst + src
        if tags == 2:
            head += struct.pack("!HH", ETHERTYPE_QINQ, self.rng.randrange(1, 4095))
        if tags >= 1:
            head += struct.pack("!HH", ETHERTYPE_VLAN, self.rng.randrange(1, 4095))
        return head + struct.pack("!H", ethertype)

    def ipv4(self, proto: int, src: bytes, dst: bytes, payload_len: int) -> bytes:
        head = struct.pack("!BBHHHBB2s4s4s", 0x45, 0, IPV4_HDR + payload_len,
                           self.rng.getrandbits(16), 0x4000, 64, proto, b"\0\0", src, dst)
        return head[:10] + internet_checksum(head) + head[12:]

    @staticmethod
    def ipv6(next_header: int, src: bytes, dst: bytes, payload_len: int) -> bytes:
        return struct.pack("!IHBB16s16s", 0x60000000, payload_len, next_header, 64, src, dst)

    @staticmethod
    def pseudo_header(v6: bool, proto: int, src: bytes, dst: bytes, length: int) -> bytes:
        if v6:
            return src + dst + struct.pack("!IxxxB", length, proto)
        return src + dst + struct.pack("!xBH", proto, length)

    def tcp(self, sport: int, dport: int, payload: bytes, with_ts: bool, pseudo) -> bytes:
        options = b"\x01\x01\x08\x0a" + self.rng.randbytes(8) if with_ts else b""
        offset = (20 + len(options)) // 4
        flags = 0x18 if payload else 0x10  # PSH+ACK with data, else ACK
        head = struct.pack("!HHIIBBHHH", sport, dport, self.rng.getrandbits(32),
                           self.rng.getrandbits(32), offset << 4, flags,
                           self.rng.randrange(500, 65536), 0, 0) + options
        segment = head + payload
        checksum = internet_checksum(pseudo(len(segment)) + segment)
        return segment[:16] + checksum + segment[18:]

    def udp(self, sport: int, dport: int, payload: bytes, pseudo) -> bytes:
        length = UDP_HDR + len(payload)
        datagram = struct.pack("!HHHH", sport, dport, length, 0) + payload
        checksum = internet_checksum(pseudo(length) + datagram)
        if checksum == b"\0\0":
            checksum = b"\xff\xff"
        return datagram[:6] + checksum + datagram[8:]

    # -- frames -----------------------------------------------------------

    def ip_frame(self, kind: str) -> bytes:
        """kind: tcp, udp or icmp; IPv4 or IPv6 is drawn here."""
        rng = self.rng
        v6 = rng.random() < 0.15
        r = rng.random()
        tags = 2 if r < 0.002 else 1 if r < 0.022 else 0
        if kind == "icmp":
            wire_len, size = rng.randrange(74, 140), "small"
        else:
            wire_len, size = self.frame_length()
        from_client = rng.random() < (0.2 if size == "large" else 0.6)

        if v6:
            client, server = rng.choice(self.clients_v6), rng.choice(self.servers_v6)
        else:
            client, server = rng.choice(self.clients_v4), rng.choice(self.servers_v4)
        src, dst = (client, server) if from_client else (server, client)
        net_hdr = IPV6_HDR if v6 else IPV4_HDR
        link_hdr = ETH_HDR + VLAN_HDR * tags

        if kind == "tcp":
            proto = PROTO_TCP
            with_ts = rng.random() < 0.6
            transport_hdr = 32 if with_ts else 20
        elif kind == "udp":
            proto = PROTO_UDP
            transport_hdr = UDP_HDR
        else:
            proto = PROTO_ICMPV6 if v6 else PROTO_ICMP
            transport_hdr = ICMP_HDR
        payload_len = max(0, wire_len - link_hdr - net_hdr - transport_hdr)
        payload = rng.randbytes(payload_len)

        def pseudo(length: int) -> bytes:
            return self.pseudo_header(v6, proto, src, dst, length)

        if kind == "icmp":
            icmp_type = (128 if from_client else 129) if v6 else (8 if from_client else 0)
            body = struct.pack("!BBHHH", icmp_type, 0, 0, rng.getrandbits(16),
                               rng.getrandbits(16)) + payload
            checksum = internet_checksum((pseudo(len(body)) if v6 else b"") + body)
            transport = body[:2] + checksum + body[4:]
        else:
            client_port, server_port = self.ports(
                self.tcp_services if kind == "tcp" else self.udp_services, kind == "udp")
            sport, dport = ((client_port, server_port) if from_client
                            else (server_port, client_port))
            if kind == "tcp":
                transport = self.tcp(sport, dport, payload, with_ts, pseudo)
            else:
                transport = self.udp(sport, dport, payload, pseudo)

        if v6:
            net = self.ipv6(proto, src, dst, len(transport))
        else:
            net = self.ipv4(proto, src, dst, len(transport))
        ethertype = ETHERTYPE_IPV6 if v6 else ETHERTYPE_IPV4
        return self.ethernet(ethertype, from_client, tags) + net + transport

    def arp_frame(self) -> bytes:
        rng = self.rng
        mac = rng.choice(self.client_macs)
        request = rng.random() < 0.6
        sender_ip = rng.choice(self.clients_v4)
        target_ip = bytes([192, 168, sender_ip[2], rng.randrange(1, 255)])
        body = struct.pack("!HHBBH6s4s6s4s", 1, ETHERTYPE_IPV4, 6, 4, 1 if request else 2,
                           mac, sender_ip, b"\0" * 6 if request else self.router_mac, target_ip)
        dst = b"\xff" * 6 if request else self.router_mac
        return dst + mac + struct.pack("!H", ETHERTYPE_ARP) + body

    def frame(self) -> bytes:
        r = self.rng.random()
        if r < 0.80:
            return self.ip_frame("tcp")
        if r < 0.98:
            return self.ip_frame("udp")
        if r < 0.995:
            return self.ip_frame("icmp")
        return self.arp_frame()


def build_pool(rng: Random) -> list[bytes]:
    """POOL_SIZE record bodies: caplen, len, frame bytes (the timestamp goes in front)."""
    builder = PoolBuilder(rng)
    pool = []
    for _ in range(POOL_SIZE):
        frame = builder.frame()
        pool.append(struct.pack("<II", len(frame), len(frame)) + frame)
    return pool


def write_capture(out, packets: int, seed: int) -> int:
    """Writes the capture to the binary file `out`; returns bytes written."""
    rng = Random(seed)
    pool = build_pool(rng)
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET))
    written = 24
    mask = POOL_SIZE - 1
    ts_pack = struct.Struct("<II").pack
    sec, usec = FIRST_TIMESTAMP, 0
    remaining = packets
    while remaining:
        count = min(remaining, CHUNK_RECORDS)
        indices = array("H", rng.randbytes(2 * count))
        if sys.byteorder == "big":
            indices.byteswap()
        gaps = rng.randbytes(count)  # 0-255 us between frames: ~7,800 frames/s
        parts = []
        append = parts.append
        for index, gap in zip(indices, gaps):
            usec += gap
            if usec >= 1_000_000:
                usec -= 1_000_000
                sec += 1
            append(ts_pack(sec, usec))
            append(pool[index & mask])
        chunk = b"".join(parts)
        out.write(chunk)
        written += len(chunk)
        remaining -= count
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--packets", type=int, required=True, help="number of packets")
    parser.add_argument("--out", required=True, help="output pcap file")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    if args.packets < 0:
        parser.error("--packets must be >= 0")

    started = time.monotonic()
    # Write beside the target and rename, so an interrupted run never leaves
    # a short file that a cache would reuse.
    tmp = f"{args.out}.tmp-{os.getpid()}"
    try:
        with open(tmp, "wb", buffering=0) as out:
            size = write_capture(out, args.packets, args.seed)
        os.replace(tmp, args.out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    elapsed = time.monotonic() - started
    print(f"{args.out}: {args.packets} packets, {size} bytes, seed {args.seed}, "
          f"{elapsed:.1f} s ({args.packets / max(elapsed, 1e-9) / 1e6:.2f} Mpkt/s)",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
