package registry

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gojoy/libjoy/joy/config"
)

// The bits of the registry are the C header's: the header is the ABI the
// guide's programs compile against, the registry is what the library does
// with each bit.
func TestBitsMatchHeader(t *testing.T) {
	h, err := os.ReadFile(filepath.Join("..", "..", "include", "joy_api.h"))
	if err != nil {
		t.Fatal(err)
	}
	header := map[string]string{ // header macro → registry name
		"JOY_BIDIR_ON": "bidir", "JOY_DNS_ON": "dns", "JOY_SSH_ON": "ssh", "JOY_TLS_ON": "tls",
		"JOY_DHCP_ON": "dhcp", "JOY_HTTP_ON": "http", "JOY_IKE_ON": "ike", "JOY_PAYLOAD_ON": "payload",
		"JOY_EXE_ON": "exe", "JOY_ZERO_ON": "zeros", "JOY_RETRANS_ON": "retrans", "JOY_BYTE_DIST_ON": "dist",
		"JOY_ENTROPY_ON": "entropy", "JOY_CLASSIFY_ON": "classify", "JOY_HEADER_ON": "hd",
		"JOY_PREMPTIVE_TMO_ON": "preemptive_timeout", "JOY_IPFIX_EXPORT_ON": "ipfix_export",
	}
	seen := 0
	for _, m := range regexp.MustCompile(`#define (JOY_\w+_ON) (0x[0-9a-fA-F]+)`).FindAllStringSubmatch(string(h), -1) {
		name, ok := header[m[1]]
		if !ok {
			t.Errorf("header bit %s has no registry entry", m[1])
			continue
		}
		bit, _ := strconv.ParseUint(m[2], 0, 32)
		e := Lookup(name)
		if e == nil || uint64(e.Bit) != bit {
			t.Errorf("%s = %s in the header; registry entry %q: %+v", m[1], m[2], name, e)
		}
		seen++
	}
	if seen != len(header) {
		t.Errorf("found %d of %d bits in the header", seen, len(header))
	}
}

// Every entry's name is unique, every module's Kind carries the entry's
// name (its JSON member), and Get returns what Set stored.
func TestEntries(t *testing.T) {
	names := map[string]bool{}
	for _, list := range [][]Entry{Features, Modules} {
		for i := range list {
			e := &list[i]
			if names[e.Name] {
				t.Errorf("%q listed twice", e.Name)
			}
			names[e.Name] = true
			if e.Module != nil && e.Module.Name != e.Name {
				t.Errorf("entry %q has module %q", e.Name, e.Module.Name)
			}
			if e.Help == "" {
				t.Errorf("%q has no help", e.Name)
			}
			var c config.Config
			e.Set(&c, 7)
			want := uint(1)
			if e.Value == Number {
				want = 7
			}
			if got := e.Get(&c); got != want {
				t.Errorf("%q: Set 7, Get %d, want %d", e.Name, got, want)
			}
		}
	}
}

// An entry without a Config field keeps its value in Settings and appears
// in the configuration record only when on.
func TestSettingsOfNewEntries(t *testing.T) {
	e := Entry{Name: "quic", Help: "x"}
	var c config.Config
	if e.Get(&c) != 0 {
		t.Fatal("unset entry is on")
	}
	e.Set(&c, 1)
	if c.Settings["quic"] != 1 || e.Get(&c) != 1 {
		t.Fatalf("Settings = %v", c.Settings)
	}
}

func TestEnabledModulesInPrintOrder(t *testing.T) {
	c := config.Config{TLS: true, DNS: true, PPI: true, Payload: 3}
	var got []string
	for _, k := range EnabledModules(&c) {
		got = append(got, k.Name)
	}
	want := []string{"dns", "tls", "payload", "ppi"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestOptions(t *testing.T) {
	opts := Options()
	byName := map[string]Option{}
	for _, o := range opts {
		byName[o.Name] = o
	}
	// Every entry is an option, the ones added later too.
	for _, list := range [][]Entry{Features, Modules} {
		for _, e := range list {
			if _, ok := byName[e.Name]; !ok {
				t.Errorf("option %q missing", e.Name)
			}
		}
	}
	set := func(name, value string) (*config.Config, error) {
		var c config.Config
		o := byName[name]
		v, err := o.Check(value)
		if err == nil {
			o.Set(&c, v)
		}
		return &c, err
	}
	if c, err := set("dns", "1"); err != nil || !c.DNS {
		t.Errorf("dns=1: %v, DNS=%v", err, c.DNS)
	}
	if c, err := set("hd", "16"); err != nil || c.HD != 16 {
		t.Errorf("hd=16: %v, HD=%d", err, c.HD)
	}
	if c, err := set("quic", "1"); err != nil || c.Settings["quic"] != 1 {
		t.Errorf("quic=1: %v, Settings=%v", err, c.Settings)
	}
	for _, bad := range [][2]string{{"tls", "yes"}, {"tls", "2"}, {"payload", "5"}, {"hd", "33"}, {"hd", "-1"}} {
		if _, err := set(bad[0], bad[1]); err == nil {
			t.Errorf("%s=%s accepted", bad[0], bad[1])
		} else if want := bad[0] + "=" + bad[1] + ": " + bad[0] + " must be"; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s=%s: %q, want it to start with %q", bad[0], bad[1], err, want)
		}
	}
}
