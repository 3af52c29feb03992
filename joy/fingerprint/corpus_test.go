package fingerprint_test

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gojoy/libjoy/joy/decode"
	"github.com/gojoy/libjoy/joy/fingerprint"
	"github.com/gojoy/libjoy/joy/pcapfile"
	"github.com/gojoy/libjoy/joy/tls"
	"github.com/gojoy/libjoy/tests/go/testutil"
	"github.com/gojoy/libjoy/tests/go/testutil/tshark"
)

// tsharkJA3 returns the JA3 and JA3S strings tshark computes for a
// capture's TLS and DTLS hellos ("c " or "s " in front), QUIC ones left out.
func tsharkJA3(tsharkPath, file string) ([]string, error) {
	hs, err := tshark.JA3(tsharkPath, file)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, h := range hs {
		if h.QUIC {
			continue
		}
		p := "c "
		if h.Server {
			p = "s "
		}
		out = append(out, p+h.JA3)
	}
	return out, nil
}

// stream is one direction of a TCP connection, reassembled in sequence
// order for the hello assembler.
type stream struct {
	next    uint32
	started bool
	pending map[uint32][]byte
	asm     tls.HelloAssembler
}

func (s *stream) add(seq uint32, p []byte, emit func([]byte)) {
	if !s.started {
		s.started, s.next = true, seq
	}
	if d := int32(seq - s.next); d > 0 {
		if s.pending == nil {
			s.pending = map[uint32][]byte{}
		}
		if len(s.pending) < 256 {
			s.pending[seq] = append([]byte(nil), p...)
		}
		return
	} else if d < 0 {
		if int(-d) >= len(p) {
			return
		}
		p = p[-d:]
	}
	for {
		if s.asm.Stopped() && len(p) > 1 && p[0] == 22 && p[1] == 3 {
			// TLS after a plaintext start (STARTTLS), which this
			// test does not parse: start again at the record.
			s.asm.Reset()
		}
		s.asm.Write(p)
		s.next += uint32(len(p))
		for m := s.asm.Next(); m != nil; m = s.asm.Next() {
			emit(m)
		}
		q, ok := s.pending[s.next]
		if !ok {
			return
		}
		delete(s.pending, s.next)
		p = q
	}
}

// ourJA3 returns our JA3 and JA3S strings for a capture's TLS and DTLS
// hellos.
func ourJA3(file string) ([]string, error) {
	r, err := pcapfile.Open(file)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	decoders := map[decode.LinkType]*decode.Decoder{}
	streams := map[string]*stream{}
	dtls := map[string]*tls.DTLSAssembler{}
	var out []string
	var h tls.Hello
	fp := func(msg []byte, dtls bool) {
		if h.Parse(msg, dtls) != nil {
			return
		}
		p := "c "
		if h.Type == tls.HelloServer {
			p = "s "
		}
		out = append(out, p+string(fingerprint.AppendJA3(nil, &h)))
	}
	var pkt decode.Packet
	vx := decode.NewDecoder(decode.LinkEthernet)
	v6 := decode.NewDecoder(decode.LinkIPv6)
	for {
		fr, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			break // a damaged tail: tshark stops there too
		}
		d := decoders[fr.Link]
		if d == nil {
			if !decode.Supported(fr.Link) {
				continue
			}
			d = decode.NewDecoder(fr.Link)
			decoders[fr.Link] = d
		}
		if d.Decode(fr.Data, &pkt) != nil {
			continue
		}
		tp := pkt.Transport
		if pkt.Proto == 41 {
			// 6in4: decode the inner IPv6 packet.
			if v6.Decode(pkt.Transport, &pkt) != nil {
				continue
			}
			tp = pkt.Transport
		}
		if pkt.Proto == 17 && len(tp) > 16+14 && tp[2] == 0x12 && tp[3] == 0xb5 {
			// VXLAN (UDP 4789): decode the inner Ethernet frame.
			if vx.Decode(tp[16:], &pkt) != nil {
				continue
			}
			tp = pkt.Transport
		}
		switch pkt.Proto {
		case 6:
			if len(tp) < 20 {
				continue
			}
			off := int(tp[12]>>4) * 4
			if off < 20 || off > len(tp) {
				continue
			}
			seq := uint32(tp[4])<<24 | uint32(tp[5])<<16 | uint32(tp[6])<<8 | uint32(tp[7])
			key := fmt.Sprintf("%x|%x|%x", pkt.Src, pkt.Dst, tp[:4])
			s := streams[key]
			if tp[13]&0x02 != 0 { // SYN: a new connection
				s = &stream{started: true, next: seq + 1}
				streams[key] = s
				continue
			}
			if len(tp) == off {
				continue
			}
			if s == nil {
				s = &stream{}
				streams[key] = s
			}
			s.add(seq, tp[off:], func(m []byte) { fp(m, false) })
		case 17:
			if len(tp) < 8+13 || tp[8+1] != 0xfe {
				continue
			}
			key := fmt.Sprintf("%x|%x|%x", pkt.Src, pkt.Dst, tp[:4])
			a := dtls[key]
			if a == nil {
				a = new(tls.DTLSAssembler)
				dtls[key] = a
			}
			for _, m := range tls.DTLSHandshakes(tp[8:], nil) {
				if msg := a.Add(m); msg != nil {
					fp(msg, true)
				}
			}
		}
	}
	return out, nil
}

// TestJA3AgainstTshark checks that every JA3 and JA3S string tshark (4.0)
// computes for the TLS and DTLS hellos of the corpus is also ours.
func TestJA3AgainstTshark(t *testing.T) {
	shared := testutil.NeedShared(t)
	tsharkPath := tshark.Need(t)
	if testing.Short() {
		t.Skip("runs tshark over the corpus's TLS captures (a few minutes); not with -short")
	}
	files := tshark.TLSCaptures(t, shared)
	type result struct {
		file         string
		want, got    []string
		tErr, ourErr error
	}
	results := make([]result, len(files))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	start := time.Now()
	for i, f := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			res := result{file: f}
			res.want, res.tErr = tsharkJA3(tsharkPath, f)
			res.got, res.ourErr = ourJA3(f)
			results[i] = res
		}()
	}
	wg.Wait()
	matched, files0 := 0, 0
	for _, res := range results {
		name := filepath.Base(res.file)
		if res.tErr != nil {
			t.Logf("%s: %v (skipped)", name, res.tErr)
			continue
		}
		if res.ourErr != nil {
			t.Errorf("%s: %v", name, res.ourErr)
			continue
		}
		if len(res.want) > 0 {
			files0++
		}
		have := map[string]int{}
		for _, g := range res.got {
			have[g]++
		}
		var missing []string
		for _, w := range res.want {
			if have[w] > 0 {
				have[w]--
				matched++
			} else {
				missing = append(missing, w)
			}
		}
		if why, ok := tshark.NotCompared[name]; ok && len(missing) > 0 {
			t.Logf("%s: %d of tshark's %d strings not compared: %s", name, len(missing), len(res.want), why)
			continue
		}
		if len(missing) > 0 {
			var extra []string
			for g, n := range have {
				if n > 0 {
					extra = append(extra, g)
				}
			}
			sort.Strings(extra)
			t.Errorf("%s: %d of tshark's %d JA3/JA3S strings not ours:\n  tshark: %s\n  ours left over: %s",
				name, len(missing), len(res.want), strings.Join(first(missing, 5), "\n          "), strings.Join(first(extra, 5), "\n                  "))
		}
	}
	t.Logf("%d JA3/JA3S strings of TLS and DTLS hellos identical to tshark's, in %d captures (%d scanned, %s)", matched, files0, len(files), time.Since(start).Round(time.Second))
	if matched == 0 {
		t.Error("no hello compared: the test cannot have checked anything")
	}
}

func first(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("... (%d more)", len(s)-n))
	}
	return s
}
