// Package ssh is Joy's SSH metadata module: it observes the payloads of one
// direction of a flow and writes the record's "ssh" member.
package ssh

import (
	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
)

// Kind registers the module with the flow table.
var Kind = feature.Kind{
	Name:    "ssh",
	Enabled: func(cfg *config.Config) bool { return cfg.SSH },
	Accepts: func(f feature.Flow) bool { return f.Proto == 6 && (f.App == 22 || f.Sp == 22 || f.Dp == 22) },
	New:     func(cfg *config.Config) feature.Module { return new(State) },
}

// State is the module's state for one direction of a flow.
type State struct{}

// Observe implements feature.Module.
func (s *State) Observe(payload []byte, ts int64) {}

// AppendJSON implements feature.Module.
func (s *State) AppendJSON(b []byte, twin feature.Module) []byte { return b }
