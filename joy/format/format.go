// Package format is the small interface between a context's records and
// the output formats: a format's Writer receives the records as whole Joy
// JSON lines (the configuration line first) and writes them its way. The
// drivers are joy/format/joyjson (the default, byte for byte the record),
// joy/format/csv and joy/format/parquet; package joy lists them (Formats)
// and picks one by name or by the output file's suffix.
package format

import (
	"bytes"
	"io"

	"github.com/gojoy/libjoy/joy/record"
)

// Writer is one output in one format. Every Write is whole Joy JSON lines
// (a context writes whole records); Close writes what is pending and the
// format's trailer, and does not close the underlying writer.
type Writer interface {
	io.Writer
	Close() error
}

// RowWriter is a Writer that also takes flows as typed rows: a context
// whose output is one fills the rows from the walk of each record
// (record.Filler) instead of printing JSON text for the Writer to parse.
type RowWriter interface {
	io.Writer
	// TakesRows reports whether WriteRows may be used (a wrapper that
	// must see the JSON text says no).
	TakesRows() bool
	// WriteRows writes rows (in order after what was written before).
	// The rows and what they refer to are valid only during the call.
	WriteRows(rows []record.Flow) error
}

// RowKeeper is a RowWriter that can keep the rows it is given, and the
// memory they refer to, until it has written them, instead of writing or
// copying them during the call (Parquet, which encodes on a goroutine of
// its own): a context hands over a full batch and goes on filling
// another.
type RowKeeper interface {
	RowWriter
	// KeepsRows reports whether KeepRows may be used.
	KeepsRows() bool
	// KeepRows writes rows (in order after what was written before) and
	// calls release, once, when nothing refers to them or their memory
	// any more: later, maybe on another goroutine, or at once when it
	// returns an error. An error may be that of rows written before.
	KeepRows(rows []record.Flow, release func()) error
}

// Driver describes a format.
type Driver struct {
	// Name is the format's name for format=NAME.
	Name string
	// Suffixes are the output file suffixes that choose it.
	Suffixes []string
	// New returns a Writer writing to w.
	New func(w io.Writer) (Writer, error)
}

// Lines splits whole-line writes into lines and hands each flow record
// to Record; the configuration line goes to Config.
type Lines struct {
	Config func(line []byte) error
	Record func(line []byte) error
	rest   []byte // a line not yet ended (a write that split one)
}

// Write calls Config or Record for each complete line in p and keeps an
// unfinished last line for the next Write. The lines passed stay unchanged
// until Write returns.
func (l *Lines) Write(p []byte) (int, error) {
	n := len(p)
	if len(l.rest) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			l.rest = append(l.rest, p...)
			return n, nil
		}
		line := append(l.rest, p[:i+1]...)
		// A fresh buffer for the next partial line: a writer may refer
		// to line's bytes until this Write returns.
		l.rest = nil
		if err := l.line(line); err != nil {
			return 0, err
		}
		p = p[i+1:]
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			l.rest = append(l.rest, p...)
			break
		}
		if err := l.line(p[:i]); err != nil {
			return 0, err
		}
		p = p[i+1:]
	}
	return n, nil
}

func (l *Lines) line(b []byte) error {
	b = bytes.TrimRight(b, "\r\n")
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	if record.IsConfig(b) {
		if l.Config != nil {
			return l.Config(b)
		}
		return nil
	}
	return l.Record(b)
}

// Pending reports whether an unfinished line is held.
func (l *Lines) Pending() bool { return len(l.rest) > 0 }
