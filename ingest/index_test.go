package ingest

import "testing"

// mixKey spreads i over 64 bits, as a hash would, and never returns 0.
func mixKey(i uint64) uint64 {
	i ^= i >> 33
	i *= 0xff51afd7ed558ccd
	i ^= i >> 33
	return indexKey(i)
}

// fillIndex inserts n keys with their number as value and checks each is new.
func fillIndex(t *testing.T, x *hashIndex[uint32], n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		v, found := x.slot(mixKey(uint64(i)))
		if found {
			t.Fatalf("key %d found before it was inserted", i)
		}
		*v = uint32(i)
	}
}

// checkIndex checks that every inserted key is found with its value.
func checkIndex(t *testing.T, x *hashIndex[uint32], n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		v, found := x.slot(mixKey(uint64(i)))
		if !found || *v != uint32(i) {
			t.Fatalf("key %d: found %v with value %d, want %d", i, found, *v, i)
		}
	}
}

// TestHashIndexGrowsOutOfHeap grows an index from empty past the size at
// which segments are mapped outside the heap, and frees it.
func TestHashIndexGrowsOutOfHeap(t *testing.T) {
	const n = 1_200_000
	x := &hashIndex[uint32]{}
	fillIndex(t, x, n)
	checkIndex(t, x, n)

	if x.mapped == 0 {
		t.Fatalf("no segment is mapped after %d keys; each has about %d slots", n, len(x.segments[0].slots))
	}
	paced := 0
	for _, p := range x.pacing {
		paced += len(p)
	}
	if paced > x.mapped/2 || paced < x.mapped/2-minPacing {
		t.Errorf("pacing memory is %d bytes for %d mapped bytes, want about half", paced, x.mapped)
	}

	x.free()
	if x.mapped != 0 || len(x.pacing) != 0 || len(x.segments[0].slots) != 0 {
		t.Fatalf("after free: %d mapped bytes, %d pacing allocations, %d slots in segment 0",
			x.mapped, len(x.pacing), len(x.segments[0].slots))
	}
	fillIndex(t, x, 1000)
	checkIndex(t, x, 1000)
}

// TestHashIndexReserveMapped reserves room for mapped segments up front.
func TestHashIndexReserveMapped(t *testing.T) {
	const n = 1 << 20
	x := &hashIndex[uint32]{}
	x.reserve(n)
	if x.mapped == 0 {
		t.Fatalf("reserving %d keys mapped no segment", n)
	}
	mapped := x.mapped
	fillIndex(t, x, n/2)
	checkIndex(t, x, n/2)
	if x.mapped != mapped {
		t.Errorf("the index grew from %d to %d mapped bytes below its reserved size", mapped, x.mapped)
	}
	x.free()
}
