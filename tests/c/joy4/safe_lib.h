/* The three safeclib functions the Joy 4.5 clients call, for building them
 * unchanged without libsafec: bounded, and never writing past dmax. */
#ifndef JOY_TEST_SAFE_LIB_H
#define JOY_TEST_SAFE_LIB_H
#include <stddef.h>
#include <string.h>
static inline int memset_s(void *dest, size_t dmax, int value, size_t n) {
    if (dest == NULL || n > dmax) return -1;
    memset(dest, value, n);
    return 0;
}
static inline size_t strnlen_s(const char *s, size_t maxsize) {
    return s == NULL ? 0 : strnlen(s, maxsize);
}
static inline int strncpy_s(char *dest, size_t dmax, const char *src, size_t slen) {
    size_t n;
    if (dest == NULL || src == NULL || dmax == 0) return -1;
    n = strnlen(src, slen);
    if (n >= dmax) { dest[0] = 0; return -1; }
    memcpy(dest, src, n);
    dest[n] = 0;
    return 0;
}
#endif
