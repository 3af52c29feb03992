#!/bin/bash
# Live capture benchmark (make bench-live): the benchmark capture replayed
# at top speed into a veth pair in a network namespace of its own, captured
# on the other end by tcpdump -w /dev/null, joy threads=1 and joy threads=2
# (bidir=1, records to /dev/null), in turn, BENCH_RUNS rounds. For each run:
# packets sent, received and dropped by the kernel, as each program reports
# them. No packet leaves the namespace.
#
#   BENCH_N=50      copies in the capture (default 50; 700 is the full one)
#   BENCH_RUNS=3    rounds
#   BENCH_JOY_OPTS  joy options (default bidir=1)
#
# Needs root, ip, tcpreplay, tcpdump, and the shared bench material.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
shared=${JOY_SHARED:-../shared}
case $shared in /*) ;; *) shared=$repo/$shared ;; esac
N=${BENCH_N:-50}
RUNS=${BENCH_RUNS:-3}
OPTS=${BENCH_JOY_OPTS:-bidir=1}
out=$repo/build/bench
mkdir -p "$out"
big=$out/big.pcap
[ "$N" = 700 ] || big=$out/big-$N.pcap

[ "$(id -u)" = 0 ] || { echo "bench-live: needs root (network namespace, AF_PACKET)" >&2; exit 1; }
for t in ip tcpreplay tcpdump; do
    command -v $t >/dev/null || { echo "bench-live: $t is not installed (apt-get install iproute2 tcpreplay tcpdump)" >&2; exit 1; }
done
if [ ! -f "$big" ]; then
    [ -f "$shared/bench/make-bigpcap.sh" ] || { echo "bench-live: $shared/bench not found; set JOY_SHARED" >&2; exit 1; }
    echo "building $big (N=$N)"
    bash "$shared/bench/make-bigpcap.sh" "$big.tmp" "$N"
    mv "$big.tmp" "$big"
fi
make cli >/dev/null

ns=joybench$$
cleanup() { ip netns del $ns 2>/dev/null || true; }
trap cleanup EXIT
ip netns add $ns
ip netns exec $ns sh -c '[ ! -d /proc/sys/net/ipv6 ] || { echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6 && echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6; }' 
ip -n $ns link add va type veth peer name vb
ip -n $ns link set va mtu 9000 up
ip -n $ns link set vb mtu 9000 up

results=$out/live-results.txt
: > "$results"
log=$out/live-run.log

# run NAME CMD...: start the capture in the namespace, replay, stop it.
run() {
    local name=$1; shift
    ip netns exec $ns "$@" > /dev/null 2> "$log" &
    local pid=$!
    # Ready when it says so (joy: "capturing on", tcpdump: "listening on").
    for _ in $(seq 100); do grep -q "capturing on\|listening on" "$log" && break; sleep 0.1; done
    sleep 0.5
    local rep sent secs
    rep=$(ip netns exec $ns tcpreplay --topspeed -i vb "$big" 2>&1)
    sent=$(sed -n 's/.*Successful packets: *\([0-9]*\).*/\1/p' <<<"$rep")
    secs=$(sed -n 's/.*Actual: [0-9]* packets ([0-9]* bytes) sent in \([0-9.]*\) seconds.*/\1/p' <<<"$rep")
    sleep 1
    kill -TERM $pid
    wait $pid || true
    local recv drop
    if [ "$name" = tcpdump ]; then
        recv=$(sed -n 's/^\([0-9]*\) packets received by filter.*/\1/p' "$log")
        drop=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$log")
    else
        recv=$(sed -n 's/^joy: stats received=\([0-9]*\) .*/\1/p' "$log" | tail -1)
        drop=$(sed -n 's/^joy: stats received=[0-9]* dropped=\([0-9]*\) .*/\1/p' "$log" | tail -1)
    fi
    printf '%s %s %s %s %s\n' "$name" "$sent" "$secs" "${recv:-?}" "${drop:-?}" | tee -a "$results"
}

echo "program sent replay_seconds received dropped"
for r in $(seq "$RUNS"); do
    run tcpdump tcpdump -i va -B 32768 -w /dev/null
    run joy-threads=1 build/joy $OPTS interface=va threads=1 output=/dev/null
    run joy-threads=2 build/joy $OPTS interface=va threads=2 output=/dev/null
done

python3 - "$results" <<'EOF'
import sys, statistics, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    name, sent, secs, recv, drop = line.split()
    rows[name].append((int(sent), float(secs), int(recv), int(drop)))
print("\nmedian of %d runs (offered rate = tcpreplay --topspeed; handled = received - dropped)" % len(next(iter(rows.values()))))
print("%-16s %10s %12s %10s %10s %9s %12s" % ("program", "sent", "offered pps", "received", "dropped", "drop %", "handled pps"))
for name, rs in rows.items():
    sent = statistics.median(r[0] for r in rs)
    secs = statistics.median(r[1] for r in rs)
    recv = statistics.median(r[2] for r in rs)
    drop = statistics.median(r[3] for r in rs)
    handled = statistics.median((r[2] - r[3]) / r[1] for r in rs if r[1] > 0)
    print("%-16s %10d %12.0f %10d %10d %8.2f%% %12.0f" % (name, sent, sent / secs if secs else 0, recv, drop,
          100.0 * drop / recv if recv else 0, handled))
EOF
