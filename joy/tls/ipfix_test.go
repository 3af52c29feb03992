package tls

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/gojoy/libjoy/joy/ipfix"
	joyrecord "github.com/gojoy/libjoy/joy/record"
)

// exporter fills exported records from the walk of one direction's tls
// member, as the flow table's export does.
type exporter struct {
	enc  joyrecord.Enc
	fill ipfix.Filler
}

func (x *exporter) export(s *State, r *ipfix.Record) {
	x.enc.Use(&x.fill)
	x.fill.Start(r)
	s.Emit(&x.enc, nil)
}

// The exported record carries the version the JSON record prints for the
// same side: the hello version, except a ServerHello selecting TLS 1.3 in
// supported_versions, whose side reports 6.
func TestExportVersions(t *testing.T) {
	ccs := record(20, []byte{1})
	ch := record(22, clientHello(0x0303, filled(32, 1), nil, []int{0x1301, 0xc02f}, ext(43, []byte{4, 3, 4, 3, 3})))
	sh13 := record(22, serverHello(0x0303, filled(32, 2), nil, 0x1301, ext(43, []byte{3, 4})))
	sh12 := record(22, serverHello(0x0303, filled(32, 2), []byte{7, 7}, 0xc02f))
	for _, c := range []struct {
		name            string
		server          []byte
		client, server6 uint8
		wantJSON        string
	}{
		{"TLS 1.3", sh13, 5, 6, `"s_version":6`},
		{"TLS 1.2", sh12, 5, 5, `"s_version":5`},
	} {
		cli, srv := new(State), new(State)
		feed(cli, 0, ch, ccs)
		feed(srv, 500, c.server, ccs)
		if j := tlsJSON(t, srv, nil); !bytes.Contains([]byte(j), []byte(c.wantJSON)) {
			t.Fatalf("%s: JSON %s, want %s", c.name, j, c.wantJSON)
		}
		var rc, rs ipfix.Record
		new(exporter).export(cli, &rc) // a Filler's arrays last until its next record
		new(exporter).export(srv, &rs)
		if rc.TLSVersion != c.client || rs.TLSVersion != c.server6 {
			t.Errorf("%s: exported versions client %d server %d, want %d %d", c.name, rc.TLSVersion, rs.TLSVersion, c.client, c.server6)
		}
		if !reflect.DeepEqual(rc.TLSCipherSuites, []uint16{0x1301, 0xc02f}) || len(rs.TLSCipherSuites) != 1 {
			t.Errorf("%s: suites %x / %x", c.name, rc.TLSCipherSuites, rs.TLSCipherSuites)
		}
		if !reflect.DeepEqual(rs.TLSRecordTimes, []uint16{0, 1}) || len(rs.TLSRecordLengths) != 2 {
			t.Errorf("%s: record lengths %v times %v", c.name, rs.TLSRecordLengths, rs.TLSRecordTimes)
		}
	}
}

// A direction whose hellos were not seen (JSON: "error":"no role") exports
// no TLS elements, rather than a version and a zero random.
func TestExportNoRole(t *testing.T) {
	s := new(State)
	feed(s, 0, record(23, filled(100, 9)), record(23, filled(200, 9)))
	if j := tlsJSON(t, s, nil); j != `"tls":{"error":"no role"}` {
		t.Fatalf("JSON %s", j)
	}
	var r ipfix.Record
	new(exporter).export(s, &r)
	if !reflect.DeepEqual(r, ipfix.Record{}) {
		t.Fatalf("exported %+v", r)
	}
}

// Filling a record from the walk, once the arrays have grown, allocates
// nothing.
func TestExportDoesNotAllocate(t *testing.T) {
	s := new(State)
	feed(s, 0, record(22, clientHello(0x0303, filled(32, 1), nil, []int{0x1301})), record(20, []byte{1}), record(23, filled(50, 1)))
	var r ipfix.Record
	x := new(exporter)
	x.export(s, &r)
	if n := testing.AllocsPerRun(100, func() {
		r = ipfix.Record{}
		x.export(s, &r)
	}); n != 0 {
		t.Fatalf("%.1f allocations per record", n)
	}
}
