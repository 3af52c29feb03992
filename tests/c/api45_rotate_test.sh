#!/bin/bash
# Joy 4.5's max_records (row v4 of docs/compatibility.md): the rotated
# files of joy45_rotate against one file per context from the same run
# without max_records.
#   api45_rotate_test.sh JOY45_ROTATE OUTDIR
source "$(dirname "$0")/common.sh"
prog=$1 outdir=$2
need_shared
pcap=$JOY_SHARED/pcaps/joy-firefox58.pcap
[ -f "$pcap" ] || skip "$pcap not found"
work=$outdir/api45-rotate
rm -rf "$work" && mkdir -p "$work/one" "$work/rot"
max=3 every=20
"$prog" "$pcap" "$work/one" 0 "$every" 2>"$work/one.stderr" ||
    { cat "$work/one.stderr"; echo "FAIL: joy45_rotate (max_records 0) exited with $?"; exit 1; }
"$prog" "$pcap" "$work/rot" "$max" "$every" 2>"$work/rot.stderr" ||
    { cat "$work/rot.stderr"; echo "FAIL: joy45_rotate (max_records $max) exited with $?"; exit 1; }
python3 "$here/api45_rotate.py" "$work/one" "$work/rot" "$max"
