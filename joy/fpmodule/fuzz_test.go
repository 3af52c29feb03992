package fpmodule

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/decode"
	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/tests/go/testutil"
)

// seedChunks turns the first packets of a capture into fuzz input: one
// chunk per packet with a payload (or a SYN), its direction the first
// packet's or not. A TCP chunk is a flags byte (bit 0: SYN), the 4-byte
// sequence number and the payload; a UDP chunk is the datagram.
func seedChunks(path string, proto uint8) []byte {
	frames, err := testutil.ReadFrames(path, 64)
	if err != nil {
		return nil
	}
	var in []byte
	var first [16]byte
	var pkt decode.Packet
	d := decode.NewDecoder(decode.LinkEthernet)
	for i, fr := range frames {
		if d.Decode(fr.Data, &pkt) != nil || pkt.Proto != proto {
			continue
		}
		if i == 0 || first == [16]byte{} {
			first = pkt.Src
		}
		dir := 0
		if pkt.Src != first {
			dir = 1
		}
		tp := pkt.Transport
		var chunk []byte
		if proto == 6 {
			if len(tp) < 20 || int(tp[12]>>4)*4 > len(tp) {
				continue
			}
			syn := tp[13] & 0x02 >> 1
			chunk = append([]byte{syn}, tp[4:8]...)
			chunk = append(chunk, tp[int(tp[12]>>4)*4:]...)
		} else if len(tp) > 8 {
			chunk = tp[8:]
		}
		if len(chunk) > 5 || (proto == 6 && chunk[0] == 1) {
			in = append(in, testutil.EncodeChunks(dir, string(chunk))...)
		}
	}
	return in
}

// FuzzModule feeds both directions of a TCP or UDP flow to the module with
// tls=1 and quic=1 (segments reordered, repeated, overlapping; any
// datagrams), then prints it: the member must be valid JSON, a state
// reset and fed again must print the same, and so must states whose texts
// are never cached.
func FuzzModule(f *testing.F) {
	if dir, ok := testutil.SharedDir(); ok {
		for _, s := range []struct {
			file  string
			proto uint8
		}{
			{"joy-tls12.pcap", 6}, {"zeek-tls-hrr.pcap", 6}, {"ndpi-smtp-starttls.pcap", 6},
			{"zeek-tls-dtls1_2.pcap", 17}, {"zeek-tls-dtls13-wolfssl.pcap", 17}, {"ndpi-quic.pcap", 17},
		} {
			if in := seedChunks(filepath.Join(dir, "pcaps", s.file), s.proto); len(in) > 0 {
				f.Add(in, s.proto == 17)
			}
		}
	}
	f.Add(testutil.EncodeChunks(0, "\x01\x00\x00\x00\x00", "\x00\x00\x00\x00\x01\x16\x03\x01\x00\x04\x01\x00\x00\x00"), false)
	cfg := &config.Config{Bidir: true, TLS: true, Settings: map[string]uint{"quic": 1, "fingerprint": 1}}
	sc := new(scratch)
	dirs := [2]*direction{newDirection(cfg, sc), newDirection(cfg, sc)}
	nc := &scratch{noCache: true}
	fresh := [2]*direction{newDirection(cfg, nc), newDirection(cfg, nc)}
	f.Fuzz(func(t *testing.T, data []byte, udp bool) {
		chunks := testutil.FuzzChunks(data)
		var outs [2][]byte
		for round := range outs {
			for _, d := range dirs {
				d.Reset()
			}
			replay(dirs, chunks, udp)
			outs[round] = feature.AppendJSON(nil, dirs[0], dirs[1])
			testutil.ValidMember(t, outs[round])
			testutil.ValidMember(t, feature.AppendJSON(nil, dirs[1], nil))
		}
		if !bytes.Equal(outs[0], outs[1]) {
			t.Fatalf("a reset state prints otherwise:\n%s\n%s", outs[0], outs[1])
		}
		// The table's cache of hello texts prints what is computed afresh.
		for _, d := range fresh {
			d.Reset()
		}
		replay(fresh, chunks, udp)
		if want := feature.AppendJSON(nil, fresh[0], fresh[1]); !bytes.Equal(outs[1], want) {
			t.Fatalf("cached:\n%s\nuncached:\n%s", outs[1], want)
		}
	})
}

// replay feeds the chunks of FuzzChunks to the two directions, in turn.
func replay(dirs [2]*direction, chunks [2][][]byte, udp bool) {
	for i := 0; i < len(chunks[0]) || i < len(chunks[1]); i++ {
		for dir := range 2 {
			if i >= len(chunks[dir]) {
				continue
			}
			c := chunks[dir][i]
			if udp {
				dirs[dir].Observe(c, int64(i*2+dir))
				continue
			}
			if len(c) < 5 {
				continue
			}
			var hdr [20]byte
			copy(hdr[4:8], c[1:5])
			hdr[12] = 5 << 4
			hdr[13] = 0x10 | (c[0]&1)<<1
			dirs[dir].ObserveTCP(&feature.TCPSegment{Header: hdr[:], Payload: c[5:], PayloadLen: len(c) - 5, TS: int64(i*2 + dir)})
		}
	}
}

// TestModuleSeeds checks the fuzz seeds' replay: the JA3 and JA3S of
// joy-tls12.pcap are those nDPI and tshark give, and reordering its
// segments (the last first) changes nothing.
func TestModuleSeeds(t *testing.T) {
	dir := testutil.NeedShared(t)
	in := seedChunks(filepath.Join(dir, "pcaps", "joy-tls12.pcap"), 6)
	cfg := &config.Config{Bidir: true, TLS: true, Settings: map[string]uint{"fingerprint": 1}}
	sc := new(scratch)
	dirs := [2]*direction{newDirection(cfg, sc), newDirection(cfg, sc)}
	chunks := testutil.FuzzChunks(in)
	replay(dirs, chunks, false)
	out := feature.AppendJSON(nil, dirs[0], dirs[1])
	testutil.ValidMember(t, out)
	for _, want := range []string{`"ja3":"1949310ab64717817ba98300d889efb3"`, `"ja3s":"f6e234011390444c303f74d09d87322d"`} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("%s not in %s", want, out)
		}
	}
	for d := range chunks {
		c := chunks[d]
		// SYN first, then the data segments backwards.
		for i, j := 1, len(c)-1; i < j; i, j = i+1, j-1 {
			c[i], c[j] = c[j], c[i]
		}
	}
	for _, d := range dirs {
		d.Reset()
	}
	replay(dirs, chunks, false)
	if again := feature.AppendJSON(nil, dirs[0], dirs[1]); !bytes.Equal(again, out) {
		t.Errorf("segments in reverse order print\n%s\nnot\n%s", again, out)
	}
}
