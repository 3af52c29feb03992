#!/bin/bash
# Feature option sets through the library: joy_embed with the joy_init the
# guide gives for the joy command's options, against the reference flows.
#   featref_test.sh JOY_EMBED OUTDIR CONFIG STEM
#
# CONFIG and its library equivalent:
#   d_bd_entropy_idp      bidir=1 dist=1 entropy=1 idp=1300
#                         BIDIR|BYTE_DIST|ENTROPY, joy_init.idp = 1300
#   e_classify            bidir=1 classify=1: BIDIR|CLASSIFY
#   e2_classify_model     bidir=1 classify=1 model=S:B
#                         BIDIR|CLASSIFY, joy_update_splt_bd_params(S, B)
#   e3_classify_bd_model  bidir=1 dist=1 classify=1 model=S:B
#                         BIDIR|BYTE_DIST|CLASSIFY, joy_update_splt_bd_params(S, B)
#   h_cdist               bidir=1 cdist=F: BIDIR, joy_get_compact_bd(F)
#   x_all_features        every bit except EXE, IPFIX and preemptive
#                         timeout (0x7eff), joy_init.idp = 1300
#
# Members the library cannot be asked for, removed before comparing:
#   wht, salt (oseq/oack/iseq/iack), ppi (x_all_features only): the
#     guide's bitmask has no bit for the Walsh-Hadamard transform, SALT
#     sequence numbers or per-packet information (type 2 is SALT in place
#     of SPLT, not next to it); num_pkts=199 is only printed by the command.
# Members the reference lacks by a documented difference:
#   idp_out, idp_len_out, idp_in, idp_len_in: docs/compatibility.md fix 22
#     (the original never printed the initial data packet).
#   "expire_type":"i" on kali-password-attack_hydra: fix 19.
#   tls.srlt from entry 21 on of the firefox58 flow 33302 -> 443:
#     KNOWN_UNSTABLE.md item 1 (the original read past the packet).
# The configuration lines differ (the command prints its own options), so
# only flow lines are compared: as JSON with joydiff (key order included)
# and as text, line by line and in order.
source "$(dirname "$0")/common.sh"
embed=$1 outdir=$2 config=$3 stem=$4
need_shared
work=$outdir/featref-$config-$stem
rm -rf "$work" && mkdir -p "$work"
cp "$JOY_SHARED/data/logreg_scaled_splt.txt" "$JOY_SHARED/data/logreg_scaled_bd.txt" \
    "$JOY_SHARED/data/compact_bd.txt" "$work/"
model=(-m logreg_scaled_splt.txt:logreg_scaled_bd.txt)
case $config in
d_bd_entropy_idp) args=(-i 1300 0x1801) ;;
e_classify) args=(0x2001) ;;
e2_classify_model) args=("${model[@]}" 0x2001) ;;
e3_classify_bd_model) args=("${model[@]}" 0x2801) ;;
h_cdist) args=(-b compact_bd.txt 0x1) ;;
x_all_features) args=(-i 1300 0x7eff) ;;
*) echo "unknown config $config"; exit 2 ;;
esac
ref=$JOY_SHARED/ref/697dc5a/$config/$stem.json
[ -f "$ref" ] || skip "no reference $ref"
(cd "$work" && "$embed" -c "${args[@]}" "$JOY_SHARED/pcaps/joy-$stem.pcap") >"$work/raw.json" 2>"$work/stderr" ||
    { cat "$work/stderr"; exit 1; }
if [ -s "$work/stderr" ]; then
    echo "--- stderr of joy_embed:"
    head -20 "$work/stderr"
fi
$check drop6 "$work/raw.json" "$work/out.json"
sed -i -E 's/,"idp_(out|in)":"[0-9a-f]*","idp_len_(out|in)":[0-9]+//g' "$work/out.json"
if [ "$stem" = kali-password-attack_hydra ]; then
    sed -i 's/,"expire_type":"i"}$/}/' "$work/out.json"
fi
want=$work/want.json
ignore=()
if [ "$config" = x_all_features ]; then
    stripped=(wht oseq oack iseq iack ppi)
    $check strip "$ref" "$want" "${stripped[@]}"
    $check strip "$work/out.json" "$work/out.stripped.json" "${stripped[@]}"
    mv "$work/out.stripped.json" "$work/out.json"
    for k in "${stripped[@]}"; do ignore+=(--ignore "$k"); done
else
    cp "$ref" "$want"
fi
rc=0
python3 "$JOY_SHARED/tools/joydiff" "$ref" "$work/out.json" --order --cut tls.srlt=21 "${ignore[@]}" || rc=1
# Text, in order; the KNOWN_UNSTABLE flow is left to joydiff's cut compare.
unstable='"sp":33302,"dp":443'
if ! diff <(tail -n +2 "$want" | grep -v "$unstable") <(tail -n +2 "$work/out.json" | grep -v "$unstable") >"$work/diff"; then
    echo "FAIL: flow lines differ in text or order:"
    head -c 3000 "$work/diff"
    rc=1
fi
exit $rc
