package nfv9

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"

	"github.com/gojoy/libjoy/joy/ipfix"
)

var exporter = netip.MustParseAddr("127.0.0.1")

// packet builds a v9 packet: header then flowsets.
func packet(seq uint32, flowsets ...[]byte) []byte {
	b := make([]byte, 20)
	binary.BigEndian.PutUint16(b, 9)
	binary.BigEndian.PutUint16(b[2:], uint16(len(flowsets)))
	binary.BigEndian.PutUint32(b[4:], 60000)      // up 60 s
	binary.BigEndian.PutUint32(b[8:], 1700000000) // wall clock
	binary.BigEndian.PutUint32(b[12:], seq)
	binary.BigEndian.PutUint32(b[16:], 7)
	for _, f := range flowsets {
		b = append(b, f...)
	}
	return b
}

func flowset(id uint16, body []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = binary.BigEndian.AppendUint16(b, uint16(4+len(body)))
	return append(b, body...)
}

func tmpl(id uint16, fields ...uint16) []byte {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = binary.BigEndian.AppendUint16(b, uint16(len(fields)/2))
	for _, f := range fields {
		b = binary.BigEndian.AppendUint16(b, f)
	}
	return b
}

// The 5-tuple template softflowd sends, and one record of it.
var v4 = tmpl(256, ipv4SrcAddr, 4, ipv4DstAddr, 4, l4SrcPort, 2, l4DstPort, 2, protocol, 1,
	inBytes, 4, inPkts, 4, firstSwitched, 4, lastSwitched, 4)

func v4record(sp uint16) []byte {
	b := []byte{10, 0, 0, 1, 10, 0, 0, 2}
	b = binary.BigEndian.AppendUint16(b, sp)
	b = binary.BigEndian.AppendUint16(b, 443)
	b = append(b, 6)
	b = binary.BigEndian.AppendUint32(b, 1500)
	b = binary.BigEndian.AppendUint32(b, 3)
	b = binary.BigEndian.AppendUint32(b, 50000) // 10 s before the header's uptime
	b = binary.BigEndian.AppendUint32(b, 59000)
	return b
}

func decodeAll(t *testing.T, c *Collector, pkt []byte) ([]ipfix.Record, error) {
	t.Helper()
	var out []ipfix.Record
	err := c.Decode(exporter, pkt, func(r *ipfix.Record) { out = append(out, *r) })
	return out, err
}

func TestDecodeRecords(t *testing.T) {
	c := NewCollector()
	data := append(append(v4record(1000), v4record(1001)...), 0, 0, 0) // two records and 3 bytes of padding
	recs, err := decodeAll(t, c, packet(1, flowset(0, v4), flowset(256, data)))
	if err != nil || len(recs) != 2 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	r := recs[1]
	if netip.AddrFrom4([4]byte(r.Src[:4])).String() != "10.0.0.1" || r.Sp != 1001 || r.Dp != 443 || r.Proto != 6 ||
		r.Octets != 1500 || r.Packets != 3 {
		t.Errorf("record %+v", r)
	}
	// Boot was at 1700000000 s - 60 s; the flow started 50 s after boot.
	if r.Start != (1700000000-10)*1e6 || r.End != (1700000000-1)*1e6 {
		t.Errorf("times %d %d", r.Start, r.End)
	}
	// Data before its template is counted, not decoded; templates are
	// per exporter and source id.
	c2 := NewCollector()
	if recs, _ := decodeAll(t, c2, packet(1, flowset(256, v4record(1)))); len(recs) != 0 || c2.UnknownTemplate != 1 {
		t.Errorf("unknown template: %d records", len(recs))
	}
	if err := c.Decode(netip.MustParseAddr("127.0.0.2"), packet(2, flowset(256, v4record(1))), func(*ipfix.Record) {
		t.Error("a template of another exporter was used")
	}); err != nil {
		t.Error(err)
	}
	// A gap in the sequence numbers is counted.
	decodeAll(t, c, packet(5, flowset(256, v4record(1))))
	if c.Missed != 3 {
		t.Errorf("missed %d, want 3", c.Missed)
	}
}

func TestMalformedRefused(t *testing.T) {
	cases := map[string][]byte{
		"short header":        packet(1)[:19],
		"version 5":           append([]byte{0, 5}, packet(1)[2:]...),
		"flowset too long":    append(packet(1), 0, 0, 0, 200, 1, 2),
		"flowset length 2":    append(packet(1), 1, 0, 0, 2),
		"template no fields":  packet(1, flowset(0, tmpl(300))),
		"zero-length field":   packet(1, flowset(0, tmpl(300, inBytes, 4, inPkts, 0))),
		"fields past the set": packet(1, flowset(0, append(tmpl(300, inBytes, 4), 0, 0)[:6])),
		"template id 5":       packet(1, flowset(0, tmpl(5, inBytes, 4))),
		"reserved set id":     packet(1, flowset(7, []byte{1, 2, 3, 4})),
	}
	for name, pkt := range cases {
		c := NewCollector()
		_, err := decodeAll(t, c, pkt)
		if !errors.Is(err, ErrFormat) {
			t.Errorf("%s: %v, want ErrFormat", name, err)
		}
		if len(c.templates) != 0 {
			t.Errorf("%s: template kept", name)
		}
	}
}

// Templates are bounded per exporter and source id, and in total.
func TestTemplateBounds(t *testing.T) {
	c := NewCollector()
	var sets []byte
	for id := 256; id < 256+MaxTemplatesPerSource+10; id++ {
		sets = append(sets, tmpl(uint16(id), inBytes, 4)...)
	}
	if _, err := decodeAll(t, c, packet(1, flowset(0, sets))); err != nil {
		t.Fatal(err)
	}
	if len(c.templates) != MaxTemplatesPerSource || c.RefusedTemplates != 10 {
		t.Errorf("%d templates, %d refused", len(c.templates), c.RefusedTemplates)
	}
	// Refreshing a known template is not a new one.
	if _, err := decodeAll(t, c, packet(2, flowset(0, tmpl(256, inBytes, 8)))); err != nil || c.RefusedTemplates != 10 {
		t.Errorf("refresh: %v, refused %d", err, c.RefusedTemplates)
	}
	for i := 0; len(c.templates) < MaxTemplates+5 && i < 100; i++ {
		a := netip.AddrFrom4([4]byte{10, 1, byte(i), 1})
		c.Decode(a, packet(1, flowset(0, sets)), func(*ipfix.Record) {})
	}
	if len(c.templates) != MaxTemplates {
		t.Errorf("%d templates in total, want at most %d", len(c.templates), MaxTemplates)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(packet(1, flowset(0, v4), flowset(256, v4record(1))))
	f.Add(packet(1, flowset(0, tmpl(300, ipv6SrcAddr, 16, ipv6DstAddr, 16, flowStartMs, 8)), flowset(300, make([]byte, 45))))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := NewCollector()
		for i := 0; i < 2; i++ { // the second pass uses the templates of the first
			c.Decode(exporter, b, func(r *ipfix.Record) {})
		}
	})
}
