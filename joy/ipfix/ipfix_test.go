package ipfix

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"
	"time"
)

type sink struct{ msgs [][]byte }

func (s *sink) Write(p []byte) (int, error) {
	s.msgs = append(s.msgs, append([]byte(nil), p...))
	return len(p), nil
}

func sample(i int, v6 bool) Record {
	r := Record{V6: v6, Sp: uint16(40000 + i), Dp: 443, Proto: 6, Octets: 1234, Packets: 7,
		Start: 1_502_118_721_115_234, End: 1_502_118_721_160_674,
		SPLTLengths: []uint16{305, 1458}, SPLTTimes: []uint16{0, 2},
		TLSVersion: 5, TLSKeyLength: 528, TLSCipherSuites: []uint16{0xc030, 0x00ff},
		TLSRandom: bytes.Repeat([]byte{0xab}, 32), TLSRecordLengths: []uint16{300}, TLSRecordTimes: []uint16{0}}
	if v6 {
		r.Src[0], r.Src[15] = 0x20, 1
		r.Dst[0], r.Dst[15] = 0x20, 2
	} else {
		copy(r.Src[:4], []byte{192, 168, 56, 101})
		copy(r.Dst[:4], []byte{192, 168, 56, 102})
	}
	return r
}

func TestRoundTrip(t *testing.T) {
	var s sink
	e := NewExporter(&s, Options{ObservationDomain: 7})
	var want []Record
	for i := 0; i < 50; i++ {
		r := sample(i, i%3 == 0)
		if i == 5 {
			r.IDP = bytes.Repeat([]byte{1}, 300)
			r.ByteDist = bytes.Repeat([]byte{9}, 256)
		}
		want = append(want, r)
		if err := e.Add(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	c := NewCollector()
	var got []Record
	var seq uint32
	for i, m := range s.msgs {
		if len(m) > DefaultMaxMessage {
			t.Fatalf("message %d is %d bytes, above %d", i, len(m), DefaultMaxMessage)
		}
		if binary.BigEndian.Uint32(m[8:]) != seq {
			t.Fatalf("message %d: sequence %d, want %d (records sent before it)", i, binary.BigEndian.Uint32(m[8:]), seq)
		}
		n := 0
		if err := c.Decode(m, func(r *Record) { got = append(got, *r); n++ }); err != nil {
			t.Fatal(err)
		}
		seq += uint32(n)
	}
	if len(s.msgs) < 2 {
		t.Fatalf("50 records fit in %d message(s); the test wants several", len(s.msgs))
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip differs:\n got %+v\nwant %+v", got[0], want[0])
	}
	if c.Missed != 0 {
		t.Fatalf("collector missed %d", c.Missed)
	}
}

// The template goes out with the first message and again once the refresh
// interval has passed.
func TestTemplateRefresh(t *testing.T) {
	clock := time.Unix(1_600_000_000, 0)
	now = func() time.Time { return clock }
	defer func() { now = time.Now }()
	var s sink
	e := NewExporter(&s, Options{TemplateRefresh: time.Minute})
	hasTemplate := func(m []byte) bool { return binary.BigEndian.Uint16(m[16:]) == templateSet }
	for step, advance := range []time.Duration{0, 30 * time.Second, 31 * time.Second} {
		clock = clock.Add(advance)
		r := sample(step, false)
		_ = e.Add(&r)
		_ = e.Flush()
	}
	if got := []bool{hasTemplate(s.msgs[0]), hasTemplate(s.msgs[1]), hasTemplate(s.msgs[2])}; !reflect.DeepEqual(got, []bool{true, false, true}) {
		t.Fatalf("templates in messages: %v", got)
	}
	if binary.BigEndian.Uint32(s.msgs[2][4:]) != uint32(clock.Unix()) {
		t.Fatal("export time is not the send time")
	}
}

// flowStartMicroseconds is NTP time: seconds since 1900 and a binary
// fraction (RFC 7011 §6.1.9), not the original's sec<<32|usec.
func TestNTPTime(t *testing.T) {
	var b [8]byte
	putNTPMicros(b[:], 1_502_118_721_500_000)
	if sec := binary.BigEndian.Uint32(b[:]); sec != 1_502_118_721+2_208_988_800 {
		t.Fatalf("seconds %d", sec)
	}
	if frac := binary.BigEndian.Uint32(b[4:]); frac != 1<<31 {
		t.Fatalf("half a second as fraction %#x", frac)
	}
	if got := ntpMicros(b[:]); got != 1_502_118_721_500_000 {
		t.Fatalf("read back %d", got)
	}
}

func TestOversizedRecordTrimmed(t *testing.T) {
	var s sink
	e := NewExporter(&s, Options{})
	r := sample(1, false)
	r.IDP = bytes.Repeat([]byte{1}, 1500)
	r.ByteDist = bytes.Repeat([]byte{2}, 256)
	if err := e.Add(&r); err != nil {
		t.Fatal(err)
	}
	_ = e.Flush()
	if e.Stats().Trimmed != 1 || len(s.msgs) != 1 || len(s.msgs[0]) > DefaultMaxMessage {
		t.Fatalf("stats %+v, %d messages", e.Stats(), len(s.msgs))
	}
}

func FuzzCollector(f *testing.F) {
	var s sink
	e := NewExporter(&s, Options{})
	r := sample(1, false)
	_ = e.Add(&r)
	_ = e.Flush()
	f.Add(s.msgs[0])
	f.Add([]byte{0, 10, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, msg []byte) {
		c := NewCollector()
		_ = c.Decode(msg, func(r *Record) { _ = AppendJSON(nil, r) })
		_ = c.Decode(msg, func(r *Record) { _ = AppendJSON(nil, r) })
	})
}
