/*
 * The C side of libjoy.so.4: Joy 4.5's functions with their exact C
 * signatures (checked against include/joy4/joy_api.h), each forwarding to
 * the Go implementation in v45.go.
 *
 * joy_libpcap_process_packet copies packets into a per-context batch
 * (allocated on the context's first packet) handed to Go many at a time,
 * as the guide generation does: a call from C into Go costs about as much
 * as processing a packet. Every other call on a context processes its
 * batch first, so nothing observable changes. joy_process_packet returns
 * its packet's record, so it processes the batch and then its packet at
 * once.
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "joy4/joy_api.h"
#include "_cgo_export.h"

#define JOY45_BATCH_PACKETS 256
#define JOY45_BATCH_BYTES (256 * 1024)

struct joy45_batch {
    unsigned int count;
    unsigned int used;
    int64_t ts[JOY45_BATCH_PACKETS];
    uint32_t caplen[JOY45_BATCH_PACKETS];
    unsigned char data[JOY45_BATCH_BYTES];
};

static struct joy45_batch *batches[MAX_LIB_CONTEXTS];
static int initialized;

static void flush45(unsigned int index) {
    struct joy45_batch *b;
    if (index >= MAX_LIB_CONTEXTS || (b = batches[index]) == NULL || b->count == 0) {
        return;
    }
    go45ProcessBatch((int)index, b->count, b->ts, b->caplen, b->data);
    b->count = 0;
    b->used = 0;
}

/* Pending packets belong to the library they were given to: a new
 * joy_initialize or joy_shutdown drops them with its flows. */
static void reset_batches(int release) {
    unsigned int i;
    for (i = 0; i < MAX_LIB_CONTEXTS; i++) {
        if (batches[i] == NULL) {
            continue;
        }
        batches[i]->count = 0;
        batches[i]->used = 0;
        if (release) {
            free(batches[i]);
            batches[i] = NULL;
        }
    }
}

__attribute__((visibility("hidden"))) FILE *joy45_stdout(void) { return stdout; }
__attribute__((visibility("hidden"))) FILE *joy45_stderr(void) { return stderr; }

int joy_initialize(joy_init_t *data, const char *output_dir, const char *output_file,
                   const char *logfile) {
    int rc = go45Initialize(data, (char *)output_dir, (char *)output_file, (char *)logfile);
    if (rc == 0) {
        reset_batches(0);
        initialized = 1;
    }
    return rc;
}

int joy_initialize_no_config(void *config, FILE *err_info, joy_init_t *data) {
    int rc = go45InitializeNoConfig(config, err_info, data);
    if (rc == 0) {
        reset_batches(0);
        initialized = 1;
    }
    return rc;
}

void joy_print_config(uint8_t index, uint8_t format) {
    flush45(index);
    go45PrintConfig(index, format);
}

void joy_print_flocap_stats_output(uint8_t index) {
    flush45(index);
    go45PrintStats(index);
}

int joy_anon_subnets(const char *anon_file) { return go45AnonSubnets((char *)anon_file); }

int joy_anon_http_usernames(const char *anon_http_file) {
    return go45AnonUsernames((char *)anon_http_file);
}

int joy_update_splt_bd_params(const char *splt_filename, const char *bd_filename) {
    return go45UpdateParams((char *)splt_filename, (char *)bd_filename);
}

int joy_update_compact_bd(const char *filename) { return go45UpdateCompactBD((char *)filename); }

int joy_label_subnets(const char *label, uint8_t type, const char *subnet_str) {
    return go45LabelSubnets((char *)label, type, (char *)subnet_str);
}

void joy_update_ctx_global_time(uint8_t ctx_index, struct timeval *new_time) {
    flush45(ctx_index);
    if (new_time == NULL) {
        go45UpdateTime(ctx_index, 0, 0, 1);
        return;
    }
    go45UpdateTime(ctx_index, (int64_t)new_time->tv_sec, (int64_t)new_time->tv_usec, 0);
}

uint8_t joy_packet_to_context(const unsigned char *packet, uint8_t num_contexts) {
    return (uint8_t)go45PacketToContext((unsigned char *)packet, num_contexts);
}

void *joy_index_to_context(uint8_t ctx_index) {
    flush45(ctx_index);
    return go45IndexToContext(ctx_index);
}

void *joy_process_packet(unsigned char *ctx_index, const struct pcap_pkthdr *header,
                         const unsigned char *packet, unsigned int app_data_len,
                         const unsigned char *app_data) {
    uintptr_t index = (uintptr_t)ctx_index;
    if (header == NULL) {
        go45ProcessPacket(index > 255 ? -1 : (int)index, 0, 0, NULL, 0, 0, NULL, 0);
        return NULL;
    }
    flush45((unsigned int)(index > 255 ? MAX_LIB_CONTEXTS : index));
    return go45ProcessPacket(index > 255 ? -1 : (int)index, (int64_t)header->ts.tv_sec,
                             (int64_t)header->ts.tv_usec, (unsigned char *)packet, header->caplen,
                             app_data_len, (unsigned char *)app_data, 1);
}

void joy_libpcap_process_packet(unsigned char *ctx_index, const struct pcap_pkthdr *header,
                                const unsigned char *packet) {
    uintptr_t index = (uintptr_t)ctx_index;
    struct joy45_batch *b;
    uint32_t caplen;
    if (!initialized || header == NULL || packet == NULL || index >= MAX_LIB_CONTEXTS ||
        header->caplen > JOY45_BATCH_BYTES) {
        /* Refused (and logged) or too large to batch: straight to Go. */
        flush45((unsigned int)(index >= MAX_LIB_CONTEXTS ? MAX_LIB_CONTEXTS : index));
        go45ProcessPacket(index > 255 ? -1 : (int)index, header ? (int64_t)header->ts.tv_sec : 0,
                          header ? (int64_t)header->ts.tv_usec : 0,
                          header ? (unsigned char *)packet : NULL,
                          header ? header->caplen : 0, 0, NULL, 0);
        return;
    }
    b = batches[index];
    if (b == NULL) {
        b = batches[index] = malloc(sizeof *b);
        if (b == NULL) {
            go45ProcessPacket((int)index, (int64_t)header->ts.tv_sec, (int64_t)header->ts.tv_usec,
                              (unsigned char *)packet, header->caplen, 0, NULL, 0);
            return;
        }
        b->count = 0;
        b->used = 0;
    }
    caplen = header->caplen;
    if (b->count == JOY45_BATCH_PACKETS || b->used + caplen > JOY45_BATCH_BYTES) {
        flush45((unsigned int)index);
    }
    memcpy(b->data + b->used, packet, caplen);
    b->ts[b->count] = (int64_t)header->ts.tv_sec * 1000000 + (int64_t)header->ts.tv_usec;
    b->caplen[b->count] = caplen;
    b->used += caplen;
    b->count++;
}

void joy_print_flow_data(uint8_t index, joy_flow_type_e type) {
    flush45(index);
    go45PrintFlowData(index, type);
}

void joy_export_flows_ipfix(uint8_t index, joy_flow_type_e type) {
    flush45(index);
    go45ExportFlowsIPFIX(index, type);
}

void joy_get_feature_counts(uint8_t index, joy_ctx_feat_count_t *feat_counts) {
    flush45(index);
    go45FeatureCounts(index, feat_counts);
}

void joy_idp_external_processing(uint8_t index, joy_flow_rec_callback callback_fn) {
    flush45(index);
    go45External(index, 0, 0, 0, callback_fn);
}

void joy_tls_external_processing(uint8_t index, joy_flow_rec_callback callback_fn) {
    flush45(index);
    go45External(index, 1, 0, 0, callback_fn);
}

void joy_splt_external_processing(uint8_t index, joy_export_type_e export_frmt, unsigned int min_pkts,
                                  joy_flow_rec_callback callback_fn) {
    flush45(index);
    go45External(index, 2, export_frmt, min_pkts, callback_fn);
}

void joy_salt_external_processing(uint8_t index, joy_export_type_e export_frmt, unsigned int min_pkts,
                                  joy_flow_rec_callback callback_fn) {
    flush45(index);
    go45External(index, 3, export_frmt, min_pkts, callback_fn);
}

void joy_bd_external_processing(uint8_t index, unsigned int min_octets,
                                joy_flow_rec_callback callback_fn) {
    flush45(index);
    go45External(index, 4, 0, min_octets, callback_fn);
}

unsigned int joy_delete_flow_records(uint8_t index, unsigned int cond_bitmask) {
    flush45(index);
    return go45DeleteFlowRecords(index, cond_bitmask);
}

unsigned int joy_purge_old_flow_records(uint8_t index, unsigned int rec_age) {
    flush45(index);
    return go45PurgeOld(index, rec_age);
}

void joy_context_cleanup(uint8_t index) {
    flush45(index);
    go45ContextCleanup(index);
}

void joy_shutdown(void) {
    reset_batches(1);
    initialized = 0;
    go45Shutdown();
}

const char *joy_get_version(void) { return "joy 4.5.0"; }
