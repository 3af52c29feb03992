package train

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gojoy/libjoy/joy/classify"
	"github.com/gojoy/libjoy/joy/sleuth"
)

// Usage is the help text of "joy train".
const Usage = `usage: joy train -p POS -n NEG [-m] [-l] [-t] [-d] [-o FILE] [options]

Fit the flow classifier's logistic-regression parameters to your records
(JSON lines as joy writes them; files, directories, .gz) and write
parameter files for "joy classify=1 model=SPLT:BD".

  -p PATH       positive examples (p_malware 1); repeatable
  -n PATH       negative examples; repeatable
  -m            metadata features: ports, packets, bytes, duration
  -l            Markov chain of the packet lengths
  -t            Markov chain of the inter-arrival times
  -d            byte distribution: also train the BD model (records made with
                dist=1); used by classify when dist=1 and a flow carries more
                than 100 payload bytes
  -o FILE       SPLT parameter file, written when -m, -l or -t is given
                (208 values; default params.txt)
  -obd FILE     BD parameter file, written with -d (464 values; default: the
                -o name with "_bd" before its extension, e.g. params_bd.txt)
  -lambda X     L1 penalty on the standardised weights (default 0.01; 0: none);
                larger values give fewer non-zero weights
  -folds K      k-fold cross-validation, flows kept whole (default 5; 1: none)
  -seed N       seed of the fold assignment (default 1)
  -balance      weight both classes equally
  -where EXPR   use only records matching EXPR (joy sleuth's --where syntax)
  -maxiter N    solver iteration limit (default 20000)

Prints the examples used, the non-zero weights, training accuracy and the
cross-validated accuracy, precision, recall and AUC of each model.
`

type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error {
	*m = append(*m, v)
	return nil
}

// Main runs "joy train" with args (the words after "train") and returns
// the exit status: 0 done, 1 the data or a file failed, 2 bad usage.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("joy train", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var pos, neg multiFlag
	var meta, lens, times, dist, balance bool
	var out, outBD, where string
	var lambda float64
	var folds, maxIter int
	var seed uint64
	fs.Var(&pos, "p", "")
	fs.Var(&neg, "n", "")
	fs.BoolVar(&meta, "m", false, "")
	fs.BoolVar(&lens, "l", false, "")
	fs.BoolVar(&times, "t", false, "")
	fs.BoolVar(&dist, "d", false, "")
	fs.BoolVar(&balance, "balance", false, "")
	fs.StringVar(&out, "o", "params.txt", "")
	fs.StringVar(&outBD, "obd", "", "")
	fs.StringVar(&where, "where", "", "")
	fs.Float64Var(&lambda, "lambda", DefaultLambda, "")
	fs.IntVar(&folds, "folds", DefaultFolds, "")
	fs.IntVar(&maxIter, "maxiter", DefaultMaxIter, "")
	fs.Uint64Var(&seed, "seed", 1, "")
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "joy train: "+format+" (joy train -h for help)\n", a...)
		return 2
	}
	rest, err := sleuth.ParseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, Usage)
		return 0
	}
	if err != nil {
		return usage("%v", err)
	}
	if len(rest) > 0 {
		return usage("unexpected argument %q: give inputs with -p and -n", rest[0])
	}
	if len(pos) == 0 || len(neg) == 0 {
		return usage("need positive (-p) and negative (-n) examples")
	}
	var g Groups
	for _, x := range []struct {
		on bool
		g  Groups
	}{{meta, Meta}, {lens, Lengths}, {times, Times}, {dist, Dist}} {
		if x.on {
			g |= x.g
		}
	}
	if g == 0 {
		return usage("choose the features to learn on (-m, -l, -t, -d)")
	}
	if lambda < 0 {
		return usage("-lambda must not be negative")
	}
	if lambda == 0 {
		lambda = -1 // no penalty
	}
	if folds < 1 {
		folds = 1
	}
	var expr *sleuth.Expr
	if where != "" {
		if expr, err = sleuth.Compile(where); err != nil {
			return usage("-where: %v", err)
		}
	}
	if outBD == "" {
		ext := filepath.Ext(out)
		outBD = strings.TrimSuffix(out, ext) + "_bd" + ext
	}

	load := func(what string, names []string) ([]Example, bool) {
		es, st, err := Load(names, stdin, expr)
		if err != nil {
			fmt.Fprintf(stderr, "joy train: %s examples: %v\n", what, err)
			return nil, false
		}
		if st.Bad > 0 {
			fmt.Fprintf(stderr, "joy train: %s examples: skipped %d lines that are not flow records (first: %s)\n", what, st.Bad, st.FirstBad)
		}
		if expr != nil {
			fmt.Fprintf(stdout, "%s: %d records (%d left out by -where)\n", what, st.Records, st.Filtered)
		}
		return es, true
	}
	pe, ok := load("positive", pos)
	if !ok {
		return 1
	}
	ne, ok := load("negative", neg)
	if !ok {
		return 1
	}
	m, rep, err := Train(pe, ne, Options{Groups: g, Lambda: lambda, Folds: folds, Seed: seed, Balance: balance, MaxIter: maxIter})
	if err != nil {
		fmt.Fprintf(stderr, "joy train: %v\n", err)
		return 1
	}
	if err := rep.Write(stdout); err != nil {
		fmt.Fprintf(stderr, "joy train: %v\n", err)
		return 1
	}
	if rep.SPLT != nil {
		if err := writeFile(out, m.SPLT[:]); err != nil {
			fmt.Fprintf(stderr, "joy train: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "wrote %s (%d SPLT parameters)\n", out, classify.NumSPLT)
	}
	if rep.BD != nil {
		if err := writeFile(outBD, m.BD[:]); err != nil {
			fmt.Fprintf(stderr, "joy train: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "wrote %s (%d BD parameters)\n", outBD, classify.NumBD)
	}
	switch {
	case rep.SPLT != nil && rep.BD != nil:
		fmt.Fprintf(stdout, "deploy: joy bidir=1 dist=1 classify=1 model=%s:%s CAPTURE\n", out, outBD)
	case rep.SPLT != nil:
		fmt.Fprintf(stdout, "deploy: joy bidir=1 classify=1 model=%s CAPTURE\n", out)
	default:
		fmt.Fprintf(stdout, "deploy: joy bidir=1 dist=1 classify=1 model=:%s CAPTURE\n", outBD)
	}
	return 0
}

// WriteParamFile writes weights to a new file at path (see WriteParams).
func WriteParamFile(path string, weights []float32) error { return writeFile(path, weights) }

func writeFile(path string, weights []float32) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	if err := WriteParams(bw, weights); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
