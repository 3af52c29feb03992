package joy

import "github.com/gojoy/libjoy/joy/flow"

// What the Joy 4.5 API generation (capi/v45) needs of a context beyond
// the guide's: the record a packet landed in, a walk over the flows for
// the external-processing callbacks, removal of single flows, the clock,
// and raw lines (its own configuration record) in the output.

// ProcessPacketRecord is ProcessPacket returning the record the packet
// landed in (nil: the packet made no flow). The record stays valid until
// the next call on the context that can remove flows.
func (c *Context) ProcessPacketRecord(ts int64, frame []byte) *flow.Record {
	c.stats.Packets++
	if err := c.dec.Decode(frame, &c.pkt); err != nil {
		c.processPacketError(err)
		return nil
	}
	c.stats.IPPackets++
	if c.pkt.Version == 4 {
		c.stats.IPv4Packets++
	}
	return c.table.Observe(&c.pkt, ts)
}

// Table returns the context's flow table, for walks and deletions between
// packets.
func (c *Context) Table() *flow.Table { return c.table }

// WriteLine appends b (whole lines) to the context's output.
func (c *Context) WriteLine(b []byte) {
	c.text()
	c.buf = append(c.buf, b...)
	c.maybeFlush()
}
