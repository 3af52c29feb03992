package dns

import "github.com/gojoy/libjoy/joy/record"

// AppendPacket exposes one payload's object and whether parsing it read
// beyond the payload (where the original read unrelated memory).
func AppendPacket(b, p []byte) (out []byte, beyond bool) {
	var s State
	x := parser{p: p}
	x.parsePacket(&s)
	var e record.Enc
	e.Reset(b)
	s.emitMessage(&e, &s, &s.msgs[0])
	return e.JSON.B, x.beyond
}
