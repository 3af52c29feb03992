// Package emitallocs measures what a module's Emit allocates when the flow
// table prints with it: one encoder and one buffer, reused record after
// record. It is a package of its own so that module tests can import it
// without linking testutil's gopacket.
package emitallocs

import (
	"testing"

	"github.com/gojoy/libjoy/joy/record"
)

// Count returns the average allocations of emit over 100 runs, each into
// a reused encoder reset onto a buffer of bufSize bytes to start with.
// before runs first in each run (e.g. to make a state parse again, as a
// new flow would), or is nil.
func Count(bufSize int, before func(), emit func(e *record.Enc)) float64 {
	buf := make([]byte, 0, bufSize)
	var e record.Enc
	return testing.AllocsPerRun(100, func() {
		if before != nil {
			before()
		}
		e.ResetMembers(buf[:0])
		emit(&e)
		buf = e.JSON.B
	})
}
