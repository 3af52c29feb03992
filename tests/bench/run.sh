#!/bin/bash
# Throughput and peak memory of libjoy against the libpcap floor, as
# $JOY_SHARED/bench/README.md asks, in one table (make bench): every option
# set through the command and the C API, and two contexts on two threads.
# Every figure is a ratio to the floor measured in the same run, since
# absolute speed drifts on shared machines; bench.py runs the rows.
#
#   tests/bench/run.sh             (make bench)
#   BENCH_N=50 tests/bench/run.sh  quick run on a 50-copy capture
#   BENCH_RUNS=5 ...               runs (the median is reported; default 3)
#
# To add a row, add a line to the rows below (KIND|LABEL|COMMAND; the kinds
# are described in bench.py).
source "$(dirname "$0")/common.sh"

rows=$out/rows.txt
cat > "$rows" <<'ROWS'
floor|floor: libpcap into an empty callback (pcapfloor)|{out}/pcapfloor {pcap}
floor2|floor, two processes at once (what the machine allows)|-
# The command: build/joy OPTIONS CAPTURE > stdout (whole process).
joy|joy bidir=1|build/joy bidir=1 {pcap}
joy|joy bidir=1 dns=1 ssh=1 tls=1 dhcp=1 http=1 ike=1|build/joy bidir=1 dns=1 ssh=1 tls=1 dhcp=1 http=1 ike=1 {pcap}
joy|joy bidir=1 dist=1 entropy=1 classify=1|build/joy bidir=1 dist=1 entropy=1 classify=1 {pcap}
joy|joy bidir=1 + six protocols + quic=1 fingerprint=1|build/joy bidir=1 dns=1 ssh=1 tls=1 dhcp=1 http=1 ike=1 quic=1 fingerprint=1 {pcap}
# The same records as Parquet and CSV files (compare with "joy bidir=1", JSON on stdout; issue #13).
peer|joy bidir=1 output=FILE.parquet|build/joy bidir=1 output={out}/flows.parquet {pcap}
peer|joy bidir=1 output=FILE.csv|build/joy bidir=1 output={out}/flows.csv {pcap}
# One capture over two contexts (threads=2: a reader and two workers).
joy|joy bidir=1 threads=2|build/joy bidir=1 threads=2 {pcap}
joy|joy bidir=1 + six protocols, threads=2|build/joy bidir=1 dns=1 ssh=1 tls=1 dhcp=1 http=1 ike=1 threads=2 {pcap}
# The C API: joy_bench, pcap_dispatch(20) into libjoy.so, expired flows printed after each batch.
self|C API joy_bench 0x1 (bidir)|{out}/joy_bench {pcap} 0x1 {rec}
self|C API joy_bench 0x7f (bidir + six protocols)|{out}/joy_bench {pcap} 0x7f {rec}
self|C API joy_bench 0x3801 (bidir + dist + entropy + classify)|{out}/joy_bench {pcap} 0x3801 {rec}
# Two contexts on two threads (joy_threads), each reading the capture.
pair|C API joy_threads 0x1|{out}/joy_threads 0x1 {rec} {pcaps}
pair|C API joy_threads 0x7f|{out}/joy_threads 0x7f {rec} {pcaps}
ROWS

packets=$(capinfos -c -M "$big" 2>/dev/null | awk '/Number of packets/ {print $NF}' || true)
section "capture: $big ($(du -h "$big" | cut -f1), ${packets:-?} packets), $RUNS runs"
python3 tests/bench/bench.py "$big" "$out" "$RUNS" "$rows" | tee "$out/bench-table.txt"
echo "original Joy (\$JOY_SHARED/bench/README.md): bidir=1 0.35, six protocols 0.064, dist+entropy+classify 0.045; peak RSS 19-23 MB"

# threads=2 against threads=1 with a check that both print the same records
# (tests/bench/threads.sh; BENCH_THREADS=0 skips it).
[ "${BENCH_THREADS:-1}" = 0 ] || BENCH_BIG="$big" bash tests/bench/threads.sh
