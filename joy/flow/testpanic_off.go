//go:build !joytestpanic

package flow

// testPanic is empty in every real build (and inlined away); the
// joytestpanic build tag replaces it to prove that a panic in the core is
// survived (see testpanic_on.go).
func testPanic([]byte) {}
