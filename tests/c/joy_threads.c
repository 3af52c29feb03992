/*
 * joy_threads: one thread per context, each feeding its own capture.
 *
 *   joy_threads BITMASK OUTFILE FILE...      (at most MAX_LIB_CONTEXTS files)
 *
 * All contexts share the one output stream (OUTFILE), so the check script
 * compares it, as a multiset of lines, with single-threaded runs of every
 * capture: concurrent contexts must neither change each other's records
 * nor interleave text within a line. A barrier makes the threads start
 * together to maximise overlap.
 */
#include <libgen.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap.h>
#include "joy_api.h"

#define NUM_PACKETS_IN_LOOP 20

struct job {
    unsigned int index;
    const char *file;
    pthread_barrier_t *start;
    long packets;
    int rc;
};

static void *run(void *arg) {
    struct job *j = arg;
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *handle = pcap_open_offline(j->file, errbuf);
    int more;

    pthread_barrier_wait(j->start);
    if (handle == NULL) {
        fprintf(stderr, "context %u: %s\n", j->index, errbuf);
        j->rc = 1;
        return NULL;
    }
    if (joy_set_link_type(j->index, pcap_datalink(handle)) != 0) {
        fprintf(stderr, "context %u: link type %d not supported\n", j->index, pcap_datalink(handle));
    }
    do {
        more = pcap_dispatch(handle, NUM_PACKETS_IN_LOOP, joy_process_packet,
                             (u_char *)(uintptr_t)j->index);
        if (more < 0) {
            fprintf(stderr, "context %u: %s\n", j->index, pcap_geterr(handle));
            j->rc = 1;
        } else {
            j->packets += more;
        }
        joy_print_flow_data(j->index, JOY_EXPIRED_FLOWS);
    } while (more > 0);
    pcap_close(handle);
    joy_print_flow_data(j->index, JOY_ALL_FLOWS);
    joy_cleanup(j->index);
    return NULL;
}

int main(int argc, char **argv) {
    struct job jobs[MAX_LIB_CONTEXTS];
    pthread_t tids[MAX_LIB_CONTEXTS];
    pthread_barrier_t start;
    struct joy_init init;
    char *dir, *base, *d1, *d2;
    int n = argc - 3, rc = 0;

    if (argc < 4 || n > MAX_LIB_CONTEXTS) {
        fprintf(stderr, "usage: %s BITMASK OUTFILE FILE... (1 to %d files)\n", argv[0], MAX_LIB_CONTEXTS);
        return 2;
    }
    memset(&init, 0, sizeof init);
    init.type = 1;
    init.verbosity = 4;
    init.bitmask = (uint32_t)strtoul(argv[1], NULL, 0);
    /* The API takes the directory and the file name separately. */
    d1 = strdup(argv[2]);
    d2 = strdup(argv[2]);
    dir = dirname(d1);
    base = basename(d2);
    if (joy_initialize(&init, dir, base, NULL) != 0) {
        fprintf(stderr, "%s: joy_initialize(%s, %s) failed\n", argv[0], dir, base);
        return 1;
    }
    joy_print_config(JOY_JSON_FORMAT);

    pthread_barrier_init(&start, NULL, (unsigned)n);
    for (int i = 0; i < n; i++) {
        jobs[i] = (struct job){.index = (unsigned)i, .file = argv[3 + i], .start = &start};
        if (pthread_create(&tids[i], NULL, run, &jobs[i]) != 0) {
            fprintf(stderr, "%s: pthread_create failed\n", argv[0]);
            return 1;
        }
    }
    for (int i = 0; i < n; i++) {
        pthread_join(tids[i], NULL);
        rc |= jobs[i].rc;
        fprintf(stderr, "context %d: %ld packets from %s\n", i, jobs[i].packets, jobs[i].file);
    }
    pthread_barrier_destroy(&start);
    /* The output stream stays open (as in the original); exit() flushes it. */
    free(d1);
    free(d2);
    return rc;
}
