package http

import (
	"bytes"
	"encoding/json"
	"testing"
)

// chunks splits fuzz input into payloads for two directions: each payload
// is a header byte (bit 0: direction, bits 1–7: length, 127 meaning that
// a two-byte length follows) and then its bytes.
func chunks(data []byte) (dirs [2][][]byte) {
	for len(data) > 0 {
		h := data[0]
		data = data[1:]
		n := int(h >> 1)
		if n == 127 && len(data) >= 2 {
			n = int(data[0])<<8 | int(data[1])
			data = data[2:]
		}
		n = min(n, len(data))
		dirs[h&1] = append(dirs[h&1], data[:n])
		data = data[n:]
	}
	return dirs
}

// encode is the inverse of chunks, for seeds.
func encode(dir int, payloads ...string) []byte {
	var b []byte
	for _, p := range payloads {
		if len(p) < 127 {
			b = append(b, byte(len(p)<<1|dir))
		} else {
			b = append(b, 127<<1|byte(dir), byte(len(p)>>8), byte(len(p)))
		}
		b = append(b, p...)
	}
	return b
}

func validMember(t *testing.T, b []byte) {
	t.Helper()
	if rec := append(append([]byte(`{"x":1`), b...), '}'); !json.Valid(rec) {
		t.Fatalf("invalid JSON: %q", rec)
	}
}

func FuzzHTTP(f *testing.F) {
	f.Add(append(encode(0, "GET / HTTP/1.1\r\nHost: a.com\r\nAccept: */*\r\n\r\n"),
		encode(1, "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nhello world\n")...))
	f.Add(encode(0, "GET / HTTP/1.0\r\n\r\n\x00\"\\abc"))
	f.Add(encode(1, "", "HTTP/1.1 200 OK\r\nX:\r\nfoo\r\n  : \r\n\r\n"))
	f.Add(encode(0, "GET  /a  HTTP/1.1\nA: b\r\n c\r\n\r\r\n\n\r\n0123456789abcdefXYZ"))
	f.Add(encode(0, "HOTSPOT\r\n\r\n", "POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"))
	f.Add(encode(1, string(bytes.Repeat([]byte("a: b\r\n"), 400))))
	f.Add(encode(0, "\r\n\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dirs := chunks(data)
		var a, b State
		for i, p := range dirs[0] {
			a.Observe(p, int64(i))
		}
		for i, p := range dirs[1] {
			b.Observe(p, int64(i))
		}
		out := a.AppendJSON(nil, &b)
		validMember(t, out)
		validMember(t, b.AppendJSON(nil, &a))
		validMember(t, a.AppendJSON(nil, nil))
		if again := a.AppendJSON(nil, &b); !bytes.Equal(out, again) {
			t.Fatalf("second print differs:\n%s\n%s", out, again)
		}
		for _, s := range []*State{&a, &b} {
			if len(s.msg) > maxCpy {
				t.Fatalf("kept %d bytes", len(s.msg))
			}
		}
	})
}
