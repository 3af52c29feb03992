package http

import (
	"bytes"
	"testing"

	"github.com/gojoy/libjoy/joy/feature"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

func FuzzHTTP(f *testing.F) {
	f.Add(append(tu.EncodeChunks(0, "GET / HTTP/1.1\r\nHost: a.com\r\nAccept: */*\r\n\r\n"),
		tu.EncodeChunks(1, "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nhello world\n")...))
	f.Add(tu.EncodeChunks(0, "GET / HTTP/1.0\r\n\r\n\x00\"\\abc"))
	f.Add(tu.EncodeChunks(1, "", "HTTP/1.1 200 OK\r\nX:\r\nfoo\r\n  : \r\n\r\n"))
	f.Add(tu.EncodeChunks(0, "GET  /a  HTTP/1.1\nA: b\r\n c\r\n\r\r\n\n\r\n0123456789abcdefXYZ"))
	f.Add(tu.EncodeChunks(0, "HOTSPOT\r\n\r\n", "POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"))
	f.Add(tu.EncodeChunks(1, string(bytes.Repeat([]byte("a: b\r\n"), 400))))
	f.Add(tu.EncodeChunks(0, "\r\n\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dirs := tu.FuzzChunks(data)
		var a, b State
		for i, p := range dirs[0] {
			a.Observe(p, int64(i))
		}
		for i, p := range dirs[1] {
			b.Observe(p, int64(i))
		}
		out := feature.AppendJSON(nil, &a, &b)
		tu.ValidMember(t, out)
		tu.ValidMember(t, feature.AppendJSON(nil, &b, &a))
		tu.ValidMember(t, feature.AppendJSON(nil, &a, nil))
		if again := feature.AppendJSON(nil, &a, &b); !bytes.Equal(out, again) {
			t.Fatalf("second print differs:\n%s\n%s", out, again)
		}
		for _, s := range []*State{&a, &b} {
			if len(s.msg) > maxCpy {
				t.Fatalf("kept %d bytes", len(s.msg))
			}
		}
	})
}
