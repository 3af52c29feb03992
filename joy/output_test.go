package joy_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gojoy/libjoy/joy"
	"github.com/gojoy/libjoy/joy/logx"
)

// shortWriter accepts the first limit bytes and then fails, like a disk
// that fills up in the middle of a write.
type shortWriter struct {
	buf   bytes.Buffer
	limit int
}

func (w *shortWriter) Write(p []byte) (int, error) {
	room := w.limit - w.buf.Len()
	if room >= len(p) {
		return w.buf.Write(p)
	}
	w.buf.Write(p[:max(room, 0)])
	return max(room, 0), errors.New("no space left on device")
}

// A write that stops part-way loses exactly the records it did not
// complete; the ones before are in the output whole.
func TestPartialWriteCountsLostRecords(t *testing.T) {
	var log bytes.Buffer
	w := &shortWriter{limit: 1000}
	ctx := joy.NewContext(&joy.Config{Type: 1}, w, logx.New(&log, 4))
	ctx.SetOutputBuffer(1 << 20)
	for i := 0; i < 20; i++ {
		ctx.ProcessPacket(T0, udpFrame("10.0.0.1", "10.0.0.2", uint16(1000+i), 53, 10))
	}
	ctx.PrintFlows(joy.AllFlows)
	if w.buf.Len() != 0 {
		t.Fatalf("%d bytes written before Flush with a 1 MB output buffer", w.buf.Len())
	}
	ctx.Flush()
	whole := bytes.Count(w.buf.Bytes(), []byte{'\n'})
	s := ctx.Stats()
	if whole == 0 || whole >= 20 || s.RecordsLost != uint64(20-whole) || s.WriteErrors != 1 || s.FlowsPrinted != 20 {
		t.Fatalf("%d whole records written, stats %+v", whole, s)
	}
	// Processing goes on and later failures are counted but not logged.
	ctx.ProcessPacket(T0+1, udpFrame("10.0.0.3", "10.0.0.2", 1, 53, 10))
	ctx.PrintFlows(joy.AllFlows)
	ctx.Flush()
	s = ctx.Stats()
	if s.RecordsLost != uint64(21-whole) || s.WriteErrors != 2 || s.Packets != 21 {
		t.Errorf("after a second failure: stats %+v", s)
	}
	if n := strings.Count(log.String(), "ERR:"); n != 1 {
		t.Errorf("%d ERR lines, want 1: %q", n, log.String())
	}
}

// Contexts that share an output log its failure once between them.
func TestSharedOutputErrorLoggedOnce(t *testing.T) {
	var log bytes.Buffer
	var logged atomic.Bool
	var lost uint64
	for i := 0; i < 3; i++ {
		ctx := joy.NewContext(&joy.Config{Type: 1}, joy.FailedOutput(joy.ErrOutputClosed), logx.New(&log, 4))
		ctx.ShareOutputErrorLog(&logged)
		ctx.ProcessPacket(T0, udpFrame("10.0.0.1", "10.0.0.2", 1, 2, 10))
		ctx.PrintFlows(joy.AllFlows)
		lost += ctx.Stats().RecordsLost
	}
	if lost != 3 || strings.Count(log.String(), "\n") != 1 || !strings.Contains(log.String(), "standard output is closed") {
		t.Errorf("lost %d, log %q", lost, log.String())
	}
}

// An output file whose directory is deleted during the run: writes still
// succeed at the system level, but the records are counted as lost from
// the moment the removal is seen, and it is logged once.
func TestRemovedOutputFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "flows.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := joy.NewFile(f)
	var log bytes.Buffer
	ctx := joy.NewContext(&joy.Config{Type: 1}, out, logx.New(&log, 4))
	ctx.ProcessPacket(T0, udpFrame("10.0.0.1", "10.0.0.2", 1, 2, 10))
	ctx.PrintFlows(joy.AllFlows)
	if s := ctx.Stats(); s.WriteErrors != 0 || out.Removed() {
		t.Fatalf("before removal: stats %+v", s)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond) // past the check interval
	for i := 0; i < 5; i++ {
		ctx.ProcessPacket(T0+int64(i), udpFrame("10.0.0.1", "10.0.0.2", uint16(10+i), 2, 10))
	}
	ctx.PrintFlows(joy.AllFlows)
	s := ctx.Stats()
	if !out.Removed() || s.WriteErrors != 1 || s.RecordsLost != 5 || s.FlowsPrinted != 6 {
		t.Errorf("after removal: removed %v, stats %+v", out.Removed(), s)
	}
	if !strings.Contains(log.String(), "ERR: output: could not write flow records: the output file was removed") {
		t.Errorf("log %q", log.String())
	}
}

// A pipe or device is never taken for a removed file.
func TestRemovalWatchIgnoresPipes(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if joy.NewFile(w).Removed() {
		t.Error("a pipe reported as removed")
	}
}
