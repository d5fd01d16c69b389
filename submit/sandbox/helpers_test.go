package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/payrun/payrun/submit"
)

// env is a sandbox listening on loopback with one merchant key.
type env struct {
	t   testing.TB
	srv *Server
	key string
}

// slowScale makes lifecycle steps take hours, so tests move payouts only by
// advancing the clock.
const slowScale = 1e-3

func startSandbox(t *testing.T, opts Options) *env {
	t.Helper()
	if opts.TimeScale == 0 {
		opts.TimeScale = slowScale
	}
	if opts.Seed == 0 {
		opts.Seed = 42
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return &env{t: t, srv: srv, key: NewTestKey()}
}

// result is one HTTP response.
type result struct {
	status int
	header http.Header
	body   []byte
}

var keyCounter atomic.Int64

// newKey returns a fresh Idempotency-Key.
func newKey() string {
	return "test-key-" + strconv.FormatInt(keyCounter.Add(1), 10)
}

// call sends a request. body may be nil, a []byte, a string or a value to
// encode. headers are name, value pairs; "Idempotency-Key" with value "" is
// left out.
func (e *env) call(method, path string, body any, headers ...string) *result {
	e.t.Helper()
	return e.callWithKey(e.key, method, path, body, headers...)
}

func (e *env) callWithKey(key, method, path string, body any, headers ...string) *result {
	e.t.Helper()
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		reader = bytes.NewReader(b)
	case string:
		reader = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.t.Fatalf("encode body: %v", err)
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.srv.URL()+path, reader)
	if err != nil {
		e.t.Fatalf("NewRequest: %v", err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if reader != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] != "" {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("read body of %s %s: %v", method, path, err)
	}
	return &result{status: resp.StatusCode, header: resp.Header, body: data}
}

// post sends a POST with a fresh Idempotency-Key.
func (e *env) post(path string, body any) *result {
	e.t.Helper()
	return e.call(http.MethodPost, path, body, submit.HeaderIdempotencyKey, newKey())
}

func (r *result) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// apiError decodes the error envelope.
func (r *result) apiError(t testing.TB) submit.ErrorBody {
	t.Helper()
	var env submit.ErrorEnvelope
	r.decode(t, &env)
	if env.Error.Message == "" {
		t.Fatalf("error envelope without message: %s", r.body)
	}
	return env.Error
}

// expect fails unless the response has status and, when code is not "-", that
// error code.
func (r *result) expect(t testing.TB, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	if code == "-" {
		return
	}
	if got := r.apiError(t).Code; got != code {
		t.Fatalf("error code = %q, want %q; body %s", got, code, r.body)
	}
}

// fixture reads a JSON request body from testdata as a generic map.
func fixture(t testing.TB, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("decode fixture %s: %v", name, err)
	}
	return out
}

// setPath sets a dotted path in a generic JSON map; value deleteField
// removes the field.
func setPath(doc map[string]any, path string, value any) {
	parts := strings.Split(path, ".")
	cur := doc
	for _, p := range parts[:len(parts)-1] {
		next, ok := cur[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[p] = next
		}
		cur = next
	}
	last := parts[len(parts)-1]
	if value == deleteField {
		delete(cur, last)
		return
	}
	cur[last] = value
}

type deleteMarker struct{}

var deleteField = deleteMarker{}

// createBeneficiary creates the beneficiary of a fixture and returns its id.
func (e *env) createBeneficiary(name string) string {
	e.t.Helper()
	res := e.post("/v1/beneficiaries", fixture(e.t, name))
	res.expect(e.t, http.StatusCreated, "-")
	var b submit.Beneficiary
	res.decode(e.t, &b)
	return b.ID
}

// createInstrument adds the instrument of a fixture to a beneficiary.
func (e *env) createInstrument(beneficiaryID, name string) string {
	e.t.Helper()
	res := e.post("/v1/beneficiaries/"+beneficiaryID+"/instruments", fixture(e.t, name))
	res.expect(e.t, http.StatusCreated, "-")
	var in submit.Instrument
	res.decode(e.t, &in)
	return in.ID
}

// sepaPayee creates an individual with an EUR IBAN instrument.
func (e *env) sepaPayee() (string, string) {
	e.t.Helper()
	ben := e.createBeneficiary("beneficiary_individual.json")
	return ben, e.createInstrument(ben, "instrument_iban.json")
}

// sepaPayout is a valid EUR payout body.
func sepaPayout(ben, ins, amount, reference string) map[string]any {
	return map[string]any{
		"beneficiary_id": ben,
		"instrument_id":  ins,
		"source_amount":  amount,
		"dest_amount":    amount,
		"dest_currency":  "EUR",
		"method":         "sepa",
		"purpose":        "contractor_payment",
		"reference":      reference,
	}
}

// createPayout posts a payout and decodes the 201 response.
func (e *env) createPayout(body map[string]any) submit.Payout {
	e.t.Helper()
	res := e.post("/v1/payouts", body)
	res.expect(e.t, http.StatusCreated, "-")
	var p submit.Payout
	res.decode(e.t, &p)
	return p
}

func (e *env) getPayout(id string) submit.Payout {
	e.t.Helper()
	res := e.call(http.MethodGet, "/v1/payouts/"+id, nil)
	res.expect(e.t, http.StatusOK, "-")
	var p submit.Payout
	res.decode(e.t, &p)
	return p
}

func (e *env) balance(currency string) submit.Balance {
	e.t.Helper()
	res := e.call(http.MethodGet, "/v1/balances/"+currency, nil)
	res.expect(e.t, http.StatusOK, "-")
	var b submit.Balance
	res.decode(e.t, &b)
	return b
}

// advance moves the sandbox clock through POST /_sandbox/clock.
func (e *env) advance(d string) {
	e.t.Helper()
	res := e.callWithKey("", http.MethodPost, "/_sandbox/clock", map[string]string{"advance": d})
	if res.status != http.StatusOK {
		e.t.Fatalf("advance clock: status %d, body %s", res.status, res.body)
	}
}

// sleep pauses a polling loop for ms milliseconds.
func sleep(t *testing.T, ms int) {
	t.Helper()
	time.Sleep(time.Duration(ms) * time.Millisecond)
}

// uniqueBusiness creates a business beneficiary with its own legal name, so
// it is no duplicate of another.
func (e *env) uniqueBusiness(legalName string) string {
	e.t.Helper()
	body := fixture(e.t, "beneficiary_business.json")
	setPath(body, "business.legal_name", legalName)
	res := e.post("/v1/beneficiaries", body)
	res.expect(e.t, http.StatusCreated, "-")
	var b submit.Beneficiary
	res.decode(e.t, &b)
	return b.ID
}
