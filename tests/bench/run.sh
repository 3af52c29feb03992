#!/bin/bash
# Throughput of libjoy against the libpcap floor, as $JOY_SHARED/bench/README.md
# asks: every figure is a ratio to the floor measured in the same run, since
# absolute speed drifts on shared machines.
#
#   tests/bench/run.sh            (make bench)
#   BENCH_N=50 tests/bench/run.sh  quick run on a 50-copy capture
#   BENCH_RUNS=5 ...               runs per program (median is reported)
#   BENCH_BITMASK=0x1 ...          library features (default bidir)
#   BENCH_FINGERPRINT=1 ...        two more command rows: the six protocols
#                                  (bitmask 0x7f as options), and the same with
#                                  quic=1 fingerprint=1, with their ratio
#
# Measured, alternating floor / library / command, BENCH_RUNS times:
#   floor    pcapfloor: libpcap into an empty callback
#   library  joy_bench: pcap_dispatch(20) into libjoy.so, expired flows
#            printed after each batch, output to build/bench/joy_bench.json
#   command  build/joy bidir=1 CAPTURE > /dev/null (whole process)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"

shared=${JOY_SHARED:-../shared}
case $shared in /*) ;; *) shared=$repo/$shared ;; esac
if [ ! -f "$shared/bench/make-bigpcap.sh" ]; then
    echo "bench: $shared/bench not found; set JOY_SHARED to the shared/ directory" >&2
    exit 1
fi
N=${BENCH_N:-700}
RUNS=${BENCH_RUNS:-3}
BITMASK=${BENCH_BITMASK:-0x1}
out=$repo/build/bench
mkdir -p "$out"
big=$out/big.pcap
[ "$N" = 700 ] || big=$out/big-$N.pcap

section() { printf '\n==== %s\n' "$*"; }

# The capture maker needs wireshark-common and tcpreplay.
missing=()
for t in editcap mergecap capinfos tcprewrite; do command -v $t >/dev/null || missing+=($t); done
if [ ${#missing[@]} -gt 0 ] && [ ! -f "$big" ]; then
    section "installing wireshark-common tcpreplay (missing: ${missing[*]})"
    if [ "$(id -u)" = 0 ]; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q wireshark-common tcpreplay
    else
        echo "bench: run as root or install wireshark-common and tcpreplay" >&2
        exit 1
    fi
fi

if [ ! -f "$big" ]; then
    section "building $big (N=$N; N=700 takes several minutes)"
    bash "$shared/bench/make-bigpcap.sh" "$big.tmp" "$N"
    mv "$big.tmp" "$big"
fi

section "building the programs"
cc -O2 -o "$out/pcapfloor" "$shared/bench/pcapfloor.c" -lpcap
if [ ! -f build/libjoy.so ] || [ ! -x build/joy ]; then make all; fi
bench=$out/joy_bench
cc -O2 -Wall -Iinclude -o "$bench" tests/c/joy_bench.c -Lbuild -ljoy -lpcap -lpthread -Wl,-rpath,"$repo/build"

# run NAME CMD...: wall time and peak RSS of one run; prints "seconds rss_kb".
# The command's stdout goes to $out/NAME.stdout.
run() {
    local name=$1
    shift
    python3 - "$out/$name.stdout" "$@" <<'EOF'
import resource, subprocess, sys, time
with open(sys.argv[1], "w") as f:
    t = time.monotonic()
    subprocess.run(sys.argv[2:], stdout=f, check=True)
    s = time.monotonic() - t
print("%.6f %d" % (s, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
EOF
}

# The programs time themselves from pcap_open_offline on: "N packets in S s".
self_time() { sed -n 's/^\([0-9]*\) packets in \([0-9.]*\) s.*/\1 \2/p' "$1"; }

packets=$(capinfos -c -M "$big" 2>/dev/null | awk '/Number of packets/ {print $NF}' || true)
section "capture: $big ($(du -h "$big" | cut -f1), ${packets:-?} packets), $RUNS runs each, bitmask $BITMASK"
floor=() lib=() cli=() rss_floor=0 rss_lib=0 rss_cli=0 proto=() fp=()
protocols="bidir=1 tls=1 http=1 dns=1 ssh=1 dhcp=1 ike=1"
for i in $(seq 1 "$RUNS"); do
    res=$(run floor "$out/pcapfloor" "$big")
    rss=${res#* }
    read -r n s <<<"$(self_time "$out/floor.stdout")"
    floor+=("$(python3 -c "print($n/$s)")")
    rss_floor=$rss
    packets=$n

    res=$(run library "$bench" "$big" "$BITMASK" "$out/joy_bench.json")
    rss=${res#* }
    read -r n s <<<"$(self_time "$out/library.stdout")"
    [ "$n" = "$packets" ] || echo "warning: joy_bench read $n packets, the floor $packets"
    lib+=("$(python3 -c "print($n/$s)")")
    rss_lib=$rss

    res=$(run command build/joy bidir=1 "$big")
    read -r s rss <<<"$res"
    cli+=("$(python3 -c "print($packets/$s)")")
    rss_cli=$rss
    if [ "${BENCH_FINGERPRINT:-0}" = 1 ]; then
        res=$(run protocols build/joy $protocols "$big")
        read -r s rss <<<"$res"
        proto+=("$(python3 -c "print($packets/$s)")")
        res=$(run fingerprint build/joy $protocols quic=1 fingerprint=1 "$big")
        read -r s rss <<<"$res"
        fp+=("$(python3 -c "print($packets/$s)")")
        printf 'run %d: protocols %.2f Mpps, + quic fingerprint %.2f Mpps\n' "$i" \
            "$(python3 -c "print(${proto[-1]}/1e6)")" "$(python3 -c "print(${fp[-1]}/1e6)")"
    fi
    printf 'run %d: floor %.2f Mpps, library %.2f Mpps, command %.2f Mpps\n' "$i" \
        "$(python3 -c "print(${floor[-1]}/1e6)")" "$(python3 -c "print(${lib[-1]}/1e6)")" \
        "$(python3 -c "print(${cli[-1]}/1e6)")"
done

section "median of $RUNS (packets/s; ratio to the floor)"
python3 - "${floor[*]}" "${lib[*]}" "${cli[*]}" "$rss_floor" "$rss_lib" "$rss_cli" \
    "$(grep -vc end-config "$out/joy_bench.json" || true)" "$(grep -vc end-config "$out/command.stdout" || true)" <<'EOF'
import statistics, sys
floor, lib, cli = ([float(x) for x in a.split()] for a in sys.argv[1:4])
rss = [int(x) for x in sys.argv[4:7]]
flows = sys.argv[7:9]
f = statistics.median(floor)
rows = [("floor (libpcap)", f, rss[0], "-"), ("library (joy_bench)", statistics.median(lib), rss[1], flows[0]),
        ("command (build/joy bidir=1)", statistics.median(cli), rss[2], flows[1])]
print("%-30s %10s %8s %10s %8s" % ("", "Mpps", "ratio", "peak RSS", "flows"))
for name, v, r, n in rows:
    print("%-30s %10.2f %8.3f %7d MB %8s" % (name, v / 1e6, v / f, r // 1024, n))
print("original Joy, bidir=1 (bench/README.md): ratio 0.35")
EOF

if [ "${BENCH_FINGERPRINT:-0}" = 1 ]; then
    python3 - "${floor[*]}" "${proto[*]}" "${fp[*]}" <<'EOF'
import statistics, sys
floor, proto, fp = (statistics.median(float(x) for x in a.split()) for a in sys.argv[1:4])
print("%-30s %10.2f %8.3f" % ("command, six protocols", proto / 1e6, proto / floor))
print("%-30s %10.2f %8.3f" % ("  + quic=1 fingerprint=1", fp / 1e6, fp / floor))
print("fingerprint row / protocols row: %.3f" % (fp / proto))
EOF
fi
