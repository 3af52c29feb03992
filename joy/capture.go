package joy

import (
	"errors"
	"io"

	"github.com/gojoy/libjoy/joy/decode"
	"github.com/gojoy/libjoy/joy/logx"
	"github.com/gojoy/libjoy/joy/pcapfile"
)

// DispatchBatch is how many packets the original's tools hand over per
// pcap_dispatch call; expired flows are printed after each batch.
const DispatchBatch = 20

// ProcessCapture feeds every packet of a capture file to the context,
// printing expired flows after every DispatchBatch packets as the original
// command line tool does, and all remaining flows at the end. A read error
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
	n := 0
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
		c.ProcessPacket(p.TS, p.Data)
		n++
		if n%DispatchBatch == 0 {
			c.PrintFlows(ExpiredFlows)
		}
	}
	c.PrintFlows(ExpiredFlows)
	c.PrintFlows(AllFlows)
	return nil
}
