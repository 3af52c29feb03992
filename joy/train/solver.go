package train

import "math"

// problem is an L1-regularised logistic regression on standardised
// columns: minimise
//
//	(1/W) Σ_i s_i log(1 + exp(-y_i (b + w·z_i))) + λ Σ_j |w_j|
//
// over w and the unpenalised bias b, where y_i is ±1 and s_i a sample
// weight (W = Σ s_i).
type problem struct {
	z      [][]float64 // n rows of p standardised features
	y      []float64   // ±1
	s      []float64   // sample weights
	lambda float64
}

type solution struct {
	b          float64
	w          []float64
	iterations int
	converged  bool
}

// smooth returns the smooth part of the objective at (b, w) and, when g is
// not nil, its gradient (g[0] for b, g[1:] for w).
func (pr *problem) smooth(b float64, w []float64, g []float64) float64 {
	var f, sw float64
	if g != nil {
		clear(g)
	}
	for i, zi := range pr.z {
		m := b
		for j, x := range zi {
			m += w[j] * x
		}
		ym := pr.y[i] * m
		f += pr.s[i] * softplus(-ym)
		sw += pr.s[i]
		if g != nil {
			// d/dm log(1+exp(-y m)) = -y σ(-y m)
			c := -pr.s[i] * pr.y[i] * sigmoid(-ym)
			g[0] += c
			for j, x := range zi {
				g[j+1] += c * x
			}
		}
	}
	if sw == 0 {
		return 0
	}
	for j := range g {
		g[j] /= sw
	}
	return f / sw
}

func softplus(x float64) float64 {
	if x > 30 {
		return x + math.Exp(-x)
	}
	return math.Log1p(math.Exp(x))
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func softThreshold(x, t float64) float64 {
	switch {
	case x > t:
		return x - t
	case x < -t:
		return x + t
	}
	return 0
}

// solve runs FISTA (accelerated proximal gradient) with backtracking on
// the step size and a restart of the momentum whenever the objective goes
// up. It stops when no coefficient moves by more than tol (relative to the
// largest one) over an iteration, or after maxIter iterations. Everything
// is deterministic.
func (pr *problem) solve(maxIter int, tol float64) solution {
	p := 0
	if len(pr.z) > 0 {
		p = len(pr.z[0])
	}
	n := p + 1
	x := make([]float64, n)     // current iterate: x[0] = b, x[1:] = w
	xPrev := make([]float64, n) // previous iterate
	yv := make([]float64, n)    // extrapolated point
	g := make([]float64, n)
	cand := make([]float64, n)
	obj := func(v []float64) float64 {
		f := pr.smooth(v[0], v[1:], nil)
		for _, w := range v[1:] {
			f += pr.lambda * math.Abs(w)
		}
		return f
	}
	L := 1.0 // Lipschitz estimate; standardised columns make ~0.25·p an upper bound
	t := 1.0
	fx := obj(x)
	sol := solution{w: make([]float64, p)}
	for it := 1; it <= maxIter; it++ {
		sol.iterations = it
		fy := pr.smooth(yv[0], yv[1:], g)
		for {
			step := 1 / L
			cand[0] = yv[0] - step*g[0]
			for j := 1; j < n; j++ {
				cand[j] = softThreshold(yv[j]-step*g[j], step*pr.lambda)
			}
			// sufficient decrease of the smooth part
			fc := pr.smooth(cand[0], cand[1:], nil)
			var lin, quad float64
			for j := range cand {
				d := cand[j] - yv[j]
				lin += g[j] * d
				quad += d * d
			}
			if fc <= fy+lin+L/2*quad+1e-12*math.Abs(fy) || L > 1e12 {
				break
			}
			L *= 2
		}
		fc := obj(cand)
		copy(xPrev, x)
		tNext := (1 + math.Sqrt(1+4*t*t)) / 2
		if fc > fx+1e-13*math.Max(1, math.Abs(fx)) {
			if t == 1 {
				// a plain proximal step from x no longer decreases the
				// objective: x is optimal to rounding
				sol.converged = true
				break
			}
			t = 1 // restart: drop the momentum, step from x next time
			copy(yv, x)
			continue
		}
		copy(x, cand)
		fx = fc
		var moved, scale float64
		for j := range x {
			moved = math.Max(moved, math.Abs(x[j]-xPrev[j]))
			scale = math.Max(scale, math.Abs(x[j]))
		}
		beta := (t - 1) / tNext
		for j := range yv {
			yv[j] = x[j] + beta*(x[j]-xPrev[j])
		}
		t = tNext
		L = math.Max(L/1.1, 1e-6) // let the step grow again slowly
		if moved <= tol*math.Max(1, scale) {
			sol.converged = true
			break
		}
	}
	sol.b = x[0]
	copy(sol.w, x[1:])
	return sol
}
