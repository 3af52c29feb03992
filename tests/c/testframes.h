/*
 * testframes.h: synthetic frames and small helpers for the C tests that
 * need no capture file (output failures, the panic test, the fuzz seeds,
 * the long run). Header-only; every function is static.
 */
#ifndef JOY_TESTFRAMES_H
#define JOY_TESTFRAMES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap.h>
#include "joy_api.h"

static inline void tf_put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void tf_put32(uint8_t *p, uint32_t v) { tf_put16(p, v >> 16); tf_put16(p + 2, v & 0xffff); }

/* Ethernet + IPv4 + UDP from src:sp to dst:dp with the given payload;
 * returns the frame length. f must hold 42 + len bytes. */
static inline size_t tf_udp4(uint8_t *f, uint32_t src, uint32_t dst, unsigned sp, unsigned dp,
                      const void *payload, size_t len) {
    uint8_t *ip = f + 14, *udp = ip + 20;
    memset(f, 0, 42);
    memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
    tf_put16(f + 12, 0x0800);
    ip[0] = 0x45;
    tf_put16(ip + 2, (unsigned)(28 + len));
    ip[8] = 64;
    ip[9] = 17;
    tf_put32(ip + 12, src);
    tf_put32(ip + 16, dst);
    tf_put16(udp, sp);
    tf_put16(udp + 2, dp);
    tf_put16(udp + 4, (unsigned)(8 + len));
    if (len > 0) {
        memcpy(udp + 8, payload, len);
    }
    return 42 + len;
}

static inline void tf_feed(unsigned index, int64_t sec, long usec, const uint8_t *frame, size_t caplen) {
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof h);
    h.ts.tv_sec = (time_t)sec;
    h.ts.tv_usec = (suseconds_t)usec;
    h.caplen = (bpf_u_int32)caplen;
    h.len = (bpf_u_int32)caplen;
    joy_process_packet((unsigned char *)(uintptr_t)index, &h, frame);
}

/* n one-packet UDP flows 10.x.y.z:port -> 192.0.2.1:53, numbered from first. */
static inline void tf_flows(unsigned index, int64_t sec, unsigned first, unsigned n) {
    uint8_t f[64];
    for (unsigned i = first; i < first + n; i++) {
        size_t len = tf_udp4(f, 0x0a000000u | i, 0xc0000201u, 1024 + (i % 60000), 53, "payload", 7);
        tf_feed(index, sec, (long)(i % 1000000), f, len);
    }
}

/* Lines of a file (-1 if it cannot be read), and how many contain needle. */
static inline long tf_count_lines(const char *path, const char *needle, long *matching) {
    FILE *f = fopen(path, "r");
    char line[8192];
    long n = 0, m = 0;
    if (f == NULL) {
        return -1;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        if (strchr(line, '\n') != NULL) {
            n++;
        }
        if (needle != NULL && strstr(line, needle) != NULL) {
            m++;
        }
    }
    fclose(f);
    if (matching != NULL) {
        *matching = m;
    }
    return n;
}

#endif
