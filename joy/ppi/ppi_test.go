package ppi

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/record"
)

const (
	fFIN = 0x01
	fSYN = 0x02
	fPSH = 0x08
	fACK = 0x10
)

type pkt struct {
	ts       int64 // µs
	seq, ack uint32
	flags    uint8
	n        int    // payload length
	opts     []byte // padded to a multiple of 4 by the caller
}

// header builds the TCP header of p.
func header(p pkt) []byte {
	h := make([]byte, 20+len(p.opts))
	binary.BigEndian.PutUint32(h[4:], p.seq)
	binary.BigEndian.PutUint32(h[8:], p.ack)
	h[12] = byte(len(h)/4) << 4
	h[13] = p.flags
	copy(h[20:], p.opts)
	return h
}

func newState() *State { return Kind.New(&config.Config{PPI: true}).(*State) }

func observe(ps ...pkt) *State {
	s := newState()
	var seg feature.TCPSegment // reused, as the flow table does
	for _, p := range ps {
		seg = feature.TCPSegment{Header: header(p), PayloadLen: p.n, TS: p.ts}
		s.ObserveTCP(&seg)
	}
	return s
}

// A hand-made handshake. The client's SYN carries MSS 1460, SACK
// permitted, timestamps 7/0, a NOP and window scale 7 (20 bytes); the
// server's SYN/ACK MSS 1400, two NOPs and an end of list (8 bytes).
var (
	synOpts    = []byte{2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 7, 0, 0, 0, 0, 1, 3, 3, 7}
	synAckOpts = []byte{2, 4, 0x05, 0x78, 1, 1, 0, 0}
	client     = []pkt{
		{ts: 1000000, seq: 1000, flags: fSYN, opts: synOpts},
		{ts: 1000500, seq: 1001, ack: 5001, flags: fACK},
		{ts: 1003200, seq: 1001, ack: 5001, flags: fPSH | fACK, n: 100},
		{ts: 1004000, seq: 1101, ack: 5051, flags: fACK},
	}
	server = []pkt{
		{ts: 1000400, seq: 5000, ack: 1001, flags: fSYN | fACK, opts: synAckOpts},
		{ts: 1004000, seq: 5001, ack: 1101, flags: fACK},
		{ts: 1004000, seq: 5001, ack: 1101, flags: fPSH | fACK, n: 50},
	}
)

// Merged by time, the server's segments first on equal times (the twin's);
// start is the client's SYN. Worked through:
//
//	SYN      client: first segment → client, rseq 0, rack 0; running 1000
//	SYN/ACK  server: rack = 1001−1000 = 1; first of its side → server,
//	         rseq 0; running 5000
//	ACK      client: rseq = 1001−1000 = 1 (running 1001), rack = 5001−5000 = 1
//	data     client: rseq 0, rack 1, 3.2 ms → t 3
//	ACK      server: rseq = 5001−5000 = 1 (running 5001), rack = 1101−1001 = 100
//	data     server: rseq 0, rack 100, b 50
//	ACK      client: rseq = 1101−1001 = 100, rack = 5051−5001 = 50
var handshakeJSON = `,"ppi":[` +
	`{"seq":1000,"ack":0,"rseq":0,"rack":0,"b":0,"olen":20,"dir":">","t":0,"flags":"S","opts":[{"mss":1460},{"sackp":null},{"ts":{"val":7,"ecr":0}},{"noop":null},{"ws":7}]},` +
	`{"seq":5000,"ack":1001,"rseq":0,"rack":1,"b":0,"olen":8,"dir":"<","t":0,"flags":"SA","opts":[{"mss":1400},{"noop":null},{"noop":null}]},` +
	`{"seq":1001,"ack":5001,"rseq":1,"rack":1,"b":0,"olen":0,"dir":">","t":0,"flags":"A","opts":[]},` +
	`{"seq":1001,"ack":5001,"rseq":0,"rack":1,"b":100,"olen":0,"dir":">","t":3,"flags":"PA","opts":[]},` +
	`{"seq":5001,"ack":1101,"rseq":1,"rack":100,"b":0,"olen":0,"dir":"<","t":4,"flags":"A","opts":[]},` +
	`{"seq":5001,"ack":1101,"rseq":0,"rack":100,"b":50,"olen":0,"dir":"<","t":4,"flags":"PA","opts":[]},` +
	`{"seq":1101,"ack":5051,"rseq":100,"rack":50,"b":0,"olen":0,"dir":">","t":4,"flags":"A","opts":[]}]`

func TestHandshake(t *testing.T) {
	got := string(feature.AppendJSON(nil, observe(client...), observe(server...)))
	if got != handshakeJSON {
		t.Errorf("got  %s\nwant %s", got, handshakeJSON)
	}
}

// The direction comes from who is printed first, not from which side is
// "out": printed from the server's record the same segments come out the
// same, except that on equal times the client's (now the twin's) go first.
func TestServerOut(t *testing.T) {
	got := string(feature.AppendJSON(nil, observe(server...), observe(client...)))
	want := `,"ppi":[` +
		`{"seq":1000,"ack":0,"rseq":0,"rack":0,"b":0,"olen":20,"dir":">","t":0,"flags":"S","opts":[{"mss":1460},{"sackp":null},{"ts":{"val":7,"ecr":0}},{"noop":null},{"ws":7}]},` +
		`{"seq":5000,"ack":1001,"rseq":0,"rack":1,"b":0,"olen":8,"dir":"<","t":0,"flags":"SA","opts":[{"mss":1400},{"noop":null},{"noop":null}]},` +
		`{"seq":1001,"ack":5001,"rseq":1,"rack":1,"b":0,"olen":0,"dir":">","t":0,"flags":"A","opts":[]},` +
		`{"seq":1001,"ack":5001,"rseq":0,"rack":1,"b":100,"olen":0,"dir":">","t":3,"flags":"PA","opts":[]},` +
		// client ACK first now: rseq 100, rack = 5051−5000 = 51
		`{"seq":1101,"ack":5051,"rseq":100,"rack":51,"b":0,"olen":0,"dir":">","t":4,"flags":"A","opts":[]},` +
		// server ACK: rack = 1101−1101 = 0
		`{"seq":5001,"ack":1101,"rseq":1,"rack":0,"b":0,"olen":0,"dir":"<","t":4,"flags":"A","opts":[]},` +
		`{"seq":5001,"ack":1101,"rseq":0,"rack":0,"b":50,"olen":0,"dir":"<","t":4,"flags":"PA","opts":[]}]`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// The first segment printed makes its side the client even when it is
	// the server's: a SYN/ACK seen before the SYN.
	early := server[0]
	early.ts = 999000
	got = string(feature.AppendJSON(nil, observe(client[:2]...), observe(early)))
	want = `,"ppi":[` +
		`{"seq":5000,"ack":1001,"rseq":0,"rack":0,"b":0,"olen":8,"dir":">","t":0,"flags":"SA","opts":[{"mss":1400},{"noop":null},{"noop":null}]},` +
		`{"seq":1000,"ack":0,"rseq":0,"rack":0,"b":0,"olen":20,"dir":"<","t":1,"flags":"S","opts":[{"mss":1460},{"sackp":null},{"ts":{"val":7,"ecr":0}},{"noop":null},{"ws":7}]},` +
		`{"seq":1001,"ack":5001,"rseq":1,"rack":1,"b":0,"olen":0,"dir":"<","t":1,"flags":"A","opts":[]}]`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestUnidirectional(t *testing.T) {
	tests := []struct {
		name string
		ps   []pkt
		want string
	}{
		// Without a twin the other side's running number stays 0: rack is
		// the ack itself.
		{"client alone", client[:3], `,"ppi":[` +
			`{"seq":1000,"ack":0,"rseq":0,"rack":0,"b":0,"olen":20,"dir":">","t":0,"flags":"S","opts":[{"mss":1460},{"sackp":null},{"ts":{"val":7,"ecr":0}},{"noop":null},{"ws":7}]},` +
			`{"seq":1001,"ack":5001,"rseq":1,"rack":5001,"b":0,"olen":0,"dir":">","t":0,"flags":"A","opts":[]},` +
			`{"seq":1001,"ack":5001,"rseq":0,"rack":5001,"b":100,"olen":0,"dir":">","t":3,"flags":"PA","opts":[]}]`},
		// The first segment's rack is 0 even with ACK set. A segment behind
		// the running number gives a negative rseq and leaves it; 32-bit
		// sequence arithmetic moves it across the wrap (100 is ahead of
		// 4294967000) while rseq stays the plain difference of the unsigned
		// values, and 4294967000 is behind 200. A segment without ACK has
		// rack 0; a SYN resets the running number. A timestamp before the
		// first segment's wraps t to 32 bits (−1 µs and −1 ms floor to −1).
		{"sequence arithmetic", []pkt{
			{ts: 5000000, seq: 4294967000, ack: 10, flags: fACK},
			{ts: 5001999, seq: 4294966500, ack: 10, flags: fACK},
			{ts: 5002000, seq: 100, ack: 10, flags: fACK},
			{ts: 5002001, seq: 200, ack: 10, flags: fFIN},
			{ts: 5002002, seq: 4294967000, ack: 10, flags: fACK},
			{ts: 4999999, seq: 9000, ack: 4294967295, flags: 0xff},
			{ts: 4999000, seq: 9001, ack: 4294967295, flags: fACK},
		}, `,"ppi":[` +
			`{"seq":4294967000,"ack":10,"rseq":0,"rack":0,"b":0,"olen":0,"dir":">","t":0,"flags":"A","opts":[]},` +
			`{"seq":4294966500,"ack":10,"rseq":-500,"rack":10,"b":0,"olen":0,"dir":">","t":1,"flags":"A","opts":[]},` +
			`{"seq":100,"ack":10,"rseq":-4294966900,"rack":10,"b":0,"olen":0,"dir":">","t":2,"flags":"A","opts":[]},` +
			`{"seq":200,"ack":10,"rseq":100,"rack":0,"b":0,"olen":0,"dir":">","t":2,"flags":"F","opts":[]},` +
			`{"seq":4294967000,"ack":10,"rseq":4294966800,"rack":10,"b":0,"olen":0,"dir":">","t":2,"flags":"A","opts":[]},` +
			`{"seq":9000,"ack":4294967295,"rseq":0,"rack":4294967295,"b":0,"olen":0,"dir":">","t":4294967295,"flags":"FSRPAUEC","opts":[]},` +
			`{"seq":9001,"ack":4294967295,"rseq":1,"rack":4294967295,"b":0,"olen":0,"dir":">","t":4294967295,"flags":"A","opts":[]}]`},
		// Payload lengths are the original's 16-bit field: 70000 → 4464.
		{"long segment", []pkt{{ts: 1, seq: 1, flags: fACK, n: 70000}},
			`,"ppi":[{"seq":1,"ack":0,"rseq":0,"rack":0,"b":4464,"olen":0,"dir":">","t":0,"flags":"A","opts":[]}]`},
		{"nothing", nil, ``},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := string(feature.AppendJSON(nil, observe(tc.ps...), nil))
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// With a twin, nothing is printed unless both sides have segments.
func TestOneSideEmpty(t *testing.T) {
	if got := string(feature.AppendJSON(nil, observe(client...), newState())); got != "" {
		t.Errorf("empty twin: got %s", got)
	}
	if got := string(feature.AppendJSON(nil, newState(), observe(server...))); got != "" {
		t.Errorf("empty out side: got %s", got)
	}
	var nilState *State
	if got := string(feature.AppendJSON(nil, observe(client[:1]...), nilState)); !strings.HasPrefix(got, `,"ppi":[{"seq":1000,`) {
		t.Errorf("typed nil twin: got %s", got)
	}
}

// Each side prints its first 50 segments.
func TestLimit(t *testing.T) {
	var c, s []pkt
	for i := range 60 {
		c = append(c, pkt{ts: int64(2 * i), seq: uint32(i), flags: fACK})
		s = append(s, pkt{ts: int64(2*i + 1), seq: uint32(1000 + i), flags: fACK})
	}
	got := feature.AppendJSON(nil, observe(c...), observe(s...))
	var v struct{ PPI []struct{ Seq uint32 } }
	if err := json.Unmarshal(append(append([]byte(`{"x":1`), got...), '}'), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.PPI) != 100 || v.PPI[98].Seq != 49 || v.PPI[99].Seq != 1049 {
		t.Errorf("got %d entries, last %v", len(v.PPI), v.PPI[len(v.PPI)-2:])
	}
	got = feature.AppendJSON(nil, observe(c...), nil)
	if n := bytes.Count(got, []byte(`{"seq":`)); n != 50 {
		t.Errorf("unidirectional: %d entries", n)
	}
}

// The options keep the first 24 of up to 40 bytes; olen is the full length.
func TestLongOptions(t *testing.T) {
	opts := bytes.Repeat([]byte{1}, 40)
	copy(opts[20:], []byte{8, 10, 0, 0, 0, 1, 0, 0, 0, 2}) // a timestamp cut at byte 24
	got := string(feature.AppendJSON(nil, observe(pkt{seq: 1, flags: fACK, opts: opts}), nil))
	want := `,"ppi":[{"seq":1,"ack":0,"rseq":0,"rack":0,"b":0,"olen":40,"dir":">","t":0,"flags":"A","opts":[` +
		strings.Repeat(`{"noop":null},`, 20) + `{"malformed":{"kind":8,"len":10}}]}]`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"none", nil, `[]`},
		{"end of list", []byte{0, 1, 1, 1}, `[]`},
		{"noops then end", []byte{1, 1, 0, 2}, `[{"noop":null},{"noop":null}]`},
		{"kind without length", []byte{1, 2}, `[{"noop":null}]`},
		{"zero length", []byte{2, 0, 5, 0xb4}, `[{"malformed":{"kind":2,"len":0}}]`},
		{"length beyond", []byte{1, 2, 8, 5, 0xb4}, `[{"noop":null},{"malformed":{"kind":2,"len":8}}]`},
		{"mss of 1 byte", []byte{2, 3, 5, 1}, `[{"malformed":{"kind":2,"data":"05","len":1}},{"noop":null}]`},
		{"ws of 2 bytes", []byte{3, 4, 7, 7}, `[{"malformed":{"kind":3,"data":"0707","len":2}}]`},
		{"ts of 4 bytes", []byte{8, 6, 1, 2, 3, 4}, `[{"malformed":{"kind":8,"data":"01020304","len":4}}]`},
		{"sack permitted with data", []byte{4, 4, 9, 9}, `[{"sackp":null}]`},
		{"sack", []byte{5, 10, 0, 0, 0, 1, 0, 0, 0, 2}, `[{"kind":5,"data":"0000000100000002"}]`},
		{"unknown kind, no data", []byte{30, 2}, `[{"kind":30,"data":""}]`},
		{"mss", []byte{2, 4, 0xff, 0xff}, `[{"mss":65535}]`},
		{"ts", []byte{8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 1, 0}, `[{"ts":{"val":4294967295,"ecr":256}}]`},
		// Length 1: the original's sackp case advances one byte (onto the
		// length byte, here a NOP); the other kinds would hex-dump 4 GiB.
		{"sack permitted of length 1", []byte{4, 1, 3, 3, 7}, `[{"sackp":null},{"noop":null},{"ws":7}]`},
		{"mss of length 1", []byte{2, 1, 1, 1}, `[{"malformed":{"kind":2,"data":"","len":0}}]`},
		{"unknown of length 1", []byte{1, 77, 1}, `[{"noop":null},{"malformed":{"kind":77,"data":"","len":0}}]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(appendOptions(nil, tc.in)); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// The segment is read during the call only: the flow table reuses it.
func TestCopies(t *testing.T) {
	s := newState()
	g := feature.TCPSegment{Header: header(client[0]), TS: client[0].ts}
	s.ObserveTCP(&g)
	for i := range g.Header {
		g.Header[i] = 0xee
	}
	want := `,"ppi":[{"seq":1000,"ack":0,"rseq":0,"rack":0,"b":0,"olen":20,"dir":">","t":0,"flags":"S","opts":[{"mss":1460},{"sackp":null},{"ts":{"val":7,"ecr":0}},{"noop":null},{"ws":7}]}]`
	if got := string(feature.AppendJSON(nil, s, nil)); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestNoAllocations(t *testing.T) {
	s, tw := newState(), observe(server...)
	g := feature.TCPSegment{Header: header(client[0]), TS: 5}
	buf := make([]byte, 0, 1<<16)
	var e record.Enc // reused, as the flow table reuses its encoder
	if n := testing.AllocsPerRun(100, func() {
		s.ObserveTCP(&g)
		s.Observe([]byte{1}, 0)
		e.ResetMembers(buf[:0])
		s.Emit(&e, tw)
		buf = e.JSON.B
	}); n != 0 {
		t.Errorf("%v allocations per packet and print", n)
	}
}

// FuzzAppendJSON builds segments from the input: per segment one byte of
// side, header length and flags, 8 bytes of seq and ack, 2 of timestamp
// step and payload length, then the option bytes; it checks the member is
// valid JSON in an object with at most 50 segments a side.
func FuzzAppendJSON(f *testing.F) {
	var seed []byte
	for i, p := range append(append([]pkt(nil), client...), server...) {
		side := byte(0)
		if i >= len(client) {
			side = 1
		}
		seed = append(seed, side, byte(len(p.opts)/4), p.flags)
		seed = binary.BigEndian.AppendUint32(seed, p.seq)
		seed = binary.BigEndian.AppendUint32(seed, p.ack)
		seed = append(seed, byte(p.ts), byte(p.n))
		seed = append(seed, p.opts...)
	}
	f.Add(seed)
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0, 10, 0x12, 0, 0, 0, 1, 0, 0, 0, 2, 3, 4, 4, 1, 2}, 30))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, in := newState(), newState()
		var ts int64
		var seg feature.TCPSegment
		h := make([]byte, 60)
		for len(data) >= 13 {
			side, words, flags := data[0], int(data[1]%11), data[2]
			hl := 20 + 4*words
			copy(h[4:12], data[3:11])
			h[12] = byte(hl/4) << 4
			h[13] = flags
			ts += int64(int8(data[11])) * 997
			n := int(data[12]) * 300
			data = data[13:]
			k := copy(h[20:hl], data)
			clear(h[20+k : hl])
			data = data[k:]
			seg = feature.TCPSegment{Header: h[:hl], PayloadLen: n, TS: ts}
			if side&1 == 0 {
				out.ObserveTCP(&seg)
			} else {
				in.ObserveTCP(&seg)
			}
		}
		for _, tw := range []feature.Module{nil, in} {
			b := feature.AppendJSON([]byte(`{"x":1`), out, tw)
			b = append(b, '}')
			var v struct {
				X   int
				PPI []struct {
					Seq, Ack   uint32
					Rseq, Rack int64
					B, Olen    uint16
					Dir        string
					T          uint32
					Flags      string
					Opts       []map[string]any
				}
			}
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatalf("invalid JSON %s: %v", b, err)
			}
			if len(v.PPI) > 2*MaxPrinted {
				t.Fatalf("%d entries", len(v.PPI))
			}
			for _, p := range v.PPI {
				if p.Dir != ">" && p.Dir != "<" || p.Olen > 40 {
					t.Fatalf("bad entry %+v", p)
				}
			}
		}
	})
}
