//go:build joytestpanic

package flow

import "bytes"

// TestPanicMagic in a packet's transport bytes makes the flow table panic
// in builds with the joytestpanic tag, before the packet changes anything.
// Only build/libjoy_paniktest.so is built with it: the C test
// tests/c/joy_panic.c proves that such a panic costs one packet and
// nothing else.
var TestPanicMagic = []byte("JOY-TEST-PANIC!")

func testPanic(transport []byte) {
	if bytes.Contains(transport, TestPanicMagic) {
		panic("joytestpanic: magic payload seen")
	}
}
