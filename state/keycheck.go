package state

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrFingerprintKeyMissing means the ledger contains fingerprinted rows or
// beneficiaries but neither its key file nor PAYRUN_FINGERPRINT_KEY exists.
var ErrFingerprintKeyMissing = errors.New("fingerprint key missing")

// ErrFingerprintKeyMismatch means the fingerprint key is not the key that the
// ledger recorded a check value of.
var ErrFingerprintKeyMismatch = errors.New("fingerprint key does not match the ledger")

// metaKeyCheck is the meta key of the key check value: the hex HMAC-SHA256 of
// keyCheckInput under the fingerprint key. It identifies the key without
// revealing it.
const (
	metaKeyCheck  = "fingerprint_key_check"
	keyCheckInput = "payrun fingerprint key check v1"
)

// keyCheckValue returns the check value of key.
func keyCheckValue(key []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(keyCheckInput))
	return hex.EncodeToString(mac.Sum(nil))
}

// FingerprintKey returns the ledger's fingerprint key like LoadFingerprintKey,
// with two checks. It creates a key file only while the ledger contains no
// fingerprinted data, and otherwise returns an error wrapping
// ErrFingerprintKeyMissing. It returns an error wrapping
// ErrFingerprintKeyMismatch when the ledger recorded the check value of
// another key. On first use it records the key's check value in the ledger.
func (l *Ledger) FingerprintKey(ctx context.Context) ([]byte, error) {
	key, err := readFingerprintKey(l.path)
	if err != nil {
		return nil, err
	}
	if key == nil {
		if err := l.requireNoFingerprints(ctx); err != nil {
			return nil, err
		}
		if key, err = createKey(KeyPath(l.path)); err != nil {
			return nil, err
		}
	}

	stored, err := l.GetMeta(ctx, metaKeyCheck)
	if err != nil {
		return nil, err
	}
	if stored == "" {
		// NOTE: a ledger from before the check value trusts the key it gets
		// first, so a wrong key on that first use goes unnoticed.
		return key, l.SetMeta(ctx, metaKeyCheck, keyCheckValue(key))
	}
	if !hmac.Equal([]byte(stored), []byte(keyCheckValue(key))) {
		return nil, l.keyMismatchError()
	}
	return key, nil
}

// requireNoFingerprints returns an error wrapping ErrFingerprintKeyMissing
// when the ledger contains data whose fingerprints need the missing key.
func (l *Ledger) requireNoFingerprints(ctx context.Context) error {
	var rows, beneficiaries, instruments int
	var checked bool
	err := l.db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM rows),
		(SELECT COUNT(*) FROM beneficiaries), (SELECT COUNT(*) FROM instruments),
		EXISTS (SELECT 1 FROM meta WHERE key = ?)`, metaKeyCheck).Scan(&rows, &beneficiaries, &instruments, &checked)
	if err != nil {
		return fmt.Errorf("count fingerprinted data of ledger %s: %w", l.path, err)
	}
	if rows == 0 && beneficiaries == 0 && instruments == 0 && !checked {
		return nil
	}

	keyFile := KeyPath(l.path)
	return fmt.Errorf("%w: ledger %s contains %d rows, %d beneficiaries and %d bank accounts whose fingerprints need the key file %s, which does not exist. "+
		"Restore %s from the .key file next to the ledger backup, or set PAYRUN_FINGERPRINT_KEY to the key in use. "+
		"payrun creates no new key for a ledger with data, because every known payee would then look like it has new bank details",
		ErrFingerprintKeyMissing, l.path, rows, beneficiaries, instruments, keyFile, keyFile)
}

func (l *Ledger) keyMismatchError() error {
	source := "fingerprint key file " + KeyPath(l.path)
	if strings.TrimSpace(os.Getenv("PAYRUN_FINGERPRINT_KEY")) != "" {
		source = "PAYRUN_FINGERPRINT_KEY"
	}
	return fmt.Errorf("%w: %s is not the key that ledger %s was used with. "+
		"Restore the .key file that was backed up with this ledger to %s, or set PAYRUN_FINGERPRINT_KEY to the key in use",
		ErrFingerprintKeyMismatch, source, l.path, KeyPath(l.path))
}

// checkFingerprintKey finds a missing, invalid or mismatched fingerprint key,
// without creating a key or recording a check value.
func (l *Ledger) checkFingerprintKey(ctx context.Context) ([]Finding, error) {
	c := &collector{check: "fingerprint_key"}
	key, err := readFingerprintKey(l.path)
	if err != nil {
		c.add("%v", err)
		return c.findings(), nil
	}
	if key == nil {
		if err := l.requireNoFingerprints(ctx); errors.Is(err, ErrFingerprintKeyMissing) {
			c.add("%s", strings.TrimPrefix(err.Error(), ErrFingerprintKeyMissing.Error()+": "))
		} else if err != nil {
			return nil, err
		}
		return c.findings(), nil
	}

	stored, err := l.GetMeta(ctx, metaKeyCheck)
	if err != nil {
		return nil, err
	}
	if stored != "" && !hmac.Equal([]byte(stored), []byte(keyCheckValue(key))) {
		c.add("%s", strings.TrimPrefix(l.keyMismatchError().Error(), ErrFingerprintKeyMismatch.Error()+": "))
	}
	return c.findings(), nil
}
