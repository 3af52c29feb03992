#!/bin/bash
# Cisco's own API test programs of the guide's generation (cisco/joy
# 697dc5a, in JOY_SHARED/clients/joy-697dc5a), compiled unchanged against
# include/joy_api.h and linked with build/libjoy.so, against the original's
# recorded runs in ref/697dc5a/f_api.
#   fapi_client_test.sh CC LIBDIR JOY_EMBED OUTDIR PAIR KIND
#   fapi_client_test.sh CC LIBDIR - OUTDIR joy_api_test2
# A PAIR runs joy_api_test (two contexts, one capture each) through
# fapi_test.sh, the checks our own joy_two_ctx gets. joy_api_test2 (hand-made
# packets, labels, IPFIX export to 72.163.4.161) runs in a network namespace
# of its own with no interface up, as the reference was made, so nothing
# leaves the machine; its standard output must equal the reference's.
source "$(dirname "$0")/common.sh"
cc=$1 libdir=$2 embed=$3 outdir=$4 run=$5 kind=${6:-}
need_shared
clients=$JOY_SHARED/clients/joy-697dc5a
[ -d "$clients" ] || skip "$clients not found"
prog=joy_api_test
[ "$run" = joy_api_test2 ] && prog=joy_api_test2
mkdir -p "$outdir"
bin=$outdir/client697_$prog.$run # one per run: CTest may run them in parallel
"$cc" -O1 -g -I"$repo/include" -o "$bin" "$clients/$prog.c" -L"$libdir" -ljoy -lpcap -lpthread \
    -Wl,-rpath,"$libdir" 2>"$bin.cc.log" ||
    { cat "$bin.cc.log"; echo "FAIL: $prog.c does not compile against include/joy_api.h"; exit 1; }

if [ "$run" != joy_api_test2 ]; then
    # Its own output directory: fapi_$run writes $outdir/fapi-$run, and CTest may run both at once.
    exec bash "$here/fapi_test.sh" "$bin" "$embed" "$outdir/client697" "$run" "$kind"
fi
unshare -n true 2>/dev/null || skip "unshare -n is not permitted here (needed to keep the IPFIX export off the network)"
work=$outdir/client697-$run
rm -rf "$work" && mkdir -p "$work"
cd "$work"
unshare -n "$bin" >stdout 2>stderr || { cat stderr; echo "FAIL: $prog exited with status $?"; exit 1; }
ref=$JOY_SHARED/ref/697dc5a/f_api/joy_api_test2.run1.stdout
if ! cmp -s stdout "$ref"; then
    echo "FAIL: $prog's standard output differs from $ref"
    diff <(cut -c1-200 "$ref") <(cut -c1-200 stdout) | head -20
    exit 1
fi
echo "ok: $prog's standard output equals the reference ($(wc -c <stdout) bytes)"
