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

	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/jsonw"
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
// anonymizer and its message buffer's capacity.
func (s *State) Reset() {
	if s.msg != nil {
		s.spare = s.msg[:0]
	}
	s.msg = nil
}

// Anonymizer is the hook for the pseudonymization of usernames in request
// URIs (§8.3 of the behaviour specification). When a State has one, the
// "uri" of a request line is written by AppendURI and the request line is
// followed by `,{` + AppendUsernames + `}`, as the original does when a
// username file is configured.
type Anonymizer interface {
	// AppendURI appends the body (no quotes) of the JSON string printed
	// as "uri", with the usernames found in uri replaced. It must produce
	// valid JSON string content.
	AppendURI(b, uri []byte) []byte
	// AppendUsernames appends the members of the object printed after the
	// request's version (e.g. `"usernames":["…"]`) for the uri given to
	// the preceding AppendURI call.
	AppendUsernames(b, uri []byte) []byte
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
}

// Observe implements feature.Module.
func (s *State) Observe(payload []byte, ts int64) {
	if len(payload) == 0 || s.msg != nil {
		return
	}
	s.msg = keep(s.spare, payload)
	s.spare = nil
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

// AppendJSON implements feature.Module.
func (s *State) AppendJSON(b []byte, twin feature.Module) []byte {
	t, _ := twin.(*State)
	if t != nil && t.msg == nil {
		t = nil
	}
	if s.msg == nil && t == nil {
		return b
	}
	b = append(b, `,"http":[{`...)
	if s.msg != nil {
		b = append(b, `"out":`...)
		b = s.appendMessage(b, s.msg)
		if t != nil {
			b = append(b, ',')
		}
	}
	if t != nil {
		b = append(b, `"in":`...)
		b = s.appendMessage(b, t.msg)
	}
	return append(b, `}]`...)
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

// appendMessage appends the JSON array describing one kept message.
func (s *State) appendMessage(b, msg []byte) []byte {
	b = append(b, '[')
	if len(msg) < 4 {
		return append(b, ']')
	}
	var scratch [maxCpy + 1]byte
	buf := scratch[:len(msg)+1]
	copy(buf, msg)
	buf[len(msg)] = 0
	l := lexer{buf: buf, n: len(msg)}

	kind, t1, t2, t3 := l.startLine()
	comma := false
	switch kind {
	case lineRequest:
		b = append(b, `{"method":"`...)
		b = append(b, l.cstr(t1)...)
		b = append(b, `"},{"uri":"`...)
		var uri []byte
		if s.Anon != nil {
			// a copy, so that the scratch buffer stays on the stack
			uri = bytes.Clone(l.cstr(t2))
			b = s.Anon.AppendURI(b, uri)
		} else {
			b = append(b, l.cstr(t2)...)
		}
		b = append(b, `"},{"version":"`...)
		b = append(b, l.cstr(t3)...)
		b = append(b, `"}`...)
		if s.Anon != nil {
			b = append(b, ",{"...)
			b = s.Anon.AppendUsernames(b, uri)
			b = append(b, '}')
		}
		comma = true
	case lineStatus:
		b = append(b, `{"version":"`...)
		b = append(b, l.cstr(t1)...)
		b = append(b, `"},{"code":"`...)
		b = append(b, l.cstr(t2)...)
		b = append(b, `"},{"reason":"`...)
		b = append(b, l.cstr(t3)...)
		b = append(b, `"}`...)
		comma = true
	}
	if kind == lineRequest || kind == lineStatus {
		for {
			var name, value int
			kind, name, value = l.nextLine()
			if kind != lineMalformed {
				if comma {
					b = append(b, ',')
				}
				comma = true
				b = append(b, `{"`...)
				b = append(b, l.cstr(name)...)
				b = append(b, `":"`...)
				if value < 0 {
					b = append(b, "(null)"...) // glibc's %s of NULL (QUIRK-33)
				} else {
					b = append(b, l.cstr(value)...)
				}
				b = append(b, `"}`...)
			}
			if kind != lineHeader {
				break
			}
		}
	}
	switch kind {
	case lineMalformed:
		if comma {
			b = append(b, ',')
		}
		b = append(b, `{"malformed":`...)
		b = jsonw.Uint(b, uint64(uint32(l.n)))
		b = append(b, '}')
	case lineDone:
		if comma {
			b = append(b, ',')
		}
		b = append(b, `{"body":"`...)
		if l.pos >= 0 {
			b = jsonw.Hex(b, l.buf[l.pos:l.pos+l.n])
		}
		b = append(b, `"}`...)
	}
	return append(b, ']')
}
