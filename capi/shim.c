/*
 * The C side of libjoy: the guide's functions with their exact C
 * signatures, each forwarding to the Go implementation in capi.go. Keeping
 * the public symbols here (rather than as Go exports) lets the compiler
 * check them against include/joy_api.h.
 */
#include <stdio.h>
#include <stdint.h>
#include "joy_api.h"
#include "_cgo_export.h"

/* The C streams, for the Go side (not part of the library's interface). */
__attribute__((visibility("hidden"))) FILE *joy_c_stdout(void) { return stdout; }
__attribute__((visibility("hidden"))) FILE *joy_c_stderr(void) { return stderr; }

int joy_initialize(struct joy_init *data, char *output_dir, char *output_file, char *logfile) {
    return goJoyInitialize(data, output_dir, output_file, logfile);
}

void joy_print_config(int format) { goJoyPrintConfig(format); }

int joy_anon_subnets(char *anon_file) { return goJoyNotYet(0, anon_file, NULL); }

int joy_anon_http_usernames(char *anon_http_file) { return goJoyNotYet(1, anon_http_file, NULL); }

int joy_update_splt_bd_params(char *splt_filename, char *bd_filename) {
    return goJoyNotYet(2, splt_filename, bd_filename);
}

int joy_get_compact_bd(char *filename) { return goJoyNotYet(3, filename, NULL); }

int joy_label_subnets(char *label, int type, char *subnet_str) {
    (void)type;
    return goJoyNotYet(4, label, subnet_str);
}

void joy_process_packet(unsigned char *ctx_index, const struct pcap_pkthdr *header,
                        const unsigned char *packet) {
    /* The context number travels as the pointer value itself. */
    uintptr_t index = (uintptr_t)ctx_index;
    if (header == NULL || packet == NULL || index >= MAX_LIB_CONTEXTS) {
        goJoyBadPacket(index, header == NULL, packet == NULL);
        return;
    }
    goJoyProcessPacket((unsigned int)index, (int64_t)header->ts.tv_sec,
                       (int64_t)header->ts.tv_usec, (unsigned char *)packet, header->caplen);
}

void joy_print_flow_data(unsigned int index, int type) { goJoyPrintFlowData(index, type); }

void joy_export_flows_ipfix(unsigned int index, int type) { goJoyExportFlowsIPFIX(index, type); }

void joy_cleanup(unsigned int index) { goJoyCleanup(index); }

int joy_set_link_type(unsigned int index, int dlt) { return goJoySetLinkType(index, dlt); }
