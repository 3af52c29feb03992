#!/bin/bash
# g_anon_label and i_useranon through the library: joy_embed with
# joy_anon_subnets / joy_label_subnets / joy_anon_http_usernames, in a
# directory holding the reference key as joy.bin, against the reference
# flows (the configuration lines differ: the library prints the label name,
# the command its NAME:FILE argument).
#   privref_test.sh JOY_EMBED OUTDIR CONFIG STEM
source "$(dirname "$0")/common.sh"
embed=$1 outdir=$2 config=$3 stem=$4
need_shared
work=$outdir/privref-$config-$stem
rm -rf "$work" && mkdir -p "$work"
cp "$JOY_SHARED/data/anon_joy.bin" "$work/joy.bin"
cp "$JOY_SHARED/data/internal.net" "$JOY_SHARED/data/userid-example.txt" "$work/"
case $config in
g_anon_label) args=(-a internal.net -l internal:internal.net 0x1) ;;
i_useranon) args=(-u userid-example.txt 0x21) ;;
*) echo "unknown config $config"; exit 2 ;;
esac
(cd "$work" && "$embed" -c "${args[@]}" "$JOY_SHARED/pcaps/joy-$stem.pcap") >"$work/raw.json" 2>"$work/stderr" ||
    { cat "$work/stderr"; exit 1; }
$check drop6 "$work/raw.json" "$work/out.json"
ignore=()
if [ "$stem" = kali-password-attack_hydra ]; then
    # docs/compatibility.md fix 19, as in ref_test.sh.
    ignore=(--ignore expire_type)
    sed -i 's/,"expire_type":"i"}$/}/' "$work/out.json"
fi
ref=$JOY_SHARED/ref/697dc5a/$config/$stem.json
rc=0
python3 "$JOY_SHARED/tools/joydiff" "$ref" "$work/out.json" --order "${ignore[@]}" || rc=1
diff <(tail -n +2 "$ref") <(tail -n +2 "$work/out.json") >/dev/null || { echo "FAIL: flow lines differ in text or order"; rc=1; }
exit $rc
