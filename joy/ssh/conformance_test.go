package ssh_test

import (
	"testing"

	"github.com/gojoy/libjoy/tests/go/memberconf"
)

// The "ssh" member of every flow against the original's outputs (see
// memberconf).
const member = "ssh"

func TestConformanceAllProto(t *testing.T) { memberconf.AllProto(t, member) }

func TestConformanceCorpus(t *testing.T) { memberconf.Corpus(t, member) }

func TestConformanceCorpusAllFeatures(t *testing.T) { memberconf.CorpusAllFeatures(t, member) }
