#!/bin/bash
# Ten contexts on ten threads at once must give the same records as ten
# single-threaded runs, and never mix two records within one line.
#   threads_test.sh JOY_THREADS JOY_EMBED OUTDIR [ROUNDS]
source "$(dirname "$0")/common.sh"
threads=$1 embed=$2 outdir=$3 rounds=${4:-3}
need_shared
# Every per-flow feature that needs no host information (not exe, not
# IPFIX): bidir, the six protocol parsers, byte distribution and entropy.
# Features the library does not implement yet are logged and ignored.
bitmask=0x187f

# The larger captures, two of them twice (identical records from two
# contexts must both appear).
stems=(firefox58 firefox58 kali-normal-ssh kali-normal-ssh kali-password-attack_hydra sample ikev1
    openssl102n tls12 dhcp)
files=()
for s in "${stems[@]}"; do files+=("$JOY_SHARED/pcaps/joy-$s.pcap"); done
out=$outdir/threads
mkdir -p "$outdir"

singles=()
for i in "${!files[@]}"; do
    "$embed" $bitmask "${files[$i]}" >"$out.single$i.json" 2>/dev/null
    singles+=("$out.single$i.json")
done

rc=0
for r in $(seq 1 "$rounds"); do
    echo "--- round $r"
    rm -f "$out.run$r.json"
    "$threads" $bitmask "$out.run$r.json" "${files[@]}" 2>"$out.run$r.stderr" || { cat "$out.run$r.stderr"; rc=1; }
    # Exact line equality also catches two records mixed within a line.
    $check multiset "$out.run$r.json" "${singles[@]}" || rc=1
    [ "$(grep -c end-config "$out.run$r.json")" = 1 ] || { echo "expected one config line"; rc=1; }
done
exit $rc
