#!/bin/bash
# make bench-peers: the programs a user would compare joy with, on the
# benchmark capture, each as a ratio to the libpcap floor of the same run
# (and peak RSS), beside joy itself. Peers come from Debian: a missing one
# is installed when root, and skipped with a message when its package
# cannot be had. NetFlow exports go to 127.0.0.1 only.
#
#   tests/bench/peers.sh            (make bench-peers)
#   BENCH_N=50 / BENCH_RUNS=5       as for run.sh
source "$(dirname "$0")/common.sh"

# program|Debian package|row (KIND|LABEL|COMMAND, see bench.py)
peers=(
    "softflowd|softflowd|peer|softflowd -r (NetFlow v9 to 127.0.0.1:19995)|softflowd -d -r {pcap} -v 9 -n 127.0.0.1:19995"
    "nfpcapd|nfdump|peer|nfpcapd -r (nfdump; nfcapd files)|nfpcapd -r {pcap} -w {out}/nfcapd"
    "argus|argus-server|peer|argus -r (bidirectional flow records)|argus -r {pcap} -w -"
    "ndpiReader|libndpi-bin|peer|ndpiReader -i (nDPI; DPI classification)|ndpiReader -q -i {pcap}"
)

rows=$out/peer-rows.txt
cat > "$rows" <<'ROWS'
floor|floor: libpcap into an empty callback (pcapfloor)|{out}/pcapfloor {pcap}
joy|joy bidir=1|build/joy bidir=1 {pcap}
joy|joy bidir=1 dns=1 ssh=1 tls=1 dhcp=1 http=1 ike=1|build/joy bidir=1 dns=1 ssh=1 tls=1 dhcp=1 http=1 ike=1 {pcap}
ROWS
for p in "${peers[@]}"; do
    IFS='|' read -r prog pkg row <<<"$p"
    if ! command -v "$prog" >/dev/null && ! PATH=$PATH:/usr/sbin:/sbin command -v "$prog" >/dev/null; then
        apt_install "$pkg" || true
    fi
    if PATH=$PATH:/usr/sbin:/sbin command -v "$prog" >/dev/null; then
        echo "$row" >> "$rows"
    else
        echo "bench-peers: skipping $prog: Debian package $pkg is not installed"
    fi
done
mkdir -p "$out/nfcapd"

section "capture: $big ($(du -h "$big" | cut -f1)), $RUNS runs"
PATH=$PATH:/usr/sbin:/sbin python3 tests/bench/bench.py "$big" "$out" "$RUNS" "$rows" | tee "$out/peers-table.txt"
