package joy

import (
	"bytes"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/gojoy/libjoy/joy/decode"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
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

// capFilter passes UDP frames only (IPv4 protocol byte of an Ethernet frame).
type capFilter struct{ links []LinkType }

func (f *capFilter) ForLink(link LinkType) (func([]byte) bool, error) {
	f.links = append(f.links, link)
	return func(b []byte) bool { return len(b) > 23 && b[23] == 17 }, nil
}

func TestCaptureFilterAndInterrupt(t *testing.T) {
	dir, ok := tu.SharedDir()
	if !ok {
		t.Skip("shared captures not found (JOY_SHARED)")
	}
	path := filepath.Join(dir, "pcaps", "joy-sample.pcap")
	var all, udp bytes.Buffer
	cfg := &Config{Bidir: true, Type: 1}
	if err := NewContext(cfg, &all, nil).ProcessCapture(path); err != nil {
		t.Fatal(err)
	}
	ctx := NewContext(cfg, &udp, nil)
	f := &capFilter{}
	ctx.SetCaptureFilter(f)
	if err := ctx.ProcessCapture(path); err != nil {
		t.Fatal(err)
	}
	if len(f.links) != 1 || f.links[0] != LinkEthernet {
		t.Errorf("ForLink calls %v, want one for Ethernet", f.links)
	}
	// Records are equal but for "expire_type": when a flow is printed
	// depends on which frames count for the drain cadence.
	expire := regexp.MustCompile(`,"expire_type":"."`)
	var want []string
	for _, l := range strings.Split(strings.TrimSuffix(all.String(), "\n"), "\n") {
		if strings.Contains(l, `"pr":17`) {
			want = append(want, expire.ReplaceAllString(l, ""))
		}
	}
	got := strings.Split(strings.TrimSuffix(expire.ReplaceAllString(udp.String(), ""), "\n"), "\n")
	sort.Strings(want)
	sort.Strings(got)
	if len(want) == 0 || strings.Join(got, "") != strings.Join(want, "") {
		t.Errorf("filtered run printed %d records, want the %d UDP records of the whole run", len(got), len(want))
	}

	var none bytes.Buffer
	ctx = NewContext(cfg, &none, nil)
	ctx.Interrupt()
	if err := ctx.ProcessCapture(path); err != ErrInterrupted {
		t.Errorf("interrupted ProcessCapture returned %v", err)
	}
	if none.Len() != 0 || ctx.Stats().Packets != 0 {
		t.Errorf("interrupted before the first packet, yet %d packets, %d bytes out", ctx.Stats().Packets, none.Len())
	}
}
