package plot

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/gojoy/libjoy/joy/sleuth"
)

// Usage is the help text of "joy plot".
const Usage = `usage: joy plot [--index N] [--where EXPR] [-o FILE.svg] [FILE|DIR|- ...]

Draw one flow record as SVG: payload lengths against time (out side up, in
side down) and the byte distribution. The flow is the N-th record (from 0)
among those matching --where (every record without it). Records are read
as joy sleuth reads them (.gz, directories, "-" or no FILE: stdin).

  --index N      which matching record (default 0, the first)
  --where EXPR   select records (joy sleuth's --where syntax)
  -o FILE        write the SVG to FILE (default: standard output)
  --x time|index x axis: time since the flow's start (default) or packet index
  --width N      image width in pixels (default 960)
  --title TEXT   replace the title
`

// ErrNoRecord is returned by Find when no record matches.
var ErrNoRecord = errors.New("no matching flow record")

// Find returns the index-th flow record (from 0) among those of the named
// inputs that match where (every one when where is nil), with its source
// (file:line).
func Find(names []string, stdin io.Reader, where *sleuth.Expr, index int) (rec []byte, source string, err error) {
	seen := 0
	err = sleuth.ForEach(names, stdin, func(l sleuth.Line) error {
		if where != nil {
			ok, err := where.MatchJSON(l.Data)
			if err != nil || !ok {
				return nil
			}
		}
		if seen == index {
			rec = append([]byte(nil), l.Data...)
			source = fmt.Sprintf("%s:%d", l.Source, l.Num)
			return sleuth.ErrStop
		}
		seen++
		return nil
	})
	if err == nil && rec == nil {
		err = fmt.Errorf("%w: %d records matched, index %d asked for", ErrNoRecord, seen, index)
	}
	return rec, source, err
}

// Main runs "joy plot" with args (the words after "plot") and returns the
// exit status: 0 done, 1 no such record or an input or output error, 2 bad
// usage.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("joy plot", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o Options
	var where, out string
	var index int
	fs.IntVar(&index, "index", 0, "")
	fs.StringVar(&where, "where", "", "")
	fs.StringVar(&out, "o", "", "")
	fs.StringVar(&o.XAxis, "x", "time", "")
	fs.IntVar(&o.Width, "width", 0, "")
	fs.StringVar(&o.Title, "title", "", "")
	files, err := sleuth.ParseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, Usage)
		return 0
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "joy plot: "+format+" (joy plot -h for help)\n", a...)
		return 2
	}
	if err != nil {
		return usage("%v", err)
	}
	if o.XAxis != "time" && o.XAxis != "index" {
		return usage("--x must be time or index, not %q", o.XAxis)
	}
	if index < 0 {
		return usage("--index must not be negative")
	}
	var expr *sleuth.Expr
	if where != "" {
		if expr, err = sleuth.Compile(where); err != nil {
			return usage("%v", err)
		}
	}
	rec, src, err := Find(files, stdin, expr, index)
	if err != nil {
		fmt.Fprintf(stderr, "joy plot: %v\n", err)
		return 1
	}
	f, err := Parse(rec)
	if err != nil {
		fmt.Fprintf(stderr, "joy plot: %s: %v\n", src, err)
		return 1
	}
	w := stdout
	var file *os.File
	if out != "" && out != "-" {
		if file, err = os.Create(out); err != nil {
			fmt.Fprintf(stderr, "joy plot: %v\n", err)
			return 1
		}
		w = file
	}
	err = f.Write(w, o)
	if file != nil {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "joy plot: %v\n", err)
		return 1
	}
	if file != nil {
		fmt.Fprintf(stderr, "joy plot: %s → %s\n", src, out)
	}
	return 0
}
