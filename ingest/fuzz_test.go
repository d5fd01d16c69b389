package ingest

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// FuzzCSVReader feeds arbitrary bytes to Open and Next: they must never
// panic, and every error must be a *FileError or io.EOF. Next may return a
// *FileError for damage below the header, since the file is read in one pass.
func FuzzCSVReader(f *testing.F) {
	for _, name := range []string{"shape.csv", "bom.csv", "utf16le.csv", "semicolon.csv", "duplicates.csv"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "fuzz.csv")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := Open(path, Options{})
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("Open error %v (%T), want *FileError", err, err)
			}
			return
		}
		defer r.Close()
		for {
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			var fe *FileError
			if errors.As(err, &fe) {
				return
			}
			if err != nil {
				t.Fatalf("Next error %v (%T), want *FileError or io.EOF", err, err)
			}
			if rec.Valid() && len(codes(rec, SeverityError)) > 0 {
				t.Fatalf("row %d valid with errors %v", rec.Row, rec.Problems)
			}
		}
	})
}

// FuzzParseAmount checks that an accepted amount is positive, fits 12 integer
// digits and equals the text with the separators removed.
func FuzzParseAmount(f *testing.F) {
	for _, seed := range []string{"12.50", "1,234.56", "1.234,56", "0", "-1", "999999999999.999", "1e5", "€3", "00012.0"} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	plain, _ := newNumberFormat(".", "")
	european, _ := newNumberFormat(",", ".")
	f.Fuzz(func(t *testing.T, text string, eu bool) {
		nf := plain
		if eu {
			nf = european
		}
		value, places, finding := parseAmount(text, nf)
		if finding != nil {
			return
		}
		if !value.IsPositive() {
			t.Fatalf("parseAmount(%q) accepted non-positive %s", text, value)
		}
		if value.Truncate(0).GreaterThanOrEqual(decimal.New(1, 12)) {
			t.Fatalf("parseAmount(%q) accepted %s with more than 12 integer digits", text, value)
		}
		digits := text
		if eu {
			digits = strings.ReplaceAll(strings.ReplaceAll(digits, ".", ""), ",", ".")
		}
		want, err := decimal.NewFromString(digits)
		if err != nil || !want.Equal(value) {
			t.Fatalf("parseAmount(%q) = %s, want %s (%v)", text, value, want, err)
		}
		if decimals := -value.Exponent(); decimals > int32(places) {
			t.Fatalf("parseAmount(%q) = %s reports %d decimals, fewer than the value has", text, value, places)
		}
	})
}

// FuzzCheckIBAN checks that an accepted IBAN has its country's length and a
// mod-97 remainder of 1, and that the check never panics.
func FuzzCheckIBAN(f *testing.F) {
	for _, seed := range []string{"DE89370400440532013000", "GB29NWBK60161331926819", "DE00", "XX1", "", "NO9386011117947"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		iban := normaliseIBAN(raw)
		if checkIBAN(iban) != nil {
			return
		}
		if len(iban) != ibanLengths[iban[:2]] {
			t.Fatalf("accepted %q with length %d", iban, len(iban))
		}
		if ibanMod97(iban) != 1 {
			t.Fatalf("accepted %q with remainder %d", iban, ibanMod97(iban))
		}
	})
}

// FuzzCheckRoutingNumber checks that an accepted routing number has nine
// digits and a weighted sum divisible by 10.
func FuzzCheckRoutingNumber(f *testing.F) {
	for _, seed := range []string{"021000021", "21000021", "123456789", "", "0210000211"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if checkRoutingNumber(s) != nil {
			return
		}
		if len(s) != 9 || !allDigits(s) {
			t.Fatalf("accepted %q", s)
		}
		sum := 0
		for i, w := range []int{3, 7, 1, 3, 7, 1, 3, 7, 1} {
			sum += int(s[i]-'0') * w
		}
		if sum%10 != 0 {
			t.Fatalf("accepted %q with weighted sum %d", s, sum)
		}
	})
}
