package ingest

import (
	"strings"
	"testing"
	"unicode"
)

// hasControlByByte is hasControl without the 8-byte steps.
func hasControlByByte(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
		if s[i] >= 0x80 {
			return strings.IndexFunc(s[i:], unicode.IsControl) >= 0
		}
	}
	return false
}

// TestHasControlEveryByte puts each byte value at each position of a
// 20-byte text, so both the 8-byte steps and the tail see it.
func TestHasControlEveryByte(t *testing.T) {
	for pos := 0; pos < 20; pos++ {
		for b := 0; b < 256; b++ {
			text := []byte(strings.Repeat("Invoice 2024 March!", 2)[:20])
			text[pos] = byte(b)
			s := string(text)
			if got, want := hasControl(s), hasControlByByte(s); got != want {
				t.Errorf("hasControl(%q) = %v, want %v", s, got, want)
			}
		}
	}
}

func TestHasControlUnicode(t *testing.T) {
	for s, want := range map[string]bool{
		"Hauptstraße 1, Berlin":   false,
		"Zahlung für März\u0085x": true, // NEL, a C1 control
		"consulting in March\x7f": true,
		"a tab\there, long text":  true,
		"plain ascii text only !": false,
		"":                        false,
	} {
		if got := hasControl(s); got != want {
			t.Errorf("hasControl(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestLooksScientificFirstByte(t *testing.T) {
	for s, want := range map[string]bool{
		".5E+3": true, ",5E+3": true, "x1.5E+3": false, "-1.5E+3": false, "BENCH-1.5E+3": false, "": false,
	} {
		if got := looksScientific(s); got != want {
			t.Errorf("looksScientific(%q) = %v, want %v", s, got, want)
		}
	}
}
