package ipfix

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"reflect"
	"testing"
	"time"
)

// msgBuilder writes IPFIX messages by hand, including wrong ones.
type msgBuilder struct {
	b   []byte
	set int // start of the open set, or -1
}

func newMsg(seq, domain uint32) *msgBuilder {
	m := &msgBuilder{b: make([]byte, headerLen), set: -1}
	binary.BigEndian.PutUint16(m.b, 10)
	binary.BigEndian.PutUint32(m.b[4:], 1_700_000_000)
	binary.BigEndian.PutUint32(m.b[8:], seq)
	binary.BigEndian.PutUint32(m.b[12:], domain)
	return m
}

func (m *msgBuilder) openSet(id uint16) *msgBuilder {
	m.closeSet()
	m.set = len(m.b)
	m.b = binary.BigEndian.AppendUint16(m.b, id)
	m.b = append(m.b, 0, 0)
	return m
}

func (m *msgBuilder) closeSet() {
	if m.set >= 0 {
		binary.BigEndian.PutUint16(m.b[m.set+2:], uint16(len(m.b)-m.set))
		m.set = -1
	}
}

// template appends one template record: id, then (element, length) pairs.
func (m *msgBuilder) template(id uint16, fields ...uint16) *msgBuilder {
	m.b = binary.BigEndian.AppendUint16(m.b, id)
	m.b = binary.BigEndian.AppendUint16(m.b, uint16(len(fields)/2))
	for _, f := range fields {
		m.b = binary.BigEndian.AppendUint16(m.b, f)
	}
	return m
}

func (m *msgBuilder) closed() *msgBuilder { m.closeSet(); return m }

func (m *msgBuilder) raw(b ...byte) *msgBuilder { m.b = append(m.b, b...); return m }

func (m *msgBuilder) bytes() []byte {
	m.closeSet()
	binary.BigEndian.PutUint16(m.b[2:], uint16(len(m.b)))
	return m.b
}

// addrPortTemplate: source and destination IPv4 address, source port.
var addrPortTemplate = []uint16{ieSourceIPv4Address, 4, ieDestinationIPv4Address, 4, ieSourceTransportPort, 2}

// validMessage is template 256 of addrPortTemplate and two records.
func validMessage(seq uint32) []byte {
	return newMsg(seq, 0).openSet(templateSet).template(256, addrPortTemplate...).
		openSet(256).raw(10, 0, 0, 1, 10, 0, 0, 2, 0x12, 0x34).raw(10, 0, 0, 3, 10, 0, 0, 4, 0, 80).bytes()
}

// dataOnly is validMessage's data set alone.
func dataOnly(seq uint32) []byte {
	return newMsg(seq, 0).openSet(256).raw(10, 0, 0, 1, 10, 0, 0, 2, 0x12, 0x34).raw(10, 0, 0, 3, 10, 0, 0, 4, 0, 80).bytes()
}

func decodeAll(t *testing.T, c *Collector, from netip.AddrPort, msg []byte) ([]Record, error) {
	t.Helper()
	var got []Record
	err := c.DecodeFrom(from, msg, func(r *Record) { got = append(got, *r) })
	return got, err
}

func problemOf(err error) Problem {
	var de *DecodeError
	if errors.As(err, &de) {
		return de.Problem
	}
	return -1
}

var exporterA = netip.MustParseAddrPort("127.0.0.1:40001")

func checkValidAfter(t *testing.T, c *Collector, from netip.AddrPort) {
	t.Helper()
	got, err := decodeAll(t, c, from, validMessage(0))
	if err != nil || len(got) != 2 || got[0].Sp != 0x1234 || got[1].Src != [16]byte{10, 0, 0, 3} {
		t.Fatalf("valid message after: %v, %+v", err, got)
	}
}

// The datagram of the issue: template 300 with one field, IE 8 of length
// 0, then a data set 300 of four bytes. Before the fix the collector
// emitted records of zeros without end.
func TestZeroLengthFieldDatagram(t *testing.T) {
	c := NewCollector()
	msg := newMsg(0, 0).openSet(templateSet).template(300, ieSourceIPv4Address, 0).
		openSet(300).raw(1, 2, 3, 4).bytes()
	got, err := decodeAll(t, c, exporterA, msg)
	if len(got) != 0 || problemOf(err) != BadTemplate {
		t.Fatalf("%d records, error %v; want none and a bad template", len(got), err)
	}
	st := c.Stats()
	if st.Problems[BadTemplate] != 1 || st.Problems[UnknownTemplate] != 1 || st.Templates != 0 {
		t.Fatalf("stats %+v", st)
	}
	checkValidAfter(t, c, exporterA)
}

// Each malformed part is refused with its problem, and what else the
// message holds is still decoded.
func TestRefusals(t *testing.T) {
	good := func(m *msgBuilder) *msgBuilder {
		return m.openSet(templateSet).template(256, addrPortTemplate...).
			openSet(256).raw(10, 0, 0, 1, 10, 0, 0, 2, 0, 7)
	}
	cases := []struct {
		name    string
		msg     []byte
		problem Problem
		records int
	}{
		{"short", []byte{0, 10, 0, 8}, BadMessage, 0},
		{"version 8", func() []byte { b := validMessage(0); b[1] = 8; return b }(), BadMessage, 0},
		{"length above datagram", func() []byte { b := validMessage(0); b[3]++; return b }(), BadMessage, 0},
		{"length below datagram", append(validMessage(0), 0), BadMessage, 0},
		{"template id 255", good(newMsg(0, 0).openSet(templateSet).template(255, ieSourceIPv4Address, 4)).bytes(), BadTemplate, 1},
		{"fields past the set", good(newMsg(0, 0).openSet(templateSet).raw(1, 44, 0, 9, 0, 8, 0, 4)).bytes(), BadTemplate, 1},
		{"too many fields", good(newMsg(0, 0).openSet(templateSet).template(300, make([]uint16, 2*513)...)).bytes(), BadTemplate, 1},
		{"variable length past the set", good(newMsg(0, 0)).openSet(templateSet).template(301, ieSourceIPv4Address, VarLen).
			openSet(301).raw(20, 1, 2, 3).bytes(), BadRecord, 1},
		{"reserved set id", good(newMsg(0, 0).openSet(7).raw(1, 2, 3, 4)).bytes(), BadSet, 1},
		{"set past the message", good(newMsg(0, 0)).closed().raw(1, 44, 0, 200, 0).bytes(), BadSet, 1},
		{"unknown template", good(newMsg(0, 0).openSet(999).raw(1, 2, 3, 4)).bytes(), UnknownTemplate, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCollector()
			got, err := decodeAll(t, c, exporterA, tc.msg)
			if problemOf(err) != tc.problem || len(got) != tc.records {
				t.Fatalf("error %v (%v), %d records; want %v, %d records", err, problemOf(err), len(got), tc.problem, tc.records)
			}
			if st := c.Stats(); st.Problems[tc.problem] != 1 {
				t.Fatalf("stats %+v", st.Problems)
			}
			checkValidAfter(t, c, exporterA)
		})
	}
}

// A data set yields no more records than its bytes: a template of one
// variable-length field makes a record of every byte (each a length of 0).
func TestRecordsBoundedByBytes(t *testing.T) {
	c := NewCollector()
	body := make([]byte, 1000)
	msg := newMsg(0, 0).openSet(templateSet).template(256, ieSourceIPv4Address, VarLen).
		openSet(256).raw(body...).bytes()
	got, err := decodeAll(t, c, exporterA, msg)
	if err != nil || len(got) != 1000 {
		t.Fatalf("%d records, %v; want 1000 (one per byte)", len(got), err)
	}
}

// Templates are scoped per exporter and observation domain (RFC 7011 §8):
// the same template id means different things from two exporters.
func TestTemplateScopes(t *testing.T) {
	c := NewCollector()
	b := netip.MustParseAddrPort("127.0.0.1:40002")
	if _, err := decodeAll(t, c, exporterA, newMsg(0, 0).openSet(templateSet).template(256, ieSourceTransportPort, 2).bytes()); err != nil {
		t.Fatal(err)
	}
	if _, err := decodeAll(t, c, b, newMsg(0, 0).openSet(templateSet).template(256, ieDestinationTransportPort, 2).bytes()); err != nil {
		t.Fatal(err)
	}
	data := newMsg(0, 0).openSet(256).raw(0, 53).bytes()
	ga, _ := decodeAll(t, c, exporterA, data)
	gb, _ := decodeAll(t, c, b, data)
	gc, errC := decodeAll(t, c, exporterA, newMsg(0, 1).openSet(256).raw(0, 53).bytes())
	if len(ga) != 1 || ga[0].Sp != 53 || ga[0].Dp != 0 || len(gb) != 1 || gb[0].Dp != 53 || gb[0].Sp != 0 {
		t.Fatalf("a %+v, b %+v", ga, gb)
	}
	if len(gc) != 0 || problemOf(errC) != UnknownTemplate {
		t.Fatalf("domain 1 used domain 0's template: %+v %v", gc, errC)
	}
	if st := c.Stats(); st.Sessions != 2 || st.Templates != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestWithdrawalAndExpiry(t *testing.T) {
	clock := time.Unix(1_700_000_000, 0)
	c := NewCollectorLimits(Limits{TemplateLifetime: time.Minute})
	c.clock = func() time.Time { return clock }
	define := newMsg(0, 0).openSet(templateSet).template(256, addrPortTemplate...).template(257, addrPortTemplate...).bytes()
	if _, err := decodeAll(t, c, exporterA, define); err != nil {
		t.Fatal(err)
	}
	// Withdraw 256 alone, then all.
	_, _ = decodeAll(t, c, exporterA, newMsg(0, 0).openSet(templateSet).raw(1, 0, 0, 0).bytes())
	if st := c.Stats(); st.Templates != 1 || st.Withdrawn != 1 {
		t.Fatalf("after withdrawing 256: %+v", st)
	}
	_, _ = decodeAll(t, c, exporterA, newMsg(0, 0).openSet(templateSet).raw(0, 2, 0, 0).bytes())
	if st := c.Stats(); st.Templates != 0 || st.Withdrawn != 2 {
		t.Fatalf("after withdrawing all: %+v", st)
	}
	// Expiry: refreshed at 40 s, so alive at 90 s; gone at 101 s.
	_, _ = decodeAll(t, c, exporterA, define)
	clock = clock.Add(40 * time.Second)
	_, _ = decodeAll(t, c, exporterA, newMsg(0, 0).openSet(templateSet).template(256, addrPortTemplate...).bytes())
	clock = clock.Add(50 * time.Second)
	got, _ := decodeAll(t, c, exporterA, dataOnly(2))
	if len(got) != 2 {
		t.Fatalf("template 256 expired early: %d records", len(got))
	}
	if st := c.Stats(); st.Templates != 1 || st.Expired != 1 {
		t.Fatalf("257 should have expired, 256 not: %+v", st)
	}
	clock = clock.Add(11 * time.Second)
	got, err := decodeAll(t, c, exporterA, dataOnly(4))
	if len(got) != 0 || problemOf(err) != UnknownTemplate {
		t.Fatalf("expired template still used: %d records, %v", len(got), err)
	}
	if st := c.Stats(); st.Templates != 0 || st.Sessions != 0 {
		t.Fatalf("after expiry: %+v", st)
	}
}

func TestLimits(t *testing.T) {
	c := NewCollectorLimits(Limits{Sessions: 3, TemplatesPerSession: 2, TotalFields: 20})
	port := func(i int) netip.AddrPort {
		return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(50000+i))
	}
	// Per exporter: a third template is refused.
	m := newMsg(0, 0).openSet(templateSet).template(256, addrPortTemplate...).template(257, addrPortTemplate...).
		template(258, addrPortTemplate...).bytes()
	if _, err := decodeAll(t, c, port(0), m); problemOf(err) != TemplateRefused {
		t.Fatalf("third template: %v", err)
	}
	// Scopes: the fourth exporter pushes out the one heard from least
	// recently; fields: 3 fields a template, at most 20 in all.
	for i := 1; i <= 3; i++ {
		if _, err := decodeAll(t, c, port(i), validMessage(0)); err != nil {
			t.Fatal(err)
		}
	}
	st := c.Stats()
	if st.Sessions != 3 || st.Fields > 20 || st.Evicted != 1 {
		t.Fatalf("stats %+v", st)
	}
	checkValidAfter(t, c, port(9))
	if got, err := decodeAll(t, c, port(0), validMessage(1)); err != nil || len(got) != 2 {
		t.Fatalf("the evicted exporter's next message with its template: %d records, %v", len(got), err)
	}
}

func TestDecodeCountsRecordsAndMissed(t *testing.T) {
	c := NewCollector()
	for seq := uint32(0); seq < 6; seq += 2 {
		if _, err := decodeAll(t, c, exporterA, validMessage(seq)); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = decodeAll(t, c, exporterA, validMessage(9)) // three lost
	st := c.Stats()
	want := CollectorStats{Messages: 4, Records: 8, Missed: 3, Templates: 1, Fields: 3, Sessions: 1}
	if !reflect.DeepEqual(st, want) {
		t.Fatalf("stats\n got %+v\nwant %+v", st, want)
	}
}

// nfv9Message builds a NetFlow v9 export packet (RFC 3954 §5.1).
func nfv9Message(seq, sourceID, uptimeMs, unixSecs uint32) *msgBuilder {
	m := &msgBuilder{b: make([]byte, nfv9HeaderLen), set: -1}
	binary.BigEndian.PutUint16(m.b, 9)
	binary.BigEndian.PutUint32(m.b[4:], uptimeMs)
	binary.BigEndian.PutUint32(m.b[8:], unixSecs)
	binary.BigEndian.PutUint32(m.b[12:], seq)
	binary.BigEndian.PutUint32(m.b[16:], sourceID)
	return m
}

// nfv9Bytes closes the open flowset; NetFlow v9 has no length in its header.
func (m *msgBuilder) nfv9Bytes() []byte {
	m.closeSet()
	return m.b
}

// A softflowd-like template: addresses, switched times, counters, ports,
// protocol; the times are the exporter's uptime in ms.
func TestNetFlowV9(t *testing.T) {
	c := NewCollector()
	tmpl := []uint16{ieSourceIPv4Address, 4, ieDestinationIPv4Address, 4, ieFlowEndSysUpTime, 4, ieFlowStartSysUpTime, 4,
		ieOctetDeltaCount, 4, iePacketDeltaCount, 4, ieSourceTransportPort, 2, ieDestinationTransportPort, 2, ieProtocolIdentifier, 1,
		0x8001, 3} // a vendor field, read past
	rec := []byte{10, 0, 0, 1, 10, 0, 0, 2, 0, 0, 0x27, 0x10, 0, 0, 0x03, 0xe8, 0, 0, 5, 0xdc, 0, 0, 0, 3, 0xc3, 0x50, 0, 53, 17, 9, 9, 9}
	msg := nfv9Message(0, 7, 20_000, 1_700_000_000).openSet(0).template(300, tmpl...).
		openSet(300).raw(rec...).raw(rec...).raw(0, 0, 0).nfv9Bytes() // two records and padding
	got, err := decodeAll(t, c, exporterA, msg)
	if err != nil || len(got) != 2 {
		t.Fatalf("%d records, %v", len(got), err)
	}
	r := got[0]
	// Boot at 1,700,000,000 s less 20 s of uptime; first switched at 1 s,
	// last at 10 s of uptime.
	if r.Src != [16]byte{10, 0, 0, 1} || r.Sp != 50000 || r.Dp != 53 || r.Proto != 17 || r.Octets != 1500 || r.Packets != 3 ||
		r.Start != 1_699_999_981_000_000 || r.End != 1_699_999_990_000_000 {
		t.Fatalf("record %+v", r)
	}
	// The same source id from another port of the exporter's address is
	// the same stream (RFC 3954 §5.1); sequence numbers count packets.
	other := netip.AddrPortFrom(exporterA.Addr(), 40999)
	data := nfv9Message(1, 7, 21_000, 1_700_000_001).openSet(300).raw(rec...).nfv9Bytes()
	if got, err := decodeAll(t, c, other, data); err != nil || len(got) != 1 {
		t.Fatalf("data from another port: %d records, %v", len(got), err)
	}
	_, _ = decodeAll(t, c, exporterA, nfv9Message(4, 7, 22_000, 1_700_000_002).openSet(300).raw(rec...).nfv9Bytes())
	if st := c.Stats(); st.Missed != 2 || st.Sessions != 1 || st.Records != 4 {
		t.Fatalf("stats %+v", st)
	}
	// An IPFIX message with domain 7 from the same exporter does not see
	// the NetFlow v9 template.
	if got, err := decodeAll(t, c, exporterA, newMsg(0, 7).openSet(300).raw(rec...).bytes()); len(got) != 0 || problemOf(err) != UnknownTemplate {
		t.Fatalf("IPFIX used a NetFlow v9 template: %d records, %v", len(got), err)
	}
}

func TestNetFlowV9Refusals(t *testing.T) {
	cases := []struct {
		name    string
		msg     []byte
		problem Problem
	}{
		{"short header", make([]byte, 12), BadMessage},
		{"field of length 0", nfv9Message(0, 1, 0, 0).openSet(0).template(300, ieSourceIPv4Address, 0).openSet(300).raw(1, 2, 3, 4).nfv9Bytes(), BadTemplate},
		{"no fields", nfv9Message(0, 1, 0, 0).openSet(0).template(300).nfv9Bytes(), BadTemplate},
		{"field of 65535 bytes", nfv9Message(0, 1, 0, 0).openSet(0).template(300, ieSourceIPv4Address, 0xffff).nfv9Bytes(), BadTemplate},
		{"flowset past the packet", nfv9Message(0, 1, 0, 0).raw(1, 44, 0, 100, 0, 0).nfv9Bytes(), BadSet},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCollector()
			if len(tc.msg) >= 2 {
				binary.BigEndian.PutUint16(tc.msg, 9)
			}
			got, err := decodeAll(t, c, exporterA, tc.msg)
			if len(got) != 0 || problemOf(err) != tc.problem {
				t.Fatalf("%d records, %v; want %v", len(got), err, tc.problem)
			}
		})
	}
	// Options templates (scope and option lengths in bytes) are kept and
	// their records read past.
	c := NewCollector()
	opts := nfv9Message(0, 1, 0, 0).openSet(1).raw(1, 45, 0, 4, 0, 8, 0, 1, 0, 4, 0, 34, 0, 4, 0, 35, 0, 2).
		openSet(301).raw(0, 0, 0, 1, 0, 0, 0, 100, 0, 1).nfv9Bytes()
	got, err := decodeAll(t, c, exporterA, opts)
	if err != nil || len(got) != 0 || c.Stats().Templates != 1 {
		t.Fatalf("options: %d records, %v, %+v", len(got), err, c.Stats())
	}
}
