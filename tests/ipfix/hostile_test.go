package ipfixit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gojoy/libjoy/joy/ipfix"
)

// The collector as an attacker meets it: joy ipfix_collect_port on
// loopback, fed datagrams that no exporter would send.

// watched is a running collector whose output is checked line by line as
// it comes (a campaign prints too much to keep): every line must be JSON;
// lines after mark() are kept.
type watched struct {
	cmd      *exec.Cmd
	port     int
	lines    atomic.Int64
	invalid  atomic.Int64
	mu       sync.Mutex
	keeping  bool
	kept     [][]byte
	firstBad string
	stderr   lockedBuffer
	exited   chan struct{}
	readDone chan struct{}
}

func startWatched(t *testing.T, limit time.Duration) *watched {
	t.Helper()
	bin := needJoy(t)
	w := &watched{port: freeUDPPort(t), exited: make(chan struct{}), readDone: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	w.cmd = exec.CommandContext(ctx, bin, "ipfix_collect_port="+strconv.Itoa(w.port))
	w.cmd.Stderr = &w.stderr
	out, err := w.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go w.read(out)
	go func() {
		<-w.readDone
		_ = w.cmd.Wait()
		cancel()
		close(w.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-w.exited:
		default:
			_ = w.cmd.Process.Kill()
			<-w.exited
		}
	})
	waitUDPBound(t, w.port, w.cmd, 10*time.Second, w.exited)
	return w
}

func (w *watched) read(r io.Reader) {
	defer close(w.readDone)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		w.lines.Add(1)
		if !json.Valid(line) {
			if w.invalid.Add(1) == 1 {
				w.mu.Lock()
				w.firstBad = fmt.Sprintf("%.300q", line)
				w.mu.Unlock()
			}
		}
		w.mu.Lock()
		if w.keeping {
			w.kept = append(w.kept, append([]byte(nil), line...))
		}
		w.mu.Unlock()
	}
}

func (w *watched) mark() {
	w.mu.Lock()
	w.keeping, w.kept = true, nil
	w.mu.Unlock()
}

func (w *watched) keptLines() [][]byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([][]byte(nil), w.kept...)
}

// sentinel sends one valid message, template and a record from the
// documentation address 192.0.2.77 with source port tag, from a socket of
// its own, and waits until the collector printed it: everything sent to
// the collector before it has then been decoded and printed.
func (w *watched) sentinel(t *testing.T, tag uint16) {
	t.Helper()
	c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: w.port})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var s messages
	e := ipfix.NewExporter(&s, ipfix.Options{})
	r := ipfix.Record{Proto: 17, Sp: tag, Dp: 9, Packets: 1, Octets: 1}
	copy(r.Src[:4], []byte{192, 0, 2, 77})
	copy(r.Dst[:4], []byte{192, 0, 2, 78})
	if err := e.Add(&r); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`"sa":"192.0.2.77","da":"192.0.2.78","pr":17,"sp":%d,`, tag)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := c.Write(s[0]); err != nil {
			t.Fatal(err)
		}
		for range 50 {
			for _, l := range w.keptLines() {
				if bytes.Contains(l, []byte(want)) {
					return
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	t.Fatalf("the collector did not print the sentinel record %d within 60 s; stderr:\n%s", tag, w.stderr.String())
}

// stopTimed sends sig and returns how long the collector took to exit.
func (w *watched) stopTimed(t *testing.T, sig os.Signal) time.Duration {
	t.Helper()
	begin := time.Now()
	_ = w.cmd.Process.Signal(sig)
	select {
	case <-w.exited:
	case <-time.After(30 * time.Second):
		_ = w.cmd.Process.Kill()
		<-w.exited
		t.Fatalf("collector still running 30 s after %v; killed", sig)
	}
	return time.Since(begin)
}

// peakRSS is the collector's VmHWM in bytes (0 when /proc cannot tell).
func (w *watched) peakRSS() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", w.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(b)
	if m == nil {
		return 0
	}
	kb, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return kb << 10
}

// messages keeps each message an exporter writes.
type messages [][]byte

func (m *messages) Write(p []byte) (int, error) {
	*m = append(*m, append([]byte(nil), p...))
	return len(p), nil
}

// zeroFieldDatagram is the datagram of the report: template 300 with one
// field, sourceIPv4Address of length 0, and a data set 300 of four bytes.
func zeroFieldDatagram() []byte {
	b := []byte{0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // header; length below
		0, 2, 0, 12, 1, 44, 0, 1, 0, 8, 0, 0, // template set: template 300, IE 8, length 0
		1, 44, 0, 8, 1, 2, 3, 4} // data set 300
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	return b
}

func sendTo(t *testing.T, port int) *net.UDPConn {
	t.Helper()
	c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestCollectorZeroLengthField: the datagram that made the collector
// print records of zeros without end yields none, the collector goes on
// decoding, and SIGTERM ends it promptly while it is busy.
func TestCollectorZeroLengthField(t *testing.T) {
	w := startWatched(t, 5*time.Minute)
	w.mark()
	c := sendTo(t, w.port)
	if _, err := c.Write(zeroFieldDatagram()); err != nil {
		t.Fatal(err)
	}
	w.sentinel(t, 1)
	for _, l := range w.keptLines() {
		if !bytes.Contains(l, []byte(`"sa":"192.0.2.77"`)) {
			t.Fatalf("the datagram made the collector print %.200s", l)
		}
	}
	// Busy: a stream of valid messages of 40 records each.
	var s messages
	e := ipfix.NewExporter(&s, ipfix.Options{})
	for i := range 40 {
		r := ipfix.Record{Proto: 6, Sp: uint16(i), Dp: 80, Packets: 2, Octets: 100}
		copy(r.Src[:4], []byte{192, 0, 2, 1})
		_ = e.Add(&r)
	}
	_ = e.Flush()
	stopFlood := make(chan struct{})
	var flood sync.WaitGroup
	flood.Add(1)
	go func() {
		defer flood.Done()
		for {
			select {
			case <-stopFlood:
				return
			default:
				for _, m := range s {
					_, _ = c.Write(m)
				}
			}
		}
	}()
	time.Sleep(500 * time.Millisecond)
	took := w.stopTimed(t, syscall.SIGTERM)
	close(stopFlood)
	flood.Wait()
	t.Logf("SIGTERM while flooded: exited after %v, %d lines", took, w.lines.Load())
	if took > 3*time.Second {
		t.Errorf("collector took %v to stop after SIGTERM; it should stop within about a second", took)
	}
	st := w.stderr.String()
	if !strings.Contains(st, "1 bad template") || !strings.Contains(st, "field 1 (element 8) has length 0") {
		t.Errorf("the refusal is not logged and counted; stderr:\n%s", st)
	}
	if w.invalid.Load() != 0 {
		t.Errorf("%d invalid JSON lines, first %s", w.invalid.Load(), w.firstBad)
	}
}

// realMessages exports shared captures to a sink and returns what joy
// sent: real templates and data records, IPv4 and IPv6, with IDP, byte
// distributions and TLS elements; and softflowd's NetFlow v9 export of one.
func realMessages(t *testing.T) [][]byte {
	t.Helper()
	files := captures(t, true)
	var msgs [][]byte
	// Four captures of the reference and the last IPv6 one.
	picked := append(files[:min(4, len(files)):min(4, len(files))], files[len(files)-1])
	for _, pcap := range picked {
		port := freeUDPPort(t)
		s := newSink(t, port)
		run := runExport(t, port, pcap, "dist=1", "idp=1300", "tls=1")
		s.waitCount(run.messages, 30*time.Second)
		s.mu.Lock()
		for _, m := range s.msgs {
			msgs = append(msgs, m.data)
		}
		s.mu.Unlock()
		s.close()
	}
	if len(msgs) == 0 {
		t.Fatal("no export messages captured")
	}
	// NetFlow v9 too, which the collector decodes on either port.
	if softflowd := lookTool("SOFTFLOWD", "softflowd", "/usr/sbin/softflowd"); softflowd != "" {
		port := freeUDPPort(t)
		s := newSink(t, port)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if out, err := exec.CommandContext(ctx, softflowd, "-r", files[1], "-n", "127.0.0.1:"+strconv.Itoa(port), "-v", "9", "-d").CombinedOutput(); err != nil {
			t.Fatalf("softflowd: %v\n%s", err, out)
		}
		time.Sleep(300 * time.Millisecond)
		s.mu.Lock()
		for _, m := range s.msgs {
			msgs = append(msgs, m.data)
		}
		s.mu.Unlock()
		s.close()
	} else {
		t.Log("softflowd not installed: the campaign has no NetFlow v9 messages")
	}
	return msgs
}

// mutate returns a copy of msg with one to three of: random bytes
// changed, the message or a set length changed, a set or template id
// changed, a field specifier's element or length changed, a template's
// field count changed, the end cut or extended. Most keep the message
// length equal to the datagram so that the sets are reached.
func mutate(rng *rand.Rand, msg []byte) []byte {
	b := append([]byte(nil), msg...)
	// Where the sets and the field specifiers of template sets are.
	var sets, specs, counts []int
	for off := 16; off+4 <= len(b); {
		n := int(binary.BigEndian.Uint16(b[off+2:]))
		if n < 4 || off+n > len(b) {
			break
		}
		sets = append(sets, off)
		if binary.BigEndian.Uint16(b[off:]) == 2 {
			for p := off + 4; p+4 <= off+n; {
				counts = append(counts, p)
				cnt := int(binary.BigEndian.Uint16(b[p+2:]))
				p += 4
				for i := 0; i < cnt && p+4 <= off+n; i++ {
					specs = append(specs, p)
					if b[p]&0x80 != 0 {
						p += 4
					}
					p += 4
				}
			}
		}
		off += n
	}
	pick := func(xs []int) (int, bool) {
		if len(xs) == 0 {
			return 0, false
		}
		p := xs[rng.IntN(len(xs))]
		return p, p+4 <= len(b) // b may have been cut since
	}
	lengths := []uint16{0, 1, 2, 3, 4, 0xffff, 0xfffe, 255, 256}
	for range 1 + rng.IntN(3) {
		switch rng.IntN(9) {
		case 0:
			for range 1 + rng.IntN(4) {
				if len(b) > 0 {
					b[rng.IntN(len(b))] = byte(rng.Uint32())
				}
			}
		case 1:
			if len(b) >= 4 {
				binary.BigEndian.PutUint16(b[2:], uint16(rng.Uint32()))
			}
		case 2:
			if s, ok := pick(sets); ok {
				binary.BigEndian.PutUint16(b[s+2:], lengths[rng.IntN(len(lengths))]+uint16(rng.IntN(3)))
			}
		case 3:
			if s, ok := pick(sets); ok {
				binary.BigEndian.PutUint16(b[s:], []uint16{2, 3, 256, 257, 258, uint16(rng.Uint32())}[rng.IntN(6)])
			}
		case 4:
			if p, ok := pick(counts); ok {
				binary.BigEndian.PutUint16(b[p:], []uint16{255, 256, 257, 300, uint16(rng.Uint32())}[rng.IntN(5)])
			}
		case 5:
			if p, ok := pick(counts); ok {
				binary.BigEndian.PutUint16(b[p+2:], []uint16{0, 1, 2, 500, 600, 0xffff, uint16(rng.Uint32())}[rng.IntN(7)])
			}
		case 6:
			if p, ok := pick(specs); ok {
				binary.BigEndian.PutUint16(b[p+2:], lengths[rng.IntN(len(lengths))])
			}
		case 7:
			if p, ok := pick(specs); ok {
				binary.BigEndian.PutUint16(b[p:], uint16(rng.Uint32()))
			}
		case 8:
			if rng.IntN(2) == 0 && len(b) > 0 {
				b = b[:rng.IntN(len(b))]
			} else {
				extra := make([]byte, rng.IntN(64))
				for i := range extra {
					extra[i] = byte(rng.Uint32())
				}
				b = append(b, extra...)
			}
		}
	}
	if len(b) >= 4 && rng.IntN(10) < 8 {
		binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	}
	return b
}

// randomDatagram is random bytes, half of them behind a valid header so
// that the set parser sees them.
func randomDatagram(rng *rand.Rand) []byte {
	b := make([]byte, rng.IntN(1500))
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	if len(b) >= 16 && rng.IntN(2) == 0 {
		binary.BigEndian.PutUint16(b, 10)
		binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	}
	return b
}

// TestCollectorCampaign sends a campaign of datagrams (JOY_CAMPAIGN_N,
// default 1,000,000; 50,000 with -short), a quarter random bytes and the
// rest real export messages mutated, from a few source ports, then a real
// export. The collector must keep running, print only valid JSON and no
// more records than bytes sent, stay within its memory bound, and decode
// the export sent after the campaign exactly.
func TestCollectorCampaign(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 50_000
	}
	if v := os.Getenv("JOY_CAMPAIGN_N"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	msgs := realMessages(t)
	w := startWatched(t, 30*time.Minute)
	seed := uint64(time.Now().UnixNano())
	t.Logf("campaign of %d datagrams, seed %d, from %d real messages", n, seed, len(msgs))
	rng := rand.New(rand.NewPCG(seed, 0x10f1))
	var conns []*net.UDPConn
	for range 4 {
		conns = append(conns, sendTo(t, w.port))
	}
	var sentBytes int64
	begin := time.Now()
	for i := range n {
		var d []byte
		if rng.IntN(4) == 0 {
			d = randomDatagram(rng)
		} else {
			d = mutate(rng, msgs[rng.IntN(len(msgs))])
		}
		sentBytes += int64(len(d))
		_, _ = conns[rng.IntN(len(conns))].Write(d)
		// Keep the receive queue short, so that most of the campaign is
		// read rather than dropped by the kernel.
		if i%1000 == 999 {
			for range 2000 {
				if q, ok := udpRxQueue(w.port); !ok || q < 4<<20 {
					break
				}
				time.Sleep(time.Millisecond)
			}
		}
		select {
		case <-w.exited:
			t.Fatalf("collector exited after %d datagrams; stderr:\n%s", i+1, w.stderr.String())
		default:
		}
	}
	w.mark()
	w.sentinel(t, 2)
	campaignLines := w.lines.Load()
	t.Logf("campaign sent in %v: %d bytes, %d records printed", time.Since(begin).Round(time.Millisecond), sentBytes, campaignLines)
	if campaignLines > sentBytes {
		t.Errorf("%d records from %d bytes", campaignLines, sentBytes)
	}

	// A real export after the campaign is decoded exactly.
	files := captures(t, false)
	w.mark()
	run := runExport(t, w.port, files[0], "dist=1", "idp=1300", "tls=1")
	w.sentinel(t, 3)
	rss := w.peakRSS()
	took := w.stopTimed(t, syscall.SIGINT)
	var got []map[string]any
	for _, l := range w.keptLines() {
		if !bytes.Contains(l, []byte(`"sa":"192.0.2.77"`)) {
			got = append(got, parseFlows(t, l)...)
		}
	}
	compareRecords(t, filepath.Base(files[0])+" after the campaign", run.json, got)
	if w.invalid.Load() != 0 {
		t.Errorf("%d invalid JSON lines, first %s", w.invalid.Load(), w.firstBad)
	}
	const rssBound = 256 << 20
	t.Logf("collector peak RSS %d MiB (bound %d MiB), stopped %v after SIGINT", rss>>20, rssBound>>20, took)
	if rss > rssBound {
		t.Errorf("collector peak RSS %d MiB, above %d MiB", rss>>20, rssBound>>20)
	}
	stats := w.stderr.String()
	m := collectorStatsRE.FindStringSubmatch(stats)
	if m == nil {
		t.Fatalf("no statistics line; stderr:\n%.3000s", stats)
	}
	if recs, _ := strconv.ParseInt(m[2], 10, 64); recs != w.lines.Load() {
		t.Errorf("collector counted %d records, printed %d lines", recs, w.lines.Load())
	}
	t.Logf("%s", strings.TrimSpace(stats[strings.LastIndex(stats, "joy: IPFIX collector: "):]))
	if got := strings.Count(stats, "\n"); got > 1000 {
		t.Errorf("%d log lines for the campaign: refusals are not rate-limited", got)
	}
}
