/*
 * joy_embed: drives libjoy the way an embedding product would, for
 * comparing the library path with the reference outputs.
 *
 *   joy_embed [-c] [-f FILTER] [-i IDP] [-m SPLT:BD] [-b CDIST]
 *             [-a ANON_FILE] [-u USER_FILE] [-l NAME:FILE] BITMASK FILE...
 *
 * BITMASK is a JOY_*_ON combination (strtoul base 0: 0x29, 1, ...). Type 1,
 * verbosity 4, output to stdout, log to stderr. The configuration line is
 * printed once; every file then goes through context 0 in batches of 20
 * packets with the expired flows printed after every batch (including the
 * last, empty one), followed by all remaining flows of that file.
 *
 * -c drains with the original joy command's cadence instead: expired flows
 * after every 5th frame matching "ip or vlan" and once more at the end of
 * the file. The reference
 * outputs were made by that command, and when flows expire depends on when
 * the host drains, so -c is what reproduces them through the library.
 * -f installs a BPF filter (pcap_compile syntax), as joy_two_ctx does with
 * "ip or vlan": filtered packets do not count towards a batch of 20.
 * -i sets joy_init.idp; -m loads classifier parameters with
 * joy_update_splt_bd_params; -b loads a compact byte-distribution map with
 * joy_get_compact_bd; -a, -u and -l call joy_anon_subnets,
 * joy_anon_http_usernames and joy_label_subnets(NAME, JOY_FILE_SUBNET, FILE).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap.h>
#include "joy_api.h"

#ifndef NUM_PACKETS_IN_LOOP
#define NUM_PACKETS_IN_LOOP 20
#endif
#define CLI_DRAIN_EVERY 5

static int link_type;
static unsigned long cli_frames;

/* The original command read captures through libpcap with the filter
 * "ip or vlan" and printed expired flows after every 5th frame that passed
 * it (IPv4 EtherType, valid header or not, or any VLAN-tagged frame). The
 * filter is only used to count here: every frame goes to the library.
 * libpcap 1.10's "vlan" is EtherType 0x8100, 0x88a8 or 0x9100. */
static struct bpf_program cli_filter;
static int have_cli_filter;

static void cli_cadence(u_char *user, const struct pcap_pkthdr *h, const u_char *p) {
    joy_process_packet(user, h, p);
    if (have_cli_filter && pcap_offline_filter(&cli_filter, h, p) && ++cli_frames % CLI_DRAIN_EVERY == 0) {
        joy_print_flow_data((unsigned)(uintptr_t)user, JOY_EXPIRED_FLOWS);
    }
}

int main(int argc, char **argv) {
    char errbuf[PCAP_ERRBUF_SIZE];
    struct joy_init init;
    int cli = 0, first = 1, rc = 0;
    const char *filter = NULL, *anon = NULL, *users = NULL, *label = NULL, *model = NULL, *cdist = NULL;
    int idp = 0;
    char *end;

    for (; first < argc && argv[first][0] == '-' && argv[first][1] != '\0'; first++) {
        if (strcmp(argv[first], "-c") == 0) {
            cli = 1;
        } else if (strcmp(argv[first], "-f") == 0 && first + 1 < argc) {
            filter = argv[++first];
        } else if (strcmp(argv[first], "-a") == 0 && first + 1 < argc) {
            anon = argv[++first];
        } else if (strcmp(argv[first], "-u") == 0 && first + 1 < argc) {
            users = argv[++first];
        } else if (strcmp(argv[first], "-l") == 0 && first + 1 < argc) {
            label = argv[++first];
        } else if (strcmp(argv[first], "-i") == 0 && first + 1 < argc) {
            idp = atoi(argv[++first]);
        } else if (strcmp(argv[first], "-m") == 0 && first + 1 < argc) {
            model = argv[++first];
        } else if (strcmp(argv[first], "-b") == 0 && first + 1 < argc) {
            cdist = argv[++first];
        } else {
            break;
        }
    }
    if (argc < first + 2) {
        fprintf(stderr, "usage: %s [-c] [-f FILTER] [-a ANON_FILE] [-u USER_FILE] [-l NAME:FILE]\n"
                "       [-i IDP] [-m SPLT:BD] [-b CDIST] BITMASK FILE...\n", argv[0]);
        return 2;
    }
    memset(&init, 0, sizeof init);
    init.type = 1;
    init.verbosity = 4;
    init.idp = idp;
    init.bitmask = (uint32_t)strtoul(argv[first], &end, 0);
    if (*argv[first] == '\0' || *end != '\0') {
        fprintf(stderr, "%s: bad bitmask '%s'\n", argv[0], argv[first]);
        return 2;
    }
    if (joy_initialize(&init, NULL, NULL, NULL) != 0) {
        fprintf(stderr, "%s: joy_initialize failed\n", argv[0]);
        return 1;
    }
    if (anon != NULL && joy_anon_subnets((char *)anon) != 0) {
        return 1;
    }
    if (users != NULL && joy_anon_http_usernames((char *)users) != 0) {
        return 1;
    }
    if (label != NULL) {
        /* NAME:FILE, as the joy command's label= option. */
        char name[256];
        const char *colon = strchr(label, ':');
        if (colon == NULL || (size_t)(colon - label) >= sizeof name) {
            fprintf(stderr, "%s: -l wants NAME:FILE\n", argv[0]);
            return 2;
        }
        memcpy(name, label, (size_t)(colon - label));
        name[colon - label] = '\0';
        if (joy_label_subnets(name, JOY_FILE_SUBNET, (char *)colon + 1) != 0) {
            return 1;
        }
    }
    if (model != NULL) {
        /* SPLT:BD, as the joy command's model= option. */
        char splt[1024];
        const char *colon = strchr(model, ':');
        if (colon == NULL || (size_t)(colon - model) >= sizeof splt) {
            fprintf(stderr, "%s: -m wants SPLT_FILE:BD_FILE\n", argv[0]);
            return 2;
        }
        memcpy(splt, model, (size_t)(colon - model));
        splt[colon - model] = '\0';
        if (joy_update_splt_bd_params(splt, (char *)colon + 1) != 0) {
            return 1;
        }
    }
    if (cdist != NULL && joy_get_compact_bd((char *)cdist) != 0) {
        return 1;
    }
    joy_print_config(JOY_JSON_FORMAT);

    for (int i = first + 1; i < argc; i++) {
        pcap_t *handle = pcap_open_offline(argv[i], errbuf);
        int more;
        if (handle == NULL) {
            fprintf(stderr, "%s: %s\n", argv[0], errbuf);
            rc = 1;
            continue;
        }
        if (filter != NULL) {
            struct bpf_program fp;
            if (pcap_compile(handle, &fp, filter, 0, PCAP_NETMASK_UNKNOWN) == -1 ||
                pcap_setfilter(handle, &fp) == -1) {
                fprintf(stderr, "%s: filter '%s': %s\n", argv[0], filter, pcap_geterr(handle));
                pcap_close(handle);
                return 1;
            }
            pcap_freecode(&fp);
        }
        link_type = pcap_datalink(handle);
        if (joy_set_link_type(0, link_type) != 0) {
            fprintf(stderr, "%s: %s: link type %d not supported\n", argv[0], argv[i], link_type);
        }
        if (cli) {
            cli_frames = 0;
            /* Link types without VLAN tags (which the original refused)
             * count IPv4 frames. */
            have_cli_filter = pcap_compile(handle, &cli_filter, "ip or vlan", 1, PCAP_NETMASK_UNKNOWN) == 0 ||
                              pcap_compile(handle, &cli_filter, "ip", 1, PCAP_NETMASK_UNKNOWN) == 0;
            if (pcap_loop(handle, -1, cli_cadence, (u_char *)0) == -1) {
                fprintf(stderr, "%s: %s: %s\n", argv[0], argv[i], pcap_geterr(handle));
                rc = 1;
            }
            /* The command makes one more pass for expired flows at the end. */
            joy_print_flow_data(0, JOY_EXPIRED_FLOWS);
            if (have_cli_filter) {
                pcap_freecode(&cli_filter);
                have_cli_filter = 0;
            }
        } else {
            do {
                more = pcap_dispatch(handle, NUM_PACKETS_IN_LOOP, joy_process_packet, (u_char *)0);
                if (more < 0) {
                    fprintf(stderr, "%s: %s: %s\n", argv[0], argv[i], pcap_geterr(handle));
                    rc = 1;
                }
                joy_print_flow_data(0, JOY_EXPIRED_FLOWS);
            } while (more > 0);
        }
        pcap_close(handle);
        joy_print_flow_data(0, JOY_ALL_FLOWS);
    }
    joy_cleanup(0);
    fflush(stdout);
    return rc;
}
