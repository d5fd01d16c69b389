package ingest

import (
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Defaults are values used for a row that leaves a column empty or lacks it.
type Defaults struct {
	// Purpose is the payout purpose; when empty, rows default to "contractor_payment".
	Purpose string `toml:"purpose"`
	// Method is the payout method (sepa, ach, faster_payment, swift, wire); when
	// empty, the method is derived from the currency and the bank details.
	Method string `toml:"method"`
	// SourceCurrency is the currency debited; when empty, it is the row's currency.
	SourceCurrency string `toml:"source_currency"`
}

// Profile describes how the payout files of one source are written.
type Profile struct {
	// Name is the key of the profile in the config file.
	Name string `toml:"-"`
	// Match lists glob patterns (path.Match syntax) over local paths and s3:// URLs.
	Match []string `toml:"match"`
	// Delimiter is the CSV field separator: "," (default), ";", or "\t" (also "tab").
	Delimiter string `toml:"delimiter"`
	// Encoding names a legacy text encoding such as "windows-1252". When empty, a
	// CSV file must be UTF-8 (with or without a byte-order mark) or UTF-16 with a
	// byte-order mark.
	Encoding string `toml:"encoding"`
	// Decimal is the decimal separator of amounts: "." (default) or ",".
	Decimal string `toml:"decimal"`
	// Grouping is the thousands separator of amounts: "" (none, the default), ",",
	// ".", " " (also "space", which accepts no-break spaces too) or "'".
	Grouping string `toml:"grouping"`
	// Sheet is the XLSX sheet to read. When empty, the first visible sheet with a
	// header row containing the required columns is read.
	Sheet string `toml:"sheet"`
	// HeaderRow is the 1-based row of the header. 0 detects it: the first of the
	// first rows that contains the required columns.
	HeaderRow int `toml:"header_row"`
	// RequireApproval holds every file of this source until a person releases it.
	RequireApproval bool `toml:"require_approval"`
	// Aliases maps a header of the source's files to a canonical column, for
	// example "Beneficiary IBAN" = "iban".
	Aliases map[string]string `toml:"aliases"`
	// Defaults apply to rows of this source and win over the global defaults.
	Defaults Defaults `toml:"defaults"`
	// MaxAmount is an optional per-row maximum per currency, as decimal strings
	// ("EUR" = "10000.00"). A row above it is invalid.
	MaxAmount map[string]string `toml:"max_amount"`
}

// MatchProfile returns the first profile, in order of name, whose Match patterns
// fit source. A pattern (path.Match syntax, where * does not cross a slash)
// matches the whole source or any trailing part of it that starts after a
// slash, and a leading "*/" may also match nothing. So "payroll-*.csv" fits
// "/in/payroll-may.csv", and "*/emea/*" fits "/data/emea/june.csv",
// "emea/june.csv" and "s3://bucket/emea/june.csv".
func MatchProfile(profiles map[string]Profile, source string) (Profile, bool) {
	names := make([]string, 0, len(profiles))
	for name := range profiles {
		names = append(names, name)
	}
	sort.Strings(names)

	for _, name := range names {
		profile := profiles[name]
		for _, pattern := range profile.Match {
			if globMatches(pattern, source) {
				if profile.Name == "" {
					profile.Name = name
				}
				return profile, true
			}
		}
	}
	return Profile{}, false
}

func globMatches(pattern, source string) bool {
	source = filepath.ToSlash(source)
	patterns := []string{pattern}
	if rest, ok := strings.CutPrefix(pattern, "*/"); ok {
		patterns = append(patterns, rest)
	}
	for _, p := range patterns {
		for tail := source; ; {
			if ok, _ := path.Match(p, tail); ok {
				return true
			}
			i := strings.IndexByte(tail, '/')
			if i < 0 {
				break
			}
			tail = tail[i+1:]
		}
	}
	return false
}

// Options configure one Open.
type Options struct {
	Profile Profile
	// Defaults are the global defaults; the profile's defaults win over them.
	Defaults Defaults
}

// effectiveDefaults merges the profile's defaults over the global ones.
func (o Options) effectiveDefaults() Defaults {
	d := o.Defaults
	if o.Profile.Defaults.Purpose != "" {
		d.Purpose = o.Profile.Defaults.Purpose
	}
	if o.Profile.Defaults.Method != "" {
		d.Method = o.Profile.Defaults.Method
	}
	if o.Profile.Defaults.SourceCurrency != "" {
		d.SourceCurrency = o.Profile.Defaults.SourceCurrency
	}
	return d
}

// Validate checks the profile's delimiter, encoding, number format and
// maximums, so a configuration mistake is reported before any file is read.
func (p Profile) Validate() error {
	if _, err := newRules(Options{Profile: p}); err != nil {
		return err
	}
	if _, err := lookupEncoding(p.Encoding); err != nil {
		return err
	}
	if p.HeaderRow < 0 {
		return fmt.Errorf("header_row %d is negative: use 0 to detect the header row", p.HeaderRow)
	}
	for from, to := range p.Aliases {
		if _, ok := canonicalByKey[headerKey(to)]; !ok {
			return fmt.Errorf("alias %q = %q names no payout column", from, to)
		}
	}
	for _, pattern := range p.Match {
		if _, err := path.Match(pattern, ""); err != nil {
			return fmt.Errorf("match pattern %q: %w", pattern, err)
		}
	}
	return nil
}
