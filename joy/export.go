package joy

import (
	"time"

	"github.com/gojoy/libjoy/joy/flow"
	"github.com/gojoy/libjoy/joy/ipfix"
	"github.com/gojoy/libjoy/joy/logx"
)

// redialAfter is how long a context waits before trying again to reach a
// collector it could not reach.
const redialAfter = 10 * time.Second

// ExportMaxDelay is how long, at most, records wait in a partly filled
// IPFIX message: a drain that exports flows sends the pending message when
// it was opened this long ago (a full message goes out at once, and a
// drain of all flows, FlushExport and CloseExport send what is pending).
// Draining expired flows without sending each time lets messages fill up:
// a third fewer datagrams on the benchmark capture.
const ExportMaxDelay = time.Second

// exportState is a context's IPFIX exporter, made on first use.
type exportState struct {
	exp       *ipfix.Exporter
	close     func() error
	lastDial  time.Time
	dialFails uint64
	dropped   uint64 // flows drained while no collector could be reached
	rec       ipfix.Record
	alsoPrint bool   // PrintFlows exports too
	added     uint64 // records handed to the exporter since the last age check
	idle      uint32 // drains without records since the last age check
}

// SetExporter makes ExportFlows send to e instead of dialling the
// configured collector.
func (c *Context) SetExporter(e *ipfix.Exporter) {
	c.export.exp = e
}

// ExportStats returns the exporter's counters and how many flows were
// drained without a collector.
func (c *Context) ExportStats() (ipfix.Stats, uint64) {
	if c.export.exp == nil {
		return ipfix.Stats{}, c.export.dropped
	}
	return c.export.exp.Stats(), c.export.dropped
}

func (c *Context) exporter() *ipfix.Exporter {
	s := &c.export
	if s.exp != nil {
		return s.exp
	}
	if !s.lastDial.IsZero() && time.Since(s.lastDial) < redialAfter {
		return nil
	}
	s.lastDial = time.Now()
	host := c.cfg.IPFIXHost
	if host == "" {
		host = "127.0.0.1"
	}
	e, conn, err := ipfix.Dial(host, int(c.cfg.IPFIXPort), ipfix.Options{ObservationDomain: c.cfg.IPFIXDomain, Background: true})
	if err != nil {
		s.dialFails++
		if s.dialFails == 1 || s.dialFails%100 == 0 {
			c.log.Logf(logx.Err, "IPFIX export: %v (failures: %d)", err, s.dialFails)
		}
		return nil
	}
	s.exp, s.close = e, conn.Close
	return e
}

// ExportFlows sends flows over IPFIX and removes them, like PrintFlows:
// all flows, or the expired ones at the head of the list. Each direction
// of a flow is one IPFIX record. When no collector can be reached the
// flows are still removed (and counted), so memory stays bounded. A
// message is sent when it is full; with all, the pending message is sent
// at the end of the call, otherwise when it waited ExportMaxDelay.
func (c *Context) ExportFlows(all bool) int {
	e := c.exporter()
	n := c.table.Drain(all, func(r *flow.Record) { c.exportOne(e, r) })
	c.settleExport(e, all)
	return n
}

func (c *Context) exportOne(e *ipfix.Exporter, r *flow.Record) {
	if e == nil {
		c.export.dropped++
		return
	}
	c.table.ExportRecords(r, &c.export.rec, func(x *ipfix.Record) {
		c.export.added++
		if err := e.Add(x); err != nil {
			c.exportError(err)
		}
	})
}

// settleExport ends a drain: with all, the pending message is sent;
// otherwise it is sent when it has waited ExportMaxDelay. The clock is
// read after drains that exported records, and every 64th drain that did
// not, so a pending message leaves within about ExportMaxDelay while the
// host keeps draining, at the cost of one clock read per exporting drain.
func (c *Context) settleExport(e *ipfix.Exporter, all bool) {
	if e == nil {
		return
	}
	s := &c.export
	if all {
		s.added, s.idle = 0, 0
		c.flushExport(e)
		return
	}
	if s.added == 0 {
		if s.idle++; s.idle < 64 {
			return
		}
	}
	s.added, s.idle = 0, 0
	if err := e.FlushOlder(time.Now(), ExportMaxDelay); err != nil {
		c.exportError(err)
	}
}

func (c *Context) flushExport(e *ipfix.Exporter) {
	if e != nil {
		if err := e.Flush(); err != nil {
			c.exportError(err)
		}
	}
}

func (c *Context) exportError(err error) {
	st := c.export.exp.Stats()
	if st.Errors == 1 || st.Errors%1000 == 0 {
		c.log.Logf(logx.Err, "IPFIX export: %v (failed sends: %d)", err, st.Errors)
	}
}

// ExportWhilePrinting makes PrintFlows also export every flow it prints,
// as the original command line tool does when export is configured.
func (c *Context) ExportWhilePrinting(on bool) { c.export.alsoPrint = on }

// FlushExport sends the pending IPFIX message, if any, and waits until
// every message has been written to the collector's socket.
func (c *Context) FlushExport() {
	if e := c.export.exp; e != nil {
		if err := e.Sync(); err != nil {
			c.exportError(err)
		}
	}
}

// CloseExport sends what is pending and closes the collector connection.
func (c *Context) CloseExport() {
	s := &c.export
	if s.exp == nil {
		return
	}
	if err := s.exp.Close(); err != nil {
		c.exportError(err)
	}
	if s.close != nil {
		_ = s.close()
	}
	s.exp, s.close = nil, nil
}
