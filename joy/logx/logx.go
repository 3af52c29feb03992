// Package logx is the levelled log of the library guide: verbosity 0 is
// off, 1 debug, 2 info, 3 warning, 4 error, 5 critical; a message is kept
// when the verbosity is non-zero and not above the message's level.
//
// Each message is one line, "LEVEL: text", written with a single Write so
// that lines from different contexts never mix.
package logx

import (
	"fmt"
	"io"
	"sync/atomic"
)

// Level of a message.
type Level int

// The guide's levels.
const (
	Off Level = iota
	Debug
	Info
	Warn
	Err
	Crit
)

var names = [...]string{"OFF", "DEBUG", "INFO", "WARN", "ERR", "CRIT"}

func (l Level) String() string {
	if l < Off || l > Crit {
		return "LEVEL" + fmt.Sprint(int(l))
	}
	return names[l]
}

// Logger writes levelled lines to one stream. It is safe for concurrent use
// as long as its writer writes each call whole (files and C FILE streams do).
type Logger struct {
	w         io.Writer
	verbosity Level
	counts    [Crit + 1]atomic.Uint64
}

// New returns a logger writing to w at the given verbosity.
func New(w io.Writer, verbosity int) *Logger {
	return &Logger{w: w, verbosity: Level(verbosity)}
}

// Enabled reports whether a message of level l would be written.
func (g *Logger) Enabled(l Level) bool {
	return g != nil && g.verbosity != Off && g.verbosity <= l
}

// Logf writes one message of level l if the verbosity lets it through.
func (g *Logger) Logf(l Level, format string, args ...any) {
	if g == nil {
		return
	}
	if l >= Off && l <= Crit {
		g.counts[l].Add(1)
	}
	if !g.Enabled(l) {
		return
	}
	line := fmt.Appendf(nil, "%s: ", l)
	line = fmt.Appendf(line, format, args...)
	g.write(line)
}

// Always writes a line whatever the verbosity, for the diagnostics the
// original prints unconditionally.
func (g *Logger) Always(format string, args ...any) {
	if g == nil {
		return
	}
	g.write(fmt.Appendf(nil, format, args...))
}

func (g *Logger) write(line []byte) {
	if len(line) == 0 || line[len(line)-1] != '\n' {
		line = append(line, '\n')
	}
	if g.w != nil {
		_, _ = g.w.Write(line)
	}
}

// Count returns how many messages of level l were reported, written or not.
func (g *Logger) Count(l Level) uint64 {
	if g == nil || l < Off || l > Crit {
		return 0
	}
	return g.counts[l].Load()
}
