package ipfixit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// portSeen matches a port number in a tshark summary line.
func portSeen(port int) *regexp.Regexp {
	return regexp.MustCompile(`(^|[^0-9.])` + strconv.Itoa(port) + `([^0-9.]|$)`)
}

// probeUntil sends a datagram to port every 100 ms until tshark's live
// summary shows one (at most d). It returns false if tshark did not.
func probeUntil(p *process, port int, d time.Duration) bool {
	c, err := net.Dial("udp4", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	defer c.Close()
	re := portSeen(port)
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		_, _ = c.Write([]byte("probe"))
		select {
		case <-p.exited:
			return false
		case <-time.After(100 * time.Millisecond):
		}
		if re.MatchString(p.stdout.String()) {
			return true
		}
	}
	return false
}

// writePcap writes the datagrams the sinks received as Ethernet/IPv4/UDP
// frames, for when tshark cannot capture on the loopback interface.
func writePcap(t *testing.T, path string, sinks map[int]*sink) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65536, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for port, s := range sinks {
		s.mu.Lock()
		for _, m := range s.msgs {
			frame := tu.EthUDP4(m.src.IP.String(), "127.0.0.1", uint16(m.src.Port), uint16(port), m.data)
			ci := gopacket.CaptureInfo{Timestamp: m.at, CaptureLength: len(frame), Length: len(frame)}
			if err := w.WritePacket(ci, frame); err != nil {
				s.mu.Unlock()
				t.Fatal(err)
			}
		}
		s.mu.Unlock()
	}
}

// tsharkFlowKeys reads the addresses, ports, protocol and counters of
// one "Flow N" object of tshark's cflow JSON (times as -1).
func tsharkFlowKeys(t *testing.T, m map[string]any) flow {
	t.Helper()
	str := func(k string) string {
		v, ok := m[k]
		if !ok {
			return ""
		}
		if a, ok := v.([]any); ok && len(a) > 0 {
			v = a[0]
		}
		return fmt.Sprint(v)
	}
	atoi := func(k string) uint64 {
		n, err := strconv.ParseUint(str(k), 10, 64)
		if err != nil {
			t.Errorf("tshark flow %s: %q", k, str(k))
		}
		return n
	}
	f := flow{pr: int(atoi("cflow.protocol")), bytes: atoi("cflow.octets"), pkts: atoi("cflow.packets"), start: -1, end: -1}
	if s := str("cflow.srcaddr"); s != "" {
		f.sa, f.da = canonAddr(t, s), canonAddr(t, str("cflow.dstaddr"))
	} else {
		f.sa, f.da = canonAddr(t, str("cflow.srcaddrv6")), canonAddr(t, str("cflow.dstaddrv6"))
	}
	if hasPorts(f.pr) {
		f.sp, f.dp = int(atoi("cflow.srcport")), int(atoi("cflow.dstport"))
	}
	return f
}

// tsharkFlow reads one "Flow N" object of tshark's cflow JSON.
func tsharkFlow(t *testing.T, m map[string]any) (flow, []string) {
	t.Helper()
	f := tsharkFlowKeys(t, m)
	// The record has the times twice: flowStart/EndMilliseconds (IE
	// 152/153) and flowStart/EndMicroseconds (IE 154/155), one tree each,
	// in that order. The flow gets the µs pair; the ms pair must be the
	// same times rounded down to the millisecond.
	f.start, f.end = -1, -1
	var trees []map[string]any
	switch v := m["cflow.timedelta_tree"].(type) {
	case map[string]any:
		trees = []map[string]any{v}
	case []any:
		for _, x := range v {
			if tree, ok := x.(map[string]any); ok {
				trees = append(trees, tree)
			}
		}
	}
	if len(trees) != 2 {
		t.Errorf("tshark flow: %d time pairs, want 2 (µs and ms)", len(trees))
	}
	var starts, ends []int64
	for _, tree := range trees {
		starts = append(starts, tsharkTime(t, fmt.Sprint(tree["cflow.abstimestart"])))
		ends = append(ends, tsharkTime(t, fmt.Sprint(tree["cflow.abstimeend"])))
	}
	if len(trees) > 0 {
		last := len(trees) - 1
		f.start, f.end = starts[last], ends[last]
	}
	if len(trees) == 2 && (starts[0] != f.start/1000*1000 || ends[0] != f.end/1000*1000) {
		t.Errorf("tshark flow: ms times %d..%d, µs times %d..%d", starts[0], ends[0], f.start, f.end)
	}
	var ent []string
	switch v := m["cflow.enterprise_private_entry"].(type) {
	case string:
		ent = []string{strings.ReplaceAll(v, ":", "")}
	case []any:
		for _, x := range v {
			ent = append(ent, strings.ReplaceAll(fmt.Sprint(x), ":", ""))
		}
	}
	return f, ent
}

// tsharkTime parses "Aug  7, 2017 15:12:01.115233999 UTC" to µs, rounded.
func tsharkTime(t *testing.T, s string) int64 {
	t.Helper()
	tm, err := time.Parse("Jan _2, 2006 15:04:05.999999999 MST", strings.Join(strings.Fields(s), " "))
	if err != nil {
		tm, err = time.Parse("Jan 2, 2006 15:04:05.999999999 MST", strings.Join(strings.Fields(s), " "))
	}
	if err != nil {
		t.Errorf("tshark time %q: %v", s, err)
		return -1
	}
	return (tm.UnixNano() + 500) / 1000
}

// flowsIn collects every "Flow N" object under v.
func flowsIn(v any, out *[]map[string]any) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if strings.HasPrefix(k, "Flow ") {
				switch f := c.(type) {
				case map[string]any:
					*out = append(*out, f)
				case []any:
					for _, e := range f {
						if m, ok := e.(map[string]any); ok {
							*out = append(*out, m)
						}
					}
				}
				continue
			}
			flowsIn(c, out)
		}
	case []any:
		for _, c := range x {
			flowsIn(c, out)
		}
	}
}

// TestTsharkDecodesExport captures the export of every capture on the
// loopback interface with tshark (or, when it cannot capture, writes the
// received datagrams to a pcap), decodes it with Wireshark's IPFIX
// dissector (cflow) and checks: no malformed packet or expert info, every
// message sent was captured, and the flows (addresses, ports, protocol,
// packets, bytes, start and end times) equal joy's JSON records.
func TestTsharkDecodesExport(t *testing.T) {
	tshark := lookTool("TSHARK", "tshark")
	if tshark == "" {
		t.Skip("tshark not installed (Debian package tshark)")
	}
	files := captures(t, true)
	dir := t.TempDir()
	capFile := filepath.Join(dir, "export.pcapng")

	ports := make([]int, len(files))
	sinks := map[int]*sink{}
	filter := []string{}
	for i := range files {
		ports[i] = freeUDPPort(t)
		sinks[ports[i]] = newSink(t, ports[i])
		filter = append(filter, "udp dst port "+strconv.Itoa(ports[i]))
	}
	startProbe, endProbe := freeUDPPort(t), freeUDPPort(t)
	newSink(t, startProbe)
	newSink(t, endProbe)
	filter = append(filter, "udp dst port "+strconv.Itoa(startProbe), "udp dst port "+strconv.Itoa(endProbe))

	opts := []string{"dist=1", "idp=1300"}
	if tlsSupported(t, filepath.Join(filepath.Dir(files[0]), "joy-tls12.pcap")) {
		opts = append(opts, "tls=1")
	}

	// JOY_IPFIX_TSHARK_NOCAPTURE=1 takes the fallback path on purpose.
	var live *process
	liveOK := false
	if os.Getenv("JOY_IPFIX_TSHARK_NOCAPTURE") == "" {
		live = start(t, 10*time.Minute, tshark, "-i", "lo", "-n", "-f", strings.Join(filter, " or "), "-w", capFile, "-P", "-l")
		liveOK = probeUntil(live, startProbe, 20*time.Second)
		if !liveOK {
			live.stop(t, syscall.SIGINT, 10*time.Second)
			t.Logf("tshark cannot capture on lo (%s); writing the received datagrams to a pcap instead",
				strings.TrimSpace(live.stderr.String()))
		}
	}

	runs := make([]exportRun, len(files))
	for i, pcap := range files {
		runs[i] = runExport(t, ports[i], pcap, opts...)
		if got := sinks[ports[i]].waitCount(runs[i].messages, 10*time.Second); got != runs[i].messages {
			t.Errorf("%s: %d datagrams received, exporter sent %d", filepath.Base(pcap), got, runs[i].messages)
		}
	}
	if liveOK {
		if !probeUntil(live, endProbe, 20*time.Second) {
			t.Errorf("tshark never showed the end probe; the capture may be incomplete")
		}
		live.stop(t, syscall.SIGINT, 20*time.Second)
		if m := regexp.MustCompile(`(\d+) packets? dropped`).FindStringSubmatch(live.stderr.String()); m != nil && m[1] != "0" {
			t.Errorf("tshark: %s", m[0])
		}
	} else {
		writePcap(t, capFile, sinks)
	}

	decodeAs := []string{"-r", capFile, "-n"}
	for _, p := range ports {
		decodeAs = append(decodeAs, "-d", fmt.Sprintf("udp.port==%d,cflow", p))
	}
	tsharkRun := func(extra ...string) []byte {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, tshark, append(append([]string{}, decodeAs...), extra...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("tshark %v: %v\n%s", extra, err, stderr.String())
		}
		return out
	}

	// Malformed packets and any expert info (errors, warnings, notes),
	// except the UDP dissector's guess that a random port in the
	// traceroute range is a traceroute.
	bad := tsharkRun("-Y", "_ws.malformed || _ws.expert", "-T", "fields", "-E", "aggregator=|",
		"-e", "frame.number", "-e", "udp.dstport", "-e", "_ws.expert.message")
	var flagged []string
	for _, l := range strings.Split(strings.TrimSpace(string(bad)), "\n") {
		cols := strings.SplitN(l, "\t", 3)
		if len(cols) < 3 {
			continue
		}
		var msgs []string
		for _, m := range strings.Split(cols[2], "|") {
			if !strings.HasPrefix(m, "Possible traceroute") {
				msgs = append(msgs, m)
			}
		}
		if len(msgs) > 0 {
			flagged = append(flagged, fmt.Sprintf("frame %s to port %s: %s", cols[0], cols[1], strings.Join(msgs, "; ")))
		}
	}
	if len(flagged) > 0 {
		t.Errorf("tshark flags %d frames as malformed or with expert info:", len(flagged))
		for i, l := range flagged {
			if i == 10 {
				break
			}
			t.Errorf("  %s", l)
		}
	}

	out := tsharkRun("-Y", "cflow", "-T", "json", "--no-duplicate-keys", "-J", "udp cflow")
	var pkts []struct {
		Source struct {
			Layers map[string]any `json:"layers"`
		} `json:"_source"`
	}
	if err := json.Unmarshal(out, &pkts); err != nil {
		t.Fatalf("tshark JSON: %v", err)
	}
	type portData struct {
		messages int
		flows    []flow
		ents     [][]string
	}
	byPort := map[int]*portData{}
	for _, p := range ports {
		byPort[p] = &portData{}
	}
	for _, p := range pkts {
		udp, _ := p.Source.Layers["udp"].(map[string]any)
		port, _ := strconv.Atoi(fmt.Sprint(udp["udp.dstport"]))
		d := byPort[port]
		if d == nil {
			continue
		}
		d.messages++
		cf := p.Source.Layers["cflow"]
		if m, ok := cf.(map[string]any); ok && fmt.Sprint(m["cflow.version"]) != "10" {
			t.Errorf("port %d: cflow.version %v", port, m["cflow.version"])
		}
		var raw []map[string]any
		flowsIn(cf, &raw)
		for _, m := range raw {
			f, ent := tsharkFlow(t, m)
			d.flows = append(d.flows, f)
			d.ents = append(d.ents, ent)
		}
	}
	totalFlows, totalMsgs, idps, idpsFound, withEnt := 0, 0, 0, 0, 0
	for i, run := range runs {
		name := filepath.Base(run.pcap)
		d := byPort[ports[i]]
		if d.messages != run.messages {
			t.Errorf("%s: tshark decoded %d IPFIX messages, exporter sent %d", name, d.messages, run.messages)
		}
		sameFlows(t, name+" (tshark)", jsonFlows(t, run.json), d.flows)
		seen := map[string]bool{}
		for _, ent := range d.ents {
			if len(ent) > 0 {
				withEnt++
			}
			for _, e := range ent {
				seen[e] = true
			}
		}
		for _, r := range run.json {
			if s, ok := r["idp_out"].(string); ok {
				idps++
				if seen[s] {
					idpsFound++
				}
			}
		}
		totalFlows += len(d.flows)
		totalMsgs += d.messages
	}
	how := "captured live on lo"
	if !liveOK {
		how = "written from a UDP listener"
	}
	t.Logf("tshark (%s): %d captures, %d IPFIX messages, %d flows decoded; %d flows show Cisco (PEN 9) enterprise entries as raw bytes; %d of %d JSON IDPs found verbatim among them (the others were trimmed to fit a message)",
		how, len(files), totalMsgs, totalFlows, withEnt, idpsFound, idps)
}
