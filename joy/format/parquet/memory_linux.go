package parquet

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// memory is where a writer's page buffers and compressed pages live:
// mappings of its own, with transparent huge pages asked for
// (MADV_HUGEPAGE; the kernel may say no, and then they are ordinary
// pages), unmapped when the writer is closed.
//
// Why: the first touch of each fresh 4 KiB page is a page fault, and an
// encoder touches about 10 MB (a page buffer per column that has values,
// and the open row group's compressed pages). On the benchmark machine (a
// VM) a fault cost about 15 µs: 16 MB touched took 54–66 ms in 4 KiB
// pages and 1.4 ms in 2 MiB pages, and the encoder's faults were most of
// what Parquet output cost beyond JSON's on the packet path's core.
type memory struct {
	maps [][]byte // the mappings, for release
	rest []byte   // the unused, 2 MiB-aligned rest of the last one
	heap bool     // mapping failed: from the Go heap
}

const (
	hugePage = 2 << 20
	slabSize = 8 << 20 // mapped at a time, at least
)

// alloc returns empty room for n bytes.
func (m *memory) alloc(n int) []byte {
	if m.heap {
		return make([]byte, 0, n)
	}
	if n > len(m.rest) {
		size := max(slabSize, (n+hugePage-1)&^(hugePage-1))
		b, err := unix.Mmap(-1, 0, size+hugePage, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
		if err != nil {
			m.heap = true
			return make([]byte, 0, n)
		}
		m.maps = append(m.maps, b)
		skip := (hugePage - int(uintptr(unsafe.Pointer(&b[0]))&(hugePage-1))) & (hugePage - 1)
		m.rest = b[skip : skip+size]
		_ = unix.Madvise(m.rest, unix.MADV_HUGEPAGE) // a hint only
	}
	b := m.rest[:0:n]
	m.rest = m.rest[n:]
	return b
}

// release unmaps the memory: nothing may use what alloc returned after.
func (m *memory) release() {
	for _, b := range m.maps {
		_ = unix.Munmap(b)
	}
	m.maps, m.rest = nil, nil
}
