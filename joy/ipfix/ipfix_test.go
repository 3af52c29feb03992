package ipfix

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net"
	"net/netip"
	"reflect"
	"sync"
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
	if m := c.Stats().Missed; m != 0 {
		t.Fatalf("collector missed %d", m)
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

// FuzzCollector feeds the collector our own export messages (IPv4, IPv6,
// IDP, byte distribution, TLS), the zero-length-field datagram and a
// NetFlow v9 packet, mutated.
// Whatever arrives, a message yields at most one record per byte, every
// record prints as JSON, and the templates held stay within the limits.
func FuzzCollector(f *testing.F) {
	var s sink
	e := NewExporter(&s, Options{})
	for i := 0; i < 4; i++ {
		r := sample(i, i%2 == 1)
		if i == 2 {
			r.IDP = bytes.Repeat([]byte{0x45}, 300)
			r.ByteDist = bytes.Repeat([]byte{3}, 256)
		}
		_ = e.Add(&r)
	}
	_ = e.Flush()
	for _, m := range s.msgs {
		f.Add(m)
	}
	f.Add(newMsg(0, 0).openSet(templateSet).template(300, ieSourceIPv4Address, 0).openSet(300).raw(1, 2, 3, 4).bytes())
	f.Add([]byte{0, 10, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add(nfv9Message(0, 7, 20_000, 1_700_000_000).openSet(0).template(300, addrPortTemplate...).
		openSet(300).raw(10, 0, 0, 1, 10, 0, 0, 2, 0, 53, 0, 0).nfv9Bytes())
	limits := Limits{Sessions: 4, TemplatesPerSession: 8, FieldsPerTemplate: 64, TotalFields: 256}
	f.Fuzz(func(t *testing.T, msg []byte) {
		c := NewCollectorLimits(limits)
		for i := 0; i < 3; i++ {
			n := 0
			from := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(1000+i%2))
			_ = c.DecodeFrom(from, msg, func(r *Record) {
				n++
				if line := AppendJSON(nil, r); !json.Valid(line) {
					t.Fatalf("invalid JSON %q", line)
				}
			})
			if n > len(msg) {
				t.Fatalf("%d records from %d bytes", n, len(msg))
			}
			if st := c.Stats(); st.Fields > limits.TotalFields || st.Sessions > limits.Sessions || st.Templates > st.Fields {
				t.Fatalf("limits exceeded: %+v", st)
			}
		}
	})
}

// recordSize, which decides where messages end and what is trimmed, is the
// size encodeRecord writes.
func TestRecordSize(t *testing.T) {
	for i := 0; i < 6; i++ {
		r := sample(i, i%2 == 1)
		switch i {
		case 2:
			r.IDP = bytes.Repeat([]byte{1}, 254)
		case 3:
			r.IDP = bytes.Repeat([]byte{1}, 255)
			r.ByteDist = bytes.Repeat([]byte{2}, 256)
		case 4:
			r = Record{}
		case 5:
			r.SPLTLengths = make([]uint16, 200)
			r.SPLTTimes = make([]uint16, 200)
		}
		if got, want := recordSize(&r), len(encodeRecord(nil, &r)); got != want {
			t.Errorf("record %d: recordSize %d, encoded %d bytes", i, got, want)
		}
	}
}

// Each record has its times in ms (IE 152/153, for nfdump) and then in µs
// (IE 154/155); a collector reading a template with only the ms elements
// gets the times to the ms.
func TestMillisecondTimes(t *testing.T) {
	r := sample(1, false)
	b := encodeRecord(nil, &r)
	off := 4 + 4 + 2 + 2 + 1 + 8 + 8
	if got := binary.BigEndian.Uint64(b[off:]); got != uint64(r.Start/1000) {
		t.Fatalf("flowStartMilliseconds %d, want %d", got, r.Start/1000)
	}
	if got := binary.BigEndian.Uint64(b[off+8:]); got != uint64(r.End/1000) {
		t.Fatalf("flowEndMilliseconds %d, want %d", got, r.End/1000)
	}
	if millis(-1) != 1<<64-1 || millis(1999) != 1 {
		t.Fatal("millis does not round down")
	}
	fields := []Field{{ieFlowStartMilliseconds, 8, 0}, {ieFlowEndMilliseconds, 8, 0}}
	var got Record
	if _, err := decodeRecord(b[off:off+16], fields, &got, nil); err != nil {
		t.Fatal(err)
	}
	if got.Start != r.Start/1000*1000 || got.End != r.End/1000*1000 {
		t.Fatalf("ms only: start %d end %d", got.Start, got.End)
	}
}

// Messages fill up across calls: Add sends a message only when the next
// record does not fit, and FlushOlder sends a partly filled one once it
// has waited long enough.
func TestMessagesFillUp(t *testing.T) {
	clock := time.Unix(1_600_000_000, 0)
	now = func() time.Time { return clock }
	defer func() { now = time.Now }()
	var s sink
	e := NewExporter(&s, Options{})
	for i := 0; i < 40; i++ {
		r := sample(i, false)
		if err := e.Add(&r); err != nil {
			t.Fatal(err)
		}
		if err := e.FlushOlder(clock, time.Second); err != nil {
			t.Fatal(err)
		}
	}
	n, _ := e.Pending()
	if len(s.msgs) == 0 || n == 0 {
		t.Fatalf("%d messages sent, %d records pending", len(s.msgs), n)
	}
	for i, m := range s.msgs {
		if len(m) > DefaultMaxMessage {
			t.Fatalf("message %d: %d bytes", i, len(m))
		}
		// A full message has no room for another sample record.
		next := sample(0, false)
		if len(m)+recordSize(&next) <= DefaultMaxMessage {
			t.Fatalf("message %d: %d bytes, sent before it was full", i, len(m))
		}
	}
	sent := len(s.msgs)
	if err := e.FlushOlder(clock.Add(999*time.Millisecond), time.Second); err != nil || len(s.msgs) != sent {
		t.Fatalf("sent a message younger than the delay: %v", err)
	}
	if err := e.FlushOlder(clock.Add(time.Second), time.Second); err != nil || len(s.msgs) != sent+1 {
		t.Fatalf("kept a message as old as the delay: %v", err)
	}
	if n, _ := e.Pending(); n != 0 {
		t.Fatalf("%d records pending after the flush", n)
	}
}

type lockedSink struct {
	mu sync.Mutex
	sink
}

func (s *lockedSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sink.Write(p)
}

// The background writer sends the same messages, in the same order, as
// the synchronous exporter, and its counters agree after Sync.
func TestBackgroundSameMessages(t *testing.T) {
	clock := time.Unix(1_600_000_000, 0)
	now = func() time.Time { return clock }
	defer func() { now = time.Now }()
	var a sink
	var b lockedSink
	ea := NewExporter(&a, Options{})
	eb := NewExporter(&b, Options{Background: true})
	for i := 0; i < 8000; i++ {
		r := sample(i, i%7 == 0)
		if i%1500 == 0 {
			clock = clock.Add(time.Second)
			_ = ea.Flush()
			_ = eb.Flush()
		}
		if err := ea.Add(&r); err != nil {
			t.Fatal(err)
		}
		if err := eb.Add(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := ea.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := eb.Sync(); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	same := reflect.DeepEqual(a.msgs, b.msgs)
	b.mu.Unlock()
	if !same || len(a.msgs) < 2*batchMessages*sendBatches {
		t.Fatalf("background: %d messages, synchronous: %d (equal: %v)", len(b.msgs), len(a.msgs), same)
	}
	if sa, sb := ea.Stats(), eb.Stats(); sa != sb || sa.Records != 8000 {
		t.Fatalf("stats: synchronous %+v, background %+v", sa, sb)
	}
	if err := eb.Close(); err != nil {
		t.Fatal(err)
	}
}

// Over a UDP socket (sendmmsg on Linux), every record arrives.
func TestBackgroundUDP(t *testing.T) {
	l, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Skipf("no UDP on loopback: %v", err)
	}
	defer l.Close()
	_ = l.(*net.UDPConn).SetReadBuffer(4 << 20)
	port := l.LocalAddr().(*net.UDPAddr).Port
	e, conn, err := Dial("127.0.0.1", port, Options{Background: true, ObservationDomain: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const n = 2000
	got := make(chan int)
	go func() {
		c := NewCollector()
		buf := make([]byte, 65536)
		records := 0
		for records < n {
			_ = l.SetReadDeadline(time.Now().Add(5 * time.Second))
			k, _, err := l.ReadFrom(buf)
			if err != nil {
				break
			}
			if err := c.Decode(buf[:k], func(r *Record) { records++ }); err != nil {
				t.Error(err)
			}
		}
		if c.Stats().Missed != 0 {
			t.Errorf("collector missed %d records", c.Stats().Missed)
		}
		got <- records
	}()
	for i := 0; i < n; i++ {
		r := sample(i, i%3 == 0)
		if err := e.Add(&r); err != nil {
			t.Fatal(err)
		}
		// A reader that keeps up: at most one batch in flight beyond
		// the socket buffer.
		if i%200 == 0 {
			_ = e.Sync()
		}
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if records := <-got; records != n {
		t.Fatalf("collector got %d of %d records", records, n)
	}
	if st := e.Stats(); st.Records != n || st.Errors != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// Failed writes (nobody listening) are counted and returned, and Close
// does not hang.
func TestBackgroundErrors(t *testing.T) {
	l, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Skipf("no UDP on loopback: %v", err)
	}
	port := l.LocalAddr().(*net.UDPAddr).Port
	l.Close()
	e, conn, err := Dial("127.0.0.1", port, Options{Background: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var returned error
	for i := 0; i < 2000; i++ {
		r := sample(i, false)
		if err := e.Add(&r); err != nil && returned == nil {
			returned = err
		}
		if i%100 == 99 {
			if err := e.Sync(); err != nil && returned == nil {
				returned = err
			}
		}
	}
	if err := e.Close(); err != nil && returned == nil {
		returned = err
	}
	st := e.Stats()
	if returned == nil || st.Errors == 0 || st.LastError == nil {
		t.Fatalf("no error seen: returned %v, stats %+v", returned, st)
	}
	if st.Records+st.Errors == 0 || st.Messages+st.Errors < 100 {
		t.Fatalf("stats %+v", st)
	}
}

// A record that fits a message but not beside the templates is not
// trimmed: the templates go alone first, and the record follows.
func TestLargeRecordAfterTemplates(t *testing.T) {
	var s sink
	e := NewExporter(&s, Options{})
	r := sample(1, true)
	r.IDP = bytes.Repeat([]byte{0x45}, 1200)
	if err := e.Add(&r); err != nil {
		t.Fatal(err)
	}
	small := sample(2, false)
	if err := e.Add(&small); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if st := e.Stats(); st.Trimmed != 0 || len(s.msgs) != 3 || st.Messages != 3 || st.Records != 2 {
		t.Fatalf("stats %+v, %d messages", st, len(s.msgs))
	}
	c := NewCollector()
	var got []Record
	for i, m := range s.msgs {
		if len(m) > DefaultMaxMessage {
			t.Fatalf("message %d: %d bytes", i, len(m))
		}
		n := 0
		if err := c.Decode(m, func(r *Record) { got = append(got, *r); n++ }); err != nil {
			t.Fatal(err)
		}
		if want := []int{0, 1, 1}[i]; n != want || (i == 0) != (binary.BigEndian.Uint16(m[16:]) == templateSet) {
			t.Fatalf("message %d: %d records, want %d; template set first: %v", i, n, want, binary.BigEndian.Uint16(m[16:]) == templateSet)
		}
	}
	if len(got) != 2 || !bytes.Equal(got[0].IDP, r.IDP) || c.Stats().Missed != 0 {
		t.Fatalf("collected %d records, IDP intact %v, missed %d", len(got), len(got) > 0 && bytes.Equal(got[0].IDP, r.IDP), c.Stats().Missed)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// Adding records, oversized ones included, allocates nothing, with the
// synchronous and the background writer.
func TestAddDoesNotAllocate(t *testing.T) {
	for _, bg := range []bool{false, true} {
		e := NewExporter(discard{}, Options{Background: bg})
		r := sample(1, false)
		big := sample(2, true)
		big.IDP = bytes.Repeat([]byte{1}, 1500)
		if n := testing.AllocsPerRun(500, func() {
			_ = e.Add(&r)
			_ = e.Add(&big)
		}); n != 0 {
			t.Errorf("background %v: %.1f allocations per pair of records", bg, n)
		}
		if e.Stats().Trimmed == 0 {
			t.Errorf("background %v: nothing trimmed", bg)
		}
		_ = e.Close()
	}
}
