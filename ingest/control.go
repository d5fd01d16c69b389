package ingest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/shopspring/decimal"

	"github.com/payrun/payrun"
)

// Control is the expected row count and totals of a payout file, from its
// FILE.control sidecar (TOML: rows = N and a [totals] table such as
// EUR = "6975.25") or from command-line flags. A nil field is not checked.
type Control struct {
	Rows   *int              `toml:"rows"`
	Totals map[string]string `toml:"totals"`
}

// ControlPath returns the sidecar path of a payout file.
func ControlPath(path string) string { return path + ".control" }

// ReadControl reads the FILE.control sidecar of the payout file at path. It
// returns nil, nil when there is none.
func ReadControl(path string) (*Control, error) {
	name := ControlPath(path)
	data, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read control file: %w", err)
	}

	var c Control
	meta, err := toml.Decode(string(data), &c)
	if err != nil {
		return nil, fmt.Errorf("parse control file %s: %w", name, err)
	}
	if undecoded := meta.Undecoded(); len(undecoded) > 0 {
		return nil, fmt.Errorf("control file %s: unknown key %q: use rows and [totals]", name, undecoded[0].String())
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("control file %s: %w", name, err)
	}
	return &c, nil
}

// validate checks that every total is a decimal string in an ISO 4217 currency.
func (c *Control) validate() error {
	if c.Rows != nil && *c.Rows < 0 {
		return fmt.Errorf("rows = %d is negative", *c.Rows)
	}
	for code, amount := range c.Totals {
		if _, err := controlMinor(code, amount); err != nil {
			return err
		}
	}
	return nil
}

// ParseControlTotal parses a CUR=AMOUNT flag value into the control.
func (c *Control) ParseControlTotal(flag string) error {
	code, amount, ok := strings.Cut(flag, "=")
	if !ok {
		return fmt.Errorf("expected total %q is not CUR=AMOUNT, for example EUR=6975.25", flag)
	}
	code = strings.ToUpper(strings.TrimSpace(code))
	amount = strings.TrimSpace(amount)
	if _, err := controlMinor(code, amount); err != nil {
		return err
	}
	if c.Totals == nil {
		c.Totals = make(map[string]string)
	}
	c.Totals[code] = amount
	return nil
}

func controlMinor(code, amount string) (int64, error) {
	if _, ok := payrun.CurrencyScale(code); !ok {
		return 0, fmt.Errorf("control total currency %q is not an ISO 4217 code", code)
	}
	value, err := decimal.NewFromString(amount)
	if err != nil || value.IsNegative() {
		return 0, fmt.Errorf("control total %s %q is not a decimal amount such as \"6975.25\"", code, amount)
	}
	minor, err := payrun.Amount{Value: value, Currency: code}.Minor()
	if err != nil {
		return 0, fmt.Errorf("control total %s %q: %w", code, amount, err)
	}
	return minor, nil
}

// Check compares the valid row count and the per-currency totals of valid rows
// with the control, exactly, and returns an error problem per mismatch.
func (c *Control) Check(valid int, totals payrun.Totals) []Problem {
	if c == nil {
		return nil
	}
	var out []Problem
	if c.Rows != nil && *c.Rows != valid {
		out = append(out, controlProblem(CodeControlRows,
			fmt.Sprintf("the file has %d valid rows but the control expects %d", valid, *c.Rows)))
	}
	if len(c.Totals) == 0 {
		return out
	}

	codes := make(map[string]bool)
	for code := range c.Totals {
		codes[code] = true
	}
	for code := range totals {
		codes[code] = true
	}
	for _, code := range sortedKeys(codes) {
		out = append(out, c.checkTotal(code, totals[code])...)
	}
	return out
}

func (c *Control) checkTotal(code string, got int64) []Problem {
	text, listed := c.Totals[code]
	if !listed {
		return []Problem{controlProblem(CodeControlTotal, fmt.Sprintf(
			"the valid rows total %s %s but the control lists no %s total", payrun.FormatMinor(got, code), code, code))}
	}
	want, err := controlMinor(code, text)
	if err != nil {
		return []Problem{controlProblem(CodeControlInvalid, err.Error())}
	}
	if want != got {
		return []Problem{controlProblem(CodeControlTotal, fmt.Sprintf(
			"the valid rows total %s %s but the control expects %s %s",
			payrun.FormatMinor(got, code), code, payrun.FormatMinor(want, code), code))}
	}
	return nil
}

func controlProblem(code, message string) Problem {
	return Problem{Severity: SeverityError, Code: code, Message: message,
		Hint: "check the file against the finance system's export; fix the rows or the control and re-drop"}
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
