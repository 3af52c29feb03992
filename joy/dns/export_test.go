package dns

// AppendPacket exposes one payload's object and whether printing it read
// beyond the payload (where the original read unrelated memory).
func AppendPacket(b, p []byte) (out []byte, beyond bool) {
	x := parser{p: p}
	out = x.appendPacket(b, nil)
	return out, x.beyond
}
