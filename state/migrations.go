package state

// migrations is the append-only list of schema steps. A released step is never
// edited: a schema change is a new step at the end. Money columns are integer
// minor units in STRICT tables, so SQLite never turns an amount into a float.
var migrations = []struct {
	name string
	sql  string
}{
	{"create_core_tables", `
CREATE TABLE runs (
	id          TEXT PRIMARY KEY,
	command     TEXT NOT NULL,
	started_at  TEXT NOT NULL,
	finished_at TEXT NOT NULL DEFAULT '',
	exit_code   INTEGER,
	summary     TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE files (
	id           TEXT PRIMARY KEY,
	sha256       TEXT NOT NULL UNIQUE,
	source       TEXT NOT NULL,
	name         TEXT NOT NULL,
	size         INTEGER NOT NULL,
	format       TEXT NOT NULL,
	sheet        TEXT NOT NULL DEFAULT '',
	etag         TEXT NOT NULL DEFAULT '',
	version_id   TEXT NOT NULL DEFAULT '',
	status       TEXT NOT NULL,
	hold_kind    TEXT NOT NULL DEFAULT '',
	hold_reason  TEXT NOT NULL DEFAULT '',
	error_code   TEXT NOT NULL DEFAULT '',
	error_message TEXT NOT NULL DEFAULT '',
	total_rows   INTEGER NOT NULL DEFAULT 0,
	valid_rows   INTEGER NOT NULL DEFAULT 0,
	invalid_rows INTEGER NOT NULL DEFAULT 0,
	totals       TEXT NOT NULL DEFAULT '{}',
	ingested_by  TEXT NOT NULL DEFAULT '',
	ingested_at  TEXT NOT NULL,
	run_id       TEXT NOT NULL REFERENCES runs(id),
	released_by  TEXT NOT NULL DEFAULT '',
	released_at  TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE rows (
	id               INTEGER PRIMARY KEY,
	file_id          TEXT NOT NULL REFERENCES files(id),
	row_num          INTEGER NOT NULL,
	line_num         INTEGER NOT NULL,
	reference        TEXT NOT NULL,
	state            TEXT NOT NULL,
	idem_key         TEXT NOT NULL DEFAULT '',
	key_attempt      INTEGER NOT NULL DEFAULT 0,
	content_hash     TEXT NOT NULL DEFAULT '',
	amount_minor     INTEGER NOT NULL DEFAULT 0,
	currency         TEXT NOT NULL DEFAULT '',
	source_currency  TEXT NOT NULL DEFAULT '',
	method           TEXT NOT NULL DEFAULT '',
	purpose          TEXT NOT NULL DEFAULT '',
	beneficiary_id   TEXT NOT NULL DEFAULT '',
	instrument_id    TEXT NOT NULL DEFAULT '',
	external_ref     TEXT NOT NULL DEFAULT '',
	bank_fingerprint TEXT NOT NULL DEFAULT '',
	beneficiary_name TEXT NOT NULL DEFAULT '',
	account_masked   TEXT NOT NULL DEFAULT '',
	email_masked     TEXT NOT NULL DEFAULT '',
	request_body     TEXT NOT NULL DEFAULT '',
	payout_id        TEXT NOT NULL DEFAULT '',
	anton_status     TEXT NOT NULL DEFAULT '',
	error_code       TEXT NOT NULL DEFAULT '',
	error_message    TEXT NOT NULL DEFAULT '',
	problems         TEXT NOT NULL DEFAULT '',
	related_row      INTEGER,
	first_attempt_at TEXT NOT NULL DEFAULT '',
	last_attempt_at  TEXT NOT NULL DEFAULT '',
	run_id           TEXT NOT NULL DEFAULT '',
	created_at       TEXT NOT NULL,
	updated_at       TEXT NOT NULL,
	UNIQUE (file_id, row_num)
) STRICT;

CREATE INDEX rows_reference ON rows (reference);
CREATE INDEX rows_state ON rows (state, file_id);
CREATE INDEX rows_payout ON rows (payout_id) WHERE payout_id != '';
CREATE UNIQUE INDEX rows_sendable_key ON rows (idem_key)
	WHERE state IN ('held', 'pending', 'submitting', 'submitted', 'retryable');
CREATE UNIQUE INDEX rows_sendable_reference ON rows (reference)
	WHERE state IN ('held', 'pending', 'submitting', 'submitted', 'retryable');

CREATE TABLE attempts (
	id          INTEGER PRIMARY KEY,
	row_id      INTEGER REFERENCES rows(id),
	run_id      TEXT NOT NULL,
	method      TEXT NOT NULL,
	path        TEXT NOT NULL,
	idem_key    TEXT NOT NULL DEFAULT '',
	request_id  TEXT NOT NULL DEFAULT '',
	http_status INTEGER NOT NULL DEFAULT 0,
	error_code  TEXT NOT NULL DEFAULT '',
	error       TEXT NOT NULL DEFAULT '',
	replayed    INTEGER NOT NULL DEFAULT 0,
	duration_ms INTEGER NOT NULL DEFAULT 0,
	started_at  TEXT NOT NULL
) STRICT;
CREATE INDEX attempts_row ON attempts (row_id);

CREATE TABLE payouts (
	id              TEXT PRIMARY KEY,
	row_id          INTEGER REFERENCES rows(id),
	reference       TEXT NOT NULL,
	status          TEXT NOT NULL,
	source_amount   TEXT NOT NULL DEFAULT '',
	source_currency TEXT NOT NULL DEFAULT '',
	dest_amount     TEXT NOT NULL DEFAULT '',
	dest_currency   TEXT NOT NULL DEFAULT '',
	fee             TEXT NOT NULL DEFAULT '',
	fee_currency    TEXT NOT NULL DEFAULT '',
	total_debited   TEXT NOT NULL DEFAULT '',
	failure_code    TEXT NOT NULL DEFAULT '',
	failure_message TEXT NOT NULL DEFAULT '',
	created_at      TEXT NOT NULL DEFAULT '',
	anton_updated_at TEXT NOT NULL DEFAULT '',
	completed_at    TEXT NOT NULL DEFAULT '',
	failed_at       TEXT NOT NULL DEFAULT '',
	status_source   TEXT NOT NULL DEFAULT '',
	recorded_at     TEXT NOT NULL,
	updated_at      TEXT NOT NULL
) STRICT;
CREATE INDEX payouts_reference ON payouts (reference);

CREATE TABLE beneficiaries (
	external_ref         TEXT PRIMARY KEY,
	identity_fingerprint TEXT NOT NULL,
	beneficiary_id       TEXT NOT NULL,
	created_at           TEXT NOT NULL
) STRICT;

CREATE TABLE instruments (
	beneficiary_id   TEXT NOT NULL,
	bank_fingerprint TEXT NOT NULL,
	instrument_id    TEXT NOT NULL,
	account_masked   TEXT NOT NULL DEFAULT '',
	created_at       TEXT NOT NULL,
	PRIMARY KEY (beneficiary_id, bank_fingerprint)
) STRICT;

CREATE TABLE webhook_events (
	id          TEXT PRIMARY KEY,
	type        TEXT NOT NULL,
	payout_id   TEXT NOT NULL DEFAULT '',
	status      TEXT NOT NULL DEFAULT '',
	outcome     TEXT NOT NULL,
	received_at TEXT NOT NULL
) STRICT;

CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;
`},
	// create_moves journals inbox moves made by copy and delete (S3), so the next
	// run can finish a move that a crash interrupted.
	{"create_moves", `
CREATE TABLE moves (
	id         INTEGER PRIMARY KEY,
	file_id    TEXT NOT NULL REFERENCES files(id),
	source     TEXT NOT NULL,
	dest       TEXT NOT NULL,
	etag       TEXT NOT NULL DEFAULT '',
	state      TEXT NOT NULL,
	error      TEXT NOT NULL DEFAULT '',
	run_id     TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX moves_pending ON moves (id) WHERE state = 'pending';
`},
	// create_ledger_api records whether the ledger's payouts went to the
	// built-in sandbox or to Anton, so one ledger never mixes the two. The
	// single row is written on first use, not here: a ledger from before this
	// step gets the API of the next command that talks to one.
	{"create_ledger_api", `
CREATE TABLE ledger_api (
	id          INTEGER PRIMARY KEY CHECK (id = 1),
	api         TEXT NOT NULL CHECK (api IN ('sandbox', 'anton')),
	recorded_at TEXT NOT NULL
) STRICT;
`},
}
