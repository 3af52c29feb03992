/*
 * The C side of libjoy: the guide's functions with their exact C
 * signatures, each forwarding to the Go implementation in capi.go. Keeping
 * the public symbols here (rather than as Go exports) lets the compiler
 * check them against include/joy_api.h.
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "joy_api.h"
#include "_cgo_export.h"

/*
 * Packets are copied into a per-context batch and handed to Go many at a
 * time: a call from C into Go costs about as much as processing a packet,
 * so one call per packet would halve the throughput. Every API call that
 * looks at a context's flows processes its pending batch first, so the
 * output is the same as with immediate processing.
 */
#define JOY_BATCH_PACKETS 256
#define JOY_BATCH_BYTES (256 * 1024)

struct joy_batch {
    unsigned int count;
    unsigned int used;
    int64_t ts[JOY_BATCH_PACKETS];
    uint32_t caplen[JOY_BATCH_PACKETS];
    unsigned char data[JOY_BATCH_BYTES];
};

static struct joy_batch batches[MAX_LIB_CONTEXTS];
static int initialized;

static void flush_batch(unsigned int index) {
    struct joy_batch *b;
    if (index >= MAX_LIB_CONTEXTS) {
        return;
    }
    b = &batches[index];
    if (b->count > 0) {
        goJoyProcessBatch(index, b->count, b->ts, b->caplen, b->data);
        b->count = 0;
        b->used = 0;
    }
}

/* The C streams, for the Go side (not part of the library's interface). */
__attribute__((visibility("hidden"))) FILE *joy_c_stdout(void) { return stdout; }
__attribute__((visibility("hidden"))) FILE *joy_c_stderr(void) { return stderr; }

static void joy_at_exit(void) { goJoyAtExit(); }

int joy_initialize(struct joy_init *data, char *output_dir, char *output_file, char *logfile) {
    static int exit_registered;
    int rc = goJoyInitialize(data, output_dir, output_file, logfile);
    if (rc == 0 && !exit_registered && goJoyFormattedOutput()) {
        /* A Parquet output gets its footer at exit, before stdio's flush
         * (only registered for such outputs: Joy JSON needs nothing). */
        exit_registered = 1;
        atexit(joy_at_exit);
    }
    if (rc == 0) {
        /* A new library starts empty: packets still pending belonged to the
         * old one, whose flows are dropped as well. */
        unsigned int i;
        for (i = 0; i < MAX_LIB_CONTEXTS; i++) {
            batches[i].count = 0;
            batches[i].used = 0;
        }
        initialized = 1;
    }
    return rc;
}

void joy_print_config(int format) { goJoyPrintConfig(format); }

int joy_set_option(const char *name, const char *value) {
    return goJoySetOption((char *)name, (char *)value);
}

int joy_anon_subnets(char *anon_file) { return goJoyAnonSubnets(anon_file); }

int joy_anon_http_usernames(char *anon_http_file) { return goJoyAnonUsernames(anon_http_file); }

int joy_update_splt_bd_params(char *splt_filename, char *bd_filename) {
    return goJoyUpdateParams(splt_filename, bd_filename);
}

/* Configuration calls belong before packet processing; a context's pending
 * batch is not touched here, since another thread may own it. */
int joy_get_compact_bd(char *filename) { return goJoyGetCompactBD(filename); }

int joy_label_subnets(char *label, int type, char *subnet_str) {
    return goJoyLabelSubnets(label, type, subnet_str);
}

void joy_process_packet(unsigned char *ctx_index, const struct pcap_pkthdr *header,
                        const unsigned char *packet) {
    /* The context number travels as the pointer value itself. */
    uintptr_t index = (uintptr_t)ctx_index;
    struct joy_batch *b;
    uint32_t caplen;
    if (!initialized || header == NULL || packet == NULL || index >= MAX_LIB_CONTEXTS) {
        goJoyBadPacket(index, header == NULL, packet == NULL);
        return;
    }
    b = &batches[index];
    caplen = header->caplen;
    if (caplen > JOY_BATCH_BYTES) {
        flush_batch((unsigned int)index);
        goJoyProcessPacket((unsigned int)index, (int64_t)header->ts.tv_sec,
                           (int64_t)header->ts.tv_usec, (unsigned char *)packet, caplen);
        return;
    }
    if (b->count == JOY_BATCH_PACKETS || b->used + caplen > JOY_BATCH_BYTES) {
        flush_batch((unsigned int)index);
    }
    memcpy(b->data + b->used, packet, caplen);
    b->ts[b->count] = (int64_t)header->ts.tv_sec * 1000000 + (int64_t)header->ts.tv_usec;
    b->caplen[b->count] = caplen;
    b->used += caplen;
    b->count++;
}

void joy_print_flow_data(unsigned int index, int type) {
    flush_batch(index);
    goJoyPrintFlowData(index, type);
}

void joy_export_flows_ipfix(unsigned int index, int type) {
    flush_batch(index);
    goJoyExportFlowsIPFIX(index, type);
}

void joy_cleanup(unsigned int index) {
    flush_batch(index);
    goJoyCleanup(index);
}

int joy_set_link_type(unsigned int index, int dlt) {
    flush_batch(index);
    return goJoySetLinkType(index, dlt);
}

int joy_get_counters(unsigned int index, struct joy_counters *counters) {
    flush_batch(index);
    return goJoyGetCounters(index, counters);
}
