package record

import (
	"encoding/binary"
	"strconv"

	"github.com/gojoy/libjoy/joy/jsonw"
)

// Enc is the encoder a walk is written against: Joy's JSON, written
// directly (one static call per value, nothing escapes), or any other
// Encoder it is pointed at (Use). Printing JSON is the common case of
// every record; an interface call per member and value cost a tenth of the
// default JSON path.
type Enc struct {
	JSON   JSON
	other  Encoder
	lists  ListEncoder // other, when it takes long lists whole
	hexBuf [8]byte     // HexUint's bytes
}

// Reset makes e print JSON to b, outside any object.
func (e *Enc) Reset(b []byte) {
	e.other = nil
	e.JSON.Reset(b)
}

// ResetMembers makes e print JSON to b inside an object that has members
// already (the first member gets a leading comma).
func (e *Enc) ResetMembers(b []byte) {
	e.other = nil
	e.JSON.ResetMembers(b)
}

// Use makes e pass the walk to other (nil: back to JSON).
func (e *Enc) Use(other Encoder) {
	e.other = other
	e.lists, _ = other.(ListEncoder)
}

// ListEncoder is an Encoder that takes the record's long lists in fewer
// calls: an entry of the packet list in one (Packet) instead of as an
// object of three members, and a list of small numbers (the IP ids) whole
// (Uint16s). Those lists are most of a record, and a typed row needs no
// walk of them. Each returns false when it does not take the value where
// the walk is: the value is then walked as objects, lists and numbers.
type ListEncoder interface {
	Encoder
	Packet(n uint64, rep bool, dir byte, ipt uint64) bool
	Uint16s(name string, v []uint16) bool
}

// Uint16s is the list member name of the numbers v.
func (e *Enc) Uint16s(name string, v []uint16) {
	if e.lists != nil && e.lists.Uint16s(name, v) {
		return
	}
	e.List(name)
	for _, n := range v {
		e.Uint("", uint64(n))
	}
	e.End()
}

// Packet is an entry of the packet list: the object {"b":n,"dir":dir,
// "ipt":ipt}, or {"rep":n,...} when rep (a run-length entry).
func (e *Enc) Packet(n uint64, rep bool, dir byte, ipt uint64) {
	if e.lists != nil && e.lists.Packet(n, rep, dir, ipt) {
		return
	}
	e.Object("")
	if rep {
		e.Uint("rep", n)
	} else {
		e.Uint("b", n)
	}
	e.String("dir", OneChar(dir))
	e.Uint("ipt", ipt)
	e.End()
}

// OneChar is c as a string, without allocating, for the one-letter values
// (expire_type, packet directions).
func OneChar(c byte) string {
	switch c {
	case 'a':
		return "a"
	case 'i':
		return "i"
	case 'm':
		return "m"
	case '<':
		return "<"
	case '>':
		return ">"
	}
	return string(rune(c))
}

// Object implements Encoder.
func (e *Enc) Object(name string) {
	if e.other != nil {
		e.other.Object(name)
		return
	}
	j := &e.JSON
	j.key(name)
	j.B = append(j.B, '{')
	j.push(false)
}

// List implements Encoder.
func (e *Enc) List(name string) {
	if e.other != nil {
		e.other.List(name)
		return
	}
	j := &e.JSON
	j.key(name)
	j.B = append(j.B, '[')
	j.push(true)
}

// End implements Encoder.
func (e *Enc) End() {
	if e.other != nil {
		e.other.End()
		return
	}
	e.JSON.End()
}

// Null implements Encoder.
func (e *Enc) Null(name string) {
	if e.other != nil {
		e.other.Null(name)
		return
	}
	e.JSON.Null(name)
}

// Uint implements Encoder.
func (e *Enc) Uint(name string, v uint64) {
	if e.other != nil {
		e.other.Uint(name, v)
		return
	}
	j := &e.JSON
	j.key(name)
	j.B = strconv.AppendUint(j.B, v, 10)
}

// Int implements Encoder.
func (e *Enc) Int(name string, v int64) {
	if e.other != nil {
		e.other.Int(name, v)
		return
	}
	j := &e.JSON
	j.key(name)
	j.B = strconv.AppendInt(j.B, v, 10)
}

// Float implements Encoder.
func (e *Enc) Float(name string, v float64, format byte, prec int) {
	if e.other != nil {
		e.other.Float(name, v, format, prec)
		return
	}
	j := &e.JSON
	j.key(name)
	j.B = strconv.AppendFloat(j.B, v, format, prec, 64)
}

// Time implements Encoder.
func (e *Enc) Time(name string, us int64) {
	if e.other != nil {
		e.other.Time(name, us)
		return
	}
	j := &e.JSON
	j.key(name)
	j.B = jsonw.Time(j.B, us)
}

// String implements Encoder.
func (e *Enc) String(name string, s string) {
	if e.other != nil {
		e.other.String(name, s)
		return
	}
	j := &e.JSON
	j.key(name)
	j.B = jsonw.String(j.B, s)
}

// Text implements Encoder.
func (e *Enc) Text(name string, p []byte) {
	if e.other != nil {
		e.other.Text(name, p)
		return
	}
	e.JSON.Text(name, p)
}

// Hex implements Encoder.
func (e *Enc) Hex(name string, p []byte) {
	if e.other != nil {
		e.other.Hex(name, p)
		return
	}
	j := &e.JSON
	j.key(name)
	j.B = append(j.B, '"')
	j.B = jsonw.Hex(j.B, p)
	j.B = append(j.B, '"')
}

// Raw implements Encoder.
func (e *Enc) Raw(name string, value []byte) {
	if e.other != nil {
		e.other.Raw(name, value)
		return
	}
	e.JSON.Raw(name, value)
}

// Members implements Encoder.
func (e *Enc) Members(text []byte) {
	if e.other != nil {
		e.other.Members(text)
		return
	}
	e.JSON.Members(text)
}

// True is Raw of the JSON literal true, for flags a member prints only
// when set.
func (e *Enc) True(name string) { e.Raw(name, trueJSON) }

var trueJSON = []byte("true")

// HexUint is Hex of the n low bytes of v, big-endian (n at most 8): a
// cipher suite or version as its hex digits, without the caller making
// the bytes (which an interface call would move to the heap).
func (e *Enc) HexUint(name string, v uint64, n int) {
	binary.BigEndian.PutUint64(e.hexBuf[:], v)
	e.Hex(name, e.hexBuf[8-min(max(n, 0), 8):])
}
