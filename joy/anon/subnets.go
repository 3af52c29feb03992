package anon

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/gojoy/libjoy/joy/jsonw"
)

// maxLine bounds one line of a subnet or user-name file.
const maxLine = 64 << 10

// ParseSubnets reads subnets, one per line: text after '#' is a comment,
// blank lines are skipped, and the first word of a line is "a.b.c.d/len"
// (or an IPv6 prefix "x::/len"). requirePrefix makes a missing "/len" an
// error (the anonymization file); otherwise it means a single address
// (the label file). Errors name the line.
func ParseSubnets(r io.Reader, requirePrefix bool) ([]netip.Prefix, error) {
	var out []netip.Prefix
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxLine)
	line := 0
	for sc.Scan() {
		line++
		text, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(text)
		if len(fields) == 0 {
			continue
		}
		p, err := ParseSubnet(fields[0], requirePrefix)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	return out, nil
}

// ParseSubnet parses "a.b.c.d/len" or an IPv6 prefix. Without "/len" the
// address is a single host, unless requirePrefix is set.
func ParseSubnet(s string, requirePrefix bool) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		if requirePrefix {
			return netip.Prefix{}, fmt.Errorf("subnet %q has no /length", s)
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("cannot parse subnet %q", s)
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("cannot parse subnet %q (want a.b.c.d/len with len 0-32, or an IPv6 prefix with len 0-128)", s)
	}
	if p.Addr().Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("subnet %q has a zone", s)
	}
	return p.Masked(), nil
}

// Addresses anonymizes addresses inside a set of subnets.
type Addresses struct {
	key     *Key
	subnets []netip.Prefix
}

// NewAddresses returns an anonymizer for the given subnets.
func NewAddresses(key *Key, subnets []netip.Prefix) *Addresses {
	return &Addresses{key: key, subnets: subnets}
}

// Subnets returns the configured subnets.
func (a *Addresses) Subnets() []netip.Prefix { return a.subnets }

// Add appends subnets to the set (the original's set is cumulative).
func (a *Addresses) Add(p []netip.Prefix) { a.subnets = append(a.subnets, p...) }

// Contains reports whether addr falls into a configured subnet.
func (a *Addresses) Contains(addr netip.Addr) bool {
	if a == nil {
		return false
	}
	for _, p := range a.subnets {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// AppendAddr appends addr as a quoted JSON string: anonymized (32 hex
// digits) when it falls into a configured subnet, plain text otherwise.
// An IPv4 address is encrypted as its 4 bytes followed by 12 zero bytes,
// as the original does; an IPv6 address as its 16 bytes.
func (a *Addresses) AppendAddr(b []byte, addr netip.Addr) []byte {
	b = append(b, '"')
	b = a.AppendText(b, addr)
	return append(b, '"')
}

// AppendText is AppendAddr without the quotes.
func (a *Addresses) AppendText(b []byte, addr netip.Addr) []byte {
	if a.Contains(addr) {
		var block [16]byte
		if addr.Is4() {
			v4 := addr.As4()
			copy(block[:], v4[:])
		} else {
			block = addr.As16()
		}
		enc := a.key.encrypt(block)
		b = jsonw.Hex(b, enc[:])
		return b
	}
	return addr.AppendTo(b)
}
