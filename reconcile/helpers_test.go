package reconcile

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/payrun/payrun/state"
	"github.com/payrun/payrun/submit"
	"github.com/payrun/payrun/submit/sandbox"
)

func openLedger(t *testing.T) *state.Ledger {
	t.Helper()
	led, err := state.Open(context.Background(), filepath.Join(t.TempDir(), "payrun.db"))
	if err != nil {
		t.Fatalf("open ledger: %v", err)
	}
	t.Cleanup(func() { led.Close() })
	return led
}

// addFile records a file with the totals and counts ingest would store.
func addFile(t *testing.T, led *state.Ledger, id, totals string, valid, invalid int) {
	t.Helper()
	ctx := context.Background()
	if err := led.StartRun(ctx, "run-"+id, "run"); err != nil {
		t.Fatal(err)
	}
	f := &state.File{ID: id, SHA256: id + "-sha", Source: id + ".csv", Name: id + ".csv", Format: "csv",
		Status: state.FileActive, RunID: "run-" + id, Totals: totals, TotalRows: valid + invalid,
		ValidRows: valid, InvalidRows: invalid}
	if err := led.InsertFile(ctx, f); err != nil {
		t.Fatal(err)
	}
}

// addRow records one row; a row with an empty currency is invalid.
func addRow(t *testing.T, led *state.Ledger, fileID string, rowNum int, ref string, minor int64, currency, name string) *state.Row {
	t.Helper()
	r := &state.Row{FileID: fileID, RowNum: rowNum, LineNum: rowNum, Reference: ref, State: state.Pending,
		Key: "payrun-" + ref, ContentHash: "h-" + ref, AmountMinor: minor, Currency: currency,
		SourceCurrency: currency, Method: "sepa", BeneficiaryName: name, AccountMasked: "DE**3000"}
	if currency == "" {
		r.State, r.Key, r.ContentHash, r.ErrorCode = state.Invalid, "", "", "missing_iban"
	}
	if err := led.RecordRows(context.Background(), []*state.Row{r}); err != nil {
		t.Fatalf("record row %s: %v", ref, err)
	}
	return r
}

// submitRow records a payout for a row, as the submission engine does.
func submitRow(t *testing.T, led *state.Ledger, r *state.Row, p *submit.Payout) {
	t.Helper()
	err := led.MarkSubmitted(context.Background(), r.ID, &state.Payout{ID: p.ID, Reference: p.Reference,
		Status: p.Status, DestAmount: p.DestAmount, DestCurrency: p.DestCurrency, CreatedAt: p.CreatedAt,
		AntonUpdatedAt: p.UpdatedAt, StatusSource: "submit"})
	if err != nil {
		t.Fatalf("mark row %s submitted: %v", r.Reference, err)
	}
}

func payoutStatus(t *testing.T, led *state.Ledger, id string) string {
	t.Helper()
	p, err := led.PayoutByID(context.Background(), id)
	if err != nil || p == nil {
		t.Fatalf("payout %s: %v (found %v)", id, err, p != nil)
	}
	return p.Status
}

// waitFor polls cond until it holds, failing after 10 seconds. The sandbox
// delivers webhooks from its own goroutines, so tests wait for the effect.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// signature returns the X-Webhook-Signature entry of body for secret.
func signature(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp + "."))
	mac.Write(body)
	return "v1=" + hex.EncodeToString(mac.Sum(nil))
}

// delivery builds a signed webhook request as Anton sends it.
func delivery(t *testing.T, secret string, at time.Time, id, eventType string, data any) *http.Request {
	t.Helper()
	payload, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(submit.WebhookEvent{ID: id, Type: eventType, CreatedAt: at.UTC().Format(time.RFC3339Nano), Data: payload})
	if err != nil {
		t.Fatal(err)
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	return signedRequest(id, eventType, ts, signature(secret, ts, body), body)
}

func signedRequest(id, eventType, ts, sig string, body []byte) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/webhooks/anton", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(submit.HeaderWebhookID, id)
	req.Header.Set(submit.HeaderWebhookEvent, eventType)
	req.Header.Set(submit.HeaderWebhookTimestamp, ts)
	req.Header.Set(submit.HeaderWebhookSignature, sig)
	return req
}

// serve runs one request through the handler and returns the status code.
func serve(h http.Handler, req *http.Request) int {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

// sandboxEnv is a sandbox on loopback with one merchant and a client for it.
// Lifecycle steps take hours at its time scale, so payouts move only when a
// test advances the sandbox clock.
type sandboxEnv struct {
	t      *testing.T
	srv    *sandbox.Server
	key    string
	client *submit.Client
}

var idempotencyCounter atomic.Int64

func startSandbox(t *testing.T) *sandboxEnv {
	t.Helper()
	srv, err := sandbox.New(sandbox.Options{TimeScale: 1e-3, Seed: 7})
	if err != nil {
		t.Fatalf("sandbox.New: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("sandbox Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	e := &sandboxEnv{t: t, srv: srv, key: sandbox.NewTestKey()}
	e.client = newClient(t, srv.URL(), e.key)
	return e
}

func newClient(t *testing.T, baseURL, key string) *submit.Client {
	t.Helper()
	auth, err := submit.NewBearerKey(key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := submit.NewClient(submit.Config{BaseURL: baseURL, Auth: auth})
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	return c
}

func nextKey() string {
	return "reconcile-test-" + strconv.FormatInt(idempotencyCounter.Add(1), 10)
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// payee creates the fixture beneficiary with its EUR IBAN instrument.
func (e *sandboxEnv) payee() (string, string) {
	e.t.Helper()
	ctx := context.Background()
	ben, _, err := e.client.CreateBeneficiary(ctx, nextKey(), readFixture(e.t, "beneficiary.json"))
	if err != nil {
		e.t.Fatalf("create beneficiary: %v", err)
	}
	ins, _, err := e.client.CreateInstrument(ctx, nextKey(), ben.ID, readFixture(e.t, "instrument.json"))
	if err != nil {
		e.t.Fatalf("create instrument: %v", err)
	}
	return ben.ID, ins.ID
}

func (e *sandboxEnv) payout(ben, ins, reference, amount string) *submit.Payout {
	e.t.Helper()
	body, _ := json.Marshal(submit.PayoutRequest{BeneficiaryID: ben, InstrumentID: ins, SourceAmount: amount,
		DestAmount: amount, DestCurrency: "EUR", Method: "sepa", Purpose: "contractor_payment", Reference: reference})
	p, _, err := e.client.CreatePayout(context.Background(), nextKey(), body)
	if err != nil {
		e.t.Fatalf("create payout %s: %v", reference, err)
	}
	return p
}

func (e *sandboxEnv) subscribe(url string) *submit.WebhookSubscription {
	e.t.Helper()
	sub, err := e.client.CreateWebhook(context.Background(), nextKey(), &submit.WebhookRequest{URL: url, Events: []string{"*"}})
	if err != nil {
		e.t.Fatalf("subscribe %s: %v", url, err)
	}
	return sub
}

// rotate rotates a subscription's secret and returns the new one.
func (e *sandboxEnv) rotate(subscriptionID string) string {
	e.t.Helper()
	var sub submit.WebhookSubscription
	e.call(http.MethodPost, "/v1/webhooks/"+subscriptionID+"/secret/rotate", e.key, map[string]string{}, &sub)
	if sub.Secret == "" {
		e.t.Fatal("rotate returned no secret")
	}
	return sub.Secret
}

// advance moves the sandbox clock, which runs every lifecycle step due.
func (e *sandboxEnv) advance(d string) {
	e.t.Helper()
	e.call(http.MethodPost, "/_sandbox/clock", "", map[string]string{"advance": d}, nil)
}

func (e *sandboxEnv) call(method, path, key string, body, out any) {
	e.t.Helper()
	data, _ := json.Marshal(body)
	req, err := http.NewRequest(method, e.srv.URL()+path, bytes.NewReader(data))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set(submit.HeaderIdempotencyKey, nextKey())
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		e.t.Fatalf("%s %s: status %d", method, path, resp.StatusCode)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			e.t.Fatalf("decode %s %s: %v", method, path, err)
		}
	}
}

// recordPayout records a file row for a sandbox payout and marks it
// submitted.
func recordPayout(t *testing.T, led *state.Ledger, fileID string, rowNum int, p *submit.Payout) *state.Row {
	t.Helper()
	r := addRow(t, led, fileID, rowNum, p.Reference, 1000, "EUR", fmt.Sprintf("Payee %d", rowNum))
	submitRow(t, led, r, p)
	return r
}
