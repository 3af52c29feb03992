package salt

import (
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/record"
)

// seg returns a 20-byte TCP header with the given seq and ack.
func seg(seq, ack uint32) *feature.TCPSegment {
	h := make([]byte, 20)
	binary.BigEndian.PutUint32(h[4:], seq)
	binary.BigEndian.PutUint32(h[8:], ack)
	h[12] = 5 << 4
	h[13] = 0x10
	return &feature.TCPSegment{Header: h}
}

func newState() *State { return Kind.New(&config.Config{Salt: true}).(*State) }

func observe(pairs ...uint32) *State {
	s := newState()
	for i := 0; i+1 < len(pairs); i += 2 {
		s.ObserveTCP(seg(pairs[i], pairs[i+1]))
	}
	return s
}

func TestAppendJSON(t *testing.T) {
	tests := []struct {
		name    string
		out, in *State
		want    string
	}{
		// The first value is absolute, the others the difference to the
		// previous one: 101−100 = 1, 101−101 = 0, 406−101 = 305.
		{"out only", observe(100, 0, 101, 7, 101, 7, 406, 9), nil,
			`,"oseq":[100,1,0,305],"oack":[0,7,0,2]`},
		// Differences are unsigned 32-bit: 4294967295−101 = 4294967194,
		// 5−4294967295 = 6 (mod 2³²), and a step back 10−20 = 4294967286.
		{"wrap", observe(101, 20, 4294967295, 10, 5, 10), nil,
			`,"oseq":[101,4294967194,6],"oack":[20,4294967286,0]`},
		// The tls12 capture's first flow (x_all_features): the client's
		// SYN, ACK, data, data and the server's SYN/ACK, ACK, data.
		{"tls12", observe(537711802, 0, 537711803, 1636152884, 537711803, 1636152884, 537712108, 1636154342),
			observe(1636152883, 537711803, 1636152884, 537712108, 1636152884, 537712108),
			`,"oseq":[537711802,1,0,305],"oack":[0,1636152884,0,1458],"iseq":[1636152883,1,0],"iack":[537711803,305,0]`},
		{"empty twin", observe(1, 2), newState(), `,"oseq":[1],"oack":[2]`},
		// A twin alone is printed with the out side's state (the flow table
		// only calls the out side's module).
		{"empty out side", newState(), observe(3, 4), `,"iseq":[3],"iack":[4]`},
		{"nothing", newState(), nil, ``},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var twin feature.Module
			if tc.in != nil {
				twin = tc.in
			}
			got := string(feature.AppendJSON(nil, tc.out, twin))
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// Only the first 200 segments are kept.
func TestLimit(t *testing.T) {
	s := newState()
	for i := range 250 {
		s.ObserveTCP(seg(uint32(1000+i), uint32(i)))
	}
	got := string(feature.AppendJSON(nil, s, nil))
	want := `,"oseq":[1000` + strings.Repeat(",1", 199) + `],"oack":[0` + strings.Repeat(",1", 199) + `]`
	if got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

// The segment is read during the call only: the flow table reuses it.
func TestCopies(t *testing.T) {
	s := newState()
	g := seg(1, 2)
	s.ObserveTCP(g)
	binary.BigEndian.PutUint32(g.Header[4:], 99)
	s.ObserveTCP(g)
	if got, want := string(feature.AppendJSON(nil, s, nil)), `,"oseq":[1,98],"oack":[2,0]`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestNoAllocations(t *testing.T) {
	s, tw := newState(), observe(1, 2)
	g := seg(5, 6)
	buf := make([]byte, 0, 8192)
	var e record.Enc // reused, as the flow table reuses its encoder
	if n := testing.AllocsPerRun(300, func() {
		s.ObserveTCP(g)
		s.Observe([]byte{1}, 0)
		e.ResetMembers(buf[:0])
		s.Emit(&e, tw)
		buf = e.JSON.B
	}); n != 0 {
		t.Errorf("%v allocations per packet and print", n)
	}
}

// FuzzAppendJSON feeds segments whose seq and ack come from the input to
// both sides and checks the members are valid JSON in an object.
func FuzzAppendJSON(f *testing.F) {
	f.Add([]byte("0123456789abcdef01234567"), uint8(1))
	f.Add([]byte{}, uint8(0))
	f.Add(make([]byte, 8*260), uint8(130))
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		out, in := newState(), newState()
		h := make([]byte, 20)
		g := &feature.TCPSegment{Header: h}
		for i := 0; i+8 <= len(data); i += 8 {
			copy(h[4:12], data[i:])
			if i/8 < int(split) {
				out.ObserveTCP(g)
			} else {
				in.ObserveTCP(g)
			}
		}
		for _, tw := range []feature.Module{nil, in} {
			b := feature.AppendJSON([]byte(`{"x":1`), out, tw)
			b = append(b, '}')
			var v struct {
				X                      int
				Oseq, Oack, Iseq, Iack []uint32
			}
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatalf("invalid JSON %s: %v", b, err)
			}
			if len(v.Oseq) != len(v.Oack) || len(v.Iseq) != len(v.Iack) || len(v.Oseq) > MaxSegments || len(v.Iseq) > MaxSegments {
				t.Fatalf("bad lists: %s", b)
			}
		}
	})
}

// Joy 4.5's SALT messages: payloads of one acknowledgement number summed,
// a new message when the acknowledgement changes; empty segments skipped
// unless zeros are on.
func TestMessages(t *testing.T) {
	s := newState()
	feed := func(ack uint32, n int, ts int64) {
		g := seg(1, ack)
		g.PayloadLen, g.TS = n, ts
		s.ObserveTCP(g)
	}
	feed(10, 100, 1000)
	feed(10, 50, 2000)
	feed(20, 0, 3000)
	feed(20, 7, 4000)
	feed(30, 1, 5000)
	if s.Segments() != 5 || s.Messages() != 3 {
		t.Fatalf("segments %d, messages %d", s.Segments(), s.Messages())
	}
	for i, want := range []struct {
		l  uint16
		ts int64
	}{{150, 2000}, {7, 4000}, {1, 5000}} {
		if l, ts := s.Message(i); l != want.l || ts != want.ts {
			t.Errorf("message %d = %d at %d, want %d at %d", i, l, ts, want.l, want.ts)
		}
	}
}
