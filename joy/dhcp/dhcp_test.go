package dhcp

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/gojoy/libjoy/joy/anon"
	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/record"
	"github.com/gojoy/libjoy/tests/go/testutil/emitallocs"
)

// bootp builds a BOOTP message: the fixed part with the given sname and
// file, the magic cookie, then the option bytes.
func bootp(op byte, sname, file string, opts ...byte) []byte {
	m := make([]byte, MinLen, MinLen+len(opts))
	m[0], m[1], m[2], m[3] = op, 1, 6, 2
	copy(m[4:], []byte{0x89, 0xd9, 0x26, 0x13}) // xid 2312709651
	copy(m[8:], []byte{0x18, 0xb5})             // secs 6325
	copy(m[10:], []byte{0x80, 0x00})            // flags 32768
	copy(m[12:], []byte{10, 0, 2, 15})          // ciaddr
	copy(m[16:], []byte{10, 0, 2, 16})          // yiaddr
	copy(m[20:], []byte{10, 0, 2, 4})           // siaddr
	copy(m[24:], []byte{192, 168, 1, 1})        // giaddr
	copy(m[28:], []byte{8, 0, 0x27, 0x83, 0xf4, 0x42})
	copy(m[44:108], sname)
	copy(m[108:236], file)
	copy(m[236:], cookie[:])
	return append(m, opts...)
}

const fixedJSON = `"op":"1","htype":"1","hlen":"6","hops":"2","xid":"2312709651","secs":"6325","flags":"32768",` +
	`"ciaddr":"10.0.2.15","yiaddr":"10.0.2.16","siaddr":"10.0.2.4","giaddr":"192.168.1.1",` +
	`"chaddr":"08002783f44200000000000000000000"`

func print1(t *testing.T, payloads ...[]byte) string {
	t.Helper()
	s := new(State)
	for _, p := range payloads {
		s.Observe(p, 0)
	}
	out := string(feature.AppendJSON(nil, s, nil))
	checkValid(t, out)
	return out
}

func checkValid(t testing.TB, member string) {
	t.Helper()
	if doc := `{"x":1` + member + `}`; !json.Valid([]byte(doc)) {
		t.Fatalf("not valid JSON: %s", doc)
	}
}

func TestMessage(t *testing.T) {
	p := bootp(1, "", "",
		53, 1, 3, // msg_type DHCPREQUEST
		0, 0, // pads
		50, 4, 10, 0, 2, 15, // address_request
		12, 3, 'p', 'y', 't', // hostname
		250, 2, 0xab, 0xcd, // unknown with data
		254, 0, // unknown without data
		145, 1, 1, // forcerenew_nonce_capable
		150, 1, 7, // a code with several registry names
		255, 1, 2, 3)
	want := `,"dhcp":[{` + fixedJSON + `,"options":[{"msg_type":"DHCPREQUEST"},{"address_request":"0a00020f"},` +
		`{"hostname":"707974"},{"kind":250,"data":"abcd"},{"kind":254},{"forcerenew_nonce_capable":"01"},` +
		`{"tftp_server_address|etherboot|grub_configuration_path_name":"07"}]}]`
	if got := print1(t, p); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestSnameFileNoOptions(t *testing.T) {
	p := bootp(1, `a"b/c\d`+"\x01é", "boot.pxe", 255)
	want := `,"dhcp":[{` + fixedJSON + `,"sname":"a.b.c.d...","file":"boot.pxe"}]`
	if got := print1(t, p); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Without the end option the zeros after the payload are pads.
	p = bootp(1, "", "file")
	want = `,"dhcp":[{` + fixedJSON + `,"file":"file"}]`
	if got := print1(t, p); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// QUIRK-42 (deliberate difference): a known option without a value printed
// a lone `}`; we print `{}`.
func TestOptionWithoutValue(t *testing.T) {
	p := bootp(1, "", "",
		53, 1, 0, // message type 0: no name
		53, 1, 19, // past DHCPTLS
		53, 0, // no value at all
		1, 0, // subnet_mask, empty
		53, 2, 18, 1, // DHCPTLS (first byte counts)
		255)
	want := `,"dhcp":[{` + fixedJSON + `,"options":[{},{},{},{},{"msg_type":"DHCPTLS"}]}]`
	if got := print1(t, p); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// QUIRK-41 (deliberate difference): the original read 240 bytes from any
// payload; a shorter one is treated as a bad cookie and dropped.
func TestShortOrBadCookie(t *testing.T) {
	good := bootp(2, "", "", 255)
	bad := append([]byte(nil), good...)
	bad[239] = 0x64
	short := good[:MinLen-1]
	if got, want := print1(t, short, bad, nil), `,"dhcp":[]`; got != want {
		t.Errorf("got %s want %s", got, want)
	}
	if got := print1(t, short, good); !strings.HasPrefix(got, `,"dhcp":[{"op":"2"`) || strings.Count(got, `"op"`) != 1 {
		t.Errorf("got %s", got)
	}
}

// An option running past the payload reads zeros there (the original read
// whatever followed the payload in memory); the walk then meets pads.
func TestOptionBeyondPayload(t *testing.T) {
	p := bootp(1, "", "", 12, 4, 'a', 'b')
	out, beyond := AppendMessage(nil, p)
	want := `{` + fixedJSON + `,"options":[{"hostname":"61620000"}]}`
	if string(out) != want || !beyond {
		t.Errorf("got  %s (beyond %v)\nwant %s", out, beyond, want)
	}
	// The option's length byte itself beyond the payload.
	p = bootp(1, "", "", 12)
	out, _ = AppendMessage(nil, p)
	if want := `{` + fixedJSON + `,"options":[{}]}`; string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
}

func TestOptionLimits(t *testing.T) {
	// At most MaxOptions options.
	var opts []byte
	for i := 0; i < MaxOptions+3; i++ {
		opts = append(opts, 3, 1, byte(i))
	}
	got := print1(t, bootp(1, "", "", append(opts, 255)...))
	if n := strings.Count(got, `"router"`); n != MaxOptions {
		t.Errorf("%d options printed, want %d", n, MaxOptions)
	}
	// At most MaxOptBytes option bytes, pads included: 500 pads, then an
	// option (2+10 bytes, reaching 512), then one that is not reached.
	opts = make([]byte, 500)
	opts = append(opts, 3, 10)
	opts = append(opts, make([]byte, 10)...)
	opts = append(opts, 1, 1, 1, 255)
	got = print1(t, bootp(1, "", "", opts...))
	if want := `,"dhcp":[{` + fixedJSON + `,"options":[{"router":"00000000000000000000"}]}]`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// An option starting at the last byte of the limit is read in full.
	opts = make([]byte, 511)
	opts = append(opts, 3, 255)
	for i := 0; i < 255; i++ {
		opts = append(opts, 0xee)
	}
	p := bootp(1, "", "", opts...)
	out, beyond := AppendMessage(nil, p)
	if beyond || !strings.Contains(string(out), `{"router":"`+strings.Repeat("ee", 255)+`"}`) {
		t.Errorf("beyond %v, got %s", beyond, out)
	}
}

func TestMessagesKeptAndPrinted(t *testing.T) {
	out, in := new(State), new(State)
	for i := 0; i < MaxMessages+4; i++ {
		out.Observe(bootp(1, "", "", 255), 0)
	}
	in.Observe(bootp(2, "", "", 255), 0)
	got := string(feature.AppendJSON(nil, out, in))
	checkValid(t, got)
	if n := strings.Count(got, `"op":"1"`); n != MaxMessages || strings.Contains(got, `"op":"2"`) {
		t.Errorf("printed %d own messages (want %d) and the twin's: %v", n, MaxMessages, strings.Contains(got, `"op":"2"`))
	}
	// The payload is copied.
	buf := bootp(1, "", "", 255)
	s := new(State)
	s.Observe(buf, 0)
	buf[0] = 9
	if got := string(feature.AppendJSON(nil, s, nil)); !strings.Contains(got, `"op":"1"`) {
		t.Errorf("payload not copied: %s", got)
	}
}

func TestAddrHook(t *testing.T) {
	s := Kind.New(&config.Config{DHCP: true}).(*State)
	if s.addr == nil {
		t.Fatal("no address formatter")
	}
	s.addr = func(b []byte, a [4]byte) []byte { return append(b, 'x', '0'+a[3]%10) }
	s.Observe(bootp(1, "", "", 255), 0)
	got := string(feature.AppendJSON(nil, s, nil))
	if !strings.Contains(got, `"ciaddr":"x5","yiaddr":"x6","siaddr":"x4","giaddr":"x1"`) {
		t.Errorf("hook not used: %s", got)
	}
}

func TestFilter(t *testing.T) {
	cases := []struct {
		f    feature.Flow
		want bool
	}{
		{feature.Flow{Proto: 17, Sp: 68, Dp: 67}, true},
		{feature.Flow{Proto: 17, Sp: 67, Dp: 68}, true},
		{feature.Flow{Proto: 17, Sp: 67, Dp: 67}, false},
		{feature.Flow{Proto: 6, Sp: 68, Dp: 67}, false},
	}
	for _, c := range cases {
		if got := Kind.Accepts(c.f); got != c.want {
			t.Errorf("%+v: got %v", c.f, got)
		}
	}
}

// Every code of the original's table has a name, and no other code.
func TestOptionTable(t *testing.T) {
	in := func(c int) bool {
		ranges := [][2]int{{0, 83}, {85, 95}, {97, 101}, {112, 125}, {136, 142}, {144, 146}, {150, 161},
			{175, 177}, {208, 213}, {220, 221}, {255, 255}}
		for _, r := range ranges {
			if c >= r[0] && c <= r[1] {
				return true
			}
		}
		return false
	}
	for c := 0; c < 256; c++ {
		if (optionNames[c] != "") != in(c) {
			t.Errorf("code %d: name %q", c, optionNames[c])
		}
		if strings.ContainsAny(optionNames[c], "\"\\") {
			t.Errorf("code %d: name %q needs escaping", c, optionNames[c])
		}
	}
}

func TestNoAllocation(t *testing.T) {
	p := bootp(1, "srv", "file", 53, 1, 1, 12, 3, 'a', 'b', 'c', 250, 1, 1, 255)
	s := new(State)
	for i := 0; i < MaxMessages; i++ {
		s.Observe(p, 0)
	}
	if n := testing.AllocsPerRun(100, func() { s.Observe(p, 0) }); n != 0 {
		t.Errorf("Observe allocates %v times in steady state", n)
	}
	if n := emitallocs.Count(1<<16, func() { s.parsed = false }, func(e *record.Enc) { s.Emit(e, nil) }); n != 0 {
		t.Errorf("Emit allocates %v times", n)
	}
}

// Addresses inside anonymized subnets print as the original's 32-digit
// AES block (the reference key 00..0f gives c212… for 10.0.2.15).
func TestAnonymizedAddress(t *testing.T) {
	var key [16]byte
	for i := range key {
		key[i] = byte(i)
	}
	cfg := &config.Config{DHCP: true}
	cfg.AnonAddrs = anon.NewAddresses(anon.NewKey(key), []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	s := Kind.New(cfg).(*State)
	got := string(s.addr(nil, [4]byte{10, 0, 2, 15}))
	if got != "c21299eb0bafa3ae74383702c97f0c02" {
		t.Fatalf("got %s", got)
	}
	if got := string(s.addr(nil, [4]byte{8, 8, 8, 8})); got != "8.8.8.8" {
		t.Fatalf("outside address: %s", got)
	}
}
