package fingerprint

import (
	"testing"

	"github.com/gojoy/libjoy/joy/tls"
)

// FuzzFingerprints parses any bytes as a hello and computes every
// fingerprint of what parsed: nothing may panic, and JA4 keeps its shape.
func FuzzFingerprints(f *testing.F) {
	f.Add(buildHello(helloSpec{version: 0x0303, suites: []uint16{0x1301, 0x0a0a}, exts: []tls.Extension{{Type: 0x0010, Data: alpn("\xff")}, {Type: 0x0039, Data: []byte{0x1b, 0x01, 0xff, 0x40}}}}), false)
	f.Add(buildHello(helloSpec{version: 0xfefd, dtls: true, suites: []uint16{0xc02b}}), true)
	f.Fuzz(func(t *testing.T, msg []byte, dtls bool) {
		h, err := tls.ParseHello(msg, dtls)
		if err != nil {
			return
		}
		AppendJA3(nil, h)
		JA3(h)
		for _, p := range []byte{JA4TCP, JA4QUIC, JA4DTLS} {
			if s := AppendJA4(nil, h, p); len(s) != 36 || s[10] != '_' || s[23] != '_' {
				t.Fatalf("JA4 %q", s)
			}
			AppendJA4R(nil, h, p, false)
			AppendJA4R(nil, h, p, true)
			AppendJA4O(nil, h, p)
		}
		AppendMercuryTLS(nil, h)
		AppendMercuryQUIC(nil, 1, h)
		AppendShape(nil, h)
	})
}
