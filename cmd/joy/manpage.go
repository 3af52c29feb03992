package main

import (
	"fmt"
	"io"
	"strings"
)

// writeManPage writes joy(1) from the option table (man/joy.1 is this
// output; TestManPage keeps it in step).
func writeManPage(w io.Writer) {
	esc := func(s string) string {
		s = strings.ReplaceAll(s, `\`, `\e`)
		s = strings.ReplaceAll(s, "-", `\-`)
		if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
			s = `\&` + s
		}
		return s
	}
	fmt.Fprint(w, `.\" Generated from cmd/joy/options.go by TestManPage (JOY_WRITE_MAN=1); do not edit.
.TH JOY 1 "" "libjoy-go" "User Commands"
.SH NAME
joy \- flow records with intraflow data features from capture files or a live interface
.SH SYNOPSIS
.B joy
[\fIname\fB=\fIvalue\fR ...] [\fB\-x\fR \fIoptions.cfg\fR] \fIFILE\fR|\fIDIR\fR|\fB\-\fR ...
.br
.B joy
[\fIname\fB=\fIvalue\fR ...] \fBinterface=\fII\fR
.br
.B joy \-\-version
|
.B help
|
.B train
|
.B sleuth
|
.B plot
\&...
.SH DESCRIPTION
.B joy
groups packets into flows and writes one JSON object per flow, after a first
line that is the configuration record, as Cisco's Joy does. Input is pcap or
pcapng files, every capture of a directory (in name order), standard input
(\fB\-\fR), or a live interface. Options are \fIname\fB=\fIvalue\fR words;
flags take 0 or 1. A bad value or an unknown option is reported with the
values the option takes, and
.B joy
exits with status 2 before reading any packet.
.SH OPTIONS FILE
.TP
.BI \-x " FILE"
(also \fB\-x\fIFILE\fR, \fB\-\-xconfig=\fIFILE\fR) reads options from FILE:
one per line, "name = value" or a bare "name" (a flag set to 1); "#" starts a
comment. A line that cannot be read is reported as FILE:LINE. As in the
original, a setting in the file wins over the same option on the command line.
`)
	section := func(title string, tab []option) {
		fmt.Fprintf(w, ".SH %s\n", strings.ToUpper(title))
		for _, o := range tab {
			if o.alias {
				continue
			}
			fmt.Fprintf(w, ".TP\n.B %s=%s\n", esc(o.name), esc(o.argText()))
			help := strings.ReplaceAll(o.help, "\n", " ")
			if o.ext {
				help += " (An addition of this implementation.)"
			}
			fmt.Fprintln(w, esc(help))
		}
	}
	section("General options", generalOptions)
	section("Data feature options", dataOptions)
	section("Protocol and feature modules", protocolOptions)
	fmt.Fprint(w, `.SH EXIT STATUS
0 if no errors; 1 if an input, the output or an upload failed (after all
input was read; lost records are counted on standard error); 2 for bad options.
.SH FILES
.TP
.I ./joy.bin
the anonymization key (created when missing).
.TP
.I /usr/local/etc/joy/options.cfg
options of the joy service (systemd unit joy.service).
.SH EXAMPLES
.nf
joy bidir=1 capture.pcap > flows.json
joy bidir=1 tls=1 http=1 dns=1 output=flows.json.gz captures/
joy \-x /usr/local/etc/joy/options.cfg
joy bidir=1 count=10000 output=auto upload=joy@store:/data/ keyfile=key interface=eth0
.fi
.SH SEE ALSO
.BR scp (1),
.BR tcpdump (8),
.BR pcap\-filter (7)
`)
}
