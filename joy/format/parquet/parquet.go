// Package parquet is the Parquet format driver: one row per flow with the
// columns of record.Flow (docs/formats.md), one row group per RowGroup
// flows, Snappy-compressed, the configuration record in the file's
// key-value metadata under "joy.config". It also reads such files back as
// Joy JSON records (ForEach), for the analysis tools.
//
// The writer is our own, for the one fixed schema: each row's fields go
// straight into their column's page (values PLAIN-encoded, levels in the
// RLE/bit-packing hybrid), a page is Snappy-compressed when it is full,
// and a row group's column chunks are written out at its end. It costs a
// tenth of parquet-go's general row writer per row (a few appends per
// column, no reflection, no allocation), which made Parquet output slower
// than JSON. The file format's own structures (page headers, footer) are
// parquet-go's (its format and thrift packages), and parquet-go reads the
// files back: pure Go (no cgo, so libjoy.so keeps one cgo package),
// maintained, and read by DuckDB, pandas/pyarrow, Polars and Spark.
package parquet

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	pqf "github.com/parquet-go/parquet-go/format"

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

// magic starts and ends a Parquet file.
const magic = "PAR1"

// createdBy names the writer in the footer (Parquet's "<application>
// version <version> (build <hash>)").
const createdBy = "libjoy version 2 (build )"

// Writer writes flow records as Parquet rows. Rows are encoded as they
// come; a row group is written out when it is full and at Close, which
// also writes the footer. Close must be called.
type Writer struct {
	buf    *bufio.Writer // the output
	lines  format.Lines
	config string
	rows   []record.Flow // rows of Write's lines, refer to its bytes
	n      int           // rows used in rows
	closed bool
	err    error // the first write error: the answer of every later call

	cols      []*column
	groupRows int // rows in the open row group
	offset    int64
	groups    []pqf.RowGroup
	numRows   int64
	scratch   scratch
	arena     arena
}

// NewWriter returns a Writer writing one Parquet file to w.
func NewWriter(w io.Writer) *Writer {
	p := &Writer{buf: bufio.NewWriterSize(w, 64<<10), rows: make([]record.Flow, batch)}
	p.lines.Config = func(b []byte) error { p.config = string(b); return nil }
	p.lines.Record = p.record
	p.cols = make([]*column, len(flowFields))
	for i, f := range flowFields {
		p.cols[i] = newColumn(f)
	}
	return p
}

// Write takes whole Joy JSON lines.
func (p *Writer) Write(b []byte) (int, error) {
	if p.closed {
		return 0, os.ErrClosed
	}
	if p.err != nil {
		return 0, p.err
	}
	n, err := p.lines.Write(b)
	if err == nil {
		// The rows refer to b (ParseJSONShared): they are written
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

// WriteRows implements format.RowWriter: the rows' values are copied
// into the file's pages before it returns. An error may be that of rows
// written before (a row group is written out when it is full).
func (p *Writer) WriteRows(rows []record.Flow) error {
	if p.closed {
		return os.ErrClosed
	}
	for i := range rows {
		if p.err != nil {
			return p.err
		}
		for _, c := range p.cols {
			c.put(&rows[i])
			if c.pageBytes() >= pageSize {
				p.fail(c.endPage(&p.scratch, &p.arena))
			}
		}
		p.groupRows++
		if p.groupRows == RowGroup || p.chunkBytes() >= groupBytes {
			p.fail(p.endGroup())
		}
	}
	return p.err
}

// chunkBytes is the size of the open row group's compressed pages.
func (p *Writer) chunkBytes() int {
	n := 0
	for _, c := range p.cols {
		n += int(c.compressed)
	}
	return n
}

// fail keeps the first error.
func (p *Writer) fail(err error) {
	if p.err == nil {
		p.err = err
	}
}

// write writes b to the file, after its first 4 bytes when nothing was
// written yet.
func (p *Writer) write(b []byte) error {
	if p.offset == 0 {
		if _, err := p.buf.WriteString(magic); err != nil {
			return err
		}
		p.offset = int64(len(magic))
	}
	n, err := p.buf.Write(b)
	p.offset += int64(n)
	return err
}

// endGroup ends each column's page and writes the row group's column
// chunks out, one after the other.
func (p *Writer) endGroup() error {
	if p.groupRows == 0 {
		return nil
	}
	rg := pqf.RowGroup{NumRows: int64(p.groupRows), Columns: make([]pqf.ColumnChunk, len(p.cols))}
	for _, c := range p.cols {
		if err := c.endPage(&p.scratch, &p.arena); err != nil {
			return err
		}
	}
	if err := p.write(nil); err != nil { // the magic, before the first chunk
		return err
	}
	for i, c := range p.cols {
		at := p.offset
		for _, b := range c.pages {
			if err := p.write(b); err != nil {
				return err
			}
		}
		rg.Columns[i] = pqf.ColumnChunk{FileOffset: at, MetaData: c.metaData(at)}
		rg.TotalByteSize += c.uncompressed
		rg.TotalCompressedSize += c.compressed
		c.reset()
	}
	p.arena.reset()
	rg.FileOffset = rg.Columns[0].FileOffset
	rg.Ordinal = int16(len(p.groups))
	p.groups = append(p.groups, rg)
	p.numRows += int64(p.groupRows)
	p.groupRows = 0
	return p.buf.Flush()
}

// Close writes the open row group and the footer.
func (p *Writer) Close() error {
	if p.closed {
		return nil
	}
	p.fail(p.writeParsed())
	p.closed = true
	if p.err != nil {
		return p.err
	}
	if err := p.endGroup(); err != nil {
		return err
	}
	return p.writeFooter()
}

// writeFooter writes the file's metadata, its length and the magic.
func (p *Writer) writeFooter() error {
	md := pqf.FileMetaData{
		Version:   1,
		Schema:    schema(flowFields),
		NumRows:   p.numRows,
		RowGroups: p.groups,
		CreatedBy: createdBy,
	}
	if md.RowGroups == nil {
		md.RowGroups = []pqf.RowGroup{}
	}
	for range p.cols {
		md.ColumnOrders = append(md.ColumnOrders, pqf.ColumnOrder{TypeOrder: &pqf.TypeDefinedOrder{}})
	}
	if p.config != "" {
		md.KeyValueMetadata = []pqf.KeyValue{{Key: ConfigKey, Value: p.config}}
	}
	var b bytes.Buffer
	if err := thrift.NewEncoder(new(thrift.CompactProtocol).NewWriter(&b)).Encode(&md); err != nil {
		return err
	}
	b.Write(binary.LittleEndian.AppendUint32(nil, uint32(b.Len())))
	b.WriteString(magic)
	if err := p.write(b.Bytes()); err != nil {
		return err
	}
	return p.buf.Flush()
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
