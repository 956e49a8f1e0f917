/*
 * pcap_read_ports FILE: a port tally without libpcap. read(2) in 1 MiB
 * chunks, its own classic-pcap record parsing (either byte order, micro- or
 * nanosecond magic; not pcapng), and the same Ethernet/VLAN/IPv4/IPv6 ->
 * TCP/UDP port tally as pcap_ports (port_tally.h). About the fastest a
 * single thread can read and tally a capture.
 *
 * Stand-in for ../shared/bench/pcap_read_ports, written for portclass because
 * ../shared/bench was absent; benches/compare.sh prefers ../shared/bench
 * whenever it exists.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "port_tally.h"

#define CHUNK (1u << 20)
#define MAX_CAPLEN (CHUNK - 16u)

static struct port_tally tally;

static uint32_t get32(const unsigned char *p, int swapped)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return swapped ? __builtin_bswap32(v) : v;
}

/* Reads until `buf` holds `want` bytes or the file ends; returns the bytes now held. */
static size_t fill(int fd, unsigned char *buf, size_t have, size_t want, const char *path)
{
    while (have < want) {
        ssize_t n = read(fd, buf + have, want - have);
        if (n == 0)
            break;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "%s: read: %s\n", path, strerror(errno));
            exit(1);
        }
        have += (size_t)n;
    }
    return have;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    const char *path = argv[1];
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return 1;
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    unsigned char *buf = malloc(CHUNK);
    if (buf == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }

    size_t have = fill(fd, buf, 0, CHUNK, path);
    if (have < 24) {
        fprintf(stderr, "%s: shorter than a pcap file header\n", path);
        return 1;
    }
    uint32_t magic;
    memcpy(&magic, buf, 4);
    int swapped;
    if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
        swapped = 0;
    else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
        swapped = 1;
    else {
        fprintf(stderr, "%s: not a classic pcap file (magic 0x%08x)%s\n", path, magic,
                magic == 0x0a0d0d0a ? "; pcapng is not supported" : "");
        return 1;
    }
    unsigned linktype = get32(buf + 20, swapped) & 0xffff;

    size_t pos = 24;
    for (;;) {
        while (have - pos >= 16) {
            uint32_t caplen = get32(buf + pos + 8, swapped);
            uint32_t len = get32(buf + pos + 12, swapped);
            if (caplen > MAX_CAPLEN) {
                fprintf(stderr, "%s: record of %u captured bytes at offset ~%zu\n", path, caplen, pos);
                return 1;
            }
            if (have - pos < 16 + (size_t)caplen)
                break;
            tally_frame(&tally, linktype, buf + pos + 16, caplen, len);
            pos += 16 + (size_t)caplen;
        }
        /* Move the partial record to the front and read the rest of the chunk. */
        size_t rest = have - pos;
        memmove(buf, buf + pos, rest);
        pos = 0;
        have = fill(fd, buf, rest, CHUNK, path);
        if (have == rest) {
            if (rest != 0)
                fprintf(stderr, "%s: %zu bytes of a truncated last record ignored\n", path, rest);
            break;
        }
    }
    close(fd);
    free(buf);
    print_tally("pcap_read_ports", &tally);
    return 0;
}
