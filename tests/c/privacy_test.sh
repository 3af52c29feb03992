#!/bin/bash
# joy_privacy against joy-sample.pcap: bad inputs fail and change nothing;
# no 10.x address and no listed user name reaches the output; the labels
# do (key reuse is tested in joy/anon).
#   privacy_test.sh JOY_PRIVACY OUTDIR
source "$(dirname "$0")/common.sh"
prog=$1 outdir=$2
need_shared
work=$outdir/privacy
rm -rf "$work" && mkdir -p "$work"
"$prog" "$work" "$JOY_SHARED/pcaps/joy-sample.pcap" 2>"$work/stderr" || { cat "$work/stderr"; exit 1; }
out=$work/out.json
$check json "$out"
rc=0
if grep -E '"10\.[0-9]+\.[0-9]+\.[0-9]+"' "$out"; then
    echo "FAIL: an address of the anonymized subnet 10.0.0.0/8 is in the output"; rc=1
fi
# User names are pseudonymized in request URIs (as the original does; a
# Referer header keeps its text). joy-sample.pcap requests /library/essays/…
if grep -o '"uri":"[^"]*"' "$out" | grep -i -E 'velma|essays'; then
    echo "FAIL: a listed user name is in a URI of the output"; rc=1
fi
grep -q '"usernames":\["[0-9a-f]\{32\}"\]' "$out" || { echo "FAIL: no pseudonymized user name listed"; rc=1; }
grep -q '"sa_labels": \[ "lab" , "one" \]' "$out" || { echo "FAIL: no sa_labels with both labels"; rc=1; }
[ "$(grep -c '"sa":"c21299eb0bafa3ae74383702c97f0c02"' "$out")" = 0 ] || { echo "FAIL: the reference key was used"; rc=1; }
# Errors were logged, one line each, with a level word.
[ "$(grep -c '^ERR: ' "$work/stderr")" -ge 17 ] || { echo "FAIL: fewer error lines than bad calls"; cat "$work/stderr"; rc=1; }
exit $rc
