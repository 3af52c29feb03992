/*
 * joy_options: joy_set_option, the extension that sets any option by the
 * joy command's name and value before joy_initialize (issue #14).
 *
 *   joy_options OUT CAPTURE BITMASK [NAME=VALUE ...]
 *       set the options, initialize with BITMASK (a number, 0x.. allowed)
 *       writing to file OUT, print the configuration record and every
 *       record of CAPTURE (options_test.sh compares runs)
 *   joy_options --misuse OUTDIR
 *       NULL, unknown names, bad values and a call after joy_initialize
 *       are refused with 1 (and logged); good calls before it return 0 and
 *       show in the configuration record
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pcap.h>
#include "joy_api.h"

static int failures;

static void expect(int got, int want, const char *what) {
    if (got != want) {
        fprintf(stderr, "FAIL: %s returned %d, want %d\n", what, got, want);
        failures++;
    }
}

static int run(const char *out, const char *capture, const char *mask, char **opts, int nopts) {
    char errbuf[PCAP_ERRBUF_SIZE];
    struct joy_init init;
    pcap_t *handle;
    int i;
    for (i = 0; i < nopts; i++) {
        char *eq = strchr(opts[i], '=');
        if (eq == NULL) {
            fprintf(stderr, "option %s: want NAME=VALUE\n", opts[i]);
            return 2;
        }
        *eq = '\0';
        if (joy_set_option(opts[i], eq + 1) != 0) {
            fprintf(stderr, "joy_set_option(%s, %s) failed\n", opts[i], eq + 1);
            return 1;
        }
    }
    memset(&init, 0, sizeof init);
    init.type = 1;
    init.verbosity = 4;
    init.bitmask = (uint32_t)strtoul(mask, NULL, 0);
    /* output_dir and output_file: OUT split at its last slash. */
    {
        char dir[1024];
        const char *slash = strrchr(out, '/');
        size_t n = slash == NULL ? 0 : (size_t)(slash - out);
        if (n >= sizeof dir) {
            return 2;
        }
        memcpy(dir, out, n);
        dir[n] = '\0';
        if (joy_initialize(&init, slash == NULL ? NULL : dir, (char *)(slash == NULL ? out : slash + 1), NULL) != 0) {
            fprintf(stderr, "joy_initialize failed\n");
            return 1;
        }
    }
    joy_print_config(JOY_JSON_FORMAT);
    handle = pcap_open_offline(capture, errbuf);
    if (handle == NULL) {
        fprintf(stderr, "%s\n", errbuf);
        return 1;
    }
    if (pcap_dispatch(handle, -1, joy_process_packet, (unsigned char *)(uintptr_t)0) < 0) {
        fprintf(stderr, "%s\n", pcap_geterr(handle));
        return 1;
    }
    pcap_close(handle);
    joy_print_flow_data(0, JOY_ALL_FLOWS);
    joy_cleanup(0);
    return 0;
}

static int misuse(const char *outdir) {
    struct joy_init init;
    char line[4096];
    FILE *f;
    char path[1024];

    /* mkdir -p outdir (parts may exist) */
    snprintf(path, sizeof path, "%s", outdir);
    {
        char *p;
        for (p = path + 1; *p != '\0'; p++) {
            if (*p == '/') {
                *p = '\0';
                mkdir(path, 0755);
                *p = '/';
            }
        }
        mkdir(path, 0755);
    }

    /* Refused before joy_initialize: one log line each. */
    expect(joy_set_option(NULL, "1"), 1, "joy_set_option(NULL, \"1\")");
    expect(joy_set_option("wht", NULL), 1, "joy_set_option(\"wht\", NULL)");
    expect(joy_set_option(NULL, NULL), 1, "joy_set_option(NULL, NULL)");
    expect(joy_set_option("no_such_option", "1"), 1, "joy_set_option(\"no_such_option\", \"1\")");
    expect(joy_set_option("", "1"), 1, "joy_set_option(\"\", \"1\")");
    expect(joy_set_option("wht", "2"), 1, "joy_set_option(\"wht\", \"2\")");
    expect(joy_set_option("wht", "yes"), 1, "joy_set_option(\"wht\", \"yes\")");
    expect(joy_set_option("hd", "33"), 1, "joy_set_option(\"hd\", \"33\")");
    expect(joy_set_option("type", "3"), 1, "joy_set_option(\"type\", \"3\")");
    expect(joy_set_option("idp", "-1"), 1, "joy_set_option(\"idp\", \"-1\")");
    expect(joy_set_option("format", "xml"), 1, "joy_set_option(\"format\", \"xml\")");
    /* Accepted. */
    expect(joy_set_option("wht", "1"), 0, "joy_set_option(\"wht\", \"1\")");
    expect(joy_set_option("num_pkts", "20"), 0, "joy_set_option(\"num_pkts\", \"20\")");
    expect(joy_set_option("hd", "4"), 0, "joy_set_option(\"hd\", \"4\")");
    expect(joy_set_option("hd", "8"), 0, "joy_set_option(\"hd\", \"8\") (a later value wins)");

    memset(&init, 0, sizeof init);
    init.type = 1;
    init.verbosity = 4;
    init.bitmask = JOY_BIDIR_ON | JOY_HEADER_ON;
    expect(joy_initialize(&init, (char *)outdir, "misuse.json", NULL), 0, "joy_initialize");
    /* The configuration is read-only now. */
    expect(joy_set_option("ppi", "1"), 1, "joy_set_option(\"ppi\", \"1\") after joy_initialize");
    expect(joy_set_option(NULL, "1"), 1, "joy_set_option(NULL, \"1\") after joy_initialize");
    joy_print_config(JOY_JSON_FORMAT);
    joy_cleanup(0);

    snprintf(path, sizeof path, "%s/misuse.json", outdir);
    f = fopen(path, "r");
    if (f == NULL || fgets(line, sizeof line, f) == NULL) {
        fprintf(stderr, "FAIL: no configuration record in %s\n", path);
        return 1;
    }
    fclose(f);
    {
        const char *want[] = {"\"bidir\":1", "\"num_pkts\":20", "\"hd\":8", "\"wht\":1", "\"ppi\":0"};
        size_t i;
        for (i = 0; i < sizeof want / sizeof want[0]; i++) {
            if (strstr(line, want[i]) == NULL) {
                fprintf(stderr, "FAIL: configuration record lacks %s: %s", want[i], line);
                failures++;
            }
        }
    }
    return failures != 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--misuse") == 0) {
        return misuse(argv[2]);
    }
    if (argc < 4) {
        fprintf(stderr, "usage: %s OUT CAPTURE BITMASK [NAME=VALUE ...] | --misuse OUTDIR\n", argv[0]);
        return 2;
    }
    return run(argv[1], argv[2], argv[3], argv + 4, argc - 4);
}
