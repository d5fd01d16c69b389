package ingest

import "math/bits"

// indexSegments is the number of segments of a hashIndex, chosen by the top 8
// bits of a hash.
const indexSegments = 256

// hashIndex maps 64-bit hashes to small values. It is what the one-pass
// duplicate checks keep per row, so it is built for size: an open-addressing
// table with linear probing, split into segments that each grow on their own
// by a quarter when they are three quarters full. The table therefore stays
// 60–75% full and never copies more than one segment at a time. Go's built-in
// map doubles all its tables at about the same time when keys are uniform
// hashes, which left the two indexes of a 1,000,000-row file under half full
// at about 94 bytes per row (measured with Go 1.26 on linux/amd64).
type hashIndex[V any] struct {
	segments [indexSegments]indexSegment[V]
}

// indexSegment keeps each key beside its value, so a lookup touches one
// cache line, not two.
type indexSegment[V any] struct {
	slots []indexSlot[V]
	used  int
}

type indexSlot[V any] struct {
	key uint64 // 0 marks an empty slot
	val V
}

// slot returns the value stored under key and whether the key was present.
// A missing key is inserted with a zero value. The pointer is valid until the
// next call to slot.
func (x *hashIndex[V]) slot(key uint64) (*V, bool) {
	if key == 0 {
		key = 1 // 0 marks empty slots; the merged hashes still compare equal
	}
	seg := &x.segments[key>>56]
	if (seg.used+1)*4 > len(seg.slots)*3 {
		seg.grow()
	}

	i, found := seg.find(key)
	if !found {
		seg.slots[i].key = key
		seg.used++
	}
	return &seg.slots[i].val, found
}

// find returns the slot of key, or the empty slot where it belongs.
func (s *indexSegment[V]) find(key uint64) (int, bool) {
	n := len(s.slots)
	// The top 8 bits chose the segment, so the remaining bits choose the
	// home slot by multiplying into [0, n).
	hi, _ := bits.Mul64(key<<8, uint64(n))
	for i := int(hi); ; i++ {
		if i == n {
			i = 0
		}
		switch s.slots[i].key {
		case key:
			return i, true
		case 0:
			return i, false
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
	size = max(size, 8)

	old := s.slots
	s.slots = make([]indexSlot[V], size)
	for _, slot := range old {
		if slot.key == 0 {
			continue
		}
		j, _ := s.find(slot.key)
		s.slots[j] = slot
	}
}

func home(key uint64, n int) int {
	hi, _ := bits.Mul64(key<<8, uint64(n))
	return int(hi)
}
