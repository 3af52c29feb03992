package joy

import (
	"path/filepath"
	"runtime"
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
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := threadCPU()
	for i := 0; i < b.N; i++ {
		for _, ctx := range ctxs {
			t := ctx.Table()
			t.Walk(func(r *flow.Record) {
				buf = t.AppendJSON(buf[:0], r)
				n++
			})
		}
	}
	b.ReportMetric(float64(threadCPU()-cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(n)/float64(b.N), "records/op")
}

func BenchmarkPrintJSON(b *testing.B) { benchPrint(b, &Config{Bidir: true, Type: 1}) }

func BenchmarkPrintJSONAllFeatures(b *testing.B) {
	benchPrint(b, &Config{Bidir: true, Type: 1, Dist: true, Entropy: true, IDP: 1300, HD: 1})
}

// BenchmarkPrintJSONProtocols prints the records with the protocol
// modules of issue #13 on (DNS, SSH, DHCP, HTTP, IKE).
func BenchmarkPrintJSONProtocols(b *testing.B) {
	benchPrint(b, &Config{Bidir: true, Type: 1, DNS: true, SSH: true, DHCP: true, HTTP: true, IKE: true})
}

// BenchmarkPrintJSONProtocolsOnce prints each record once from fresh
// contexts, as a context does: the protocol modules that parse their kept
// payloads when a flow is first printed pay that here (the contexts are
// filled outside the timer).
func BenchmarkPrintJSONProtocolsOnce(b *testing.B) { benchPrintOnce(b, true) }

// BenchmarkPrintJSONProtocolsOnceSetup is BenchmarkPrintJSONProtocolsOnce
// without the printing: what to subtract from its counts under perf stat.
func BenchmarkPrintJSONProtocolsOnceSetup(b *testing.B) { benchPrintOnce(b, false) }

func benchPrintOnce(b *testing.B, print bool) {
	dir, ok := tu.SharedDir()
	if !ok {
		b.Skip("shared captures not found (JOY_SHARED)")
	}
	cfg := &Config{Bidir: true, Type: 1, DNS: true, SSH: true, DHCP: true, HTTP: true, IKE: true}
	pcaps, _ := filepath.Glob(filepath.Join(dir, "pcaps", "joy-*.pcap"))
	type packet struct {
		ts   int64
		data []byte
	}
	var captures [][]packet
	for _, p := range pcaps {
		r, err := pcapfile.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		var pkts []packet
		for {
			pkt, err := r.Next()
			if err != nil {
				break
			}
			pkts = append(pkts, packet{pkt.TS, append([]byte(nil), pkt.Data...)})
		}
		r.Close()
		captures = append(captures, pkts)
	}
	var buf []byte
	n := 0
	ctxs := make([]*Context, len(captures))
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var cpu int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for k, pkts := range captures {
			ctxs[k] = NewContext(cfg, nil, nil)
			for _, p := range pkts {
				ctxs[k].ProcessPacket(p.ts, p.data)
			}
		}
		b.StartTimer()
		if !print {
			continue
		}
		c := threadCPU()
		for _, ctx := range ctxs {
			t := ctx.Table()
			t.Walk(func(r *flow.Record) {
				buf = t.AppendJSON(buf[:0], r)
				n++
			})
		}
		cpu += threadCPU() - c
	}
	b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(n)/float64(b.N), "records/op")
}
