// Package config holds Joy's configuration: what features are on and the
// values the original prints in its configuration record, with the two
// ways of printing it (one JSON line, or "key = value" lines).
package config

import (
	"strconv"

	"github.com/gojoy/libjoy/joy/anon"
	"github.com/gojoy/libjoy/joy/bytestats"
	"github.com/gojoy/libjoy/joy/classify"
	"github.com/gojoy/libjoy/joy/jsonw"
	"github.com/gojoy/libjoy/joy/label"
)

// Version is printed as "version" in the configuration record. It is the
// original's version string at the API generation we implement.
const Version = "2.1-dev"

// Bits of joy_init.bitmask, as in the library guide.
const (
	BidirOn       = 0x01
	DNSOn         = 0x02
	SSHOn         = 0x04
	TLSOn         = 0x08
	DHCPOn        = 0x10
	HTTPOn        = 0x20
	IKEOn         = 0x40
	PayloadOn     = 0x80
	ExeOn         = 0x100
	ZeroOn        = 0x200
	RetransOn     = 0x400
	ByteDistOn    = 0x800
	EntropyOn     = 0x1000
	ClassifyOn    = 0x2000
	HeaderOn      = 0x4000
	PreemptiveOn  = 0x8000
	IPFIXExportOn = 0x10000
)

// Config is one run's configuration. Strings left empty print as "none".
type Config struct {
	// Values that only appear in the configuration record.
	Interface string
	Promisc   uint
	Output    string // output file name as given
	OutputDir string // output directory as given
	Username  string
	Info      string // log file as given
	Count     uint
	Upload    string
	Keyfile   string
	Labels    []string // one "label" entry per configured subnet label
	Retain    uint
	BPF       string

	// Flow engine.
	Bidir             bool
	NumPkts           uint // printed only; SPLT keeps 50 packets as the original does
	Type              uint // 1 = SPLT, 2 = SALT
	Zeros             bool // zero-length packets enter the SPLT
	Retrans           bool // TCP retransmissions are processed normally
	PreemptiveTimeout bool // active timeout checked on packet arrival
	// MaxRecords bounds each context's flow records; the oldest flows are
	// printed early (expire_type "m") to stay under it. 0: the default
	// (about 1 GB); negative: no bound.
	MaxRecords int
	Verbosity  uint

	// Features and protocol modules (their processing arrives with later work).
	Dist     bool
	CDist    string
	Entropy  bool
	HD       uint
	Classify bool
	IDP      uint
	Exe      bool
	Anon     string
	UserAnon string
	WHT      bool
	Example  bool
	DNS      bool
	SSH      bool
	TLS      bool
	DHCP     bool
	HTTP     bool
	IKE      bool
	Payload  uint
	Salt     bool
	PPI      bool

	// Model is the classifier's model when Classify is on (nil: the
	// original's built-in weights).
	Model *classify.Model

	// AnonAddrs anonymizes addresses in its subnets (Anon names the file).
	AnonAddrs *anon.Addresses
	// UserNames pseudonymizes user names in HTTP request URIs (UserAnon
	// names the file).
	UserNames *anon.Usernames
	// SubnetLabels labels addresses (Labels lists what the configuration
	// record prints for them).
	SubnetLabels *label.Labels

	// CompactMap, when set, turns on the compact byte distribution (CDist
	// names the file it came from).
	CompactMap *bytestats.CompactMap
	// ReportIDP turns on the initial data packet: IDP bytes of it (1300
	// when IDP is 0) are printed as idp_out / idp_in.
	ReportIDP bool

	// IPFIX export.
	IPFIXExport bool
	IPFIXHost   string
	IPFIXPort   uint
	IPFIXDomain uint32 // observation domain id
}

// MaxIDP is the most bytes of an initial data packet that are kept.
const MaxIDP = 1500

// DefaultIDP is the initial data packet size used when none is given.
const DefaultIDP = 1300

// IDPBytes is how many bytes of the initial data packet to report (0 when
// off), DefaultIDP when none is set, at most MaxIDP.
func (c *Config) IDPBytes() uint {
	if !c.ReportIDP {
		return 0
	}
	n := c.IDP
	if n == 0 {
		n = DefaultIDP
	}
	return min(n, MaxIDP)
}

// ApplyBitmask sets the fields that the library guide's bitmask controls.
func (c *Config) ApplyBitmask(mask uint32) {
	on := func(bit uint32) bool { return mask&bit != 0 }
	c.Bidir = on(BidirOn)
	c.DNS = on(DNSOn)
	c.SSH = on(SSHOn)
	c.TLS = on(TLSOn)
	c.DHCP = on(DHCPOn)
	c.HTTP = on(HTTPOn)
	c.IKE = on(IKEOn)
	c.Payload = b2u(on(PayloadOn))
	c.Exe = on(ExeOn)
	c.Zeros = on(ZeroOn)
	c.Retrans = on(RetransOn)
	c.Dist = on(ByteDistOn)
	c.Entropy = on(EntropyOn)
	c.HD = b2u(on(HeaderOn))
	c.Classify = on(ClassifyOn)
	c.PreemptiveTimeout = on(PreemptiveOn)
	c.IPFIXExport = on(IPFIXExportOn)
}

func b2u(b bool) uint {
	if b {
		return 1
	}
	return 0
}

func val(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// AppendJSON appends the one-line configuration record, newline included,
// with the original's keys in the original's order.
func (c *Config) AppendJSON(b []byte) []byte {
	str := func(b []byte, k, v string) []byte {
		b = jsonw.Key(b, k)
		return append(jsonw.String(b, val(v)), ',')
	}
	num := func(b []byte, k string, v uint) []byte {
		b = jsonw.Key(b, k)
		return append(jsonw.Uint(b, uint64(v)), ',')
	}
	b = append(b, '{')
	b = str(b, "version", Version)
	b = str(b, "interface", c.Interface)
	b = num(b, "promisc", c.Promisc)
	b = str(b, "output", c.Output)
	b = str(b, "outputdir", c.OutputDir)
	b = str(b, "username", c.Username)
	b = str(b, "info", c.Info)
	b = num(b, "count", c.Count)
	b = str(b, "upload", c.Upload)
	b = str(b, "keyfile", c.Keyfile)
	for _, l := range c.Labels {
		b = str(b, "label", l)
	}
	b = num(b, "retain", c.Retain)
	b = num(b, "bidir", b2u(c.Bidir))
	b = num(b, "num_pkts", c.NumPkts)
	b = num(b, "type", c.Type)
	b = num(b, "zeros", b2u(c.Zeros))
	b = num(b, "retrans", b2u(c.Retrans))
	b = num(b, "dist", b2u(c.Dist))
	b = str(b, "cdist", c.CDist)
	b = num(b, "entropy", b2u(c.Entropy))
	b = num(b, "hd", c.HD)
	b = num(b, "classify", b2u(c.Classify))
	b = num(b, "idp", c.IDP)
	b = num(b, "exe", b2u(c.Exe))
	b = str(b, "anon", c.Anon)
	b = str(b, "useranon", c.UserAnon)
	b = str(b, "bpf", c.BPF)
	b = num(b, "verbosity", c.Verbosity)
	b = c.appendFeatures(b, num)
	return append(b, `"end-config":1}`+"\n"...)
}

func (c *Config) appendFeatures(b []byte, num func([]byte, string, uint) []byte) []byte {
	b = num(b, "wht", b2u(c.WHT))
	b = num(b, "example", b2u(c.Example))
	b = num(b, "dns", b2u(c.DNS))
	b = num(b, "ssh", b2u(c.SSH))
	b = num(b, "tls", b2u(c.TLS))
	b = num(b, "dhcp", b2u(c.DHCP))
	b = num(b, "http", b2u(c.HTTP))
	b = num(b, "ike", b2u(c.IKE))
	b = num(b, "payload", c.Payload)
	b = num(b, "salt", b2u(c.Salt))
	return num(b, "ppi", b2u(c.PPI))
}

// AppendTerminal appends the "key = value" listing. anonSubnets are the
// configured anonymization subnets in "a.b.c.d/bits" form.
func (c *Config) AppendTerminal(b []byte, anonSubnets []string) []byte {
	str := func(b []byte, k, v string) []byte {
		b = append(b, k...)
		b = append(b, " = "...)
		b = append(b, val(v)...)
		return append(b, '\n')
	}
	num := func(b []byte, k string, v uint) []byte {
		b = append(b, k...)
		b = append(b, " = "...)
		b = strconv.AppendUint(b, uint64(v), 10)
		return append(b, '\n')
	}
	b = str(b, "joy version", Version)
	b = str(b, "interface", c.Interface)
	b = num(b, "promisc", c.Promisc)
	b = str(b, "output", c.Output)
	b = str(b, "outputdir", c.OutputDir)
	b = str(b, "username", c.Username)
	b = num(b, "count", c.Count)
	b = str(b, "upload", c.Upload)
	b = str(b, "keyfile", c.Keyfile)
	for _, l := range c.Labels {
		b = append(b, "label="...)
		b = append(b, l...)
		b = append(b, '\n')
	}
	b = num(b, "retain", c.Retain)
	b = num(b, "bidir", b2u(c.Bidir))
	b = num(b, "num_pkts", c.NumPkts)
	b = num(b, "type", c.Type)
	b = num(b, "zeros", b2u(c.Zeros))
	b = num(b, "retrans", b2u(c.Retrans))
	b = num(b, "dist", b2u(c.Dist))
	b = str(b, "cdist", c.CDist)
	b = num(b, "entropy", b2u(c.Entropy))
	b = num(b, "hd", c.HD)
	b = num(b, "classify", b2u(c.Classify))
	b = num(b, "idp", c.IDP)
	b = num(b, "exe", b2u(c.Exe))
	b = str(b, "anon", c.Anon)
	b = str(b, "useranon", c.UserAnon)
	b = str(b, "bpf", c.BPF)
	b = c.appendFeatures(b, num)
	b = num(b, "verbosity", c.Verbosity)
	for i, s := range anonSubnets {
		b = append(b, "anon subnet "...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, ": "...)
		b = append(b, s...)
		b = append(b, '\n')
	}
	return b
}
