package classify

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
)

// maxToken bounds the length of one number in a parameter file.
const maxToken = 512

// ParamError describes a parameter file that cannot be used.
type ParamError struct {
	Model string // "SPLT" or "BD"
	File  string // file name, if known
	Line  int    // 1-based line of the problem
	Msg   string
}

func (e *ParamError) Error() string {
	name := e.File
	if name == "" {
		name = e.Model + " parameters"
	}
	return fmt.Sprintf("classify: %s: line %d: %s", name, e.Line, e.Msg)
}

// ParseParams reads exactly n whitespace-separated decimal numbers (the
// format analysis/model.py writes, typically one "%.18e" value per line),
// each rounded to float32. A token that is not a finite float32 number,
// fewer or more than n numbers, or a read error is an error naming the line.
// model names the model in the error ("SPLT", "BD").
func ParseParams(r io.Reader, n int, model string) ([]float32, error) {
	br := bufio.NewReader(r)
	vals := make([]float32, 0, n)
	line := 1
	var tok []byte
	tokLine, lastLine := 0, 1
	fail := func(l int, format string, a ...any) error {
		return &ParamError{Model: model, Line: l, Msg: fmt.Sprintf(format, a...)}
	}
	flush := func() error {
		if len(tok) == 0 {
			return nil
		}
		defer func() { tok = tok[:0] }()
		if len(vals) == n {
			return fail(tokLine, "more than %d values", n)
		}
		v, err := strconv.ParseFloat(string(tok), 32)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			return fail(tokLine, "%q is not a number", clip(tok))
		}
		vals = append(vals, float32(v))
		lastLine = tokLine
		return nil
	}
	for {
		c, err := br.ReadByte()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return nil, fail(line, "read error: %v", err)
			}
			break
		}
		switch c {
		case ' ', '\t', '\n', '\r', '\v', '\f':
			if err := flush(); err != nil {
				return nil, err
			}
			if c == '\n' {
				line++
			}
		default:
			if len(tok) == 0 {
				tokLine = line
			}
			if len(tok) >= maxToken {
				return nil, fail(tokLine, "token longer than %d bytes", maxToken)
			}
			tok = append(tok, c)
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if len(vals) < n {
		if len(vals) == 0 {
			return nil, fail(1, "no values, %d expected", n)
		}
		return nil, fail(lastLine, "file ends after %d values, %d expected", len(vals), n)
	}
	return vals, nil
}

func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}

// Load replaces the SPLT weights with the numbers read from splt and the BD
// weights with those read from bd; a nil reader leaves its model as it is.
// Each file must hold exactly NumSPLT / NumBD numbers. On any error the
// model is left unchanged (both files are read before either is applied).
//
// The original accepted short files (the tail kept its old values) and, on
// a token that is not a number, repeated the last good value for the
// remaining slots (QUIRK-52); both are errors here.
func (m *Model) Load(splt, bd io.Reader) error {
	var s, b []float32
	var err error
	if splt != nil {
		if s, err = ParseParams(splt, NumSPLT, "SPLT"); err != nil {
			return err
		}
	}
	if bd != nil {
		if b, err = ParseParams(bd, NumBD, "BD"); err != nil {
			return err
		}
	}
	copy(m.SPLT[:], s)
	copy(m.BD[:], b)
	return nil
}

// LoadSPLT replaces the SPLT weights (see Load).
func (m *Model) LoadSPLT(r io.Reader) error { return m.Load(r, nil) }

// LoadBD replaces the BD weights (see Load).
func (m *Model) LoadBD(r io.Reader) error { return m.Load(nil, r) }

// LoadFiles is Load from named files; an empty name leaves its model as it
// is. Errors name the file.
func (m *Model) LoadFiles(spltPath, bdPath string) error {
	read := func(path string, n int, model string) ([]float32, error) {
		if path == "" {
			return nil, nil
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("classify: %s parameters: %w", model, err)
		}
		defer f.Close()
		v, err := ParseParams(f, n, model)
		var pe *ParamError
		if errors.As(err, &pe) {
			pe.File = path
		}
		return v, err
	}
	s, err := read(spltPath, NumSPLT, "SPLT")
	if err != nil {
		return err
	}
	b, err := read(bdPath, NumBD, "BD")
	if err != nil {
		return err
	}
	copy(m.SPLT[:], s)
	copy(m.BD[:], b)
	return nil
}
