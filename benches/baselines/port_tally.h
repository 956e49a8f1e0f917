/*
 * port_tally.h: the per-frame work shared by pcap_ports and pcap_read_ports:
 * Ethernet (+ 802.1Q/802.1ad tags) -> IPv4/IPv6 (+ IPv6 extension headers)
 * -> TCP/UDP ports, tallied in a 65536-entry array.
 *
 * Stand-in for ../shared/bench, written for portclass because ../shared/bench
 * was absent; benches/compare.sh prefers ../shared/bench whenever it exists.
 *
 * As the project brief describes the reference baselines, the tally is one
 * 65536-entry counter array: each TCP or UDP frame counts once under its
 * source port and once under its destination port (twice when they are
 * equal). portclass does more per frame (separate transports, bytes, naming
 * the service); these programs show the cost of reading and parsing.
 */
#ifndef PORT_TALLY_H
#define PORT_TALLY_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#define LINKTYPE_ETHERNET 1

struct port_tally {
    uint64_t frames;
    uint64_t wire_bytes;
    uint64_t tcp;
    uint64_t udp;
    uint64_t other; /* non-IP, other IP protocols, fragments, truncated */
    uint64_t ports[65536]; /* TCP and UDP frames by source and by destination port */
};

static inline uint16_t be16(const unsigned char *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

/* Tallies one frame of link type `linktype`: `caplen` bytes at `p`, `len` on the wire. */
static inline void tally_frame(struct port_tally *t, unsigned linktype,
                               const unsigned char *p, uint32_t caplen, uint32_t len)
{
    const unsigned char *end = p + caplen;
    unsigned proto;

    t->frames++;
    t->wire_bytes += len;
    if (linktype != LINKTYPE_ETHERNET || caplen < 14)
        goto other;

    uint16_t ethertype = be16(p + 12);
    p += 14;
    /* 802.1Q, 802.1ad and the old QinQ ethertype, up to a few tags deep. */
    for (int tags = 0; ethertype == 0x8100 || ethertype == 0x88a8 || ethertype == 0x9100; tags++) {
        if (tags == 4 || end - p < 4)
            goto other;
        ethertype = be16(p + 2);
        p += 4;
    }

    if (ethertype == 0x0800) {
        if (end - p < 20 || (p[0] >> 4) != 4)
            goto other;
        unsigned ihl = (p[0] & 0x0f) * 4u;
        if (ihl < 20 || (be16(p + 6) & 0x1fff) != 0) /* bad header or a non-first fragment */
            goto other;
        proto = p[9];
        p += ihl;
    } else if (ethertype == 0x86dd) {
        if (end - p < 40 || (p[0] >> 4) != 6)
            goto other;
        proto = p[6];
        p += 40;
        for (int hops = 0;; hops++) {
            if (hops == 8 || end - p < 8)
                goto other;
            if (proto == 0 || proto == 43 || proto == 60) { /* hop-by-hop, routing, destination */
                proto = p[0];
                p += (p[1] + 1u) * 8u;
            } else if (proto == 44) { /* fragment */
                if ((be16(p + 2) & 0xfff8) != 0)
                    goto other;
                proto = p[0];
                p += 8;
            } else if (proto == 51) { /* AH */
                proto = p[0];
                p += (p[1] + 2u) * 4u;
            } else {
                break;
            }
        }
    } else {
        goto other;
    }

    if ((proto != 6 && proto != 17) || p > end || end - p < 4)
        goto other;
    if (proto == 6)
        t->tcp++;
    else
        t->udp++;
    t->ports[be16(p)]++;
    t->ports[be16(p + 2)]++;
    return;

other:
    t->other++;
}

/* One line a human can sanity-check: totals and the busiest port. */
static inline void print_tally(const char *prog, const struct port_tally *t)
{
    unsigned top = 0;
    for (unsigned i = 1; i < 65536; i++)
        if (t->ports[i] > t->ports[top])
            top = i;
    printf("%s: %" PRIu64 " packets, %" PRIu64 " bytes; tcp %" PRIu64 ", udp %" PRIu64
           ", other %" PRIu64 "; busiest port %u (%" PRIu64 " packets)\n",
           prog, t->frames, t->wire_bytes, t->tcp, t->udp, t->other, top, t->ports[top]);
}

#endif
