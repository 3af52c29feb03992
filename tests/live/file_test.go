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
	"sort"
	"strconv"
	"strings"
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
	if testing.Short() {
		t.Skip("writes a 59 MB capture; not with -short")
	}
	joy := needJoy(t)
	dir := t.TempDir()
	capture := filepath.Join(dir, "long.pcap")
	const total = 600000
	writeLongCapture(t, capture, total)
	// One context, and two contexts reading the file twice at once.
	t.Run("threads=1", func(t *testing.T) { testFileSIGTERM(t, joy, total, "threads=1", capture) })
	t.Run("threads=2", func(t *testing.T) { testFileSIGTERM(t, joy, 2*total, "threads=2", capture, capture) })
}

func testFileSIGTERM(t *testing.T, joy string, n int, threads string, captures ...string) {
	out := filepath.Join(t.TempDir(), "flows.json.gz")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, joy, append([]string{"bidir=1", "dns=1", threads, "output=" + out}, captures...)...)
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
	if uint64(recs) != st.flows || st.received == 0 || st.received >= uint64(n) {
		t.Errorf("statistics %+v, %d records written", st, recs)
	}
	t.Logf("SIGTERM after %d of %d packets; %d records", st.received, n, recs)
}

// TestFilesThreads: threads=N over several capture files (one context per
// file) writes exactly what threads=1 writes, in the order the files were
// given, with the same errors and status for a missing file among them.
func TestFilesThreads(t *testing.T) {
	joy := needJoy(t)
	dir := tu.NeedShared(t)
	files, err := filepath.Glob(filepath.Join(dir, "pcaps", "joy-*.pcap"))
	if err != nil || len(files) < 4 {
		t.Skipf("joy-*.pcap not found under %s/pcaps", dir)
	}
	files = append(files[:3:3], append([]string{filepath.Join(t.TempDir(), "missing.pcap")}, files[3:]...)...)
	opts := []string{"bidir=1", "tls=1", "http=1", "dns=1", "ssh=1", "dhcp=1", "ike=1", "dist=1"}
	runJoy := func(threads string) ([]byte, []string, int) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, joy, append(append(append([]string{}, opts...), "threads="+threads), files...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.Run()
		lines := tu.Lines(stderr.Bytes())
		sort.Strings(lines)
		return stdout.Bytes(), lines, cmd.ProcessState.ExitCode()
	}
	out1, err1, code1 := runJoy("1")
	if n := tu.CheckJSONLines(t, out1); n < 50 {
		t.Fatalf("threads=1 wrote %d lines", n)
	}
	if code1 != 1 || len(err1) != 1 || !strings.Contains(err1[0], "missing.pcap") {
		t.Fatalf("threads=1: status %d, stderr %q; want 1 and one line about the missing file", code1, err1)
	}
	for _, threads := range []string{"2", "4"} {
		out, errs, code := runJoy(threads)
		if !bytes.Equal(out, out1) {
			t.Errorf("threads=%s: output differs from threads=1 (%d and %d bytes)", threads, len(out), len(out1))
		}
		if code != code1 || strings.Join(errs, "\n") != strings.Join(err1, "\n") {
			t.Errorf("threads=%s: status %d, stderr %q; threads=1: %d, %q", threads, code, errs, code1, err1)
		}
	}
}

// TestOneFileThreads: threads=N over one capture (its flows spread over N
// contexts) writes the configuration line first and then the records
// threads=1 writes, in another order: on a corpus capture and on a long
// synthetic one where 2000 flows expire and start again every 20 s.
func TestOneFileThreads(t *testing.T) {
	joy := needJoy(t)
	dir := tu.NeedShared(t)
	long := filepath.Join(t.TempDir(), "long.pcap")
	writeLongCapture(t, long, 60000)
	for _, file := range []string{filepath.Join(dir, "pcaps", "ndpi-gnutella.pcap"), long} {
		run := func(threads string) []string {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, joy, "bidir=1", "tls=1", "dns=1", "threads="+threads, file)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("joy threads=%s %s: %v\n%s", threads, file, err, stderr.Bytes())
			}
			tu.CheckJSONLines(t, stdout.Bytes())
			lines := tu.Lines(stdout.Bytes())
			if len(lines) == 0 || !strings.HasPrefix(lines[0], `{"version":`) {
				t.Fatalf("threads=%s: first line is not the configuration: %.80q", threads, lines)
			}
			sort.Strings(lines[1:])
			return lines
		}
		want := run("1")
		if len(want) < 100 {
			t.Fatalf("%s: threads=1 wrote %d lines", file, len(want))
		}
		for _, threads := range []string{"2", "4"} {
			if got := run(threads); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s: threads=%s wrote %d lines, not the %d records of threads=1", filepath.Base(file), threads, len(got), len(want))
			}
		}
	}
}
