/*
 * joy_fuzz: a libFuzzer harness driving libjoy.so through its C API, as a
 * host would: joy_process_packet, joy_print_flow_data, joy_cleanup.
 *
 *   clang -fsanitize=fuzzer -Iinclude tests/c/joy_fuzz.c -Lbuild -ljoy -lpcap
 *   ./joy_fuzz CORPUS_DIR [SEED_DIR] -max_total_time=300
 *
 * Only this file is instrumented: the library is Go, which clang cannot
 * instrument, so libFuzzer gets no edge coverage from inside it. As a
 * stand-in, the records the library prints are read back (they go to a
 * memfd) and every JSON member name, and every pair of consecutive names,
 * sets one of libFuzzer's extra counters: an input whose flows print a
 * member (a TLS extension, a DNS answer, a DHCP option, ...) not printed
 * before is kept. Seeds come from capture files (tests/c/fuzz_seeds.py).
 * What is checked is the whole C boundary: any crash, hang or abort of
 * the host, and every internal error the library recovers from (a Go
 * panic, counted by joy_get_counters), which is turned into an abort here
 * so that libFuzzer keeps the input.
 *
 * Input format: byte 0 picks the link type, byte 1 how often expired
 * flows are printed; then records of [2-byte big-endian length][1-byte
 * time step in ms][frame]. A record running past the input is cut.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "joy_api.h"

/* Counters libFuzzer reads as coverage (cleared before every input). */
#define EXTRA 8192
/* Not static: stores to a variable nothing in this file reads would be
 * dropped by the compiler. */
__attribute__((section("__libfuzzer_extra_counters"), used)) uint8_t extra[EXTRA];

static int out_fd = -1;   /* memfd the library's records go to */
static off_t out_read;    /* how far it has been read */
static char out_buf[1 << 16];

/* Mark the member names of the records written since the last call. */
static void cover_output(void) {
    struct stat st;
    uint32_t prev = 0;
    if (out_fd < 0 || fstat(out_fd, &st) != 0 || st.st_size <= out_read) {
        return;
    }
    while (out_read < st.st_size) {
        size_t want = (size_t)(st.st_size - out_read) < sizeof out_buf ? (size_t)(st.st_size - out_read) : sizeof out_buf;
        ssize_t n = pread(out_fd, out_buf, want, out_read);
        if (n <= 0) {
            break;
        }
        /* Names are the strings followed by ':'; a name cut by the buffer
         * boundary only costs a counter. */
        for (ssize_t i = 0; i < n; i++) {
            if (out_buf[i] != '"') {
                continue;
            }
            uint32_t h = 2166136261u;
            ssize_t j = i + 1;
            for (; j < n && out_buf[j] != '"' && j - i < 64; j++) {
                h = (h ^ (uint8_t)out_buf[j]) * 16777619u;
            }
            if (j + 1 < n && out_buf[j] == '"' && out_buf[j + 1] == ':') {
                extra[h % EXTRA] = 1;
                extra[(h ^ (prev * 31u)) % EXTRA] = 1;
                prev = h;
            }
            i = j;
        }
        out_read += n;
    }
    /* Give the memory back; the library's stream keeps its offset and the
     * file stays sparse. */
    fallocate(out_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, out_read);
}

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
    /* Records go to a memfd, read back by cover_output(); /dev/null if
     * there is none. */
    char name[32];
    out_fd = memfd_create("joy_fuzz_out", 0);
    snprintf(name, sizeof name, "%d", out_fd);
    if (joy_initialize(&init, out_fd >= 0 ? "/proc/self/fd" : "/dev", out_fd >= 0 ? name : "null", NULL) != 0) {
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
    joy_cleanup(0); /* flushes the output */
    cover_output();
    if (joy_get_counters(0, &c) != 0 || c.internal_errors != 0) {
        fprintf(stderr, "joy_fuzz: the library recovered from %llu internal errors on this input\n",
                (unsigned long long)c.internal_errors);
        abort();
    }
    return 0;
}
