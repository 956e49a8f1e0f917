/*
 * pcap_ports [-b BYTES] FILE: libpcap plus a port tally. Reads with
 * pcap_next_ex() and parses Ethernet/VLAN/IPv4/IPv6 to TCP/UDP ports
 * (port_tally.h). With -b, the file is opened with fopen(), given a BYTES
 * stdio buffer with setvbuf() and handed to pcap_fopen_offline(); without it,
 * pcap_open_offline() and stdio's default buffer.
 *
 * Stand-in for ../shared/bench/pcap_ports, written for portclass because
 * ../shared/bench was absent; benches/compare.sh prefers ../shared/bench
 * whenever it exists.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "port_tally.h"

static struct port_tally tally;

static void usage(const char *prog)
{
    fprintf(stderr, "usage: %s [-b BYTES] FILE\n", prog);
    exit(2);
}

int main(int argc, char **argv)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *hdr;
    const u_char *data;
    unsigned long buffer = 0;
    pcap_t *p;
    int opt, rc;

    while ((opt = getopt(argc, argv, "b:")) != -1) {
        if (opt != 'b')
            usage(argv[0]);
        char *end;
        errno = 0;
        buffer = strtoul(optarg, &end, 10);
        if (errno != 0 || *end != '\0' || buffer == 0)
            usage(argv[0]);
    }
    if (optind + 1 != argc)
        usage(argv[0]);
    const char *path = argv[optind];

    if (buffer != 0) {
        FILE *fp = fopen(path, "rb");
        if (fp == NULL) {
            fprintf(stderr, "%s: %s\n", path, strerror(errno));
            return 1;
        }
        if (setvbuf(fp, NULL, _IOFBF, buffer) != 0) {
            fprintf(stderr, "%s: setvbuf(%lu) failed\n", path, buffer);
            return 1;
        }
        p = pcap_fopen_offline(fp, errbuf); /* owns fp from here */
    } else {
        p = pcap_open_offline(path, errbuf);
    }
    if (p == NULL) {
        fprintf(stderr, "%s: %s\n", path, errbuf);
        return 1;
    }

    unsigned linktype = (unsigned)pcap_datalink(p);
    while ((rc = pcap_next_ex(p, &hdr, &data)) == 1)
        tally_frame(&tally, linktype, data, hdr->caplen, hdr->len);
    if (rc == PCAP_ERROR) {
        fprintf(stderr, "%s: %s\n", path, pcap_geterr(p));
        pcap_close(p);
        return 1;
    }
    pcap_close(p);
    print_tally("pcap_ports", &tally);
    return 0;
}
