package joy

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// Files45 is a context's output under Joy 4.5's max_records (joy_init_t):
// records go to a series of files named from the context's base name
// (DIR/NAME for one context, DIR/NAME.ctxN for several), a sequence number
// of at least two digits shared by all contexts of the library, and the
// local time the file was opened:
//
//	BASE-NN-YYYYMMDDhhmmss.gz
//
// The files are gzip streams (the ".gz" of a gzip build of 4.5). After
// each joy_print_flow_data, a file holding max records or more (a print
// is never split) is closed and the next one opened; the next one starts
// with the configuration line, the first holds what the host writes.
//
// Unlike 4.5, a file that exists is never overwritten (the next sequence
// number is tried), and when the next file cannot be opened the records
// keep going to the current one (4.5 left the context without an output).
type Files45 struct {
	base   string
	max    uint64
	seq    *atomic.Uint32
	now    func() time.Time
	f      *os.File
	z      *gzip.Writer
	name   string
	inFile uint64 // records in the open file
	seen   uint64 // the context's printed-record count at the last look
}

// Files45Name is the name of the file numbered seq opened at t.
func Files45Name(base string, seq uint32, t time.Time) string {
	return fmt.Sprintf("%s-%02d-%s.gz", base, seq, t.Format("20060102150405"))
}

// OpenFiles45 opens the first file of base. seq numbers the files (share
// it between the contexts of a library); now gives the time of each name
// (nil: time.Now, local time).
func OpenFiles45(base string, max uint64, seq *atomic.Uint32, now func() time.Time) (*Files45, error) {
	if now == nil {
		now = time.Now
	}
	o := &Files45{base: base, max: max, seq: seq, now: now}
	if err := o.open(); err != nil {
		return nil, err
	}
	return o, nil
}

// open creates the next file of the series and makes it current.
func (o *Files45) open() error {
	var lastErr error
	for try := 0; try < 100; try++ {
		name := Files45Name(o.base, o.seq.Add(1), o.now())
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			lastErr = err
			continue
		}
		if err != nil {
			return fmt.Errorf("could not open output file %s: %w", name, err)
		}
		o.f, o.z, o.name, o.inFile = f, gzip.NewWriter(f), name, 0
		return nil
	}
	return fmt.Errorf("could not open a new output file for %s: %w", o.base, lastErr)
}

// Name is the file records go to now.
func (o *Files45) Name() string { return o.name }

// Write writes p (whole lines) to the current file.
func (o *Files45) Write(p []byte) (int, error) {
	return o.z.Write(p)
}

// Printed tells o the context's count of printed records (Stats's
// FlowsPrinted) after a print. When the current file holds max records or
// more, it is closed and the next one opened; Printed then reports true
// and the caller writes the configuration line. An error (the next file
// could not be opened, or the full one not closed) leaves the records
// going to the current file, if it is still open.
func (o *Files45) Printed(total uint64) (rotated bool, err error) {
	o.inFile += total - o.seen
	o.seen = total
	if o.max == 0 || o.inFile < o.max {
		return false, nil
	}
	oldF, oldZ, oldName := o.f, o.z, o.name
	if err := o.open(); err != nil {
		return false, fmt.Errorf("%v; records stay in %s", err, oldName)
	}
	return true, closeGzip(oldZ, oldF)
}

// Close completes and closes the current file.
func (o *Files45) Close() error {
	if o.f == nil {
		return nil
	}
	err := closeGzip(o.z, o.f)
	o.f, o.z = nil, nil
	return err
}

func closeGzip(z *gzip.Writer, f *os.File) error {
	err := z.Close()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// MaxDirnameLen45 bounds Joy 4.5's output_dir (MAX_DIRNAME_LEN).
const MaxDirnameLen45 = 256

// OutputNames45 are the directory and name of Joy 4.5's output
// (joy_initialize's output_dir and output_file, NULL as ""): dir with a
// trailing '/' when given and shorter than MaxDirnameLen45, else "./";
// file when given and leaving room for the context's and rotation's
// suffixes within MaxFilenameLen, else "joy-output".
func OutputNames45(dir, file string) (string, string) {
	d := "./"
	if dir != "" && len(dir) < MaxDirnameLen45 {
		d = withSlash(dir)
	}
	name := "joy-output"
	if file != "" && len(file) <= MaxFilenameLen-len(d)-16 {
		name = file
	}
	return d, name
}

// ContextBase45 is the base name of context i's output under Joy 4.5's
// rules: DIR/NAME for one context, DIR/NAME.ctxN for several. dir ends in
// '/'. Without max_records a context of several writes BASE.gz.
func ContextBase45(dir, name string, i, n int) string {
	if n == 1 {
		return dir + name
	}
	return fmt.Sprintf("%s%s.ctx%d", dir, name, i)
}

// OpenOutput45 opens context i's single output file (no max_records):
// plain when its name does not end in ".gz", gzip when it does. The
// returned closers run in order.
func OpenOutput45(path string) (io.Writer, []func() error, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("could not open output file %s (%v)", path, err)
	}
	if !strings.HasSuffix(path, ".gz") {
		return f, []func() error{f.Close}, nil
	}
	z := gzip.NewWriter(f)
	return z, []func() error{z.Close, f.Close}, nil
}
