#!/bin/bash
# threads=N over one capture: build/joy threads=1 against threads=2 on the
# benchmark capture, for bidir=1 and for bidir=1 with the six protocols,
# each a ratio to the libpcap floor measured in the same run, and the
# speed-up of threads=2 over threads=1, and the CPU time (user + system)
# each run took (the records are the same set; the check below compares
# them sorted).
#
#   tests/bench/threads.sh          (run by tests/bench/run.sh, after it)
#   BENCH_BIG=FILE BENCH_RUNS=5 tests/bench/threads.sh
#
# Needs build/joy and the capture and floor program run.sh builds
# (build/bench/big.pcap, build/bench/pcapfloor).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
out=$repo/build/bench
big=${BENCH_BIG:-$out/big.pcap}
RUNS=${BENCH_RUNS:-3}
THREADS=${BENCH_THREADS_N:-2}
for f in "$big" "$out/pcapfloor" build/joy; do
    [ -e "$f" ] || { echo "bench threads: $f missing (run tests/bench/run.sh first)" >&2; exit 1; }
done

printf '\n==== threads=%s over one capture: %s, %s runs each (median)\n' "$THREADS" "$big" "$RUNS"
python3 - "$big" "$out" "$RUNS" "$THREADS" <<'EOF'
import resource, statistics, subprocess, sys, time
big, out, runs, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
sets = [("bidir=1", ["bidir=1"]),
        ("bidir=1 + six protocols", ["bidir=1", "tls=1", "http=1", "dns=1", "ssh=1", "dhcp=1", "ike=1"])]

def floor():
    o = subprocess.run([out + "/pcapfloor", big], capture_output=True, text=True, check=True).stdout
    n, s = o.split()[0], o.split()[3]
    return int(n), int(n) / float(s)

cpu = {}

def joy(opts, t, path):
    with open(path, "w") as f:
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        s = time.monotonic()
        subprocess.run(["build/joy"] + opts + ["threads=" + t, big], stdout=f, check=True)
        wall = time.monotonic() - s
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.setdefault((" ".join(opts), t), []).append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
        return wall

floors, res = [], {}
packets = 0
for i in range(runs):
    packets, pps = floor()
    floors.append(pps)
    for name, opts in sets:
        for t in ("1", threads):  # alternate, so drift hits both alike
            res.setdefault((name, t), []).append(packets / joy(opts, t, "%s/threads-%s.out" % (out, t)))
        a, b = (sorted(open("%s/threads-%s.out" % (out, t)).readlines()) for t in ("1", threads))
        if a != b:
            print("ERROR: %s: threads=%s records differ from threads=1" % (name, threads))
            sys.exit(1)
f = statistics.median(floors)
print("%-36s %8s %8s %9s %8s" % ("command (build/joy)", "Mpps", "ratio", "speed-up", "CPU s"))
for name, opts in sets:
    one = statistics.median(res[(name, "1")])
    for t in ("1", threads):
        v = statistics.median(res[(name, t)])
        c = statistics.median(cpu[(" ".join(opts), t)])
        print("%-36s %8.2f %8.3f %8.2fx %8.2f" % ("%s threads=%s" % (name, t), v / 1e6, v / f, v / one, c))
print("floor (libpcap) %.2f Mpps; records of threads=%s equal to threads=1 (sorted) in every run" % (f / 1e6, threads))
EOF
