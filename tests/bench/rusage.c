/*
 * rusage STATFILE CMD [ARG...]: runs CMD and writes "MAXRSS_KB CPU_SECONDS"
 * (peak resident set, user + system time) of it to STATFILE; exits with
 * CMD's status. bench.py runs every program through it: a child that
 * Python starts inherits Python's own peak RSS (about 14 MB, the kernel
 * keeps the high-water mark across exec), which would hide any program
 * smaller than that; this launcher is a few hundred kB.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    struct rusage ru;
    int status;
    pid_t pid;
    FILE *f;

    if (argc < 3) {
        fprintf(stderr, "usage: %s STATFILE CMD [ARG...]\n", argv[0]);
        return 2;
    }
    pid = fork();
    if (pid < 0) {
        perror("fork");
        return 2;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        perror(argv[2]);
        _exit(127);
    }
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("wait4");
        return 2;
    }
    f = fopen(argv[1], "w");
    if (f == NULL) {
        perror(argv[1]);
        return 2;
    }
    fprintf(f, "%ld %.6f\n", ru.ru_maxrss,
            (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                ru.ru_stime.tv_usec / 1e6);
    fclose(f);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
