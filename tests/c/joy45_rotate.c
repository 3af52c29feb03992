/*
 * joy45_rotate: Joy 4.5's max_records through libjoy.so.4. Two contexts
 * (bidirectional, IDP) read CAPTURE; every context prints its expired
 * flows every EVERY packets and all of them at the end, after printing
 * its configuration line first, as Cisco's clients do.
 *
 *   joy45_rotate CAPTURE OUTDIR MAX_RECORDS EVERY
 *
 * MAX_RECORDS 0 writes one file per context (OUTDIR/rot.ctxN.gz); tests/c
 * api45_rotate_test.sh compares the rotated files with those.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap.h>
#include "joy4/joy_api.h"

int main(int argc, char **argv) {
    char err[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *h;
    const unsigned char *p;
    joy_init_t init;
    pcap_t *pc;
    unsigned long n = 0, every;
    int i;

    if (argc != 5) {
        fprintf(stderr, "usage: joy45_rotate CAPTURE OUTDIR MAX_RECORDS EVERY\n");
        return 2;
    }
    every = strtoul(argv[4], NULL, 10);
    memset(&init, 0, sizeof init);
    init.verbosity = 4;
    init.contexts = 2;
    init.idp = 1400;
    init.max_records = (uint32_t)strtoul(argv[3], NULL, 10);
    init.inact_timeout = 1; /* flows expire during the capture */
    init.bitmask = JOY_BIDIR_ON | JOY_IDP_ON;
    if (joy_initialize(&init, argv[2], "rot", NULL) != 0)
        return 1;
    for (i = 0; i < 2; i++)
        joy_print_config((uint8_t)i, JOY_JSON_FORMAT);
    pc = pcap_open_offline(argv[1], err);
    if (pc == NULL) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    while (pcap_next_ex(pc, &h, &p) == 1) {
        uint8_t c = (uint8_t)joy_packet_to_context((uint8_t *)p, 2);
        joy_libpcap_process_packet((unsigned char *)(uintptr_t)c, h, p);
        if (every && ++n % every == 0)
            for (i = 0; i < 2; i++)
                joy_print_flow_data((uint8_t)i, JOY_EXPIRED_FLOWS);
    }
    pcap_close(pc);
    for (i = 0; i < 2; i++) {
        joy_print_flow_data((uint8_t)i, JOY_ALL_FLOWS);
        joy_context_cleanup((uint8_t)i);
    }
    joy_shutdown();
    return 0;
}
