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
	// Format is the output format's name (joy.Formats: "json", "csv",
	// "parquet"); empty chooses it by Output's suffix (joy.NewOutput). It
	// is not printed in the configuration record.
	Format string
	// Record45 selects Joy 4.5's records (libjoy.so.4 only): expired
	// flows drained wherever they are in the chronological list, and the
	// 4.5 record format (docs/compatibility.md, "The Joy 4.5 API
	// generation"). Not printed in the configuration record.
	Record45  bool
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
	DNS      bool // the modules' switches are listed in package registry
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

	// Settings holds the values of registry entries that have no field
	// of their own (protocols added after the original's), by name.
	Settings map[string]uint

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

// Setting is one key of the configuration record's module section; the
// section comes from package registry (registry.Settings).
type Setting struct {
	Name  string
	Value uint
}

// AppendJSON appends the one-line configuration record, newline included,
// with the original's keys in the original's order; modules is its module
// section (registry.AppendConfigJSON passes the registry's).
func (c *Config) AppendJSON(b []byte, modules []Setting) []byte {
	return c.appendJSON(b, Version, true, modules)
}

// appendJSON appends the JSON configuration record of the given version:
// the original's keys (with "type" when withType), then tail after
// "verbosity".
func (c *Config) appendJSON(b []byte, version string, withType bool, tail []Setting) []byte {
	var w jsonKeys
	b = append(b, '{')
	b = w.str(b, "version", version)
	b = c.appendNames(b, w, true)
	for _, l := range c.Labels {
		b = w.str(b, "label", l)
	}
	b = c.appendEngine(b, w, withType)
	b = w.num(b, "verbosity", c.Verbosity)
	for _, m := range tail {
		b = w.num(b, m.Name, m.Value)
	}
	return append(b, `"end-config":1}`+"\n"...)
}

// AppendTerminal appends the "key = value" listing. anonSubnets are the
// configured anonymization subnets in "a.b.c.d/bits" form; modules is the
// module section, as for AppendJSON.
func (c *Config) AppendTerminal(b []byte, modules []Setting, anonSubnets []string) []byte {
	var w terminalKeys
	b = w.str(b, "joy version", Version)
	b = c.appendNames(b, w, false)
	for _, l := range c.Labels {
		b = append(b, "label="...)
		b = append(b, l...)
		b = append(b, '\n')
	}
	b = c.appendEngine(b, w, true)
	for _, m := range modules {
		b = w.num(b, m.Name, m.Value)
	}
	b = w.num(b, "verbosity", c.Verbosity)
	for i, s := range anonSubnets {
		b = append(b, "anon subnet "...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, ": "...)
		b = append(b, s...)
		b = append(b, '\n')
	}
	return b
}

// appendNames appends the keys from "interface" to "keyfile" in the
// original's order, both listings' (with "info" when withInfo; the
// terminal listing has none).
func (c *Config) appendNames(b []byte, w keyWriter, withInfo bool) []byte {
	b = w.str(b, "interface", c.Interface)
	b = w.num(b, "promisc", c.Promisc)
	b = w.str(b, "output", c.Output)
	b = w.str(b, "outputdir", c.OutputDir)
	b = w.str(b, "username", c.Username)
	if withInfo {
		b = w.str(b, "info", c.Info)
	}
	b = w.num(b, "count", c.Count)
	b = w.str(b, "upload", c.Upload)
	return w.str(b, "keyfile", c.Keyfile)
}

// appendEngine appends the keys from "retain" to "bpf" in the original's
// order, both listings' (with "type" when withType; 4.5's record has
// none).
func (c *Config) appendEngine(b []byte, w keyWriter, withType bool) []byte {
	b = w.num(b, "retain", c.Retain)
	b = w.num(b, "bidir", b2u(c.Bidir))
	b = w.num(b, "num_pkts", c.NumPkts)
	if withType {
		b = w.num(b, "type", c.Type)
	}
	b = w.num(b, "zeros", b2u(c.Zeros))
	b = w.num(b, "retrans", b2u(c.Retrans))
	b = w.num(b, "dist", b2u(c.Dist))
	b = w.str(b, "cdist", c.CDist)
	b = w.num(b, "entropy", b2u(c.Entropy))
	b = w.num(b, "hd", c.HD)
	b = w.num(b, "classify", b2u(c.Classify))
	b = w.num(b, "idp", c.IDP)
	b = w.num(b, "exe", b2u(c.Exe))
	b = w.str(b, "anon", c.Anon)
	b = w.str(b, "useranon", c.UserAnon)
	return w.str(b, "bpf", c.BPF)
}

// keyWriter appends one key and its value (a string: "none" when empty)
// in the form of a listing.
type keyWriter interface {
	str(b []byte, k, v string) []byte
	num(b []byte, k string, v uint) []byte
}

// jsonKeys writes `"key":value,`.
type jsonKeys struct{}

func (jsonKeys) str(b []byte, k, v string) []byte {
	b = jsonw.Key(b, k)
	return append(jsonw.String(b, val(v)), ',')
}

func (jsonKeys) num(b []byte, k string, v uint) []byte {
	b = jsonw.Key(b, k)
	return append(jsonw.Uint(b, uint64(v)), ',')
}

// terminalKeys writes "key = value" lines.
type terminalKeys struct{}

func (terminalKeys) str(b []byte, k, v string) []byte {
	b = append(b, k...)
	b = append(b, " = "...)
	b = append(b, val(v)...)
	return append(b, '\n')
}

func (terminalKeys) num(b []byte, k string, v uint) []byte {
	b = append(b, k...)
	b = append(b, " = "...)
	b = strconv.AppendUint(b, uint64(v), 10)
	return append(b, '\n')
}

// Clone returns a copy of c that shares nothing changeable with it: the
// label list and the settings map are copied; the loaded objects (model,
// anonymizers, labels, compact map) are shared, since they are never
// changed once made (a change makes a new one).
func (c *Config) Clone() *Config {
	n := *c
	n.Labels = append([]string(nil), c.Labels...)
	if c.Settings != nil {
		n.Settings = make(map[string]uint, len(c.Settings))
		for k, v := range c.Settings {
			n.Settings[k] = v
		}
	}
	return &n
}
