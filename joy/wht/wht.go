// Package wht is Joy's Walsh-Hadamard transform module: a 4-point
// spectrum of each direction's payload bytes.
package wht

import (
	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
)

// Kind registers the module with the flow table.
var Kind = feature.Kind{
	Name:    "wht",
	Enabled: func(cfg *config.Config) bool { return cfg.WHT },
	Accepts: func(f feature.Flow) bool { return true },
	New:     func(cfg *config.Config) feature.Module { return new(State) },
}

// State is the module's state for one direction of a flow.
type State struct{}

// Observe implements feature.Module.
func (s *State) Observe(payload []byte, ts int64) {}

// AppendJSON implements feature.Module.
func (s *State) AppendJSON(b []byte, twin feature.Module) []byte { return b }
