//go:build unix

package ingest

import (
	"syscall"
	"unsafe"
)

// offHeapBytes is the size from which a segment's slots are mapped outside
// the Go heap. Smaller ones, the segments of small files, stay in the heap.
const offHeapBytes = 64 << 10

// makeSlots returns n zeroed slots and whether they are mapped. Large tables are anonymous memory
// mappings: the garbage collector then counts neither them in the live heap
// nor, through its heap goal, as much again of garbage on top. With the
// index in the heap, peak RSS grew by about twice the index's size.
func makeSlots[V any](n int) ([]indexSlot[V], bool) {
	size := n * int(unsafe.Sizeof(indexSlot[V]{}))
	if size < offHeapBytes {
		return make([]indexSlot[V], n), false
	}
	// MAP_POPULATE maps every page at once. Faulting them in one at a time,
	// twice each because touch reads a page before slot writes it, took
	// about 0.1 CPU-seconds of system time on a 1,000,000-row file.
	flags := syscall.MAP_ANON | syscall.MAP_PRIVATE | mapPopulate
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, flags)
	if err != nil {
		// Without a mapping, the heap still works, only with more memory.
		return make([]indexSlot[V], n), false
	}
	return unsafe.Slice((*indexSlot[V])(unsafe.Pointer(&mem[0])), n), true
}

// freeSlots unmaps slots that makeSlots mapped, which must not be used
// afterwards.
func freeSlots[V any](slots []indexSlot[V]) {
	size := len(slots) * int(unsafe.Sizeof(indexSlot[V]{}))
	// Munmap fails only for memory that Mmap did not map, which cannot be.
	_ = syscall.Munmap(unsafe.Slice((*byte)(unsafe.Pointer(&slots[0])), size))
}
