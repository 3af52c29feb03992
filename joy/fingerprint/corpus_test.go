package fingerprint_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
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
)

// needTshark returns tshark's path or skips the test.
func needTshark(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed (apt-get install -y tshark): the JA3/JA3S comparison with Wireshark needs it")
	}
	return p
}

// tlsCaptures returns the corpus captures whose MANIFEST.md row shows TLS,
// DTLS or QUIC in tshark's protocol hierarchy (the manifest's Contents
// column), so that tshark runs only where it can find hellos.
func tlsCaptures(t *testing.T, shared string) []string {
	t.Helper()
	man, err := os.ReadFile(filepath.Join(shared, "pcaps", "MANIFEST.md"))
	if err != nil {
		t.Fatalf("reading the corpus manifest: %v", err)
	}
	var files []string
	for _, l := range strings.Split(string(man), "\n") {
		if !strings.HasPrefix(l, "| `") {
			continue
		}
		name := l[3:]
		name = name[:strings.IndexByte(name, '`')]
		if !(strings.Contains(l, " tls(") || strings.Contains(l, " dtls(") || strings.Contains(l, " quic(") || strings.Contains(l, "(tls") || strings.Contains(l, "TLS hs")) {
			continue
		}
		p := filepath.Join(shared, "pcaps", name)
		if _, err := os.Stat(p); err == nil {
			files = append(files, p)
		}
	}
	if len(files) == 0 {
		t.Fatal("no TLS, DTLS or QUIC capture found through MANIFEST.md")
	}
	return files
}

// tsharkJA3 returns the JA3 and JA3S strings tshark computes for a
// capture's TLS and DTLS hellos ("c " or "s " in front), QUIC ones apart.
func tsharkJA3(tshark, file string) (tlsFP, quicFP []string, err error) {
	cmd := exec.Command(tshark, "-r", file, "-n",
		"-Y", "tls.handshake.type==1||tls.handshake.type==2||dtls.handshake.type==1||dtls.handshake.type==2",
		"-T", "fields", "-E", "aggregator=|", "-E", "occurrence=a",
		"-e", "tls.handshake.ja3_full", "-e", "tls.handshake.ja3s_full",
		"-e", "dtls.handshake.ja3_full", "-e", "dtls.handshake.ja3s_full", "-e", "quic.version")
	out, err := cachedOutput(cmd, file)
	if err != nil {
		return nil, nil, err
	}
	for _, line := range strings.Split(string(out), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		for len(f) < 5 {
			f = append(f, "")
		}
		dst := &tlsFP
		if f[4] != "" {
			dst = &quicFP
		}
		for i, prefix := range []string{"c ", "s ", "c ", "s "} {
			if f[i] == "" {
				continue
			}
			for _, v := range strings.Split(f[i], "|") {
				*dst = append(*dst, prefix+v)
			}
		}
	}
	return tlsFP, quicFP, nil
}

// cachedOutput runs cmd, or reads its output from $JOY_TSHARK_CACHE (a
// directory, for repeated runs while developing) where an earlier run left
// it.
func cachedOutput(cmd *exec.Cmd, file string) ([]byte, error) {
	cache := os.Getenv("JOY_TSHARK_CACHE")
	key := ""
	if cache != "" {
		key = filepath.Join(cache, fmt.Sprintf("%x", sha256.Sum256([]byte(strings.Join(cmd.Args[1:], "\x00")))))
		if b, err := os.ReadFile(key); err == nil {
			return b, nil
		}
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("tshark -r %s: %v: %s", file, err, stderr.String())
	}
	if key != "" {
		os.MkdirAll(cache, 0o755)
		os.WriteFile(key, out, 0o644)
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

// notCompared lists the captures whose hellos this test cannot reach or
// that tshark fingerprints only in part; each is a documented reason, not a
// difference of the fingerprint code.
var notCompared = map[string]string{
	"ndpi-openvpn.pcap":                      "TLS inside OpenVPN's control channel, which this test does not unwrap",
	"mercury-tlsv1_3.pcap":                   "the ClientHello's IPv4 total length is 0 (TCP segmentation offload); joy's decoder, like the original, drops such packets",
	"ndpi-ossfuzz_seed_fake_traces_1.pcapng": "fuzzed hellos: tshark prints a JA3 of the fields before the malformation (\"769,52,0,,\"), ours parses only whole hellos",
	"ndpi-tls_invalid_reads.pcap":            "a truncated ClientHello: tshark prints a partial JA3 (three fields), ours parses only whole hellos",
}

// TestJA3AgainstTshark checks that every JA3 and JA3S string tshark (4.0)
// computes for the TLS and DTLS hellos of the corpus is also ours.
func TestJA3AgainstTshark(t *testing.T) {
	shared := testutil.NeedShared(t)
	tshark := needTshark(t)
	if testing.Short() {
		t.Skip("runs tshark over the corpus's TLS captures (a few minutes); not with -short")
	}
	files := tlsCaptures(t, shared)
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
			res.want, _, res.tErr = tsharkJA3(tshark, f)
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
		if why, ok := notCompared[name]; ok && len(missing) > 0 {
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
