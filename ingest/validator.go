package ingest

import (
	"hash/maphash"

	"github.com/payrun/payrun"
)

// validator validates rows on its own, so several can run at once: it holds
// the read-only rules of the Reader and its own scratch state.
type validator struct {
	cols  *columnMap
	rules rules
	seed  maphash.Seed // the duplicate index's, so keys agree across validators

	check  rowCheck
	scales []currencyScale
	keyBuf []byte
}

func newValidator(r *Reader) *validator {
	return &validator{cols: r.cols, rules: r.rules, seed: r.dups.seed}
}

// currencyScale caches payrun.CurrencyScale for one three-letter code,
// packed by codeKey.
type currencyScale struct {
	key   uint32
	scale int
	ok    bool
}

// codeKey packs a three-byte code into an integer, which compares faster
// than the string; false for other lengths.
func codeKey(code string) (uint32, bool) {
	if len(code) != 3 {
		return 0, false
	}
	return uint32(code[0]) | uint32(code[1])<<8 | uint32(code[2])<<16, true
}

// maxCachedScales bounds the cache; a file pays in a handful of currencies.
const maxCachedScales = 16

// scaleOf returns the minor-unit digits of an ISO 4217 code and whether it is one.
func (v *validator) scaleOf(code string) (int, bool) {
	key, short := codeKey(code)
	if !short {
		return payrun.CurrencyScale(code)
	}
	for _, s := range v.scales {
		if s.key == key {
			return s.scale, s.ok
		}
	}
	scale, ok := payrun.CurrencyScale(code)
	if len(v.scales) < maxCachedScales {
		v.scales = append(v.scales, currencyScale{key: key, scale: scale, ok: ok})
	}
	return scale, ok
}
