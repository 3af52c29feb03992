//go:build linux

// Package liveit tests live capture through the joy command on real
// interfaces: each test makes its own network namespace with a veth pair
// (IPv6 off, so the kernel sends nothing of its own), replays shared
// captures into one end with tcpreplay at a fixed rate, and runs
// "joy interface=<other end>" inside the namespace. No packet leaves the
// namespace. The records must equal those of the same captures read from
// the files (times aside).
//
// The tests need root (CAP_NET_ADMIN, for ip netns and AF_PACKET), ip and
// tcpreplay, and the shared captures (JOY_SHARED, default ../shared beside
// the repository); each skips with a message otherwise. The bad-input
// tests need none of that.
package liveit

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

var (
	joyCmd tu.JoyOnce
	nsSeq  int
)

func TestMain(m *testing.M) {
	code := m.Run()
	joyCmd.Remove()
	os.Exit(code)
}

// needJoy builds cmd/joy once and returns its path.
func needJoy(t testing.TB) string {
	t.Helper()
	return joyCmd.Path(t)
}

// run runs a command with a timeout and returns its combined output.
func run(t testing.TB, timeout time.Duration, name string, args ...string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return exec.CommandContext(ctx, name, args...).CombinedOutput()
}

// netns is a network namespace holding the veth pair "va" (captured, with
// the address 198.51.100.1/30) and "vb" (replayed into).
type netns struct{ name string }

// newNetns makes the namespace, or skips the test when the machine cannot.
func newNetns(t *testing.T) *netns {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("live capture tests need root (CAP_NET_ADMIN for ip netns and AF_PACKET sockets)")
	}
	for _, tool := range []string{"ip", "tcpreplay"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (apt-get install iproute2 tcpreplay)", tool)
		}
	}
	nsSeq++
	n := &netns{name: fmt.Sprintf("joylive%d-%d", os.Getpid(), nsSeq)}
	if out, err := run(t, 10*time.Second, "ip", "netns", "add", n.name); err != nil {
		t.Skipf("cannot make a network namespace (no CAP_NET_ADMIN?): %v: %s", err, out)
	}
	t.Cleanup(func() { run(t, 10*time.Second, "ip", "netns", "del", n.name) })
	// IPv6 off before the links exist: no router solicitations, MLD
	// reports or duplicate address detection in the capture.
	steps := [][]string{
		{"ip", "netns", "exec", n.name, "sh", "-c", "[ ! -d /proc/sys/net/ipv6 ] || { echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6 && echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6; }"},
		{"ip", "-n", n.name, "link", "add", "va", "type", "veth", "peer", "name", "vb"},
		// Some captured frames are larger than 1500 bytes (segmentation offload).
		{"ip", "-n", n.name, "link", "set", "va", "mtu", "9000", "up"},
		{"ip", "-n", n.name, "link", "set", "vb", "mtu", "9000", "up"},
		{"ip", "-n", n.name, "addr", "add", "198.51.100.1/30", "dev", "va"},
	}
	for _, s := range steps {
		if out, err := run(t, 10*time.Second, s[0], s[1:]...); err != nil {
			t.Fatalf("%s: %v: %s", strings.Join(s, " "), err, out)
		}
	}
	return n
}

// sensor is a joy command capturing inside a namespace.
type sensor struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	mu     sync.Mutex
	stderr []string
	ready  chan struct{}
	exited chan struct{}
	err    error
}

// startJoy starts "joy args..." in the namespace and waits until it is
// capturing.
func startJoy(t *testing.T, n *netns, args ...string) *sensor {
	t.Helper()
	s := &sensor{ready: make(chan struct{}), exited: make(chan struct{})}
	s.cmd = exec.Command("ip", append([]string{"netns", "exec", n.name, needJoy(t)}, args...)...)
	s.cmd.Stdout = &s.stdout
	errPipe, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			s.cmd.Process.Kill()
			<-s.exited
		}
	})
	go func() {
		sc := bufio.NewScanner(errPipe)
		once := sync.Once{}
		for sc.Scan() {
			s.mu.Lock()
			s.stderr = append(s.stderr, sc.Text())
			s.mu.Unlock()
			if strings.HasPrefix(sc.Text(), "joy: capturing on ") {
				once.Do(func() { close(s.ready) })
			}
		}
		s.err = s.cmd.Wait()
		close(s.exited)
	}()
	select {
	case <-s.ready:
	case <-s.exited:
		t.Fatalf("joy %s exited before capturing: %v\n%s", strings.Join(args, " "), s.err, s.stderrText())
	case <-time.After(20 * time.Second):
		t.Fatalf("joy %s did not start capturing within 20 s\n%s", strings.Join(args, " "), s.stderrText())
	}
	return s
}

func (s *sensor) stderrText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.stderr, "\n")
}

func (s *sensor) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
}

// stop sends SIGTERM and waits for joy to exit; it must exit 0 with the
// statistics line last on stderr, which it returns parsed.
func (s *sensor) stop(t *testing.T) statsLine {
	t.Helper()
	s.signal(t, syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		t.Fatalf("joy did not exit within 20 s of SIGTERM\n%s", s.stderrText())
	}
	if s.err != nil {
		t.Fatalf("joy exited with %v after SIGTERM, want status 0\n%s", s.err, s.stderrText())
	}
	s.mu.Lock()
	last := ""
	if len(s.stderr) > 0 {
		last = s.stderr[len(s.stderr)-1]
	}
	s.mu.Unlock()
	st, ok := parseStats(last)
	if !ok {
		t.Fatalf("last stderr line is not the statistics line: %q\n%s", last, s.stderrText())
	}
	return st
}

type statsLine struct {
	received, dropped uint64
	packets           []uint64
	flows             uint64
}

var statsRE = regexp.MustCompile(`^joy: stats received=(\d+) dropped=(\d+) packets=([\d,]+) flows=(\d+) active=(\d+) output_errors=(\d+) lost=(\d+)$`)

func parseStats(line string) (statsLine, bool) {
	m := statsRE.FindStringSubmatch(line)
	if m == nil {
		return statsLine{}, false
	}
	var s statsLine
	s.received, _ = strconv.ParseUint(m[1], 10, 64)
	s.dropped, _ = strconv.ParseUint(m[2], 10, 64)
	for _, p := range strings.Split(m[3], ",") {
		n, _ := strconv.ParseUint(p, 10, 64)
		s.packets = append(s.packets, n)
	}
	s.flows, _ = strconv.ParseUint(m[4], 10, 64)
	return s, true
}

// replay sends the captures into vb at a fixed rate and returns how many
// packets tcpreplay sent.
func replay(t *testing.T, n *netns, pps int, files ...string) int {
	t.Helper()
	args := append([]string{"netns", "exec", n.name, "tcpreplay", "-i", "vb", "--pps=" + strconv.Itoa(pps)}, files...)
	out, err := run(t, 2*time.Minute, "ip", args...)
	if err != nil {
		t.Fatalf("tcpreplay: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Successful packets:\s+(\d+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no packet count in tcpreplay's output:\n%s", out)
	}
	if f := regexp.MustCompile(`Failed packets:\s+(\d+)`).FindSubmatch(out); f != nil && string(f[1]) != "0" {
		t.Fatalf("tcpreplay could not send every packet:\n%s", out)
	}
	sent, _ := strconv.Atoi(string(m[1]))
	return sent
}

// pcaps returns the paths of the named shared captures, or skips.
func pcaps(t *testing.T, names ...string) []string {
	t.Helper()
	dir := tu.NeedShared(t)
	var out []string
	for _, n := range names {
		p := filepath.Join(dir, "pcaps", n)
		if _, err := os.Stat(p); err != nil {
			t.Skipf("shared capture %s is missing: %v", n, err)
		}
		out = append(out, p)
	}
	return out
}

// fileRecords runs joy on each capture file alone and returns the records.
func fileRecords(t *testing.T, opts []string, files ...string) []string {
	t.Helper()
	var all []string
	for _, f := range files {
		out, err := run(t, time.Minute, needJoy(t), append(append([]string{}, opts...), f)...)
		if err != nil {
			t.Fatalf("joy %v %s: %v\n%s", opts, f, err, out)
		}
		all = append(all, records(t, out)...)
	}
	sort.Strings(all)
	return all
}

// records checks that every line is JSON, that the first is the
// configuration record, and returns the flow records without their times,
// in canonical form (sorted keys), sorted.
func records(t *testing.T, out []byte) []string {
	t.Helper()
	lines := tu.Lines(out)
	if len(lines) == 0 || !strings.Contains(lines[0], `"end-config":1`) {
		t.Fatalf("output does not start with the configuration record:\n%.300s", out)
	}
	var recs []string
	for i, l := range lines[1:] {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%.300s", i+2, err, l)
		}
		for _, k := range []string{"time_start", "time_end", "expire_type"} {
			delete(r, k)
		}
		stripTimes(r)
		b, _ := json.Marshal(r)
		recs = append(recs, string(b))
	}
	sort.Strings(recs)
	return recs
}

// stripTimes removes the inter-packet times ("ipt") everywhere: they are
// the replay's, not the capture's.
func stripTimes(v any) {
	switch x := v.(type) {
	case map[string]any:
		delete(x, "ipt")
		for _, e := range x {
			stripTimes(e)
		}
	case []any:
		for _, e := range x {
			stripTimes(e)
		}
	}
}

// flowKey is the 5-tuple of a canonical record.
func flowKey(rec string) string {
	var r struct {
		SA, DA string
		SP, DP int
		PR     int
	}
	json.Unmarshal([]byte(rec), &r)
	return fmt.Sprintf("%s:%d > %s:%d/%d", r.SA, r.SP, r.DA, r.DP, r.PR)
}

// sameRecords compares the live records with the files' ones.
func sameRecords(t *testing.T, live, file []string) {
	t.Helper()
	if len(file) == 0 {
		t.Fatal("the captures gave no records")
	}
	lm, fm := map[string]int{}, map[string]int{}
	for _, r := range live {
		lm[r]++
	}
	for _, r := range file {
		fm[r]++
	}
	bad := 0
	for r, n := range fm {
		if lm[r] != n {
			bad++
			if bad <= 5 {
				t.Errorf("file record seen %d times live, %d in the files: %s", lm[r], n, r)
			}
		}
	}
	for r, n := range lm {
		if fm[r] == 0 {
			bad++
			if bad <= 10 {
				t.Errorf("live record (%d) not in the files' output: %.400s", n, r)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d differing records; live %d records, files %d", bad, len(live), len(file))
	}
}

var recordOpts = []string{"bidir=1", "tls=1", "http=1", "dns=1", "ssh=1", "dist=1"}

// equalCaptures is joy-sample (HTTP, DNS, TLS, ICMP) and the SSH attack
// capture: 293 packets, 28 bidirectional flows, none split by a timeout.
var equalCaptures = []string{"joy-sample.pcap", "joy-kali-password-attack_hydra.pcap"}

func testEqual(t *testing.T, threads int) {
	files := pcaps(t, equalCaptures...)
	n := newNetns(t)
	want := fileRecords(t, recordOpts, files...)
	s := startJoy(t, n, append([]string{"interface=va", "threads=" + strconv.Itoa(threads)}, recordOpts...)...)
	sent := replay(t, n, 500, files...)
	time.Sleep(300 * time.Millisecond) // beyond the ring's 50 ms block timeout
	st := s.stop(t)
	got := records(t, s.stdout.Bytes())
	sameRecords(t, got, want)
	if st.received != uint64(sent) || st.dropped != 0 {
		t.Errorf("kernel received %d, dropped %d; tcpreplay sent %d", st.received, st.dropped, sent)
	}
	var sum uint64
	for _, p := range st.packets {
		sum += p
	}
	if len(st.packets) != threads || sum != uint64(sent) {
		t.Errorf("per-context packets %v, want %d contexts summing to %d", st.packets, threads, sent)
	}
	if st.flows != uint64(len(want)) {
		t.Errorf("stats flows=%d, want %d", st.flows, len(want))
	}
	t.Logf("%d packets, %d records, per context %v", sent, len(got), st.packets)
}

// TestLiveEqualsFile: one context; the records equal the files' records.
func TestLiveEqualsFile(t *testing.T) { testEqual(t, 1) }

// TestLiveThreads: two contexts fed by a fanout group: every flow exactly
// once, both directions in one record (the records equal the files'), and
// both contexts got packets.
func TestLiveThreads(t *testing.T) {
	testEqual(t, 2)
}

// TestLiveFanoutSymmetric: with four contexts, a flow's two directions
// still meet: no record is one-sided where the file's is not.
func TestLiveFanoutSymmetric(t *testing.T) {
	files := pcaps(t, "joy-kali-password-attack_hydra.pcap", "joy-sample.pcap")
	n := newNetns(t)
	want := fileRecords(t, []string{"bidir=1"}, files...)
	s := startJoy(t, n, "interface=va", "threads=4", "bidir=1")
	replay(t, n, 500, files...)
	time.Sleep(300 * time.Millisecond)
	st := s.stop(t)
	got := records(t, s.stdout.Bytes())
	sameRecords(t, got, want)
	busy := 0
	for _, p := range st.packets {
		if p > 0 {
			busy++
		}
	}
	if busy < 2 {
		t.Errorf("per-context packets %v: the fanout spread nothing", st.packets)
	}
	keys := map[string]bool{}
	for _, r := range got {
		if keys[flowKey(r)] {
			t.Errorf("flow %s printed twice", flowKey(r))
		}
		keys[flowKey(r)] = true
	}
}

// TestLiveVLAN: the kernel takes 802.1Q tags out of received frames; the
// capture puts them back, so tagged captures give the files' records.
func TestLiveVLAN(t *testing.T) {
	files := pcaps(t, "zeek-http-vlan-0.pcap", "zeek-q-in-q.pcap", "ipfixprobe-vlan.pcap")
	n := newNetns(t)
	want := fileRecords(t, []string{"bidir=1", "http=1"}, files...)
	s := startJoy(t, n, "interface=va", "bidir=1", "http=1")
	replay(t, n, 500, files...)
	time.Sleep(300 * time.Millisecond)
	s.stop(t)
	sameRecords(t, records(t, s.stdout.Bytes()), want)
}

// TestLiveBPF: bpf= runs in the kernel live and in Go on files; both keep
// the same flows (here the UDP ones of joy-sample: DNS).
func TestLiveBPF(t *testing.T) {
	files := pcaps(t, "joy-sample.pcap")
	opts := []string{"bidir=1", "dns=1", "bpf=udp and port 53"}
	want := fileRecords(t, opts, files...)
	all := fileRecords(t, []string{"bidir=1", "dns=1"}, files...)
	var udp []string
	for _, r := range all {
		if strings.HasSuffix(flowKey(r), "/17") {
			udp = append(udp, r)
		}
	}
	if len(udp) == len(all) || len(udp) == 0 {
		t.Fatalf("joy-sample has %d UDP flows of %d: not a test of the filter", len(udp), len(all))
	}
	sameRecords(t, want, udp)

	n := newNetns(t)
	s := startJoy(t, n, append([]string{"interface=va"}, opts...)...)
	replay(t, n, 500, files...)
	time.Sleep(300 * time.Millisecond)
	st := s.stop(t)
	sameRecords(t, records(t, s.stdout.Bytes()), want)
	if st.received >= 104 || st.received == 0 {
		t.Errorf("the kernel passed %d of joy-sample's 104 packets through the filter", st.received)
	}
}

// TestLiveAuto: interface=auto takes the first interface that is up, not
// loopback and has an address: in the namespace only va has one.
// With promisc=1 the interface is promiscuous while joy runs, and not
// after; stats=1 logs the statistics line every second.
func TestLiveAuto(t *testing.T) {
	n := newNetns(t)
	promisc := func() bool {
		// A packet socket's membership counts in "promiscuity"; the
		// PROMISC flag shows only what SIOCSIFFLAGS set.
		out, err := run(t, 10*time.Second, "ip", "-d", "-n", n.name, "link", "show", "va")
		if err != nil {
			t.Fatalf("ip link show: %v: %s", err, out)
		}
		m := regexp.MustCompile(`promiscuity (\d+)`).FindSubmatch(out)
		if m == nil {
			t.Fatalf("no promiscuity count in: %s", out)
		}
		return string(m[1]) != "0"
	}
	if promisc() {
		t.Fatal("va is promiscuous before joy runs")
	}
	s := startJoy(t, n, "interface=auto", "bidir=1", "promisc=1", "stats=1")
	if !strings.Contains(s.stderrText(), "joy: capturing on va ") {
		t.Errorf("interface=auto did not pick va:\n%s", s.stderrText())
	}
	time.Sleep(2500 * time.Millisecond)
	if c := strings.Count(s.stderrText(), "joy: stats received=0 dropped=0 packets=0 "); c < 2 {
		t.Errorf("stats=1: %d statistics lines in 2.5 s\n%s", c, s.stderrText())
	}
	if !promisc() {
		t.Error("promisc=1: va is not promiscuous while joy runs")
	}
	s.stop(t)
	if promisc() {
		t.Error("va is still promiscuous after joy exited")
	}
	if !strings.Contains(s.stdout.String(), `"interface":"auto","promisc":1`) {
		t.Errorf("configuration record does not show interface=auto, promisc=1: %.300s", s.stdout.String())
	}
}

// TestLiveSignals: under continuous traffic, SIGUSR1 logs the statistics
// line, SIGHUP reopens the (gzip) output after logrotate renamed it, and
// SIGTERM ends the run: both files are valid gzip of valid JSON lines to
// the last one, each starting with the configuration record, the last
// stderr line is the statistics line, the status is 0.
func TestLiveSignals(t *testing.T) {
	files := pcaps(t, "joy-sample.pcap")
	n := newNetns(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "flows.json.gz")
	s := startJoy(t, n, "interface=va", "bidir=1", "http=1", "dns=1", "threads=2", "output="+out)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep := exec.CommandContext(ctx, "ip", "netns", "exec", n.name, "tcpreplay", "-q", "-i", "vb", "--pps=400", "--loop=0", files[0])
	if err := rep.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { rep.Process.Kill(); rep.Wait() }()

	time.Sleep(1500 * time.Millisecond)
	s.signal(t, syscall.SIGUSR1)
	for i := 0; i < 50 && !strings.Contains(s.stderrText(), "joy: stats "); i++ {
		time.Sleep(100 * time.Millisecond) // a loaded machine may take a while
	}
	if strings.Count(s.stderrText(), "joy: stats ") != 1 {
		t.Errorf("SIGUSR1 did not log one statistics line:\n%s", s.stderrText())
	}
	if err := os.Rename(out, out+".1"); err != nil {
		t.Fatal(err)
	}
	s.signal(t, syscall.SIGHUP)
	time.Sleep(1500 * time.Millisecond)
	st := s.stop(t)
	if st.received == 0 {
		t.Errorf("nothing received: %+v", st)
	}
	total := 0
	for _, f := range []string{out + ".1", out} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		text, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s: not valid gzip to the end: %v", f, err)
		}
		recs := records(t, text)
		// The replay loops over the same flows, so before SIGHUP none may
		// have ended yet; the file after it gets them at SIGTERM.
		if len(recs) == 0 && f == out {
			t.Errorf("%s has no records", f)
		}
		total += len(recs)
	}
	if uint64(total) != st.flows {
		t.Errorf("%d records in the two files, the statistics line says %d", total, st.flows)
	}
}

// TestLiveSecondInterrupt: a second SIGINT ends the run at once, with a
// non-zero status.
func TestLiveSecondInterrupt(t *testing.T) {
	n := newNetns(t)
	s := startJoy(t, n, "interface=va", "bidir=1")
	s.signal(t, syscall.SIGINT)
	s.signal(t, syscall.SIGINT)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("joy did not exit within 10 s of two SIGINTs")
	}
	// Either the first SIGINT already finished the run (status 0) or the
	// second cut it short (status 130).
	if s.err != nil {
		var ee *exec.ExitError
		if !errorsAs(s.err, &ee) || ee.ExitCode() != 130 {
			t.Errorf("status %v, want 0 or 130", s.err)
		}
	}
}

func errorsAs(err error, target **exec.ExitError) bool {
	ee, ok := err.(*exec.ExitError)
	if ok {
		*target = ee
	}
	return ok
}

// TestBadInput: an unknown interface or a bad filter expression is one
// clear line on stderr and a non-zero status before any packet is read.
// These cases need no privileges.
func TestBadInput(t *testing.T) {
	joy := needJoy(t)
	sample := ""
	if dir, ok := tu.SharedDir(); ok {
		sample = filepath.Join(dir, "pcaps", "joy-sample.pcap")
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown interface", []string{"interface=nosuchif0", "bidir=1"}, `interface "nosuchif0": no such network interface`},
		{"bad bpf live", []string{"interface=lo", "bpf=tcp prot 80"}, `bpf "tcp prot 80": `},
		{"bad bpf file", []string{"bpf=udp and and", "bidir=1", sample}, `bpf "udp and and": `},
		{"bad threads", []string{"interface=lo", "threads=0"}, "threads"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if strings.Contains(c.name, "file") && sample == "" {
				t.Skip("shared captures not found (JOY_SHARED)")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, joy, c.args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if err == nil {
				t.Fatalf("status 0, want an error")
			}
			if ctx.Err() != nil {
				t.Fatalf("joy did not exit within 30 s")
			}
			lines := tu.Lines(stderr.Bytes())
			if len(lines) != 1 || !strings.Contains(lines[0], c.want) {
				t.Errorf("stderr %q, want one line containing %q", stderr.String(), c.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("records were written: %.200s", stdout.String())
			}
		})
	}
}

// TestLiveQuietLinkExpiry: on a link gone quiet the wall clock expires
// the flows (10 s inactive timeout): they are written before joy is
// stopped, each marked inactive-expired.
func TestLiveQuietLinkExpiry(t *testing.T) {
	if testing.Short() {
		t.Skip("slow (10 s timeouts); not with -short")
	}
	files := pcaps(t, "joy-sample.pcap")
	n := newNetns(t)
	want := fileRecords(t, []string{"bidir=1"}, files...)
	out := filepath.Join(t.TempDir(), "flows.json")
	s := startJoy(t, n, "interface=va", "bidir=1", "output="+out)
	replay(t, n, 500, files...)
	deadline := time.Now().Add(25 * time.Second)
	var b []byte
	for time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
		b, _ = os.ReadFile(out)
		if bytes.Count(b, []byte("\n")) == len(want)+1 {
			break
		}
	}
	if got := bytes.Count(b, []byte("\n")) - 1; got != len(want) {
		t.Fatalf("%d of %d records written 25 s after the replay ended", got, len(want))
	}
	if c := bytes.Count(b, []byte(`"expire_type":"i"`)); c != len(want) {
		t.Errorf("%d of %d records marked inactive-expired", c, len(want))
	}
	s.stop(t)
	b, _ = os.ReadFile(out)
	sameRecords(t, records(t, b), want)
}

// TestLiveInterfaceDownAndGone: the interface going down and up again
// does not end the capture (the flows replayed after it are there); its
// deletion does: every flow is printed, one line names the cause, the
// statistics line follows and the status is 1.
func TestLiveInterfaceDownAndGone(t *testing.T) {
	if testing.Short() {
		t.Skip("slow (10 s timeouts); not with -short")
	}
	files := pcaps(t, "joy-sample.pcap", "joy-tls12.pcap")
	n := newNetns(t)
	want := fileRecords(t, []string{"bidir=1"}, files...)
	s := startJoy(t, n, "interface=va", "bidir=1", "threads=2")
	replay(t, n, 500, files[0])
	time.Sleep(300 * time.Millisecond)
	for _, step := range [][]string{{"link", "set", "va", "down"}, {"link", "set", "va", "up"}} {
		if out, err := run(t, 10*time.Second, "ip", append([]string{"-n", n.name}, step...)...); err != nil {
			t.Fatalf("ip %v: %v: %s", step, err, out)
		}
		time.Sleep(500 * time.Millisecond)
	}
	replay(t, n, 500, files[1])
	time.Sleep(300 * time.Millisecond)
	if out, err := run(t, 10*time.Second, "ip", "-n", n.name, "link", "del", "va"); err != nil {
		t.Fatalf("ip link del: %v: %s", err, out)
	}
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		t.Fatalf("joy still runs 20 s after its interface was deleted\n%s", s.stderrText())
	}
	var ee *exec.ExitError
	if !errorsAs(s.err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("status %v, want 1", s.err)
	}
	text := s.stderrText()
	if strings.Count(text, "joy: capture on va stopped: capture socket: no such device") != 1 {
		t.Errorf("want one line naming the deleted interface:\n%s", text)
	}
	lines := strings.Split(text, "\n")
	if _, ok := parseStats(lines[len(lines)-1]); !ok {
		t.Errorf("last stderr line is not the statistics line:\n%s", text)
	}
	sameRecords(t, records(t, s.stdout.Bytes()), want)
}

// TestLiveVLANFilter: a filter about VLAN tags matches live what it
// matches in the files, although the kernel takes the tags out of the
// frames (joy then filters in Go, on the frames with the tags put back).
func TestLiveVLANFilter(t *testing.T) {
	files := pcaps(t, "zeek-http-vlan-0.pcap", "zeek-q-in-q.pcap", "ipfixprobe-vlan.pcap", "joy-sample.pcap")
	opts := []string{"bidir=1", "bpf=vlan"}
	want := fileRecords(t, opts, files...)
	all := fileRecords(t, []string{"bidir=1"}, files...)
	if len(want) == 0 || len(want) >= len(all) {
		t.Fatalf("bpf=vlan keeps %d of %d records: not a test of the filter", len(want), len(all))
	}
	n := newNetns(t)
	s := startJoy(t, n, append([]string{"interface=va"}, opts...)...)
	replay(t, n, 500, files...)
	time.Sleep(300 * time.Millisecond)
	s.stop(t)
	sameRecords(t, records(t, s.stdout.Bytes()), want)
}
