/*
 * joy_bench: throughput of the library path, measured like pcapfloor.c
 * (wall clock from pcap_open_offline to the end) so the two can be divided.
 *
 *   joy_bench FILE [BITMASK [OUTFILE [IPFIX_PORT]]]
 *
 * BITMASK defaults to 0x1 (bidir); OUTFILE (default build/bench/joy_bench.json)
 * receives the flow records. Batches of 20 packets with the expired flows
 * printed after each, as joy_embed does, and all flows at the end. With
 * IPFIX_PORT, the flows are exported over IPFIX to 127.0.0.1:IPFIX_PORT
 * with joy_export_flows_ipfix instead of printed (JOY_IPFIX_EXPORT_ON is
 * added to BITMASK; joy_cleanup sends what is pending).
 */
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pcap.h>
#include "joy_api.h"

#define NUM_PACKETS_IN_LOOP 20

int main(int argc, char **argv) {
    char errbuf[PCAP_ERRBUF_SIZE];
    struct joy_init init;
    struct timespec a, b;
    const char *out = argc > 3 ? argv[3] : "build/bench/joy_bench.json";
    char *d1, *d2;
    unsigned long n = 0;
    int more;
    int ipfix = argc > 4;

    if (argc < 2 || argc > 5) {
        fprintf(stderr, "usage: %s FILE [BITMASK [OUTFILE [IPFIX_PORT]]]\n", argv[0]);
        return 2;
    }
    memset(&init, 0, sizeof init);
    init.type = 1;
    init.verbosity = 4;
    init.bitmask = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : JOY_BIDIR_ON;
    if (ipfix) {
        init.bitmask |= JOY_IPFIX_EXPORT_ON;
        init.ipfix_port = (uint32_t)strtoul(argv[4], NULL, 0);
    }
    d1 = strdup(out);
    d2 = strdup(out);
    if (joy_initialize(&init, dirname(d1), basename(d2), NULL) != 0) {
        fprintf(stderr, "%s: joy_initialize failed for %s\n", argv[0], out);
        return 1;
    }

    clock_gettime(CLOCK_MONOTONIC, &a);
    pcap_t *h = pcap_open_offline(argv[1], errbuf);
    if (h == NULL) {
        fprintf(stderr, "%s\n", errbuf);
        return 1;
    }
    joy_set_link_type(0, pcap_datalink(h));
    do {
        more = pcap_dispatch(h, NUM_PACKETS_IN_LOOP, joy_process_packet, (u_char *)0);
        if (more > 0) {
            n += (unsigned long)more;
        }
        if (ipfix) {
            joy_export_flows_ipfix(0, JOY_EXPIRED_FLOWS);
        } else {
            joy_print_flow_data(0, JOY_EXPIRED_FLOWS);
        }
    } while (more > 0);
    pcap_close(h);
    if (ipfix) {
        joy_export_flows_ipfix(0, JOY_ALL_FLOWS);
    } else {
        joy_print_flow_data(0, JOY_ALL_FLOWS);
    }
    joy_cleanup(0);
    clock_gettime(CLOCK_MONOTONIC, &b);

    double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("%lu packets in %.3f s: %.2f Mpps\n", n, s, (double)n / s / 1e6);
    free(d1);
    free(d2);
    return more < 0 ? 1 : 0;
}
