package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSolverKKT checks the optimality conditions of the L1 problem on
// random data: the bias gradient is zero, a non-zero weight's gradient is
// -λ·sign(w), a zero weight's gradient is within [-λ, λ].
func TestSolverKKT(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		n, p      int
		lambda    float64
		separable bool
	}{{200, 10, 0.01, false}, {60, 40, 0.02, false}, {50, 30, 0.005, true}, {100, 5, 0, false}, {80, 20, 0.5, false}} {
		pr := problem{lambda: tc.lambda}
		truth := make([]float64, tc.p)
		for j := range truth {
			if j%3 == 0 {
				truth[j] = rng.NormFloat64() * 2
			}
		}
		for i := 0; i < tc.n; i++ {
			z := make([]float64, tc.p)
			m := 0.3
			for j := range z {
				z[j] = rng.NormFloat64()
				m += truth[j] * z[j]
			}
			y := -1.0
			if tc.separable && m > 0 || !tc.separable && rng.Float64() < sigmoid(m) {
				y = 1
			}
			pr.z, pr.y, pr.s = append(pr.z, z), append(pr.y, y), append(pr.s, 1)
		}
		sol := pr.solve(DefaultMaxIter, DefaultTol)
		g := make([]float64, tc.p+1)
		pr.smooth(sol.b, sol.w, g)
		nz := 0
		const eps = 1e-6
		if math.Abs(g[0]) > eps {
			t.Errorf("%+v: bias gradient %g", tc, g[0])
		}
		for j, w := range sol.w {
			gj := g[j+1]
			if w != 0 {
				nz++
				if math.Abs(gj+tc.lambda*math.Copysign(1, w)) > eps {
					t.Errorf("%+v: w[%d]=%g gradient %g", tc, j, w, gj)
				}
			} else if math.Abs(gj) > tc.lambda+eps {
				t.Errorf("%+v: w[%d]=0 gradient %g beyond λ", tc, j, gj)
			}
		}
		t.Logf("%+v: %d iterations, converged %v, %d non-zero", tc, sol.iterations, sol.converged, nz)
		if !sol.converged && !tc.separable {
			t.Errorf("%+v: not converged", tc)
		}
	}
}

func TestAUC(t *testing.T) {
	for _, tc := range []struct {
		s    []float64
		l    []bool
		want float64
	}{
		{[]float64{0.1, 0.2, 0.8, 0.9}, []bool{false, false, true, true}, 1},
		{[]float64{0.1, 0.2, 0.8, 0.9}, []bool{true, true, false, false}, 0},
		{[]float64{0.5, 0.5}, []bool{true, false}, 0.5},
		{[]float64{0.1, 0.4, 0.35, 0.8}, []bool{false, false, true, true}, 0.75},
	} {
		if got := AUC(tc.s, tc.l); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("AUC(%v, %v) = %g, want %g", tc.s, tc.l, got, tc.want)
		}
	}
	if !math.IsNaN(AUC([]float64{1}, []bool{true})) {
		t.Error("AUC of one class is not NaN")
	}
}
