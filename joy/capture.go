package joy

import (
	"errors"
	"io"

	"github.com/gojoy/libjoy/joy/decode"
	"github.com/gojoy/libjoy/joy/logx"
	"github.com/gojoy/libjoy/joy/pcapfile"
)

// DispatchBatch is the original command line tool's cadence: it printed
// expired flows after every 5th frame its "ip or vlan" filter passed (see
// ipOrVLAN). Frames the filter kept from it (IPv6, MPLS, PPPoE, ...) do not
// count here either, so the IPv4 records of mixed captures are cut where
// the original's were.
const DispatchBatch = 5

// CaptureFilter selects the frames of capture files that ProcessCapture
// hands to the context (the joy command's bpf= on file input; package
// bpffilter implements it). ForLink is asked when a file starts and when
// its link type changes; an error is logged once and no frame of that link
// type passes.
type CaptureFilter interface {
	ForLink(link LinkType) (func(frame []byte) bool, error)
}

// SetCaptureFilter makes ProcessCapture skip the frames f rejects (nil:
// none is skipped). Like the original's bpf= option, the filter takes the
// place of its "ip or vlan": expired flows are printed after every
// DispatchBatch frames that pass it.
func (c *Context) SetCaptureFilter(f CaptureFilter) { c.capFilter = f }

// ErrInterrupted is what ProcessCapture returns when Interrupt stopped it.
var ErrInterrupted = errors.New("interrupted")

// Interrupt makes a ProcessCapture running on another goroutine stop
// reading after the current packet; it prints the remaining flows and
// returns ErrInterrupted. Interrupt is safe for concurrent use; it stays
// in force for later calls.
func (c *Context) Interrupt() { c.interrupted.Store(true) }

// ProcessCapture feeds every packet of a capture file to the context,
// printing expired flows after every DispatchBatch frames that pass "ip or
// vlan", as the original command line tool does, and all remaining flows at the end. A read error
// part-way is logged and ends the file; the flows seen so far are kept.
func (c *Context) ProcessCapture(path string) error {
	r, err := pcapfile.Open(path)
	if err != nil {
		return err
	}
	defer r.Close()
	return c.ProcessReader(r, path, nil)
}

// ProcessReader is ProcessCapture on an open capture (a file, standard
// input, a pipe); path names it in log lines. between, when not nil, is
// called after each printing of expired flows, between packets: a safe
// point to flush, rotate the output or swap the classifier. It returns
// ErrInterrupted when Interrupt stopped it, and nil otherwise. With
// SetThreads(n > 1) the capture's flows are spread over n contexts
// (threads.go): the same records, in another order; between is then
// called on the reading goroutine.
func (c *Context) ProcessReader(r *pcapfile.Reader, path string, between func()) error {
	if !r.IsPcapng() && !decode.Supported(r.LinkType()) {
		c.log.Logf(logx.Warn, "%s: link type %d is not supported; decoding as Ethernet", path, int(r.LinkType()))
	}
	if c.threaded() {
		return c.processThreaded(r, path, between)
	}
	// Each file starts its own clock: the previous file's flows have all
	// been printed, and an older capture must not look expired.
	if c.table.Len() == 0 {
		c.table.ResetClock()
	}
	frames := c.newFrameReader(r, path)
	counted := 0 // restarts with each file, as the original's reads do
	for {
		p, ok := frames.next()
		if !ok {
			break
		}
		before := c.stats.IPv4Packets
		c.ProcessPacket(p.TS, p.Data)
		if c.capFilter != nil || ipOrVLAN(p.Link, p.Data, c.stats.IPv4Packets != before) {
			counted++
			if counted%DispatchBatch == 0 {
				c.PrintFlows(ExpiredFlows)
				if between != nil {
					between()
				}
			}
		}
	}
	// Like the original, one more pass for expired flows before the rest.
	c.PrintFlows(ExpiredFlows)
	c.PrintFlows(AllFlows)
	return frames.err
}

// frameReader hands out the frames of a capture that pass the context's
// capture filter, following the capture's link type; the one-context and
// the threaded reading loops share it.
type frameReader struct {
	c        *Context
	r        *pcapfile.Reader
	path     string
	n        int // frames read, those the filter refused included
	pass     func([]byte) bool
	passLink LinkType
	err      error // ErrInterrupted once Interrupt stopped the reading
}

func (c *Context) newFrameReader(r *pcapfile.Reader, path string) *frameReader {
	return &frameReader{c: c, r: r, path: path, passLink: -1}
}

// next returns the next frame that passes the filter, or false at the end
// of the capture, after a read error (logged; it ends the file) or when the
// context was interrupted.
func (f *frameReader) next() (pcapfile.Packet, bool) {
	c := f.c
	for {
		if c.interrupted.Load() {
			f.err = ErrInterrupted
			return pcapfile.Packet{}, false
		}
		p, err := f.r.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				c.log.Logf(logx.Err, "%s: %v (stopping after %d packets)", f.path, err, f.n)
			}
			return pcapfile.Packet{}, false
		}
		f.n++
		if p.Link != c.dec.LinkType() {
			c.SetLinkType(p.Link)
		}
		if c.capFilter != nil {
			if p.Link != f.passLink {
				f.passLink = p.Link
				if f.pass, err = c.capFilter.ForLink(p.Link); err != nil {
					c.log.Logf(logx.Err, "%s: %v (frames of link type %d are skipped)", f.path, err, int(p.Link))
				}
			}
			if f.pass == nil || !f.pass(p.Data) {
				continue
			}
		}
		return p, true
	}
}

// ipOrVLAN tells whether the original command would have handed a frame
// to Joy: it read captures through libpcap with the filter "ip or vlan",
// which on Ethernet passes any frame whose EtherType is IPv4 (valid IPv4
// header or not) or a VLAN tag (0x8100, 0x88a8, 0x9100 in libpcap 1.10),
// whatever the tag carries. Other link types (which the original refused)
// count the frames decoded as IPv4.
func ipOrVLAN(link decode.LinkType, frame []byte, ipv4 bool) bool {
	if link != decode.LinkEthernet {
		return ipv4
	}
	if len(frame) < 14 {
		return false
	}
	switch uint16(frame[12])<<8 | uint16(frame[13]) {
	case 0x0800, 0x8100, 0x88a8, 0x9100:
		return true
	}
	return false
}
