// Package parquet is the Parquet format driver: one row per flow with the
// columns of record.Flow (docs/formats.md), one row group per RowGroup
// flows, Snappy-compressed, the configuration record in the file's
// key-value metadata under "joy.config". It also reads such files back as
// Joy JSON records (ForEach), for the analysis tools.
//
// It uses github.com/parquet-go/parquet-go: pure Go (no cgo, so libjoy.so
// keeps one cgo package), maintained, typed rows from Go structs with list
// and optional columns, and read by DuckDB, pandas/pyarrow, Polars and
// Spark.
package parquet

import (
	"fmt"
	"io"
	"os"

	pq "github.com/parquet-go/parquet-go"

	"github.com/gojoy/libjoy/joy/format"
	"github.com/gojoy/libjoy/joy/record"
)

// RowGroup is how many flows one row group holds at most.
const RowGroup = 64 << 10

// ConfigKey is the metadata key of the configuration record.
const ConfigKey = "joy.config"

// Driver is Parquet (.parquet).
var Driver = format.Driver{
	Name:     "parquet",
	Suffixes: []string{".parquet"},
	New:      func(w io.Writer) (format.Writer, error) { return NewWriter(w), nil },
}

// batch is how many rows are handed to the writer at once.
const batch = 256

// Writer writes flow records as Parquet rows.
type Writer struct {
	out    io.Writer
	pw     *pq.GenericWriter[record.Flow]
	lines  format.Lines
	config string
	rows   []record.Flow
	n      int // rows used in rows
	group  int // rows in the open row group
	closed bool
}

// NewWriter returns a Writer writing one Parquet file to w.
func NewWriter(w io.Writer) *Writer {
	p := &Writer{out: w, rows: make([]record.Flow, batch)}
	p.lines.Config = func(b []byte) error { p.config = string(b); return nil }
	p.lines.Record = p.record
	return p
}

func (p *Writer) writer() *pq.GenericWriter[record.Flow] {
	if p.pw == nil {
		opts := []pq.WriterOption{flowSchema, pq.Compression(&pq.Snappy), pq.CreatedBy("libjoy", "", "")}
		if p.config != "" {
			opts = append(opts, pq.KeyValueMetadata(ConfigKey, p.config))
		}
		p.pw = pq.NewGenericWriter[record.Flow](p.out, opts...)
	}
	return p.pw
}

// Write takes whole Joy JSON lines.
func (p *Writer) Write(b []byte) (int, error) {
	if p.closed {
		return 0, os.ErrClosed
	}
	n, err := p.lines.Write(b)
	if err == nil {
		// The rows refer to b (ParseJSONShared): they are handed to
		// parquet-go, which copies them, before b changes.
		err = p.writeRows()
	}
	if err != nil {
		return 0, err
	}
	return n, nil
}

func (p *Writer) record(line []byte) error {
	if err := p.rows[p.n].ParseJSONShared(line); err != nil {
		return fmt.Errorf("parquet: record not understood: %w", err)
	}
	p.n++
	if p.n == len(p.rows) {
		return p.writeRows()
	}
	return nil
}

func (p *Writer) writeRows() error {
	if p.n == 0 {
		return nil
	}
	w := p.writer()
	_, err := w.Write(p.rows[:p.n])
	p.group += p.n
	p.n = 0
	if err != nil {
		return err
	}
	if p.group >= RowGroup {
		p.group = 0
		return w.Flush()
	}
	return nil
}

// TakesRows implements format.RowWriter.
func (p *Writer) TakesRows() bool { return !p.closed }

// WriteRows implements format.RowWriter: the rows go to parquet-go, which
// copies them, before it returns.
func (p *Writer) WriteRows(rows []record.Flow) error {
	if p.closed {
		return os.ErrClosed
	}
	if err := p.writeRows(); err != nil {
		return err
	}
	w := p.writer()
	for len(rows) > 0 {
		n := min(len(rows), RowGroup-p.group)
		if _, err := w.Write(rows[:n]); err != nil {
			return err
		}
		rows = rows[n:]
		p.group += n
		if p.group >= RowGroup {
			p.group = 0
			if err := w.Flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// Close writes the pending rows, the last row group and the footer.
func (p *Writer) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	if err := p.writeRows(); err != nil {
		return err
	}
	return p.writer().Close()
}

// ForEach reads the Parquet file at path and calls fn with each flow as a
// Joy JSON record (newline included).
func ForEach(path string, fn func(line []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	pf, err := pq.OpenFile(f, st.Size())
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	r := pq.NewGenericReader[record.Flow](pf)
	defer r.Close()
	rows := make([]record.Flow, batch)
	var line []byte
	for {
		n, err := r.Read(rows)
		for i := 0; i < n; i++ {
			// parquet-go reads a null list as an empty one; Joy never
			// prints an empty byte distribution, so empty is absent.
			if len(rows[i].ByteDist) == 0 {
				rows[i].ByteDist = nil
			}
			if len(rows[i].CompactByteDist) == 0 {
				rows[i].CompactByteDist = nil
			}
			line = rows[i].AppendJSON(line[:0])
			if ferr := fn(line); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
}

// Config returns the configuration record stored in the file at path, or
// "" when it has none.
func Config(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	pf, err := pq.OpenFile(f, st.Size())
	if err != nil {
		return "", err
	}
	v, _ := pf.Lookup(ConfigKey)
	return v, nil
}
