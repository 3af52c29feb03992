package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// assignment is one option setting and where it came from.
type assignment struct {
	name, value string
	bare        bool
	where       string // "FILE:LINE" for -x lines, "" for the command line
}

// maxCfgLine is the original's LINEMAX: longer lines are refused.
const maxCfgLine = 512

// readConfigFile reads an options file in the original's options.cfg
// syntax: "name = value" or a bare "name" per line, blank lines, and "#"
// comments (a whole line, or the rest of a line after a value). A line it
// cannot read is an error naming the file and the line number.
func readConfigFile(path string) ([]assignment, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usagef("-x %s: %v", path, errors.Unwrap(err))
	}
	defer f.Close()
	return parseConfig(f, path)
}

func parseConfig(r io.Reader, path string) ([]assignment, error) {
	var out []assignment
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 64<<10)
	n := 0
	for sc.Scan() {
		n++
		where := fmt.Sprintf("%s:%d", path, n)
		line := sc.Text()
		if len(line) > maxCfgLine {
			return nil, usagef("%s: line longer than %d bytes", where, maxCfgLine)
		}
		line = strings.TrimRight(line, "\r")
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, value, hasEq := strings.Cut(line, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		switch {
		case name == "":
			return nil, usagef("%s: no option name before \"=\" in %q", where, line)
		case strings.ContainsAny(name, " \t"):
			return nil, usagef("%s: cannot read %q: want \"name = value\" or \"name\"", where, line)
		case hasEq && value == "":
			return nil, usagef("%s: option %s has no value after \"=\"", where, name)
		}
		value = unquote(value)
		out = append(out, assignment{name: name, value: value, bare: !hasEq, where: where})
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, usagef("%s:%d: line longer than %d bytes", path, n+1, maxCfgLine)
		}
		return nil, usagef("-x %s: %v", path, err)
	}
	return out, nil
}

// unquote drops one pair of surrounding double quotes, which the
// original's usage text shows around string values (bpf="expression").
func unquote(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1]
	}
	return v
}
