/*
 * joy_panic: an internal error (a Go panic) in the core costs one packet
 * and nothing else.
 *
 * Linked against build/libjoy_paniktest.so, the library built with the
 * joytestpanic tag, whose flow table panics on a packet carrying
 * "JOY-TEST-PANIC!". The production library has no such code.
 *
 *   joy_panic      exit 0 when every check holds
 *
 * Checks: the panic is recovered (the program keeps running and exits
 * normally), logged as CRIT with the context index, counted by
 * joy_get_counters (internal_errors, packets_dropped), the magic packets
 * make no flow, and the context still turns later packets into flows that
 * are printed. Both ways into the library are covered: a normal packet
 * (batched) and one larger than the batch buffer (handed over at once).
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testframes.h"
#include "check.h"


#define CTX 3
#define MAGIC "JOY-TEST-PANIC!"
#define BIG (300 * 1024) /* more than the 256 KiB batch */

int main(void) {
    char tmpdir[] = "/tmp/joy_panic.XXXXXX";
    char logpath[PATH_MAX], outpath[PATH_MAX];
    struct joy_init init;
    struct joy_counters c;
    static uint8_t big[BIG];
    uint8_t f[128];
    size_t len;
    long lines, crit = 0, magic_flows = 0, ctx_lines = 0;

    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(logpath, sizeof logpath, "%s/log.txt", tmpdir);
    snprintf(outpath, sizeof outpath, "%s/flows.json", tmpdir);
    memset(&init, 0, sizeof init);
    init.type = 1;
    init.verbosity = 4;
    CHECK(joy_initialize(&init, tmpdir, "flows.json", logpath) == 0, "initialize");

    /* 50 flows, the magic packet (source port 7777), 50 more flows. */
    tf_flows(CTX, 1502118721, 0, 50);
    len = tf_udp4(f, 0x0a630001u, 0xc0000201u, 7777, 53, MAGIC, strlen(MAGIC));
    tf_feed(CTX, 1502118721, 500000, f, len);
    tf_flows(CTX, 1502118721, 50, 50);

    /* A magic packet too large to batch (source port 7778): the IP packet
     * is short, the captured frame is padded past 256 KiB. */
    memset(big, 0, sizeof big);
    tf_udp4(big, 0x0a630002u, 0xc0000201u, 7778, 53, MAGIC, strlen(MAGIC));
    tf_feed(CTX, 1502118721, 600000, big, sizeof big);

    joy_print_flow_data(CTX, JOY_ALL_FLOWS);
    CHECK(joy_get_counters(CTX, &c) == 0, "joy_get_counters");
    CHECK(c.packets == 102, "packets %llu", (unsigned long long)c.packets);
    CHECK(c.internal_errors == 2 && c.packets_dropped == 2, "internal errors %llu, packets dropped %llu",
          (unsigned long long)c.internal_errors, (unsigned long long)c.packets_dropped);
    CHECK(c.flows_printed == 100, "flows printed %llu", (unsigned long long)c.flows_printed);

    /* The context goes on: later packets still make flows. */
    tf_flows(CTX, 1502118730, 1000, 10);
    joy_print_flow_data(CTX, JOY_ALL_FLOWS);
    CHECK(joy_get_counters(CTX, &c) == 0, "joy_get_counters");
    CHECK(c.packets == 112 && c.flows_printed == 110 && c.internal_errors == 2 && c.output_errors == 0,
          "after the panics: packets %llu printed %llu internal %llu", (unsigned long long)c.packets,
          (unsigned long long)c.flows_printed, (unsigned long long)c.internal_errors);
    /* Other contexts saw nothing. */
    CHECK(joy_get_counters(0, &c) == 0 && c.internal_errors == 0 && c.packets == 0, "context 0");
    joy_cleanup(CTX);
    fflush(NULL);

    lines = tf_count_lines(outpath, "\"sp\":777", &magic_flows);
    CHECK(lines == 110, "%ld records in the output, want 110", lines);
    CHECK(magic_flows == 0, "%ld records of the magic packets", magic_flows);
    tf_count_lines(logpath, "CRIT: internal error in joy_process_packet (context 3), packet dropped", &crit);
    tf_count_lines(logpath, "context 3", &ctx_lines);
    CHECK(crit == 2 && ctx_lines == 2, "%ld CRIT lines about context 3, want 2", crit);
    lines = tf_count_lines(logpath, NULL, NULL);
    CHECK(lines == 2, "log has %ld lines, want 2", lines);
    if (failures > 0) {
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof cmd, "cat >&2 %s", logpath);
        if (system(cmd) != 0) {
            fprintf(stderr, "(log not readable)\n");
        }
    }
    unlink(outpath);
    unlink(logpath);
    rmdir(tmpdir);
    fprintf(stderr, "joy_panic: %d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
