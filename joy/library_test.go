package joy_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gojoy/libjoy/joy"
	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/logx"
	"github.com/gojoy/libjoy/joy/registry"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// Every registry entry is an option by its name, with no code of its own:
// one added later (a fingerprint entry, say) is reachable as it lands.
func TestSetOptionReachesEveryRegistryEntry(t *testing.T) {
	for _, list := range [][]registry.Entry{registry.Features, registry.Modules} {
		for i := range list {
			e := &list[i]
			var cfg joy.Config
			if err := joy.SetOption(&cfg, e.Name, "1"); err != nil {
				t.Errorf("%s=1: %v", e.Name, err)
				continue
			}
			if e.Get(&cfg) != 1 {
				t.Errorf("%s=1 left the entry at %d", e.Name, e.Get(&cfg))
			}
		}
	}
}

func TestSetOptionRefuses(t *testing.T) {
	cases := []struct{ name, value, want string }{
		{"no_such", "1", `unknown option "no_such"`},
		{"wht", "2", "wht=2: wht must be 0 or 1"},
		{"hd", "33", "hd=33: hd must be a whole number from 0 to 32"},
		{"type", "0", "type=0: type must be 1 or 2"},
		{"idp", "1501", "idp must be a whole number from 0 to 1500"},
		{"format", "xml", "format must be one of json, csv, parquet"},
	}
	for _, c := range cases {
		cfg := joy.Config{Type: 1}
		err := joy.SetOption(&cfg, c.name, c.value)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s=%s: %v, want %q", c.name, c.value, err, c.want)
		}
		if cfg.Type != 1 || cfg.HD != 0 || cfg.WHT || cfg.IDP != 0 || cfg.Format != "" {
			t.Errorf("%s=%s changed the configuration: %+v", c.name, c.value, cfg)
		}
	}
	var cfg joy.Config
	if err := joy.SetOption(&cfg, "nope", "1"); !errors.Is(err, joy.ErrUnknownOption) {
		t.Errorf("unknown option: %v is not ErrUnknownOption", err)
	}
}

// Without options, LibraryInit.Config is the guide's joy_initialize: the
// bitmask applied to a fresh configuration. With options, the bits are
// OR'd in and an option wins over joy_init's type and idp.
func TestLibraryInitConfig(t *testing.T) {
	for _, mask := range []uint32{0, config.BidirOn, config.BidirOn | config.TLSOn | config.HTTPOn, 0x1ffff} {
		in := joy.LibraryInit{Type: 1, Verbosity: 4, Bitmask: mask}
		got := in.Config(nil, nil)
		want := &joy.Config{Type: 1, Verbosity: 4}
		registry.ApplyBitmask(want, mask)
		if mask&config.IPFIXExportOn != 0 {
			want.IDP, want.IPFIXHost, want.IPFIXPort = config.DefaultIDP, "127.0.0.1", 4739
		}
		if g, w := registry.AppendConfigJSON(nil, got), registry.AppendConfigJSON(nil, want); !bytes.Equal(g, w) {
			t.Errorf("mask %#x:\ngot  %s\nwant %s", mask, g, w)
		}
		if got.IPFIXHost != want.IPFIXHost || got.IPFIXPort != want.IPFIXPort {
			t.Errorf("mask %#x: IPFIX %s:%d, want %s:%d", mask, got.IPFIXHost, got.IPFIXPort, want.IPFIXHost, want.IPFIXPort)
		}
	}

	var opts joy.Options
	for _, kv := range [][2]string{{"hd", "16"}, {"wht", "1"}, {"type", "2"}, {"idp", "64"}, {"dns", "0"}, {"quic", "1"}} {
		if err := opts.Set(kv[0], kv[1]); err != nil {
			t.Fatalf("%s=%s: %v", kv[0], kv[1], err)
		}
	}
	in := joy.LibraryInit{Type: 1, Verbosity: 4, IDP: 1300, Bitmask: config.HeaderOn | config.DNSOn | config.TLSOn}
	cfg := in.Config(&opts, logx.New(os.Stderr, int(logx.Err)))
	if cfg.HD != 16 || !cfg.WHT || cfg.Type != 2 || cfg.IDP != 64 || !cfg.ReportIDP || !cfg.TLS || cfg.Settings["quic"] != 1 {
		t.Errorf("options with the bitmask: hd %d wht %v type %d idp %d tls %v quic %d", cfg.HD, cfg.WHT, cfg.Type, cfg.IDP, cfg.TLS, cfg.Settings["quic"])
	}
	// dns=0 set before, then the bit: OR'd, so on.
	if !cfg.DNS {
		t.Error("the DNS bit did not turn dns on over dns=0")
	}
	if err := opts.Set("ppi", "1"); !errors.Is(err, joy.ErrReadOnly) {
		t.Errorf("an option after the configuration was made: %v, want ErrReadOnly", err)
	}
	if cfg.PPI {
		t.Error("ppi set after the configuration was made reached it")
	}
}

// The configuration calls build a new configuration: the one in force
// before is unchanged, a failed call leaves the current one, and the
// contexts print with the new one (real records of a real capture).
func TestLibraryConfigurationCallsSwap(t *testing.T) {
	shared := tu.NeedShared(t)
	dir := t.TempDir()
	var out, logs bytes.Buffer
	cfg := (&joy.LibraryInit{Type: 1, Verbosity: 4, Bitmask: config.BidirOn}).Config(nil, nil)
	lib, err := joy.NewLibrary(cfg, 2, &out, -1, logx.New(&logs, int(logx.Err)))
	if err != nil {
		t.Fatal(err)
	}
	first := lib.Config()
	if err := lib.LabelSubnets("lan", false, "192.168.0.0/16"); err != nil {
		t.Fatal(err)
	}
	second := lib.Config()
	if first == second || len(first.Labels) != 0 || first.SubnetLabels != nil {
		t.Errorf("the configuration in force before was changed: labels %v", first.Labels)
	}
	if len(second.Labels) != 1 || second.Labels[0] != "lan" {
		t.Errorf("labels %v, want [lan]", second.Labels)
	}
	bad := filepath.Join(dir, "missing.txt")
	if err := lib.AnonSubnets(bad); err == nil {
		t.Error("a missing subnet file was accepted")
	}
	if lib.Config() != second {
		t.Error("a failed call replaced the configuration")
	}
	if !strings.Contains(logs.String(), "could not initialize anonymization subnets from file "+bad) {
		t.Errorf("no log line for the failed call: %q", logs.String())
	}
	c := lib.Context(0)
	if err := c.ProcessCapture(filepath.Join(shared, "pcaps", "joy-tls12.pcap")); err != nil {
		t.Fatal(err)
	}
	c.PrintFlows(joy.AllFlows)
	if !strings.Contains(out.String(), `"sa_labels": [ "lan" ]`) && !strings.Contains(out.String(), `"da_labels": [ "lan" ]`) {
		t.Errorf("no record carries the label swapped in:\n%.400s", out.String())
	}
	if lib.Context(2) != nil || !strings.Contains(logs.String(), "invalid context (2)") {
		t.Error("context 2 of 2 was not refused")
	}
}

// The guide's limits and defaults that joy.Library applies are the
// header's (the C ABI).
func TestLibraryConstantsMatchHeader(t *testing.T) {
	root, err := tu.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	h, err := os.ReadFile(filepath.Join(root, "include", "joy_api.h"))
	if err != nil {
		t.Fatal(err)
	}
	for macro, want := range map[string]int{
		"MAX_FILENAME_LEN":          joy.MaxFilenameLen,
		"DEFAULT_IPFIX_EXPORT_PORT": joy.DefaultIPFIXPort,
		"DEFAULT_IDP_SIZE":          config.DefaultIDP,
		"MAX_LIB_CONTEXTS":          joy.MaxContexts,
	} {
		m := regexp.MustCompile(`#define ` + macro + ` (\d+)\n`).FindSubmatch(h)
		if m == nil {
			t.Errorf("%s is not in joy_api.h", macro)
			continue
		}
		if got, _ := strconv.Atoi(string(m[1])); got != want {
			t.Errorf("%s is %d in joy_api.h, %d in joy", macro, got, want)
		}
	}
}
