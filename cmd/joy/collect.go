package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/gojoy/libjoy/joy/ipfix"
)

// collect receives IPFIX messages on a UDP port and prints each data
// record as a JSON line, until interrupted or idle for idle seconds.
func collect(port, idle uint, output, outdir string, stdout, stderr io.Writer) int {
	conn, err := net.ListenPacket("udp", ":"+strconv.Itoa(int(port)))
	if err != nil {
		fmt.Fprintf(stderr, "joy: IPFIX collector: %v\n", err)
		return 1
	}
	defer conn.Close()
	// Bursts of export outrun the default socket buffer (~200 KB): a
	// loopback exporter sends faster than records are decoded and printed.
	rcvbuf := 0
	if u, ok := conn.(*net.UDPConn); ok {
		rcvbuf = growReadBuffer(u, 32<<20)
	}
	out, closeOut, err := openOutput(stdout, outputPath(outdir, output), false)
	if err != nil {
		fmt.Fprintf(stderr, "joy: %v\n", err)
		return 1
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	go func() { <-stop; conn.Close() }()

	c := ipfix.NewCollector()
	buf := make([]byte, 65536)
	line := make([]byte, 0, 4096)
	var messages, records, bad uint64
	for {
		if idle > 0 {
			_ = conn.SetReadDeadline(time.Now().Add(time.Duration(idle) * time.Second))
		}
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				if !errors.Is(err, net.ErrClosed) {
					fmt.Fprintf(stderr, "joy: IPFIX collector: %v\n", err)
				}
			}
			break
		}
		messages++
		err = c.Decode(buf[:n], func(r *ipfix.Record) {
			records++
			line = ipfix.AppendJSON(line[:0], r)
			_, _ = out.Write(line)
		})
		if err != nil {
			bad++
			fmt.Fprintf(stderr, "joy: IPFIX collector: message %d: %v\n", messages, err)
		}
	}
	if err := closeOut(); err != nil {
		fmt.Fprintf(stderr, "joy: writing output: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "joy: IPFIX collector: %d messages, %d records, %d undecodable, %d records missing by sequence number (receive buffer %d bytes)\n",
		messages, records, bad, c.Missed, rcvbuf)
	return 0
}
