package dhcp

// AppendMessage exposes one message's object (p must hold at least MinLen
// bytes) and whether printing it read beyond the payload.
func AppendMessage(b, p []byte) (out []byte, beyond bool) {
	if len(p) > maxKept {
		p = p[:maxKept]
	}
	w := walker{m: p}
	out = w.appendMessage(b, nil)
	return out, w.beyond
}
