package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// API is the kind of payout API whose payouts a ledger records.
type API string

const (
	// APISandbox is the built-in sandbox that --sandbox starts.
	APISandbox API = "sandbox"
	// APIAnton is an Anton API reached through ANTON_BASE_URL or the default
	// URL of the API key, live or test.
	APIAnton API = "anton"
)

// RecordedAPI returns the API recorded in the ledger, or "" when no command
// has talked to an API with this ledger since the ledger_api table exists.
func (l *Ledger) RecordedAPI(ctx context.Context) (API, error) {
	var api string
	err := l.db.QueryRowContext(ctx, `SELECT api FROM ledger_api WHERE id = 1`).Scan(&api)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the API of ledger %s: %w", l.path, err)
	}
	return API(api), nil
}

// ClaimAPI records api as the ledger's API unless one is recorded already,
// and returns the recorded API. The caller compares it with api: a
// different value means the ledger belongs to the other API.
func (l *Ledger) ClaimAPI(ctx context.Context, api API) (API, error) {
	if api != APISandbox && api != APIAnton {
		return "", fmt.Errorf("record the API of ledger %s: invalid API %q, want sandbox or anton", l.path, api)
	}

	var recorded string
	err := l.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO ledger_api (id, api, recorded_at) VALUES (1, ?, ?)
			ON CONFLICT (id) DO NOTHING`, string(api), l.stamp())
		if err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT api FROM ledger_api WHERE id = 1`).Scan(&recorded)
	})
	if err != nil {
		return "", fmt.Errorf("record the API of ledger %s: %w", l.path, err)
	}
	return API(recorded), nil
}

// HasData reports whether the ledger records any file, row, payout,
// beneficiary or instrument, that is, whether any command has used it.
func (l *Ledger) HasData(ctx context.Context) (bool, error) {
	var used bool
	err := l.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM files)
		OR EXISTS (SELECT 1 FROM rows) OR EXISTS (SELECT 1 FROM payouts)
		OR EXISTS (SELECT 1 FROM beneficiaries) OR EXISTS (SELECT 1 FROM instruments)`).Scan(&used)
	if err != nil {
		return false, fmt.Errorf("check whether ledger %s contains data: %w", l.path, err)
	}
	return used, nil
}
