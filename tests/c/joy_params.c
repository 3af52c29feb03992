/*
 * joy_params: joy_update_splt_bd_params with parameter files written here.
 *
 * A model whose only non-zero weights are the bias, the ports, the packet
 * counts and the byte counts scores a flow with
 *     p = 1 / (1 + exp(-(w0 + w1*dp + w2*sp + w3*np_in + w4*np_out + w5*b_in + w6*b_out)))
 * The program builds one bidirectional UDP flow with known counts, feeds it
 * to a context with JOY_CLASSIFY_ON (SPLT model) and to one that also has
 * JOY_BYTE_DIST_ON (the BD model applies to flows of over 100 bytes), and
 * checks the printed p_malware against that formula computed here. It then
 * gives a parameter file with a wrong count and one with a non-number: each
 * call must return 1 and leave the loaded model in force.
 *
 *   joy_params      exits 0 and prints a summary line when every check holds
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pcap.h>
#include "joy_api.h"
#include "check.h"
#include "testframes.h"

#define NUM_SPLT 208 /* bias, 7 flow values, two 10x10 Markov chains */
#define NUM_BD 464   /* the SPLT values and 256 byte frequencies */

static char tmpdir[] = "/tmp/joy_params.XXXXXX";

/* Writes n values, all zero except those in w[0..nw-1], one per line. */
static void write_params(const char *path, int n, const double *w, int nw) {
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    for (int i = 0; i < n; i++)
        fprintf(f, "%.18e\n", i < nw ? w[i] : 0.0);
    fclose(f);
}

/* The client 10.0.0.1:40000 sends 300 and 40 bytes to 10.0.0.2:443, the
 * server answers 1200. */
static void feed_flow(unsigned ctx) {
    static const struct {
        int from_client;
        size_t len;
        long usec;
    } pkts[] = {{1, 300, 0}, {0, 1200, 7000}, {1, 40, 9000}};
    uint8_t frame[1600], payload[1500];
    for (size_t i = 0; i < sizeof pkts / sizeof pkts[0]; i++) {
        struct pcap_pkthdr h = {0};
        h.ts.tv_sec = 1600000000;
        h.ts.tv_usec = pkts[i].usec;
        memset(payload, pkts[i].from_client ? 'a' : 'b', pkts[i].len);
        if (pkts[i].from_client)
            h.caplen = (bpf_u_int32)tf_udp4(frame, 0x0a000001, 0x0a000002, 40000, 443, payload, pkts[i].len);
        else
            h.caplen = (bpf_u_int32)tf_udp4(frame, 0x0a000002, 0x0a000001, 443, 40000, payload, pkts[i].len);
        h.len = h.caplen;
        joy_process_packet((unsigned char *)(uintptr_t)ctx, &h, frame);
    }
    joy_print_flow_data(ctx, JOY_ALL_FLOWS);
}

/* Reads the next flow record of the output and its p_malware; -1 if none. */
static double next_score(FILE *out, long *bytes_out, long *bytes_in) {
    char line[1 << 16];
    while (fgets(line, sizeof line, out) != NULL) {
        char *p = strstr(line, "\"p_malware\":");
        char *bo = strstr(line, "\"bytes_out\":"), *bi = strstr(line, "\"bytes_in\":");
        if (p == NULL || bo == NULL || bi == NULL)
            continue;
        *bytes_out = strtol(bo + strlen("\"bytes_out\":"), NULL, 10);
        *bytes_in = strtol(bi + strlen("\"bytes_in\":"), NULL, 10);
        return strtod(p + strlen("\"p_malware\":"), NULL);
    }
    return -1;
}

static double logistic(double s) { return 1.0 / (1.0 + exp(-s)); }

int main(void) {
    char splt[512], bd[512], bad[512], out_path[512];
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    snprintf(splt, sizeof splt, "%s/splt.txt", tmpdir);
    snprintf(bd, sizeof bd, "%s/bd.txt", tmpdir);
    snprintf(bad, sizeof bad, "%s/bad.txt", tmpdir);
    snprintf(out_path, sizeof out_path, "%s/out.json", tmpdir);

    struct joy_init init = {0};
    init.type = 1;
    init.verbosity = 5; /* the bad files below are meant to fail */
    init.bitmask = JOY_BIDIR_ON | JOY_CLASSIFY_ON;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/", tmpdir);
    CHECK(joy_initialize(&init, dir, "out.json", NULL) == 0, "initialize");

    /* bias, dp, sp, packets in, packets out, bytes in, bytes out */
    const double w[7] = {0.75, 0.002, -1e-5, 0.1, -0.2, 3e-4, -1e-3};
    const double wbd[1] = {-1.25};
    write_params(splt, NUM_SPLT, w, 7);
    write_params(bd, NUM_BD, wbd, 1);
    CHECK(joy_update_splt_bd_params(splt, bd) == 0, "own parameter files load");

    feed_flow(0);

    /* A wrong count, then a non-number: refused, the model stays. */
    write_params(bad, NUM_SPLT - 1, w, 7);
    CHECK(joy_update_splt_bd_params(bad, bd) == 1, "207 SPLT values are refused");
    FILE *f = fopen(bad, "w");
    for (int i = 0; i < NUM_SPLT; i++)
        fprintf(f, i == 100 ? "zero\n" : "%.1f\n", 3.0);
    fclose(f);
    CHECK(joy_update_splt_bd_params(splt, bad) == 1, "a non-number in the BD file is refused");
    feed_flow(0);
    joy_cleanup(0);

    FILE *out = fopen(out_path, "r");
    CHECK(out != NULL, "output file");
    if (out != NULL) {
        long bo = 0, bi = 0;
        const double s = w[0] + w[1] * 443 + w[2] * 40000 + w[3] * 1 + w[4] * 2 + w[5] * 1200 + w[6] * 340;
        for (int round = 0; round < 2; round++) {
            double p = next_score(out, &bo, &bi);
            CHECK(bo == 340 && bi == 1200, "byte counts of the built flow");
            CHECK(fabs(p - logistic(s)) < 5e-6, "p_malware of the SPLT model as the formula says");
            if (fabs(p - logistic(s)) >= 5e-6)
                fprintf(stderr, "round %d: p_malware %.6f, formula %.6f\n", round, p, logistic(s));
        }
        CHECK(next_score(out, &bo, &bi) == -1, "exactly two scored records");
        fclose(out);
    }

    /* The BD model: a context with the byte distribution on. */
    init.bitmask = JOY_BIDIR_ON | JOY_CLASSIFY_ON | JOY_BYTE_DIST_ON;
    CHECK(joy_initialize(&init, dir, "out.json", NULL) == 0, "re-initialize with BD");
    CHECK(joy_update_splt_bd_params(splt, bd) == 0, "own parameter files load again");
    feed_flow(0);
    joy_cleanup(0);
    out = fopen(out_path, "r");
    if (out != NULL) {
        long bo = 0, bi = 0;
        double p = next_score(out, &bo, &bi);
        /* Only the BD bias is non-zero: p = 1/(1+exp(1.25)). */
        CHECK(fabs(p - logistic(wbd[0])) < 5e-6, "p_malware of the BD model as the formula says");
        if (fabs(p - logistic(wbd[0])) >= 5e-6)
            fprintf(stderr, "BD: p_malware %.6f, formula %.6f\n", p, logistic(wbd[0]));
        fclose(out);
    }

    unlink(splt);
    unlink(bd);
    unlink(bad);
    unlink(out_path);
    rmdir(tmpdir);
    printf("joy_params: %d checks, %d failures\n", checks, failures);
    return failures != 0;
}
