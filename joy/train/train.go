// Package train fits the parameters of Joy's flow classifier (package
// classify) to your own traffic: a logistic regression with an L1 penalty
// over the classifier's own feature vector, built from Joy flow records.
// It replaces the original's Python analysis/model.py and is the engine of
// "joy train"; the parameter files it writes load with classify's loader
// and with the joy command's model=SPLT:BD option, closing the loop
// capture → records → train → deploy → score.
//
// Features are computed with classify.Features from sides rebuilt out of
// the JSON records (see FromRecord), so the model is trained on what the
// classifier will compute when it is deployed. The solver standardises the
// columns, minimises the mean logistic loss plus Lambda times the L1 norm
// of the standardised weights by accelerated proximal gradient, and maps
// the result back to raw feature units: the written weights are exactly
// what classify applies. Nothing is random except the cross-validation
// folds, which come from Options.Seed.
package train

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/gojoy/libjoy/joy/classify"
)

// Groups selects feature groups, as model.py's -m -l -t -d options did.
type Groups uint

const (
	Meta    Groups = 1 << iota // f[1..7]: dp, sp, packets and bytes in/out, duration
	Lengths                    // f[8..107]: Markov chain of the packet lengths
	Times                      // f[108..207]: Markov chain of the inter-arrival times
	Dist                       // f[208..463]: byte distribution (BD model)

	// SPLTGroups are the groups of the SPLT model.
	SPLTGroups = Meta | Lengths | Times
	// AllGroups are every group.
	AllGroups = SPLTGroups | Dist
)

func (g Groups) String() string {
	s := ""
	for _, x := range []struct {
		g Groups
		n string
	}{{Meta, "meta"}, {Lengths, "lengths"}, {Times, "times"}, {Dist, "dist"}} {
		if g&x.g != 0 {
			if s != "" {
				s += "+"
			}
			s += x.n
		}
	}
	if s == "" {
		return "none"
	}
	return s
}

// columns returns the feature slots of g (slot 0, the bias, excluded).
func (g Groups) columns() []int {
	var cols []int
	add := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			cols = append(cols, i)
		}
	}
	if g&Meta != 0 {
		add(1, 8)
	}
	if g&Lengths != 0 {
		add(8, 108)
	}
	if g&Times != 0 {
		add(108, 208)
	}
	if g&Dist != 0 {
		add(208, classify.NumBD)
	}
	return cols
}

// Defaults of Options.
const (
	DefaultLambda  = 0.01
	DefaultFolds   = 5
	DefaultMaxIter = 20000
	DefaultTol     = 1e-7
)

// Options control Train.
type Options struct {
	// Groups are the feature groups to use. The SPLT model is trained on
	// the Meta, Lengths and Times groups given; with Dist, the BD model is
	// also trained, on those groups plus the byte distribution. Zero means
	// SPLTGroups.
	Groups Groups
	// Lambda is the L1 penalty on the standardised weights (larger: fewer
	// non-zero weights). Zero means DefaultLambda; use a negative value
	// for no penalty at all.
	Lambda float64
	// Folds is k of the k-fold cross-validation Train reports (examples of
	// one Group stay in one fold). Zero means DefaultFolds; 1 or less, or
	// fewer than two flows of each class, skips cross-validation.
	Folds int
	// Seed drives the assignment of flows to folds.
	Seed uint64
	// Balance weights the two classes equally, whatever their sizes.
	Balance bool
	// MaxIter and Tol bound the solver (zero: defaults).
	MaxIter int
	Tol     float64
}

func (o Options) withDefaults() Options {
	if o.Groups == 0 {
		o.Groups = SPLTGroups
	}
	if o.Lambda == 0 {
		o.Lambda = DefaultLambda
	} else if o.Lambda < 0 {
		o.Lambda = 0
	}
	if o.Folds == 0 {
		o.Folds = DefaultFolds
	}
	if o.MaxIter <= 0 {
		o.MaxIter = DefaultMaxIter
	}
	if o.Tol <= 0 {
		o.Tol = DefaultTol
	}
	return o
}

// Report describes a training run.
type Report struct {
	Groups               Groups
	Lambda               float64
	Positives, Negatives int
	SPLT                 *ModelReport // nil when no SPLT group was selected
	BD                   *ModelReport // nil without Dist
}

// ModelReport describes one of the two models.
type ModelReport struct {
	Name                 string // "SPLT" or "BD"
	Positives, Negatives int    // examples it was trained on
	Skipped              int    // examples it does not apply to (BD: no byte distribution or ≤ 100 bytes)
	Features             int    // feature slots of its groups
	Constant             int    // of them, constant in the training data (weight 0)
	NonZero              int    // non-zero weights, bias excluded
	Iterations           int
	Converged            bool
	TrainAccuracy        float64
	CV                   *CV // nil when skipped
}

// CV is a k-fold cross-validation result, pooled over the folds: every
// example is scored once by the model trained without its fold, through
// the classifier's own arithmetic. A flow is called positive when its
// p_malware is above 0.5.
type CV struct {
	Folds                           int
	TP, FP, TN, FN                  int
	Accuracy, Precision, Recall, F1 float64
	AUC                             float64 // area under the ROC curve of the held-out scores
}

// Train fits the classifier to positive (label 1, "malware") and negative
// examples and returns the model (weights of unselected groups and of a
// model not trained are zero), a report with cross-validated figures, and
// an error when the examples cannot make a model (a class with no example,
// or Dist with no example that has a byte distribution).
func Train(pos, neg []Example, opts Options) (*classify.Model, *Report, error) {
	o := opts.withDefaults()
	rep := &Report{Groups: o.Groups, Lambda: o.Lambda, Positives: len(pos), Negatives: len(neg)}
	if len(pos) == 0 || len(neg) == 0 {
		return nil, rep, errors.New("train: need at least one positive and one negative example")
	}
	m := &classify.Model{}
	if g := o.Groups & SPLTGroups; g != 0 {
		w, mr, err := trainModel("SPLT", g, false, pos, neg, o)
		if err != nil {
			return nil, rep, err
		}
		copy(m.SPLT[:], w)
		rep.SPLT = mr
	}
	if o.Groups&Dist != 0 {
		w, mr, err := trainModel("BD", o.Groups, true, pos, neg, o)
		if err != nil {
			return nil, rep, err
		}
		copy(m.BD[:], w)
		rep.BD = mr
	}
	return m, rep, nil
}

// row is one example's feature vector.
type row struct {
	f     [classify.NumBD]float32
	y     float64 // +1 positive, -1 negative
	group string
}

func rows(pos, neg []Example, bd bool) (rs []row, skipped int) {
	add := func(es []Example, y float64) {
		for i := range es {
			e := &es[i]
			f, applies := e.Features(bd)
			if bd && !(applies && e.HasBD) {
				skipped++
				continue
			}
			rs = append(rs, row{f: f, y: y, group: e.Group})
		}
	}
	add(pos, 1)
	add(neg, -1)
	return rs, skipped
}

func trainModel(name string, g Groups, bd bool, pos, neg []Example, o Options) ([]float32, *ModelReport, error) {
	rs, skipped := rows(pos, neg, bd)
	mr := &ModelReport{Name: name, Skipped: skipped, Features: len(g.columns())}
	for _, r := range rs {
		if r.y > 0 {
			mr.Positives++
		} else {
			mr.Negatives++
		}
	}
	if mr.Positives == 0 || mr.Negatives == 0 {
		if bd {
			return nil, mr, fmt.Errorf("train: the BD model needs positive and negative records with a byte_dist and more than 100 payload bytes (capture with dist=1); have %d positive and %d negative", mr.Positives, mr.Negatives)
		}
		return nil, mr, errors.New("train: need at least one positive and one negative example")
	}
	fit := fitRows(rs, g, bd, o)
	mr.Constant, mr.Iterations, mr.Converged = fit.constant, fit.iterations, fit.converged
	for _, w := range fit.w[1:] {
		if w != 0 {
			mr.NonZero++
		}
	}
	var correct int
	for _, r := range rs {
		if (predict(fit.w, &r.f, bd) > 0.5) == (r.y > 0) {
			correct++
		}
	}
	mr.TrainAccuracy = float64(correct) / float64(len(rs))
	mr.CV = crossValidate(rs, g, bd, o)
	n := classify.NumSPLT
	if bd {
		n = classify.NumBD
	}
	return fit.w[:n], mr, nil
}

type fitResult struct {
	w          [classify.NumBD]float32 // raw-unit weights, bias in slot 0
	constant   int
	iterations int
	converged  bool
}

// fitRows standardises the columns of g over rs, solves, and maps the
// weights back to raw units.
func fitRows(rs []row, g Groups, bd bool, o Options) fitResult {
	var res fitResult
	var cols []int
	var mean, sd []float64
	for _, c := range g.columns() {
		var s, ss float64
		for i := range rs {
			x := float64(rs[i].f[c])
			s += x
			ss += x * x
		}
		mu := s / float64(len(rs))
		v := ss/float64(len(rs)) - mu*mu
		if v <= 1e-12*math.Max(1, mu*mu) {
			res.constant++
			continue
		}
		cols = append(cols, c)
		mean = append(mean, mu)
		sd = append(sd, math.Sqrt(v))
	}
	pr := problem{lambda: o.Lambda}
	var np, nn float64
	for i := range rs {
		if rs[i].y > 0 {
			np++
		} else {
			nn++
		}
	}
	for i := range rs {
		z := make([]float64, len(cols))
		for j, c := range cols {
			z[j] = (float64(rs[i].f[c]) - mean[j]) / sd[j]
		}
		pr.z = append(pr.z, z)
		pr.y = append(pr.y, rs[i].y)
		s := 1.0
		if o.Balance {
			if rs[i].y > 0 {
				s = (np + nn) / (2 * np)
			} else {
				s = (np + nn) / (2 * nn)
			}
		}
		pr.s = append(pr.s, s)
	}
	sol := pr.solve(o.MaxIter, o.Tol)
	res.iterations, res.converged = sol.iterations, sol.converged
	b := sol.b
	for j, c := range cols {
		if sol.w[j] == 0 {
			continue
		}
		w := sol.w[j] / sd[j]
		b -= w * mean[j]
		res.w[c] = float32(w)
	}
	res.w[0] = float32(b)
	return res
}

// predict scores f with raw weights w exactly as the classifier does.
func predict(w [classify.NumBD]float32, f *[classify.NumBD]float32, bd bool) float32 {
	var m classify.Model
	if bd {
		m.BD = w
	} else {
		copy(m.SPLT[:], w[:classify.NumSPLT])
	}
	return classify.Logistic(m.Sum(f, bd))
}

// folds assigns every row a fold in [0,k): flows (groups) are shuffled
// per class with the seed and dealt out in turn. k is reduced to the
// number of flows when there are fewer; 0 means no cross-validation.
func folds(rs []row, k int, seed uint64) ([]int, int) {
	type grp struct {
		name string
		pos  bool
	}
	var order []grp
	seen := map[string]bool{}
	for _, r := range rs {
		if !seen[r.group] {
			seen[r.group] = true
			order = append(order, grp{r.group, r.y > 0})
		}
	}
	var np, nn int
	for _, g := range order {
		if g.pos {
			np++
		} else {
			nn++
		}
	}
	if np < 2 || nn < 2 || k < 2 {
		return nil, 0
	}
	k = min(k, len(order))
	rng := rand.New(rand.NewPCG(seed, 0x6a6f792d7472616e)) // "joy-tran"
	fold := map[string]int{}
	next := 0
	for _, cls := range []bool{true, false} {
		var gs []string
		for _, g := range order {
			if g.pos == cls {
				gs = append(gs, g.name)
			}
		}
		rng.Shuffle(len(gs), func(i, j int) { gs[i], gs[j] = gs[j], gs[i] })
		for _, name := range gs {
			fold[name] = next % k
			next++
		}
	}
	out := make([]int, len(rs))
	for i, r := range rs {
		out[i] = fold[r.group]
	}
	return out, k
}

func crossValidate(rs []row, g Groups, bd bool, o Options) *CV {
	fa, k := folds(rs, o.Folds, o.Seed)
	if k == 0 {
		return nil
	}
	cv := &CV{Folds: k}
	scores := make([]float64, len(rs))
	for f := 0; f < k; f++ {
		var tr []row
		for i, r := range rs {
			if fa[i] != f {
				tr = append(tr, r)
			}
		}
		fit := fitRows(tr, g, bd, o)
		for i := range rs {
			if fa[i] == f {
				scores[i] = float64(predict(fit.w, &rs[i].f, bd))
			}
		}
	}
	labels := make([]bool, len(rs))
	for i, r := range rs {
		labels[i] = r.y > 0
		switch p := scores[i] > 0.5; {
		case p && labels[i]:
			cv.TP++
		case p:
			cv.FP++
		case labels[i]:
			cv.FN++
		default:
			cv.TN++
		}
	}
	cv.Accuracy = float64(cv.TP+cv.TN) / float64(len(rs))
	cv.Precision = ratio(cv.TP, cv.TP+cv.FP)
	cv.Recall = ratio(cv.TP, cv.TP+cv.FN)
	if cv.Precision+cv.Recall > 0 {
		cv.F1 = 2 * cv.Precision * cv.Recall / (cv.Precision + cv.Recall)
	}
	cv.AUC = AUC(scores, labels)
	return cv
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// AUC is the area under the ROC curve: the probability that a random
// positive scores above a random negative, ties counting one half. It is
// NaN without both classes.
func AUC(scores []float64, positive []bool) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	// rank sum of the positives, with average ranks for ties
	var rankSum float64
	var np, nn int
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // ranks i+1..j
		for _, t := range idx[i:j] {
			if positive[t] {
				rankSum += avg
				np++
			} else {
				nn++
			}
		}
		i = j
	}
	if np == 0 || nn == 0 {
		return math.NaN()
	}
	return (rankSum - float64(np)*float64(np+1)/2) / (float64(np) * float64(nn))
}

// Write prints the report as text.
func (r *Report) Write(w io.Writer) error {
	var err error
	p := func(format string, a ...any) {
		if err == nil {
			_, err = fmt.Fprintf(w, format, a...)
		}
	}
	p("examples: %d positive, %d negative; features: %s; lambda %g\n", r.Positives, r.Negatives, r.Groups, r.Lambda)
	for _, m := range []*ModelReport{r.SPLT, r.BD} {
		if m == nil {
			continue
		}
		p("%s model: %d positive, %d negative", m.Name, m.Positives, m.Negatives)
		if m.Skipped > 0 {
			p(" (%d examples do not use it)", m.Skipped)
		}
		p("\n  features %d (%d constant), non-zero weights %d, solver %d iterations", m.Features, m.Constant, m.NonZero, m.Iterations)
		if !m.Converged {
			p(" (not converged)")
		}
		p("\n  training accuracy %.4f\n", m.TrainAccuracy)
		if c := m.CV; c != nil {
			p("  %d-fold cross-validation: accuracy %.4f, precision %.4f, recall %.4f, F1 %.4f, AUC %.4f (TP %d FP %d TN %d FN %d)\n",
				c.Folds, c.Accuracy, c.Precision, c.Recall, c.F1, c.AUC, c.TP, c.FP, c.TN, c.FN)
		} else {
			p("  cross-validation skipped (needs two flows of each class and folds ≥ 2)\n")
		}
	}
	return err
}

// WriteParams writes weights one per line in "%.18e", the format of the
// original's parameter files and of classify's loader.
func WriteParams(w io.Writer, weights []float32) error {
	buf := make([]byte, 0, 26*len(weights))
	for _, v := range weights {
		buf = fmt.Appendf(buf, "%.18e\n", float64(v))
	}
	_, err := w.Write(buf)
	return err
}
