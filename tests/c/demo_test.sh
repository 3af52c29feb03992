#!/bin/bash
# The demo: write the capture with joy-mkdemo, run the example program on
# it, check the four flows, and check that the library (driven with the
# command's cadence) and the joy command agree on it.
#   demo_test.sh JOY_EXAMPLE JOY_EMBED OUTDIR
source "$(dirname "$0")/common.sh"
example=$1 embed=$2 outdir=$3
command -v go >/dev/null || skip "go is needed to write the demo capture"
mkdir -p "$outdir"
pcap=$outdir/demo.pcap
out=$outdir/demo

(cd "$repo" && go run ./cmd/joy-mkdemo "$pcap")
"$example" "$pcap" >"$out.json"
cat "$out.json"
$check json "$out.json"

rc=0
[ "$(grep -c end-config "$out.json")" = 1 ] || { echo "FAIL: expected one config line"; rc=1; }
[ "$(grep -vc end-config "$out.json")" = 4 ] || { echo "FAIL: expected four flows"; rc=1; }
for f in '"pr":6,"sp":40000,"dp":8080' '"pr":17,"sp":50000,"dp":9999' '"pr":6,"sp":40001,"dp":443' \
    '"pr":17,"sp":53000,"dp":53'; do
    grep -q "\"sa\":\"10.0.0.1\".*$f" "$out.json" || { echo "FAIL: no flow $f"; rc=1; }
done
# The DNS exchange is 20 s after the rest: by then the first three flows
# have expired and are printed with an expire_type.
[ "$(grep -c '"expire_type":"i"' "$out.json")" = 3 ] || { echo "FAIL: expected 3 expired flows"; rc=1; }

if [ -x "$repo/build/joy" ]; then
    "$repo/build/joy" bidir=1 "$pcap" >"$out.cli.json"
    "$embed" -c 1 "$pcap" >"$out.lib.json"
    if diff "$out.cli.json" "$out.lib.json"; then
        echo "joy command and library agree"
    else
        echo "FAIL: joy command and library differ"
        rc=1
    fi
fi
exit $rc
