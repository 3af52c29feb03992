package joy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/gojoy/libjoy/joy/record"
	"github.com/gojoy/libjoy/joy/registry"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// rowSink is an output that takes typed rows and keeps deep copies.
type rowSink struct {
	bytes.Buffer
	rows []record.Flow
}

func (s *rowSink) TakesRows() bool { return true }

func (s *rowSink) WriteRows(rows []record.Flow) error {
	for i := range rows {
		// Through the JSON text and back: a copy that owns its storage.
		var f record.Flow
		if err := f.ParseJSON(rows[i].AppendJSON(nil)); err != nil {
			return err
		}
		// AppendJSON prints floats in Go's shortest form, which reads
		// back as the same value, and JSON text members as they are.
		s.rows = append(s.rows, f)
	}
	return nil
}

// The rows a context fills by walking its records (record.Filler) are the
// rows ParseJSON makes of the JSON records, for every capture of the
// original's test set with every feature on.
func TestRowsEqualParsedJSON(t *testing.T) {
	dir, ok := tu.SharedDir()
	if !ok {
		t.Skip("shared captures not found (JOY_SHARED)")
	}
	pcaps, _ := filepath.Glob(filepath.Join(dir, "pcaps", "joy-*.pcap"))
	if len(pcaps) == 0 {
		t.Skip("no joy-*.pcap in the shared captures")
	}
	cfg := &Config{Bidir: true, Type: 1, NumPkts: 199, Zeros: true, Retrans: true, Dist: true, Entropy: true, HD: 1, IDP: 1300, Classify: true}
	for _, name := range []string{"tls", "http", "dns", "ssh", "dhcp", "ike", "wht", "salt", "ppi", "payload"} {
		e := registry.Lookup(name)
		if e == nil {
			t.Fatalf("no registry entry %q", name)
		}
		e.Set(cfg, 1)
	}
	flows := 0
	for _, p := range pcaps {
		var text bytes.Buffer
		if err := NewContext(cfg, &text, nil).ProcessCapture(p); err != nil {
			t.Fatal(err)
		}
		rows := &rowSink{}
		ctx := NewContext(cfg, rows, nil)
		if ctx.rows == nil {
			t.Fatal("the context does not take rows from a RowWriter")
		}
		if err := ctx.ProcessCapture(p); err != nil {
			t.Fatal(err)
		}
		if rows.Len() != 0 {
			t.Errorf("%s: JSON text written beside the rows: %.200q", p, rows.String())
		}
		lines := strings.Split(strings.TrimSuffix(text.String(), "\n"), "\n")
		if len(lines) != len(rows.rows) {
			t.Fatalf("%s: %d JSON records, %d rows", p, len(lines), len(rows.rows))
		}
		for i, l := range lines {
			var want record.Flow
			if err := want.ParseJSON([]byte(l)); err != nil {
				t.Fatal(err)
			}
			var w2 record.Flow // the same round trip as rowSink's copy
			if err := w2.ParseJSON(want.AppendJSON(nil)); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(w2, rows.rows[i]) {
				t.Errorf("%s record %d:\nJSON %s\nrow  %s", filepath.Base(p), i, want.AppendJSON(nil), rows.rows[i].AppendJSON(nil))
			}
		}
		flows += len(lines)
	}
	if flows < 70 {
		t.Errorf("only %d flows compared", flows)
	}
}

// threads=2 over a capture fills rows in every worker, as one context
// does (no JSON text for the format to parse again), and the rows are
// those of threads=1, in another order.
func TestThreadsTakeRows(t *testing.T) {
	dir, ok := tu.SharedDir()
	if !ok {
		t.Skip("shared captures not found (JOY_SHARED)")
	}
	cfg := &Config{Bidir: true, Type: 1, Dist: true, TLS: true, HTTP: true, DNS: true}
	rowsOf := func(path string, threads int) []string {
		sink := &rowSink{}
		ctx := NewContext(cfg, sink, nil)
		ctx.SetThreads(threads)
		if err := ctx.ProcessCapture(path); err != nil {
			t.Fatal(err)
		}
		if sink.Len() != 0 {
			t.Fatalf("%s threads=%d: JSON text written instead of rows: %.200q", path, threads, sink.String())
		}
		var lines []string
		for i := range sink.rows {
			lines = append(lines, string(sink.rows[i].AppendJSON(nil)))
		}
		sort.Strings(lines)
		return lines
	}
	rows := 0
	for _, name := range []string{"joy-firefox58.pcap", "joy-kali-password-attack_hydra.pcap", "joy-sample.pcap"} {
		path := filepath.Join(dir, "pcaps", name)
		want, got := rowsOf(path, 1), rowsOf(path, 2)
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("%s: threads=2 rows differ from threads=1's (%d and %d rows):\n%s", name, len(got), len(want), diffLines(want, got))
		}
		rows += len(want)
	}
	if rows < 50 {
		t.Fatalf("only %d rows compared", rows)
	}
}

// keeperSink is a rowSink that keeps the rows handed to it and copies
// them only when two more batches have come (then releases them), as an
// output encoding on another goroutine would: rows the context filled
// again before their release would be copied changed.
type keeperSink struct {
	rowSink
	pending []keptRows
	kept    int
}

type keptRows struct {
	rows    []record.Flow
	release func()
}

func (s *keeperSink) KeepsRows() bool { return true }

func (s *keeperSink) KeepRows(rows []record.Flow, release func()) error {
	s.kept++
	s.pending = append(s.pending, keptRows{rows, release})
	if len(s.pending) > 2 {
		return s.copyOldest()
	}
	return nil
}

func (s *keeperSink) copyOldest() error {
	k := s.pending[0]
	s.pending = s.pending[1:]
	err := s.rowSink.WriteRows(k.rows)
	k.release()
	return err
}

func (s *keeperSink) WriteRows(rows []record.Flow) error {
	return errors.New("WriteRows called on an output that keeps rows")
}

// A context whose output keeps rows hands its batches over without a
// copy and fills others meanwhile (at most maxRowSets): the rows are
// those a context writes to an output that only takes them. The flows
// make 12 batches, so every row set is filled again after its release.
func TestContextKeepsRows(t *testing.T) {
	cfg := &Config{Bidir: true, Type: 1, Dist: true, IDP: 100}
	flows := 12*rowBatch - rowBatch/3
	run := func(out io.Writer) *Context {
		ctx := NewContext(cfg, out, nil)
		for i := 0; i < flows; i++ {
			src := fmt.Sprintf("10.0.%d.%d", i/250, 1+i%250)
			ts := int64(1502118721000000 + i*1000)
			ctx.ProcessPacket(ts, tu.EthUDP4(src, "10.9.9.9", uint16(1024+i), 53, []byte(fmt.Sprintf("query %d", i))))
			ctx.ProcessPacket(ts+500, tu.EthUDP4("10.9.9.9", src, 53, uint16(1024+i), []byte(strings.Repeat("a", i%40))))
		}
		ctx.PrintFlows(true)
		ctx.Flush()
		return ctx
	}
	taken := &rowSink{}
	run(taken)
	kept := &keeperSink{}
	ctx := run(kept)
	for len(kept.pending) > 0 {
		if err := kept.copyOldest(); err != nil {
			t.Fatal(err)
		}
	}
	if len(taken.rows) != flows {
		t.Fatalf("%d rows taken, want %d", len(taken.rows), flows)
	}
	// The keeper holds two batches while the context fills a third.
	if kept.kept < 12 || ctx.sets != 3 {
		t.Errorf("%d batches kept with %d row sets: want 12 or more, with 3", kept.kept, ctx.sets)
	}
	if !reflect.DeepEqual(kept.rows, taken.rows) {
		for i := range min(len(kept.rows), len(taken.rows)) {
			if !reflect.DeepEqual(kept.rows[i], taken.rows[i]) {
				t.Fatalf("row %d kept:\n%s\ntaken:\n%s", i, kept.rows[i].AppendJSON(nil), taken.rows[i].AppendJSON(nil))
			}
		}
		t.Fatalf("%d rows kept, %d taken", len(kept.rows), len(taken.rows))
	}
}
