//go:build linux

package liveit

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// writeLongCapture writes a pcap of n one-packet UDP flows (a new flow
// every packet: 100 packets a second over 2000 port pairs, so each pair
// is idle for 20 s between packets and starts a new record).
func writeLongCapture(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	le := binary.LittleEndian
	hdr := make([]byte, 24)
	le.PutUint32(hdr[0:], 0xa1b2c3d4)
	le.PutUint16(hdr[4:], 2)
	le.PutUint16(hdr[6:], 4)
	le.PutUint32(hdr[16:], 65535)
	le.PutUint32(hdr[20:], 1)
	w.Write(hdr)
	frames := make([][]byte, 2000)
	for fl := range frames {
		src := "10.0." + strconv.Itoa(fl>>8) + "." + strconv.Itoa(fl&255)
		frames[fl] = tu.EthUDP4(src, "10.1.0.1", uint16(1000+fl), 53, bytes.Repeat([]byte{'x'}, 40))
	}
	for i := 0; i < n; i++ {
		frame := frames[i%len(frames)]
		rec := make([]byte, 16)
		le.PutUint32(rec[0:], uint32(1000000+i/100))
		le.PutUint32(rec[4:], uint32(i%100*10000))
		le.PutUint32(rec[8:], uint32(len(frame)))
		le.PutUint32(rec[12:], uint32(len(frame)))
		w.Write(rec)
		w.Write(frame)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// TestFileSIGTERM: SIGTERM in the middle of a long capture file: the
// gzip output is valid to the end and holds valid JSON lines, the last
// stderr line is the statistics line, the status is 0, and the run was
// cut short.
func TestFileSIGTERM(t *testing.T) {
	joy := needJoy(t)
	dir := t.TempDir()
	capture := filepath.Join(dir, "long.pcap")
	const n = 600000
	writeLongCapture(t, capture, n)
	out := filepath.Join(dir, "flows.json.gz")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, joy, "bidir=1", "dns=1", "output="+out, capture)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait for the output file, then let joy read a little.
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(out); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("joy exited with %v after SIGTERM, want 0\n%s", err, stderr.String())
	}
	lines := tu.Lines(stderr.Bytes())
	if len(lines) == 0 {
		t.Fatal("nothing on stderr, want the statistics line")
	}
	st, ok := parseStats(lines[len(lines)-1])
	if !ok {
		t.Fatalf("last stderr line is not the statistics line:\n%s", stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	text, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("output is not valid gzip to the end: %v", err)
	}
	recs := tu.CheckJSONLines(t, text) - 1
	if recs <= 0 || recs >= n {
		t.Errorf("%d records of %d: the run was not cut in the middle", recs, n)
	}
	if uint64(recs) != st.flows || st.received == 0 || st.received >= n {
		t.Errorf("statistics %+v, %d records written", st, recs)
	}
	t.Logf("SIGTERM after %d of %d packets; %d records", st.received, n, recs)
}
