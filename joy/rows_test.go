package joy

import (
	"bytes"
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
