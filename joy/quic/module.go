package quic

import (
	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/record"
)

// The flow table's quic module (quic=1). A module sees one direction of a
// flow, but the server's Initials can only be read with keys from the
// client's first Destination Connection ID, so each direction keeps its
// first datagrams and the record's printing replays both, in time order,
// through one Conn.

// Bounds of what one direction keeps: the Initials, Retry and Version
// Negotiation packets come first in a connection.
const (
	keptDatagrams = 16
	keptBytes     = 32 << 10
)

// Kind is the quic module: UDP flows.
var Kind = feature.Kind{
	Name:    "quic",
	Accepts: func(f feature.Flow) bool { return f.Proto == 17 },
	New:     func(cfg *config.Config) feature.Module { return newDirection(cfg) },
	NewPool: func(cfg *config.Config) feature.Pool {
		return feature.FreeList(func() feature.Resetter { return newDirection(cfg) }, 256)
	},
}

// Datagrams are the first datagrams of one direction of a UDP flow, up to
// the bounds, with their times: what a module keeps to replay a connection
// through a Conn when its record is printed (the quic module, and the
// fingerprint module for QUIC's hellos).
type Datagrams struct {
	data []byte
	ends []int   // end offset of each datagram in data
	ts   []int64 // its time
}

// Observe keeps the datagram while there is room.
func (d *Datagrams) Observe(p []byte, ts int64) {
	if len(p) == 0 || len(d.ends) >= keptDatagrams || len(d.data)+len(p) > keptBytes {
		return
	}
	d.data = append(d.data, p...)
	d.ends = append(d.ends, len(d.data))
	d.ts = append(d.ts, ts)
}

// Reset empties d for another flow, keeping its buffers.
func (d *Datagrams) Reset() {
	d.data = feature.Reuse(d.data)
	d.ends, d.ts = d.ends[:0], d.ts[:0]
}

// Len is the number of datagrams kept.
func (d *Datagrams) Len() int { return len(d.ends) }

func (d *Datagrams) datagram(i int) []byte {
	start := 0
	if i > 0 {
		start = d.ends[i-1]
	}
	return d.data[start:d.ends[i]]
}

// Replay resets c and observes the datagrams of a flow's two directions
// in time order, the one whose first datagram came first (a, on a tie) as
// the client. b may be nil or empty. It reports whether anything was
// replayed.
func (c *Conn) Replay(a, b *Datagrams) bool {
	client, server := a, (*Datagrams)(nil)
	if b != nil && len(b.ends) > 0 {
		server = b
		if len(a.ends) == 0 || b.ts[0] < a.ts[0] {
			client, server = b, a
		}
	}
	if len(client.ends) == 0 {
		return false
	}
	c.Reset()
	i, j := 0, 0
	for i < len(client.ends) || (server != nil && j < len(server.ends)) {
		if server == nil || j >= len(server.ends) || (i < len(client.ends) && client.ts[i] <= server.ts[j]) {
			c.Observe(client.datagram(i), true)
			i++
		} else {
			c.Observe(server.datagram(j), false)
			j++
		}
	}
	return true
}

// direction is one direction's datagrams, up to the bounds.
type direction struct {
	Datagrams
	conn *Conn // reused by Emit
	// bidir: a direction printed without its twin is a flow that went
	// one way only, the client's.
	bidir bool
}

func newDirection(cfg *config.Config) *direction { return &direction{bidir: cfg != nil && cfg.Bidir} }

// Emit implements feature.Module: it replays both directions, the one
// whose first datagram came first as the client, and emits the quic
// member. Without bidir=1 each direction is printed alone and read as the
// client's: the member is printed only when its Initials opened (a
// server's cannot without the client's Destination Connection ID) or it
// carried gQUIC's CHLO.
func (d *direction) Emit(e *record.Enc, twin feature.Module) {
	var other *Datagrams
	if tw, ok := twin.(*direction); ok && tw != nil {
		other = &tw.Datagrams
	}
	if d.conn == nil {
		d.conn = NewConn()
	}
	c := d.conn
	if !c.Replay(&d.Datagrams, other) {
		return
	}
	if c.LongHeaders == 0 && c.GoogleCHLO == nil {
		return // not QUIC
	}
	if !d.bidir && c.Client.Decrypted == 0 && c.GoogleCHLO == nil {
		return // perhaps a server's direction, which cannot be read alone
	}
	c.Emit(e)
}
