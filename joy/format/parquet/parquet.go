// Package parquet is the Parquet format driver: one row per flow with the
// columns of record.Flow (docs/formats.md), one row group per RowGroup
// flows, Snappy-compressed, the configuration record in the file's
// key-value metadata under "joy.config". It also reads such files back as
// Joy JSON records (ForEach), for the analysis tools.
//
// The encoder is our own, for the one fixed schema: each row's fields go
// straight into their column's page (values PLAIN-encoded, levels in the
// RLE/bit-packing hybrid), a page is Snappy-compressed when it is full,
// and a row group's column chunks are written out at its end: a few
// appends per column, no reflection, no allocation, where parquet-go's
// general row writer made Parquet output slower than JSON. It runs on a
// goroutine of its own, which takes a context's rows without a copy when
// the context can spare them (format.RowKeeper). The file format's own structures (page headers, footer) are
// parquet-go's (its format and thrift packages), and parquet-go reads the
// files back: pure Go (no cgo, so libjoy.so keeps one cgo package),
// maintained, and read by DuckDB, pandas/pyarrow, Polars and Spark.
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

// groupBytes is the compressed size of a row group's column chunks at
// which it ends before RowGroup rows (long protocol members), to bound
// the memory a writer holds.
const groupBytes = 64 << 20

// ConfigKey is the metadata key of the configuration record.
const ConfigKey = "joy.config"

// Driver is Parquet (.parquet).
var Driver = format.Driver{
	Name:     "parquet",
	Suffixes: []string{".parquet"},
	New:      func(w io.Writer) (format.Writer, error) { return NewWriter(w), nil },
}

// batch is how many rows of Write's lines are parsed before they are
// written, and how many ForEach reads at once.
const batch = 256

// queue is how many handed-over row batches wait for the encoder at
// most; a caller that finds the queue full waits (back-pressure).
const queue = 4

// Writer writes flow records as Parquet rows. A goroutine of its own,
// started with the first rows, encodes them (encoder): WriteRows hands
// rows over and waits until they are in their columns' pages (the rows
// are the caller's again when it returns); KeepRows hands them over and
// returns at once, and the goroutine releases them when it is done, so a
// context that can spare its rows goes on filling others while another
// core encodes. Close must be called: it waits for the goroutine and
// writes the last row group and the footer.
type Writer struct {
	enc    *encoder // the goroutine's, once started; Close's after it ended
	lines  format.Lines
	config string
	rows   []record.Flow // rows of Write's lines, refer to its bytes
	n      int           // rows used in rows
	closed bool

	todo    chan job      // rows to encode, in order; closed by Close
	done    chan struct{} // closed when encode has returned
	written chan struct{} // WriteRows' rows are encoded
	signal  func()        // sends on written
	failed  atomic.Pointer[error]
}

// job is rows to encode and what to call when they are.
type job struct {
	rows    []record.Flow
	release func()
}

// NewWriter returns a Writer writing one Parquet file to w.
func NewWriter(w io.Writer) *Writer {
	p := &Writer{enc: newEncoder(w), rows: make([]record.Flow, batch), written: make(chan struct{}, 1)}
	p.signal = func() { p.written <- struct{}{} }
	p.lines.Config = func(b []byte) error { p.config = string(b); return nil }
	p.lines.Record = p.record
	return p
}

// Write takes whole Joy JSON lines.
func (p *Writer) Write(b []byte) (int, error) {
	if p.closed {
		return 0, os.ErrClosed
	}
	if err := p.fail(); err != nil {
		return 0, err
	}
	n, err := p.lines.Write(b)
	if err == nil {
		// The rows refer to b (ParseJSONShared): they are encoded
		// before b changes.
		err = p.writeParsed()
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
		return p.writeParsed()
	}
	return nil
}

// writeParsed writes the rows of Write's lines.
func (p *Writer) writeParsed() error {
	n := p.n
	p.n = 0
	return p.WriteRows(p.rows[:n])
}

// TakesRows implements format.RowWriter.
func (p *Writer) TakesRows() bool { return !p.closed }

// WriteRows implements format.RowWriter: the rows are encoded (their
// values copied into the columns' pages) before it returns. An error may
// be that of rows written before (a row group is written out when it is
// full).
func (p *Writer) WriteRows(rows []record.Flow) error {
	if p.closed {
		return os.ErrClosed
	}
	if err := p.fail(); err != nil || len(rows) == 0 {
		return err
	}
	p.start()
	p.todo <- job{rows, p.signal}
	<-p.written
	return p.fail()
}

// KeepsRows implements format.RowKeeper.
func (p *Writer) KeepsRows() bool { return !p.closed }

// KeepRows implements format.RowKeeper: release is called, on the
// encoding goroutine, once the rows are encoded, or at once when they
// are refused (after an error, or Close). An error may be that of rows
// written before.
func (p *Writer) KeepRows(rows []record.Flow, release func()) error {
	err := p.fail()
	if p.closed {
		err = os.ErrClosed
	}
	if err != nil {
		release()
		return err
	}
	p.start()
	p.todo <- job{rows, release}
	return nil
}

// start starts the encoding goroutine.
func (p *Writer) start() {
	if p.todo == nil {
		p.todo, p.done = make(chan job, queue), make(chan struct{})
		go p.encode()
	}
}

// encode encodes the rows handed over until Close. After an error it
// only releases them (they are lost), and the error is the answer of
// every later call.
func (p *Writer) encode() {
	defer close(p.done)
	for j := range p.todo {
		if p.fail() == nil {
			if err := p.encodeRows(j.rows); err != nil {
				p.failed.Store(&err)
			}
		}
		j.release()
	}
}

// encodeRows is the encoder's writeRows with a panic turned into an
// error: no caller could recover a panic of the encoding goroutine, and
// in the C library it would end the host's process.
func (p *Writer) encodeRows(rows []record.Flow) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("parquet: internal error: %v", r)
		}
	}()
	return p.enc.writeRows(rows)
}

// fail is the first error of the encoder, or nil.
func (p *Writer) fail() error {
	if err := p.failed.Load(); err != nil {
		return *err
	}
	return nil
}

// Close writes the pending rows, waits for them to be encoded and writes
// the last row group and the footer.
func (p *Writer) Close() error {
	if p.closed {
		return nil
	}
	err := p.writeParsed()
	p.closed = true
	if p.todo != nil {
		close(p.todo)
		<-p.done
	}
	// The encoder's buffers are unmapped when Close returns: nothing
	// uses them after (the goroutine has ended, and later calls are
	// refused).
	defer p.enc.mem.release()
	if err != nil {
		return err
	}
	if err := p.fail(); err != nil {
		return err
	}
	return p.enc.finish(p.config)
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
	// Files written before the ip member had typed columns hold it as
	// one JSON text column, read beside the rows.
	var legacy *pq.GenericReader[legacyIP]
	if _, ok := pf.Schema().Lookup("ip"); ok {
		legacy = pq.NewGenericReader[legacyIP](pf)
		defer legacy.Close()
	}
	rows := make([]record.Flow, batch)
	ips := make([]legacyIP, batch)
	var line []byte
	for {
		n, err := r.Read(rows)
		if legacy != nil {
			if lerr := readAll(legacy, ips[:n]); lerr != nil {
				return fmt.Errorf("%s: column ip: %w", path, lerr)
			}
		}
		for i := 0; i < n; i++ {
			row := &rows[i]
			// parquet-go reads a null list as an empty one. Joy never
			// prints an empty byte distribution or IP id list, so empty
			// is absent.
			row.ByteDist = nilIfEmpty(row.ByteDist)
			row.CompactByteDist = nilIfEmpty(row.CompactByteDist)
			row.IPOutID, row.IPInID = nilIfEmpty(row.IPOutID), nilIfEmpty(row.IPInID)
			if legacy != nil && ips[i].IP != nil {
				row.SetIP([]byte(*ips[i].IP))
			}
			line = row.AppendJSON(line[:0])
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

// legacyIP is the ip column of files written before it was typed.
type legacyIP struct {
	IP *string `parquet:"ip,optional"`
}

// readAll fills rows from r, or fails.
func readAll[T any](r *pq.GenericReader[T], rows []T) error {
	clear(rows)
	for k := 0; k < len(rows); {
		m, err := r.Read(rows[k:])
		k += m
		switch {
		case k == len(rows):
		case err != nil:
			return err
		case m == 0:
			return io.ErrNoProgress
		}
	}
	return nil
}

func nilIfEmpty[T any](l []T) []T {
	if len(l) == 0 {
		return nil
	}
	return l
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
