package config

import "github.com/gojoy/libjoy/joy/jsonw"

// Version45 is the "version" of the configuration record of the Joy 4.5
// API generation (capi/v45).
const Version45 = "4.5.0"

// AppendJSON45 appends the configuration record as Joy 4.5 prints it: no
// "type", and "threads", "updater", "dhcpv6" and "fpx" added. The 4.5
// library has no threads, updater or fpx of its own here; they print 0.
func (c *Config) AppendJSON45(b []byte) []byte {
	str := func(b []byte, k, v string) []byte {
		b = jsonw.Key(b, k)
		return append(jsonw.String(b, val(v)), ',')
	}
	num := func(b []byte, k string, v uint) []byte {
		b = jsonw.Key(b, k)
		return append(jsonw.Uint(b, uint64(v)), ',')
	}
	b = append(b, '{')
	b = str(b, "version", Version45)
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
	b = num(b, "threads", 0)
	b = num(b, "updater", 0)
	b = num(b, "wht", b2u(c.WHT))
	b = num(b, "example", b2u(c.Example))
	b = num(b, "dns", b2u(c.DNS))
	b = num(b, "ssh", b2u(c.SSH))
	b = num(b, "tls", b2u(c.TLS))
	b = num(b, "dhcp", b2u(c.DHCP))
	b = num(b, "dhcpv6", b2u(c.DHCP))
	b = num(b, "http", b2u(c.HTTP))
	b = num(b, "ike", b2u(c.IKE))
	b = num(b, "payload", c.Payload)
	b = num(b, "salt", b2u(c.Salt))
	b = num(b, "ppi", b2u(c.PPI))
	b = num(b, "fpx", 0)
	return append(b, `"end-config":1}`+"\n"...)
}
