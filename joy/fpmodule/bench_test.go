package fpmodule_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gojoy/libjoy/joy"
	"github.com/gojoy/libjoy/joy/pcapfile"
	"github.com/gojoy/libjoy/tests/go/testutil"
)

// BenchmarkPacketPath measures the packet path (one context, output
// discarded) over the original's 14 test captures held in memory, with
// the six protocols on (the C bitmask 0x7f) and with quic=1 fingerprint=1
// added: compare the two packets/s figures (go test -bench PacketPath
// -count 6 runs them in turn; JOY_BENCH_PCAP=file reads another capture).
// Not a pass/fail test.
func BenchmarkPacketPath(b *testing.B) {
	shared := testutil.NeedShared(b)
	files, _ := filepath.Glob(filepath.Join(shared, "pcaps", "joy-*.pcap"))
	if f := os.Getenv("JOY_BENCH_PCAP"); f != "" {
		files = []string{f} // e.g. make bench's build/bench/big-50.pcap
	}
	var frames []pcapfile.Packet
	for _, f := range files {
		r, err := pcapfile.Open(f)
		if err != nil {
			b.Fatal(err)
		}
		for {
			p, err := r.Next()
			if err != nil {
				break
			}
			p.Data = append([]byte(nil), p.Data...)
			frames = append(frames, p)
		}
		r.Close()
	}
	for _, bc := range []struct {
		name string
		fp   bool
	}{{"protocols", false}, {"protocols+quic+fingerprint", true}} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := &joy.Config{Bidir: true, Type: 1, TLS: true, HTTP: true, DNS: true, SSH: true, DHCP: true, IKE: true}
			if bc.fp {
				cfg.Settings = map[string]uint{"quic": 1, "fingerprint": 1}
			}
			// One context, as a long capture has: its module states and
			// caches are recycled from one round to the next.
			ctx := joy.NewContext(cfg, io.Discard, nil)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for _, p := range frames {
					ctx.ProcessPacket(p.TS, p.Data)
				}
				ctx.PrintFlows(joy.AllFlows)
			}
			b.ReportMetric(float64(len(frames)*b.N)/b.Elapsed().Seconds(), "packets/s")
		})
	}
}
