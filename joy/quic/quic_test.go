package quic

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
)

func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// TestInitialKeys checks the key derivation with the test vectors of
// RFC 9001 Appendix A.1 (v1) and RFC 9369 Appendix A.1 (v2): client
// Destination Connection ID 0x8394c8f03e515708.
func TestInitialKeys(t *testing.T) {
	dcid := unhex("8394c8f03e515708")
	for _, c := range []struct {
		version     uint32
		label       string
		key, iv, hp string
	}{
		{Version1, "client in", "1f369613dd76d5467730efcbe3b1a22d", "fa044b2f42a3fd3b46fb255c", "9f50449e04a0e810283a1e9933adedd2"},
		{Version1, "server in", "cf3a5331653c364c88f0f379b6067e37", "0ac1493ca1905853b0bba03e", "c206b8d9b9f0f37644430b490eeaa314"},
		{Version2, "client in", "8b1a0bc121284290a29e0971b5cd045d", "91f73e2351d8fa91660e909f", "45b95e15235d6f45a6b19cbcb0294ba9"},
		{Version2, "server in", "82db637861d55e1d011f19ea71d5d2a7", "dd13c276499c0249d3310652", "edf6d05c83121201b436e16877593c3a"},
	} {
		vi, ok := lookupVersion(c.version)
		if !ok {
			t.Fatalf("version %#x unknown", c.version)
		}
		initial, err := hkdf.Extract(sha256.New, dcid, vi.salt)
		if err != nil {
			t.Fatal(err)
		}
		key, iv, hp, err := keyMaterial(vi, initial, c.label)
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(key) != c.key || hex.EncodeToString(iv) != c.iv || hex.EncodeToString(hp) != c.hp {
			t.Errorf("%s %s: key %x iv %x hp %x, want %s %s %s", VersionName(c.version), c.label, key, iv, hp, c.key, c.iv, c.hp)
		}
	}
}

// sealInitial builds a protected Initial packet of version v carrying
// frames, as a client (or server) would (RFC 9001 §5.3, §5.4).
func sealInitial(t testing.TB, v uint32, odcid, dcid, scid []byte, pn uint32, frames []byte, client bool) []byte {
	vi, ok := lookupVersion(v)
	if !ok {
		t.Fatalf("version %#x", v)
	}
	ck, sk, err := initialKeys(vi, odcid)
	if err != nil {
		t.Fatal(err)
	}
	k := ck
	if !client {
		k = sk
	}
	typ := byte(0)
	if vi.v2 {
		typ = 1
	}
	if client && len(frames) < 1162 {
		frames = append(frames, make([]byte, 1162-len(frames))...) // PADDING
	}
	hdr := []byte{0xc0 | typ<<4 | 3, byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v), byte(len(dcid))}
	hdr = append(hdr, dcid...)
	hdr = append(hdr, byte(len(scid)))
	hdr = append(hdr, scid...)
	hdr = append(hdr, 0) // token
	length := 4 + len(frames) + 16
	hdr = append(hdr, 0x40|byte(length>>8), byte(length))
	pnOff := len(hdr)
	hdr = append(hdr, byte(pn>>24), byte(pn>>16), byte(pn>>8), byte(pn))
	nonce := k.iv
	for i := 0; i < 8; i++ {
		nonce[11-i] ^= byte(uint64(pn) >> (8 * i))
	}
	pkt := k.aead.Seal(append([]byte(nil), hdr...), nonce[:], frames, hdr)
	var mask [16]byte
	k.hp.Encrypt(mask[:], pkt[pnOff+4:pnOff+20])
	pkt[0] ^= mask[0] & 0x0f
	for i := 0; i < 4; i++ {
		pkt[pnOff+i] ^= mask[1+i]
	}
	return pkt
}

func cryptoFrame(off int, data []byte) []byte {
	f := []byte{0x06, 0x80 | byte(off>>24), byte(off >> 16), byte(off >> 8), byte(off), 0x40 | byte(len(data)>>8), byte(len(data))}
	return append(f, data...)
}

// clientHello is a ClientHello as QUIC clients send it: TLS 1.3 only, an
// SNI, ALPN h3, transport parameters.
func clientHello(sni string, pad int) []byte {
	ext := func(t uint16, d []byte) []byte {
		return append([]byte{byte(t >> 8), byte(t), byte(len(d) >> 8), byte(len(d))}, d...)
	}
	name := append([]byte{0, byte(len(sni) >> 8), byte(len(sni))}, sni...)
	sniData := append([]byte{byte(len(name) >> 8), byte(len(name))}, name...)
	var exts []byte
	exts = append(exts, ext(0, sniData)...)
	exts = append(exts, ext(16, []byte{0, 3, 2, 'h', '3'})...)
	exts = append(exts, ext(43, []byte{2, 3, 4})...)
	exts = append(exts, ext(51, []byte{0, 6, 0, 0x1d, 0, 2, 0xaa, 0xbb})...)
	// max_idle_timeout 30000, initial_max_data 1048576, a GREASE
	// parameter, disable_active_migration.
	tp := []byte{0x01, 0x04, 0x80, 0x00, 0x75, 0x30, 0x04, 0x04, 0x80, 0x10, 0x00, 0x00, 0x1b, 0x01, 0xff, 0x0c, 0x00}
	exts = append(exts, ext(57, tp)...)
	exts = append(exts, ext(21, make([]byte, pad))...)
	body := []byte{3, 3}
	body = append(body, make([]byte, 32)...)
	body = append(body, 0, 0, 6, 0x13, 0x01, 0x13, 0x02, 0x13, 0x03, 1, 0)
	body = append(body, byte(len(exts)>>8), byte(len(exts)))
	body = append(body, exts...)
	return append([]byte{1, 0, byte(len(body) >> 8), byte(len(body))}, body...)
}

// TestReassembly sends a ClientHello in three CRYPTO frames over two
// Initial packets, the second packet first, with a server Initial before
// them, and checks every field of the result and that the member is JSON.
func TestReassembly(t *testing.T) {
	for _, v := range []uint32{Version1, Version2, 0xff00001d} {
		odcid := unhex("8394c8f03e515708")
		scid := unhex("c1c2c3c4")
		ch := clientHello("example.org", 1500)
		p1 := sealInitial(t, v, odcid, odcid, scid, 0, cryptoFrame(0, ch[:1000]), true)
		p2 := sealInitial(t, v, odcid, odcid, scid, 1, append(cryptoFrame(1400, ch[1400:]), cryptoFrame(900, ch[900:1400])...), true)
		sh := []byte{2, 0, 0, 46, 3, 3}
		sh = append(sh, make([]byte, 32)...)
		sh = append(sh, 0, 0x13, 0x01, 0, 0, 6, 0, 43, 0, 2, 3, 4)
		srv := sealInitial(t, v, odcid, scid, unhex("5555"), 0, append([]byte{0x02, 0, 0, 0, 0}, cryptoFrame(0, sh)...), false)

		c := NewConn()
		c.Observe(srv, false)
		c.Observe(p2, true)
		if c.Client.Hello != nil {
			t.Fatalf("%s: hello complete with a gap", VersionName(v))
		}
		c.Observe(p1, true)
		h := c.Client.Hello
		if h == nil {
			t.Fatalf("%s: no ClientHello (decrypted %d of %d)", VersionName(v), c.Client.Decrypted, c.Client.Initials)
		}
		if h.ServerName != "example.org" || len(h.ALPN) != 1 || h.ALPN[0] != "h3" || c.Version != v {
			t.Errorf("%s: sni %q alpn %q version %#x", VersionName(v), h.ServerName, h.ALPN, c.Version)
		}
		if c.Server.Hello == nil || c.Server.Hello.SelectedVersion() != 0x0304 || c.Server.Hello.CipherSuites[0] != 0x1301 {
			t.Errorf("%s: server hello %+v", VersionName(v), c.Server.Hello)
		}
		if len(c.Client.TransportParameters) != 4 || c.Client.TransportParameters[2].ID != 0x1b {
			t.Errorf("%s: transport parameters %+v", VersionName(v), c.Client.TransportParameters)
		}
		out := c.AppendJSON([]byte("{\"x\":1"))
		out = append(out, '}')
		if !json.Valid(out) {
			t.Fatalf("invalid JSON: %s", out)
		}
		for _, want := range []string{`"sni":"example.org"`, `"alpn":["h3"]`, `"max_idle_timeout":30000`, `"initial_max_data":1048576`, `"0x1b":"ff"`, `"disable_active_migration":true`, `"scs":"1301"`, `"c_initials":2`, `"s_initials":1`} {
			if !strings.Contains(string(out), want) {
				t.Errorf("%s: %s missing from %s", VersionName(v), want, out)
			}
		}
	}
}

// TestRetryAndVN checks that Retry and Version Negotiation packets are
// noted, and that the client's Initial after a Retry (keys from the new
// DCID) decrypts.
func TestRetryAndVN(t *testing.T) {
	c := NewConn()
	odcid, scid, newCID := unhex("0102030405060708"), unhex("aa"), unhex("b0b1b2b3b4b5b6b7")
	c.Observe(sealInitial(t, Version1, odcid, odcid, scid, 0, []byte{0x01}, true), true)
	retry := []byte{0xf0, 0, 0, 0, 1, 1, 0xaa, 8}
	retry = append(retry, newCID...)
	retry = append(retry, "token-bytes"...)
	retry = append(retry, make([]byte, 16)...) // integrity tag
	c.Observe(retry, false)
	ch := clientHello("retry.example", 0)
	c.Observe(sealInitial(t, Version1, newCID, newCID, scid, 1, cryptoFrame(0, ch), true), true)
	if !c.RetrySeen || c.RetryTokenLen != len("token-bytes") || hex.EncodeToString(c.RetrySCID) != hex.EncodeToString(newCID) {
		t.Errorf("retry: seen %v token %d scid %x", c.RetrySeen, c.RetryTokenLen, c.RetrySCID)
	}
	if c.Client.Hello == nil || c.Client.Hello.ServerName != "retry.example" {
		t.Errorf("no ClientHello after the Retry: %d of %d decrypted", c.Client.Decrypted, c.Client.Initials)
	}
	vn := []byte{0x80, 0, 0, 0, 0, 1, 0xaa, 1, 0xbb, 0, 0, 0, 1, 0xff, 0, 0, 0x1d}
	c.Observe(vn, false)
	if !c.VNSeen || len(c.VersionNegotiation) != 2 || c.VersionNegotiation[1] != 0xff00001d {
		t.Errorf("version negotiation %v %x", c.VNSeen, c.VersionNegotiation)
	}
	if out := append(c.AppendJSON([]byte(`{"a":0`)), '}'); !json.Valid(out) || !strings.Contains(string(out), `"retry":{"token_length":11`) || !strings.Contains(string(out), `"vn":["00000001","ff00001d"]`) {
		t.Errorf("member: %s", out)
	}
}

// TestNeverPastPacket feeds every truncation of a real Initial: nothing
// may panic (the race detector and bounds checks see any read past it)
// and no truncation may decrypt.
func TestNeverPastPacket(t *testing.T) {
	odcid := unhex("8394c8f03e515708")
	p := sealInitial(t, Version1, odcid, odcid, nil, 0, cryptoFrame(0, clientHello("a.b", 0)), true)
	for n := 0; n < len(p); n++ {
		c := NewConn()
		c.Observe(append([]byte(nil), p[:n]...), true)
		if c.Client.Decrypted != 0 {
			t.Fatalf("a packet cut to %d of %d bytes decrypted", n, len(p))
		}
	}
}
