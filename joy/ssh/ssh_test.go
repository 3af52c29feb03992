package ssh

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/record"
	"github.com/gojoy/libjoy/tests/go/testutil/emitallocs"
)

// sshString encodes an SSH string (also used for mpints and name-lists).
func sshString(s []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(s))), s...)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// packet frames a message: packet_length, padding_length, code, body,
// padding (zeros).
func packet(code byte, body []byte, pad int) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(2+len(body)+pad))
	b = append(b, byte(pad), code)
	b = append(b, body...)
	return append(b, make([]byte, pad)...)
}

// kexinit builds a KEXINIT message from a cookie and the ten lists.
func kexinit(cookie byte, lists [numLists]string) []byte {
	body := bytes.Repeat([]byte{cookie}, 16)
	for _, l := range lists {
		body = append(body, sshString([]byte(l))...)
	}
	body = append(body, 0, 0, 0, 0, 0) // first_kex_packet_follows, reserved
	return packet(msgKexinit, body, 4)
}

func lists(kex string) [numLists]string {
	return [numLists]string{kex, "ssh-ed25519", "aes128-ctr", "aes128-ctr", "hmac-sha2-256", "hmac-sha2-256", "none", "none", "", ""}
}

const commonJSON = `,"s_host_key_algos":"ssh-ed25519","c_encryption_algos":"aes128-ctr","s_encryption_algos":"aes128-ctr",` +
	`"c_mac_algos":"hmac-sha2-256","s_mac_algos":"hmac-sha2-256","c_comp_algos":"none","s_comp_algos":"none","c_languages":"","s_languages":""`

var (
	hostKey = cat(sshString([]byte("ssh-ed25519")), sshString(bytes.Repeat([]byte{0xaa}, 32)))
	sig     = cat(sshString([]byte("ssh-ed25519")), sshString(bytes.Repeat([]byte{0xbb}, 64)))
	qc      = bytes.Repeat([]byte{0xcc}, 32)
	qs      = bytes.Repeat([]byte{0xdd}, 32)
)

func h(b []byte) string { return hex.EncodeToString(b) }

// side builds one direction's state from its payloads.
func side(payloads ...[]byte) *State {
	s := Kind.New(&config.Config{SSH: true}).(*State)
	for i, p := range payloads {
		s.Observe(p, int64(i))
	}
	return s
}

// member prints cli (with twin srv, which may be nil) and checks the text
// is valid JSON inside a record.
func member(t *testing.T, cli, srv *State) string {
	t.Helper()
	var twin feature.Module
	if srv != nil {
		twin = srv
	}
	b := feature.AppendJSON(nil, cli, twin)
	if rec := append(append([]byte(`{"x":1`), b...), '}'); !json.Valid(rec) {
		t.Errorf("invalid JSON: %s", rec)
	}
	return string(b)
}

// curve25519 returns the payloads of both sides of a curve25519 exchange.
func curve25519() (cli, srv [][]byte) {
	cli = [][]byte{
		[]byte("SSH-2.0-Client_1.0\r\n"),
		kexinit(0x11, lists("curve25519-sha256,ecdh-sha2-nistp256")),
		packet(30, sshString(qc), 6),
		cat(packet(21, nil, 4), []byte("encrypted")),
		[]byte("more encrypted"),
	}
	srv = [][]byte{
		cat([]byte("SSH-2.0-Server_2.0 extra\r\n"), kexinit(0x22, lists("ecdh-sha2-nistp256,curve25519-sha256"))),
		cat(packet(31, cat(sshString(hostKey), sshString(qs), sshString(sig)), 8), packet(21, nil, 4)),
		[]byte("encrypted"),
	}
	return cli, srv
}

func TestCurve25519(t *testing.T) {
	c, s := curve25519()
	cli, srv := side(c...), side(s...)
	want := `,"ssh":{"cli":{"protocol":"SSH-2.0-Client_1.0","cookie":"` + strings.Repeat("11", 16) + `",` +
		`"kex_algos":"curve25519-sha256,ecdh-sha2-nistp256"` + commonJSON +
		`,"kex_algo":"curve25519-sha256","c_kex":"` + h(qc) + `","newkeys":"true","unencrypted":4},` +
		`"srv":{"protocol":"SSH-2.0-Server_2.0 extra","cookie":"` + strings.Repeat("22", 16) + `",` +
		`"kex_algos":"ecdh-sha2-nistp256,curve25519-sha256"` + commonJSON +
		`,"s_hostkey_type":"ssh-ed25519","s_hostkey":"` + h(hostKey) + `"` +
		`,"s_signature_type":"ssh-ed25519","s_signature":"` + h(sig) + `"` +
		`,"kex_algo":"curve25519-sha256","s_kex":"` + h(qs) + `","newkeys":"true","unencrypted":2}}`
	if got := member(t, cli, srv); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Printing does not change the state.
	if got := member(t, cli, srv); got != want {
		t.Errorf("second print differs: %s", got)
	}

	// Without a twin: no negotiated algorithm, no decoded messages.
	want = `,"ssh":{"cli":{"protocol":"SSH-2.0-Client_1.0","cookie":"` + strings.Repeat("11", 16) + `",` +
		`"kex_algos":"curve25519-sha256,ecdh-sha2-nistp256"` + commonJSON + `,"newkeys":"true","unencrypted":4}}`
	if got := member(t, cli, nil); got != want {
		t.Errorf("unidirectional:\n got  %s\n want %s", got, want)
	}

	// The server printed as "cli": it is processed as the client would
	// be; its messages have the wrong codes for that, so nothing is
	// decoded.
	got := member(t, srv, cli)
	if !strings.Contains(got, `"kex_algo":"ecdh-sha2-nistp256"`) || strings.Contains(got, "s_kex") || strings.Contains(got, "c_kex") {
		t.Errorf("reversed roles: %s", got)
	}
}

var unencryptedRE = regexp.MustCompile(`"unencrypted":\d+`)

// Feeding the same bytes in any segmentation gives the same result (the
// message counts aside).
func TestSegmentation(t *testing.T) {
	c, s := curve25519()
	want := unencryptedRE.ReplaceAllString(member(t, side(c...), side(s...)), "")
	cb, sb := cat(c...), cat(s...)
	for _, n := range []int{1, 2, 3, 5, 7, 64, 1000} {
		split := func(b []byte) (out [][]byte) {
			for len(b) > 0 {
				k := min(n, len(b))
				out = append(out, b[:k])
				b = b[k:]
			}
			return out
		}
		got := unencryptedRE.ReplaceAllString(member(t, side(split(cb)...), side(split(sb)...)), "")
		if got != want {
			t.Errorf("segments of %d bytes:\n got  %s\n want %s", n, got, want)
		}
	}
}

func TestBanner(t *testing.T) {
	cases := []struct {
		name     string
		payloads []string
		protocol string // "-" for not printed
	}{
		{"lines before the banner", []string{"hello\r\nworld\r\nSSH-2.0-X y\r\n"}, "SSH-2.0-X y"},
		{"banner split in the search tail", []string{"abcSS", "H", "-2.0-Z\r\n"}, "SSH-2.0-Z"},
		{"banner split, short payloads", []string{"S", "S", "H", "-", "1", "\n"}, "SSH-1"},
		{"line not ended", []string{"SSH-2.0-Q"}, "-"},
		{"zero byte before the banner", []string{"ab\x00SSH-2.0-Q\r\n"}, "-"},
		{"zero byte in the tail", []string{"abc\x00", "SSH-2.0-Q\r\n"}, "-"},
		{"zero byte before the line end", []string{"SSH-2.0-Q\x00\n"}, "-"},
		{"quote ends the text", []string{"SSH-2.0-a\"b\r\n"}, "SSH-2.0-a"},
		{"high byte ends the text", []string{"SSH-2.0-a\xc3\xa9b\n"}, "SSH-2.0-a"},
		{"no CR", []string{"SSH-2.0-a b\n"}, "SSH-2.0-a b"},
		// deliberate difference: at most 511 characters (see ssh.go)
		{"long banner", []string{"SSH-" + strings.Repeat("v", 600) + "\r\n"}, "SSH-" + strings.Repeat("v", 507)},
	}
	for _, c := range cases {
		var p [][]byte
		for _, s := range c.payloads {
			p = append(p, []byte(s))
		}
		got := member(t, side(p...), nil)
		if c.protocol == "-" {
			if got != "" {
				t.Errorf("%s: printed %s", c.name, got)
			}
			continue
		}
		want := `,"ssh":{"cli":{"protocol":"` + c.protocol + `","kex_algos":"","s_host_key_algos":"","c_encryption_algos":"",` +
			`"s_encryption_algos":"","c_mac_algos":"","s_mac_algos":"","c_comp_algos":"","s_comp_algos":"","c_languages":"",` +
			`"s_languages":"","newkeys":"false","unencrypted":` + string(rune('0'+len(p))) + `}}`
		if got != want {
			t.Errorf("%s:\n got  %s\n want %s", c.name, got, want)
		}
	}
}

// The twin is printed whatever its state, even without a banner.
func TestTwinWithoutBanner(t *testing.T) {
	c, _ := curve25519()
	got := member(t, side(c...), side([]byte("garbage"), nil))
	want := `,"srv":{"protocol":"","kex_algos":"","s_host_key_algos":"","c_encryption_algos":"","s_encryption_algos":"",` +
		`"c_mac_algos":"","s_mac_algos":"","c_comp_algos":"","s_comp_algos":"","c_languages":"","s_languages":"",` +
		`"kex_algo":"","newkeys":"false","unencrypted":1}}`
	if !strings.HasSuffix(got, want) || !strings.Contains(got, `"kex_algo":""`) {
		t.Errorf("got %s", got)
	}
}

// QUIRK-45: the first client algorithm is looked up in the whole server
// list, later ones are compared with the server's first algorithm only.
func TestNegotiatedQuirk45(t *testing.T) {
	cases := []struct{ cli, srv, want string }{
		{"a,b", "c,a", "a"},
		{"a,b", "c,b", ""},  // b is on the server's list, but not first
		{"a,b", "b,c", "b"}, // b is the server's first
		{"x,y,c", "c,d", "c"},
		{",,a,,b", ",b,,a", "a"},
		{"a", "", ""},
		{"", "a", ""},
		{"a\"b,a", "a", "a"},    // the client list is cut at the quote: "a"
		{"ab,a", "a\x01b", "a"}, // the server list is cut at \x01: "a"
	}
	for _, c := range cases {
		got := string(negotiated([]byte(c.cli), []byte(c.srv)))
		if got != c.want {
			t.Errorf("negotiated(%q, %q) = %q, want %q", c.cli, c.srv, got, c.want)
		}
	}
}

// QUIRK-46: a cookie whose first byte is zero is not printed.
func TestCookieQuirk46(t *testing.T) {
	s := side([]byte("SSH-2.0-A\r\n"), kexinit(0, lists("k")))
	if got := member(t, s, nil); strings.Contains(got, "cookie") {
		t.Errorf("cookie printed: %s", got)
	}
	body := append([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, sshString([]byte("k"))...)
	s = side([]byte("SSH-2.0-A\r\n"), packet(msgKexinit, body, 4))
	if got := member(t, s, nil); strings.Contains(got, "cookie") || !strings.Contains(got, `"kex_algos":"k","s_host_key_algos":""`) {
		t.Errorf("zero-led cookie or partial lists: %s", got)
	}
	body[0] = 1
	s = side([]byte("SSH-2.0-A\r\n"), packet(msgKexinit, body, 4))
	if got := member(t, s, nil); !strings.Contains(got, `"cookie":"0101020304050607080`) {
		t.Errorf("cookie missing: %s", got)
	}
}

func TestGroupExchange(t *testing.T) {
	p, g, e, f := []byte{0, 0xe1, 0xe2}, []byte{2}, []byte{0x4e, 0x4e}, []byte{0x5f, 0x5f}
	cli := side([]byte("SSH-2.0-C\r\n"), kexinit(1, lists("diffie-hellman-group-exchange-sha1")),
		packet(34, []byte{0, 0, 8, 0, 0, 0, 16, 0, 0, 0, 32, 0}, 4), packet(32, sshString(e), 4), packet(21, nil, 4))
	srv := side([]byte("SSH-2.0-S\r\n"), kexinit(2, lists("diffie-hellman-group-exchange-sha1")),
		packet(31, cat(sshString(p), sshString(g)), 4),
		packet(33, cat(sshString(hostKey), sshString(f), sshString(sig)), 4), packet(21, nil, 4))
	got := member(t, cli, srv)
	for _, w := range []string{
		`"kex_algo":"diffie-hellman-group-exchange-sha1","c_kex":"4e4e","newkeys":"true","unencrypted":5}`,
		`"s_hostkey_type":"ssh-ed25519","s_hostkey":"` + h(hostKey) + `","s_signature_type":"ssh-ed25519","s_signature":"` + h(sig) +
			`","kex_algo":"diffie-hellman-group-exchange-sha1","s_kex":"5f5f","s_gex_p":"00e1e2","s_gex_g":"02","newkeys":"true","unencrypted":5}}`,
	} {
		if !strings.Contains(got, w) {
			t.Errorf("missing %s\nin %s", w, got)
		}
	}
}

func TestRSA(t *testing.T) {
	kt, secret := []byte("transient"), []byte("secret")
	cli := side([]byte("SSH-2.0-C\r\n"), kexinit(1, lists("rsa2048-sha256")), packet(31, sshString(secret), 4))
	srv := side([]byte("SSH-2.0-S\r\n"), kexinit(2, lists("rsa2048-sha256")),
		packet(30, cat(sshString(hostKey), sshString(kt)), 4), packet(32, sshString(sig), 4))
	got := member(t, cli, srv)
	for _, w := range []string{
		`"kex_algo":"rsa2048-sha256","c_kex":"` + h(secret) + `","newkeys":"false","unencrypted":3}`,
		`"s_hostkey_type":"ssh-ed25519","s_hostkey":"` + h(hostKey) + `","s_signature_type":"ssh-ed25519","s_signature":"` + h(sig) +
			`","kex_algo":"rsa2048-sha256","s_kex":"` + h(kt) + `","newkeys":"false","unencrypted":4}}`,
	} {
		if !strings.Contains(got, w) {
			t.Errorf("missing %s\nin %s", w, got)
		}
	}
}

// A GSS or unknown algorithm: the messages are not decoded.
func TestUndecodedFamily(t *testing.T) {
	cli := side([]byte("SSH-2.0-C\r\n"), kexinit(1, lists("gss-group14-sha1-x")), packet(30, sshString(qc), 4))
	srv := side([]byte("SSH-2.0-S\r\n"), kexinit(2, lists("gss-group14-sha1-x")),
		packet(31, cat(sshString(hostKey), sshString(qs), sshString(sig)), 4))
	got := member(t, cli, srv)
	if strings.Contains(got, "c_kex") || strings.Contains(got, "s_kex") || !strings.Contains(got, `"kex_algo":"gss-group14-sha1-x"`) {
		t.Errorf("got %s", got)
	}
}

// A reply whose fields do not fit keeps what was decoded before them.
func TestPartialReply(t *testing.T) {
	cli := side([]byte("SSH-2.0-C\r\n"), kexinit(1, lists("ecdh-sha2-nistp256")))
	srv := side([]byte("SSH-2.0-S\r\n"), kexinit(2, lists("ecdh-sha2-nistp256")),
		packet(31, cat(sshString(hostKey), []byte{0, 0, 1, 0}), 4))
	got := member(t, cli, srv)
	if !strings.Contains(got, `"s_hostkey_type":"ssh-ed25519","s_hostkey":"`+h(hostKey)+`","kex_algo":"ecdh-sha2-nistp256","newkeys"`) {
		t.Errorf("got %s", got)
	}
}

func TestNewkeysStopsParsing(t *testing.T) {
	s := side([]byte("SSH-2.0-A\r\n"), cat(packet(21, nil, 4), kexinit(1, lists("k"))), kexinit(1, lists("k")), []byte("x"))
	got := member(t, s, nil)
	// The KEXINIT in the NEWKEYS payload is still read, as the original
	// reads the rest of its buffer; later payloads are not counted.
	if !strings.Contains(got, `"kex_algos":"k"`) || !strings.HasSuffix(got, `"newkeys":"true","unencrypted":2}}`) {
		t.Errorf("got %s", got)
	}
}

func TestUnparsableHeader(t *testing.T) {
	for _, hdr := range [][]byte{
		{0, 0, 0x80, 1, 4, 20}, // longer than 32768
		{0, 0, 0, 8, 9, 20},    // padding longer than the packet
		{0, 0, 0, 8, 8, 20},    // nothing but padding
	} {
		s := side([]byte("SSH-2.0-A\r\n"), hdr, kexinit(1, lists("k")), packet(21, nil, 4))
		got := member(t, s, nil)
		if !strings.Contains(got, `"kex_algos":""`) || !strings.HasSuffix(got, `"newkeys":"false","unencrypted":4}}`) || len(s.buf) != 0 {
			t.Errorf("header % x: %s", hdr, got)
		}
	}
}

func TestLongNameList(t *testing.T) {
	l := lists(strings.Repeat("k", 512))
	l[1] = strings.Repeat("h", 513)
	got := member(t, side([]byte("SSH-2.0-A\r\n"), kexinit(1, l)), nil)
	if !strings.Contains(got, `"kex_algos":"`+strings.Repeat("k", 512)+`","s_host_key_algos":"","c_encryption_algos":""`) {
		t.Errorf("got %s", got)
	}
}

// A second KEXINIT is read only when the first gave no kex_algos.
func TestSecondKexinit(t *testing.T) {
	got := member(t, side([]byte("SSH-2.0-A\r\n"), kexinit(1, lists("")), kexinit(2, lists("k2"))), nil)
	if !strings.Contains(got, `"cookie":"0202`) || !strings.Contains(got, `"kex_algos":"k2"`) {
		t.Errorf("got %s", got)
	}
	got = member(t, side([]byte("SSH-2.0-A\r\n"), kexinit(1, lists("k1")), kexinit(2, lists("k2"))), nil)
	if !strings.Contains(got, `"cookie":"0101`) || !strings.Contains(got, `"kex_algos":"k1"`) {
		t.Errorf("got %s", got)
	}
}

// Deliberate difference: the original reads packet_length −
// padding_length bytes after the message code, two more than the message
// has; with a padding shorter than 2 bytes at the end of its buffer it
// read beyond it. We read only what the buffer holds.
func TestShortPaddingAtEnd(t *testing.T) {
	e := []byte{0x42}
	cli := side([]byte("SSH-2.0-C\r\n"), kexinit(1, lists("curve25519-sha256")), packet(30, sshString(e), 0))
	srv := side([]byte("SSH-2.0-S\r\n"), kexinit(2, lists("curve25519-sha256")))
	if got := member(t, cli, srv); !strings.Contains(got, `"c_kex":"42"`) {
		t.Errorf("got %s", got)
	}
	if d := cli.kex[0].data; len(d) != 5 {
		t.Errorf("kept %d bytes of the message, want the 5 the buffer holds", len(d))
	}
	// A length field reaching into the bytes beyond the buffer fails.
	cli = side([]byte("SSH-2.0-C\r\n"), kexinit(1, lists("curve25519-sha256")), packet(30, []byte{0, 0, 0, 2, 0x42}, 0))
	if got := member(t, cli, srv); strings.Contains(got, `c_kex`) {
		t.Errorf("got %s", got)
	}
}

func TestNothingBeforeBanner(t *testing.T) {
	if got := member(t, side(), nil); got != "" {
		t.Errorf("empty state printed %s", got)
	}
	if got := member(t, side([]byte("no banner here")), side([]byte("SSH-2.0-A\r\n"))); got != "" {
		t.Errorf("printed %s", got)
	}
}

func TestAllocs(t *testing.T) {
	c, s := curve25519()
	cli, srv := side(c...), side(s...)
	p := []byte("encrypted traffic")
	if n := testing.AllocsPerRun(100, func() { cli.Observe(p, 0) }); n != 0 {
		t.Errorf("Observe after NEWKEYS: %v allocations", n)
	}
	dead := side([]byte("\x00 not ssh"))
	if n := testing.AllocsPerRun(100, func() { dead.Observe(p, 0) }); n != 0 {
		t.Errorf("Observe of a non-SSH flow: %v allocations", n)
	}
	searching := side([]byte("still looking"))
	if n := testing.AllocsPerRun(100, func() { searching.Observe(p, 0) }); n != 0 {
		t.Errorf("Observe while looking for the banner: %v allocations", n)
	}
	if n := emitallocs.Count(8192, nil, func(e *record.Enc) { cli.Emit(e, srv) }); n != 0 {
		t.Errorf("Emit: %v allocations", n)
	}
}
