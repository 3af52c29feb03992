// Package http is Joy's HTTP metadata module: it observes the payloads of one
// direction of a flow and writes the record's "http" member.
//
// Only the first non-empty payload of each direction is kept, cut after
// the header block plus 16 body bytes (or after 2032 bytes), with the
// header part made printable. At print time the kept bytes are split into
// a start line, header lines and the first body bytes by a small lexer
// that reproduces the original's results, oddities included: a message
// without headers loses its start line and its body starts with the
// final line feed, read as '.' (QUIRK-32), and a header line without a
// value prints the value "(null)" (QUIRK-33).
package http

import (
	"bytes"
	"unsafe"

	"github.com/gojoy/libjoy/joy/anon"
	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/jsonw"
	"github.com/gojoy/libjoy/joy/record"
)

// Kind registers the module with the flow table.
var Kind = feature.Kind{
	Name:    "http",
	Accepts: func(f feature.Flow) bool { return f.Proto == 6 && (f.App == 80 || f.Sp == 80 || f.Dp == 80) },
	New:     func(cfg *config.Config) feature.Module { return &State{Anon: NewAnonymizer(cfg)} },
	NewPool: func(cfg *config.Config) feature.Pool {
		return feature.FreeList(func() feature.Resetter { return &State{Anon: NewAnonymizer(cfg)} }, maxFreeStates)
	},
}

// maxFreeStates is how many states a table keeps for reuse.
const maxFreeStates = 64

// Reset implements feature.Resetter: a fresh state that keeps its
// anonymizer and its buffers' capacity.
func (s *State) Reset() {
	if s.msg != nil {
		s.spare = s.msg[:0]
	}
	s.msg = nil
	s.parsed = false
	s.items, s.lexed, s.text = s.items[:0], s.lexed[:0], s.text[:0]
}

// Anonymizer is the hook for the pseudonymization of usernames in request
// URIs (§8.3 of the behaviour specification). When a State has one, the
// "uri" of a request line is written by AppendURI and the request line is
// followed by `{"usernames":[…]}` with the pseudonyms AppendPseudonyms
// gives, as the original does when a username file is configured.
type Anonymizer interface {
	// AppendURI appends the "uri" printed, with the usernames found in uri
	// replaced (uri is printable ASCII without quotes or backslashes).
	AppendURI(b, uri []byte) []byte
	// AppendPseudonyms appends the pseudonyms of the usernames listed
	// after the request's version, anon.PseudonymLen bytes each.
	AppendPseudonyms(b, uri []byte) []byte
}

// NewAnonymizer returns the username anonymizer of a configuration, or
// nil when no user names are listed.
func NewAnonymizer(cfg *config.Config) Anonymizer {
	if cfg == nil || cfg.UserNames == nil {
		return nil
	}
	return cfg.UserNames
}

const (
	maxBuf = 2048        // the original's buffer size for one message
	magic  = 16          // body bytes kept after the header block
	maxCpy = maxBuf - 16 // bytes kept at most when no header end is seen
)

// State is the module's state for one direction of a flow.
type State struct {
	// Anon, when non-nil, pseudonymizes usernames in request URIs.
	Anon Anonymizer
	// msg is the first non-empty payload as the original keeps it:
	// header part printable (CR and LF kept), then up to 16 raw body
	// bytes. nil until such a payload was seen.
	msg []byte
	// spare is an earlier flow's message buffer, kept for reuse.
	spare []byte

	// msg's facts, parsed once when first needed: its lines as items,
	// their text in lexed (the lexer's copy of msg).
	parsed bool
	items  []item
	lexed  []byte
	text   []byte // scratch for the anonymized uri while emitting
}

// Observe implements feature.Module.
func (s *State) Observe(payload []byte, ts int64) {
	if len(payload) == 0 || s.msg != nil {
		return
	}
	s.msg = keep(s.spare, payload)
	s.spare = nil
	s.parsed = false
}

// states of the scan for the CR LF CR LF that ends the header block
const (
	stNone = iota
	stCR
	stCRLF
	stCRLFCR
	stEnd
)

// step advances the header-end scan by one byte, as the original does:
// a CR or LF that does not fit the sequence leaves the state unchanged,
// anything else restarts it.
func step(st int, c byte) int {
	switch c {
	case '\r':
		switch st {
		case stNone:
			return stCR
		case stCRLF:
			return stCRLFCR
		}
		return st
	case '\n':
		switch st {
		case stCR:
			return stCRLF
		case stCRLFCR:
			return stEnd
		}
		return st
	}
	return stNone
}

// keep returns the part of a payload the original keeps: up to 2032
// bytes, or the header block plus 16 body bytes, with every header byte
// that is a control character other than CR and LF, not ASCII, or one of
// `"` and `\` replaced by '.'.
func keep(buf, p []byte) []byte {
	limit := min(len(p), maxCpy)
	n, st, body := 0, stNone, 0
	for n < limit {
		if st == stEnd {
			if body == magic {
				break
			}
			body++
		} else {
			st = step(st, p[n])
		}
		n++
	}
	out := buf[:0]
	if cap(out) < n {
		out = make([]byte, n)
	}
	out = out[:n]
	st = stNone
	for i := 0; i < n; i++ {
		c := p[i]
		if st != stEnd {
			if (c < 0x20 && c != '\r' && c != '\n') || c >= 0x7f || c == '"' || c == '\\' {
				c = '.'
			}
			st = step(st, p[i])
		}
		out[i] = c
	}
	return out
}

// Emit implements feature.Module: `"http":[{"out":[…],"in":[…]}]`, each
// side's message as a list of one-member objects.
func (s *State) Emit(e *record.Enc, twin feature.Module) {
	t, _ := twin.(*State)
	if t != nil && t.msg == nil {
		t = nil
	}
	if s.msg == nil && t == nil {
		return
	}
	e.List("http")
	e.Object("")
	if s.msg != nil {
		s.parse()
		s.emitMessage(e, "out", s)
	}
	if t != nil {
		t.parse()
		s.emitMessage(e, "in", t)
	}
	e.End()
	e.End()
}

// kinds of lexed lines
const (
	lineDone = iota
	lineHeader
	lineRequest
	lineStatus
	lineMalformed
)

// lexer splits a kept message the way the original's print-time lexer
// does. It works on a scratch copy that it changes as the original
// changes its buffer: CR and LF become '.', and zero bytes end the tokens
// (a token runs to the next zero byte, which buf always contains).
type lexer struct {
	buf []byte
	pos int // start of the unread part, -1 when there is none
	n   int // bytes left from pos
}

// cstr returns the token starting at p: up to the next zero byte.
func (l *lexer) cstr(p int) []byte {
	t := l.buf[p:]
	if i := bytes.IndexByte(t, 0); i >= 0 {
		return t[:i]
	}
	return t
}

// clear writes a token-ending zero at the unread part's offset i, if it
// is inside the buffer (it always is for the offsets the lexer uses).
func (l *lexer) clear(i int) {
	if j := l.pos + i; j >= l.pos && j < len(l.buf) {
		l.buf[j] = 0
	}
}

// startLine lexes the first line: three space-separated tokens make a
// request line, or a status line when the first token contains the
// letters H, T, P in that order. It returns the kind and the tokens'
// offsets (-1 for none).
func (l *lexer) startLine() (kind, t1, t2, t3 int) {
	src := l.buf[l.pos : l.pos+l.n]
	t1, t2, t3 = l.pos, -1, -1
	kind = lineRequest
	st := stNone
	const (
		tokFirst = iota
		tokGapOne
		tokSecond
		tokGapTwo
		tokThird
	)
	tok := tokFirst
	var h byte // progress of the H…T…P search
	for i, c := range src {
		switch c {
		case '\r', '\n':
			st = step(st, c)
			src[i] = '.'
		case ' ':
			switch tok {
			case tokFirst:
				tok = tokGapOne
			case tokSecond:
				tok = tokGapTwo
			}
			st = stNone
		default:
			if st == stCRLF {
				l.clear(i - 2)
				l.n -= i
				l.pos += i
				if tok == tokThird {
					return kind, t1, t2, t3
				}
				return lineMalformed, t1, t2, t3
			}
			switch tok {
			case tokFirst:
				switch {
				case h == 0 && c == 'H':
					h = 'H'
				case (h == 'H' || h == 'T') && c == 'T':
					h = 'T'
				case h == 'T' && c == 'P':
					kind = lineStatus
				}
			case tokGapOne:
				l.clear(i - 1)
				t2 = l.pos + i
				tok = tokSecond
			case tokGapTwo:
				l.clear(i - 1)
				t3 = l.pos + i
				tok = tokThird
			}
			st = stNone
		}
		if st == stEnd {
			// The header block ends right after the start line; the
			// unread part begins at the final LF (QUIRK-32).
			l.clear(i - 3)
			l.n -= i
			l.pos += i
			return lineDone, t1, t2, t3
		}
	}
	l.pos = -1
	return lineMalformed, t1, t2, t3
}

// nextLine lexes a header line: the name runs to the first ':', the
// value starts at the next character that is not a space, colon, CR or
// LF. Spaces never change the line-end state. It returns the kind
// (lineHeader, lineDone for the last header line, or lineMalformed) and
// the offsets of name and value (-1 when there is no value).
func (l *lexer) nextLine() (kind, name, value int) {
	if l.pos < 0 {
		return lineDone, -1, -1
	}
	src := l.buf[l.pos : l.pos+l.n]
	name, value = l.pos, -1
	st := stNone
	const (
		wantColon = iota
		wantValue
		gotValue
	)
	hs := wantColon
	for i, c := range src {
		switch c {
		case '\r', '\n':
			st = step(st, c)
			src[i] = '.'
		case ':':
			if hs == wantColon {
				src[i] = 0
				hs = wantValue
			}
			st = stNone
		case ' ':
		default:
			if st == stCRLF {
				l.clear(i - 2)
				l.n -= i
				l.pos += i
				return lineHeader, name, value
			}
			if hs == wantValue {
				value = l.pos + i
				hs = gotValue
			}
			st = stNone
		}
		if st == stEnd {
			l.clear(i - 3)
			l.n -= i + 1
			l.pos += i + 1
			return lineDone, name, value
		}
	}
	l.pos = -1
	return lineMalformed, name, value
}

// span is a part of a State's lexed text; off < 0 is none.
type span struct{ off, n int32 }

// item is one printed object of a message: a token of the start line, a
// header line, the usernames, the body or the malformed rest.
type item struct {
	kind  uint8
	name  span   // a header's name
	value span   // the token, the header's value (none: "(null)"), the body
	n     uint32 // the malformed rest's length
}

// kinds of items
const (
	itemMethod = iota
	itemURI
	itemVersion
	itemCode
	itemReason
	itemUsernames // after a request's version when usernames are anonymized
	itemHeader
	itemMalformed
	itemBody
)

// itemNames are the items' names, but a header's.
var itemNames = [...]string{
	itemMethod: "method", itemURI: "uri", itemVersion: "version", itemCode: "code",
	itemReason: "reason", itemUsernames: "usernames", itemMalformed: "malformed", itemBody: "body",
}

// parse lexes s.msg into s.items once.
func (s *State) parse() {
	if s.parsed {
		return
	}
	s.parsed = true
	s.items = s.items[:0]
	msg := s.msg
	if len(msg) < 4 {
		return
	}
	s.lexed = append(append(s.lexed[:0], msg...), 0)
	l := lexer{buf: s.lexed, n: len(msg)}
	tok := func(p int) span {
		if p < 0 {
			return span{-1, 0}
		}
		return span{int32(p), int32(len(l.cstr(p)))}
	}
	add := func(kind uint8, v span) { s.items = append(s.items, item{kind: kind, value: v}) }

	kind, t1, t2, t3 := l.startLine()
	switch kind {
	case lineRequest:
		add(itemMethod, tok(t1))
		add(itemURI, tok(t2))
		add(itemVersion, tok(t3))
		add(itemUsernames, tok(t2))
	case lineStatus:
		add(itemVersion, tok(t1))
		add(itemCode, tok(t2))
		add(itemReason, tok(t3))
	}
	if kind == lineRequest || kind == lineStatus {
		for {
			var name, value int
			kind, name, value = l.nextLine()
			if kind != lineMalformed {
				s.items = append(s.items, item{kind: itemHeader, name: tok(name), value: tok(value)})
			}
			if kind != lineHeader {
				break
			}
		}
	}
	switch kind {
	case lineMalformed:
		s.items = append(s.items, item{kind: itemMalformed, n: uint32(l.n)})
	case lineDone:
		body := span{0, 0}
		if l.pos >= 0 {
			body = span{int32(l.pos), int32(l.n)}
		}
		add(itemBody, body)
	}
}

func (s *State) at(v span) []byte {
	if v.off < 0 {
		return nil
	}
	return s.lexed[v.off : v.off+v.n]
}

// null is the value of a header line without one.
var null = []byte("(null)")

// key returns a header's name as a member name, without a copy: printable
// ASCII without quotes or backslashes, valid until s is parsed again.
func (s *State) key(v span) string {
	if v.n == 0 {
		return ""
	}
	return unsafe.String(&s.lexed[v.off], v.n)
}

// emitMessage emits the message of src as the list name; s gives the
// anonymizer.
func (s *State) emitMessage(e *record.Enc, name string, src *State) {
	e.List(name)
	for i := range src.items {
		it := &src.items[i]
		if it.kind == itemUsernames && s.Anon == nil {
			continue
		}
		e.Object("")
		switch it.kind {
		case itemHeader:
			value := src.at(it.value)
			if it.value.off < 0 {
				value = null // glibc's %s of NULL (QUIRK-33)
			}
			if it.name.n == 0 {
				// A name "" is no key to the encoder: the member as text.
				s.text = append(s.text[:0], `"":"`...)
				s.text = jsonw.Escaped(s.text, value)
				s.text = append(s.text, '"')
				e.Members(s.text)
			} else {
				e.Text(src.key(it.name), value)
			}
		case itemMalformed:
			e.Uint("malformed", uint64(it.n))
		case itemBody:
			e.Hex("body", src.at(it.value))
		case itemURI:
			if s.Anon != nil {
				s.text = s.Anon.AppendURI(s.text[:0], src.at(it.value))
				e.Text("uri", s.text)
			} else {
				e.Text("uri", src.at(it.value))
			}
		case itemUsernames:
			s.text = s.Anon.AppendPseudonyms(s.text[:0], src.at(it.value))
			e.List("usernames")
			for p := s.text; len(p) >= anon.PseudonymLen; p = p[anon.PseudonymLen:] {
				e.Text("", p[:anon.PseudonymLen])
			}
			e.End()
		default:
			e.Text(itemNames[it.kind], src.at(it.value))
		}
		e.End()
	}
	e.End()
}
