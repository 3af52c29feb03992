/*
 * joy_example: the smallest complete host program for libjoy, in the three
 * phases of the library guide: initialize, process packets from a capture
 * file while draining expired flows, then print what is left and clean up.
 *
 *   joy_example FILE.pcap      flow records go to stdout as JSON lines
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <pcap.h>
#include "joy_api.h"

/* Packets handed to the library per pcap_dispatch() call. */
#define NUM_PACKETS_IN_LOOP 10

int main(int argc, char **argv) {
    char errbuf[PCAP_ERRBUF_SIZE];
    struct joy_init init;
    unsigned int index = 0; /* the context every packet goes to */
    pcap_t *handle;
    long total = 0;
    int more;

    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE.pcap\n", argv[0]);
        return 2;
    }

    /* Phase 1: bidirectional flows, errors only in the log (stderr). */
    memset(&init, 0, sizeof init);
    init.type = 1;
    init.verbosity = 4;
    init.bitmask = JOY_BIDIR_ON;
    if (joy_initialize(&init, NULL, NULL, NULL) != 0) {
        fprintf(stderr, "%s: joy_initialize failed\n", argv[0]);
        return 1;
    }
    joy_print_config(JOY_JSON_FORMAT);

    handle = pcap_open_offline(argv[1], errbuf);
    if (handle == NULL) {
        fprintf(stderr, "%s: %s\n", argv[0], errbuf);
        joy_cleanup(index);
        return 1;
    }
    /* The original only understood Ethernet; this library can be told. */
    if (joy_set_link_type(index, pcap_datalink(handle)) != 0) {
        fprintf(stderr, "%s: link type %d not supported\n", argv[0], pcap_datalink(handle));
    }

    /* Phase 2: feed packets; flows that timed out are printed (and
     * forgotten) after every batch, so memory stays bounded. */
    do {
        more = pcap_dispatch(handle, NUM_PACKETS_IN_LOOP, joy_process_packet,
                             (u_char *)(uintptr_t)index);
        if (more < 0) {
            fprintf(stderr, "%s: %s\n", argv[0], pcap_geterr(handle));
            break;
        }
        total += more;
        joy_print_flow_data(index, JOY_EXPIRED_FLOWS);
    } while (more > 0);
    pcap_close(handle);

    /* Phase 3: whatever is still in the table, then release it. */
    joy_print_flow_data(index, JOY_ALL_FLOWS);
    joy_cleanup(index);
    fflush(stdout);
    fprintf(stderr, "%s: %ld packets processed\n", argv[0], total);
    return 0;
}
