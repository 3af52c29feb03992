package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gojoy/libjoy/joy/ipfix"
)

// stopGrace is how long the collector may take to finish after SIGINT or
// SIGTERM before it exits regardless (a write blocked on a full pipe, say).
const stopGrace = time.Second

// collect receives IPFIX messages on a UDP port and prints each data
// record as a JSON line, until interrupted or idle for idle seconds.
func collect(port, idle uint, output, outdir string, dropPrivileges func() int, stdout, stderr io.Writer) int {
	return collectUDP("IPFIX collector", port, idle, output, outdir, dropPrivileges, stdout, stderr)
}

// collectNetFlowV9 is collect for NetFlow v9 (nfv9_port=N).
func collectNetFlowV9(port, idle uint, output, outdir string, dropPrivileges func() int, stdout, stderr io.Writer) int {
	return collectUDP("NetFlow v9 collector", port, idle, output, outdir, dropPrivileges, stdout, stderr)
}

// collectUDP is the collector of both: it decodes IPFIX and NetFlow v9
// alike, whichever port they arrive on. Whatever arrives, memory stays
// within ipfix.DefaultLimits and a message yields at most one record per
// byte; refusals are logged at most once a second. dropPrivileges
// (username=) runs once the port is bound, so that a port below 1024
// can be had as root.
func collectUDP(name string, port, idle uint, output, outdir string, dropPrivileges func() int, stdout, stderr io.Writer) int {
	logf := func(format string, args ...any) {
		fmt.Fprintf(stderr, "joy: "+name+": "+format+"\n", args...)
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{Port: int(port)})
	if err != nil {
		logf("%v", err)
		return 1
	}
	defer conn.Close()
	// Bursts of export outrun the default socket buffer (~200 KB): a
	// loopback exporter sends faster than records are decoded and printed.
	rcvbuf := growReadBuffer(conn, 32<<20)
	if code := dropPrivileges(); code != 0 {
		return code
	}
	out, closeOut, err := openOutput(stdout, outputPath(outdir, output), false, "")
	if err != nil {
		fmt.Fprintf(stderr, "joy: %v\n", err)
		return 1
	}
	var stopping atomic.Bool
	done := make(chan struct{})
	defer close(done)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		select {
		case <-sigs:
		case <-done:
			return
		}
		stopping.Store(true)
		conn.Close()
		select {
		case <-done:
		case <-sigs:
			logf("second signal, exiting at once")
			os.Exit(1)
		case <-time.After(stopGrace):
			logf("not stopped within %v of the signal, exiting", stopGrace)
			os.Exit(1)
		}
	}()

	c := ipfix.NewCollector()
	var log rateLimited
	buf := make([]byte, 65536)
	line := make([]byte, 0, 4096)
	var writeErrs uint64
	emit := func(r *ipfix.Record) {
		if stopping.Load() {
			return
		}
		line = ipfix.AppendJSON(line[:0], r)
		if _, err := out.Write(line); err != nil {
			if writeErrs == 0 {
				logf("writing output: %v", err)
			}
			writeErrs++
		}
	}
	for !stopping.Load() {
		if idle > 0 {
			_ = conn.SetReadDeadline(time.Now().Add(time.Duration(idle) * time.Second))
		}
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				if !errors.Is(err, net.ErrClosed) {
					logf("%v", err)
				}
			}
			break
		}
		// The dual-stack socket reports IPv4 exporters as ::ffff:a.b.c.d.
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		if err := c.DecodeFrom(from, buf[:n], emit); err != nil {
			log.print(logf, time.Now(), err)
		}
	}
	log.flush(logf)
	status := 0
	if err := closeOut(); err != nil {
		fmt.Fprintf(stderr, "joy: writing output: %v\n", err)
		status = 1
	}
	if writeErrs > 0 {
		status = 1
	}
	st := c.Stats()
	logf("%d messages, %d records, %d undecodable, %d records missing by sequence number (receive buffer %d bytes); %s; %d templates (%d fields) from %d exporters held, %d withdrawn, %d expired, %d exporters dropped for room; %d output errors",
		st.Messages, st.Records, st.Refused(), st.Missed, rcvbuf, problems(&st),
		st.Templates, st.Fields, st.Sessions, st.Withdrawn, st.Expired, st.Evicted, writeErrs)
	return status
}

// problems lists the refusals by kind, or says there were none.
func problems(st *ipfix.CollectorStats) string {
	var parts []string
	for p, n := range st.Problems {
		if n > 0 {
			parts = append(parts, strconv.FormatUint(n, 10)+" "+ipfix.Problem(p).String())
		}
	}
	if len(parts) == 0 {
		return "nothing refused"
	}
	return "refused: " + strings.Join(parts, ", ")
}

// rateLimited prints at most one log line a second; the next line says
// how many were held back.
type rateLimited struct {
	last       time.Time
	suppressed uint64
}

func (l *rateLimited) print(logf func(string, ...any), now time.Time, err error) {
	if now.Sub(l.last) < time.Second {
		l.suppressed++
		return
	}
	l.last = now
	if l.suppressed > 0 {
		logf("%v (and %d more refusals since the last line)", err, l.suppressed)
		l.suppressed = 0
		return
	}
	logf("%v", err)
}

func (l *rateLimited) flush(logf func(string, ...any)) {
	if l.suppressed > 0 {
		logf("%d more refusals since the last line", l.suppressed)
		l.suppressed = 0
	}
}
