/*
 * pcap_empty FILE: the floor for reading a capture with libpcap:
 * pcap_open_offline() and a pcap_next_ex() loop that only counts packets.
 * libpcap reads the file through stdio's default (4 KiB) buffer.
 *
 * Stand-in for ../shared/bench/pcap_empty, written for portclass because
 * ../shared/bench was absent; benches/compare.sh prefers ../shared/bench
 * whenever it exists.
 */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *hdr;
    const u_char *data;
    uint64_t packets = 0;
    int rc;

    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    pcap_t *p = pcap_open_offline(argv[1], errbuf);
    if (p == NULL) {
        fprintf(stderr, "%s: %s\n", argv[1], errbuf);
        return 1;
    }
    while ((rc = pcap_next_ex(p, &hdr, &data)) == 1)
        packets++;
    if (rc == PCAP_ERROR) {
        fprintf(stderr, "%s: %s\n", argv[1], pcap_geterr(p));
        pcap_close(p);
        return 1;
    }
    pcap_close(p);
    printf("pcap_empty: %" PRIu64 " packets\n", packets);
    return 0;
}
