// Package tshark runs Wireshark's tshark over the shared corpus for the
// tests that compare TLS, DTLS and QUIC fingerprints with it (joy/fingerprint
// and joy/fpmodule): finding tshark, picking the captures with hellos, and
// reading tshark's JA3/JA3S strings per capture or per flow.
package tshark

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Need returns tshark's path or skips the test.
func Need(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed (apt-get install -y tshark): the JA3/JA3S comparison with Wireshark needs it")
	}
	return p
}

// TLSCaptures returns the corpus captures whose MANIFEST.md row shows TLS,
// DTLS or QUIC in tshark's protocol hierarchy (the manifest's Contents
// column), so that tshark runs only where it can find hellos.
func TLSCaptures(t testing.TB, shared string) []string {
	t.Helper()
	return Captures(t, shared, "TLS, DTLS or QUIC", " tls(", " dtls(", " quic(", "(tls", "TLS hs")
}

// Captures returns the corpus captures whose MANIFEST.md row contains any
// of marks; what names them in the failure when there is none.
func Captures(t testing.TB, shared, what string, marks ...string) []string {
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
		if !containsAny(l, marks) {
			continue
		}
		p := filepath.Join(shared, "pcaps", name)
		if _, err := os.Stat(p); err == nil {
			files = append(files, p)
		}
	}
	if len(files) == 0 {
		t.Fatalf("no %s capture found through MANIFEST.md", what)
	}
	return files
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// NotCompared lists the captures whose hellos the fingerprint tests cannot
// reach or that tshark fingerprints only in part; each is a documented
// reason, not a difference of the fingerprint code.
var NotCompared = map[string]string{
	"ndpi-openvpn.pcap":                      "TLS inside OpenVPN's control channel, which is not unwrapped",
	"mercury-tlsv1_3.pcap":                   "the ClientHello's IPv4 total length is 0 (TCP segmentation offload); joy's decoder, like the original, drops such packets",
	"ndpi-ossfuzz_seed_fake_traces_1.pcapng": "fuzzed hellos: tshark prints a JA3 of the fields before the malformation (\"769,52,0,,\"), ours parses only whole hellos",
	"ndpi-tls_invalid_reads.pcap":            "a truncated ClientHello: tshark prints a partial JA3 (three fields), ours parses only whole hellos",
}

// Hello is one JA3 or JA3S string tshark printed, with its flow.
type Hello struct {
	Flow   string // FlowKey of the packet's (innermost) addresses and ports
	Server bool   // a JA3S (ServerHello)
	QUIC   bool   // in a QUIC packet
	JA3    string // the full JA3/JA3S string
}

// FlowKey names a flow by its two ends, the same in both directions.
func FlowKey(a string, ap int, b string, bp int) string {
	x, y := fmt.Sprintf("%s %d", a, ap), fmt.Sprintf("%s %d", b, bp)
	if y < x {
		x, y = y, x
	}
	return x + "|" + y
}

// Row is one packet tshark printed: its flow and the requested fields,
// several occurrences joined by '|'.
type Row struct {
	Flow   string // FlowKey of the packet's innermost addresses and ports
	Fields []string
}

// Rows runs tshark over file with a display filter and returns the fields
// of every matching packet, with its flow.
func Rows(tshark, file, filter string, fields ...string) ([]Row, error) {
	args := []string{"-r", file, "-n", "-Y", filter, "-T", "fields", "-E", "aggregator=|", "-E", "occurrence=a"}
	for _, f := range append([]string{"ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport"}, fields...) {
		args = append(args, "-e", f)
	}
	out, err := CachedOutput(exec.Command(tshark, args...), file)
	if err != nil {
		return nil, err
	}
	var rows []Row
	for _, line := range strings.Split(string(out), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		for len(f) < 8+len(fields) {
			f = append(f, "")
		}
		src, dst := last(f[0]), last(f[1])
		if v := last(f[2]); v != "" {
			src, dst = v, last(f[3])
		}
		sp, dp := last(f[4]), last(f[5])
		if sp == "" {
			sp, dp = last(f[6]), last(f[7])
		}
		var spn, dpn int
		fmt.Sscan(sp, &spn)
		fmt.Sscan(dp, &dpn)
		rows = append(rows, Row{Flow: FlowKey(src, spn, dst, dpn), Fields: f[8:]})
	}
	return rows, nil
}

// JA3 returns the JA3 and JA3S strings tshark computes for a capture's
// TLS, DTLS and QUIC hellos, in packet order.
func JA3(tshark, file string) ([]Hello, error) {
	rows, err := Rows(tshark, file,
		"tls.handshake.type==1||tls.handshake.type==2||dtls.handshake.type==1||dtls.handshake.type==2",
		"tls.handshake.ja3_full", "tls.handshake.ja3s_full", "dtls.handshake.ja3_full", "dtls.handshake.ja3s_full", "quic.version")
	if err != nil {
		return nil, err
	}
	var hs []Hello
	for _, r := range rows {
		for i := 0; i < 4; i++ {
			if r.Fields[i] == "" {
				continue
			}
			for _, v := range strings.Split(r.Fields[i], "|") {
				hs = append(hs, Hello{Flow: r.Flow, Server: i%2 == 1, QUIC: r.Fields[4] != "", JA3: v})
			}
		}
	}
	return hs, nil
}

// last is the innermost of a field's occurrences (tunnels list the outer
// ones first).
func last(s string) string {
	if i := strings.LastIndexByte(s, '|'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// CachedOutput runs cmd, or reads its output from $JOY_TSHARK_CACHE (a
// directory, for repeated runs while developing) where an earlier run left
// it.
func CachedOutput(cmd *exec.Cmd, file string) ([]byte, error) {
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
