package main

// Hooks the live-capture code (branch sensor, issue #12: cmd/joy/live.go
// and joy/live) fills in from an init function. The option table already
// parses and validates interface=, promisc=, bpf=, threads= and stats=
// into runner.s.live.
//
// A live run is expected to: open the capture, call r.dropPrivileges(),
// make its context(s) with r.start(ifname) (output, output=auto naming,
// configuration line, URLmodel/URLlabel updater), call r.between(ctx) at
// each safe point between packets (rotation every count= records, model
// and label swaps), and end with r.finish(ctx, status).
var (
	// runLive runs a live capture on r.s.live.Interface.
	runLive func(r *runner) int

	// fileFilter, when set, makes bpf= apply to capture files too.
	fileFilter func(expr string) error
)
