//go:build !unix

package ingest

// makeSlots returns n zeroed slots in the Go heap, and false: they are not
// mapped.
func makeSlots[V any](n int) ([]indexSlot[V], bool) { return make([]indexSlot[V], n), false }

// freeSlots is never called where makeSlots maps nothing.
func freeSlots[V any](slots []indexSlot[V]) {}
