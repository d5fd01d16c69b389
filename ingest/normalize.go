package ingest

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// isInvisible reports the format characters (Unicode category Cf) that
// spreadsheets and web forms leave in pasted values: zero-width space and
// joiners, word joiner, soft hyphen, direction marks and embeddings, and the
// byte-order mark. They do not show, but they change a value's bytes, so a
// reference or IBAN that keeps one is a different key.
func isInvisible(r rune) bool { return unicode.Is(unicode.Cf, r) }

// isJoiner reports the zero-width joiner and non-joiner, which some scripts
// (Persian, Indic) need inside names.
func isJoiner(r rune) bool { return r == '\u200C' || r == '\u200D' }

func isBlank(r rune) bool { return unicode.IsSpace(r) || isInvisible(r) }

// cleanText trims ASCII and Unicode spaces and invisible characters at both
// ends, drops invisible characters inside the value except the joiners, and
// converts the text to Unicode NFC, so "é" typed as e + combining accent
// equals the precomposed letter.
func cleanText(s string) string {
	s = strings.TrimFunc(s, isBlank)
	if strings.IndexFunc(s, isInvisible) >= 0 {
		s = strings.Map(func(r rune) rune {
			if isInvisible(r) && !isJoiner(r) {
				return -1
			}
			return r
		}, s)
	}
	if !norm.NFC.IsNormalString(s) {
		s = norm.NFC.String(s)
	}
	return s
}

// cleanIdentifier is cleanText for identifiers: it also drops the joiners,
// which no identifier legitimately contains.
func cleanIdentifier(s string) string {
	s = cleanText(s)
	if strings.IndexFunc(s, isInvisible) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isInvisible(r) {
			return -1
		}
		return r
	}, s)
}

// removeSpaces drops every space character, as people write IBANs in groups of four.
func removeSpaces(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// hasControl reports whether s contains a control character (a C0 or C1 code,
// including tab and newline), which a name or reference must not contain.
func hasControl(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if mayHaveControl(load64(s, i)) {
			break
		}
	}
	for ; i < len(s); i++ {
		b := s[i]
		if b < 0x20 || b == 0x7f {
			return true
		}
		if b >= utf8.RuneSelf {
			return strings.IndexFunc(s[i:], unicode.IsControl) >= 0
		}
	}
	return false
}

// load64 returns the eight bytes of s from i as a little-endian uint64.
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// mayHaveControl reports whether any of the eight bytes in x is below 0x20,
// is 0x7F or is outside ASCII. It never misses such a byte but may report
// one for a byte that follows it, so the caller checks those eight bytes one
// by one.
func mayHaveControl(x uint64) bool {
	const ones, highBits = 0x0101010101010101, 0x8080808080808080
	below := (x - 0x20*ones) &^ x
	del := x ^ 0x7f*ones
	isDel := (del - ones) &^ del
	return (below|isDel|x)&highBits != 0
}

// isASCII reports whether s is plain 7-bit ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// trimASCII is cleanText for ASCII text: it trims the ASCII spaces that
// unicode.IsSpace reports.
func trimASCII(s string) string {
	start, end := 0, len(s)
	for start < end && isASCIISpace(s[start]) {
		start++
	}
	for end > start && isASCIISpace(s[end-1]) {
		end--
	}
	return s[start:end]
}

func isASCIISpace(b byte) bool {
	return b == ' ' || b >= '\t' && b <= '\r'
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// looksScientific reports a number in scientific notation such as "1.23457E+11",
// which is what a spreadsheet shows for a long number in a numeric column. It
// requires a decimal point in the mantissa or a sign in the exponent, so an
// identifier such as "2024E10" is not taken for one.
func looksScientific(s string) bool {
	// A mantissa is digits and separators, so text that starts otherwise,
	// such as most references and ids, cannot be one.
	if s == "" || !(s[0] >= '0' && s[0] <= '9' || s[0] == '.' || s[0] == ',') {
		return false
	}
	e := strings.IndexAny(s, "eE")
	if e <= 0 || e == len(s)-1 {
		return false
	}
	mantissa, exponent := s[:e], s[e+1:]
	hasPoint := strings.ContainsAny(mantissa, ".,")
	hasSign := exponent[0] == '+' || exponent[0] == '-'
	if !hasPoint && !hasSign {
		return false
	}
	mantissa = strings.Replace(strings.Replace(mantissa, ".", "", 1), ",", "", 1)
	if hasSign {
		exponent = exponent[1:]
	}
	return allDigits(mantissa) && allDigits(exponent)
}

// describeRune names a character for a message: a space by name, another
// character quoted with its code point, so an invisible or look-alike one
// can be found, such as "–" (U+2013).
func describeRune(r rune) string {
	switch r {
	case ' ':
		return "a space"
	case '\u00A0':
		return "a no-break space (U+00A0)"
	case '\u202F':
		return "a narrow no-break space (U+202F)"
	case '\u2009':
		return "a thin space (U+2009)"
	case '\u2007':
		return "a figure space (U+2007)"
	case '\t':
		return "a tab"
	}
	if unicode.IsPrint(r) {
		return fmt.Sprintf("%q (U+%04X)", string(r), r)
	}
	return fmt.Sprintf("U+%04X", r)
}

// firstRuneOutside returns the first character of s that ok rejects, and
// false when there is none.
func firstRuneOutside(s string, ok func(rune) bool) (rune, bool) {
	for _, r := range s {
		if !ok(r) {
			return r, true
		}
	}
	return 0, false
}
