// Package salt is Joy's SALT module: the sequence and acknowledgement
// numbers of the first TCP segments of each direction.
package salt

import (
	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
)

// Kind registers the module with the flow table.
var Kind = feature.Kind{
	Name:    "salt",
	Enabled: func(cfg *config.Config) bool { return cfg.Salt },
	TCP:     true,
	Accepts: func(f feature.Flow) bool { return f.Proto == 6 },
	New:     func(cfg *config.Config) feature.Module { return new(State) },
}

// State is the module's state for one direction of a flow.
type State struct{}

// Observe implements feature.Module.
func (s *State) Observe(payload []byte, ts int64) {}

// AppendJSON implements feature.Module.
func (s *State) AppendJSON(b []byte, twin feature.Module) []byte { return b }
