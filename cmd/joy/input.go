package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/gojoy/libjoy/joy/pcapfile"
)

// input is one open capture: a file, a FIFO or standard input ("-").
type input struct {
	rd    *pcapfile.Reader
	f     *os.File
	count *countingReader
	size  int64 // bytes, for progress; 0 when unknown
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func openInput(path string) (*input, error) {
	f := os.Stdin
	if path != "-" {
		var err error
		if f, err = os.Open(path); err != nil {
			return nil, err
		}
	}
	in := &input{f: f, count: &countingReader{r: f}}
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		in.size = st.Size()
	}
	rd, err := pcapfile.NewReader(in.count)
	if err != nil {
		in.close()
		return nil, err
	}
	in.rd = rd
	return in, nil
}

func (in *input) close() {
	if in.f != os.Stdin {
		in.f.Close()
	}
}

// expandInputs replaces each directory by the files in it, in name order
// (not recursive; names starting with "." are skipped).
func expandInputs(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		if p == "-" {
			out = append(out, p)
			continue
		}
		st, err := os.Stat(p)
		if err != nil || !st.IsDir() {
			out = append(out, p) // opening it reports the error
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		var names []string
		for _, e := range ents {
			if e.Name()[0] == '.' || e.IsDir() {
				continue
			}
			names = append(names, e.Name())
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("%s: no capture files in the directory", p)
		}
		sort.Strings(names)
		for _, n := range names {
			out = append(out, filepath.Join(p, n))
		}
	}
	return out, nil
}
