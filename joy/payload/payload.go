// Package payload is Joy's payload module: the first bytes of the first
// non-empty payload of each direction.
package payload

import (
	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
)

// Kind registers the module with the flow table.
var Kind = feature.Kind{
	Name:    "payload",
	Enabled: func(cfg *config.Config) bool { return cfg.Payload != 0 },
	Accepts: func(f feature.Flow) bool { return true },
	New:     func(cfg *config.Config) feature.Module { return new(State) },
}

// State is the module's state for one direction of a flow.
type State struct{}

// Observe implements feature.Module.
func (s *State) Observe(payload []byte, ts int64) {}

// AppendJSON implements feature.Module.
func (s *State) AppendJSON(b []byte, twin feature.Module) []byte { return b }
