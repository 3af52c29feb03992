/*
 * joy_output_fail: the output fails under the library, the host goes on.
 *
 *   joy_output_fail full|closed|removed|missing
 *
 * full     stdout is /dev/full
 * closed   descriptor 1 is closed after joy_initialize
 * removed  output_dir/output_file; the directory is deleted between two
 *          batches of flows
 * missing  output_dir does not exist: joy_initialize returns 1
 *
 * In each case packet processing must go on (every packet counted, every
 * flow drained), the failure must be logged once ("ERR: output: ...") and
 * counted by joy_get_counters, and the program must exit normally. Results
 * go to stderr (stdout is the thing that fails). Exit 0 when every check
 * holds.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testframes.h"
#include "check.h"


#define CTX 2
#define BATCH 300 /* one-packet flows per batch: ~60 KB of records, more than stdio buffers */

static void dump_counters(const char *when, const struct joy_counters *c) {
    fprintf(stderr, "%s: packets %llu printed %llu output_errors %llu records_lost %llu internal %llu\n", when,
            (unsigned long long)c->packets, (unsigned long long)c->flows_printed,
            (unsigned long long)c->output_errors, (unsigned long long)c->records_lost,
            (unsigned long long)c->internal_errors);
}

int main(int argc, char **argv) {
    char tmpdir[] = "/tmp/joy_outfail.XXXXXX";
    char logpath[PATH_MAX], errpath[PATH_MAX], outdir[PATH_MAX], outfile[PATH_MAX + 16];
    struct joy_init init;
    struct joy_counters c;
    const char *mode = argc > 1 ? argv[1] : "";
    const char *cause;
    long errs = 0, lines;

    if (strcmp(mode, "full") == 0) {
        cause = "writing to the output stream: no space left on device";
    } else if (strcmp(mode, "closed") == 0) {
        cause = "writing to the output stream: bad file descriptor";
    } else if (strcmp(mode, "removed") == 0) {
        cause = "the output file was removed";
    } else if (strcmp(mode, "missing") == 0) {
        cause = NULL;
    } else {
        fprintf(stderr, "usage: %s full|closed|removed|missing\n", argv[0]);
        return 2;
    }
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(logpath, sizeof logpath, "%s/log.txt", tmpdir);
    snprintf(errpath, sizeof errpath, "%s/stderr.txt", tmpdir);
    snprintf(outdir, sizeof outdir, "%s/out", tmpdir);
    snprintf(outfile, sizeof outfile, "%s/flows.json", outdir);

    memset(&init, 0, sizeof init);
    init.type = 1;
    init.verbosity = 4; /* errors and worse */

    if (strcmp(mode, "missing") == 0) {
        /* The directory was never there: refused with the reason on stderr
         * (there is no library, so no log yet), nothing else changes. */
        int saved = dup(STDERR_FILENO);
        fflush(stderr);
        CHECK(freopen(errpath, "w", stderr) != NULL, "freopen stderr");
        CHECK(joy_initialize(&init, outdir, "flows.json", logpath) == 1, "missing output dir accepted");
        CHECK(joy_get_counters(0, &c) == 1, "counters without a library");
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        lines = tf_count_lines(errpath, "ERR: joy_initialize: could not open output file", &errs);
        CHECK(lines == 2 && errs == 1, "stderr has %ld lines, %ld about the output file", lines, errs);
        unlink(errpath);
        CHECK(mkdir(outdir, 0755) == 0, "mkdir: %s", strerror(errno));
        CHECK(joy_initialize(&init, outdir, "flows.json", logpath) == 0, "second initialize failed");
        tf_flows(CTX, 1502118721, 0, 10);
        joy_print_flow_data(CTX, JOY_ALL_FLOWS);
        joy_cleanup(CTX);
        CHECK(joy_get_counters(CTX, &c) == 0 && c.flows_printed == 10 && c.output_errors == 0, "after recovery");
        CHECK(tf_count_lines(outfile, NULL, NULL) == 10, "flows in the output");
        CHECK(tf_count_lines(logpath, NULL, NULL) == 0, "the log of the working library is not empty");
        unlink(outfile);
        rmdir(outdir);
        unlink(logpath);
        rmdir(tmpdir);
        fprintf(stderr, "joy_output_fail %s: %d checks, %d failures\n", mode, checks, failures);
        return failures == 0 ? 0 : 1;
    }

    if (strcmp(mode, "full") == 0) {
        CHECK(freopen("/dev/full", "w", stdout) != NULL, "freopen /dev/full: %s", strerror(errno));
    }
    if (strcmp(mode, "removed") == 0) {
        CHECK(mkdir(outdir, 0755) == 0, "mkdir: %s", strerror(errno));
        CHECK(joy_initialize(&init, outdir, "flows.json", logpath) == 0, "initialize");
    } else {
        CHECK(joy_initialize(&init, NULL, NULL, logpath) == 0, "initialize");
    }
    if (strcmp(mode, "closed") == 0) {
        /* After joy_initialize, so that no file of ours takes descriptor 1. */
        fflush(stdout);
        CHECK(close(STDOUT_FILENO) == 0, "close(1)");
    }

    /* First batch. */
    tf_flows(CTX, 1502118721, 0, BATCH);
    joy_print_flow_data(CTX, JOY_ALL_FLOWS);
    CHECK(joy_get_counters(CTX, &c) == 0, "joy_get_counters");
    dump_counters("after batch 1", &c);
    if (strcmp(mode, "removed") == 0) {
        CHECK(c.output_errors == 0 && c.records_lost == 0, "errors before the removal");
        fflush(NULL);
        CHECK(tf_count_lines(outfile, NULL, NULL) == BATCH, "first batch in the file");
        CHECK(unlink(outfile) == 0 && rmdir(outdir) == 0, "removing the output directory: %s", strerror(errno));
        usleep(150 * 1000); /* past the library's removal check interval */
    } else {
        /* Every record of the batch is in a failed write. */
        CHECK(c.output_errors >= 1 && c.records_lost == BATCH, "first batch not counted as lost");
    }

    /* Second batch: processing goes on after the failure. */
    tf_flows(CTX, 1502118722, BATCH, BATCH);
    joy_print_flow_data(CTX, JOY_ALL_FLOWS);
    CHECK(joy_get_counters(CTX, &c) == 0, "joy_get_counters");
    dump_counters("after batch 2", &c);
    CHECK(c.packets == 2 * BATCH, "packets %llu", (unsigned long long)c.packets);
    CHECK(c.flows_printed == 2 * BATCH, "flows printed %llu", (unsigned long long)c.flows_printed);
    CHECK(c.output_errors >= 1, "no output error counted");
    if (strcmp(mode, "removed") == 0) {
        CHECK(c.records_lost == BATCH, "records lost %llu, want the second batch", (unsigned long long)c.records_lost);
    } else {
        CHECK(c.records_lost == 2 * BATCH, "records lost %llu", (unsigned long long)c.records_lost);
    }
    CHECK(c.internal_errors == 0, "internal errors");
    joy_cleanup(CTX);
    /* A context that wrote nothing sees no error of its own. */
    CHECK(joy_get_counters(CTX + 1, &c) == 0 && c.output_errors == 0 && c.records_lost == 0, "context 3 counters");

    /* One log line for the whole failure, with its cause. */
    lines = tf_count_lines(logpath, "ERR: output: could not write flow records", &errs);
    CHECK(errs == 1, "%ld ERR lines about the output, want 1", errs);
    {
        long with_cause = 0;
        tf_count_lines(logpath, cause, &with_cause);
        CHECK(with_cause == 1, "the log does not name the cause \"%s\"", cause);
    }
    CHECK(lines == 1, "log has %ld lines, want 1", lines);
    if (failures > 0) {
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof cmd, "cat >&2 %s", logpath);
        if (system(cmd) != 0) {
            fprintf(stderr, "(log not readable)\n");
        }
    }
    unlink(logpath);
    rmdir(tmpdir);
    fprintf(stderr, "joy_output_fail %s: %d checks, %d failures\n", mode, checks, failures);
    return failures == 0 ? 0 : 1;
}
