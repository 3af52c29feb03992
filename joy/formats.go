package joy

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/gojoy/libjoy/joy/format"
	"github.com/gojoy/libjoy/joy/format/csv"
	"github.com/gojoy/libjoy/joy/format/joyjson"
	"github.com/gojoy/libjoy/joy/format/parquet"
	"github.com/gojoy/libjoy/joy/record"
)

// Formats are the output formats, the default (Joy JSON lines) first. A
// new format is one package under joy/format plus one line here.
var Formats = []format.Driver{
	joyjson.Driver,
	csv.Driver,
	parquet.Driver,
}

// FormatFor returns the format named name (format=NAME), or, when name is
// empty, the one whose suffix ends the output file's name file (Joy JSON
// when none does, or when file is empty: standard output).
func FormatFor(name, file string) (*format.Driver, error) {
	if name != "" {
		for i := range Formats {
			if Formats[i].Name == name {
				return &Formats[i], nil
			}
		}
		var names []string
		for _, d := range Formats {
			names = append(names, d.Name)
		}
		return nil, fmt.Errorf("unknown format %q (formats: %s)", name, strings.Join(names, ", "))
	}
	lower := strings.ToLower(file)
	for i := range Formats {
		for _, s := range Formats[i].Suffixes {
			if strings.HasSuffix(lower, s) {
				return &Formats[i], nil
			}
		}
	}
	return &Formats[0], nil
}

// NewOutput returns the writer a context should write records to so that
// they reach w in the format named name, or chosen by the suffix of file
// (the output's name; see FormatFor), and the function that completes the
// output (for Parquet, the last row group and the footer) without closing
// w. For Joy JSON it returns w itself: the records are written as they
// are.
//
//	out, finish, err := joy.NewOutput(f, cfg.Format, "flows.parquet")
//	ctx := joy.NewContext(cfg, out, log)
//	... ctx.PrintFlows(joy.AllFlows); ctx.Flush()
//	err = finish()
func NewOutput(w io.Writer, name, file string) (io.Writer, func() error, error) {
	d, err := FormatFor(name, file)
	if err != nil {
		return nil, nil, err
	}
	if d.Name == joyjson.Driver.Name {
		return w, func() error { return nil }, nil
	}
	fw, err := d.New(w)
	if err != nil {
		return nil, nil, err
	}
	return fw, fw.Close, nil
}

// SharedOutput is one formatted output written by several contexts (the
// C library's contexts share joy_initialize's output file). Writes are
// serialized; Close completes the format (Parquet's footer) once, when no
// context will write again (the C library: at exit). For Joy JSON it is
// not needed: records go to the stream as they are.
type SharedOutput struct {
	mu     sync.Mutex
	w      format.Writer
	closed bool
	err    error
}

// NewSharedOutput returns the shared output writing to w in the format
// named name or chosen by the suffix of file, or nil when that format is
// Joy JSON.
func NewSharedOutput(w io.Writer, name, file string) (*SharedOutput, error) {
	d, err := FormatFor(name, file)
	if err != nil || d.Name == joyjson.Driver.Name {
		return nil, err
	}
	fw, err := d.New(w)
	if err != nil {
		return nil, err
	}
	return &SharedOutput{w: fw}, nil
}

// ErrOutputCompleted is the error of a write after Close.
var ErrOutputCompleted = errors.New("the output's format was already completed: records written later are lost")

// Write writes whole records (from any context).
func (s *SharedOutput) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, ErrOutputCompleted
	}
	return s.w.Write(p)
}

// TakesRows implements format.RowWriter: whether the format takes typed
// rows.
func (s *SharedOutput) TakesRows() bool {
	rw, ok := s.w.(format.RowWriter)
	return ok && rw.TakesRows()
}

// WriteRows writes typed rows (from any context).
func (s *SharedOutput) WriteRows(rows []record.Flow) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrOutputCompleted
	}
	return s.w.(format.RowWriter).WriteRows(rows)
}

// KeepsRows implements format.RowKeeper: whether the format keeps typed
// rows without a copy.
func (s *SharedOutput) KeepsRows() bool {
	rk, ok := s.w.(format.RowKeeper)
	return ok && rk.KeepsRows()
}

// KeepRows hands rows (from any context) to the format to keep.
func (s *SharedOutput) KeepRows(rows []record.Flow, release func()) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		release()
		return ErrOutputCompleted
	}
	return s.w.(format.RowKeeper).KeepRows(rows, release)
}

// Close completes the output now (once); later writes fail. A nil
// SharedOutput has nothing to complete.
func (s *SharedOutput) Close() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		s.err = s.w.Close()
	}
	return s.err
}
