#!/bin/bash
# Runs one valgrind test after checking that valgrind can run Go code on
# this CPU: tests/c/valgrind_probe.c executes the time-stamp instruction
# Go's runtime.cputicks would choose under valgrind's emulated CPUID.
# valgrind 3.19 advertises RDTSCP on hosts that lack it and then stops the
# program with SIGILL there; a Go runtime gets there at a moment that
# depends on timing, so the test would fail at random rather than report
# a memory error.
#
#   valgrind_run.sh VALGRIND PROBE COMMAND [ARGS...]
#
# Exits 77 (CTest: skipped) with the reason when the probe fails under
# valgrind, otherwise runs COMMAND.
source "$(dirname "$0")/common.sh"
vg=$1 probe=$2
shift 2
rc=0
msg=$("$vg" --tool=none -q "$probe" 2>&1 >/dev/null) || rc=$?
if [ $rc -ne 0 ]; then
    cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || true)
    skip "valgrind cannot run Go code on this CPU (${cpu:-unknown}): the probe $(basename "$probe") ended with status $rc under $("$vg" --version 2>/dev/null || echo valgrind) ($(echo "$msg" | grep -m1 -o 'signal [0-9]* ([A-Z]*)' || echo "no signal reported"))"
fi
exec "$@"
