//go:build !linux

package parquet

// memory is where a writer's page buffers and compressed pages live: the
// Go heap (memory_linux.go maps huge pages).
type memory struct{}

// alloc returns empty room for n bytes.
func (m *memory) alloc(n int) []byte { return make([]byte, 0, n) }

// release lets the memory go.
func (m *memory) release() {}
