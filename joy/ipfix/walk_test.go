package ipfix

import (
	"reflect"
	"testing"

	"github.com/gojoy/libjoy/joy/record"
)

// The Filler reads the tls member's facts as the tls module emits them
// for one direction, and nothing from other members.
func TestFillerTLSMember(t *testing.T) {
	var f Filler
	var e record.Enc
	e.Use(&f)
	var r Record
	f.Start(&r)
	e.Object("dns") // a member the Filler does not take is ignored
	e.Uint("c_version", 9)
	e.End()
	e.Object("tls")
	e.Uint("c_version", 5)
	e.Uint("c_key_length", 1<<20)
	e.Hex("c_random", []byte{1, 2})
	e.Hex("c_sid", []byte{3})
	e.List("sni")
	e.Text("", []byte("example.com"))
	e.End()
	e.List("cs")
	e.HexUint("", 0x1301, 2)
	e.HexUint("", 0xc02f, 2)
	e.End()
	e.List("srlt")
	for _, x := range [][2]uint64{{517, 0}, {90, 70000}, {30, uint64(uint32(0xffffffff))}} {
		e.Object("")
		e.Uint("b", x[0])
		e.String("dir", ">")
		e.Uint("ipt", x[1])
		e.Uint("tp", 22)
		e.List("hs_types")
		e.Uint("", 1)
		e.End()
		e.End()
	}
	e.End()
	e.End()
	want := Record{
		TLSVersion: 5, TLSKeyLength: 65535, TLSRandom: []byte{1, 2}, TLSSessionID: []byte{3},
		TLSCipherSuites:  []uint16{0x1301, 0xc02f},
		TLSRecordLengths: []uint16{517, 90, 30},
		TLSRecordTimes:   []uint16{0, 65535, 0}, // clamped; a negative gap (wrapped) is 0
	}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("got  %+v\nwant %+v", r, want)
	}

	// A server's selected suite; the next record starts afresh.
	r = Record{}
	f.Start(&r)
	e.Object("tls")
	e.Uint("s_version", 6)
	e.HexUint("scs", 0x1302, 2)
	e.End()
	if want := (Record{TLSVersion: 6, TLSCipherSuites: []uint16{0x1302}}); !reflect.DeepEqual(r, want) {
		t.Fatalf("got  %+v\nwant %+v", r, want)
	}
}
