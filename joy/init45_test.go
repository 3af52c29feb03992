package joy_test

import (
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/gojoy/libjoy/joy"
)

// The Go bits of Joy 4.5's bitmask equal include/joy4/joy_api.h's.
func TestInit45BitsMatchHeader(t *testing.T) {
	h, err := os.ReadFile("../include/joy4/joy_api.h")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]uint32{}
	for _, m := range regexp.MustCompile(`#define (JOY_\w+_ON)\s+\(1 << (\d+)\)`).FindAllSubmatch(h, -1) {
		n, _ := strconv.Atoi(string(m[2]))
		got[string(m[1])] = 1 << n
	}
	for name, bit := range map[string]uint32{
		"JOY_BIDIR_ON": joy.Bidir45, "JOY_DNS_ON": joy.DNS45, "JOY_SSH_ON": joy.SSH45, "JOY_TLS_ON": joy.TLSOn45,
		"JOY_DHCP_ON": joy.DHCP45, "JOY_HTTP_ON": joy.HTTP45, "JOY_IKE_ON": joy.IKE45, "JOY_PAYLOAD_ON": joy.Payload45,
		"JOY_EXE_ON": joy.Exe45, "JOY_ZERO_ON": joy.Zero45, "JOY_RETRANS_ON": joy.Retrans45,
		"JOY_BYTE_DIST_ON": joy.ByteDist45, "JOY_ENTROPY_ON": joy.Entropy45, "JOY_CLASSIFY_ON": joy.Classify45,
		"JOY_HEADER_ON": joy.Header45, "JOY_PREMPTIVE_TMO_ON": joy.PreemptiveTimeout45, "JOY_IDP_ON": joy.IDPOn45,
		"JOY_IPFIX_EXPORT_ON": joy.IPFIXExport45, "JOY_PPI_ON": joy.PPI45, "JOY_SALT_ON": joy.SALTOn45,
		"JOY_RETAIN_LOCAL_ON": joy.RetainLocal45,
	} {
		if got[name] != bit {
			t.Errorf("%s: header %#x, Go %#x", name, got[name], bit)
		}
	}
}

func TestInit45Configure(t *testing.T) {
	var cfg joy.Config
	in := joy.Init45{NumPkts: 300, Bitmask: joy.Bidir45 | joy.IPFIXExport45 | joy.Header45}
	in.Configure(&cfg)
	if !cfg.Record45 || !cfg.Bidir || cfg.NumPkts != 50 || cfg.HD != 1 || !cfg.IPFIXExport ||
		cfg.IPFIXHost != "127.0.0.1" || cfg.IPFIXPort != 4739 || cfg.IDP != 1300 || cfg.ReportIDP || cfg.TLS {
		t.Errorf("configured %+v", cfg)
	}
	cfg = joy.Config{}
	in = joy.Init45{NumPkts: 20, IDP: 400, Bitmask: joy.IDPOn45}
	in.Configure(&cfg)
	if cfg.NumPkts != 20 || !cfg.ReportIDP || cfg.IDP != 400 || cfg.Bidir {
		t.Errorf("configured %+v", cfg)
	}
	// The collector as given; the IDP reported keeps its size.
	cfg = joy.Config{}
	in = joy.Init45{IDP: 200, IPFIXHost: "127.0.0.9", IPFIXPort: 9995, Bitmask: joy.IPFIXExport45 | joy.IDPOn45}
	in.Configure(&cfg)
	if !cfg.IPFIXExport || cfg.IPFIXHost != "127.0.0.9" || cfg.IPFIXPort != 9995 || !cfg.ReportIDP || cfg.IDP != 200 {
		t.Errorf("configured %+v", cfg)
	}
}

// Every bit of the 4.5 bitmask turns its feature on, and with no bit set
// every one is off.
func TestInit45EveryBit(t *testing.T) {
	var cfg joy.Config
	in := joy.Init45{Bitmask: joy.RetainLocal45<<1 - 1}
	in.Configure(&cfg)
	on := []bool{cfg.Bidir, cfg.DNS, cfg.SSH, cfg.TLS, cfg.DHCP, cfg.HTTP, cfg.IKE, cfg.Payload == 1, cfg.Exe,
		cfg.Zeros, cfg.Retrans, cfg.Dist, cfg.Entropy, cfg.Classify, cfg.HD == 1, cfg.PreemptiveTimeout,
		cfg.ReportIDP, cfg.IPFIXExport, cfg.PPI, cfg.Salt, cfg.Retain == 1}
	for i, v := range on {
		if !v {
			t.Errorf("bit %d (1 << %d) did not turn its feature on: %+v", uint32(1)<<i, i, cfg)
		}
	}
	cfg = joy.Config{}
	in = joy.Init45{}
	in.Configure(&cfg)
	if cfg.Bidir || cfg.DNS || cfg.SSH || cfg.TLS || cfg.DHCP || cfg.HTTP || cfg.IKE || cfg.Payload != 0 || cfg.Exe ||
		cfg.Zeros || cfg.Retrans || cfg.Dist || cfg.Entropy || cfg.Classify || cfg.HD != 0 || cfg.PreemptiveTimeout ||
		cfg.ReportIDP || cfg.IPFIXExport || cfg.PPI || cfg.Salt || cfg.Retain != 0 {
		t.Errorf("no bit set, yet %+v", cfg)
	}
}
