// Package csv is the flat CSV format driver: a header line with the
// columns of record.Flow (docs/formats.md), then one line per flow, as
// RFC 4180 CSV (encoding/csv). Lists are JSON arrays, JSON members their
// text, times the record's "seconds.micros", absent members empty.
package csv

import (
	"encoding/csv"
	"fmt"
	"io"

	"github.com/gojoy/libjoy/joy/format"
	"github.com/gojoy/libjoy/joy/record"
)

// Driver is flat CSV (.csv).
var Driver = format.Driver{
	Name:     "csv",
	Suffixes: []string{".csv"},
	New:      func(w io.Writer) (format.Writer, error) { return NewWriter(w), nil },
}

// Writer writes flow records as CSV lines.
type Writer struct {
	cw     *csv.Writer
	lines  format.Lines
	header bool
	row    record.Flow
	fields []string
}

// NewWriter returns a Writer writing CSV to w.
func NewWriter(w io.Writer) *Writer {
	c := &Writer{cw: csv.NewWriter(w)}
	c.lines.Record = c.record
	return c
}

func (c *Writer) writeHeader() error {
	if c.header {
		return nil
	}
	c.header = true
	return c.cw.Write(record.Columns())
}

func (c *Writer) record(line []byte) error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	if err := c.row.ParseJSON(line); err != nil {
		return fmt.Errorf("csv: record not understood: %w", err)
	}
	c.fields = c.row.AppendText(c.fields[:0])
	return c.cw.Write(c.fields)
}

// Write takes whole Joy JSON lines; the lines of a Write reach the
// underlying writer before it returns.
func (c *Writer) Write(b []byte) (int, error) {
	n, err := c.lines.Write(b)
	if err != nil {
		return 0, err
	}
	c.cw.Flush()
	if err := c.cw.Error(); err != nil {
		return 0, err
	}
	return n, nil
}

// TakesRows implements format.RowWriter.
func (c *Writer) TakesRows() bool { return true }

// WriteRows implements format.RowWriter.
func (c *Writer) WriteRows(rows []record.Flow) error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	for i := range rows {
		c.fields = rows[i].AppendText(c.fields[:0])
		if err := c.cw.Write(c.fields); err != nil {
			return err
		}
	}
	c.cw.Flush()
	return c.cw.Error()
}

// Close writes the header if no record came, and flushes.
func (c *Writer) Close() error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	c.cw.Flush()
	return c.cw.Error()
}
