package joy

import (
	"io"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	"github.com/gojoy/libjoy/joy/flow"
	"github.com/gojoy/libjoy/joy/pcapfile"
	"github.com/gojoy/libjoy/joy/record"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// benchPrint prints the records of the flows of the original's test
// captures, held in one context, again and again: the cost of the record
// printer alone.
func benchPrint(b *testing.B, cfg *Config) {
	ctxs := benchContexts(b, cfg)
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

// benchContexts returns one context per test capture of the original,
// holding that capture's flows.
func benchContexts(b *testing.B, cfg *Config) []*Context {
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
	return ctxs
}

func BenchmarkPrintJSON(b *testing.B) { benchPrint(b, &Config{Bidir: true, Type: 1}) }

func BenchmarkPrintJSONAllFeatures(b *testing.B) {
	benchPrint(b, &Config{Bidir: true, Type: 1, Dist: true, Entropy: true, IDP: 1300, HD: 1})
}

// benchOutput prints the records of the same flows as benchPrint through
// the output of format name, as a context does (typed rows for Parquet
// and CSV, JSON text otherwise), into a writer that drops the bytes: the
// cost of the record printer plus the format driver, per record. One
// output is written for the whole benchmark, so row groups fill as in a
// long capture. name "" is an output that takes the rows and drops them:
// the cost of the walk that fills them alone.
func benchOutput(b *testing.B, cfg *Config, name string) {
	ctxs := benchContexts(b, cfg)
	var sink countWriter
	var out io.Writer = nopRows{}
	finish := func() error { return nil }
	if name != "" {
		var err error
		if out, finish, err = NewOutput(&sink, name, ""); err != nil {
			b.Fatal(err)
		}
	}
	for _, ctx := range ctxs {
		ctx.out = out
		ctx.takeRows(out)
	}
	n := 0
	// The caller's thread is the packet path's: a format may encode on
	// another (Parquet), which a spare core runs alongside.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	cpu, caller := cpuTime(), threadCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, ctx := range ctxs {
			ctx.table.Walk(func(r *flow.Record) {
				ctx.print(r)
				n++
			})
			ctx.flush()
		}
	}
	caller = threadCPU() - caller
	if err := finish(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu)/float64(n), "cpu-ns/record")
	b.ReportMetric(float64(caller)/float64(n), "caller-cpu-ns/record")
	b.ReportMetric(float64(sink.n)/float64(n), "B/record")
}

// countWriter counts the bytes written to it and drops them.
type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

func BenchmarkOutputJSON(b *testing.B)    { benchOutput(b, &Config{Bidir: true, Type: 1}, "json") }
func BenchmarkOutputCSV(b *testing.B)     { benchOutput(b, &Config{Bidir: true, Type: 1}, "csv") }
func BenchmarkOutputParquet(b *testing.B) { benchOutput(b, &Config{Bidir: true, Type: 1}, "parquet") }

// cpuTime is the process's CPU time (user + system) in ns: on a shared
// machine it moves less than the wall clock.
func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// nopRows takes rows and drops them.
type nopRows struct{}

func (nopRows) Write(p []byte) (int, error)        { return len(p), nil }
func (nopRows) TakesRows() bool                    { return true }
func (nopRows) WriteRows(rows []record.Flow) error { return nil }

func BenchmarkOutputRowsOnly(b *testing.B) { benchOutput(b, &Config{Bidir: true, Type: 1}, "") }

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
	var out countWriter
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
