/*
 * joy_api.h - the C interface of libjoy, Joy 4.5 API generation.
 *
 * The declarations of Joy 4.5.0's library API (joy_init_t, 64 contexts,
 * joy_process_packet with application data, external-processing
 * callbacks, record deletion), served by libjoy.so.4 from the same Go
 * core as libjoy.so.2 (the library guide's generation, ../joy_api.h).
 *
 * Select it with -I include/joy4, or by defining JOY_API_4_5 before
 * including include/joy_api.h; link with -ljoy against libjoy.so.4.
 *
 * Contexts are numbered 0 .. joy_init_t.contexts-1 (at most
 * MAX_LIB_CONTEXTS). Different threads may drive different contexts at the
 * same time; one context must be used by one thread at a time.
 */
#ifndef JOY_API_H
#define JOY_API_H
#define JOY_API_4_5_H 1

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>
#include <pcap.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JOY_TERMINAL_FORMAT 0
#define JOY_JSON_FORMAT 1
#define JOY_SINGLE_SUBNET 0
#define JOY_FILE_SUBNET 1
#define MAX_DIRNAME_LEN 256
#define MAX_FILENAME_LEN 1024
#define DEFAULT_IPFIX_EXPORT_PORT 4739
#define DEFAULT_IDP_SIZE 1300
#define MAX_LIB_CONTEXTS 64
#define MAX_RECORDS 2147483647

/* Which flows joy_print_flow_data() and joy_export_flows_ipfix() drain. */
typedef enum {
    JOY_EXPIRED_FLOWS = 0,
    JOY_ALL_FLOWS = 1
} joy_flow_type_e;

/* Layout of the SPLT and SALT data handed to callbacks. */
typedef enum {
    JOY_NFV9_EXPORT = 0,  /* always 40 bytes: 10 lengths then 10 times, padded */
    JOY_IPFIX_EXPORT = 1  /* 4 bytes per packet: n lengths then n times */
} joy_export_type_e;

/* Feature-ready bits. */
#define JOY_IDP_READY  (1 << 0)
#define JOY_TLS_READY  (1 << 1)
#define JOY_SPLT_READY (1 << 2)
#define JOY_SALT_READY (1 << 3)
#define JOY_BD_READY   (1 << 4)

/* Conditions of joy_delete_flow_records(): which callbacks must have
 * seen a flow before it may go (0: every flow goes). */
#define JOY_DELETE_ALL      (0)
#define JOY_IDP_PROCESSED   (1 << 0)
#define JOY_TLS_PROCESSED   (1 << 1)
#define JOY_SALT_PROCESSED  (1 << 2)
#define JOY_SPLT_PROCESSED  (1 << 3)
#define JOY_BD_PROCESSED    (1 << 4)

/* Feature bits of joy_init_t.bitmask (4.5 values; IDP and IPFIX export
 * moved, PPI, SALT and three more were added). */
#define JOY_BIDIR_ON         (1 << 0)
#define JOY_DNS_ON           (1 << 1)
#define JOY_SSH_ON           (1 << 2)
#define JOY_TLS_ON           (1 << 3)
#define JOY_DHCP_ON          (1 << 4)
#define JOY_HTTP_ON          (1 << 5)
#define JOY_IKE_ON           (1 << 6)
#define JOY_PAYLOAD_ON       (1 << 7)
#define JOY_EXE_ON           (1 << 8)
#define JOY_ZERO_ON          (1 << 9)
#define JOY_RETRANS_ON       (1 << 10)
#define JOY_BYTE_DIST_ON     (1 << 11)
#define JOY_ENTROPY_ON       (1 << 12)
#define JOY_CLASSIFY_ON      (1 << 13)
#define JOY_HEADER_ON        (1 << 14)
#define JOY_PREMPTIVE_TMO_ON (1 << 15)
#define JOY_IDP_ON           (1 << 16)
#define JOY_IPFIX_EXPORT_ON  (1 << 17)
#define JOY_PPI_ON           (1 << 18)
#define JOY_SALT_ON          (1 << 19)
#define JOY_RETAIN_LOCAL_ON  (1 << 20) /* accepted, no effect */
#define JOY_UPDATER_ON       (1 << 21) /* accepted, no effect */
#define JOY_FPX_ON           (1 << 22) /* accepted, no effect */

/* Counts of flow records whose feature is ready (joy_get_feature_counts):
 * IDP taken, TLS handshake over, >= 10 SPLT packets, >= 10 SALT packets,
 * >= 4000 payload bytes. */
typedef struct joy_ctx_feat_count {
    uint32_t idp_recs_ready;
    uint32_t tls_recs_ready;
    uint32_t splt_recs_ready;
    uint32_t salt_recs_ready;
    uint32_t bd_recs_ready;
} joy_ctx_feat_count_t;

/* Options of joy_initialize(). Field order and types are part of the ABI. */
typedef struct joy_init {
    uint8_t verbosity;          /* 0 off, 1 debug, 2 info, 3 warning, 4 error, 5 critical */
    uint32_t max_records;       /* records per output file before a new one (0: one file) */
    uint16_t num_pkts;          /* packets per flow to report (0: 50) */
    uint8_t contexts;           /* contexts to use, 1 .. MAX_LIB_CONTEXTS (0: 1) */
    uint16_t inact_timeout;     /* seconds without a packet before a flow expires (0: 10) */
    uint16_t act_timeout;       /* seconds more before a long flow expires (0: 20) */
    uint16_t idp;               /* initial data packet bytes with JOY_IDP_ON (0: 1300) */
    const char *ipfix_host;     /* IPFIX collector with JOY_IPFIX_EXPORT_ON (NULL: 127.0.0.1) */
    uint16_t ipfix_port;        /* its port (0: 4739) */
    const char *upload_srvname; /* printed in the configuration record only */
    const char *upload_keyfile; /* printed in the configuration record only */
    uint32_t bitmask;           /* JOY_*_ON bits */
} joy_init_t;

typedef struct joy_ctx_data joy_ctx_data;

/*
 * The flow record as callbacks and joy_process_packet() show it: a view of
 * one direction of a flow, filled by the library for the duration of a
 * callback (or until the next call on the same context). Only the members
 * below exist; the original's other internals are not part of this ABI.
 */
typedef struct joy_tls_view {
    unsigned char version;        /* 0 unknown, 1 SSLv2, 2 SSLv3, 3 TLS 1.0 .. 6 TLS 1.3 */
    unsigned char done_handshake; /* 1 when the handshake is over */
} tls_t;

typedef struct flow_record {
    uint8_t sa[16];               /* source address (IPv4: first 4 bytes) */
    uint8_t da[16];               /* destination address */
    uint16_t sp, dp;              /* ports, host order */
    uint8_t prot;                 /* IP protocol */
    uint8_t ip_version;           /* 4 or 6 */
    struct timeval start, end;    /* first and last packet */
    uint32_t np;                  /* packets of this direction */
    uint32_t op;                  /* packets in the SPLT */
    uint64_t ob;                  /* payload bytes */
    void *idp;                    /* initial data packet from its IP header (idp_len bytes) */
    uint16_t idp_len;
    tls_t *tls;                   /* NULL unless TLS is on and seen */
    uint8_t joy_app_data_len;     /* application data of joy_process_packet() */
    char *joy_app_data;
    struct flow_record *twin;     /* reverse direction (bidir), or NULL */
} flow_record_t;

/* Called once per flow record and feature: rec is a flow_record_t *,
 * data/data_len the feature's bytes (see each function). */
typedef void (joy_flow_rec_callback)(void *rec, unsigned int data_len, unsigned char *data);

/* Set up the library for init_data->contexts contexts. Context i writes to
 * output_dir/output_file (default "./joy-output"); with more than one
 * context, to output_dir/output_file.ctxI.gz (gzip-compressed). logfile
 * NULL means stderr. Returns 0 on success, 1 on failure. */
extern int joy_initialize(joy_init_t *data, const char *output_dir,
                          const char *output_file, const char *logfile);

/* Set up the library with its records on stdout and its log on err_info
 * (NULL: stderr). config must not be NULL; its content is not read (the
 * original's internal configuration_t is not part of this ABI): the
 * options come from data as in joy_initialize(). Returns 0 or 1. */
extern int joy_initialize_no_config(void *config, FILE *err_info, joy_init_t *data);

/* Write the configuration: as one JSON line into the context's output
 * (JOY_JSON_FORMAT), or as "name = value" lines into the log. */
extern void joy_print_config(uint8_t index, uint8_t format);

/* Write the context's packet and flow counters to the log. */
extern void joy_print_flocap_stats_output(uint8_t index);

extern int joy_anon_subnets(const char *anon_file);
extern int joy_anon_http_usernames(const char *anon_http_file);
extern int joy_update_splt_bd_params(const char *splt_filename, const char *bd_filename);

/* Load a compact byte-distribution map and turn the compact distribution on. */
extern int joy_update_compact_bd(const char *filename);

extern int joy_label_subnets(const char *label, uint8_t type, const char *subnet_str);

/* Set the context's clock (the time expiry is judged against). */
extern void joy_update_ctx_global_time(uint8_t ctx_index, struct timeval *new_time);

/* The context (0 .. num_contexts-1) for an Ethernet frame: a hash of its
 * 5-tuple that is the same for both directions of a flow. Frames without
 * a 5-tuple go to 0. */
extern uint8_t joy_packet_to_context(const unsigned char *packet, uint8_t num_contexts);

/* An opaque handle of context ctx_index (NULL when out of range). */
extern void *joy_index_to_context(uint8_t ctx_index);

/* Process one packet; ctx_index is the context number cast to a pointer.
 * app_data (at most 32 bytes) is kept with the flow record. Returns the
 * record the packet landed in (a flow_record_t *, valid until the next
 * call on the context), or NULL. */
extern void *joy_process_packet(unsigned char *ctx_index, const struct pcap_pkthdr *header,
                                const unsigned char *packet, unsigned int app_data_len,
                                const unsigned char *app_data);

/* The same as a pcap_handler: pcap_dispatch(h, n, joy_libpcap_process_packet, (u_char *)index). */
extern void joy_libpcap_process_packet(unsigned char *ctx_index, const struct pcap_pkthdr *header,
                                       const unsigned char *packet);

/* Print the context's flows as JSON lines; printed flows leave the table. */
extern void joy_print_flow_data(uint8_t index, joy_flow_type_e type);

/* Export the context's flows over IPFIX; exported flows leave the table. */
extern void joy_export_flows_ipfix(uint8_t index, joy_flow_type_e type);

extern void joy_get_feature_counts(uint8_t index, joy_ctx_feat_count_t *feat_counts);

/* Each callback runs once per flow (the chronological record), oldest
 * first, when its feature is ready or the flow has expired:
 *   idp:  data NULL, data_len 0; read rec->idp / rec->idp_len;
 *   tls:  data NULL, data_len 0; read rec->tls;
 *   splt: min_pkts packets or more (or expired); data: uint16 lengths then
 *         uint16 inter-packet times in ms, NFv9 (40 bytes, lengths padded
 *         with 0x8000, times with 0) or IPFIX (4 bytes per packet, <= 10);
 *   salt: the same over SALT lengths (NFv9 pads lengths with 0);
 *   bd:   min_octets payload bytes or more (or expired); data: 256
 *         uint16 byte counts (512 bytes). */
extern void joy_idp_external_processing(uint8_t index, joy_flow_rec_callback callback_fn);
extern void joy_tls_external_processing(uint8_t index, joy_flow_rec_callback callback_fn);
extern void joy_splt_external_processing(uint8_t index, joy_export_type_e export_frmt,
                                         unsigned int min_pkts, joy_flow_rec_callback callback_fn);
extern void joy_salt_external_processing(uint8_t index, joy_export_type_e export_frmt,
                                         unsigned int min_pkts, joy_flow_rec_callback callback_fn);
extern void joy_bd_external_processing(uint8_t index, unsigned int min_octets,
                                       joy_flow_rec_callback callback_fn);

/* Delete the flows that every callback named in cond_bitmask
 * (JOY_*_PROCESSED) has seen; JOY_DELETE_ALL deletes all. Returns how many. */
extern unsigned int joy_delete_flow_records(uint8_t index, unsigned int cond_bitmask);

/* Delete the flows whose last packet is more than rec_age seconds after
 * their start (both directions). Returns how many. */
extern unsigned int joy_purge_old_flow_records(uint8_t index, unsigned int rec_age);

/* Drop the context's flows, send pending IPFIX, close its output. */
extern void joy_context_cleanup(uint8_t index);

/* Clean up every context and the library; joy_initialize() may follow. */
extern void joy_shutdown(void);

/* "joy 4.5.0": the API generation and record format served. */
extern const char *joy_get_version(void);

#ifdef __cplusplus
}
#endif

#endif /* JOY_API_H */
