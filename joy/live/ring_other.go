//go:build !linux

package live

import (
	"errors"
	"time"

	"github.com/gojoy/libjoy/joy/decode"
)

// ErrUnsupported is returned by Open on systems other than Linux.
var ErrUnsupported = errors.New("live capture is only built for Linux (AF_PACKET)")

// Capture is an open live capture (Linux only).
type Capture struct{}

// Member is one socket of a capture (Linux only).
type Member struct{}

// LinkTypeOf returns the link type of interface name's frames.
func LinkTypeOf(name string) (decode.LinkType, error) { return 0, ErrUnsupported }

// Open fails: live capture needs Linux.
func Open(o Options) (*Capture, error) { return nil, ErrUnsupported }

func (c *Capture) LinkType() decode.LinkType { return 0 }
func (c *Capture) Interface() string         { return "" }
func (c *Capture) Members() []*Member        { return nil }
func (c *Capture) Stats() Stats              { return Stats{} }
func (c *Capture) Close() error              { return nil }
func (m *Member) Stats() Stats               { return Stats{} }
func (m *Member) Read(time.Duration, func(int64, []byte)) (int, error) {
	return 0, ErrUnsupported
}

var errNoDevice = errors.New("no such device")
