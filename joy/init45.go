package joy

import (
	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/registry"
)

// Joy 4.5's joy_init_t as Go values, and how it configures the library
// (joy_initialize). capi/v45 converts the C struct into Init45.

// The 4.5 bitmask (include/joy4/joy_api.h, JOY_*_ON).
const (
	Bidir45 uint32 = 1 << iota
	DNS45
	SSH45
	TLSOn45
	DHCP45
	HTTP45
	IKE45
	Payload45
	Exe45
	Zero45
	Retrans45
	ByteDist45
	Entropy45
	Classify45
	Header45
	PreemptiveTimeout45
	IDPOn45
	IPFIXExport45
	PPI45
	SALTOn45
	RetainLocal45
)

// bits45 are the bits of the 4.5 bitmask that turn on a registry entry,
// with its name; Configure sets them as registry.ApplyBitmask sets the
// guide's. Retain, IDP and IPFIX export have more to them.
var bits45 = [...]struct {
	bit  uint32
	name string
}{
	{Bidir45, "bidir"}, {DNS45, "dns"}, {SSH45, "ssh"}, {TLSOn45, "tls"}, {DHCP45, "dhcp"},
	{HTTP45, "http"}, {IKE45, "ike"}, {Payload45, "payload"}, {Exe45, "exe"}, {Zero45, "zeros"},
	{Retrans45, "retrans"}, {ByteDist45, "dist"}, {Entropy45, "entropy"}, {Classify45, "classify"},
	{Header45, "hd"}, {PreemptiveTimeout45, "preemptive_timeout"}, {PPI45, "ppi"}, {SALTOn45, "salt"},
	{IPFIXExport45, "ipfix_export"},
}

// The defaults of joy_api.h.
const (
	DefaultIPFIXExportPort45 = DefaultIPFIXPort
	DefaultIDPSize45         = 1300
)

// Init45 is joy_init_t.
type Init45 struct {
	Verbosity  uint
	NumPkts    uint
	MaxRecords uint
	IDP        uint
	Bitmask    uint32
	IPFIXHost  string // "": 127.0.0.1
	IPFIXPort  uint   // 0: 4739
	Upload     string
	Keyfile    string
}

// Configure fills cfg as Joy 4.5's joy_initialize does, with 4.5's
// records (Config.Record45).
func (in *Init45) Configure(cfg *config.Config) {
	on := func(bit uint32) bool { return in.Bitmask&bit != 0 }
	cfg.Record45 = true
	cfg.Type = 1
	cfg.Verbosity = in.Verbosity
	cfg.NumPkts = 50
	if in.NumPkts > 0 && in.NumPkts < 200 {
		cfg.NumPkts = in.NumPkts
	}
	cfg.Count = in.MaxRecords
	for _, b := range bits45 {
		var v uint
		if on(b.bit) {
			v = 1
		}
		registry.Lookup(b.name).Set(cfg, v)
	}
	if on(RetainLocal45) {
		cfg.Retain = 1
	}
	if on(IDPOn45) {
		cfg.ReportIDP = true
		cfg.IDP = config.DefaultIDP
		if in.IDP > 0 {
			cfg.IDP = in.IDP
		}
	}
	if cfg.IPFIXExport {
		cfg.IPFIXHost, cfg.IPFIXPort = ipfixCollector(in.IPFIXHost, in.IPFIXPort)
		if !cfg.ReportIDP {
			cfg.IDP = DefaultIDPSize45
		}
	}
	cfg.Upload = in.Upload
	cfg.Keyfile = in.Keyfile
}
