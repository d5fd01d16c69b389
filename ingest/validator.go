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

// currencyScale caches payrun.CurrencyScale for one code.
type currencyScale struct {
	code  string
	scale int
	ok    bool
}

// maxCachedScales bounds the cache; a file pays in a handful of currencies.
const maxCachedScales = 16

// scaleOf returns the minor-unit digits of an ISO 4217 code and whether it is one.
func (v *validator) scaleOf(code string) (int, bool) {
	for _, s := range v.scales {
		if s.code == code {
			return s.scale, s.ok
		}
	}
	scale, ok := payrun.CurrencyScale(code)
	if len(v.scales) < maxCachedScales {
		v.scales = append(v.scales, currencyScale{code: code, scale: scale, ok: ok})
	}
	return scale, ok
}
