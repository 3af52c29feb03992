package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/gojoy/libjoy/joy/ipfix"
	"github.com/gojoy/libjoy/joy/logx"
	"github.com/gojoy/libjoy/joy/nfv9"
)

// collectNFv9 receives NetFlow v9 (RFC 3954) on UDP port nfv9_port and
// prints each flow record as a JSON line with the members the original
// filled from NetFlow v9 (sa, da, pr, sp, dp, bytes_out, num_pkts_out,
// time_start, time_end, packets), the same form as the IPFIX collector's,
// until interrupted or idle for ipfix_collect_idle seconds.
func (r *runner) collectNFv9() int {
	s := r.s
	conn, err := net.ListenPacket("udp", ":"+strconv.Itoa(int(s.nfv9Port)))
	if err != nil {
		fmt.Fprintf(r.stderr, "joy: NetFlow v9 collector: %v\n", err)
		return 1
	}
	defer conn.Close()
	rcvbuf := 0
	if u, ok := conn.(*net.UDPConn); ok {
		rcvbuf = growReadBuffer(u, 32<<20)
	}
	if code := r.dropPrivileges(); code != 0 {
		return code
	}
	out, closeOut, err := openOutput(r.stdout, outputPath(s.cfg.OutputDir, s.cfg.Output), false)
	if err != nil {
		fmt.Fprintf(r.stderr, "joy: %v\n", err)
		return 1
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(stop)
	go func() { <-stop; conn.Close() }()

	c := nfv9.NewCollector()
	buf := make([]byte, 65536)
	line := make([]byte, 0, 4096)
	var bad uint64
	for {
		if s.collectIdle > 0 {
			_ = conn.SetReadDeadline(time.Now().Add(time.Duration(s.collectIdle) * time.Second))
		}
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			var ne net.Error
			if (!errors.As(err, &ne) || !ne.Timeout()) && !errors.Is(err, net.ErrClosed) {
				fmt.Fprintf(r.stderr, "joy: NetFlow v9 collector: %v\n", err)
			}
			break
		}
		var exporter netip.Addr
		if ua, ok := from.(*net.UDPAddr); ok {
			exporter = ua.AddrPort().Addr().Unmap()
		}
		err = c.Decode(exporter, buf[:n], func(rec *ipfix.Record) {
			line = ipfix.AppendJSON(line[:0], rec)
			_, _ = out.Write(line)
		})
		if err != nil {
			bad++
			r.log.Logf(logx.Err, "NetFlow v9 collector: packet %d from %v: %v", c.Packets, from, err)
		}
	}
	if err := closeOut(); err != nil {
		fmt.Fprintf(r.stderr, "joy: writing output: %v\n", err)
		return 1
	}
	fmt.Fprintf(r.stderr, "joy: NetFlow v9 collector: %d packets, %d records, %d malformed, %d packets missing by sequence number, %d flowsets of unknown templates, %d templates refused (receive buffer %d bytes)\n",
		c.Packets, c.Records, bad, c.Missed, c.UnknownTemplate, c.RefusedTemplates, rcvbuf)
	return 0
}
