/*
 * joy_misuse: every way a careless host can call libjoy must be survived.
 * The original crashed on several of these (calls before joy_initialize,
 * double cleanup with IPFIX, short frames); the library must log and go on.
 *
 *   joy_misuse [ITERATIONS]      (random-frame iterations, default 20000)
 *
 * Checks that have a defined answer (int returns of bad calls, return codes
 * of joy_initialize, the final sanity run) are counted; the rest only have
 * to return. Exits 0 and prints a summary line when nothing failed. Writes
 * its output and log files in a temporary directory it removes afterwards.
 */
#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <pcap.h>
#include "joy_api.h"
#include "check.h"

static char tmpdir[] = "/tmp/joy_misuse.XXXXXX";

/* ---- frame builders -------------------------------------------------- */

static void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v & 0xffff); }

/* Ethernet + IPv4 + transport header + payload; returns the frame length.
 * proto 6 gets a 20-byte TCP header (flags given), 17 UDP, 1 ICMP echo. */
static size_t build_v4(uint8_t *f, uint8_t proto, uint32_t src, uint32_t dst, unsigned sp,
                       unsigned dp, uint8_t tcp_flags, size_t payload) {
    uint8_t *ip = f + 14, *l4 = ip + 20;
    size_t l4len = proto == 6 ? 20 : 8;
    size_t iplen = 20 + l4len + payload;
    memset(f, 0, 14 + iplen);
    memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
    put16(f + 12, 0x0800);
    ip[0] = 0x45;
    put16(ip + 2, (unsigned)iplen);
    put16(ip + 4, 0x1234);
    ip[8] = 64;
    ip[9] = proto;
    put32(ip + 12, src);
    put32(ip + 16, dst);
    if (proto == 6) {
        put16(l4, sp);
        put16(l4 + 2, dp);
        put32(l4 + 4, 1000);
        put32(l4 + 8, tcp_flags & 0x10 ? 5000 : 0);
        l4[12] = 5 << 4;
        l4[13] = tcp_flags;
        put16(l4 + 14, 65535);
    } else if (proto == 17) {
        put16(l4, sp);
        put16(l4 + 2, dp);
        put16(l4 + 4, (unsigned)(8 + payload));
    } else {
        l4[0] = 8; /* echo request */
    }
    for (size_t i = 0; i < payload; i++) {
        l4[l4len + i] = (uint8_t)(0x16 + i); /* starts like a TLS record */
    }
    return 14 + iplen;
}

/* Ethernet + IPv6 + TCP SYN. */
static size_t build_v6(uint8_t *f) {
    uint8_t *ip = f + 14, *tcp = ip + 40;
    memset(f, 0, 14 + 40 + 20);
    put16(f + 12, 0x86dd);
    ip[0] = 0x60;
    put16(ip + 4, 20);
    ip[6] = 6;
    ip[7] = 64;
    ip[8] = 0x20; ip[9] = 0x01; ip[23] = 1;  /* 2001::1 */
    ip[24] = 0x20; ip[25] = 0x01; ip[39] = 2; /* 2001::2 */
    put16(tcp, 1234);
    put16(tcp + 2, 443);
    tcp[12] = 5 << 4;
    tcp[13] = 0x02;
    return 14 + 40 + 20;
}

/* An 802.1Q-tagged copy of an Ethernet frame. */
static size_t add_vlan(uint8_t *dst, const uint8_t *src, size_t len) {
    memcpy(dst, src, 12);
    put16(dst + 12, 0x8100);
    put16(dst + 14, 42);
    memcpy(dst + 16, src + 12, len - 12);
    return len + 4;
}

static void feed(unsigned long index, int64_t sec, long usec, const uint8_t *frame, uint32_t caplen) {
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof h);
    h.ts.tv_sec = (time_t)sec;
    h.ts.tv_usec = (suseconds_t)usec;
    h.caplen = caplen;
    h.len = caplen;
    joy_process_packet((u_char *)(uintptr_t)index, &h, frame);
}

/* Every prefix of the frame (caplen 0 .. len), then the whole frame. */
static void feed_prefixes(unsigned index, int64_t sec, const uint8_t *frame, size_t len) {
    for (size_t n = 0; n <= len; n++) {
        feed(index, sec, (long)n, frame, (uint32_t)n);
    }
}

/* ---- helpers ----------------------------------------------------------- */

static char *path_in_tmp(const char *name) {
    static char buf[4][PATH_MAX];
    static int which;
    char *p = buf[which++ % 4];
    snprintf(p, PATH_MAX, "%s/%s", tmpdir, name);
    return p;
}

static long count_lines(const char *path, const char *needle) {
    FILE *f = fopen(path, "r");
    char line[1 << 16];
    long n = 0;
    if (f == NULL) {
        return -1;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        if (needle == NULL || strstr(line, needle) != NULL) {
            n++;
        }
    }
    fclose(f);
    return n;
}

static void remove_tmpdir(void) {
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    if (d == NULL) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            unlink(path_in_tmp(e->d_name));
        }
    }
    closedir(d);
    rmdir(tmpdir);
}

static int init_with(uint32_t bitmask, const char *dir, const char *file, const char *log) {
    struct joy_init init;
    memset(&init, 0, sizeof init);
    init.type = 1;
    init.verbosity = 4;
    init.bitmask = bitmask;
    return joy_initialize(&init, (char *)dir, (char *)file, (char *)log);
}

/* The not-yet and data-file functions: bad arguments must give 1. */
static void bad_setup_calls(const char *stage) {
    char what[128];
    snprintf(what, sizeof what, "%s: bad setup call returns 1", stage);
    CHECK(joy_anon_subnets(NULL) == 1, what);
    CHECK(joy_anon_subnets("/nonexistent/anon.net") == 1, what);
    CHECK(joy_anon_http_usernames(NULL) == 1, what);
    /* The original exit()ed the host here (QUIRK-10); a library must not. */
    CHECK(joy_anon_http_usernames("/nonexistent/users.txt") == 1, what);
    CHECK(joy_update_splt_bd_params(NULL, NULL) == 1, what);
    CHECK(joy_update_splt_bd_params("/nonexistent/splt", NULL) == 1, what);
    CHECK(joy_update_splt_bd_params(NULL, "/nonexistent/bd") == 1, what);
    /* Missing files were silently accepted by the original: no fixed answer. */
    (void)joy_update_splt_bd_params("/nonexistent/splt", "/nonexistent/bd");
    CHECK(joy_get_compact_bd(NULL) == 1, what);
    CHECK(joy_get_compact_bd("/nonexistent/cbd.txt") == 1, what);
    CHECK(joy_label_subnets(NULL, JOY_SINGLE_SUBNET, NULL) == 1, what);
    CHECK(joy_label_subnets("x", JOY_SINGLE_SUBNET, NULL) == 1, what);
    CHECK(joy_label_subnets(NULL, JOY_SINGLE_SUBNET, "10.0.0.0/8") == 1, what);
    CHECK(joy_label_subnets("x", JOY_SINGLE_SUBNET, "not-a-subnet") == 1, what);
    CHECK(joy_label_subnets("x", JOY_FILE_SUBNET, "/nonexistent/subnets.txt") == 1, what);
}

/* A few of each frame kind, complete and cut short, on context index. */
static void short_frames(unsigned index, int64_t sec) {
    uint8_t f[2048], g[2048];
    size_t n;

    n = build_v4(f, 6, 0x0a000001, 0x0a000002, 40000, 443, 0x02, 0);
    feed_prefixes(index, sec, f, n);
    n = build_v4(f, 6, 0x0a000002, 0x0a000001, 443, 40000, 0x12, 0);
    feed_prefixes(index, sec, f, n);
    n = build_v4(f, 6, 0x0a000001, 0x0a000002, 40000, 443, 0x18, 200);
    feed_prefixes(index, sec + 1, f, n);
    n = build_v4(f, 17, 0x0a000001, 0x0a000035, 5353, 53, 0, 40);
    feed_prefixes(index, sec + 1, f, n);
    n = build_v4(f, 1, 0x0a000001, 0x0a000003, 0, 0, 0, 16);
    feed_prefixes(index, sec + 1, f, n);
    n = build_v6(f);
    feed_prefixes(index, sec + 2, f, n);
    n = build_v4(f, 17, 0x0a000001, 0x0a000004, 68, 67, 0, 300);
    n = add_vlan(g, f, n);
    feed_prefixes(index, sec + 2, g, n);
    /* Two VLAN tags. */
    n = add_vlan(f, g, n);
    feed_prefixes(index, sec + 2, f, n);

    /* Header fields that lie about lengths. */
    n = build_v4(f, 6, 0x0a000001, 0x0a000002, 40001, 80, 0x18, 64);
    f[14] = 0x4f; /* IHL 60 bytes, longer than the packet */
    feed(index, sec + 3, 0, f, (uint32_t)n);
    f[14] = 0x43; /* IHL 12 bytes, below the minimum */
    feed(index, sec + 3, 1, f, (uint32_t)n);
    f[14] = 0x45;
    put16(f + 16, 10); /* total length shorter than the header */
    feed(index, sec + 3, 2, f, (uint32_t)n);
    put16(f + 16, 60000); /* total length beyond caplen */
    feed(index, sec + 3, 3, f, (uint32_t)n);
    put16(f + 16, (unsigned)(n - 14));
    f[14 + 20 + 12] = 0xf0; /* TCP data offset 60 bytes */
    feed(index, sec + 3, 4, f, (uint32_t)n);
    f[14 + 20 + 12] = 0x10; /* TCP data offset 4 bytes */
    feed(index, sec + 3, 5, f, (uint32_t)n);
    f[14 + 20 + 12] = 0x50;
    f[14] = 0x65; /* version 6 in an IPv4 frame */
    feed(index, sec + 3, 6, f, (uint32_t)n);
    f[14] = 0x45;
    put16(f + 14 + 6, 0x2000 | 100); /* a later fragment */
    feed(index, sec + 3, 7, f, (uint32_t)n);
    put16(f + 14 + 6, 0x2000); /* first fragment, more to come */
    feed(index, sec + 3, 8, f, (uint32_t)n);
    put16(f + 12, 0x0806); /* ARP */
    feed(index, sec + 3, 9, f, (uint32_t)n);
}

/* Deterministic xorshift, so a failing iteration can be replayed. */
static uint32_t rng_state = 2463534242u;
static uint32_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* Mutated frames: a few bytes flipped, random caplen, odd timestamps,
 * all ten contexts, draining now and then. */
static void random_frames(long iterations) {
    uint8_t base[4][2048], f[2048];
    size_t len[4];
    int64_t sec = 1577836800;

    len[0] = build_v4(base[0], 6, 0xc0a80001, 0xc0a80002, 40000, 443, 0x18, 300);
    len[1] = build_v4(base[1], 17, 0xc0a80001, 0xc0a80035, 5353, 53, 0, 60);
    len[2] = build_v6(base[2]);
    len[3] = add_vlan(base[3], base[0], len[0]);
    for (long i = 0; i < iterations; i++) {
        int k = (int)(rnd() % 4);
        size_t n = len[k];
        memcpy(f, base[k], n);
        for (int m = (int)(rnd() % 5); m > 0; m--) {
            f[rnd() % n] = (uint8_t)rnd();
        }
        if (rnd() % 4 == 0) {
            n = rnd() % (n + 1);
        }
        switch (rnd() % 16) {
        case 0:
            sec -= rnd() % 100000; /* time going backwards */
            break;
        case 1:
            sec += rnd() % 100; /* long gaps expire flows */
            break;
        default:
            break;
        }
        long usec = (long)(rnd() % 1000000);
        if (rnd() % 64 == 0) {
            usec = (long)rnd(); /* out-of-range microseconds */
        }
        unsigned ctx = rnd() % MAX_LIB_CONTEXTS;
        feed(ctx, sec, usec, f, (uint32_t)n);
        if (i % 97 == 0) {
            joy_print_flow_data(ctx, JOY_EXPIRED_FLOWS);
        }
    }
    for (unsigned c = 0; c < MAX_LIB_CONTEXTS; c++) {
        joy_print_flow_data(c, JOY_ALL_FLOWS);
    }
}

int main(int argc, char **argv) {
    long iterations = argc > 1 ? atol(argv[1]) : 20000;
    uint8_t frame[2048];
    size_t n = build_v4(frame, 6, 0x0a000001, 0x0a000002, 40000, 443, 0x02, 0);
    struct pcap_pkthdr hdr;
    char longname[MAX_FILENAME_LEN + 64];
    const unsigned long bad_index[] = {10, 11, 1000, 0x7fffffffUL, (unsigned long)-1};

    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    memset(&hdr, 0, sizeof hdr);
    hdr.caplen = hdr.len = (uint32_t)n;

    /* 1. Every function before joy_initialize. */
    joy_print_config(JOY_JSON_FORMAT);
    joy_print_config(JOY_TERMINAL_FORMAT);
    bad_setup_calls("before init");
    CHECK(joy_anon_subnets("/etc/hostname") == 1, "before init: anon_subnets");
    CHECK(joy_label_subnets("x", JOY_SINGLE_SUBNET, "10.0.0.0/8") == 1, "before init: label_subnets");
    CHECK(joy_get_compact_bd("/etc/hostname") == 1, "before init: get_compact_bd");
    joy_process_packet((u_char *)0, &hdr, frame);
    joy_process_packet((u_char *)0, NULL, NULL);
    joy_print_flow_data(0, JOY_EXPIRED_FLOWS);
    joy_print_flow_data(0, JOY_ALL_FLOWS);
    joy_export_flows_ipfix(0, JOY_ALL_FLOWS);
    joy_cleanup(0);
    joy_cleanup(1000);
    CHECK(joy_set_link_type(0, DLT_EN10MB) == 1, "before init: set_link_type");

    /* 2. joy_initialize with impossible arguments. */
    CHECK(joy_initialize(NULL, NULL, NULL, NULL) == 1, "NULL init data");
    CHECK(init_with(JOY_BIDIR_ON, "/nonexistent/dir", "out.json", NULL) == 1, "missing output dir");
    CHECK(init_with(JOY_BIDIR_ON, NULL, NULL, "/nonexistent/dir/joy.log") == 1, "missing log dir");
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    CHECK(init_with(JOY_BIDIR_ON, tmpdir, longname, NULL) == 1, "output path too long");
    /* Failed initializations must leave the library uninitialized. */
    joy_process_packet((u_char *)0, &hdr, frame);
    CHECK(joy_set_link_type(0, DLT_EN10MB) == 1, "still uninitialized after failed init");

    /* 3. A real initialization; log and output in the temp dir. */
    CHECK(init_with(JOY_BIDIR_ON, tmpdir, "out1.json", path_in_tmp("joy.log")) == 0, "init to file");
    joy_print_config(JOY_JSON_FORMAT);
    joy_print_config(JOY_TERMINAL_FORMAT);
    joy_print_config(42);
    joy_print_config(-1);
    bad_setup_calls("after init");

    /* 4. Context numbers out of range, NULL arguments. */
    for (size_t i = 0; i < sizeof bad_index / sizeof bad_index[0]; i++) {
        joy_process_packet((u_char *)(uintptr_t)bad_index[i], &hdr, frame);
        joy_print_flow_data((unsigned)bad_index[i], JOY_EXPIRED_FLOWS);
        joy_print_flow_data((unsigned)bad_index[i], JOY_ALL_FLOWS);
        joy_export_flows_ipfix((unsigned)bad_index[i], JOY_ALL_FLOWS);
        joy_cleanup((unsigned)bad_index[i]);
        CHECK(joy_set_link_type((unsigned)bad_index[i], DLT_EN10MB) == 1, "set_link_type bad index");
    }
    joy_process_packet((u_char *)0, NULL, frame);
    joy_process_packet((u_char *)0, &hdr, NULL);
    joy_process_packet((u_char *)0, NULL, NULL);
    joy_print_flow_data(0, 42);
    joy_print_flow_data(0, -1);
    CHECK(joy_set_link_type(0, 9999) == 1, "unsupported link type");
    CHECK(joy_set_link_type(0, -1) == 1, "negative link type");

    /* 5. Short and lying frames on every supported link type. */
    short_frames(0, 1577836800);
    {
        const int dlts[] = {DLT_NULL, DLT_RAW, DLT_LINUX_SLL, 12, 14, 101, 276, 228, 229, DLT_LOOP};
        for (size_t i = 0; i < sizeof dlts / sizeof dlts[0]; i++) {
            uint8_t f[256];
            size_t m = build_v4(f, 6, 0x0a000001, 0x0a000002, 1, 2, 0x02, 20);
            (void)joy_set_link_type(1, dlts[i]); /* may be unsupported: then 1 */
            feed_prefixes(1, 1577836900 + (int64_t)i, f, m);
            /* The same bytes minus the Ethernet header. */
            feed_prefixes(1, 1577836900 + (int64_t)i, f + 14, m - 14);
        }
        joy_set_link_type(1, DLT_EN10MB);
    }
    joy_print_flow_data(0, JOY_EXPIRED_FLOWS);
    joy_print_flow_data(0, JOY_ALL_FLOWS);
    joy_print_flow_data(1, JOY_ALL_FLOWS);

    /* 6. Cleanup twice, then use the context again. */
    short_frames(2, 1577836800);
    joy_cleanup(2);
    joy_cleanup(2);
    joy_print_flow_data(2, JOY_ALL_FLOWS);
    short_frames(2, 1577836800);
    joy_export_flows_ipfix(2, JOY_EXPIRED_FLOWS);
    joy_cleanup(2);

    /* 7. Re-initialization with flows still in the tables. */
    short_frames(3, 1577836800);
    CHECK(init_with(JOY_BIDIR_ON | JOY_ZERO_ON | JOY_RETRANS_ON, tmpdir, "out2.json",
                    path_in_tmp("joy.log")) == 0,
          "re-initialization");
    short_frames(3, 1577836800);
    CHECK(init_with(0, tmpdir, "out3.json", NULL) == 0, "second re-initialization");

    /* 8. Every feature bit (and unknown ones), except the host-inspecting
     * EXE bit, with random frames on all contexts. */
    CHECK(init_with(0xffffffffu & ~(uint32_t)JOY_EXE_ON & ~(uint32_t)JOY_IPFIX_EXPORT_ON, tmpdir,
                    "out4.json", path_in_tmp("joy.log")) == 0,
          "init with all bits");
    short_frames(4, 1577836800);
    random_frames(iterations);

    /* 9. IPFIX export towards localhost, cleanup twice (the original freed
     * its template store twice here). */
    {
        struct joy_init init;
        memset(&init, 0, sizeof init);
        init.type = 2;
        init.verbosity = 5;
        init.bitmask = JOY_BIDIR_ON | JOY_IPFIX_EXPORT_ON;
        CHECK(joy_initialize(&init, tmpdir, "out5.json", path_in_tmp("joy.log")) == 0, "init with IPFIX");
        short_frames(5, 1577836800);
        joy_export_flows_ipfix(5, JOY_EXPIRED_FLOWS);
        joy_export_flows_ipfix(5, JOY_ALL_FLOWS);
        joy_cleanup(5);
        joy_cleanup(5);
        short_frames(5, 1577836800);
        joy_export_flows_ipfix(5, JOY_ALL_FLOWS);
        joy_cleanup(5);
    }

    /* 10. Sanity: after all that, a plain run still produces a record. */
    CHECK(init_with(JOY_BIDIR_ON, tmpdir, "final.json", path_in_tmp("joy.log")) == 0, "final init");
    feed(7, 1577836800, 0, frame, (uint32_t)n);
    n = build_v4(frame, 6, 0x0a000002, 0x0a000001, 443, 40000, 0x12, 0);
    feed(7, 1577836800, 1000, frame, (uint32_t)n);
    joy_print_flow_data(7, JOY_ALL_FLOWS);
    joy_cleanup(7);
    /* Re-initializing closes (so flushes) the previous output file. */
    CHECK(init_with(JOY_BIDIR_ON, tmpdir, "last.json", NULL) == 0, "last init");
    CHECK(count_lines(path_in_tmp("final.json"), "\"sa\":\"10.0.0.1\"") == 1,
          "one flow record in final.json");
    CHECK(count_lines(path_in_tmp("final.json"), NULL) == 1, "nothing else in final.json");
    CHECK(count_lines(path_in_tmp("out1.json"), "end-config") >= 1, "config printed to out1.json");
    CHECK(count_lines(path_in_tmp("joy.log"), NULL) > 0, "errors were logged");
    /* libjoy turns a Go panic into an "internal error" log line instead of
     * crashing; for this test that is still a bug. */
    CHECK(count_lines(path_in_tmp("joy.log"), "internal error") == 0, "no recovered panics");

    printf("joy_misuse: %d checks, %d failed, %ld random frames, log %ld lines\n", checks, failures,
           iterations, count_lines(path_in_tmp("joy.log"), NULL));
    if (getenv("JOY_MISUSE_KEEP") != NULL) {
        fprintf(stderr, "joy_misuse: files kept in %s\n", tmpdir);
    } else {
        remove_tmpdir();
    }
    return failures == 0 ? 0 : 1;
}
