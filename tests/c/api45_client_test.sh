#!/bin/bash
# Cisco's Joy 4.5 API test programs, compiled unchanged against
# include/joy4/joy_api.h and linked with build/libjoy.so.4, against the
# original's recorded runs in ref/HEAD/f_api.
#   api45_client_test.sh CC LIBDIR OUTDIR RUN
# RUN is sample+tls12 or tls12+sample (joy_api_test: three threads, three
# contexts, callbacks, feature counts, deletion) or joy_api_test2
# (hand-made packets with application data, IPFIX export).
#
# Compared: every file the run creates, byte for byte (gunzipped), and the
# program's stdout except the lines of threads 2 and 3, whose place among
# the others depends on scheduling. joy_api_test2 exports to 72.163.4.161,
# so it runs in a network namespace of its own with no interfaces up (as
# the reference was made): nothing leaves the machine.
source "$(dirname "$0")/common.sh"
cc=$1 libdir=$2 outdir=$3 run=$4
need_shared
clients=$JOY_SHARED/clients/joy-4.5
ref=$JOY_SHARED/ref/HEAD/f_api
[ -d "$clients" ] && [ -d "$ref" ] || skip "$clients or $ref not found"
[ -f "$libdir/libjoy.so.4" ] || { echo "FAIL: $libdir/libjoy.so.4 not built (make lib45)"; exit 1; }

prog=joy_api_test refrun=$run
[ "$run" = joy_api_test2 ] && prog=joy_api_test2 refrun=joy_api_test2.run1
mkdir -p "$outdir"
bin=$outdir/joy45_$prog.$run   # one per run: CTest may run them in parallel
# The clients include joy_config.h (empty here) and safe_lib.h (ours,
# tests/c/joy4/), and print the version only with HAVE_CONFIG_H.
"$cc" -O1 -g -DHAVE_CONFIG_H -I"$repo/include/joy4" -I"$here/joy4" -o "$bin" "$clients/$prog.c" \
    "$libdir/libjoy.so.4" -lpcap -lpthread -Wl,-rpath,"$libdir" 2>"$bin.cc.log" ||
    { cat "$bin.cc.log"; echo "FAIL: $prog.c does not compile against include/joy4/joy_api.h"; exit 1; }

work=$outdir/api45-$run
rm -rf "$work" && mkdir -p "$work"
cd "$work"
case $run in
    joy_api_test2)
        unshare -n true 2>/dev/null || skip "unshare -n is not permitted here (needed to keep the IPFIX export off the network)"
        unshare -n "$bin" >stdout 2>stderr ;;
    *)
        a=${run%%+*} b=${run#*+}
        timeout 120 "$bin" "$JOY_SHARED/pcaps/joy-$a.pcap" "$JOY_SHARED/pcaps/joy-$b.pcap" >stdout 2>stderr ;;
esac || { cat stderr; echo "FAIL: $prog exited with $?"; exit 1; }

rc=0
# The same files, with the same names.
diff <(cd "$work" && find . -type f ! -name stdout ! -name stderr | sort) <(sort "$ref/$refrun.files") ||
    { echo "FAIL: the run created other files than the original's"; rc=1; }
while read -r f; do
    [ -f "$work/$f" ] || continue
    name=$(basename "$f")
    if [[ $name == *.gz ]]; then
        name=${name%.gz}
        gzip -dc "$work/$f" >"$work/$name.json" || { echo "FAIL: $f is not gzip"; rc=1; continue; }
    else
        cp "$work/$f" "$work/$name.json"
    fi
    if cmp -s "$work/$name.json" "$ref/$refrun/$name"; then
        echo "ok: $f equals the original's ($(wc -l <"$work/$name.json") lines)"
    else
        echo "FAIL: $f differs from $ref/$refrun/$name"
        diff "$work/$name.json" "$ref/$refrun/$name" | head -c 2000
        rc=1
    fi
done <"$ref/$refrun.files"

refout=$ref/$refrun.stdout
# Threads 2 and 3 print whole lines with one printf each, but thread 1's
# lines are built from many printf calls, so theirs can land inside one of
# thread 1's: they are cut out wherever they are.
others() { perl -0pe 's/Thread [23] (Starting|Finished|No File to Process)\n//g' "$1"; }
if diff <(others stdout) <(others "$refout") >stdout.diff; then
    echo "ok: stdout equals the original's ($(wc -l <stdout) lines; threads 2 and 3 aside)"
else
    echo "FAIL: stdout differs"
    head -c 2000 stdout.diff
    rc=1
fi
grep -q . stderr && { echo "stderr:"; head -5 stderr; }
exit $rc
