package registry

import (
	"bufio"
	"encoding/json"
	"github.com/gojoy/libjoy/joy/config"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// Example A of the behaviour spec (§4.1): joy_api_test.c's configuration.
const exampleA = `{"version":"2.1-dev","interface":"none","promisc":0,"output":"none","outputdir":"none","username":"none","info":"none","count":0,"upload":"none","keyfile":"none","retain":0,"bidir":1,"num_pkts":0,"type":1,"zeros":0,"retrans":0,"dist":0,"cdist":"none","entropy":0,"hd":0,"classify":0,"idp":0,"exe":0,"anon":"none","useranon":"none","bpf":"none","verbosity":4,"wht":0,"example":0,"dns":0,"ssh":0,"tls":1,"dhcp":0,"http":1,"ike":0,"payload":0,"salt":0,"ppi":0,"end-config":1}`

func TestJSONExamples(t *testing.T) {
	c := config.Config{Type: 1, Verbosity: 4}
	ApplyBitmask(&c, config.BidirOn|config.TLSOn|config.HTTPOn)
	if got := string(AppendConfigJSON(nil, &c)); got != exampleA+"\n" {
		t.Errorf("example A:\ngot  %s\nwant %s", got, exampleA)
	}
	// Example B (joy_api_test2.c): a label and idp 1300.
	c.Labels = []string{"JoyAPITest"}
	c.IDP = 1300
	wantB := strings.Replace(exampleA, `"keyfile":"none",`, `"keyfile":"none","label":"JoyAPITest",`, 1)
	wantB = strings.Replace(wantB, `"idp":0`, `"idp":1300`, 1)
	if got := string(AppendConfigJSON(nil, &c)); got != wantB+"\n" {
		t.Errorf("example B:\ngot  %s\nwant %s", got, wantB)
	}
	// Labels repeat the key, in order.
	c.Labels = []string{"a", "b"}
	if got := string(AppendConfigJSON(nil, &c)); !strings.Contains(got, `"keyfile":"none","label":"a","label":"b","retain":0,`) {
		t.Errorf("two labels: %s", got)
	}
}

// The CLI's configuration line of the reference outputs (no options and
// bidir=1) comes out of config.Config{Type: 1, Verbosity: 4}.
func TestJSONMatchesReference(t *testing.T) {
	shared := tu.NeedShared(t)
	for dir, bidir := range map[string]bool{"a_default": false, "b_bidir": true} {
		f, err := os.Open(filepath.Join(shared, "ref", "697dc5a", dir, "sample.json"))
		if err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(f).ReadString('\n')
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		c := config.Config{Type: 1, Verbosity: 4, Bidir: bidir}
		if got := string(AppendConfigJSON(nil, &c)); got != line {
			t.Errorf("%s:\ngot  %s\nwant %s", dir, got, line)
		}
	}
}

func TestBitmask(t *testing.T) {
	bits := []struct {
		bit uint32
		on  func(*config.Config) bool
	}{
		{config.BidirOn, func(c *config.Config) bool { return c.Bidir }},
		{config.DNSOn, func(c *config.Config) bool { return c.DNS }},
		{config.SSHOn, func(c *config.Config) bool { return c.SSH }},
		{config.TLSOn, func(c *config.Config) bool { return c.TLS }},
		{config.DHCPOn, func(c *config.Config) bool { return c.DHCP }},
		{config.HTTPOn, func(c *config.Config) bool { return c.HTTP }},
		{config.IKEOn, func(c *config.Config) bool { return c.IKE }},
		{config.PayloadOn, func(c *config.Config) bool { return c.Payload == 1 }},
		{config.ExeOn, func(c *config.Config) bool { return c.Exe }},
		{config.ZeroOn, func(c *config.Config) bool { return c.Zeros }},
		{config.RetransOn, func(c *config.Config) bool { return c.Retrans }},
		{config.ByteDistOn, func(c *config.Config) bool { return c.Dist }},
		{config.EntropyOn, func(c *config.Config) bool { return c.Entropy }},
		{config.HeaderOn, func(c *config.Config) bool { return c.HD == 1 }},
		{config.PreemptiveOn, func(c *config.Config) bool { return c.PreemptiveTimeout }},
		{config.IPFIXExportOn, func(c *config.Config) bool { return c.IPFIXExport }},
	}
	for i, b := range bits {
		var c config.Config
		ApplyBitmask(&c, b.bit)
		for j, o := range bits {
			if o.on(&c) != (i == j) {
				t.Errorf("bitmask %#x: field of bit %#x is %v", b.bit, o.bit, o.on(&c))
			}
		}
	}
	// ClassifyOn turns the classifier on (the original ignored it, QUIRK-1).
	var c config.Config
	ApplyBitmask(&c, config.ClassifyOn)
	if !c.Classify {
		t.Errorf("ClassifyOn did not set Classify")
	}
	// Applying a mask clears what an earlier one set.
	ApplyBitmask(&c, 0xffffffff)
	ApplyBitmask(&c, 0)
	if c.Bidir || c.TLS || c.Payload != 0 || c.HD != 0 || c.IPFIXExport {
		t.Errorf("ApplyBitmask(0) left fields set: %+v", c)
	}
}

func TestTerminal(t *testing.T) {
	c := config.Config{Type: 1, Verbosity: 4, Bidir: true, TLS: true, Output: "out.json", Labels: []string{"internal:internal.net"}, IDP: 1300}
	got := string(AppendConfigTerminal(nil, &c, []string{"10.0.0.0/8", "192.168.1.0/24"}))
	want := `joy version = 2.1-dev
interface = none
promisc = 0
output = out.json
outputdir = none
username = none
count = 0
upload = none
keyfile = none
label=internal:internal.net
retain = 0
bidir = 1
num_pkts = 0
type = 1
zeros = 0
retrans = 0
dist = 0
cdist = none
entropy = 0
hd = 0
classify = 0
idp = 1300
exe = 0
anon = none
useranon = none
bpf = none
wht = 0
example = 0
dns = 0
ssh = 0
tls = 1
dhcp = 0
http = 0
ike = 0
payload = 0
salt = 0
ppi = 0
verbosity = 4
anon subnet 0: 10.0.0.0/8
anon subnet 1: 192.168.1.0/24
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// Strings from the host (paths, labels) are escaped so the configuration
// line stays valid JSON (the original printed them raw).
func TestJSONValidWithOddStrings(t *testing.T) {
	c := config.Config{Output: `dir\out"put.json`, Info: "log\n", Labels: []string{"a\"b", "\xff"}, BPF: "tcp port 80", Anon: "\t"}
	b := AppendConfigJSON(nil, &c)
	if !json.Valid(b) {
		t.Fatalf("invalid JSON: %s", b)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["output"] != `dir\out"put.json` || m["info"] != "log\n" || m["bpf"] != "tcp port 80" || m["end-config"] != 1.0 {
		t.Errorf("round trip: %v", m)
	}
}
