/*
 * check.h: the counting assertion of the C test programs. A failed CHECK
 * prints its line and condition and the program goes on, so one run lists
 * every failure; main() returns failures != 0 after a summary line.
 */
#ifndef JOY_TEST_CHECK_H
#define JOY_TEST_CHECK_H

#include <stdio.h>

static int checks, failures;

/* CHECK(cond, format, ...): the rest is a printf format and its values. */
#define CHECK(cond, ...)                                              \
    do {                                                              \
        checks++;                                                     \
        if (!(cond)) {                                                \
            failures++;                                               \
            fprintf(stderr, "FAIL line %d (%s): ", __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                             \
            fputc('\n', stderr);                                      \
        }                                                             \
    } while (0)

#endif
