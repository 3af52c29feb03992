// Package robust runs the joy command and the Go API against hostile
// conditions: outputs that fail, and long runs with a bounded flow table.
// Nothing here needs the shared reference material.
package robust

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

var cliPath string

func TestMain(m *testing.M) {
	tmp, err := os.MkdirTemp("", "joy-robust-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cliPath, err = tu.BuildJoy(tmp)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(tmp)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(tmp)
	os.Exit(code)
}

// t0 is the first packet's time in the synthetic captures.
var t0 = time.Unix(1502118721, 0)

// writeFlows writes n one-packet UDP flows (distinct source ports) to w as
// a pcap, at time start.
func writeFlows(t *testing.T, w io.Writer, header bool, n int, first int, start time.Time) {
	t.Helper()
	pw := pcapgo.NewWriter(w)
	if header {
		if err := pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
			t.Fatal(err)
		}
	}
	for i := first; i < first+n; i++ {
		src := fmt.Sprintf("10.%d.%d.1", (i>>8)&255, i&255)
		f := tu.EthUDP4(src, "192.0.2.1", uint16(1024+i%60000), 53, []byte("payload"))
		ci := gopacket.CaptureInfo{Timestamp: start, CaptureLength: len(f), Length: len(f)}
		if err := pw.WritePacket(ci, f); err != nil {
			t.Fatal(err)
		}
	}
}

func captureFile(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "flows.pcap")
	var b bytes.Buffer
	writeFlows(t, &b, true, n, 0, t0)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// summary is the joy command's last stderr line after lost output.
var summary = regexp.MustCompile(`joy: (\d+) of (\d+) output lines \(records and the configuration line\) were lost; (\d+) writes failed`)

// checkFailed checks the common outcome of a failed output: exit status
// 1, exactly one ERR line naming the cause, and the summary's counts.
func checkFailed(t *testing.T, err error, stderr string, cause string, wantLost, wantLines int) {
	t.Helper()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("exit: %v, want status 1", err)
	}
	if n := strings.Count(stderr, "ERR:"); n != 1 {
		t.Errorf("%d ERR lines, want 1:\n%s", n, stderr)
	}
	if !strings.Contains(stderr, "ERR: output: could not write flow records: ") || !strings.Contains(stderr, cause) {
		t.Errorf("stderr does not give the cause %q:\n%s", cause, stderr)
	}
	m := summary.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no summary line:\n%s", stderr)
	}
	if m[1] != fmt.Sprint(wantLost) || m[2] != fmt.Sprint(wantLines) || m[3] == "0" {
		t.Errorf("summary %q, want %d of %d lost", m[0], wantLost, wantLines)
	}
}

// A full disk: every record is lost, the run goes to the end of the input.
func TestCLIFullDisk(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	const flows = 3000 // more than one 256 KiB write
	in := captureFile(t, flows)
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	var stderr bytes.Buffer
	cmd := exec.Command(cliPath, in)
	cmd.Stdout, cmd.Stderr = full, &stderr
	err = cmd.Run()
	checkFailed(t, err, stderr.String(), "no space left on device", flows+1, flows+1)
}

// A standard output closed by the caller (">&-").
func TestCLIClosedStdout(t *testing.T) {
	in := captureFile(t, 10)
	var stderr bytes.Buffer
	cmd := exec.Command("bash", "-c", `exec "$0" "$1" >&-`, cliPath, in)
	cmd.Stderr = &stderr
	err := cmd.Run()
	checkFailed(t, err, stderr.String(), "standard output is closed", 11, 11)
}

// "> /dev/null" is a deliberate choice, not a failure.
func TestCLIDevNullIsNotAFailure(t *testing.T) {
	in := captureFile(t, 10)
	var stderr bytes.Buffer
	cmd := exec.Command("bash", "-c", `exec "$0" "$1" >/dev/null`, cliPath, in)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() != 0 {
		t.Errorf("exit %v, stderr %q", err, stderr.String())
	}
}

// A reader that has gone away: EPIPE, not death by SIGPIPE.
func TestCLIBrokenPipe(t *testing.T) {
	in := captureFile(t, 10)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	var stderr bytes.Buffer
	cmd := exec.Command(cliPath, in)
	cmd.Stdout, cmd.Stderr = w, &stderr
	err = cmd.Run()
	w.Close()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			t.Fatalf("killed by %v", ws.Signal())
		}
	}
	checkFailed(t, err, stderr.String(), "broken pipe", 11, 11)
}

// The output directory of output=FILE is deleted while joy runs: it reads
// its input from a FIFO, so the deletion happens at a known point, after
// the first records were written.
func TestCLIOutputDirRemovedDuringRun(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "in.pcap")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	outDir := filepath.Join(dir, "out")
	if err := os.Mkdir(outDir, 0o755); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(cliPath, "outdir="+outDir, "output=flows.json", fifo)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	// 2000 flows at t0, then packets 60 s later expire them: more than
	// 256 KiB of records is written before the directory goes.
	const first, second = 2000, 500
	writeFlows(t, w, true, first, 0, t0)
	writeFlows(t, w, false, 10, first, t0.Add(60*time.Second))
	out := filepath.Join(outDir, "flows.json")
	deadline := time.Now().Add(20 * time.Second)
	for {
		if st, err := os.Stat(out); err == nil && st.Size() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no records written before the deadline")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := os.RemoveAll(outDir); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond) // past the removal check interval
	writeFlows(t, w, false, second, first+10, t0.Add(120*time.Second))
	w.Close()
	err = cmd.Wait()
	lines := first + 10 + second + 1
	checkFailed(t, err, stderr.String(), "the output file was removed", lines, lines)
}

// A missing output directory is refused before any packet is read.
func TestCLIOutputDirMissing(t *testing.T) {
	in := captureFile(t, 1)
	var stderr bytes.Buffer
	cmd := exec.Command(cliPath, "outdir="+filepath.Join(t.TempDir(), "gone"), "output=x.json", in)
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(stderr.String(), "no such file or directory") {
		t.Errorf("exit %v, stderr %q", err, stderr.String())
	}
}
