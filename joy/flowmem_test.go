package joy

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"testing"

	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/pcapfile"
	"github.com/gojoy/libjoy/joy/registry"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// flowMemCopies is how many address-shifted copies of the joy-*.pcap
// captures BenchmarkFlowMemory feeds: enough flows that a few KB of
// noise in the heap do not matter.
const flowMemCopies = 40

// flowMemFrames returns the frames of the shared joy-*.pcap captures and
// their times, in file order.
func flowMemFrames(b testing.TB) (frames [][]byte, times []int64) {
	dir, ok := tu.SharedDir()
	if !ok {
		b.Skip("shared captures not found (JOY_SHARED)")
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "pcaps", "joy-*.pcap"))
	if len(paths) == 0 {
		b.Skip("no joy-*.pcap in the shared captures")
	}
	for _, p := range paths {
		r, err := pcapfile.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		for {
			pkt, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatalf("%s: %v", p, err)
			}
			frames = append(frames, append([]byte(nil), pkt.Data...))
			times = append(times, pkt.TS)
		}
		r.Close()
	}
	return frames, times
}

// shiftAddresses makes copy n of an Ethernet frame's IP addresses, so that
// each copy of a capture is flows of its own.
func shiftAddresses(dst, frame []byte, n int) []byte {
	dst = append(dst[:0], frame...)
	if len(dst) < 14 {
		return dst
	}
	switch {
	case dst[12] == 0x08 && dst[13] == 0x00 && len(dst) >= 34:
		dst[14+12+1] += byte(n)
		dst[14+16+1] += byte(n)
	case dst[12] == 0x86 && dst[13] == 0xdd && len(dst) >= 54:
		dst[14+8+1] += byte(n)
		dst[14+24+1] += byte(n)
	}
	return dst
}

func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkFlowMemory reports the heap one flow record holds while it is
// in the table (bytes/record: every flow of flowMemCopies copies of the
// joy-*.pcap captures held at once, nothing printed), and what a context
// keeps once every flow is printed (retained-bytes: free lists, module
// pools, caches, buffers), per option set of the C API's bitmask.
//
//	go test -run '^$' -bench FlowMemory -benchtime 1x ./joy/
//
// With JOY_FLOWMEM_HEAP=DIR, heap profiles of both moments are written
// to DIR (run with -test.memprofilerate=1 for exact ones).
func BenchmarkFlowMemory(b *testing.B) {
	frames, times := flowMemFrames(b)
	for _, set := range []struct {
		name string
		mask uint32
	}{
		{"bidir", 0x1},
		{"bidir+protocols", 0x7f},
		{"bidir+dist+entropy+classify", 0x3801},
	} {
		b.Run(set.name, func(b *testing.B) {
			var perRecord, retained float64
			var frame []byte
			for i := 0; i < b.N; i++ {
				cfg := &config.Config{Type: 1}
				registry.ApplyBitmask(cfg, set.mask)
				before := heapAlloc()
				ctx := NewContext(cfg, io.Discard, nil)
				for n := 0; n < flowMemCopies; n++ {
					for j, f := range frames {
						frame = shiftAddresses(frame, f, n)
						ctx.ProcessPacket(times[j], frame)
					}
				}
				held := heapAlloc()
				writeHeap(b, set.name+".held")
				records := ctx.Flows()
				ctx.PrintFlows(true)
				after := heapAlloc()
				writeHeap(b, set.name+".retained")
				runtime.KeepAlive(ctx)
				perRecord = float64(int64(held)-int64(before)) / float64(records)
				retained = float64(int64(after) - int64(before))
			}
			b.ReportMetric(perRecord, "bytes/record")
			b.ReportMetric(retained, "retained-bytes")
		})
	}
}

// writeHeap writes a heap profile to $JOY_FLOWMEM_HEAP/name.pprof when
// that is set (go tool pprof -sample_index=inuse_space FILE).
func writeHeap(b *testing.B, name string) {
	dir := os.Getenv("JOY_FLOWMEM_HEAP")
	if dir == "" {
		return
	}
	f, err := os.Create(filepath.Join(dir, name+".pprof"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		b.Fatal(err)
	}
}

// Flows with the protocols on allocate nothing once the context's pools
// and buffers have grown: every flow of the joy-*.pcap captures, printed
// and then seen again as new flows, takes its record and module states
// from the free lists, keeping their buffers (ssh's packet buffer used to
// be dropped at NEWKEYS, and http had no pool). TLS is left out: which
// certificates share a cache slot depends on the process's hash seed.
func TestProtocolFlowsDoNotAllocate(t *testing.T) {
	frames, times := flowMemFrames(t)
	cfg := &config.Config{Type: 1}
	registry.ApplyBitmask(cfg, 0x77) // bidir, dns, ssh, dhcp, http, ike
	ctx := NewContext(cfg, io.Discard, nil)
	cycle := func() {
		for j, f := range frames {
			ctx.ProcessPacket(times[j], f)
		}
		ctx.PrintFlows(true)
	}
	// Which pooled state meets which flow changes from pass to pass, so
	// buffers reach the size every flow needs after a few.
	for i := 0; i < 10; i++ {
		cycle()
	}
	if allocs := testing.AllocsPerRun(10, cycle); allocs != 0 {
		t.Fatalf("a pass over %d frames of known protocols allocates %.0f times, want 0", len(frames), allocs)
	}
}
