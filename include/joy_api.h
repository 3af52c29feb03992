/*
 * joy_api.h - the C interface of libjoy.
 *
 * This header follows the Joy Library API User's Guide: the same
 * constants, the same struct joy_init and the same eleven functions, so a
 * program written against the guide compiles unchanged and links with
 * -ljoy -lpcap.
 *
 * Usage in three phases: joy_initialize() once, then feed packets with
 * joy_process_packet() (directly or as a pcap_dispatch() callback) and
 * drain flow records with joy_print_flow_data() or
 * joy_export_flows_ipfix(), then joy_cleanup() each context.
 *
 * Contexts are numbered 0 .. MAX_LIB_CONTEXTS-1. Each context is
 * independent: different threads may drive different contexts at the same
 * time, but one context must be used by one thread at a time.
 */
/* Defining JOY_API_4_5 first selects the Joy 4.5 generation instead
 * (include/joy4/joy_api.h, libjoy.so.4). */
#if defined(JOY_API_4_5) && !defined(JOY_API_H)
#include "joy4/joy_api.h"
#endif

#ifndef JOY_API_H
#define JOY_API_H

#include <stdint.h>
#include <pcap.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of this library (an extension of the guide). The major version
 * is the ABI, the SONAME's number: libjoy.so.2 is the guide's API. The
 * configuration record still prints the original's "version":"2.1-dev",
 * so records stay identical. */
#define JOY_VERSION_MAJOR 2
#define JOY_VERSION_MINOR 1
#define JOY_VERSION_PATCH 0
#define JOY_VERSION_STRING "2.1.0"
/* JOY_VERSION_NUMBER >= JOY_VERSION_AT(2, 1, 0) in #if tests. */
#define JOY_VERSION_AT(major, minor, patch) ((major) * 10000 + (minor) * 100 + (patch))
#define JOY_VERSION_NUMBER JOY_VERSION_AT(JOY_VERSION_MAJOR, JOY_VERSION_MINOR, JOY_VERSION_PATCH)

/* Which flows joy_print_flow_data() and joy_export_flows_ipfix() drain. */
#define JOY_EXPIRED_FLOWS 0
#define JOY_ALL_FLOWS 1

/* Formats of joy_print_config(). */
#define JOY_TERMINAL_FORMAT 0
#define JOY_JSON_FORMAT 1

/* The type argument of joy_label_subnets(). */
#define JOY_SINGLE_SUBNET 0
#define JOY_FILE_SUBNET 1

#define MAX_FILENAME_LEN 1024
#define DEFAULT_IPFIX_EXPORT_PORT 4739
#define DEFAULT_IDP_SIZE 1300
#define MAX_LIB_CONTEXTS 10

/* Feature bits of joy_init.bitmask; OR them together. */
#define JOY_BIDIR_ON 0x01
#define JOY_DNS_ON 0x02
#define JOY_SSH_ON 0x04
#define JOY_TLS_ON 0x08
#define JOY_DHCP_ON 0x10
#define JOY_HTTP_ON 0x20
#define JOY_IKE_ON 0x40
#define JOY_PAYLOAD_ON 0x80
#define JOY_EXE_ON 0x100
#define JOY_ZERO_ON 0x200
#define JOY_RETRANS_ON 0x400
#define JOY_BYTE_DIST_ON 0x800
#define JOY_ENTROPY_ON 0x1000
#define JOY_CLASSIFY_ON 0x2000
#define JOY_HEADER_ON 0x4000
#define JOY_PREMPTIVE_TMO_ON 0x8000
#define JOY_IPFIX_EXPORT_ON 0x10000

/* Options for joy_initialize(). Field order and types are part of the ABI. */
struct joy_init {
    int type;            /* 1 = SPLT (default), 2 = SALT */
    int verbosity;       /* 0 off, 1 debug, 2 info, 3 warning, 4 error, 5 critical */
    int idp;             /* bytes of the initial data packet to report */
    char *ipfix_host;    /* IPFIX collector (NULL: 127.0.0.1) */
    uint32_t ipfix_port; /* IPFIX collector port (0: 4739) */
    uint32_t bitmask;    /* JOY_*_ON feature bits */
};

/* An opaque context; callers only ever pass context numbers. */
typedef struct joy_ctx_data joy_ctx_data;

/* Set up the library. Must come first. output_dir NULL means "./";
 * output_file NULL means stdout; logfile NULL means stderr (the log file is
 * appended to). Returns 0 on success, 1 on failure. */
extern int joy_initialize(struct joy_init *data, char *output_dir,
                          char *output_file, char *logfile);

/* Write the configuration to the output, as one JSON line
 * (JOY_JSON_FORMAT) or as "name = value" lines (JOY_TERMINAL_FORMAT). */
extern void joy_print_config(int format);

/* Anonymize the addresses inside the subnets listed in anon_file.
 * Returns 0 on success, 1 on failure. */
extern int joy_anon_subnets(char *anon_file);

/* Anonymize the HTTP user names listed in anon_http_file, one per line.
 * Returns 0 on success, 1 on failure. */
extern int joy_anon_http_usernames(char *anon_http_file);

/* Load classifier parameters (SPLT and byte-distribution weights) from
 * files in the format of Joy's model tool. Returns 0 or 1. */
extern int joy_update_splt_bd_params(char *splt_filename, char *bd_filename);

/* Load a compact byte-distribution map ("byte<TAB>bucket" lines) and turn
 * on the compact byte distribution. Returns 0 or 1. */
extern int joy_get_compact_bd(char *filename);

/* Attach label to one subnet (JOY_SINGLE_SUBNET, subnet_str is
 * "a.b.c.d/len") or to every subnet of a file (JOY_FILE_SUBNET). May be
 * called repeatedly. Returns 0 or 1. */
extern int joy_label_subnets(char *label, int type, char *subnet_str);

/* Process one packet. A pcap_handler: ctx_index is the context number
 * cast to a pointer, e.g.
 *   pcap_dispatch(handle, n, joy_process_packet, (unsigned char *)index); */
extern void joy_process_packet(unsigned char *ctx_index,
                               const struct pcap_pkthdr *header,
                               const unsigned char *packet);

/* Print the context's flows as JSON lines (JOY_EXPIRED_FLOWS or
 * JOY_ALL_FLOWS); printed flows leave the flow table. */
extern void joy_print_flow_data(unsigned int index, int type);

/* Export the context's flows over IPFIX (JOY_EXPIRED_FLOWS or
 * JOY_ALL_FLOWS); exported flows leave the flow table. */
extern void joy_export_flows_ipfix(unsigned int index, int type);

/* Release the context's remaining flows (without printing them) and flush
 * any pending IPFIX export. */
extern void joy_cleanup(unsigned int index);

/*
 * Extensions beyond the guide (not in the original library).
 */

/* Tell a context the link type of the frames it will receive, as returned
 * by pcap_datalink() (DLT_EN10MB by default, which is all the original
 * decodes). Supported: DLT_EN10MB, DLT_NULL, DLT_LOOP, DLT_RAW (12, 14,
 * 101), DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_IPV4, DLT_IPV6.
 * Returns 0 on success, 1 on failure. */
extern int joy_set_link_type(unsigned int index, int dlt);

/* A context's counters, for a host that wants to know what went wrong
 * without parsing the log. */
struct joy_counters {
    uint64_t packets;         /* packets given to the context */
    uint64_t flows_printed;   /* flow records drained for output, written or lost */
    uint64_t output_errors;   /* writes of records to the output that failed */
    uint64_t records_lost;    /* output lines in those writes (the output
                                 stream's own buffer can hide a few more) */
    uint64_t internal_errors; /* internal errors caught in the context's calls */
    uint64_t packets_dropped; /* packets abandoned by those errors */
};

/* Fill *counters for context index (its pending packets are processed
 * first). Call it from the thread that drives the context. Output errors
 * and internal errors never stop processing: they are logged once (output)
 * or each time (internal, with the context index) and counted here.
 * Returns 0 on success, 1 on failure (not initialized, bad index, NULL). */
extern int joy_get_counters(unsigned int index, struct joy_counters *counters);

/*
 * Extension (issue #14): options by name, before joy_initialize.
 */

/* Set one option by the joy command's name and value, as on its command
 * line (name=value): every protocol and feature of the configuration
 * record by its name ("wht", "ppi", "salt", "quic", "hd", "payload",
 * "dns", ... and any added later), and "num_pkts", "type", "idp",
 * "max_records", "format". Call it before joy_initialize; the options
 * apply to the configuration joy_initialize makes (and to any later
 * re-initialization), in the order set, a later value winning:
 *   - an option set here wins over joy_init's type and idp;
 *   - the bits of joy_init.bitmask are OR'd in: a set bit turns its
 *     feature on (hd to 1 unless an option gave it a length), a clear bit
 *     leaves the option's value.
 * After joy_initialize the configuration is read-only: the call fails.
 * An unknown name, a value the option does not take, or a NULL pointer
 * is logged (one line) and fails. Returns 0 on success, 1 on failure. */
extern int joy_set_option(const char *name, const char *value);

#ifdef __cplusplus
}
#endif

#endif /* JOY_API_H */
