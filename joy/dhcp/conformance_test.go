package dhcp_test

import (
	"regexp"
	"testing"

	"github.com/gojoy/libjoy/joy/dhcp"
	"github.com/gojoy/libjoy/tests/go/udpconf"
)

// The "dhcp" member of every flow against the original's outputs (see
// udpconf).
var module = &udpconf.Module{
	Member: "dhcp",
	// QUIRK-42: a known option without a value printed a lone `}`; we
	// print `{}`.
	Repairs: []udpconf.Repair{
		{RE: regexp.MustCompile(`("options":\[|\},)\}`), With: `$1{}`},
	},
	MinLen: dhcp.MinLen,
	// An option running past the end of the message.
	ReadsBeyond: func(p []byte) bool { _, beyond := dhcp.AppendMessage(nil, p); return beyond },
}

func TestConformanceAllProto(t *testing.T) { udpconf.AllProto(t, module) }

func TestConformanceCorpus(t *testing.T) { udpconf.Corpus(t, module) }
