package ssh

import (
	"bytes"
	"testing"

	"github.com/gojoy/libjoy/joy/feature"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

func FuzzSSH(f *testing.F) {
	c, s := curve25519()
	var seed []byte
	for i := range max(len(c), len(s)) {
		if i < len(c) {
			seed = append(seed, tu.EncodeChunks(0, string(c[i]))...)
		}
		if i < len(s) {
			seed = append(seed, tu.EncodeChunks(1, string(s[i]))...)
		}
	}
	f.Add(seed)
	f.Add(append(tu.EncodeChunks(0, "SSH-2.0-C\r\n", string(kexinit(1, lists("diffie-hellman-group-exchange-sha256"))),
		string(packet(34, []byte{0, 0, 8, 0, 0, 0, 16, 0, 0, 0, 32, 0}, 4)), string(packet(32, sshString([]byte{1, 2}), 4))),
		tu.EncodeChunks(1, "SSH-2.0-S\r\n", string(kexinit(2, lists("diffie-hellman-group-exchange-sha256"))),
			string(packet(31, cat(sshString([]byte{0, 1}), sshString([]byte{2})), 4)),
			string(packet(33, cat(sshString(hostKey), sshString([]byte{3}), sshString(sig)), 4)))...))
	f.Add(append(tu.EncodeChunks(0, "SSH-2.0-C\r\n", string(kexinit(1, lists("rsa1024-sha1"))), string(packet(31, sshString([]byte("s")), 0))),
		tu.EncodeChunks(1, "junk\r\nSS", "H-2.0-S\n", string(kexinit(0, lists("rsa1024-sha1"))),
			string(packet(30, cat(sshString(hostKey), sshString([]byte("t"))), 4)), string(packet(32, sshString(sig), 1)))...))
	f.Add(tu.EncodeChunks(0, "SSH-2.0-\x00\n", "\x00\x00\x80\x00\x00\x14"))
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
			if len(s.buf) > 4+maxPayload+len(data) || s.protoLen > maxProtocol {
				t.Fatalf("state grew: buffer %d bytes", len(s.buf))
			}
		}
	})
}
