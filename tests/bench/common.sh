# Sourced by run.sh and peers.sh: the benchmark capture and the programs.
# Sets repo, shared, out (build/bench), big (the capture), RUNS.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
shared=${JOY_SHARED:-../shared}
case $shared in /*) ;; *) shared=$repo/$shared ;; esac
if [ ! -f "$shared/bench/make-bigpcap.sh" ]; then
    echo "bench: $shared/bench not found; set JOY_SHARED to the shared/ directory" >&2
    exit 1
fi
N=${BENCH_N:-700}
RUNS=${BENCH_RUNS:-3}
out=$repo/build/bench
mkdir -p "$out"
big=$out/big.pcap
[ "$N" = 700 ] || big=$out/big-$N.pcap

section() { printf '\n==== %s\n' "$*"; }

# apt_install PKG...: installs Debian packages when root, else says which.
apt_install() {
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        section "installing $*"
        export DEBIAN_FRONTEND=noninteractive
        { apt-get update -q && apt-get install -y -q --no-install-recommends "$@"; } >"$out/apt.log" 2>&1 ||
            { echo "bench: apt-get install $* failed (see $out/apt.log)" >&2; return 1; }
    else
        echo "bench: not root; please install $*" >&2
        return 1
    fi
}

# The capture maker needs wireshark-common and tcpreplay.
if [ ! -f "$big" ]; then
    missing=()
    for t in editcap mergecap capinfos tcprewrite; do command -v $t >/dev/null || missing+=($t); done
    [ ${#missing[@]} -eq 0 ] || apt_install wireshark-common tcpreplay
    section "building $big (N=$N; N=700 takes several minutes)"
    bash "$shared/bench/make-bigpcap.sh" "$big.tmp" "$N"
    mv "$big.tmp" "$big"
fi

section "building the programs"
cc -O2 -o "$out/pcapfloor" "$shared/bench/pcapfloor.c" -lpcap
if [ ! -f build/libjoy.so ] || [ ! -x build/joy ]; then make all; fi
cc -O2 -Wall -o "$out/rusage" tests/bench/rusage.c
for p in joy_bench joy_threads; do
    cc -O2 -Wall -Iinclude -o "$out/$p" tests/c/$p.c -Lbuild -ljoy -lpcap -lpthread -Wl,-rpath,"$repo/build"
done
