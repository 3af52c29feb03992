package parquet

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"testing"
	"unsafe"
)

// mapped reports whether addr is in one of the process's mappings.
func mapped(t *testing.T, addr uintptr) bool {
	t.Helper()
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		var lo, hi uintptr
		if _, err := fmt.Sscanf(s.Text(), "%x-%x", &lo, &hi); err == nil && lo <= addr && addr < hi {
			return true
		}
	}
	return false
}

// The memory comes in 2 MiB-aligned room of the size asked for, a
// request larger than a slab gets a mapping of its own, and release
// unmaps all of it.
func TestMemoryMapsAndReleases(t *testing.T) {
	var m memory
	a := m.alloc(100)
	if cap(a) != 100 || len(a) != 0 {
		t.Fatalf("alloc(100): len %d cap %d", len(a), cap(a))
	}
	a = append(a, "abc"...)
	first := uintptr(unsafe.Pointer(&a[0]))
	if first%hugePage != 0 {
		t.Errorf("first room at %#x, not 2 MiB-aligned", first)
	}
	b := m.alloc(slabSize + 1)
	b = append(b, make([]byte, slabSize+1)...)
	second := uintptr(unsafe.Pointer(&b[0]))
	if len(m.maps) != 2 || !mapped(t, first) || !mapped(t, second) {
		t.Fatalf("%d mappings; first mapped %v, second %v", len(m.maps), mapped(t, first), mapped(t, second))
	}
	m.release()
	if mapped(t, first) || mapped(t, second) || m.maps != nil {
		t.Errorf("after release: first mapped %v, second %v, %d mappings kept", mapped(t, first), mapped(t, second), len(m.maps))
	}
}

// A writer's mappings are gone after Close.
func TestCloseUnmaps(t *testing.T) {
	w := NewWriter(io.Discard)
	if err := w.WriteRows(smallRows(1000)); err != nil {
		t.Fatal(err)
	}
	if len(w.enc.mem.maps) == 0 {
		t.Fatal("no memory mapped for the pages")
	}
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(w.enc.mem.maps[0])))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if mapped(t, addr) {
		t.Error("the writer's memory is still mapped after Close")
	}
}
