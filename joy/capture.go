package joy

import (
	"errors"
	"io"

	"github.com/gojoy/libjoy/joy/decode"
	"github.com/gojoy/libjoy/joy/logx"
	"github.com/gojoy/libjoy/joy/pcapfile"
)

// DispatchBatch is the original command line tool's cadence: it prints
// expired flows after every 5th IPv4 packet. IPv6 packets (which the
// original ignored) do not count, so IPv4 records of mixed captures come
// out exactly as the original's.
const DispatchBatch = 5

// ProcessCapture feeds every packet of a capture file to the context,
// printing expired flows after every DispatchBatch IPv4 packets as the
// original command line tool does, and all remaining flows at the end. A read error
// part-way is logged and ends the file; the flows seen so far are kept.
func (c *Context) ProcessCapture(path string) error {
	r, err := pcapfile.Open(path)
	if err != nil {
		return err
	}
	defer r.Close()
	if !r.IsPcapng() && !decode.Supported(r.LinkType()) {
		c.log.Logf(logx.Warn, "%s: link type %d is not supported; decoding as Ethernet", path, int(r.LinkType()))
	}
	// Each file starts its own clock: the previous file's flows have all
	// been printed, and an older capture must not look expired.
	if c.table.Len() == 0 {
		c.table.ResetClock()
	}
	n, ipv4 := 0, 0
	for {
		p, err := r.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				c.log.Logf(logx.Err, "%s: %v (stopping after %d packets)", path, err, n)
			}
			break
		}
		if p.Link != c.dec.LinkType() {
			c.SetLinkType(p.Link)
		}
		before := c.stats.IPv4Packets
		c.ProcessPacket(p.TS, p.Data)
		n++
		// The cadence restarts with each file, as the original's reads do.
		if c.stats.IPv4Packets != before {
			if ipv4++; ipv4%DispatchBatch == 0 {
				c.PrintFlows(ExpiredFlows)
			}
		}
	}
	// Like the original, one more pass for expired flows before the rest.
	c.PrintFlows(ExpiredFlows)
	c.PrintFlows(AllFlows)
	return nil
}
