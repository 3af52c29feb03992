package quic

import (
	"encoding/json"
	"testing"

	"github.com/gojoy/libjoy/tests/go/testutil"
)

// fuzzDatagrams splits fuzz input into datagrams: each is a direction byte
// (low bit: from the client), a length byte, then that many bytes.
func fuzzDatagrams(data []byte, fn func(p []byte, client bool)) {
	for len(data) >= 2 {
		client := data[0]&1 == 1
		n := int(data[1])<<3 | int(data[0]>>1)&7
		data = data[2:]
		if n > len(data) {
			n = len(data)
		}
		// A copy of exactly the datagram: any read past it faults.
		fn(append([]byte(nil), data[:n]...), client)
		data = data[n:]
	}
}

func encodeDatagrams(ps [][]byte, client []bool) []byte {
	var out []byte
	for i, p := range ps {
		n := len(p)
		if n > 2047 {
			n = 2047
		}
		d := byte(0)
		if client[i] {
			d = 1
		}
		out = append(out, d|byte(n&7)<<1, byte(n>>3))
		out = append(out, p[:n]...)
	}
	return out
}

func checkMember(t *testing.T, c *Conn) {
	out := append(c.AppendJSON([]byte(`{"a":0`)), '}')
	if !json.Valid(out) {
		t.Fatalf("invalid JSON: %s", out)
	}
}

// FuzzQUIC feeds datagrams of both directions to one Conn. Seeds: built
// Initials of v1, v2 and draft-29 (a hello across packets, a server
// Initial, Retry, Version Negotiation) and the UDP payloads of the
// corpus's QUIC captures when JOY_SHARED is there.
func FuzzQUIC(f *testing.F) {
	odcid := unhex("8394c8f03e515708")
	ch := clientHello("fuzz.example", 300)
	for _, v := range []uint32{Version1, Version2, 0xff00001d, 0x51303530} {
		p1 := sealInitial(f, v, odcid, odcid, nil, 0, cryptoFrame(0, ch[:200]), true)
		p2 := sealInitial(f, v, odcid, odcid, nil, 1, cryptoFrame(200, ch[200:]), true)
		f.Add(encodeDatagrams([][]byte{p2, p1}, []bool{true, true}))
	}
	f.Add(encodeDatagrams([][]byte{{0x80, 0, 0, 0, 0, 1, 0xaa, 1, 0xbb, 0, 0, 0, 1}, {0xf0, 0, 0, 0, 1, 1, 0xaa, 1, 0xbb, 't', 'o', 'k', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}}, []bool{false, false}))
	if shared, ok := testutil.SharedDir(); ok {
		for _, file := range quicCaptures(f, shared) {
			flows, err := readFlowPayloads(file)
			if err != nil {
				continue
			}
			for _, fl := range flows {
				if len(fl.ps) > 6 {
					fl.ps, fl.client = fl.ps[:6], fl.client[:6]
				}
				f.Add(encodeDatagrams(fl.ps, fl.client))
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := NewConn()
		fuzzDatagrams(data, func(p []byte, client bool) { c.Observe(p, client) })
		checkMember(t, c)
	})
}

// FuzzQUICFrames feeds decrypted Initial payloads (frames) straight to the
// frame reader, CRYPTO reassembly and the hello parser, which FuzzQUIC
// reaches only through AEAD-authenticated packets.
func FuzzQUICFrames(f *testing.F) {
	ch := clientHello("frames.example", 40)
	f.Add(append(cryptoFrame(100, ch[100:]), cryptoFrame(0, ch[:100])...))
	f.Add(append([]byte{0x02, 0x05, 0x00, 0x01, 0x00, 0x01, 0x02, 0x00, 0x01}, cryptoFrame(0, ch)...))
	f.Add([]byte{0x03, 0x01, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x06, 0x00, 0x04, 'C', 'H', 'L', 'O'})
	f.Fuzz(func(t *testing.T, data []byte) {
		c := NewConn()
		c.LongHeaders = 1
		half := len(data) / 2
		c.frames(append([]byte(nil), data[half:]...), &c.Client, true)
		c.frames(append([]byte(nil), data[:half]...), &c.Client, true)
		c.GoogleQUIC = true
		c.frames(append([]byte(nil), data...), &c.Server, false)
		checkMember(t, c)
	})
}
