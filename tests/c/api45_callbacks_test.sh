#!/bin/bash
# The bytes of Joy 4.5's external-processing callbacks (IDP, TLS, SPLT,
# SALT, BD; NetFlow v9 and IPFIX layouts) against the flow records the same
# run prints, for one of the 14 reference captures.
#   api45_callbacks_test.sh JOY45_CALLBACKS OUTDIR STEM
source "$(dirname "$0")/common.sh"
prog=$1 outdir=$2 stem=$3
need_shared
pcap=$JOY_SHARED/pcaps/joy-$stem.pcap
[ -f "$pcap" ] || skip "$pcap not found"
work=$outdir/api45-callbacks-$stem
rm -rf "$work" && mkdir -p "$work"
"$prog" "$pcap" "$work" >"$work/callbacks.jsonl" 2>"$work/stderr" ||
    { cat "$work/stderr"; echo "FAIL: joy45_callbacks exited with $?"; exit 1; }
python3 "$here/api45_callbacks.py" "$work/callbacks.jsonl" "$work/cb.ctx0.gz" "$work/cb.ctx1.gz"
