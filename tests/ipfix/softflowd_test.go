package ipfixit

import (
	"context"
	"encoding/json"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSoftflowdNetFlowV9: softflowd reads shared captures and exports
// NetFlow v9; its datagrams, replayed to `joy nfv9_port=P`, give the flows
// that Wireshark's NetFlow dissector reads from the same datagrams
// (addresses, ports, protocol, packets, bytes). softflowd's switched times
// in -r mode count from its own start, so times are not compared.
func TestSoftflowdNetFlowV9(t *testing.T) {
	softflowd := lookTool("SOFTFLOWD", "softflowd", "/usr/sbin/softflowd")
	if softflowd == "" {
		t.Skip("softflowd not installed (apt-get install softflowd)")
	}
	tshark := lookTool("TSHARK", "tshark")
	if tshark == "" {
		t.Skip("tshark not installed")
	}
	files := captures(t, true)
	picked := append(files[:min(3, len(files)):min(3, len(files))], files[len(files)-1])
	for _, pcap := range picked {
		name := filepath.Base(pcap)
		t.Run(name, func(t *testing.T) {
			// softflowd's export, kept by a sink.
			sinkPort := freeUDPPort(t)
			s := newSink(t, sinkPort)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			out, err := exec.CommandContext(ctx, softflowd, "-r", pcap, "-n", "127.0.0.1:"+strconv.Itoa(sinkPort), "-v", "9", "-d").CombinedOutput()
			if err != nil {
				t.Fatalf("softflowd: %v\n%s", err, out)
			}
			for n := -1; n != s.count(); {
				n = s.count()
				time.Sleep(300 * time.Millisecond)
			}
			s.mu.Lock()
			var datagrams [][]byte
			for _, m := range s.msgs {
				datagrams = append(datagrams, m.data)
			}
			s.mu.Unlock()
			if len(datagrams) == 0 {
				t.Fatalf("softflowd sent nothing; it said:\n%s", out)
			}

			// What Wireshark reads from them. softflowd's header count has
			// only the data records, so Wireshark would stop before the
			// data of a packet that carries templates too (RFC 3954 counts
			// every record): its copy says "as many as there are".
			s.mu.Lock()
			for i := range s.msgs {
				d := append([]byte(nil), s.msgs[i].data...)
				d[2], d[3] = 0xff, 0xff
				s.msgs[i].data = d
			}
			s.mu.Unlock()
			dump := filepath.Join(t.TempDir(), "nfv9.pcap")
			writePcap(t, dump, map[int]*sink{sinkPort: s})
			js, err := exec.CommandContext(ctx, tshark, "-r", dump, "-d", "udp.port=="+strconv.Itoa(sinkPort)+",cflow", "-T", "json").Output()
			if err != nil {
				t.Fatalf("tshark: %v", err)
			}
			var doc any
			if err := json.Unmarshal(js, &doc); err != nil {
				t.Fatalf("tshark JSON: %v", err)
			}
			var objs []map[string]any
			flowsIn(doc, &objs)
			var want []flow
			for _, o := range objs {
				if _, ok := o["cflow.protocol"]; !ok {
					continue // softflowd's options record (its interface)
				}
				want = append(want, tsharkFlowKeys(t, o))
			}
			if t.Failed() || len(want) == 0 {
				t.Fatalf("tshark's flows: %.2000s", js)
			}

			// What joy's collector prints for the same datagrams.
			port := freeUDPPort(t)
			p := start(t, 5*time.Minute, needJoy(t), "nfv9_port="+strconv.Itoa(port))
			waitUDPBound(t, port, p.cmd, 10*time.Second, p.exited)
			c, err := net.Dial("udp4", "127.0.0.1:"+strconv.Itoa(port))
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range datagrams {
				if _, err := c.Write(d); err != nil {
					t.Fatal(err)
				}
			}
			c.Close()
			waitDrained(port, 30*time.Second)
			time.Sleep(100 * time.Millisecond)
			p.stop(t, syscall.SIGTERM, 30*time.Second)
			var got []flow
			for _, f := range jsonFlows(t, parseFlows(t, p.stdout.Bytes())) {
				f.start, f.end = -1, -1
				got = append(got, f)
			}
			if len(want) == 0 {
				t.Fatal("tshark found no NetFlow v9 flows")
			}
			sameFlows(t, name+" NetFlow v9", want, got)
			stats := p.stderr.String()
			if !strings.Contains(stats, "NetFlow v9 collector: "+strconv.Itoa(len(datagrams))+" messages, "+strconv.Itoa(len(want))+" records, 0 undecodable") ||
				!strings.Contains(stats, "nothing refused") {
				t.Errorf("collector statistics: %s", stats)
			}
			t.Logf("%s: %d datagrams, %d flows equal to tshark's", name, len(datagrams), len(got))
		})
	}
}
