package pcapbpf

import (
	"strings"
	"testing"

	"golang.org/x/net/bpf"
)

func TestCompile(t *testing.T) {
	// "ip" on Ethernet: load the EtherType, compare with 0x0800, accept or reject.
	got, err := Compile(1, DefaultSnaplen, "ip")
	if err != nil {
		t.Fatal(err)
	}
	want := []bpf.RawInstruction{
		{Op: 0x28, K: 12},
		{Op: 0x15, Jt: 0, Jf: 1, K: 0x800},
		{Op: 0x6, K: DefaultSnaplen},
		{Op: 0x6, K: 0},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("instruction %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	// Linux cooked v2 (276) does not fit an 8-bit link type.
	if _, err := Compile(276, DefaultSnaplen, "tcp port 443"); err != nil {
		t.Errorf("SLL2: %v", err)
	}
}

func TestCompileError(t *testing.T) {
	_, err := Compile(1, DefaultSnaplen, "tcp prot 80")
	if err == nil || !strings.Contains(err.Error(), "syntax error") {
		t.Errorf("want libpcap's syntax error, got %v", err)
	}
}
