package tls

import (
	"strings"
	"testing"
)

// Deliberate differences from the original (each listed in the package
// report for docs/compatibility.md). Every case builds its own input and
// states what the original printed and what this package prints.

// withSignatureOID re-wraps a certificate's TBS part with another outer
// signature algorithm.
func withSignatureOID(tb testing.TB, der []byte, oid []int) []byte {
	tb.Helper()
	body, _, ok := seq(der)
	if !ok {
		tb.Fatal("bad certificate")
	}
	tbs, rest, _ := next(body)
	_, _, rest, _ = algorithm(rest)
	sig, _, _ := next(rest)
	return seqOfParts(tbs.raw, seqOfParts(oidDER(oid...)), sig.raw)
}

// truncatedHello is a ClientHello record whose last extension (type 99)
// declares four data bytes of which one is present; the record and
// message lengths claim the missing bytes, which the original's checks
// let it read.
func truncatedHello() []byte {
	body := cat(u16(0x0303), filled(32, 1), []byte{0}, u16(2), u16(1), []byte{1, 0}, u16(8), u16(99), u16(4), []byte{0xee})
	msg := cat([]byte{1}, u24(len(body)+3), body)
	return cat([]byte{22, 3, 3}, u16(len(msg)+3), msg)
}

func TestDeliberateDifferences(t *testing.T) {
	ccs := record(20, []byte{1})
	hello := func(exts ...[]byte) []byte {
		return record(22, clientHello(0x0303, filled(32, 1), nil, []int{1}, exts...))
	}
	random := `"c_random":"` + strings.Repeat("01", 32) + `"`
	cert := testCertificate(t, nil)
	cases := []struct {
		name     string // quirk or rule
		original string // what the original did
		out, in  [][]byte
		want     string // a substring of this package's "tls" member
	}{
		{
			name:     "QUIRK-28 unknown signature algorithm",
			original: "crashed copying a NULL algorithm name",
			out: [][]byte{record(22, cat(serverHello(0x0303, filled(32, 2), nil, 1),
				certificateMsg(withSignatureOID(t, cert, []int{1, 2, 3, 4, 99999})))), ccs},
			want: `"signature_algo":"1.2.3.4.99999","signature_key_size":512,`,
		},
		{
			name:     "QUIRK-31 server name escaped",
			original: `printed the raw bytes: "sni":["a"b\c<TAB>"] (invalid JSON)`,
			out:      [][]byte{hello(sniExt("a\"b\\c\t\x01\xff")), ccs},
			want:     `"sni":["a\"b\\c\t\u0001\u00ff"]`,
		},
		{
			name:     "TLS 1.3 negotiated in supported_versions: server version 6 (client out)",
			original: `"c_version":5,"s_version":5 (the hello's legacy version)`,
			out:      [][]byte{hello(ext(43, []byte{4, 3, 4, 3, 3})), ccs},
			in:       [][]byte{record(22, serverHello(0x0303, filled(32, 2), nil, 0x1301, ext(43, []byte{3, 4}))), ccs},
			want:     `"tls":{"c_version":5,"s_version":6,`,
		},
		{
			name:     "record header past the end of a payload reads zeros",
			original: "read the bytes after the packet in libpcap's buffer (KNOWN_UNSTABLE item 1)",
			out:      [][]byte{hello(), cat(ccs, []byte{23, 3})},
			want:     `{"b":1,"dir":"<","ipt":1,"tp":20},{"b":0,"dir":"<","ipt":0,"tp":23}]`,
		},
		{
			name:     "hello extension past the end of the handshake buffer reads zeros",
			original: "copied heap bytes after the buffer",
			out:      [][]byte{truncatedHello(), ccs},
			want:     `"c_extensions":[{"kind":99,"data":"ee000000"}]`,
		},
		{
			name:     "at most 256 hello extensions",
			original: "wrote past its 256-entry extension array",
			out: [][]byte{record(22, clientHello(0x0303, filled(32, 1), nil, []int{1},
				func() []byte {
					var e []byte
					for i := 0; i < 300; i++ {
						e = append(e, ext(1000+i, nil)...)
					}
					return e
				}())), ccs},
			want: `{"kind":1255,"data":""}],`,
		},
		{
			name:     "server name of declared length 65535",
			original: "crashed (16-bit length + 1 wraps to 0, then copies 4 GB)",
			out:      [][]byte{hello(ext(0, cat(u16(5), []byte{0}, u16(0xffff), []byte("ab")))), ccs},
			want:     random + `,"cs":["0001"],"c_extensions":[{"server_name":"000500ffff6162"}]`,
		},
	}
	for _, c := range cases {
		o, i := new(State), new(State)
		feed(o, 0, c.out...)
		feed(i, 500, c.in...)
		var got string
		if c.in != nil {
			got = tlsJSON(t, o, i)
		} else {
			got = tlsJSON(t, o, nil)
		}
		if !strings.Contains(got, c.want) {
			t.Errorf("%s (original: %s):\n got %s\nwant substring %s", c.name, c.original, got, c.want)
		}
	}
	// The 256-extension cap keeps the first 256.
	o := new(State)
	feed(o, 0, cases[5].out...)
	if n := len(o.cExt); n != 256 {
		t.Errorf("kept %d extensions, want 256", n)
	}
}
