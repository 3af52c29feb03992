package joy

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/gojoy/libjoy/joy/decode"
	"github.com/gojoy/libjoy/joy/flow"
	"github.com/gojoy/libjoy/joy/pcapfile"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// threadOptionSets are the option sets TestThreadsSameRecords runs.
var threadOptionSets = []struct {
	name string
	cfg  Config
}{
	{"default", Config{Type: 1}},
	{"bidir", Config{Type: 1, Bidir: true}},
	{"bidir+protocols+dist+entropy", Config{Type: 1, Bidir: true, DNS: true, SSH: true, TLS: true, DHCP: true,
		HTTP: true, IKE: true, Dist: true, Entropy: true}},
	// A bound of 40 records (flows printed early with "m" in every
	// context, in the whole table's order) and the preemptive timeout.
	{"bidir+max_records=40+preemptive", Config{Type: 1, Bidir: true, MaxRecords: 40, PreemptiveTimeout: true}},
}

// shortCaptures are the captures -short runs: the original's test
// captures and a few of the corpus' larger ones (long flows, many
// expiries, IPv6, fragments, Linux cooked, pcapng).
var shortCaptures = map[string]bool{
	"joy-sample.pcap": true, "joy-test.pcap": true, "ndpi-gnutella.pcap": true, "ndpi-1kxun.pcap": true,
	"suricata-decode-sll2-02.pcap": true, "mercury-capture2.pcap": true, "gopacket-pcapng-be-test202.pcapng": true,
}

func runThreads(t *testing.T, cfg *Config, path string, threads int) []string {
	t.Helper()
	var out bytes.Buffer
	ctx := NewContext(cfg, &out, nil)
	ctx.SetThreads(threads)
	if err := ctx.ProcessCapture(path); err != nil {
		t.Fatalf("%s threads=%d: %v", path, threads, err)
	}
	if ctx.Flows() != 0 {
		t.Errorf("%s threads=%d: %d flows left in the context", path, threads, ctx.Flows())
	}
	lines := strings.SplitAfter(out.String(), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if st := ctx.Stats(); st.FlowsPrinted != uint64(len(lines)) {
		t.Errorf("%s threads=%d: %d flows printed, %d lines", path, threads, st.FlowsPrinted, len(lines))
	}
	sort.Strings(lines)
	return lines
}

// threads=2 and 3 print the records threads=1 prints (as multisets of
// lines) on every capture of the corpus, for three option sets. With
// -short, a subset of captures; JOY_THREADS_ALL=1 runs every capture even
// with -short.
func TestThreadsSameRecords(t *testing.T) {
	dir := tu.NeedShared(t)
	files, err := filepath.Glob(filepath.Join(dir, "pcaps", "*.pcap*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no captures in %s/pcaps", dir)
	}
	short := testing.Short() && os.Getenv("JOY_THREADS_ALL") == ""
	compared := 0
	for _, path := range files {
		if short && !shortCaptures[filepath.Base(path)] {
			continue
		}
		for _, os := range threadOptionSets {
			cfg := os.cfg
			want := runThreads(t, &cfg, path, 1)
			for _, n := range []int{2, 3} {
				got := runThreads(t, &cfg, path, n)
				if d := diffLines(want, got); d != "" {
					t.Errorf("%s %s: threads=%d differs from threads=1 (%d and %d records):\n%s",
						filepath.Base(path), os.name, n, len(got), len(want), d)
				}
			}
			compared += len(want)
		}
	}
	if compared == 0 {
		t.Fatal("no record compared")
	}
	t.Logf("%d records compared", compared)
}

// diffLines describes the first lines of two sorted multisets that
// differ, or returns "".
func diffLines(want, got []string) string {
	var b strings.Builder
	i, j, shown := 0, 0, 0
	for (i < len(want) || j < len(got)) && shown < 4 {
		switch {
		case j >= len(got) || (i < len(want) && want[i] < got[j]):
			b.WriteString("  only threads=1: " + want[i])
			i++
			shown++
		case i >= len(want) || got[j] < want[i]:
			b.WriteString("  only threads=N: " + got[j])
			j++
			shown++
		default:
			i++
			j++
		}
	}
	return b.String()
}

// PacketKey gives the key of the record Observe puts a packet in, and
// SymmetricHash gives both directions one hash, on every packet of a
// capture with fragments, ICMP and IPv6.
func TestPacketKeyAndHash(t *testing.T) {
	dir := tu.NeedShared(t)
	for _, name := range []string{"joy-sample.pcap", "suricata-decode-sll2-02.pcap", "ndpi-1kxun.pcap"} {
		r, err := pcapfile.Open(filepath.Join(dir, "pcaps", name))
		if err != nil {
			t.Fatal(err)
		}
		tab := flow.NewTable(flow.Options{Bidir: true}, nopLog{}, func(*flow.Record) {})
		var dec *decode.Decoder
		var p decode.Packet
		seen := 0
		for {
			f, err := r.Next()
			if err != nil {
				break
			}
			if dec == nil || dec.LinkType() != f.Link {
				dec = decode.NewDecoder(f.Link)
			}
			if dec.Decode(f.Data, &p) != nil {
				continue
			}
			k := flow.PacketKey(&p)
			rec := tab.Observe(&p, f.TS)
			if rec.Key != k {
				t.Fatalf("%s: packet key %+v, record key %+v", name, k, rec.Key)
			}
			rk := k.Reverse()
			if flow.SymmetricHash(&k) != flow.SymmetricHash(&rk) {
				t.Fatalf("%s: hash of %+v differs from its reverse", name, k)
			}
			seen++
		}
		r.Close()
		t.Logf("%s: %d packets", name, seen)
		if seen == 0 {
			t.Errorf("%s: no IP packet", name)
		}
	}
}

type nopLog struct{}

func (nopLog) Errorf(string, ...any) {}
func (nopLog) Always(string, ...any) {}

// Spread over contexts, a capture gives the counters of one context, the
// capture filter keeps the same frames, and Interrupt stops the reader.
func TestThreadsStatsFilterInterrupt(t *testing.T) {
	dir := tu.NeedShared(t)
	// zeek-linux_dlt_sll2 has non-IP frames; joy-sample IPv4 with a UDP
	// subset for the filter.
	for _, name := range []string{"zeek-linux_dlt_sll2.pcap", "joy-sample.pcap", "ndpi-1kxun.pcap"} {
		path := filepath.Join(dir, "pcaps", name)
		for _, filter := range []bool{false, true} {
			var st [2]Stats
			var lines [2][]string
			for i, n := range []int{1, 3} {
				var out bytes.Buffer
				ctx := NewContext(&Config{Type: 1, Bidir: true}, &out, nil)
				ctx.SetThreads(n)
				if filter {
					ctx.SetCaptureFilter(&capFilter{})
				}
				if err := ctx.ProcessCapture(path); err != nil {
					t.Fatal(err)
				}
				st[i], lines[i] = ctx.Stats(), strings.SplitAfter(out.String(), "\n")
				sort.Strings(lines[i])
			}
			if st[0] != st[1] {
				t.Errorf("%s filter=%v: counters %+v with threads=3, %+v with threads=1", name, filter, st[1], st[0])
			}
			if !filter && (st[0].Packets == 0 || st[0].FlowsPrinted == 0 || st[0].Ignored == 0 && name == "zeek-linux_dlt_sll2.pcap") {
				t.Errorf("%s filter=%v: nothing counted: %+v", name, filter, st[0])
			}
			if d := diffLines(lines[0], lines[1]); d != "" {
				t.Errorf("%s filter=%v: threads=3 differs from threads=1:\n%s", name, filter, d)
			}
		}
	}
	var none bytes.Buffer
	ctx := NewContext(&Config{Type: 1}, &none, nil)
	ctx.SetThreads(2)
	ctx.Interrupt()
	if err := ctx.ProcessCapture(filepath.Join(dir, "pcaps", "joy-sample.pcap")); err != ErrInterrupted {
		t.Errorf("interrupted ProcessCapture returned %v", err)
	}
	if none.Len() != 0 || ctx.Stats().Packets != 0 {
		t.Errorf("interrupted before the first packet, yet %d packets, %d bytes out", ctx.Stats().Packets, none.Len())
	}
}

// Spreading a capture over contexts allocates per run (contexts, reused
// batches, the schedule's slab), not per packet.
func TestThreadsDoNotAllocatePerPacket(t *testing.T) {
	out, in := steadyFrames(t)
	var f bytes.Buffer
	le := binary.LittleEndian
	f.Write(le.AppendUint32(nil, 0xa1b2c3d4))
	f.Write([]byte{2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Write(le.AppendUint32(nil, 65535))
	f.Write(le.AppendUint32(nil, 1))
	const packets = 100_000
	for i := 0; i < packets; i++ {
		frame := out
		if i%2 == 1 {
			frame = in
		}
		for _, v := range []uint32{1_600_000_000 + uint32(i/1000), uint32(i % 1000 * 1000), uint32(len(frame)), uint32(len(frame))} {
			f.Write(le.AppendUint32(nil, v))
		}
		f.Write(frame)
	}
	path := filepath.Join(t.TempDir(), "steady.pcap")
	if err := os.WriteFile(path, f.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := NewContext(&Config{Type: 1, Bidir: true}, io.Discard, nil)
	ctx.SetThreads(2)
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	if err := ctx.ProcessCapture(path); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&b)
	if st := ctx.Stats(); st.Packets != packets || st.FlowsPrinted == 0 {
		t.Fatalf("counters %+v", st)
	}
	if n := b.Mallocs - a.Mallocs; n > packets/100 {
		t.Errorf("%d allocations for %d packets", n, packets)
	}
}
