// Package ipfixit holds the integration tests of the IPFIX exporter against
// real collectors (tshark's dissector, nfdump's nfcapd, goflow2) and against
// the project's own collector. Every test runs the joy command built from
// this repository, talks over loopback (127.0.0.1) on random free UDP ports
// and compares what the collector saw with the JSON the same joy run
// printed (one-sided records, no bidir, so each JSON record is one IPFIX
// data record). A test skips with a message when its collector is not
// installed or the shared captures are absent (JOY_SHARED, default
// ../shared beside the repository).
//
// Collectors are found on PATH, or through TSHARK, NFCAPD, NFDUMP and
// GOFLOW2 (goflow2 also in Go's bin directory). TestBenchExport builds the
// benchmark capture with JOY_IPFIX_BENCH_N copies (default 50), or reads
// JOY_IPFIX_BENCH_PCAP, and times JOY_IPFIX_BENCH_ROUNDS rounds (default
// 5); it is skipped with -short.
package ipfixit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// joyCmd is the joy command, built once for the package's tests.
var joyCmd tu.JoyOnce

func TestMain(m *testing.M) {
	code := m.Run()
	joyCmd.Remove()
	os.Exit(code)
}

// needJoy builds cmd/joy (once) and returns its path.
func needJoy(t testing.TB) string {
	t.Helper()
	return joyCmd.Path(t)
}

// ipv6Captures have IPv6 flows (template 257); ndpi-6in4tunnel is IPv6
// in IPv4, one protocol-41 flow each way (no ports). joy-firefox58 and the
// kali captures mix both templates in the same messages.
var ipv6Captures = []string{
	"ndpi-pinterest.pcap",
	"ndpi-http_ipv6.pcap",
	"ndpi-6in4tunnel.pcap",
	"mercury-http_rawip.pcap",
}

// captures returns the shared joy-*.pcap files and, with v6, the IPv6
// selection (those present). It skips the test without the shared dir.
func captures(t testing.TB, v6 bool) []string {
	t.Helper()
	dir := tu.NeedShared(t)
	files, err := filepath.Glob(filepath.Join(dir, "pcaps", "joy-*.pcap"))
	if err != nil || len(files) == 0 {
		t.Skipf("no joy-*.pcap under %s/pcaps", dir)
	}
	sort.Strings(files)
	if v6 {
		for _, n := range ipv6Captures {
			p := filepath.Join(dir, "pcaps", n)
			if _, err := os.Stat(p); err == nil {
				files = append(files, p)
			}
		}
	}
	return files
}

// Collector ports come from below Linux's ephemeral range (32768 and up),
// each at most once per test process: a port picked by binding port 0
// could be handed to a parallel test's exporter as its source port, or to
// a parallel test as its collector port, between the check and the
// collector's bind.
const (
	firstTestPort = 20000
	testPorts     = 12000
)

var nextTestPort = rand.Int32N(testPorts)

// freeUDPPort returns a UDP port that was free a moment ago and that no
// other test of this process gets.
func freeUDPPort(t testing.TB) int {
	t.Helper()
	for range testPorts {
		port := firstTestPort + int(atomic.AddInt32(&nextTestPort, 1)%testPorts)
		c, err := net.ListenPacket("udp", ":"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		c.Close()
		return port
	}
	t.Fatal("free UDP port: none left")
	return 0
}

// udpSockets calls fn with the fields of every line of /proc/net/udp{,6}
// whose local address has port; ok is false when those cannot be read.
func udpSockets(port int, fn func(fields []string)) (ok bool) {
	suffix := fmt.Sprintf(":%04X", port)
	for _, f := range []string{"/proc/net/udp", "/proc/net/udp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		ok = true
		for _, line := range strings.Split(string(b), "\n")[1:] {
			if fields := strings.Fields(line); len(fields) > 4 && strings.HasSuffix(fields[1], suffix) {
				fn(fields)
			}
		}
	}
	return ok
}

// udpBound reports whether a socket of process pid is bound to UDP port
// on this host; ok is false when /proc/net/udp{,6} cannot be read. The
// socket must be pid's: another process's socket on the port (seen once
// in CI, when an export then went nowhere) does not count.
func udpBound(port, pid int) (bound, ok bool) {
	var inodes []string
	ok = udpSockets(port, func(fields []string) {
		if len(fields) > 9 {
			inodes = append(inodes, "socket:["+fields[9]+"]")
		}
	})
	if len(inodes) == 0 {
		return false, ok
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return false, ok
	}
	for _, fd := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && slices.Contains(inodes, link) {
			return true, ok
		}
	}
	return false, ok
}

// udpRxQueue returns the bytes waiting in the receive queues of the
// sockets bound to UDP port; ok is false when /proc/net/udp{,6} cannot be
// read.
func udpRxQueue(port int) (queued int64, ok bool) {
	ok = udpSockets(port, func(fields []string) {
		if _, rx, found := strings.Cut(fields[4], ":"); found {
			n, _ := strconv.ParseInt(rx, 16, 64)
			queued += n
		}
	})
	return queued, ok
}

// waitDrained waits (at most d) until nothing is queued for port.
func waitDrained(port int, d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		q, ok := udpRxQueue(port)
		if !ok {
			time.Sleep(2 * time.Second)
			return
		}
		if q == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitUDPBound waits (at most d) until the collector cmd has bound port;
// where /proc cannot tell, it waits one second.
func waitUDPBound(t testing.TB, port int, cmd *exec.Cmd, d time.Duration, exited <-chan struct{}) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		bound, ok := udpBound(port, cmd.Process.Pid)
		if !ok {
			time.Sleep(time.Second)
			return
		}
		if bound {
			return
		}
		select {
		case <-exited:
			t.Fatalf("collector exited before binding UDP port %d", port)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("no socket bound to UDP port %d after %v", port, d)
}

// exportRun is one joy run that printed JSON and exported over IPFIX.
type exportRun struct {
	pcap     string
	json     []map[string]any // flow records (config line dropped), numbers as json.Number
	records  int              // IPFIX data records joy says it sent
	messages int              // IPFIX messages joy says it sent
	stderr   string
}

var statsRE = regexp.MustCompile(`IPFIX: (\d+) records in (\d+) messages sent, (\d+) failed sends, (\d+) flows not exported`)

// runExport runs joy on pcap with the options, exporting to 127.0.0.1:port.
func runExport(t testing.TB, port int, pcap string, opts ...string) exportRun {
	t.Helper()
	bin := needJoy(t)
	args := append([]string{"ipfix_export_remote_host=127.0.0.1", "ipfix_export_remote_port=" + strconv.Itoa(port)}, opts...)
	args = append(args, pcap)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("joy %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	run := exportRun{pcap: pcap, stderr: stderr.String(), json: parseFlows(t, stdout.Bytes())}
	m := statsRE.FindStringSubmatch(run.stderr)
	if m == nil {
		t.Fatalf("joy %s: no IPFIX statistics line on stderr:\n%s", strings.Join(args, " "), run.stderr)
	}
	run.records, _ = strconv.Atoi(m[1])
	run.messages, _ = strconv.Atoi(m[2])
	if m[3] != "0" || m[4] != "0" {
		t.Errorf("%s: exporter: %s", filepath.Base(pcap), m[0])
	}
	if run.records != len(run.json) {
		t.Errorf("%s: joy printed %d JSON flow records but exported %d IPFIX records", filepath.Base(pcap), len(run.json), run.records)
	}
	return run
}

// parseFlows returns the flow records of joy's JSON lines output.
func parseFlows(t testing.TB, out []byte) []map[string]any {
	t.Helper()
	var recs []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(line))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			t.Fatalf("bad JSON line %.200q: %v", line, err)
		}
		if _, ok := m["sa"]; !ok {
			continue // the configuration record
		}
		recs = append(recs, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return recs
}

// flow is what every collector can report about a record.
type flow struct {
	sa, da     string // netip canonical text
	pr         int
	sp, dp     int // 0 unless TCP or UDP
	bytes      uint64
	pkts       uint64
	start, end int64 // µs since the epoch; -1 when the collector has none
}

func (f flow) String() string {
	s := fmt.Sprintf("%s %s pr=%d sp=%d dp=%d bytes=%d pkts=%d", f.sa, f.da, f.pr, f.sp, f.dp, f.bytes, f.pkts)
	if f.start >= 0 {
		s += fmt.Sprintf(" start=%d end=%d", f.start, f.end)
	}
	return s
}

func canonAddr(t testing.TB, s string) string {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatalf("bad address %q: %v", s, err)
	}
	return a.Unmap().String()
}

func hasPorts(pr int) bool { return pr == 6 || pr == 17 }

func num(t testing.TB, v any, key string) uint64 {
	t.Helper()
	switch x := v.(type) {
	case json.Number:
		n, err := strconv.ParseUint(x.String(), 10, 64)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		return n
	case float64:
		return uint64(x)
	case nil:
		return 0
	}
	t.Fatalf("%s: unexpected %T %v", key, v, v)
	return 0
}

// micros reads joy's "seconds.micros" time without float rounding.
func micros(t testing.TB, v any) int64 {
	t.Helper()
	s := fmt.Sprint(v)
	sec, frac, _ := strings.Cut(s, ".")
	frac = (frac + "000000")[:6]
	a, err1 := strconv.ParseInt(sec, 10, 64)
	b, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("bad time %q", s)
	}
	return a*1e6 + b
}

// jsonFlows reduces joy's JSON records to flows.
func jsonFlows(t testing.TB, recs []map[string]any) []flow {
	t.Helper()
	out := make([]flow, 0, len(recs))
	for _, r := range recs {
		f := flow{
			sa: canonAddr(t, fmt.Sprint(r["sa"])), da: canonAddr(t, fmt.Sprint(r["da"])),
			pr:    int(num(t, r["pr"], "pr")),
			bytes: num(t, r["bytes_out"], "bytes_out"), pkts: num(t, r["num_pkts_out"], "num_pkts_out"),
			start: micros(t, r["time_start"]), end: micros(t, r["time_end"]),
		}
		if hasPorts(f.pr) {
			f.sp, f.dp = int(num(t, r["sp"], "sp")), int(num(t, r["dp"], "dp"))
		}
		out = append(out, f)
	}
	return out
}

// sameFlows reports the difference of two multisets of flows.
func sameFlows(t testing.TB, what string, want, got []flow) bool {
	t.Helper()
	return sameStrings(t, what, "flows", toStrings(want), toStrings(got))
}

func toStrings[T fmt.Stringer](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.String()
	}
	return out
}

// sameStrings reports the difference of two multisets of strings: want
// from the JSON output, got from the collector.
func sameStrings(t testing.TB, what, noun string, want, got []string) bool {
	t.Helper()
	count := map[string]int{}
	for _, s := range want {
		count[s]++
	}
	for _, s := range got {
		count[s]--
	}
	var missing, extra []string
	for k, n := range count {
		for ; n > 0; n-- {
			missing = append(missing, k)
		}
		for ; n < 0; n++ {
			extra = append(extra, k)
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		return true
	}
	sort.Strings(missing)
	sort.Strings(extra)
	t.Errorf("%s: %d %s in JSON, %d at the collector; %d only in JSON, %d only at the collector",
		what, len(want), noun, len(got), len(missing), len(extra))
	for i, s := range missing {
		if i == 10 {
			t.Errorf("  ... %d more only in JSON", len(missing)-10)
			break
		}
		t.Errorf("  only in JSON:      %.600s", s)
	}
	for i, s := range extra {
		if i == 10 {
			t.Errorf("  ... %d more only at the collector", len(extra)-10)
			break
		}
		t.Errorf("  only at collector: %.600s", s)
	}
	return false
}

// sink is a UDP listener that keeps every datagram it receives, so sends
// to a port a capture watches do not bounce with ICMP port unreachable.
type sink struct {
	conn net.PacketConn
	mu   sync.Mutex
	msgs []sinkMsg
	done chan struct{}
}

type sinkMsg struct {
	at   time.Time
	src  *net.UDPAddr
	data []byte
}

func newSink(t testing.TB, port int) *sink {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("listen on UDP %d: %v", port, err)
	}
	setReadBuffer(c.(*net.UDPConn), 32<<20)
	s := &sink{conn: c, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		buf := make([]byte, 65536)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, sinkMsg{time.Now(), from.(*net.UDPAddr), append([]byte(nil), buf[:n]...)})
			s.mu.Unlock()
		}
	}()
	t.Cleanup(s.close)
	return s
}

// setReadBuffer asks for a receive buffer of n bytes: beyond
// net.core.rmem_max with SO_RCVBUFFORCE when the test may (root, or
// CAP_NET_ADMIN), otherwise up to rmem_max. The tests log the size they
// got and do not assert on loss when the system capped it low.
func setReadBuffer(c *net.UDPConn, n int) {
	if raw, err := c.SyscallConn(); err == nil {
		var serr error
		_ = raw.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, n) })
		if serr == nil {
			return
		}
	}
	_ = c.SetReadBuffer(n)
}

func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

// waitCount waits (at most d) until n datagrams arrived.
func (s *sink) waitCount(n int, d time.Duration) int {
	deadline := time.Now().Add(d)
	for s.count() < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	return s.count()
}

func (s *sink) close() {
	s.conn.Close()
	<-s.done
}

// lookTool finds a collector binary in $env, PATH or extra places.
func lookTool(env, name string, extra ...string) string {
	if p := os.Getenv(env); p != "" {
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, p := range extra {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// process is a started collector with its output.
type process struct {
	cmd    *exec.Cmd
	stdout *lockedBuffer
	stderr *lockedBuffer
	exited chan struct{}
	err    error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.b.Bytes()...)
}

// start runs a collector in the background; it is killed at cleanup if
// still running, and never runs longer than limit.
func start(t testing.TB, limit time.Duration, name string, args ...string) *process {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = 5 * time.Second
	p := &process{cmd: cmd, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("%s: %v", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		cancel()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// stop sends sig and waits (at most d) for the process to end.
func (p *process) stop(t testing.TB, sig os.Signal, d time.Duration) {
	t.Helper()
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
	case <-time.After(d):
		_ = p.cmd.Process.Kill()
		<-p.exited
		t.Errorf("%s did not stop within %v after %v; killed", filepath.Base(p.cmd.Path), d, sig)
	}
}
