package train

import (
	"fmt"
	"io"

	"github.com/gojoy/libjoy/joy/sleuth"
)

// LoadStats counts what Load read.
type LoadStats struct {
	Records  int    // flow records read
	Filtered int    // left out by the where expression
	Bad      int    // lines that are not flow records
	FirstBad string // where the first of them is, and why
}

// Load reads examples from Joy JSON-lines inputs: files, directories of
// them, gzip files (.gz) or "-" for stdin (see sleuth.ForEach). Joy's
// configuration record is skipped; so is every record where does not
// match, when where is not nil. Lines that are not flow records are
// counted in the stats, not fatal.
func Load(names []string, stdin io.Reader, where *sleuth.Expr) ([]Example, LoadStats, error) {
	var st LoadStats
	var out []Example
	err := sleuth.ForEach(names, stdin, func(l sleuth.Line) error {
		bad := func(err error) {
			st.Bad++
			if st.FirstBad == "" {
				st.FirstBad = fmt.Sprintf("%s:%d: %v", l.Source, l.Num, err)
			}
		}
		if where != nil {
			ok, err := where.MatchJSON(l.Data)
			if err != nil {
				bad(err)
				return nil
			}
			if !ok {
				st.Filtered++
				return nil
			}
		}
		e, err := FromRecord(l.Data)
		if err != nil {
			bad(err)
			return nil
		}
		e.Source = fmt.Sprintf("%s:%d", l.Source, l.Num)
		st.Records++
		out = append(out, e)
		return nil
	})
	return out, st, err
}
