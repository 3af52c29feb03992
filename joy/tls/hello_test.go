package tls

import (
	"bytes"
	"testing"
)

func hext(t uint16, d ...byte) []byte {
	return append([]byte{byte(t >> 8), byte(t), byte(len(d) >> 8), byte(len(d))}, d...)
}

func helloMsg(typ byte, body []byte) []byte {
	n := len(body)
	return append([]byte{typ, byte(n >> 16), byte(n >> 8), byte(n)}, body...)
}

// tls13ClientHello is a ClientHello with the TLS 1.3 extensions Hello
// decodes: SNI (the outer one, with ECH), ALPN, supported_versions with
// GREASE, key_share with two groups, psk_key_exchange_modes, early_data,
// pre_shared_key, encrypted_client_hello.
func tls13ClientHello() []byte {
	var exts []byte
	exts = append(exts, hext(0, 0, 13, 0, 0, 10, 'o', 'u', 't', 'e', 'r', '.', 'e', 'x', 'a', 'm')...)
	exts = append(exts, hext(16, 0, 6, 2, 'h', '2', 2, 'h', '3')...)
	exts = append(exts, hext(43, 6, 0x3a, 0x3a, 3, 4, 3, 3)...)
	exts = append(exts, hext(51, 0, 10, 0, 0x1d, 0, 1, 0xaa, 0x11, 0xec, 0, 1, 0xbb)...)
	exts = append(exts, hext(45, 1, 1)...)
	exts = append(exts, hext(42)...)
	exts = append(exts, hext(0xfe0d, 0, 0, 1, 0, 1, 0)...)
	exts = append(exts, hext(41, 0, 0)...)
	body := []byte{3, 3}
	body = append(body, make([]byte, 32)...)
	body = append(body, 0, 0, 4, 0x1a, 0x1a, 0x13, 0x01, 1, 0)
	body = append(body, byte(len(exts)>>8), byte(len(exts)))
	return helloMsg(1, append(body, exts...))
}

func TestParseHelloTLS13(t *testing.T) {
	h, err := ParseHello(tls13ClientHello(), false)
	if err != nil {
		t.Fatal(err)
	}
	if h.ServerName != "outer.exam" || !h.ECH || !h.EarlyData || !h.PreSharedKey {
		t.Errorf("sni %q ech %v early %v psk %v", h.ServerName, h.ECH, h.EarlyData, h.PreSharedKey)
	}
	if len(h.ALPN) != 2 || h.ALPN[1] != "h3" || len(h.PSKModes) != 1 || h.PSKModes[0] != 1 {
		t.Errorf("alpn %q psk modes %v", h.ALPN, h.PSKModes)
	}
	if len(h.KeyShareGroups) != 2 || h.KeyShareGroups[0] != 0x1d || h.KeyShareGroups[1] != 0x11ec {
		t.Errorf("key share groups %x", h.KeyShareGroups)
	}
	if h.SelectedVersion() != 0x0304 || len(h.SupportedVersions) != 3 || !IsGREASE(h.SupportedVersions[0]) {
		t.Errorf("versions %x selected %#x", h.SupportedVersions, h.SelectedVersion())
	}
	if len(h.CipherSuites) != 2 || len(h.Extensions) != 8 {
		t.Errorf("suites %x, %d extensions", h.CipherSuites, len(h.Extensions))
	}
}

func TestParseHelloRetryRequest(t *testing.T) {
	body := []byte{3, 3}
	body = append(body, hrrRandom[:]...)
	body = append(body, 0, 0x13, 0x01, 0)
	exts := append(hext(43, 3, 4), hext(51, 0, 0x17)...)
	body = append(body, byte(len(exts)>>8), byte(len(exts)))
	h, err := ParseHello(helloMsg(2, append(body, exts...)), false)
	if err != nil {
		t.Fatal(err)
	}
	if !h.HelloRetryRequest || h.SelectedVersion() != 0x0304 || len(h.KeyShareGroups) != 1 || h.KeyShareGroups[0] != 0x17 {
		t.Errorf("hrr %v version %#x groups %x", h.HelloRetryRequest, h.SelectedVersion(), h.KeyShareGroups)
	}
}

// TestParseHelloTruncated: every truncation is an error, never a panic
// or a read past the message.
func TestParseHelloTruncated(t *testing.T) {
	m := tls13ClientHello()
	for n := 0; n < len(m); n++ {
		if _, err := ParseHello(append([]byte(nil), m[:n]...), false); err == nil {
			t.Errorf("a hello cut to %d of %d bytes parsed", n, len(m))
		}
	}
}

// TestHelloAssembler gives a hello in records split across segments, a
// HelloRetryRequest flight and the second hello after a ChangeCipherSpec.
func TestHelloAssembler(t *testing.T) {
	m := tls13ClientHello()
	rec := func(ct byte, p []byte) []byte {
		return append([]byte{ct, 3, 1, byte(len(p) >> 8), byte(len(p))}, p...)
	}
	stream := append(rec(22, m[:20]), rec(22, m[20:])...)
	stream = append(stream, rec(20, []byte{1})...)
	stream = append(stream, rec(22, m)...)
	stream = append(stream, rec(23, []byte{1, 2, 3})...)
	var a HelloAssembler
	var got [][]byte
	for i := 0; i < len(stream); i += 7 {
		a.Write(stream[i:min(i+7, len(stream))])
		for msg := a.Next(); msg != nil; msg = a.Next() {
			got = append(got, append([]byte(nil), msg...))
		}
	}
	if len(got) != 2 || !bytes.Equal(got[0], m) || !bytes.Equal(got[1], m) {
		t.Fatalf("got %d hellos", len(got))
	}
	if !a.Stopped() {
		t.Error("application data did not stop the assembler")
	}
}

// TestDTLSAssembler splits a DTLS ClientHello into three fragments over
// two datagrams.
func TestDTLSAssembler(t *testing.T) {
	m := tls13ClientHello()
	body := m[4:]
	var cookieBody []byte
	cookieBody = append(cookieBody, body[:35]...) // version, random, session id
	cookieBody = append(cookieBody, 0)            // cookie
	cookieBody = append(cookieBody, body[35:]...)
	cookieBody[0], cookieBody[1] = 0xfe, 0xfd
	n := len(cookieBody)
	frag := func(off, l int) []byte {
		h := []byte{1, byte(n >> 16), byte(n >> 8), byte(n), 0, 0, byte(off >> 16), byte(off >> 8), byte(off), byte(l >> 16), byte(l >> 8), byte(l)}
		return append(h, cookieBody[off:off+l]...)
	}
	record := func(p []byte) []byte {
		return append([]byte{22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, byte(len(p) >> 8), byte(len(p))}, p...)
	}
	d1 := append(record(frag(0, 30)), record(frag(30, 40))...)
	d2 := record(frag(70, n-70))
	var a DTLSAssembler
	var msg []byte
	for _, d := range [][]byte{d1, d2} {
		for _, f := range DTLSHandshakes(d, nil) {
			if m := a.Add(f); m != nil {
				msg = m
			}
		}
	}
	if msg == nil {
		t.Fatal("no hello")
	}
	h, err := ParseHello(msg, true)
	if err != nil {
		t.Fatal(err)
	}
	if h.ServerName != "outer.exam" || h.Version != 0xfefd || h.Cookie == nil {
		t.Errorf("sni %q version %#x cookie %v", h.ServerName, h.Version, h.Cookie)
	}
}

func FuzzParseHello(f *testing.F) {
	f.Add(tls13ClientHello(), false)
	f.Add(append([]byte{22, 3, 1, 0, 10}, tls13ClientHello()...), false)
	f.Fuzz(func(t *testing.T, data []byte, dtls bool) {
		var h Hello
		_ = h.Parse(data, dtls)
		_ = h.SelectedVersion()
		var a HelloAssembler
		a.Write(data)
		for m := a.Next(); m != nil; m = a.Next() {
			_ = h.Parse(m, false)
		}
		var d DTLSAssembler
		for _, fr := range DTLSHandshakes(data, nil) {
			if m := d.Add(fr); m != nil {
				_ = h.Parse(m, true)
			}
		}
	})
}
