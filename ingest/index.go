package ingest

import "math/bits"

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
}

// indexSegment keeps each key beside its value, so a lookup touches one
// cache line, not two.
type indexSegment[V any] struct {
	slots []indexSlot[V]
	used  int
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
		seg.grow()
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
			seg.resize(size)
		}
	}
}

// grow rehashes the segment into a larger one: doubling while it is small,
// then by a quarter.
func (s *indexSegment[V]) grow() {
	size := 2 * len(s.slots)
	if len(s.slots) >= 1024 {
		size = len(s.slots) + len(s.slots)/4
	}
	s.resize(max(size, 8))
}

func (s *indexSegment[V]) resize(size int) {
	old := s.slots
	s.slots = make([]indexSlot[V], size)
	for i := range old {
		key := old[i].key()
		if key == 0 {
			continue
		}
		j, _ := s.find(key)
		s.slots[j] = old[i]
	}
}

// indexKey turns a hash into a key of a hashIndex: 0 marks empty slots, so
// it becomes 1, which merges two of 2^64 hashes.
func indexKey(hash uint64) uint64 {
	if hash == 0 {
		return 1
	}
	return hash
}
