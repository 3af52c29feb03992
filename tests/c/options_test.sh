#!/bin/bash
# joy_set_option (issue #14): options set by name before joy_initialize
# change the records as the joy command's name=value options do, combine
# with the bitmask (bits OR'd in), and misuse is refused.
#   options_test.sh JOY_OPTIONS OUTDIR
source "$(dirname "$0")/common.sh"
prog=$1 outdir=$2
work=$outdir/options
rm -rf "$work" && mkdir -p "$work"
# Misuse needs no capture.
"$prog" --misuse "$work" 2>"$work/misuse.stderr" || { cat "$work/misuse.stderr"; exit 1; }
rc=0
n=$(grep -c '^ERR: joy_set_option: ' "$work/misuse.stderr" || true)
[ "$n" = 13 ] || { echo "FAIL: $n joy_set_option error lines for 13 refused calls"; cat "$work/misuse.stderr"; rc=1; }
grep -q 'unknown option "no_such_option"' "$work/misuse.stderr" || { echo "FAIL: the unknown name is not named"; rc=1; }
grep -q 'hd=33: hd must be a whole number from 0 to 32' "$work/misuse.stderr" || { echo "FAIL: no message for hd=33"; rc=1; }
grep -q 'read-only' "$work/misuse.stderr" || { echo "FAIL: no message for a call after joy_initialize"; rc=1; }

need_shared
cap=$JOY_SHARED/pcaps/joy-tls12.pcap
run() { # NAME BITMASK OPTIONS... (CAPTURE: $cap)
    local name=$1
    shift
    "$prog" "$work/$name.json" "$cap" "$@" 2>"$work/$name.stderr" || { echo "FAIL: run $name"; cat "$work/$name.stderr"; exit 1; }
    $check json "$work/$name.json"
}
run base 0x1
run wht 0x1 wht=1
run ppi 0x1 ppi=1
run salt 0x1 salt=1
run hd8 0x4001 hd=8
run hdbit 0x4001
run idp 0x1 idp=16
run quic 0x1 quic=1
run type2 0x1 type=2
# Bits OR'd with options: tls from the bitmask, wht from an option.
run both 0x9 wht=1
# A bound on the flow records: the oldest flows of joy-sample.pcap (20
# records without it, 53 with max_records=2) are printed early, marked "m".
cap=$JOY_SHARED/pcaps/joy-sample.pcap
run many 0x1
run maxrec 0x1 max_records=2

python3 - "$work" <<'PY' || rc=1
import json, sys
work = sys.argv[1]
def load(name):
    lines = [json.loads(l) for l in open(f"{work}/{name}.json")]
    return lines[0], lines[1:]
fails = []
def check(ok, msg):
    if not ok:
        fails.append(msg)
base_cfg, base = load("base")
check(len(base) > 0, "base: no records")
for m in ("wht", "ppi", "oseq", "hd", "idp_out", "tls"):
    check(not any(m in r for r in base), f"base: {m} present without the option")
def has(name, member, cfgkey, cfgval=1):
    cfg, recs = load(name)
    check(cfg.get(cfgkey) == cfgval, f"{name}: configuration record {cfgkey}={cfg.get(cfgkey)}, want {cfgval}")
    check(any(member in r for r in recs), f"{name}: no record has {member}")
    check(len(recs) == len(base), f"{name}: {len(recs)} records, base has {len(base)}")
    return recs
has("wht", "wht", "wht")
has("ppi", "ppi", "ppi")
has("salt", "oseq", "salt")
for r in has("hd8", "hd", "hd", 8):
    if "hd" in r:
        check(len(r["hd"]["cm"]) == 16, f"hd8: hd.cm {r['hd']['cm']} is not 8 bytes")
for r in has("hdbit", "hd", "hd", 1):
    if "hd" in r:
        check(len(r["hd"]["cm"]) == 2, f"hdbit: hd.cm {r['hd']['cm']} is not 1 byte")
for r in has("idp", "idp_out", "idp", 16):
    if "idp_out" in r:
        check(len(r["idp_out"]) == 32, f"idp: idp_out {r['idp_out']} is not 16 bytes")
cfg, _ = load("quic")
check(cfg.get("quic") == 1, "quic: the configuration record lacks quic:1")
cfg, _ = load("type2")
check(cfg.get("type") == 2, f"type2: type {cfg.get('type')}, want 2 (an option wins over joy_init.type)")
has("both", "wht", "wht")
has("both", "tls", "tls")
_, many = load("many")
cfg, maxrec = load("maxrec")
m = sum(1 for r in maxrec if r.get("expire_type") == "m")
check(not any(r.get("expire_type") == "m" for r in many), "many: a record marked m without max_records")
check(m > 10, f"maxrec: {m} records marked m with max_records=2")
check(len(maxrec) >= len(many), f"maxrec: {len(maxrec)} records, fewer than the {len(many)} without the bound")
for f in fails:
    print("FAIL:", f)
sys.exit(1 if fails else 0)
PY
exit $rc
