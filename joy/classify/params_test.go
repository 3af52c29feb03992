package classify

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// paramFile writes vals one per line in the "%.18e" format of model.py.
func paramFile(vals []float64) string {
	var b strings.Builder
	for _, v := range vals {
		fmt.Fprintf(&b, "%.18e\n", v)
	}
	return b.String()
}

func zeros(n int) []float64 { return make([]float64, n) }

// A model whose only non-zero weight is the bias b scores 1/(1+exp(-b));
// a dp weight then moves the score as the formula says.
func TestLoadBiasOnly(t *testing.T) {
	splt, bd := zeros(NumSPLT), zeros(NumBD)
	splt[0], bd[0] = 0.75, -1.25
	m := Default()
	if err := m.Load(strings.NewReader(paramFile(splt)), strings.NewReader(paramFile(bd))); err != nil {
		t.Fatal(err)
	}
	out := Side{Lens: []uint16{300, 40}, Times: []int64{t0 + 5000, t0 + 9000}, Start: t0, NP: 4, OB: 340}
	in := Side{Lens: []uint16{1200}, Times: []int64{t0 + 7000}, Start: t0 + 1000, NP: 3, OB: 1200}
	near(t, "SPLT bias only", m.Score(out, &in, 40000, 443, false), 1/(1+math.Exp(-0.75)))
	near(t, "BD bias only", m.Score(out, &in, 40000, 443, true), 1/(1+math.Exp(1.25)))

	splt[1] = 0.002 // dp
	splt[6] = -1e-3 // outbound bytes
	if err := m.LoadSPLT(strings.NewReader(paramFile(splt))); err != nil {
		t.Fatal(err)
	}
	s := 0.75 + 0.002*443 - 1e-3*340
	near(t, "SPLT with dp and ob weights", m.Score(out, &in, 40000, 443, false), 1/(1+math.Exp(-s)))
	// The BD weights were left alone by LoadSPLT.
	near(t, "BD unchanged", m.Score(out, &in, 40000, 443, true), 1/(1+math.Exp(1.25)))
}

// Values are rounded to float32 once, like the original's %f scan.
func TestLoadRounding(t *testing.T) {
	vals := zeros(NumSPLT)
	for i := range vals {
		vals[i] = float64(i)/7 - 3
	}
	vals[5] = 0.1
	var m Model
	if err := m.LoadSPLT(strings.NewReader(paramFile(vals))); err != nil {
		t.Fatal(err)
	}
	for i, v := range vals {
		if m.SPLT[i] != float32(v) {
			t.Fatalf("SPLT[%d] = %v, want %v", i, m.SPLT[i], float32(v))
		}
	}
	// Any whitespace separates values.
	var b strings.Builder
	for i, v := range vals {
		fmt.Fprintf(&b, "%g%s", v, []string{" ", "\t", "\r\n", "  \n\n"}[i%4])
	}
	var m2 Model
	if err := m2.LoadSPLT(strings.NewReader(b.String())); err != nil {
		t.Fatal(err)
	}
	if m2.SPLT != m.SPLT {
		t.Error("whitespace-separated file read differently")
	}
}

func TestLoadErrors(t *testing.T) {
	good := paramFile(zeros(NumSPLT))
	lines := strings.SplitAfter(good, "\n")
	badLine7 := strings.Join(lines[:6], "") + "0.5x\n" + strings.Join(lines[7:], "")
	cases := []struct {
		name, file string
		line       int
		msg        string
	}{
		{"empty", "", 1, "no values"},
		{"blank lines", "\n\n  \n", 1, "no values"},
		{"too few", paramFile(zeros(NumSPLT - 1)), NumSPLT - 1, "ends after 207 values"},
		{"too few, one line", "1 2 3\n\n", 1, "ends after 3 values"},
		{"too many", paramFile(zeros(NumSPLT + 1)), NumSPLT + 1, "more than 208"},
		{"non-number at line 7", badLine7, 7, `"0.5x" is not a number`},
		{"word", "1.0\n2.0\nabc\n", 3, `"abc" is not a number`},
		{"overflow", "1e39\n", 1, "not a number"},
		{"inf", "0\ninf\n", 2, "not a number"},
		{"nan", "NaN\n", 1, "not a number"},
		{"long token", strings.Repeat("1", 600), 1, "token longer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := Default()
			err := m.LoadSPLT(strings.NewReader(c.file))
			if err == nil {
				t.Fatal("no error")
			}
			var pe *ParamError
			if !errors.As(err, &pe) || pe.Line != c.line {
				t.Errorf("error %v: want line %d", err, c.line)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("line %d:", c.line)) || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %q does not name line %d / %q", err, c.line, c.msg)
			}
			if *m != *Default() {
				t.Error("model changed by a failed load")
			}
		})
	}
}

// A failure in either file leaves both models as they were.
func TestLoadAtomic(t *testing.T) {
	okSPLT := paramFile(zeros(NumSPLT))
	okBD := paramFile(zeros(NumBD))
	m := Default()
	if err := m.Load(strings.NewReader(okSPLT), strings.NewReader(okBD[:len(okBD)/2])); err == nil {
		t.Fatal("short BD file accepted")
	} else if !strings.Contains(err.Error(), "BD") {
		t.Errorf("error %q does not name the BD file", err)
	}
	if *m != *Default() {
		t.Error("SPLT weights changed although the BD file was bad")
	}
	if err := m.Load(strings.NewReader("x"), strings.NewReader(okBD)); err == nil {
		t.Fatal("bad SPLT file accepted")
	}
	if *m != *Default() {
		t.Error("model changed by a failed load")
	}
	// A reader error.
	if err := m.LoadBD(errReader{}); err == nil || *m != *Default() {
		t.Errorf("read error: %v", err)
	}
	// Named files: the error names the file.
	dir := t.TempDir()
	p := filepath.Join(dir, "splt.txt")
	if err := os.WriteFile(p, []byte("1\n2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := m.LoadFiles(p, "")
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("LoadFiles error %v", err)
	}
	if err := m.LoadFiles(filepath.Join(dir, "missing"), ""); err == nil {
		t.Error("missing file accepted")
	}
	if *m != *Default() {
		t.Error("model changed by a failed load")
	}
	if err := m.LoadFiles("", ""); err != nil {
		t.Error(err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

// The parameter files shipped with the original load.
func TestLoadSharedParameterFiles(t *testing.T) {
	dir := filepath.Join(tu.NeedShared(t), "data")
	m := Default()
	if err := m.LoadFiles(filepath.Join(dir, "logreg_parameters.txt"), filepath.Join(dir, "logreg_parameters_bd.txt")); err != nil {
		t.Fatal(err)
	}
	if m.SPLT == Default().SPLT || m.BD == Default().BD {
		t.Error("weights not replaced")
	}
	if m.SPLT[0] != float32(1.995450759530446705) || m.BD[0] != float32(1.385961051409789202e-01) {
		t.Errorf("first weights %v %v", m.SPLT[0], m.BD[0])
	}
	if err := m.LoadFiles(filepath.Join(dir, "logreg_scaled_splt.txt"), filepath.Join(dir, "logreg_scaled_bd.txt")); err != nil {
		t.Fatal(err)
	}
	// The BD file is not a SPLT file.
	err := m.LoadFiles(filepath.Join(dir, "logreg_parameters_bd.txt"), "")
	if err == nil || !strings.Contains(err.Error(), "line 209") {
		t.Errorf("BD file as SPLT: %v", err)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte(paramFile(zeros(NumSPLT))))
	f.Add([]byte("1.0 2.0\n3e5\tabc\n"))
	f.Add([]byte(""))
	f.Add([]byte("0x1p-3 -inf +5 .5 5. 1_0 \x00\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := Default()
		errS := m.LoadSPLT(bytes.NewReader(data))
		errB := m.LoadBD(bytes.NewReader(data))
		if errS != nil && errB != nil && *m != *Default() {
			t.Fatal("model changed by failed loads")
		}
		for _, w := range m.SPLT {
			if math.IsNaN(float64(w)) || math.IsInf(float64(w), 0) {
				t.Fatal("non-finite weight accepted")
			}
		}
		_ = m.Score(Side{Lens: []uint16{1}, Times: []int64{1}, NP: 1, OB: 200}, nil, 1, 2, true)
	})
}
