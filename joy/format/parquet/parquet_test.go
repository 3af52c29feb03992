package parquet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/rle"

	"github.com/gojoy/libjoy/joy/record"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// Every record of the original's reference outputs (every option set)
// goes into Parquet and comes back, read by parquet-go, as the same JSON
// values; the configuration record is in the file's metadata.
func TestRoundTripReference(t *testing.T) {
	shared := tu.NeedShared(t)
	files, _ := filepath.Glob(filepath.Join(shared, "ref", "697dc5a", "*", "*.json"))
	if len(files) == 0 {
		t.Skip("no reference outputs under " + shared)
	}
	dir := t.TempDir()
	total := 0
	for _, in := range files {
		data, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		// The original's outputs have blank lines and, on some malformed
		// captures, invalid JSON (fixed in ours): those are left out.
		var lines [][]byte
		for _, l := range bytes.Split(data, []byte{'\n'}) {
			if json.Valid(l) {
				lines = append(lines, l)
			}
		}
		data = append(bytes.Join(lines, []byte{'\n'}), '\n')
		out := filepath.Join(dir, "x.parquet")
		f, err := os.Create(out)
		if err != nil {
			t.Fatal(err)
		}
		w := NewWriter(f)
		// Written in uneven pieces: the writer rejoins split lines.
		for i := 0; i < len(data); i += 777 {
			if _, err := w.Write(data[i:min(i+777, len(data))]); err != nil {
				t.Fatalf("%s: %v", in, err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		var want [][]byte
		var config string
		for _, l := range lines {
			if record.IsConfig(l) {
				config = string(l)
				continue
			}
			want = append(want, l)
		}
		if got, err := Config(out); err != nil || got != config {
			t.Errorf("%s: config %q, %v; want %q", in, got, err, config)
		}
		i := 0
		err = ForEach(out, func(line []byte) error {
			if i < len(want) {
				sameJSON(t, in, i, want[i], line)
			}
			i++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if i != len(want) {
			t.Errorf("%s: %d rows, %d records", in, i, len(want))
		}
		total += i
	}
	t.Logf("%d records in %d files", total, len(files))
}

func sameJSON(t *testing.T, file string, i int, want, got []byte) {
	t.Helper()
	var a, b map[string]any
	if err := json.Unmarshal(want, &a); err != nil {
		t.Fatalf("%s: record %d: %v", file, i, err)
	}
	if err := json.Unmarshal(got, &b); err != nil {
		t.Fatalf("%s: record %d read back as invalid JSON: %v\n%s", file, i, err, got)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("%s: record %d differs:\nwant %s\ngot  %s", file, i, want, got)
	}
}

// The columns are typed as docs/formats.md says, and parquet-go reads
// the values themselves (not only through ForEach).
func TestSchemaAndValues(t *testing.T) {
	line := `{"sa":"10.0.0.1","da":"10.0.0.2","pr":6,"sp":40000,"dp":443,"bytes_out":18,"num_pkts_out":3,"bytes_in":100,"num_pkts_in":2,"time_start":1502118721.000001,"time_end":1502118721.041000,"packets":[{"b":18,"dir":">","ipt":30},{"rep":3,"dir":"<","ipt":10}],"tls":{"c_extensions":[{"server_name":"00"}]},"expire_type":"i","new_member":[1]}`
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if _, err := w.Write([]byte(`{"version":"2.1-dev","end-config":1}` + "\n" + line + "\n")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f := openFile(t, buf.Bytes())
	if f.NumRows() != 1 || len(f.RowGroups()) != 1 {
		t.Fatalf("%d rows, %d row groups", f.NumRows(), len(f.RowGroups()))
	}
	schema := f.Schema().String()
	for _, col := range []string{
		"required binary sa (STRING)", "required int32 pr", "optional int32 sp", "required int64 bytes_out",
		"optional int64 bytes_in", "required int64 time_start (TIMESTAMP(isAdjustedToUTC=true,unit=MICROS))",
		"optional binary tls (STRING)", "optional binary other (STRING)",
	} {
		if !strings.Contains(schema, col) {
			t.Errorf("schema lacks %q:\n%s", col, schema)
		}
	}
	rows := make([]record.Flow, 2)
	r := pq.NewGenericReader[record.Flow](f)
	n, _ := r.Read(rows)
	if n != 1 {
		t.Fatalf("read %d rows", n)
	}
	g := rows[0]
	if g.SA != "10.0.0.1" || g.PR != 6 || *g.SP != 40000 || *g.DP != 443 || g.BytesOut != 18 || *g.NumPktsIn != 2 ||
		g.TimeStart != 1502118721000001 || g.TimeEnd != 1502118721041000 ||
		!reflect.DeepEqual(g.PacketsB, []int32{18, -3}) || g.PacketsDir != "><" || !reflect.DeepEqual(g.PacketsIPT, []int64{30, 10}) ||
		*g.TLS != `{"c_extensions":[{"server_name":"00"}]}` || *g.ExpireType != "i" || *g.Other != `{"new_member":[1]}` {
		t.Errorf("row: %+v", g)
	}
}

// refFlows are the records of the original's reference outputs (every
// option set), and a row of every kind of absent and present value they
// may lack.
func refFlows(t *testing.T) []record.Flow {
	shared := tu.NeedShared(t)
	files, _ := filepath.Glob(filepath.Join(shared, "ref", "697dc5a", "*", "*.json"))
	if len(files) == 0 {
		t.Skip("no reference outputs under " + shared)
	}
	var flows []record.Flow
	for _, in := range files {
		data, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range bytes.Split(data, []byte{'\n'}) {
			var f record.Flow
			if !json.Valid(l) || record.IsConfig(l) || f.ParseJSON(l) != nil {
				continue
			}
			flows = append(flows, f)
		}
	}
	zero, empty := int32(0), ""
	return append(flows, record.Flow{SP: &zero, DP: &zero, PacketsB: []int32{}, PacketsIPT: []int64{}, ByteDist: []int64{}, IDPOut: &empty, ExpireType: &empty})
}

// The driver's file, read by parquet-go, has the same values and levels,
// row by row, as the file parquet-go's own row writer makes of the same
// rows: the records of the reference outputs (long enough for pages to
// end inside a row group), then enough small rows for a second row
// group, written in calls of uneven sizes. Where a row differs, its
// first differing value is shown with its levels.
func TestSameRowsAsParquetGo(t *testing.T) {
	flows := append(refFlows(t), smallRows(RowGroup)...)
	var mine, theirs bytes.Buffer
	w := NewWriter(&mine)
	gw := pq.NewGenericWriter[record.Flow](&theirs, pq.Compression(&pq.Snappy))
	for i, rest := 0, flows; len(rest) > 0; i++ {
		n := min(len(rest), []int{1, 700, 255, 3, 256, 257, 64, 4000}[i%8])
		if err := w.WriteRows(rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	if _, err := gw.Write(flows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gw.Close(); err != nil {
		t.Fatal(err)
	}
	a, b := readRows(t, mine.Bytes()), readRows(t, theirs.Bytes())
	if len(a) != len(flows) || len(b) != len(flows) {
		t.Fatalf("%d and %d rows read back, %d written", len(a), len(b), len(flows))
	}
	// A nil list of an optional list column (no byte distribution) is
	// null here and an empty list in parquet-go's file: the one
	// difference, which a record's nil list counts.
	nulls, nilLists := 0, 0
	for i := range flows {
		nilLists += btoi(flows[i].ByteDist == nil) + btoi(flows[i].CompactByteDist == nil) +
			btoi(flows[i].IPOutID == nil) + btoi(flows[i].IPInID == nil)
		for j, v := range a[i] {
			if optionalLists[plainSchema.Columns()[v.Column()][0]] && v.DefinitionLevel() == 0 {
				a[i][j] = v.Level(v.RepetitionLevel(), 1, v.Column())
				nulls++
			}
		}
	}
	if nulls != nilLists {
		t.Errorf("%d null lists, %d nil lists written", nulls, nilLists)
	}
	bad := 0
	for i := range a {
		if a[i].Equal(b[i]) {
			continue
		}
		if bad++; bad > 10 {
			t.Fatal("more rows differ")
		}
		cols := plainSchema.Columns()
		for j := range min(len(a[i]), len(b[i])) {
			if !pq.DeepEqual(a[i][j], b[i][j]) || a[i][j].DefinitionLevel() != b[i][j].DefinitionLevel() || a[i][j].RepetitionLevel() != b[i][j].RepetitionLevel() {
				c := cols[a[i][j].Column()]
				t.Errorf("row %d, column %s: %v (levels %d %d), parquet-go's row writer: %v (levels %d %d)", i, c[0],
					a[i][j], a[i][j].RepetitionLevel(), a[i][j].DefinitionLevel(), b[i][j], b[i][j].RepetitionLevel(), b[i][j].DefinitionLevel())
				break
			}
		}
		if len(a[i]) != len(b[i]) {
			t.Errorf("row %d: %d values, parquet-go's row writer %d", i, len(a[i]), len(b[i]))
		}
	}
	f := openFile(t, mine.Bytes())
	if n := len(f.RowGroups()); n != 2 {
		t.Errorf("%d row groups, want 2", n)
	}
	t.Logf("%d rows; %d bytes, parquet-go's %d", len(flows), mine.Len(), theirs.Len())
}

var plainSchema = pq.SchemaOf(record.Flow{})

// empty is l, or an empty list for a nil one.
func empty[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}

// optionalLists are the optional list columns: a nil list is null in our
// file and an empty list in parquet-go's.
var optionalLists = map[string]bool{"byte_dist": true, "compact_byte_dist": true, "ip_out_id": true, "ip_in_id": true}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// openFile opens the Parquet file data with parquet-go.
func openFile(t *testing.T, data []byte) *pq.File {
	t.Helper()
	f, err := pq.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func readRows(t *testing.T, data []byte) []pq.Row {
	t.Helper()
	f := openFile(t, data)
	if got, want := f.Schema().String(), plainSchema.String(); got != want {
		t.Fatalf("schema:\n%s\nwant\n%s", got, want)
	}
	r := pq.NewReader(f)
	defer r.Close()
	var rows []pq.Row
	buf := make([]pq.Row, 64)
	for {
		n, err := r.ReadRows(buf)
		for _, row := range buf[:n] {
			rows = append(rows, row.Clone())
		}
		if err != nil {
			break
		}
	}
	return rows
}

// The footer's schema is the one parquet-go makes of record.Flow, element
// by element.
func TestSchemaIsParquetGos(t *testing.T) {
	var buf bytes.Buffer
	gw := pq.NewGenericWriter[record.Flow](&buf)
	if err := gw.Close(); err != nil {
		t.Fatal(err)
	}
	f := openFile(t, buf.Bytes())
	want, got := f.Metadata().Schema, schema(flowFields)
	if len(got) != len(want) {
		t.Fatalf("%d schema elements, parquet-go %d", len(got), len(want))
	}
	for i := range want {
		want[i].TypeLength = nil // parquet-go gives integers their bit width; the format has it for fixed-length arrays only
		if !reflect.DeepEqual(got[i], want[i]) {
			a, _ := json.Marshal(got[i])
			b, _ := json.Marshal(want[i])
			t.Errorf("element %d:\n%s\nparquet-go:\n%s", i, a, b)
		}
	}
}

// Levels in the hybrid encoding decode, with parquet-go's decoder, to
// what was encoded: runs, alternations, the end of a page in a run and
// inside a group of 8, for widths 1 and 2.
func TestLevelsDecode(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, width := range []int{1, 2} {
		for trial := range 2000 {
			levels := make([]byte, rng.IntN(300))
			for i := 0; i < len(levels); {
				v := byte(rng.IntN(1 << width))
				run := 1
				if trial%2 == 0 {
					run = 1 + rng.IntN(20)
				}
				for ; run > 0 && i < len(levels); run-- {
					levels[i] = v
					i++
				}
			}
			enc := appendLevels(nil, levels, width)
			dec, err := (&rle.Encoding{BitWidth: width}).DecodeLevels(nil, enc)
			if err != nil {
				t.Fatal(err)
			}
			// A bit-packed last group is padded; a page's value count
			// says where the levels end.
			if len(dec) < len(levels) || !bytes.Equal(dec[:len(levels)], levels) {
				t.Fatalf("width %d: %v encoded as %x decodes to %v", width, levels, enc, dec)
			}
		}
	}
}

// failWriter fails every write after the first ok bytes.
type failWriter struct{ ok int }

var errFull = errors.New("no space left")

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.ok {
		n := w.ok
		w.ok = 0
		return n, errFull
	}
	w.ok -= len(p)
	return len(p), nil
}

func smallRows(n int) []record.Flow {
	rows := make([]record.Flow, n)
	for i := range rows {
		sp := int32(i)
		rows[i] = record.Flow{SA: "10.0.0.1", DA: "10.0.0.2", PR: 6, SP: &sp, BytesOut: int64(i), PacketsB: []int32{int32(i)}, PacketsDir: ">", PacketsIPT: []int64{0}}
	}
	return rows
}

// A write error is the answer of the WriteRows that ends a row group
// (when it is written out) and of every later call.
func TestWriteErrorSurfaces(t *testing.T) {
	rows := smallRows(1000)
	w := NewWriter(&failWriter{ok: 100})
	var err error
	written := 0
	for written < 3*RowGroup && err == nil {
		err = w.WriteRows(rows)
		written += len(rows)
	}
	if !errors.Is(err, errFull) {
		t.Fatalf("WriteRows: %v after %d rows, want %v", err, written, errFull)
	}
	if written <= RowGroup {
		t.Errorf("the error came after %d rows, before a row group was written out", written)
	}
	if err := w.WriteRows(rows[:1]); !errors.Is(err, errFull) {
		t.Errorf("WriteRows after the error: %v", err)
	}
	if _, err := w.Write([]byte(`{"sa":"10.0.0.1","da":"10.0.0.2","pr":6,"bytes_out":1,"num_pkts_out":1,"time_start":1,"time_end":1,"packets":[]}` + "\n")); !errors.Is(err, errFull) {
		t.Errorf("Write after the error: %v", err)
	}
	if err := w.Close(); !errors.Is(err, errFull) {
		t.Errorf("Close: %v", err)
	}
}

// A file written at Close (one row group) that fails there fails Close.
func TestCloseErrorSurfaces(t *testing.T) {
	w := NewWriter(&failWriter{ok: 10})
	if err := w.WriteRows(smallRows(10)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); !errors.Is(err, errFull) {
		t.Errorf("Close: %v, want %v", err, errFull)
	}
}

// BenchmarkWriteRows writes the reference outputs' records (ns/op is
// per row), with the driver and with parquet-go's row writer.
func BenchmarkWriteRows(b *testing.B) {
	t := &testing.T{}
	flows := refFlows(t)
	if len(flows) == 0 {
		b.Skip("no reference outputs")
	}
	b.Run("driver", func(b *testing.B) {
		b.ReportAllocs()
		w := NewWriter(io.Discard)
		for i := 0; i < b.N; {
			n := min(b.N-i, len(flows), 64)
			if err := w.WriteRows(flows[:n]); err != nil {
				b.Fatal(err)
			}
			i += n
		}
		w.Close()
	})
	b.Run("parquet-go", func(b *testing.B) {
		b.ReportAllocs()
		w := pq.NewGenericWriter[record.Flow](io.Discard, pq.Compression(&pq.Snappy))
		for i := 0; i < b.N; {
			n := min(b.N-i, len(flows), 64)
			if _, err := w.Write(flows[:n]); err != nil {
				b.Fatal(err)
			}
			i += n
		}
		w.Close()
	})
}

// Rows handed over with KeepRows make the file WriteRows makes of them;
// each batch is released once, after it is encoded (the rows are
// checked unchanged then); rows kept after Close are refused and released.
func TestKeepRows(t *testing.T) {
	rows := smallRows(3*RowGroup/2 + 7)
	var kept, written bytes.Buffer
	w := NewWriter(&written)
	k := NewWriter(&kept)
	if !k.KeepsRows() {
		t.Fatal("a new Writer does not keep rows")
	}
	released := make([]int, 0, 1000)
	var mu sync.Mutex
	for i, rest := 0, rows; len(rest) > 0; i++ {
		n := min(len(rest), 100+i%300)
		if err := w.WriteRows(rest[:n]); err != nil {
			t.Fatal(err)
		}
		orig, batch := rest[:n], slices.Clone(rest[:n])
		if err := k.KeepRows(batch, func() {
			mu.Lock()
			defer mu.Unlock()
			released = append(released, i)
			if !reflect.DeepEqual(batch, orig) {
				t.Errorf("batch %d changed before its release", i)
			}
		}); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(kept.Bytes(), written.Bytes()) {
		t.Errorf("kept rows make a file of %d bytes, written rows %d bytes: they differ", kept.Len(), written.Len())
	}
	for i, b := range released {
		if b != i {
			t.Fatalf("batches released in the order %v", released)
		}
	}
	n := 0
	if err := k.KeepRows(rows[:1], func() { n++ }); !errors.Is(err, os.ErrClosed) || n != 1 {
		t.Errorf("KeepRows after Close: %v, released %d times", err, n)
	}
	if k.KeepsRows() {
		t.Error("a closed Writer keeps rows")
	}
}

// settled is the number of goroutines once it stops changing: those of
// earlier tests may still be returning.
func settled() int {
	n := runtime.NumGoroutine()
	for range 50 {
		time.Sleep(20 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m == n {
			break
		}
		n = m
	}
	return n
}

// Close ends the encoding goroutine, whether rows were written, none
// were, or writing failed.
func TestNoGoroutineLeft(t *testing.T) {
	before := settled()
	for _, c := range []struct {
		out  io.Writer
		rows int
	}{{io.Discard, 0}, {io.Discard, 5000}, {&failWriter{ok: 10}, 5000}, {&failWriter{ok: 10}, RowGroup + 1}} {
		w := NewWriter(c.out)
		w.WriteRows(smallRows(c.rows))
		w.Close()
	}
	if n := settled(); n > before {
		t.Errorf("%d goroutines before, %d after", before, n)
	}
	// The check can fail: a Writer not closed keeps its goroutine.
	base := settled()
	w := NewWriter(io.Discard)
	w.WriteRows(smallRows(1))
	if n := runtime.NumGoroutine(); n != base+1 {
		t.Errorf("an open Writer: %d goroutines, want %d", n, base+1)
	}
	w.Close()
}

// panicWriter panics when written to.
type panicWriter struct{}

func (panicWriter) Write([]byte) (int, error) { panic("the writer broke") }

// A panic while encoding (here of the output writer, when a row group is
// written out) is an error, not the end of the process.
func TestPanicIsAnError(t *testing.T) {
	w := NewWriter(panicWriter{})
	err := w.WriteRows(smallRows(RowGroup))
	if err == nil || !strings.Contains(err.Error(), "the writer broke") {
		t.Errorf("WriteRows: %v", err)
	}
	if err := w.Close(); err == nil {
		t.Error("Close: no error")
	}
}

// randomFlow is a row with each optional value present or not, lists
// nil, empty or long, and strings empty, short or longer than a page.
func randomFlow(rng *rand.Rand) record.Flow {
	str := func() string {
		switch rng.IntN(100) {
		case 0, 1, 2, 3, 4:
			return ""
		case 5:
			return strings.Repeat("x", pageSize+pageSlack+rng.IntN(1000))
		}
		return fmt.Sprintf(`{"k":%d}`, rng.IntN(1000))
	}
	optStr := func() *string {
		if rng.IntN(3) == 0 {
			return nil
		}
		s := str()
		return &s
	}
	i32 := func() *int32 {
		if rng.IntN(3) == 0 {
			return nil
		}
		v := rng.Int32() - 1<<30
		return &v
	}
	i64 := func() *int64 {
		if rng.IntN(3) == 0 {
			return nil
		}
		v := rng.Int64() - 1<<62
		return &v
	}
	f64 := func() *float64 {
		if rng.IntN(3) == 0 {
			return nil
		}
		v := rng.NormFloat64()
		return &v
	}
	l64 := func() []int64 { return randomList(rng, 300, func() int64 { return rng.Int64N(1000) - 10 }) }
	l32 := func() []int32 { return randomList(rng, 60, func() int32 { return rng.Int32N(1 << 16) }) }
	n := rng.IntN(60)
	f := record.Flow{SA: str(), DA: "10.0.0.1", PR: rng.Int32N(256), SP: i32(), DP: i32(), SALabels: optStr(),
		BytesOut: rng.Int64(), NumPktsOut: int64(n), BytesIn: i64(), NumPktsIn: i64(), TimeStart: rng.Int64N(1 << 52), TimeEnd: rng.Int64N(1 << 52),
		PacketsB: make([]int32, n), PacketsDir: strings.Repeat(">", n), PacketsIPT: make([]int64, n),
		ByteDist: l64(), ByteDistMean: f64(), CompactByteDist: l64(), Entropy: f64(), PMalware: f64(),
		IPOutTTL: i32(), IPOutID: l32(), IPInTTL: i32(), IPInID: l32(), TCP: optStr(), TLS: optStr(), HTTP: optStr(), IDPOut: optStr(), IDPLenOut: i64(), ExpireType: optStr(), Other: optStr()}
	for i := range n {
		f.PacketsB[i], f.PacketsIPT[i] = rng.Int32N(3000)-1500, rng.Int64N(100000)
	}
	return f
}

// randomList is nil, empty, or up to most values of next.
func randomList[T any](rng *rand.Rand, most int, next func() T) []T {
	switch rng.IntN(3) {
	case 0:
		return nil
	case 1:
		return []T{}
	}
	l := make([]T, 1+rng.IntN(most))
	for i := range l {
		l[i] = next()
	}
	return l
}

// Random rows (every kind of value present and absent, values longer
// than a page) read back by parquet-go as written; a nil list reads back
// as an empty one there, so both are compared as empty.
func TestRandomRowsReadBack(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	rows := make([]record.Flow, 2000)
	for i := range rows {
		rows[i] = randomFlow(rng)
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for i := 0; i < len(rows); i += 97 {
		if err := w.WriteRows(rows[i:min(i+97, len(rows))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f := openFile(t, buf.Bytes())
	r := pq.NewGenericReader[record.Flow](f)
	got := make([]record.Flow, len(rows)+1)
	n := 0
	for n < len(got) {
		k, err := r.Read(got[n:])
		n += k
		if err != nil {
			break
		}
	}
	if n != len(rows) {
		t.Fatalf("%d rows read back, %d written", n, len(rows))
	}
	for i := range rows {
		want, g := rows[i], got[i]
		want.ByteDist, want.CompactByteDist = empty(want.ByteDist), empty(want.CompactByteDist)
		g.ByteDist, g.CompactByteDist = empty(g.ByteDist), empty(g.CompactByteDist)
		want.IPOutID, want.IPInID = empty(want.IPOutID), empty(want.IPInID)
		g.IPOutID, g.IPInID = empty(g.IPOutID), empty(g.IPInID)
		if !reflect.DeepEqual(want, g) {
			t.Fatalf("row %d differs:\nwrote %.300s\nread  %.300s", i, want.AppendJSON(nil), g.AppendJSON(nil))
		}
	}
}

// BenchmarkEncoder is the encoder alone on the records of a JSON-lines
// file (JOY_BENCH_JSON, e.g. the output of build/joy bidir=1 on the
// benchmark capture), per record: what the encoding goroutine costs.
func BenchmarkEncoder(b *testing.B) {
	path := os.Getenv("JOY_BENCH_JSON")
	if path == "" {
		b.Skip("JOY_BENCH_JSON names no JSON-lines file")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var rows []record.Flow
	for _, l := range bytes.Split(data, []byte{'\n'}) {
		var f record.Flow
		if len(l) == 0 || record.IsConfig(l) {
			continue
		}
		if err := f.ParseJSON(l); err != nil {
			b.Fatal(err)
		}
		rows = append(rows, f)
	}
	b.ResetTimer()
	for i := 0; i < b.N; {
		e := newEncoder(io.Discard)
		for j := 0; j < len(rows) && i < b.N; j += 256 {
			part := rows[j:min(j+256, len(rows), j+b.N-i)]
			if err := e.writeRows(part); err != nil {
				b.Fatal(err)
			}
			i += len(part)
		}
		if err := e.finish(""); err != nil {
			b.Fatal(err)
		}
		e.mem.release()
	}
}

// readBack writes rows and returns the JSON records ForEach gives back.
func readBack(t *testing.T, write func(w io.Writer) error) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := write(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	if err := ForEach(path, func(line []byte) error {
		lines = append(lines, strings.TrimSuffix(string(line), "\n"))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return lines
}

// An ip member without "id" lists (Joy prints none when a direction has
// no ids) reads back without them, not with empty lists: parquet-go reads
// a null list as an empty one.
func TestIPWithoutIDsReadsBack(t *testing.T) {
	ttl, ttl2 := int32(64), int32(128)
	rows := smallRows(2)
	rows[0].IPOutTTL, rows[0].IPInTTL = &ttl, &ttl2
	rows[1].IPOutTTL, rows[1].IPOutID = &ttl, []int32{7, 8}
	lines := readBack(t, func(w io.Writer) error {
		pw := NewWriter(w)
		if err := pw.WriteRows(rows); err != nil {
			return err
		}
		return pw.Close()
	})
	for i, want := range []string{`"ip":{"out":{"ttl":64},"in":{"ttl":128}}`, `"ip":{"out":{"ttl":64,"id":[7,8]}}`} {
		if i >= len(lines) || !strings.Contains(lines[i], want) {
			t.Errorf("record %d: want %s in %v", i, want, lines)
		}
	}
}

// oldFlow is a row of a file written before the ip member had typed
// columns: its JSON text in a column "ip".
type oldFlow struct {
	SA         string  `parquet:"sa"`
	DA         string  `parquet:"da"`
	PR         int32   `parquet:"pr"`
	PacketsB   []int32 `parquet:"packets_b,list"`
	PacketsDir string  `parquet:"packets_dir"`
	PacketsIPT []int64 `parquet:"packets_ipt,list"`
	IP         *string `parquet:"ip,optional"`
	TCP        *string `parquet:"tcp,optional"`
}

// Files whose ip column is JSON text read back with their ip members: of
// Joy's shape through the ip columns, of another shape whole.
func TestLegacyIPColumnReadsBack(t *testing.T) {
	ip, odd, tcp := `{"out":{"ttl":64,"id":[1,2]},"in":{"ttl":3}}`, `{"x":1}`, `{"first_seq":5}`
	rows := []oldFlow{
		{SA: "a", DA: "b", PR: 6, PacketsB: []int32{10}, PacketsDir: ">", PacketsIPT: []int64{0}, IP: &ip, TCP: &tcp},
		{SA: "c", DA: "d", PR: 17, IP: &odd},
		{SA: "e", DA: "f", PR: 17},
	}
	// More rows than ForEach reads at once, each with its own ttl.
	for i := range 2*batch + 3 {
		s := fmt.Sprintf(`{"out":{"ttl":%d}}`, i)
		rows = append(rows, oldFlow{SA: "g", DA: "h", IP: &s})
	}
	lines := readBack(t, func(w io.Writer) error {
		gw := pq.NewGenericWriter[oldFlow](w)
		if _, err := gw.Write(rows); err != nil {
			return err
		}
		return gw.Close()
	})
	want := []string{`"ip":` + ip + `,"tcp":` + tcp, `"ip":` + odd, `"packets":[]}`}
	for i, w := range want {
		if i >= len(lines) || !strings.Contains(lines[i], w) {
			t.Errorf("record %d: want %s in %v", i, w, lines)
		}
	}
	if len(lines) != len(rows) {
		t.Fatalf("%d records read back, %d written", len(lines), len(rows))
	}
	if strings.Contains(lines[2], `"ip"`) {
		t.Errorf("a record without ip got one: %s", lines[2])
	}
	for i, l := range lines[3:] {
		if want := fmt.Sprintf(`"ip":{"out":{"ttl":%d}}`, i); !strings.Contains(l, want) {
			t.Fatalf("record %d: want %s in %s", 3+i, want, l)
		}
	}
}
