// Package sleuth queries Joy flow records (JSON lines): it filters them
// with a --where expression, projects keys, groups them, counts distinct
// values and sums numbers. It is the Go counterpart of the original's
// Python "sleuth" tool and the engine of "joy sleuth".
//
//	q := sleuth.Query{Where: "dp = 443", GroupBy: []string{"sa"}, Dist: true}
//	err := sleuth.Run(q, os.Stdout, os.Stdin, "flows.json.gz")
//
// Output is one JSON object per line, so it composes with jq:
//
//   - plain: every matching record (or, with Select, the selected keys of
//     it; a record holding none of them is left out), in input order;
//   - Dist: one line per distinct value (the selected keys, or the whole
//     record) with "count" (how many records had it) and "total" (how many
//     records were counted; a record holding none of the selected keys is
//     not), largest count first;
//   - GroupBy: records are split by the value of the group keys (missing
//     keys are null); without Dist or Sum one line per group with the group
//     keys and "count"; with Dist the distinct values are counted within each
//     group (the group keys are part of every line and "total" is the
//     group's size); groups come largest first;
//   - Sum: the sum of the numbers each Sum key reaches (see Expr for how a
//     key reaches several values, e.g. packets.b), per group or over all
//     records, with "count".
//
// Nested keys (tls.s_version) are written nested: {"tls":{"s_version":2}}.
// Ties in every ordering go to the value seen first, so output is
// deterministic. Joy's configuration record is skipped.
package sleuth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Query describes one sleuth run.
type Query struct {
	Where   string   // filter expression (see Expr); "" keeps every record
	Select  []string // keys to keep; nil keeps whole records
	GroupBy []string // keys to group by
	Dist    bool     // count distinct values
	Sum     []string // keys whose numbers are summed
	Pretty  bool     // indent the output objects
}

// UsageError is a Query that cannot run (apart from --where syntax, which
// is a *SyntaxError).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// RecordError is an input line that is not a JSON object.
type RecordError struct {
	Source string
	Line   int
	Err    error
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("%s:%d: not a JSON record: %v", e.Source, e.Line, e.Err)
}

func (e *RecordError) Unwrap() error { return e.Err }

// SplitKeys splits a comma-separated key list ("sa, da,dp"), dropping empty
// entries.
func SplitKeys(s string) []string {
	var out []string
	for _, k := range strings.Split(s, ",") {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// Runner runs a Query over records handed to Add, writing to w. Plain
// queries write as they go; aggregating ones (GroupBy, Dist, Sum) write on
// Close.
type Runner struct {
	q      Query
	w      io.Writer
	where  *Expr
	sel    *tmpl // nil: whole records
	grp    *tmpl // group keys, filled
	dist   *tmpl // what Dist counts (group keys + selection); nil: whole record
	sums   []Path
	groups map[string]*group
	order  []*group
	buf    bytes.Buffer

	Records int // records read
	Matched int // records that satisfied Where
}

type group struct {
	key   any // *oobj of the group keys, nil without GroupBy
	first int
	count int
	sums  []sum
	dist  map[string]*distVal
	dvals []*distVal
}

type distVal struct {
	enc   []byte
	v     any
	count int
	first int
}

type sum struct {
	i       int64
	f       float64
	isFloat bool
	seen    bool
}

func (s *sum) add(n json.Number) {
	s.seen = true
	if !s.isFloat {
		if v, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			r := s.i + v
			if (v > 0 && r < s.i) || (v < 0 && r > s.i) { // overflow
				s.isFloat, s.f = true, float64(s.i)+float64(v)
			} else {
				s.i = r
			}
			return
		}
		s.isFloat, s.f = true, float64(s.i)
	}
	if f, err := strconv.ParseFloat(string(n), 64); err == nil {
		s.f += f
	}
}

func (s *sum) json() json.RawMessage {
	if !s.isFloat {
		return json.RawMessage(strconv.FormatInt(s.i, 10))
	}
	if math.IsInf(s.f, 0) || math.IsNaN(s.f) {
		return json.RawMessage("null")
	}
	return json.RawMessage(strconv.FormatFloat(s.f, 'g', -1, 64))
}

// NewRunner checks and compiles q. Errors are *SyntaxError (Where) or
// *UsageError.
func NewRunner(q Query, w io.Writer) (*Runner, error) {
	r := &Runner{q: q, w: w, groups: map[string]*group{}}
	var err error
	if r.where, err = Compile(q.Where); err != nil {
		return nil, err
	}
	if q.Dist && len(q.Sum) > 0 {
		return nil, &UsageError{"--dist and --sum cannot be used together"}
	}
	paths := func(opt string, keys []string) ([]Path, error) {
		var ps []Path
		for _, k := range keys {
			p, err := ParsePath(k)
			if err != nil {
				return nil, &UsageError{fmt.Sprintf("%s: %v", opt, err)}
			}
			ps = append(ps, p)
		}
		return ps, nil
	}
	sel, err := paths("--select", q.Select)
	if err != nil {
		return nil, err
	}
	grp, err := paths("--groupby", q.GroupBy)
	if err != nil {
		return nil, err
	}
	if r.sums, err = paths("--sum", q.Sum); err != nil {
		return nil, err
	}
	if len(sel) > 0 {
		r.sel = newTmpl()
		for _, p := range sel {
			r.sel.add(p, false)
		}
	}
	if len(grp) > 0 {
		r.grp = newTmpl()
		for _, p := range grp {
			r.grp.add(p, true)
		}
	}
	if len(grp) > 0 || len(sel) > 0 {
		r.dist = newTmpl()
		for _, p := range grp {
			r.dist.add(p, true)
		}
		for _, p := range sel {
			r.dist.add(p, false)
		}
	}
	return r, nil
}

func (r *Runner) aggregating() bool {
	return r.q.Dist || len(r.q.Sum) > 0 || r.grp != nil
}

// Add processes one record (one JSON line). Joy's configuration record is
// skipped. A line that is not a JSON object gives a *RecordError (with
// Source and Line left for the caller to fill) and is otherwise ignored.
func (r *Runner) Add(rec []byte) error {
	v, err := Decode(rec)
	if err == nil {
		if _, ok := v.(map[string]any); !ok {
			err = fmt.Errorf("not an object")
		}
	}
	if err != nil {
		return &RecordError{Err: err}
	}
	if IsConfig(v) {
		return nil
	}
	r.Records++
	if !r.where.Match(v) {
		return nil
	}
	r.Matched++
	raw := json.RawMessage(rec)
	if !r.aggregating() {
		if r.sel == nil {
			return r.emit(raw)
		}
		if out, ok := project(raw, r.sel); ok {
			return r.emit(out)
		}
		return nil
	}

	var gkey any
	gk := ""
	if r.grp != nil {
		gkey, _ = project(raw, r.grp)
		var b bytes.Buffer
		encode(&b, gkey)
		gk = b.String()
	}
	g := r.groups[gk]
	if g == nil {
		g = &group{key: gkey, first: len(r.order), dist: map[string]*distVal{}, sums: make([]sum, len(r.sums))}
		r.groups[gk] = g
		r.order = append(r.order, g)
	}
	g.count++
	for i, p := range r.sums {
		for _, x := range p.Values(v) {
			if n, ok := x.(json.Number); ok {
				g.sums[i].add(n)
			}
		}
	}
	if r.q.Dist {
		var dv any = raw
		if r.dist != nil {
			var ok bool
			if dv, ok = project(raw, r.dist); !ok {
				g.count-- // nothing selected: not counted
				return nil
			}
		}
		var b bytes.Buffer
		encode(&b, dv)
		k := b.String()
		d := g.dist[k]
		if d == nil {
			d = &distVal{enc: b.Bytes(), v: dv, first: len(g.dvals)}
			g.dist[k] = d
			g.dvals = append(g.dvals, d)
		}
		d.count++
	}
	return nil
}

// Close writes the result of an aggregating query. It does nothing for a
// plain one.
func (r *Runner) Close() error {
	if !r.aggregating() {
		return nil
	}
	groups := append([]*group(nil), r.order...)
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].count > groups[j].count })
	if r.grp == nil && len(groups) == 0 && len(r.sums) > 0 {
		groups = []*group{{sums: make([]sum, len(r.sums))}}
	}
	total := 0
	for _, g := range groups {
		total += g.count
	}
	for _, g := range groups {
		switch {
		case r.q.Dist:
			if g.count == 0 {
				continue
			}
			vals := append([]*distVal(nil), g.dvals...)
			sort.SliceStable(vals, func(i, j int) bool { return vals[i].count > vals[j].count })
			gt := g.count
			if r.grp == nil {
				gt = total
			}
			for _, d := range vals {
				var o *oobj
				if x, ok := d.v.(*oobj); ok {
					o = x.clone()
				} else {
					// a whole record: keep its text and append the counts
					b := bytes.TrimSuffix(bytes.TrimSpace(d.enc), []byte("}"))
					line := append(append([]byte(nil), b...), fmt.Sprintf(`,"count":%d,"total":%d}`, d.count, gt)...)
					if bytes.Equal(bytes.TrimSpace(b), []byte("{")) {
						line = []byte(fmt.Sprintf(`{"count":%d,"total":%d}`, d.count, gt))
					}
					if err := r.emit(json.RawMessage(line)); err != nil {
						return err
					}
					continue
				}
				o.add("count", json.RawMessage(strconv.Itoa(d.count)))
				o.add("total", json.RawMessage(strconv.Itoa(gt)))
				if err := r.emit(o); err != nil {
					return err
				}
			}
		default:
			o := &oobj{}
			if x, ok := g.key.(*oobj); ok {
				o = x.clone()
			}
			for i, p := range r.sums {
				o.set(p, g.sums[i].json())
			}
			o.add("count", json.RawMessage(strconv.Itoa(g.count)))
			if err := r.emit(o); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *Runner) emit(v any) error {
	r.buf.Reset()
	if raw, ok := v.(json.RawMessage); ok && !r.q.Pretty {
		r.buf.Write(raw)
	} else {
		var c bytes.Buffer
		encode(&c, v)
		if r.q.Pretty {
			if err := json.Indent(&r.buf, c.Bytes(), "", "  "); err != nil {
				r.buf.Reset()
				r.buf.Write(c.Bytes())
			}
		} else {
			r.buf.Write(c.Bytes())
		}
	}
	r.buf.WriteByte('\n')
	_, err := r.w.Write(r.buf.Bytes())
	return err
}

// Stats reports what Run read.
type Stats struct {
	Records  int          // flow records read (the configuration record excluded)
	Matched  int          // records that satisfied Where
	BadLines int          // lines that were not JSON objects
	FirstBad *RecordError // the first of them
}

// Run runs q over the named inputs (files, directories, .gz files, "-" for
// stdin; none: stdin) and writes the result to w. Lines that are not JSON
// objects are counted in Stats and skipped. The error is a *SyntaxError or
// *UsageError for a bad query, or an input or output error.
func Run(q Query, w io.Writer, stdin io.Reader, names ...string) (Stats, error) {
	var st Stats
	r, err := NewRunner(q, w)
	if err != nil {
		return st, err
	}
	err = ForEach(names, stdin, func(l Line) error {
		err := r.Add(l.Data)
		if re, ok := err.(*RecordError); ok {
			re.Source, re.Line = l.Source, l.Num
			st.BadLines++
			if st.FirstBad == nil {
				st.FirstBad = re
			}
			return nil
		}
		return err
	})
	st.Records, st.Matched = r.Records, r.Matched
	if err != nil {
		return st, err
	}
	return st, r.Close()
}
