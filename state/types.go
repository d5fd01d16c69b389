package state

// State is the submission state of a ledger row.
type State string

// Row states. invalid, duplicate and conflict rows are never sent. held,
// pending, submitting and retryable rows are unfinished. submitted and rejected
// are final for submission.
const (
	Invalid    State = "invalid"
	Duplicate  State = "duplicate"
	Conflict   State = "conflict"
	Held       State = "held"
	Pending    State = "pending"
	Submitting State = "submitting"
	Submitted  State = "submitted"
	Rejected   State = "rejected"
	Retryable  State = "retryable"
)

// AllStates lists every row state in report order.
var AllStates = []State{Pending, Submitting, Retryable, Held, Submitted, Rejected, Invalid, Duplicate, Conflict}

// Unfinished reports whether a row in this state may still be sent.
func (s State) Unfinished() bool {
	switch s {
	case Held, Pending, Submitting, Retryable:
		return true
	}
	return false
}

// File statuses.
const (
	FileActive   = "active"
	FileHeld     = "held"
	FileRejected = "rejected"
)

// Hold kinds of a held file.
const (
	HoldInvalidRows = "invalid_rows"
	HoldControl     = "control_mismatch"
	HoldApproval    = "approval_required"
	HoldBalance     = "insufficient_balance"
	// HoldBankChange holds a row whose known external_ref comes with new bank
	// details, until a run with --allow-bank-change.
	HoldBankChange = "bank_details_changed"
)

// File is a payout file recorded in the ledger. ID is the first 12 hex
// characters of SHA256.
type File struct {
	ID           string
	SHA256       string
	Source       string
	Name         string
	Size         int64
	Format       string
	Sheet        string
	ETag         string
	VersionID    string
	Status       string
	HoldKind     string
	HoldReason   string
	ErrorCode    string
	ErrorMessage string
	TotalRows    int
	ValidRows    int
	InvalidRows  int
	// Totals is the JSON object of valid-row totals per currency, as decimal strings.
	Totals     string
	IngestedBy string
	IngestedAt string
	RunID      string
	ReleasedBy string
	ReleasedAt string
}

// Row is one row of a payout file. It holds masked values and fingerprints,
// never raw account numbers, IBANs, emails or dates of birth.
type Row struct {
	ID      int64
	FileID  string
	RowNum  int
	LineNum int

	Reference string
	State     State
	// Key is the idempotency key; KeyAttempt is 0 for the first key of the row and
	// grows only when a rejected row is resent on request.
	Key        string
	KeyAttempt int
	// ContentHash identifies the business content of the row (the key material
	// without the attempt number), to tell duplicates from conflicts.
	ContentHash string

	// AmountMinor is the destination amount in minor units of Currency.
	AmountMinor     int64
	Currency        string
	SourceCurrency  string
	Method          string
	Purpose         string
	BeneficiaryID   string
	InstrumentID    string
	ExternalRef     string
	BankFingerprint string
	BeneficiaryName string
	AccountMasked   string
	EmailMasked     string

	// RequestBody is the exact body of the first POST /v1/payouts attempt.
	RequestBody string
	PayoutID    string
	AntonStatus string

	ErrorCode    string
	ErrorMessage string
	// Problems is the JSON list of validation problems (masked) of the row.
	Problems string
	// RelatedRow is the earlier row a duplicate or conflict refers to.
	RelatedRow int64

	FirstAttemptAt string
	LastAttemptAt  string
	RunID          string
	CreatedAt      string
	UpdatedAt      string
}

// Attempt is one HTTP request to Anton.
type Attempt struct {
	RowID      int64
	RunID      string
	Method     string
	Path       string
	Key        string
	RequestID  string
	HTTPStatus int
	ErrorCode  string
	Error      string
	Replayed   bool
	DurationMS int64
	StartedAt  string
}

// Payout is the ledger's copy of an Anton payout.
type Payout struct {
	ID             string
	RowID          int64
	Reference      string
	Status         string
	SourceAmount   string
	SourceCurrency string
	DestAmount     string
	DestCurrency   string
	Fee            string
	FeeCurrency    string
	TotalDebited   string
	FailureCode    string
	FailureMessage string
	CreatedAt      string
	AntonUpdatedAt string
	CompletedAt    string
	FailedAt       string
	// StatusSource names what last set Status: submit, sync, webhook or adopt.
	StatusSource string
}
