/*
 * joy_two_ctx: the usage of the original's joy_api_test program (see
 * joy-behaviour.md section 1.5): two contexts, one capture each.
 *
 *   joy_two_ctx FILE0 FILE1 [BITMASK]
 *
 * Type 1, verbosity 4, BPF filter "ip or vlan", output to stdout. FILE0
 * goes to context 0, then FILE1 to context 1, 20 packets per dispatch with
 * the context's expired flows printed after every dispatch call (the last
 * one, returning 0, included). Then all flows of context 0, of context 1,
 * and cleanup of both. BITMASK defaults to BIDIR|TLS|HTTP (0x29), the
 * original's fixed choice.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap.h>
#include "joy_api.h"

#define NUM_PACKETS_IN_LOOP 20

static int process_file(unsigned int index, const char *file) {
    char errbuf[PCAP_ERRBUF_SIZE];
    char filter_exp[] = "ip or vlan";
    struct bpf_program fp;
    pcap_t *handle;
    int more;

    handle = pcap_open_offline(file, errbuf);
    if (handle == NULL) {
        fprintf(stderr, "Couldn't open pcap file %s: %s\n", file, errbuf);
        return 1;
    }
    if (pcap_compile(handle, &fp, filter_exp, 0, PCAP_NETMASK_UNKNOWN) == -1) {
        fprintf(stderr, "Couldn't parse filter %s: %s\n", filter_exp, pcap_geterr(handle));
        pcap_close(handle);
        return 1;
    }
    if (pcap_setfilter(handle, &fp) == -1) {
        fprintf(stderr, "Couldn't install filter %s: %s\n", filter_exp, pcap_geterr(handle));
        pcap_freecode(&fp);
        pcap_close(handle);
        return 1;
    }
    pcap_freecode(&fp);
    if (joy_set_link_type(index, pcap_datalink(handle)) != 0) {
        fprintf(stderr, "%s: link type %d not supported\n", file, pcap_datalink(handle));
    }

    do {
        more = pcap_dispatch(handle, NUM_PACKETS_IN_LOOP, joy_process_packet,
                             (u_char *)(uintptr_t)index);
        if (more < 0) {
            fprintf(stderr, "%s: %s\n", file, pcap_geterr(handle));
        }
        joy_print_flow_data(index, JOY_EXPIRED_FLOWS);
    } while (more > 0);
    pcap_close(handle);
    return 0;
}

int main(int argc, char **argv) {
    struct joy_init init_data;
    int rc = 0;

    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: %s FILE0 FILE1 [BITMASK]\n", argv[0]);
        return 2;
    }
    memset(&init_data, 0, sizeof init_data);
    init_data.type = 1;
    init_data.verbosity = 4;
    init_data.bitmask = JOY_BIDIR_ON | JOY_TLS_ON | JOY_HTTP_ON;
    if (argc == 4) {
        init_data.bitmask = (uint32_t)strtoul(argv[3], NULL, 0);
    }
    if (joy_initialize(&init_data, NULL, NULL, NULL) != 0) {
        fprintf(stderr, "%s: joy_initialize failed\n", argv[0]);
        return 1;
    }
    joy_print_config(JOY_JSON_FORMAT);

    rc |= process_file(0, argv[1]);
    rc |= process_file(1, argv[2]);

    joy_print_flow_data(0, JOY_ALL_FLOWS);
    joy_print_flow_data(1, JOY_ALL_FLOWS);
    joy_cleanup(0);
    joy_cleanup(1);
    fflush(stdout);
    return rc;
}
