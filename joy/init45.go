package joy

import "github.com/gojoy/libjoy/joy/config"

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

// The defaults of joy_api.h.
const (
	DefaultIPFIXExportPort45 = 4739
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
	cfg.Bidir = on(Bidir45)
	cfg.DNS = on(DNS45)
	cfg.SSH = on(SSH45)
	cfg.TLS = on(TLSOn45)
	cfg.DHCP = on(DHCP45)
	cfg.HTTP = on(HTTP45)
	cfg.IKE = on(IKE45)
	if on(Payload45) {
		cfg.Payload = 1
	}
	cfg.Exe = on(Exe45)
	cfg.Zeros = on(Zero45)
	cfg.Retrans = on(Retrans45)
	cfg.Dist = on(ByteDist45)
	cfg.Entropy = on(Entropy45)
	cfg.Classify = on(Classify45)
	if on(Header45) {
		cfg.HD = 1
	}
	cfg.PreemptiveTimeout = on(PreemptiveTimeout45)
	cfg.PPI = on(PPI45)
	cfg.Salt = on(SALTOn45)
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
	if on(IPFIXExport45) {
		cfg.IPFIXExport = true
		cfg.IPFIXHost = "127.0.0.1"
		if in.IPFIXHost != "" {
			cfg.IPFIXHost = in.IPFIXHost
		}
		cfg.IPFIXPort = DefaultIPFIXExportPort45
		if in.IPFIXPort > 0 {
			cfg.IPFIXPort = in.IPFIXPort
		}
		if !cfg.ReportIDP {
			cfg.IDP = DefaultIDPSize45
		}
	}
	cfg.Upload = in.Upload
	cfg.Keyfile = in.Keyfile
}
