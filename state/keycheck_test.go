package state

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
)

// keyedLedger returns a ledger with a fingerprint key and one file with a row.
func keyedLedger(t *testing.T) (*Ledger, []byte) {
	t.Helper()
	t.Setenv("PAYRUN_FINGERPRINT_KEY", "")
	l := openTest(t)
	key, err := l.FingerprintKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	addFile(t, l, "aaaaaaaaaaaa")
	record(t, l, pendingRow("aaaaaaaaaaaa", 2, "INV-1", "h1"))
	return l, key
}

func TestFingerprintKey_NewLedgerCreatesKey(t *testing.T) {
	t.Setenv("PAYRUN_FINGERPRINT_KEY", "")
	l := openTest(t)
	ctx := context.Background()

	key, err := l.FingerprintKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(KeyPath(l.Path())); err != nil {
		t.Errorf("key file was not created: %v", err)
	}
	stored, err := l.GetMeta(ctx, metaKeyCheck)
	if err != nil {
		t.Fatal(err)
	}
	if stored != keyCheckValue(key) {
		t.Errorf("stored check value = %q, want the check value of the new key", stored)
	}
	again, err := LoadFingerprintKey(l.Path())
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(key) {
		t.Errorf("LoadFingerprintKey returned another key than FingerprintKey")
	}
}

func TestFingerprintKey_MissingKeyRejected(t *testing.T) {
	l, _ := keyedLedger(t)
	keyFile := KeyPath(l.Path())
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}

	_, err := l.FingerprintKey(context.Background())
	if !errors.Is(err, ErrFingerprintKeyMissing) {
		t.Fatalf("FingerprintKey without the key file = %v, want ErrFingerprintKeyMissing", err)
	}
	if !strings.Contains(err.Error(), keyFile) || !strings.Contains(err.Error(), "ledger backup") {
		t.Errorf("error %q does not name the key file and the backup to restore it from", err)
	}
	if _, err := LoadFingerprintKey(l.Path()); !errors.Is(err, ErrFingerprintKeyMissing) {
		t.Errorf("LoadFingerprintKey without the key file = %v, want ErrFingerprintKeyMissing", err)
	}
	if _, err := os.Stat(keyFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a new key file was created for a ledger with data: %v", err)
	}
}

// TestFingerprintKey_MissingKeyOldLedger covers a ledger from before the key
// check value: its rows alone make a new key an error.
func TestFingerprintKey_MissingKeyOldLedger(t *testing.T) {
	t.Setenv("PAYRUN_FINGERPRINT_KEY", "")
	l := openTest(t)
	addFile(t, l, "aaaaaaaaaaaa")
	record(t, l, pendingRow("aaaaaaaaaaaa", 2, "INV-1", "h1"))

	if _, err := l.FingerprintKey(context.Background()); !errors.Is(err, ErrFingerprintKeyMissing) {
		t.Errorf("FingerprintKey on an old ledger with rows = %v, want ErrFingerprintKeyMissing", err)
	}
}

func TestFingerprintKey_WrongKeyRejected(t *testing.T) {
	l, _ := keyedLedger(t)
	other := strings.Repeat("ab", 32) + "\n"
	if err := os.WriteFile(KeyPath(l.Path()), []byte(other), 0o600); err != nil {
		t.Fatal(err)
	}

	_, err := l.FingerprintKey(context.Background())
	if !errors.Is(err, ErrFingerprintKeyMismatch) {
		t.Fatalf("FingerprintKey with another key file = %v, want ErrFingerprintKeyMismatch", err)
	}
	if !strings.Contains(err.Error(), KeyPath(l.Path())) {
		t.Errorf("error %q does not name the key file", err)
	}

	t.Setenv("PAYRUN_FINGERPRINT_KEY", strings.Repeat("cd", 32))
	_, err = l.FingerprintKey(context.Background())
	if !errors.Is(err, ErrFingerprintKeyMismatch) {
		t.Fatalf("FingerprintKey with another PAYRUN_FINGERPRINT_KEY = %v, want ErrFingerprintKeyMismatch", err)
	}
	if !strings.Contains(err.Error(), "PAYRUN_FINGERPRINT_KEY is not the key") {
		t.Errorf("error %q does not name PAYRUN_FINGERPRINT_KEY as the wrong key", err)
	}
}

func TestFingerprintKey_EnvKeyMatches(t *testing.T) {
	t.Setenv("PAYRUN_FINGERPRINT_KEY", strings.Repeat("0f", 16))
	l := openTest(t)
	first, err := l.FingerprintKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	addFile(t, l, "aaaaaaaaaaaa")
	second, err := l.FingerprintKey(context.Background())
	if err != nil {
		t.Fatalf("FingerprintKey with the same PAYRUN_FINGERPRINT_KEY: %v", err)
	}
	if string(first) != string(second) {
		t.Errorf("the same PAYRUN_FINGERPRINT_KEY gave two keys")
	}
	if _, err := os.Stat(KeyPath(l.Path())); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a key file was created although PAYRUN_FINGERPRINT_KEY is set: %v", err)
	}
}

func TestCheck_MissingFingerprintKey(t *testing.T) {
	l, _ := keyedLedger(t)
	keyFile := KeyPath(l.Path())
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}

	got := findingsOf(runCheck(t, l), "fingerprint_key")
	if len(got) != 1 {
		t.Fatalf("fingerprint_key findings = %v, want 1", got)
	}
	if !strings.Contains(got[0].Message, keyFile) || !strings.Contains(got[0].Message, "ledger backup") {
		t.Errorf("finding %q does not name the key file and the backup", got[0].Message)
	}
	if _, err := os.Stat(keyFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Check created a key file: %v", err)
	}
}

func TestCheck_WrongFingerprintKey(t *testing.T) {
	l, _ := keyedLedger(t)
	if err := os.WriteFile(KeyPath(l.Path()), []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	got := findingsOf(runCheck(t, l), "fingerprint_key")
	if len(got) != 1 {
		t.Fatalf("fingerprint_key findings = %v, want 1", got)
	}
	if !strings.Contains(got[0].Message, "is not the key that ledger") {
		t.Errorf("finding %q does not say the key does not match", got[0].Message)
	}
}

func TestCheck_InvalidFingerprintKeyFile(t *testing.T) {
	l, _ := keyedLedger(t)
	if err := os.WriteFile(KeyPath(l.Path()), []byte("not hex\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	got := findingsOf(runCheck(t, l), "fingerprint_key")
	if len(got) != 1 || !strings.Contains(got[0].Message, "invalid fingerprint key file") {
		t.Errorf("fingerprint_key findings = %v, want one invalid key file", got)
	}
}
