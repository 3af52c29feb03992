package ipfixit

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gojoy/libjoy/joy/ipfix"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// benchCapture returns the benchmark capture: JOY_IPFIX_BENCH_PCAP if set
// (an existing make-bigpcap.sh output, with its N in JOY_IPFIX_BENCH_N for
// the log), or one built with N copies (JOY_IPFIX_BENCH_N, default 50) by
// shared/bench/make-bigpcap.sh.
func benchCapture(t *testing.T) (string, int) {
	t.Helper()
	n := 50
	if s := os.Getenv("JOY_IPFIX_BENCH_N"); s != "" {
		if v, err := strconv.Atoi(s); err == nil && v > 0 {
			n = v
		}
	}
	if p := os.Getenv("JOY_IPFIX_BENCH_PCAP"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("JOY_IPFIX_BENCH_PCAP: %v", err)
		}
		return p, n
	}
	shared := tu.NeedShared(t)
	script := filepath.Join(shared, "bench", "make-bigpcap.sh")
	if _, err := os.Stat(script); err != nil {
		t.Skipf("no %s", script)
	}
	for _, tool := range []string{"editcap", "mergecap", "capinfos", "tcprewrite", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (Debian packages wireshark-common, tcpreplay, python3)", tool)
		}
	}
	out := filepath.Join(t.TempDir(), "bench.pcap")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if b, err := exec.CommandContext(ctx, "bash", script, out, strconv.Itoa(n)).CombinedOutput(); err != nil {
		t.Fatalf("make-bigpcap.sh: %v\n%s", err, b)
	}
	return out, n
}

// timeJoy runs joy once and returns its wall time; stdout goes to
// outPath ("": /dev/null).
func timeJoy(t *testing.T, outPath string, args ...string) time.Duration {
	t.Helper()
	bin := needJoy(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	if outPath != "" {
		f, err := os.Create(outPath)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd.Stdout = f
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	begin := time.Now()
	err := cmd.Run()
	d := time.Since(begin)
	if err != nil {
		t.Fatalf("joy %v: %v\n%s", args, err, stderr.String())
	}
	return d
}

// decodeSink decodes what a sink received with the library's collector.
func decodeSink(t *testing.T, s *sink) ([]flow, uint64) {
	t.Helper()
	c := ipfix.NewCollector()
	var flows []flow
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, m := range s.msgs {
		err := c.Decode(m.data, func(r *ipfix.Record) {
			addr := func(a [16]byte) string {
				if r.V6 {
					return netip.AddrFrom16(a).String()
				}
				return netip.AddrFrom4([4]byte(a[:4])).String()
			}
			f := flow{sa: addr(r.Src), da: addr(r.Dst), pr: int(r.Proto), bytes: r.Octets, pkts: r.Packets, start: r.Start, end: r.End}
			if hasPorts(f.pr) {
				f.sp, f.dp = int(r.Sp), int(r.Dp)
			}
			flows = append(flows, f)
		})
		if err != nil {
			t.Errorf("message %d: %v", i, err)
		}
	}
	return flows, c.Stats().Missed
}

// TestBenchExport exports the benchmark capture (make-bigpcap.sh, N=50
// by default) and checks that no flow is lost: to joy's own collector
// with the default options, and to an in-process UDP listener with a
// large receive buffer with dist=1 idp=1300 (many more, larger messages).
// It then logs the throughput of joy with and without export; it does not
// fail on timing. Skipped with -short.
func TestBenchExport(t *testing.T) {
	if testing.Short() {
		t.Skip("benchmark capture export: skipped with -short")
	}
	pcap, n := benchCapture(t)
	st, _ := os.Stat(pcap)
	heavy := []string{"dist=1", "idp=1300"}
	if tlsSupported(t, filepath.Join(tu.NeedShared(t), "pcaps", "joy-tls12.pcap")) {
		heavy = append(heavy, "tls=1")
	}

	for _, opts := range [][]string{nil, heavy} {
		name := "default options"
		if opts != nil {
			name = strings.Join(opts, " ")
		}
		// The exporter loses nothing: an in-process listener with a large
		// receive buffer gets every message, and the library's collector
		// decodes exactly the JSON flows from them.
		port := freeUDPPort(t)
		s := newSink(t, port)
		rcvbuf := 0
		if raw, err := s.conn.(syscallConner).SyscallConn(); err == nil {
			_ = raw.Control(func(fd uintptr) { rcvbuf, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF) })
		}
		run := runExport(t, port, pcap, opts...)
		s.waitCount(run.messages, 30*time.Second)
		flows, missed := decodeSink(t, s)
		if s.count() != run.messages || missed != 0 {
			msg := fmt.Sprintf("bench, %s: listener got %d of %d messages, %d records missing by sequence number (SO_RCVBUF %d bytes)",
				name, s.count(), run.messages, missed, rcvbuf)
			if rcvbuf < 1<<20 {
				t.Logf("%s: the system caps receive buffers (net.core.rmem_max), not checked", msg)
			} else {
				t.Error(msg)
			}
		} else {
			sameFlows(t, "bench, "+name, jsonFlows(t, run.json), flows)
		}
		s.close()
		t.Logf("bench N=%d (%.1f MB), %s: %d JSON flows, %d IPFIX records in %d messages; listener (SO_RCVBUF %d) got %d messages, %d records, %d missing",
			n, float64(st.Size())/1e6, name, len(run.json), run.records, run.messages, rcvbuf, s.count(), len(flows), missed)

		// joy's collector asks for a 32 MB receive buffer (beyond
		// rmem_max when run as root). What it gets must be JSON flows and
		// its sequence accounting must hold. With 16 MB or more (as the
		// kernel reports it) nothing may be lost; with less, a loss to
		// the burst is logged, with the kernel's count of datagrams
		// dropped for a full buffer.
		before := udpRcvbufErrors()
		var crun exportRun
		// 0: records lost to a full receive buffer never come.
		got, cst := collect(t, func(port int) int { crun = runExport(t, port, pcap, opts...); return 0 })
		lostToBuffer := udpRcvbufErrors() - before
		subsetFlows(t, "bench, joy collector, "+name, jsonFlows(t, crun.json), jsonFlows(t, got))
		if cst[2] != 0 || cst[1] != len(got) || cst[1]+cst[3] > crun.records {
			t.Errorf("joy collector, %s: %d messages, %d records (%d printed), %d undecodable, %d missing; exporter sent %d records",
				name, cst[0], cst[1], len(got), cst[2], cst[3], crun.records)
		}
		switch {
		case cst[1] == crun.records:
			t.Logf("joy collector, %s: all %d records in %d messages (receive buffer %d bytes)", name, cst[1], cst[0], cst[4])
		case cst[4] >= 16<<20:
			t.Errorf("joy collector, %s: LOST %d of %d records (%d seen as sequence gaps); %d of %d messages dropped, UDP RcvbufErrors +%d, with a receive buffer of %d bytes",
				name, crun.records-cst[1], crun.records, cst[3], crun.messages-cst[0], crun.messages, lostToBuffer, cst[4])
		default:
			t.Logf("joy collector, %s: LOST %d of %d records (%d seen as sequence gaps); %d of %d messages dropped, UDP RcvbufErrors +%d: the burst overflowed the collector's receive buffer of %d bytes (net.core.rmem_max)",
				name, crun.records-cst[1], crun.records, cst[3], crun.messages-cst[0], crun.messages, lostToBuffer, cst[4])
		}
	}

	// 3. Throughput: the three runs interleaved, after a warm-up run,
	// best and median of the rounds.
	rounds := 5
	if s := os.Getenv("JOY_IPFIX_BENCH_ROUNDS"); s != "" {
		if v, err := strconv.Atoi(s); err == nil && v > 0 {
			rounds = v
		}
	}
	dir := t.TempDir()
	eport := freeUDPPort(t)
	newSink(t, eport)
	for _, opts := range [][]string{nil, heavy} {
		args := append(append([]string{}, opts...), pcap)
		exportArgs := append([]string{"ipfix_export_remote_host=127.0.0.1", "ipfix_export_remote_port=" + strconv.Itoa(eport)}, args...)
		timeJoy(t, "", args...)
		var null, file, exp []time.Duration
		for i := 0; i < rounds; i++ {
			null = append(null, timeJoy(t, "", args...))
			file = append(file, timeJoy(t, filepath.Join(dir, "out.json"), args...))
			exp = append(exp, timeJoy(t, "", exportArgs...))
		}
		name := "default options"
		if opts != nil {
			name = strings.Join(opts, " ")
		}
		show := func(ds []time.Duration) string {
			slices.Sort(ds)
			return fmt.Sprintf("best %v median %v (%.0f MB/s)", ds[0].Round(time.Millisecond), ds[len(ds)/2].Round(time.Millisecond),
				float64(st.Size())/1e6/ds[len(ds)/2].Seconds())
		}
		ns, fs, es := show(null), show(file), show(exp)
		t.Logf("throughput, %s, %d rounds: JSON>/dev/null %s; JSON>file %s; JSON>/dev/null + IPFIX export %s; export/file %.2f, export/null %.2f (medians)",
			name, rounds, ns, fs, es, exp[rounds/2].Seconds()/file[rounds/2].Seconds(), exp[rounds/2].Seconds()/null[rounds/2].Seconds())
	}
}

type syscallConner interface {
	SyscallConn() (syscall.RawConn, error)
}

// udpRcvbufErrors is the system's count of UDP datagrams dropped because a
// receive buffer was full (/proc/net/snmp), or 0.
func udpRcvbufErrors() int {
	b, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return 0
	}
	var names []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "Udp:" {
			continue
		}
		if names == nil {
			names = f
			continue
		}
		for i, n := range names {
			if n == "RcvbufErrors" && i < len(f) {
				v, _ := strconv.Atoi(f[i])
				return v
			}
		}
	}
	return 0
}

// subsetFlows reports collected flows that are not JSON flows.
func subsetFlows(t *testing.T, what string, want, got []flow) {
	t.Helper()
	count := map[string]int{}
	for _, f := range want {
		count[f.String()]++
	}
	bad := 0
	for _, f := range got {
		k := f.String()
		if count[k] == 0 {
			bad++
			if bad <= 10 {
				t.Errorf("%s: collected flow not in JSON (or twice): %s", what, k)
			}
			continue
		}
		count[k]--
	}
	if bad > 10 {
		t.Errorf("%s: %d such flows", what, bad)
	}
}
