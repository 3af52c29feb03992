package parquet

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	pqf "github.com/parquet-go/parquet-go/format"

	"github.com/gojoy/libjoy/joy/record"
)

// magic starts and ends a Parquet file.
const magic = "PAR1"

// createdBy names the writer in the footer (Parquet's "<application>
// version <version> (build <hash>)").
const createdBy = "libjoy version 2 (build )"

// encoder writes one Parquet file: each row's fields go into their
// columns' pages, a row group's column chunks are written out when it is
// full, and the footer at the end.
type encoder struct {
	buf       *bufio.Writer // the output
	cols      []*column
	groupRows int // rows in the open row group
	offset    int64
	groups    []pqf.RowGroup
	numRows   int64
	scratch   scratch
	arena     arena
	mem       memory // the columns' and the arena's buffers
}

func newEncoder(w io.Writer) *encoder {
	e := &encoder{buf: bufio.NewWriterSize(w, 64<<10), cols: make([]*column, len(flowFields))}
	e.arena.mem = &e.mem
	for i, f := range flowFields {
		e.cols[i] = newColumn(f, &e.mem)
	}
	return e
}

// writeRows appends rows to their columns' pages; a full page is
// compressed, a full row group written out.
//
// It goes column by column through a stretch of at most stretchRows rows,
// each column in a loop of its kind: row by row, the branch on the kind
// changed with every column (the encoder's largest cost).
func (e *encoder) writeRows(rows []record.Flow) error {
	for len(rows) > 0 {
		part := rows[:min(len(rows), RowGroup-e.groupRows, stretchRows)]
		rows = rows[len(part):]
		pageEnded := false // the compressed size changes only then
		for _, c := range e.cols {
			for rest := part; len(rest) > 0; {
				rest = rest[c.putRows(rest):]
				if c.pageBytes() >= pageSize {
					if err := c.endPage(&e.scratch, &e.arena); err != nil {
						return err
					}
					pageEnded = true
				}
			}
		}
		e.groupRows += len(part)
		if e.groupRows == RowGroup || pageEnded && e.chunkBytes() >= groupBytes {
			if err := e.endGroup(); err != nil {
				return err
			}
		}
	}
	return nil
}

// stretchRows bounds the rows written column by column before the row
// group's size is checked (it may pass groupBytes by that many rows).
const stretchRows = 256

// chunkBytes is the size of the open row group's compressed pages.
func (e *encoder) chunkBytes() int {
	n := 0
	for _, c := range e.cols {
		n += int(c.compressed)
	}
	return n
}

// write writes b to the file, after its first 4 bytes when nothing was
// written yet.
func (e *encoder) write(b []byte) error {
	if e.offset == 0 {
		if _, err := e.buf.WriteString(magic); err != nil {
			return err
		}
		e.offset = int64(len(magic))
	}
	n, err := e.buf.Write(b)
	e.offset += int64(n)
	return err
}

// endGroup ends each column's page and writes the row group's column
// chunks out, one after the other.
func (e *encoder) endGroup() error {
	if e.groupRows == 0 {
		return nil
	}
	rg := pqf.RowGroup{NumRows: int64(e.groupRows), Columns: make([]pqf.ColumnChunk, len(e.cols))}
	for _, c := range e.cols {
		if err := c.endPage(&e.scratch, &e.arena); err != nil {
			return err
		}
	}
	if err := e.write(nil); err != nil { // the magic, before the first chunk
		return err
	}
	for i, c := range e.cols {
		at := e.offset
		for _, b := range c.pages {
			if err := e.write(b); err != nil {
				return err
			}
		}
		rg.Columns[i] = pqf.ColumnChunk{FileOffset: at, MetaData: c.metaData(at)}
		rg.TotalByteSize += c.uncompressed
		rg.TotalCompressedSize += c.compressed
		c.reset()
	}
	e.arena.reset()
	rg.FileOffset = rg.Columns[0].FileOffset
	rg.Ordinal = int16(len(e.groups))
	e.groups = append(e.groups, rg)
	e.numRows += int64(e.groupRows)
	e.groupRows = 0
	return e.buf.Flush()
}

// finish writes the open row group and the footer: the file's metadata
// (with config, the configuration record, if any), its length and the
// magic.
func (e *encoder) finish(config string) error {
	if err := e.endGroup(); err != nil {
		return err
	}
	md := pqf.FileMetaData{
		Version:   1,
		Schema:    schema(flowFields),
		NumRows:   e.numRows,
		RowGroups: e.groups,
		CreatedBy: createdBy,
	}
	if md.RowGroups == nil {
		md.RowGroups = []pqf.RowGroup{}
	}
	for range e.cols {
		md.ColumnOrders = append(md.ColumnOrders, pqf.ColumnOrder{TypeOrder: &pqf.TypeDefinedOrder{}})
	}
	if config != "" {
		md.KeyValueMetadata = []pqf.KeyValue{{Key: ConfigKey, Value: config}}
	}
	var b bytes.Buffer
	if err := thrift.NewEncoder(new(thrift.CompactProtocol).NewWriter(&b)).Encode(&md); err != nil {
		return err
	}
	b.Write(binary.LittleEndian.AppendUint32(nil, uint32(b.Len())))
	b.WriteString(magic)
	if err := e.write(b.Bytes()); err != nil {
		return err
	}
	return e.buf.Flush()
}
