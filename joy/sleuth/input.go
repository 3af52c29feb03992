package sleuth

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gojoy/libjoy/joy/format/parquet"
)

// MaxLine is the longest JSON line the readers accept (a flow record with
// every feature on is a few tens of kilobytes).
const MaxLine = 64 << 20

// ErrStop may be returned by a ForEach callback to stop reading without an
// error.
var ErrStop = errors.New("sleuth: stop")

// Line is one record line handed to a ForEach callback.
type Line struct {
	Source string // file name, or "-" for standard input
	Num    int    // 1-based line number in Source
	Data   []byte // the line without its end; valid only during the callback
}

// IsConfig tells whether a decoded JSON line is Joy's configuration record
// (the first line of Joy's output, the one with key "end-config").
func IsConfig(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	_, ok = m["end-config"]
	return ok
}

// isConfigLine is a cheap pre-test for IsConfig on raw bytes.
func isConfigLine(b []byte) bool { return bytes.Contains(b, []byte(`"end-config"`)) }

// ForEach calls fn for every non-blank line of the named inputs, in order.
// A name may be a file (read through gzip when it ends in ".gz"; a Parquet
// file of joy's, ending in ".parquet", gives its rows as JSON records), a
// directory (every regular file below it, in lexical order, hidden files
// and directories skipped), or "-" for stdin. No name at all reads stdin.
// Joy's configuration record is skipped. fn's error stops the walk and is
// returned, except ErrStop which stops it quietly.
func ForEach(names []string, stdin io.Reader, fn func(Line) error) error {
	if len(names) == 0 {
		names = []string{"-"}
	}
	for _, name := range names {
		var err error
		if name == "-" {
			err = forEachLine(stdin, "-", fn)
		} else {
			err = forEachPath(name, fn)
		}
		if errors.Is(err, ErrStop) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Files expands names as ForEach does (directories to the files below
// them); "-" is kept as it is.
func Files(names []string) ([]string, error) {
	var out []string
	for _, name := range names {
		if name == "-" {
			out = append(out, name)
			continue
		}
		st, err := os.Stat(name)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, name)
			continue
		}
		var files []string
		err = filepath.WalkDir(name, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			base := d.Name()
			if p != name && strings.HasPrefix(base, ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
		out = append(out, files...)
	}
	return out, nil
}

func forEachPath(name string, fn func(Line) error) error {
	files, err := Files([]string{name})
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := forEachFile(f, fn); err != nil {
			return err
		}
	}
	return nil
}

func forEachFile(name string, fn func(Line) error) error {
	if strings.HasSuffix(strings.ToLower(name), ".parquet") {
		n := 0
		return parquet.ForEach(name, func(b []byte) error {
			n++
			return fn(Line{Source: name, Num: n, Data: bytes.TrimRight(b, "\n")})
		})
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(bufio.NewReader(f))
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		defer zr.Close()
		r = zr
	}
	return forEachLine(r, name, fn)
}

func forEachLine(r io.Reader, name string, fn func(Line) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	n := 0
	for sc.Scan() {
		n++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 || isConfigLine(b) && isConfigJSON(b) {
			continue
		}
		if err := fn(Line{Source: name, Num: n, Data: b}); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: line %d: %w", name, n+1, err)
	}
	return nil
}

// isConfigJSON decodes a line that mentions "end-config" to make sure the
// key is at the top level.
func isConfigJSON(b []byte) bool {
	v, err := Decode(b)
	return err == nil && IsConfig(v)
}
