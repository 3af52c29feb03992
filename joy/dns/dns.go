// Package dns is Joy's DNS metadata module: it observes the payloads of one
// direction of a flow and writes the record's "dns" member.
package dns

import (
	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
)

// Kind registers the module with the flow table.
var Kind = feature.Kind{
	Name:    "dns",
	Enabled: func(cfg *config.Config) bool { return cfg.DNS },
	Accepts: func(f feature.Flow) bool { return f.Proto == 17 && (f.App == 53 || f.Sp == 53 || f.Dp == 53) },
	New:     func(cfg *config.Config) feature.Module { return new(State) },
}

// State is the module's state for one direction of a flow.
type State struct{}

// Observe implements feature.Module.
func (s *State) Observe(payload []byte, ts int64) {}

// AppendJSON implements feature.Module.
func (s *State) AppendJSON(b []byte, twin feature.Module) []byte { return b }
