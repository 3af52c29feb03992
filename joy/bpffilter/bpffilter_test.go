package bpffilter_test

import (
	"testing"

	"github.com/gojoy/libjoy/joy/bpffilter"
	"github.com/gojoy/libjoy/joy/decode"
	"github.com/gojoy/libjoy/joy/pcapbpf"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
	"github.com/google/gopacket/layers"
)

func TestFilter(t *testing.T) {
	f, err := bpffilter.New("udp and dst port 53", pcapbpf.Compile)
	if err != nil {
		t.Fatal(err)
	}
	dns := tu.EthUDP4("10.0.0.1", "10.0.0.2", 4000, 53, []byte("q"))
	other := tu.EthUDP4("10.0.0.1", "10.0.0.2", 4000, 54, []byte("q"))
	tcp := tu.EthTCP4("10.0.0.1", "10.0.0.2", tu.TCP(4000, 53, 1, 0, "S", 1000), nil)
	eth, err := f.ForLink(decode.LinkEthernet)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		frame []byte
		want  bool
	}{{"udp/53", dns, true}, {"udp/54", other, false}, {"tcp/53", tcp, false}, {"short", dns[:20], false}} {
		if got := eth(c.frame); got != c.want {
			t.Errorf("%s: match %v, want %v", c.name, got, c.want)
		}
	}
	// The same expression compiled for Linux cooked frames.
	sll, err := f.ForLink(decode.LinkSLL)
	if err != nil {
		t.Fatal(err)
	}
	if !sll(tu.SLL(layers.EthernetTypeIPv4, dns[14:])) || sll(tu.SLL(layers.EthernetTypeIPv4, other[14:])) {
		t.Error("SLL frames filtered wrongly")
	}
}

func TestBadExpression(t *testing.T) {
	if _, err := bpffilter.New("port port", pcapbpf.Compile); err == nil {
		t.Fatal("no error for a bad expression")
	}
}
