#!/bin/bash
# libjoy.so.4's records against Joy 4.5's (ref/HEAD/b_bidir, c_allproto:
# the 4.5 joy command, which prints expired flows every 10 packets through
# the same API) on the 14 reference captures, with joydiff --order.
#   api45_record_test.sh JOY45_RECORD OUTDIR SET
# A capture listed in "same" must give 4.5's file flow for flow, key order
# included; the others must keep at least the identical flows counted
# here. Their differences are 4.5's behaviour changes that are not
# reproduced, each listed in docs/compatibility.md (rows v9-v14).
source "$(dirname "$0")/common.sh"
prog=$1 outdir=$2 set=$3
need_shared
[ -d "$JOY_SHARED/ref/HEAD/$set" ] || skip "$JOY_SHARED/ref/HEAD/$set not found"
work=$outdir/api45-record-$set
rm -rf "$work" && mkdir -p "$work"
same="dhcp ikev1 ikev2 kali-password-attack_hydra openssl102n ssh-dropbear-default ssh-gex-sha256 tls10 tls11 tls12"
declare -A least
if [ "$set" = b_bidir ]; then
    same="$same sample_tls12_handshake_0"
    least=([firefox58]=12 [kali-normal-ssh]=2 [sample]=6)
else
    least=([firefox58]=9 [kali-normal-ssh]=2 [sample]=5 [sample_tls12_handshake_0]=0)
fi
rc=0
for ref in "$JOY_SHARED/ref/HEAD/$set"/*.json; do
    stem=$(basename "$ref" .json)
    out=$work/$stem.json
    "$prog" "$JOY_SHARED/pcaps/joy-$stem.pcap" "$work" "$stem.json" "$set" 2>"$work/$stem.stderr" ||
        { cat "$work/$stem.stderr"; echo "FAIL: $stem: joy45_record exited with $?"; rc=1; continue; }
    summary=$({ python3 "$JOY_SHARED/tools/joydiff" "$ref" "$out" --order || true; } | tail -1)
    echo "$stem: $summary"
    if [[ " $same " == *" $stem "* ]]; then
        python3 "$JOY_SHARED/tools/joydiff" "$ref" "$out" --order -q >/dev/null ||
            { echo "FAIL: $stem differs from 4.5's records"; rc=1; }
    elif [ -n "${least[$stem]:-}" ]; then
        n=${summary%%/*}
        [ "$n" -ge "${least[$stem]}" ] ||
            { echo "FAIL: $stem: $n identical flows, fewer than ${least[$stem]}"; rc=1; }
    else
        echo "FAIL: $stem is in neither list"; rc=1
    fi
done
exit $rc
