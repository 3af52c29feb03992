// Package registry lists every protocol and feature of libjoy once. An
// entry's name is at the same time its JSON member, its command line
// option and its key in the configuration record; the entry also holds its
// bit of the library guide's bitmask (if any), its help text, the kind of
// value it takes, where the value lives in a config.Config, and, for the
// per-flow modules, the module (its filter and constructor).
//
// The configuration record's module section, the bitmask, the modules a
// context enables and the options a command line offers all come from
// these tables. Adding a protocol is one package that provides a
// feature.Kind plus one line in Modules:
//
//	{Name: "quic", Help: "QUIC metadata of those flows", Module: &quic.Kind},
//
// Such an entry without a Config field of its own keeps its value in
// Config.Settings; the configuration record prints it only when it is on,
// so that records of the original's options stay byte for byte the same.
package registry

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/dhcp"
	"github.com/gojoy/libjoy/joy/dns"
	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/fpmodule"
	"github.com/gojoy/libjoy/joy/http"
	"github.com/gojoy/libjoy/joy/ike"
	"github.com/gojoy/libjoy/joy/payload"
	"github.com/gojoy/libjoy/joy/ppi"
	"github.com/gojoy/libjoy/joy/quic"
	"github.com/gojoy/libjoy/joy/salt"
	"github.com/gojoy/libjoy/joy/ssh"
	"github.com/gojoy/libjoy/joy/tls"
	"github.com/gojoy/libjoy/joy/wht"
)

// Value is the kind of value an entry takes.
type Value uint8

const (
	// Flag is 0 (off) or any other number (on).
	Flag Value = iota
	// Number is an unsigned count (payload=N, hd=N).
	Number
)

// Entry describes one protocol or feature.
type Entry struct {
	// Name is the JSON member, the command line option and the
	// configuration record key.
	Name string
	// Help is the one-line description `joy help` shows.
	Help string
	// Value is what the option takes.
	Value Value
	// Bit is the entry's bit of joy_init.bitmask, or 0.
	Bit uint32
	// Flag or Num point at the entry's field of a Config; with neither,
	// the value lives in Config.Settings under Name.
	Flag func(*config.Config) *bool
	Num  func(*config.Config) *uint
	// Module is the per-flow module, or nil for an engine feature (and for
	// "example", which the original lists but never built).
	Module *feature.Kind
	// Original marks the original's configuration record keys, printed
	// always; others are printed only when on.
	Original bool
	// Max is the largest value of a Number entry as an option (hd=N);
	// 0: the option takes 0 or 1, like a flag.
	Max uint
}

// Modules are the per-flow modules in the order the original prints them
// (and lists them in its configuration record).
var Modules = []Entry{
	{Name: "wht", Help: "Walsh-Hadamard transform of the payload bytes", Flag: func(c *config.Config) *bool { return &c.WHT }, Module: &wht.Kind, Original: true},
	{Name: "example", Help: "the original's example module (shown in the configuration record; it adds no member)", Flag: func(c *config.Config) *bool { return &c.Example }, Original: true},
	{Name: "dns", Help: "DNS metadata of those flows", Bit: config.DNSOn, Flag: func(c *config.Config) *bool { return &c.DNS }, Module: &dns.Kind, Original: true},
	{Name: "ssh", Help: "SSH metadata of those flows", Bit: config.SSHOn, Flag: func(c *config.Config) *bool { return &c.SSH }, Module: &ssh.Kind, Original: true},
	{Name: "tls", Help: "TLS metadata (hellos, certificates) of those flows", Bit: config.TLSOn, Flag: func(c *config.Config) *bool { return &c.TLS }, Module: &tls.Kind, Original: true},
	{Name: "dhcp", Help: "DHCP metadata of those flows", Bit: config.DHCPOn, Flag: func(c *config.Config) *bool { return &c.DHCP }, Module: &dhcp.Kind, Original: true},
	{Name: "http", Help: "HTTP metadata of those flows", Bit: config.HTTPOn, Flag: func(c *config.Config) *bool { return &c.HTTP }, Module: &http.Kind, Original: true},
	{Name: "ike", Help: "IKE metadata of those flows", Bit: config.IKEOn, Flag: func(c *config.Config) *bool { return &c.IKE }, Module: &ike.Kind, Original: true},
	{Name: "payload", Help: "the first 32 bytes of each direction's first payload", Value: Number, Bit: config.PayloadOn, Num: func(c *config.Config) *uint { return &c.Payload }, Module: &payload.Kind, Original: true},
	{Name: "salt", Help: "TCP sequence/acknowledgement lists", Flag: func(c *config.Config) *bool { return &c.Salt }, Module: &salt.Kind, Original: true},
	{Name: "ppi", Help: "per-packet TCP information", Flag: func(c *config.Config) *bool { return &c.PPI }, Module: &ppi.Kind, Original: true},
	{Name: "quic", Help: "QUIC of UDP flows: version, connection IDs, SNI, ALPN, transport parameters, hellos (decrypted Initials)", Module: &quic.Kind},
	{Name: "fingerprint", Help: "JA3/JA3S, JA4 and mercury fingerprints and the TLS 1.3 fields of the hellos of TLS and DTLS flows (with tls=1) and QUIC flows (with quic=1)", Module: &fpmodule.Kind},
}

// Features are the engine's own switches that have a bit of the guide's
// bitmask or a plain on/off option; the configuration record prints them
// in its fixed engine section.
var Features = []Entry{
	{Name: "bidir", Help: "merge the two directions of a flow into one record", Bit: config.BidirOn, Flag: func(c *config.Config) *bool { return &c.Bidir }},
	{Name: "zeros", Help: "include zero-length packets (e.g. ACKs) in the packet list", Bit: config.ZeroOn, Flag: func(c *config.Config) *bool { return &c.Zeros }},
	{Name: "retrans", Help: "include TCP retransmissions in the packet list", Bit: config.RetransOn, Flag: func(c *config.Config) *bool { return &c.Retrans }},
	{Name: "preemptive_timeout", Help: "check the active timeout when a packet arrives, so a flow ends at it", Bit: config.PreemptiveOn, Flag: func(c *config.Config) *bool { return &c.PreemptiveTimeout }},
	{Name: "dist", Help: "byte distribution array with its mean and standard deviation", Bit: config.ByteDistOn, Flag: func(c *config.Config) *bool { return &c.Dist }},
	{Name: "entropy", Help: "entropy of the payload bytes", Bit: config.EntropyOn, Flag: func(c *config.Config) *bool { return &c.Entropy }},
	{Name: "hd", Help: "header description over the first N (at most 32) payload bytes", Value: Number, Max: 32, Bit: config.HeaderOn, Num: func(c *config.Config) *uint { return &c.HD }},
	{Name: "classify", Help: "score flows with the logistic-regression classifier (\"p_malware\")", Bit: config.ClassifyOn, Flag: func(c *config.Config) *bool { return &c.Classify }},
	{Name: "exe", Help: "for TCP flows of this host, the local process (from /proc; Linux)", Bit: config.ExeOn, Flag: func(c *config.Config) *bool { return &c.Exe }},
	{Name: "ipfix_export", Help: "export every flow over IPFIX/UDP (C bitmask only; the CLI sets it from ipfix_export_remote_host/port)", Bit: config.IPFIXExportOn, Flag: func(c *config.Config) *bool { return &c.IPFIXExport }},
}

// Get returns the entry's value in c.
func (e *Entry) Get(c *config.Config) uint {
	switch {
	case e.Flag != nil:
		if *e.Flag(c) {
			return 1
		}
		return 0
	case e.Num != nil:
		return *e.Num(c)
	}
	return c.Settings[e.Name]
}

// Set sets the entry's value in c.
func (e *Entry) Set(c *config.Config, v uint) {
	switch {
	case e.Flag != nil:
		*e.Flag(c) = v != 0
	case e.Num != nil:
		*e.Num(c) = v
	default:
		if c.Settings == nil {
			c.Settings = make(map[string]uint)
		}
		if e.Value == Flag && v != 0 {
			v = 1 // a flag is 0 or 1, wherever it lives
		}
		c.Settings[e.Name] = v
	}
}

// Lookup returns the entry named name, or nil.
func Lookup(name string) *Entry {
	for _, list := range [][]Entry{Modules, Features} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	return nil
}

// EnabledModules returns the modules cfg turns on, in print order.
func EnabledModules(cfg *config.Config) []feature.Kind {
	var ks []feature.Kind
	for i := range Modules {
		e := &Modules[i]
		if e.Module != nil && e.Get(cfg) != 0 {
			ks = append(ks, *e.Module)
		}
	}
	return ks
}

// ApplyBitmask sets every entry that has a bit of the library guide's
// bitmask: on when its bit is set (1 for numbers), off otherwise.
func ApplyBitmask(cfg *config.Config, mask uint32) {
	for _, list := range [][]Entry{Features, Modules} {
		for i := range list {
			if e := &list[i]; e.Bit != 0 {
				var v uint
				if mask&e.Bit != 0 {
					v = 1
				}
				e.Set(cfg, v)
			}
		}
	}
}

// Settings returns the configuration record's module section for cfg: the
// original's keys always, the others when on.
func Settings(cfg *config.Config) []config.Setting {
	s := make([]config.Setting, 0, len(Modules))
	for i := range Modules {
		e := &Modules[i]
		if v := e.Get(cfg); e.Original || v != 0 {
			s = append(s, config.Setting{Name: e.Name, Value: v})
		}
	}
	return s
}

// AppendConfigJSON appends cfg's one-line configuration record.
func AppendConfigJSON(b []byte, cfg *config.Config) []byte {
	return cfg.AppendJSON(b, Settings(cfg))
}

// AppendConfigTerminal appends cfg's "key = value" listing.
func AppendConfigTerminal(b []byte, cfg *config.Config, anonSubnets []string) []byte {
	return cfg.AppendTerminal(b, Settings(cfg), anonSubnets)
}

// Kind is what an option takes on a command line or through
// joy_set_option.
type Kind uint8

const (
	// KindFlag is 0 or 1 (a bare name in a -x file means 1).
	KindFlag Kind = iota
	// KindNumber is a whole number in [Min, Max].
	KindNumber
	// KindString is any text; "none" unsets it, as in the original.
	KindString
	// KindEnum is one of Values.
	KindEnum
)

// Option is one name=value option: what it takes and where it goes. It
// is the one parser of option values, shared by the joy command
// (cmd/joy/options.go), the Go API (joy.SetOption) and the C library
// (joy_set_option).
type Option struct {
	Name     string
	Help     string // help text; lines after the first are continuations
	Arg      string // placeholder in the help text
	Kind     Kind
	Min, Max uint     // KindNumber
	Values   []string // KindEnum
	Ext      bool     // an extension of this implementation (not in the original)
	// Set stores a value that Check accepted.
	Set func(cfg *config.Config, value string)
}

// Allowed describes the values o takes, for messages.
func (o *Option) Allowed() string {
	switch o.Kind {
	case KindFlag:
		return "0 or 1"
	case KindNumber:
		if o.Max == o.Min+1 {
			return fmt.Sprintf("%d or %d", o.Min, o.Max)
		}
		return fmt.Sprintf("a whole number from %d to %d", o.Min, o.Max)
	case KindEnum:
		return "one of " + strings.Join(o.Values, ", ")
	}
	return "a value"
}

// ArgText is the placeholder of o's value in help and messages.
func (o *Option) ArgText() string {
	switch {
	case o.Kind == KindFlag:
		return "1"
	case o.Kind == KindEnum:
		return strings.Join(o.Values, "|")
	case o.Arg != "":
		return o.Arg
	}
	return "N"
}

// Check validates value for o and returns it as Set takes it ("none" of
// a string is ""). The error is one line naming the option and what it
// takes.
func (o *Option) Check(value string) (string, error) {
	bad := func() (string, error) {
		return "", fmt.Errorf("%s=%s: %s must be %s", o.Name, value, o.Name, o.Allowed())
	}
	switch o.Kind {
	case KindFlag:
		if value != "0" && value != "1" {
			return bad()
		}
	case KindNumber:
		n, err := strconv.ParseUint(value, 10, 32)
		if err != nil || uint(n) < o.Min || uint(n) > o.Max {
			return bad()
		}
	case KindEnum:
		ok := false
		for _, v := range o.Values {
			ok = ok || v == value
		}
		if !ok {
			return bad()
		}
	case KindString:
		if value == "" {
			return "", fmt.Errorf("%s=: %s needs a value (%s=%s)", o.Name, o.Name, o.Name, o.ArgText())
		}
		if value == "none" { // the original's way to unset a string
			value = ""
		}
	}
	return value, nil
}

// ParseNumber is value (checked for a KindNumber or KindFlag option) as
// a number.
func ParseNumber(value string) uint {
	n, _ := strconv.ParseUint(value, 10, 32)
	return uint(n)
}

// Options returns the option of every entry (engine features, then
// modules in print order; "example" included, which the original accepts
// and lists). A flag, and a number entry without a Max (payload: the
// original parsed it as a flag), takes 0 or 1; hd takes 0 to its Max.
// "ipfix_export" is an option of the library only (the joy command sets
// it from ipfix_export_remote_host/port): the command leaves it out.
func Options() []Option {
	var opts []Option
	for li, list := range [][]Entry{Features, Modules} {
		for i := range list {
			e := &list[i]
			o := Option{Name: e.Name, Help: e.Help, Kind: KindFlag, Ext: li == 1 && !e.Original,
				Set: func(cfg *config.Config, v string) { e.Set(cfg, ParseNumber(v)) }}
			if e.Value == Number && e.Max > 0 {
				o.Kind, o.Max, o.Arg = KindNumber, e.Max, "N"
			}
			opts = append(opts, o)
		}
	}
	return opts
}
