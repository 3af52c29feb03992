package main

import (
	"fmt"
	"io"
	"os"
	"time"
)

// progress draws one line on standard error while capture files are
// read: the file, the share read, packets per second and flows held.
// It is on when standard error is a terminal (progress=1 forces it,
// progress=0 turns it off).
type progress struct {
	w       io.Writer
	on      bool
	name    string
	size    int64
	begun   time.Time
	last    time.Time
	packets uint64
	drawn   bool
}

func newProgress(w io.Writer, mode int) *progress {
	on := mode == 1
	if mode < 0 {
		f, ok := w.(*os.File)
		on = ok && isTerminal(f.Fd())
	}
	return &progress{w: w, on: on}
}

func (p *progress) begin(name string, size int64) {
	if !p.on {
		return
	}
	p.name, p.size, p.begun, p.last = name, size, time.Now(), time.Now()
}

// update is called at every safe point (every 5th packet); it redraws
// twice a second.
func (p *progress) update(read int64, packets uint64, flows int) {
	if !p.on {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < 500*time.Millisecond {
		return
	}
	rate := float64(packets-p.packets) / now.Sub(p.last).Seconds()
	p.last, p.packets = now, packets
	share := ""
	if p.size > 0 {
		share = fmt.Sprintf(" %3.0f%%", 100*float64(read)/float64(p.size))
	}
	fmt.Fprintf(p.w, "\rjoy: %s%s  %.0f packets/s  %d flows\x1b[K", p.name, share, rate, flows)
	p.drawn = true
}

func (p *progress) end() {
	if p.on && p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}
