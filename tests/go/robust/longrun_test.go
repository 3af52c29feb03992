package robust

import (
	"bytes"
	"encoding/binary"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gojoy/libjoy/joy"
	"github.com/gojoy/libjoy/joy/logx"
)

// flowCounter is the output of the long run: it counts records and marks
// each flow (numbered by its source address) as seen, without keeping the
// text.
type flowCounter struct {
	seen    []uint64 // bitmap over flow numbers
	records int
	dups    int
	bad     int
	expireM int
	partial []byte
}

var (
	saKey = []byte(`"sa":"10.`)
	mKey  = []byte(`"expire_type":"m"`)
)

func (c *flowCounter) Write(p []byte) (int, error) {
	n := len(p)
	if len(c.partial) > 0 {
		p = append(c.partial, p...)
		c.partial = c.partial[:0]
	}
	for {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			c.partial = append(c.partial, p...)
			return n, nil
		}
		c.line(p[:i])
		p = p[i+1:]
	}
}

// line reads flow number a<<16|b<<8|c from "sa":"10.a.b.c".
func (c *flowCounter) line(l []byte) {
	i := bytes.Index(l, saKey)
	if i < 0 {
		c.bad++
		return
	}
	rest := l[i+len(saKey):]
	num := 0
	for part := 0; part < 3; part++ {
		v := 0
		j := 0
		for ; j < len(rest) && rest[j] >= '0' && rest[j] <= '9'; j++ {
			v = v*10 + int(rest[j]-'0')
		}
		if j == 0 || j >= len(rest) {
			c.bad++
			return
		}
		num = num<<8 | v
		rest = rest[j+1:]
	}
	if num/64 >= len(c.seen) {
		c.bad++
		return
	}
	if c.seen[num/64]&(1<<(num%64)) != 0 {
		c.dups++
	}
	c.seen[num/64] |= 1 << (num % 64)
	c.records++
	if bytes.Contains(l, mKey) {
		c.expireM++
	}
}

func maxRSSKiB() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return ru.Maxrss
}

func currentRSSKiB() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return -1
	}
	pages, _ := strconv.ParseInt(string(f[1]), 10, 64)
	return pages * int64(os.Getpagesize()) / 1024
}

// TestLongRun feeds N distinct one-packet UDP flows (built in memory, 2
// µs apart, so no timeout drains them) through one context whose flow
// table is bounded by max_records, and checks that the table never holds
// more than the bound, that every flow comes out exactly once, and that
// the process's peak RSS stays under a bound proportional to max_records.
//
// Default: 1,000,000 flows with max_records 100,000 (a few seconds).
// JOY_LONGRUN_FLOWS=10000000 (make longrun) is the full run.
func TestLongRun(t *testing.T) {
	if testing.Short() {
		t.Skip("long run: not with -short")
	}
	flows := 1_000_000
	if v := os.Getenv("JOY_LONGRUN_FLOWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 1<<24 {
			t.Fatalf("JOY_LONGRUN_FLOWS=%q: want 1 .. %d", v, 1<<24)
		}
		flows = n
	}
	const maxRecords = 100_000
	// The library's and the command's collector setting.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	runtime.GC()
	baseRSS := currentRSSKiB()
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)

	out := &flowCounter{seen: make([]uint64, (flows+63)/64)}
	var log bytes.Buffer
	cfg := &joy.Config{Type: 1, MaxRecords: maxRecords}
	ctx := joy.NewContext(cfg, out, logx.New(&log, 4))

	frame := make([]byte, 42+8)
	copy(frame, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00")
	ip := frame[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(ip[2:], 28+8)
	copy(ip[16:], []byte{192, 0, 2, 1})
	udp := ip[20:]
	binary.BigEndian.PutUint16(udp[0:], 40000)
	binary.BigEndian.PutUint16(udp[2:], 53)
	binary.BigEndian.PutUint16(udp[4:], 16)
	copy(udp[8:], "longrun!")

	start := time.Now()
	ts := int64(1502118721_000000)
	maxLive, peakHeap := 0, uint64(0)
	var ms runtime.MemStats
	for i := 0; i < flows; i++ {
		ip[12], ip[13], ip[14], ip[15] = 10, byte(i>>16), byte(i>>8), byte(i)
		ctx.ProcessPacket(ts+int64(i)*2, frame)
		if n := ctx.Flows(); n > maxLive {
			maxLive = n
		}
		if i%(flows/10+1) == 0 && i > maxRecords {
			runtime.ReadMemStats(&ms)
			peakHeap = max(peakHeap, ms.HeapInuse)
		}
	}
	runtime.ReadMemStats(&ms)
	peakHeap = max(peakHeap, ms.HeapInuse)
	liveAtEnd := ctx.Flows()
	// What the full table itself holds: the live heap after a collection,
	// less what was there before and the test's own bitmap.
	runtime.GC()
	runtime.ReadMemStats(&ms)
	tableBytes := float64(ms.HeapAlloc) - float64(ms0.HeapAlloc) - float64(len(out.seen)*8)
	ctx.PrintFlows(joy.AllFlows)
	elapsed := time.Since(start)
	peakRSS := maxRSSKiB()

	s := ctx.Stats()
	t.Logf("%d flows in %v (%.0f flows/s); max_records %d, most records live %d, evicted early %d",
		flows, elapsed.Round(time.Millisecond), float64(flows)/elapsed.Seconds(), maxRecords, maxLive, ctx.Evicted())
	t.Logf("records out %d (expire_type m: %d), duplicates %d, unparsed lines %d, write errors %d",
		out.records, out.expireM, out.dups, out.bad, s.WriteErrors)
	t.Logf("RSS before %d KiB, peak %d KiB (%.0f bytes of RSS growth per live record); Go heap in use at most %d KiB; live heap of the full table %.0f bytes per record",
		baseRSS, peakRSS, float64(peakRSS-baseRSS)*1024/float64(liveAtEnd), peakHeap/1024, tableBytes/float64(liveAtEnd))

	if maxLive > maxRecords {
		t.Errorf("the table held %d records, more than max_records %d", maxLive, maxRecords)
	}
	if out.records != flows || out.dups != 0 || out.bad != 0 || s.FlowsPrinted != uint64(flows) {
		t.Errorf("%d records out (%d duplicates, %d unparsed), %d printed; want each of %d flows once", out.records, out.dups, out.bad, s.FlowsPrinted, flows)
	}
	missing := 0
	for i := 0; i < flows; i++ {
		if out.seen[i/64]&(1<<(i%64)) == 0 {
			missing++
		}
	}
	if missing != 0 {
		t.Errorf("%d flows never came out", missing)
	}
	if want := flows - maxRecords; out.expireM != want {
		t.Errorf("%d records with expire_type m, want %d (all but the last max_records)", out.expireM, want)
	}
	// The bound: max_records records at 1.5 KB each (a one-packet record
	// measures well under 1 KB) over what the test process held before,
	// plus 64 MiB for the collector's headroom (GOGC 400) and the runtime.
	// The run's length must not matter: 10M flows stay under the same
	// bound as 1M.
	bound := baseRSS + maxRecords*3/2 + 64<<10
	if peakRSS > bound {
		t.Errorf("peak RSS %d KiB over the bound %d KiB", peakRSS, bound)
	}
}
