#!/bin/bash
# The malformed captures of the corpus through the C embedding under
# valgrind, with every feature on (the corpus_x bitmask, idp 1300): no
# memcheck error, and every run ends with status 0, or 1 when the host's
# libpcap refuses the file.
#
#   valgrind_corpus_test.sh VALGRIND JOY_EMBED SUPPRESSIONS SHARD SHARDS
#
# Files are dealt round-robin to SHARDS shards, so CTest can run them in
# parallel.
source "$(dirname "$0")/common.sh"
vg=$1 embed=$2 supp=$3 shard=$4 shards=$5
need_shared
log=$(mktemp)
trap 'rm -f "$log"' EXIT
n=0 ran=0 failed=0
for f in "$JOY_SHARED"/pcaps/malformed/*; do
    n=$((n + 1))
    [ $(((n - 1) % shards)) -eq "$shard" ] || continue
    ran=$((ran + 1))
    rc=0
    "$vg" -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-possibly-lost=no \
        --suppressions="$supp" "$embed" -c -i 1300 0x7eff "$f" >/dev/null 2>"$log" || rc=$?
    if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
        failed=$((failed + 1))
        echo "FAIL: $(basename "$f"): status $rc"
        grep -A12 "==[0-9]*== [A-Z]" "$log" | head -40 || true
    fi
done
echo "shard $shard/$shards: $ran malformed captures under valgrind, $failed failed"
[ "$failed" -eq 0 ]
