/*
 * check.h: the counting assertion of the C test programs. A failed CHECK
 * prints its line and condition and the program goes on, so one run lists
 * every failure; main() returns failures != 0 after a summary line.
 */
#ifndef JOY_TEST_CHECK_H
#define JOY_TEST_CHECK_H

#include <stdio.h>

static int checks, failures;

#define CHECK(cond, what)                                                      \
    do {                                                                       \
        checks++;                                                              \
        if (!(cond)) {                                                         \
            failures++;                                                        \
            fprintf(stderr, "FAIL line %d: %s (%s)\n", __LINE__, what, #cond); \
        }                                                                      \
    } while (0)

#endif
