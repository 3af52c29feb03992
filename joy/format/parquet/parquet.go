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
	"sync/atomic"

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

// batch is how many rows a chunk holds, and the most that are handed to
// parquet-go at once. It is a multiple of 64 (see WriteRows).
const batch = 256

// queue is how many chunks of rows (of up to batch rows each) a Writer
// holds at most: one being filled, one being encoded and the rest
// waiting. A writer that finds none free waits (back-pressure), so memory
// stays bounded.
const queue = 3

// Writer writes flow records as Parquet rows. parquet-go's row writer,
// most of the cost, runs on a goroutine of its own (encode): Write and
// WriteRows copy the rows into a chunk and queue it when it is full, so
// that the packet path pays for the copy only while another core encodes.
// The rows are written to parquet-go in the same pieces as they came, so
// the file is the same as when they were written at once (pages end where
// parquet-go ends them, after each piece).
type Writer struct {
	out    io.Writer
	lines  format.Lines
	config string
	rows   []record.Flow // rows of Write's lines, refer to its bytes
	n      int           // rows used in rows
	group  int           // rows in the open row group
	closed bool

	cur    *chunk        // the chunk being filled, or nil
	free   chan *chunk   // chunks to fill; nil until the first rows
	todo   chan *chunk   // chunks to encode, in order; closed by Close
	done   chan struct{} // closed when encode has returned
	failed atomic.Pointer[error]
	err    error // encode's result, read after done
}

// chunk is rows in memory of their own, in pieces to write one by one.
type chunk struct {
	rows   []record.Flow
	arena  record.Arena
	pieces []piece
}

// piece is the end of a piece of a chunk's rows and whether a row group
// ends with it.
type piece struct {
	end   int
	flush bool
}

// NewWriter returns a Writer writing one Parquet file to w. Close must be
// called: it ends the goroutine that encodes.
func NewWriter(w io.Writer) *Writer {
	p := &Writer{out: w, rows: make([]record.Flow, batch)}
	p.lines.Config = func(b []byte) error { p.config = string(b); return nil }
	p.lines.Record = p.record
	return p
}

// start makes the parquet-go writer (with the configuration record seen
// so far) and the goroutine that owns it.
func (p *Writer) start() {
	if p.todo != nil {
		return
	}
	opts := []pq.WriterOption{flowSchema, pq.Compression(&pq.Snappy), pq.CreatedBy("libjoy", "", "")}
	if p.config != "" {
		opts = append(opts, pq.KeyValueMetadata(ConfigKey, p.config))
	}
	pw := pq.NewGenericWriter[record.Flow](p.out, opts...)
	p.free, p.todo, p.done = make(chan *chunk, queue), make(chan *chunk, queue), make(chan struct{})
	for range queue {
		p.free <- &chunk{rows: make([]record.Flow, 0, batch)}
	}
	go p.encode(pw)
}

// encode writes the queued chunks until Close, then the footer. After an
// error it only recycles the chunks (their rows are lost) and the error
// is the answer of every later call.
func (p *Writer) encode(pw *pq.GenericWriter[record.Flow]) {
	defer close(p.done)
	var err error
	for c := range p.todo {
		if err == nil {
			if err = protect(func() error { return writeChunk(pw, c) }); err != nil {
				failed := err
				p.failed.Store(&failed)
			}
		}
		c.rows, c.pieces = c.rows[:0], c.pieces[:0]
		c.arena.Reset()
		p.free <- c
	}
	if err == nil {
		err = protect(pw.Close)
	}
	p.err = err
}

// writeChunk writes c's rows, piece by piece.
func writeChunk(pw *pq.GenericWriter[record.Flow], c *chunk) error {
	start := 0
	for _, pc := range c.pieces {
		if _, err := pw.Write(c.rows[start:pc.end]); err != nil {
			return err
		}
		if pc.flush {
			if err := pw.Flush(); err != nil {
				return err
			}
		}
		start = pc.end
	}
	return nil
}

// protect turns a panic of fn into an error: no caller could recover a
// panic of the encoding goroutine, and in the C library it would end the
// host's process.
func protect(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("parquet: internal error: %v", r)
		}
	}()
	return fn()
}

// fail is the first error of encode, or nil.
func (p *Writer) fail() error {
	if err := p.failed.Load(); err != nil {
		return *err
	}
	return nil
}

// add copies rows (at most batch) into the chunk being filled as one
// piece, which ends a row group when flush is set; a chunk is queued when
// it is full or the next piece does not fit.
func (p *Writer) add(rows []record.Flow, flush bool) error {
	if err := p.fail(); err != nil {
		return err
	}
	if p.cur != nil && len(p.cur.rows)+len(rows) > batch {
		p.todo <- p.cur
		p.cur = nil
	}
	if p.cur == nil {
		p.start()
		p.cur = <-p.free
	}
	c := p.cur
	n := len(c.rows)
	c.rows = c.rows[:n+len(rows)]
	for i := range rows {
		c.arena.Copy(&c.rows[n+i], &rows[i])
	}
	c.pieces = append(c.pieces, piece{len(c.rows), flush})
	if len(c.rows) == batch {
		p.todo <- c
		p.cur = nil
	}
	return nil
}

// Write takes whole Joy JSON lines.
func (p *Writer) Write(b []byte) (int, error) {
	if p.closed {
		return 0, os.ErrClosed
	}
	n, err := p.lines.Write(b)
	if err == nil {
		// The rows refer to b (ParseJSONShared): they are copied before
		// b changes.
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

// writeRows queues the rows of Write's lines; a row group ends at the
// first piece that reaches RowGroup rows.
func (p *Writer) writeRows() error {
	if p.n == 0 {
		return nil
	}
	p.group += p.n
	flush := p.group >= RowGroup
	if flush {
		p.group = 0
	}
	n := p.n
	p.n = 0
	return p.add(p.rows[:n], flush)
}

// TakesRows implements format.RowWriter.
func (p *Writer) TakesRows() bool { return !p.closed }

// WriteRows implements format.RowWriter: the rows are copied before it
// returns. An error may be that of rows written before.
func (p *Writer) WriteRows(rows []record.Flow) error {
	if p.closed {
		return os.ErrClosed
	}
	if err := p.writeRows(); err != nil {
		return err
	}
	for len(rows) > 0 {
		// A row group ends at exactly RowGroup rows. The part of rows
		// in one row group goes in pieces of batch rows: parquet-go
		// writes a call's rows 64 at a time from its start, ending a
		// page after any 64, so the pages are those of one call.
		part := rows[:min(len(rows), RowGroup-p.group)]
		rows = rows[len(part):]
		p.group += len(part)
		end := p.group >= RowGroup
		if end {
			p.group = 0
		}
		for len(part) > 0 {
			n := min(len(part), batch)
			if err := p.add(part[:n], end && n == len(part)); err != nil {
				return err
			}
			part = part[n:]
		}
	}
	return nil
}

// Close writes the pending rows, waits for them to be encoded and writes
// the last row group and the footer.
func (p *Writer) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	err := p.writeRows()
	p.start()
	if p.cur != nil {
		p.todo <- p.cur
	}
	close(p.todo)
	<-p.done
	if err != nil {
		return err
	}
	return p.err
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
