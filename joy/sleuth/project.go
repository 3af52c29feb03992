package sleuth

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// tmpl is the tree of key paths to copy out of a record, in the order they
// were given.
type tmpl struct {
	order []string
	kids  map[string]*tmpl
	leaf  bool // the value is copied whole
	fill  bool // a missing value is written as null (group keys)
}

func newTmpl() *tmpl { return &tmpl{kids: map[string]*tmpl{}} }

// add puts path p into the tree. A path that is a prefix of another wins:
// its whole value is copied.
func (t *tmpl) add(p Path, fill bool) {
	if fill {
		t.fill = true
	}
	if t.leaf {
		return
	}
	if len(p) == 0 {
		t.leaf = true
		t.order, t.kids = nil, map[string]*tmpl{}
		return
	}
	k := t.kids[p[0]]
	if k == nil {
		k = newTmpl()
		t.kids[p[0]] = k
		t.order = append(t.order, p[0])
	}
	k.add(p[1:], fill)
}

// missing is what a filled template writes for an absent value.
func (t *tmpl) missing() any {
	if t.leaf {
		return json.RawMessage("null")
	}
	o := &oobj{}
	for _, name := range t.order {
		if k := t.kids[name]; k.fill {
			o.add(name, k.missing())
		}
	}
	return o
}

// oobj is a JSON object that keeps the order of its members. Values are
// json.RawMessage or *oobj.
type oobj struct {
	keys []string
	vals []any
}

func (o *oobj) add(k string, v any) {
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
}

// set stores raw at path p, creating or reusing nested objects.
func (o *oobj) set(p Path, v any) {
	for i, k := range o.keys {
		if k != p[0] {
			continue
		}
		if len(p) == 1 {
			o.vals[i] = v
			return
		}
		if sub, ok := o.vals[i].(*oobj); ok {
			sub.set(p[1:], v)
			return
		}
		sub := &oobj{}
		sub.set(p[1:], v)
		o.vals[i] = sub
		return
	}
	if len(p) == 1 {
		o.add(p[0], v)
		return
	}
	sub := &oobj{}
	sub.set(p[1:], v)
	o.add(p[0], sub)
}

func (o *oobj) clone() *oobj {
	c := &oobj{keys: append([]string(nil), o.keys...), vals: make([]any, len(o.vals))}
	for i, v := range o.vals {
		if sub, ok := v.(*oobj); ok {
			c.vals[i] = sub.clone()
		} else {
			c.vals[i] = v
		}
	}
	return c
}

// encode appends the compact JSON of v (json.RawMessage or *oobj).
func encode(dst *bytes.Buffer, v any) {
	switch x := v.(type) {
	case *oobj:
		dst.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				dst.WriteByte(',')
			}
			dst.WriteString(strconv.Quote(k))
			dst.WriteByte(':')
			encode(dst, x.vals[i])
		}
		dst.WriteByte('}')
	case json.RawMessage:
		if err := json.Compact(dst, x); err != nil {
			dst.Write(x)
		}
	}
}

func firstByte(raw []byte) byte {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return c
	}
	return 0
}

// project copies the parts of raw that t names. ok is false when nothing
// was selected (filled templates always select something).
func project(raw json.RawMessage, t *tmpl) (out any, ok bool) {
	if t.leaf {
		return raw, true
	}
	switch firstByte(raw) {
	case '{':
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			break
		}
		o := &oobj{}
		for _, name := range t.order {
			k := t.kids[name]
			if v, present := m[name]; present {
				if r, ok := project(v, k); ok {
					o.add(name, r)
					continue
				}
			}
			if k.fill {
				o.add(name, k.missing())
			}
		}
		return o, len(o.keys) > 0
	case '[':
		var a []json.RawMessage
		if json.Unmarshal(raw, &a) != nil {
			break
		}
		var buf bytes.Buffer
		buf.WriteByte('[')
		n := 0
		for _, e := range a {
			r, ok := project(e, t)
			if !ok {
				continue
			}
			if n > 0 {
				buf.WriteByte(',')
			}
			encode(&buf, r)
			n++
		}
		buf.WriteByte(']')
		if n == 0 && !t.fill {
			return nil, false
		}
		return json.RawMessage(buf.Bytes()), true
	}
	if t.fill {
		return t.missing(), true
	}
	return nil, false
}
