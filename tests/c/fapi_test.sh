#!/bin/bash
# The original's two-context API test program against its recorded output.
#   fapi_test.sh JOY_TWO_CTX JOY_EMBED OUTDIR PAIR KIND
# PAIR is A+B: context 0 gets joy-A.pcap, context 1 joy-B.pcap. KIND:
#   exact  the whole output must match the reference;
#   clock  the original shared one clock between contexts (QUIRK-4) and
#          B's packets are older than A's, so its context-1 flows expired
#          early there. This library keeps a clock per context (a
#          deliberate fix), so only context 0's flows must match, and the
#          whole output must equal two independent single-context runs.
source "$(dirname "$0")/common.sh"
two=$1 embed=$2 outdir=$3 pair=$4 kind=$5
need_shared

a=${pair%%+*} b=${pair#*+}
ref=$JOY_SHARED/ref/697dc5a/f_api/$pair.stdout
out=$outdir/fapi-$pair
mkdir -p "$outdir"
# KNOWN_UNSTABLE.md item 1: one firefox58 flow's srlt is garbage from
# entry 21 on in the original (it read past the packet).
ignore=(--cut tls.srlt=21)
rc=0

"$two" "$JOY_SHARED/pcaps/joy-$a.pcap" "$JOY_SHARED/pcaps/joy-$b.pcap" >"$out.raw.json" 2>"$out.stderr"
grep -v "not supported yet" "$out.stderr" | head -20 || true
$check drop6 "$out.raw.json" "$out.json"

# The same bitmask, filter and cadence on one context per capture.
"$embed" -f "ip or vlan" 0x29 "$JOY_SHARED/pcaps/joy-$a.pcap" >"$out.A.raw.json" 2>/dev/null
"$embed" -f "ip or vlan" 0x29 "$JOY_SHARED/pcaps/joy-$b.pcap" >"$out.B.raw.json" 2>/dev/null
$check drop6 "$out.A.raw.json" "$out.A.json"
$check drop6 "$out.B.raw.json" "$out.B.json"

# Is the pair registered with the kind its timestamps call for?
if $check clock "$out.A.json" "$out.B.json"; then expect=exact; else expect=clock; fi
if [ "$expect" != "$kind" ]; then
    echo "FAIL: $pair is registered as '$kind' but its timestamps make it '$expect'"
    rc=1
fi

echo "--- contexts are independent (output = union of single-context runs):"
$check multiset "$out.raw.json" "$out.A.raw.json" "$out.B.raw.json" || rc=1

if [ "$kind" = exact ]; then
    echo "--- whole output against the reference:"
    python3 "$JOY_SHARED/tools/joydiff" "$ref" "$out.json" --order --config "${ignore[@]}" || rc=1
    $check order "$ref" "$out.json" || rc=1
else
    echo "--- context 0 ($a) against the reference:"
    $check within "$ref" "$out.A.json" "$out.refA.json"
    $check within "$out.json" "$out.A.json" "$out.outA.json"
    python3 "$JOY_SHARED/tools/joydiff" "$out.refA.json" "$out.outA.json" --order "${ignore[@]}" || rc=1
    $check order "$out.refA.json" "$out.outA.json" || rc=1
    echo "--- context 1 ($b), for information (differs by design):"
    $check within "$ref" "$out.B.json" "$out.refB.json"
    python3 "$JOY_SHARED/tools/joydiff" "$out.refB.json" "$out.B.json" -q "${ignore[@]}" || true
    python3 "$JOY_SHARED/tools/joydiff" "$out.refB.json" "$out.B.json" -q "${ignore[@]}" --ignore expire_type >/dev/null &&
        echo "(identical apart from expire_type)" || true
fi
exit $rc
