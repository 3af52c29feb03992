// Package dhcp is Joy's DHCP metadata module: it observes the payloads of one
// direction of a flow and writes the record's "dhcp" member.
package dhcp

import (
	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
)

// Kind registers the module with the flow table.
var Kind = feature.Kind{
	Name:    "dhcp",
	Enabled: func(cfg *config.Config) bool { return cfg.DHCP },
	Accepts: func(f feature.Flow) bool {
		return f.Proto == 17 && (f.App == 68 || (f.Sp == 68 && f.Dp == 67) || (f.Sp == 67 && f.Dp == 68))
	},
	New: func(cfg *config.Config) feature.Module { return new(State) },
}

// State is the module's state for one direction of a flow.
type State struct{}

// Observe implements feature.Module.
func (s *State) Observe(payload []byte, ts int64) {}

// AppendJSON implements feature.Module.
func (s *State) AppendJSON(b []byte, twin feature.Module) []byte { return b }
