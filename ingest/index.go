package ingest

import (
	"math/bits"
	"unsafe"
)

// indexSegments is the number of segments of a hashIndex, chosen by the top 8
// bits of a hash.
const indexSegments = 256

// hashIndex maps 64-bit hashes to small values. It is what the one-pass
// duplicate checks keep per row, so it is built for size: an open-addressing
// table with linear probing, split into segments that each grow on their own
// by a quarter when they are three quarters full. The table therefore stays
// 60–75% full and never copies more than one segment at a time. A slot takes
// 8 bytes of key plus the value: 16 bytes per reference, 12 per payee.
// Go's built-in map doubles all its tables at about the same time when keys
// are uniform hashes. For a 1,000,000-row file that left the two indexes
// under half full, at about 94 bytes per row (measured with Go 1.26 on
// linux/amd64).
type hashIndex[V any] struct {
	segments [indexSegments]indexSegment[V]
	// mapped counts the bytes of slots outside the Go heap, and pacing
	// holds heap memory of half that size, which nothing reads or writes.
	mapped int
	pacing [][]byte
}

// indexSegment keeps each key beside its value, so a lookup touches one
// cache line, not two.
type indexSegment[V any] struct {
	slots  []indexSlot[V]
	used   int
	mapped bool // slots are outside the Go heap (see makeSlots)
}

// indexSlot stores its key as two halves, so a slot with a 4-byte value
// takes 12 bytes, not 16 with padding.
type indexSlot[V any] struct {
	keyLow, keyHigh uint32 // both 0 mark an empty slot
	val             V
}

func (s *indexSlot[V]) key() uint64 { return uint64(s.keyHigh)<<32 | uint64(s.keyLow) }

func (s *indexSlot[V]) setKey(key uint64) { s.keyLow, s.keyHigh = uint32(key), uint32(key>>32) }

// slot returns the value stored under key and whether the key was present.
// A missing key is inserted with a zero value. The key must not be 0 (see
// indexKey). The pointer is valid until the next call to slot.
func (x *hashIndex[V]) slot(key uint64) (*V, bool) {
	seg := &x.segments[key>>56]
	if (seg.used+1)*4 > len(seg.slots)*3 {
		x.resize(seg, seg.grownSize())
	}

	i, found := seg.find(key)
	if !found {
		seg.slots[i].setKey(key)
		seg.used++
	}
	return &seg.slots[i].val, found
}

// touch loads the home slot of each key and returns a value that depends on
// all of them. The loads do not depend on each other, so the processor
// overlaps their cache misses. The lookups that follow then find the slots
// cached instead of waiting for each miss in turn.
func (x *hashIndex[V]) touch(keys []uint64) uint64 {
	var sum uint64
	for _, key := range keys {
		seg := &x.segments[key>>56]
		if len(seg.slots) > 0 {
			sum ^= uint64(seg.slots[home(key, len(seg.slots))].keyLow)
		}
	}
	return sum
}

// home returns the first slot to probe for key in a segment of n slots. The
// top 8 bits chose the segment, so the remaining bits choose the slot, by
// multiplying into [0, n).
func home(key uint64, n int) int {
	hi, _ := bits.Mul64(key<<8, uint64(n))
	return int(hi)
}

// find returns the slot of key, or the empty slot where it belongs.
func (s *indexSegment[V]) find(key uint64) (int, bool) {
	n := len(s.slots)
	for i := home(key, n); ; i++ {
		if i == n {
			i = 0
		}
		switch s.slots[i].key() {
		case key:
			return i, true
		case 0:
			return i, false
		}
	}
}

// reserve makes room for about n keys in all, so a table whose size is
// known early does not grow step by step.
func (x *hashIndex[V]) reserve(n int) {
	perSegment := n/indexSegments + 1
	for i := range x.segments {
		seg := &x.segments[i]
		if size := perSegment * 4 / 3; size > len(seg.slots) {
			x.resize(seg, size)
		}
	}
}

// grownSize is the size of a segment that is full: double while it is small,
// then a quarter more.
func (s *indexSegment[V]) grownSize() int {
	size := 2 * len(s.slots)
	if len(s.slots) >= 1024 {
		size = len(s.slots) + len(s.slots)/4
	}
	return max(size, 8)
}

// minPacing is the smallest pacing allocation that resize adds.
const minPacing = 1 << 20

// resize rehashes a segment into size slots and keeps the pacing memory at
// half the mapped bytes.
//
// The Go garbage collector collects again once the heap has grown by its
// live size (GOGC=100). Mapped slots are not part of the live heap, so
// without pacing it collects after every few megabytes of garbage. On a
// 1,000,000-row file that took about a fifth more CPU time (see
// docs/benchmarks.md). The pacing memory is never read or written, so it
// raises the heap size the collector paces by without adding resident
// memory. The garbage between collections then grows by about half the
// index's size, not by all of it as when the index was in the heap.
func (x *hashIndex[V]) resize(seg *indexSegment[V], size int) {
	x.mapped -= seg.mappedBytes()
	seg.resize(size)
	x.mapped += seg.mappedBytes()

	paced := 0
	for _, p := range x.pacing {
		paced += len(p)
	}
	if add := x.mapped/2 - paced; add >= minPacing {
		x.pacing = append(x.pacing, make([]byte, add))
	}
}

// mappedBytes is the size of the segment's slots if they are mapped, else 0.
func (s *indexSegment[V]) mappedBytes() int {
	if !s.mapped {
		return 0
	}
	return len(s.slots) * int(unsafe.Sizeof(s.slots[0]))
}

func (s *indexSegment[V]) resize(size int) {
	old, oldMapped := s.slots, s.mapped
	s.slots, s.mapped = makeSlots[V](size)
	for i := range old {
		key := old[i].key()
		if key == 0 {
			continue
		}
		j, _ := s.find(key)
		s.slots[j] = old[i]
	}
	if oldMapped {
		freeSlots(old)
	}
}

// free releases the mapped slots of every segment and empties the index.
func (x *hashIndex[V]) free() {
	for i := range x.segments {
		seg := &x.segments[i]
		if seg.mapped {
			freeSlots(seg.slots)
		}
		*seg = indexSegment[V]{}
	}
	x.mapped, x.pacing = 0, nil
}

// indexKey turns a hash into a key of a hashIndex: 0 marks empty slots, so
// it becomes 1, which merges two of 2^64 hashes.
func indexKey(hash uint64) uint64 {
	if hash == 0 {
		return 1
	}
	return hash
}
