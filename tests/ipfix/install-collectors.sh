#!/bin/bash
# Installs what the IPFIX integration tests (tests/ipfix) use, on Debian as
# root (or with sudo): tshark (Wireshark's IPFIX dissector), nfdump
# (nfcapd/nfdump), wireshark-common + tcpreplay + python3 (the benchmark
# capture maker) and goflow2 (from the Go module proxy into $(go env GOPATH)/bin,
# where the tests look for it). Each test skips when its tool is missing.
set -euo pipefail
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    tshark wireshark-common nfdump tcpreplay python3
GOFLAGS= go install github.com/netsampler/goflow2/v2/cmd/goflow2@v2.2.6
echo "goflow2: $(go env GOPATH)/bin/goflow2"
