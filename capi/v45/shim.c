/*
 * The C side of libjoy.so.4: Joy 4.5's functions with their exact C
 * signatures (checked against include/joy4/joy_api.h), each forwarding to
 * the Go implementation in v45.go. Packets are handed to Go one at a
 * time: joy_process_packet returns the packet's flow record.
 */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include "joy4/joy_api.h"
#include "_cgo_export.h"

__attribute__((visibility("hidden"))) FILE *joy45_stdout(void) { return stdout; }
__attribute__((visibility("hidden"))) FILE *joy45_stderr(void) { return stderr; }

int joy_initialize(joy_init_t *data, const char *output_dir, const char *output_file,
                   const char *logfile) {
    return go45Initialize(data, (char *)output_dir, (char *)output_file, (char *)logfile);
}

int joy_initialize_no_config(void *config, FILE *err_info, joy_init_t *data) {
    return go45InitializeNoConfig(config, err_info, data);
}

void joy_print_config(uint8_t index, uint8_t format) { go45PrintConfig(index, format); }

void joy_print_flocap_stats_output(uint8_t index) { go45PrintStats(index); }

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
    if (new_time == NULL) {
        go45UpdateTime(ctx_index, 0, 0, 1);
        return;
    }
    go45UpdateTime(ctx_index, (int64_t)new_time->tv_sec, (int64_t)new_time->tv_usec, 0);
}

uint8_t joy_packet_to_context(const unsigned char *packet, uint8_t num_contexts) {
    return (uint8_t)go45PacketToContext((unsigned char *)packet, num_contexts);
}

void *joy_index_to_context(uint8_t ctx_index) { return go45IndexToContext(ctx_index); }

void *joy_process_packet(unsigned char *ctx_index, const struct pcap_pkthdr *header,
                         const unsigned char *packet, unsigned int app_data_len,
                         const unsigned char *app_data) {
    uintptr_t index = (uintptr_t)ctx_index;
    if (header == NULL) {
        go45ProcessPacket(index > 255 ? -1 : (int)index, 0, 0, NULL, 0, 0, NULL, 0);
        return NULL;
    }
    return go45ProcessPacket(index > 255 ? -1 : (int)index, (int64_t)header->ts.tv_sec,
                             (int64_t)header->ts.tv_usec, (unsigned char *)packet, header->caplen,
                             app_data_len, (unsigned char *)app_data, 1);
}

void joy_libpcap_process_packet(unsigned char *ctx_index, const struct pcap_pkthdr *header,
                                const unsigned char *packet) {
    uintptr_t index = (uintptr_t)ctx_index;
    if (header == NULL) {
        go45ProcessPacket(index > 255 ? -1 : (int)index, 0, 0, NULL, 0, 0, NULL, 0);
        return;
    }
    go45ProcessPacket(index > 255 ? -1 : (int)index, (int64_t)header->ts.tv_sec,
                      (int64_t)header->ts.tv_usec, (unsigned char *)packet, header->caplen, 0,
                      NULL, 0);
}

void joy_print_flow_data(uint8_t index, joy_flow_type_e type) { go45PrintFlowData(index, type); }

void joy_export_flows_ipfix(uint8_t index, joy_flow_type_e type) {
    go45ExportFlowsIPFIX(index, type);
}

void joy_get_feature_counts(uint8_t index, joy_ctx_feat_count_t *feat_counts) {
    go45FeatureCounts(index, feat_counts);
}

void joy_idp_external_processing(uint8_t index, joy_flow_rec_callback callback_fn) {
    go45External(index, 0, 0, 0, callback_fn);
}

void joy_tls_external_processing(uint8_t index, joy_flow_rec_callback callback_fn) {
    go45External(index, 1, 0, 0, callback_fn);
}

void joy_splt_external_processing(uint8_t index, joy_export_type_e export_frmt, unsigned int min_pkts,
                                  joy_flow_rec_callback callback_fn) {
    go45External(index, 2, export_frmt, min_pkts, callback_fn);
}

void joy_salt_external_processing(uint8_t index, joy_export_type_e export_frmt, unsigned int min_pkts,
                                  joy_flow_rec_callback callback_fn) {
    go45External(index, 3, export_frmt, min_pkts, callback_fn);
}

void joy_bd_external_processing(uint8_t index, unsigned int min_octets,
                                joy_flow_rec_callback callback_fn) {
    go45External(index, 4, 0, min_octets, callback_fn);
}

unsigned int joy_delete_flow_records(uint8_t index, unsigned int cond_bitmask) {
    return go45DeleteFlowRecords(index, cond_bitmask);
}

unsigned int joy_purge_old_flow_records(uint8_t index, unsigned int rec_age) {
    return go45PurgeOld(index, rec_age);
}

void joy_context_cleanup(uint8_t index) { go45ContextCleanup(index); }

void joy_shutdown(void) { go45Shutdown(); }

const char *joy_get_version(void) { return "joy 4.5.0"; }
