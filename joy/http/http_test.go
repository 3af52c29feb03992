package http

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/record"
	"github.com/gojoy/libjoy/tests/go/testutil/emitallocs"
)

// side builds one direction's state from its payloads.
func side(payloads ...string) *State {
	s := Kind.New(&config.Config{HTTP: true}).(*State)
	for i, p := range payloads {
		s.Observe([]byte(p), int64(i))
	}
	return s
}

// member prints out (with twin in, which may be nil) and checks the text
// is valid JSON inside a record.
func member(t *testing.T, out, in *State) string {
	t.Helper()
	var twin feature.Module
	if in != nil {
		twin = in
	}
	b := feature.AppendJSON(nil, out, twin)
	if rec := append(append([]byte(`{"x":1`), b...), '}'); !json.Valid(rec) {
		t.Errorf("invalid JSON: %s", rec)
	}
	return string(b)
}

func TestSpecExample(t *testing.T) {
	req := "GET / HTTP/1.1\r\nHost: a.com\r\nAccept: */*\r\n\r\n"
	resp := "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nhello world\n"
	got := member(t, side(req), side(resp))
	want := `,"http":[{"out":[{"method":"GET"},{"uri":"/"},{"version":"HTTP/1.1"},{"Host":"a.com"},{"Accept":"*/*"},{"body":""}],` +
		`"in":[{"version":"HTTP/1.1"},{"code":"200"},{"reason":"OK"},{"Content-Length":"12"},{"body":"68656c6c6f20776f726c640a"}]}]`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestMessages(t *testing.T) {
	long := strings.Repeat("x", 3000)
	cases := []struct {
		name, in, want string
	}{
		{"short", "GET", `[]`},
		{"exactly four bytes, no line end", "GET ", `[{"malformed":4}]`},
		// QUIRK-32: no header lines: the start line is not printed and
		// the body starts at the final LF, printed as '.' (2e).
		{"no headers", "GET / HTTP/1.0\r\n\r\n", `[{"body":"2e"}]`},
		{"no headers, body", "GET / HTTP/1.0\r\n\r\nabc", `[{"body":"2e616263"}]`},
		// QUIRK-33: a line without ':' or with an empty value.
		{"no colon", "GET / HTTP/1.1\r\nfoo\r\n\r\n", `[{"method":"GET"},{"uri":"/"},{"version":"HTTP/1.1"},{"foo":"(null)"},{"body":""}]`},
		{"empty value", "GET / HTTP/1.1\r\nX-A:\r\nB: c\r\n\r\n", `[{"method":"GET"},{"uri":"/"},{"version":"HTTP/1.1"},{"X-A":"(null)"},{"B":"c"},{"body":""}]`},
		{"value after colons and spaces", "GET / HTTP/1.1\r\nA: : b:c\r\n\r\n", `[{"method":"GET"},{"uri":"/"},{"version":"HTTP/1.1"},{"A":"b:c"},{"body":""}]`},
		{"partial last line", "GET / HTTP/1.1\r\nHost: a\r\nAcc", `[{"method":"GET"},{"uri":"/"},{"version":"HTTP/1.1"},{"Host":"a"},{"malformed":3}]`},
		{"no line end at all", "GET / HTTP/1.1", `[{"malformed":14}]`},
		{"two-token start line", "GET /\r\nHost: x\r\n\r\n", `[{"malformed":11}]`},
		{"status line", "HTTP/1.0 404 Not Found\r\nA: b\r\n\r\n0123456789abcdefXYZ", `[{"version":"HTTP/1.0"},{"code":"404"},{"reason":"Not Found"},{"A":"b"},{"body":"30313233343536373839616263646566"}]`},
		{"H..T..P is a status line", "HOTSPOT 1 2\r\nA: b\r\n\r\n", `[{"version":"HOTSPOT"},{"code":"1"},{"reason":"2"},{"A":"b"},{"body":""}]`},
		{"double space keeps one in the token", "GET  /x  HTTP/1.1\r\nA: b\r\n\r\n", `[{"method":"GET "},{"uri":"/x "},{"version":"HTTP/1.1"},{"A":"b"},{"body":""}]`},
		{"sanitized header bytes", "GET /\"\\\x01\xff HTTP/1.1\r\nA: \x7f\"\r\n\r\n\"\x00", `[{"method":"GET"},{"uri":"/...."},{"version":"HTTP/1.1"},{"A":".."},{"body":"2200"}]`},
		{"bare LF is not a line end", "GET / HTTP/1.1\nA: b\r\nC: d\r\n\r\n", `[{"method":"GET"},{"uri":"/"},{"version":"HTTP/1.1.A: b"},{"C":"d"},{"body":""}]`},
		{"header with a space-led continuation", "GET / HTTP/1.1\r\nA: b\r\n c: d\r\n\r\n", `[{"method":"GET"},{"uri":"/"},{"version":"HTTP/1.1"},{"A":"b."},{"c":"d"},{"body":""}]`},
		{"long message without header end", "GET /" + long, `[{"malformed":2032}]`},
	}
	for _, c := range cases {
		got := member(t, side(c.in), nil)
		want := `,"http":[{"out":` + c.want + `}]`
		if got != want {
			t.Errorf("%s:\n got  %s\n want %s", c.name, got, want)
		}
	}
}

func TestKeep(t *testing.T) {
	// the header part plus exactly 16 body bytes
	got := keep(nil, []byte("A\r\n\r\n0123456789abcdefXYZ"))
	if want := "A\r\n\r\n0123456789abcdef"; string(got) != want {
		t.Errorf("keep = %q, want %q", got, want)
	}
	// at most 2032 bytes
	if n := len(keep(nil, bytes.Repeat([]byte("a"), 5000))); n != 2032 {
		t.Errorf("kept %d bytes, want 2032", n)
	}
	// the header end may have extra CRs and LFs where they do not
	// restart the scan
	got = keep(nil, []byte("A\r\r\n\n\r\n\x01"))
	if want := "A\r\r\n\n\r\n\x01"; string(got) != want {
		t.Errorf("keep = %q, want %q", got, want)
	}
}

func TestFirstPayloadOnly(t *testing.T) {
	s := side("", "HTTP/1.1 204 No Content\r\n\r\n", "GET / HTTP/1.1\r\nA: b\r\n\r\n")
	want := `,"http":[{"out":[{"body":"2e"}]}]`
	if got := member(t, s, nil); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestSides(t *testing.T) {
	empty, msg := side(""), side("GET / HTTP/1.1\r\nA: b\r\n\r\n")
	if got := member(t, empty, nil); got != "" {
		t.Errorf("no data: got %s", got)
	}
	if got := member(t, empty, side()); got != "" {
		t.Errorf("no data on either side: got %s", got)
	}
	want := `,"http":[{"in":[{"method":"GET"},{"uri":"/"},{"version":"HTTP/1.1"},{"A":"b"},{"body":""}]}]`
	if got := member(t, empty, msg); got != want {
		t.Errorf("twin only:\n got  %s\n want %s", got, want)
	}
	want = `,"http":[{"out":[{"method":"GET"},{"uri":"/"},{"version":"HTTP/1.1"},{"A":"b"},{"body":""}]}]`
	if got := member(t, msg, empty); got != want {
		t.Errorf("out only:\n got  %s\n want %s", got, want)
	}
}

// Printing lexes a copy: printing twice gives the same text (the original
// lexed its buffer in place, but printed each record once).
func TestPrintTwice(t *testing.T) {
	s := side("GET / HTTP/1.1\r\nA: b\r\n\r\n")
	if a, b := member(t, s, nil), member(t, s, nil); a != b {
		t.Errorf("first %s, second %s", a, b)
	}
}

type fakeAnon struct{}

func (fakeAnon) AppendURI(b, uri []byte) []byte {
	return append(b, bytes.ReplaceAll(uri, []byte("bob"), []byte("XXX"))...)
}

func (fakeAnon) AppendPseudonyms(b, uri []byte) []byte {
	if bytes.Contains(uri, []byte("bob")) {
		return append(b, "0123456789abcdef0123456789abcdef"...)
	}
	return b
}

func TestAnonymizerHook(t *testing.T) {
	s := side("GET /~bob/ HTTP/1.1\r\nA: b\r\n\r\n")
	s.Anon = fakeAnon{}
	want := `,"http":[{"out":[{"method":"GET"},{"uri":"/~XXX/"},{"version":"HTTP/1.1"},{"usernames":["0123456789abcdef0123456789abcdef"]},{"A":"b"},{"body":""}]}]`
	if got := member(t, s, nil); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if side().Anon != nil {
		t.Error("the anonymizer is not wired yet; New must leave it nil")
	}
}

func TestAllocs(t *testing.T) {
	s := side("GET / HTTP/1.1\r\nA: b\r\n\r\n")
	p := []byte("more data")
	if n := testing.AllocsPerRun(100, func() { s.Observe(p, 0) }); n != 0 {
		t.Errorf("Observe after the first payload: %v allocations", n)
	}
	if n := emitallocs.Count(4096, func() { s.parsed = false }, func(e *record.Enc) { s.Emit(e, nil) }); n != 0 {
		t.Errorf("Emit: %v allocations", n)
	}
}

// The lexer's line-end state never lags behind the state of the scan
// that decided which bytes are header (it differs only in not resetting
// on spaces), so every printed token lies in the printable header part
// and the output is valid JSON. Checked exhaustively on short messages
// made of the bytes that matter, with a raw quote standing for any body
// byte.
func TestTokensStayInHeader(t *testing.T) {
	alphabet := []byte("\r\n :\"x")
	maxLen := 7
	if testing.Short() {
		maxLen = 5
	}
	buf := make([]byte, maxLen)
	var rec func(n int)
	count := 0
	rec = func(n int) {
		for _, prefix := range []string{"", "G / H\r\n"} {
			msg := append([]byte(prefix), buf[:n]...)
			var s State
			s.Observe(msg, 0)
			b := append([]byte(`{"x":1`), feature.AppendJSON(nil, &s, nil)...)
			if !json.Valid(append(b, '}')) {
				t.Fatalf("%q: invalid JSON %s}", msg, b)
			}
			// The encoder would escape a body byte in a token; the
			// original printed tokens as they are.
			if bytes.Contains(b, []byte(`\"`)) {
				t.Fatalf("%q: a body byte in a token: %s}", msg, b)
			}
			count++
		}
		if n == maxLen {
			return
		}
		for _, c := range alphabet {
			buf[n] = c
			rec(n + 1)
		}
	}
	rec(0)
	t.Logf("%d messages", count)
}

// A header line without a name prints the empty key, as the original did
// (the encoder takes "" for no key, so it goes through Members).
func TestEmptyHeaderName(t *testing.T) {
	s := side("GET / HTTP/1.1\r\n: v\r\nA: b\r\n\r\n")
	want := `,"http":[{"out":[{"method":"GET"},{"uri":"/"},{"version":"HTTP/1.1"},{"":"v"},{"A":"b"},{"body":""}]}]`
	if got := member(t, s, nil); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
