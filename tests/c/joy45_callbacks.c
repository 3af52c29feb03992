/*
 * joy45_callbacks: the bytes Joy 4.5's external-processing callbacks
 * deliver, written as JSON lines for tests/c/api45_callbacks.py to hold
 * against the flow records the same run prints.
 *
 *   joy45_callbacks CAPTURE OUTDIR > callbacks.jsonl
 *
 * One pass over CAPTURE feeds the same packets to contexts 0 and 1
 * (unidirectional records, IDP 1400, byte distribution, TLS, SALT). Every
 * callback then runs with thresholds of 0, so each record is delivered:
 * context 0 with the NetFlow v9 layouts, context 1 with the IPFIX ones.
 * Both contexts then print all flows into OUTDIR/cb.ctx0.gz, cb.ctx1.gz.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap.h>
#include "joy4/joy_api.h"

static int ctx;

static void key(const char *cb, flow_record_t *r, unsigned int len) {
    char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN];
    int af = r->ip_version == 6 ? AF_INET6 : AF_INET;
    inet_ntop(af, r->sa, sa, sizeof sa);
    inet_ntop(af, r->da, da, sizeof da);
    printf("{\"cb\":\"%s\",\"ctx\":%d,\"sa\":\"%s\",\"da\":\"%s\",\"sp\":%u,\"dp\":%u,\"pr\":%u,\"len\":%u",
           cb, ctx, sa, da, r->sp, r->dp, r->prot, len);
}

static void u16s(const unsigned char *data, unsigned int len) {
    unsigned int i;
    uint16_t v;
    printf(",\"u16\":[");
    for (i = 0; i + 1 < len; i += 2) {
        memcpy(&v, data + i, 2);
        printf(i ? ",%u" : "%u", v);
    }
    printf("]");
}

static void idp_cb(void *rec, unsigned int len, unsigned char *data) {
    flow_record_t *r = rec;
    unsigned int i;
    key("idp", r, len);
    printf(",\"null\":%d,\"idp_len\":%u,\"idp\":\"", data == NULL, r->idp_len);
    for (i = 0; i < r->idp_len; i++)
        printf("%02x", ((unsigned char *)r->idp)[i]);
    printf("\"}\n");
}

static void tls_cb(void *rec, unsigned int len, unsigned char *data) {
    flow_record_t *r = rec;
    key("tls", r, len);
    printf(",\"null\":%d,\"tls\":%d,\"done\":%d}\n", data == NULL, r->tls ? r->tls->version : -1,
           r->tls ? r->tls->done_handshake : -1);
}

static void data_cb(const char *name, void *rec, unsigned int len, unsigned char *data) {
    flow_record_t *r = rec;
    key(name, r, len);
    printf(",\"op\":%u,\"ob\":%lu", r->op, (unsigned long)r->ob);
    if (data != NULL)
        u16s(data, len);
    printf("}\n");
}

static void splt_cb(void *rec, unsigned int len, unsigned char *data) { data_cb("splt", rec, len, data); }
static void salt_cb(void *rec, unsigned int len, unsigned char *data) { data_cb("salt", rec, len, data); }
static void bd_cb(void *rec, unsigned int len, unsigned char *data) { data_cb("bd", rec, len, data); }

int main(int argc, char **argv) {
    char err[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *h;
    const unsigned char *p;
    joy_init_t init;
    pcap_t *pc;
    int rc;

    if (argc != 3) {
        fprintf(stderr, "usage: joy45_callbacks CAPTURE OUTDIR\n");
        return 2;
    }
    memset(&init, 0, sizeof init);
    init.verbosity = 4;
    init.contexts = 2;
    init.idp = 1400;
    init.bitmask = JOY_IDP_ON | JOY_BYTE_DIST_ON | JOY_TLS_ON | JOY_SALT_ON;
    if (joy_initialize(&init, argv[2], "cb", NULL) != 0)
        return 1;
    pc = pcap_open_offline(argv[1], err);
    if (pc == NULL) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    while ((rc = pcap_next_ex(pc, &h, &p)) == 1) {
        joy_libpcap_process_packet((unsigned char *)0, h, p);
        joy_libpcap_process_packet((unsigned char *)1, h, p);
    }
    pcap_close(pc);

    ctx = 0;
    joy_idp_external_processing(0, idp_cb);
    joy_tls_external_processing(0, tls_cb);
    joy_splt_external_processing(0, JOY_NFV9_EXPORT, 0, splt_cb);
    joy_salt_external_processing(0, JOY_NFV9_EXPORT, 0, salt_cb);
    joy_bd_external_processing(0, 0, bd_cb);
    ctx = 1;
    joy_splt_external_processing(1, JOY_IPFIX_EXPORT, 0, splt_cb);
    joy_salt_external_processing(1, JOY_IPFIX_EXPORT, 0, salt_cb);
    joy_print_flow_data(0, JOY_ALL_FLOWS);
    joy_print_flow_data(1, JOY_ALL_FLOWS);
    joy_shutdown();
    return 0;
}
