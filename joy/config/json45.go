package config

// Version45 is the "version" of the configuration record of the Joy 4.5
// API generation (capi/v45).
const Version45 = "4.5.0"

// AppendJSON45 appends the configuration record as Joy 4.5 prints it: no
// "type", and "threads", "updater", "dhcpv6" and "fpx" added. The 4.5
// library has no threads, updater or fpx of its own here; they print 0.
func (c *Config) AppendJSON45(b []byte) []byte {
	tail := [...]Setting{
		{"threads", 0}, {"updater", 0},
		{"wht", b2u(c.WHT)}, {"example", b2u(c.Example)}, {"dns", b2u(c.DNS)}, {"ssh", b2u(c.SSH)},
		{"tls", b2u(c.TLS)}, {"dhcp", b2u(c.DHCP)}, {"dhcpv6", b2u(c.DHCP)}, {"http", b2u(c.HTTP)},
		{"ike", b2u(c.IKE)}, {"payload", c.Payload}, {"salt", b2u(c.Salt)}, {"ppi", b2u(c.PPI)},
		{"fpx", 0},
	}
	return c.appendJSON(b, Version45, false, tail[:])
}
