package ppi_test

import (
	"testing"

	"github.com/gojoy/libjoy/tests/go/featconf"
)

// The module's members against the original's outputs (see featconf).
var members = []string{"ppi"}

func TestConformanceAllFeatures(t *testing.T) { featconf.AllFeatures(t, members) }

func TestConformanceCorpus(t *testing.T) { featconf.Corpus(t, members) }
