package submit

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// respondFixture returns a handler that responds with status and a file of testdata/client.
func respondFixture(t *testing.T, status int, name string, headers ...string) http.HandlerFunc {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", "client", name))
	if err != nil {
		t.Fatal(err)
	}
	return respondJSON(status, string(body), headers...)
}

func TestClientDecodeBareAndWrapped(t *testing.T) {
	for _, name := range []string{"payout_bare.json", "payout_wrapped.json"} {
		t.Run(name, func(t *testing.T) {
			s := newScriptedServer(t, respondFixture(t, 201, name))
			c := newScriptedClient(t, s)

			p, _, err := c.CreatePayout(context.Background(), "payrun-d", testPayoutBody)
			if err != nil {
				t.Fatalf("CreatePayout: %v", err)
			}
			want := "pay_01HX8Z5K2M3N4P5Q6R7S8T9V0W"
			if p.ID != want || p.Reference != "INV-2026-0415" || p.SourceAmount != "1250.00" {
				t.Errorf("payout = %s %s %s, want %s INV-2026-0415 1250.00", p.ID, p.Reference,
					p.SourceAmount, want)
			}
			if p.BatchID != nil || p.Metadata["file"] != "april.csv" {
				t.Errorf("batch_id %v, metadata %v", p.BatchID, p.Metadata)
			}
		})
	}
}

func TestClientDecodeErrorShapes(t *testing.T) {
	cases := []struct {
		file    string
		status  int
		code    string
		message string
		details []FieldError
	}{
		{"error_validation_list.json", 422, CodeValidation, "request validation failed",
			[]FieldError{{"dest_amount", `must match ^-?\d{1,12}(\.\d+)?$`},
				{"reference", "must be at most 100 characters"}}},
		{"error_validation_object.json", 422, CodeValidation, "Validation failed",
			[]FieldError{{"amount", "must be greater than 0"}}},
		{"error_validation_map.json", 422, CodeValidation, "Validation failed",
			[]FieldError{{"dest_currency", "must be ISO 4217"}, {"reference", "is required"}}},
		{"error_integer_code.json", 422, "", "Amount exceeds available balance", nil},
		{"error_oauth.json", 401, "invalid_client", "client authentication failed", nil},
		{"error_html.html", 502, "",
			"<html> <head><title>502 Bad Gateway</title></head> <body> <center><h1>502 Bad " +
				"Gateway</h1></center> <hr><center>nginx</center> </body> </html>", nil},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			s := newScriptedServer(t, respondFixture(t, tc.status, tc.file, HeaderRequestID, "req_e1"))
			c := newScriptedClient(t, s)

			_, _, err := c.CreatePayout(context.Background(), "payrun-e", testPayoutBody)
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %v is not an *APIError", err)
			}
			if apiErr.Status != tc.status || apiErr.Code != tc.code {
				t.Errorf("status, code = %d %q, want %d %q", apiErr.Status, apiErr.Code,
					tc.status, tc.code)
			}
			if apiErr.Message != tc.message {
				t.Errorf("message = %q, want %q", apiErr.Message, tc.message)
			}
			if diff := cmp.Diff(tc.details, apiErr.Details); diff != "" {
				t.Errorf("details (-want +got):\n%s", diff)
			}
			if apiErr.RequestID != "req_e1" {
				t.Errorf("request id = %q, want req_e1", apiErr.RequestID)
			}
		})
	}
}

func TestClientDecodeErrorEdgeCases(t *testing.T) {
	empty := decodeError(503, http.Header{}, nil)
	if empty.Message != "service unavailable" {
		t.Errorf("empty body message = %q, want the status text", empty.Message)
	}

	long := decodeError(500, http.Header{}, bytes.Repeat([]byte("é"), 500))
	if n := len([]rune(long.Message)); n > errorPreview {
		t.Errorf("long body message has %d characters, want at most %d", n, errorPreview)
	}
	if !strings.HasSuffix(long.Message, "…") {
		t.Errorf("long body message %q does not end with an ellipsis", long.Message)
	}

	control := decodeError(500, http.Header{}, []byte("line1\r\nline2\x00\xff"))
	if control.Message != "line1 line2" {
		t.Errorf("control characters kept: %q", control.Message)
	}
}

func TestClientResponseTooLarge(t *testing.T) {
	huge := `{"id":"pay_1","reference":"` + strings.Repeat("x", MaxResponseBody) + `"}`
	s := newScriptedServer(t, respondJSON(201, huge))
	c := newScriptedClient(t, s)

	_, _, err := c.CreatePayout(context.Background(), "payrun-big", testPayoutBody)
	if err == nil || !strings.Contains(err.Error(), "larger than 4 MiB") {
		t.Fatalf("error = %v, want a body size error", err)
	}
	if got := Classify(err); got != OutcomeUnknown {
		t.Errorf("Classify = %v, want unknown", got)
	}
}

func TestClientUndecodableSuccess(t *testing.T) {
	s := newScriptedServer(t, respondJSON(201, `{"id": 42}`))
	c := newScriptedClient(t, s)

	_, resp, err := c.CreatePayout(context.Background(), "payrun-bad", testPayoutBody)
	if err == nil || !strings.Contains(err.Error(), "decode response body") {
		t.Fatalf("error = %v, want a decode error", err)
	}
	if Classify(err) != OutcomeUnknown || resp.Status != 201 {
		t.Errorf("Classify %v, status %d; want unknown and 201", Classify(err), resp.Status)
	}
}

func TestClientEachPayoutPages(t *testing.T) {
	pages := map[string]http.HandlerFunc{
		"":      respondFixture(t, 200, "payouts_page1.json"),
		"cur_2": respondFixture(t, 200, "payouts_page2.json"),
		"cur_3": respondFixture(t, 200, "payouts_page3.json"),
	}
	s := newScriptedServer(t, func(w http.ResponseWriter, r *http.Request) {
		pages[r.URL.Query().Get("cursor")](w, r)
	})
	c := newScriptedClient(t, s)

	after := time.Date(2026, 4, 15, 9, 30, 0, 0, time.FixedZone("CEST", 2*3600))
	filter := PayoutFilter{Status: []string{"completed", "failed"}, BatchID: "bat_1",
		DestCurrency: "EUR", Reference: "R 1&2", CreatedAfter: after, Limit: 100}
	var ids []string
	err := c.EachPayout(context.Background(), filter, func(p *Payout) error {
		ids = append(ids, p.ID)
		return nil
	})
	if err != nil {
		t.Fatalf("EachPayout: %v", err)
	}
	if diff := cmp.Diff([]string{"pay_a1", "pay_a2", "pay_a3"}, ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}

	got := s.received()
	if len(got) != 3 {
		t.Fatalf("server saw %d requests, want 3", len(got))
	}
	q, _ := url.ParseQuery(got[0].RawQuery)
	want := url.Values{"status": {"completed", "failed"}, "batch_id": {"bat_1"},
		"dest_currency": {"EUR"}, "reference": {"R 1&2"},
		"created_after": {"2026-04-15T07:30:00Z"}, "limit": {"100"}}
	if diff := cmp.Diff(want, q); diff != "" {
		t.Errorf("first page query (-want +got):\n%s", diff)
	}
	if q3, _ := url.ParseQuery(got[2].RawQuery); q3.Get("cursor") != "cur_3" ||
		q3.Get("batch_id") != "bat_1" {
		t.Errorf("third page query = %v, want cursor cur_3 and the same filters", q3)
	}
}

func TestClientEachPayoutStuckCursor(t *testing.T) {
	s := newScriptedServer(t, respondJSON(200, `{"data":[{"id":"pay_1"}],"has_more":true}`))
	c := newScriptedClient(t, s)

	err := c.EachPayout(context.Background(), PayoutFilter{}, func(*Payout) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "next_cursor") {
		t.Fatalf("EachPayout = %v, want a missing cursor error", err)
	}

	s = newScriptedServer(t, respondJSON(200, `{"data":[],"has_more":true,"next_cursor":"same"}`))
	c = newScriptedClient(t, s)
	err = c.EachPayout(context.Background(), PayoutFilter{}, func(*Payout) error { return nil })
	if err == nil || len(s.received()) != 2 {
		t.Fatalf("EachPayout = %v after %d pages, want a repeated cursor error after 2",
			err, len(s.received()))
	}
}

func TestClientEachPayoutCallbackError(t *testing.T) {
	s := newScriptedServer(t, respondFixture(t, 200, "payouts_page1.json"))
	c := newScriptedClient(t, s)
	stop := errors.New("stop")

	err := c.EachPayout(context.Background(), PayoutFilter{}, func(*Payout) error { return stop })
	if !errors.Is(err, stop) || len(s.received()) != 1 {
		t.Errorf("EachPayout = %v after %d pages, want the callback's error after 1",
			err, len(s.received()))
	}
}

func TestClientListPayoutsLimit(t *testing.T) {
	s := newScriptedServer(t, respondJSON(200, `{"data":[]}`))
	c := newScriptedClient(t, s)
	if _, err := c.ListPayouts(context.Background(), PayoutFilter{Limit: 101}); err == nil {
		t.Error("ListPayouts accepted a limit of 101")
	}
	if n := len(s.received()); n != 0 {
		t.Errorf("server saw %d requests, want 0", n)
	}
}

func TestClientEndpointPaths(t *testing.T) {
	s := newScriptedServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/v1/balances":
			respondFixture(t, 200, "balances.json")(w, r)
		case r.URL.Path == "/v1/webhooks":
			respondFixture(t, 201, "webhook_created.json")(w, r)
		case strings.HasSuffix(r.URL.Path, "/instruments"):
			respondJSON(201, `{"id":"ins_1","beneficiary_id":"ben_1","status":"active"}`)(w, r)
		case r.URL.Path == "/v1/beneficiaries":
			respondJSON(201, `{"id":"ben_1","type":"individual","status":"active"}`)(w, r)
		default:
			respondJSON(200, `{"id":"pay_1","status":"cancelled"}`)(w, r)
		}
	})
	c := newScriptedClient(t, s)
	ctx := context.Background()

	b, _, err := c.CreateBeneficiary(ctx, "payrun-ben", []byte(`{"type":"individual"}`))
	checkResult(t, err, b != nil && b.ID == "ben_1", "CreateBeneficiary")
	in, _, err := c.CreateInstrument(ctx, "payrun-ins", "ben_1", []byte(`{"method":"iban"}`))
	checkResult(t, err, in != nil && in.ID == "ins_1", "CreateInstrument")
	p, _, err := c.GetPayout(ctx, "pay_1")
	checkResult(t, err, p != nil && p.ID == "pay_1", "GetPayout")
	p, _, err = c.CancelPayout(ctx, "payrun-cancel", "pay_1", "duplicate row")
	checkResult(t, err, p != nil && p.Status == "cancelled", "CancelPayout")
	_, _, err = c.CancelPayout(ctx, "payrun-cancel-2", "pay_1", "")
	checkResult(t, err, true, "CancelPayout without reason")
	bal, err := c.Balances(ctx)
	checkResult(t, err, len(bal) == 2 && bal[1].Available == "1000000.00", "Balances")
	sub, err := c.CreateWebhook(ctx, "payrun-wh", &WebhookRequest{URL: "https://hooks.example.com/anton",
		Events: []string{"payout.completed"}})
	checkResult(t, err, sub != nil && strings.HasPrefix(sub.Secret, "whsec_"), "CreateWebhook")

	want := []struct{ method, path, key, body string }{
		{"POST", "/v1/beneficiaries", "payrun-ben", `{"type":"individual"}`},
		{"POST", "/v1/beneficiaries/ben_1/instruments", "payrun-ins", `{"method":"iban"}`},
		{"GET", "/v1/payouts/pay_1", "", ""},
		{"POST", "/v1/payouts/pay_1/cancel", "payrun-cancel", `{"reason":"duplicate row"}`},
		{"POST", "/v1/payouts/pay_1/cancel", "payrun-cancel-2", `{}`},
		{"GET", "/v1/balances", "", ""},
		{"POST", "/v1/webhooks", "payrun-wh",
			`{"url":"https://hooks.example.com/anton","events":["payout.completed"]}`},
	}
	got := s.received()
	if len(got) != len(want) {
		t.Fatalf("server saw %d requests, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Method != w.method || g.Path != w.path || g.Key != w.key || string(g.Body) != w.body {
			t.Errorf("request %d = %s %s key %q body %s, want %s %s key %q body %s", i+1,
				g.Method, g.Path, g.Key, g.Body, w.method, w.path, w.key, w.body)
		}
	}
}

func checkResult(t *testing.T, err error, ok bool, name string) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", name, err)
	} else if !ok {
		t.Errorf("%s: unexpected result", name)
	}
}

func TestClientRejectsBadArguments(t *testing.T) {
	s := newScriptedServer(t, respondJSON(201, testPayoutJSON))
	c := newScriptedClient(t, s)
	ctx := context.Background()

	_, _, errNoKey := c.CreatePayout(ctx, "", testPayoutBody)
	_, _, errLongKey := c.CreatePayout(ctx, strings.Repeat("k", 256), testPayoutBody)
	_, _, errNoBody := c.CreatePayout(ctx, "payrun-k", nil)
	_, _, errNoID := c.CreateInstrument(ctx, "payrun-k", "", []byte(`{}`))
	_, _, errNoPayout := c.GetPayout(ctx, "")
	for name, err := range map[string]error{"no key": errNoKey, "long key": errLongKey,
		"no body": errNoBody, "no beneficiary": errNoID, "no payout id": errNoPayout} {
		if !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%s: error = %v, want ErrInvalidRequest", name, err)
		}
	}
	if n := len(s.received()); n != 0 {
		t.Errorf("server saw %d requests, want 0", n)
	}
}

func TestClientEscapesIDs(t *testing.T) {
	s := newScriptedServer(t, respondJSON(200, `{"id":"pay_1"}`))
	c := newScriptedClient(t, s)
	if _, _, err := c.GetPayout(context.Background(), "pay_1/../../v1/merchant"); err != nil {
		t.Fatal(err)
	}
	if p := s.received()[0].Path; p != "/v1/payouts/pay_1/../../v1/merchant" {
		t.Errorf("path = %q, want the id kept in one segment", p)
	}
}

func TestClientLogsNoSecrets(t *testing.T) {
	var logs bytes.Buffer
	s := newScriptedServer(t,
		respondJSON(500, `{"error":{"message":"internal server error"}}`),
		respondJSON(429, `{"error":{"code":"rate_limit_exceeded","message":"slow"}}`, HeaderRetryAfter, "0"),
		respondJSON(201, `{"id":"ben_1"}`))
	c := newScriptedClient(t, s, func(cfg *Config) {
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})

	body := []byte(`{"type":"individual","individual":{"first_name":"Jane","email":"jane@example.com",` +
		`"date_of_birth":"1990-01-01"}}`)
	if _, _, err := c.CreateBeneficiary(context.Background(), "payrun-pii", body); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, "retrying request") || !strings.Contains(out, "rate limited") {
		t.Errorf("logs lack the retry and rate-limit lines:\n%s", out)
	}
	for _, secret := range []string{testAPIKey, "Jane", "jane@example.com", "1990-01-01"} {
		if strings.Contains(out, secret) {
			t.Errorf("logs contain %q:\n%s", secret, out)
		}
	}
}

func TestClientLogThrottle(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	lt := newLogThrottle()
	for range 100 {
		lt.log(logger, slog.LevelInfo, "retrying request")
	}
	if n := strings.Count(logs.String(), "retrying request"); n > 20 {
		t.Errorf("%d of 100 repeated lines logged, want at most 20", n)
	}
	if lt.suppressed.Load() == 0 {
		t.Error("no lines counted as suppressed")
	}
}
