package joy

import (
	"path/filepath"
	"testing"

	"github.com/gojoy/libjoy/joy/flow"
	"github.com/gojoy/libjoy/joy/pcapfile"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// benchPrint prints the records of the flows of the original's test
// captures, held in one context, again and again: the cost of the record
// printer alone.
func benchPrint(b *testing.B, cfg *Config) {
	dir, ok := tu.SharedDir()
	if !ok {
		b.Skip("shared captures not found (JOY_SHARED)")
	}
	pcaps, _ := filepath.Glob(filepath.Join(dir, "pcaps", "joy-*.pcap"))
	var ctxs []*Context
	for _, p := range pcaps {
		ctx := NewContext(cfg, nil, nil)
		r, err := pcapfile.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		for {
			pkt, err := r.Next()
			if err != nil {
				break
			}
			ctx.ProcessPacket(pkt.TS, pkt.Data)
		}
		r.Close()
		ctxs = append(ctxs, ctx)
	}
	var buf []byte
	n := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, ctx := range ctxs {
			t := ctx.Table()
			t.Walk(func(r *flow.Record) {
				buf = t.AppendJSON(buf[:0], r)
				n++
			})
		}
	}
	b.ReportMetric(float64(n)/float64(b.N), "records/op")
}

func BenchmarkPrintJSON(b *testing.B) { benchPrint(b, &Config{Bidir: true, Type: 1}) }

func BenchmarkPrintJSONAllFeatures(b *testing.B) {
	benchPrint(b, &Config{Bidir: true, Type: 1, Dist: true, Entropy: true, IDP: 1300, HD: 1})
}

// BenchmarkPrintJSONTLS is the printer with tls=1: the tls member, its
// certificates from the table's cache of rendered ones.
func BenchmarkPrintJSONTLS(b *testing.B) { benchPrint(b, &Config{Bidir: true, Type: 1, TLS: true}) }

// BenchmarkCaptureJSONTLS reads the original's test captures and prints
// their records with bidir=1 tls=1, whole (reading, TLS parsing, printing):
// the throughput the printer's share of is measured above.
func BenchmarkCaptureJSONTLS(b *testing.B) {
	dir, ok := tu.SharedDir()
	if !ok {
		b.Skip("shared captures not found (JOY_SHARED)")
	}
	pcaps, _ := filepath.Glob(filepath.Join(dir, "pcaps", "joy-*.pcap"))
	cfg := &Config{Bidir: true, Type: 1, TLS: true}
	var out discardCounter
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, p := range pcaps {
			if err := NewContext(cfg, &out, nil).ProcessCapture(p); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.SetBytes(out.n / int64(b.N))
}

// discardCounter counts the bytes written to it.
type discardCounter struct{ n int64 }

func (d *discardCounter) Write(p []byte) (int, error) { d.n += int64(len(p)); return len(p), nil }
