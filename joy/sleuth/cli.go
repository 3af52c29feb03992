package sleuth

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Usage is the help text of "joy sleuth".
const Usage = `usage: joy sleuth [options] [FILE|DIR|- ...]

Query Joy flow records (JSON lines; FILE.gz is read through gzip, FILE.parquet
as joy writes it, a DIR is every file below it, no FILE or "-" is standard
input). The configuration record is skipped. Output is JSON lines (use jq
for more).

  --where EXPR     keep records satisfying EXPR, e.g.
                     'dp = 443 and (sa = "10.0.0.1" or bytes_out > 1000)'
                   operators = != < <= > >=, and, or, not, parentheses;
                   keys may be nested (tls.s_version) and reach into arrays
                   (packets.b > 1400: any packet); a key alone tests presence;
                   literals: numbers, 'strings', "strings", true, false, null,
                   and unquoted words (10.0.0.1) as strings
  --select K1,K2   print only these keys (nested keys are printed nested)
  --groupby K1,K2  one line per distinct value of the keys, with "count"
  --dist           count distinct values (of --select keys, or whole
                   records), per group with --groupby: adds "count", "total"
  --sum K1,K2      sum the numbers of these keys (per group with --groupby)
  --pretty         indent the output

exit status: 0 done, 1 an input could not be read or held non-JSON lines,
2 bad options or expression
`

// Main runs "joy sleuth" with args (the words after "sleuth") and returns
// the exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("joy sleuth", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var q Query
	var sel, grp, sum string
	fs.StringVar(&q.Where, "where", "", "")
	fs.StringVar(&sel, "select", "", "")
	fs.StringVar(&grp, "groupby", "", "")
	fs.StringVar(&sum, "sum", "", "")
	fs.BoolVar(&q.Dist, "dist", false, "")
	fs.BoolVar(&q.Pretty, "pretty", false, "")
	files, err := ParseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, Usage)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "joy sleuth: %v (joy sleuth -h for help)\n", err)
		return 2
	}
	q.Select, q.GroupBy, q.Sum = SplitKeys(sel), SplitKeys(grp), SplitKeys(sum)
	st, err := Run(q, stdout, stdin, files...)
	var se *SyntaxError
	var ue *UsageError
	switch {
	case errors.As(err, &se), errors.As(err, &ue):
		fmt.Fprintf(stderr, "joy sleuth: %v\n", err)
		return 2
	case err != nil:
		fmt.Fprintf(stderr, "joy sleuth: %v\n", err)
		return 1
	}
	if st.BadLines > 0 {
		fmt.Fprintf(stderr, "joy sleuth: skipped %d lines that are not JSON records (first: %v)\n", st.BadLines, st.FirstBad)
		return 1
	}
	return 0
}

// ParseInterleaved parses flags that may come before, between or after the
// positional arguments (which it returns); "--" ends the flags.
func ParseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
