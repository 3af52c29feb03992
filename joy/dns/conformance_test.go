package dns_test

import (
	"regexp"
	"testing"

	"github.com/gojoy/libjoy/joy/dns"
	"github.com/gojoy/libjoy/tests/go/udpconf"
)

// The "dns" member of every flow against the original's outputs (see
// udpconf).
var module = &udpconf.Module{
	Member: "dns",
	// The original's invalid DNS text (QUIRK-37) and what we print instead.
	Repairs: []udpconf.Repair{
		{RE: regexp.MustCompile(`("DEBUG": "question name err=\d+; len=-?\d+")\}\]\}`), With: `$1}`},
		{RE: regexp.MustCompile(`("DEBUG": "question err=\d+; len=-?\d+")\]\}\]`), With: `$1}`},
		{RE: regexp.MustCompile(`\{,"rc":`), With: `{"rc":`},
	},
	MinLen: dns.MinLen,
	// QUIRK-40 arithmetic or a truncated message.
	ReadsBeyond: func(p []byte) bool { _, beyond := dns.AppendPacket(nil, p); return beyond },
}

func TestConformanceAllProto(t *testing.T) { udpconf.AllProto(t, module) }

func TestConformanceCorpus(t *testing.T) { udpconf.Corpus(t, module) }
