/*
 * joy_fuzz: a libFuzzer harness driving libjoy.so through its C API, as a
 * host would: joy_process_packet, joy_print_flow_data, joy_cleanup.
 *
 *   clang -fsanitize=fuzzer -Iinclude tests/c/joy_fuzz.c -Lbuild -ljoy -lpcap
 *   ./joy_fuzz CORPUS_DIR [SEED_DIR] -max_total_time=300
 *
 * Only this file is instrumented: the library is Go, which clang cannot
 * instrument, so libFuzzer gets no coverage from inside it and mutates
 * more or less blindly from the seeds (tests/c/fuzz_seeds.py makes them
 * from capture files). What it does check is the whole C boundary: any
 * crash, hang or abort of the host, and every internal error the library
 * recovers from (a Go panic, counted by joy_get_counters), which is
 * turned into an abort here so that libFuzzer keeps the input.
 *
 * Input format: byte 0 picks the link type, byte 1 how often expired
 * flows are printed; then records of [2-byte big-endian length][1-byte
 * time step in ms][frame]. A record running past the input is cut.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "joy_api.h"

static const int links[] = {1, 0, 101, 113, 276, 228, 229, 12, 14, 108};
static int64_t clock_us = 1502118721000000;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    struct joy_init init;
    (void)argc;
    (void)argv;
    memset(&init, 0, sizeof init);
    init.type = 1;
    init.verbosity = 5; /* only CRIT: the internal errors */
    init.idp = 1300;
    init.bitmask = JOY_BIDIR_ON | JOY_DNS_ON | JOY_SSH_ON | JOY_TLS_ON | JOY_DHCP_ON | JOY_HTTP_ON | JOY_IKE_ON |
                   JOY_PAYLOAD_ON | JOY_ZERO_ON | JOY_RETRANS_ON | JOY_BYTE_DIST_ON | JOY_ENTROPY_ON |
                   JOY_CLASSIFY_ON | JOY_HEADER_ON | JOY_PREMPTIVE_TMO_ON;
    /* Records go to /dev/null: the output path is not what is fuzzed. */
    if (joy_initialize(&init, "/dev", "null", NULL) != 0) {
        fprintf(stderr, "joy_fuzz: joy_initialize failed\n");
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct pcap_pkthdr h;
    struct joy_counters c;
    unsigned every, n = 0;
    size_t off = 2;
    if (size < 2) {
        return 0;
    }
    joy_set_link_type(0, links[data[0] % (sizeof links / sizeof links[0])]);
    every = data[1] % 32;
    while (off + 3 <= size) {
        size_t len = (size_t)data[off] << 8 | data[off + 1];
        clock_us += (int64_t)data[off + 2] * 1000;
        off += 3;
        if (len > size - off) {
            len = size - off;
        }
        memset(&h, 0, sizeof h);
        h.ts.tv_sec = (time_t)(clock_us / 1000000);
        h.ts.tv_usec = (suseconds_t)(clock_us % 1000000);
        h.caplen = (bpf_u_int32)len;
        h.len = (bpf_u_int32)len;
        joy_process_packet((unsigned char *)0, &h, data + off);
        off += len;
        if (every != 0 && ++n % every == 0) {
            joy_print_flow_data(0, JOY_EXPIRED_FLOWS);
        }
    }
    joy_print_flow_data(0, JOY_ALL_FLOWS);
    joy_cleanup(0);
    if (joy_get_counters(0, &c) != 0 || c.internal_errors != 0) {
        fprintf(stderr, "joy_fuzz: the library recovered from %llu internal errors on this input\n",
                (unsigned long long)c.internal_errors);
        abort();
    }
    return 0;
}
