package record

import (
	"strconv"
	"unsafe"

	"github.com/gojoy/libjoy/joy/jsonw"
)

// Filler is the Encoder that fills a Flow from the walk of a record, the
// row ParseJSON would make of the record's JSON text, without the text
// being printed and scanned: the core members go to their typed columns
// (the ip member's included) and each ragged member (tcp, tls, ...) is
// printed by a JSON encoder into its column's text.
//
// The strings and optional values of the rows a Filler fills live in its
// own storage: they stay valid until Reset, which the owner calls once the
// rows have been handed on (parquet-go copies them). In steady state it
// does not allocate.
type Filler struct {
	f     *Flow
	depth int  // 0 outside the record, 1 at its members, more inside one
	mode  byte // what the open member at depth 1 is
	name  string
	start int // where the open ragged member's text starts in arena

	json  JSON   // prints ragged members into arena
	arena []byte // the text of strings
	other []byte // members without a column, `,"k":v...`
	num   []byte // scratch for Float

	pb   []int32
	dir  []byte
	pipt []int64
	ints []int64
	pkt  struct {
		b, ipt int64
		d      byte
	}

	// The ip direction being walked: where its TTL and ids go (nil: not
	// a direction), and, while its "id" list is walked value by value,
	// where the ids start in i32s.
	ipTTL   **int32
	ipIDs   *[]int32
	inIDs   bool
	idStart int

	strs []string
	i32  []int32
	i32s []int32 // the elements of int32 lists (IP ids)
	i64  []int64
	f64  []float64
}

const (
	modeText = iota + 1
	modePackets
	modeInts
	modeIP
)

// NewFiller returns a Filler with room for a batch of rows.
func NewFiller() *Filler {
	return &Filler{
		arena: make([]byte, 0, 256<<10),
		strs:  make([]string, 0, 4096),
		i32:   make([]int32, 0, 1024),
		i32s:  make([]int32, 0, 32<<10),
		i64:   make([]int64, 0, 2048),
		f64:   make([]float64, 0, 1024),
	}
}

// Reset lets the storage of the rows filled so far be reused: call it only
// when nothing refers to them any more.
func (e *Filler) Reset() {
	e.arena, e.strs, e.i32, e.i64, e.f64 = e.arena[:0], e.strs[:0], e.i32[:0], e.i64[:0], e.f64[:0]
	e.i32s = e.i32s[:0]
}

// Start makes the next record walked fill f (its lists' capacity is
// reused).
func (e *Filler) Start(f *Flow) {
	e.pb, e.pipt = f.PacketsB[:0], f.PacketsIPT[:0]
	bd, cbd := f.ByteDist[:0], f.CompactByteDist[:0]
	*f = Flow{ByteDist: bd, CompactByteDist: cbd} // not yet present: see finish
	e.f, e.depth, e.mode = f, 0, 0
	e.dir, e.other = e.dir[:0], e.other[:0]
}

func (e *Filler) str(p []byte) string {
	if len(p) == 0 {
		return ""
	}
	return unsafe.String(&p[0], len(p))
}

// keep copies p into the arena and returns it as a string.
func (e *Filler) keep(p []byte) string {
	n := len(e.arena)
	e.arena = append(e.arena, p...)
	return e.str(e.arena[n:])
}

func (e *Filler) strp(s string) *string {
	e.strs = append(e.strs, s)
	return &e.strs[len(e.strs)-1]
}

func (e *Filler) i32p(v int32) *int32 {
	e.i32 = append(e.i32, v)
	return &e.i32[len(e.i32)-1]
}

func (e *Filler) i64p(v int64) *int64 {
	e.i64 = append(e.i64, v)
	return &e.i64[len(e.i64)-1]
}

func (e *Filler) f64p(v float64) *float64 {
	e.f64 = append(e.f64, v)
	return &e.f64[len(e.f64)-1]
}

// member stores the JSON text v of the top-level member name: its text
// column, or "other".
func (e *Filler) member(name string, v []byte) {
	if p := e.f.textMember(name); p != nil {
		*p = e.strp(e.str(v))
		return
	}
	e.other = append(e.other, ',')
	e.other = jsonw.Key(e.other, name)
	e.other = append(e.other, v...)
}

// text begins a ragged member (or the text of a scalar without a column):
// the walk goes on into e.json.
func (e *Filler) text(name string) *JSON {
	e.mode, e.name = modeText, name
	e.start = len(e.arena)
	e.json.Reset(e.arena)
	return &e.json
}

// textDone ends a ragged member whose walk has come back to depth 1.
func (e *Filler) textDone() {
	e.arena = e.json.B
	e.mode = 0
	e.member(e.name, e.arena[e.start:])
}

// inText reports whether the walk is inside a ragged member, whose calls
// go to e.json.
func (e *Filler) inText() bool { return e.depth > 1 && e.mode == modeText }

func (e *Filler) num64(name string, v int64) {
	f := e.f
	switch name {
	case "pr":
		f.PR = int32(v)
	case "sp":
		f.SP = e.i32p(int32(v))
	case "dp":
		f.DP = e.i32p(int32(v))
	case "bytes_out":
		f.BytesOut = v
	case "num_pkts_out":
		f.NumPktsOut = v
	case "bytes_in":
		f.BytesIn = e.i64p(v)
	case "num_pkts_in":
		f.NumPktsIn = e.i64p(v)
	case "idp_len_out":
		f.IDPLenOut = e.i64p(v)
	case "idp_len_in":
		f.IDPLenIn = e.i64p(v)
	default:
		e.text(name).Int("", v)
		e.textDone()
	}
}

// inner handles a number inside a list or object of the core (packets,
// byte distributions, ip).
func (e *Filler) innerNum(name string, v int64) {
	switch e.mode {
	case modeIP:
		switch {
		case e.depth == 4 && e.inIDs:
			e.i32s = append(e.i32s, int32(v))
		case e.depth == 3 && name == "ttl" && e.ipTTL != nil:
			*e.ipTTL = e.i32p(int32(v))
		}
	case modeInts:
		e.ints = append(e.ints, v)
	case modePackets:
		switch name {
		case "b":
			e.pkt.b = v
		case "rep":
			e.pkt.b = -v
		case "ipt":
			e.pkt.ipt = v
		}
	}
}

// Uint16s implements ListEncoder: a direction's IP ids go straight to
// their column.
func (e *Filler) Uint16s(name string, v []uint16) bool {
	if e.mode != modeIP || e.depth != 3 || name != "id" || e.ipTTL == nil {
		return false
	}
	start := len(e.i32s)
	for _, n := range v {
		e.i32s = append(e.i32s, int32(n))
	}
	*e.ipIDs = e.idsFrom(start)
	return true
}

// Packet implements ListEncoder: the entry goes straight to the packet
// columns.
func (e *Filler) Packet(n uint64, rep bool, dir byte, ipt uint64) bool {
	if e.mode != modePackets || e.depth != 2 {
		return false
	}
	b := int32(n)
	if rep {
		b = -b
	}
	e.pb = append(e.pb, b)
	e.dir = append(e.dir, dir)
	e.pipt = append(e.pipt, int64(ipt))
	return true
}

// Object implements Encoder.
func (e *Filler) Object(name string) {
	e.begin(name, '{')
}

// List implements Encoder.
func (e *Filler) List(name string) {
	e.begin(name, '[')
}

func (e *Filler) begin(name string, c byte) {
	e.depth++
	switch {
	case e.depth == 1:
		return
	case e.depth == 2:
		switch {
		case c == '[' && name == "packets":
			e.mode = modePackets
			return
		case c == '{' && name == "ip":
			e.mode = modeIP
			return
		case c == '[' && (name == "byte_dist" || name == "compact_byte_dist"):
			e.mode, e.name = modeInts, name
			e.ints = e.ints[:0]
			if name == "byte_dist" {
				e.ints = e.f.ByteDist[:0]
			} else {
				e.ints = e.f.CompactByteDist[:0]
			}
			return
		}
		e.text(name)
		name = ""
	case e.mode == modePackets:
		e.pkt.b, e.pkt.ipt, e.pkt.d = 0, 0, 0
		return
	case e.mode == modeIP:
		e.ipBegin(name)
		return
	case e.mode != modeText:
		return
	}
	if c == '{' {
		e.json.Object(name)
	} else {
		e.json.List(name)
	}
}

// End implements Encoder.
func (e *Filler) End() {
	e.depth--
	switch {
	case e.depth == 0:
		e.finish()
	case e.mode == modeText:
		e.json.End()
		if e.depth == 1 {
			e.textDone()
		}
	case e.mode == modePackets && e.depth == 2:
		e.pb = append(e.pb, int32(e.pkt.b))
		e.dir = append(e.dir, e.pkt.d)
		e.pipt = append(e.pipt, e.pkt.ipt)
	case e.mode == modeIP && e.depth == 3 && e.inIDs:
		*e.ipIDs = e.idsFrom(e.idStart)
		e.inIDs = false
	case e.mode == modeInts && e.depth == 1:
		if e.name == "byte_dist" {
			e.f.ByteDist = e.ints
		} else {
			e.f.CompactByteDist = e.ints
		}
		e.mode = 0
	case e.depth == 1:
		e.mode = 0
	}
}

// ipBegin follows the walk into the ip member (emitIP's shape): a
// direction's object at depth 3, its id list at depth 4.
func (e *Filler) ipBegin(name string) {
	switch {
	case e.depth == 3 && name == "out":
		e.ipTTL, e.ipIDs, e.inIDs = &e.f.IPOutTTL, &e.f.IPOutID, false
	case e.depth == 3 && name == "in":
		e.ipTTL, e.ipIDs, e.inIDs = &e.f.IPInTTL, &e.f.IPInID, false
	case e.depth == 3:
		e.ipTTL, e.ipIDs, e.inIDs = nil, nil, false
	case e.depth == 4 && name == "id" && e.ipTTL != nil:
		e.inIDs, e.idStart = true, len(e.i32s)
	}
}

// idsFrom is the id list appended to i32s since start, capped so that
// later appends do not write into it.
func (e *Filler) idsFrom(start int) []int32 {
	return e.i32s[start:len(e.i32s):len(e.i32s)]
}

// finish completes the row when the walk leaves the record: a
// distribution not walked is absent (nil).
func (e *Filler) finish() {
	f := e.f
	if e.pb == nil {
		e.pb, e.pipt = []int32{}, []int64{}
	}
	f.PacketsB, f.PacketsIPT = e.pb, e.pipt
	f.PacketsDir = e.keep(e.dir)
	if !e.had(f.ByteDist) {
		f.ByteDist = nil
	}
	if !e.had(f.CompactByteDist) {
		f.CompactByteDist = nil
	}
	if len(e.other) > 0 {
		n := len(e.arena)
		e.arena = append(e.arena, '{')
		e.arena = append(e.arena, e.other[1:]...)
		e.arena = append(e.arena, '}')
		f.Other = e.strp(e.str(e.arena[n:]))
	}
}

// had reports whether a distribution list was walked: Start leaves the
// reused slice empty, the walk fills it (a printed distribution is never
// empty: 256 or 16 counts).
func (e *Filler) had(l []int64) bool { return len(l) > 0 }

// Null implements Encoder.
func (e *Filler) Null(name string) {
	switch {
	case e.inText():
		e.json.Null(name)
	case e.depth == 1 && (name == "sp" || name == "dp"):
	case e.depth == 1:
		e.text(name).Null("")
		e.textDone()
	}
}

// Uint implements Encoder.
func (e *Filler) Uint(name string, v uint64) {
	switch {
	case e.inText():
		e.json.Uint(name, v)
	case e.depth == 1:
		if v > 1<<63-1 {
			e.text(name).Uint("", v)
			e.textDone()
			return
		}
		e.num64(name, int64(v))
	default:
		e.innerNum(name, int64(v))
	}
}

// Int implements Encoder.
func (e *Filler) Int(name string, v int64) {
	switch {
	case e.inText():
		e.json.Int(name, v)
	case e.depth == 1:
		e.num64(name, v)
	default:
		e.innerNum(name, v)
	}
}

// Float implements Encoder: the column holds the value of the printed
// digits, as ParseJSON reads them.
func (e *Filler) Float(name string, v float64, format byte, prec int) {
	if e.inText() {
		e.json.Float(name, v, format, prec)
		return
	}
	if e.depth != 1 {
		return
	}
	var p **float64
	switch name {
	case "byte_dist_mean":
		p = &e.f.ByteDistMean
	case "byte_dist_std":
		p = &e.f.ByteDistStd
	case "entropy":
		p = &e.f.Entropy
	case "total_entropy":
		p = &e.f.TotalEntropy
	case "p_malware":
		p = &e.f.PMalware
	default:
		e.text(name).Float("", v, format, prec)
		e.textDone()
		return
	}
	e.num = strconv.AppendFloat(e.num[:0], v, format, prec, 64)
	x, err := strconv.ParseFloat(e.str(e.num), 64)
	if err != nil {
		x = v
	}
	*p = e.f64p(x)
}

// Time implements Encoder.
func (e *Filler) Time(name string, us int64) {
	switch {
	case e.inText():
		e.json.Time(name, us)
	case e.depth == 1 && name == "time_start":
		e.f.TimeStart = us
	case e.depth == 1 && name == "time_end":
		e.f.TimeEnd = us
	case e.depth == 1:
		e.text(name).Time("", us)
		e.textDone()
	}
}

// String implements Encoder.
func (e *Filler) String(name string, s string) {
	switch {
	case e.inText():
		e.json.String(name, s)
	case e.depth == 1:
		e.topString(name, s)
	case e.mode == modePackets && name == "dir" && len(s) == 1:
		e.pkt.d = s[0]
	}
}

// Text implements Encoder.
func (e *Filler) Text(name string, p []byte) {
	switch {
	case e.inText():
		e.json.Text(name, p)
	case e.depth == 1:
		e.topString(name, e.keep(p))
	case e.mode == modePackets && name == "dir" && len(p) == 1:
		e.pkt.d = p[0]
	}
}

func (e *Filler) topString(name, s string) {
	switch name {
	case "sa":
		e.f.SA = s
	case "da":
		e.f.DA = s
	case "expire_type":
		e.f.ExpireType = e.strp(s)
	case "idp_out":
		e.f.IDPOut = e.strp(s)
	case "idp_in":
		e.f.IDPIn = e.strp(s)
	default:
		e.text(name).String("", s)
		e.textDone()
	}
}

// Hex implements Encoder.
func (e *Filler) Hex(name string, p []byte) {
	switch {
	case e.inText():
		e.json.Hex(name, p)
	case e.depth == 1:
		n := len(e.arena)
		e.arena = jsonw.Hex(e.arena, p)
		e.topString(name, e.str(e.arena[n:]))
	}
}

// Raw implements Encoder.
func (e *Filler) Raw(name string, value []byte) {
	switch {
	case e.inText():
		e.json.Raw(name, value)
	case e.depth == 1:
		n := len(e.arena)
		e.arena = append(e.arena, value...)
		e.member(name, e.arena[n:])
	}
}

// Members implements Encoder.
func (e *Filler) Members(text []byte) {
	switch {
	case e.inText():
		e.json.Members(text)
	case e.depth == 1 && len(text) > 0:
		if text[0] == ',' {
			text = text[1:]
		}
		n := len(e.arena)
		e.arena = append(e.arena, '{')
		e.arena = append(e.arena, text...)
		e.arena = append(e.arena, '}')
		_ = Members(e.arena[n:], func(key string, v []byte) error {
			e.member(key, v)
			return nil
		})
	}
}
