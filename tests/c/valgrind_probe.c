/*
 * valgrind_probe: does what Go's runtime.cputicks does on amd64 (RDTSCP
 * when CPUID advertises it, otherwise RDTSC), so that running it under
 * valgrind tells whether valgrind can run Go code on this CPU. valgrind
 * 3.19 may advertise RDTSCP in its emulated CPUID on a host that lacks it
 * and then stop the program with SIGILL at the instruction; Go's runtime
 * reaches it at a moment that depends on timing (a contended lock, a
 * profile), so tests/c/valgrind_run.sh checks here first. Exit status 0.
 */
#include <stdint.h>
#include <stdio.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <x86intrin.h>
#endif

int main(void) {
#if defined(__x86_64__) || defined(__i386__)
    unsigned int eax, ebx, ecx, edx, aux;
    uint64_t t;
    int rdtscp = __get_cpuid(0x80000001, &eax, &ebx, &ecx, &edx) && (edx & (1u << 27));
    if (rdtscp) {
        t = __rdtscp(&aux);
    } else {
        t = __rdtsc();
    }
    printf("%s %llu\n", rdtscp ? "rdtscp" : "rdtsc", (unsigned long long)t);
#else
    printf("no TSC probe on this architecture\n");
#endif
    return 0;
}
