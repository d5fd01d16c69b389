package state

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gofrs/flock"
)

// ErrLocked means another payrun process holds the run lock of the ledger.
var ErrLocked = errors.New("another payrun run holds the ledger lock")

// RunLock is the exclusive run lock beside a ledger (LEDGER.lock).
type RunLock struct{ f *flock.Flock }

// LockPath returns the run lock path of a ledger.
func LockPath(ledgerPath string) string { return ledgerPath + ".lock" }

// AcquireRunLock takes the run lock without waiting. It returns an error
// wrapping ErrLocked when another process holds it.
func AcquireRunLock(ledgerPath string) (*RunLock, error) {
	f := flock.New(LockPath(ledgerPath), flock.SetPermissions(0o600))
	ok, err := f.TryLock()
	if err != nil {
		return nil, fmt.Errorf("take run lock %s: %w", f.Path(), err)
	}
	if !ok {
		return nil, fmt.Errorf("%w (%s): wait for that run to finish; the lock is released when its process exits", ErrLocked, f.Path())
	}
	return &RunLock{f: f}, nil
}

// Release releases the lock.
func (l *RunLock) Release() error { return l.f.Unlock() }

// KeyPath returns the path of the fingerprint key file of a ledger.
func KeyPath(ledgerPath string) string { return ledgerPath + ".key" }

// LoadFingerprintKey returns the secret that keys the HMAC fingerprints of the
// ledger: PAYRUN_FINGERPRINT_KEY (hex) if set, else the 0600 key file beside the
// ledger, which is created with 32 random bytes on first use. Losing the key
// changes every fingerprint, so it must be backed up with the ledger. When the
// ledger file exists, FingerprintKey's checks apply, and the key's check value
// is stored in a ledger that has none yet.
func LoadFingerprintKey(ledgerPath string) ([]byte, error) {
	if _, err := os.Stat(ledgerPath); errors.Is(err, fs.ErrNotExist) {
		key, err := readFingerprintKey(ledgerPath)
		if err != nil || key != nil {
			return key, err
		}
		return createKey(KeyPath(ledgerPath))
	}

	ctx := context.Background()
	l, err := Open(ctx, ledgerPath)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	return l.FingerprintKey(ctx)
}

// readFingerprintKey returns the key from PAYRUN_FINGERPRINT_KEY or the key
// file, or nil when neither exists.
func readFingerprintKey(ledgerPath string) ([]byte, error) {
	if env := strings.TrimSpace(os.Getenv("PAYRUN_FINGERPRINT_KEY")); env != "" {
		key, err := hex.DecodeString(env)
		if err != nil || len(key) < 16 {
			return nil, errors.New("invalid PAYRUN_FINGERPRINT_KEY: set it to at least 32 hex characters (16 bytes)")
		}
		return key, nil
	}
	path := KeyPath(ledgerPath)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read fingerprint key %s: %w", path, err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(key) < 16 {
		return nil, fmt.Errorf("invalid fingerprint key file %s: it must contain at least 32 hex characters; restore it from the ledger backup", path)
	}
	return key, nil
}

// createKey writes a new random key to a temporary file and links it into
// place, so a concurrent reader never sees a partly written key and two
// processes starting at once agree on one key.
func createKey(path string) ([]byte, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate fingerprint key: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".payrun-key-*")
	if err != nil {
		return nil, fmt.Errorf("create fingerprint key %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("create fingerprint key %s: %w", path, err)
	}
	if _, err := tmp.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("write fingerprint key %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("sync fingerprint key %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("write fingerprint key %s: %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, os.ErrExist) {
			// Another process linked its key first, so both use that one.
			return readFingerprintKey(strings.TrimSuffix(path, ".key"))
		}
		return nil, fmt.Errorf("create fingerprint key %s: %w", path, err)
	}
	return key, nil
}
