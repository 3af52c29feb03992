/*
 * joy45_record: the records libjoy.so.4 prints for a capture with the
 * options of one of the joy command's reference runs of Joy 4.5
 * (ref/HEAD: b_bidir, c_allproto), for comparison with them.
 *
 *   joy45_record CAPTURE OUTDIR NAME b_bidir|c_allproto
 *
 * One context; expired flows are printed as the capture is read (every
 * 10 packets, as 4.5's joy command does), all at the end; OUTDIR/NAME is the record file, which
 * starts with the configuration line.
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
    unsigned long n = 0;

    if (argc != 5) {
        fprintf(stderr, "usage: joy45_record CAPTURE OUTDIR NAME b_bidir|c_allproto\n");
        return 2;
    }
    memset(&init, 0, sizeof init);
    init.verbosity = 4;
    init.contexts = 1;
    init.bitmask = JOY_BIDIR_ON;
    if (strcmp(argv[4], "c_allproto") == 0)
        init.bitmask |= JOY_TLS_ON | JOY_HTTP_ON | JOY_DNS_ON | JOY_SSH_ON | JOY_DHCP_ON | JOY_IKE_ON;
    else if (strcmp(argv[4], "b_bidir") != 0) {
        fprintf(stderr, "joy45_record: unknown option set %s\n", argv[4]);
        return 2;
    }
    if (joy_initialize(&init, argv[2], argv[3], NULL) != 0)
        return 1;
    joy_print_config(0, JOY_JSON_FORMAT);
    pc = pcap_open_offline(argv[1], err);
    if (pc == NULL) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    while (pcap_next_ex(pc, &h, &p) == 1) {
        joy_libpcap_process_packet((unsigned char *)0, h, p);
        if (++n % 10 == 0)
            joy_print_flow_data(0, JOY_EXPIRED_FLOWS);
    }
    pcap_close(pc);
    joy_print_flow_data(0, JOY_EXPIRED_FLOWS); /* after the last, partial, batch */
    joy_print_flow_data(0, JOY_ALL_FLOWS);
    joy_shutdown();
    return 0;
}
