package record

import (
	"strconv"

	"github.com/gojoy/libjoy/joy/jsonw"
)

// Encoder is what a flow record is emitted through: the flow printer walks
// the record's core members, and each module its own member, as a tree of
// named values. Joy's JSON text is one Encoder (JSON); the typed row of
// the tabular formats is another (Filler), so a Parquet or CSV row is
// filled from the same walk instead of from the JSON text.
//
// name is the member's key; values inside a list have the name "". A
// member is emitted in the record's order; the encoder places the commas.
type Encoder interface {
	// Object begins an object member; List begins a list; End ends the
	// innermost one.
	Object(name string)
	List(name string)
	End()
	Null(name string)
	Uint(name string, v uint64)
	Int(name string, v int64)
	// Float prints v as strconv.AppendFloat(v, format, prec) does (the
	// record's number formats: 'f' with 6 digits for C's %f, 'g' with 5
	// for %.5g); a typed encoder keeps the value those digits say.
	Float(name string, v float64, format byte, prec int)
	// Time is a µs timestamp, printed as the record's "seconds.micros".
	Time(name string, us int64)
	// String is a string, JSON-escaped when printed; Text the same from
	// bytes.
	String(name string, s string)
	Text(name string, p []byte)
	// Hex is p as a string of lowercase hex digits.
	Hex(name string, p []byte)
	// Raw is a member whose value is the JSON text value.
	Raw(name string, value []byte)
	// Members is zero or more whole members as JSON text, each with its
	// leading comma (`,"a":1,"b":{...}`): the transitional escape of a
	// module that still appends JSON text.
	Members(text []byte)
}

// JSON is the Encoder of Joy's JSON text: B receives the record, byte for
// byte as the original prints it. A JSON is reused from record to record
// without allocating.
type JSON struct {
	B     []byte
	comma bool   // the innermost container has a member already
	lists uint64 // one bit per open container, innermost lowest: 1 a list
	depth int
	deep  []bool // the bits of containers beyond 64 levels
}

// Reset makes e write to b, outside any object.
func (e *JSON) Reset(b []byte) {
	e.B, e.comma, e.lists, e.depth, e.deep = b, false, 0, 0, e.deep[:0]
}

// ResetMembers makes e write to b inside an object that has members
// already: the first member gets a leading comma (the form modules
// appended their members in).
func (e *JSON) ResetMembers(b []byte) {
	e.Reset(b)
	e.comma = true
}

func (e *JSON) key(name string) {
	b := e.B
	switch {
	case name == "":
		if e.comma {
			b = append(b, ',')
		}
	case e.comma:
		b = append(b, ',', '"')
		b = append(b, name...)
		b = append(b, '"', ':')
	default:
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, '"', ':')
	}
	e.comma = true
	e.B = b
}

func (e *JSON) push(list bool) {
	if e.depth >= 64 {
		e.deep = append(e.deep, e.lists>>63 != 0)
	}
	e.depth++
	e.lists <<= 1
	if list {
		e.lists |= 1
	}
	e.comma = false
}

// Object implements Encoder.
func (e *JSON) Object(name string) {
	e.key(name)
	e.B = append(e.B, '{')
	e.push(false)
}

// List implements Encoder.
func (e *JSON) List(name string) {
	e.key(name)
	e.B = append(e.B, '[')
	e.push(true)
}

// End implements Encoder.
func (e *JSON) End() {
	c := byte('}')
	if e.lists&1 != 0 {
		c = ']'
	}
	e.B = append(e.B, c)
	e.lists >>= 1
	e.depth--
	if e.depth >= 64 {
		n := len(e.deep) - 1
		if e.deep[n] {
			e.lists |= 1 << 63
		}
		e.deep = e.deep[:n]
	}
	e.comma = true
}

// Null implements Encoder.
func (e *JSON) Null(name string) {
	e.key(name)
	e.B = append(e.B, "null"...)
}

// Uint implements Encoder.
func (e *JSON) Uint(name string, v uint64) {
	e.key(name)
	e.B = strconv.AppendUint(e.B, v, 10)
}

// Int implements Encoder.
func (e *JSON) Int(name string, v int64) {
	e.key(name)
	e.B = strconv.AppendInt(e.B, v, 10)
}

// Float implements Encoder.
func (e *JSON) Float(name string, v float64, format byte, prec int) {
	e.key(name)
	e.B = strconv.AppendFloat(e.B, v, format, prec, 64)
}

// Time implements Encoder.
func (e *JSON) Time(name string, us int64) {
	e.key(name)
	e.B = jsonw.Time(e.B, us)
}

// String implements Encoder.
func (e *JSON) String(name string, s string) {
	e.key(name)
	e.B = jsonw.String(e.B, s)
}

// Text implements Encoder.
func (e *JSON) Text(name string, p []byte) {
	e.key(name)
	e.B = append(e.B, '"')
	e.B = jsonw.Escaped(e.B, p)
	e.B = append(e.B, '"')
}

// Hex implements Encoder.
func (e *JSON) Hex(name string, p []byte) {
	e.key(name)
	e.B = append(e.B, '"')
	e.B = jsonw.Hex(e.B, p)
	e.B = append(e.B, '"')
}

// Raw implements Encoder.
func (e *JSON) Raw(name string, value []byte) {
	e.key(name)
	e.B = append(e.B, value...)
}

// Members implements Encoder.
func (e *JSON) Members(text []byte) {
	if len(text) == 0 {
		return
	}
	if !e.comma && text[0] == ',' {
		text = text[1:]
	}
	e.B = append(e.B, text...)
	e.comma = true
}
