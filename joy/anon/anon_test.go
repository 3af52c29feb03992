package anon

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The reference key file of ../shared/ref/697dc5a/anon_key.md: its bytes
// decrypt to the key 00 01 … 0f, under which 10.0.2.15 anonymizes to
// c21299eb0bafa3ae74383702c97f0c02 (as in the reference records).
func TestKnownKeyAndAddress(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "joy.bin")
	file, _ := hex.DecodeString("c2a966ae0daf85cd331c2e9a6911c031")
	if err := os.WriteFile(path, file, 0o400); err != nil { // read-only works too (QUIRK-49 fixed)
		t.Fatal(err)
	}
	k, created, err := LoadOrCreateKey(path)
	if err != nil || created {
		t.Fatalf("load: created=%v err=%v", created, err)
	}
	a := NewAddresses(k, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	got := string(a.AppendAddr(nil, netip.MustParseAddr("10.0.2.15")))
	if got != `"c21299eb0bafa3ae74383702c97f0c02"` {
		t.Fatalf("anonymized 10.0.2.15 = %s", got)
	}
	if got := string(a.AppendAddr(nil, netip.MustParseAddr("8.8.8.8"))); got != `"8.8.8.8"` {
		t.Fatalf("address outside the subnets printed as %s", got)
	}
}

func TestKeyCreatedAndReused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "joy.bin")
	k1, created, err := LoadOrCreateKey(path)
	if err != nil || !created {
		t.Fatalf("create: created=%v err=%v", created, err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 || st.Size() != 16 {
		t.Fatalf("key file: %v mode %v size %d", err, st.Mode().Perm(), st.Size())
	}
	k2, created, err := LoadOrCreateKey(path)
	if err != nil || created {
		t.Fatalf("reload: created=%v err=%v", created, err)
	}
	addr := netip.MustParseAddr("192.168.1.1")
	p := []netip.Prefix{netip.MustParsePrefix("192.168.0.0/16")}
	a1 := NewAddresses(k1, p).AppendAddr(nil, addr)
	a2 := NewAddresses(k2, p).AppendAddr(nil, addr)
	if !bytes.Equal(a1, a2) || bytes.Contains(a1, []byte("192.168")) {
		t.Fatalf("second run gave %s, first %s", a2, a1)
	}
	if _, _, err := LoadOrCreateKey(filepath.Join(t.TempDir(), "no", "such", "dir", "joy.bin")); err == nil {
		t.Fatal("key in a missing directory: no error")
	}
}

func TestIPv6Anonymized(t *testing.T) {
	var raw [16]byte
	a := NewAddresses(NewKey(raw), []netip.Prefix{netip.MustParsePrefix("2001:db8::/32")})
	got := a.AppendAddr(nil, netip.MustParseAddr("2001:db8::1"))
	if len(got) != 34 || bytes.Contains(got, []byte(":")) {
		t.Fatalf("IPv6 anonymized as %s", got)
	}
	if got := string(a.AppendAddr(nil, netip.MustParseAddr("2001:db9::1"))); got != `"2001:db9::1"` {
		t.Fatalf("outside address printed as %s", got)
	}
}

func TestParseSubnets(t *testing.T) {
	in := "# comment\n\n   10.0.0.0/8   # trailing\n172.16.0.0/12\n\t2001:db8::/32\n"
	got, err := ParseSubnets(strings.NewReader(in), true)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "172.16.0.0/12", "2001:db8::/32"}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	for _, bad := range []struct{ text, line string }{
		{"10.0.0.0/33\n", "line 1"},
		{"# x\n2001:db8::/129\n", "line 2"},
		{"10.0.0.0/8\nnot-a-subnet\n", "line 2"},
		{"10.1.2.3\n", "line 1"}, // the anonymization file needs /len
		{strings.Repeat("1", 10<<20) + "\n", "line 1"},
	} {
		_, err := ParseSubnets(strings.NewReader(bad.text), true)
		if err == nil || !strings.Contains(err.Error(), bad.line) {
			t.Errorf("%.40q: err = %v, want one naming %s", bad.text, err, bad.line)
		}
	}
	// Labels accept a bare address as a /32.
	got, err = ParseSubnets(strings.NewReader("10.1.2.3\n"), false)
	if err != nil || got[0].String() != "10.1.2.3/32" {
		t.Fatalf("bare address: %v %v", got, err)
	}
}
