package joy

import (
	"testing"

	"github.com/gojoy/libjoy/joy/decode"
)

// The command's drain cadence counts the frames the original's "ip or
// vlan" filter passed: IPv4 EtherType (decoded or not) and any VLAN tag,
// whatever it carries; IPv6, ARP, MPLS and PPPoE frames do not count.
func TestIPOrVLAN(t *testing.T) {
	frame := func(types ...uint16) []byte {
		b := make([]byte, 12, 60)
		for _, et := range types {
			b = append(b, byte(et>>8), byte(et), 0, 1)
		}
		for len(b) < 60 {
			b = append(b, 0)
		}
		return b
	}
	for _, c := range []struct {
		name  string
		link  decode.LinkType
		data  []byte
		ipv4  bool
		count bool
	}{
		{"IPv4", decode.LinkEthernet, frame(0x0800), true, true},
		{"IPv4 with a bad header", decode.LinkEthernet, frame(0x0800), false, true},
		{"802.1Q IPv4", decode.LinkEthernet, frame(0x8100, 0x0800), true, true},
		{"802.1Q IPv6", decode.LinkEthernet, frame(0x8100, 0x86dd), false, true},
		{"QinQ 0x88a8", decode.LinkEthernet, frame(0x88a8, 0x8100, 0x0800), true, true},
		{"0x9100", decode.LinkEthernet, frame(0x9100, 0x0800), true, true},
		{"IPv6", decode.LinkEthernet, frame(0x86dd), false, false},
		{"ARP", decode.LinkEthernet, frame(0x0806), false, false},
		{"MPLS", decode.LinkEthernet, frame(0x8847), true, false},
		{"PPPoE", decode.LinkEthernet, frame(0x8864), true, false},
		{"short", decode.LinkEthernet, make([]byte, 13), false, false},
		{"raw IPv4", decode.LinkRaw, []byte{0x45}, true, true},
		{"raw IPv6", decode.LinkRaw, []byte{0x60}, false, false},
	} {
		if got := ipOrVLAN(c.link, c.data, c.ipv4); got != c.count {
			t.Errorf("%s: counted %v, want %v", c.name, got, c.count)
		}
	}
}
