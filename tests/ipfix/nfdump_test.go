package ipfixit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

var nfcapdStatsRE = regexp.MustCompile(`Flows: (\d+), Packets: (\d+), Bytes: (\d+), Sequence Errors: (\d+), Bad Packets: (\d+)`)

// TestNfcapd sends the export of every capture to nfdump's collector
// nfcapd, stops it (SIGTERM writes the file), reads the file back with
// nfdump -o json and compares the flows with joy's JSON records: 5-tuple,
// packets, bytes, and first/last, which must equal the JSON's time_start
// and time_end to the millisecond (nfdump 1.7 ignores the microsecond
// elements IE 154/155 and reads flowStart/EndMilliseconds, IE 152/153).
// nfdump skips the Cisco enterprise elements (it only maps IANA elements
// and a few yaf ones), so the test also checks that skipping them leaves
// the standard fields intact.
func TestNfcapd(t *testing.T) {
	nfcapd, nfdump := lookTool("NFCAPD", "nfcapd"), lookTool("NFDUMP", "nfdump")
	if nfcapd == "" || nfdump == "" {
		t.Skip("nfcapd/nfdump not installed (Debian package nfdump)")
	}
	// nfdump 1.7 names the flow directory -w, 1.6 -l.
	help, _ := exec.Command(nfcapd, "-h").CombinedOutput()
	dirFlag := "-w"
	if !bytes.Contains(help, []byte("-w flowdir")) && bytes.Contains(help, []byte("-l ")) {
		dirFlag = "-l"
	}
	version, _ := exec.Command(nfdump, "-V").CombinedOutput()
	files := captures(t, true)
	opts := []string{"dist=1", "idp=1300"}
	if tlsSupported(t, filepath.Join(filepath.Dir(files[0]), "joy-tls12.pcap")) {
		opts = append(opts, "tls=1")
	}
	for _, pcap := range files {
		name := filepath.Base(pcap)
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			port := freeUDPPort(t)
			p := start(t, 5*time.Minute, nfcapd, "-b", "127.0.0.1", "-p", strconv.Itoa(port), dirFlag, dir)
			waitUDPBound(t, port, p.cmd, 10*time.Second, p.exited)
			run := runExport(t, port, pcap, opts...)
			// nfcapd has no "all read" signal: give it a moment, then
			// SIGTERM, which flushes and closes the file.
			time.Sleep(500 * time.Millisecond)
			p.stop(t, syscall.SIGTERM, 20*time.Second)
			log := p.stdout.String() + p.stderr.String()
			if m := nfcapdStatsRE.FindStringSubmatch(log); m == nil {
				t.Logf("nfcapd printed no statistics line:\n%s", log)
			} else if m[1] != strconv.Itoa(run.records) || m[4] != "0" || m[5] != "0" {
				t.Errorf("nfcapd: %s; exporter sent %d records", m[0], run.records)
			}
			got, first := readNfdump(t, nfdump, dir)
			want := jsonFlows(t, run.json)
			if !first && len(got) > 0 {
				t.Errorf("%s: nfdump shows no first/last times (flowStart/EndMilliseconds not read)", name)
			}
			// nfdump keeps milliseconds; the JSON times are whole µs
			// after the epoch, so ms is µs/1000 rounded down.
			for i := range want {
				want[i].start, want[i].end = want[i].start/1000, want[i].end/1000
			}
			sameFlows(t, name+" (nfdump)", want, got)
			t.Logf("%s: nfdump lists %d flows with their first/last times, JSON has %d", name, len(got), len(want))
		})
	}
	t.Logf("%s", strings.TrimSpace(string(version)))
}

// readNfdump lists every nfcapd file in dir with nfdump -o json. first is
// true when any record has a start time (nfdump shows 0 as 1970).
func readNfdump(t *testing.T, nfdump, dir string) (flows []flow, first bool) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "nfcapd.*"))
	var done []string
	for _, f := range files {
		if !strings.Contains(f, "current") {
			done = append(done, f)
		}
	}
	if len(done) == 0 {
		t.Fatalf("nfcapd wrote no file in %s (%v)", dir, files)
	}
	for _, f := range done {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, nfdump, "-r", f, "-o", "json")
		cmd.Env = append(os.Environ(), "TZ=UTC")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		cancel()
		if err != nil {
			t.Fatalf("nfdump -r %s: %v\n%s", f, err, stderr.String())
		}
		var recs []map[string]any
		d := json.NewDecoder(bytes.NewReader(out))
		d.UseNumber()
		if len(bytes.TrimSpace(out)) > 0 {
			if err := d.Decode(&recs); err != nil {
				t.Fatalf("nfdump JSON: %v\n%.500s", err, out)
			}
		}
		for _, r := range recs {
			if r["type"] != nil && fmt.Sprint(r["type"]) != "FLOW" {
				continue
			}
			fl := flow{pr: int(num(t, r["proto"], "proto")), bytes: num(t, r["in_bytes"], "in_bytes"), pkts: num(t, r["in_packets"], "in_packets")}
			if a, ok := r["src4_addr"]; ok {
				fl.sa, fl.da = canonAddr(t, fmt.Sprint(a)), canonAddr(t, fmt.Sprint(r["dst4_addr"]))
			} else {
				fl.sa, fl.da = canonAddr(t, fmt.Sprint(r["src6_addr"])), canonAddr(t, fmt.Sprint(r["dst6_addr"]))
			}
			if hasPorts(fl.pr) {
				fl.sp, fl.dp = int(num(t, r["src_port"], "src_port")), int(num(t, r["dst_port"], "dst_port"))
			}
			fl.start, fl.end = nfdumpTime(t, r["first"]), nfdumpTime(t, r["last"])
			if fl.start > 0 {
				first = true
			}
			flows = append(flows, fl)
		}
	}
	return flows, first
}

// nfdumpTime reads "2017-08-07T15:12:01.115" (UTC) to ms since the epoch.
func nfdumpTime(t *testing.T, v any) int64 {
	t.Helper()
	s := fmt.Sprint(v)
	tm, err := time.Parse("2006-01-02T15:04:05.000", s)
	if err != nil {
		t.Errorf("nfdump time %q: %v", s, err)
		return -1
	}
	return tm.UnixMilli()
}
