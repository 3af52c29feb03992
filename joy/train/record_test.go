package train

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/gojoy/libjoy/joy/classify"
	"github.com/gojoy/libjoy/joy/sleuth"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// agreement scores every record of files with m after rebuilding its sides
// from the JSON, and compares with the record's own printed p_malware.
type agreement struct {
	n, exact int
	maxDiff  float64
	worst    string
	// records whose byte distribution was printed unreduced, or not used
	plain, plainExact int
	plainMax          float64
	plainWorst        string
	sumDiff           float64
}

func (a *agreement) String() string {
	return fmt.Sprintf("%d records, %d equal as printed (%.1f%%), mean |diff| %.6f, max %.6f (%s); "+
		"of them %d with an unreduced or unused byte_dist: %d equal, max |diff| %.6f (%s)",
		a.n, a.exact, 100*float64(a.exact)/float64(max(a.n, 1)), a.sumDiff/float64(max(a.n, 1)), a.maxDiff, a.worst,
		a.plain, a.plainExact, a.plainMax, a.plainWorst)
}

func scoreAgreement(t *testing.T, m *classify.Model, useBD bool, files ...string) *agreement {
	t.Helper()
	a := &agreement{}
	err := sleuth.ForEach(files, nil, func(l sleuth.Line) error {
		var pm struct {
			P *float64 `json:"p_malware"`
		}
		if err := json.Unmarshal(l.Data, &pm); err != nil {
			return nil // a record cut short by a crash of the original
		}
		if pm.P == nil {
			return nil
		}
		e, err := FromRecord(l.Data)
		if err != nil {
			return fmt.Errorf("%s:%d: %v", l.Source, l.Num, err)
		}
		p := m.Score(e.Out, e.In, e.SP, e.DP, useBD)
		got := fmt.Sprintf("%f", p)
		want := fmt.Sprintf("%f", *pm.P)
		a.n++
		if got == want {
			a.exact++
		}
		d := math.Abs(float64(p) - *pm.P)
		a.sumDiff += d
		where := fmt.Sprintf("%s:%d got %s want %s", filepath.Base(l.Source), l.Num, got, want)
		if d > a.maxDiff || a.worst == "" {
			a.maxDiff, a.worst = d, where
		}
		_, bd := e.Features(useBD)
		if !bd || !e.BDApprox {
			a.plain++
			if got == want {
				a.plainExact++
			}
			if d > a.plainMax || a.plainWorst == "" {
				a.plainMax, a.plainWorst = d, where
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestReferenceScoreAgreement(t *testing.T) {
	sh := tu.NeedShared(t)
	ref := filepath.Join(sh, "ref", "697dc5a")
	a := scoreAgreement(t, classify.Default(), false, filepath.Join(ref, "e_classify"))
	t.Logf("e_classify (SPLT model, default weights): %v", a)
	if a.n != 70 || a.exact != a.n {
		t.Errorf("scores from the JSON records differ from the original's")
	}
}

// check requires every record the JSON keeps whole to score exactly as the
// original printed, and the others to be close.
func (a *agreement) check(t *testing.T, name string) {
	t.Helper()
	if a.n == 0 {
		t.Errorf("%s: no record with p_malware", name)
	}
	if a.plainExact < a.plain*995/1000 {
		t.Errorf("%s: %d of %d records that keep their byte counts score differently", name, a.plain-a.plainExact, a.plain)
	}
	if a.maxDiff > 0.1 {
		t.Errorf("%s: a score is %.4f away from the original's", name, a.maxDiff)
	}
}

func TestReferenceScoreAgreementModels(t *testing.T) {
	sh := tu.NeedShared(t)
	ref := filepath.Join(sh, "ref", "697dc5a")
	scaled := classify.Default()
	if err := scaled.LoadFiles(filepath.Join(sh, "data", "logreg_scaled_splt.txt"), filepath.Join(sh, "data", "logreg_scaled_bd.txt")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dir, what string
		m         *classify.Model
		dist      bool
	}{
		{"e2_classify_model", "SPLT, scaled weights", scaled, false},
		{"e3_classify_bd_model", "dist=1, scaled weights", scaled, true},
		{"x_all_features", "dist=1 zeros=1, default weights", classify.Default(), true},
	} {
		a := scoreAgreement(t, c.m, c.dist, filepath.Join(ref, c.dir))
		t.Logf("%s (%s): %v", c.dir, c.what, a)
		a.check(t, c.dir)
	}
}

func TestCorpusScoreAgreement(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus: skipped in -short mode")
	}
	sh := tu.NeedShared(t)
	a := scoreAgreement(t, classify.Default(), true, filepath.Join(sh, "ref", "697dc5a", "corpus_x"))
	t.Logf("corpus_x (every capture, dist=1 zeros=1, default weights): %v", a)
	a.check(t, "corpus_x")
}
