package dhcp

import "github.com/gojoy/libjoy/joy/record"

// AppendMessage exposes one message's object (p must hold at least MinLen
// bytes) and whether parsing it read beyond the payload.
func AppendMessage(b, p []byte) (out []byte, beyond bool) {
	if len(p) > maxKept {
		p = p[:maxKept]
	}
	var s State
	w := walker{m: p}
	w.parse(&s)
	var e record.Enc
	e.Reset(b)
	s.emitMessage(&e, &s.msgs[0])
	return e.JSON.B, w.beyond
}
