/*
 * joy_privacy: the privacy functions of the guide from C. Every bad input
 * must return 1 (and log why) and leave the earlier configuration in
 * force; then a capture is processed and no address of the anonymized
 * subnet may appear in the output, while the labels do.
 *
 *   joy_privacy WORKDIR CAPTURE     (output in WORKDIR/out.json)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    fputs(text, f);
    fclose(f);
}

int main(int argc, char **argv) {
    struct joy_init init;
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *handle;
    FILE *f;
    char *line;
    long i;

    if (argc != 3 || chdir(argv[1]) != 0) {
        fprintf(stderr, "usage: %s WORKDIR CAPTURE\n", argv[0]);
        return 2;
    }
    unlink("joy.bin");
    write_file("good.net", "# the lab\n10.0.0.0/8   # private\n\n");
    write_file("wide.net", "10.0.0.0/33\n");
    write_file("six.net", "2001:db8::/129\n");
    write_file("garbage.net", "this is not a subnet\n");
    write_file("users.txt", "velma\nessays\n");
    mkdir("adir", 0700);
    f = fopen("long.net", "w");
    line = malloc(10 * 1024 * 1024);
    memset(line, '1', 10 * 1024 * 1024);
    fwrite(line, 1, 10 * 1024 * 1024, f);
    fputs("\n", f);
    fclose(f);
    free(line);

    memset(&init, 0, sizeof init);
    init.type = 1;
    init.verbosity = 4;
    init.bitmask = JOY_BIDIR_ON | JOY_HTTP_ON | JOY_DNS_ON;
    if (joy_initialize(&init, NULL, "out.json", NULL) != 0) {
        fprintf(stderr, "joy_initialize failed\n");
        return 1;
    }

    /* The good configuration first; every bad call after it must fail and
     * leave it in force. */
    expect(joy_anon_subnets("good.net"), 0, "joy_anon_subnets(good)");
    expect(joy_label_subnets("lab", JOY_FILE_SUBNET, "good.net"), 0, "joy_label_subnets(file)");
    expect(joy_label_subnets("one", JOY_SINGLE_SUBNET, "10.0.2.15"), 0, "joy_label_subnets(single /32)");
    expect(joy_anon_http_usernames("users.txt"), 0, "joy_anon_http_usernames(good)");

    expect(joy_anon_subnets(NULL), 1, "joy_anon_subnets(NULL)");
    expect(joy_anon_subnets("missing.net"), 1, "joy_anon_subnets(missing)");
    expect(joy_anon_subnets("adir"), 1, "joy_anon_subnets(directory)");
    expect(joy_anon_subnets("wide.net"), 1, "joy_anon_subnets(/33)");
    expect(joy_anon_subnets("six.net"), 1, "joy_anon_subnets(IPv6 /129)");
    expect(joy_anon_subnets("garbage.net"), 1, "joy_anon_subnets(garbage)");
    expect(joy_anon_subnets("long.net"), 1, "joy_anon_subnets(10 MB line)");
    expect(joy_anon_http_usernames(NULL), 1, "joy_anon_http_usernames(NULL)");
    expect(joy_anon_http_usernames("missing.txt"), 1, "joy_anon_http_usernames(missing)");
    expect(joy_anon_http_usernames("adir"), 1, "joy_anon_http_usernames(directory)");
    expect(joy_label_subnets(NULL, JOY_SINGLE_SUBNET, "10.0.0.0/8"), 1, "joy_label_subnets(NULL label)");
    expect(joy_label_subnets("", JOY_SINGLE_SUBNET, "10.0.0.0/8"), 1, "joy_label_subnets(empty label)");
    expect(joy_label_subnets("x", 2, "10.0.0.0/8"), 1, "joy_label_subnets(type 2)");
    expect(joy_label_subnets("x", JOY_SINGLE_SUBNET, "10.0.0.0/33"), 1, "joy_label_subnets(/33)");
    expect(joy_label_subnets("x", JOY_SINGLE_SUBNET, NULL), 1, "joy_label_subnets(NULL subnet)");
    expect(joy_label_subnets("x", JOY_FILE_SUBNET, "garbage.net"), 1, "joy_label_subnets(garbage file)");
    expect(joy_label_subnets("x", JOY_FILE_SUBNET, "long.net"), 1, "joy_label_subnets(10 MB line)");

    {
        struct stat st;
        if (stat("joy.bin", &st) != 0 || (st.st_mode & 0777) != 0600 || st.st_size != 16) {
            fprintf(stderr, "FAIL: joy.bin missing or not a 16-byte file of mode 0600\n");
            failures++;
        }
    }

    handle = pcap_open_offline(argv[2], errbuf);
    if (handle == NULL) {
        fprintf(stderr, "%s\n", errbuf);
        return 1;
    }
    while (pcap_dispatch(handle, 20, joy_process_packet, (u_char *)0) > 0) {
        joy_print_flow_data(0, JOY_EXPIRED_FLOWS);
    }
    joy_print_flow_data(0, JOY_ALL_FLOWS);
    joy_cleanup(0);
    pcap_close(handle);
    for (i = 0; i < MAX_LIB_CONTEXTS; i++) {
        joy_cleanup((unsigned int)i);
    }
    printf("%d failures\n", failures);
    return failures == 0 ? 0 : 1;
}
