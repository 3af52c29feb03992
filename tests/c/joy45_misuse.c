/*
 * joy45_misuse: every function of the Joy 4.5 generation (libjoy.so.4)
 * called wrongly — before joy_initialize, with bad context numbers, NULL
 * callbacks and pointers, from inside a callback, after
 * joy_context_cleanup and after joy_shutdown — must be logged and refused
 * without a crash; the right calls around them must keep working.
 *
 *   joy45_misuse            (exit 0 when every check passed)
 *
 * Selects the 4.5 header the second documented way: JOY_API_4_5 defined
 * before including joy_api.h.
 */
#define JOY_API_4_5
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include <pcap.h>
#include "joy_api.h"
#include "check.h"

#ifndef JOY_API_4_5_H
#error "JOY_API_4_5 did not select include/joy4/joy_api.h"
#endif

static char tmpdir[] = "/tmp/joy45_misuse.XXXXXX";
static int calls;

static void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v & 0xffff); }

/* Ethernet + IPv4 + UDP with payload bytes of value 'a'. */
static size_t udp_frame(uint8_t *f, uint32_t src, uint32_t dst, unsigned sp, unsigned dp, size_t payload) {
    uint8_t *ip = f + 14, *l4 = ip + 20;
    size_t iplen = 28 + payload;
    memset(f, 0, 14 + iplen);
    put16(f + 12, 0x0800);
    ip[0] = 0x45;
    put16(ip + 2, (unsigned)iplen);
    ip[8] = 64;
    ip[9] = 17;
    put32(ip + 12, src);
    put32(ip + 16, dst);
    put16(l4, sp);
    put16(l4 + 2, dp);
    put16(l4 + 4, (unsigned)(8 + payload));
    memset(l4 + 8, 'a', payload);
    return 14 + iplen;
}

static void count_cb(void *rec, unsigned int len, unsigned char *data) {
    (void)rec; (void)len; (void)data;
    calls++;
}

/* Calls the library on the context it is being called from. */
static void reentrant_cb(void *rec, unsigned int len, unsigned char *data) {
    (void)rec; (void)len; (void)data;
    calls++;
    CHECK(joy_delete_flow_records(0, JOY_DELETE_ALL) == 0, "deletion from inside a callback must be refused");
    joy_print_flow_data(0, JOY_ALL_FLOWS);
}

static void every_call(uint8_t index, int expect_refused) {
    struct pcap_pkthdr h = {{1700000000, 0}, 0, 0};
    uint8_t f[128];
    struct timeval tv = {1700000000, 0};
    joy_ctx_feat_count_t fc;
    h.caplen = h.len = (uint32_t)udp_frame(f, 0x0a000001, 0x0a000002, 1000, 53, 10);
    memset(&fc, 0xab, sizeof fc);
    joy_print_config(index, JOY_JSON_FORMAT);
    joy_print_config(index, JOY_TERMINAL_FORMAT);
    joy_print_flocap_stats_output(index);
    joy_update_ctx_global_time(index, &tv);
    CHECK(joy_index_to_context(index) == NULL || !expect_refused, "index_to_context(%u) must be NULL", index);
    CHECK(joy_process_packet((unsigned char *)(uintptr_t)index, &h, f, 0, NULL) == NULL || !expect_refused,
          "process_packet on context %u must be refused", index);
    joy_libpcap_process_packet((unsigned char *)(uintptr_t)index, &h, f);
    joy_print_flow_data(index, JOY_ALL_FLOWS);
    joy_export_flows_ipfix(index, JOY_ALL_FLOWS);
    joy_get_feature_counts(index, &fc);
    if (expect_refused)
        CHECK(fc.idp_recs_ready == 0xabababab, "feature counts of a refused call must be untouched");
    joy_idp_external_processing(index, count_cb);
    joy_tls_external_processing(index, count_cb);
    joy_splt_external_processing(index, JOY_NFV9_EXPORT, 1, count_cb);
    joy_salt_external_processing(index, JOY_IPFIX_EXPORT, 1, count_cb);
    joy_bd_external_processing(index, 1, count_cb);
    CHECK(joy_delete_flow_records(index, JOY_DELETE_ALL) == 0 || !expect_refused, "delete on %u", index);
    CHECK(joy_purge_old_flow_records(index, 0) == 0 || !expect_refused, "purge on %u", index);
    joy_context_cleanup(index);
}

static long file_has(const char *path, const char *needle) {
    char line[4096];
    long n = 0;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    while (fgets(line, sizeof line, f) != NULL)
        if (strstr(line, needle) != NULL)
            n++;
    fclose(f);
    return n;
}

int main(void) {
    char log[512], out[512], cmd[600];
    joy_init_t init;
    struct pcap_pkthdr h = {{1700000000, 0}, 0, 0};
    uint8_t f[256], g[256];
    unsigned char app[40];
    flow_record_t *rec;
    unsigned int i, n;

    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(log, sizeof log, "%s/log", tmpdir);
    calls = 0;

    /* Before joy_initialize, and joy_shutdown with nothing to shut down. */
    every_call(0, 1);
    joy_shutdown();
    CHECK(joy_anon_subnets(NULL) == 1, "anon before init");
    CHECK(joy_update_compact_bd(NULL) == 1, "compact bd before init");
    CHECK(joy_label_subnets("x", JOY_SINGLE_SUBNET, "10.0.0.0/8") == 1, "label before init");
    CHECK(joy_anon_http_usernames(NULL) == 1, "user anonymization before init");
    CHECK(joy_update_splt_bd_params(NULL, NULL) == 1, "SPLT/BD parameters before init");
    CHECK(calls == 0, "no callback may run before init (%d)", calls);

    /* Too many contexts, NULL init data: refused. */
    memset(&init, 0, sizeof init);
    init.contexts = 65;
    CHECK(joy_initialize(&init, tmpdir, "out", log) == 1, "65 contexts must be refused");
    CHECK(joy_initialize(NULL, tmpdir, "out", log) == 1, "NULL init data must be refused");
    CHECK(joy_initialize_no_config(NULL, NULL, &init) == 1, "NULL config must be refused");

    init.contexts = 2;
    init.verbosity = 4;
    init.idp = 100;
    init.bitmask = JOY_BIDIR_ON | JOY_IDP_ON | JOY_BYTE_DIST_ON | JOY_TLS_ON | JOY_SALT_ON;
    CHECK(joy_initialize(&init, tmpdir, "out", log) == 0, "init");

    /* Bad context numbers: 2 (past contexts), 63, 64, 255. */
    every_call(2, 1);
    every_call(63, 1);
    every_call(64, 1);
    every_call(255, 1);
    CHECK(calls == 0, "no callback may run for a bad context (%d)", calls);

    /* NULL callbacks, NULL pointers, bad formats and conditions on a good context. */
    joy_idp_external_processing(0, NULL);
    joy_tls_external_processing(0, NULL);
    joy_splt_external_processing(0, JOY_NFV9_EXPORT, 1, NULL);
    joy_salt_external_processing(0, JOY_NFV9_EXPORT, 1, NULL);
    joy_bd_external_processing(0, 1, NULL);
    joy_splt_external_processing(0, (joy_export_type_e)7, 1, count_cb);
    joy_get_feature_counts(0, NULL);
    joy_update_ctx_global_time(0, NULL);
    /* The configuration calls: NULL and missing files, bad label types. */
    CHECK(joy_anon_subnets(NULL) == 1 && joy_anon_subnets("/nonexistent/anon") == 1, "anon subnets refused");
    CHECK(joy_anon_http_usernames(NULL) == 1 && joy_anon_http_usernames("/nonexistent/users") == 1,
          "user anonymization refused");
    CHECK(joy_update_splt_bd_params(NULL, "x") == 1 && joy_update_splt_bd_params("/nonexistent/a", "/nonexistent/b") == 1,
          "SPLT/BD parameters refused");
    CHECK(joy_update_compact_bd(NULL) == 1 && joy_update_compact_bd("/nonexistent/cbd") == 1, "compact BD refused");
    CHECK(joy_label_subnets(NULL, JOY_SINGLE_SUBNET, "10.0.0.0/8") == 1 &&
              joy_label_subnets("x", 9, "10.0.0.0/8") == 1 &&
              joy_label_subnets("x", JOY_SINGLE_SUBNET, "not a subnet") == 1 &&
              joy_label_subnets("x", JOY_FILE_SUBNET, "/nonexistent/net") == 1,
          "label subnets refused");
    CHECK(joy_process_packet((unsigned char *)0, NULL, f, 0, NULL) == NULL, "NULL header");
    CHECK(joy_process_packet((unsigned char *)0, &h, NULL, 0, NULL) == NULL, "NULL packet");
    joy_libpcap_process_packet((unsigned char *)0, NULL, NULL);
    CHECK(joy_delete_flow_records(0, 0x100) == 0, "unknown condition bits must be refused");
    CHECK(joy_packet_to_context(NULL, 4) == 0, "NULL packet goes to context 0");
    h.caplen = h.len = (uint32_t)udp_frame(f, 0x0a000001, 0x0a000002, 1000, 53, 10);
    CHECK(joy_packet_to_context(f, 0) == 0, "0 contexts gives context 0");

    /* Both directions of a flow hash to one context, always below n. */
    for (i = 0; i < 2000; i++) {
        uint32_t a = 0x0a000000u + i * 7919u, b = 0xc0a80000u + i * 104729u;
        unsigned sp = 1024 + i % 50000, dp = 1 + (i * 31) % 1024, ctxs = 1 + i % 64;
        udp_frame(f, a, b, sp, dp, 4);
        udp_frame(g, b, a, dp, sp, 4);
        n = joy_packet_to_context(f, (uint8_t)ctxs);
        CHECK(n < ctxs && n == joy_packet_to_context(g, (uint8_t)ctxs), "hash of flow %u: %u", i, n);
    }

    /* Application data: kept up to 32 bytes, refused beyond. */
    memset(app, 0x5a, sizeof app);
    h.caplen = h.len = (uint32_t)udp_frame(f, 0x0a000001, 0x0a000002, 1000, 53, 10);
    rec = joy_process_packet((unsigned char *)0, &h, f, 3, app);
    CHECK(rec != NULL && rec->joy_app_data_len == 3 && rec->sp == 1000 && rec->dp == 53 && rec->idp_len == 38,
          "record of the first packet");
    h.ts.tv_usec = 1000;
    rec = joy_process_packet((unsigned char *)0, &h, f, 33, app);
    CHECK(rec != NULL && rec->joy_app_data_len == 0, "33 bytes of application data must be refused");
    h.caplen = h.len = (uint32_t)udp_frame(g, 0x0a000002, 0x0a000001, 53, 1000, 20);
    rec = joy_process_packet((unsigned char *)0, &h, g, 32, app);
    CHECK(rec != NULL && rec->joy_app_data_len == 32 && rec->twin != NULL && rec->twin->sp == 1000,
          "reply with 32 bytes of application data, twin set");

    /* Callbacks run once per flow; a callback calling back is refused. */
    calls = 0;
    joy_idp_external_processing(0, count_cb);
    joy_idp_external_processing(0, count_cb);
    CHECK(calls == 1, "IDP callback once for the one flow (%d)", calls);
    calls = 0;
    joy_splt_external_processing(0, JOY_NFV9_EXPORT, 1, reentrant_cb);
    CHECK(calls == 1, "SPLT callback once (%d)", calls);
    CHECK(joy_delete_flow_records(0, JOY_IDP_PROCESSED | JOY_BD_PROCESSED) == 0, "BD not processed yet");
    CHECK(joy_delete_flow_records(0, JOY_IDP_PROCESSED | JOY_SPLT_PROCESSED) == 1, "flow deleted");

    /* After joy_context_cleanup: refused, twice is harmless; context 1 goes on. */
    joy_context_cleanup(0);
    joy_context_cleanup(0);
    every_call(0, 1);
    h.caplen = h.len = (uint32_t)udp_frame(f, 0x0a000003, 0x0a000004, 1, 2, 10);
    CHECK(joy_process_packet((unsigned char *)1, &h, f, 0, NULL) != NULL, "context 1 still works");

    /* After joy_shutdown everything is refused; then a new start works. */
    joy_shutdown();
    joy_shutdown();
    every_call(1, 1);
    CHECK(calls == 1, "no callback after shutdown (%d)", calls);
    memset(&init, 0, sizeof init);
    CHECK(joy_initialize(&init, tmpdir, "again", log) == 0, "init after shutdown (0 contexts: 1)");
    CHECK(joy_index_to_context(0) != NULL && joy_index_to_context(1) == NULL, "one context");
    snprintf(out, sizeof out, "%s/again", tmpdir);
    joy_print_config(0, JOY_JSON_FORMAT);
    joy_shutdown();
    CHECK(file_has(out, "\"version\":\"4.5.0\"") == 1, "configuration record in %s", out);
    CHECK(strcmp(joy_get_version(), "joy 4.5.0") == 0, "version");

    /* Every refusal was logged. */
    CHECK(file_has(log, "invalid context") >= 4 * 17, "invalid context logged (%ld)", file_has(log, "invalid context"));
    CHECK(file_has(log, "callback is NULL") == 5, "NULL callbacks logged");
    CHECK(file_has(log, "/nonexistent/") >= 5, "missing configuration files logged (%ld)", file_has(log, "/nonexistent/"));
    CHECK(file_has(log, "no file specified") >= 3, "NULL configuration files logged");
    CHECK(file_has(log, "inside an external-processing callback") == 2, "re-entry logged");
    CHECK(file_has(log, "was cleaned up") >= 17, "calls after cleanup logged");
    CHECK(file_has(log, "too large") == 1, "long application data logged");

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    printf("joy45_misuse: %d checks, %d failures\n", checks, failures);
    return failures != 0;
}
