package ssh

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

func FuzzSSH(f *testing.F) {
	c, s := curve25519()
	var seed []byte
	for i := range max(len(c), len(s)) {
		if i < len(c) {
			seed = append(seed, encode(0, string(c[i]))...)
		}
		if i < len(s) {
			seed = append(seed, encode(1, string(s[i]))...)
		}
	}
	f.Add(seed)
	f.Add(append(encode(0, "SSH-2.0-C\r\n", string(kexinit(1, lists("diffie-hellman-group-exchange-sha256"))),
		string(packet(34, []byte{0, 0, 8, 0, 0, 0, 16, 0, 0, 0, 32, 0}, 4)), string(packet(32, sshString([]byte{1, 2}), 4))),
		encode(1, "SSH-2.0-S\r\n", string(kexinit(2, lists("diffie-hellman-group-exchange-sha256"))),
			string(packet(31, cat(sshString([]byte{0, 1}), sshString([]byte{2})), 4)),
			string(packet(33, cat(sshString(hostKey), sshString([]byte{3}), sshString(sig)), 4)))...))
	f.Add(append(encode(0, "SSH-2.0-C\r\n", string(kexinit(1, lists("rsa1024-sha1"))), string(packet(31, sshString([]byte("s")), 0))),
		encode(1, "junk\r\nSS", "H-2.0-S\n", string(kexinit(0, lists("rsa1024-sha1"))),
			string(packet(30, cat(sshString(hostKey), sshString([]byte("t"))), 4)), string(packet(32, sshString(sig), 1)))...))
	f.Add(encode(0, "SSH-2.0-\x00\n", "\x00\x00\x80\x00\x00\x14"))
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
			if len(s.buf) > 4+maxPayload+len(data) || s.protoLen > maxProtocol {
				t.Fatalf("state grew: buffer %d bytes", len(s.buf))
			}
		}
	})
}
