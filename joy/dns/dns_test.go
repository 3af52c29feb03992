package dns

import (
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/record"
	"github.com/gojoy/libjoy/tests/go/testutil/emitallocs"
)

// msg builds a DNS message: header fields, then the raw body.
func msg(flags, qd, an uint16, body ...[]byte) []byte {
	b := []byte{0x12, 0x34}
	b = binary.BigEndian.AppendUint16(b, flags)
	b = binary.BigEndian.AppendUint16(b, qd)
	b = binary.BigEndian.AppendUint16(b, an)
	b = append(b, 0, 0, 0, 0)
	for _, p := range body {
		b = append(b, p...)
	}
	return b
}

// name encodes dotted labels, ending with the root label.
func name(s string) []byte {
	var b []byte
	if s != "" {
		for _, l := range strings.Split(s, ".") {
			b = append(b, byte(len(l)))
			b = append(b, l...)
		}
	}
	return append(b, 0)
}

func ptr(off int) []byte { return []byte{0xc0 | byte(off>>8), byte(off)} }

// rr encodes an answer header after its name.
func rr(typ, class uint16, ttl uint32, rdlen uint16) []byte {
	b := binary.BigEndian.AppendUint16(nil, typ)
	b = binary.BigEndian.AppendUint16(b, class)
	b = binary.BigEndian.AppendUint32(b, ttl)
	return binary.BigEndian.AppendUint16(b, rdlen)
}

var question = []byte{0, 1, 0, 1} // type A, class IN

// one returns the object printed for a single payload.
func one(t *testing.T, p []byte) string {
	t.Helper()
	s := new(State)
	s.Observe(p, 0)
	out := string(feature.AppendJSON(nil, s, nil))
	checkValid(t, out)
	const pre = `,"dns":[`
	if !strings.HasPrefix(out, pre) || !strings.HasSuffix(out, "]") {
		t.Fatalf("unexpected member %q", out)
	}
	return out[len(pre) : len(out)-1]
}

func checkValid(t testing.TB, member string) {
	t.Helper()
	if doc := `{"x":1` + member + `}`; !json.Valid([]byte(doc)) {
		t.Fatalf("not valid JSON: %s", doc)
	}
}

func TestQuery(t *testing.T) {
	p := msg(0x0100, 1, 0, name("www.example.com"), question)
	if got, want := one(t, p), `{"qn":"www.example.com","rc":0,"rr":[]}`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestResponseTypes(t *testing.T) {
	// 12: question name; answers use pointers to it.
	q := name("example.com") // 13 bytes at offset 12
	p := msg(0x8183, 1, 7, q, question,
		ptr(12), rr(1, 1, 300, 4), []byte{192, 0, 2, 1}, // A
		ptr(12), rr(5, 1, 60, 6), []byte{3, 'w', 'w', 'w'}, ptr(12), // CNAME www.example.com
		ptr(12), rr(12, 1, 7, 4), []byte{1, 'x'}, ptr(12), // PTR x.example.com
		ptr(12), rr(28, 1, 9, 16), make([]byte, 16), // AAAA: other type, rdlength swapped
		ptr(12), rr(1, 3, 1, 4), []byte{1, 2, 3, 4}, // class CH: other
		ptr(12), rr(6, 1, 5, 2), ptr(12), // SOA (MNAME only)
		ptr(12), rr(16, 1, 2, 0), // TXT, empty
	)
	want := `{"rn":"example.com","rc":3,"rr":[` +
		`{"a":"192.0.2.1","ttl":300},` +
		`{"cname":"www.example.com","ttl":60},` +
		`{"ptr":"x.example.com","ttl":7},` +
		`{"type":"1c","class":"1","rdlength":4096,"ttl":9},` +
		`{"type":"1","class":"3","rdlength":1024,"ttl":1},` +
		`{"soa":"example.com","ttl":5},` +
		`{"txt":"NYI","ttl":2}]}`
	if got := one(t, p); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// QUIRK-38: TXT data is not skipped, so the next answer is parsed from the
// TXT data: here the text "\x01a" followed by a root label reads as the
// name "a", then the following bytes as an answer header.
func TestTXTNotSkipped(t *testing.T) {
	q := name("t.co")
	p := msg(0x8180, 1, 2, q, question,
		ptr(12), rr(16, 1, 1, 13), []byte{1, 'a', 0}, rr(1, 1, 77, 4), []byte{10, 0, 0, 1},
	)
	want := `{"rn":"t.co","rc":0,"rr":[{"txt":"NYI","ttl":1},{"a":"10.0.0.1","ttl":77}]}`
	if got := one(t, p); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// QUIRK-38: SOA skips only MNAME; the rest of its data is read as the next
// answer.
func TestSOARestNotSkipped(t *testing.T) {
	q := name("t.co")
	soa := append(append([]byte{}, ptr(12)...), ptr(12)...) // MNAME, RNAME, …
	p := msg(0x8180, 1, 2, q, question, ptr(12), rr(6, 1, 1, uint16(len(soa))), soa)
	// The second answer starts at RNAME (a pointer); one byte is believed
	// to remain for its header.
	want := `{"rn":"t.co","rc":0,"rr":[{"soa":"t.co","ttl":1},{"malformed":1,"DEBUG": "rr ancount=0; err=4; len=1"}]}`
	if got := one(t, p); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// QUIRK-39: rdlength of other types prints byte-swapped.
func TestRdlengthSwapped(t *testing.T) {
	q := name("a")
	p := msg(0x8180, 1, 1, q, question, ptr(12), rr(99, 1, 1, 0x0102), make([]byte, 0x102))
	want := `{"rn":"a","rc":0,"rr":[{"type":"63","class":"1","rdlength":513,"ttl":1}]}`
	if got := one(t, p); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// QUIRK-37 (deliberate difference): the original printed `{,"rc":…` for a
// message without a question; we leave the comma out.
func TestNoQuestion(t *testing.T) {
	p := msg(0x8180, 0, 1, name("x"), rr(1, 1, 5, 4), []byte{1, 2, 3, 4})
	if got, want := one(t, p), `{"rc":0,"rr":[{"a":"1.2.3.4","ttl":5}]}`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestTooManyQuestions(t *testing.T) {
	p := msg(0x0100, 2, 0, name("a"), question, name("b"), question)
	if got, want := one(t, p), `{"malformed":14,"DEBUG": "qdcount=2; err=8"}`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// QUIRK-37 (deliberate difference): question errors were followed by stray
// `]}` or `"]}]`; we close the object only.
func TestQuestionErrors(t *testing.T) {
	cases := []struct {
		p    []byte
		want string
	}{
		// A length byte with top bits 10: err 5 at once.
		{msg(0x0100, 1, 0, []byte{0x80, 'a', 'b'}), `{"malformed":3,"DEBUG": "question name err=5; len=3"}`},
		// A label longer than what remains: err 2.
		{msg(0x0100, 1, 0, []byte{5, 'a', 'b'}), `{"malformed":3,"DEBUG": "question name err=2; len=3"}`},
		// A label that exactly fills the remaining length leaves nothing for
		// the terminator: unterminated, err 9, after deducting it.
		{msg(0x0100, 1, 0, []byte{2, 'a', 'b'}), `{"malformed":0,"DEBUG": "question name err=9; len=0"}`},
		// A pointer past the end: the target has no length left, err 9
		// with the pointer's two bytes deducted.
		{msg(0x0100, 1, 0, []byte{1, 'a'}, ptr(0x1d31), []byte{0, 0}), `{"malformed":2,"DEBUG": "question name err=9; len=2"}`},
		// The name ends but fewer than 4 bytes follow (the root label is
		// not deducted, so 2 are believed to remain): err 4.
		{msg(0x0100, 1, 0, name("ab"), []byte{0}), `{"malformed":2,"DEBUG": "question err=4; len=2"}`},
	}
	for i, c := range cases {
		if got := one(t, c.p); got != c.want {
			t.Errorf("%d: got  %s\n   want %s", i, got, c.want)
		}
	}
}

func TestAnswerErrors(t *testing.T) {
	q := name("a") // offset 12, 3 bytes
	cases := []struct {
		p    []byte
		want string
	}{
		// Name error: the four bytes at the name print as signed chars.
		{msg(0x8180, 1, 2, q, question, []byte{0x41, 0xc0, 0x01, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0}),
			`{"rn":"a","rc":0,"rr":[{"malformed":13,"DEBUG": "rr name ancount=1; err=5; len=13; data=0x41ffffffc0017f"}]}`},
		// Header needs 10 bytes.
		{msg(0x8180, 1, 1, q, question, ptr(12), []byte{0, 1, 0, 1}),
			`{"rn":"a","rc":0,"rr":[{"malformed":5,"DEBUG": "rr ancount=0; err=4; len=5"}]}`},
		// rdlength larger than what remains after the header.
		// (15 believed to remain: 10 for the header, so 5 for the data.)
		{msg(0x8180, 1, 1, q, question, ptr(12), rr(1, 1, 1, 6), []byte{1, 2, 3, 4}),
			`{"rn":"a","rc":0,"rr":[{"malformed":15,"DEBUG": "rr ancount=0; err=10; len=15"}]}`},
		// An error inside CNAME data prints the length only.
		{msg(0x8180, 1, 1, q, question, ptr(12), rr(5, 1, 1, 2), []byte{0x40, 0}),
			`{"rn":"a","rc":0,"rr":[{"malformed":3}]}`},
	}
	for i, c := range cases {
		if got := one(t, c.p); got != c.want {
			t.Errorf("%d: got  %s\n   want %s", i, got, c.want)
		}
	}
}

// QUIRK-36 (deliberate difference): '"' and '\' were printed raw; we escape
// them. Unprintable bytes print as '*' as in the original.
func TestNameEscaping(t *testing.T) {
	p := msg(0x0100, 1, 0, []byte{6, 'a', '"', 'b', '\\', 0x01, 0xe9, 1, ' ', 0}, question)
	if got, want := one(t, p), `{"qn":"a\"b\\**. ","rc":0,"rr":[]}`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// QUIRK-35 (deliberate difference): the original followed compression
// loops until its stack overflowed; we stop after MaxPointers pointers or
// MaxName bytes and report the name as unterminated (err 9).
func TestCompressionLoops(t *testing.T) {
	// A pointer to itself.
	p := msg(0x0100, 1, 0, ptr(12), question)
	if got, want := one(t, p), `{"malformed":4,"DEBUG": "question name err=9; len=4"}`; got != want {
		t.Errorf("self loop: got  %s\nwant %s", got, want)
	}
	// A label then a pointer back to it: the name grows to MaxName.
	p = msg(0x0100, 1, 0, []byte{3, 'a', 'b', 'c'}, ptr(12), question)
	got := one(t, p)
	want := `{"malformed":4,"DEBUG": "question name err=9; len=4"}`
	if got != want {
		t.Errorf("label loop: got  %s\nwant %s", got, want)
	}
	// Two pointers to each other, as an answer name.
	p = msg(0x8180, 1, 1, name("a"), question, ptr(21), ptr(19))
	want = `{"rn":"a","rc":0,"rr":[{"malformed":3,"DEBUG": "rr name ancount=0; err=9; len=3; data=0xffffffc015ffffffc013"}]}`
	if got := one(t, p); got != want {
		t.Errorf("pointer pair: got  %s\nwant %s", got, want)
	}
	// An answer name that points at itself, in a message without question.
	p = msg(0x8180, 0, 1, ptr(12), rr(1, 1, 5, 4), []byte{1, 2, 3, 4})
	want = `{"rc":0,"rr":[{"malformed":14,"DEBUG": "rr name ancount=0; err=9; len=14; data=0xffffffc00c0001"}]}`
	if got := one(t, p); got != want {
		t.Errorf("self loop in an answer: got  %s\nwant %s", got, want)
	}
}

// A name of at most 253 characters decodes in full.
func TestLongName(t *testing.T) {
	labels := make([]string, 0, 4)
	for i := 0; i < 4; i++ {
		labels = append(labels, strings.Repeat(string(rune('a'+i)), 62))
	}
	n := strings.Join(labels, ".") // 4*62+3 = 251 characters
	p := msg(0x0100, 1, 0, name(n), question)
	if got, want := one(t, p), `{"qn":"`+n+`","rc":0,"rr":[]}`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// QUIRK-40 (deliberate difference where the original over-read): the
// remaining length is believed larger than the payload (the root label is
// not deducted); bytes beyond the payload read as zero instead of whatever
// followed the payload in memory.
func TestBeyondPayloadReadsZero(t *testing.T) {
	// One answer announced, none present: the answer name is read at the
	// end of the payload, where one byte is believed to remain.
	p := msg(0x8180, 1, 1, name("a"), question)
	out, beyond := AppendPacket(nil, p)
	if want := `{"rn":"a","rc":0,"rr":[{"malformed":1,"DEBUG": "rr ancount=0; err=4; len=1"}]}`; string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
	if !beyond {
		t.Error("read beyond the payload not noted")
	}
	// An A record cut after its header: the address reads as zeros.
	p = msg(0x8180, 1, 1, name("a"), question, ptr(12), rr(1, 1, 1, 0))
	out, beyond = AppendPacket(nil, p)
	if want := `{"rn":"a","rc":0,"rr":[{"a":"0.0.0.0","ttl":1}]}`; string(out) != want || !beyond {
		t.Errorf("got  %s (beyond %v)\nwant %s", out, beyond, want)
	}
}

// QUIRK-40: data of other types is not deducted from the remaining length,
// which therefore outlives the payload: after two answers that used all of
// it, a third is parsed from beyond the payload (zeros: an empty name, then
// too short a header for the 9 bytes believed to remain).
func TestRemainingLengthArithmetic(t *testing.T) {
	p := msg(0x8180, 1, 3, name("a"), question,
		ptr(12), rr(99, 1, 1, 8), make([]byte, 8),
		ptr(12), rr(99, 1, 1, 0))
	want := `{"rn":"a","rc":0,"rr":[{"type":"63","class":"1","rdlength":2048,"ttl":1},` +
		`{"type":"63","class":"1","rdlength":0,"ttl":1},` +
		`{"malformed":9,"DEBUG": "rr ancount=0; err=4; len=9"}]}`
	if got := one(t, p); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestKeepAndPrint(t *testing.T) {
	q := msg(0x0100, 1, 0, name("q"), question)
	r := msg(0x8180, 1, 0, name("r"), question)
	out, in := new(State), new(State)
	out.Observe(make([]byte, 12), 1) // too short: ignored
	out.Observe(nil, 2)
	for i := 0; i < MaxPackets+5; i++ {
		out.Observe(q, 3)
	}
	in.Observe(r, 4)
	in.Observe(r, 5)
	// Unidirectional: the side's own packets, at most MaxPackets.
	uni := string(feature.AppendJSON(nil, out, nil))
	checkValid(t, uni)
	if n := strings.Count(uni, `"qn":"q"`); n != MaxPackets {
		t.Errorf("kept %d packets, want %d", n, MaxPackets)
	}
	// Bidirectional: only the twin's.
	bi := string(feature.AppendJSON(nil, out, in))
	if want := `,"dns":[{"rn":"r","rc":0,"rr":[]},{"rn":"r","rc":0,"rr":[]}]`; bi != want {
		t.Errorf("got  %s\nwant %s", bi, want)
	}
	// A twin without kept packets prints an empty list.
	empty := new(State)
	empty.Observe([]byte{1, 2, 3}, 6)
	if got, want := string(feature.AppendJSON(nil, out, empty)), `,"dns":[]`; got != want {
		t.Errorf("got %s want %s", got, want)
	}
	// The payload is copied.
	buf := append([]byte(nil), r...)
	s := new(State)
	s.Observe(buf, 0)
	buf[13] = 'z'
	if got := string(feature.AppendJSON(nil, s, nil)); !strings.Contains(got, `"rn":"r"`) {
		t.Errorf("payload not copied: %s", got)
	}
}

func TestAddrHook(t *testing.T) {
	p := msg(0x8180, 1, 1, name("a"), question, ptr(12), rr(1, 1, 1, 4), []byte{10, 1, 2, 3})
	s := Kind.New(&config.Config{DNS: true}).(*State)
	if s.addr == nil {
		t.Fatal("no address formatter")
	}
	s.addr = func(b []byte, a [4]byte) []byte { return append(b, "anon"...) }
	s.Observe(p, 0)
	if got := string(feature.AppendJSON(nil, s, nil)); !strings.Contains(got, `{"a":"anon","ttl":1}`) {
		t.Errorf("hook not used: %s", got)
	}
}

func TestFilter(t *testing.T) {
	cases := []struct {
		f    feature.Flow
		want bool
	}{
		{feature.Flow{Proto: 17, Sp: 53, Dp: 1000}, true},
		{feature.Flow{Proto: 17, Sp: 1000, Dp: 53}, true},
		{feature.Flow{Proto: 6, Sp: 1000, Dp: 53}, false},
		{feature.Flow{Proto: 17, Sp: 1000, Dp: 5353}, false},
	}
	for _, c := range cases {
		if got := Kind.Accepts(c.f); got != c.want {
			t.Errorf("%+v: got %v", c.f, got)
		}
	}
}

func TestNoAllocation(t *testing.T) {
	p := msg(0x8180, 1, 2, name("www.example.com"), question,
		ptr(12), rr(5, 1, 60, 6), []byte{3, 'w', 'w', 'w'}, ptr(12),
		ptr(12), rr(1, 1, 300, 4), []byte{192, 0, 2, 1})
	s := new(State)
	for i := 0; i < MaxPackets; i++ {
		s.Observe(p, 0)
	}
	if n := testing.AllocsPerRun(100, func() { s.Observe(p, 0) }); n != 0 {
		t.Errorf("Observe allocates %v times in steady state", n)
	}
	if n := emitallocs.Count(1<<16, func() { s.parsed = false }, func(e *record.Enc) { s.Emit(e, nil) }); n != 0 {
		t.Errorf("Emit allocates %v times", n)
	}
}
