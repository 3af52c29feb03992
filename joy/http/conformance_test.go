package http_test

import (
	"testing"

	"github.com/gojoy/libjoy/tests/go/memberconf"
)

// The "http" member of every flow against the original's outputs (see
// memberconf).
const member = "http"

func TestConformanceAllProto(t *testing.T) { memberconf.AllProto(t, member) }

func TestConformanceCorpus(t *testing.T) { memberconf.Corpus(t, member) }

func TestConformanceCorpusAllFeatures(t *testing.T) { memberconf.CorpusAllFeatures(t, member) }
