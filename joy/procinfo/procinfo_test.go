package procinfo

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// A connection of this very process is found, with this executable.
func TestOwnConnection(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads Linux's /proc")
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	local := netip.MustParseAddrPort(c.LocalAddr().String())
	remote := netip.MustParseAddrPort(c.RemoteAddr().String())
	p := New().Lookup(remote, local) // either direction
	if p == nil {
		t.Fatal("own connection not found")
	}
	exe, _ := os.Executable()
	exe, _ = filepath.EvalSymlinks(exe)
	if p.Path != exe || len(p.Hash) != 64 || p.Name == "" {
		t.Fatalf("got %+v, want path %s", p, exe)
	}
	if New().Lookup(netip.MustParseAddrPort("192.0.2.1:1"), netip.MustParseAddrPort("192.0.2.2:2")) != nil {
		t.Fatal("a connection that does not exist was found")
	}
}

func TestParseHexAddr(t *testing.T) {
	for in, want := range map[string]string{
		"0100007F:1F90":                         "127.0.0.1:8080",
		"00000000000000000000000001000000:0050": "[::1]:80",
		"0000000000000000FFFF00000100007F:0016": "127.0.0.1:22",
	} {
		got, ok := parseHexAddr(in)
		if !ok || got.String() != want {
			t.Errorf("%s: got %v %v, want %s", in, got, ok, want)
		}
	}
}
