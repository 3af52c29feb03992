// Package label attaches names to subnets and finds, for an address, the
// names of every subnet that contains it (printed as "sa_labels" and
// "da_labels"). Lookups cost one map probe per distinct prefix length in
// use, so they stay fast with hundreds of thousands of subnets.
package label

import (
	"errors"
	"net/netip"
	"sort"

	"github.com/gojoy/libjoy/joy/jsonw"
)

// Set is a set of labels by index, as a bitset.
type Set []uint64

func (s Set) has(i int) bool { return i/64 < len(s) && s[i/64]&(1<<(i%64)) != 0 }

func (s *Set) add(i int) {
	for len(*s) <= i/64 {
		*s = append(*s, 0)
	}
	(*s)[i/64] |= 1 << (i % 64)
}

func (s *Set) or(o Set) {
	for i, w := range o {
		for len(*s) <= i {
			*s = append(*s, 0)
		}
		(*s)[i] |= w
	}
}

type byLength struct {
	bits  int
	exact map[netip.Prefix]Set
}

// Labels maps subnets to label names.
type Labels struct {
	names []string
	index map[string]int
	v4    []byLength // sorted by prefix length, longest first
	v6    []byLength
}

// New returns an empty label table.
func New() *Labels { return &Labels{index: map[string]int{}} }

// Clone returns a copy that can be changed without affecting l.
func (l *Labels) Clone() *Labels {
	c := &Labels{names: append([]string(nil), l.names...), index: map[string]int{}}
	for k, v := range l.index {
		c.index[k] = v
	}
	clone := func(tab []byLength) []byLength {
		out := make([]byLength, len(tab))
		for i, b := range tab {
			out[i] = byLength{bits: b.bits, exact: make(map[netip.Prefix]Set, len(b.exact))}
			for p, s := range b.exact {
				out[i].exact[p] = append(Set(nil), s...)
			}
		}
		return out
	}
	c.v4, c.v6 = clone(l.v4), clone(l.v6)
	return c
}

// Names returns the label names in registration order.
func (l *Labels) Names() []string { return l.names }

// Add labels every subnet in subnets with name. The name is registered on
// first use; labels print in registration order.
func (l *Labels) Add(name string, subnets []netip.Prefix) error {
	if name == "" {
		return errors.New("empty label")
	}
	i, ok := l.index[name]
	if !ok {
		i = len(l.names)
		l.names = append(l.names, name)
		l.index[name] = i
	}
	for _, p := range subnets {
		p = p.Masked()
		tab := &l.v4
		if !p.Addr().Is4() {
			tab = &l.v6
		}
		l.bucket(tab, p.Bits()).add(p, i)
	}
	return nil
}

func (l *Labels) bucket(tab *[]byLength, bits int) *byLength {
	for k := range *tab {
		if (*tab)[k].bits == bits {
			return &(*tab)[k]
		}
	}
	*tab = append(*tab, byLength{bits: bits, exact: map[netip.Prefix]Set{}})
	sort.Slice(*tab, func(a, b int) bool { return (*tab)[a].bits > (*tab)[b].bits })
	for k := range *tab {
		if (*tab)[k].bits == bits {
			return &(*tab)[k]
		}
	}
	panic("unreachable")
}

func (b *byLength) add(p netip.Prefix, i int) {
	s := b.exact[p]
	s.add(i)
	b.exact[p] = s
}

// Lookup returns the labels of every subnet containing addr (nil if none).
// scratch is reused for the result.
func (l *Labels) Lookup(addr netip.Addr, scratch Set) Set {
	if l == nil {
		return nil
	}
	tab := l.v4
	if !addr.Is4() {
		tab = l.v6
	}
	out := scratch[:0]
	found := false
	for k := range tab {
		p, err := addr.Prefix(tab[k].bits)
		if err != nil {
			continue
		}
		if s, ok := tab[k].exact[p]; ok {
			out.or(s)
			found = true
		}
	}
	if !found {
		return nil
	}
	return out
}

// AppendJSON appends `"key": [ "A" , "B" ],` in the original's spacing for
// the labels in s, or nothing when s is empty.
func (l *Labels) AppendJSON(b []byte, key string, s Set) []byte {
	first := true
	for i, name := range l.names {
		if !s.has(i) {
			continue
		}
		if first {
			b = append(b, '"')
			b = append(b, key...)
			b = append(b, `": [ `...)
			first = false
		} else {
			b = append(b, ", "...)
		}
		b = jsonw.String(b, name)
		b = append(b, ' ')
	}
	if !first {
		b = append(b, "],"...)
	}
	return b
}
