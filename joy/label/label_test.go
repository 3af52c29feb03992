package label

import (
	"fmt"
	"net/netip"
	"testing"
)

func prefixes(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, x := range s {
		out = append(out, netip.MustParsePrefix(x))
	}
	return out
}

func TestLookupAndFormat(t *testing.T) {
	l := New()
	if err := l.Add("lab", prefixes("10.0.0.0/8")); err != nil {
		t.Fatal(err)
	}
	if err := l.Add("dmz", prefixes("10.1.0.0/16", "2001:db8::/32")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ addr, want string }{
		{"10.1.2.3", `"sa_labels": [ "lab" , "dmz" ],`},
		{"10.2.0.1", `"sa_labels": [ "lab" ],`},
		{"11.0.0.1", ``},
		{"2001:db8::5", `"sa_labels": [ "dmz" ],`},
	} {
		got := string(l.AppendJSON(nil, "sa_labels", l.Lookup(netip.MustParseAddr(tc.addr), nil)))
		if got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.addr, got, tc.want)
		}
	}
	if err := l.Add("", prefixes("1.0.0.0/8")); err == nil {
		t.Error("empty label accepted")
	}
}

// Every label whose subnet contains the address applies, whatever the
// order of insertion (the original's trie widened or narrowed ranges
// depending on it, QUIRK-51).
func TestNestedSubnetsAnyOrder(t *testing.T) {
	a, b := New(), New()
	_ = a.Add("wide", prefixes("10.0.0.0/8"))
	_ = a.Add("narrow", prefixes("10.1.2.0/24"))
	_ = b.Add("narrow", prefixes("10.1.2.0/24"))
	_ = b.Add("wide", prefixes("10.0.0.0/8"))
	for _, tc := range []struct {
		addr  string
		count int
	}{{"10.1.2.9", 2}, {"10.1.3.9", 1}, {"10.200.0.1", 1}} {
		for _, l := range []*Labels{a, b} {
			s := l.Lookup(netip.MustParseAddr(tc.addr), nil)
			n := 0
			for i := range l.Names() {
				if s.has(i) {
					n++
				}
			}
			if n != tc.count {
				t.Errorf("%s: %d labels, want %d", tc.addr, n, tc.count)
			}
		}
	}
}

func TestManyLabels(t *testing.T) {
	l := New()
	for i := 0; i < 100; i++ {
		_ = l.Add(fmt.Sprintf("l%d", i), prefixes(fmt.Sprintf("10.%d.0.0/16", i)))
	}
	s := l.Lookup(netip.MustParseAddr("10.99.1.1"), nil)
	if got := string(l.AppendJSON(nil, "da_labels", s)); got != `"da_labels": [ "l99" ],` {
		t.Fatalf("got %s", got)
	}
}

// 100,000 subnets: a lookup is a handful of map probes.
func BenchmarkLookup100k(b *testing.B) {
	l := New()
	var p []netip.Prefix
	for i := 0; i < 100000; i++ {
		p = append(p, netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(i >> 16), byte(i >> 8), byte(i), 0}), 24+i%9))
	}
	_ = l.Add("big", p)
	addr := netip.MustParseAddr("1.2.3.4")
	var scratch Set
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		scratch = l.Lookup(addr, scratch)
	}
}
